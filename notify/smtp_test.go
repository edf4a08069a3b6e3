package notify_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
	"github.com/kassa-billing/kassa/notify"
	"github.com/kassa-billing/kassa/notify/smtptest"
)

// newSender returns a sender for srv, over plain text (srv is on loopback)
// or TLS as srv speaks, dating messages by clock.
func newSender(t *testing.T, srv *smtptest.Server, scheme string, clock kassa.Clock) *notify.SMTPSender {
	t.Helper()
	s, err := notify.NewSMTPSender(scheme + "://" + srv.Addr() + "?from=Kassa%20%3Ckassa@example.com%3E")
	if err != nil {
		t.Fatal(err)
	}
	s.Clock = clock
	s.TLSConfig = &tls.Config{RootCAs: srv.RootCAs()}
	return s
}

// received is one message as a mail client reads it.
type received struct {
	header mail.Header
	body   string // decoded, with "\n" line ends
}

// read parses a message the server accepted and decodes its body.
func read(t *testing.T, m smtptest.Message) received {
	t.Helper()
	for i, line := range strings.Split(string(m.Data), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d has %d characters, more than SMTP allows", i+1, len(line))
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	if got := msg.Header.Get("Content-Transfer-Encoding"); got != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding = %q, want quoted-printable", got)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatalf("decode body: %v", err)
	}
	return received{header: msg.Header, body: strings.ReplaceAll(string(body), "\r\n", "\n")}
}

func (r received) subject(t *testing.T) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(r.header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject %q: %v", r.header.Get("Subject"), err)
	}
	return s
}

func TestSMTPSenderSends(t *testing.T) {
	srv := smtptest.Start(t)
	clock := kassa.NewTestClock(time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC))
	s := newSender(t, srv, "smtp", clock)
	m := notify.Message{
		ID:      "ntf_abc123",
		To:      "asa@nordvik.example",
		Subject: "Åsa Öberg köpte Kassa Möten = 100 % ?",
		Body:    "Första raden.\n.En rad som börjar med en punkt\n\n" + strings.Repeat("långt ord ", 40) + "\n",
	}
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server has %d messages, want 1", len(msgs))
	}
	if msgs[0].From != "kassa@example.com" || len(msgs[0].To) != 1 || msgs[0].To[0] != "asa@nordvik.example" {
		t.Errorf("envelope = %q → %q, want kassa@example.com → [asa@nordvik.example]", msgs[0].From, msgs[0].To)
	}
	r := read(t, msgs[0])
	for name, want := range map[string]string{
		"From":         `"Kassa" <kassa@example.com>`,
		"To":           "<asa@nordvik.example>",
		"Date":         "Mon, 23 Nov 2026 09:30:00 +0000",
		"Message-Id":   "<ntf_abc123@kassa>",
		"Mime-Version": "1.0",
		"Content-Type": "text/plain; charset=utf-8",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := r.subject(t); got != m.Subject {
		t.Errorf("Subject = %q, want %q", got, m.Subject)
	}
	if r.body != m.Body {
		t.Errorf("body = %q, want %q", r.body, m.Body)
	}
}

func TestSMTPSenderTLS(t *testing.T) {
	for _, tc := range []struct {
		name   string
		option smtptest.Option
		scheme string
	}{
		{"STARTTLS", smtptest.STARTTLS(), "smtp"},
		{"ImplicitTLS", smtptest.ImplicitTLS(), "smtps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.Start(t, tc.option)
			s, err := notify.NewSMTPSender(tc.scheme + "://kassa:s3cret@" + srv.Addr() + "?from=kassa@example.com")
			if err != nil {
				t.Fatal(err)
			}
			s.TLSConfig = &tls.Config{RootCAs: srv.RootCAs()}
			if err := s.Send(t.Context(), notify.Message{ID: "ntf_1", To: "asa@nordvik.example", Subject: "Hej", Body: "Hej!\n"}); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 || !msgs[0].TLS || msgs[0].User != "kassa" || msgs[0].Password != "s3cret" {
				t.Fatalf("server has %+v, want one message over TLS from kassa:s3cret", msgs)
			}
		})
	}
	t.Run("UntrustedCertificateIsRefused", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.STARTTLS())
		s, err := notify.NewSMTPSender("smtp://" + srv.Addr() + "?from=kassa@example.com")
		if err != nil {
			t.Fatal(err)
		}
		err = s.Send(t.Context(), notify.Message{ID: "ntf_1", To: "asa@nordvik.example", Subject: "Hej", Body: "Hej!\n"})
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("Send with an untrusted certificate = %v, want a certificate error", err)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("server has %d messages, want none", n)
		}
	})
}

func TestSMTPSenderHeaderInjection(t *testing.T) {
	srv := smtptest.Start(t)
	s := newSender(t, srv, "smtp", nil)
	t.Run("SubjectStaysOneLine", func(t *testing.T) {
		m := notify.Message{ID: "ntf_1>\r\nBcc: <x", To: "asa@nordvik.example",
			Subject: "Hej\r\nBcc: eve@example.com\r\n\r\nInjected body", Body: "Body\n"}
		if err := s.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
		msgs := srv.Messages()
		r := read(t, msgs[len(msgs)-1])
		if got := r.header.Get("Bcc"); got != "" {
			t.Errorf("Bcc = %q, want no such header", got)
		}
		if got := r.subject(t); got != "Hej Bcc: eve@example.com Injected body" {
			t.Errorf("Subject = %q, want the line breaks made spaces", got)
		}
		if got := r.header.Get("Message-Id"); got != "<ntf_1Bccx@kassa>" {
			t.Errorf("Message-ID = %q, want only the ID's safe characters", got)
		}
		if r.body != "Body\n" {
			t.Errorf("body = %q, want %q", r.body, "Body\n")
		}
	})
	for _, to := range []string{
		"asa@nordvik.example\r\nBcc: eve@example.com",
		"asa@nordvik.example\nBcc: eve@example.com",
		"asa@nordvik.example, eve@example.com",
		"not an address",
	} {
		t.Run("RecipientRefused", func(t *testing.T) {
			before := len(srv.Messages())
			err := s.Send(t.Context(), notify.Message{ID: "ntf_2", To: to, Subject: "Hej", Body: "Hej!\n"})
			if kassa.ErrorCode(err) != kassa.Invalid {
				t.Errorf("Send(To %q) = %v, want an Invalid error", to, err)
			}
			if after := len(srv.Messages()); after != before {
				t.Errorf("Send(To %q) delivered a message, want none", to)
			}
		})
	}
}

func TestSMTPSenderLongSubject(t *testing.T) {
	srv := smtptest.Start(t)
	s := newSender(t, srv, "smtp", nil)
	subject := strings.Repeat("Ö", 199)
	if err := s.Send(t.Context(), notify.Message{ID: "ntf_1", To: "asa@nordvik.example", Subject: subject, Body: "x\n"}); err != nil {
		t.Fatal(err)
	}
	r := read(t, srv.Messages()[0]) // checks the line lengths
	if got := r.subject(t); got != subject {
		t.Errorf("Subject = %q, want %q", got, subject)
	}
}

func TestSMTPSenderFailures(t *testing.T) {
	m := notify.Message{ID: "ntf_1", To: "asa@nordvik.example", Subject: "Hej", Body: "Hej!\n"}
	t.Run("ServerBusy", func(t *testing.T) {
		srv := smtptest.Start(t)
		srv.FailNext(1)
		err := newSender(t, srv, "smtp", nil).Send(t.Context(), m)
		if err == nil || !strings.Contains(err.Error(), "451") || !strings.Contains(err.Error(), "try again later") {
			t.Errorf("Send to a busy server = %v, want the 451 reply", err)
		}
	})
	t.Run("NoServer", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		s, err := notify.NewSMTPSender("smtp://" + addr + "?from=kassa@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(t.Context(), m); err == nil || !strings.Contains(err.Error(), addr) {
			t.Errorf("Send with no server = %v, want an error naming %s", err, addr)
		}
	})
	// A server that accepts and never says a word must not hold a delivery
	// longer than the timeout, or than the caller's context.
	t.Run("HungServerTimesOut", func(t *testing.T) {
		s, err := notify.NewSMTPSender("smtp://" + hungServer(t) + "?from=kassa@example.com")
		if err != nil {
			t.Fatal(err)
		}
		s.Timeout = 200 * time.Millisecond
		err = sendWithin(t, s, t.Context(), m)
		if !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Send to a hung server = %v, want its timeout", err)
		}
	})
	t.Run("HungServerCanceled", func(t *testing.T) {
		addr, accepted := hungServerAccepting(t)
		s, err := notify.NewSMTPSender("smtp://" + addr + "?from=kassa@example.com")
		if err != nil {
			t.Fatal(err)
		}
		s.Timeout = time.Hour
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			<-accepted // connected, waiting for a greeting that never comes
			cancel()
		}()
		if err := sendWithin(t, s, ctx, m); err == nil || ctx.Err() == nil {
			t.Errorf("Send canceled while it waits = %v, want an error for the canceled context", err)
		}
	})
}

// sendWithin sends m and returns its error; a Send that has not returned
// after a minute hangs, and fails the test.
func sendWithin(t *testing.T, s *notify.SMTPSender, ctx context.Context, m notify.Message) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- s.Send(ctx, m) }()
	select {
	case err := <-errc:
		return err
	case <-time.After(time.Minute):
		t.Fatal("Send hangs")
		return nil
	}
}

// hungServer listens on loopback, accepts connections and never answers.
func hungServer(t *testing.T) string {
	addr, _ := hungServerAccepting(t)
	return addr
}

// hungServerAccepting is hungServer, telling on accepted of each connection
// it accepts (a receive that nobody makes is dropped).
func hungServerAccepting(t *testing.T) (string, <-chan struct{}) {
	accepted := make(chan struct{}, 16)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
			close(done)
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String(), accepted
}

func TestNewSMTPSender(t *testing.T) {
	for _, tc := range []struct {
		url, want string
	}{
		{"smtp://kassa:s3cret@mail.example.com?from=kassa@example.com", "smtp://kassa@mail.example.com:587"},
		{"smtps://kassa:s3cret@mail.example.com?from=kassa@example.com", "smtps://kassa@mail.example.com:465"},
		{"smtp://127.0.0.1:2525?from=kassa@example.com&starttls=off", "smtp://127.0.0.1:2525"},
		{"smtp://[::1]:25/?from=Kassa+%3Ckassa@example.com%3E&starttls=on", "smtp://[::1]:25"},
	} {
		s, err := notify.NewSMTPSender(tc.url)
		if err != nil {
			t.Errorf("NewSMTPSender(%q) = %v", tc.url, err)
		} else if got := s.String(); got != tc.want {
			t.Errorf("NewSMTPSender(%q).String() = %q, want %q", tc.url, got, tc.want)
		}
	}
}

func TestNewSMTPSenderErrors(t *testing.T) {
	for _, tc := range []struct {
		name, url, want string
	}{
		{"BadScheme", "http://mail.example.com?from=kassa@example.com", `must start with smtp:// or smtps://, not "http://"`},
		{"NoScheme", "mail.example.com:587", "must start with smtp://"},
		{"MissingFrom", "smtp://kassa:s3cret@mail.example.com", "?from=kassa@example.com"},
		{"BadFrom", "smtp://mail.example.com?from=kassa", `from must be an email address like kassa@example.com, not "kassa"`},
		{"FromWithLineBreak", "smtp://mail.example.com?from=kassa@example.com%0D%0ABcc:%20x@y", "from must be an email address"},
		{"PortOutOfRange", "smtp://mail.example.com:99999?from=kassa@example.com", `port must be a number from 1 to 65535, not "99999"`},
		{"PortZero", "smtp://mail.example.com:0?from=kassa@example.com", `port must be a number from 1 to 65535, not "0"`},
		{"PortNotANumber", "smtp://kassa:s3cret@mail.example.com:smtp?from=kassa@example.com", "port"},
		{"NoHost", "smtp://?from=kassa@example.com", "must name the server"},
		{"Path", "smtp://mail.example.com/relay?from=kassa@example.com", `takes no path, not "/relay"`},
		{"UnknownParameter", "smtp://mail.example.com?from=kassa@example.com&startls=off", `unknown parameter "startls"`},
		{"BadStartTLS", "smtp://mail.example.com?from=kassa@example.com&starttls=maybe", `starttls must be on or off, not "maybe"`},
		{"StartTLSOnSMTPS", "smtps://mail.example.com?from=kassa@example.com&starttls=off", "starttls applies to smtp:// only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := notify.NewSMTPSender(tc.url)
			msg := locale.In("en").Error(err)
			if kassa.ErrorCode(err) != kassa.Invalid || !strings.Contains(msg, tc.want) {
				t.Errorf("NewSMTPSender(%q) = %q, want an Invalid error containing %q", tc.url, msg, tc.want)
			}
			if err != nil && (strings.Contains(err.Error(), "s3cret") || strings.Contains(msg, "s3cret")) {
				t.Errorf("NewSMTPSender(%q) = %v (%q), which shows the password", tc.url, err, msg)
			}
		})
	}
}

func TestLogSender(t *testing.T) {
	var buf bytes.Buffer
	s := notify.LogSender{Log: slog.New(slog.NewJSONHandler(&buf, nil))}
	m := notify.Message{ID: "ntf_1", To: "asa@nordvik.example", Subject: "Du köpte Kassa Möten", Body: "Du köpte 5 licenser.\n"}
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("log = %q: %v", buf.String(), err)
	}
	want := map[string]any{"level": "INFO", "id": m.ID, "to": m.To, "subject": m.Subject, "body": m.Body}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("log[%s] = %v, want %v (log %s)", k, got[k], v, buf.String())
		}
	}
}
