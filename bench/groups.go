package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// groupBatch is how many members a SCIM PATCH of the bench's group adds,
// as Entra ID adds a big group's members in batches.
const groupBatch = 1000

// groupPhase measures licenses by group (SPEC §12): a directory group of
// the SCIM phase's users, sent as Entra sends it (made empty, then members
// added in batches), is linked with PUT …/group to an admin-managed
// subscription of as many licenses, and the phase times the link until
// every member holds one. It checks that they all do.
func (b *run) groupPhase(ctx context.Context, db *sqldb.DB, token string, ids []string) stats {
	var s stats
	fail := func(err error) stats {
		s.Failed++
		s.errors = append(s.errors, err.Error())
		return s
	}
	admin, err := b.adminToken(ctx)
	if err != nil {
		return fail(err)
	}
	status, body, err := b.client.doJSON(ctx, http.MethodPost, "/scim/v2/Groups", token, "application/scim+json", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Bench licenses", "externalId": "bench-group"})
	if err := expect(status, body, err, http.StatusCreated, "make the group"); err != nil {
		return fail(err)
	}
	var group struct{ ID string }
	if err := json.Unmarshal(body, &group); err != nil {
		return fail(err)
	}
	for from := 0; from < len(ids); from += groupBatch {
		members := make([]string, 0, groupBatch)
		for _, id := range ids[from:min(from+groupBatch, len(ids))] {
			members = append(members, fmt.Sprintf(`{"value":%q}`, id))
		}
		patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[` +
			strings.Join(members, ",") + `]}]}`
		status, body, err := b.client.doRaw(ctx, http.MethodPatch, "/scim/v2/Groups/"+group.ID, token, "application/scim+json", []byte(patch))
		if err := expect(status, body, err, http.StatusNoContent, "add members"); err != nil {
			return fail(err)
		}
	}
	// An admin-managed subscription of a license for each member, none
	// assigned.
	now := time.Now()
	t := b.tenant
	sub := &kassa.Subscription{TenantID: t.admin.TenantID, ProductID: t.product.ID, PurchaserID: t.admin.ID,
		BillingProfileID: t.purchasers[0].profileID, Channel: kassa.AdminManaged, Status: kassa.StatusActive, Term: kassa.Monthly,
		Quantity: min(len(ids), kassa.MaxQuantity), UnitPrice: kassa.Money{Amount: t.product.Prices[0].UnitAmount, Currency: "SEK"},
		AnchorAt: now.Add(-time.Hour), PeriodStart: now.Add(-time.Hour), ExpiresAt: now.AddDate(0, 1, 0), AutoRenew: true}
	if err := db.SeedSubscriptions(ctx, []*kassa.Subscription{sub}); err != nil {
		return fail(err)
	}
	began := time.Now()
	status, body, err = b.client.do(ctx, http.MethodPut, "/api/v1/admin/subscriptions/"+sub.ID+"/group", admin,
		map[string]string{"group_id": group.ID})
	s.Elapsed = time.Since(began)
	s.latencies = []time.Duration{s.Elapsed}
	if err := expect(status, body, err, http.StatusOK, "link the group"); err != nil {
		return fail(err)
	}
	var link struct{ Licensed, Waiting int }
	if err := json.Unmarshal(body, &link); err != nil {
		return fail(err)
	}
	if link.Licensed != sub.Quantity || link.Waiting != len(ids)-sub.Quantity {
		return fail(fmt.Errorf("the group's %d members: %d licensed, %d waiting; want %d licensed", len(ids), link.Licensed,
			link.Waiting, sub.Quantity))
	}
	s.Done = int64(link.Licensed)
	return s
}
