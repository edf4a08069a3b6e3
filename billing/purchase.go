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
		inv.ReturnURL = returnURL(ctx, a.User.ID)
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
		if err := s.charge(ctx, inv, card.CustomerRef, card.GatewayRef); err != nil {
			return nil, nil, err
		}
		// Waiting for the person's bank: the purchase stays pending (and
		// out of lists), its invoice holding the bank's page.
		held, err := s.db.FindInvoiceForSystem(ctx, inv.ID)
		if err != nil {
			return nil, nil, err
		}
		if held.Status == kassa.InvoicePending {
			return sub, held, nil
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
// reconciler, another process — never charges twice. When the person whose
// card it is makes the request (Present), the charge is made with them
// present, and their bank may want them at its page first: the invoice
// then holds the payment (see settle), and its ActionURL is the bank's page.
func (s *Service) charge(ctx context.Context, inv *kassa.Invoice, customerRef, cardRef string) error {
	if inv.AmountDue().Amount == 0 {
		return s.db.CompleteCharge(ctx, inv.ID, "") // the balance paid it all
	}
	r := kassa.ChargeRequest{
		CustomerRef: customerRef, CardRef: cardRef, Amount: inv.AmountDue(),
		Description: "kassa invoice " + inv.ID, IdempotencyKey: "kassa-" + inv.ID,
	}
	if inv.ReturnURL != "" {
		r.OnSession, r.ReturnURL = true, inv.ReturnURL
	}
	p, err := s.gw.Charge(ctx, r)
	if reason := kassa.DeclineReason(err); reason != "" {
		if ferr := s.db.FailCharge(ctx, inv.ID, reason); ferr != nil {
			return ferr
		}
		return err
	} else if err != nil {
		s.log.Warn("charge left pending", "invoice", inv.ID, "err", err)
		return kassa.E(kassa.Unavailable, "error.payment.pending")
	}
	return s.settle(ctx, inv.ID, p)
}

// returnURL is where the bank sends the person back to, when the request
// is theirs (Present) and the invoice is theirs to pay: only they can
// answer their bank. "" makes the charge without them.
func returnURL(ctx context.Context, ownerID string) string {
	a := kassa.ActorFromContext(ctx)
	if base, ok := presentAt(ctx); ok && a != nil && a.User.ID == ownerID {
		return base + PaymentReturnPath
	}
	return ""
}

// settle records what a pending invoice's payment came to: paid (the
// invoice issued and what it pays for done), declined or given up (the
// invoice void, a purchase's subscription gone), or still waiting for the
// person's bank (held). A declined payment's error has its DeclineReason.
func (s *Service) settle(ctx context.Context, invoiceID string, p kassa.Payment) error {
	switch p.Status {
	case kassa.PaymentSucceeded:
		return s.db.CompleteCharge(ctx, invoiceID, p.Ref)
	case kassa.PaymentRequiresAction, kassa.PaymentProcessing:
		return s.db.HoldCharge(ctx, invoiceID, p.Ref, p.ActionURL)
	}
	reason := p.Decline
	if reason == "" {
		reason = kassa.DeclineAuthenticationFailed // canceled: the person gave up
	}
	if err := s.db.FailCharge(ctx, invoiceID, reason); err != nil {
		return err
	}
	return kassa.Declined(reason)
}

// PaymentReturnPath is where the person's bank sends them back to kassa
// after a payment; the gateway adds the payment's reference
// (?payment_intent=…, as Stripe does).
const PaymentReturnPath = "/billing/payments/return"

type presentKey struct{}

// Present marks ctx as the request of the person themselves (a page or an
// API call of theirs): a payment from their card is made with them present,
// and may send them to their bank, which sends them back to kassa at base
// (kassa's base URL). Without it payments are made without the person
// (renewals, the reconciler), and a bank that wants them declines with
// authentication_required.
func Present(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, presentKey{}, base)
}

func presentAt(ctx context.Context) (string, bool) {
	base, ok := ctx.Value(presentKey{}).(string)
	return base, ok && base != ""
}

// SettlePayment finishes the actor's invoice whose payment (the gateway's
// reference) waited for their bank, as the payment stands now: after they
// came back from the bank's page. It returns the invoice as it is then
// (still pending while the bank waits). Errors: NotFound (no invoice of
// theirs has that payment), Unavailable.
func (s *Service) SettlePayment(ctx context.Context, chargeRef string) (*kassa.Invoice, error) {
	inv, err := s.db.FindInvoiceByCharge(ctx, chargeRef)
	if err != nil {
		return nil, err
	}
	if ok, err := s.mayPay(ctx, inv); err != nil {
		return nil, err
	} else if !ok {
		return nil, kassa.E(kassa.NotFound, "error.invoice.no_such")
	}
	if err := s.settleInvoice(ctx, inv); err != nil && kassa.DeclineReason(err) == "" {
		return nil, err
	}
	// A void one too: the person is told why nothing was bought.
	return s.db.FindInvoiceForSystem(ctx, inv.ID)
}

// mayPay reports whether the actor may pay inv: their own, or as an admin
// one of the organization's.
func (s *Service) mayPay(ctx context.Context, inv *kassa.Invoice) (bool, error) {
	a := kassa.ActorFromContext(ctx)
	switch {
	case a == nil || inv.TenantID != a.Tenant.ID:
		return false, nil
	case inv.OwnerID == a.User.ID:
		return true, nil
	case !a.User.IsAdmin():
		return false, nil
	}
	return s.db.IsOrganizationProfile(ctx, inv.BillingProfileID)
}

// settleInvoice reads the payment of a held invoice again and records what
// it came to; an invoice with no payment under way is left as it is.
func (s *Service) settleInvoice(ctx context.Context, inv *kassa.Invoice) error {
	if inv.ChargeRef == "" || (inv.Status != kassa.InvoicePending && inv.Status != kassa.InvoiceOpen) {
		return nil
	}
	p, err := s.gw.FindPayment(ctx, inv.ChargeRef)
	if kassa.ErrorCode(err) == kassa.NotFound {
		// The gateway forgot it (the simulator without its ledger): nothing was taken.
		p = kassa.Payment{Ref: inv.ChargeRef, Status: kassa.PaymentCanceled}
	} else if err != nil {
		return err
	}
	if inv.Status == kassa.InvoiceOpen {
		return s.settleRenewal(ctx, inv, p)
	}
	return s.settle(ctx, inv.ID, p)
}

// errWaiting says a payment still waits for the person's bank.
var errWaiting = errors.New("waiting for the person's bank")

// settleHeld reads a payment that waited for the person's bank and
// records what it came to; one that waits still is given up when abandoned
// (AuthenticationLife passed), else left.
func (s *Service) settleHeld(ctx context.Context, invoiceID, chargeRef string, abandoned bool) error {
	p, err := s.gw.FindPayment(ctx, chargeRef)
	if kassa.ErrorCode(err) == kassa.NotFound {
		p, err = kassa.Payment{Status: kassa.PaymentCanceled}, nil
	}
	if err != nil {
		return err
	}
	if p.Status == kassa.PaymentRequiresAction {
		if !abandoned {
			return errWaiting
		}
		if err := s.gw.CancelPayment(ctx, chargeRef); err != nil {
			return err
		}
		// As it stands now: the person may have completed it meanwhile.
		if p, err = s.gw.FindPayment(ctx, chargeRef); err != nil {
			return err
		}
	}
	return s.settle(ctx, invoiceID, p)
}

// SettleCharge settles the invoice the gateway's payment is for, as the
// payment stands: a gateway's event said it changed. Errors: Unavailable.
func (s *Service) SettleCharge(ctx context.Context, chargeRef string) error {
	inv, err := s.db.FindInvoiceByCharge(ctx, chargeRef)
	if kassa.ErrorCode(err) == kassa.NotFound {
		return nil // not kassa's, or not kassa's yet: the reconciler has it
	} else if err != nil {
		return err
	}
	if err := s.settleInvoice(ctx, inv); err != nil && kassa.DeclineReason(err) == "" {
		return err
	}
	return nil
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

// AuthenticationLife is how long a payment waits for the person's bank:
// a purchase or more licenses left at the bank's page for longer is given
// up, nothing bought and nothing charged.
const AuthenticationLife = 24 * time.Hour

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
	abandoned := s.clock.Now().Add(-AuthenticationLife)
	for _, pc := range pending {
		var err error
		switch {
		case pc.Invoice.ChargeRef != "":
			err = s.settleHeld(ctx, pc.Invoice.ID, pc.Invoice.ChargeRef, pc.Since.Before(abandoned))
		case pc.CardRef == "":
			err = s.db.FailCharge(ctx, pc.Invoice.ID, "no_payment_method")
		default:
			err = s.charge(ctx, pc.Invoice, pc.CustomerRef, pc.CardRef)
			if err == nil && pc.Since.Before(abandoned) {
				// Charged again, it may wait for the bank still: given
				// up, as it is a day old.
				var held *kassa.Invoice
				if held, err = s.db.FindInvoiceForSystem(ctx, pc.Invoice.ID); err == nil && held.Status == kassa.InvoicePending && held.ChargeRef != "" {
					err = s.settleHeld(ctx, held.ID, held.ChargeRef, true)
				}
			}
		}
		switch {
		case errors.Is(err, errWaiting):
		case kassa.ErrorCode(err) == "", kassa.ErrorCode(err) == kassa.PaymentFailed:
			done++
		case kassa.ErrorCode(err) == kassa.Unavailable:
			// Still unknown: the next run tries again.
		default:
			return done, err
		}
	}
	claims, err := s.reconcileClaims(ctx)
	done += claims
	if err != nil {
		return done, err
	}
	cards, err := s.reconcileCardSessions(ctx, before)
	done += cards
	if err != nil {
		return done, err
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
	// License requests are kept 12 months (SPEC §12); their removal is
	// housekeeping, not counted as work done.
	if _, err := s.db.DeleteLicenseRequestsBefore(ctx, s.clock.Now().AddDate(-1, 0, 0)); err != nil {
		return done, err
	}
	return done, nil
}
