package stripe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
// Idempotency-Key and form body before passing it on. When succeed is set it
// rewrites a PaymentIntent's status to "succeeded", which stripe-mock's
// fixture never has.
type recorder struct {
	mu       sync.Mutex
	requests []request
	succeed  bool
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
	r.mu.Lock()
	r.requests = append(r.requests, rec)
	succeed := r.succeed
	r.mu.Unlock()

	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !succeed || req.URL.Path != "/v1/payment_intents" || res.StatusCode != http.StatusOK {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	body = fixtureStatus.ReplaceAll(body, []byte(`"status":"succeeded"`))
	res.Body = io.NopCloser(bytes.NewReader(body))
	res.ContentLength = int64(len(body))
	res.Header.Del("Content-Length")
	return res, nil
}

// fixtureStatus is the status of stripe-mock's PaymentIntent fixture; it
// prints JSON compactly except for curl.
var fixtureStatus = regexp.MustCompile(`"status":\s*"requires_payment_method"`)

func (r *recorder) setSucceed(v bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.succeed = v
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
