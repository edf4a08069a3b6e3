package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/demo"
	"github.com/kassa-billing/kassa/notify/smtptest"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// TestNotificationsSurviveARestart serves with an SMTP server that is down,
// buys a subscription (its notifications fail and wait for a retry), stops
// kassa, starts it again with a working SMTP server and moves the test clock
// past the retry: the admin's and the purchaser's messages arrive, once each.
func TestNotificationsSurviveARestart(t *testing.T) {
	t.Parallel()
	dsn := sqldbtest.DSN(t)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()

	first := startServe(t, dsn, "smtp://"+deadAddr+"?from=kassa@nordvik.example")
	erik := apiLogin(t, first.url, "erik@nordvik.example")
	var products struct{ Data []struct{ ID, SKU string } }
	apiCall(t, first.url, "GET", "/api/v1/products", erik, nil, &products)
	var profiles struct{ Data []struct{ ID string } }
	apiCall(t, first.url, "GET", "/api/v1/billing-profiles", erik, nil, &profiles)
	var sub struct{ ID string }
	for _, p := range products.Data {
		if p.SKU == "ANALYTICS_PRO" {
			apiCall(t, first.url, "POST", "/api/v1/subscriptions", erik, map[string]any{
				"product_id": p.ID, "term": "monthly", "quantity": 3, "billing_profile_id": profiles.Data[0].ID,
			}, &sub)
		}
	}
	db, err := sqldb.Open(t.Context(), dsn, kassa.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pending := func() []sqldb.OutboxEntry {
		t.Helper()
		creds, err := db.FindCredentials(t.Context(), "erik@nordvik.example")
		if err != nil {
			t.Fatal(err)
		}
		all, err := db.FindOutbox(t.Context(), creds.Tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		var mine []sqldb.OutboxEntry
		for _, e := range all {
			if e.Data.SubscriptionID == sub.ID {
				mine = append(mine, e)
			}
		}
		return mine
	}
	waitFor(t, "a failed delivery", func() bool {
		got := pending()
		return len(got) == 2 && got[0].LastError != "" && got[1].LastError != ""
	})
	first.stop()
	for _, e := range pending() {
		if e.SentAt != nil || e.LastError == "" {
			t.Fatalf("after the failed delivery: %+v", e)
		}
	}

	smtp := smtptest.Start(t)
	second := startServe(t, dsn, "smtp://"+smtp.Addr()+"?from=kassa@nordvik.example")
	defer second.stop()
	astrid := apiLogin(t, second.url, "astrid@nordvik.example")
	apiCall(t, second.url, "POST", "/api/v1/test-clock", astrid,
		map[string]string{"now": time.Now().Add(2 * time.Minute).UTC().Format(time.RFC3339)}, nil)
	waitFor(t, "two messages marked sent", func() bool {
		for _, e := range pending() {
			if e.SentAt == nil {
				return false
			}
		}
		return true
	})
	second.stop() // no worker is left to send a duplicate: what arrived is all
	var to, subjects []string
	for _, m := range smtp.Messages() {
		to = append(to, m.To...)
		msg, _ := io.ReadAll(bytes.NewReader(m.Data))
		for _, line := range strings.Split(string(msg), "\r\n") {
			if s, ok := strings.CutPrefix(line, "Subject: "); ok {
				decoded, err := new(mime.WordDecoder).DecodeHeader(s)
				if err != nil {
					t.Fatal(err)
				}
				subjects = append(subjects, decoded)
			}
		}
	}
	if strings.Join(to, ",") != "astrid@nordvik.example,erik@nordvik.example" &&
		strings.Join(to, ",") != "erik@nordvik.example,astrid@nordvik.example" {
		t.Errorf("messages went to %v", to)
	}
	if len(subjects) != 2 || !strings.Contains(strings.Join(subjects, "|"), "köpte Analytics Pro") {
		t.Errorf("subjects %q", subjects)
	}
	for _, e := range pending() {
		if e.SentAt == nil {
			t.Errorf("not marked sent: %+v", e)
		}
	}
}

type served struct {
	url  string
	stop func()
}

// startServe runs `kassa serve --demo --test-clock` in this process on dsn
// with the SMTP URL, until stop.
func startServe(t *testing.T, dsn, smtpURL string) served {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	var out bytes.Buffer
	env := map[string]string{"KASSA_SMTP_URL": smtpURL}
	m := &Main{Stdout: &out, Stderr: &out, Getenv: func(k string) string { return env[k] },
		Ready: func(addr string) { ready <- addr }}
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, []string{"serve", "--demo", "--test-clock", "--addr", "127.0.0.1:0", "--db", dsn})
	}()
	select {
	case addr := <-ready:
		var once sync.Once
		return served{url: "http://" + addr, stop: func() {
			once.Do(func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("serve: %v", err)
				}
			})
		}}
	case err := <-done:
		t.Fatalf("serve ended: %v\n%s", err, out.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("serve did not start")
	}
	panic("unreachable")
}

func apiLogin(t *testing.T, base, email string) string {
	t.Helper()
	var out struct{ Token string }
	apiCall(t, base, "POST", "/api/v1/login", "", map[string]string{"email": email, "password": demo.Password}, &out)
	return out.Token
}

func apiCall(t *testing.T, base, method, path, token string, body, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a ceiling for a hang
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 2 minutes", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
