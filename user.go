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

// NewPerson returns a new active user checked as an admin adds one: name
// and email as given (trimmed, the email lowered), type member and role
// user when left empty. Errors: Invalid naming the field.
func NewPerson(name, email string, t UserType, r Role) (*User, error) {
	if err := ValidateName("name", name); err != nil {
		return nil, err
	}
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	if t == "" {
		t = Member
	}
	if r == "" {
		r = RoleUser
	}
	if !t.Valid() {
		return nil, InvalidE("type", "error.user.type")
	}
	if !r.Valid() {
		return nil, InvalidE("role", "error.user.role")
	}
	return &User{Name: strings.TrimSpace(name), Email: email, Type: t, Role: r, Status: Active}, nil
}

// ImportLine is one person of an import (a CSV line): as the file wrote
// them, the user they make when the line is good, and what the import does
// with them. An import is all or nothing: one line with Problems and no
// line is written.
type ImportLine struct {
	Line                    int // in the file, the header being line 1
	Name, Email, Type, Role string
	User                    *User // nil when the line is at fault
	Outcome                 ImportOutcome
	Problems                []Problem
}

// ImportOutcome is what an import does with a line.
type ImportOutcome string

// The outcomes of a line. An import adds people; it changes no one already
// in the tenant (their page, or the directory, does that), so importing a
// file twice adds them once.
const (
	ImportAdd     ImportOutcome = "add"
	ImportExists  ImportOutcome = "exists"
	ImportRefused ImportOutcome = "refused"
)

// Refuse marks l at fault: its field is wrong as the catalog's key says.
func (l *ImportLine) Refuse(field, key string, args ...any) {
	l.Outcome, l.User = ImportRefused, nil
	l.Problems = append(l.Problems, Problem{Line: l.Line, Field: field, Key: key, Args: args})
}

// ImportProblems returns the Invalid error of an import with lines at
// fault, naming each line and field; nil when every line is good.
func ImportProblems(lines []*ImportLine) error {
	var problems []Problem
	for _, l := range lines {
		problems = append(problems, l.Problems...)
	}
	if len(problems) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Key: "error.import.refused", Args: []any{"Count", len(problems)},
		Problems: problems}
}
