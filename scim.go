package kassa

import (
	"strings"
	"time"
	"unicode/utf8"
)

// SCIMToken is a token an organization's identity provider (Entra ID,
// Okta) provisions its people into kassa with, over SCIM 2.0 (SPEC §8). It
// reaches its own tenant only; kassa keeps only its hash, and shows the
// token once, when it is made.
type SCIMToken struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"-"`
	Name       string     `json:"name"`
	CreatedBy  Person     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// MaxSCIMTokens bounds a tenant's tokens: one or two per identity
// provider, and a few more while one replaces another.
const MaxSCIMTokens = 20

// DirectoryUser is a user as the organization's directory (SCIM) sees them:
// kassa's user and what the directory says beyond it.
type DirectoryUser struct {
	User
	// UserName is the directory's userName: the sign-in email, unless the
	// directory's userName is no email (then the sign-in email is its work
	// email).
	UserName   string
	ExternalID string
	// WorkEmail is a work address the directory gave other than Email.
	WorkEmail             string
	GivenName, FamilyName string
	// Managed users are the directory's: Admin › People changes only
	// their role.
	Managed   bool
	UpdatedAt time.Time
}

// DirectoryFilter selects directory users: each field set must match,
// userName and emails without regard to case.
type DirectoryFilter struct {
	UserName, ExternalID, Email, DisplayName *string
}

// Check puts d's names and emails in the form they are stored in, and
// checks them: the sign-in email is userName when that is an email, else
// the work email. Errors: Invalid naming the SCIM attribute.
func (d *DirectoryUser) Check() error {
	for field, v := range map[string]string{"userName": d.UserName, "displayName": d.Name, "externalId": d.ExternalID,
		"name.givenName": d.GivenName, "name.familyName": d.FamilyName, "emails": d.WorkEmail} {
		if strings.ContainsRune(v, 0) || !utf8.ValidString(v) || utf8.RuneCountInString(v) > 1000 {
			return InvalidE(field, "error.scim.text", "Field", field)
		}
	}
	d.UserName = strings.TrimSpace(d.UserName)
	if d.UserName == "" || utf8.RuneCountInString(d.UserName) > 254 {
		return InvalidE("userName", "error.scim.user_name")
	}
	d.GivenName, d.FamilyName = strings.TrimSpace(d.GivenName), strings.TrimSpace(d.FamilyName)
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" {
		d.Name = strings.TrimSpace(d.GivenName + " " + d.FamilyName)
	}
	if d.Name == "" {
		d.Name = d.UserName
	}
	if err := ValidateName("displayName", d.Name); err != nil {
		return err
	}
	work := ""
	if d.WorkEmail != "" {
		var err error
		if work, err = NormalizeEmail("emails", d.WorkEmail); err != nil {
			return err
		}
	}
	if email, err := NormalizeEmail("userName", d.UserName); err == nil {
		d.Email = email
	} else if work != "" {
		d.Email = work
	} else {
		return InvalidE("userName", "error.scim.user_name")
	}
	d.WorkEmail = ""
	if work != d.Email {
		d.WorkEmail = work
	}
	if !d.Type.Valid() {
		d.Type = Member
	}
	if !d.Role.Valid() {
		d.Role = RoleUser
	}
	return nil
}

// Group is a group of the organization's directory (SPEC §8) and who is
// in it.
type Group struct {
	ID          string
	TenantID    string
	DisplayName string
	ExternalID  string
	Members     []Person // by name; nil when not asked for
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// GroupFilter selects groups: each field set must match, the name without
// regard to case.
type GroupFilter struct {
	DisplayName, ExternalID *string
}

// GroupChange is what a change of a group does: its name and external id
// when set, and its members added, removed, or (Replace) set.
type GroupChange struct {
	DisplayName, ExternalID *string
	Add, Remove             []string
	Replace                 *[]string
}

// CheckGroupName trims a group's name and checks it. Errors: Invalid
// naming displayName.
func CheckGroupName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if strings.ContainsRune(name, 0) || !utf8.ValidString(name) {
		return "", InvalidE("displayName", "error.scim.text", "Field", "displayName")
	}
	return name, ValidateName("displayName", name)
}
