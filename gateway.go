package kassa

import (
	"context"
	"errors"
)

// Gateway keeps cards and moves money. kassa hands it the card number and
// security code and keeps only what it returns. Implementations:
// gateway/simulator (in-process, deterministic) and gateway/stripe.
//
// Every method may return an Unavailable error when the gateway cannot be
// reached; callers must not hold a database transaction across a call.
type Gateway interface {
	// CreateCustomer registers a payer (one per billing profile) and
	// returns the gateway's reference for it.
	CreateCustomer(ctx context.Context, c Customer) (string, error)

	// SaveCard stores a card and returns what kassa may keep of it.
	// Errors: Invalid naming the card.* field at fault, PaymentFailed
	// when the card is refused (its message names the decline reason).
	SaveCard(ctx context.Context, c Card) (SavedCard, error)

	// UpdateCard changes what may change of a saved card. A new security
	// code is checked for its form and handed to the gateway (Stripe: as a
	// cvc_update token), never kept. Errors: Invalid, PaymentFailed.
	UpdateCard(ctx context.Context, ref string, u CardUpdate) error

	// AttachCard makes a saved card one that charges of the customer use.
	AttachCard(ctx context.Context, cardRef, customerRef string) error

	// DetachCard forgets a saved card; detaching one that is gone is no error.
	DetachCard(ctx context.Context, cardRef string) error

	// Charge takes money from a card. The same IdempotencyKey never charges
	// twice: a retry answers as the first attempt did. Errors:
	// PaymentFailed naming the decline reason (see DeclineReason).
	Charge(ctx context.Context, r ChargeRequest) (Payment, error)

	// Refund returns money of a charge, at most what was charged, once per
	// IdempotencyKey.
	Refund(ctx context.Context, r RefundRequest) (Payment, error)
}

// Customer is who a billing profile bills.
type Customer struct {
	Name    string
	Email   string
	Address Address
}

// SavedCard is what a gateway returns for a saved card: safe to store.
type SavedCard struct {
	Ref      string
	Brand    Brand
	Last4    string
	ExpMonth int
	ExpYear  int
}

// CardUpdate holds the changes to a saved card; nil fields stay as they are.
type CardUpdate struct {
	CVC      *string
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
}

// RefundRequest returns money of an earlier charge.
type RefundRequest struct {
	ChargeRef      string
	Amount         Money
	IdempotencyKey string
}

// Payment is a charge or a refund the gateway made.
type Payment struct {
	Ref    string
	Amount Money
}

// The decline reasons a gateway reports, as SPEC §2 names them.
const (
	DeclineCardDeclined      = "card_declined"
	DeclineInsufficientFunds = "insufficient_funds"
	DeclineExpiredCard       = "expired_card"
	DeclineIncorrectCVC      = "incorrect_cvc"
	DeclineProcessingError   = "processing_error"
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
