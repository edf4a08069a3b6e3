package simulator

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kassa-billing/kassa"
)

func mustOpen(t *testing.T, path string) *Gateway {
	t.Helper()
	g, err := Open(kassa.NewTestClock(now), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func mustRead(t *testing.T, path string) []LedgerEntry {
	t.Helper()
	entries, err := ReadLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func sek(n int64) kassa.Money { return kassa.Money{Amount: n, Currency: "SEK"} }

// TestLedgerOutlivesARestart charges and refunds, then opens the ledger
// again as a restarted process would: retries answer as the first requests
// did and write nothing, another request with a used key conflicts, and
// refunds stay bounded by the charge.
func TestLedgerOutlivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	first := mustOpen(t, path)
	card, _ := first.SaveCard(t.Context(), "sim_cus_1", testCard("4242424242424242"))
	charge := kassa.ChargeRequest{CardRef: card.Ref, Amount: sek(10000), IdempotencyKey: "k1"}
	p1, err := first.Charge(t.Context(), charge)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Refund(t.Context(), kassa.RefundRequest{ChargeRef: p1.Ref, Amount: sek(6000), IdempotencyKey: "r1"}); err != nil {
		t.Fatal(err)
	}
	first.Close()

	again := mustOpen(t, path)
	if p, err := again.Charge(t.Context(), charge); err != nil || p != p1 {
		t.Errorf("retry after restart = %+v, %v; want %+v", p, err, p1)
	}
	other := charge
	other.Amount = sek(1)
	if _, err := again.Charge(t.Context(), other); kassa.ErrorCode(err) != kassa.Conflict {
		t.Errorf("key k1 for another amount after restart: %v, want conflict", err)
	}
	if _, err := again.Refund(t.Context(), kassa.RefundRequest{ChargeRef: p1.Ref, Amount: sek(6000), IdempotencyKey: "r1"}); err != nil {
		t.Errorf("refund retry after restart: %v", err)
	}
	_, err = again.Refund(t.Context(), kassa.RefundRequest{ChargeRef: p1.Ref, Amount: sek(4001), IdempotencyKey: "r2"})
	if kassa.ErrorCode(err) != kassa.Conflict {
		t.Errorf("refund past the charge after restart: %v, want conflict", err)
	}
	if _, err := again.Refund(t.Context(), kassa.RefundRequest{ChargeRef: p1.Ref, Amount: sek(4000), IdempotencyKey: "r3"}); err != nil {
		t.Errorf("refund of the rest: %v", err)
	}
	if got := mustRead(t, path); len(got) != 3 || got[0].Op != "charge" || got[0].Key != "k1" || got[0].Amount != 10000 ||
		got[1].Key != "r1" || got[2].Key != "r3" || got[2].Charge != p1.Ref {
		t.Errorf("ledger = %+v, want charge k1, refunds r1 and r3", got)
	}
}

// TestLedgerTornLine opens a ledger whose last line a killed process left
// half written: the whole lines count, the torn one never happened and is
// cut off, so the next entry starts on a line of its own. A whole line that
// is not an entry is an error, not something to skip.
func TestLedgerTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	g := mustOpen(t, path)
	card, _ := g.SaveCard(t.Context(), "sim_cus_1", testCard("4242424242424242"))
	p1, err := g.Charge(t.Context(), kassa.ChargeRequest{CardRef: card.Ref, Amount: sek(500), IdempotencyKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"op":"charge","key":"k2","ref":"sim_ch_`)
	f.Close()
	if got := mustRead(t, path); len(got) != 1 {
		t.Errorf("ReadLedger with a torn line = %+v, want k1 only", got)
	}

	g = mustOpen(t, path)
	if p, err := g.Charge(t.Context(), kassa.ChargeRequest{CardRef: card.Ref, Amount: sek(500), IdempotencyKey: "k1"}); err != nil || p != p1 {
		t.Errorf("retry of k1 = %+v, %v", p, err)
	}
	if _, err := g.Charge(t.Context(), kassa.ChargeRequest{CardRef: card.Ref, Amount: sek(700), IdempotencyKey: "k2"}); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, path); len(got) != 2 || got[1].Key != "k2" || got[1].Amount != 700 {
		t.Errorf("ledger after the torn line = %+v, want k1 and k2", got)
	}
	g.Close()

	f, _ = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("not an entry\n")
	f.Close()
	if _, err := Open(kassa.NewTestClock(now), path); err == nil {
		t.Error("Open of a ledger with a bad line succeeded")
	}
}

// TestLedgerSharedByTwoProcesses has two simulators on one ledger file, as
// two kassa processes are: a key that one charged the other does not charge
// again, and the other's refunds are bounded by the first one's charge.
func TestLedgerSharedByTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	a, b := mustOpen(t, path), mustOpen(t, path)
	card, _ := a.SaveCard(t.Context(), "sim_cus_1", testCard("5555555555554444"))
	charge := kassa.ChargeRequest{CardRef: card.Ref, Amount: sek(900), IdempotencyKey: "k1"}
	pa, err := a.Charge(t.Context(), charge)
	if err != nil {
		t.Fatal(err)
	}
	if pb, err := b.Charge(t.Context(), charge); err != nil || pb != pa {
		t.Errorf("the other process's retry = %+v, %v; want %+v", pb, err, pa)
	}
	if _, err := b.Refund(t.Context(), kassa.RefundRequest{ChargeRef: pa.Ref, Amount: sek(901), IdempotencyKey: "r1"}); kassa.ErrorCode(err) != kassa.Conflict {
		t.Errorf("the other process refunds more than the charge: %v", err)
	}
	if got := mustRead(t, path); len(got) != 1 {
		t.Errorf("ledger = %+v, want one charge", got)
	}
}
