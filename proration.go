package kassa

import (
	"fmt"
	"math/big"
	"time"
)

// Day returns the calendar day of t in UTC, at midnight. Billing counts
// whole days, in UTC.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Days returns the whole days from the day of a to the day of b.
func Days(a, b time.Time) int64 {
	return int64(Day(b).Sub(Day(a)).Hours() / 24)
}

// AddTerms returns the start of the n-th term after a subscription's anchor:
// n months (monthly) or n years (annual) later, on the anchor's day of month,
// or the last day of a month without it (31 Jan → 28 Feb → 31 Mar), and at
// the anchor's time of day.
func AddTerms(anchor time.Time, term Term, n int) time.Time {
	months := n
	if term == Annual {
		months = 12 * n
	}
	anchor = anchor.UTC()
	y, m, d := anchor.Date()
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	h, mi, s := anchor.Clock()
	return time.Date(first.Year(), first.Month(), min(d, last), h, mi, s, anchor.Nanosecond(), time.UTC)
}

// Prorate returns amount × num / den, exactly, rounded once, half to even.
// den must be positive.
func Prorate(amount Money, num, den int64) Money {
	if den <= 0 {
		panic(fmt.Sprintf("prorate by %d/%d", num, den))
	}
	n := new(big.Int).Mul(big.NewInt(amount.Amount), big.NewInt(num))
	return Money{Amount: divRoundHalfEven(n, big.NewInt(den)), Currency: amount.Currency}
}

// divRoundHalfEven returns n/d rounded half to even, for d > 0.
func divRoundHalfEven(n, d *big.Int) int64 {
	q, r := new(big.Int).QuoRem(n, d, new(big.Int)) // truncates toward zero
	twice := new(big.Int).Abs(r)
	twice.Lsh(twice, 1)
	switch c := twice.Cmp(d); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() {
		panic(fmt.Sprintf("prorated amount %s overflows", q))
	}
	return q.Int64()
}

// ProratedLine prices quantity licenses at unit for the whole days from the
// day of from (counted) to the day of end, of a term of termDays days, as
// one invoice line, rounded once.
func ProratedLine(description string, unit Money, quantity int, from, end time.Time, termDays int64) InvoiceLine {
	return InvoiceLine{
		Description: description, Quantity: quantity, UnitPrice: unit,
		PeriodStart: Day(from), PeriodEnd: Day(end),
		Amount: Prorate(unit, Days(from, end)*int64(quantity), termDays),
	}
}

// VAT rates in basis points (2500 = 25 %) by tenant country. Countries not
// listed pay DefaultVATRate unless the operator configures them.
var vatRates = map[string]int{
	"SE": 2500, "US": 0, "NO": 2500, "DK": 2500, "FI": 2550, "DE": 1900, "FR": 2000,
	"NL": 2100, "GB": 2000, "IE": 2300, "ES": 2100, "IT": 2200, "PL": 2300,
}

// DefaultVATRate applies to countries without a rate of their own.
const DefaultVATRate = 0

// VATRate returns the VAT rate of a tenant's country in basis points.
func VATRate(country string) int {
	if r, ok := vatRates[country]; ok {
		return r
	}
	return DefaultVATRate
}

// Sum sets the invoice's subtotal (the sum of its lines), its tax at rate
// (basis points, rounded once) and its total (their sum), in currency. Lines
// in another currency are an error: currencies never mix.
func (inv *Invoice) Sum(currency string, rate int) error {
	sum := Money{Currency: currency}
	for _, l := range inv.Lines {
		var err error
		if sum, err = sum.Add(l.Amount); err != nil {
			return fmt.Errorf("invoice line %q: %w", l.Description, err)
		}
	}
	inv.Subtotal, inv.TaxRate = sum, rate
	inv.Tax = Prorate(sum, int64(rate), 10_000)
	inv.Total = Money{Amount: sum.Amount + inv.Tax.Amount, Currency: currency}
	return nil
}
