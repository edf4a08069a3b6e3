package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// client sends requests to one server over keep-alive connections, as
// many at once as there are workers.
type client struct {
	base string
	http *http.Client
}

func newClient(base string, conns int) *client {
	return &client{base: base, http: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
			IdleConnTimeout: time.Minute, DisableCompression: true,
		},
	}}
}

// do sends a request with the bearer token (when set) and body as JSON
// (when not nil), and returns the answer's status and body.
func (c *client) do(ctx context.Context, method, path, token string, body any, header ...string) (int, []byte, error) {
	if body == nil {
		return c.doRaw(ctx, method, path, token, "", nil, header...)
	}
	return c.doJSON(ctx, method, path, token, "application/json", body, header...)
}

// doJSON sends body as JSON of the content type.
func (c *client) doJSON(ctx context.Context, method, path, token, contentType string, body any, header ...string) (int, []byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	return c.doRaw(ctx, method, path, token, contentType, b, header...)
}

// doRaw is do with a body of the content type as it is.
func (c *client) doRaw(ctx context.Context, method, path, token, contentType string, body []byte, header ...string) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// outcome is what one piece of work came to.
type outcome int

const (
	done    outcome = iota // counted in the throughput
	refused                // an answer the phase expects but does not count (a full subscription)
	stop                   // the worker has no more work
)

// work does one piece of a phase's work as worker w. An error is a
// failure: an answer no correct server gives.
type work func(ctx context.Context, w int) (outcome, error)

// stats is what a phase measured.
type stats struct {
	Done, Refused, Failed int64
	Elapsed               time.Duration
	latencies             []time.Duration // of every request, sorted
	errors                []string        // the first few failures
}

// add counts o's work and time in s, as if measured in one go.
func (s *stats) add(o stats) {
	s.Done, s.Refused, s.Failed = s.Done+o.Done, s.Refused+o.Refused, s.Failed+o.Failed
	s.Elapsed += o.Elapsed
	s.latencies = append(s.latencies, o.latencies...)
	slices.Sort(s.latencies)
	s.errors = append(s.errors, o.errors...)[:min(len(s.errors)+len(o.errors), keptErrors)]
}

// perSecond returns the counted work per second.
func (s stats) perSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Done) / s.Elapsed.Seconds()
}

// quantile returns the q-quantile of the latencies in milliseconds.
func (s stats) quantile(q float64) float64 {
	if len(s.latencies) == 0 {
		return 0
	}
	i := min(len(s.latencies)-1, int(q*float64(len(s.latencies))))
	return float64(s.latencies[i].Microseconds()) / 1000
}

const keptErrors = 5

// runPhase runs fn on n workers until d has passed (each does one piece of
// work at least) or every worker stopped, and measures it, the work under
// way at the end included. Latencies are those of every piece of work.
func runPhase(ctx context.Context, n int, d time.Duration, fn work) stats {
	type tally struct {
		stats
		lat []time.Duration
	}
	tallies := make([]tally, n)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() {
			t := &tallies[w]
			// Work under way at the deadline finishes and counts: cut
			// off, the server would have done it without anyone knowing.
			// Each worker does at least one piece, so that a machine slow
			// to start the workers still measures something.
			for first := true; ctx.Err() == nil && (first || time.Now().Before(deadline)); first = false {
				began := time.Now()
				o, err := fn(ctx, w)
				t.lat = append(t.lat, time.Since(began))
				switch {
				case err != nil:
					t.Failed++
					if len(t.errors) < keptErrors {
						t.errors = append(t.errors, err.Error())
					}
				case o == done:
					t.Done++
				case o == refused:
					t.Refused++
				case o == stop:
					return
				}
			}
		})
	}
	wg.Wait()
	s := stats{Elapsed: time.Since(start)}
	for _, t := range tallies {
		s.Done += t.Done
		s.Refused += t.Refused
		s.Failed += t.Failed
		s.latencies = append(s.latencies, t.lat...)
		if len(s.errors) < keptErrors {
			s.errors = append(s.errors, t.errors...)
		}
	}
	slices.Sort(s.latencies)
	s.errors = s.errors[:min(len(s.errors), keptErrors)]
	return s
}

// expect turns an answer other than want into an error naming the request.
func expect(status int, body []byte, err error, want int, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if status != want {
		return fmt.Errorf("%s: %d %s", what, status, bytes.TrimSpace(body[:min(len(body), 200)]))
	}
	return nil
}

// lines GETs path with the token and counts the lines of the answer as
// they come.
func (c *client) lines(ctx context.Context, path, token string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return 0, fmt.Errorf("%d %s", resp.StatusCode, b)
	}
	var n int64
	buf := make([]byte, 64<<10)
	for {
		k, err := resp.Body.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
