package e2e

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/licensing"
	"github.com/kassa-billing/kassa/server"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

const chromium = "/usr/bin/chromium"

// startSite serves kassa, as `kassa serve --demo` does, on 127.0.0.1.
func startSite(t *testing.T) string { return serveDemo(t).url }

// demoSite is kassa serving the demo, with what serves it.
type demoSite struct {
	url     string
	db      *sqldb.DB
	dsn     string // the database's address, for what tests change behind kassa's back
	auth    *auth.Auth
	billing *billing.Service
}

func serveDemo(t *testing.T) *demoSite {
	t.Helper()
	clock := kassa.SystemClock{}
	db, dsn := sqldbtest.MustOpen(t, clock)
	if _, err := demo.Load(context.Background(), db, simulator.New(kassa.SystemClock{})); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := auth.New(db, clock, log)
	if err != nil {
		t.Fatal(err)
	}
	gw := simulator.New(clock)
	b := billing.New(db, gw, clock, log)
	ts := httptest.NewServer(server.New(server.Config{DB: db, Auth: a, Log: log, SupportEmail: "help@kassa.example",
		Billing: b, Licensing: licensing.New(db), Gateway: gw, GatewayName: "simulator"}))
	t.Cleanup(ts.Close)
	return &demoSite{url: ts.URL, db: db, dsn: dsn, auth: a, billing: b}
}

// startBrowser starts one headless Chromium for the test, with a profile of
// its own, and returns a context for it.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("KASSA_REQUIRE_BROWSER") == "1" {
			t.Fatalf("KASSA_REQUIRE_BROWSER=1 but there is no browser: %v", err)
		}
		t.Skipf("no browser at %s", chromium)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	)
	// The browser lives as long as the test may: a slow step is no
	// failure, and a hang ends at go test's timeout.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start browser: %v", err)
	}
	return browserCtx
}

// newTab opens a tab in a browser context of its own (its own cookies) whose
// requests say they prefer acceptLanguage.
func newTab(t *testing.T, browser context.Context, acceptLanguage string) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	if _, err := chromedp.Call(tab, network.SetExtraHTTPHeaders,
		network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": acceptLanguage}}); err != nil {
		t.Fatalf("set Accept-Language: %v", err)
	}
	return tab
}

// stepCeiling bounds one step in the browser: far more than any step takes
// on a busy machine, it only names a step that hangs.
const stepCeiling = 2 * time.Minute

// run runs one action and fails the test on an error.
func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepCeiling)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// load runs the steps and waits for the page they lead to.
func load(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepCeiling)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if resp.Status != 200 {
		t.Fatalf("%s: status %d at %s", what, resp.Status, resp.URL)
	}
}

// page is what a person sees of a page: its language, heading and navigation.
type page struct {
	Lang, Heading, Path string
	Nav                 []string
	Current             string
}

func readPage(t *testing.T, ctx context.Context) page {
	t.Helper()
	return run(t, ctx, "read page", chromedp.Evaluate[page](`({
		Lang: document.documentElement.lang,
		Heading: document.querySelector("h1").textContent.trim(),
		Path: location.pathname,
		Nav: [...document.querySelectorAll(".sidenav a")].map(a => a.textContent.trim()),
		Current: (document.querySelector(".sidenav a[aria-current=page]") || {textContent: ""}).textContent.trim(),
	})`))
}

func signIn(t *testing.T, tab context.Context, base, email string) {
	t.Helper()
	load(t, tab, "open /", chromedp.Navigate(base+"/"))
	// The email first; an organization without its own sign-in asks for
	// the password next.
	load(t, tab, "enter the email",
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.Click(chromedp.CSS(".signin button[type=submit]")),
	)
	load(t, tab, "enter the password",
		chromedp.SendKeys(chromedp.ID("password"), demo.Password),
		chromedp.Click(chromedp.CSS(".signin button[type=submit]")),
	)
}

// screenshot saves the tab's page into KASSA_SCREENSHOTS, when it is set.
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv("KASSA_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := run(t, tab, "screenshot", chromedp.FullScreenshot(100))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBrowser(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t)
	base := startSite(t)

	languages := []struct {
		name, acceptLanguage string
		signIn               page // Heading only
		products             page
		helpHeading          string
	}{
		{
			name: "Swedish", acceptLanguage: "sv-SE,sv;q=0.9",
			signIn: page{Lang: "sv", Heading: "Logga in"},
			products: page{Lang: "sv", Heading: "Dina produkter", Path: "/billing/products", Current: "Dina produkter",
				Nav: []string{"Dina produkter", "Licenser", "Räkningar och betalningar", "Faktureringsprofiler", "Mina licensförfrågningar", "Behöver du hjälp?"}},
			helpHeading: "Behöver du hjälp?",
		},
		{
			name: "English", acceptLanguage: "en-US,en;q=0.9",
			signIn: page{Lang: "en", Heading: "Sign in"},
			products: page{Lang: "en", Heading: "Your products", Path: "/billing/products", Current: "Your products",
				Nav: []string{"Your products", "Licenses", "Bills & payments", "Billing profiles", "My license requests", "Need help?"}},
			helpHeading: "Need help?",
		},
		{
			name: "German", acceptLanguage: "de-DE,de;q=0.9,en;q=0.5",
			signIn: page{Lang: "de", Heading: "Anmelden"},
			products: page{Lang: "de", Heading: "Ihre Produkte", Path: "/billing/products", Current: "Ihre Produkte",
				Nav: []string{"Ihre Produkte", "Lizenzen", "Rechnungen und Zahlungen", "Rechnungsprofile", "Meine Lizenzanfragen", "Benötigen Sie Hilfe?"}},
			helpHeading: "Benötigen Sie Hilfe?",
		},
	}
	for _, l := range languages {
		t.Run(l.name, func(t *testing.T) {
			tab := newTab(t, browser, l.acceptLanguage)
			load(t, tab, "open /", chromedp.Navigate(base+"/"))
			if got := readPage(t, tab); got.Lang != l.signIn.Lang || got.Heading != l.signIn.Heading || got.Path != "/login" {
				t.Fatalf("before signing in: %+v, want the sign-in page %+v", got, l.signIn)
			}
			screenshot(t, tab, "signin-"+l.signIn.Lang)
			signIn(t, tab, base, "erik@nordvik.example")
			got := readPage(t, tab)
			if got.Lang != l.products.Lang || got.Heading != l.products.Heading || got.Path != l.products.Path ||
				got.Current != l.products.Current || !slices.Equal(got.Nav, l.products.Nav) {
				t.Errorf("after signing in: %+v\nwant %+v", got, l.products)
			}
			rows := run(t, tab, "count products", chromedp.Evaluate[int](`document.querySelectorAll("#catalog table.data tbody tr").length`))
			if rows != 5 {
				t.Errorf("products listed: %d, want the 5 of the demo catalog", rows)
			}
			screenshot(t, tab, "products-"+l.products.Lang)

			load(t, tab, "follow Need help?", chromedp.Click(chromedp.CSS(`.sidenav a[href="/help"]`)))
			if got := readPage(t, tab); got.Heading != l.helpHeading || got.Current != l.helpHeading {
				t.Errorf("help page: %+v, want heading %q", got, l.helpHeading)
			}
			screenshot(t, tab, "help-"+l.products.Lang)
		})
	}

	t.Run("LanguageSwitchIsRemembered", func(t *testing.T) {
		tab := newTab(t, browser, "en-US,en;q=0.9")
		signIn(t, tab, base, "erik@nordvik.example")
		load(t, tab, "open Licenses", chromedp.Navigate(base+"/billing/licenses"))
		if got := readPage(t, tab); got.Lang != "en" || got.Heading != "Licenses" {
			t.Fatalf("before switching: %+v, want English", got)
		}
		load(t, tab, "choose Svenska", chromedp.Click(chromedp.CSS(`.langswitch button[value="sv"]`)))
		if got := readPage(t, tab); got.Lang != "sv" || got.Heading != "Licenser" || got.Path != "/billing/licenses" {
			t.Errorf("after choosing Svenska: %+v, want Licenser in Swedish", got)
		}
		pressed := run(t, tab, "read switch", chromedp.AttributeValue(chromedp.CSS(`.langswitch button[value="sv"]`), "aria-pressed"))
		if pressed.Value != "true" {
			t.Errorf("Svenska aria-pressed=%q, want true", pressed.Value)
		}
		// The browser still prefers English; the choice outlasts the page.
		load(t, tab, "open Bills & payments", chromedp.Navigate(base+"/billing/bills"))
		if got := readPage(t, tab); got.Lang != "sv" || got.Heading != "Räkningar och betalningar" {
			t.Errorf("next page: %+v, want Swedish", got)
		}
		// And signing out keeps it: the sign-in page is Swedish too.
		load(t, tab, "sign out", chromedp.Click(chromedp.CSS(".signout button")))
		if got := readPage(t, tab); got.Lang != "sv" || got.Heading != "Logga in" {
			t.Errorf("after signing out: %+v, want Logga in", got)
		}
	})
}
