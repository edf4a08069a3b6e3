package api

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// The fuzz targets of fuzz_body_test.go and fuzz_query_test.go send what
// the fuzzer makes to the real handlers, over HTTP, on a real database (see
// newTestServer). Each target starts one server before it fuzzes and
// sends every input to it, so the state an input leaves is the next
// input's; hooks put back what would otherwise run out (a card deleted
// again, licenses unassigned again). Seeds name the server's objects by
// placeholders ($product, $profile, …, see newFuzzServer) that every
// fuzzing process replaces with its own ids, so that the seed corpus
// reaches the same outcomes in every worker. `go test` runs the seeds; to
// fuzz one target (its server and seeds take the first 2 to 3 seconds):
//
//	go test -run '^$' -fuzz '^FuzzPurchaseBody$' -fuzztime 30s -fuzzminimizetime 10x ./api

// fuzzServer is the test server of one fuzz target, with two demo users
// signed in.
type fuzzServer struct {
	*testServer
	raw   *sql.DB
	erik  buyer  // a member whose billing profile pays with a Visa card
	admin string // astrid's token
	vars  []string
	ids   *strings.Replacer // replaces each placeholder of vars with its id
}

func newFuzzServer(f *testing.F) *fuzzServer {
	f.Helper()
	ts := newTestServer(f)
	fz := &fuzzServer{testServer: ts, raw: sqldbtest.Raw(f, ts.dsn), erik: newBuyer(ts, "erik@nordvik.example"),
		admin: ts.login("astrid@nordvik.example")}
	var profile profileOut
	mustUnmarshal(f, ts.do("GET", "/api/v1/billing-profiles/"+fz.erik.profile, fz.erik.token, nil).body, &profile)
	members := ts.members(fz.erik.token, 2)
	fz.let("$product", fz.erik.products["ANALYTICS_PRO"])
	fz.let("$trialonly", fz.erik.products["DIAGRAM_STUDIO"]) // its policy allows only trials
	fz.let("$offsale", fz.erik.products["MAIL_ARCHIVE"])     // its policy allows nothing
	fz.let("$profile", fz.erik.profile)
	fz.let("$card", *profile.PaymentMethodID)
	fz.let("$member", members[0])
	fz.let("$colleague", members[1])
	fz.let("$guest", fz.userID("gast@partner.example"))
	fz.let("$former", fz.userID("former@nordvik.example"))
	return fz
}

// let makes placeholder stand for id in seeds and inputs.
func (fz *fuzzServer) let(placeholder, id string) {
	fz.vars = append(fz.vars, placeholder, id)
	fz.ids = strings.NewReplacer(fz.vars...)
}

// loadHistory gives erik the demo's eight months of purchases, renewals
// and invoices.
func (fz *fuzzServer) loadHistory() {
	fz.t.Helper()
	if err := demo.LoadHistory(context.Background(), fz.db, simulator.New(fz.clock)); err != nil {
		fz.t.Fatal(err)
	}
}

func (fz *fuzzServer) userID(email string) string {
	fz.t.Helper()
	c, err := fz.db.FindCredentials(context.Background(), email)
	if err != nil {
		fz.t.Fatal(err)
	}
	return c.User.ID
}

// on returns the server reporting to t, for the function f.Fuzz runs.
func (fz *fuzzServer) on(t *testing.T) *testServer {
	ts := *fz.testServer
	ts.t = t
	return &ts
}

// state is what a request that is refused, or only reads, must leave as
// it was: the number of audit events and of the objects that hold money
// or licenses, the clock, and the answer to a GET of what the route
// changes.
type state struct {
	counts [9]string
	now    time.Time
	view   string
}

const countsQuery = `SELECT
	(SELECT count(*) FROM audit_log), (SELECT count(*) FROM outbox),
	(SELECT count(*) FROM subscriptions), (SELECT coalesce(sum(quantity), 0) FROM subscriptions),
	(SELECT coalesce(sum(assigned), 0) FROM subscriptions), (SELECT count(*) FROM licenses),
	(SELECT count(*) FROM invoices WHERE status <> 'void'), (SELECT count(*) FROM payment_methods),
	(SELECT count(*) FROM billing_profiles)`

// state reads the state; view, when not "", is a GET path read as token.
func (fz *fuzzServer) state(ts *testServer, token, view string) state {
	ts.t.Helper()
	var s state
	c := &s.counts
	if err := fz.raw.QueryRow(countsQuery).Scan(&c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8]); err != nil {
		ts.t.Fatal(err)
	}
	s.now = fz.clock.Now()
	if view != "" {
		res := ts.doRaw("GET", view, token, nil)
		s.view = fmt.Sprintf("%d %s", res.status, res.body)
	}
	return s
}

// checkAnswer checks what any answer of the API must be, whatever it was
// asked: no server error; the shape openapi.json documents for its status;
// a CSV export that parses; an error in the error format with the code of
// its status, and a 422 naming one of names (the fields or parameters the
// route reads) or a field the request holds (an unknown one, refused), in
// its field and in its message.
func (fz *fuzzServer) checkAnswer(t *testing.T, method, path string, res response, names []string, sent any) {
	t.Helper()
	if res.status >= 500 {
		logs := fz.logs.String()
		t.Fatalf("%s %s answered %d: %s\nthe server logged: %s", method, path, res.status, res.body, logs[max(0, len(logs)-1000):])
	}
	if err := mustOpenAPIDoc(t).checkResponse(method, path, res.status, res.body); err != nil {
		t.Fatalf("%s %s answered %d against openapi.json: %v\nbody: %.2000s", method, path, res.status, err, res.body)
	}
	if strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") {
		if rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll(); err != nil || len(rows) == 0 {
			t.Fatalf("%s %s answered a CSV without a header or that does not parse (%v): %s", method, path, err, res.body)
		}
		return
	}
	if res.status < 400 {
		return
	}
	var e errorBody
	if err := json.Unmarshal(res.body, &e); err != nil || e.Error.Message == "" || statuses[e.Error.Code] != res.status {
		t.Fatalf("%s %s answered %d with %s, not an error of that status", method, path, res.status, res.body)
	}
	if res.status != 422 {
		return
	}
	field := e.Error.Field
	top, _, _ := strings.Cut(field, ".")
	top, _, _ = strings.Cut(top, "[")
	if field == "" || !strings.Contains(e.Error.Message, field) ||
		!slices.Contains(names, top) && !slices.Contains(jsonPaths(sent), field) {
		t.Fatalf("%s %s answered %s: want the field and the message to name one of %v", method, path, res.body, names)
	}
}

// jsonPaths lists the paths of the members of v, a decoded JSON value, in
// the form errors name them: "address.city", "products[0].policy".
func jsonPaths(v any) []string {
	var paths []string
	walkValues(v, "", func(path string, _ any) { paths = append(paths, path) })
	return paths
}

// walkValues calls visit with the path and value of every member and
// element within v.
func walkValues(v any, at string, visit func(path string, v any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			p := k
			if p == "" {
				p = `""` // as errors name a member without a name
			}
			if at != "" {
				p = at + "." + p
			}
			visit(p, e)
			walkValues(e, p, visit)
		}
	case []any:
		for i, e := range v {
			p := fmt.Sprintf("%s[%d]", at, i)
			visit(p, e)
			walkValues(e, p, visit)
		}
	}
}
