package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
)

// SMTPSender delivers messages to an SMTP server (a relay or a submission
// server), one connection per message.
type SMTPSender struct {
	// TLSConfig, when set, is the client's TLS configuration; its ServerName
	// defaults to the URL's host. Nil verifies the server against the
	// system's roots.
	TLSConfig *tls.Config
	// Timeout bounds one delivery, from dial to QUIT, so that a hung server
	// cannot stall the worker. Zero is DefaultSMTPTimeout.
	Timeout time.Duration
	// Clock dates the messages. Nil is kassa.SystemClock.
	Clock kassa.Clock

	host, addr  string
	implicitTLS bool
	startTLS    bool // try STARTTLS on smtp://
	plainOK     bool // send in plain text when STARTTLS is not offered
	user, pass  string
	from        *mail.Address
}

// DefaultSMTPTimeout is how long one delivery may take in all.
const DefaultSMTPTimeout = 30 * time.Second

// dialTimeout bounds connecting, within the whole delivery's timeout.
const dialTimeout = 10 * time.Second

// NewSMTPSender returns a sender for the server that rawURL (KASSA_SMTP_URL)
// names:
//
//	smtp://[user:pass@]host[:port]?from=kassa@example.com[&starttls=off]
//	smtps://[user:pass@]host[:port]?from=kassa@example.com
//
// smtp:// (port 587 by default) upgrades the connection with STARTTLS when
// the server offers it. When it does not, the message goes in plain text only
// to a loopback host (a local relay); any other host is refused rather than
// sent to in the clear, since a missing STARTTLS may be an attacker stripping
// it. starttls=off never upgrades, for servers known to speak plain text only.
// smtps:// (port 465 by default) is TLS from the start. With user info the
// sender authenticates with AUTH PLAIN, which net/smtp allows only over TLS or
// to a loopback host. from, the sender address, is required; it may carry a
// name ("Kassa <kassa@example.com>", URL-encoded).
//
// A malformed URL is an Invalid error naming the problem; the error never
// repeats the password.
func NewSMTPSender(rawURL string) (*SMTPSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the whole URL, password and all: keep its cause.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return nil, kassa.InvalidE("smtp_url", "error.smtp.malformed", "Cause", err.Error())
	}
	s := &SMTPSender{host: u.Hostname()}
	port := "587"
	switch u.Scheme {
	case "smtp":
		s.startTLS = true
	case "smtps":
		s.implicitTLS, port = true, "465"
	default:
		return nil, kassa.InvalidE("smtp_url", "error.smtp.scheme", "Value", strconv.Quote(u.Scheme+"://"))
	}
	if s.host == "" {
		return nil, kassa.InvalidE("smtp_url", "error.smtp.host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, kassa.InvalidE("smtp_url", "error.smtp.port", "Value", strconv.Quote(p))
		}
		port = p
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.Path != "" && u.Path != "/" {
		return nil, kassa.InvalidE("smtp_url", "error.smtp.path", "Value", strconv.Quote(u.Path))
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	q := u.Query()
	for k := range q {
		if k != "from" && k != "starttls" {
			return nil, kassa.InvalidE("smtp_url", "error.smtp.parameter", "Name", strconv.Quote(k))
		}
	}
	from := q.Get("from")
	if from == "" {
		return nil, kassa.InvalidE("smtp_url", "error.smtp.from_missing")
	}
	if s.from, err = mail.ParseAddress(from); err != nil || strings.ContainsAny(from, "\r\n") {
		return nil, kassa.InvalidE("smtp_url", "error.smtp.from", "Value", strconv.Quote(from))
	}
	switch st := q.Get("starttls"); {
	case s.implicitTLS && st != "":
		return nil, kassa.InvalidE("smtp_url", "error.smtp.starttls_smtps")
	case s.implicitTLS:
	case st == "off":
		s.startTLS, s.plainOK = false, true
	case st == "" || st == "on":
		s.plainOK = isLoopback(s.host)
	default:
		return nil, kassa.InvalidE("smtp_url", "error.smtp.starttls", "Value", strconv.Quote(st))
	}
	return s, nil
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String names the server for logs, without the password.
func (s *SMTPSender) String() string {
	scheme := "smtp"
	if s.implicitTLS {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: s.addr}
	if s.user != "" {
		u.User = url.User(s.user)
	}
	return u.String()
}

// Send delivers m over a new connection. A recipient that is not one plain
// email address is an Invalid error, before connecting, so that To can never
// carry a header or a second recipient. Any other failure (dial, TLS, a 4xx
// or 5xx reply) is returned as it is, and the message counts as not delivered.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	to, msg, err := s.compose(m)
	if err != nil {
		return err
	}
	if err := s.send(ctx, to, msg); err != nil {
		return fmt.Errorf("smtp %s: %w", s.addr, err)
	}
	return nil
}

func (s *SMTPSender) send(ctx context.Context, to *mail.Address, msg []byte) error {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultSMTPTimeout
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	dialer := net.Dialer{Timeout: dialTimeout, Deadline: deadline}
	conn, err := dialer.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	// One deadline for the whole conversation; cancelling ctx ends it at once.
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if s.implicitTLS {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("ehlo: %w", err)
	}
	if s.startTLS {
		switch ok, _ := c.Extension("STARTTLS"); {
		case ok:
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return fmt.Errorf("starttls: %w", err)
			}
		case !s.plainOK:
			return errors.New("the server does not offer STARTTLS; use smtps://, or add starttls=off to send in plain text")
		}
	}
	if s.user != "" {
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("rcpt to: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	// The server has accepted the message; a failed QUIT does not undo that.
	_ = c.Quit()
	return nil
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	cfg := &tls.Config{}
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.host
	}
	cfg.MinVersion = max(cfg.MinVersion, tls.VersionTLS12)
	return cfg
}

// compose writes the message: headers, then the body in quoted-printable so
// that any text survives 7-bit transport and long lines. The subject is put on
// one line again here, whoever made the Message, and a recipient that is not
// one plain address is an Invalid error.
func (s *SMTPSender) compose(m Message) (*mail.Address, []byte, error) {
	if strings.ContainsAny(m.To, "\r\n") {
		return nil, nil, kassa.InvalidE("to", "error.mail.recipient_line_break", "Value", strconv.Quote(m.To))
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, nil, kassa.InvalidE("to", "error.mail.recipient", "Value", strconv.Quote(m.To))
	}
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("From", s.from.String())
	header("To", to.String())
	header("Subject", encodeSubject(m.Subject))
	var clock kassa.Clock = kassa.SystemClock{}
	if s.Clock != nil {
		clock = s.Clock
	}
	header("Date", clock.Now().Format(time.RFC1123Z))
	if id := messageID(m.ID); id != "" {
		header("Message-ID", id)
	}
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(m.Body)) // writes to a bytes.Buffer do not fail
	qp.Close()
	return to, b.Bytes(), nil
}

// encodeSubject makes subject one header value: one line, RFC 2047 encoded
// when it is not plain ASCII, and folded between encoded words so that no
// line grows past what SMTP allows.
func encodeSubject(subject string) string {
	subject = truncate(oneLine(subject), maxSubject)
	if subject == "" {
		subject = "Kassa"
	}
	return strings.ReplaceAll(mime.QEncoding.Encode("utf-8", subject), "?= =?", "?=\r\n =?")
}

// messageID builds the Message-ID from the notification's ID, "<ntf_…@kassa>",
// so that a message delivered twice can be recognized as one. IDs are
// generated by kassa; anything else is dropped rather than let into a header.
func messageID(id string) string {
	id = strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, id)
	if id == "" {
		return ""
	}
	return "<" + id + "@kassa>"
}
