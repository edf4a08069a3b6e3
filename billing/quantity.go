package billing

import (
	"context"
	"errors"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// QuantityChange is what setting a subscription's total licenses costs or
// gives back: an invoice charged at once for more licenses, or a credit note
// for fewer, whose amount goes to the billing profile's balance.
type QuantityChange struct {
	Subscription *kassa.Subscription
	Invoice      *kassa.Invoice // an invoice (more) or a credit note (fewer); nil when unchanged
	AmountDue    kassa.Money    // charged to the card now, VAT included, after the balance
	Credit       kassa.Money    // added to the balance, VAT included
}

// PreviewQuantity prices setting the subscription's total licenses to
// quantity today, changing nothing. Made the same day, SetQuantity charges
// exactly AmountDue. Errors: NotFound, Forbidden, Invalid, Conflict.
func (s *Service) PreviewQuantity(ctx context.Context, subID string, quantity int) (*QuantityChange, error) {
	a, err := buyer(ctx)
	if err != nil {
		return nil, err
	}
	sub, err := s.db.FindSubscriptionByID(ctx, subID)
	if err != nil {
		return nil, err
	}
	return s.quantityChange(ctx, a, sub, quantity)
}

func (s *Service) quantityChange(ctx context.Context, a *kassa.Actor, sub *kassa.Subscription, quantity int) (*QuantityChange, error) {
	if err := sub.CheckManager(a); err != nil {
		return nil, err
	}
	if quantity < 1 || quantity > kassa.MaxQuantity {
		return nil, kassa.InvalidE("quantity", "error.quantity.range", "Max", kassa.MaxQuantity)
	}
	switch sub.Status {
	case kassa.StatusActive:
	case kassa.StatusTrialing:
		product, err := s.db.FindProductByID(ctx, sub.ProductID)
		if err != nil {
			return nil, err
		}
		if quantity > product.TrialMaxLicenses {
			return nil, kassa.InvalidE("quantity", "error.quantity.trial_max", "Max", product.TrialMaxLicenses)
		}
	default:
		return nil, kassa.E(kassa.Conflict, "error.quantity.status", "Status", sub.Status)
	}
	if quantity < sub.Assigned {
		return nil, kassa.E(kassa.Conflict, "error.quantity.below_assigned",
			"Assigned", sub.Assigned, "Unassign", sub.Assigned-quantity, "Quantity", quantity)
	}
	payer, err := s.db.FindPayer(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	if quantity > sub.Quantity && sub.Status == kassa.StatusActive && sub.Channel == kassa.AdminManaged && !payer.Organization {
		// Admins never charge a person's card (SPEC §12).
		return nil, personPays(sub.ID)
	}
	zero := kassa.Money{Currency: sub.UnitPrice.Currency}
	change := &QuantityChange{Subscription: sub, AmountDue: zero, Credit: zero}
	delta := quantity - sub.Quantity
	if delta == 0 || sub.Status == kassa.StatusTrialing {
		return change, nil // trials are free
	}
	now := s.clock.Now()
	termDays := kassa.Days(sub.PeriodStart, sub.ExpiresAt)
	n := delta
	if n < 0 {
		n = -n
	}
	line := kassa.ProratedLine(lineDescription(sub.ProductName.In(a.Tenant.Locale), sub.Term, a.Tenant.Locale),
		sub.UnitPrice, n, now, sub.ExpiresAt, termDays)
	inv := &kassa.Invoice{
		SubscriptionID: sub.ID, BillingProfileID: sub.BillingProfileID, Language: a.Tenant.Locale,
		PeriodStart: line.PeriodStart, PeriodEnd: sub.ExpiresAt, QuantityDelta: delta,
	}
	if delta < 0 {
		line.Amount.Amount = -line.Amount.Amount
	}
	inv.Lines = []kassa.InvoiceLine{line}
	if err := inv.Sum(sub.UnitPrice.Currency, kassa.VATRate(a.Tenant.Country)); err != nil {
		return nil, err
	}
	change.Invoice = inv
	if delta < 0 {
		inv.CreditOf = "" // corrects the subscription's current term, not one invoice
		change.Credit = kassa.Money{Amount: -inv.Total.Amount, Currency: inv.Total.Currency}
		return change, nil
	}
	inv.ApplyBalance(payer.Balance)
	change.AmountDue = inv.AmountDue()
	return change, nil
}

// SetQuantity sets the subscription's total licenses. More licenses are
// invoiced pro rata and charged at once (outside any transaction, keyed by
// the invoice), and added once paid; fewer are credited pro rata to the
// billing profile's balance, never below the assigned count. requestKey
// makes a retry return the first change. Errors: NotFound, Forbidden,
// Invalid, Conflict, PaymentFailed, Unavailable.
func (s *Service) SetQuantity(ctx context.Context, subID string, quantity int, requestKey string) (*kassa.Subscription, *kassa.Invoice, error) {
	a, err := buyer(ctx)
	if err != nil {
		return nil, nil, err
	}
	sub, err := s.db.FindSubscriptionByID(ctx, subID)
	if err != nil {
		return nil, nil, err
	}
	var inv *kassa.Invoice
	// More licenses are priced with the billing profile's balance as read;
	// should another change use it before the invoice is recorded (nothing
	// is charged by then), they are priced again.
	for attempt := 1; ; attempt++ {
		change, err := s.quantityChange(ctx, a, sub, quantity)
		if err != nil {
			return nil, nil, err
		}
		inv = change.Invoice
		switch {
		case sub.Status == kassa.StatusTrialing:
			err = s.db.SetTrialQuantity(ctx, sub.ID, sub.Quantity, quantity)
		case inv == nil:
		case inv.QuantityDelta < 0:
			err = s.db.DecreaseQuantity(ctx, sub.ID, quantity, inv)
		default:
			err = s.chargeQuantity(ctx, inv, requestKey)
		}
		if err == nil {
			break
		} else if !errors.Is(err, sqldb.ErrBalanceChanged) || attempt == maxBalanceReads {
			return nil, nil, err
		}
	}
	if sub, err = s.db.FindSubscriptionByID(ctx, sub.ID); err != nil {
		return nil, nil, err
	}
	// The invoice is the purchaser's; an admin managing the subscription
	// gets its id but reads it no more than other invoices of the purchaser.
	if inv != nil && inv.Status != kassa.InvoicePending && inv.OwnerID == a.User.ID {
		if inv, err = s.db.FindInvoiceByID(ctx, inv.ID); err != nil {
			return nil, nil, err
		}
	}
	return sub, inv, nil
}

func (s *Service) chargeQuantity(ctx context.Context, inv *kassa.Invoice, requestKey string) error {
	payer, err := s.db.FindPayer(ctx, inv.SubscriptionID)
	if err != nil {
		return err
	}
	if inv.AmountDue().Amount > 0 && payer.CardRef == "" {
		return kassa.E(kassa.Conflict, "error.profile.no_payment_method")
	}
	inv.ReturnURL = returnURL(ctx, kassa.ActorFromContext(ctx).User.ID) // kept for the purchaser's own request
	if _, err := s.db.CreateChargeInvoice(ctx, inv, "quantity", requestKey); err != nil {
		return err
	}
	switch inv.Status {
	case kassa.InvoiceVoid:
		return kassa.Declined(inv.Failure)
	case kassa.InvoicePaid:
		return nil
	}
	if err := s.charge(ctx, inv, payer.CustomerRef, payer.CardRef); err != nil {
		return err
	}
	after, err := s.db.FindInvoiceForSystem(ctx, inv.ID)
	if err != nil {
		return err
	}
	inv.Status, inv.ChargeRef, inv.ActionURL = after.Status, after.ChargeRef, after.ActionURL
	return nil
}

// personPays is the Conflict of adding licenses to an admin-managed
// subscription still paid by a person's billing profile: an admin switches
// it to one of the organization's first.
func personPays(subID string) error {
	return kassa.E(kassa.Conflict, "error.subscription.person_pays", "ID", subID)
}
