package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

var (
	crashKills = flag.Int("crash.kills", 50, "how many times TestCrash kills kassa")
	crashSeed  = flag.Uint64("crash.seed", 0, "seed of TestCrash's kill schedule and load (0: a new one, logged)")
	// Cancellations within a term's first week refund at once: a kill
	// between the refund and its commit leaves a pending cancellation
	// that a retry or the reconciler finishes.
	crashRefunds = flag.Bool("crash.refunds", true, "TestCrash also cancels within a term's first week (a refund); false: only at term end")
)

// TestCrash runs `kassa serve --test-clock` as a child process under load —
// purchases and trials, quantity changes up and down, license assignments
// and unassignments, cancellations at the end of a term, and test-clock
// moves that renew subscriptions — and kills it with SIGKILL after a random
// 50–400 ms, again and again. Clients retry half of the requests of unknown
// outcome with the same Idempotency-Key after each restart, as a real
// client would; the reconciler finishes the rest at the end. Then the
// database and the simulator's ledger must agree on every charge, invoice
// and license (checkInvariants), and every event of the tenant must have
// reached its webhook endpoint at least once, a repeat only with the same
// webhook-id (requireHooksDelivered). The seed of the kill schedule is logged;
// -crash.seed replays the schedule (the load's interleaving is the
// machine's), -crash.kills sets how many kills.
func TestCrash(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills kassa many times")
	}
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill schedule seed %d (replay with -crash.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	start := time.Now()

	dsn := sqldbtest.DSN(t)
	ledger := filepath.Join(t.TempDir(), "ledger.jsonl")
	loadDemo(t, dsn, ledger)
	hooks := newHookReceiver(t)
	hookID, since := hookedTenant(t, dsn, hooks)
	srv := newKassaServer(t, buildKassa(t), dsn, ledger)
	srv.start(t)
	w := newWorkload(t, srv.url())
	w.refunds = *crashRefunds
	loop := time.Now()
	for kill := range *crashKills {
		if kill > 0 {
			srv.start(t)
		}
		c := newAPIClient(srv.url(), w.tokens)
		// Minutes pass while kassa is down: long enough for a retry to
		// take over the Idempotency-Key its dead request held.
		if !w.advance(t.Context(), []*apiClient{c}, 3*time.Minute) {
			t.Fatalf("kill %d: the restarted server does not answer", kill)
		}
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		seeds := [5]uint64{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}
		wg.Go(func() { w.retry(ctx, c, rand.New(rand.NewPCG(seeds[0], 0)), 0.5) })
		for i := 1; i <= 3; i++ {
			wg.Go(func() { w.run(ctx, c, rand.New(rand.NewPCG(seeds[i], 0))) })
		}
		// Now and then a few days pass: renewals run.
		if wait, days := time.Duration(rng.IntN(200))*time.Millisecond, rng.IntN(6); days > 0 {
			wg.Go(func() {
				select {
				case <-ctx.Done():
				case <-time.After(wait):
					w.advance(ctx, []*apiClient{c}, time.Duration(days)*24*time.Hour)
				}
			})
		}
		time.Sleep(time.Duration(50+rng.IntN(351)) * time.Millisecond)
		srv.kill(t)
		cancel()
		wg.Wait()
		c.close()
	}
	killed := time.Since(loop)

	// The last start: half of what is still unknown is retried, the
	// reconciler finishes the rest.
	srv.start(t)
	c := newAPIClient(srv.url(), w.tokens)
	w.advance(t.Context(), []*apiClient{c}, 3*time.Minute)
	w.retry(t.Context(), c, rng, 0.5)
	srv.stop(t)
	// A day later: payments left at the bank's page are given up.
	reconcile(t, dsn, ledger, w.clock().Add(billing.AuthenticationLife))
	w.report(t)
	requireInvariants(t, dsn, ledger)
	requireHooksDelivered(t, dsn, hookID, since, hooks)
	t.Logf("%d kills in %v; clock moved to %s; %v in all", *crashKills, killed.Round(time.Millisecond),
		w.clock().Format(time.DateOnly), time.Since(start).Round(time.Millisecond))
}

// kassaBinary is the kassa binary that the tests running it as a child
// process share: built once, removed by TestMain.
var kassaBinary struct {
	once      sync.Once
	dir, path string
	err       error
}

// buildKassa builds the kassa binary into a temporary directory, once.
func buildKassa(t *testing.T) string {
	t.Helper()
	b := &kassaBinary
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "kassa-bin-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "kassa")
		if out, err := exec.Command("go", "build", "-o", b.path, ".").CombinedOutput(); err != nil {
			b.err = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if kassaBinary.dir != "" {
		os.RemoveAll(kassaBinary.dir)
	}
	os.Exit(code)
}

// kassaServer is `kassa serve --test-clock` as a child process on one
// address, paying through the simulator with a ledger file, started again
// after each kill. Its output goes to a file, shown when the test fails.
type kassaServer struct {
	bin, dsn, ledger, addr string
	env                    []string // more of the environment ("KEY=value")
	out                    *os.File
	cmd                    *exec.Cmd
	exited                 chan struct{} // closed when cmd has ended; then exitErr is its end
	exitErr                error
}

func newKassaServer(t *testing.T, bin, dsn, ledger string) *kassaServer {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "kassa-*.log")
	if err != nil {
		t.Fatal(err)
	}
	s := &kassaServer{bin: bin, dsn: dsn, ledger: ledger, addr: "127.0.0.1:" + freePort(t), out: out}
	t.Cleanup(func() {
		if s.cmd != nil {
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			t.Logf("the end of %s's output:\n%s", s.addr, b)
		}
		out.Close()
	})
	return s
}

func (s *kassaServer) url() string { return "http://" + s.addr }

// start starts the server and waits until /healthz answers. A server that
// ends before it answers fails the test, unless its address was taken
// meanwhile by another process: then it starts again on a new one (the
// callers take url() after each start).
func (s *kassaServer) start(t *testing.T) {
	t.Helper()
	for {
		logged, err := s.out.Seek(0, io.SeekCurrent)
		if err != nil {
			t.Fatal(err)
		}
		s.cmd = exec.Command(s.bin, "serve", "--test-clock", "--addr", s.addr, "--db", s.dsn)
		// Webhooks reach the tests' receivers on 127.0.0.1.
		s.cmd.Env = append(kassaFreeEnv(), "KASSA_SIMULATOR_LEDGER="+s.ledger, "KASSA_WEBHOOK_ALLOW_PRIVATE=1")
		s.cmd.Env = append(s.cmd.Env, s.env...)
		s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
		if err := s.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		s.exited = make(chan struct{})
		go func(cmd *exec.Cmd, exited chan struct{}) {
			s.exitErr = cmd.Wait()
			close(exited)
		}(s.cmd, s.exited)
		if s.answers(t, logged) {
			return
		}
		s.cmd = nil
		b, _ := os.ReadFile(s.out.Name())
		if int64(len(b)) < logged || !bytes.Contains(b[logged:], []byte("address already in use")) {
			t.Fatalf("%s ended before it answered: %v", s.addr, s.exitErr)
		}
		t.Logf("%s was taken by another process; kassa starts again on a new address", s.addr)
		s.addr = "127.0.0.1:" + freePort(t)
	}
}

// answers waits until the server answers /healthz (true) or ends (false).
// Only an answer after kassa has said, in its output from logged on, that it
// listens counts: another process could hold the address.
func (s *kassaServer) answers(t *testing.T, logged int64) bool {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
		select {
		case <-s.exited:
			return false
		default:
		}
		if b, _ := os.ReadFile(s.out.Name()); int64(len(b)) > logged && bytes.Contains(b[logged:], []byte("kassa is serving at")) {
			res, err := http.Get(s.url() + "/healthz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return true
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /healthz from %s after 30 s", s.addr)
		}
	}
}

// kill kills the server with SIGKILL: nothing of it runs after this.
func (s *kassaServer) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.exited
	s.cmd = nil
}

// stop stops the server with SIGTERM, letting requests in flight finish.
func (s *kassaServer) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
		if s.exitErr != nil {
			t.Errorf("%s after SIGTERM: %v", s.addr, s.exitErr)
		}
	case <-time.After(2 * time.Minute):
		t.Errorf("%s did not stop within 20 s of SIGTERM", s.addr)
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// kassaFreeEnv is the test's environment without kassa's own variables
// and OpenTelemetry's, which would change how the child runs.
func kassaFreeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KASSA_") && !strings.HasPrefix(kv, "OTEL_") {
			env = append(env, kv)
		}
	}
	return env
}

// runKassa runs a kassa command as a child process to its end, with the
// simulator's ledger, and returns its output.
func runKassa(ctx context.Context, bin, ledger string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(kassaFreeEnv(), "KASSA_SIMULATOR_LEDGER="+ledger)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
