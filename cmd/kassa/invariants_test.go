package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// querier reads the database: a *sql.DB, or a *sql.Tx holding a planted
// fault.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// checkedInvoice is what the checker reads of an invoice.
type checkedInvoice struct {
	id, sub, kind, typ, status, number, currency, chargeRef, periodStart string
	total, balanceApplied, delta                                         int64
	lineQuantity                                                         int64 // its first line's
}

func (i checkedInvoice) amountDue() int64 { return i.total - i.balanceApplied }

// checkInvariants returns every way the database and the gateway's ledger
// disagree with what kassa promises, once every pending charge has been
// reconciled: each charge belongs to exactly one issued invoice of its
// amount and each issued invoice with an amount due was charged exactly
// once; refunds stay within their charges; invoice numbers have no gaps;
// nothing was invoiced twice; a subscription's licenses are what it paid
// for, and its assigned count is its license rows, at most its quantity.
func checkInvariants(ctx context.Context, q querier, ledger []simulator.LedgerEntry) ([]string, error) {
	var bad []string
	report := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }

	invoices := map[string]checkedInvoice{}
	err := scanRows(ctx, q, `
		SELECT i.id, COALESCE(i.subscription_id, ''), i.kind, i.type, i.status, COALESCE(i.number, ''), i.currency,
			i.charge_ref, CAST(i.period_start AS TEXT), i.total, i.balance_applied, i.quantity_delta,
			COALESCE((SELECT l.quantity FROM invoice_lines l WHERE l.invoice_id = i.id AND l.position = 0), 0)
		FROM invoices i`, func(rows *sql.Rows) error {
		var i checkedInvoice
		err := rows.Scan(&i.id, &i.sub, &i.kind, &i.typ, &i.status, &i.number, &i.currency, &i.chargeRef,
			&i.periodStart, &i.total, &i.balanceApplied, &i.delta, &i.lineQuantity)
		invoices[i.id] = i
		return err
	})
	if err != nil {
		return nil, err
	}

	// The ledger: one answer per key; charges of issued invoices, at
	// their amount due; refunds within their charges.
	byKey := map[string]simulator.LedgerEntry{}
	chargedBy := map[string][]string{} // invoice id → its charge keys
	charges := map[string]simulator.LedgerEntry{}
	refunded := map[string]int64{}
	holds := map[string]simulator.LedgerEntry{} // a charge waiting for the bank, by its ref
	resolved := map[string]bool{}
	for _, e := range ledger {
		switch e.Op {
		case "session", "session_done": // card pages move no money
			continue
		case "hold":
			if _, ok := holds[e.Ref]; !ok {
				holds[e.Ref] = e
			}
			continue
		case "resolve":
			h, ok := holds[e.Ref]
			switch {
			case !ok:
				report("the bank answered %s, which no charge waited for", e.Ref)
				continue
			case resolved[e.Ref]:
				report("the bank answered %s twice", e.Ref)
				continue
			}
			resolved[e.Ref] = true
			if e.Status != "succeeded" {
				continue
			}
			// The money moved when the bank's page was completed.
			e = simulator.LedgerEntry{Op: "charge", Key: h.Key, Ref: h.Ref, Card: h.Card, Amount: h.Amount, Currency: h.Currency, At: e.At}
		}
		if first, ok := byKey[e.Key]; ok {
			if first.Op != e.Op || first.Ref != e.Ref || first.Money() != e.Money() || first.Card != e.Card || first.Charge != e.Charge {
				report("ledger key %s answered twice, differently: %+v and %+v", e.Key, first, e)
			}
			continue
		}
		byKey[e.Key] = e
		switch e.Op {
		case "charge":
			charges[e.Ref] = e
			id := chargedInvoice(e.Key)
			inv, ok := invoices[id]
			switch {
			case !ok:
				report("charge %s (%v) has no invoice", e.Key, e.Money())
				continue
			case inv.number == "" || inv.typ != "invoice":
				report("charge %s (%v) is of invoice %s, which is %s and not issued", e.Key, e.Money(), id, inv.status)
			case inv.amountDue() != e.Amount || inv.currency != e.Currency:
				report("charge %s took %v but invoice %s has %d %s due", e.Key, e.Money(), inv.number, inv.amountDue(), inv.currency)
			case inv.chargeRef != e.Ref:
				report("charge %s (%s) is not the one invoice %s records (%q)", e.Key, e.Ref, inv.number, inv.chargeRef)
			}
			chargedBy[id] = append(chargedBy[id], e.Key)
		case "refund":
			refunded[e.Charge] += e.Amount
		}
	}
	credited := map[string]bool{} // subscriptions with a cancellation's credit note
	for _, inv := range invoices {
		if inv.kind == "cancel" && inv.status == "paid" {
			credited[inv.sub] = true
		}
	}
	for _, e := range byKey {
		// billing keys a refund kassa-cancel-SUBSCRIPTION-TERMSTART.
		if sub, _, _ := strings.Cut(strings.TrimPrefix(e.Key, "kassa-cancel-"), "-"); e.Op == "refund" && !credited[sub] {
			report("refund %s (%v) has no credit note", e.Key, e.Money())
		}
	}
	for ref, amount := range refunded {
		if c, ok := charges[ref]; !ok {
			report("refunds of %d of charge %s, which the ledger does not have", amount, ref)
		} else if amount > c.Amount {
			report("refunds of charge %s add up to %d, more than it took (%d)", ref, amount, c.Amount)
		}
	}

	// Invoices: none left pending, each issued one with an amount due
	// charged exactly once, nothing invoiced twice, numbers without gaps.
	purchases := map[string]int{}
	renewals := map[string]int{}
	chargeRefs := map[string]string{}
	numbers := map[int][]int{}
	for _, inv := range invoices {
		name := inv.number
		if name == "" {
			name = inv.id
		}
		switch {
		case inv.status == "pending":
			report("invoice %s is still pending", inv.id)
		case inv.status == "void" && inv.number != "":
			report("void invoice %s has number %s", inv.id, inv.number)
		case inv.status != "void" && inv.number == "":
			report("%s invoice %s has no number", inv.status, inv.id)
		}
		keys := chargedBy[inv.id]
		if inv.typ == "invoice" && inv.status == "paid" {
			switch {
			case inv.amountDue() > 0 && len(keys) != 1:
				report("invoice %s (%d %s due) was charged by %d keys %v, want 1", name, inv.amountDue(), inv.currency, len(keys), keys)
			case inv.amountDue() == 0 && len(keys) != 0:
				report("invoice %s has nothing due but was charged by %v", name, keys)
			}
			if inv.chargeRef != "" {
				if other, ok := chargeRefs[inv.chargeRef]; ok {
					report("invoices %s and %s record the same charge %s", other, name, inv.chargeRef)
				}
				chargeRefs[inv.chargeRef] = name
			}
			switch inv.kind {
			case "purchase":
				purchases[inv.sub]++
			case "renewal":
				renewals[inv.sub+" "+inv.periodStart]++
			}
		}
		if inv.number != "" {
			year, n, ok := parseInvoiceNumber(inv.number)
			if !ok {
				report("invoice %s has a malformed number %q", inv.id, inv.number)
			}
			numbers[year] = append(numbers[year], n)
		}
	}
	for sub, n := range purchases {
		if n > 1 {
			report("subscription %s has %d paid purchase invoices", sub, n)
		}
	}
	for term, n := range renewals {
		if n > 1 {
			report("subscription and term %s renewed by %d paid invoices", term, n)
		}
	}
	lasts := map[int]int{}
	err = scanRows(ctx, q, `SELECT year, last FROM invoice_numbers`, func(rows *sql.Rows) error {
		var year, last int
		err := rows.Scan(&year, &last)
		lasts[year] = last
		return err
	})
	if err != nil {
		return nil, err
	}
	for year, ns := range numbers {
		slices.Sort(ns)
		for i, n := range ns {
			if n != i+1 {
				report("invoice numbers of %d: the %d. is %06d (a gap or a duplicate)", year, i+1, n)
				break
			}
		}
		if lasts[year] != len(ns) {
			report("invoice numbers of %d: %d issued but the counter says %d", year, len(ns), lasts[year])
		}
	}

	// Subscriptions: licenses within what was bought, counted right, and
	// the quantity paid for by its invoices and credit notes.
	paidDelta := map[string]int64{}
	bought := map[string]int64{}
	open := map[string]string{} // subscription → its unpaid renewal
	for _, inv := range invoices {
		switch {
		case inv.status == "open":
			open[inv.sub] = inv.number
		case inv.kind == "purchase" && inv.status == "paid":
			bought[inv.sub] = inv.lineQuantity
		case inv.kind == "quantity" && inv.status == "paid":
			paidDelta[inv.sub] += inv.delta
		}
	}
	err = scanRows(ctx, q, `
		SELECT s.id, s.status, s.quantity, s.assigned, (SELECT COUNT(*) FROM licenses l WHERE l.subscription_id = s.id)
		FROM subscriptions s`, func(rows *sql.Rows) error {
		var id, status string
		var quantity, assigned, licenses int64
		if err := rows.Scan(&id, &status, &quantity, &assigned, &licenses); err != nil {
			return err
		}
		if status == "pending" {
			report("subscription %s is still pending", id)
		}
		if number, ok := open[id]; ok && (status == "active" || status == "trialing") {
			report("renewal %s of %s subscription %s was left unpaid", number, status, id)
		}
		if assigned > quantity || licenses > quantity {
			report("subscription %s has %d assigned and %d license rows, more than its %d", id, assigned, licenses, quantity)
		}
		if assigned != licenses {
			report("subscription %s counts %d assigned but has %d license rows", id, assigned, licenses)
		}
		live := status == "active" || status == "past_due" || status == "suspended"
		if n, ok := bought[id]; ok && live && n+paidDelta[id] != quantity {
			report("subscription %s has %d licenses but paid for %d (%d bought, %+d changed)", id, quantity, n+paidDelta[id], n, paidDelta[id])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(bad)
	return bad, nil
}

// chargedInvoice returns the invoice a charge's idempotency key names:
// "kassa-ID" (a purchase or quantity invoice) or "kassa-ID-ATTEMPT" (a
// renewal), as billing builds them.
func chargedInvoice(key string) string {
	id := strings.TrimPrefix(key, "kassa-")
	if i := strings.LastIndexByte(id, '-'); i >= 0 {
		id = id[:i]
	}
	return id
}

// parseInvoiceNumber splits INV-YYYY-NNNNNN.
func parseInvoiceNumber(s string) (year, n int, ok bool) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 || parts[0] != "INV" || len(parts[1]) != 4 || len(parts[2]) != 6 {
		return 0, 0, false
	}
	year, err1 := strconv.Atoi(parts[1])
	n, err2 := strconv.Atoi(parts[2])
	return year, n, err1 == nil && err2 == nil
}

func scanRows(ctx context.Context, q querier, query string, scan func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// requireInvariants fails the test with every violation of checkInvariants.
func requireInvariants(t *testing.T, dsn, ledgerPath string) {
	t.Helper()
	ledger, err := simulator.ReadLedger(ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := checkInvariants(t.Context(), sqldbtest.Raw(t, dsn), ledger)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
	t.Logf("checked %d ledger entries against the database", len(ledger))
}

// reconcile finishes the charges the servers left pending the way serve's
// reconciler does — billing.Service.Reconcile with serve's age of a minute —
// on the same database and ledger, on a clock an hour past at. serve runs it
// at start and every 30 s, on its clock; under --test-clock a restarted
// server's clock starts at the wall time, before the moved clock that the
// pending invoices were made at, so it could only catch them after minutes
// of waiting.
func reconcile(t *testing.T, dsn, ledgerPath string, at time.Time) {
	t.Helper()
	clock := kassa.NewTestClock(at.Add(time.Hour))
	gw, err := simulator.Open(clock, ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	db, err := sqldb.Open(t.Context(), dsn, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := billing.New(db, gw, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	total := 0
	for range 20 { // it takes up to 500 at a time
		n, err := b.Reconcile(t.Context(), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if total += n; n == 0 {
			break
		}
	}
	t.Logf("the reconciler finished %d pending charges", total)
}

// loadDemo loads the demo into dsn, paying through the simulator with the
// ledger at ledgerPath.
func loadDemo(t *testing.T, dsn, ledgerPath string) {
	t.Helper()
	env := map[string]string{"KASSA_SIMULATOR_LEDGER": ledgerPath}
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return env[k] }}
	if err := m.Run(t.Context(), []string{"demo", "--db", dsn}); err != nil {
		t.Fatalf("demo: %v", err)
	}
}

// TestInvariantsCatchPlantedFaults checks the demo's history (renewals,
// license changes, a refunded cancellation, a trial), then plants each
// fault the crash tests look for, in a transaction rolled back afterwards or
// in a copy of the ledger: the checker names each.
func TestInvariantsCatchPlantedFaults(t *testing.T) {
	t.Parallel()
	dsn := sqldbtest.DSN(t)
	ledgerPath := filepath.Join(t.TempDir(), "ledger.jsonl")
	loadDemo(t, dsn, ledgerPath)
	ledger, err := simulator.ReadLedger(ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	raw := sqldbtest.Raw(t, dsn)
	if bad, err := checkInvariants(t.Context(), raw, ledger); err != nil || len(bad) > 0 {
		t.Fatalf("the demo: %v %q", err, bad)
	}
	var paid checkedInvoice // the demo's first purchase
	for _, e := range ledger {
		if e.Op == "charge" && paid.id == "" {
			paid.id, paid.chargeRef, paid.total = chargedInvoice(e.Key), e.Ref, e.Amount
		}
	}

	for _, tt := range []struct {
		name  string
		plant []string // SQL run in the transaction
		entry *simulator.LedgerEntry
		want  string
	}{
		{"LicenseRowsOverQuantity", []string{`
			INSERT INTO licenses (subscription_id, user_id, tenant_id, assigned_at, assigned_by)
			SELECT s.id, u.id, s.tenant_id, s.created_at, s.purchaser_id FROM subscriptions s, users u
			WHERE s.id = (SELECT subscription_id FROM invoices WHERE id = '` + paid.id + `') AND u.tenant_id = s.tenant_id
				AND u.id NOT IN (SELECT user_id FROM licenses WHERE subscription_id = s.id)`},
			nil, "license rows, more than its"},
		{"AssignedNotLicenses", []string{`UPDATE subscriptions SET assigned = assigned + 1
			WHERE id = (SELECT subscription_id FROM invoices WHERE id = '` + paid.id + `')`},
			nil, "assigned but has"},
		{"DuplicateInvoice", []string{
			`INSERT INTO invoice_numbers (year, last) VALUES (2999, 1)`,
			`INSERT INTO invoices (id, tenant_id, owner_id, billing_profile_id, subscription_id, kind, number, type, status,
				language, issued_at, period_start, period_end, subtotal, tax_rate, tax, total, currency, charge_ref, created_at)
			SELECT 'inv_planted', tenant_id, owner_id, billing_profile_id, subscription_id, kind, 'INV-2999-000001', type, status, language, issued_at, period_start, period_end, subtotal, tax_rate, tax, total, currency,
				charge_ref, created_at FROM invoices WHERE id = '` + paid.id + `'`},
			nil, "paid purchase invoices"},
		{"NumberGap", []string{`UPDATE invoice_numbers SET last = last + 1`}, nil, "issued but the counter says"},
		{"PendingLeft", []string{`UPDATE invoices SET status = 'pending' WHERE id = '` + paid.id + `'`}, nil, "is still pending"},
		{"DoubleCharge", nil, &simulator.LedgerEntry{Op: "charge", Key: "kassa-" + paid.id + "-2", Ref: "sim_ch_planted",
			Amount: paid.total, Currency: "SEK"}, "charged by 2 keys"},
		{"ChargeWithoutInvoice", nil, &simulator.LedgerEntry{Op: "charge", Key: "kassa-inv_planted", Ref: "sim_ch_planted",
			Amount: 100, Currency: "SEK"}, "has no invoice"},
		{"RefundWithoutCreditNote", nil, &simulator.LedgerEntry{Op: "refund", Key: "kassa-cancel-sub_planted-20260101T000000",
			Ref: "sim_re_planted", Charge: paid.chargeRef, Amount: 1, Currency: "SEK"}, "has no credit note"},
		{"RefundOverCharge", nil, &simulator.LedgerEntry{Op: "refund", Key: "kassa-cancel-planted", Ref: "sim_re_planted",
			Charge: paid.chargeRef, Amount: paid.total + 1, Currency: "SEK"}, "more than it took"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := raw.BeginTx(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			for _, q := range tt.plant {
				if _, err := tx.ExecContext(t.Context(), q); err != nil {
					t.Fatalf("plant: %v", err)
				}
			}
			planted := slices.Clone(ledger)
			if tt.entry != nil {
				planted = append(planted, *tt.entry)
			}
			bad, err := checkInvariants(t.Context(), tx, planted)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(bad, "\n"), tt.want) {
				t.Errorf("checker says %q, want %q", bad, tt.want)
			}
		})
	}
}
