package web

import (
	"testing"

	"github.com/kassa-billing/kassa"
)

func TestFormatMoney(t *testing.T) {
	t.Parallel()
	fs := newMoneyFormatters()
	for _, tc := range []struct {
		lang string
		m    kassa.Money
		want string
	}{
		{"sv", kassa.Money{Amount: 23900, Currency: "SEK"}, "239,00\u00a0kr"},
		{"sv", kassa.Money{Amount: 123450, Currency: "SEK"}, "1\u00a0234,50\u00a0kr"},
		{"en", kassa.Money{Amount: 23900, Currency: "SEK"}, "SEK\u00a0239.00"},
		{"en", kassa.Money{Amount: 123450, Currency: "USD"}, "$1,234.50"},
		{"en", kassa.Money{Amount: 2100, Currency: "EUR"}, "€21.00"},
		{"sv", kassa.Money{Amount: 2100, Currency: "EUR"}, "21,00\u00a0€"},
		{"en", kassa.Money{Amount: 1500, Currency: "JPY"}, "¥1,500"},
		{"xx", kassa.Money{Amount: 100, Currency: "USD"}, "$1.00"},
	} {
		got, err := fs.format(tc.lang, tc.m)
		if err != nil || got != tc.want {
			t.Errorf("format(%s, %v) = %q, %v; want %q", tc.lang, tc.m, got, err, tc.want)
		}
	}
	t.Run("NegativeIsExact", func(t *testing.T) {
		got, err := fs.format("en", kassa.Money{Amount: -5, Currency: "USD"})
		if err != nil || got != "-$0.05" {
			t.Errorf("format(-5 USD) = %q, %v; want -$0.05", got, err)
		}
	})
	t.Run("UnknownCurrencyIsAnError", func(t *testing.T) {
		if got, err := fs.format("en", kassa.Money{Amount: 100, Currency: "XYZ"}); err == nil {
			t.Errorf("format(XYZ) = %q, want an error", got)
		}
	})
}
