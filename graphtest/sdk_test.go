// Package graphtest drives kassa's Graph-compatible API (SPEC §9) with
// Microsoft's own Graph SDK for Go, github.com/microsoftgraph/msgraph-sdk-go.
// It is a module of its own so that kassa's go.mod does not carry the SDK.
package graphtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	graphusers "github.com/microsoftgraph/msgraph-sdk-go/users"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/server"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// tokenProvider hands the SDK the app's access token, got from kassa's
// token endpoint with the client credentials grant (golang.org/x/oauth2).
type tokenProvider struct {
	cfg   clientcredentials.Config
	hosts absauth.AllowedHostsValidator
}

func (p *tokenProvider) GetAuthorizationToken(ctx context.Context, _ *url.URL, _ map[string]any) (string, error) {
	t, err := p.cfg.Token(ctx)
	if err != nil {
		return "", err
	}
	return t.AccessToken, nil
}

func (p *tokenProvider) GetAllowedHostsValidator() *absauth.AllowedHostsValidator { return &p.hosts }

// kassaWithApp serves the demo, with erik's history, and registers an app
// of Nordvik's with the permissions; it returns the SDK's client for it,
// kassa's base URL and the database.
func kassaWithApp(t *testing.T, permissions ...string) (*msgraphsdk.GraphServiceClient, string, *sqldb.DB) {
	t.Helper()
	clock := kassa.SystemClock{}
	db := sqldbtest.MustOpenDB(t, clock)
	gw := simulator.New(clock)
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadHistory(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := auth.New(db, clock, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Config{DB: db, Auth: a, Log: log, Billing: billing.New(db, gw, clock, log)}))
	t.Cleanup(srv.Close)

	astrid, err := db.FindCredentials(t.Context(), "astrid@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	ctx := kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: astrid.User, Tenant: astrid.Tenant})
	app := &kassa.App{Name: "License sync", Permissions: permissions}
	_, secret, err := a.NewApp(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.URL)
	p := &tokenProvider{cfg: clientcredentials.Config{ClientID: app.ClientID, ClientSecret: secret,
		TokenURL: srv.URL + "/" + astrid.Tenant.DirectoryID + "/oauth2/v2.0/token",
		Scopes:   []string{"https://graph.microsoft.com/.default"}}, hosts: absauth.NewAllowedHostsValidator([]string{u.Host})}
	adapter, err := msgraphsdk.NewGraphRequestAdapter(absauth.NewBaseBearerTokenAuthenticationProvider(p))
	if err != nil {
		t.Fatal(err)
	}
	adapter.SetBaseUrl(srv.URL + "/graph/v1.0")
	return msgraphsdk.NewGraphServiceClient(adapter), srv.URL, db
}

// takeOverAnalytics has the admins take erik's Analytics Pro of the demo
// over, and returns astrid's context and the purchase as it was.
func takeOverAnalytics(t *testing.T, db *sqldb.DB) (context.Context, *kassa.SelfServicePurchase) {
	t.Helper()
	astrid, err := db.FindCredentials(t.Context(), "astrid@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	actx := kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: astrid.User, Tenant: astrid.Tenant})
	purchases, _, err := db.FindSelfServicePurchases(actx, kassa.PurchaseFilter{}, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range purchases {
		if p.ProductName.En == "Analytics Pro" {
			if _, err := db.TakeOver(actx, p.ID); err != nil {
				t.Fatal(err)
			}
			return actx, p
		}
	}
	t.Fatal("the demo has no Analytics Pro")
	return nil, nil
}

// TestGraphSDK: Microsoft's SDK lists the SKUs, reads a user, assigns and
// removes a license from the admins' subscription, reads license details,
// and sees the no-free-seat refusal as an ODataError with Graph's code.
func TestGraphSDK(t *testing.T) {
	client, _, db := kassaWithApp(t, kassa.PermLicenseAssignment, kassa.PermOrganizationRead)
	ctx := t.Context()

	// The admins take erik's Analytics Pro over: apps assign from it.
	_, analytics := takeOverAnalytics(t, db)

	skus, err := client.SubscribedSkus().Get(ctx, nil)
	if err != nil {
		t.Fatalf("subscribedSkus: %v", describe(err))
	}
	var skuID string
	for _, s := range skus.GetValue() {
		if deref(s.GetSkuPartNumber()) == "ANALYTICS_PRO" {
			skuID = s.GetSkuId().String()
			if deref(s.GetPrepaidUnits().GetEnabled()) != int32(analytics.Quantity) || deref(s.GetConsumedUnits()) != int32(analytics.Assigned) {
				t.Errorf("ANALYTICS_PRO units: %d enabled, %d consumed; want %d and %d", deref(s.GetPrepaidUnits().GetEnabled()),
					deref(s.GetConsumedUnits()), analytics.Quantity, analytics.Assigned)
			}
		}
	}
	if skuID == "" {
		t.Fatalf("no ANALYTICS_PRO among %d SKUs", len(skus.GetValue()))
	}

	anna, err := client.Users().ByUserId("anna.lindberg@nordvik.example").Get(ctx, nil)
	if err != nil || deref(anna.GetDisplayName()) != "Anna Lindberg" || !deref(anna.GetAccountEnabled()) {
		t.Fatalf("anna: %v", describe(err))
	}
	assign := func(userID string, add, remove []string) (models.Userable, error) {
		body := graphusers.NewItemAssignLicensePostRequestBody()
		licenses := []models.AssignedLicenseable{} // Graph wants both arrays, empty or not
		for _, id := range add {
			l := models.NewAssignedLicense()
			u, err := parseUUID(id)
			if err != nil {
				t.Fatal(err)
			}
			l.SetSkuId(&u)
			l.SetDisabledPlans(nil)
			licenses = append(licenses, l)
		}
		body.SetAddLicenses(licenses)
		removes := []uuidT{}
		for _, id := range remove {
			u, _ := parseUUID(id)
			removes = append(removes, u)
		}
		body.SetRemoveLicenses(removes)
		return client.Users().ByUserId(userID).AssignLicense().Post(ctx, body, nil)
	}
	got, err := assign(*anna.GetId(), []string{skuID}, nil)
	if err != nil || !holds(got, skuID) {
		t.Fatalf("assign: %v", describe(err))
	}
	details, err := client.Users().ByUserId(*anna.GetId()).LicenseDetails().Get(ctx, nil)
	if err != nil || !slices.ContainsFunc(details.GetValue(), func(d models.LicenseDetailsable) bool {
		return d.GetSkuId().String() == skuID && deref(d.GetSkuPartNumber()) == "ANALYTICS_PRO"
	}) {
		t.Fatalf("licenseDetails: %v", describe(err))
	}
	if got, err = assign(*anna.GetId(), nil, []string{skuID}); err != nil || holds(got, skuID) {
		t.Fatalf("remove: %v", describe(err))
	}

	// Fill the free seats, then one more is refused as Graph refuses it.
	free := analytics.Quantity - analytics.Assigned
	users, err := client.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{Top: ptr(int32(200))}})
	if err != nil {
		t.Fatalf("users: %v", describe(err))
	}
	given := 0
	var refusedErr error
	for _, u := range users.GetValue() {
		if deref(u.GetUserType()) != "Member" || !deref(u.GetAccountEnabled()) || holds(u, skuID) {
			continue
		}
		_, err := assign(*u.GetId(), []string{skuID}, nil)
		if err != nil {
			refusedErr = err
			break
		}
		given++
	}
	if given != free {
		t.Errorf("%d licenses given before the refusal, want the %d free", given, free)
	}
	var odata *odataerrors.ODataError
	if !errors.As(refusedErr, &odata) || deref(odata.GetErrorEscaped().GetCode()) != "Request_BadRequest" ||
		!strings.Contains(deref(odata.GetErrorEscaped().GetMessage()), "does not have any available licenses") {
		t.Errorf("no free seat: %v", describe(refusedErr))
	}
}

// TestGraphPermissionsAndPages: an app reads only what its permissions
// allow, $filter, $select and $top with @odata.nextLink work as Graph's,
// and gzip-encoded bodies are taken.
func TestGraphPermissionsAndPages(t *testing.T) {
	client, base, _ := kassaWithApp(t, kassa.PermUserRead)
	ctx := t.Context()
	if _, err := client.SubscribedSkus().Get(ctx, nil); err == nil {
		t.Error("an app without Organization.Read.All read the SKUs")
	} else {
		var odata *odataerrors.ODataError
		if !errors.As(err, &odata) || deref(odata.GetErrorEscaped().GetCode()) != "Authorization_RequestDenied" {
			t.Errorf("refused as %v", describe(err))
		}
	}
	seen := 0
	page, err := client.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{Top: ptr(int32(7)),
			Select: []string{"displayName", "assignedLicenses"}}})
	for pages := 0; ; pages++ {
		if err != nil {
			t.Fatalf("users page %d: %v", pages, describe(err))
		}
		seen += len(page.GetValue())
		for _, u := range page.GetValue() {
			if u.GetMail() != nil {
				t.Fatal("$select left mail in")
			}
		}
		next := page.GetOdataNextLink()
		if next == nil {
			break
		}
		if !strings.HasPrefix(*next, base+"/graph/v1.0/users?") {
			t.Fatalf("nextLink %q", *next)
		}
		page, err = client.Users().WithUrl(*next).Get(ctx, nil)
	}
	if seen < 40 {
		t.Errorf("paged through %d users, want Nordvik's", seen)
	}
	_ = bytes.NewReader
	_ = json.Marshal
	_ = http.MethodGet
}

// TestGraphLicenseAssignmentStates: Microsoft's SDK reads, on a user, how
// each license came — by a linked group (assignedByGroup) — and why a
// linked group has not given one: state Error, error CountViolation when
// no license is free, as Entra ID's group-based licensing reports it; and
// an app that would remove a group's license is refused as Entra refuses it.
func TestGraphLicenseAssignmentStates(t *testing.T) {
	client, _, db := kassaWithApp(t, kassa.PermUserRead, kassa.PermOrganizationRead, kassa.PermLicenseAssignment)
	ctx := t.Context()
	actx, analytics := takeOverAnalytics(t, db)
	astrid := kassa.ActorFromContext(actx)
	held, err := db.FindLicenses(actx, analytics.ID)
	if err != nil {
		t.Fatal(err)
	}
	holding := map[string]bool{}
	for _, l := range held {
		holding[l.User.ID] = true
	}
	// A group of one more member than there are free licenses.
	users, _, err := db.FindUsers(actx, kassa.UserFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	for _, u := range users {
		if u.CanHoldLicense() && !holding[u.ID] && len(members) < analytics.Quantity-analytics.Assigned+1 {
			members = append(members, u.ID)
		}
	}
	g := &kassa.Group{DisplayName: "Analys"}
	if err := db.CreateGroup(actx, astrid.Tenant.ID, g, members); err != nil {
		t.Fatal(err)
	}
	link, err := db.LinkGroup(actx, analytics.ID, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if link.Waiting != 1 {
		t.Fatalf("link: %+v, want one member waiting", link)
	}
	states, err := db.FindGroupMembers(actx, analytics.ID, "", 100, false)
	if err != nil {
		t.Fatal(err)
	}
	var licensed, waiting string
	for _, m := range states {
		switch m.State {
		case kassa.MemberLicensed:
			licensed = m.ID
		case kassa.MemberNoFreeLicense:
			waiting = m.ID
		}
	}
	read := func(id string) models.LicenseAssignmentStateable {
		t.Helper()
		u, err := client.Users().ByUserId(id).Get(ctx, nil)
		if err != nil {
			t.Fatalf("user %s: %v", id, describe(err))
		}
		for _, s := range u.GetLicenseAssignmentStates() {
			if s.GetAssignedByGroup() != nil && *s.GetAssignedByGroup() == g.ID {
				return s
			}
		}
		t.Fatalf("user %s has no state from the group among %d", id, len(u.GetLicenseAssignmentStates()))
		return nil
	}
	if s := read(licensed); deref(s.GetState()) != "Active" || deref(s.GetError()) != "None" || s.GetSkuId() == nil {
		t.Errorf("licensed member: state %q, error %q", deref(s.GetState()), deref(s.GetError()))
	}
	if s := read(waiting); deref(s.GetState()) != "Error" || deref(s.GetError()) != "CountViolation" {
		t.Errorf("waiting member: state %q, error %q", deref(s.GetState()), deref(s.GetError()))
	}

	// A group's license is not the app's to take: Entra's refusal, and the
	// member keeps it.
	body := graphusers.NewItemAssignLicensePostRequestBody()
	body.SetAddLicenses([]models.AssignedLicenseable{})
	body.SetRemoveLicenses([]uuidT{*read(licensed).GetSkuId()})
	_, err = client.Users().ByUserId(licensed).AssignLicense().Post(ctx, body, nil)
	var odata *odataerrors.ODataError
	if !errors.As(err, &odata) || odata.ResponseStatusCode != http.StatusBadRequest ||
		!strings.Contains(deref(odata.GetErrorEscaped().GetMessage()), "inherited from a group membership") {
		t.Errorf("removing a group's license: %v, want Entra's refusal", describe(err))
	}
	if s := read(licensed); deref(s.GetState()) != "Active" {
		t.Errorf("after the refusal the member's license is %q, want still Active", deref(s.GetState()))
	}
}
