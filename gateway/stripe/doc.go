// Package stripe is the kassa.Gateway that keeps cards and moves money at
// Stripe, through stripe-go (SPEC §10).
//
// A person is a Stripe Customer, so a card they saved pays for any of their
// billing profiles. Cards are entered on Stripe's own page: a Checkout
// Session in setup mode (cards only, billing address required), whose
// SetupIntent attaches the card to the customer; kassa then reads the
// session and keeps only the PaymentMethod's id, brand, last 4 digits,
// expiry, name and address. No card number or security code passes through
// this package: it has no raw-card path at all. A charge is a PaymentIntent
// confirmed at once under kassa's idempotency key: with the person present
// (purchases, more licenses, paying an invoice), with a return URL, so that
// a bank that wants 3-D Secure answers requires_action with a redirect to
// its page (never Stripe's JavaScript); without them (renewals, retries),
// off_session, so that such a bank's answer is the decline
// authentication_required. A refund is a Refund of that PaymentIntent.
//
// Stripe's events are checked with stripe-go's webhook package (the
// Stripe-Signature header, five minutes' tolerance) against the endpoint's
// secret; kassa reads the object they name again before acting on them.
//
// Stripe's errors are mapped by their type, code and param, never by their
// text, to kassa's codes: card errors are declines (PaymentFailed with the
// decline reason), bad parameters are Invalid naming the field, and
// anything that says "try later" is Unavailable.
package stripe
