package kassa_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

func TestMoneyString(t *testing.T) {
	for _, tt := range []struct {
		m    kassa.Money
		want string
	}{
		{kassa.Money{Amount: 23900, Currency: "SEK"}, "239.00 SEK"},
		{kassa.Money{Amount: -5, Currency: "USD"}, "-0.05 USD"},
		{kassa.Money{Amount: 1234, Currency: "JPY"}, "1234 JPY"},
		{kassa.Money{Amount: 1500, Currency: "KWD"}, "1.500 KWD"},
	} {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("Money%v.String() = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestMoneyAdd(t *testing.T) {
	sum, err := kassa.Money{Amount: 100, Currency: "SEK"}.Add(kassa.Money{Amount: -30, Currency: "SEK"})
	if err != nil || sum != (kassa.Money{Amount: 70, Currency: "SEK"}) {
		t.Errorf("Add = %v, %v", sum, err)
	}
	if _, err := (kassa.Money{Amount: 1, Currency: "SEK"}).Add(kassa.Money{Amount: 1, Currency: "EUR"}); err == nil {
		t.Error("adding SEK to EUR succeeded")
	}
}

func TestErrors(t *testing.T) {
	err := fmt.Errorf("assign: %w", kassa.InvalidE("user_ids", "error.user_ids.count", "Max", 20))
	if kassa.ErrorCode(err) != kassa.Invalid || kassa.ErrorField(err) != "user_ids" ||
		locale.In("en").Error(err) != "user_ids must list 1 to 20 users." {
		t.Errorf("wrapped error lost its code, field or message: %v", err)
	}
	cause := errors.New("disk on fire")
	if kassa.ErrorCode(cause) != kassa.Internal || locale.In("en").Error(cause) != "Internal error." {
		t.Errorf("a plain error must be internal and hide its text")
	}
	if kassa.ErrorCode(nil) != "" {
		t.Errorf("ErrorCode(nil) = %q", kassa.ErrorCode(nil))
	}
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		"Erik@Nordvik.example":    "erik@nordvik.example",
		"  anna@nordvik.example ": "anna@nordvik.example",
		"erik":                    "",
		"Erik <erik@x.example>":   "",
		"":                        "",
		"a@b@c":                   "",
	} {
		got, err := kassa.NormalizeEmail("email", in)
		if want == "" {
			if kassa.ErrorCode(err) != kassa.Invalid || kassa.ErrorField(err) != "email" {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want an invalid email error", in, got, err)
			}
		} else if got != want || err != nil {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestSearchWords(t *testing.T) {
	got := kassa.SearchWords("Åsa Anna-Karin Öberg", "Asa.Oberg@Nordvik.example")
	want := []string{"åsa", "asa", "anna", "karin", "öberg", "oberg", "asa.oberg@nordvik.example"}
	if !slices.Equal(got, want) {
		t.Errorf("SearchWords = %q, want %q", got, want)
	}
}

func TestTestClock(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := kassa.NewTestClock(start)
	if err := c.Set(start.Add(time.Hour)); err != nil || !c.Now().Equal(start.Add(time.Hour)) {
		t.Fatalf("Set forward: %v, now %v", err, c.Now())
	}
	if err := c.Set(start); kassa.ErrorCode(err) != kassa.Invalid || !c.Now().Equal(start.Add(time.Hour)) {
		t.Errorf("Set backward: %v, now %v; want invalid and unmoved", err, c.Now())
	}
}

// FuzzSearchTerms checks that what anyone types splits into lowercase,
// non-empty words that a user's own words are found by.
func FuzzSearchTerms(f *testing.F) {
	f.Add("Anna-Karin Öberg")
	f.Add("erik@nordvik.example")
	f.Add("  ÅSA\t\x00 ")
	f.Fuzz(func(t *testing.T, s string) {
		for _, term := range kassa.SearchTerms(s) {
			if term == "" || strings.ToLower(term) != term && utf8.ValidString(s) {
				t.Fatalf("SearchTerms(%q) has term %q", s, term)
			}
		}
		words := kassa.SearchWords(s, "")
		for _, term := range kassa.SearchTerms(s) {
			found := false
			for _, w := range words {
				found = found || strings.HasPrefix(w, term)
			}
			if !found {
				t.Fatalf("SearchTerms(%q) term %q finds none of the name's words %q", s, term, words)
			}
		}
	})
}

// FuzzNormalizeEmail checks that a normalized email normalizes to itself.
func FuzzNormalizeEmail(f *testing.F) {
	f.Add("Erik@Nordvik.example")
	f.Add("\"a b\"@c.d")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := kassa.NormalizeEmail("email", s)
		if err != nil {
			if kassa.ErrorCode(err) != kassa.Invalid {
				t.Fatalf("NormalizeEmail(%q) err = %v", s, err)
			}
			return
		}
		again, err := kassa.NormalizeEmail("email", n)
		if err != nil || again != n {
			t.Fatalf("NormalizeEmail(%q) = %q, then %q, %v", s, n, again, err)
		}
	})
}
