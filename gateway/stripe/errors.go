package stripe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/stripe/stripe-go/v85"
)

// errUnavailable is what people get when Stripe cannot answer now.
func errUnavailable() error { return kassa.E(kassa.Unavailable, "error.payment.unavailable") }

// mapError turns an error of stripe-go into one with a kassa code, judging
// a *stripe.Error by its type, code, param and status, never by its text.
// op is short context for the log; prefix goes before the card field names
// of Invalid errors ("card." while a card is being saved). The result never
// holds Stripe's message, which could quote what was sent.
func mapError(op, prefix string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stripe %s: %w", op, err)
	}
	se, ok := errors.AsType[*stripe.Error](err)
	if !ok {
		_, isURL := errors.AsType[*url.Error](err)
		_, isNet := errors.AsType[net.Error](err)
		if isURL || isNet {
			return fmt.Errorf("stripe %s: %w (%w)", op, errUnavailable(), err)
		}
		return fmt.Errorf("stripe %s: %w", op, err)
	}
	var kerr error
	switch field := cardField(prefix, se.Param); {
	case se.Type == stripe.ErrorTypeCard:
		kerr = kassa.Declined(declineReason(se))
	case se.Type == stripe.ErrorTypeIdempotency:
		kerr = kassa.E(kassa.Conflict, "error.payment.request_reused")
	case se.HTTPStatusCode >= 500, se.HTTPStatusCode == 429, se.Type == stripe.ErrorTypeAPI,
		se.Code == stripe.ErrorCodeRateLimit, se.Code == stripe.ErrorCodeLockTimeout,
		se.Code == stripe.ErrorCodeIdempotencyKeyInUse:
		kerr = errUnavailable()
	case se.Code == stripe.ErrorCodeResourceMissing:
		kerr = noSuch(se.Param)
	case se.Type == stripe.ErrorTypeInvalidRequest && field != "":
		kerr = kassa.InvalidE(field, "error.payment.refused_field", "Field", field)
	default:
		return fmt.Errorf("stripe %s: %w", op, stripeCause{se})
	}
	return fmt.Errorf("stripe %s: %w (%w)", op, kerr, stripeCause{se})
}

// declineReason is the issuer's decline code, or else Stripe's error code.
func declineReason(se *stripe.Error) string {
	if se.DeclineCode != "" {
		return string(se.DeclineCode)
	}
	if se.Code != "" {
		return string(se.Code)
	}
	return kassa.DeclineCardDeclined
}

// stripeCode returns the code of the *stripe.Error in err's chain, or "".
func stripeCode(err error) stripe.ErrorCode {
	if se, ok := errors.AsType[*stripe.Error](err); ok {
		return se.Code
	}
	return ""
}

// cardFields are the parts of a card that kassa's inputs name.
var cardFields = map[string]bool{"number": true, "exp_month": true, "exp_year": true, "cvc": true, "name": true, "address": true}

// cardField maps a Stripe param naming part of a card to kassa's field
// name, or returns "" for any other param: "card[number]" and "number"
// become prefix+"number", "cvc_update[cvc]" prefix+"cvc",
// "billing_details[address][postal_code]" prefix+"address.postal_code".
func cardField(prefix, param string) string {
	parts := strings.FieldsFunc(param, func(r rune) bool { return r == '[' || r == ']' })
	if len(parts) > 1 {
		switch parts[0] {
		case "card", "billing_details", "cvc_update":
			parts = parts[1:]
		default:
			return ""
		}
	}
	if len(parts) == 0 || !cardFields[parts[0]] || (len(parts) > 1 && parts[0] != "address") {
		return ""
	}
	return prefix + strings.Join(parts, ".")
}

// noSuch is the NotFound error for the kind of object a param refers to.
func noSuch(param string) error {
	switch param {
	case "payment_method", "id":
		return kassa.E(kassa.NotFound, "error.payment.no_such_card")
	case "customer":
		return kassa.E(kassa.NotFound, "error.payment.no_such_customer")
	case "payment_intent", "charge":
		return kassa.E(kassa.NotFound, "error.payment.no_such_charge")
	}
	return kassa.E(kassa.NotFound, "error.payment.no_such_object")
}

// stripeCause is a *stripe.Error as it shows in logs: its type, codes,
// param, status and request id, without its message.
type stripeCause struct{ err *stripe.Error }

func (c stripeCause) Error() string {
	e := c.err
	s := fmt.Sprintf("stripe %s", e.Type)
	if e.Code != "" {
		s += " code=" + string(e.Code)
	}
	if e.DeclineCode != "" {
		s += " decline_code=" + string(e.DeclineCode)
	}
	if e.Param != "" {
		s += " param=" + e.Param
	}
	s += fmt.Sprintf(" status=%d", e.HTTPStatusCode)
	if e.RequestID != "" {
		s += " request=" + e.RequestID
	}
	return s
}

func (c stripeCause) Unwrap() error { return c.err }

// sdkLogger passes stripe-go's retry notices to slog as warnings and drops
// its other lines: its errors are returned by this package, to be logged
// once by the caller, its info lines quote Stripe's error messages, and its
// debug lines are whole response bodies with people's billing details.
type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Debugf(format string, v ...any) {}
func (l sdkLogger) Errorf(format string, v ...any) {}
func (l sdkLogger) Infof(format string, v ...any)  {}
func (l sdkLogger) Warnf(format string, v ...any) {
	l.log.Warn("stripe-go: " + fmt.Sprintf(format, v...))
}
