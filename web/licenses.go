package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kassa-billing/kassa"
)

// licensesPath is Billing › Licenses; each subscription's holders are at
// licensesPath/{id}.
const licensesPath = "/billing/licenses"

// LicensesPage is Billing › Licenses: the subscriptions whose licenses the
// reader sees (their own; an admin, the tenant's), to choose one from.
type LicensesPage struct {
	Layout
	Subscriptions []LicensesRow
	ShowPurchaser bool // admins see everyone's
	Pager         Pager
}

func (*LicensesPage) template() string { return "licenses.html" }

// LicensesRow is a subscription as Billing › Licenses lists it.
type LicensesRow struct {
	Href, Product       string
	Assigned, Available string // "2 of 5 assigned", "3"
	Term, Expires       string
	Status              kassa.SubscriptionStatus
	StatusText          string
	Purchaser           string
}

func (s *server) licenses(w http.ResponseWriter, r *http.Request) error {
	p := &LicensesPage{Layout: s.layout(r, msg("nav.licenses"))}
	p.ShowPurchaser = p.Actor.User.IsAdmin()
	subs, pager, err := s.pageOfSubscriptions(r.Context(), licensesPath, r.URL.Query(), nil, kassa.SubscriptionFilter{Running: true})
	if err != nil {
		return err
	}
	p.Pager = pager
	for _, sub := range subs {
		p.Subscriptions = append(p.Subscriptions, LicensesRow{
			Href: licensesPath + "/" + sub.ID, Product: sub.ProductName.In(p.Lang),
			Assigned:  p.T("subscription.licenses_assigned", "Assigned", sub.Assigned, "Total", sub.Quantity),
			Available: strconv.Itoa(sub.Available()), Term: p.T(termKeys[sub.Term]),
			Expires: formatDate(&p.Layout, sub.ExpiresAt), Status: sub.Status, StatusText: statusText(&p.Layout, sub.Status),
			Purchaser: sub.PurchaserName,
		})
	}
	return s.render(w, http.StatusOK, p)
}

// HoldersPage is a subscription under Billing › Licenses: who holds its
// licenses, how many are assigned and free, and the pane open on it:
// "assign" (Assign licenses to users), "assigned" (what Assign did) or
// "unassign" (the Unassign licenses box).
type HoldersPage struct {
	Layout
	Sub     HoldersView
	Holders []HolderRow
	Pane    string
	Assign  *AssignForm
	// Done lists the users the pane's change was made for ("assigned"), or
	// asks about ("unassign").
	Done   []Person
	Notice string
	Error  string
	// ReadOnly says why the reader sees the licenses without the means to
	// change them; "" when they may change them.
	ReadOnly string
}

func (*HoldersPage) template() string { return "holders.html" }

// HoldersView is the subscription of a HoldersPage.
type HoldersView struct {
	ID, Href, Product             string
	Quantity, Assigned, Available int
	Status                        kassa.SubscriptionStatus
	StatusText                    string
	Ended                         bool
	// What the reader may do: assign (the subscription runs and has free
	// licenses or not) and unassign (someone holds one).
	CanAssign, CanUnassign bool
}

// HolderRow is a user holding a license, ticked when chosen to unassign.
type HolderRow struct {
	ID, Name, Email, AssignedAt string
	Checked                     bool
}

// Person is a user as the panes list them.
type Person struct {
	ID, Name, Email string
	Tag             string // "Guest" or "Disabled", translated; "" for others
	InList          bool   // a search result already chosen
	HasLicense      bool   // holds a license of the subscription
	Error           string // why licensing would refuse them
}

func personOf(l *Layout, u *kassa.User) Person {
	p := Person{ID: u.ID, Name: u.Name, Email: u.Email}
	switch u.LicenseRefusal() {
	case kassa.RefusedGuest:
		p.Tag = l.T("assign.guest")
	case kassa.RefusedDisabled:
		p.Tag = l.T("assign.disabled")
	}
	return p
}

// holdersPage loads the licenses of the subscription r names. One the
// reader may not see is NotFound.
func (s *server) holdersPage(r *http.Request) (*HoldersPage, *kassa.Subscription, error) {
	sub, err := s.db.FindSubscriptionByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	held, err := s.db.FindLicenses(r.Context(), sub.ID)
	if err != nil {
		return nil, nil, err
	}
	p := &HoldersPage{Layout: s.layout(r, msg("nav.licenses"))}
	p.Sub = HoldersView{
		ID: sub.ID, Href: licensesPath + "/" + sub.ID, Product: sub.ProductName.In(p.Lang),
		Quantity: sub.Quantity, Assigned: sub.Assigned, Available: sub.Available(),
		Status: sub.Status, StatusText: statusText(&p.Layout, sub.Status), Ended: sub.Status.Ended(),
	}
	p.Title = p.Sub.Product
	p.Scripts = []string{"licenses.js"}
	p.Holders = holderRows(&p.Layout, held)
	switch a := p.Actor; {
	case sub.CanManage(a):
		p.Sub.CanAssign = sub.Status.Live()
		p.Sub.CanUnassign = len(held) > 0
	case a.User.IsAdmin():
		p.ReadOnly = p.T("subscription.read_only.admin")
	default:
		p.ReadOnly = p.T("subscription.read_only.taken_over")
	}
	return p, sub, nil
}

func holderRows(l *Layout, held []kassa.License) []HolderRow {
	rows := make([]HolderRow, len(held))
	for i, a := range held {
		rows[i] = HolderRow{ID: a.User.ID, Name: a.User.Name, Email: a.User.Email, AssignedAt: formatDate(l, a.AssignedAt)}
	}
	return rows
}

// holds reports whether the user holds one of p's licenses.
func (p *HoldersPage) holds(id string) bool {
	return slices.ContainsFunc(p.Holders, func(h HolderRow) bool { return h.ID == id })
}

func (s *server) holders(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.holdersPage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if n, err := strconv.Atoi(q.Get("unassigned")); err == nil && n > 0 {
		p.Notice = p.T("unassign.done", "Count", n)
	}
	return s.render(w, http.StatusOK, p)
}

// unassignPage loads the Unassign licenses box for the ticked users that
// hold a license (a user who lost it meanwhile is no longer asked about),
// and the users' ids. The reader must manage the subscription.
func (s *server) unassignPage(r *http.Request, ticked []string) (*HoldersPage, []string, error) {
	p, _, err := s.holdersPage(r)
	if err != nil {
		return nil, nil, err
	}
	if p.ReadOnly != "" {
		return nil, nil, errReadOnly
	}
	var ids []string
	for i := range p.Holders {
		h := &p.Holders[i]
		if slices.Contains(ticked, h.ID) {
			h.Checked = true
			ids = append(ids, h.ID)
			p.Done = append(p.Done, Person{ID: h.ID, Name: h.Name, Email: h.Email})
		}
	}
	if len(ids) == 0 {
		p.Error = p.T("unassign.error.none")
	} else {
		p.Pane = "unassign"
	}
	return p, ids, nil
}

func (s *server) unassignForm(w http.ResponseWriter, r *http.Request) error {
	p, ids, err := s.unassignPage(r, r.URL.Query()["user"])
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	return s.render(w, http.StatusOK, p)
}

func (s *server) unassign(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, ids, err := s.unassignPage(r, r.PostForm["user"])
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	_, err = s.licensing.Unassign(r.Context(), p.Sub.ID, ids)
	switch kassa.ErrorCode(err) {
	case "":
		return seeOther(w, r, p.Sub.Href+"?unassigned="+strconv.Itoa(len(ids)))
	case kassa.Invalid:
		// Another change took a license meanwhile, or a linked group gave
		// it: ask again about the users that still hold one, saying why.
		refused := kassa.ErrorRefused(err)
		p, _, err := s.unassignPage(r, r.PostForm["user"])
		if err != nil {
			return err
		}
		p.Error = p.T("unassign.error.changed")
		if slices.ContainsFunc(refused, func(r kassa.Refused) bool { return r.Reason == kassa.RefusedViaGroup }) {
			var why []string
			for _, rf := range refused {
				if rf.Reason == kassa.RefusedViaGroup {
					why = append(why, p.tr.Refusal(rf))
				}
			}
			p.Error = strings.Join(why, " ")
		}
		return s.render(w, http.StatusConflict, p)
	case kassa.Forbidden:
		return errReadOnly
	}
	return err
}

// usersQuery is the query that names the users.
func usersQuery(ids []string) string {
	return url.Values{"user": ids}.Encode()
}
