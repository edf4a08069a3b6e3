package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestAssignLicenseAcrossProcesses: two kassa processes serve one
// database; an app asks both at once to give a license of Nordvik's
// admin-managed Analytics Pro to everyone who lacks one. Exactly as many
// as were free are given, the rest answered as Graph answers a SKU
// without free licenses, and the subscription's count agrees with its
// licenses: the seat invariant holds across processes on both engines.
func TestAssignLicenseAcrossProcesses(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs kassa twice")
	}
	dsn := sqldbtest.DSN(t)
	ledger := filepath.Join(t.TempDir(), "ledger.jsonl")
	loadDemo(t, dsn, ledger)

	// The admins take erik's Analytics Pro over and register an app.
	db, err := sqldb.Open(t.Context(), dsn, kassa.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(db, kassa.SystemClock{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	astrid, err := db.FindCredentials(t.Context(), "astrid@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	ctx := kassa.NewContextWithActor(t.Context(), &kassa.Actor{User: astrid.User, Tenant: astrid.Tenant})
	purchases, _, err := db.FindSelfServicePurchases(ctx, kassa.PurchaseFilter{}, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var subID string
	var free int
	for _, p := range purchases {
		if p.ProductName.En == "Analytics Pro" {
			subID, free = p.ID, p.Quantity-len(p.AssignedUsers)
		}
	}
	if _, err := db.TakeOver(ctx, subID); err != nil {
		t.Fatal(err)
	}
	app := &kassa.App{Name: "License sync", Permissions: []string{kassa.PermUserRead, kassa.PermLicenseAssignment}}
	_, secret, err := a.NewApp(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	bin := buildKassa(t)
	servers := []*kassaServer{newKassaServer(t, bin, dsn, ledger), newKassaServer(t, bin, dsn, ledger)}
	tokens := make([]string, len(servers))
	for i, s := range servers {
		s.start(t)
		res, err := http.PostForm(s.url()+"/"+astrid.Tenant.DirectoryID+"/oauth2/v2.0/token", url.Values{
			"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {secret},
			"scope": {"https://graph.microsoft.com/.default"}})
		if err != nil {
			t.Fatal(err)
		}
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		_ = json.NewDecoder(res.Body).Decode(&tok)
		res.Body.Close()
		if tok.AccessToken == "" {
			t.Fatalf("no token from %s: %d", s.url(), res.StatusCode)
		}
		tokens[i] = tok.AccessToken
	}
	graph := func(i int, method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, servers[i].url()+"/graph/v1.0"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tokens[i])
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}

	var skus struct {
		Value []struct {
			SKUID      string `json:"skuId"`
			PartNumber string `json:"skuPartNumber"`
		} `json:"value"`
	}
	_, b := graph(0, "GET", "/subscribedSkus", "")
	_ = json.Unmarshal(b, &skus)
	var skuID string
	for _, s := range skus.Value {
		if s.PartNumber == "ANALYTICS_PRO" {
			skuID = s.SKUID
		}
	}
	var users struct {
		Value []struct {
			ID               string `json:"id"`
			UserType         string `json:"userType"`
			AccountEnabled   bool   `json:"accountEnabled"`
			AssignedLicenses []struct {
				SKUID string `json:"skuId"`
			} `json:"assignedLicenses"`
		} `json:"value"`
	}
	_, b = graph(1, "GET", "/users?$top=999", "")
	if err := json.Unmarshal(b, &users); err != nil || skuID == "" {
		t.Fatalf("users %s, sku %q", b, skuID)
	}
	var lacking []string
	for _, u := range users.Value {
		has := false
		for _, l := range u.AssignedLicenses {
			has = has || l.SKUID == skuID
		}
		if !has && u.UserType == "Member" && u.AccountEnabled {
			lacking = append(lacking, u.ID)
		}
	}
	if len(lacking) <= free {
		t.Fatalf("%d people lack a license and %d are free: no race", len(lacking), free)
	}

	var mu sync.Mutex
	given, refused := 0, 0
	var wg sync.WaitGroup
	for i, id := range lacking {
		wg.Go(func() {
			body := fmt.Sprintf(`{"addLicenses":[{"skuId":%q,"disabledPlans":[]}],"removeLicenses":[]}`, skuID)
			status, b := graph(i%2, "POST", "/users/"+id+"/assignLicense", body)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case status == http.StatusOK:
				given++
			case status == http.StatusBadRequest && strings.Contains(string(b), `"code":"Request_BadRequest"`) &&
				strings.Contains(string(b), "does not have any available licenses"):
				refused++
			default:
				t.Errorf("assignLicense for %s: %d %s", id, status, b)
			}
		})
	}
	wg.Wait()
	if given != free || refused != len(lacking)-free {
		t.Errorf("%d given and %d refused of %d asked, with %d free", given, refused, len(lacking), free)
	}
	var quantity, assigned, rows int
	if err := sqldbtest.Raw(t, dsn).QueryRowContext(t.Context(), `
		SELECT quantity, assigned, (SELECT COUNT(*) FROM licenses WHERE subscription_id = $1) FROM subscriptions WHERE id = $1`,
		subID).Scan(&quantity, &assigned, &rows); err != nil {
		t.Fatal(err)
	}
	if assigned != rows || rows != quantity {
		t.Errorf("%d of %d licenses counted, %d held", assigned, quantity, rows)
	}
	t.Logf("%d people asked for %d free licenses through two processes: %d given, %d refused", len(lacking), free, given, refused)
}
