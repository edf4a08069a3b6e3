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

// Error is an error meant for the person or program that made the request.
// What it says is the catalog's message Key filled in with Args (package
// locale renders it in the reader's language). Message is only for words
// that come from outside kassa, which no catalog holds (a peer's own
// explanation), and is shown as it is when there is no Key. Field, when set, names the
// input at fault; Refused, for a batch refused whole, names each user at
// fault and why, so that every language can say it.
type Error struct {
	Code    Code
	Key     string
	Args    []any // pairs of a name and a value, as Key's message names them
	Message string
	Field   string
	Refused []Refused
	// Problems are the faults of a batch refused whole (a catalog file, a
	// CSV import): each one's place and what is wrong there.
	Problems []Problem
}

// Problem is one fault of a batch: where it is (a line and column of a
// file, the item such as a product's SKU, the field) and what is wrong,
// as the catalog's message Key filled in with Args.
type Problem struct {
	Line, Column int // 0 when the batch is no file
	Item         string
	Field        string
	Key          string
	Args         []any
}

// Error returns the message, or the key with its arguments: what a log
// shows. People read it through the catalog.
func (e *Error) Error() string {
	if e.Key == "" {
		return e.Message
	}
	s := e.Key
	for i := 0; i+1 < len(e.Args); i += 2 {
		s += fmt.Sprintf(" %v=%v", e.Args[i], e.Args[i+1])
	}
	for _, r := range e.Refused {
		s += fmt.Sprintf(" %s:%s", r.UserID, r.Reason)
	}
	for _, p := range e.Problems {
		s += fmt.Sprintf("; %d:%d %s %s %s", p.Line, p.Column, p.Item, p.Field, p.Key)
	}
	return s
}

// E returns an *Error with the code and the catalog's message key, filled
// in from args: pairs of a name and a value, E(Conflict,
// "error.licenses.not_enough", "Free", 2, "Count", 5).
func E(code Code, key string, args ...any) *Error {
	return &Error{Code: code, Key: key, Args: args}
}

// WithRefused sets the users a batch refused whole and returns e.
func (e *Error) WithRefused(refused []Refused) *Error {
	e.Refused = refused
	return e
}

// InvalidE returns an Invalid error about one field of the input, with the
// catalog's message key and its args.
func InvalidE(field, key string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Key: key, Args: args}
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

// ErrorRefused returns the users the first *Error in err's chain refused.
func ErrorRefused(err error) []Refused {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Refused
	}
	return nil
}

// ErrorField returns the field named by the first *Error in err's chain.
func ErrorField(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Field
	}
	return ""
}
