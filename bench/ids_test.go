package bench

import (
	"fmt"
	"testing"
)

func TestIDs(t *testing.T) {
	var l ids
	if l.len() != 0 {
		t.Fatalf("empty: len %d", l.len())
	}
	for i := range 1000 {
		if err := l.add(fmt.Sprintf("usr_%020d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if l.len() != 1000 {
		t.Fatalf("len %d, want 1000", l.len())
	}
	for _, i := range []int{0, 1, 500, 999} {
		if got, want := l.at(i), fmt.Sprintf("usr_%020d", i); got != want {
			t.Errorf("at(%d) = %q, want %q", i, got, want)
		}
	}
	for _, id := range []string{"usr_1", fmt.Sprintf("usr_%021d", 1)} {
		if err := l.add(id); err == nil {
			t.Errorf("add(%q) to ids of 24 bytes: no error", id)
		}
	}
	if l.len() != 1000 {
		t.Errorf("len %d after refused ids, want 1000", l.len())
	}
}
