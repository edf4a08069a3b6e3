package web

import (
	"fmt"

	"github.com/bojanz/currency"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// moneyFormatters formats amounts the way each language writes them
// (sv: "1 234,50 kr", en: "SEK 1,234.50"). A Formatter is not changed after
// it is made, so one serves every request.
type moneyFormatters map[string]*currency.Formatter

func newMoneyFormatters() moneyFormatters {
	fs := moneyFormatters{}
	for _, lang := range locale.Supported {
		fs[lang] = currency.NewFormatter(currency.NewLocale(lang))
	}
	return fs
}

// format renders m for a person reading lang. The minor units become a
// decimal string by integer arithmetic, with the number of decimals kassa
// stores the currency in, so nothing is lost to floats or rounded away.
func (fs moneyFormatters) format(lang string, m kassa.Money) (string, error) {
	f, ok := fs[lang]
	if !ok {
		f = fs[locale.English]
	}
	a, err := currency.NewAmount(decimal(m.Amount, kassa.CurrencyDigits(m.Currency)), m.Currency)
	if err != nil {
		return "", fmt.Errorf("format %s: %w", m, err)
	}
	return f.Format(a), nil
}

// decimal writes amount minor units with digits decimals: 23900, 2 → "239.00".
func decimal(amount int64, digits int) string {
	sign := ""
	// Work in uint64 so that the most negative int64 has a magnitude too.
	u := uint64(amount)
	if amount < 0 {
		sign, u = "-", uint64(-(amount+1))+1
	}
	if digits == 0 {
		return fmt.Sprintf("%s%d", sign, u)
	}
	p := uint64(1)
	for range digits {
		p *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, u/p, digits, u%p)
}
