package notify

import (
	"cmp"
	"strconv"
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

// Render writes n as the message its recipient reads: in Swedish when the
// notification's locale is "sv", else in English, worded for the purchaser
// or for an admin as n.Data.ForPurchaser says. Every value taken from the
// data is put on one line first, so the subject never holds a line break.
func Render(n *kassa.Notification) Message {
	lang := locale.English
	if n.Locale == locale.Swedish {
		lang = locale.Swedish
	}
	f := factsOf(n.Data, lang)
	var subject string
	var paragraphs []string
	if lang == locale.Swedish {
		subject, paragraphs = swedish(n.Kind, f)
	} else {
		subject, paragraphs = english(n.Kind, f)
	}
	return Message{
		ID:      n.ID,
		To:      n.To,
		Subject: truncate(oneLine(subject), maxSubject),
		Body:    strings.Join(paragraphs, "\n\n") + "\n",
	}
}

// facts are the values a message states, already formatted for its reader.
// Empty strings stand for values the notification does not hold, and the
// sentences that need them are left out.
type facts struct {
	forPurchaser bool
	trial        bool
	product      string
	purchaser    string // name, or the email when there is no name
	email        string // the purchaser's email, "" when it is the name already
	actor        string
	licenses     string // "5 licenses", "1 licens"
	price        string // "SEK 239.00 per license per month"
	date         string // EndsAt: when the term or access ends
	reason       string // why the purchaser canceled, in words
}

func factsOf(d kassa.NotificationData, lang string) facts {
	f := facts{
		forPurchaser: d.ForPurchaser,
		trial:        d.Trial,
		product:      oneLine(d.Product.In(lang)),
		purchaser:    oneLine(d.PurchaserName),
		email:        oneLine(d.PurchaserEmail),
		actor:        oneLine(d.ActorName),
		licenses:     licenses(d.Quantity, lang),
		reason:       reason(d.CancelReason, lang),
	}
	if f.purchaser == "" {
		f.purchaser, f.email = f.email, ""
	}
	// sqldb always fills these; the fallbacks keep a message readable when
	// data is missing rather than leave a gap in a sentence.
	fallback := fallbacks[lang]
	f.product = cmp.Or(f.product, fallback.product)
	f.purchaser = cmp.Or(f.purchaser, fallback.person)
	f.actor = cmp.Or(f.actor, fallback.admin)
	if !d.EndsAt.IsZero() {
		f.date = locale.FormatDate(d.EndsAt, lang)
	}
	if kassa.ValidCurrency(d.UnitPrice.Currency) {
		f.price = locale.FormatMoney(d.UnitPrice, lang) + perLicense(d.Term, lang)
	}
	return f
}

var fallbacks = map[string]struct{ product, person, admin string }{
	locale.English: {"a product", "someone", "an admin"},
	locale.Swedish: {"en produkt", "någon", "en administratör"},
}

// licenses writes a count of licenses with the noun agreeing: "1 license",
// "1 234 licenser".
func licenses(n int, lang string) string {
	switch {
	case lang == locale.Swedish && n == 1:
		return "1 licens"
	case lang == locale.Swedish:
		return group(n, "\u00a0") + " licenser"
	case n == 1:
		return "1 license"
	}
	return group(n, ",") + " licenses"
}

// group writes n with sep between groups of three digits, as FormatMoney
// writes amounts (Swedish with a non-breaking space).
func group(n int, sep string) string {
	s := strconv.Itoa(n)
	sign := ""
	if n < 0 {
		sign, s = s[:1], s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + sep + s[i:]
	}
	return sign + s
}

func perLicense(term kassa.Term, lang string) string {
	switch {
	case lang == locale.Swedish && term == kassa.Monthly:
		return " per licens och månad"
	case lang == locale.Swedish && term == kassa.Annual:
		return " per licens och år"
	case lang == locale.Swedish:
		return " per licens"
	case term == kassa.Monthly:
		return " per license per month"
	case term == kassa.Annual:
		return " per license per year"
	}
	return " per license"
}

// reasons are the cancel reasons in the words the purchaser chose them by
// (web/i18n: cancel.reason.*).
var reasons = map[string]map[kassa.CancelReason]string{
	locale.English: {
		"too_expensive":    "It's too expensive",
		"missing_features": "It's missing features I need",
		"switched_service": "I switched to another service",
		"unused":           "I don't use it",
		"too_complex":      "It's too complicated to use",
		"low_quality":      "The quality isn't good enough",
		"customer_service": "I'm unhappy with customer service",
		"other":            "Other",
	},
	locale.Swedish: {
		"too_expensive":    "Det är för dyrt",
		"missing_features": "Det saknar funktioner som jag behöver",
		"switched_service": "Jag har bytt till en annan tjänst",
		"unused":           "Jag använder det inte",
		"too_complex":      "Det är för krångligt att använda",
		"low_quality":      "Kvaliteten är inte tillräckligt bra",
		"customer_service": "Jag är missnöjd med kundtjänsten",
		"other":            "Annat",
	},
}

// reason returns r in words; a reason kassa does not know is shown as it is.
func reason(r kassa.CancelReason, lang string) string {
	if s, ok := reasons[lang][r]; ok {
		return s
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

// capital starts s with a capital letter when it is a fallback word, which
// is lower case for the middle of a sentence; names and addresses are
// written as they are.
func capital(s string) string {
	for _, f := range fallbacks {
		if s == f.person || s == f.admin || s == f.product {
			r, n := utf8.DecodeRuneInString(s)
			return string(unicode.ToUpper(r)) + s[n:]
		}
	}
	return s
}

// when returns s when v is not empty, else "": a sentence that states v.
func when(v, s string) string {
	if v == "" {
		return ""
	}
	return s
}
