package sqldb_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/kassa-billing/kassa/sqldb"
)

// Ids made one after another sort in the order they were made, many in the
// same microsecond included, and are valid ids of their prefix.
func TestIDsSortByTime(t *testing.T) {
	var ids []string
	for range 20_000 {
		ids = append(ids, sqldb.NewID("inv"))
	}
	for i, id := range ids {
		if !sqldb.ValidID("inv", id) {
			t.Fatalf("id %d, %q, is not a valid inv id", i, id)
		}
		if i > 0 && id <= ids[i-1] {
			t.Fatalf("id %d, %q, sorts at or before the one made before it, %q", i, id, ids[i-1])
		}
	}
	if id := sqldb.RandomID("cs"); !sqldb.ValidID("cs", id) {
		t.Fatalf("random id %q is not a valid cs id", id)
	}
}

// Ids made at once on many goroutines are all different, and each
// goroutine's sort in the order it made them.
func TestIDsUniqueAcrossGoroutines(t *testing.T) {
	const each, goroutines = 2_000, 16
	made := make([][]string, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for range each {
				made[g] = append(made[g], sqldb.NewID("usr"))
			}
		})
	}
	wg.Wait()
	var all []string
	for g, ids := range made {
		if !slices.IsSorted(ids) {
			t.Fatalf("goroutine %d's ids are not in the order it made them", g)
		}
		all = append(all, ids...)
	}
	slices.Sort(all)
	if n := len(slices.Compact(all)); n != each*goroutines {
		t.Fatalf("%d distinct ids of %d", n, each*goroutines)
	}
}
