package kassa

import "time"

// Licenses by group (SPEC §12): an admin links a directory group to an
// admin-managed subscription; its members hold the subscription's licenses
// while there are free ones, and lose them when they leave the group or the
// group is unlinked. A license the group gave is the group's: it is taken
// back through the group, never unassigned by hand.

// GroupLink is a directory group linked to a subscription.
type GroupLink struct {
	SubscriptionID string
	GroupID        string
	GroupName      string
	LinkedBy       string // the admin's user id
	LinkedAt       time.Time
	// Licensed counts the members who hold a license of the subscription,
	// Waiting those who do not, whatever the reason.
	Licensed, Waiting int
}

// MemberState is where a member of a linked group stands: licensed, or why
// not.
type MemberState string

// The states of a linked group's members.
const (
	MemberLicensed      MemberState = "licensed"
	MemberNoFreeLicense MemberState = "no_free_license" // waits for a license to come free
	MemberGuest         MemberState = "guest"           // guests hold no licenses
	MemberDisabled      MemberState = "disabled"        // a disabled account holds none
)

// GroupMember is a member of a linked group and their state.
type GroupMember struct {
	ID, Name, Email string
	State           MemberState
}
