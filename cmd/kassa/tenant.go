package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/locale"
	"github.com/kassa-billing/kassa/sqldb"
)

// usageError is a command used wrongly: a flag missing or malformed. kassa
// exits with status 2 for it (1 for every other failure), and nothing was
// written.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError with the message.
func usagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

// baseURLFlag is --base-url: the address people and other systems reach
// kassa at, which every link kassa makes starts with (SPEC §7).
func (m *Main) baseURLFlag(cmd *cobra.Command) *string {
	return cmd.Flags().String("base-url", m.env("KASSA_BASE_URL", ""),
		"the address people reach kassa at, for the links it makes (env KASSA_BASE_URL; default http:// and the listen address)")
}

// baseURL returns the base URL given, or http:// and addr; without a
// trailing slash.
func (m *Main) baseURL(given, addr string) (string, error) {
	if given == "" {
		return "http://" + addr, nil
	}
	u, err := kassa.ParseBaseURL(given)
	if err != nil {
		return "", usagef("--base-url: %s", inEnglish(err))
	}
	return u, nil
}

func (m *Main) tenantCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "tenant", Short: "Create and list organizations"}
	cmd.AddCommand(m.tenantCreateCommand(), m.tenantListCommand())
	return cmd
}

func (m *Main) tenantCreateCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "create", Short: "Create an organization and invite its first admin", Args: cobra.NoArgs}
	f := cmd.Flags()
	name := f.String("name", "", "the organization's name")
	country := f.String("country", "", "its country, ISO 3166 (SE): decides VAT")
	currency := f.String("currency", "", "the currency it buys in, ISO 4217 (SEK)")
	lang := f.String("locale", "", "its people's default language: "+strings.Join(locale.Supported, ", "))
	domains := f.StringSlice("domain", nil, "its email domains, each another organization's never (repeat or separate by commas)")
	adminEmail := f.String("admin-email", "", "the first admin's email address")
	adminName := f.String("admin-name", "", "the first admin's name")
	dsn := m.dbFlag(cmd)
	base := m.baseURLFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		for _, fl := range []string{"name", "country", "currency", "locale", "domain", "admin-email", "admin-name"} {
			if !f.Changed(fl) {
				return usagef("--%s is required", fl)
			}
		}
		baseURL, err := m.baseURL(*base, m.env("KASSA_ADDR", "127.0.0.1:8080"))
		if err != nil {
			return err
		}
		t := &kassa.Tenant{Name: *name, Country: *country, Currency: *currency, Locale: *lang, Domains: *domains}
		if err := t.Validate(); err != nil {
			return flagError(err, map[string]string{"domains": "domain"})
		}
		email, err := kassa.NormalizeEmail("admin-email", *adminEmail)
		if err != nil {
			return flagError(err, nil)
		}
		if err := kassa.ValidateName("admin-name", *adminName); err != nil {
			return flagError(err, nil)
		}
		admin := &kassa.User{Name: strings.TrimSpace(*adminName), Email: email, Type: kassa.Member,
			Status: kassa.Active, Role: kassa.RoleAdmin}

		var token string
		if err := withDB(cmd.Context(), *dsn, func(db *sqldb.DB) error {
			token, err = createTenant(cmd.Context(), db, t, admin)
			return err
		}); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Created %s: tenant %s, directory id %s.\n", t.Name, t.ID, t.DirectoryID)
		fmt.Fprintf(m.Stdout, "Its first admin, %s <%s>, sets a password and signs in with this link, once, within 72 hours:\n\n  %s\n\n",
			admin.Name, admin.Email, baseURL+"/invitation/"+token)
		return nil
	}
	return cmd
}

// createTenant makes the tenant, its first admin and the admin's
// invitation in one transaction, and returns the invitation's token.
func createTenant(ctx context.Context, db *sqldb.DB, t *kassa.Tenant, admin *kassa.User) (string, error) {
	a, err := auth.New(db, kassa.SystemClock{}, slog.New(slog.DiscardHandler))
	if err != nil {
		return "", err
	}
	var token string
	err = db.Atomically(ctx, func(ctx context.Context) error {
		if err := db.CreateTenant(ctx, t); err != nil {
			return err
		}
		if err := db.CreateUser(ctx, t.ID, admin, ""); err != nil {
			return err
		}
		token, err = a.NewLink(ctx, admin.ID, sqldb.TokenInvitation)
		return err
	})
	return token, err
}

// flagError turns an Invalid error about a field into a usage error naming
// the flag that gave it (the field's name, or what rename says); other
// errors stay as they are.
func flagError(err error, rename map[string]string) error {
	if kassa.ErrorCode(err) != kassa.Invalid {
		return err
	}
	field := kassa.ErrorField(err)
	if r, ok := rename[field]; ok {
		field = r
	}
	field, _, _ = strings.Cut(field, ".")
	return usagef("--%s: %s", strings.ReplaceAll(field, "_", "-"), locale.In(locale.English).Error(err))
}

func (m *Main) tenantListCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List the organizations", Args: cobra.NoArgs}
	dsn := m.dbFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return withDB(cmd.Context(), *dsn, func(db *sqldb.DB) error {
			tenants, err := db.FindTenants(cmd.Context())
			if err != nil {
				return err
			}
			return writeTenants(m.Stdout, tenants)
		})
	}
	return cmd
}

func writeTenants(w io.Writer, tenants []*sqldb.TenantSummary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tDIRECTORY ID\tCOUNTRY\tCURRENCY\tLOCALE\tDOMAINS\tUSERS\tADMINS")
	for _, t := range tenants {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", t.ID, t.Name, t.DirectoryID, t.Country, t.Currency,
			t.Locale, strings.Join(t.Domains, ","), t.Users, t.Admins)
	}
	return tw.Flush()
}

// exitCode is the status kassa exits with after err: 2 for a command used
// wrongly, 1 for any other failure.
func exitCode(err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}
