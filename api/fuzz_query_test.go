package api

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
	"github.com/kassa-billing/kassa/sqldb"
)

// queryTarget is a GET route that reads query parameters, as a fuzz target
// sends it its inputs.
type queryTarget struct {
	path, token string
	params      []string // the parameters it reads: a 422 names one of them
	// check, when set, checks a 200 JSON answer against the parameters.
	check func(t *testing.T, q url.Values, body []byte)
}

// fuzzQuery fuzzes qt's query string, starting from the seeds. Whatever
// the query, the answer passes checkAnswer and nothing changes.
func (fz *fuzzServer) fuzzQuery(f *testing.F, qt queryTarget, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ts := fz.on(t)
		query := queryOf(fz.ids.Replace(in))
		before := fz.state(ts, "", "")
		res := ts.doRaw("GET", qt.path+"?"+query, qt.token, nil)
		fz.checkAnswer(t, "GET", qt.path, res, qt.params, nil)
		if after := fz.state(ts, "", ""); after != before {
			t.Fatalf("GET %s?%s changed\n%v\nto\n%v", qt.path, query, before, after)
		}
		if res.status == 200 && qt.check != nil && strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
			q, _ := url.ParseQuery(query) // as r.URL.Query() reads it
			qt.check(t, q, res.body)
		}
	})
}

// queryOf makes s a query a request line can carry: bytes a URL may not
// hold as they are are escaped, while '&', '=', '+' and '%' stay, so that
// inputs still make parameters and escapes of their own.
func queryOf(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~!$'()*,&=+%:@/?", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// limitOf is the page size the query asks for, or def.
func limitOf(q url.Values, def int) int {
	if n, err := strconv.Atoi(q.Get("limit")); err == nil {
		return n
	}
	return def
}

func FuzzUsersQuery(f *testing.F) {
	fz := newFuzzServer(f)
	fz.fuzzQuery(f, queryTarget{path: "/api/v1/users", token: fz.erik.token, params: []string{"search", "limit", "cursor"},
		check: func(t *testing.T, q url.Values, body []byte) {
			var l userList
			mustUnmarshal(t, body, &l)
			if len(l.Data) > limitOf(q, sqldb.DefaultUserLimit) {
				t.Fatalf("%d users for %v", len(l.Data), q)
			}
			for _, u := range l.Data {
				if u.Status != "active" || u.Type != "member" && u.Type != "guest" {
					t.Fatalf("listed %+v for %v", u, q)
				}
			}
		}},
		``, `search=erik`, `search=Ö`, `search=gast@`, `search=%C3%A5sa&limit=5`, `search=+&limit=1`, `limit=200`,
		`limit=0`, `limit=201`, `limit=-1`, `limit=1e3`, `limit=7&cursor=x`, `cursor=%ZZ`, `cursor=YQBiAGM`, `cursor=_wB4`,
		`search=%FF%00`, `search=a&search=b`)
}

func FuzzSubscriptionsQuery(f *testing.F) {
	fz := newFuzzServer(f)
	fz.loadHistory()
	fz.fuzzQuery(f, queryTarget{path: "/api/v1/subscriptions", token: fz.admin, params: []string{"channel", "status", "limit", "cursor"},
		check: func(t *testing.T, q url.Values, body []byte) {
			var l struct{ Data []subscriptionOut }
			mustUnmarshal(t, body, &l)
			for _, s := range l.Data {
				if c := q.Get("channel"); c != "" && s.Channel != c || q.Get("status") != "" && s.Status != q.Get("status") {
					t.Fatalf("listed a %s %s subscription for %v", s.Channel, s.Status, q)
				}
			}
		}},
		``, `channel=self_service`, `channel=admin&status=active`, `status=canceled`, `status=pending`, `channel=Admin`,
		`status=`, `channel=self_service&channel=admin`, `status=active%00`)
}

// invoiceRef is an invoice as the fuzz targets compare lists.
type invoiceRef struct {
	ID       string
	IssuedAt time.Time `json:"issued_at"`
}

func FuzzInvoicesQuery(f *testing.F) {
	fz := newFuzzServer(f)
	fz.loadHistory()
	var all struct{ Data []invoiceRef }
	mustUnmarshal(f, fz.do("GET", "/api/v1/invoices?period=custom&from=0001-01-01&to=9999-12-30", fz.erik.token, nil).body, &all)
	fz.fuzzQuery(f, queryTarget{path: "/api/v1/invoices", token: fz.erik.token, params: []string{"period", "from", "to", "format"},
		check: func(t *testing.T, q url.Values, body []byte) {
			// Exactly the invoices issued in the period.
			p, err := kassa.InvoicePeriod(q.Get("period"), q.Get("from"), q.Get("to"), fz.clock.Now())
			want := slices.DeleteFunc(slices.Clone(all.Data), func(inv invoiceRef) bool {
				return inv.IssuedAt.Before(p.From) || !p.To.IsZero() && !inv.IssuedAt.Before(p.To)
			})
			var got struct{ Data []invoiceRef }
			mustUnmarshal(t, body, &got)
			if err != nil || !slices.Equal(got.Data, want) {
				t.Fatalf("listed %d invoices for %v, want %d of %d (%+v, %v)", len(got.Data), q, len(want), len(all.Data), p, err)
			}
		}},
		``, `period=past_3_months`, `period=past_6_months&format=csv`, `period=custom&from=2026-01-01&to=2026-11-23`,
		`period=custom&from=2026-01-01&to=2026-11-23&format=csv`, `period=custom&from=2026-11-23&to=2026-01-01`,
		`period=custom&from=0000-01-01&to=9999-12-31`, `period=custom&from=2026-02-30&to=2026-03-01`,
		`period=custom&from=2026-1-1&to=2026-12-31`, `period=custom`, `period=year`, `format=xml`, `format=CSV`)
}

func FuzzQuantityPreviewQuery(f *testing.F) {
	fz := newFuzzServer(f)
	sub := fz.subscriptionPath(3, fz.ids.Replace("$member"), fz.ids.Replace("$colleague"))
	fz.fuzzQuery(f, queryTarget{path: sub + "/quantity-preview", token: fz.erik.token, params: []string{"quantity"},
		check: func(t *testing.T, q url.Values, body []byte) {
			var p struct{ Quantity int }
			mustUnmarshal(t, body, &p)
			if n, err := strconv.Atoi(q.Get("quantity")); err != nil || p.Quantity != n || n < 1 || n > kassa.MaxQuantity {
				t.Fatalf("previewed %s for %v", body, q)
			}
		}},
		`quantity=5`, `quantity=3`, `quantity=2`, `quantity=1`, `quantity=0`, `quantity=10000`, `quantity=10001`,
		`quantity=-5`, `quantity=+4`, `quantity=4.0`, `quantity=9223372036854775807`, `quantity=`, ``)
}

func FuzzSelfServicePurchasesQuery(f *testing.F) {
	fz := newFuzzServer(f)
	fz.loadHistory()
	fz.subscriptionPath(4, fz.ids.Replace("$member"))
	fz.fuzzQuery(f, queryTarget{path: "/api/v1/admin/self-service-subscriptions", token: fz.admin,
		params: []string{"search", "sort", "order", "format", "limit", "cursor"},
		check: func(t *testing.T, q url.Values, body []byte) {
			var l purchaseList
			mustUnmarshal(t, body, &l)
			if len(l.Data) > limitOf(q, defaultPurchaseLimit) {
				t.Fatalf("%d rows for %v", len(l.Data), q)
			}
			order := func(a, b purchaseOut) int { return cmp.Compare(a.Quantity, b.Quantity) }
			if q.Get("order") == "desc" {
				order = func(a, b purchaseOut) int { return cmp.Compare(b.Quantity, a.Quantity) }
			}
			if q.Get("sort") == kassa.SortQuantity && !slices.IsSortedFunc(l.Data, order) {
				t.Fatalf("rows not in order for %v: %s", q, body)
			}
		}},
		``, `search=erik`, `search=analytics&sort=quantity&order=desc`, `sort=expires_at`, `sort=purchase_price&order=asc`,
		`format=csv`, `format=csv&search=%3D1%2B1`, `limit=1`, `limit=1&cursor=1`, `cursor=-1`, `cursor=99999999999999999999`,
		`limit=201`, `sort=name`, `order=up`, `format=pdf`)
}

// auditRef is an audit event as the fuzz targets compare lists.
type auditRef struct {
	Seq    int64
	At     time.Time
	Action string
	Actor  *struct{ ID string }
	Object struct{ Type, ID string }
}

// belongs reports whether the audit log's answer to q holds e (paging
// aside).
func (e auditRef) belongs(q url.Values) bool {
	from, _ := queryTime(q.Get("from"), "from")
	to, _ := queryTime(q.Get("to"), "to")
	cursor, _ := strconv.ParseInt(q.Get("cursor"), 10, 64)
	action, actor := q.Get("action"), q.Get("actor_id")
	return (cursor == 0 || e.Seq < cursor) && !e.At.Before(from) && (to.IsZero() || e.At.Before(to)) &&
		(action == "" || e.Action == action || strings.HasSuffix(action, ".") && len(e.Action) >= len(action) &&
			e.Action[:len(action)] == action) &&
		(q.Get("object_type") == "" || e.Object.Type == q.Get("object_type")) &&
		(q.Get("object_id") == "" || e.Object.ID == q.Get("object_id")) &&
		(actor == "" || e.Actor != nil && e.Actor.ID == actor)
}

func FuzzAuditLogQuery(f *testing.F) {
	fz := newFuzzServer(f)
	fz.loadHistory()
	fz.subscriptionPath(2, fz.ids.Replace("$member"))
	var all struct {
		Data       []auditRef
		NextCursor *string `json:"next_cursor"`
	}
	mustUnmarshal(f, fz.do("GET", "/api/v1/admin/audit-log?limit=500", fz.admin, nil).body, &all)
	if all.NextCursor != nil {
		f.Fatal("the demo has more than 500 audit events: page through them")
	}
	fz.fuzzQuery(f, queryTarget{path: "/api/v1/admin/audit-log", token: fz.admin,
		params: []string{"actor_id", "action", "object_type", "object_id", "from", "to", "limit", "cursor"},
		check: func(t *testing.T, q url.Values, body []byte) {
			// Exactly the newest events the filter selects, a page of them.
			want := slices.DeleteFunc(slices.Clone(all.Data), func(e auditRef) bool {
				return !e.belongs(q)
			})
			want = want[:min(len(want), limitOf(q, defaultAuditLimit))]
			var got struct{ Data []auditRef }
			mustUnmarshal(t, body, &got)
			seqs := func(es []auditRef) []int64 {
				var s []int64
				for _, e := range es {
					s = append(s, e.Seq)
				}
				return s
			}
			if !slices.Equal(seqs(got.Data), seqs(want)) {
				t.Fatalf("the answer to %v holds events %v, want %v", q, seqs(got.Data), seqs(want))
			}
		}},
		``, `action=subscription.`, `action=SUBSCRIPTION.`, `action=license.assigned&object_type=subscription`,
		`actor_id=$member`, `object_id=x`, `action=%25.`, `action=_.`, `actor_id=%00`, `object_type=%FF`, `action=%C3.`,
		`from=2026-11-23&to=2026-11-24`, `from=2026-11-23T09:00:00Z&to=2026-11-23T09:00:00%2B01:00`, `from=0000-01-01`,
		`to=9999-12-31T23:59:59-23:59`, `from=yesterday`, `to=2026-13-01`, `limit=500`, `limit=501`, `limit=2&cursor=3`,
		`cursor=0`, `cursor=9223372036854775807`)
}

// FuzzQueryTime checks the parser of the audit log's from and to: a
// time it accepts is in UTC, a date is its midnight, the time written
// back in RFC 3339 reads the same, and a refusal names the field.
func FuzzQueryTime(f *testing.F) {
	for _, s := range []string{"", "2026-11-24", "2026-11-24T09:00:00Z", "2026-11-24T09:00:00.5+01:00", "2026-02-30",
		"0000-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "yesterday", "2026-11-24 09:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := queryTime(s, "from")
		if err != nil {
			if kassa.ErrorCode(err) != kassa.Invalid || kassa.ErrorField(err) != "from" || !strings.Contains(locale.In("en").Error(err), "from") {
				t.Fatalf("queryTime(%q) err = %v", s, err)
			}
			return
		}
		if s == "" {
			if !got.IsZero() {
				t.Fatalf(`queryTime("") = %v`, got)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("queryTime(%q) = %v, not in UTC", s, got)
		}
		if d, err := time.Parse(time.DateOnly, s); err == nil && !got.Equal(d) {
			t.Fatalf("queryTime(%q) = %v, want the date's midnight", s, got)
		}
		if again, err := queryTime(got.Format(time.RFC3339Nano), "from"); err != nil || !again.Equal(got) {
			t.Fatalf("queryTime(%q) = %v, but that written back reads %v, %v", s, got, again, err)
		}
	})
}
