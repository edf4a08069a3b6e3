package kassa

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"log/slog"
)

// Every request has an id (SPEC §11): taken from X-Request-Id when it is a
// sane token, else made. It is in each log line of the request, in the
// answer's X-Request-Id and in error bodies, so a person can quote it and
// an operator find the lines.

type requestIDKey struct{}

// NewContextWithRequestID returns ctx carrying the request id.
func NewContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFromContext returns the request id ctx carries, or "".
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// ValidRequestID reports whether a request id a client sent may be used:
// 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'.
func ValidRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

var requestIDEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewRequestID makes a request id: 80 random bits, 16 characters.
func NewRequestID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return requestIDEncoding.EncodeToString(b)
}

// LogHandler adds the request id of the record's context, if any, to every
// record as request_id.
type LogHandler struct{ slog.Handler }

// Handle adds the request id and hands the record on.
func (h LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestIDFromContext(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps adding request ids.
func (h LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return LogHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps adding request ids.
func (h LogHandler) WithGroup(name string) slog.Handler { return LogHandler{h.Handler.WithGroup(name)} }
