package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

func run(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	err := m.Run(ctx, args)
	return out.String(), err
}

func TestMigrateAndDemoAreIdempotent(t *testing.T) {
	t.Parallel()
	dsn := sqldbtest.DSN(t)
	for range 2 {
		if out, err := run(t, t.Context(), "migrate", "--db", dsn); err != nil {
			t.Fatalf("migrate: %v\n%s", err, out)
		}
	}
	out, err := run(t, t.Context(), "demo", "--db", dsn)
	if err != nil || !strings.Contains(out, "Loaded the demo data") || !strings.Contains(out, "erik@nordvik.example") {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	out, err = run(t, t.Context(), "demo", "--db", dsn)
	if err != nil || !strings.Contains(out, "there already") {
		t.Fatalf("second demo: %v\n%s", err, out)
	}
}

func TestBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"serve", "--db", "mysql://x"},
		{"serve", "--gateway", "paypal"},
		{"migrate", "--db", "sqlite:"},
		{"nonsense"},
	} {
		if _, err := run(t, t.Context(), args...); err == nil {
			t.Errorf("kassa %v succeeded", args)
		}
	}
}

func TestServeDemoInProcess(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" },
		Ready: func(addr string) { ready <- addr }}
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--db", sqldbtest.DSN(t)})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve ended: %v\n%s", err, out.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("serve did not start")
	}
	// The server listens; /healthz answers once the database does, which a
	// busy machine may delay.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz: %v %v", res, err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve after cancel: %v", err)
	}
	if !strings.Contains(out.String(), "/login") || !strings.Contains(out.String(), "kassa-demo") {
		t.Errorf("serve --demo did not say where to sign in:\n%s", out.String())
	}
}

// TestServeBinary builds kassa, starts `serve --demo` on an empty SQLite
// file, waits for /healthz and stops it with SIGTERM. It logs the cold start
// to /healthz (the figure in the README).
func TestServeBinary(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "kassa")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := "127.0.0.1:" + freePort(t)
	cmd := exec.Command(bin, "serve", "--demo", "--addr", addr, "--db", "sqlite:"+filepath.Join(dir, "kassa.db"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("no /healthz after 2 minutes:\n%s", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("cold start to /healthz with the demo loaded: %v", time.Since(start).Round(time.Millisecond))

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- cmd.Wait() }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, out.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("no exit 20 s after SIGTERM")
	}
	if !strings.Contains(out.String(), "shutting down") {
		t.Errorf("no graceful shutdown in the log:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "kassa.db")); err != nil {
		t.Error(err)
	}
}
