package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kassa-billing/kassa"
)

// idlePath is Admin › Idle licenses.
const idlePath = "/admin/idle-licenses"

// idleShown is how many idle licenses a page of the list shows.
const idleShown = 50

// IdlePage is Admin › Idle licenses (SPEC §12): the reclaim policy ("reclaim
// licenses not used for N days", off when empty) and the licenses nobody
// has used for 30 days or more, longest idle first, with what they cost a
// month.
type IdlePage struct {
	Layout
	Days   Field
	Notice string
	Policy string // the policy in words
	Rows   []IdleRow
	Total  int
	Cost   string // what all of them cost a month
	Older  string // the next page, "" on the last
	Newer  string // the page before, "" on the first
}

// IdleRow is an idle license as the list shows it.
type IdleRow struct {
	Name, Email, Product, Href string
	LastUsed, Cost             string
	IdleDays                   int
	ByGroup                    bool
	Warned                     string // when its holder was warned, "" when not
}

func (*IdlePage) template() string { return "idle.html" }

func (s *server) idlePage(r *http.Request, typed *string) (*IdlePage, error) {
	p := &IdlePage{Layout: s.layout(r, msg("nav.idle_licenses"))}
	p.Notice = notice(&p.Layout, r)
	days, err := s.db.FindReclaimPolicy(r.Context())
	if err != nil {
		return nil, err
	}
	value := ""
	p.Policy = p.T("idle.policy.off")
	if days != nil {
		value = strconv.Itoa(*days)
		p.Policy = p.T("idle.policy.on", "Days", *days, "Warn", *days-kassa.ReclaimWarnDays)
	}
	if typed != nil {
		value = *typed
	}
	p.Days = Field{ID: "reclaim-days", Name: "days", Label: p.T("idle.days"),
		Hint: p.T("idle.days.hint", "Min", kassa.MinReclaimDays, "Max", kassa.MaxReclaimDays), Value: value,
		InputMode: "numeric", MaxLength: 3, Class: "short"}
	offset, _ := strconv.Atoi(r.URL.Query().Get("from"))
	offset = max(0, offset)
	idle, total, cost, err := s.db.FindIdleLicenses(r.Context(), 30, offset, idleShown)
	if err != nil {
		return nil, err
	}
	money := s.amounts(p.Lang)
	p.Total, p.Cost = total, money.of(cost)
	for _, il := range idle {
		row := IdleRow{Name: il.UserName, Email: il.UserEmail, Product: il.Product.In(p.Lang),
			Href: subscriptionsPath + "/" + il.SubscriptionID, LastUsed: formatDate(&p.Layout, il.LastUsedAt),
			Cost: money.of(il.MonthlyCost), IdleDays: il.IdleDays, ByGroup: il.ViaGroup}
		if il.WarnedAt != nil {
			row.Warned = formatDate(&p.Layout, *il.WarnedAt)
		}
		p.Rows = append(p.Rows, row)
	}
	if offset+len(idle) < total {
		p.Older = idlePath + "?from=" + strconv.Itoa(offset+len(idle))
	}
	if offset > 0 {
		p.Newer = idlePath + "?from=" + strconv.Itoa(max(0, offset-idleShown))
	}
	return p, money.err
}

func (s *server) idleLicenses(w http.ResponseWriter, r *http.Request) error {
	p, err := s.idlePage(r, nil)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, p)
}

// setReclaimPolicy saves the days typed; empty turns reclaiming off.
func (s *server) setReclaimPolicy(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	typed := strings.TrimSpace(r.PostForm.Get("days"))
	p, err := s.idlePage(r, &typed)
	if err != nil {
		return err
	}
	var days *int
	if typed != "" {
		n, err := strconv.Atoi(typed)
		if err != nil {
			n = -1
		}
		days = &n
	}
	if err := kassa.CheckReclaimDays(days); err != nil {
		p.Days.Error, p.Days.Autofocus = p.T("idle.error.days", "Min", kassa.MinReclaimDays, "Max", kassa.MaxReclaimDays), true
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	if err := s.db.SetReclaimPolicy(r.Context(), days); err != nil {
		return err
	}
	return seeOther(w, r, idlePath+"?done=reclaim_saved")
}
