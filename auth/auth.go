package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// Session kinds.
const (
	KindAPI = "api" // bearer token from POST /api/v1/login
	KindWeb = "web" // browser cookie
)

// How long sessions last, by kind: idle is the longest gap between uses,
// lifetime the longest a session lasts however busy.
var timeouts = map[string]struct{ idle, lifetime time.Duration }{
	KindWeb: {idle: 2 * time.Hour, lifetime: 12 * time.Hour},
	KindAPI: {idle: 30 * 24 * time.Hour, lifetime: 90 * 24 * time.Hour},
}

// touchEvery is how stale a session's last use may be before it is written
// again: each request need not be a write.
const touchEvery = time.Minute

// Sign-in throttling: within one window, an account may fail AccountLimit
// times and a client address AddressLimit times before further attempts are
// refused until the window ends.
const (
	Window       = 15 * time.Minute
	AccountLimit = 5
	AddressLimit = 20
)

// ErrDisabled is what Login answers a disabled user who gave the right
// password, so that pages can say so in their own language.
var ErrDisabled = kassa.E(kassa.Unauthorized, "error.login.disabled")

// ErrPasswordSignInClosed is what Login answers the right password of a
// user whose tenant signs in through its identity provider only.
var ErrPasswordSignInClosed = kassa.E(kassa.Unauthorized, "error.login.sso_only")

// StartSession makes a session of the kind for a user another system has
// vouched for (the organization's identity provider, package sso), and
// returns its token and the signed-in actor.
func (a *Auth) StartSession(ctx context.Context, u *kassa.User, t *kassa.Tenant, kind string) (string, *kassa.Actor, error) {
	return a.startSession(ctx, u, t, kind)
}

// Auth signs users in and out and recognises their sessions.
type Auth struct {
	db        *sqldb.DB
	clock     kassa.Clock
	log       *slog.Logger
	dummyHash string // verified against when the email is unknown, to take as long
	sessions  *sessionCache
	apps      appCache
}

// New returns an Auth on db.
func New(db *sqldb.DB, clock kassa.Clock, log *slog.Logger) (*Auth, error) {
	h, err := HashPassword("no user has this password")
	if err != nil {
		return nil, err
	}
	return &Auth{db: db, clock: clock, log: log, dummyHash: h, sessions: newSessionCache(cacheFor)}, nil
}

// Login checks the email and password and makes a session of the kind; it
// returns the session's token and who signed in. Errors: Invalid (a field is
// empty), Unauthorized (wrong email or password, disabled user), RateLimited.
func (a *Auth) Login(ctx context.Context, email, password, clientAddr, kind string) (string, *kassa.Actor, error) {
	if email == "" {
		return "", nil, kassa.InvalidE("email", "error.login.email_required")
	}
	if password == "" {
		return "", nil, kassa.InvalidE("password", "error.login.password_required")
	}
	email, err := kassa.NormalizeEmail("email", email)
	if err != nil {
		return "", nil, err
	}
	now := a.clock.Now()
	keys := []string{"account:" + email, "address:" + clientAddr}
	if err := a.checkThrottle(ctx, keys, now); err != nil {
		return "", nil, err
	}

	creds, err := a.db.FindCredentials(ctx, email)
	if err == nil && creds.PasswordHash == "" {
		// Invited, no password set yet: nothing can match, and it takes
		// as long as a wrong password.
		err = kassa.E(kassa.NotFound, "error.user.not_found", "User", email)
	}
	if kassa.ErrorCode(err) == kassa.NotFound {
		_, _ = VerifyPassword(a.dummyHash, password)
		return "", nil, a.fail(ctx, keys, now)
	} else if err != nil {
		return "", nil, err
	}
	ok, err := VerifyPassword(creds.PasswordHash, password)
	if err != nil {
		return "", nil, fmt.Errorf("sign in %s: %w", creds.User.ID, err)
	}
	if !ok {
		return "", nil, a.fail(ctx, keys, now)
	}
	if creds.User.Status != kassa.Active {
		return "", nil, ErrDisabled
	}
	// A tenant that signs in through its identity provider may keep
	// passwords for its admins alone (the way back in when the provider
	// is down).
	if !creds.User.IsAdmin() {
		closed, err := a.db.PasswordSignInClosed(ctx, creds.Tenant.ID)
		if err != nil {
			return "", nil, err
		}
		if closed {
			return "", nil, ErrPasswordSignInClosed
		}
	}
	if err := a.db.ClearLoginFailures(ctx, keys[0]); err != nil {
		return "", nil, err
	}
	return a.startSession(ctx, creds.User, creds.Tenant, kind)
}

// startSession makes a session of the kind for the user and returns its
// token and the signed-in actor.
func (a *Auth) startSession(ctx context.Context, u *kassa.User, t *kassa.Tenant, kind string) (string, *kassa.Actor, error) {
	now := a.clock.Now()
	token, hash := newToken()
	if err := a.db.CreateSession(ctx, &sqldb.Session{
		TokenHash: hash, UserID: u.ID, Kind: kind,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(timeouts[kind].lifetime),
	}); err != nil {
		return "", nil, err
	}
	return token, &kassa.Actor{User: u, Tenant: t}, nil
}

func (a *Auth) checkThrottle(ctx context.Context, keys []string, now time.Time) error {
	limits := []int{AccountLimit, AddressLimit}
	for i, key := range keys {
		n, err := a.db.LoginFailures(ctx, key, now.Add(-Window))
		if err != nil {
			return err
		}
		if n >= limits[i] {
			return kassa.E(kassa.RateLimited, "error.login.rate_limited", "Minutes", int(Window.Minutes()))
		}
	}
	return nil
}

func (a *Auth) fail(ctx context.Context, keys []string, now time.Time) error {
	if err := a.count(ctx, keys, now); err != nil {
		return err
	}
	a.log.Info("sign-in failed", "account", keys[0], "address", keys[1])
	return kassa.E(kassa.Unauthorized, "error.login.wrong")
}

// count counts an attempt against each throttle key.
func (a *Auth) count(ctx context.Context, keys []string, now time.Time) error {
	for _, key := range keys {
		if _, err := a.db.RecordLoginFailure(ctx, key, now, now.Add(-Window)); err != nil {
			return err
		}
	}
	return nil
}

// Authenticate returns who the token of a session of the kind signs in.
// Errors: Unauthorized when the token is unknown, expired or idle too long.
// A session read in the last second is not read again (cache.go).
func (a *Auth) Authenticate(ctx context.Context, token, kind string) (*kassa.Actor, error) {
	hash, wall := HashToken(token), time.Now()
	s, actor, ok := a.sessions.get(hash, wall)
	if !ok {
		var err error
		s, actor, err = a.db.FindSession(ctx, hash)
		if kassa.ErrorCode(err) == kassa.NotFound {
			return nil, kassa.E(kassa.Unauthorized, "error.session.sign_in")
		} else if err != nil {
			return nil, err
		}
		a.sessions.put(s, actor, wall)
	}
	now := a.clock.Now()
	t := timeouts[kind]
	if s.Kind != kind || !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) > t.idle {
		return nil, kassa.E(kassa.Unauthorized, "error.session.ended")
	}
	if now.Sub(s.LastSeenAt) > touchEvery {
		if err := a.db.TouchSession(ctx, s.TokenHash, now); err != nil {
			return nil, err
		}
		s.LastSeenAt = now
		a.sessions.put(s, actor, wall)
	}
	return actor, nil
}

// Logout ends the token's session, in this process at once.
func (a *Auth) Logout(ctx context.Context, token string) error {
	hash := HashToken(token)
	a.sessions.forget(hash, time.Now())
	return a.db.DeleteSession(ctx, hash)
}

// Sweep deletes sessions that can no longer be used.
func (a *Auth) Sweep(ctx context.Context) error {
	now := a.clock.Now()
	n, err := a.db.DeleteSessionsBefore(ctx, now, now.Add(-timeouts[KindAPI].idle))
	if err == nil && n > 0 {
		a.log.Debug("swept sessions", "count", n)
	}
	return err
}

func newToken() (token, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken is what kassa keeps of a token it made (a session, a one-time
// link, a SCIM token): its SHA-256, in hex.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CookieName is the name of the browser session cookie.
const CookieName = "kassa_session"
