package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/kassa-billing/kassa"
)

// staleClaim is how long a request may hold its Idempotency-Key before a
// retry may presume it dead and run again (the purchase behind it is
// idempotent by the same key, so running again finishes it, never repeats).
const staleClaim = 2 * time.Minute

type requestKeyKey struct{}

// requestKey returns the key under which a request's effects are recorded
// (the user and their Idempotency-Key), or "" when it has none.
func requestKey(ctx context.Context) string {
	k, _ := ctx.Value(requestKeyKey{}).(string)
	return k
}

// idempotent makes a POST that creates or moves money safe to retry: with
// an Idempotency-Key, the same key and body replay the first answer; the
// same key with another body is a Conflict.
func (s *Server) idempotent(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			return h(w, r)
		}
		if len(key) > 255 {
			return kassa.InvalidE("Idempotency-Key", "error.idempotency.key_too_long", "Max", 255)
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return kassa.E(kassa.BadRequest, "error.body.too_large", "Max", MaxBodyBytes)
		} else if err != nil {
			return kassa.E(kassa.BadRequest, "error.body.unreadable")
		}
		sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
		stored, err := s.db.ClaimIdempotencyKey(r.Context(), key, hex.EncodeToString(sum[:]), staleClaim)
		if err != nil {
			return err
		}
		if stored != nil {
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(stored.Status)
			_, _ = w.Write(stored.Body)
			return nil
		}

		r.Body = io.NopCloser(bytes.NewReader(body))
		ctx := context.WithValue(r.Context(), requestKeyKey{}, kassa.ActorFromContext(r.Context()).User.ID+":"+key)
		rec := &recorder{header: w.Header()}
		if err := h(rec, r.WithContext(ctx)); err != nil {
			s.writeError(rec, r, err)
		}
		// Keep what a retry should see again; let a retry of a server
		// error or an unknown outcome run again.
		if rec.status >= 500 {
			err = s.db.ReleaseIdempotencyKey(r.Context(), key)
		} else {
			err = s.db.FinishIdempotencyKey(r.Context(), key, rec.status, rec.body.Bytes())
		}
		if err != nil {
			s.log.ErrorContext(r.Context(), "record idempotency key", "err", err)
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
		return nil
	}
}

// recorder keeps a handler's answer so it can be stored before it is sent.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
