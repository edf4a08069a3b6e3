package locale

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

func TestFormatMoney(t *testing.T) {
	const nb = "\u00a0" // bojanz (CLDR) puts non-breaking spaces in both languages
	const minus = "\u2212"
	sek := func(a int64) kassa.Money { return kassa.Money{Amount: a, Currency: "SEK"} }
	for _, tc := range []struct {
		name string
		m    kassa.Money
		lang string
		want string
	}{
		{"SwedishKronor", sek(23900), "sv", "239,00" + nb + "kr"},
		{"SwedishThousands", sek(239000), "sv", "2" + nb + "390,00" + nb + "kr"},
		{"SwedishGrouping", sek(123450), "sv", "1" + nb + "234,50" + nb + "kr"},
		{"EnglishKronor", sek(123450), "en", "SEK" + nb + "1,234.50"},
		{"EnglishDollars", kassa.Money{Amount: 123450, Currency: "USD"}, "en", "$1,234.50"},
		{"SwedishDollars", kassa.Money{Amount: 123450, Currency: "USD"}, "sv", "1" + nb + "234,50" + nb + "US$"},
		{"EnglishEuros", kassa.Money{Amount: 2100, Currency: "EUR"}, "en", "€21.00"},
		{"SwedishEuros", kassa.Money{Amount: 2100, Currency: "EUR"}, "sv", "21,00" + nb + "€"},
		{"Zero", sek(0), "sv", "0,00" + nb + "kr"},
		{"OneOre", sek(1), "sv", "0,01" + nb + "kr"},
		{"TrailingZerosKept", sek(1000), "en", "SEK" + nb + "10.00"},
		{"CreditNoteSwedish", sek(-239000), "sv", minus + "2" + nb + "390,00" + nb + "kr"},
		{"CreditNoteEnglish", sek(-123450), "en", "-SEK" + nb + "1,234.50"},
		{"NegativeCents", kassa.Money{Amount: -5, Currency: "USD"}, "en", "-$0.05"},
		{"YenHasNoDecimals", kassa.Money{Amount: 1500, Currency: "JPY"}, "en", "¥1,500"},
		{"YenSwedish", kassa.Money{Amount: -1500, Currency: "JPY"}, "sv", minus + "1" + nb + "500" + nb + "¥"},
		{"ThreeDecimals", kassa.Money{Amount: 1234, Currency: "KWD"}, "en", "KWD" + nb + "1.234"},
		// CLDR writes the dinar with 0 decimals; kassa stores 3, and shows them.
		{"KassaDigitsWin", kassa.Money{Amount: 1000, Currency: "IQD"}, "en", "IQD" + nb + "1.000"},
		{"Largest", sek(math.MaxInt64), "en", "SEK" + nb + "92,233,720,368,547,758.07"},
		{"Smallest", kassa.Money{Amount: math.MinInt64, Currency: "USD"}, "en", "-$92,233,720,368,547,758.08"},
		{"LargeSwedish", sek(1_000_000_000_00), "sv", "1" + nb + "000" + nb + "000" + nb + "000,00" + nb + "kr"},
		{"UnknownLanguageIsEnglish", kassa.Money{Amount: 100, Currency: "USD"}, "xx", "$1.00"},
		{"GermanKronor", sek(123450), "de", "1.234,50" + nb + "SEK"},
		{"GermanEuros", kassa.Money{Amount: -123450, Currency: "EUR"}, "de", "-1.234,50" + nb + "€"},
		{"UnknownCurrencyIsPlain", kassa.Money{Amount: 1200, Currency: "XYZ"}, "sv", "12.00 XYZ"},
		{"NoCurrency", kassa.Money{Amount: 1200}, "en", "12.00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatMoney(tc.m, tc.lang); got != tc.want {
				t.Errorf("FormatMoney(%v, %q) = %q, want %q", tc.m, tc.lang, got, tc.want)
			}
		})
	}
}

func TestFormatMoneyConcurrently(t *testing.T) {
	m := kassa.Money{Amount: 123450, Currency: "SEK"}
	want := map[string]string{"sv": FormatMoney(m, "sv"), "en": FormatMoney(m, "en"), "de": FormatMoney(m, "de")}
	var wg sync.WaitGroup
	for i := range 16 {
		lang := Supported[i%len(Supported)]
		wg.Go(func() {
			for range 200 {
				if got := FormatMoney(m, lang); got != want[lang] {
					t.Errorf("FormatMoney(%v, %q) = %q, want %q", m, lang, got, want[lang])
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestKnownCurrency(t *testing.T) {
	for code, want := range map[string]bool{"SEK": true, "JPY": true, "XYZ": false, "": false, "sek": false} {
		if got := KnownCurrency(code); got != want {
			t.Errorf("KnownCurrency(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestFormatDate(t *testing.T) {
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	stockholm := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		name string
		t    time.Time
		lang string
		want string
	}{
		{"Swedish", day, "sv", "2026-11-23"},
		{"English", day, "en", "Nov 23, 2026"},
		{"EnglishSingleDigit", time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC), "en", "Mar 5, 2026"},
		{"German", day, "de", "23.11.2026"},
		{"UnknownLanguageIsEnglish", day, "fr", "Nov 23, 2026"},
		// Billing counts days in UTC: 00:30 in Stockholm is still the day before.
		{"DayInUTC", time.Date(2026, 11, 24, 0, 30, 0, 0, stockholm), "sv", "2026-11-23"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatDate(tc.t, tc.lang); got != tc.want {
				t.Errorf("FormatDate(%v, %q) = %q, want %q", tc.t, tc.lang, got, tc.want)
			}
		})
	}
}

func TestDecimal(t *testing.T) {
	for _, tc := range []struct {
		amount int64
		digits int
		want   string
	}{
		{23900, 2, "239.00"},
		{5, 2, "0.05"},
		{-5, 2, "-0.05"},
		{0, 2, "0.00"},
		{-123456, 2, "-1234.56"},
		{1500, 0, "1500"},
		{-1500, 0, "-1500"},
		{1234, 3, "1.234"},
		{7, 3, "0.007"},
		{math.MaxInt64, 2, "92233720368547758.07"},
		{math.MinInt64, 2, "-92233720368547758.08"},
	} {
		if got := decimal(tc.amount, tc.digits); got != tc.want {
			t.Errorf("decimal(%d, %d) = %q, want %q", tc.amount, tc.digits, got, tc.want)
		}
	}
}

func TestFormatMinute(t *testing.T) {
	at := time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC)
	for _, tc := range []struct{ lang, want string }{
		{"en", "Nov 23, 2026, 2:05 PM"},
		{"sv", "2026-11-23 14:05"},
		{"de", "23.11.2026, 14:05"},
		{"fr", "Nov 23, 2026, 2:05 PM"},
	} {
		if got := FormatMinute(at, tc.lang); got != tc.want {
			t.Errorf("FormatMinute(%v, %q) = %q, want %q", at, tc.lang, got, tc.want)
		}
	}
}

func TestFormatCount(t *testing.T) {
	for _, tc := range []struct {
		n          int
		lang, want string
	}{
		{1234567, "en", "1,234,567"}, {1234567, "sv", "1\u00a0234\u00a0567"}, {1234567, "de", "1.234.567"},
		{999, "de", "999"}, {-1234, "en", "-1,234"}, {0, "sv", "0"},
	} {
		if got := FormatCount(tc.n, tc.lang); got != tc.want {
			t.Errorf("FormatCount(%d, %q) = %q, want %q", tc.n, tc.lang, got, tc.want)
		}
	}
}
