package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// handedOut holds the ports freePort has returned: the kernel may offer a
// port again once its listener is closed, and two servers of one test must
// not be given the same address.
var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago and
// that no earlier call returned.
func freePort(t *testing.T) string {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = map[int]bool{}
	}
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return strconv.Itoa(port)
		}
	}
}

// TestStartOnTakenAddress gives kassaServer an address another server holds
// and answers /healthz on, as when two tests' ports collide: start must not
// take the other's answer for kassa's, and starts kassa on a new address.
func TestStartOnTakenAddress(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs kassa")
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer other.Close()
	dsn := sqldbtest.DSN(t)
	ledger := filepath.Join(t.TempDir(), "ledger.jsonl")
	loadDemo(t, dsn, ledger)
	s := newKassaServer(t, buildKassa(t), dsn, ledger)
	s.addr = other.Listener.Addr().String()
	s.start(t)
	if s.addr == other.Listener.Addr().String() {
		t.Fatalf("kassa kept the taken address %s", s.addr)
	}
	res, err := http.Get(s.url() + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /api/v1/me without a token on %s: %d, want kassa's 401", s.addr, res.StatusCode)
	}
	s.stop(t)
}
