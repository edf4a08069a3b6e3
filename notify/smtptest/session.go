package smtptest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
)

// maxData bounds one message, so that a runaway client cannot exhaust the
// test's memory.
const maxData = 10 << 20

// session is one connection's conversation.
type session struct {
	srv  *Server
	conn net.Conn
	r    *bufio.Reader
	tls  bool
	user string
	pass string
	from string
	to   []string
	mail bool // MAIL FROM was given
}

// converse answers the client on c until it quits or the connection ends.
func (s *Server) converse(c net.Conn) {
	ss := &session{srv: s, conn: c}
	if s.implicit {
		tc := tls.Server(c, s.tls)
		if err := tc.Handshake(); err != nil {
			return
		}
		ss.conn, ss.tls = tc, true
	}
	ss.r = bufio.NewReader(ss.conn)
	if !ss.reply("220 smtptest ESMTP ready") {
		return
	}
	for {
		line, err := ss.readLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		if !ss.command(strings.ToUpper(verb), strings.TrimSpace(arg)) {
			return
		}
	}
}

// command answers one command and reports whether the conversation goes on.
func (ss *session) command(verb, arg string) bool {
	switch verb {
	case "EHLO":
		ss.reset()
		lines := []string{"250-smtptest greets " + arg}
		if ss.srv.tls != nil && !ss.tls {
			lines = append(lines, "250-STARTTLS")
		}
		lines = append(lines, "250-AUTH PLAIN", "250 8BITMIME")
		return ss.reply(strings.Join(lines, "\r\n"))
	case "HELO":
		ss.reset()
		return ss.reply("250 smtptest")
	case "STARTTLS":
		return ss.startTLS()
	case "AUTH":
		return ss.auth(arg)
	case "MAIL":
		addr, ok := path(arg, "FROM:")
		if !ok {
			return ss.reply("501 5.5.4 Syntax: MAIL FROM:<address>")
		}
		ss.reset()
		ss.from, ss.mail = addr, true
		return ss.reply("250 2.1.0 Ok")
	case "RCPT":
		addr, ok := path(arg, "TO:")
		switch {
		case !ss.mail:
			return ss.reply("503 5.5.1 MAIL first")
		case !ok || addr == "":
			return ss.reply("501 5.5.4 Syntax: RCPT TO:<address>")
		}
		ss.to = append(ss.to, addr)
		return ss.reply("250 2.1.5 Ok")
	case "DATA":
		if len(ss.to) == 0 {
			return ss.reply("503 5.5.1 RCPT first")
		}
		if ss.srv.takeFailure() {
			ss.reset()
			return ss.reply("451 4.3.0 try again later")
		}
		return ss.data()
	case "RSET":
		ss.reset()
		return ss.reply("250 2.0.0 Ok")
	case "NOOP":
		return ss.reply("250 2.0.0 Ok")
	case "QUIT":
		ss.reply("221 2.0.0 Bye")
		return false
	}
	return ss.reply("502 5.5.2 Command not recognized")
}

// data reads a message up to the line holding a single dot, undoing the
// dot-stuffing of lines that start with a dot.
func (ss *session) data() bool {
	if !ss.reply("354 End data with <CR><LF>.<CR><LF>") {
		return false
	}
	var buf bytes.Buffer
	for {
		line, err := ss.r.ReadString('\n')
		if err != nil {
			return false
		}
		if line == ".\r\n" {
			break
		}
		if buf.Len()+len(line) > maxData {
			return false
		}
		buf.WriteString(strings.TrimPrefix(line, "."))
	}
	ss.srv.accept(Message{From: ss.from, To: ss.to, Data: buf.Bytes(), User: ss.user, Password: ss.pass, TLS: ss.tls})
	ss.reset()
	return ss.reply("250 2.0.0 Ok: queued")
}

func (ss *session) startTLS() bool {
	if ss.srv.tls == nil || ss.tls {
		return ss.reply("502 5.5.1 STARTTLS not available")
	}
	if !ss.reply("220 2.0.0 Ready to start TLS") {
		return false
	}
	tc := tls.Server(ss.conn, ss.srv.tls)
	if err := tc.Handshake(); err != nil {
		return false
	}
	// What was said before TLS is forgotten (RFC 3207).
	ss.conn, ss.r, ss.tls = tc, bufio.NewReader(tc), true
	ss.reset()
	ss.user, ss.pass = "", ""
	return true
}

// auth takes AUTH PLAIN with any credentials and remembers them.
func (ss *session) auth(arg string) bool {
	mech, resp, _ := strings.Cut(arg, " ")
	if !strings.EqualFold(mech, "PLAIN") {
		return ss.reply("504 5.5.4 Only PLAIN")
	}
	if resp == "" {
		if !ss.reply("334 ") {
			return false
		}
		line, err := ss.readLine()
		if err != nil {
			return false
		}
		resp = line
	}
	raw, err := base64.StdEncoding.DecodeString(resp)
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != 3 {
		return ss.reply("501 5.5.2 Malformed PLAIN response")
	}
	ss.user, ss.pass = parts[1], parts[2]
	return ss.reply("235 2.7.0 Authentication successful")
}

func (ss *session) reset() { ss.from, ss.to, ss.mail = "", nil, false }

func (ss *session) readLine() (string, error) {
	line, err := ss.r.ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}

// reply writes one reply (its lines separated by CRLF) and reports whether
// the client can still be written to.
func (ss *session) reply(s string) bool {
	_, err := fmt.Fprintf(ss.conn, "%s\r\n", s)
	return err == nil
}

// path returns the address of "FROM:<a@b> SIZE=1" after prefix, which is
// matched without regard to case.
func path(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if strings.HasPrefix(rest, "<") {
		addr, _, ok := strings.Cut(rest[1:], ">")
		return addr, ok
	}
	addr, _, _ := strings.Cut(rest, " ")
	return addr, true
}
