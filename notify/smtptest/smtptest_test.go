package smtptest_test

import (
	"net/textproto"
	"testing"

	"github.com/kassa-billing/kassa/notify/smtptest"
)

// TestConversation speaks to the server line by line, as a client would.
func TestConversation(t *testing.T) {
	srv := smtptest.Start(t)
	c, err := textproto.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	expect := func(code int, format string, args ...any) {
		t.Helper()
		if format != "" {
			if err := c.PrintfLine(format, args...); err != nil {
				t.Fatal(err)
			}
		}
		if _, msg, err := c.ReadResponse(code); err != nil {
			t.Fatalf("%q: %v (%s)", format, err, msg)
		}
	}
	expect(220, "")
	expect(250, "EHLO client.example")
	expect(250, "NOOP")
	expect(502, "VRFY asa")
	expect(503, "RCPT TO:<asa@nordvik.example>")
	expect(250, "MAIL FROM:<kassa@example.com>")
	expect(503, "DATA")
	expect(250, "RCPT TO:<asa@nordvik.example>")
	expect(250, "RSET")
	expect(503, "DATA")

	srv.FailNext(1)
	expect(250, "MAIL FROM:<kassa@example.com> BODY=8BITMIME")
	expect(250, "rcpt to:<asa@nordvik.example>")
	expect(451, "DATA")
	expect(250, "MAIL FROM:<kassa@example.com>")
	expect(250, "RCPT TO:<asa@nordvik.example>")
	expect(250, "RCPT TO:<erik@nordvik.example>")
	expect(354, "DATA")
	expect(250, "Subject: x\r\n\r\n..leading dot\r\n.")
	expect(221, "QUIT")

	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("Messages() has %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "kassa@example.com" || len(m.To) != 2 || m.To[1] != "erik@nordvik.example" || m.TLS || m.User != "" {
		t.Errorf("message = %+v, want from kassa@example.com to Åsa and Erik, plain, unauthenticated", m)
	}
	if got, want := string(m.Data), "Subject: x\r\n\r\n.leading dot\r\n"; got != want {
		t.Errorf("Data = %q, want %q (dot-unstuffed)", got, want)
	}
}
