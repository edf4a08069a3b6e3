package kassa

import "time"

// NotificationKind says what a notification is about.
type NotificationKind string

// What the tenant's admins, and the purchaser where it concerns them, are
// told about.
const (
	NotifyPurchase     NotificationKind = "purchase"     // a self-service purchase
	NotifyTakeOver     NotificationKind = "take_over"    // an admin took a subscription over
	NotifyCancellation NotificationKind = "cancellation" // a subscription was cancelled
	// NotifyAdminCancellation tells a purchaser, and the admins, that an
	// admin ended a self-service subscription and its holders lost their
	// licenses; NotifyUsersMoved that an admin moved its holders to the
	// organization's own subscription and ended it (SPEC §12).
	NotifyAdminCancellation NotificationKind = "admin_cancellation"
	NotifyUsersMoved        NotificationKind = "users_moved"
	// NotifySpendWarning tells the admins, and the person for their own
	// ceiling, that 80 % of a monthly spend limit is spent (SPEC §12).
	NotifySpendWarning NotificationKind = "spend_warning"
	// NotifyLicenseRequest tells the admins that a person asked for
	// licenses; NotifyLicenseRequestDecided tells the person what an admin
	// decided (Reason holds the request's status).
	NotifyLicenseRequest        NotificationKind = "license_request"
	NotifyLicenseRequestDecided NotificationKind = "license_request_decided"
	// NotifyLicenseReleased tells a purchaser that a license of theirs came
	// free: its holder was disabled, or became a guest.
	NotifyLicenseReleased NotificationKind = "license_released"
	// NotifyReclaimWarning tells a license's holder (and a self-service
	// subscription's purchaser) that it will be reclaimed on EndsAt unless
	// it is used; NotifyReclaimed that it was (SPEC §12).
	NotifyReclaimWarning NotificationKind = "license_reclaim_warning"
	NotifyReclaimed      NotificationKind = "license_reclaimed"
	// NotifyInvitation invites a person an admin added to choose a password;
	// NotifyPasswordReset sends a link to choose a new one. The worker makes
	// the one-time link as it sends: no usable link is ever stored.
	NotifyInvitation    NotificationKind = "invitation"
	NotifyPasswordReset NotificationKind = "password_reset"
	// NotifyPaymentAction asks a purchaser to pay a renewal themselves:
	// their bank refused to let it be charged without them.
	NotifyPaymentAction NotificationKind = "payment_action"
	// NotifyDispute tells the admins that a card holder disputed a charge.
	NotifyDispute NotificationKind = "dispute"
	// NotifyWebhookDisabled tells the admins that kassa turned a webhook
	// endpoint off: it answered 410 Gone, or failed for five days.
	NotifyWebhookDisabled NotificationKind = "webhook_disabled"
)

// Notification is one message to one person, kept in the outbox until it is
// delivered. It is written in the same transaction as the change it tells
// of, so a change is never made without its message, nor a message sent of
// a change that was rolled back.
type Notification struct {
	ID          string
	TenantID    string
	Kind        NotificationKind
	RecipientID string
	To          string // email address
	Locale      string // "en" or "sv"
	Data        NotificationData
	CreatedAt   time.Time
	Attempts    int // delivery attempts made, counting the current one
}

// NotificationData is what the message says.
type NotificationData struct {
	SubscriptionID string       `json:"subscription_id"`
	Product        Text         `json:"product"`
	PurchaserName  string       `json:"purchaser_name"`
	PurchaserEmail string       `json:"purchaser_email"`
	ActorName      string       `json:"actor_name"` // who made the change
	Quantity       int          `json:"quantity"`
	Term           Term         `json:"term"`
	UnitPrice      Money        `json:"unit_price"`
	Trial          bool         `json:"trial,omitempty"`
	CancelReason   CancelReason `json:"cancel_reason,omitempty"`
	EndsAt         time.Time    `json:"ends_at"`             // when access ends (cancellation) or the term ends; when a license is reclaimed
	IdleDays       int          `json:"idle_days,omitempty"` // the reclaim policy's days
	ForPurchaser   bool         `json:"for_purchaser"`
	HolderName     string       `json:"holder_name,omitempty"`  // whose license came free
	Holders        int          `json:"holders,omitempty"`      // how many lost, or moved, their licenses
	Message        string       `json:"message,omitempty"`      // an admin's words to the purchaser
	Organization   string       `json:"organization,omitempty"` // the tenant's name, for an invitation
	InvoiceID      string       `json:"invoice_id,omitempty"`   // the invoice to pay (payment_action)
	Amount         Money        `json:"amount,omitempty"`       // what it asks; what was spent (spend_warning)
	RequestID      string       `json:"request_id,omitempty"`   // a license request's
	Ceiling        Money        `json:"ceiling,omitempty"`      // the spend limit warned of; PurchaserName is whose, "" the organization's
	Reason         string       `json:"reason,omitempty"`       // a dispute's; why a webhook endpoint was turned off
	URL            string       `json:"url,omitempty"`          // the webhook endpoint turned off
	// Link is the one-time link of an invitation or a reset, made as the
	// message is sent and never stored.
	Link string `json:"-"`
}

// NotifyBackoff returns how long to wait before delivery attempt n+1 after
// attempt n failed: 30 s doubling, at most an hour. Delivery is retried for
// as long as it takes; nothing is dropped.
func NotifyBackoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}
