package kassa_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestAddTerms(t *testing.T) {
	for _, tt := range []struct {
		anchor time.Time
		term   kassa.Term
		n      int
		want   time.Time
	}{
		{date(2026, 1, 31), kassa.Monthly, 1, date(2026, 2, 28)},
		{date(2026, 1, 31), kassa.Monthly, 2, date(2026, 3, 31)},
		{date(2028, 1, 31), kassa.Monthly, 1, date(2028, 2, 29)},
		{date(2026, 11, 23), kassa.Monthly, 2, date(2027, 1, 23)},
		{date(2028, 2, 29), kassa.Annual, 1, date(2029, 2, 28)},
		{date(2028, 2, 29), kassa.Annual, 4, date(2032, 2, 29)},
		{time.Date(2026, 3, 15, 13, 45, 0, 0, time.UTC), kassa.Monthly, 1, time.Date(2026, 4, 15, 13, 45, 0, 0, time.UTC)},
	} {
		if got := kassa.AddTerms(tt.anchor, tt.term, tt.n); !got.Equal(tt.want) {
			t.Errorf("AddTerms(%s, %s, %d) = %s, want %s", tt.anchor.Format(time.DateOnly), tt.term, tt.n, got, tt.want)
		}
	}
}

func TestProrate(t *testing.T) {
	sek := func(a int64) kassa.Money { return kassa.Money{Amount: a, Currency: "SEK"} }
	for _, tt := range []struct {
		amount   kassa.Money
		num, den int64
		want     int64
	}{
		{sek(23900), 15, 30, 11950},
		{sek(1), 1, 2, 0},   // 0.5 → 0 (even)
		{sek(3), 1, 2, 2},   // 1.5 → 2
		{sek(5), 1, 2, 2},   // 2.5 → 2
		{sek(-5), 1, 2, -2}, // -2.5 → -2
		{sek(-7), 1, 2, -4}, // -3.5 → -4
		{sek(10), 1, 3, 3},  // 3.33
		{sek(20), 1, 3, 7},  // 6.67
		{sek(-20), 1, 3, -7},
		{kassa.Money{Amount: 1500, Currency: "JPY"}, 10, 31, 484}, // 483.87
		{sek(239000), 200, 365, 130959},                           // 130958.9
	} {
		got := kassa.Prorate(tt.amount, tt.num, tt.den)
		if got.Amount != tt.want || got.Currency != tt.amount.Currency {
			t.Errorf("Prorate(%v, %d, %d) = %v, want %d", tt.amount, tt.num, tt.den, got, tt.want)
		}
	}
}

func TestProratedLine(t *testing.T) {
	// 5 more licenses at 239 kr/month, changed on 16 Nov in a term of
	// 1 Nov – 1 Dec (30 days): 15 days left counting the 16th.
	l := kassa.ProratedLine("Analytics Pro", kassa.Money{Amount: 23900, Currency: "SEK"}, 5,
		time.Date(2026, 11, 16, 17, 30, 0, 0, time.UTC), date(2026, 12, 1), 30)
	if l.Amount.Amount != 59750 || !l.PeriodStart.Equal(date(2026, 11, 16)) || l.Quantity != 5 {
		t.Errorf("line = %+v, want 597.50 SEK from 16 Nov", l)
	}
}

func TestInvoiceSum(t *testing.T) {
	inv := &kassa.Invoice{Lines: []kassa.InvoiceLine{
		{Amount: kassa.Money{Amount: 59750, Currency: "SEK"}},
		{Amount: kassa.Money{Amount: -10001, Currency: "SEK"}},
	}}
	if err := inv.Sum("SEK", 2500); err != nil {
		t.Fatal(err)
	}
	// 497.49 × 25 % = 124.3725 → 124.37
	if inv.Subtotal.Amount != 49749 || inv.Tax.Amount != 12437 || inv.Total.Amount != 62186 {
		t.Errorf("sum = %v + %v = %v", inv.Subtotal, inv.Tax, inv.Total)
	}
	inv.Lines = append(inv.Lines, kassa.InvoiceLine{Description: "x", Amount: kassa.Money{Amount: 1, Currency: "EUR"}})
	if err := inv.Sum("SEK", 2500); err == nil {
		t.Error("an EUR line summed into a SEK invoice")
	}
}

// exact returns amount × num / den as a rational.
func exact(amount, num, den int64) *big.Rat {
	return new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(amount), big.NewInt(num)), big.NewInt(den))
}

// FuzzProrate checks Prorate against exact rational arithmetic: within half a
// minor unit, exactly half only when rounding to even; and that charging a
// term in two parts equals charging it whole within one unit per line.
func FuzzProrate(f *testing.F) {
	f.Add(int64(23900), int64(5), int64(15), int64(16), int64(31))
	f.Add(int64(-7), int64(1), int64(1), int64(0), int64(2))
	f.Add(int64(1)<<40, int64(10000), int64(200), int64(165), int64(366))
	f.Fuzz(func(t *testing.T, unit, qty, d1, d2, termDays int64) {
		if unit < -1<<40 || unit > 1<<40 || qty < 1 || qty > 10_000 || d1 < 0 || d2 < 0 || d1+d2 > termDays || termDays < 1 || termDays > 366 {
			t.Skip()
		}
		m := kassa.Money{Amount: unit, Currency: "SEK"}
		whole := kassa.Prorate(m, qty*(d1+d2), termDays)
		diff := new(big.Rat).Sub(new(big.Rat).SetInt64(whole.Amount), exact(unit, qty*(d1+d2), termDays))
		half := big.NewRat(1, 2)
		if new(big.Rat).Abs(diff).Cmp(half) > 0 {
			t.Fatalf("Prorate(%d, %d, %d) = %d, off the exact value by %s", unit, qty*(d1+d2), termDays, whole.Amount, diff)
		}
		if new(big.Rat).Abs(diff).Cmp(half) == 0 && whole.Amount%2 != 0 {
			t.Fatalf("Prorate(%d, %d, %d) = %d: a half rounded to odd", unit, qty*(d1+d2), termDays, whole.Amount)
		}
		a := kassa.Prorate(m, qty*d1, termDays)
		b := kassa.Prorate(m, qty*d2, termDays)
		if d := a.Amount + b.Amount - whole.Amount; d < -1 || d > 1 {
			t.Fatalf("parts %d + %d differ from the whole %d by %d", a.Amount, b.Amount, whole.Amount, d)
		}
	})
}

// FuzzInvoiceSum checks that lines always sum to the subtotal and subtotal
// plus tax to the total, for any amounts and rates.
func FuzzInvoiceSum(f *testing.F) {
	f.Add(int64(59750), int64(-10001), int64(7), 2500)
	f.Add(int64(0), int64(0), int64(0), 0)
	f.Fuzz(func(t *testing.T, a, b, c int64, rate int) {
		if rate < 0 || rate > 10_000 || a > 1<<50 || a < -1<<50 || b > 1<<50 || b < -1<<50 || c > 1<<50 || c < -1<<50 {
			t.Skip()
		}
		inv := &kassa.Invoice{}
		for _, x := range []int64{a, b, c} {
			inv.Lines = append(inv.Lines, kassa.InvoiceLine{Amount: kassa.Money{Amount: x, Currency: "JPY"}})
		}
		if err := inv.Sum("JPY", rate); err != nil {
			t.Fatal(err)
		}
		if inv.Subtotal.Amount != a+b+c || inv.Total.Amount != inv.Subtotal.Amount+inv.Tax.Amount {
			t.Fatalf("%d+%d+%d: subtotal %v, tax %v, total %v", a, b, c, inv.Subtotal, inv.Tax, inv.Total)
		}
		want := exact(a+b+c, int64(rate), 10_000)
		diff := new(big.Rat).Sub(new(big.Rat).SetInt64(inv.Tax.Amount), want)
		if new(big.Rat).Abs(diff).Cmp(big.NewRat(1, 2)) > 0 {
			t.Fatalf("tax %v of %v at %d bp is off by %s", inv.Tax, inv.Subtotal, rate, diff)
		}
	})
}
