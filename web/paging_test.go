package web_test

import (
	"net/http"
	"regexp"
	"slices"
	"testing"

	"github.com/kassa-billing/kassa"
)

// TestSubscriptionListsPage: Billing › Licenses and Billing › Products list
// 50 subscriptions a page, newest first, with links to the pages around;
// Licenses leaves out the ended ones in the database, so every page is
// full but the last; the Products filter goes with its links; a page past
// the end shows the first. In Swedish and English.
func TestSubscriptionListsPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik, bought := erikBuysOne(t, s)
	var seeded []*kassa.Subscription
	for i := range 61 {
		sub := *bought
		sub.Channel, sub.Status = kassa.SelfService, kassa.StatusActive
		if i == 30 {
			sub.Status = kassa.StatusCanceled
		}
		seeded = append(seeded, &sub)
	}
	if err := s.db.SeedSubscriptions(t.Context(), seeded); err != nil {
		t.Fatal(err)
	}
	running, err := s.db.FindSubscriptions(s.actorOf(t, erik), kassa.SubscriptionFilter{Running: true})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, sub := range running {
		want = append(want, "/billing/licenses/"+sub.ID)
	}
	links := regexp.MustCompile(`<th scope="row"><a href="(/billing/licenses/[^"]+)">`)
	rows := func(r response) []string {
		var out []string
		for _, m := range links.FindAllStringSubmatch(r.body, -1) {
			out = append(out, m[1])
		}
		return out
	}

	first := s.get("/billing/licenses", erik)
	first.wantStatus(t, http.StatusOK)
	first.wantBody(t, `<nav class="pager" aria-label="Sidor">`, `href="/billing/licenses?page=2" rel="next">Nästa</a>`)
	first.wantNotBody(t, `rel="prev"`)
	second := s.get("/billing/licenses?page=2", erik)
	second.wantBody(t, `href="/billing/licenses" rel="prev">Föregående</a>`)
	second.wantNotBody(t, `rel="next"`)
	if got := append(rows(first), rows(second)...); len(rows(first)) != 50 || !slices.Equal(got, want) {
		t.Errorf("the two pages list %d and %d subscriptions, want the %d running ones newest first, 50 on the first",
			len(rows(first)), len(rows(second)), len(want))
	}
	if slices.Contains(rows(first), "/billing/licenses/"+seeded[30].ID) || slices.Contains(rows(second), "/billing/licenses/"+seeded[30].ID) {
		t.Error("the canceled subscription is listed")
	}
	if got := rows(s.get("/billing/licenses?page=99", erik)); !slices.Equal(got, rows(first)) {
		t.Errorf("a page past the end lists %d, want the first page", len(got))
	}
	if got := rows(s.get("/billing/licenses?page=x", erik)); !slices.Equal(got, rows(first)) {
		t.Errorf("page=x lists %d, want the first page", len(got))
	}

	// An admin's Products tab, filtered, in English: the filter goes with
	// the links.
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	astrid.Set("Accept-Language", "en")
	products := s.get("/billing/products?status=active", astrid)
	products.wantBody(t, `href="/billing/products?page=2&amp;status=active" rel="next">Next</a>`)
	if n := len(products.rowProducts()); n != 50 {
		t.Errorf("the Products tab's first page lists %d subscriptions, want 50", n)
	}
	products = s.get("/billing/products?page=2&status=active", astrid)
	products.wantBody(t, `href="/billing/products?status=active" rel="prev">Previous</a>`)
}
