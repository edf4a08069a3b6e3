package kassa

import (
	"context"
	"errors"
)

// Gateway keeps cards and moves money (SPEC §10). kassa's domain never
// holds a card number or security code: a person enters their card on the
// gateway's own page (a card session), and kassa keeps what SavedCard
// holds. The gateway's customer is the person, so a card they saved pays for
// any of their billing profiles. Implementations: gateway/simulator
// (in-process, deterministic) and gateway/stripe.
//
// Every method may return an Unavailable error when the gateway cannot be
// reached; callers must not hold a database transaction across a call.
type Gateway interface {
	// CreateCustomer registers a payer (one per person) and returns the
	// gateway's reference for it.
	CreateCustomer(ctx context.Context, c Customer) (string, error)

	// StartCardSession opens the gateway's card page for the customer:
	// the person enters a card there and comes back to r.ReturnURL (or
	// r.CancelURL when they give up).
	StartCardSession(ctx context.Context, r CardSessionRequest) (CardSession, error)

	// FindCardSession reads a card session: its status and, once
	// complete, the card it saved (attached to the session's customer).
	// Errors: NotFound.
	FindCardSession(ctx context.Context, ref string) (CardSessionResult, error)

	// UpdateCard changes the expiry date, name or billing address of a
	// saved card. Errors: Invalid naming the field, NotFound.
	UpdateCard(ctx context.Context, ref string, u CardUpdate) error

	// DetachCard forgets a saved card; detaching one that is gone is no error.
	DetachCard(ctx context.Context, cardRef string) error

	// Charge takes money from a card. The same IdempotencyKey never charges
	// twice: a retry answers with the payment the first attempt made (as
	// it stands now). A charge with the person present (OnSession) may
	// answer PaymentRequiresAction: the person must authenticate with their
	// bank at ActionURL, and comes back to ReturnURL. One without them
	// that the bank wants authenticated is declined with
	// DeclineAuthenticationRequired. Errors: PaymentFailed naming the
	// decline reason (see DeclineReason).
	Charge(ctx context.Context, r ChargeRequest) (Payment, error)

	// FindPayment reads a payment as it stands: after the person came back
	// from their bank, or an event said it changed. Errors: NotFound.
	FindPayment(ctx context.Context, ref string) (Payment, error)

	// CancelPayment gives up a payment still waiting for the person's
	// authentication: no money moves. One that is already over is no error.
	CancelPayment(ctx context.Context, ref string) error

	// Refund returns money of a charge, at most what was charged, once per
	// IdempotencyKey.
	Refund(ctx context.Context, r RefundRequest) (Payment, error)

	// VerifyEvent checks an event the gateway sent (its payload and the
	// signature header that came with it) and returns what it is about.
	// The event only says what to read again: kassa changes nothing on its
	// word. Errors: Invalid for a bad or stale signature or payload.
	VerifyEvent(payload []byte, signature string) (Event, error)
}

// CardSaver saves a card given its number: the simulator's test-mode
// shortcut (the JSON API's card{…} body, the demo's and the benchmark's
// cards). Gateways of real processors do not offer it.
type CardSaver interface {
	// SaveCard stores a card for the customer and returns what kassa may
	// keep of it. Errors: Invalid naming the card.* field at fault,
	// PaymentFailed when the card is refused.
	SaveCard(ctx context.Context, customerRef string, c Card) (SavedCard, error)
}

// Customer is the person a gateway's customer stands for.
type Customer struct {
	Name    string
	Email   string
	Address Address
}

// CardSessionRequest opens a gateway's card page.
type CardSessionRequest struct {
	CustomerRef string
	Email       string
	Language    string // of the page, where the gateway speaks it
	ReturnURL   string // where the person goes once the card is saved
	CancelURL   string // where they go when they give up
}

// CardSession is an open card page.
type CardSession struct {
	Ref      string
	URL      string // absolute, or a path on kassa's own host (the simulator)
	SetupRef string // the gateway's setup of the card (Stripe: the SetupIntent), named by its events
}

// The statuses of a card session.
const (
	CardSessionOpen     = "open"
	CardSessionComplete = "complete"
	CardSessionExpired  = "expired"
)

// CardSessionResult is a card session as it stands.
type CardSessionResult struct {
	Status string
	Card   SavedCard // when complete
}

// SavedCard is what a gateway returns for a saved card: safe to store.
type SavedCard struct {
	Ref      string
	Brand    Brand
	Last4    string
	ExpMonth int
	ExpYear  int
	Name     string
	Address  Address
}

// CardUpdate holds the changes to a saved card; nil fields stay as they
// are. A security code is never among them: it is entered on the gateway's
// card page.
type CardUpdate struct {
	ExpMonth *int
	ExpYear  *int
	Name     *string
	Address  *Address
}

// ChargeRequest asks a gateway for money.
type ChargeRequest struct {
	CustomerRef    string
	CardRef        string
	Amount         Money
	Description    string
	IdempotencyKey string
	// OnSession says the person is present and can authenticate with
	// their bank, coming back to ReturnURL; renewals are charged without
	// them.
	OnSession bool
	ReturnURL string
}

// RefundRequest returns money of an earlier charge.
type RefundRequest struct {
	ChargeRef      string
	Amount         Money
	IdempotencyKey string
}

// The statuses of a payment.
const (
	PaymentSucceeded      = "succeeded"
	PaymentRequiresAction = "requires_action" // the person must authenticate at ActionURL
	PaymentProcessing     = "processing"
	PaymentDeclined       = "declined" // Decline says why
	PaymentCanceled       = "canceled"
)

// Payment is a charge or a refund the gateway made, or a charge waiting
// for the person.
type Payment struct {
	Ref       string
	Amount    Money
	Status    string
	ActionURL string // PaymentRequiresAction: the bank's page
	Decline   string // PaymentDeclined: the reason
}

// Event is a gateway's event, verified: what kind it is and the object it
// is about.
type Event struct {
	ID   string
	Type string // as the gateway names it: "payment_intent.succeeded"
	// PaymentRef is the payment a payment, charge or dispute event is about.
	PaymentRef string
	// CardSessionRef and SetupRef are the card session or the setup a card
	// session event is about.
	CardSessionRef string
	SetupRef       string
	// Reason is a dispute's reason.
	Reason string
}

// The decline reasons a gateway reports, as SPEC §2 names them.
const (
	DeclineCardDeclined      = "card_declined"
	DeclineInsufficientFunds = "insufficient_funds"
	DeclineExpiredCard       = "expired_card"
	DeclineIncorrectCVC      = "incorrect_cvc"
	DeclineProcessingError   = "processing_error"
	// DeclineAuthenticationRequired: the bank wants the person to
	// authenticate a payment made without them.
	DeclineAuthenticationRequired = "authentication_required"
	// DeclineAuthenticationFailed: the person failed or abandoned their
	// bank's authentication.
	DeclineAuthenticationFailed = "authentication_failed"
)

// DeclineError is a PaymentFailed error with the reason the gateway gave.
type DeclineError struct {
	Reason string
	err    *Error
}

// Declined returns the PaymentFailed error of a decline, naming the reason.
func Declined(reason string) error {
	return &DeclineError{Reason: reason, err: E(PaymentFailed, "error.payment.declined", "Reason", reason)}
}

func (e *DeclineError) Error() string { return e.err.Error() }

// Unwrap makes a decline an *Error with code PaymentFailed.
func (e *DeclineError) Unwrap() error { return e.err }

// DeclineReason returns the reason of a decline in err's chain, or "".
func DeclineReason(err error) string {
	if e, ok := errors.AsType[*DeclineError](err); ok {
		return e.Reason
	}
	return ""
}
