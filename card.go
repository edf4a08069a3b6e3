package kassa

import (
	"strings"
	"time"
)

// Brand is a card network.
type Brand string

// The brands kassa accepts.
const (
	Visa       Brand = "visa"
	Mastercard Brand = "mastercard"
	Amex       Brand = "amex"
)

// Card is what a person types to add a card. Number and CVC go to the
// gateway only: they are never stored, logged or returned.
type Card struct {
	Number   string
	CVC      string
	ExpMonth int
	ExpYear  int
	Name     string
	Address  Address
}

// String hides the number and the security code, so that a card that finds
// its way into a log or an error shows nothing secret.
func (c Card) String() string { return "card ending " + Last4(c.Number) }

// GoString hides them from %#v too.
func (c Card) GoString() string { return c.String() }

// ParseCardNumber returns the digits of a card number typed with or without
// spaces and hyphens, and its brand. The number must have the length of its
// brand and pass the Luhn check; field names the input in errors.
func ParseCardNumber(field, s string) (string, Brand, error) {
	digits := make([]byte, 0, 19)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if len(digits) == 19 {
				return "", "", InvalidE(field, "error.card.too_many_digits", "Field", field)
			}
			digits = append(digits, c)
		case c == ' ' || c == '-':
		default:
			return "", "", InvalidE(field, "error.card.characters", "Field", field)
		}
	}
	n := string(digits)
	if len(n) < 12 {
		return "", "", InvalidE(field, "error.card.too_short", "Field", field)
	}
	brand := cardBrand(n)
	if brand == "" {
		return "", "", InvalidE(field, "error.card.brand", "Field", field)
	}
	if !validLength(brand, len(n)) || !luhn(n) {
		return "", "", InvalidE(field, "error.card.number", "Field", field)
	}
	return n, brand, nil
}

func cardBrand(n string) Brand {
	switch {
	case n[0] == '4':
		return Visa
	case n[:2] == "34" || n[:2] == "37":
		return Amex
	case n[:2] >= "51" && n[:2] <= "55", n[:4] >= "2221" && n[:4] <= "2720":
		return Mastercard
	}
	return ""
}

func validLength(b Brand, n int) bool {
	switch b {
	case Visa:
		return n == 13 || n == 16 || n == 19
	case Amex:
		return n == 15
	}
	return n == 16
}

// luhn reports whether the digits pass the Luhn checksum.
func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// Last4 returns the last four digits of a card number, for people to
// recognise the card by.
func Last4(number string) string {
	var d []byte
	for i := len(number) - 1; i >= 0 && len(d) < 4; i-- {
		if c := number[i]; c >= '0' && c <= '9' {
			d = append([]byte{c}, d...)
		}
	}
	return string(d)
}

// ValidateCVC checks a security code: 3 digits, 4 for American Express.
func ValidateCVC(field, cvc string, b Brand) error {
	want := 3
	if b == Amex {
		want = 4
	}
	if len(cvc) != want || strings.Trim(cvc, "0123456789") != "" {
		return InvalidE(field, "error.card.cvc", "Field", field, "Digits", want)
	}
	return nil
}

// maxCardYears is how far ahead an expiry date may lie.
const maxCardYears = 20

// ValidateExpiry checks that a card expiring at the end of month/year has
// not expired at now; prefix ("card." or "") goes before the field names.
func ValidateExpiry(prefix string, month, year int, now time.Time) error {
	if month < 1 || month > 12 {
		return InvalidE(prefix+"exp_month", "error.card.exp_month", "Field", prefix+"exp_month")
	}
	y, m := now.Year(), int(now.Month())
	if year < y || year == y && month < m {
		return InvalidE(prefix+"exp_year", "error.card.expired", "MonthField", prefix+"exp_month", "YearField", prefix+"exp_year")
	}
	if year > y+maxCardYears {
		return InvalidE(prefix+"exp_year", "error.card.exp_year", "Field", prefix+"exp_year", "Max", maxCardYears)
	}
	return nil
}

// Validate checks a card as typed and returns its digits and brand.
func (c Card) Validate(now time.Time) (string, Brand, error) {
	n, b, err := ParseCardNumber("card.number", c.Number)
	if err != nil {
		return "", "", err
	}
	if err := ValidateExpiry("card.", c.ExpMonth, c.ExpYear, now); err != nil {
		return "", "", err
	}
	if err := ValidateCVC("card.cvc", c.CVC, b); err != nil {
		return "", "", err
	}
	if err := ValidateName("card.name", c.Name); err != nil {
		return "", "", err
	}
	return n, b, nil
}
