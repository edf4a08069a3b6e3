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
	// Everyone lists disabled users too (Admin › People); else only active
	// ones are. Status, Type and Role, when set, keep those that have it.
	Everyone bool
	Status   *UserStatus
	Type     *UserType
	Role     *Role
}

// UserUpdate holds the changes an admin makes to a user of their tenant;
// nil fields stay as they are.
type UserUpdate struct {
	Name   *string
	Type   *UserType
	Role   *Role
	Status *UserStatus
}

// Valid reports whether t is a known user type.
func (t UserType) Valid() bool { return t == Member || t == Guest }

// Valid reports whether s is a known user status.
func (s UserStatus) Valid() bool { return s == Active || s == Disabled }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleUser || r == RoleAdmin }

// Apply returns u changed as up says, checked: Invalid naming the field.
func (u User) Apply(up UserUpdate) (*User, error) {
	if up.Name != nil {
		if err := ValidateName("name", *up.Name); err != nil {
			return nil, err
		}
		u.Name = strings.TrimSpace(*up.Name)
	}
	if up.Type != nil {
		if !up.Type.Valid() {
			return nil, InvalidE("type", "error.user.type")
		}
		u.Type = *up.Type
	}
	if up.Role != nil {
		if !up.Role.Valid() {
			return nil, InvalidE("role", "error.user.role")
		}
		u.Role = *up.Role
	}
	if up.Status != nil {
		if !up.Status.Valid() {
			return nil, InvalidE("status", "error.user.status")
		}
		u.Status = *up.Status
	}
	return &u, nil
}
