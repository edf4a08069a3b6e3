package web

import (
	"fmt"
	"time"

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

// amounts formats the amounts of one page in its language and keeps the
// first error, so that a page fills its rows without checking each amount
// and checks err once, before it renders.
type amounts struct {
	f    moneyFormatters
	lang string
	err  error
}

func (s *server) amounts(lang string) *amounts { return &amounts{f: s.money, lang: lang} }

// of formats m, or returns "" and keeps the error.
func (a *amounts) of(m kassa.Money) string {
	s, err := a.f.format(a.lang, m)
	if err != nil && a.err == nil {
		a.err = err
	}
	return s
}

// price formats what one license of prod costs per term, or "" when prod
// is not sold for that term in the currency.
func (a *amounts) price(prod *kassa.Product, term kassa.Term, currency string) string {
	pr, ok := prod.PriceFor(term, currency)
	if !ok {
		return ""
	}
	return a.of(kassa.Money{Amount: pr.UnitAmount, Currency: pr.Currency})
}

// formatDate writes the day of t for a person reading l's language.
func formatDate(l *Layout, t time.Time) string { return locale.FormatDate(t, l.Lang) }
