package api

import (
	"errors"
	"net/http"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// MethodNotAllowed is the code of a request with a method its path does not
// take. It is the one code the API adds to kassa's (documented in openapi.json).
const MethodNotAllowed kassa.Code = "method_not_allowed"

// statuses maps each error code to its HTTP status.
var statuses = map[kassa.Code]int{
	kassa.BadRequest:    http.StatusBadRequest,
	kassa.Unauthorized:  http.StatusUnauthorized,
	kassa.PaymentFailed: http.StatusPaymentRequired,
	kassa.Forbidden:     http.StatusForbidden,
	kassa.NotFound:      http.StatusNotFound,
	MethodNotAllowed:    http.StatusMethodNotAllowed,
	kassa.Conflict:      http.StatusConflict,
	kassa.Invalid:       http.StatusUnprocessableEntity,
	kassa.RateLimited:   http.StatusTooManyRequests,
	kassa.Internal:      http.StatusInternalServerError,
	kassa.Unavailable:   http.StatusServiceUnavailable,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    kassa.Code `json:"code"`
	Message string     `json:"message"`
	Field   string     `json:"field,omitempty"`
	// RequestID is the request's id (its X-Request-Id), to quote.
	RequestID string `json:"request_id,omitempty"`
	// Problems are the faults of a batch refused whole (a CSV import),
	// each where it is.
	Problems []problemJSON `json:"problems,omitempty"`
}

type problemJSON struct {
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// problems are err's faults, in English.
func problems(err error) []problemJSON {
	e, ok := errors.AsType[*kassa.Error](err)
	if !ok {
		return nil
	}
	en := locale.In(locale.English)
	var out []problemJSON
	for _, p := range e.Problems {
		out = append(out, problemJSON{Line: p.Line, Column: p.Column, Field: p.Field, Message: en.T(p.Key, p.Args...)})
	}
	return out
}

// writeError renders err in the API's error format, its message in English
// from the catalog. Causes other than a *kassa.Error are logged here, once.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := kassa.ErrorCode(err)
	if code == kassa.Internal {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status, ok := statuses[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if code == kassa.Unauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kassa"`)
	}
	writeJSON(w, status, errorBody{Error: errorDetail{
		Code: code, Message: locale.In(locale.English).Error(err), Field: kassa.ErrorField(err),
		Problems: problems(err), RequestID: kassa.RequestIDFromContext(r.Context()),
	}})
}

// WriteError renders err for a request under /api/ that never reached a
// Server, such as one refused as cross-origin.
func WriteError(w http.ResponseWriter, r *http.Request, code kassa.Code, message string) {
	writeJSON(w, statuses[code], errorBody{Error: errorDetail{Code: code, Message: message,
		RequestID: kassa.RequestIDFromContext(r.Context())}})
}
