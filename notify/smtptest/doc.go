// Package smtptest runs a small, real SMTP server on 127.0.0.1 for tests. It
// speaks enough ESMTP for net/smtp (EHLO, HELO, MAIL, RCPT, DATA, RSET, NOOP,
// QUIT, and on request STARTTLS, TLS from the start and AUTH PLAIN), keeps
// every message it accepts, and can be told to turn away the next DATA
// commands as a busy server does. It relays nothing.
package smtptest
