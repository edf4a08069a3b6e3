package auth

import (
	"sync"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// cacheFor is how long a process trusts a session it has read: a busy
// client's requests then cost no query each for their session. A sign-out
// through this process ends the session here at once; one through another
// process sharing the database, or a user disabled in the database by hand,
// takes up to cacheFor to be refused here.
const cacheFor = time.Second

// maxCached bounds how many sessions a process remembers.
const maxCached = 10_000

// sessionCache remembers sessions by token hash, each until a moment of the
// wall clock (not kassa's clock, which a test clock may stop).
type sessionCache struct {
	mu      sync.Mutex
	entries map[string]cachedSession
	ttl     time.Duration
}

type cachedSession struct {
	session sqldb.Session
	actor   kassa.Actor
	until   time.Time
	ended   bool // signed out here: not to be remembered again until until
}

func newSessionCache(ttl time.Duration) *sessionCache {
	return &sessionCache{entries: make(map[string]cachedSession), ttl: ttl}
}

// get returns a copy of the session and actor remembered for hash, if still
// trusted: callers may change what they are given.
func (c *sessionCache) get(hash string, now time.Time) (*sqldb.Session, *kassa.Actor, bool) {
	c.mu.Lock()
	e, ok := c.entries[hash]
	c.mu.Unlock()
	if !ok || e.ended || !now.Before(e.until) {
		return nil, nil, false
	}
	s, u, t := e.session, *e.actor.User, *e.actor.Tenant
	return &s, &kassa.Actor{User: &u, Tenant: &t}, true
}

// put remembers a copy of the session and actor.
func (c *sessionCache) put(s *sqldb.Session, a *kassa.Actor, now time.Time) {
	u, t := *a.User, *a.Tenant
	e := cachedSession{session: *s, actor: kassa.Actor{User: &u, Tenant: &t}, until: now.Add(c.ttl)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCached {
		for h, old := range c.entries {
			if !now.Before(old.until) {
				delete(c.entries, h)
			}
		}
		if len(c.entries) >= maxCached {
			clear(c.entries)
		}
	}
	if old, ok := c.entries[s.TokenHash]; ok && old.ended && now.Before(old.until) {
		return // a request that read the session before it ended
	}
	c.entries[s.TokenHash] = e
}

// forget drops the session with the token hash, and refuses to remember it
// again for a while: a request that read it just before it ended must not
// bring it back.
func (c *sessionCache) forget(hash string, now time.Time) {
	c.mu.Lock()
	c.entries[hash] = cachedSession{ended: true, until: now.Add(c.ttl)}
	c.mu.Unlock()
}

// forgetUser forgets every session of the user this process remembers: its
// sessions ended (a password set, the user disabled), and other processes
// find out within their cache's ttl.
func (c *sessionCache) forgetUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.entries {
		if !e.ended && e.session.UserID == userID {
			delete(c.entries, h)
		}
	}
}
