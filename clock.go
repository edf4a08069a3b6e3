package kassa

import (
	"fmt"
	"sync"
	"time"
)

// Clock tells the time. Services read it once per operation and use that
// instant throughout, so one change never straddles two times.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock, in UTC at microsecond precision (what both
// databases keep).
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// TestClock is a clock that only moves when told to, and only forward. It
// backs `serve --test-clock` and tests.
type TestClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewTestClock returns a clock stopped at t.
func NewTestClock(t time.Time) *TestClock {
	return &TestClock{now: t.UTC().Truncate(time.Microsecond)}
}

// Now returns the clock's time.
func (c *TestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t; moving it backwards is an Invalid error.
func (c *TestClock) Set(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t = t.UTC().Truncate(time.Microsecond)
	if t.Before(c.now) {
		return InvalidE("now", "error.clock.backwards", "Time", c.now.Format(time.RFC3339))
	}
	c.now = t
	return nil
}

// String renders the clock for logs.
func (c *TestClock) String() string {
	return fmt.Sprintf("test clock at %s", c.Now().Format(time.RFC3339))
}
