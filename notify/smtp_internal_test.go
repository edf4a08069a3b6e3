package notify

import (
	"bytes"
	"mime"
	"net/mail"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa/notify/smtptest"
)

// TestPlainText checks when smtp:// may go without TLS. The test server is on
// loopback, so the refusal for a remote host is checked by making the sender
// believe its host is remote.
func TestPlainText(t *testing.T) {
	for url, want := range map[string]bool{
		"smtp://mail.example.com?from=kassa@example.com":              false,
		"smtp://10.0.0.5?from=kassa@example.com":                      false,
		"smtp://localhost?from=kassa@example.com":                     true,
		"smtp://127.0.0.1?from=kassa@example.com":                     true,
		"smtp://[::1]?from=kassa@example.com":                         true,
		"smtp://mail.example.com?from=kassa@example.com&starttls=off": true,
		"smtps://localhost?from=kassa@example.com":                    false,
	} {
		s, err := NewSMTPSender(url)
		if err != nil {
			t.Fatal(err)
		}
		if s.plainOK != want {
			t.Errorf("NewSMTPSender(%q) sends in plain text: %v, want %v", url, s.plainOK, want)
		}
	}

	srv := smtptest.Start(t) // offers no STARTTLS
	s, err := NewSMTPSender("smtp://" + srv.Addr() + "?from=kassa@example.com")
	if err != nil {
		t.Fatal(err)
	}
	s.plainOK = false // as for mail.example.com
	err = s.Send(t.Context(), Message{ID: "ntf_1", To: "asa@nordvik.example", Subject: "Hej", Body: "Hej!\n"})
	if err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Errorf("Send in plain text to a remote host = %v, want a refusal", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server has %d messages, want none", n)
	}
}

// FuzzCompose checks that no Message, however made, puts a header into the
// mail other than the ones compose writes, or a line longer than SMTP allows.
func FuzzCompose(f *testing.F) {
	f.Add("ntf_1", "asa@nordvik.example", "Hej", "Hej!\n")
	f.Add("ntf_1>\r\nBcc: <x", "asa@nordvik.example\r\nBcc: eve@example.com", "Hej\r\nBcc: eve@example.com", "\r\n.\r\n")
	f.Add("", "Åsa <asa@nordvik.example>", strings.Repeat("Ö=?", 100), strings.Repeat("x", 2000))
	s, err := NewSMTPSender("smtp://127.0.0.1?from=Kassa+%3Ckassa@example.com%3E")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id, to, subject, body string) {
		rcpt, msg, err := s.compose(Message{ID: id, To: to, Subject: subject, Body: body})
		if err != nil {
			return
		}
		if strings.ContainsAny(rcpt.Address, "\r\n") {
			t.Fatalf("compose(To %q) gives the recipient %q", to, rcpt.Address)
		}
		for _, line := range strings.Split(string(msg), "\r\n") {
			if len(line) > 998 || strings.ContainsAny(line, "\r\n") {
				t.Fatalf("compose(%q, %q, %q) has the line %q", id, to, subject, line)
			}
		}
		m, err := mail.ReadMessage(bytes.NewReader(msg))
		if err != nil {
			t.Fatalf("compose(%q, %q, %q) is not a message: %v\n%s", id, to, subject, err, msg)
		}
		allowed := map[string]bool{"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true,
			"Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true}
		for k, v := range m.Header {
			if !allowed[k] || len(v) != 1 {
				t.Fatalf("compose(%q, %q, %q) has the header %s: %q", id, to, subject, k, v)
			}
		}
		if got, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil || got == "" || strings.ContainsAny(got, "\r\n") {
			t.Fatalf("compose(subject %q) has the subject %q (%v)", subject, got, err)
		}
	})
}
