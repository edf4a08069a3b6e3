package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// renewTogether bounds how many renewals of one billing profile share their
// two writes.
const renewTogether = 50

// runProfile runs the pieces of work of one billing profile and returns how
// many it ran. The terms it renews are renewed together (renewAll); the
// other pieces — retries, expiries, cancellations — touch no balance and run
// one at a time first.
func (s *Service) runProfile(ctx context.Context, due []*sqldb.Due) (int, error) {
	var renewals, others []*sqldb.Due
	for _, d := range due {
		if renews(d) {
			renewals = append(renewals, d)
		} else {
			others = append(others, d)
		}
	}
	n, err := s.runEach(ctx, others)
	if err != nil {
		return n, err
	}
	for len(renewals) > 0 {
		chunk := renewals[:min(len(renewals), renewTogether)]
		renewals = renewals[len(chunk):]
		done, err := s.renewAll(ctx, chunk)
		n += done
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// renewAll renews the terms ending of subscriptions of one billing profile:
// their invoices issued in one write (the balance's credit going to them
// in time order), charged one by one, and those paid recorded in one write.
// When the invoices cannot be issued together — a term renewed already, the
// balance changed since it was read — each is renewed alone, as runPiece
// does, which settles either.
func (s *Service) renewAll(ctx context.Context, due []*sqldb.Due) (int, error) {
	if len(due) == 1 {
		return s.runEach(ctx, due)
	}
	subs := make([]*kassa.Subscription, len(due))
	invs := make([]*kassa.Invoice, len(due))
	anchors := make([]time.Time, len(due))
	for i, d := range due {
		inv, anchor, err := renewalInvoice(d)
		if err != nil {
			return 0, fmt.Errorf("%s of %s: %w", d.Kind, d.Subscription.ID, err)
		}
		subs[i], invs[i], anchors[i] = d.Subscription, inv, anchor
	}
	balance, err := s.db.ProfileBalance(ctx, subs[0].BillingProfileID)
	if err != nil {
		return 0, err
	}
	for _, inv := range invs {
		inv.ApplyBalance(balance)
		balance.Amount -= inv.BalanceApplied.Amount
	}
	if err := s.db.OpenRenewals(ctx, subs, invs); kassa.ErrorCode(err) == kassa.Conflict {
		return s.runEach(ctx, due)
	} else if err != nil {
		return 0, err
	}

	var (
		paid     []sqldb.PaidRenewal
		n        int
		firstErr error
	)
	for i, d := range due {
		ref, err := s.chargeInvoice(ctx, d, invs[i])
		if kassa.DeclineReason(err) != "" {
			err = s.renewalFailed(ctx, d, invs[i], anchors[i], err)
		} else if err == nil {
			paid = append(paid, sqldb.PaidRenewal{Subscription: d.Subscription, Invoice: invs[i], ChargeRef: ref,
				Anchor: anchors[i], End: invs[i].PeriodEnd})
			continue
		}
		if err != nil {
			// Unknown: the invoices not yet charged stay open, and the
			// next run charges them, each with the key it would have used.
			firstErr = fmt.Errorf("%s of %s: %w", d.Kind, d.Subscription.ID, err)
			break
		}
		n++
	}
	if len(paid) > 0 {
		if err := s.db.RenewalsPaid(ctx, paid); err != nil {
			return n, err
		}
		n += len(paid)
	}
	return n, firstErr
}

// runEach runs the pieces one at a time, in order, and returns how many it
// ran.
func (s *Service) runEach(ctx context.Context, due []*sqldb.Due) (int, error) {
	for i, d := range due {
		if err := s.runPiece(ctx, d); err != nil {
			return i, fmt.Errorf("%s of %s: %w", d.Kind, d.Subscription.ID, err)
		}
	}
	return len(due), nil
}
