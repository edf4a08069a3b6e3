package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// spendPath is Admin › Spend limits.
const spendPath = "/admin/spend-limits"

// SpendPage is Admin › Spend limits (SPEC §12): the organization's monthly
// ceiling on self-service spend, the default per person and the people
// with ceilings of their own, each with this month's spend. One form
// saves them all; amounts are typed in whole units of the organization's
// currency, and an empty one is no ceiling. A person is added by email.
type SpendPage struct {
	Layout
	Month, Spent           string // "december 2026", what the organization spent in it
	Organization, Default  Field
	People                 []SpendPersonRow
	AddEmail, AddLimit     Field
	Currency, FormError    string
	Notice                 string
	OrganizationLimitShown string // the ceiling as saved, for the spend line; "" when none
}

// SpendPersonRow is a person with a ceiling of their own.
type SpendPersonRow struct {
	UserID, Name, Email, Spent string
	Limit                      Field
	Remove                     bool
}

func (*SpendPage) template() string { return "spend.html" }

func (s *server) spendPage(r *http.Request) (*SpendPage, *kassa.SpendLimits, error) {
	p := &SpendPage{Layout: s.layout(r, msg("nav.spend_limits"))}
	l, spend, err := s.db.FindSpendLimits(r.Context())
	if err != nil {
		return nil, nil, err
	}
	money := s.amounts(p.Lang)
	p.Currency = p.Actor.Tenant.Currency
	p.Month = locale.FormatMonth(spend.Month, p.Lang)
	p.Spent = money.of(spend.Organization)
	whole := func(m *kassa.Money) string {
		if m == nil {
			return ""
		}
		return formatWhole(*m)
	}
	unit := p.T("spend.unit", "Currency", p.Currency)
	p.Organization = Field{ID: "spend-organization", Name: "organization", Label: p.T("spend.organization"),
		Hint: unit, Value: whole(l.Organization), InputMode: "numeric", Class: "short"}
	p.Default = Field{ID: "spend-default", Name: "per_person", Label: p.T("spend.per_person"),
		Hint: unit, Value: whole(l.PerPerson), InputMode: "numeric", Class: "short"}
	if l.Organization != nil {
		p.OrganizationLimitShown = money.of(*l.Organization)
	}
	for _, pl := range l.People {
		p.People = append(p.People, SpendPersonRow{UserID: pl.UserID, Name: pl.Name, Email: pl.Email,
			Spent: money.of(spend.People[pl.UserID]),
			Limit: Field{ID: "spend-person-" + pl.UserID, Name: "limit_" + pl.UserID,
				Label: p.T("spend.person_limit", "Name", pl.Name), Value: whole(pl.Monthly), InputMode: "numeric", Class: "short"}})
	}
	p.AddEmail = Field{ID: "spend-add-email", Name: "add_email", Label: p.T("spend.add_email"), Type: "email", Autocomplete: "off",
		Class: "medium"}
	p.AddLimit = Field{ID: "spend-add-limit", Name: "add_limit", Label: p.T("spend.add_limit"), Hint: p.T("spend.add_limit.hint", "Currency", p.Currency),
		InputMode: "numeric", Class: "short"}
	return p, l, money.err
}

// formatWhole writes m in whole units, as the form takes it back.
func formatWhole(m kassa.Money) string {
	d := m.Decimal()
	if i := strings.IndexByte(d, '.'); i >= 0 {
		d = d[:i]
	}
	return d
}

func (s *server) spendLimits(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.spendPage(r)
	if err != nil {
		return err
	}
	p.Notice = notice(&p.Layout, r)
	return s.render(w, http.StatusOK, p)
}

func (s *server) setSpendLimits(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, _, err := s.spendPage(r)
	if err != nil {
		return err
	}
	form := r.PostForm
	currency := p.Currency
	bad := false
	// amount reads a field as typed: "" is no ceiling.
	amount := func(f *Field) *kassa.Money {
		f.Value = strings.TrimSpace(form.Get(f.Name))
		if f.Value == "" {
			return nil
		}
		m, ok := kassa.ParseWholeAmount(f.Value, currency)
		if !ok {
			f.Error, bad = p.T("spend.error.amount", "Currency", currency), true
			return nil
		}
		return &m
	}
	l := kassa.SpendLimits{Organization: amount(&p.Organization), PerPerson: amount(&p.Default)}
	removed := form["remove"]
	for i := range p.People {
		row := &p.People[i]
		row.Remove = slices.Contains(removed, row.UserID)
		m := amount(&row.Limit)
		if !row.Remove {
			l.People = append(l.People, kassa.PersonLimit{UserID: row.UserID, Monthly: m})
		}
	}
	if email := strings.TrimSpace(form.Get("add_email")); email != "" || strings.TrimSpace(form.Get("add_limit")) != "" {
		p.AddEmail.Value = email
		m := amount(&p.AddLimit)
		u, err := s.db.FindUserByEmail(r.Context(), email)
		switch {
		case kassa.ErrorCode(err) == kassa.NotFound, err == nil && !u.CanHoldLicense():
			p.AddEmail.Error, bad = p.T("spend.error.email"), true
		case err != nil:
			return err
		case slices.ContainsFunc(p.People, func(row SpendPersonRow) bool { return row.UserID == u.ID }):
			p.AddEmail.Error, bad = p.T("spend.error.listed"), true
		default:
			l.People = append(l.People, kassa.PersonLimit{UserID: u.ID, Monthly: m})
		}
	}
	if bad {
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	err = s.db.SetSpendLimits(r.Context(), l)
	if kassa.ErrorCode(err) == kassa.Invalid {
		p.FormError = p.tr.Error(err)
		return s.render(w, http.StatusUnprocessableEntity, p)
	} else if err != nil {
		return err
	}
	return seeOther(w, r, spendPath+"?done=spend_saved")
}
