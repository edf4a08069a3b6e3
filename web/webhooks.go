package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// webhooksPath is Admin › Webhooks: the endpoints the organization's
// events are sent to (SPEC §9), each with its delivery log.
const webhooksPath = "/admin/webhooks"

// WebhooksPage lists the endpoints and adds new ones.
type WebhooksPage struct {
	Layout
	Endpoints []EndpointRow
	Form      EndpointForm
	Notice    string
}

func (*WebhooksPage) template() string { return "webhooks.html" }

// EndpointRow is an endpoint as the list shows it.
type EndpointRow struct {
	URL, Href, Events, State string
	Off                      bool
}

// EndpointForm is the URL and the events of an endpoint, as typed.
type EndpointForm struct {
	URL         Field
	All         Check
	Events      []Check
	EventsError string
	Action      string
}

// WebhookPage is one endpoint: its settings, its secret (once, after it
// was made or rotated), and its delivery log.
type WebhookPage struct {
	Layout
	Endpoint   *kassa.WebhookEndpoint
	State      string
	Form       EndpointForm
	NewSecret  string
	Deliveries []DeliveryRow
	Older      string // the next page of the log
	Notice     string
}

func (*WebhookPage) template() string { return "webhook.html" }

// DeliveryRow is one delivery of the log.
type DeliveryRow struct {
	ID, Type, Created, Status, Payload string
	Failed                             bool
	Attempts                           []AttemptRow
	Redeliver                          string
}

// AttemptRow is one attempt of a delivery.
type AttemptRow struct {
	At, Answer, Duration string
	Failed               bool
}

// eventKeys say what each event tells of.
var eventKeys = map[string]string{
	"subscription.created":   msg("webhooks.event.subscription.created"),
	"subscription.updated":   msg("webhooks.event.subscription.updated"),
	"subscription.canceled":  msg("webhooks.event.subscription.canceled"),
	"subscription.renewed":   msg("webhooks.event.subscription.renewed"),
	"subscription.past_due":  msg("webhooks.event.subscription.past_due"),
	"subscription.suspended": msg("webhooks.event.subscription.suspended"),
	"subscription.expired":   msg("webhooks.event.subscription.expired"),
	"license.assigned":       msg("webhooks.event.license.assigned"),
	"license.unassigned":     msg("webhooks.event.license.unassigned"),
	"invoice.issued":         msg("webhooks.event.invoice.issued"),
	"invoice.paid":           msg("webhooks.event.invoice.paid"),
	"credit_note.issued":     msg("webhooks.event.credit_note.issued"),
	"user.created":           msg("webhooks.event.user.created"),
	"user.updated":           msg("webhooks.event.user.updated"),
	"user.disabled":          msg("webhooks.event.user.disabled"),
}

func (s *server) endpointForm(l *Layout, action string, e *kassa.WebhookEndpoint) EndpointForm {
	f := EndpointForm{Action: action}
	f.URL = Field{ID: "webhook-url", Name: "url", Label: l.T("webhooks.url"), Hint: l.T("webhooks.url.hint"), Value: e.URL,
		Type: "url", MaxLength: 2048, Autocomplete: "off", Required: true}
	f.All = Check{ID: "event-all", Name: "event", Value: kassa.WebhookAll, Label: l.T("webhooks.events.all"),
		Checked: slices.Contains(e.Events, kassa.WebhookAll)}
	for _, ev := range kassa.WebhookEvents {
		f.Events = append(f.Events, Check{ID: "event-" + strings.ReplaceAll(ev, ".", "-"), Name: "event", Value: ev, Label: ev,
			Hint: l.T(eventKeys[ev]), Checked: slices.Contains(e.Events, ev)})
	}
	return f
}

func endpointState(l *Layout, e *kassa.WebhookEndpoint) string {
	switch {
	case e.Enabled && e.FailingSince != nil:
		return l.T("webhooks.state.failing", "Since", formatTime(l, *e.FailingSince))
	case e.Enabled:
		return l.T("webhooks.state.on")
	case e.DisabledReason == kassa.EndpointGone:
		return l.T("webhooks.state.gone")
	case e.DisabledReason == kassa.EndpointFailing:
		return l.T("webhooks.state.off_failing")
	}
	return l.T("webhooks.state.off")
}

func eventsText(l *Layout, events []string) string {
	if slices.Contains(events, kassa.WebhookAll) {
		return l.T("webhooks.events.all")
	}
	return strings.Join(events, ", ")
}

func (s *server) webhooksPage(r *http.Request, typed *kassa.WebhookEndpoint) (*WebhooksPage, error) {
	p := &WebhooksPage{Layout: s.layout(r, msg("nav.webhooks"))}
	p.Form = s.endpointForm(&p.Layout, webhooksPath, typed)
	es, err := s.db.FindWebhookEndpoints(r.Context())
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		p.Endpoints = append(p.Endpoints, EndpointRow{URL: e.URL, Href: webhooksPath + "/" + e.ID,
			Events: eventsText(&p.Layout, e.Events), State: endpointState(&p.Layout, e), Off: !e.Enabled})
	}
	return p, nil
}

func (s *server) webhooks(w http.ResponseWriter, r *http.Request) error {
	p, err := s.webhooksPage(r, &kassa.WebhookEndpoint{})
	if err != nil {
		return err
	}
	p.Notice = notice(&p.Layout, r)
	return s.render(w, http.StatusOK, p)
}

// markEndpointError puts err beside its field of the form.
func markEndpointError(l *Layout, f *EndpointForm, err error) {
	if kassa.ErrorField(err) == "events" {
		f.EventsError = l.tr.Error(err)
		return
	}
	f.URL.Error, f.URL.Autofocus = l.tr.Error(err), true
}

// addWebhook adds an endpoint and shows its page with the secret, this
// once (never in an address).
func (s *server) addWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	noStore(w)
	e := &kassa.WebhookEndpoint{URL: r.PostForm.Get("url"), Events: r.PostForm["event"]}
	typed := *e
	err := s.db.CreateWebhookEndpoint(r.Context(), e, s.webhookAllowPrivate)
	if code := kassa.ErrorCode(err); err != nil {
		if code != kassa.Invalid && code != kassa.Conflict {
			return err
		}
		p, perr := s.webhooksPage(r, &typed)
		if perr != nil {
			return perr
		}
		markEndpointError(&p.Layout, &p.Form, err)
		return s.render(w, statusOf(code), p)
	}
	p, err := s.webhookPage(r, e.ID, "")
	if err != nil {
		return err
	}
	p.NewSecret, p.Notice = e.Secret, p.T("webhooks.added")
	return s.render(w, http.StatusCreated, p)
}

func (s *server) webhookPage(r *http.Request, id, cursor string) (*WebhookPage, error) {
	e, err := s.db.FindWebhookEndpoint(r.Context(), id)
	if err != nil {
		return nil, err
	}
	ds, next, err := s.db.FindWebhookDeliveries(r.Context(), id, cursor)
	if err != nil {
		return nil, err
	}
	p := &WebhookPage{Layout: s.layout(r, msg("nav.webhooks")), Endpoint: e}
	p.Title = e.URL
	p.State = endpointState(&p.Layout, e)
	p.Form = s.endpointForm(&p.Layout, webhooksPath+"/"+id, e)
	if next != "" {
		p.Older = webhooksPath + "/" + id + "?cursor=" + next
	}
	for _, d := range ds {
		p.Deliveries = append(p.Deliveries, deliveryRow(&p.Layout, d))
	}
	return p, nil
}

func deliveryRow(l *Layout, d *kassa.WebhookDelivery) DeliveryRow {
	row := DeliveryRow{ID: d.ID, Type: d.Type, Created: formatTime(l, d.CreatedAt), Payload: d.Payload,
		Failed:    d.Status == kassa.DeliveryFailed,
		Redeliver: webhooksPath + "/" + d.EndpointID + "/deliveries/" + d.ID + "/redeliver"}
	switch {
	case d.Status == kassa.DeliveryDelivered:
		row.Status = l.T("webhooks.delivery.delivered")
	case d.Status == kassa.DeliveryFailed:
		row.Status = l.T("webhooks.delivery.failed")
	case d.NextAttemptAt != nil && len(d.Attempts) > 0:
		row.Status = l.T("webhooks.delivery.retry", "At", formatTime(l, *d.NextAttemptAt))
	default:
		row.Status = l.T("webhooks.delivery.pending")
	}
	for _, a := range d.Attempts {
		ar := AttemptRow{At: formatTime(l, a.At), Duration: strconv.FormatInt(a.DurationMS, 10) + " ms", Failed: !a.OK()}
		switch {
		case a.StatusCode != 0 && a.Error != "":
			ar.Answer = strconv.Itoa(a.StatusCode) + " – " + a.Error
		case a.StatusCode != 0:
			ar.Answer = strconv.Itoa(a.StatusCode) + " " + http.StatusText(a.StatusCode)
		default:
			ar.Answer = a.Error
		}
		row.Attempts = append(row.Attempts, ar)
	}
	return row
}

func (s *server) webhook(w http.ResponseWriter, r *http.Request) error {
	p, err := s.webhookPage(r, r.PathValue("id"), r.URL.Query().Get("cursor"))
	if kassa.ErrorCode(err) == kassa.Invalid {
		p, err = s.webhookPage(r, r.PathValue("id"), "") // a cursor not of this log: its first page
	}
	if err != nil {
		return err
	}
	p.Notice = notice(&p.Layout, r)
	return s.render(w, http.StatusOK, p)
}

// updateWebhook saves the endpoint's URL and events.
func (s *server) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	url, events := r.PostForm.Get("url"), r.PostForm["event"]
	if events == nil {
		events = []string{}
	}
	_, err := s.db.UpdateWebhookEndpoint(r.Context(), r.PathValue("id"), sqldb.WebhookChange{URL: &url, Events: events}, s.webhookAllowPrivate)
	if kassa.ErrorCode(err) == kassa.Invalid {
		p, perr := s.webhookPage(r, r.PathValue("id"), "")
		if perr != nil {
			return perr
		}
		p.Form = s.endpointForm(&p.Layout, p.Form.Action, &kassa.WebhookEndpoint{URL: url, Events: events})
		markEndpointError(&p.Layout, &p.Form, err)
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, webhooksPath+"/"+r.PathValue("id")+"?done=webhook_saved")
}

// setWebhookState turns the endpoint on or off.
func (s *server) setWebhookState(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	on := r.PostForm.Get("enabled") == "true"
	if _, err := s.db.UpdateWebhookEndpoint(r.Context(), r.PathValue("id"), sqldb.WebhookChange{Enabled: &on}, s.webhookAllowPrivate); err != nil {
		return err
	}
	done := "webhook_off"
	if on {
		done = "webhook_on"
	}
	return seeOther(w, r, webhooksPath+"/"+r.PathValue("id")+"?done="+done)
}

// rotateWebhookSecret makes a new secret and shows it, this once.
func (s *server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	noStore(w)
	e, err := s.db.RotateWebhookSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := s.webhookPage(r, e.ID, "")
	if err != nil {
		return err
	}
	p.NewSecret, p.Notice = e.Secret, p.T("webhooks.rotated")
	return s.render(w, http.StatusOK, p)
}

func (s *server) pingWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := s.db.PingWebhookEndpoint(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, webhooksPath+"/"+r.PathValue("id")+"?done=webhook_pinged")
}

func (s *server) redeliverWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := s.db.RedeliverWebhook(r.Context(), r.PathValue("id"), r.PathValue("delivery_id")); err != nil {
		return err
	}
	return seeOther(w, r, webhooksPath+"/"+r.PathValue("id")+"?done=webhook_redelivered")
}

func (s *server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.db.DeleteWebhookEndpoint(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, webhooksPath+"?done=webhook_deleted")
}
