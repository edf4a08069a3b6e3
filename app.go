package kassa

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// App is an application registered with a tenant (SPEC §9): it signs in
// with its client id and a client secret, as apps registered with Entra ID
// do, and reads and assigns the tenant's licenses through the
// Graph-compatible API within its permissions.
type App struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"-"`
	Name        string    `json:"name"`
	ClientID    string    `json:"client_id"` // a GUID, as Entra's
	Permissions []string  `json:"permissions"`
	CreatedBy   Person    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// AppSecret is one of an app's client secrets, as its list shows it: kassa
// keeps only the secret's hash, and shows the secret once.
type AppSecret struct {
	ID         string     `json:"id"`
	AppID      string     `json:"-"`
	Hint       string     `json:"hint"` // its first three characters, as Entra shows
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// The permissions an app may be given, by Microsoft Graph's names.
const (
	PermOrganizationRead  = "Organization.Read.All"
	PermUserRead          = "User.Read.All"
	PermLicenseAssignment = "LicenseAssignment.ReadWrite.All"
)

// AppPermissions lists the permissions an app may be given.
var AppPermissions = []string{PermOrganizationRead, PermUserRead, PermLicenseAssignment}

// MaxApps bounds a tenant's apps, and MaxAppSecrets an app's secrets: the
// one in use and its successor while it is rotated.
const (
	MaxApps       = 50
	MaxAppSecrets = 2
)

// CheckApp trims the app's name and sorts its permissions, and checks
// them: a name of 1 to 100 characters, and at least one permission, each
// known and given once. Errors: Invalid naming the field.
func (a *App) CheckApp() error {
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" || utf8.RuneCountInString(a.Name) > 100 || !utf8.ValidString(a.Name) || strings.ContainsRune(a.Name, 0) {
		return InvalidE("name", "error.app.name")
	}
	if len(a.Permissions) == 0 {
		return InvalidE("permissions", "error.app.permissions", "Permissions", strings.Join(AppPermissions, ", "))
	}
	perms := slices.Clone(a.Permissions)
	slices.Sort(perms)
	for i, p := range perms {
		if !slices.Contains(AppPermissions, p) || (i > 0 && perms[i-1] == p) {
			return InvalidE("permissions", "error.app.permissions", "Permissions", strings.Join(AppPermissions, ", "))
		}
	}
	a.Permissions = perms
	return nil
}

// Can reports whether the app holds the permission.
func (a *App) Can(permission string) bool { return slices.Contains(a.Permissions, permission) }
