// Package stripe is the kassa.Gateway that keeps cards and moves money at
// Stripe, through stripe-go.
//
// A billing profile is a Stripe Customer; a saved card is a PaymentMethod of
// type card, attached to that customer; a charge is a PaymentIntent confirmed
// off-session at once; a refund is a Refund of that PaymentIntent. kassa keeps
// only the ids and what SavedCard holds. The card number and the security code
// pass through this package on their way to Stripe and nowhere else: they are
// checked locally first, never logged and never put into an error.
//
// Stripe's errors are mapped by their type, code and param, never by their
// text, to kassa's codes: card errors are declines (PaymentFailed with the
// decline reason), bad card parameters are Invalid naming the field, and
// anything that says "try later" is Unavailable.
package stripe
