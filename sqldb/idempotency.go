package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kassa-billing/kassa"
)

// StoredResponse is the first answer to a request with an Idempotency-Key.
type StoredResponse struct {
	Status int
	Body   []byte
}

// ClaimIdempotencyKey claims the actor's key for a request with the given
// hash. It returns nil when the request should run, the stored answer when
// the same request ran before, and a Conflict when the key was used for
// another request or its first request is still running. A claim older than
// stale is taken over: its request is presumed dead.
func (db *DB) ClaimIdempotencyKey(ctx context.Context, key, hash string, stale time.Duration) (*StoredResponse, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	var stored *StoredResponse
	err = db.write(ctx, func(tx *Tx) error {
		var prevHash, body string
		var status int
		var created time.Time
		err := tx.QueryRowContext(ctx, `
			SELECT request_hash, status, body, created_at FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
			a.User.ID, key).Scan(&prevHash, &status, &body, &created)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err := tx.ExecContext(ctx, `
				INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4)`,
				a.User.ID, key, hash, tx.now)
			if isUnique(err) {
				return inProgress()
			}
			return err
		case err != nil:
			return fmt.Errorf("find idempotency key: %w", err)
		case prevHash != hash:
			return kassa.E(kassa.Conflict, "error.idempotency.reused")
		case status != 0:
			stored = &StoredResponse{Status: status, Body: []byte(body)}
			return nil
		case tx.now.Sub(created.UTC()) < stale:
			return inProgress()
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE idempotency_keys SET created_at = $3 WHERE user_id = $1 AND key = $2 AND status = 0 AND created_at = $4`,
			a.User.ID, key, tx.now, created)
		if err != nil {
			return fmt.Errorf("take over idempotency key: %w", err)
		}
		return mustAffect(res, inProgress())
	})
	return stored, err
}

func inProgress() error {
	return kassa.E(kassa.Conflict, "error.idempotency.in_progress")
}

// FinishIdempotencyKey stores the answer to the actor's request with key.
func (db *DB) FinishIdempotencyKey(ctx context.Context, key string, status int, body []byte) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return db.exec(ctx, "finish idempotency key", `
		UPDATE idempotency_keys SET status = $3, body = $4 WHERE user_id = $1 AND key = $2`,
		a.User.ID, key, status, string(body))
}

// ReleaseIdempotencyKey forgets a claim whose request ended without an
// answer worth keeping (a server error), so that a retry runs again.
func (db *DB) ReleaseIdempotencyKey(ctx context.Context, key string) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return db.exec(ctx, "release idempotency key", `
		DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND status = 0`, a.User.ID, key)
}
