package kassa

import (
	"errors"
	"fmt"
)

// Code classifies an Error. Transports map codes to their own statuses (the
// JSON API has one table); nothing else inspects them.
type Code string

// The error codes of SPEC §4.
const (
	BadRequest    Code = "bad_request"
	Unauthorized  Code = "unauthorized"
	PaymentFailed Code = "payment_failed"
	Forbidden     Code = "forbidden"
	NotFound      Code = "not_found"
	Conflict      Code = "conflict"
	Invalid       Code = "invalid"
	RateLimited   Code = "rate_limited"
	Internal      Code = "internal"
	Unavailable   Code = "unavailable"
)

// Error is an error meant for the person or program that made the request: its
// Message is safe to show. Field, when set, names the input at fault.
type Error struct {
	Code    Code
	Message string
	Field   string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf returns an Invalid error about one field of the input.
func Invalidf(field, format string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, Internal for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the message of the first *Error in err's chain, or
// "Internal error." for any other error: causes are logged, never shown.
func ErrorMessage(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return "Internal error."
}

// ErrorField returns the field named by the first *Error in err's chain.
func ErrorField(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Field
	}
	return ""
}
