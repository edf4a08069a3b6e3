package stripe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/stripe/stripe-go/v85"
)

// Config configures a Gateway.
type Config struct {
	// Key is the Stripe secret key (KASSA_STRIPE_KEY); required.
	Key string
	// BaseURL replaces https://api.stripe.com, e.g. with a stripe-mock
	// address in tests; optional.
	BaseURL string
	// HTTPClient makes the requests; optional.
	HTTPClient *http.Client
	// Log receives the adapter's own lines (never a request's parameters);
	// nil logs nothing.
	Log *slog.Logger
}

// Gateway is the Stripe payment gateway. It is safe for concurrent use.
type Gateway struct {
	client *stripe.Client
	log    *slog.Logger
	now    func() time.Time
}

var _ kassa.Gateway = (*Gateway)(nil)

// New returns a Gateway talking to Stripe with cfg.Key.
func New(cfg Config) (*Gateway, error) {
	if cfg.Key == "" {
		return nil, errors.New("stripe gateway: no secret key; set KASSA_STRIPE_KEY")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bc := &stripe.BackendConfig{
		HTTPClient:    cfg.HTTPClient,
		LeveledLogger: sdkLogger{log},
	}
	if cfg.BaseURL != "" {
		bc.URL = stripe.String(cfg.BaseURL)
	}
	client := stripe.NewClient(cfg.Key, stripe.WithBackends(stripe.NewBackendsWithConfig(bc)))
	return &Gateway{client: client, log: log, now: time.Now}, nil
}

// CreateCustomer creates a Stripe Customer and returns its id.
func (g *Gateway) CreateCustomer(ctx context.Context, c kassa.Customer) (string, error) {
	params := &stripe.CustomerCreateParams{
		Name:    optional(c.Name),
		Email:   optional(c.Email),
		Address: address(c.Address),
	}
	cus, err := g.client.V1Customers.Create(ctx, params)
	if err != nil {
		return "", mapError("create customer", "", err)
	}
	g.log.DebugContext(ctx, "stripe: created customer", "customer", cus.ID)
	return cus.ID, nil
}

// SaveCard checks the card locally, then creates a card PaymentMethod.
// Errors: Invalid naming the card.* field, PaymentFailed, Unavailable.
func (g *Gateway) SaveCard(ctx context.Context, c kassa.Card) (kassa.SavedCard, error) {
	number, brand, err := c.Validate(g.now())
	if err != nil {
		return kassa.SavedCard{}, err
	}
	params := &stripe.PaymentMethodCreateParams{
		Type: stripe.String(string(stripe.PaymentMethodTypeCard)),
		Card: &stripe.PaymentMethodCreateCardParams{
			Number:   stripe.String(number),
			ExpMonth: stripe.Int64(int64(c.ExpMonth)),
			ExpYear:  stripe.Int64(int64(c.ExpYear)),
			CVC:      stripe.String(c.CVC),
		},
		BillingDetails: &stripe.PaymentMethodCreateBillingDetailsParams{
			Name:    optional(c.Name),
			Address: address(c.Address),
		},
	}
	pm, err := g.client.V1PaymentMethods.Create(ctx, params)
	if err != nil {
		return kassa.SavedCard{}, mapError("save card", "card.", err)
	}
	saved := kassa.SavedCard{Ref: pm.ID, Brand: brand, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear}
	if pm.Card != nil {
		if b := kassaBrand(pm.Card.Brand); b != "" {
			saved.Brand = b
		}
		saved.Last4 = pm.Card.Last4
		saved.ExpMonth, saved.ExpYear = int(pm.Card.ExpMonth), int(pm.Card.ExpYear)
	}
	if saved.Last4 == "" {
		saved.Last4 = kassa.Last4(number)
	}
	g.log.DebugContext(ctx, "stripe: saved card", "payment_method", pm.ID, "brand", saved.Brand)
	return saved, nil
}

// UpdateCard changes the expiry date and billing details of a card
// PaymentMethod. A new security code is checked for its brand's length and
// sent to Stripe as a cvc_update token; it is not kept. Field names in
// errors carry no "card." prefix, as the card is already saved. Errors:
// Invalid, NotFound, PaymentFailed, Unavailable.
func (g *Gateway) UpdateCard(ctx context.Context, ref string, u kassa.CardUpdate) error {
	month, year := u.ExpMonth, u.ExpYear
	if u.CVC != nil || (month == nil) != (year == nil) {
		// The brand decides the length of the code; a half-given expiry
		// date is checked with the half that stays.
		pm, err := g.client.V1PaymentMethods.Retrieve(ctx, ref, nil)
		if err != nil {
			return mapError("update card "+ref, "", err)
		}
		if pm.Card == nil {
			return kassa.E(kassa.NotFound, "error.payment.no_card", "Card", ref)
		}
		if u.CVC != nil {
			if err := kassa.ValidateCVC("cvc", *u.CVC, kassaBrand(pm.Card.Brand)); err != nil {
				return err
			}
		}
		if month != nil || year != nil {
			month, year = orInt(month, int(pm.Card.ExpMonth)), orInt(year, int(pm.Card.ExpYear))
		}
	}
	if month != nil && year != nil {
		if err := kassa.ValidateExpiry("", *month, *year, g.now()); err != nil {
			return err
		}
	}
	if u.Name != nil && strings.TrimSpace(*u.Name) == "" {
		return kassa.InvalidE("name", "error.card.name_required")
	}

	if u.CVC != nil {
		params := &stripe.TokenCreateParams{CVCUpdate: &stripe.TokenCreateCVCUpdateParams{CVC: u.CVC}}
		if _, err := g.client.V1Tokens.Create(ctx, params); err != nil {
			return mapError("update card "+ref, "", err)
		}
	}
	params := &stripe.PaymentMethodUpdateParams{}
	if u.ExpMonth != nil || u.ExpYear != nil {
		params.Card = &stripe.PaymentMethodUpdateCardParams{ExpMonth: int64p(u.ExpMonth), ExpYear: int64p(u.ExpYear)}
	}
	if u.Name != nil || u.Address != nil {
		params.BillingDetails = &stripe.PaymentMethodUpdateBillingDetailsParams{Name: u.Name}
		if u.Address != nil {
			params.BillingDetails.Address = address(*u.Address)
		}
	}
	if params.Card == nil && params.BillingDetails == nil {
		return nil
	}
	if _, err := g.client.V1PaymentMethods.Update(ctx, ref, params); err != nil {
		return mapError("update card "+ref, "", err)
	}
	g.log.DebugContext(ctx, "stripe: updated card", "payment_method", ref)
	return nil
}

// AttachCard attaches a PaymentMethod to a Customer. Errors: NotFound,
// PaymentFailed, Unavailable.
func (g *Gateway) AttachCard(ctx context.Context, cardRef, customerRef string) error {
	params := &stripe.PaymentMethodAttachParams{Customer: stripe.String(customerRef)}
	if _, err := g.client.V1PaymentMethods.Attach(ctx, cardRef, params); err != nil {
		return mapError("attach card "+cardRef, "", err)
	}
	g.log.DebugContext(ctx, "stripe: attached card", "payment_method", cardRef, "customer", customerRef)
	return nil
}

// DetachCard detaches a PaymentMethod from its Customer; one Stripe does not
// know is no error. Errors: Unavailable.
func (g *Gateway) DetachCard(ctx context.Context, cardRef string) error {
	if _, err := g.client.V1PaymentMethods.Detach(ctx, cardRef, nil); err != nil {
		if stripeCode(err) == stripe.ErrorCodeResourceMissing {
			return nil
		}
		return mapError("detach card "+cardRef, "", err)
	}
	g.log.DebugContext(ctx, "stripe: detached card", "payment_method", cardRef)
	return nil
}

// Charge creates and confirms an off-session PaymentIntent under the
// request's idempotency key, so that a retry answers as the first attempt
// did. Errors: PaymentFailed naming the decline reason, Conflict (the key was
// used for another request), NotFound, Unavailable.
func (g *Gateway) Charge(ctx context.Context, r kassa.ChargeRequest) (kassa.Payment, error) {
	if r.Amount.Amount <= 0 || r.IdempotencyKey == "" {
		return kassa.Payment{}, fmt.Errorf("stripe charge: amount %v with key %q", r.Amount, r.IdempotencyKey)
	}
	params := &stripe.PaymentIntentCreateParams{
		Amount:        stripe.Int64(r.Amount.Amount),
		Currency:      stripe.String(strings.ToLower(r.Amount.Currency)),
		Customer:      stripe.String(r.CustomerRef),
		PaymentMethod: stripe.String(r.CardRef),
		Confirm:       stripe.Bool(true),
		OffSession:    stripe.Bool(true),
		Description:   optional(r.Description),
	}
	params.SetIdempotencyKey(r.IdempotencyKey)
	pi, err := g.client.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		return kassa.Payment{}, mapError("charge", "", err)
	}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		g.log.DebugContext(ctx, "stripe: charged", "payment_intent", pi.ID, "amount", r.Amount.String())
		return kassa.Payment{Ref: pi.ID, Amount: r.Amount}, nil
	case stripe.PaymentIntentStatusRequiresAction:
		// The issuer wants the card holder, who is not here.
		return kassa.Payment{}, fmt.Errorf("charge %s: %w", pi.ID, kassa.Declined(string(stripe.ErrorCodeAuthenticationRequired)))
	case stripe.PaymentIntentStatusRequiresPaymentMethod, stripe.PaymentIntentStatusRequiresConfirmation,
		stripe.PaymentIntentStatusCanceled:
		return kassa.Payment{}, fmt.Errorf("charge %s: %w", pi.ID, kassa.Declined(lastDecline(pi)))
	}
	return kassa.Payment{}, fmt.Errorf("stripe charge: payment intent %s is %s, not succeeded", pi.ID, pi.Status)
}

// Refund refunds part or all of a PaymentIntent under the request's
// idempotency key. Errors: Conflict, NotFound, Invalid (more than is left),
// Unavailable.
func (g *Gateway) Refund(ctx context.Context, r kassa.RefundRequest) (kassa.Payment, error) {
	if r.Amount.Amount <= 0 || r.IdempotencyKey == "" {
		return kassa.Payment{}, fmt.Errorf("stripe refund: amount %v with key %q", r.Amount, r.IdempotencyKey)
	}
	params := &stripe.RefundCreateParams{
		PaymentIntent: stripe.String(r.ChargeRef),
		Amount:        stripe.Int64(r.Amount.Amount),
	}
	params.SetIdempotencyKey(r.IdempotencyKey)
	re, err := g.client.V1Refunds.Create(ctx, params)
	if err != nil {
		return kassa.Payment{}, mapError("refund "+r.ChargeRef, "", err)
	}
	if re.Status == stripe.RefundStatusFailed || re.Status == stripe.RefundStatusCanceled {
		return kassa.Payment{}, fmt.Errorf("stripe refund %s of %s: status %s", re.ID, r.ChargeRef, re.Status)
	}
	g.log.DebugContext(ctx, "stripe: refunded", "refund", re.ID, "payment_intent", r.ChargeRef, "amount", r.Amount.String())
	return kassa.Payment{Ref: re.ID, Amount: r.Amount}, nil
}

// lastDecline is the reason of a PaymentIntent's last failed attempt.
func lastDecline(pi *stripe.PaymentIntent) string {
	if e := pi.LastPaymentError; e != nil {
		if e.DeclineCode != "" {
			return string(e.DeclineCode)
		}
		if e.Code != "" {
			return string(e.Code)
		}
	}
	return kassa.DeclineCardDeclined
}

// kassaBrand maps Stripe's card brand to kassa's, or "" for one kassa does
// not accept.
func kassaBrand(b stripe.PaymentMethodCardBrand) kassa.Brand {
	switch b {
	case stripe.PaymentMethodCardBrandVisa:
		return kassa.Visa
	case stripe.PaymentMethodCardBrandMastercard:
		return kassa.Mastercard
	case stripe.PaymentMethodCardBrandAmex:
		return kassa.Amex
	}
	return ""
}

// address returns the Stripe parameters of a, leaving out empty parts, or
// nil when a is empty.
func address(a kassa.Address) *stripe.AddressParams {
	if a == (kassa.Address{}) {
		return nil
	}
	return &stripe.AddressParams{
		Line1:      optional(a.Line1),
		Line2:      optional(a.Line2),
		City:       optional(a.City),
		PostalCode: optional(a.PostalCode),
		Country:    optional(a.Country),
	}
}

// optional returns nil for "" so that Stripe is not sent empty values.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func int64p(p *int) *int64 {
	if p == nil {
		return nil
	}
	return stripe.Int64(int64(*p))
}

func orInt(p *int, v int) *int {
	if p != nil {
		return p
	}
	return &v
}
