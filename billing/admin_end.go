package billing

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// An admin takes control of a self-service subscription in one of two
// ways besides taking it over (SPEC §12): Cancel, where its holders lose
// their licenses, or Move users, where each holder gets a license of an
// admin-managed subscription of the same product instead. Both end it at
// once, whenever in its term: the purchaser did not choose to, so the
// unused days of a paid term are credited pro rata whatever the date, on a
// credit note that refunds the card up to what the term's charge took
// (the rest to the billing profile's balance), as §2's cancellation in its
// first 7 days does. A trial ends with nothing to credit. Subscriptions
// past due or suspended wait for their renewal to be settled (or expire
// by themselves): their term is not paid.

// adminOnly returns the actor when they are an admin of their tenant.
func adminOnly(ctx context.Context) (*kassa.Actor, error) {
	a := kassa.ActorFromContext(ctx)
	if a == nil {
		return nil, kassa.E(kassa.Unauthorized, "error.session.sign_in")
	}
	if !a.User.IsAdmin() {
		return nil, kassa.E(kassa.Forbidden, "error.admin.end")
	}
	return a, nil
}

// selfService reads a self-service subscription an admin may end: one of
// their tenant's, trialing or active. Errors: NotFound, Conflict.
func (s *Service) selfService(ctx context.Context, subID string) (*kassa.Subscription, error) {
	sub, err := s.db.FindSubscriptionByID(ctx, subID)
	if err != nil {
		return nil, err
	}
	switch {
	case sub.Channel == kassa.AdminManaged:
		return nil, kassa.E(kassa.Conflict, "error.end.managed")
	case sub.Status != kassa.StatusTrialing && sub.Status != kassa.StatusActive:
		return nil, kassa.E(kassa.Conflict, "error.end.status", "Status", sub.Status)
	}
	return sub, nil
}

// ending prices ending sub now: the credit note for its unused days (nil
// for a trial, or when nothing is left), and the part of it that goes
// back to the card of the term's charge.
func (s *Service) ending(ctx context.Context, a *kassa.Actor, sub *kassa.Subscription) (sqldb.Ending, error) {
	e := sqldb.Ending{Sub: sub}
	if sub.Status == kassa.StatusTrialing {
		return e, nil
	}
	note, err := s.creditNote(a, sub)
	if err != nil || note == nil {
		return e, err
	}
	e.Note = note
	ref, charged, err := s.db.LastCharge(ctx, sub.ID)
	if err != nil {
		return e, err
	}
	e.Refund = kassa.Money{Amount: min(-note.Total.Amount, charged.Amount), Currency: note.Total.Currency}
	if ref == "" || e.Refund.Amount <= 0 {
		e.Refund = kassa.Money{Currency: note.Total.Currency}
	} else {
		e.ChargeRef = ref
	}
	return e, nil
}

// AdminCancel ends a self-service subscription of the admin's tenant at
// once, with a reason (one of kassa.CancelReasons) and a message to its
// purchaser (at most kassa.MaxFeedback characters): its holders lose
// their licenses. Errors: Forbidden, NotFound, Invalid naming reason or
// feedback, Conflict.
func (s *Service) AdminCancel(ctx context.Context, subID string, reason kassa.CancelReason, message string) (*kassa.Subscription, error) {
	a, err := adminOnly(ctx)
	if err != nil {
		return nil, err
	}
	if !reason.Valid() {
		return nil, kassa.InvalidE("reason", "error.cancel.reason")
	}
	message = strings.TrimSpace(message)
	if utf8.RuneCountInString(message) > kassa.MaxFeedback {
		return nil, kassa.InvalidE("feedback", "error.cancel.feedback", "Max", kassa.MaxFeedback)
	}
	sub, err := s.selfService(ctx, subID)
	if err != nil {
		return nil, err
	}
	e, err := s.ending(ctx, a, sub)
	if err != nil {
		return nil, err
	}
	e.Reason, e.Message = reason, message
	if err := s.end(ctx, e); err != nil {
		return nil, err
	}
	return s.db.FindSubscriptionByID(ctx, subID)
}

// end ends the subscription as e says, then makes its refund, if any. The
// subscription has ended by then whatever the gateway answers: a refund
// refused goes to the balance, one of unknown outcome is finished by the
// billing clock's reconciler.
func (s *Service) end(ctx context.Context, e sqldb.Ending) error {
	ended, err := s.db.EndSelfService(ctx, e)
	if err != nil {
		return err
	}
	if ended.Pending != nil {
		if err := s.refund(ctx, ended.Pending); err != nil {
			s.log.Warn("refund of an ended subscription left to the reconciler", "subscription", e.Sub.ID, "err", err)
		}
	}
	return nil
}

// MovePreview is what moving a self-service subscription's holders to an
// admin-managed one takes.
type MovePreview struct {
	Source, Target *kassa.Subscription
	Holders        int // holders of the source's licenses who hold none of the target's
	FreeInTarget   int
	LicensesToAdd  int         // missing in the target: Holders - FreeInTarget, at least 0
	AmountDue      kassa.Money // what adding them charges the target's billing profile now, VAT included
	Credit         kassa.Money // the source's unused days, credited to its purchaser
}

// PreviewMoveUsers prices moving the holders of a self-service
// subscription to target, changing nothing. Errors: Forbidden, NotFound,
// Conflict (the source cannot be ended now), Invalid naming
// target_subscription_id (not a live admin-managed subscription of the
// same product of the tenant).
func (s *Service) PreviewMoveUsers(ctx context.Context, subID, target string) (*MovePreview, error) {
	a, err := adminOnly(ctx)
	if err != nil {
		return nil, err
	}
	src, err := s.selfService(ctx, subID)
	if err != nil {
		return nil, err
	}
	t, err := s.moveTarget(ctx, src, target)
	if err != nil {
		return nil, err
	}
	n, err := s.db.CountMovers(ctx, src.ID, t.ID)
	if err != nil {
		return nil, err
	}
	zero := kassa.Money{Currency: t.UnitPrice.Currency}
	p := &MovePreview{Source: src, Target: t, Holders: n, FreeInTarget: t.Available(),
		LicensesToAdd: max(0, n-t.Available()), AmountDue: zero}
	if p.LicensesToAdd > 0 {
		change, err := s.quantityChange(ctx, a, t, t.Quantity+p.LicensesToAdd)
		if err != nil {
			return nil, err
		}
		p.AmountDue = change.AmountDue
	}
	if p.Credit, err = s.credit(ctx, a, src); err != nil {
		return nil, err
	}
	return p, nil
}

// EndingCredit returns what ending a self-service subscription of the
// admin's tenant now would credit its purchaser, VAT included: 0 for a
// trial. Errors: Forbidden, NotFound, Conflict (it cannot be ended).
func (s *Service) EndingCredit(ctx context.Context, subID string) (kassa.Money, error) {
	a, err := adminOnly(ctx)
	if err != nil {
		return kassa.Money{}, err
	}
	sub, err := s.selfService(ctx, subID)
	if err != nil {
		return kassa.Money{}, err
	}
	return s.credit(ctx, a, sub)
}

// credit is what ending sub now credits its purchaser.
func (s *Service) credit(ctx context.Context, a *kassa.Actor, sub *kassa.Subscription) (kassa.Money, error) {
	e, err := s.ending(ctx, a, sub)
	if err != nil || e.Note == nil {
		return kassa.Money{Currency: sub.UnitPrice.Currency}, err
	}
	return kassa.Money{Amount: -e.Note.Total.Amount, Currency: e.Note.Total.Currency}, nil
}

// moveTarget reads the subscription the holders of src would move to:
// Invalid naming target_subscription_id unless it is a live
// admin-managed subscription of src's product in the tenant.
func (s *Service) moveTarget(ctx context.Context, src *kassa.Subscription, id string) (*kassa.Subscription, error) {
	field := "target_subscription_id"
	if id == "" {
		return nil, kassa.InvalidE(field, "error.move.target_missing")
	}
	t, err := s.db.FindSubscriptionByID(ctx, id)
	switch {
	case kassa.ErrorCode(err) == kassa.NotFound:
		return nil, kassa.InvalidE(field, "error.move.target_not_found", "ID", id)
	case err != nil:
		return nil, err
	case t.ProductID != src.ProductID:
		return nil, kassa.InvalidE(field, "error.move.target_product")
	case t.Channel != kassa.AdminManaged:
		return nil, kassa.InvalidE(field, "error.move.target_self_service")
	case !t.Status.Live():
		return nil, kassa.InvalidE(field, "error.move.target_status", "Status", t.Status)
	}
	return t, nil
}

// MoveUsers moves every holder of a self-service subscription's licenses
// to target and ends the subscription, in one transaction (EndSelfService).
// Where target lacks free licenses, the missing ones are bought first,
// charged to its billing profile, provided addLicenses (what the admin
// accepted to add, as the preview showed) covers them: else Conflict,
// error.move.not_enough, and nothing changes. Only the missing ones are
// bought, so a retry after the purchase buys none again. Errors as
// PreviewMoveUsers, and as SetQuantity's for the purchase.
func (s *Service) MoveUsers(ctx context.Context, subID, target string, addLicenses int) (*kassa.Subscription, error) {
	if addLicenses < 0 || addLicenses > kassa.MaxQuantity {
		return nil, kassa.InvalidE("add_licenses", "error.move.add_range", "Max", kassa.MaxQuantity)
	}
	p, err := s.PreviewMoveUsers(ctx, subID, target)
	if err != nil {
		return nil, err
	}
	if p.LicensesToAdd > addLicenses {
		return nil, kassa.E(kassa.Conflict, "error.move.not_enough",
			"Count", p.LicensesToAdd, "Free", p.FreeInTarget, "Holders", p.Holders)
	}
	if p.LicensesToAdd > 0 {
		// Keyed by the move and the target's size, so that a retry of this
		// very purchase returns it instead of charging again.
		key := "move-users-" + p.Source.ID + "-" + p.Target.ID + "-" + strconv.Itoa(p.Target.Quantity)
		_, inv, err := s.SetQuantity(ctx, p.Target.ID, p.Target.Quantity+p.LicensesToAdd, key)
		if err != nil {
			return nil, err
		}
		if inv != nil && inv.Status == kassa.InvoicePending {
			// The bank wants the card holder: the licenses come when it is
			// paid, and the move can be made then.
			return nil, kassa.E(kassa.Conflict, "error.move.payment_pending")
		}
	}
	a := kassa.ActorFromContext(ctx)
	e, err := s.ending(ctx, a, p.Source)
	if err != nil {
		return nil, err
	}
	e.Target, e.Reason = p.Target.ID, kassa.CancelUsersMoved
	if err := s.end(ctx, e); err != nil {
		return nil, err
	}
	return s.db.FindSubscriptionByID(ctx, p.Target.ID)
}

// creditNote prices the credit note for the unused days of sub's term,
// from now to its end; nil when nothing is left to credit.
func (s *Service) creditNote(a *kassa.Actor, sub *kassa.Subscription) (*kassa.Invoice, error) {
	line := kassa.ProratedLine(lineDescription(sub.ProductName.In(a.Tenant.Locale), sub.Term, a.Tenant.Locale),
		sub.UnitPrice, sub.Quantity, s.clock.Now(), sub.ExpiresAt, kassa.Days(sub.PeriodStart, sub.ExpiresAt))
	line.Amount.Amount = -line.Amount.Amount
	note := &kassa.Invoice{
		SubscriptionID: sub.ID, BillingProfileID: sub.BillingProfileID, Language: a.Tenant.Locale,
		PeriodStart: line.PeriodStart, PeriodEnd: sub.ExpiresAt, QuantityDelta: -sub.Quantity,
		Lines: []kassa.InvoiceLine{line},
	}
	if err := note.Sum(sub.UnitPrice.Currency, kassa.VATRate(a.Tenant.Country)); err != nil {
		return nil, err
	}
	if note.Total.Amount >= 0 {
		return nil, nil
	}
	return note, nil
}

// DecideLicenseRequest records an admin's decision on a license request
// (sqldb.DecideLicenseRequest). Where subID lacks free licenses for the
// approved who hold none of it, the missing ones are bought first, charged
// to its billing profile, provided addLicenses (what the admin accepts to
// add) covers them; only the missing ones are bought, so a retry buys none
// again. Errors as sqldb's, and SetQuantity's for the purchase.
func (s *Service) DecideLicenseRequest(ctx context.Context, id string, approve []string, subID, message string, addLicenses int) (*kassa.LicenseRequest, error) {
	if addLicenses < 0 || addLicenses > kassa.MaxQuantity {
		return nil, kassa.InvalidE("add_licenses", "error.move.add_range", "Max", kassa.MaxQuantity)
	}
	if addLicenses > 0 && len(approve) > 0 && subID != "" {
		sub, err := s.db.FindSubscriptionByID(ctx, subID)
		if err != nil {
			return nil, kassa.InvalidE("subscription_id", "error.requests.subscription")
		}
		holders, err := s.db.FindLicenses(ctx, subID)
		if err != nil {
			return nil, err
		}
		missing := len(approve)
		for _, h := range holders {
			if slices.Contains(approve, h.User.ID) {
				missing--
			}
		}
		if need := missing - sub.Available(); need > 0 && need <= addLicenses && sub.Channel == kassa.AdminManaged {
			key := "license-request-" + id + "-" + sub.ID + "-" + strconv.Itoa(sub.Quantity)
			_, inv, err := s.SetQuantity(ctx, sub.ID, sub.Quantity+need, key)
			if err != nil {
				return nil, err
			}
			if inv != nil && inv.Status == kassa.InvoicePending {
				return nil, kassa.E(kassa.Conflict, "error.move.payment_pending")
			}
		}
	}
	return s.db.DecideLicenseRequest(ctx, id, approve, subID, message)
}
