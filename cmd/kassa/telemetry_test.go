package main

import (
	"bufio"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// otlpReceiver is an OpenTelemetry collector's OTLP/HTTP traces endpoint,
// enough for a test: it decodes each export (protobuf) and keeps its spans.
type otlpReceiver struct {
	srv *httptest.Server

	mu    sync.Mutex
	spans []receivedSpan
	bad   []string
}

type receivedSpan struct {
	service, name string
	trace, id     string // hex
	parent        string
	links         []string // the span ids it links to
	attrs         map[string]string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	o := &otlpReceiver{}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		o.mu.Lock()
		defer o.mu.Unlock()
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(body, &req) != nil {
			o.bad = append(o.bad, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		for _, rs := range req.ResourceSpans {
			service := ""
			for _, a := range rs.GetResource().GetAttributes() {
				if a.Key == "service.name" {
					service = a.Value.GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					sp := receivedSpan{service: service, name: s.Name, trace: hex(s.TraceId), id: hex(s.SpanId),
						parent: hex(s.ParentSpanId), attrs: map[string]string{}}
					for _, l := range s.Links {
						sp.links = append(sp.links, hex(l.SpanId))
					}
					for _, a := range s.Attributes {
						sp.attrs[a.Key] = a.Value.String()
					}
					o.spans = append(o.spans, sp)
				}
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		_, _ = w.Write(b)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func hex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func (o *otlpReceiver) received() []receivedSpan {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.spans)
}

// TestMetricsAndTraces runs kassa with KASSA_METRICS_ADDR and
// OTEL_EXPORTER_OTLP_ENDPOINT set, under the load of purchases,
// assignments, a billing run and webhook deliveries, and checks that
//   - the metrics listener serves every family, with route patterns (never
//     raw paths or ids) as labels, and the main listener does not;
//   - the OTLP receiver gets the spans of requests (named by route), of
//     commit groups linked to and from the writes in them, of gateway
//     calls, of webhook deliveries and of billing runs, all of service
//     kassa.
func TestMetricsAndTraces(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs kassa")
	}
	dsn := sqldbtest.DSN(t)
	ledger := t.TempDir() + "/ledger.jsonl"
	loadDemo(t, dsn, ledger)
	bin := buildKassa(t)
	traces := newOTLPReceiver(t)
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hooks.Close)
	metricsAddr := "127.0.0.1:" + freePort(t)
	srv := newKassaServer(t, bin, dsn, ledger)
	srv.env = []string{"KASSA_METRICS_ADDR=" + metricsAddr, "OTEL_EXPORTER_OTLP_ENDPOINT=" + traces.srv.URL,
		"OTEL_SERVICE_NAME=kassa-test", "OTEL_BSP_SCHEDULE_DELAY=100"}
	srv.start(t)
	base := srv.url()
	w := newWorkload(t, base)
	apiCall(t, base, "POST", "/api/v1/admin/webhooks", w.tokens.tokens[admin],
		map[string]any{"url": hooks.URL + "/kassa", "events": []string{kassa.WebhookAll}}, nil)

	c := newAPIClient(base, w.tokens)
	ctx, cancel := context.WithCancel(t.Context())
	var load sync.WaitGroup
	for i := range 2 {
		load.Go(func() { w.run(ctx, c, rand.New(rand.NewPCG(uint64(i), 2))) })
	}
	for deadline := time.Now().Add(2 * time.Minute); w.answered() < 60; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the load got no answers")
		}
	}
	cancel()
	load.Wait()
	if !w.advance(t.Context(), []*apiClient{c}, 40*24*time.Hour) { // renewals: a billing run
		t.Fatal("the test clock did not answer")
	}

	// The metrics, once every family has something to say (the webhook
	// worker and the span exporter work on their own time).
	families := []string{
		"kassa_http_requests_total", "kassa_http_request_duration_seconds",
		"kassa_db_commit_groups_total", "kassa_db_commit_group_size", "kassa_db_commit_wait_seconds", "kassa_db_commit_group_duration_seconds",
		"kassa_outbox_pending", "kassa_outbox_oldest_pending_age_seconds",
		"kassa_webhook_deliveries_pending", "kassa_webhook_oldest_pending_age_seconds",
		"kassa_webhook_attempts_total", "kassa_webhook_attempt_duration_seconds",
		"kassa_billing_runs_total", "kassa_billing_run_duration_seconds",
		"kassa_billing_pieces_due_total", "kassa_billing_pieces_done_total", "kassa_billing_pieces_failed_total",
		"kassa_gateway_calls_total", "kassa_gateway_call_duration_seconds",
		"kassa_sessions", "go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes",
	}
	var samples map[string][]string // family → its samples' label sets
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		samples = scrape(t, "http://"+metricsAddr+"/metrics")
		missing := slices.DeleteFunc(slices.Clone(families), func(f string) bool { return len(samples[f]) > 0 })
		if len(missing) == 0 && slices.ContainsFunc(samples["kassa_webhook_attempts_total"], func(l string) bool {
			return strings.Contains(l, `outcome="delivered"`)
		}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the metrics lack %v; they have %v", missing, samples["kassa_webhook_attempts_total"])
		}
	}
	wantLabels := map[string]*regexp.Regexp{
		"kassa_http_requests_total":    regexp.MustCompile(`^\{code="\d{3}",method="[A-Z]+",route="[^"]*"\}$`),
		"kassa_db_commit_groups_total": regexp.MustCompile(`^\{engine="(sqlite|postgres)"\}$`),
		"kassa_gateway_calls_total":    regexp.MustCompile(`^\{operation="[a-z_]+",outcome="(ok|declined|requires_action|error)"\}$`),
		"kassa_webhook_attempts_total": regexp.MustCompile(`^\{outcome="(delivered|refused|failed)"\}$`),
		"kassa_billing_runs_total":     regexp.MustCompile(`^\{outcome="(ok|error)"\}$`),
		"kassa_sessions":               regexp.MustCompile(`^\{kind="(web|api)"\}$`),
	}
	for family, re := range wantLabels {
		for _, l := range samples[family] {
			if !re.MatchString(l) {
				t.Errorf("%s has the labels %s", family, l)
			}
		}
	}
	// Routes are the patterns the muxes matched: bounded, never an id.
	var routes []string
	for _, l := range samples["kassa_http_requests_total"] {
		route := l[strings.Index(l, `route="`)+7 : len(l)-2]
		routes = append(routes, route)
		if strings.Contains(route, "sub_") || strings.Contains(route, "usr_") || strings.Contains(route, "?") {
			t.Errorf("a route label holds an id or a query: %s", l)
		}
	}
	for _, want := range []string{"POST /api/v1/subscriptions", "POST /api/v1/subscriptions/{id}/licenses", "POST /api/v1/test-clock", "GET /healthz"} {
		if !slices.Contains(routes, want) {
			t.Errorf("no requests counted for the route %q; routes: %v", want, routes)
		}
	}
	if !slices.ContainsFunc(samples["kassa_gateway_calls_total"], func(l string) bool { return strings.Contains(l, `operation="charge"`) }) {
		t.Errorf("no charges counted: %v", samples["kassa_gateway_calls_total"])
	}
	// The main listener does not serve them (/metrics is one of the pages'
	// paths there: a stranger is asked to sign in).
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(body), "kassa_http_requests_total") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("the main listener answers /metrics with %d:\n%.300s", res.StatusCode, body)
	}

	// The traces.
	var spans []receivedSpan
	var missing []string
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		spans = traces.received()
		missing = missingSpans(spans)
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the traces lack %v (%d spans came; refused: %v)", missing, len(spans), traces.bad)
		}
	}
	byID := map[string]receivedSpan{}
	for _, s := range spans {
		byID[s.id] = s
		if s.service != "kassa-test" {
			t.Fatalf("a span of service %q", s.service)
		}
	}
	// A purchase's request span holds its write, which is linked to its
	// group, whose span links back to it.
	linked := 0
	for _, s := range spans {
		if s.name != "sqldb.write" || len(s.links) != 1 {
			continue
		}
		group, ok := byID[s.links[0]]
		if !ok || group.name != "sqldb.commit_group" || !slices.Contains(group.links, s.id) {
			t.Errorf("write %s links to %+v", s.id, group)
			continue
		}
		if parent, ok := byID[s.parent]; ok && strings.HasPrefix(parent.name, "POST /api/v1/subscriptions") {
			linked++
		}
	}
	if linked == 0 {
		t.Error("no purchase's write is linked to its commit group")
	}
	t.Logf("%d spans; %d writes of purchases linked to their groups; %d metric families", len(spans), linked, len(samples))
}

// missingSpans says which of the spans the test waits for have not come.
func missingSpans(spans []receivedSpan) []string {
	want := map[string]func(receivedSpan) bool{
		"a purchase's request": func(s receivedSpan) bool {
			return s.name == "POST /api/v1/subscriptions" && s.attrs["http.route"] != "" && s.attrs["kassa.request_id"] != ""
		},
		"sqldb.write":        func(s receivedSpan) bool { return s.name == "sqldb.write" && len(s.links) == 1 },
		"sqldb.commit_group": func(s receivedSpan) bool { return s.name == "sqldb.commit_group" && len(s.links) > 0 },
		"gateway.charge":     func(s receivedSpan) bool { return s.name == "gateway.charge" && s.parent != "" },
		"webhook.deliver":    func(s receivedSpan) bool { return s.name == "webhook.deliver" },
		"billing.run":        func(s receivedSpan) bool { return s.name == "billing.run" },
	}
	var missing []string
	for what, ok := range want {
		if !slices.ContainsFunc(spans, ok) {
			missing = append(missing, what)
		}
	}
	slices.Sort(missing)
	return missing
}

// scrape reads a Prometheus text exposition: each family's samples' label
// sets ("{a="1",b="2"}", "" for none), histograms' under the family's
// name (their _bucket, _sum and _count samples).
func scrape(t *testing.T, url string) map[string][]string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	out := map[string][]string{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, " ")
		labels := ""
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name, labels = line[:i], line[i:strings.LastIndexByte(line, '}')+1]
		}
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && strings.HasSuffix(base, "_seconds") || ok && strings.HasSuffix(base, "_size") {
				name = base
			}
		}
		out[name] = append(out[name], labels)
	}
	return out
}
