package kassa

import (
	"slices"
	"time"
)

// SubscriptionStatus is where a subscription is in its life.
type SubscriptionStatus string

// The subscription statuses of SPEC §2.
const (
	StatusTrialing  SubscriptionStatus = "trialing"
	StatusActive    SubscriptionStatus = "active"
	StatusPastDue   SubscriptionStatus = "past_due"
	StatusSuspended SubscriptionStatus = "suspended"
	StatusCanceled  SubscriptionStatus = "canceled"
	StatusExpired   SubscriptionStatus = "expired"

	// StatusPending is a paid purchase whose first charge is under way. It
	// is never shown: it becomes active when paid, or is removed.
	StatusPending SubscriptionStatus = "pending"
)

// Channel says who manages a subscription: the user who bought it
// (self_service) or the tenant's admins, after a take-over (admin).
type Channel string

// The channels.
const (
	SelfService  Channel = "self_service"
	AdminManaged Channel = "admin"
)

// CancelReason is why a purchaser cancelled.
type CancelReason string

// CancelReasons lists the reasons a purchaser may pick, in the order shown.
var CancelReasons = []CancelReason{
	"too_expensive", "missing_features", "switched_service", "unused",
	"too_complex", "low_quality", "customer_service", "other",
}

// CancelUsersMoved is the reason of a self-service subscription an admin
// ended by moving its license holders to an admin-managed one (Move users,
// SPEC §12). It is not one of CancelReasons: nobody picks it.
const CancelUsersMoved CancelReason = "users_moved"

// MaxQuantity is the most licenses one subscription may have.
const MaxQuantity = 10_000

// Subscription is a number of licenses of one product, bought for a term that
// renews until cancelled.
type Subscription struct {
	ID               string
	TenantID         string
	ProductID        string
	PurchaserID      string
	BillingProfileID string
	Channel          Channel
	Status           SubscriptionStatus
	Term             Term
	Quantity         int
	Assigned         int
	UnitPrice        Money
	AnchorAt         time.Time // terms start on its day of month
	PeriodStart      time.Time
	ExpiresAt        time.Time // end of the current term
	AutoRenew        bool
	CancelAtTermEnd  bool
	CancelReason     CancelReason
	CancelFeedback   string
	Cancelling       bool // cancelled at once, waiting for the refund: its money may not change meanwhile
	Disputed         bool // a card holder disputed a charge of it (SPEC §10)
	CreatedAt        time.Time

	// Read with the subscription, for showing it.
	ProductName    Text
	PurchaserName  string
	PurchaserEmail string
}

// SubscriptionFilter selects subscriptions; nil fields select all.
type SubscriptionFilter struct {
	Channel   *Channel
	Status    *SubscriptionStatus
	ProductID *string
	// Running leaves out the subscriptions that have ended (EndedStatuses).
	Running bool
	// Offset and Limit page the list: Limit rows at most from Offset; a
	// Limit of 0 is every row.
	Offset, Limit int
}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return c == SelfService || c == AdminManaged }

// LiveStatuses are the statuses of a subscription that runs: its licenses
// may be assigned and used, it renews, it may be cancelled. A suspended one
// keeps its licenses but gives no access and takes no new ones; a canceled
// or expired one has ended. sqldb states the same set in SQL from this list
// (liveStatus).
var LiveStatuses = []SubscriptionStatus{StatusTrialing, StatusActive, StatusPastDue}

// Live reports whether s is one of LiveStatuses.
func (s SubscriptionStatus) Live() bool { return slices.Contains(LiveStatuses, s) }

// EndedStatuses are the statuses of a subscription that has ended: its
// licenses were released.
var EndedStatuses = []SubscriptionStatus{StatusCanceled, StatusExpired}

// Ended reports whether a subscription in s has ended (EndedStatuses).
func (s SubscriptionStatus) Ended() bool { return slices.Contains(EndedStatuses, s) }

// Valid reports whether s is a status a subscription can be listed in.
func (s SubscriptionStatus) Valid() bool {
	switch s {
	case StatusTrialing, StatusActive, StatusPastDue, StatusSuspended, StatusCanceled, StatusExpired:
		return true
	}
	return false
}

// TrialDays is how long a free trial lasts (SPEC §2).
const TrialDays = 30

// Available returns how many licenses are free to assign.
func (s *Subscription) Available() int { return s.Quantity - s.Assigned }

// License is one user's seat under a subscription: the user holding it,
// and when and by whom it was assigned.
type License struct {
	SubscriptionID string
	User           User
	AssignedAt     time.Time
	AssignedBy     string // user id
}

// Refusal is why a user cannot be given (or have taken) a license.
type Refusal string

// The refusals of an assign or unassign request (SPEC §2).
const (
	RefusedNotFound   Refusal = "not_found"   // not a user of the tenant
	RefusedGuest      Refusal = "guest"       // a guest of the tenant
	RefusedDisabled   Refusal = "disabled"    // a disabled account
	RefusedHasLicense Refusal = "has_license" // holds a license of the subscription already
	RefusedNoLicense  Refusal = "no_license"  // unassign: holds no license of it
	RefusedViaGroup   Refusal = "via_group"   // unassign: holds it through a linked group
)

// Refused is one user of a batch that was refused, and why.
type Refused struct {
	UserID string
	Name   string // "" when the user is not found
	Reason Refusal
}

// CanManage reports whether a may change s: its purchaser while it is
// self-service, the tenant's admins once they have taken it over.
func (s *Subscription) CanManage(a *Actor) bool {
	if s.Channel == AdminManaged {
		return a.User.IsAdmin()
	}
	return s.PurchaserID == a.User.ID
}

// CheckManager returns a Forbidden error unless a may change s; an admin
// looking at a self-service subscription is told it is read-only.
func (s *Subscription) CheckManager(a *Actor) error {
	switch {
	case s.CanManage(a):
		return nil
	case a.User.IsAdmin():
		return E(Forbidden, "error.subscription.read_only_admin")
	case s.Channel == AdminManaged && s.PurchaserID == a.User.ID:
		return E(Forbidden, "error.subscription.taken_over")
	}
	return E(Forbidden, "error.subscription.purchaser_only")
}

// CancelWindow is how long after a term starts a cancellation is immediate,
// with a pro-rata refund; later it takes effect at the end of the term.
const CancelWindow = 7 * 24 * time.Hour

// MaxFeedback is the longest cancellation feedback, in characters.
const MaxFeedback = 5000

// Valid reports whether r is one of CancelReasons.
func (r CancelReason) Valid() bool {
	for _, c := range CancelReasons {
		if r == c {
			return true
		}
	}
	return false
}

// RetryDelays are when a failed renewal charge is tried again, counted from
// the end of the term; after the last retry fails the subscription is
// suspended (SPEC §2).
var RetryDelays = []time.Duration{24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour}

// SuspendedLife is how long a suspended subscription waits to be paid
// before it expires and its licenses are released.
const SuspendedLife = 30 * 24 * time.Hour

// NextTermEnd returns the end of the term that starts at end, counting
// terms from the anchor so that a 31st stays the 31st where months have one.
func NextTermEnd(anchor, end time.Time, term Term) time.Time {
	for n := 1; n < 12*1000; n++ {
		if t := AddTerms(anchor, term, n); t.After(end) {
			return t
		}
	}
	return AddTerms(end, term, 1)
}
