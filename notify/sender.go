package notify

import (
	"context"
	"log/slog"
)

// Sender delivers messages. An error means the message may not have been
// delivered, and the Worker tries again later: a sender reports failure
// whenever it is unsure, since a message sent twice is better than one lost.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// LogSender writes each message to Log instead of sending it: what kassa does
// when no SMTP server is configured, so that a development setup shows what
// would have gone out. A nil Log is slog's default logger.
type LogSender struct {
	Log *slog.Logger
}

// Send logs m at Info, with its recipient, subject and body as attributes. It
// never fails.
func (s LogSender) Send(ctx context.Context, m Message) error {
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "notification", "id", m.ID, "to", m.To, "subject", m.Subject, "body", m.Body)
	return nil
}
