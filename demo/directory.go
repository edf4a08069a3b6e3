package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/scim"
	"github.com/kassa-billing/kassa/sqldb"
)

// newHires are the people Nordvik's Microsoft Entra ID provisions: the
// provisioning is scoped to the people assigned to kassa's enterprise app,
// and so far those are this autumn's new hires.
var newHires = []struct{ given, family, nickname string }{
	{"Sofia", "Berg", "sofia.berg"},
	{"Oskar", "Lund", "oskar.lund"},
	{"Leila", "Haddad", "leila.haddad"},
}

// LoadDirectory connects Nordvik to its directory as astrid would: a SCIM
// token named for Microsoft Entra ID, and then Entra's first provisioning
// cycle sent to kassa's own /scim/v2 as Entra sends it (a filter GET before
// each create, groups made empty and then given their members), so that
// Admin › Directory sync shows the token and its requests, and Admin ›
// People the people the directory manages. It runs after Load; it does
// nothing when Nordvik has a token already.
func LoadDirectory(ctx context.Context, db *sqldb.DB, a *auth.Auth) error {
	creds, err := db.FindCredentials(ctx, "astrid@nordvik.example")
	if err != nil {
		return err
	}
	actx := kassa.NewContextWithActor(ctx, &kassa.Actor{User: creds.User, Tenant: creds.Tenant})
	if tokens, err := db.FindSCIMTokens(actx); err != nil || len(tokens) > 0 {
		return err
	}
	_, token, err := a.NewSCIMToken(actx, "Microsoft Entra ID")
	if err != nil {
		return err
	}
	entra := &entraClient{ctx: ctx, token: token,
		h: scim.New(scim.Config{DB: db, Log: slog.New(slog.DiscardHandler), BaseURL: "https://kassa.example"})}

	ids := map[string]string{}    // mail nickname → kassa's id
	groups := map[string]string{} // name → kassa's id
	for _, p := range newHires {
		email := p.nickname + "@nordvik.example"
		var found struct{ TotalResults int }
		if err := entra.send("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+email+`"`), "", http.StatusOK, &found); err != nil {
			return err
		}
		var created struct{ ID string }
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],`+
			`"externalId":%q,"userName":%q,"active":true,"displayName":"%s %s",`+
			`"emails":[{"primary":true,"type":"work","value":%q}],"meta":{"resourceType":"User"},`+
			`"name":{"formatted":"%s %s","familyName":%q,"givenName":%q},"roles":[],`+
			`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}}`,
			p.nickname, email, p.given, p.family, email, p.given, p.family, p.family, p.given)
		if err := entra.send("POST", "/Users", body, http.StatusCreated, &created); err != nil {
			return err
		}
		ids[p.nickname] = created.ID
	}
	for _, g := range []struct {
		name, externalID string
		members          []string
	}{
		{"Analytics Pro users", "5f3e8d1c-4b2a-4c9e-9d7f-1a2b3c4d5e6f", []string{"sofia.berg", "leila.haddad"}},
		{"Sales Sweden", "8a7b6c5d-4e3f-4a1b-8c9d-0e1f2a3b4c5d", []string{"sofia.berg", "oskar.lund", "leila.haddad"}},
	} {
		var found struct{ TotalResults int }
		if err := entra.send("GET", "/Groups?excludedAttributes=members&filter="+url.QueryEscape(`displayName eq "`+g.name+`"`), "", http.StatusOK, &found); err != nil {
			return err
		}
		var created struct{ ID string }
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":%q,"displayName":%q,"meta":{"resourceType":"Group"}}`,
			g.externalID, g.name)
		if err := entra.send("POST", "/Groups", body, http.StatusCreated, &created); err != nil {
			return err
		}
		var members []string
		for _, m := range g.members {
			members = append(members, fmt.Sprintf(`{"value":%q}`, ids[m]))
		}
		patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[` +
			strings.Join(members, ",") + `]}]}`
		if err := entra.send("PATCH", "/Groups/"+created.ID, patch, http.StatusNoContent, nil); err != nil {
			return err
		}
		groups[g.name] = created.ID
	}
	return linkSales(actx, db, groups["Sales Sweden"])
}

// linkSales links Sales Sweden to the organization's Project Plan (the
// one astrid took over, in the history), so that its members hold its
// licenses by group.
func linkSales(actx context.Context, db *sqldb.DB, group string) error {
	managed := kassa.AdminManaged
	subs, err := db.FindSubscriptions(actx, kassa.SubscriptionFilter{Channel: &managed})
	if err != nil {
		return err
	}
	for _, sub := range subs {
		if sub.ProductName.En == "Project Plan" && sub.Status.Live() {
			_, err := db.LinkGroup(actx, sub.ID, group)
			return err
		}
	}
	return nil
}

// entraClient sends requests to kassa's SCIM server as Entra ID does,
// without a network between them.
type entraClient struct {
	ctx   context.Context
	h     http.Handler
	token string
}

func (c *entraClient) send(method, path, body string, want int, out any) error {
	r := httptest.NewRequestWithContext(c.ctx, method, scim.Prefix+path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+c.token)
	r.Header.Set("Content-Type", "application/scim+json")
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	if w.Code != want {
		return fmt.Errorf("load directory: %s %s: %d %s", method, path, w.Code, w.Body)
	}
	if out != nil {
		return json.Unmarshal(w.Body.Bytes(), out)
	}
	return nil
}
