package kassa

import (
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Outgoing webhooks (SPEC §9), in the Standard Webhooks format
// (https://www.standardwebhooks.com/): a tenant's admins register endpoints,
// and kassa tells them of every change to subscriptions, licenses, invoices
// and people.

// The events a webhook endpoint may ask for. An endpoint asking for
// WebhookAll gets every one, also those added later; WebhookPing is sent
// only by an admin's test.
const (
	EventSubscriptionCreated  = "subscription.created"
	EventSubscriptionUpdated  = "subscription.updated"
	EventSubscriptionCanceled = "subscription.canceled"
	EventSubscriptionRenewed  = "subscription.renewed"
	EventSubscriptionPastDue  = "subscription.past_due"
	EventSubscriptionSuspend  = "subscription.suspended"
	EventSubscriptionExpired  = "subscription.expired"
	EventLicenseAssigned      = "license.assigned"
	EventLicenseUnassigned    = "license.unassigned"
	EventInvoiceIssued        = "invoice.issued"
	EventInvoicePaid          = "invoice.paid"
	EventCreditNoteIssued     = "credit_note.issued"
	EventUserCreated          = "user.created"
	EventUserUpdated          = "user.updated"
	EventUserDisabled         = "user.disabled"

	WebhookAll  = "*"
	WebhookPing = "ping"
)

// WebhookEvents lists the events, in the order pages show them.
var WebhookEvents = []string{
	EventSubscriptionCreated, EventSubscriptionUpdated, EventSubscriptionCanceled,
	EventSubscriptionRenewed, EventSubscriptionPastDue, EventSubscriptionSuspend,
	EventSubscriptionExpired, EventLicenseAssigned, EventLicenseUnassigned,
	EventInvoiceIssued, EventInvoicePaid, EventCreditNoteIssued,
	EventUserCreated, EventUserUpdated, EventUserDisabled,
}

// WebhookSchedule is how long a failed delivery waits before its next
// attempt: after the first attempt fails, 5 s; then 5 min, and so on. After
// the last it has failed for good. Each wait is moved by up to a tenth, at
// random, so that deliveries failed together do not come back together.
var WebhookSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour,
}

// WebhookFailingLimit is how long an endpoint may fail every delivery before
// it is turned off and the admins are told.
const WebhookFailingLimit = 5 * 24 * time.Hour

// WebhookSecretOverlap is how long an endpoint's previous secret keeps
// signing, beside the new one, after a rotation.
const WebhookSecretOverlap = 24 * time.Hour

// MaxWebhookEndpoints bounds a tenant's endpoints.
const MaxWebhookEndpoints = 20

// Why an endpoint was turned off by kassa rather than by an admin.
const (
	EndpointGone    = "gone"    // it answered 410 Gone
	EndpointFailing = "failing" // every delivery failed for WebhookFailingLimit
)

// WebhookEndpoint is where a tenant's events are sent.
type WebhookEndpoint struct {
	ID       string   `json:"id"`
	TenantID string   `json:"-"`
	URL      string   `json:"url"`
	Events   []string `json:"events"` // names, or ["*"]
	Enabled  bool     `json:"enabled"`
	// DisabledReason says why kassa turned it off (EndpointGone,
	// EndpointFailing); empty when it is on or an admin turned it off.
	DisabledReason string     `json:"disabled_reason"`
	FailingSince   *time.Time `json:"failing_since"` // the first failure since the last success
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// Secret and PreviousSecret sign deliveries; only the API's answer to
	// a creation or a rotation shows the secret, once.
	Secret         string    `json:"-"`
	PreviousSecret string    `json:"-"`
	PreviousUntil  time.Time `json:"-"` // the previous secret signs until then
}

// Wants reports whether the endpoint asked for the event.
func (e *WebhookEndpoint) Wants(event string) bool {
	return event == WebhookPing || slices.Contains(e.Events, WebhookAll) || slices.Contains(e.Events, event)
}

// Secrets returns the secrets that sign a delivery sent at now: the current
// one and, during a rotation's overlap, the previous one.
func (e *WebhookEndpoint) Secrets(now time.Time) []string {
	if e.PreviousSecret != "" && now.Before(e.PreviousUntil) {
		return []string{e.Secret, e.PreviousSecret}
	}
	return []string{e.Secret}
}

// CheckEndpoint trims the URL and sorts the events, and checks them: an
// https URL (http too when allowPrivate) of at most 2 048 characters with a
// host, no user name or password and no fragment, whose host is not written
// as a loopback, private or link-local address (those are refused again
// when dialled, whatever a name resolves to), unless allowPrivate; events
// known and given once, or ["*"]. Errors: Invalid naming the field.
func (e *WebhookEndpoint) CheckEndpoint(allowPrivate bool) error {
	e.URL = strings.TrimSpace(e.URL)
	u, err := url.Parse(e.URL)
	if err != nil || len(e.URL) > 2048 || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" ||
		(u.Scheme != "https" && !(allowPrivate && u.Scheme == "http")) {
		return InvalidE("url", "error.webhook.url")
	}
	if !allowPrivate && !PublicHost(u.Hostname()) {
		return InvalidE("url", "error.webhook.private")
	}
	if len(e.Events) == 0 {
		return InvalidE("events", "error.webhook.events")
	}
	events := slices.Clone(e.Events)
	slices.Sort(events)
	if slices.Contains(events, WebhookAll) && len(events) > 1 {
		return InvalidE("events", "error.webhook.events")
	}
	for i, ev := range events {
		if (ev != WebhookAll && !slices.Contains(WebhookEvents, ev)) || (i > 0 && events[i-1] == ev) {
			return InvalidE("events", "error.webhook.events")
		}
	}
	e.Events = events
	return nil
}

// PublicHost reports whether a URL's host may be a webhook's: not
// "localhost" or a name under it, and not an address PublicAddr refuses.
// A name is otherwise allowed here; where it leads is checked when dialled.
func PublicHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return PublicAddr(ip)
	}
	return net.ParseIP(host) == nil
}

// Shared address space (RFC 6598), "this network" and the IETF protocol
// assignments: not reachable on the internet either.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// PublicAddr reports whether an address is on the public internet: not
// loopback, private, link-local, multicast, unspecified or shared, also
// when written as an IPv4-mapped IPv6 address.
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// WebhookDelivery is one event for one endpoint: sent until the endpoint
// takes it, with the same webhook-id (its ID) each time.
type WebhookDelivery struct {
	ID            string           `json:"id"` // the webhook-id
	EndpointID    string           `json:"endpoint_id"`
	Type          string           `json:"type"`
	Status        string           `json:"status"` // pending, delivered, failed
	Payload       string           `json:"payload"`
	CreatedAt     time.Time        `json:"created_at"`
	NextAttemptAt *time.Time       `json:"next_attempt_at"` // while pending
	DeliveredAt   *time.Time       `json:"delivered_at"`
	Attempts      []WebhookAttempt `json:"attempts"`
	TenantID      string           `json:"-"`
	Endpoint      *WebhookEndpoint `json:"-"` // when claimed for sending
	Tries         int              `json:"-"` // attempts made, counting the one under way
}

// The states of a delivery.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookAttempt is one attempt to deliver: when, the status the endpoint
// answered (0 when none came), how long it took and what went wrong.
type WebhookAttempt struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code"`
	DurationMS int64     `json:"duration_ms"`
	Error      string    `json:"error"`
}

// OK reports whether the endpoint took the delivery (any 2xx).
func (a *WebhookAttempt) OK() bool { return a.StatusCode >= 200 && a.StatusCode < 300 && a.Error == "" }
