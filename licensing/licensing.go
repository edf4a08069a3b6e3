// Package licensing assigns and unassigns the licenses of subscriptions,
// never more than were bought: the count and the seats change together in
// one transaction, and a conditional update in the database decides whether
// a batch fits, whatever else runs at once.
package licensing

import (
	"context"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// Service assigns licenses.
type Service struct {
	db *sqldb.DB
}

// New returns licensing on db.
func New(db *sqldb.DB) *Service { return &Service{db: db} }

// maxUnassignBatch bounds one unassign request.
const maxUnassignBatch = 200

// Assign gives each of 1 to 20 users a license of the subscription, all or
// none. Only its manager may (the purchaser; an admin after a take-over).
// Errors: NotFound, Forbidden, Invalid naming each user refused, Conflict
// saying how many licenses are free.
func (s *Service) Assign(ctx context.Context, subID string, userIDs []string) ([]sqldb.Assignment, error) {
	if err := s.checkManager(ctx, subID); err != nil {
		return nil, err
	}
	if err := kassa.ValidateUserIDs(userIDs, kassa.MaxAssignBatch); err != nil {
		return nil, err
	}
	return s.db.Assign(ctx, subID, userIDs)
}

// Unassign takes the licenses of the users back, all or none. Errors as
// Assign.
func (s *Service) Unassign(ctx context.Context, subID string, userIDs []string) ([]sqldb.Assignment, error) {
	if err := s.checkManager(ctx, subID); err != nil {
		return nil, err
	}
	if err := kassa.ValidateUserIDs(userIDs, maxUnassignBatch); err != nil {
		return nil, err
	}
	return s.db.Unassign(ctx, subID, userIDs)
}

func (s *Service) checkManager(ctx context.Context, subID string) error {
	a := kassa.ActorFromContext(ctx)
	if a == nil {
		return kassa.Errorf(kassa.Unauthorized, "Sign in first.")
	}
	sub, err := s.db.FindSubscriptionByID(ctx, subID)
	if err != nil {
		return err
	}
	return sub.CheckManager(a)
}
