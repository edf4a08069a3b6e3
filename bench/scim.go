package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// DefaultSCIM is how many users the SCIM phases provision and sync.
const DefaultSCIM = 10_000

// scimPhaseCeiling bounds a SCIM phase; it ends when its users are done.
const scimPhaseCeiling = 10 * time.Minute

// scimToken makes a SCIM token for the tenant through the API.
func (b *run) scimToken(ctx context.Context) (string, error) {
	admin, err := b.adminToken(ctx)
	if err != nil {
		return "", err
	}
	status, body, err := b.client.do(ctx, http.MethodPost, "/api/v1/admin/scim-tokens", admin, map[string]string{"name": "bench"})
	if err := expect(status, body, err, http.StatusCreated, "make a SCIM token"); err != nil {
		return "", err
	}
	var made struct{ Token string }
	err = json.Unmarshal(body, &made)
	return made.Token, err
}

// scimUserName is the userName of the bench's i-th directory user.
func scimUserName(i int) string { return fmt.Sprintf("scim%05d@bench.example", i) }

// scimCreate provisions n users with POST /scim/v2/Users, as Entra sends
// them, on the phase's clients, and reports their ids by index.
func (b *run) scimCreate(ctx context.Context, token string, n int, ids []string) stats {
	var next atomic.Int64
	return runPhase(ctx, b.cfg.Clients, scimPhaseCeiling, func(ctx context.Context, w int) (outcome, error) {
		i := int(next.Add(1)) - 1
		if i >= n {
			return stop, nil
		}
		body := map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
			"externalId": fmt.Sprintf("ext-%05d", i), "userName": scimUserName(i), "active": true,
			"emails": []map[string]any{{"primary": true, "type": "work", "value": scimUserName(i)}},
			"name":   map[string]string{"formatted": personName(i), "givenName": "", "familyName": ""},
		}
		status, out, err := b.client.doJSON(ctx, http.MethodPost, "/scim/v2/Users", token, "application/scim+json", body)
		if err := expect(status, out, err, http.StatusCreated, "provision "+scimUserName(i)); err != nil {
			return done, err
		}
		var created struct{ ID string }
		if err := json.Unmarshal(out, &created); err != nil {
			return done, err
		}
		ids[i] = created.ID
		return done, nil
	})
}

// scimSync runs one Entra-style sync cycle over the users: for each, a
// GET filtering on its userName, then a PATCH replacing its name.
func (b *run) scimSync(ctx context.Context, token string, ids []string) stats {
	var next atomic.Int64
	return runPhase(ctx, b.cfg.Clients, scimPhaseCeiling, func(ctx context.Context, w int) (outcome, error) {
		i := int(next.Add(1)) - 1
		if i >= len(ids) {
			return stop, nil
		}
		q := "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "`+scimUserName(i)+`"`)
		status, out, err := b.client.do(ctx, http.MethodGet, q, token, nil)
		if err := expect(status, out, err, http.StatusOK, "find "+scimUserName(i)); err != nil {
			return done, err
		}
		var found struct {
			TotalResults int
			Resources    []struct{ ID string }
		}
		if err := json.Unmarshal(out, &found); err != nil || found.TotalResults != 1 || found.Resources[0].ID != ids[i] {
			return done, fmt.Errorf("find %s: %s", scimUserName(i), out)
		}
		patch := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{"op": "Replace", "path": "displayName", "value": personName(i) + " (synced)"}}}
		status, out, err = b.client.doJSON(ctx, http.MethodPatch, "/scim/v2/Users/"+ids[i], token, "application/scim+json", patch)
		return done, expect(status, out, err, http.StatusOK, "update "+scimUserName(i))
	})
}
