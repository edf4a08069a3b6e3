package billing

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/telemetry"
)

// maxRun bounds one RunDue, so that a bug cannot loop it forever.
const maxRun = 1_000_000

// The billing clock takes its work in batches, and runs the pieces of a
// batch on this many workers when no test clock has to stand at each.
const (
	dueBatch   = 1000
	dueWorkers = 64
)

// RunDue runs, in time order, the billing work falling due up to until:
// renewals, retries of failed renewals, conversion or expiry of trials,
// cancellations at the end of a term, and expiry of suspended subscriptions.
// Before each piece it calls advance (when set) with the time the piece fell
// due, so that a test clock can stand at that moment; without advance the
// pieces of a batch run at once, on several workers, as sqldb.DueWork
// allows. It returns how many pieces it ran; it stops at the first charge
// whose outcome is unknown.
func (s *Service) RunDue(ctx context.Context, until time.Time, advance func(time.Time) error) (int, error) {
	start := time.Now()
	ctx, span := telemetry.Tracer().Start(ctx, "billing.run")
	defer span.End()
	due := 0
	n, err := s.runDue(ctx, until, advance, &due)
	if err == nil {
		err = s.Reclaim(ctx, until, false)
	}
	failed := 0
	if err != nil {
		failed = 1 // the piece the run stopped at, to run again
		span.SetStatus(codes.Error, err.Error())
	}
	span.SetAttributes(attribute.Int("kassa.billing.due", due), attribute.Int("kassa.billing.done", n))
	s.metrics.BillingRun(due, n, failed, err, time.Since(start))
	return n, err
}

// reclaimEvery is how often the billing clock runs the reclaim policies,
// by its time: they count in days.
const reclaimEvery = time.Hour

// Reclaim runs the tenants' reclaim policies as of at (SPEC §12): warnings
// 7 days before, then idle licenses taken back. The billing clock runs it
// after its renewals, up to the time it ran them to, at most once an hour
// by that time unless force is set (the bench). It logs what it did.
func (s *Service) Reclaim(ctx context.Context, at time.Time, force bool) error {
	s.reclaimMu.Lock()
	defer s.reclaimMu.Unlock()
	if !force && !s.reclaimed.IsZero() && at.Sub(s.reclaimed) < reclaimEvery && !at.Before(s.reclaimed) {
		return nil
	}
	warned, reclaimed, err := s.db.ReclaimIdle(ctx, at)
	if err != nil {
		return fmt.Errorf("reclaim idle licenses: %w", err)
	}
	s.reclaimed = at
	if warned+reclaimed > 0 {
		s.log.Info("reclaim policies ran", "warned", warned, "reclaimed", reclaimed)
	}
	return nil
}

// runDue is RunDue's work; due counts the pieces found due.
func (s *Service) runDue(ctx context.Context, until time.Time, advance func(time.Time) error, due *int) (int, error) {
	n := 0
	for n < maxRun {
		batch, err := s.db.DueWork(ctx, until, dueBatch)
		if err != nil || len(batch) == 0 {
			return n, err
		}
		*due += len(batch)
		if advance != nil {
			for _, d := range batch {
				// Work that fell due before the clock's time — a purchase
				// the reconciler finished late — runs now: clocks do not
				// go back.
				if d.At.After(s.clock.Now()) {
					if err := advance(d.At); err != nil {
						return n, err
					}
				}
				if err := s.runPiece(ctx, d); err != nil {
					return n, fmt.Errorf("%s of %s: %w", d.Kind, d.Subscription.ID, err)
				}
				n++
			}
			continue
		}
		done, err := s.runAll(ctx, batch)
		n += done
		if err != nil {
			return n, err
		}
	}
	return maxRun, fmt.Errorf("billing run stopped after %d pieces of work", maxRun)
}

// runAll runs the pieces on dueWorkers workers and returns how many it ran
// and the first error. The pieces of one billing profile run one after the
// other, in time order: they share its balance. The workers take the batch
// in parts of whole billing profiles (partsOf), so that the renewals of
// profiles with a few each still share their writes.
func (s *Service) runAll(ctx context.Context, due []*sqldb.Due) (int, error) {
	parts := partsOf(due)
	var (
		next, done atomic.Int64
		failed     atomic.Bool
		firstErr   error
		once       sync.Once
		wg         sync.WaitGroup
	)
	for range min(dueWorkers, len(parts)) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(parts)) && !failed.Load(); i = next.Add(1) - 1 {
				n, err := s.runPart(ctx, parts[i])
				done.Add(int64(n))
				if err != nil {
					once.Do(func() { firstErr = err })
					failed.Store(true) // the others finish the part they hold
					return
				}
			}
		})
	}
	wg.Wait()
	return int(done.Load()), firstErr
}

// partsOf splits a batch into parts of whole billing profiles, each but the
// last holding at least renewTogether pieces, and each keeping the batch's
// order. A part is renewed together (runPart); no profile is in two parts.
func partsOf(due []*sqldb.Due) [][]*sqldb.Due {
	pieces := map[string]int{} // by billing profile
	for _, d := range due {
		pieces[d.Subscription.BillingProfileID]++
	}
	partOf := map[string]int{}
	size := []int{0}
	for _, d := range due {
		profile := d.Subscription.BillingProfileID
		if _, ok := partOf[profile]; ok {
			continue
		}
		if size[len(size)-1] >= renewTogether {
			size = append(size, 0)
		}
		partOf[profile] = len(size) - 1
		size[len(size)-1] += pieces[profile]
	}
	parts := make([][]*sqldb.Due, len(size))
	for _, d := range due {
		i := partOf[d.Subscription.BillingProfileID]
		parts[i] = append(parts[i], d)
	}
	return parts
}

// runPiece runs one piece of work that fell due.
func (s *Service) runPiece(ctx context.Context, d *sqldb.Due) error {
	sub := d.Subscription
	switch {
	case d.Kind == sqldb.DueExpiry:
		return s.db.EndSubscription(ctx, sub.ID, kassa.StatusExpired)
	case d.Kind == sqldb.DueRetry:
		inv, err := s.db.FindOpenRenewal(ctx, sub)
		if err != nil {
			return err
		}
		// One payer at a time: the purchaser may be paying it themselves.
		if _, err := s.db.ClaimInvoice(ctx, inv.ID, claimRetry, ""); kassa.ErrorCode(err) == kassa.Conflict {
			return nil
		} else if err != nil {
			return err
		}
		if err := s.chargeRenewal(ctx, d, inv, sub.AnchorAt); err != nil {
			return err // still claimed: the reconciler releases it
		}
		return s.db.ReleaseInvoice(ctx, inv.ID)
	case sub.CancelAtTermEnd || !sub.AutoRenew:
		return s.db.EndSubscription(ctx, sub.ID, kassa.StatusCanceled)
	case sub.Status == kassa.StatusTrialing && d.CardRef == "":
		return s.db.EndSubscription(ctx, sub.ID, kassa.StatusExpired)
	}
	inv, anchor, err := renewalInvoice(d)
	if err != nil {
		return err
	}
	// The balance is read outside the transaction that takes it; when a
	// purchase or another renewal took some meanwhile, read it again.
	for attempt := 1; ; attempt++ {
		balance, err := s.db.ProfileBalance(ctx, sub.BillingProfileID)
		if err != nil {
			return err
		}
		inv.ApplyBalance(balance)
		err = s.db.OpenRenewal(ctx, sub, inv)
		if err == nil {
			break
		} else if kassa.ErrorCode(err) != kassa.Conflict || attempt == maxBalanceReads {
			return err
		}
	}
	return s.chargeRenewal(ctx, d, inv, anchor)
}

// renews reports whether the piece of work invoices and charges a next
// term (as the last case of runPiece).
func renews(d *sqldb.Due) bool {
	sub := d.Subscription
	return d.Kind == sqldb.DueTermEnd && !sub.CancelAtTermEnd && sub.AutoRenew &&
		(sub.Status != kassa.StatusTrialing || d.CardRef != "")
}

// renewalInvoice returns the invoice of the term that follows the one
// ending, and what the subscription's terms count from: a trial's first
// paid term starts when the trial ends, and its day of month anchors the
// terms after.
func renewalInvoice(d *sqldb.Due) (*kassa.Invoice, time.Time, error) {
	sub := d.Subscription
	anchor := sub.AnchorAt
	if sub.Status == kassa.StatusTrialing {
		anchor = sub.ExpiresAt
	}
	end := kassa.NextTermEnd(anchor, sub.ExpiresAt, sub.Term)
	// The next term costs what the catalog asks now: a price change
	// applies to terms that start after it.
	unit := d.NextUnitPrice
	if unit.Currency == "" {
		unit = sub.UnitPrice
	}
	line := kassa.InvoiceLine{
		Description: lineDescription(sub.ProductName.In(d.TenantLocale), sub.Term, d.TenantLocale),
		Quantity:    sub.Quantity, UnitPrice: unit, PeriodStart: sub.ExpiresAt, PeriodEnd: end,
		Amount: kassa.Money{Amount: unit.Amount * int64(sub.Quantity), Currency: unit.Currency},
	}
	inv := &kassa.Invoice{Language: d.TenantLocale, PeriodStart: sub.ExpiresAt, PeriodEnd: end, Lines: []kassa.InvoiceLine{line}}
	if err := inv.Sum(unit.Currency, kassa.VATRate(d.TenantCountry)); err != nil {
		return nil, anchor, err
	}
	return inv, anchor, nil
}

// maxBalanceReads bounds how often a change priced with a billing
// profile's balance (a renewal, a purchase, more licenses) reads it again
// because others used it meanwhile. Each new read follows another change
// that used the balance, so the bound is only met by as many changes at
// once on one profile.
const maxBalanceReads = 20

// chargeRenewal charges an open renewal invoice, one attempt per
// idempotency key, and moves the subscription on (its terms counted from
// anchor) or into dunning.
func (s *Service) chargeRenewal(ctx context.Context, d *sqldb.Due, inv *kassa.Invoice, anchor time.Time) error {
	sub := d.Subscription
	if inv.Status == kassa.InvoicePaid {
		return s.db.RenewalPaid(ctx, sub, inv, inv.ChargeRef, anchor, inv.PeriodEnd)
	}
	ref, err := s.chargeInvoice(ctx, d, inv)
	if kassa.DeclineReason(err) != "" {
		return s.renewalFailed(ctx, d, inv, anchor, err)
	} else if err != nil {
		return err // unknown: the next run tries again with the same key
	}
	return s.db.RenewalPaid(ctx, sub, inv, ref, anchor, inv.PeriodEnd)
}

// chargeInvoice charges what is due on an open renewal invoice, one
// attempt per idempotency key, and returns the charge's reference ("" when
// nothing was due); a declined charge's error has a DeclineReason.
func (s *Service) chargeInvoice(ctx context.Context, d *sqldb.Due, inv *kassa.Invoice) (string, error) {
	attempt := d.FailedAttempts + 1
	ref := ""
	var err error
	if inv.AmountDue().Amount > 0 {
		if d.CardRef == "" {
			err = kassa.Declined("no_payment_method")
		} else {
			var p kassa.Payment
			p, err = s.gw.Charge(ctx, kassa.ChargeRequest{
				CustomerRef: d.CustomerRef, CardRef: d.CardRef, Amount: inv.AmountDue(),
				Description:    "kassa invoice " + inv.Number,
				IdempotencyKey: fmt.Sprintf("kassa-%s-%d", inv.ID, attempt),
			})
			ref = p.Ref
		}
	}
	return ref, err
}

// renewalFailed records a declined renewal charge: a retry later, or, after
// the last, suspension.
func (s *Service) renewalFailed(ctx context.Context, d *sqldb.Due, inv *kassa.Invoice, anchor time.Time, err error) error {
	sub, attempt := d.Subscription, d.FailedAttempts+1
	var next *time.Time
	if attempt <= len(kassa.RetryDelays) {
		t := sub.ExpiresAt.Add(kassa.RetryDelays[attempt-1])
		next = &t
	}
	s.log.Info("renewal charge failed", "subscription", sub.ID, "invoice", inv.Number, "attempt", attempt,
		"reason", kassa.DeclineReason(err))
	if err := s.db.RenewalFailed(ctx, sub, attempt, next, anchor); err != nil {
		return err
	}
	if kassa.DeclineReason(err) == kassa.DeclineAuthenticationRequired {
		// The bank wants the purchaser: they are asked to pay it themselves.
		return s.db.MarkActionRequired(ctx, inv.ID)
	}
	return nil
}
