package billing

import (
	"context"
	"errors"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
	"github.com/kassa-billing/kassa/sqldb"
)

// PurchaseRequest is what a user picks when buying.
type PurchaseRequest struct {
	ProductID        string
	Term             kassa.Term
	Quantity         int
	BillingProfileID string
	Trial            bool
}

// Purchase buys a subscription for the actor. A paid one is recorded as
// pending with its invoice, charged with no transaction open, then issued
// and activated; a declined charge voids the invoice and removes the
// subscription. requestKey (the user's Idempotency-Key) makes a retry return
// the first purchase instead of buying again. Errors: Invalid naming the
// field, Forbidden (policy, guests), PaymentFailed naming the reason,
// Unavailable (the charge is under way; retrying with the key finishes it).
func (s *Service) Purchase(ctx context.Context, r PurchaseRequest, requestKey string) (*kassa.Subscription, *kassa.Invoice, error) {
	a, err := buyer(ctx)
	if err != nil {
		return nil, nil, err
	}
	var sub *kassa.Subscription
	var inv *kassa.Invoice
	var card *kassa.PaymentMethod
	// The price uses the billing profile's balance as read; should another
	// change use it before the purchase is recorded, it is priced again.
	for attempt := 1; ; attempt++ {
		if sub, inv, card, err = s.newPurchase(ctx, a, r); err != nil {
			return nil, nil, err
		}
		_, err = s.db.CreatePurchase(ctx, sub, inv, requestKey)
		if err == nil {
			break
		} else if !errors.Is(err, sqldb.ErrBalanceChanged) || attempt == maxBalanceReads {
			return nil, nil, err
		}
	}
	if inv.ID == "" { // a free trial
		sub, err = s.db.FindSubscriptionByID(ctx, sub.ID)
		return sub, nil, err
	}
	switch inv.Status {
	case kassa.InvoiceVoid:
		return nil, nil, kassa.Declined(inv.Failure)
	case kassa.InvoicePending:
		profile, err := s.db.FindBillingProfileByID(ctx, sub.BillingProfileID)
		if err != nil {
			return nil, nil, err
		}
		if card == nil || card.ID != profile.PaymentMethodID {
			if card, err = s.db.FindPaymentMethodByID(ctx, profile.PaymentMethodID); err != nil {
				return nil, nil, err
			}
		}
		if err := s.charge(ctx, inv, profile.CustomerRef, card.GatewayRef); err != nil {
			return nil, nil, err
		}
	}
	if sub, err = s.db.FindSubscriptionByID(ctx, sub.ID); err != nil {
		return nil, nil, err
	}
	if inv, err = s.db.FindInvoiceByID(ctx, inv.ID); err != nil {
		return nil, nil, err
	}
	return sub, inv, nil
}

// charge charges a pending invoice and records the outcome. The gateway's
// idempotency key is the invoice's id, so charging it again — a retry, the
// reconciler, another process — never charges twice.
func (s *Service) charge(ctx context.Context, inv *kassa.Invoice, customerRef, cardRef string) error {
	if inv.AmountDue().Amount == 0 {
		return s.db.CompleteCharge(ctx, inv.ID, "") // the balance paid it all
	}
	p, err := s.gw.Charge(ctx, kassa.ChargeRequest{
		CustomerRef: customerRef, CardRef: cardRef, Amount: inv.AmountDue(),
		Description: "kassa invoice " + inv.ID, IdempotencyKey: "kassa-" + inv.ID,
	})
	if reason := kassa.DeclineReason(err); reason != "" {
		if ferr := s.db.FailCharge(ctx, inv.ID, reason); ferr != nil {
			return ferr
		}
		return err
	} else if err != nil {
		s.log.Warn("charge left pending", "invoice", inv.ID, "err", err)
		return kassa.E(kassa.Unavailable, "error.payment.pending")
	}
	return s.db.CompleteCharge(ctx, inv.ID, p.Ref)
}

// newPurchase checks a request against the catalog, the tenant's policy and
// the actor's billing profile, and prices it.
func (s *Service) newPurchase(ctx context.Context, a *kassa.Actor, r PurchaseRequest) (*kassa.Subscription, *kassa.Invoice, *kassa.PaymentMethod, error) {
	if r.Quantity < 1 || r.Quantity > kassa.MaxQuantity {
		return nil, nil, nil, kassa.InvalidE("quantity", "error.quantity.range", "Max", kassa.MaxQuantity)
	}
	if !r.Term.Valid() {
		return nil, nil, nil, kassa.InvalidE("term", "error.purchase.term")
	}
	product, err := s.db.FindProductByID(ctx, r.ProductID)
	if kassa.ErrorCode(err) == kassa.NotFound {
		return nil, nil, nil, kassa.InvalidE("product_id", "error.purchase.product")
	} else if err != nil {
		return nil, nil, nil, err
	}
	name := product.Name.In(a.Tenant.Locale)
	switch {
	case product.Retired:
		return nil, nil, nil, kassa.E(kassa.Forbidden, "error.purchase.retired", "Product", name)
	case product.Policy == kassa.PolicyDisabled:
		return nil, nil, nil, kassa.E(kassa.Forbidden, "error.purchase.disabled", "Product", name)
	case product.Policy == kassa.PolicyTrialsOnly && !r.Trial:
		return nil, nil, nil, kassa.E(kassa.Forbidden, "error.purchase.trials_only", "Product", name)
	case r.Trial && product.TrialDays == 0:
		return nil, nil, nil, kassa.InvalidE("trial", "error.purchase.no_trial", "Product", name)
	case r.Trial && r.Quantity > product.TrialMaxLicenses:
		return nil, nil, nil, kassa.InvalidE("quantity", "error.quantity.trial_max", "Max", product.TrialMaxLicenses)
	}
	price, ok := product.PriceFor(r.Term, a.Tenant.Currency)
	if !ok && r.Term == kassa.Monthly {
		return nil, nil, nil, kassa.InvalidE("term", "error.purchase.no_monthly_price", "Product", name, "Currency", a.Tenant.Currency)
	} else if !ok {
		return nil, nil, nil, kassa.InvalidE("term", "error.purchase.no_annual_price", "Product", name, "Currency", a.Tenant.Currency)
	}
	profile, err := s.db.FindBillingProfileByID(ctx, r.BillingProfileID)
	if kassa.ErrorCode(err) == kassa.NotFound {
		return nil, nil, nil, kassa.InvalidE("billing_profile_id", "error.purchase.profile")
	} else if err != nil {
		return nil, nil, nil, err
	}
	var card *kassa.PaymentMethod
	if !r.Trial {
		if profile.PaymentMethodID == "" {
			return nil, nil, nil, kassa.InvalidE("billing_profile_id", "error.profile.no_payment_method")
		}
		if card, err = s.db.FindPaymentMethodByID(ctx, profile.PaymentMethodID); err != nil {
			return nil, nil, nil, err
		}
	}

	now := s.clock.Now()
	unit := kassa.Money{Amount: price.UnitAmount, Currency: price.Currency}
	sub := &kassa.Subscription{
		ProductID: product.ID, BillingProfileID: profile.ID, Channel: kassa.SelfService, Term: r.Term,
		Quantity: r.Quantity, UnitPrice: unit, AnchorAt: now, PeriodStart: now, AutoRenew: true,
		Status: kassa.StatusPending, ExpiresAt: kassa.AddTerms(now, r.Term, 1),
	}
	if r.Trial {
		sub.Status, sub.ExpiresAt = kassa.StatusTrialing, now.Add(kassa.TrialDays*24*time.Hour)
		return sub, &kassa.Invoice{}, nil, nil
	}
	inv := &kassa.Invoice{
		Language: a.Tenant.Locale, PeriodStart: now, PeriodEnd: sub.ExpiresAt,
		Lines: []kassa.InvoiceLine{{
			Description: lineDescription(name, r.Term, a.Tenant.Locale), Quantity: r.Quantity, UnitPrice: unit,
			PeriodStart: now, PeriodEnd: sub.ExpiresAt,
			Amount: kassa.Money{Amount: unit.Amount * int64(r.Quantity), Currency: unit.Currency},
		}},
	}
	if err := inv.Sum(unit.Currency, kassa.VATRate(a.Tenant.Country)); err != nil {
		return nil, nil, nil, err
	}
	inv.ApplyBalance(profile.Balance) // credit is used first
	return sub, inv, card, nil
}

// lineDescription names what an invoice line is for, in the invoice's
// language: "Analytics Pro (monthly)".
func lineDescription(product string, term kassa.Term, lang string) string {
	w := locale.In(lang)
	if term == kassa.Annual {
		return w.T("invoice.line.annual", "Product", product)
	}
	return w.T("invoice.line.monthly", "Product", product)
}

// Reconcile finishes purchases and immediate cancellations left pending
// for longer than age — by a crash, or a gateway that did not answer — by
// charging or refunding them again with the same idempotency key: a charge
// or refund that went through is found, not repeated. It returns how many
// it finished.
func (s *Service) Reconcile(ctx context.Context, age time.Duration) (int, error) {
	before := s.clock.Now().Add(-age)
	pending, err := s.db.FindPendingCharges(ctx, before)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, pc := range pending {
		if pc.CardRef == "" {
			if err := s.db.FailCharge(ctx, pc.Invoice.ID, "no_payment_method"); err != nil {
				return done, err
			}
			done++
			continue
		}
		err := s.charge(ctx, pc.Invoice, pc.CustomerRef, pc.CardRef)
		switch kassa.ErrorCode(err) {
		case "", kassa.PaymentFailed:
			done++
		case kassa.Unavailable:
			// Still unknown: the next run tries again.
		default:
			return done, err
		}
	}
	cancellations, err := s.db.FindPendingCancellations(ctx, before)
	if err != nil {
		return done, err
	}
	for _, c := range cancellations {
		switch err := s.refund(ctx, c); kassa.ErrorCode(err) {
		case "", kassa.Conflict, kassa.NotFound, kassa.Invalid, kassa.PaymentFailed:
			done++ // refunded and cancelled, or refused and voided
		case kassa.Unavailable:
		default:
			return done, err
		}
	}
	return done, nil
}
