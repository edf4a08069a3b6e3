package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"
)

// Message is one message the server accepted.
type Message struct {
	From string   // the MAIL FROM address
	To   []string // the RCPT TO addresses
	// Data is the message as received (headers and body, CRLF line ends),
	// with the dots of SMTP's transparency removed.
	Data []byte
	// User and Password are what the client sent with AUTH PLAIN, "" when
	// it did not authenticate.
	User, Password string
	TLS            bool // whether the message came over TLS
}

// Server is a running test server.
type Server struct {
	ln       net.Listener
	tls      *tls.Config // nil: plain text only
	implicit bool        // TLS from the first byte
	roots    *x509.CertPool

	mu       sync.Mutex
	messages []Message
	failNext int
	conns    map[net.Conn]struct{}
	closed   bool
	wg       sync.WaitGroup
}

// Option changes how a server started by Start speaks.
type Option func(*Server)

// STARTTLS makes the server offer STARTTLS, with a certificate for 127.0.0.1
// and localhost that RootCAs trusts.
func STARTTLS() Option {
	return func(s *Server) { s.tls = &tls.Config{} }
}

// ImplicitTLS makes the server speak TLS from the start, as smtps:// servers
// do, with a certificate that RootCAs trusts.
func ImplicitTLS() Option {
	return func(s *Server) { s.tls, s.implicit = &tls.Config{}, true }
}

// Start runs a server on 127.0.0.1 on a free port until tb ends. Without
// options it speaks plain text.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{ln: ln, conns: map[net.Conn]struct{}{}}
	for _, o := range opts {
		o(s)
	}
	if s.tls != nil {
		cert, roots, err := selfSigned()
		if err != nil {
			ln.Close()
			tb.Fatalf("smtptest: make a certificate: %v", err)
		}
		s.tls.Certificates, s.roots = []tls.Certificate{cert}, roots
	}
	s.wg.Add(1)
	go s.serve()
	tb.Cleanup(s.Close)
	return s
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// RootCAs returns a pool that trusts the server's certificate; nil when the
// server speaks plain text only.
func (s *Server) RootCAs() *x509.CertPool { return s.roots }

// Messages returns the messages accepted so far, in the order they came.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// FailNext makes the next n DATA commands, on any connection, answer
// "451 4.3.0 try again later" instead of taking the message.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

// Close stops the server and ends its connections. Start arranges for it to
// be called when the test ends.
func (s *Server) Close() {
	s.ln.Close()
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			s.converse(c)
		}()
	}
}

// takeFailure reports whether this DATA command is to be turned away.
func (s *Server) takeFailure() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNext > 0 {
		s.failNext--
		return true
	}
	return false
}

func (s *Server) accept(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
}

// selfSigned makes a certificate for 127.0.0.1, ::1 and localhost, valid for
// a day, and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtptest"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, roots, nil
}
