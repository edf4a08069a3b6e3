package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kassa-billing/kassa"
)

// The operations a ledger records.
const (
	opCharge      = "charge"       // money taken
	opRefund      = "refund"       // money returned
	opHold        = "hold"         // a charge waiting for the person's bank
	opResolve     = "resolve"      // a held charge's end: succeeded, declined or canceled
	opSession     = "session"      // a card page opened
	opSessionDone = "session_done" // the card a card page saved
)

// ops are the operations a ledger line may hold.
var ops = map[string]bool{opCharge: true, opRefund: true, opHold: true, opResolve: true, opSession: true, opSessionDone: true}

// LedgerEntry is one line of a simulator's ledger, as JSON: a charge or a
// refund it made, a charge that waited for the bank and how that ended, a
// card page and the card it saved (its last 4 digits, never its number).
type LedgerEntry struct {
	Op       string    `json:"op"`
	Key      string    `json:"key,omitempty"`    // the request's idempotency key
	Ref      string    `json:"ref"`              // the payment's or card page's reference
	Card     string    `json:"card,omitempty"`   // a charge's card, a card page's saved card
	Charge   string    `json:"charge,omitempty"` // a refund's charge
	Amount   int64     `json:"amount,omitempty"`
	Currency string    `json:"currency,omitempty"`
	At       time.Time `json:"at"`

	Return   string `json:"return,omitempty"` // where the person goes back to
	Cancel   string `json:"cancel,omitempty"` // where a card page's person goes when they give up
	Customer string `json:"customer,omitempty"`
	Language string `json:"language,omitempty"`
	Status   string `json:"status,omitempty"` // a resolved charge's
	Decline  string `json:"decline,omitempty"`

	Brand    string         `json:"brand,omitempty"` // the saved card's
	Last4    string         `json:"last4,omitempty"`
	ExpMonth int            `json:"exp_month,omitempty"`
	ExpYear  int            `json:"exp_year,omitempty"`
	Name     string         `json:"name,omitempty"`
	Address  *kassa.Address `json:"address,omitempty"`
}

// Money returns the entry's amount.
func (e LedgerEntry) Money() kassa.Money { return kassa.Money{Amount: e.Amount, Currency: e.Currency} }

// fingerprint is what a retry with the entry's key must ask for again.
func (e LedgerEntry) fingerprint() digest {
	if e.Op == opRefund {
		return digestOf(fmt.Sprint(opRefund, e.Charge, e.Money()))
	}
	return digestOf(fmt.Sprint(opCharge, e.Card, e.Money()))
}

// ledger is an append-only file of LedgerEntry lines. Each is written with
// one write and synced before the payment is answered; a process that dies
// mid-write leaves a last line without its newline, which was never answered
// and is cut off by the next process to take the file's lock. Processes
// sharing the file take its lock (flock) around reading what the others
// appended, deciding, and appending.
type ledger struct {
	f   *os.File
	off int64 // the file has been applied up to here: the end of a whole line
}

// Open returns a simulator that keeps what it does in the ledger
// file at path, created when missing: it starts with the ones there, and
// before each new request it reads the ones other processes added, so an
// idempotency key charges once and a retry answers as the first request
// did, across restarts and processes.
func Open(clock kassa.Clock, path string) (*Gateway, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("simulator: open ledger: %w", err)
	}
	g := New(clock)
	g.ledger = &ledger{f: f}
	g.mu.Lock()
	defer g.mu.Unlock()
	unlock, err := g.catchUp()
	if err != nil {
		f.Close()
		return nil, err
	}
	unlock()
	return g, nil
}

// Close closes the ledger file, if any.
func (g *Gateway) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ledger == nil {
		return nil
	}
	return g.ledger.f.Close()
}

// catchUp takes the ledger's lock and applies the entries appended since
// the last look; unlock releases the lock. Without a ledger both do
// nothing. g.mu is held.
func (g *Gateway) catchUp() (unlock func(), err error) {
	l := g.ledger
	if l == nil {
		return func() {}, nil
	}
	unlock, err = lockFile(l.f)
	if err != nil {
		return nil, fmt.Errorf("simulator: lock ledger: %w", err)
	}
	if err := l.read(g.apply); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// read applies the whole lines after l.off and cuts off a torn last line:
// the lock is held, so its writer is dead.
func (l *ledger) read(apply func(LedgerEntry)) error {
	st, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("simulator: read ledger: %w", err)
	}
	if st.Size() == l.off {
		return nil
	}
	buf := make([]byte, st.Size()-l.off)
	if _, err := l.f.ReadAt(buf, l.off); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("simulator: read ledger: %w", err)
	}
	entries, whole, err := parseLedger(buf)
	if err != nil {
		return fmt.Errorf("simulator: ledger %s after byte %d: %w", l.f.Name(), l.off, err)
	}
	for _, e := range entries {
		apply(e)
	}
	l.off += int64(whole)
	if whole < len(buf) {
		if err := l.f.Truncate(l.off); err != nil {
			return fmt.Errorf("simulator: cut torn ledger line: %w", err)
		}
	}
	return nil
}

// append writes e as one line and syncs it. The lock is held and l.off is
// the end of the file.
func (l *ledger) append(e LedgerEntry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if _, err := l.f.Write(line); err != nil {
		_ = l.f.Truncate(l.off) // leave no torn line behind
		return err
	}
	if err := l.f.Sync(); err != nil {
		return err // the line may be there: the next read applies it
	}
	l.off += int64(len(line))
	return nil
}

// parseLedger returns the entries of buf's whole lines and how many bytes
// they take; a last line without its newline is left out. A whole line
// that is not an entry is an error.
func parseLedger(buf []byte) ([]LedgerEntry, int, error) {
	var entries []LedgerEntry
	whole := 0
	for {
		i := bytes.IndexByte(buf[whole:], '\n')
		if i < 0 {
			return entries, whole, nil
		}
		var e LedgerEntry
		if err := json.Unmarshal(buf[whole:whole+i], &e); err != nil || !ops[e.Op] {
			return nil, 0, fmt.Errorf("line %d is no entry: %q", len(entries)+1, buf[whole:whole+i])
		}
		entries = append(entries, e)
		whole += i + 1
	}
}

// ReadLedger returns the entries of the ledger file at path, in the order
// they were made, leaving out a torn last line. It is for checking what the
// simulator did, after the processes that share the file have stopped.
func ReadLedger(path string) ([]LedgerEntry, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("simulator: read ledger: %w", err)
	}
	entries, _, err := parseLedger(buf)
	if err != nil {
		return nil, fmt.Errorf("simulator: ledger %s: %w", path, err)
	}
	return entries, nil
}
