package locale

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bojanz/currency"

	"github.com/kassa-billing/kassa"
)

// FormatMoney renders m for a person reading lang, the way that language
// writes amounts: sv "1 234,50 kr", en "SEK 1,234.50" (the spaces are
// non-breaking, and Swedish writes a negative amount with the minus sign
// U+2212). Languages kassa does not speak get English.
//
// The minor units become a decimal by integer arithmetic, with the number of
// decimals kassa stores the currency in (kassa.CurrencyDigits), and exactly
// that many decimals are shown: nothing is lost to floats or rounded away.
// A currency the CLDR data does not know is written plainly, "12.00 XYZ",
// rather than failing: an invoice must print whatever it holds.
func FormatMoney(m kassa.Money, lang string) string {
	digits := kassa.CurrencyDigits(m.Currency)
	number := decimal(m.Amount, digits)
	a, err := currency.NewAmount(number, m.Currency)
	if err != nil {
		return strings.TrimSpace(number + " " + m.Currency)
	}
	return moneyFormatter(lang, digits).Format(a)
}

// KnownCurrency reports whether FormatMoney knows how code is written (its
// symbol in each language), that is whether code is an ISO 4217 currency.
func KnownCurrency(code string) bool { return code != "" && currency.IsValid(code) }

// FormatDate renders the calendar day of t, in UTC as billing counts days,
// for a person reading lang: sv "2026-11-23" (ISO 8601, as Swedish invoices
// write dates), de "23.11.2026" (DIN 5008's numeric form), en "Nov 23,
// 2026". Languages kassa does not speak get English.
func FormatDate(t time.Time, lang string) string {
	t = t.UTC()
	switch lang {
	case Swedish:
		return t.Format(time.DateOnly)
	case German:
		return t.Format("02.01.2006")
	}
	return t.Format("Jan 2, 2006")
}

// formatterKey names a formatter: a language kassa speaks and the number of
// decimals it shows.
type formatterKey struct {
	lang   string
	digits int
}

// maxCachedDigits covers every count kassa.CurrencyDigits returns (0, 2, 3).
const maxCachedDigits = 3

// formatters builds, once, the bojanz formatters for every language kassa
// speaks and every number of decimals: building one parses CLDR data, and a
// Formatter is only read once made, so the table serves every caller at once.
var formatters = sync.OnceValue(func() map[formatterKey]*currency.Formatter {
	fs := map[formatterKey]*currency.Formatter{}
	for _, lang := range Supported {
		for digits := 0; digits <= maxCachedDigits; digits++ {
			fs[formatterKey{lang, digits}] = newMoneyFormatter(lang, digits)
		}
	}
	return fs
})

// moneyFormatter returns the formatter for lang (English when kassa does not
// speak it) that shows exactly digits decimals.
func moneyFormatter(lang string, digits int) *currency.Formatter {
	if !Valid(lang) {
		lang = English
	}
	if f, ok := formatters()[formatterKey{lang, digits}]; ok {
		return f
	}
	return newMoneyFormatter(lang, digits)
}

func newMoneyFormatter(lang string, digits int) *currency.Formatter {
	f := currency.NewFormatter(currency.NewLocale(lang))
	// bojanz shows the CLDR number of decimals unless told (and drops
	// trailing zeros past it); kassa's own count decides, so that the
	// amount shown is the amount stored, digit for digit.
	f.MinDigits, f.MaxDigits = uint8(digits), uint8(digits)
	return f
}

// decimal writes amount minor units with digits decimals: 23900, 2 → "239.00".
func decimal(amount int64, digits int) string {
	// Work in uint64 so that the most negative int64 has a magnitude too.
	u := uint64(amount)
	sign := ""
	if amount < 0 {
		sign, u = "-", uint64(-(amount+1))+1
	}
	s := strconv.FormatUint(u, 10)
	if digits <= 0 {
		return sign + s
	}
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	return sign + s[:len(s)-digits] + "." + s[len(s)-digits:]
}

// FormatMinute renders the minute of t, in UTC, for a person reading lang:
// sv "2026-11-23 14:05", de "23.11.2026, 14:05", en "Nov 23, 2026, 2:05 PM".
// Languages kassa does not speak get English.
func FormatMinute(t time.Time, lang string) string {
	t = t.UTC()
	switch lang {
	case Swedish:
		return t.Format("2006-01-02 15:04")
	case German:
		return t.Format("02.01.2006, 15:04")
	}
	return t.Format("Jan 2, 2006, 3:04 PM")
}

// FormatCount writes a count of things for a person reading lang, grouping
// its digits as the language does: en "1,234", sv "1 234" (a non-breaking
// space, as FormatMoney groups), de "1.234".
func FormatCount(n int, lang string) string {
	sep := ","
	switch lang {
	case Swedish:
		sep = "\u00a0"
	case German:
		sep = "."
	}
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

// FormatRate writes a rate given in basis points as a percentage number,
// with as few decimals as it needs (at most two) and the language's decimal
// sign: 2500 → "25", 1250 → en "12.5", sv and de "12,5". The catalog's
// messages add the "%" as each language spaces it.
func FormatRate(basisPoints int, lang string) string {
	sign, bp := "", uint64(basisPoints)
	if basisPoints < 0 {
		sign, bp = "-", -bp // two's complement: the magnitude, even of the smallest int
	}
	s := strconv.FormatUint(bp/100, 10)
	if frac := strings.TrimRight(strconv.FormatUint(100+bp%100, 10)[1:], "0"); frac != "" {
		sep := "."
		if lang == Swedish || lang == German {
			sep = ","
		}
		s += sep + frac
	}
	return sign + s
}

// monthNames are the months in the languages kassa speaks, January first.
var monthNames = map[string][12]string{
	English: {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	Swedish: {"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"},
	German:  {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
}

// FormatMonth writes the calendar month (UTC) of t in lang: en "December
// 2026", sv "december 2026", de "Dezember 2026". Languages kassa does not
// speak get English.
func FormatMonth(t time.Time, lang string) string {
	names, ok := monthNames[lang]
	if !ok {
		names = monthNames[English]
	}
	t = t.UTC()
	return names[t.Month()-1] + " " + strconv.Itoa(t.Year())
}
