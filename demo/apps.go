package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/graph"
	"github.com/kassa-billing/kassa/sqldb"
)

// DemoAppName is the app Nordvik registered, and demoHookURL the endpoint
// its vendor gave for kassa's events.
const (
	DemoAppName = "Diagram Studio"
	demoHookURL = "https://licenses.diagramstudio.example/kassa/events"
)

// LoadApps connects Nordvik's licenses to an app as astrid would: she took
// the design team's Diagram Studio over so that its licenses are managed
// centrally, registered Diagram Studio as an app that reads the people and
// assigns licenses, and added its vendor's webhook endpoint for license
// and subscription events. The app then signed in at the token endpoint
// and gave maria a license through /graph/v1.0, as Microsoft's SDKs do;
// that event waits in the endpoint's delivery log (the vendor's example
// address does not answer). It runs after LoadHistory; it does nothing
// when Nordvik has an app already.
func LoadApps(ctx context.Context, db *sqldb.DB, a *auth.Auth) error {
	creds, err := db.FindCredentials(ctx, "astrid@nordvik.example")
	if err != nil {
		return err
	}
	actx := kassa.NewContextWithActor(ctx, &kassa.Actor{User: creds.User, Tenant: creds.Tenant})
	if apps, err := db.FindApps(actx); err != nil || len(apps) > 0 {
		return err
	}
	var ids []string
	if err := db.EachSelfServicePurchase(actx, kassa.PurchaseFilter{}, func(ps []*kassa.SelfServicePurchase) error {
		for _, s := range ps {
			if s.ProductName.En == DemoAppName {
				ids = append(ids, s.ID)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := db.TakeOver(actx, id); err != nil {
			return fmt.Errorf("demo take-over: %w", err)
		}
	}
	app := &kassa.App{Name: DemoAppName, Permissions: []string{kassa.PermUserRead, kassa.PermLicenseAssignment}}
	_, secret, err := a.NewApp(actx, app)
	if err != nil {
		return err
	}
	hook := &kassa.WebhookEndpoint{URL: demoHookURL, Events: []string{kassa.EventLicenseAssigned, kassa.EventLicenseUnassigned,
		kassa.EventSubscriptionCanceled, kassa.EventSubscriptionExpired}}
	if err := db.CreateWebhookEndpoint(actx, hook, false); err != nil {
		return err
	}
	if _, err := db.PingWebhookEndpoint(actx, hook.ID); err != nil {
		return err
	}

	// The app's first sync: a token, then a license for maria.
	log := slog.New(slog.DiscardHandler)
	send := func(h http.Handler, req *http.Request, want int, out any) error {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			return fmt.Errorf("demo app: %s %s: %d %s", req.Method, req.URL.Path, rec.Code, rec.Body)
		}
		return json.Unmarshal(rec.Body.Bytes(), out)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {secret},
		"scope": {"https://graph.microsoft.com/.default"}}
	req := httptest.NewRequestWithContext(ctx, "POST", "/"+creds.Tenant.DirectoryID+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var token struct {
		AccessToken string `json:"access_token"`
	}
	if err := send(graph.TokenHandler(a, log), req, http.StatusOK, &token); err != nil {
		return err
	}
	g := graph.New(graph.Config{DB: db, Auth: a, Log: log, BaseURL: "https://kassa.example"})
	call := func(method, path, body string, out any) error {
		req := httptest.NewRequestWithContext(ctx, method, graph.Prefix+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		return send(g, req, http.StatusOK, out)
	}
	var skus struct {
		Value []graphSKU `json:"value"`
	}
	if err := call("GET", "/subscribedSkus", "", &skus); err != nil {
		return err
	}
	var maria struct{ ID string }
	if err := call("GET", "/users/maria.nilsson@nordvik.example", "", &maria); err != nil {
		return err
	}
	i := slices.IndexFunc(skus.Value, func(s graphSKU) bool { return s.PartNumber == "DIAGRAM_STUDIO" })
	if i < 0 {
		return fmt.Errorf("demo app: Nordvik holds no DIAGRAM_STUDIO")
	}
	body := fmt.Sprintf(`{"addLicenses":[{"skuId":%q,"disabledPlans":[]}],"removeLicenses":[]}`, skus.Value[i].SKUID)
	if err := call("POST", "/users/"+maria.ID+"/assignLicense", body, &struct{}{}); err != nil {
		return err
	}
	// The take-over is not news: nobody is mailed about it.
	return db.SettleOutbox(ctx, creds.Tenant.ID, db.Now())
}

type graphSKU struct {
	SKUID      string `json:"skuId"`
	PartNumber string `json:"skuPartNumber"`
}
