package e2e

import (
	"context"
	"testing"

	"github.com/kassa-billing/kassa"
)

// TestSubscriptionListPages: erik, with 60 more subscriptions than the
// demo gave him, pages through Billing › Licenses in Swedish by its links
// (no script needed): 50 on the first page, the rest on the second, and
// back.
func TestSubscriptionListPages(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t)
	site := serveDemo(t)
	apiBuy(t, site.url, apiLogin(t, site.url, "erik@nordvik.example"), "ANALYTICS_PRO", 3)
	erik, err := site.db.FindCredentials(context.Background(), "erik@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	actor := kassa.NewContextWithActor(context.Background(), &kassa.Actor{User: erik.User, Tenant: erik.Tenant})
	mine, err := site.db.FindSubscriptions(actor, kassa.SubscriptionFilter{Running: true})
	if err != nil || len(mine) == 0 {
		t.Fatalf("erik's subscriptions: %d, %v", len(mine), err)
	}
	more := make([]*kassa.Subscription, 60)
	for i := range more {
		sub := *mine[0]
		more[i] = &sub
	}
	if err := site.db.SeedSubscriptions(context.Background(), more); err != nil {
		t.Fatal(err)
	}
	total := len(mine) + len(more)

	tab := newTab(t, browser, "sv-SE,sv;q=0.9")
	signIn(t, tab, site.url, "erik@nordvik.example")
	follow(t, tab, "//nav", "Licenser")
	if got := texts(t, tab, "table.license-subscriptions tbody th"); len(got) != 50 {
		t.Fatalf("the first page lists %d subscriptions, want 50", len(got))
	}
	follow(t, tab, "//nav[@class='pager']", "Nästa")
	screenshot(t, tab, "licenses-page-2-sv")
	if got := texts(t, tab, "table.license-subscriptions tbody th"); len(got) != total-50 {
		t.Errorf("the second page lists %d subscriptions, want %d", len(got), total-50)
	}
	if got := texts(t, tab, "nav.pager a"); len(got) != 1 || got[0] != "Föregående" {
		t.Errorf("the second page's pager: %q, want only Föregående", got)
	}
	follow(t, tab, "//nav[@class='pager']", "Föregående")
	if got := texts(t, tab, "table.license-subscriptions tbody th"); len(got) != 50 {
		t.Errorf("back on the first page: %d subscriptions, want 50", len(got))
	}
}
