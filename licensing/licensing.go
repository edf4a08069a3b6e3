// Package licensing assigns and unassigns the licenses of subscriptions,
// never more than were bought: the count and the seats change together in
// one transaction, and a conditional update in the database decides whether
// a batch fits, whatever else runs at once.
//
// # All or nothing
//
// An assign request names 1 to 20 users (kassa.MaxAssignBatch), an unassign
// request up to 200; all of them get (or lose) a license, or none does. Only
// the subscription's manager may ask: its purchaser, or an admin after a
// take-over.
//
// # Refusals, per user
//
// Guests, disabled users, users of other tenants or unknown ids, and users
// who hold a license already (for an unassign: who hold none) refuse the
// whole batch with an Invalid error that names each of them and why: its
// kassa.Error.Refused lists a kassa.Refused per user, with a kassa.Refusal
// reason rather than a sentence, so that the pages can say it in the
// reader's language. A batch that does not fit the free licenses is a
// Conflict saying how many are free.
//
// # The conditional update
//
// sqldb.DB.Assign raises the count in one statement,
//
//	UPDATE subscriptions SET assigned = assigned + n
//	WHERE … AND assigned + n <= quantity
//
// and inserts the seats in the same transaction; when the update changes no
// row nothing is assigned. The same statement checks again that the
// subscription is live and that the actor manages it, so a take-over that
// commits meanwhile wins. A CHECK constraint on subscriptions (assigned <=
// quantity) is the backstop. So no concurrency — goroutines, or several
// processes on one PostgreSQL database — can assign more than was bought.
// Ending a subscription releases its licenses.
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
func (s *Service) Assign(ctx context.Context, subID string, userIDs []string) ([]kassa.License, error) {
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
func (s *Service) Unassign(ctx context.Context, subID string, userIDs []string) ([]kassa.License, error) {
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
		return kassa.E(kassa.Unauthorized, "error.session.sign_in")
	}
	sub, err := s.db.FindSubscriptionByID(ctx, subID)
	if err != nil {
		return err
	}
	return sub.CheckManager(a)
}
