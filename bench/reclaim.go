package bench

import (
	"context"
	"net/http"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// reclaimHolders is how many of the tenant's people the reclaim phase
// gives a license each first, on admin-managed subscriptions of
// kassa.MaxQuantity: its run is over them and every license held before.
const reclaimHolders = 100_000

// reclaimPhase measures a reclamation run (SPEC §12) over every license
// the tenant holds by then, reclaimHolders more given first: with "reclaim licenses not used for 14 days"
// set, a run a year on warns every holder (the first pass), and a run 8
// days later takes every license back (the second); each is reported in
// licenses a second. It runs last: it empties the subscriptions.
func (b *run) reclaimPhase(ctx context.Context, db *sqldb.DB) (warn, take stats) {
	fail := func(err error) (stats, stats) {
		warn.Failed++
		warn.errors = append(warn.errors, err.Error())
		return warn, take
	}
	admin, err := b.adminToken(ctx)
	if err != nil {
		return fail(err)
	}
	status, body, err := b.client.do(ctx, http.MethodPut, "/api/v1/admin/reclaim-policy", admin, map[string]int{"days": 14})
	if err := expect(status, body, err, http.StatusOK, "set the reclaim policy"); err != nil {
		return fail(err)
	}
	t := b.tenant
	now := time.Now()
	people := min(t.userIDs.len(), reclaimHolders)
	for from := 0; from < people; from += kassa.MaxQuantity {
		chunk := make([]string, 0, min(kassa.MaxQuantity, people-from))
		for i := from; i < from+cap(chunk); i++ {
			chunk = append(chunk, t.userIDs.at(i))
		}
		sub := &kassa.Subscription{TenantID: t.admin.TenantID, ProductID: t.product.ID, PurchaserID: t.admin.ID,
			BillingProfileID: t.purchasers[0].profileID, Channel: kassa.AdminManaged, Status: kassa.StatusActive,
			Term: kassa.Monthly, Quantity: len(chunk), UnitPrice: kassa.Money{Amount: t.product.Prices[0].UnitAmount, Currency: "SEK"},
			AnchorAt: now.Add(-time.Hour), PeriodStart: now.Add(-time.Hour), ExpiresAt: now.AddDate(2, 0, 0), AutoRenew: true}
		if err := db.SeedSubscriptions(ctx, []*kassa.Subscription{sub}); err != nil {
			return fail(err)
		}
		if err := db.SeedLicenses(ctx, sub.TenantID, sub.ID, t.admin.ID, chunk); err != nil {
			return fail(err)
		}
	}
	at := now.AddDate(1, 0, 0)
	began := time.Now()
	warned, _, err := db.ReclaimIdle(ctx, at)
	warn.Elapsed, warn.Done = time.Since(began), int64(warned)
	if err != nil {
		return fail(err)
	}
	began = time.Now()
	_, reclaimed, err := db.ReclaimIdle(ctx, at.AddDate(0, 0, 8))
	take.Elapsed, take.Done = time.Since(began), int64(reclaimed)
	if err != nil {
		take.Failed++
		take.errors = append(take.errors, err.Error())
	}
	return warn, take
}
