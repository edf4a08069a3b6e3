package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// auditPerPage is how many events a page of the audit log shows.
const auditPerPage = 50

// AuditLogPage is Admin › Audit log: the tenant's changes, newest first,
// narrowed by the kind of change and a range of days, a page at a time
// (Older follows the last event shown). Read-only.
type AuditLogPage struct {
	Layout
	Action, From, To Field
	Events           []AuditRow
	// Older is the next page, "" on the last; Newest leads back to the
	// first page from a later one.
	Older, Newest string
	Filtered      bool // the filter narrows the log, so that Clear is offered
	Invalid       bool // a date was refused: the list is empty for that reason
}

func (*AuditLogPage) template() string { return "audit_log.html" }

// AuditRow is an event as the log shows it.
type AuditRow struct {
	When, WhenISO string
	Who           string
	System        bool // kassa itself acted (renewals, dunning)
	What, Action  string
	Object        string // the kind of object
	ObjectID      string
	ObjectHref    string // its page, when it has one the admin may open
	Before, After string // indented JSON; "" for none
}

// auditActions are the kinds of change the filter offers: prefixes of the
// events' actions.
var auditActions = []struct{ prefix, key string }{
	{"", msg("filter.all")},
	{"subscription.", msg("audit.filter.subscriptions")},
	{"license.", msg("audit.filter.licenses")},
	{"billing_profile.", msg("audit.filter.billing_profiles")},
	{"payment_method.", msg("audit.filter.payment_methods")},
	{"purchase_policy.", msg("audit.filter.purchase_policy")},
	{"user.", msg("audit.filter.users")},
	{"tenant.", msg("audit.filter.organization")},
}

// auditActionKeys name each action for people; an action missing here is
// shown as it is stored.
var auditActionKeys = map[string]string{
	"subscription.purchased":               msg("audit.action.subscription.purchased"),
	"subscription.taken_over":              msg("audit.action.subscription.taken_over"),
	"subscription.billing_profile_changed": msg("audit.action.subscription.billing_profile_changed"),
	"subscription.group_linked":            msg("audit.action.subscription.group_linked"),
	"subscription.group_unlinked":          msg("audit.action.subscription.group_unlinked"),
	"license.reclaimed":                    msg("audit.action.license.reclaimed"),
	"reclaim_policy.updated":               msg("audit.action.reclaim_policy.updated"),
	"subscription.quantity_changed":        msg("audit.action.subscription.quantity_changed"),
	"subscription.canceled":                msg("audit.action.subscription.canceled"),
	"subscription.cancel_scheduled":        msg("audit.action.subscription.cancel_scheduled"),
	"subscription.disputed":                msg("audit.action.subscription.disputed"),
	"subscription.reactivated":             msg("audit.action.subscription.reactivated"),
	"subscription.refunded":                msg("audit.action.subscription.refunded"),
	"subscription.renewed":                 msg("audit.action.subscription.renewed"),
	"subscription.past_due":                msg("audit.action.subscription.past_due"),
	"subscription.suspended":               msg("audit.action.subscription.suspended"),
	"subscription.expired":                 msg("audit.action.subscription.expired"),
	"license.assigned":                     msg("audit.action.license.assigned"),
	"license.unassigned":                   msg("audit.action.license.unassigned"),
	"billing_profile.created":              msg("audit.action.billing_profile.created"),
	"billing_profile.updated":              msg("audit.action.billing_profile.updated"),
	"payment_method.added":                 msg("audit.action.payment_method.added"),
	"payment_method.updated":               msg("audit.action.payment_method.updated"),
	"payment_method.deleted":               msg("audit.action.payment_method.deleted"),
	"purchase_policy.updated":              msg("audit.action.purchase_policy.updated"),
	"spend_limits.updated":                 msg("audit.action.spend_limits.updated"),
	"license_request.created":              msg("audit.action.license_request.created"),
	"license_request.decided":              msg("audit.action.license_request.decided"),
	"license_request_settings.updated":     msg("audit.action.license_request_settings.updated"),
	"user.created":                         msg("audit.action.user.created"),
	"user.updated":                         msg("audit.action.user.updated"),
	"user.password_changed":                msg("audit.action.user.password_changed"),
	"user.link_sent":                       msg("audit.action.user.link_sent"),
	"license.released":                     msg("audit.action.license.released"),
	"tenant.created":                       msg("audit.action.tenant.created"),
	"tenant.updated":                       msg("audit.action.tenant.updated"),
	"scim_token.created":                   msg("audit.action.scim_token.created"),
	"scim_token.revoked":                   msg("audit.action.scim_token.revoked"),
	"group.created":                        msg("audit.action.group.created"),
	"group.updated":                        msg("audit.action.group.updated"),
	"group.deleted":                        msg("audit.action.group.deleted"),
	"sso.updated":                          msg("audit.action.sso.updated"),
	"sso.deleted":                          msg("audit.action.sso.deleted"),
	"app.created":                          msg("audit.action.app.created"),
	"app.deleted":                          msg("audit.action.app.deleted"),
	"app.secret_added":                     msg("audit.action.app.secret_added"),
	"app.secret_deleted":                   msg("audit.action.app.secret_deleted"),
	"webhook.created":                      msg("audit.action.webhook.created"),
	"webhook.updated":                      msg("audit.action.webhook.updated"),
	"webhook.deleted":                      msg("audit.action.webhook.deleted"),
	"webhook.secret_rotated":               msg("audit.action.webhook.secret_rotated"),
	"webhook.disabled":                     msg("audit.action.webhook.disabled"),
}

// auditObjectKeys name each kind of object.
var auditObjectKeys = map[string]string{
	"subscription":             msg("audit.object.subscription"),
	"billing_profile":          msg("audit.object.billing_profile"),
	"payment_method":           msg("audit.object.payment_method"),
	"purchase_policy":          msg("audit.object.purchase_policy"),
	"spend_limits":             msg("audit.object.spend_limits"),
	"license_request":          msg("audit.object.license_request"),
	"license_request_settings": msg("audit.object.license_request_settings"),
	"user":                     msg("audit.object.user"),
	"tenant":                   msg("audit.object.tenant"),
	"scim_token":               msg("audit.object.scim_token"),
	"group":                    msg("audit.object.group"),
	"app":                      msg("audit.object.app"),
	"webhook":                  msg("audit.object.webhook"),
}

// readAuditFilter reads the filter from the query and returns its fields,
// the storage's filter and the query that keeps it; dates with errors show
// them beside their fields and return ok false. An action the select does
// not offer selects all.
func readAuditFilter(l *Layout, q url.Values) (p AuditLogPage, f kassa.AuditFilter, keep url.Values, ok bool) {
	keep = url.Values{}
	action := q.Get("action")
	var opts []Option
	for _, a := range auditActions {
		if a.prefix == action {
			f.Action = action
		}
		opts = append(opts, Option{Value: a.prefix, Label: l.T(a.key)})
	}
	for i := range opts {
		opts[i].Selected = opts[i].Value == f.Action
	}
	if f.Action != "" {
		keep.Set("action", f.Action)
	}
	from, to := strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to"))
	p.Action = Field{ID: "audit-action", Name: "action", Label: l.T("audit.filter.action"), Options: opts, Class: "medium"}
	p.From = Field{ID: "audit-from", Name: "from", Label: l.T("invoices.from"), Type: "date", Value: from, Class: "short"}
	p.To = Field{ID: "audit-to", Name: "to", Label: l.T("invoices.to"), Type: "date", Value: to, Class: "short"}

	var err error
	if from != "" {
		if f.From, err = time.Parse(time.DateOnly, from); err != nil {
			p.From.Error = l.T("invoices.error.date")
		}
		keep.Set("from", from)
	}
	if to != "" {
		day, err := time.Parse(time.DateOnly, to)
		if err != nil {
			p.To.Error = l.T("invoices.error.date")
		}
		f.To = day.AddDate(0, 0, 1) // the whole of the last day
		if f.To.Year() > 9999 {
			// Up to 9999-12-31 has no end: the day after cannot be written
			// with four digits, as storage compares times.
			f.To = time.Time{}
		}
		keep.Set("to", to)
	}
	if p.From.Error == "" && p.To.Error == "" && !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		p.From.Error = l.T("invoices.error.from_after_to")
	}
	p.Filtered = len(keep) > 0
	if p.From.IsInvalid() || p.To.IsInvalid() {
		focusFirstError(&p.From, &p.To)
		return p, f, keep, false
	}
	return p, f, keep, true
}

func (s *server) auditLog(w http.ResponseWriter, r *http.Request) error {
	l := s.layout(r, msg("nav.audit_log"))
	q := r.URL.Query()
	p, f, keep, ok := readAuditFilter(&l, q)
	p.Layout = l
	if !ok {
		p.Invalid = true
		return s.render(w, http.StatusUnprocessableEntity, &p)
	}
	if before, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && before > 0 {
		f.BeforeSeq = before
		p.Newest = withQuery(auditPath, keep)
	}
	f.Limit = auditPerPage + 1 // one more says whether there is an older page
	events, err := s.db.FindAuditEvents(r.Context(), f)
	if err != nil {
		return err
	}
	if len(events) > auditPerPage {
		events = events[:auditPerPage]
		older := url.Values{"before": {strconv.FormatInt(events[auditPerPage-1].Seq, 10)}}
		for k, v := range keep {
			older[k] = v
		}
		p.Older = withQuery(auditPath, older)
	}
	for _, e := range events {
		p.Events = append(p.Events, auditRow(&p.Layout, e))
	}
	return s.render(w, http.StatusOK, &p)
}

// auditRow is e as the log shows it.
func auditRow(l *Layout, e *kassa.AuditEvent) AuditRow {
	row := AuditRow{
		When: formatTime(l, e.At), WhenISO: e.At.UTC().Format(time.RFC3339),
		Who: e.ActorName, What: e.Action, Action: e.Action,
		Object: e.ObjectType, ObjectID: e.ObjectID,
		Before: indentJSON(e.Before), After: indentJSON(e.After),
	}
	switch {
	case e.ActorID == "":
		row.Who, row.System = l.T("audit.system"), true
	case row.Who == "":
		row.Who = e.ActorID
	}
	if key, ok := auditActionKeys[e.Action]; ok {
		row.What = l.T(key)
	}
	if key, ok := auditObjectKeys[e.ObjectType]; ok {
		row.Object = l.T(key)
	}
	switch e.ObjectType {
	case "subscription":
		row.ObjectHref = subscriptionsPath + "/" + e.ObjectID
	case "purchase_policy", "tenant":
		row.ObjectID = "" // the tenant's id: the organization itself
	}
	return row
}

// indentJSON writes a stored state for reading, "" for none.
func indentJSON(b json.RawMessage) string {
	if len(b) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return string(b)
	}
	return buf.String()
}

// formatTime writes the minute of t, in UTC as the log keeps time, for a
// person reading l's language (locale.FormatMinute).
func formatTime(l *Layout, t time.Time) string { return locale.FormatMinute(t, l.Lang) }
