package notify

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// Message is one plain-text email, ready to send.
type Message struct {
	ID      string // the notification's ID; it becomes the Message-ID
	To      string // one email address
	Subject string // one line
	Body    string // paragraphs separated by blank lines, "\n" line ends
}

// maxSubject bounds a subject, in characters: names and product names come
// from people, and a subject is a single header line.
const maxSubject = 200

// maxMessage bounds an admin's message quoted in a mail, in characters.
const maxMessage = 1000

// Render writes n as the message its recipient reads, in the notification's
// locale (English when kassa does not speak it), worded for the purchaser
// or for an admin as n.Data.ForPurchaser says. The words are the catalog's
// (package locale, keys mail.*). Every value taken from the data is put on
// one line first, so the subject never holds a line break.
func Render(n *kassa.Notification) Message {
	w := locale.In(n.Locale)
	subject, paragraphs := compose(n.Kind, n.Data, factsOf(n.Data, w), w)
	paragraphs = slices.DeleteFunc(paragraphs, func(p string) bool { return p == "" }) // facts not known
	return Message{
		ID:      n.ID,
		To:      n.To,
		Subject: truncate(oneLine(subject), maxSubject),
		Body:    strings.Join(paragraphs, "\n\n") + "\n",
	}
}

// compose words a notification of kind: its subject and its paragraphs.
func compose(kind kassa.NotificationKind, d kassa.NotificationData, f facts, w locale.Words) (subject string, body []string) {
	footer := w.T("mail.footer.admin")
	switch {
	case f.forPurchaser && f.trial:
		footer = w.T("mail.footer.trial")
	case f.forPurchaser:
		footer = w.T("mail.footer.purchaser")
	}
	// Every message names the same facts; each names the ones it needs.
	if kind == kassa.NotifyAdminCancellation { // an admin's reason, in an admin's words
		f.reason = reason(d.CancelReason, w, "admin_cancel.reason.")
	}
	args := []any{"Product", f.product, "Purchaser", f.purchaser, "Who", f.who, "Actor", f.actor,
		"Licenses", f.licenses, "Price", f.price, "Date", f.date, "Reason", f.reason, "Holder", f.holder,
		"Organization", f.organization, "Amount", f.amount, "Dispute", f.dispute, "URL", oneLine(d.URL),
		"Holders", f.holders, "Message", f.message, "Limit", f.ceiling, "Percent", kassa.SpendWarnAt, "Days", d.IdleDays}
	T := func(key string) string { return w.T(key, args...) }
	// when is the sentence when the fact it states is known, else "".
	when := func(fact, sentence string) string {
		if fact == "" {
			return ""
		}
		return sentence
	}
	withPrice := func(plain, priced string) string { return cmp.Or(when(f.price, priced), plain) }

	switch {
	case kind == kassa.NotifyPurchase && f.forPurchaser && f.trial:
		return T("mail.trial_started.subject"), []string{sentences(
			T("mail.trial_started.text"),
			cmp.Or(when(f.date, T("mail.trial_started.until")), T("mail.trial_started.free")),
			when(f.price, T("mail.trial_started.then")),
		), T("mail.assign"), footer}
	case kind == kassa.NotifyPurchase && f.forPurchaser:
		return T("mail.bought.subject"), []string{sentences(
			withPrice(T("mail.bought.text"), T("mail.bought.text_price")),
			when(f.date, T("mail.bought.renews")),
		), T("mail.assign"), footer}
	case kind == kassa.NotifyPurchase && f.trial:
		return T("mail.admin.trial_started.subject"), []string{sentences(
			T("mail.admin.trial_started.text"),
			when(f.date, T("mail.admin.trial_started.ends")),
		), T("mail.admin_view"), footer}
	case kind == kassa.NotifyPurchase:
		return T("mail.admin.bought.subject"), []string{sentences(
			withPrice(T("mail.admin.bought.text"), T("mail.admin.bought.text_price")),
			when(f.date, T("mail.admin.bought.renews")),
		), T("mail.admin_view"), footer}
	case kind == kassa.NotifyTakeOver && f.forPurchaser:
		return T("mail.taken_over.subject"), []string{sentences(
			T("mail.taken_over.text"), T("mail.taken_over.manage"),
		), footer}
	case kind == kassa.NotifyTakeOver:
		return T("mail.admin.took_over.subject"), []string{sentences(
			T("mail.admin.took_over.text"), T("mail.admin.took_over.billing"),
		), footer}
	case kind == kassa.NotifyInvitation:
		return T("mail.invitation.subject"), []string{T("mail.invitation.text"), d.Link, T("mail.invitation.expires"),
			T("mail.footer.invited")}
	case kind == kassa.NotifyPasswordReset:
		return T("mail.reset.subject"), []string{T("mail.reset.text"), d.Link, T("mail.reset.expires"), T("mail.footer.reset")}
	case kind == kassa.NotifyPaymentAction:
		return T("mail.payment_action.subject"), []string{T("mail.payment_action.text"), d.Link,
			T("mail.payment_action.dunning"), footer}
	case kind == kassa.NotifyDispute:
		return T("mail.dispute.subject"), []string{sentences(T("mail.dispute.text"), T("mail.dispute.flagged")), footer}
	case kind == kassa.NotifyWebhookDisabled:
		text := T("mail.webhook_disabled.failing")
		if d.Reason == kassa.EndpointGone {
			text = T("mail.webhook_disabled.gone")
		}
		return T("mail.webhook_disabled.subject"), []string{text, T("mail.webhook_disabled.turn_on"), footer}
	case kind == kassa.NotifyReclaimWarning && f.forPurchaser:
		return T("mail.reclaim_warning.purchaser.subject"), []string{T("mail.reclaim_warning.purchaser.text"), footer}
	case kind == kassa.NotifyReclaimWarning:
		return T("mail.reclaim_warning.subject"), []string{sentences(T("mail.reclaim_warning.text"), T("mail.reclaim_warning.keep")),
			w.T("mail.footer.holder")}
	case kind == kassa.NotifyReclaimed && f.forPurchaser:
		return T("mail.reclaimed.purchaser.subject"), []string{T("mail.reclaimed.purchaser.text"), T("mail.released.assign"), footer}
	case kind == kassa.NotifyReclaimed:
		return T("mail.reclaimed.subject"), []string{sentences(T("mail.reclaimed.text"), T("mail.reclaimed.again")),
			w.T("mail.footer.holder")}
	case kind == kassa.NotifyLicenseReleased:
		return T("mail.released.subject"), []string{T("mail.released.text"), T("mail.released.assign"), footer}
	case kind == kassa.NotifyAdminCancellation && f.forPurchaser:
		return T("mail.admin_canceled.subject"), []string{
			sentences(T("mail.admin_canceled.text"), when(f.reason, T("mail.admin_canceled.reason"))),
			when(f.message, T("mail.admin_canceled.message")),
			when(f.amount, T("mail.admin_canceled.credit")), footer}
	case kind == kassa.NotifyAdminCancellation:
		return T("mail.admin.admin_canceled.subject"), []string{
			sentences(T("mail.admin.admin_canceled.text"), when(f.reason, T("mail.admin.canceled.reason"))),
			when(f.message, T("mail.admin_canceled.message")), footer}
	case kind == kassa.NotifyUsersMoved && f.forPurchaser:
		return T("mail.users_moved.subject"), []string{T("mail.users_moved.text"),
			when(f.amount, T("mail.admin_canceled.credit")), footer}
	case kind == kassa.NotifyUsersMoved:
		return T("mail.admin.users_moved.subject"), []string{T("mail.admin.users_moved.text"), footer}
	case kind == kassa.NotifyLicenseRequest:
		return T("mail.request.subject"), []string{T("mail.request.text"), when(f.message, T("mail.request.message")),
			T("mail.request.decide"), footer}
	case kind == kassa.NotifyLicenseRequestDecided:
		subject, text := T("mail.request.declined.subject"), T("mail.request.declined.text")
		switch kassa.RequestStatus(d.Reason) {
		case kassa.RequestApproved:
			subject, text = T("mail.request.approved.subject"), T("mail.request.approved.text")
		case kassa.RequestPartiallyApproved:
			subject, text = T("mail.request.partial.subject"), T("mail.request.partial.text")
		}
		return subject, []string{text, when(f.message, T("mail.request.message")), w.T("mail.footer.request")}
	case kind == kassa.NotifySpendWarning:
		text := T("mail.spend.organization")
		switch {
		case f.forPurchaser:
			text = T("mail.spend.you")
		case d.PurchaserName != "":
			text = T("mail.spend.person")
		}
		admin := T("mail.spend.admin")
		if f.forPurchaser {
			admin = ""
		}
		return T("mail.spend.subject"), []string{sentences(text, T("mail.spend.refused")), admin, w.T("mail.footer.spend")}
	case kind == kassa.NotifyCancellation && f.forPurchaser:
		text := T("mail.canceled.text")
		if f.trial {
			text = T("mail.canceled.text_trial")
		}
		return T("mail.canceled.subject"), []string{sentences(text, when(f.date, T("mail.canceled.ends"))), footer}
	case kind == kassa.NotifyCancellation:
		text := T("mail.admin.canceled.text")
		if f.trial {
			text = T("mail.admin.canceled.text_trial")
		}
		return T("mail.admin.canceled.subject"), []string{sentences(
			text,
			when(f.reason, T("mail.admin.canceled.reason")),
			when(f.date, T("mail.canceled.ends")),
		), footer}
	}
	return T("mail.changed.subject"), []string{T("mail.changed.text"), footer}
}

// facts are the values a message states, already written for its reader.
// Empty strings stand for values the notification does not hold, and the
// sentences that need them are left out.
type facts struct {
	forPurchaser bool
	trial        bool
	product      string
	purchaser    string // name, or the email when there is no name
	who          string // the purchaser with their email: "Åsa Öberg (asa@…)"
	actor        string
	licenses     string // "5 licenses", "1 licens"
	price        string // "SEK 239.00 per license per month"
	date         string // EndsAt: when the term or access ends
	reason       string // why the purchaser canceled, in words
	holder       string // whose license came free
	organization string // the tenant, for an invitation
	amount       string // what an invoice asks or a charge took
	dispute      string // why a card holder disputed a charge, as their issuer says
	holders      string // "3 people": who lost, or moved, their licenses
	message      string // an admin's words to the purchaser, on one line
	ceiling      string // a spend limit
}

func factsOf(d kassa.NotificationData, w locale.Words) facts {
	lang := w.Lang()
	f := facts{
		forPurchaser: d.ForPurchaser,
		trial:        d.Trial,
		product:      oneLine(d.Product.In(lang)),
		purchaser:    oneLine(d.PurchaserName),
		actor:        oneLine(d.ActorName),
		licenses:     w.T("mail.licenses", "Count", d.Quantity, "Number", locale.FormatCount(d.Quantity, lang)),
		reason:       reason(d.CancelReason, w, "cancel.reason."),
		holder:       cmp.Or(oneLine(d.HolderName), capital(w.T("mail.someone"))),
		organization: oneLine(d.Organization),
		holders:      w.T("mail.holders", "Count", d.Holders, "Number", locale.FormatCount(d.Holders, lang)),
		message:      truncate(oneLine(d.Message), maxMessage),
	}
	email := oneLine(d.PurchaserEmail)
	if f.purchaser == "" {
		f.purchaser, email = email, ""
	}
	// sqldb always fills these; the fallbacks keep a message readable when
	// data is missing rather than leave a gap in a sentence. A message
	// may start with one: it is written with a capital, as names are.
	f.product = cmp.Or(f.product, w.T("mail.a_product"))
	f.purchaser = cmp.Or(f.purchaser, capital(w.T("mail.someone")))
	f.actor = cmp.Or(f.actor, capital(w.T("mail.an_admin")))
	f.who = f.purchaser
	if email != "" {
		f.who = w.T("mail.who", "Name", f.purchaser, "Email", email)
	}
	if !d.EndsAt.IsZero() {
		f.date = locale.FormatDate(d.EndsAt, lang)
	}
	if kassa.ValidCurrency(d.Amount.Currency) {
		f.amount = locale.FormatMoney(d.Amount, lang)
	}
	if kassa.ValidCurrency(d.Ceiling.Currency) {
		f.ceiling = locale.FormatMoney(d.Ceiling, lang)
	}
	f.dispute = cmp.Or(oneLine(d.Reason), "–")
	if kassa.ValidCurrency(d.UnitPrice.Currency) {
		price := locale.FormatMoney(d.UnitPrice, lang)
		switch d.Term {
		case kassa.Monthly:
			f.price = w.T("mail.price.monthly", "Price", price)
		case kassa.Annual:
			f.price = w.T("mail.price.annual", "Price", price)
		default:
			f.price = w.T("mail.price", "Price", price)
		}
	}
	return f
}

// reason returns r in the words the purchaser chose it by (the cancel
// page's); a reason kassa does not know is shown as it is.
func reason(r kassa.CancelReason, w locale.Words, prefix string) string {
	if r == "" {
		return ""
	}
	if r.Valid() {
		return w.T(prefix + string(r))
	}
	return oneLine(string(r))
}

// oneLine makes s safe to put in a header or a sentence: invalid UTF-8 and
// control characters (CR and LF among them) and Unicode line and paragraph
// separators become spaces, and runs of space one space.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// truncate shortens s to at most n characters, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// sentences joins the non-empty sentences of a paragraph with spaces.
func sentences(s ...string) string {
	var b strings.Builder
	for _, x := range s {
		if x == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(x)
	}
	return b.String()
}

// capital starts s with a capital letter.
func capital(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
