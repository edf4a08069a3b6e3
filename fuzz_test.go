package kassa_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// The fuzz targets of the rules that read what people type: card details,
// the invoice list's dates and billing profiles. The JSON API and the
// pages hand them their input as typed.

// fuzzNow is when the targets check what they are given.
var fuzzNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// checkInvalid fails t unless err is an Invalid error naming one of fields
// in its field and its (English) message.
func checkInvalid(t *testing.T, call string, err error, fields ...string) {
	t.Helper()
	field := kassa.ErrorField(err)
	if kassa.ErrorCode(err) != kassa.Invalid || !slices.Contains(fields, field) ||
		!strings.Contains(locale.In("en").Error(err), field) {
		t.Fatalf("%s err = %v (field %q); want invalid naming one of %v", call, err, field, fields)
	}
}

// FuzzValidateExpiry checks that an expiry date is accepted exactly when
// its month is 1 to 12 and it lies from now's month to 20 years ahead, on
// any day, and that a refusal names the month when the month is wrong,
// else the year.
func FuzzValidateExpiry(f *testing.F) {
	for _, s := range []struct{ month, year, days int }{
		{11, 2026, 0}, {10, 2026, 0}, {12, 2046, 0}, {1, 2047, 0}, {0, 2027, 0}, {13, 2027, 0}, {1, 27, 0},
		{12, 2026, 8}, {1, 2027, 39}, {2, -2027, 0},
	} {
		f.Add(s.month, s.year, uint16(s.days))
	}
	f.Fuzz(func(t *testing.T, month, year int, days uint16) {
		now := fuzzNow.AddDate(0, 0, int(days))
		err := kassa.ValidateExpiry("card.", month, year, now)
		y, m := now.Year(), int(now.Month())
		valid := month >= 1 && month <= 12 && (year > y || year == y && month >= m) && year <= y+20
		if (err == nil) != valid {
			t.Fatalf("ValidateExpiry(%d, %d) at %s = %v", month, year, now.Format(time.DateOnly), err)
		}
		if err != nil {
			call := fmt.Sprintf("ValidateExpiry(%d, %d)", month, year)
			if month < 1 || month > 12 {
				checkInvalid(t, call, err, "card.exp_month")
			} else {
				checkInvalid(t, call, err, "card.exp_year")
			}
		}
	})
}

// FuzzValidateCVC checks that a security code is accepted exactly when it
// is 4 digits for American Express, 3 for any other brand.
func FuzzValidateCVC(f *testing.F) {
	for _, s := range []struct{ cvc, brand string }{
		{"123", "visa"}, {"1234", "amex"}, {"123", "amex"}, {"1234", "visa"}, {"12a", "mastercard"}, {"", "visa"},
		{"١٢٣", "visa"}, {" 123", "visa"},
	} {
		f.Add(s.cvc, s.brand)
	}
	f.Fuzz(func(t *testing.T, cvc, brand string) {
		err := kassa.ValidateCVC("card.cvc", cvc, kassa.Brand(brand))
		want := 3
		if kassa.Brand(brand) == kassa.Amex {
			want = 4
		}
		if valid := len(cvc) == want && strings.Trim(cvc, "0123456789") == ""; (err == nil) != valid {
			t.Fatalf("ValidateCVC(%q, %q) = %v", cvc, brand, err)
		}
		if err != nil {
			checkInvalid(t, fmt.Sprintf("ValidateCVC(%q)", cvc), err, "card.cvc")
		}
	})
}

// FuzzCardValidate checks a card as typed: a card that passes has passed
// each rule, its digits and brand being the number's; a refusal names a
// field of the card and repeats no more than 3 digits in a row (so never
// the number or a code); and the card, printed with any verb, shows no
// digit but the last four of the number.
func FuzzCardValidate(f *testing.F) {
	for _, s := range []struct {
		number, cvc, name string
		month, year       int
	}{
		{"4242 4242 4242 4242", "123", "Erik Johansson", 12, 2030}, {"378282246310005", "1234", "E", 11, 2026},
		{"5555-5555-5555-4444", "12", "Erik", 1, 2027}, {"4242424242424241", "123", "Erik", 12, 2030},
		{"4242424242424242", "123", " ", 12, 2030}, {"4242424242424242", "123", strings.Repeat("å", 201), 12, 2030},
		{"4242424242424242", "123", "Erik", 12, 2025}, {"4242424242424242", "1234", "Erik", 13, 2030}, {"", "", "", 0, 0},
	} {
		f.Add(s.number, s.cvc, s.name, s.month, s.year)
	}
	address := kassa.Address{Line1: "Drottninggatan 1", City: "Stockholm", PostalCode: "111 51", Country: "SE"}
	f.Fuzz(func(t *testing.T, number, cvc, name string, month, year int) {
		c := kassa.Card{Number: number, CVC: cvc, ExpMonth: month, ExpYear: year, Name: name, Address: address}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			if got := strings.Map(keepDigits, fmt.Sprintf(verb, c)); got != kassa.Last4(number) {
				t.Fatalf("%s of a card shows %q, more than the last four digits of %q", verb, fmt.Sprintf(verb, c), number)
			}
		}
		digits, brand, err := c.Validate(fuzzNow)
		if err != nil {
			checkInvalid(t, "Validate", err, "card.number", "card.exp_month", "card.exp_year", "card.cvc", "card.name")
			for _, s := range saysAnywhere(err) {
				if longestDigitRun(s) > 3 {
					t.Fatalf("Validate err = %q: it repeats what was typed", s)
				}
			}
			return
		}
		n, b, _ := kassa.ParseCardNumber("card.number", number)
		if digits != n || brand != b || kassa.ValidateCVC("cvc", cvc, brand) != nil ||
			kassa.ValidateExpiry("", month, year, fuzzNow) != nil || kassa.ValidateName("name", name) != nil {
			t.Fatalf("Validate(%q, %q, %q, %d/%d) = %q, %q; a rule refuses it", number, cvc, name, month, year, digits, brand)
		}
	})
}

// saysAnywhere returns what err shows: in the log and to people in every
// language.
func saysAnywhere(err error) []string {
	out := []string{err.Error()}
	for _, lang := range locale.Supported {
		out = append(out, locale.In(lang).Error(err))
	}
	return out
}

func longestDigitRun(s string) int {
	longest, run := 0, 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			run++
		} else {
			run = 0
		}
		longest = max(longest, run)
	}
	return longest
}

// FuzzInvoicePeriod checks the invoice list's period: a preset is the
// months before today; a custom range starts on from and takes in all of
// to, both written back as typed; every range can be written with
// four-digit years, as storage compares times; a refusal names period,
// from or to.
func FuzzInvoicePeriod(f *testing.F) {
	for _, s := range [][3]string{
		{"", "", ""}, {"past_6_months", "", ""}, {"custom", "2026-01-01", "2026-11-23"}, {"custom", "2026-11-23", "2026-01-01"},
		{"custom", "0000-01-01", "9999-12-31"}, {"custom", "2026-02-29", "2026-03-01"}, {"custom", "2026-1-1", "2026-12-31"},
		{"custom", "2026-01-01", ""}, {"custom", "2026-01-01T00:00:00Z", "2026-02-01"}, {"year", "", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, period, from, to string) {
		got, err := kassa.InvoicePeriod(period, from, to, fuzzNow)
		if err != nil {
			checkInvalid(t, "InvoicePeriod", err, "period", "from", "to")
			return
		}
		months := map[string]int{"": 3, "past_3_months": 3, "past_6_months": 6}
		switch n, preset := months[period]; {
		case preset:
			if want := kassa.Day(fuzzNow).AddDate(0, -n, 0); !got.From.Equal(want) || !got.To.IsZero() {
				t.Fatalf("InvoicePeriod(%q) = %+v, want from %v", period, got, want)
			}
		case period != "custom":
			t.Fatalf("InvoicePeriod accepted the period %q", period)
		case got.From.Format(time.DateOnly) != from, got.To.IsZero() && to != "9999-12-31",
			!got.To.IsZero() && (got.To.AddDate(0, 0, -1).Format(time.DateOnly) != to || !got.From.Before(got.To)),
			got.To.Year() > 9999:
			t.Fatalf("InvoicePeriod(custom, %q, %q) = %+v", from, to, got)
		}
	})
}

// FuzzBillingProfileValidate checks the rules of a billing profile's
// details: what they accept is within the limits and is its own normal
// form (validating it again changes nothing, so a stored profile can
// always be saved again); a refusal names a field of the profile.
func FuzzBillingProfileValidate(f *testing.F) {
	f.Add("Nordvik AB", "Billing@Nordvik.example", "PO-17", "Storgatan 12", "", "Stockholm", "111 22", "SE")
	f.Add(" Team ", " team@example.com ", strings.Repeat("9", 101), " x ", " ", " y ", " 1 ", "se")
	f.Add("", "team@", "", "", "", "", "", "")
	f.Add("Team", `"a b"@c.d`, "", "x", "", "y", "1", "S")
	tenant := &kassa.Tenant{Name: "Nordvik AB", Country: "SE", Currency: "SEK", Locale: "sv"}
	f.Fuzz(func(t *testing.T, name, email, po, line1, line2, city, postal, country string) {
		p := kassa.BillingProfile{Name: name, Email: email, PONumber: po,
			Address: kassa.Address{Line1: line1, Line2: line2, City: city, PostalCode: postal, Country: country}}
		if err := p.Validate(tenant); err != nil {
			checkInvalid(t, "Validate", err, "name", "email", "po_number",
				"address.line1", "address.line2", "address.city", "address.postal_code", "address.country")
			return
		}
		again := p
		if err := again.Validate(tenant); err != nil || again != p {
			t.Fatalf("Validate(%+v) accepted it, then %+v, %v", p, again, err)
		}
		a := p.Address
		if p.Name == "" || utf8.RuneCountInString(p.Name) > 200 || utf8.RuneCountInString(p.PONumber) > 100 ||
			a.Line1 == "" || a.City == "" || a.PostalCode == "" || len(a.Country) != 2 || p.Currency != "SEK" ||
			strings.TrimSpace(p.Name) != p.Name || strings.ToLower(p.Email) != p.Email {
			t.Fatalf("Validate accepted %+v", p)
		}
	})
}

// FuzzRequestID: a client's X-Request-Id is taken only when it is 1–64
// characters of A-Z a-z 0-9 . _ -, so a log line never carries anything
// else; a made id is always one kassa would take.
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"", "ticket-4711.a_B", "a b", "x\ny", strings.Repeat("a", 64), strings.Repeat("a", 65), "ä", "id=1;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		plain := len(s) >= 1 && len(s) <= 64 && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == ""
		if kassa.ValidRequestID(s) != plain {
			t.Fatalf("ValidRequestID(%q) = %v", s, !plain)
		}
		if id := kassa.NewRequestID(); !kassa.ValidRequestID(id) || len(id) != 16 {
			t.Fatalf("NewRequestID() = %q", id)
		}
	})
}

// FuzzParseWholeAmount checks that an amount typed in whole units is taken
// exactly when it is digits with group separators between them, that it
// reads as those digits do, in minor units, and that no input is taken as
// negative or as more than MaxWholeAmount.
func FuzzParseWholeAmount(f *testing.F) {
	for _, s := range []string{"25 000", "25000", "0", " 7 ", "1\u00a0000", "1'000'000", "-5", "1.5", "1,5", "", " ",
		"99999999999999999999", "1000000000000", "1000000000001", "１２", "12kr"} {
		f.Add(s, "SEK")
	}
	f.Add("5000", "JPY")
	f.Add("5", "KWD")
	f.Fuzz(func(t *testing.T, s, currency string) {
		m, ok := kassa.ParseWholeAmount(s, currency)
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			if r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\u2009' || r == '\'' {
				return -1
			}
			return 'x'
		}, strings.TrimSpace(s))
		trimmed := strings.TrimSpace(s)
		wellFormed := digits != "" && !strings.Contains(digits, "x") && trimmed != "" && trimmed[0] >= '0' && trimmed[0] <= '9'
		if !wellFormed {
			if ok {
				t.Fatalf("ParseWholeAmount(%q) = %v, want refused", s, m)
			}
			return
		}
		whole := strings.TrimLeft(digits, "0")
		tooBig := len(whole) > 13 || (len(whole) == 13 && whole > "1000000000000")
		if tooBig {
			if ok {
				t.Fatalf("ParseWholeAmount(%q) = %v, want refused: over the most", s, m)
			}
			return
		}
		if !ok {
			t.Fatalf("ParseWholeAmount(%q) refused", s)
		}
		scale := int64(1)
		for range kassa.CurrencyDigits(currency) {
			scale *= 10
		}
		if m.Amount < 0 || m.Currency != currency || fmt.Sprint(m.Amount/scale) != cmp.Or(whole, "0") || m.Amount%scale != 0 {
			t.Fatalf("ParseWholeAmount(%q, %q) = %v, want %s whole units", s, currency, m, whole)
		}
	})
}
