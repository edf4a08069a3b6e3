package billing

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// renewTogether bounds how many renewals share their two writes.
const renewTogether = 50

// runPart runs a part of a batch (partsOf) and returns how many pieces it
// ran. The terms it renews are renewed together (renewAll), up to
// renewTogether at a time, in the batch's order; the other pieces —
// retries, expiries, cancellations — touch no balance and run one at a
// time first.
func (s *Service) runPart(ctx context.Context, due []*sqldb.Due) (int, error) {
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

// renewAll renews the terms ending of subscriptions, in the order given:
// their invoices issued in one write (each billing profile's credit going
// to its invoices in that order), charged one by one, and those paid
// recorded in one write.
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
	var profiles []string
	for _, sub := range subs {
		if !slices.Contains(profiles, sub.BillingProfileID) {
			profiles = append(profiles, sub.BillingProfileID)
		}
	}
	balances, err := s.db.ProfileBalances(ctx, profiles)
	if err != nil {
		return 0, err
	}
	for i, inv := range invs {
		balance, ok := balances[subs[i].BillingProfileID]
		if !ok {
			return 0, fmt.Errorf("renew %s: no billing profile %s", subs[i].ID, subs[i].BillingProfileID)
		}
		inv.ApplyBalance(balance)
		balance.Amount -= inv.BalanceApplied.Amount
		balances[subs[i].BillingProfileID] = balance
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
