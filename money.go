package kassa

import (
	"fmt"
	"regexp"
	"strings"
)

// Money is an exact amount in the minor unit of its currency (öre, cents),
// never a float. Zero Money has no currency and is only a placeholder.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// String renders m for logs and tests, e.g. "239.00 SEK". People see amounts
// formatted for their locale by package locale instead.
func (m Money) String() string { return m.Decimal() + " " + m.Currency }

// Decimal renders the amount in major units with a point, exactly, as
// spreadsheets read it: "1195.00", "-597.50", "1500" (JPY).
func (m Money) Decimal() string {
	d := CurrencyDigits(m.Currency)
	if d == 0 {
		return fmt.Sprint(m.Amount)
	}
	sign, a := "", uint64(m.Amount)
	if m.Amount < 0 {
		sign, a = "-", uint64(-m.Amount)
	}
	p := uint64(pow10(d))
	return fmt.Sprintf("%s%d.%0*d", sign, a/p, d, a%p)
}

// Add returns m+o. Adding different currencies is a programming error the
// caller must rule out; Add reports it rather than guess.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("add %s to %s: currencies differ", o, m)
	}
	return Money{Amount: m.Amount + o.Amount, Currency: m.Currency}, nil
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// ValidCurrency reports whether code has the shape of an ISO 4217 code.
func ValidCurrency(code string) bool { return currencyCode.MatchString(code) }

// zeroDecimal lists the ISO 4217 currencies whose minor unit is the unit itself.
var zeroDecimal = map[string]bool{
	"BIF": true, "CLP": true, "DJF": true, "GNF": true, "ISK": true, "JPY": true,
	"KMF": true, "KRW": true, "PYG": true, "RWF": true, "UGX": true, "UYI": true,
	"VND": true, "VUV": true, "XAF": true, "XOF": true, "XPF": true,
}

// threeDecimal lists the ISO 4217 currencies with three decimals.
var threeDecimal = map[string]bool{
	"BHD": true, "IQD": true, "JOD": true, "KWD": true, "LYD": true, "OMR": true, "TND": true,
}

// CurrencyDigits returns the number of decimals of the currency's minor unit.
func CurrencyDigits(code string) int {
	switch {
	case zeroDecimal[code]:
		return 0
	case threeDecimal[code]:
		return 3
	}
	return 2
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// MaxWholeAmount is the largest amount ParseWholeAmount takes, in whole
// units: a trillion, far above any ceiling and far below int64's reach.
const MaxWholeAmount = 1_000_000_000_000

// ParseWholeAmount reads an amount of whole units of currency as a person
// types it ("25 000", "25000"): digits, with spaces (also non-breaking and
// thin ones) and apostrophes between groups; no sign, no decimals. It
// returns ok false for anything else, and for more than MaxWholeAmount.
func ParseWholeAmount(s, currency string) (m Money, ok bool) {
	var n int64
	digits := 0
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			n = n*10 + int64(r-'0')
			digits++
			if n > MaxWholeAmount {
				return Money{}, false
			}
		case (r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\u2009' || r == '\'') && digits > 0:
		default:
			return Money{}, false
		}
	}
	if digits == 0 {
		return Money{}, false
	}
	return Money{Amount: n * pow10(CurrencyDigits(currency)), Currency: currency}, true
}
