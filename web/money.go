package web

import (
	"fmt"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// moneyFormatters formats amounts for the pages through locale.FormatMoney,
// which invoice PDFs use too (sv: "1 234,50 kr", en: "SEK 1,234.50"). It
// holds nothing: locale keeps the formatters, shared by every request.
type moneyFormatters struct{}

func newMoneyFormatters() moneyFormatters { return moneyFormatters{} }

// format renders m for a person reading lang. A page must not show an amount
// in a currency nobody can read, so an unknown currency is an error here,
// where locale.FormatMoney would write it plainly.
func (moneyFormatters) format(lang string, m kassa.Money) (string, error) {
	if !locale.KnownCurrency(m.Currency) {
		return "", fmt.Errorf("format %s: unknown currency %q", m, m.Currency)
	}
	return locale.FormatMoney(m, lang), nil
}
