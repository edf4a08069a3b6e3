package stripe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// mockURL is the address of the stripe-mock that TestMain started, or ""
// with mockErr saying why there is none.
var (
	mockURL string
	mockErr error
)

func TestMain(m *testing.M) {
	stop, err := startStripeMock()
	if err != nil {
		mockErr = err
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

// findStripeMock looks for the binary on PATH, then where go install puts
// it: $(go env GOBIN), else $(go env GOPATH)/bin.
func findStripeMock() (string, error) {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("stripe-mock is not on PATH, and go env failed: %w", err)
	}
	gobin, gopath, _ := strings.Cut(string(out), "\n") // GOBIN's line may be empty
	gopath = strings.TrimSpace(gopath)
	dirs := []string{gobin}
	for _, dir := range filepath.SplitList(gopath) {
		dirs = append(dirs, filepath.Join(dir, "bin"))
	}
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		if p := filepath.Join(dir, "stripe-mock"); isExecutable(p) {
			return p, nil
		}
	}
	return "", errors.New("stripe-mock is not on PATH, in GOBIN or in GOPATH/bin; run scripts/install-stripe-mock")
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// startStripeMock starts stripe-mock on loopback ports it picks itself (so
// that no other process can take them between choosing and binding), reads
// the HTTP address it prints, and waits until it answers.
func startStripeMock() (stop func(), err error) {
	bin, err := findStripeMock()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}

	addr := make(chan string, 1)
	go func() {
		const prefix = "Listening for HTTP at address: "
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), prefix); ok {
				addr <- a
				break
			}
		}
		// stripe-mock logs each request with its parameters: drain them
		// unseen, so that it never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case a := <-addr:
		mockURL = "http://" + a
	case <-time.After(2 * time.Minute):
		stop()
		return nil, errors.New("stripe-mock printed no HTTP address in 30s")
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequest("GET", mockURL+"/v1/customers/cus_123", nil)
		req.SetBasicAuth(testKey, "")
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("stripe-mock at %s does not answer: %v", mockURL, err)
		}
	}
}

const testKey = "sk_test_123"

// needMock returns stripe-mock's address, skipping the test when there is
// none, or failing it when KASSA_REQUIRE_STRIPE_MOCK=1.
func needMock(t *testing.T) string {
	t.Helper()
	if mockURL != "" {
		return mockURL
	}
	if os.Getenv("KASSA_REQUIRE_STRIPE_MOCK") == "1" {
		t.Fatalf("stripe-mock is required (KASSA_REQUIRE_STRIPE_MOCK=1): %v", mockErr)
	}
	t.Skipf("skipping: %v", mockErr)
	return ""
}

// request is one request the recorder saw.
type request struct {
	Method, Path   string
	IdempotencyKey string
	Form           url.Values
}

// recorder is a RoundTripper that records each request's method, path,
// Idempotency-Key and form body before passing it on. edit, when set,
// changes the JSON answers (stripe-mock answers with fixed fixtures: a
// PaymentIntent that never succeeded, a Checkout Session that is open), so
// that a test can show the adapter reading another state.
type recorder struct {
	mu       sync.Mutex
	requests []request
	edit     func(path string, obj map[string]any)
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := request{Method: req.Method, Path: req.URL.Path, IdempotencyKey: req.Header.Get("Idempotency-Key")}
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		if rec.Form, err = url.ParseQuery(string(body)); err != nil {
			return nil, fmt.Errorf("recorder: body of %s %s is no form: %w", req.Method, req.URL.Path, err)
		}
	}
	if len(rec.Form) == 0 {
		rec.Form = req.URL.Query()
	}
	r.mu.Lock()
	r.requests = append(r.requests, rec)
	edit := r.edit
	r.mu.Unlock()

	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || edit == nil || res.StatusCode != http.StatusOK {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, err
	}
	edit(req.URL.Path, obj)
	if body, err = json.Marshal(obj); err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	res.ContentLength = int64(len(body))
	res.Header.Del("Content-Length")
	return res, nil
}

// setEdit sets how answers are changed; nil leaves them as they come.
func (r *recorder) setEdit(edit func(path string, obj map[string]any)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.edit = edit
}

// paymentStatus makes PaymentIntents answer with the status, and with a
// redirect to the bank for requires_action.
func paymentStatus(status string) func(string, map[string]any) {
	return func(path string, obj map[string]any) {
		if obj["object"] != "payment_intent" {
			return
		}
		obj["status"] = status
		if status == "requires_action" {
			obj["next_action"] = map[string]any{"type": "redirect_to_url",
				"redirect_to_url": map[string]any{"url": "https://hooks.stripe.com/3d_secure_2/hosted?x=1", "return_url": "https://kassa.example/back"}}
		}
	}
}

func (r *recorder) all() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.requests...)
}

// mockGateway returns a Gateway talking to stripe-mock through a recorder,
// logging at debug level into the returned buffer.
func mockGateway(t *testing.T) (*Gateway, *recorder, *syncBuffer) {
	t.Helper()
	base := needMock(t)
	rec := &recorder{}
	logs := &syncBuffer{}
	g, err := New(Config{
		Key:        testKey,
		BaseURL:    base,
		HTTPClient: &http.Client{Transport: rec, Timeout: time.Minute},
		Log:        slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return g, rec, logs
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
