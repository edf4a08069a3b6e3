package kassa

import (
	"net/mail"
	"strings"
	"time"
)

// UserType says whether a user is a member of the tenant or a guest in it.
type UserType string

// UserStatus says whether a user may sign in and hold licenses.
type UserStatus string

// Role decides what a user may do in the tenant.
type Role string

// The values of UserType, UserStatus and Role.
const (
	Member UserType = "member"
	Guest  UserType = "guest"

	Active   UserStatus = "active"
	Disabled UserStatus = "disabled"

	RoleUser  Role = "user"
	RoleAdmin Role = "admin"
)

// User is a directory entry of a tenant.
type User struct {
	ID        string     `json:"id"`
	TenantID  string     `json:"-"`
	Name      string     `json:"name"`
	Email     string     `json:"email"`
	Type      UserType   `json:"type"`
	Status    UserStatus `json:"status"`
	Role      Role       `json:"role"`
	CreatedAt time.Time  `json:"-"`
}

// CanBuy reports whether u may buy subscriptions: guests and disabled users
// cannot.
func (u *User) CanBuy() bool { return u.Type == Member && u.Status == Active }

// LicenseHolders are the users who may be given a license (SPEC §2):
// members of the tenant, not guests, whose account is active. sqldb states
// the same rule in SQL from these values (licenseHolder).
const (
	LicenseHolderType   = Member
	LicenseHolderStatus = Active
)

// CanHoldLicense reports whether u may be given a license.
func (u *User) CanHoldLicense() bool { return u.LicenseRefusal() == "" }

// LicenseRefusal says why u may not be given a license, or "" when u may:
// RefusedGuest for a guest, RefusedDisabled for a disabled member.
func (u *User) LicenseRefusal() Refusal {
	switch {
	case u.Type != LicenseHolderType:
		return RefusedGuest
	case u.Status != LicenseHolderStatus:
		return RefusedDisabled
	}
	return ""
}

// IsAdmin reports whether u administers the tenant.
func (u *User) IsAdmin() bool { return u.Role == RoleAdmin }

// NormalizeEmail returns the form emails are stored and compared in, or an
// Invalid error naming field when s is not a plain address.
func NormalizeEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s, "@") {
		return "", InvalidE(field, "error.email.invalid", "Field", field)
	}
	return strings.ToLower(s), nil
}

// UserFilter selects users for FindUsers.
type UserFilter struct {
	// Search keeps users with a word of the name, or the email, that starts
	// with it, ignoring case and accents (typeahead).
	Search string
	// After continues a listing after the user with this cursor.
	After string
	Limit int
}
