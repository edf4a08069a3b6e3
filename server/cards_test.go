package server_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/gateway/simulator"
	"github.com/kassa-billing/kassa/server"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// TestCardDataNeverStored adds, edits and tries cards through the API with
// every log at debug level, then searches the database (the SQLite file and
// its WAL byte by byte, and every row of every table on either engine) and
// the log for the card numbers and security codes.
func TestCardDataNeverStored(t *testing.T) {
	dsn := sqldbtest.DSN(t)
	clock := kassa.SystemClock{}
	db, err := sqldb.Open(t.Context(), dsn, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	gw := simulator.New(clock)
	if _, err := demo.Load(t.Context(), db, gw); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := auth.New(db, clock, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Config{DB: db, Auth: a, Billing: billing.New(db, gw, clock, log), Log: log,
		Gateway: gw, GatewayName: "simulator"}))
	defer srv.Close()

	call := func(method, path, token, body string) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if method == "POST" && path == "/api/v1/login" {
			var out struct{ Token string }
			_ = json.Unmarshal(b, &out)
			return len(out.Token)
		}
		return res.StatusCode
	}
	var token string
	{
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/login", strings.NewReader(`{"email":"erik@nordvik.example","password":"kassa-demo"}`))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Token string }
		_ = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		token = out.Token
	}

	cards := []struct{ number, cvc string }{
		{"5555555555554444", "737"}, {"378282246310005", "7391"}, {"4000000000000341", "747"},
		{"4000000000000002", "757"}, {"4000000000009995", "767"}, {"4242424242424241", "777"},
	}
	for _, c := range cards {
		spaced := c.number[:4] + " " + c.number[4:8] + " " + c.number[8:12] + " " + c.number[12:]
		for _, n := range []string{c.number, spaced} {
			call("POST", "/api/v1/payment-methods", token, fmt.Sprintf(
				`{"card":{"number":%q,"exp_month":12,"exp_year":2031,"cvc":%q,"name":"Erik"},
				  "address":{"line1":"Storgatan 1","city":"Stockholm","postal_code":"111 22","country":"SE"}}`, n, c.cvc))
		}
	}
	// The pages send the person to the processor's card page (the
	// simulator's, in the same process): a card typed there, right and
	// wrong, is no more kept than one sent to the API.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	if res, err := browser.PostForm(srv.URL+"/login", url.Values{"email": {"erik@nordvik.example"}, "password": {"kassa-demo"}}); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}
	for _, c := range cards {
		for _, year := range []string{"2031", "2001"} {
			res, err := browser.PostForm(srv.URL+"/billing/bills/payment-methods/new", url.Values{})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			cardPage := res.Request.URL.String()
			if !strings.Contains(cardPage, "/simulator/cards/") {
				t.Fatalf("Add a card led to %s, not the card page", cardPage)
			}
			res, err = browser.PostForm(cardPage, url.Values{
				"number": {c.number}, "cvc": {c.cvc}, "exp_month": {"12"}, "exp_year": {year}, "name": {"Erik"},
				"line1": {"Storgatan 1"}, "city": {"Stockholm"}, "postal_code": {"111 22"}, "country": {"SE"},
			})
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if bytes.Contains(page, []byte(c.number)) || bytes.Contains(page, []byte(`value="`+c.cvc+`"`)) {
				t.Errorf("the page answering the card page shows %s or its code", c.number)
			}
		}
	}
	// A malformed body that quotes a number back must not leak it either.
	call("POST", "/api/v1/payment-methods", token, `{"card":{"number":"5555555555554444","cvc":"737","exp_month":"x"}}`)
	var ms struct{ Data []struct{ ID string } }
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/payment-methods", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(res.Body).Decode(&ms)
	res.Body.Close()
	if len(ms.Data) != 1+6+3 { // the demo's, 3 good cards twice by the API, once by the form
		t.Fatalf("%d cards were added, want 10", len(ms.Data))
	}
	for _, m := range ms.Data {
		call("PATCH", "/api/v1/payment-methods/"+m.ID, token, `{"cvc":"787"}`)
	}

	secrets := []string{"787"}
	for _, c := range cards {
		secrets = append(secrets, c.number, c.number[:4]+" "+c.number[4:8], c.cvc)
	}
	for _, row := range allRows(t, db, dsn) {
		for _, s := range secrets {
			if strings.Contains(row, s) && (len(s) > 4 || strings.Contains(row, "="+s+" ") || strings.HasSuffix(row, "="+s)) {
				t.Errorf("the database holds %q: %s", s, row)
			}
		}
	}
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		for _, file := range []string{path, path + "-wal"} {
			raw, err := os.ReadFile(file)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			for _, c := range cards {
				if bytes.Contains(raw, []byte(c.number)) || bytes.Contains(raw, []byte(c.number[:4]+" "+c.number[4:8])) {
					t.Errorf("%s holds card number %s", file, c.number)
				}
			}
		}
	}
	logs.mu.Lock()
	logged := logs.b.String()
	logs.mu.Unlock()
	if !strings.Contains(logged, "/api/v1/payment-methods") {
		t.Fatalf("the log shows no requests; is debug logging on?\n%s", logged)
	}
	for _, s := range secrets {
		if len(s) > 4 && strings.Contains(logged, s) || strings.Contains(logged, `cvc=`+s) || strings.Contains(logged, `"`+s+`"`) {
			t.Errorf("the log holds %q", s)
		}
	}
}

// allRows returns every row of every table, each as "column=value ..." text.
func allRows(t *testing.T, db *sqldb.DB, dsn string) []string {
	t.Helper()
	driver, conn := "sqlite", "file:"+strings.TrimPrefix(dsn, "sqlite:")+"?mode=ro"
	list := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if !strings.HasPrefix(dsn, "sqlite:") {
		driver, conn = "pgx", dsn
		list = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	raw, err := sql.Open(driver, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var tables []string
	rows, err := raw.Query(list)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		_ = rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	var out []string
	for _, table := range tables {
		rows, err := raw.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, c := range cols {
				v := vals[i]
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s.%s=%v ", table, c, v)
			}
			out = append(out, strings.TrimSpace(b.String()))
		}
		rows.Close()
	}
	if len(out) < 50 {
		t.Fatalf("only %d rows read", len(out))
	}
	return out
}
