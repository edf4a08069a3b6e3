package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// bodyTarget is a route that reads a JSON body, as a fuzz target sends it
// its inputs.
type bodyTarget struct {
	method, path, token string
	fields              []string // the body's fields: a 422 names one of them
	secrets             []string // fields no answer may repeat the value of: "card.number"
	view                string   // a GET of what the route changes; "" when the counts of state cover it
	// after, when set, runs after each input to keep the fixture usable;
	// it may move path, token and view.
	after func(t *testing.T, ts *testServer, res response)
}

// fuzzBody fuzzes bt's body, starting from the seeds. Whatever the body,
// the answer passes checkAnswer and repeats no secret; a refused body
// changes nothing; an accepted one is one JSON object.
func (fz *fuzzServer) fuzzBody(f *testing.F, bt *bodyTarget, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		ts := fz.on(t)
		body := []byte(fz.ids.Replace(string(in)))
		var sent any
		_ = json.Unmarshal(body, &sent)
		before := fz.state(ts, bt.token, bt.view)
		res := ts.doRaw(bt.method, bt.path, bt.token, body)
		fz.checkAnswer(t, bt.method, bt.path, res, bt.fields, sent)
		checkSecrets(t, sent, res.body, bt.secrets)
		if res.status >= 400 {
			if after := fz.state(ts, bt.token, bt.view); after != before {
				t.Fatalf("%s %s answered %d %s, yet changed\n%v\nto\n%v", bt.method, bt.path, res.status, res.body, before, after)
			}
		} else if !json.Valid(body) || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
			t.Fatalf("%s %s accepted %q, which is not one JSON object: %d %s", bt.method, bt.path, body, res.status, res.body)
		}
		if bt.after != nil {
			bt.after(t, ts, res)
		}
	})
}

// checkSecrets fails t when the answer holds the value of a secret field
// of the request: 8 digits in a row of a card number, or a security code
// or password as a value of its own or, from 6 characters, within one. A
// value the request also sends in a field that answers show (a name) is
// let be.
func checkSecrets(t *testing.T, sent any, answer []byte, secrets []string) {
	t.Helper()
	var hidden, shown []string
	walkValues(sent, "", func(path string, v any) {
		if s, ok := v.(string); ok {
			if slices.ContainsFunc(secrets, func(p string) bool { return strings.EqualFold(p, path) }) {
				hidden = append(hidden, s)
			} else {
				shown = append(shown, s)
			}
		}
	})
	if len(hidden) == 0 {
		return
	}
	var got any
	_ = json.Unmarshal(answer, &got)
	walkValues(got, "", func(path string, v any) {
		s, ok := v.(string)
		if !ok || strings.HasSuffix(path, "last4") {
			return
		}
		for _, h := range hidden {
			digits := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, h)
			if slices.ContainsFunc(shown, func(x string) bool {
				return strings.Contains(x, h) || len(digits) >= 8 && strings.Contains(x, digits)
			}) {
				continue
			}
			if len(digits) >= 8 && strings.Contains(s, digits) || len(h) >= 3 && s == h || len(h) >= 6 && strings.Contains(s, h) {
				t.Fatalf("the answer repeats the secret %q at %s: %s", h, path, answer)
			}
		}
	})
}

// address is a valid address field of a body.
const address = `"address":{"line1":"Drottninggatan 1","line2":"","city":"Stockholm","postal_code":"111 51","country":"SE"}`

func cardJSON(number, cvc string, month, year int) string {
	return fmt.Sprintf(`{"card":{"number":%q,"exp_month":%d,"exp_year":%d,"cvc":%q,"name":"Erik Johansson"},%s}`,
		number, month, year, cvc, address)
}

func FuzzLoginBody(f *testing.F) {
	fz := newFuzzServer(f)
	fz.fuzzBody(f, &bodyTarget{method: "POST", path: "/api/v1/login", fields: []string{"email", "password"}, secrets: []string{"password"},
		after: func(t *testing.T, _ *testServer, _ response) {
			// Else the throttle soon answers every input 429.
			if _, err := fz.raw.Exec(`DELETE FROM login_failures`); err != nil {
				t.Fatal(err)
			}
		}},
		`{"email":"erik@nordvik.example","password":"kassa-demo"}`,
		`{"email":" ERIK@Nordvik.example ","password":"kassa-demo"}`,
		`{"email":"erik@nordvik.example","password":"kassa-demo-wrong"}`,
		`{"email":"former@nordvik.example","password":"kassa-demo"}`,
		`{"email":"nobody@nordvik.example","password":"kassa-demo"}`,
		`{"email":"Erik <erik@nordvik.example>","password":"kassa-demo"}`,
		`{"email":"erik@nordvik.example"}`, `{"password":"kassa-demo"}`, `{"email":1,"password":"kassa-demo"}`,
		`{"email":"erik@nordvik.example","password":"kassa-demo","remember":true}`,
		`{}`, `[]`, `null`, `"x"`, ``, `{"email":`, `{} {}`)
}

func FuzzAddPaymentMethodBody(f *testing.F) {
	fz := newFuzzServer(f)
	fz.fuzzBody(f, &bodyTarget{method: "POST", path: "/api/v1/payment-methods", token: fz.erik.token,
		fields: []string{"card", "address"}, secrets: []string{"card.number", "card.cvc"},
		after: func(t *testing.T, ts *testServer, res response) {
			// Delete the new card, so that cards do not pile up.
			var m paymentMethodOut
			if res.status == 201 && json.Unmarshal(res.body, &m) == nil {
				if res := ts.doRaw("DELETE", "/api/v1/payment-methods/"+m.ID, fz.erik.token, nil); res.status != 204 {
					t.Fatalf("delete the card added: %d %s", res.status, res.body)
				}
			}
		}},
		cardJSON("4242 4242 4242 4242", "123", 12, 2030), cardJSON("5555-5555-5555-4444", "987", 1, 2027),
		cardJSON("378282246310005", "1234", 11, 2026), cardJSON("4000000000000002", "123", 12, 2030),
		cardJSON("4000000000009995", "123", 12, 2030), cardJSON("4242424242424241", "123", 12, 2030),
		cardJSON("6011111111111117", "123", 12, 2030), cardJSON("378282246310005", "123", 12, 2030),
		cardJSON("4242424242424242", "12a", 12, 2030), cardJSON("4242424242424242", "123", 13, 2030),
		cardJSON("4242424242424242", "123", 10, 2026), cardJSON("4242424242424242", "123", 1, 2047),
		cardJSON("", "", 0, 0),
		`{"card":{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123","name":" "},`+address+`}`,
		`{"card":{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123","name":"E"},"address":{"line1":"","city":"Stockholm","postal_code":"111 51","country":"se"}}`,
		`{"card":{"number":4242424242424242}}`, `{"card":{"numbr":"4242424242424242"}}`, `{"card":null,"address":null}`,
		`{"card":{"exp_month":"12"}}`, `{}`)
}

func FuzzUpdatePaymentMethodBody(f *testing.F) {
	fz := newFuzzServer(f)
	fz.fuzzBody(f, &bodyTarget{method: "PATCH", path: fz.ids.Replace("/api/v1/payment-methods/$card"), token: fz.erik.token,
		fields: []string{"cvc", "exp_month", "exp_year", "name", "address", "number"}, secrets: []string{"cvc", "number"},
		view: "/api/v1/payment-methods"},
		`{"cvc":"123"}`, `{"exp_month":1,"exp_year":2031}`, `{"exp_month":11,"exp_year":2026}`, `{"name":"Erik J"}`,
		`{`+address+`}`, `{"cvc":"12345"}`, `{"cvc":123}`, `{"exp_month":13}`, `{"exp_year":2025}`, `{"exp_year":2047}`,
		`{"name":""}`, `{"address":{"city":"Göteborg"}}`, `{"number":"4242424242424242"}`, `{"brand":"visa"}`, `{}`,
		`null`, `{}}`, `{"name":"Erik J"}]`)
}

func FuzzCreateBillingProfileBody(f *testing.F) {
	fz := newFuzzServer(f)
	spare := fz.addCard(fz.erik.token, "5555555555554444", "123")
	profile := func(extra string) string {
		return `{"name":"Team","email":"team@example.com",` + address + extra + `}`
	}
	fz.fuzzBody(f, &bodyTarget{method: "POST", path: "/api/v1/billing-profiles", token: fz.erik.token,
		fields: []string{"name", "email", "address", "po_number", "payment_method_id"}},
		profile(``), profile(`,"po_number":"PO-17"`), profile(`,"payment_method_id":"`+spare.ID+`"`),
		profile(`,"payment_method_id":"$card"`), profile(`,"payment_method_id":"pm_nope"`),
		profile(`,"po_number":"`+strings.Repeat("9", 101)+`"`), profile(`,"currency":"USD"`),
		`{"name":"Team","email":"team@"}`, `{"name":" ","email":"team@example.com"}`, `{"email":"team@example.com",`+address+`}`,
		`{"name":"Team","email":"team@example.com","address":{"line1":"x","city":"y","postal_code":"1","country":"Sweden"}}`,
		`{"name":"Te\u0000am","email":"team@example.com",`+address+`}`, `{"name":1}`, `{"address":[]}`, `{}`)
}

func FuzzUpdateBillingProfileBody(f *testing.F) {
	fz := newFuzzServer(f)
	spare := fz.addCard(fz.erik.token, "5555555555554444", "123")
	path := fz.ids.Replace("/api/v1/billing-profiles/$profile")
	fz.fuzzBody(f, &bodyTarget{method: "PATCH", path: path, token: fz.erik.token, view: path,
		fields: []string{"name", "email", "address", "po_number", "payment_method_id"}},
		`{"name":"Erik's team"}`, `{"email":"BILLING@Example.com"}`, `{"email":"billing"}`, `{`+address+`}`,
		`{"po_number":"PO-1"}`, `{"po_number":""}`, `{"payment_method_id":"`+spare.ID+`"}`, `{"payment_method_id":"$card"}`,
		`{"payment_method_id":""}`, `{"payment_method_id":"pm_nope"}`, `{"address":{"country":"SE"}}`,
		`{"currency":"USD"}`, `{"name":null}`, `{"name":["Team"]}`, `{}`)
}

func FuzzPurchaseBody(f *testing.F) {
	fz := newFuzzServer(f)
	card := fz.addCard(fz.erik.token, "4000000000000341", "123") // saved, but every charge fails
	var declining profileOut
	mustUnmarshal(f, fz.do("POST", "/api/v1/billing-profiles", fz.erik.token, map[string]any{
		"name": "Declining", "email": "team@example.com", "address": stockholm, "payment_method_id": card.ID,
	}).body, &declining)
	fz.let("$declining", declining.ID)
	order := func(product, term string, quantity int, extra string) string {
		return fmt.Sprintf(`{"product_id":%q,"term":%q,"quantity":%d,"billing_profile_id":"$profile"%s}`, product, term, quantity, extra)
	}
	fz.fuzzBody(f, &bodyTarget{method: "POST", path: "/api/v1/subscriptions", token: fz.erik.token,
		fields: []string{"product_id", "term", "quantity", "billing_profile_id", "trial"}},
		order("$product", "monthly", 1, ""), order("$product", "annual", 3, ""), order("$product", "monthly", 5, `,"trial":true`),
		order("$product", "monthly", 26, `,"trial":true`), order("$trialonly", "monthly", 2, ""),
		order("$trialonly", "annual", 2, `,"trial":true`), order("$offsale", "monthly", 1, ""),
		order("$product", "monthly", 0, ""), order("$product", "monthly", 10001, ""), order("$product", "weekly", 1, ""),
		order("prd_nope", "monthly", 1, ""), order("$product", "monthly", 1, `,"trial":"yes"`),
		`{"product_id":"$product","term":"monthly","quantity":1,"billing_profile_id":"bp_nope"}`,
		`{"product_id":"$product","term":"monthly","quantity":2,"billing_profile_id":"$declining"}`,
		`{"product_id":"$product","term":"monthly","quantity":"1","billing_profile_id":"$profile"}`,
		`{"product_id":"$product","term":"monthly","quantity":1.5,"billing_profile_id":"$profile"}`,
		`{"product_id":"$product","term":"monthly","quantity":1}`, `{"":""}`, `{}`)
}

// must posts user_ids to path as erik and fails unless the answer has the
// status.
func (fz *fuzzServer) must(ts *testServer, path string, status int, userIDs []string) {
	ts.t.Helper()
	if res := ts.do("POST", path, fz.erik.token, map[string][]string{"user_ids": userIDs}); res.status != status {
		ts.t.Fatalf("POST %s: %d %s", path, res.status, res.body)
	}
}

// subscriptionPath buys erik a subscription of quantity licenses, assigns
// the users, and returns its path.
func (fz *fuzzServer) subscriptionPath(quantity int, users ...string) string {
	fz.t.Helper()
	path := "/api/v1/subscriptions/" + fz.buy(fz.erik, "ANALYTICS_PRO", quantity).ID
	if len(users) > 0 {
		fz.must(fz.testServer, path+"/licenses", 201, users)
	}
	return path
}

func FuzzSetQuantityBody(f *testing.F) {
	fz := newFuzzServer(f)
	sub := fz.subscriptionPath(3, fz.ids.Replace("$member"), fz.ids.Replace("$colleague"))
	fz.fuzzBody(f, &bodyTarget{method: "PUT", path: sub + "/quantity", token: fz.erik.token, view: sub,
		fields: []string{"quantity"}},
		`{"quantity":5}`, `{"quantity":4}`, `{"quantity":3}`, `{"quantity":2}`, `{"quantity":1}`, `{"quantity":0}`,
		`{"quantity":-1}`, `{"quantity":10001}`, `{"quantity":"5"}`, `{"quantity":null}`, `{"quantity":5,"x":1}`,
		`{"quantity":9223372036854775808}`, `{}`)
}

func FuzzCancelBody(f *testing.F) {
	fz := newFuzzServer(f)
	sub := fz.subscriptionPath(2)
	bt := &bodyTarget{method: "POST", path: sub + "/cancel", token: fz.erik.token, view: sub, fields: []string{"reason", "feedback"}}
	bt.after = func(t *testing.T, ts *testServer, res response) {
		if res.status == 200 { // cancelled: the next input cancels another
			bt.view = "/api/v1/subscriptions/" + ts.buy(fz.erik, "ANALYTICS_PRO", 2).ID
			bt.path = bt.view + "/cancel"
		}
	}
	fz.fuzzBody(f, bt,
		`{"reason":"too_expensive","feedback":""}`, `{"reason":"other","feedback":"Too slow for us."}`, `{"reason":"unused"}`,
		`{"reason":"bored"}`, `{"reason":""}`, `{"reason":"other","feedback":"`+strings.Repeat("ä", 5001)+`"}`,
		`{"reason":"other","feedback":"nul \u0000 \ud800"}`, `{"reason":1}`, `{"reason":"other","feedback":null}`, `{"reason":"other","why":"x"}`, `{}`)
}

// userIDs returns the ids of the users of a list of licenses.
func userIDs(t *testing.T, body []byte) []string {
	var l licenseList
	mustUnmarshal(t, body, &l)
	var ids []string
	for _, d := range l.Data {
		ids = append(ids, d.User.ID)
	}
	return ids
}

var licenseSeeds = []string{
	`{"user_ids":["$member"]}`, `{"user_ids":["$member","$colleague"]}`, `{"user_ids":["$guest"]}`,
	`{"user_ids":["$former"]}`, `{"user_ids":["$member","$member"]}`, `{"user_ids":["usr_nope"]}`, `{"user_ids":[]}`,
	`{"user_ids":["` + strings.Repeat(`$member","`, 20) + `$colleague"]}`,
	`{"user_ids":"$member"}`, `{"user_ids":[1]}`, `{"user_ids":null}`, `{}`,
}

func FuzzAssignBody(f *testing.F) {
	fz := newFuzzServer(f)
	sub := fz.subscriptionPath(25)
	fz.fuzzBody(f, &bodyTarget{method: "POST", path: sub + "/licenses", token: fz.erik.token, view: sub + "/licenses",
		fields: []string{"user_ids"},
		after: func(t *testing.T, ts *testServer, res response) {
			if res.status == 201 { // unassign them, so that licenses do not run out
				fz.must(ts, sub+"/licenses/unassign", 200, userIDs(t, res.body))
			}
		}},
		licenseSeeds...)
}

func FuzzUnassignBody(f *testing.F) {
	fz := newFuzzServer(f)
	sub := fz.subscriptionPath(5, fz.ids.Replace("$member"), fz.ids.Replace("$colleague"))
	fz.fuzzBody(f, &bodyTarget{method: "POST", path: sub + "/licenses/unassign", token: fz.erik.token, view: sub + "/licenses",
		fields: []string{"user_ids"},
		after: func(t *testing.T, ts *testServer, res response) {
			if res.status == 200 { // assign them again
				fz.must(ts, sub+"/licenses", 201, userIDs(t, res.body))
			}
		}},
		licenseSeeds...)
}

func FuzzPurchasePoliciesBody(f *testing.F) {
	fz := newFuzzServer(f)
	path := "/api/v1/admin/purchase-policies"
	fz.fuzzBody(f, &bodyTarget{method: "PUT", path: path, token: fz.admin, view: path, fields: []string{"default", "products"}},
		`{"default":"enabled","products":[]}`, `{"default":"trials_only"}`,
		`{"default":"enabled","products":[{"product_id":"$product","policy":"trials_only"},{"product_id":"$offsale","policy":"enabled"}]}`,
		`{"default":"disabled","products":[{"product_id":"$product","policy":"disabled"}]}`,
		`{"default":"nope"}`, `{"default":""}`, `{"default":"enabled","products":[{"product_id":"prd_nope","policy":"enabled"}]}`,
		`{"default":"enabled","products":[{"product_id":"$product","policy":"sometimes"}]}`,
		`{"default":"enabled","products":[{"product_id":"$product","polcy":"enabled"}]}`,
		`{"default":"enabled","products":[{"product_id":"$product","policy":"enabled"},{"product_id":"$product","policy":"disabled"}]}`,
		`{"default":"enabled","products":{}}`, `{"default":1}`, `{}`)
}

func FuzzTestClockBody(f *testing.F) {
	fz := newFuzzServer(f)
	bt := &bodyTarget{method: "POST", path: "/api/v1/test-clock", token: fz.admin, fields: []string{"now"}}
	bt.after = func(t *testing.T, ts *testServer, res response) {
		if res.status == 200 { // the move may have outlived the session
			bt.token = ts.login("astrid@nordvik.example")
		}
	}
	fz.fuzzBody(f, bt,
		`{"now":"2026-11-23T10:00:00Z"}`, `{"now":"2026-11-24T09:00:00+01:00"}`, `{"now":"2026-11-25T09:00:00.123456789Z"}`,
		`{"now":"2026-11-22T09:00:00Z"}`, `{"now":"9999-12-31T23:59:59-23:59"}`, `{"now":"2026-11-24"}`, `{"now":"tomorrow"}`, `{"now":""}`, `{"now":1}`,
		`{"now":"2026-11-24T09:00:00Z","run":true}`, `{}`)
}

func FuzzAddPersonBody(f *testing.F) {
	fz := newFuzzServer(f)
	fz.fuzzBody(f, &bodyTarget{method: "POST", path: "/api/v1/admin/users", token: fz.admin,
		view: "/api/v1/admin/users?limit=200", fields: []string{"name", "email", "type", "role"}},
		`{"name":"Nora Nyberg","email":"nora@nordvik.example"}`,
		`{"name":"Gäst Två","email":"gast2@partner.example","type":"guest"}`,
		`{"name":"Ada Admin","email":"ada@nordvik.example","type":"member","role":"admin"}`,
		`{"name":"","email":"x@nordvik.example"}`, `{"name":"X","email":"erik@nordvik.example"}`,
		`{"name":"X","email":"not an email"}`, `{"name":"X","email":"x@nordvik.example","type":"owner"}`,
		`{"name":"X","email":"x@nordvik.example","role":"root"}`, `{"name":"X","emial":"x@nordvik.example"}`,
		`{"name":1,"email":"x@nordvik.example"}`, `{}`)
}

func FuzzUpdatePersonBody(f *testing.F) {
	fz := newFuzzServer(f)
	path := fz.ids.Replace("/api/v1/admin/users/$member")
	fz.fuzzBody(f, &bodyTarget{method: "PATCH", path: path, token: fz.admin,
		view: "/api/v1/admin/users?limit=200", fields: []string{"name", "type", "role", "status"}},
		`{"name":"Anna Lind"}`, `{"type":"guest"}`, `{"type":"member"}`, `{"role":"admin"}`, `{"role":"user"}`,
		`{"status":"disabled"}`, `{"status":"active"}`, `{"name":""}`, `{"type":"owner"}`, `{"status":"gone"}`,
		`{"role":"root"}`, `{"nmae":"X"}`, `{"name":null}`, `{}`)
}

func FuzzPasswordResetBody(f *testing.F) {
	fz := newFuzzServer(f)
	fz.fuzzBody(f, &bodyTarget{method: "POST", path: "/api/v1/password-reset", fields: []string{"email"}},
		`{"email":"erik@nordvik.example"}`, `{"email":"nobody@nordvik.example"}`, `{"email":"not an email"}`,
		`{"email":""}`, `{"email":1}`, `{"mail":"erik@nordvik.example"}`, `{}`)
}

func FuzzUpdateOrganizationBody(f *testing.F) {
	fz := newFuzzServer(f)
	path := "/api/v1/admin/organization"
	fz.fuzzBody(f, &bodyTarget{method: "PATCH", path: path, token: fz.admin, view: path,
		fields: []string{"name", "country", "currency", "vat_id", "address", "locale", "support_email", "domains"}},
		`{"name":"Nordvik Group AB"}`, `{"support_email":"it@nordvik.example"}`, `{"domains":["nordvik.example","nordvik.se"]}`,
		`{"vat_id":"SE 5566 7788 9901"}`, `{"locale":"de"}`, `{"currency":"EUR"}`, `{"country":"NO"}`,
		`{"address":{"line1":"Storgatan 1","city":"Stockholm","postal_code":"111 22","country":"SE"}}`,
		`{"domains":["harbor.example"]}`, `{"domains":["not a domain"]}`, `{"name":""}`, `{"locale":"fr"}`,
		`{"currency":"kr"}`, `{"support_email":"nope"}`, `{"adress":{}}`, `{"domains":"nordvik.se"}`, `{}`)
}

func FuzzChangePasswordBody(f *testing.F) {
	fz := newFuzzServer(f)
	bt := &bodyTarget{method: "POST", path: "/api/v1/password", token: fz.erik.token,
		fields: []string{"current_password", "new_password"}, secrets: []string{"current_password", "new_password"}}
	// Once an input changes it, later inputs meet a current password they
	// do not know: refused, and refusals change nothing.
	fz.fuzzBody(f, bt,
		`{"current_password":"wrong","new_password":"long enough now"}`, `{"current_password":"kassa-demo","new_password":"short"}`,
		`{"current_password":"","new_password":""}`, `{"current":"kassa-demo"}`, `{"current_password":1}`, `{}`)
}

// FuzzImportBody: whatever CSV is imported, the answer is documented; a
// refused file changes nothing; an accepted one lists each line, and each
// person it names is a user of the tenant afterwards.
func FuzzImportBody(f *testing.F) {
	fz := newFuzzServer(f)
	for _, s := range []string{"email,name\nnora@nordvik.example,Nora\n", "Email;Name;Type\ngast@partner.example;Gäst;guest\n",
		"email,name\nerik@nordvik.example,Erik\n", "email,name\nmike@harbor.example,Mike\n", "email,name\nbad,X\n",
		"email,name,role\nada@nordvik.example,Ada,admin\nADA@nordvik.example,Ada,user\n", "email\n", "", "email,name\n\"x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		ts := fz.on(t)
		before := fz.state(ts, fz.admin, "/api/v1/admin/users?limit=200")
		res := ts.do("POST", "/api/v1/admin/users/import", fz.admin, csvBody(in))
		switch {
		case res.status >= 400:
			if after := fz.state(ts, fz.admin, "/api/v1/admin/users?limit=200"); after != before {
				t.Fatalf("import answered %d %s, yet changed\n%v\nto\n%v", res.status, res.body, before, after)
			}
			if res.status != 422 && res.status != 400 {
				t.Fatalf("import answered %d %s", res.status, res.body)
			}
		default:
			var out importOut
			mustUnmarshal(t, res.body, &out)
			if len(out.Lines) == 0 || out.Added+out.Existing != len(out.Lines) {
				t.Fatalf("import answered %s", res.body)
			}
			for _, l := range out.Lines {
				var n int
				if err := fz.raw.QueryRow(`SELECT COUNT(*) FROM users u JOIN users a ON a.tenant_id = u.tenant_id
					WHERE u.email = $1 AND a.email = 'astrid@nordvik.example'`, l.Email).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 1 {
					t.Fatalf("line %d: %s is no user after the import: %s", l.Line, l.Email, res.body)
				}
			}
		}
	})
}

func FuzzCreateSCIMTokenBody(f *testing.F) {
	fz := newFuzzServer(f)
	fz.fuzzBody(f, &bodyTarget{method: "POST", path: "/api/v1/admin/scim-tokens", token: fz.admin,
		view: "/api/v1/admin/users?limit=1", fields: []string{"name"}},
		`{"name":"Entra ID"}`, `{"name":""}`, `{"name":"   "}`, `{"name":1}`, `{"nmae":"Okta"}`, `{}`,
		`{"name":"`+strings.Repeat("x", 201)+`"}`)
}

func FuzzSSOBody(f *testing.F) {
	fz := newFuzzServer(f)
	fz.fuzzBody(f, &bodyTarget{method: "PUT", path: "/api/v1/admin/sso", token: fz.admin,
		view: "/api/v1/admin/sso", fields: []string{"issuer", "client_id", "client_secret", "password_sign_in"},
		secrets: []string{"client_secret"}},
		`{"issuer":"https://127.0.0.1:1/tenant/v2.0","client_id":"kassa","client_secret":"s3cret-value"}`,
		`{"issuer":"http://127.0.0.1:1/","client_id":"kassa","client_secret":"s3cret-value","password_sign_in":false}`,
		`{"issuer":"http://idp.example.com/","client_id":"kassa","client_secret":"x"}`, `{"issuer":"","client_id":"","client_secret":""}`,
		`{"issuer":"ftp://x","client_id":"a","client_secret":"b"}`, `{"issuer":1}`, `{"issuer":"https://x","password_sign_in":"no"}`, `{}`)
}
