package kassa_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

func TestParseCardNumber(t *testing.T) {
	for _, tt := range []struct {
		in    string
		want  string
		brand kassa.Brand
		ok    bool
	}{
		{"4242 4242 4242 4242", "4242424242424242", kassa.Visa, true},
		{"5555-5555-5555-4444", "5555555555554444", kassa.Mastercard, true},
		{"2223003122003222", "2223003122003222", kassa.Mastercard, true},
		{"378282246310005", "378282246310005", kassa.Amex, true},
		{"4000000000000002", "4000000000000002", kassa.Visa, true},
		{"4000000000009995", "4000000000009995", kassa.Visa, true},
		{"4000000000000341", "4000000000000341", kassa.Visa, true},
		{"4242424242424241", "", "", false},     // Luhn
		{"6011111111111117", "", "", false},     // Discover: not accepted
		{"37828224631000", "", "", false},       // Amex of 14 digits
		{"4242", "", "", false},                 // too short
		{"4242 4242 4242 424x", "", "", false},  // letter
		{"42424242424242424242", "", "", false}, // 20 digits
		{"", "", "", false},
	} {
		got, brand, err := kassa.ParseCardNumber("card.number", tt.in)
		if tt.ok && (err != nil || got != tt.want || brand != tt.brand) {
			t.Errorf("ParseCardNumber(%q) = %q, %q, %v; want %q, %q", tt.in, got, brand, err, tt.want, tt.brand)
		}
		if !tt.ok && (kassa.ErrorCode(err) != kassa.Invalid || kassa.ErrorField(err) != "card.number") {
			t.Errorf("ParseCardNumber(%q) err = %v; want invalid card.number", tt.in, err)
		}
		if err != nil && tt.in != "" {
			for _, s := range saysAnywhere(err) {
				if strings.Contains(s, strings.ReplaceAll(tt.in, " ", "")) {
					t.Errorf("ParseCardNumber(%q) repeats the number in %q", tt.in, s)
				}
			}
		}
	}
}

func TestValidateExpiry(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		month, year int
		field       string
	}{
		{11, 2026, ""}, {12, 2026, ""}, {1, 2030, ""}, {12, 2046, ""},
		{10, 2026, "card.exp_year"}, {12, 2025, "card.exp_year"}, {1, 2047, "card.exp_year"},
		{0, 2027, "card.exp_month"}, {13, 2027, "card.exp_month"}, {1, 27, "card.exp_year"},
	} {
		err := kassa.ValidateExpiry("card.", tt.month, tt.year, now)
		if kassa.ErrorField(err) != tt.field || (tt.field == "") != (err == nil) {
			t.Errorf("ValidateExpiry(%d, %d) = %v; want field %q", tt.month, tt.year, err, tt.field)
		}
	}
}

func TestValidateCVC(t *testing.T) {
	for _, tt := range []struct {
		cvc   string
		brand kassa.Brand
		ok    bool
	}{
		{"123", kassa.Visa, true}, {"1234", kassa.Amex, true}, {"123", kassa.Amex, false},
		{"1234", kassa.Visa, false}, {"12a", kassa.Mastercard, false}, {"", kassa.Visa, false},
	} {
		if err := kassa.ValidateCVC("cvc", tt.cvc, tt.brand); (err == nil) != tt.ok {
			t.Errorf("ValidateCVC(%q, %s) = %v, want ok %v", tt.cvc, tt.brand, err, tt.ok)
		}
	}
}

func TestCardHidesItsSecrets(t *testing.T) {
	c := kassa.Card{Number: "4242424242424242", CVC: "987", ExpMonth: 12, ExpYear: 2030, Name: "Erik"}
	for _, s := range []string{c.String(), c.GoString()} {
		if strings.Contains(s, "42424242") || strings.Contains(s, "987") || !strings.Contains(s, "4242") {
			t.Errorf("card renders as %q", s)
		}
	}
}

// FuzzParseCardNumber checks that whatever is typed, a number that parses is
// 12 to 19 digits of a known brand passing Luhn, that typing it again in
// another layout gives the same result, and that errors never echo it.
func FuzzParseCardNumber(f *testing.F) {
	for _, s := range []string{"4242 4242 4242 4242", "378282246310005", "5555-5555-5555-4444", "4242", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, brand, err := kassa.ParseCardNumber("card.number", s)
		if err != nil {
			if kassa.ErrorCode(err) != kassa.Invalid || kassa.ErrorField(err) != "card.number" {
				t.Fatalf("ParseCardNumber(%q) err = %v", s, err)
			}
			if digits := strings.Map(keepDigits, s); len(digits) >= 6 {
				for _, said := range saysAnywhere(err) {
					if strings.Contains(said, digits) {
						t.Fatalf("error %q echoes the number", said)
					}
				}
			}
			return
		}
		if len(n) < 12 || len(n) > 19 || strings.Trim(n, "0123456789") != "" || brand == "" {
			t.Fatalf("ParseCardNumber(%q) = %q, %q", s, n, brand)
		}
		spaced := ""
		for i, c := range n {
			if i > 0 && i%4 == 0 {
				spaced += " "
			}
			spaced += string(c)
		}
		if again, b2, err := kassa.ParseCardNumber("card.number", spaced); err != nil || again != n || b2 != brand {
			t.Fatalf("%q parsed, %q did not: %v", s, spaced, err)
		}
		if kassa.Last4(s) != n[len(n)-4:] {
			t.Fatalf("Last4(%q) = %q", s, kassa.Last4(s))
		}
	})
}

func keepDigits(r rune) rune {
	if r >= '0' && r <= '9' {
		return r
	}
	return -1
}
