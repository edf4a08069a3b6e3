package kassa

import "time"

// RequestStatus is where a license request is (SPEC §12).
type RequestStatus string

// The statuses of a license request: pending until an admin decides, then
// approved (everyone asked for), partially_approved (some) or declined
// (nobody).
const (
	RequestPending           RequestStatus = "pending"
	RequestApproved          RequestStatus = "approved"
	RequestPartiallyApproved RequestStatus = "partially_approved"
	RequestDeclined          RequestStatus = "declined"
)

// Valid reports whether s is a request status.
func (s RequestStatus) Valid() bool {
	switch s {
	case RequestPending, RequestApproved, RequestPartiallyApproved, RequestDeclined:
		return true
	}
	return false
}

// LicenseRequest is a person's request for licenses of a product they may
// not buy, for themselves and others, and an admin's decision on it.
type LicenseRequest struct {
	ID, TenantID   string
	ProductID      string
	ProductName    Text
	Requester      Holder // who asked
	Users          []RequestedUser
	Message        string
	Status         RequestStatus
	DecidedBy      *Person // nil while pending
	Decision       string  // the admin's message
	SubscriptionID string  // where the approved got their licenses; "" when none
	CreatedAt      time.Time
	DecidedAt      *time.Time
}

// RequestedUser is one person a request asks a license for.
type RequestedUser struct {
	Holder
	Approved bool
}

// RequestSettings say how people ask for licenses they may not buy:
// through kassa's requests, or, in mode external, the organization's own
// process, which a message and a link point to.
type RequestSettings struct {
	Mode         string // "requests" or "external"
	Message, URL string
}

// The request modes.
const (
	RequestModeRequests = "requests"
	RequestModeExternal = "external"
)

// Request limits: people per request, and characters of a message.
const (
	MaxRequestUsers   = 20
	MaxRequestMessage = 2000
)

// CanRequest reports whether a person may ask for licenses of a product
// whose policy is p: where they may not simply buy it.
func CanRequest(p PurchasePolicy) bool { return p == PolicyDisabled || p == PolicyTrialsOnly }
