package billing

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/telemetry"
)

// Service is billing. It is safe for concurrent use.
type Service struct {
	db    *sqldb.DB
	gw    kassa.Gateway
	clock kassa.Clock
	log   *slog.Logger
	// metrics counts the billing runs (nil: not counted).
	metrics *telemetry.Metrics
	// reclaimed is when the billing clock last ran the reclaim policies
	// (ReclaimIdle), by the clock's time.
	reclaimMu sync.Mutex
	reclaimed time.Time
}

// New returns billing on db, moving money through gw.
func New(db *sqldb.DB, gw kassa.Gateway, clock kassa.Clock, log *slog.Logger) *Service {
	return &Service{db: db, gw: gw, clock: clock, log: log}
}

// Observe has s count its billing runs in m. Call it before s is used.
func (s *Service) Observe(m *telemetry.Metrics) { s.metrics = m }

// buyer returns the actor when they may hold payment details: members who
// are active (guests cannot buy, so they keep no cards).
func buyer(ctx context.Context) (*kassa.Actor, error) {
	a := kassa.ActorFromContext(ctx)
	if a == nil {
		return nil, kassa.E(kassa.Unauthorized, "error.session.sign_in")
	}
	if !a.User.CanBuy() {
		return nil, kassa.E(kassa.Forbidden, "error.guest.no_payment_details")
	}
	return a, nil
}
