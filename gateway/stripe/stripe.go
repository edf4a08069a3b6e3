package stripe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/gateway/events"
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
	// WebhookSecret checks the signatures of Stripe's events
	// (KASSA_STRIPE_WEBHOOK_SECRET, the endpoint's whsec_…); without it
	// every event is refused.
	WebhookSecret string
}

// Gateway is the Stripe payment gateway. It is safe for concurrent use.
type Gateway struct {
	client *stripe.Client
	log    *slog.Logger
	now    func() time.Time
	secret string
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
	return &Gateway{client: client, log: log, now: time.Now, secret: cfg.WebhookSecret}, nil
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

// StartCardSession opens a Checkout Session in setup mode for the
// customer: Stripe's own page takes the card (cards only, with the billing
// address), in the person's language where Checkout speaks it, and attaches
// it to the customer. Errors: Unavailable.
func (g *Gateway) StartCardSession(ctx context.Context, r kassa.CardSessionRequest) (kassa.CardSession, error) {
	params := &stripe.CheckoutSessionCreateParams{
		Mode:                     stripe.String(string(stripe.CheckoutSessionModeSetup)),
		Customer:                 stripe.String(r.CustomerRef),
		PaymentMethodTypes:       []*string{stripe.String(string(stripe.PaymentMethodTypeCard))},
		BillingAddressCollection: stripe.String(string(stripe.CheckoutSessionBillingAddressCollectionRequired)),
		SuccessURL:               stripe.String(r.ReturnURL),
		CancelURL:                stripe.String(r.CancelURL),
		Locale:                   stripe.String(checkoutLocale(r.Language)),
	}
	cs, err := g.client.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return kassa.CardSession{}, mapError("start card session", "", err)
	}
	out := kassa.CardSession{Ref: cs.ID, URL: cs.URL}
	if cs.SetupIntent != nil {
		out.SetupRef = cs.SetupIntent.ID
	}
	g.log.DebugContext(ctx, "stripe: card session", "checkout_session", cs.ID)
	return out, nil
}

// checkoutLocale is Checkout's name of a kassa language: each of kassa's
// is one of Checkout's.
func checkoutLocale(lang string) string {
	switch lang {
	case "en", "sv", "de":
		return lang
	}
	return "auto"
}

// FindCardSession reads a Checkout Session and, once complete, the card
// its SetupIntent saved. Errors: NotFound, Unavailable.
func (g *Gateway) FindCardSession(ctx context.Context, ref string) (kassa.CardSessionResult, error) {
	params := &stripe.CheckoutSessionRetrieveParams{}
	params.AddExpand("setup_intent.payment_method")
	cs, err := g.client.V1CheckoutSessions.Retrieve(ctx, ref, params)
	if err != nil {
		return kassa.CardSessionResult{}, mapError("find card session "+ref, "", err)
	}
	switch cs.Status {
	case stripe.CheckoutSessionStatusExpired:
		return kassa.CardSessionResult{Status: kassa.CardSessionExpired}, nil
	case stripe.CheckoutSessionStatusComplete:
	default:
		return kassa.CardSessionResult{Status: kassa.CardSessionOpen}, nil
	}
	si := cs.SetupIntent
	if si == nil || si.Status != stripe.SetupIntentStatusSucceeded || si.PaymentMethod == nil || si.PaymentMethod.Card == nil {
		// Complete, but the card is not set up yet (Stripe finishes it).
		return kassa.CardSessionResult{Status: kassa.CardSessionOpen}, nil
	}
	return kassa.CardSessionResult{Status: kassa.CardSessionComplete, Card: savedCard(si.PaymentMethod)}, nil
}

// savedCard is what kassa keeps of a card PaymentMethod.
func savedCard(pm *stripe.PaymentMethod) kassa.SavedCard {
	c := kassa.SavedCard{Ref: pm.ID, Brand: kassaBrand(pm.Card.Brand), Last4: pm.Card.Last4,
		ExpMonth: int(pm.Card.ExpMonth), ExpYear: int(pm.Card.ExpYear)}
	if b := pm.BillingDetails; b != nil {
		c.Name = b.Name
		if a := b.Address; a != nil {
			c.Address = kassa.Address{Line1: a.Line1, Line2: a.Line2, City: a.City, PostalCode: a.PostalCode, Country: a.Country}
		}
	}
	return c
}

// UpdateCard changes the expiry date and billing details of a card
// PaymentMethod. Field names in errors carry no "card." prefix, as the card
// is already saved. Errors: Invalid, NotFound, Unavailable.
func (g *Gateway) UpdateCard(ctx context.Context, ref string, u kassa.CardUpdate) error {
	month, year := u.ExpMonth, u.ExpYear
	if (month == nil) != (year == nil) {
		// A half-given expiry date is checked with the half that stays.
		pm, err := g.client.V1PaymentMethods.Retrieve(ctx, ref, nil)
		if err != nil {
			return mapError("update card "+ref, "", err)
		}
		if pm.Card == nil {
			return kassa.E(kassa.NotFound, "error.payment.no_card", "Card", ref)
		}
		month, year = orInt(month, int(pm.Card.ExpMonth)), orInt(year, int(pm.Card.ExpYear))
	}
	if month != nil && year != nil {
		if err := kassa.ValidateExpiry("", *month, *year, g.now()); err != nil {
			return err
		}
	}
	if u.Name != nil && strings.TrimSpace(*u.Name) == "" {
		return kassa.InvalidE("name", "error.card.name_required")
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

// Charge creates and confirms a PaymentIntent under the request's
// idempotency key, so that a retry answers as the first attempt did: with
// the person present, with a return URL for their bank's page (a redirect,
// never Stripe's JavaScript); without them, off_session. Errors:
// PaymentFailed naming the decline reason (authentication_required for a
// payment without the person that the bank wants authenticated), Conflict
// (the key was used for another request), NotFound, Unavailable.
func (g *Gateway) Charge(ctx context.Context, r kassa.ChargeRequest) (kassa.Payment, error) {
	if r.Amount.Amount <= 0 || r.IdempotencyKey == "" || (r.OnSession && r.ReturnURL == "") {
		return kassa.Payment{}, fmt.Errorf("stripe charge: amount %v with key %q, return URL %q", r.Amount, r.IdempotencyKey, r.ReturnURL)
	}
	params := &stripe.PaymentIntentCreateParams{
		Amount:             stripe.Int64(r.Amount.Amount),
		Currency:           stripe.String(strings.ToLower(r.Amount.Currency)),
		Customer:           stripe.String(r.CustomerRef),
		PaymentMethod:      stripe.String(r.CardRef),
		PaymentMethodTypes: []*string{stripe.String(string(stripe.PaymentMethodTypeCard))},
		Confirm:            stripe.Bool(true),
		Description:        optional(r.Description),
	}
	if r.OnSession {
		params.ReturnURL = stripe.String(r.ReturnURL)
		params.UseStripeSDK = stripe.Bool(false)
	} else {
		params.OffSession = stripe.Bool(true)
	}
	params.SetIdempotencyKey(r.IdempotencyKey)
	pi, err := g.client.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		return kassa.Payment{}, mapError("charge", "", err)
	}
	p := payment(pi)
	switch p.Status {
	case kassa.PaymentSucceeded, kassa.PaymentProcessing:
		g.log.DebugContext(ctx, "stripe: charged", "payment_intent", pi.ID, "status", pi.Status)
		return p, nil
	case kassa.PaymentRequiresAction:
		if !r.OnSession || p.ActionURL == "" {
			// The issuer wants the card holder, who is not here.
			return kassa.Payment{}, fmt.Errorf("charge %s: %w", pi.ID, kassa.Declined(kassa.DeclineAuthenticationRequired))
		}
		return p, nil
	case kassa.PaymentDeclined, kassa.PaymentCanceled:
		return kassa.Payment{}, fmt.Errorf("charge %s: %w", pi.ID, kassa.Declined(lastDecline(pi)))
	}
	return kassa.Payment{}, fmt.Errorf("stripe charge: payment intent %s is %s", pi.ID, pi.Status)
}

// payment is a PaymentIntent as kassa reads it.
func payment(pi *stripe.PaymentIntent) kassa.Payment {
	p := kassa.Payment{Ref: pi.ID, Amount: kassa.Money{Amount: pi.Amount, Currency: strings.ToUpper(string(pi.Currency))}}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		p.Status = kassa.PaymentSucceeded
	case stripe.PaymentIntentStatusProcessing:
		p.Status = kassa.PaymentProcessing
	case stripe.PaymentIntentStatusRequiresAction, stripe.PaymentIntentStatusRequiresConfirmation:
		p.Status = kassa.PaymentRequiresAction
		if na := pi.NextAction; na != nil && na.RedirectToURL != nil {
			p.ActionURL = na.RedirectToURL.URL
		}
	case stripe.PaymentIntentStatusCanceled:
		p.Status = kassa.PaymentCanceled
	default: // requires_payment_method: the attempt failed
		p.Status, p.Decline = kassa.PaymentDeclined, lastDecline(pi)
	}
	return p
}

// FindPayment reads a PaymentIntent as it stands. Errors: NotFound,
// Unavailable.
func (g *Gateway) FindPayment(ctx context.Context, ref string) (kassa.Payment, error) {
	pi, err := g.client.V1PaymentIntents.Retrieve(ctx, ref, nil)
	if err != nil {
		return kassa.Payment{}, mapError("find payment "+ref, "", err)
	}
	return payment(pi), nil
}

// CancelPayment cancels a PaymentIntent still waiting for the person; one
// that is over already is no error. Errors: NotFound, Unavailable.
func (g *Gateway) CancelPayment(ctx context.Context, ref string) error {
	if _, err := g.client.V1PaymentIntents.Cancel(ctx, ref, nil); err != nil {
		if stripeCode(err) == stripe.ErrorCodePaymentIntentUnexpectedState {
			return nil
		}
		return mapError("cancel payment "+ref, "", err)
	}
	g.log.DebugContext(ctx, "stripe: canceled payment", "payment_intent", ref)
	return nil
}

// VerifyEvent checks a Stripe event's Stripe-Signature header against the
// webhook secret, with Stripe's five-minute tolerance.
func (g *Gateway) VerifyEvent(payload []byte, signature string) (kassa.Event, error) {
	return events.Verify(payload, signature, g.secret)
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
