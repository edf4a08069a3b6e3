package auth

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/kassa-billing/kassa"
)

// AppTokenLife is how long an app's access token lasts: Entra's hour, told
// as expires_in 3599.
const AppTokenLife = time.Hour

// NewApp registers an app with the admin's tenant and returns it with its
// first client secret: shown this once, only its SHA-256 kept (a secret is
// 256 random bits, which no hash's speed makes guessable). Errors: those of
// sqldb.CreateApp.
func (a *Auth) NewApp(ctx context.Context, app *kassa.App) (*kassa.AppSecret, string, error) {
	secret, hash := newToken()
	s, err := a.db.CreateApp(ctx, app, hash, secret[:3])
	if err != nil {
		return nil, "", err
	}
	return s, secret, nil
}

// NewAppSecret gives an app of the admin's tenant another client secret,
// shown this once. Errors: those of sqldb.AddAppSecret.
func (a *Auth) NewAppSecret(ctx context.Context, appID string) (*kassa.AppSecret, string, error) {
	secret, hash := newToken()
	s, err := a.db.AddAppSecret(ctx, appID, hash, secret[:3])
	if err != nil {
		return nil, "", err
	}
	return s, secret, nil
}

// AppToken signs an app in with the client credentials grant: the tenant's
// directory id, the app's client id and one of its secrets. It returns an
// access token (only its SHA-256 kept) and how long it lasts. Failed
// attempts count against the client id as failed sign-ins do. Errors:
// Unauthorized (invalid_client), RateLimited.
func (a *Auth) AppToken(ctx context.Context, directoryID, clientID, secret, clientAddr string) (string, time.Duration, error) {
	now := a.clock.Now()
	keys := []string{"app:" + clientID, "address:" + clientAddr}
	if err := a.checkThrottle(ctx, keys, now); err != nil {
		return "", 0, err
	}
	token, hash := newToken()
	_, err := a.db.IssueAppToken(ctx, directoryID, clientID, HashToken(secret), hash, now.Add(AppTokenLife))
	if kassa.ErrorCode(err) == kassa.Unauthorized {
		if cerr := a.count(ctx, keys, now); cerr != nil {
			return "", 0, cerr
		}
		a.log.Info("app sign-in failed", "client", keys[0], "address", keys[1])
	}
	if err != nil {
		return "", 0, err
	}
	return token, AppTokenLife, nil
}

// AuthenticateApp returns the app an access token signs in and its
// tenant. Errors: Unauthorized.
func (a *Auth) AuthenticateApp(ctx context.Context, token string) (*kassa.App, *kassa.Tenant, error) {
	if token == "" {
		return nil, nil, kassa.E(kassa.Unauthorized, "error.app.token")
	}
	hash := HashToken(token)
	if app, t, ok := a.apps.get(hash); ok {
		return app, t, nil
	}
	app, t, err := a.db.AppOfToken(ctx, hash)
	if err != nil {
		return nil, nil, err
	}
	a.apps.put(hash, app, t)
	return app, t, nil
}

// DeleteApp deletes one of the admin's tenant's apps: its tokens are
// refused at once in this process, and within cacheFor in others.
// Errors: as sqldb's DeleteApp.
func (a *Auth) DeleteApp(ctx context.Context, id string) error {
	if err := a.db.DeleteApp(ctx, id); err != nil {
		return err
	}
	a.apps.forget(id)
	return nil
}

// appCache remembers, for cacheFor of the wall clock, the app and tenant
// of each token read: an app's busy sync then costs no query a request for
// its token (which may then be honoured up to cacheFor past its hour). A
// deleted app's token is forgotten here at once (DeleteApp),
// and refused by other processes within cacheFor.
type appCache struct {
	mu      sync.Mutex
	entries map[string]cachedApp
}

type cachedApp struct {
	app    kassa.App
	tenant kassa.Tenant
	until  time.Time
}

func (c *appCache) get(hash string) (*kassa.App, *kassa.Tenant, bool) {
	c.mu.Lock()
	e, ok := c.entries[hash]
	c.mu.Unlock()
	if !ok || !time.Now().Before(e.until) {
		return nil, nil, false
	}
	app, t := e.app, e.tenant
	app.Permissions = slices.Clone(app.Permissions)
	return &app, &t, true
}

func (c *appCache) put(hash string, app *kassa.App, t *kassa.Tenant) {
	e := cachedApp{app: *app, tenant: *t, until: time.Now().Add(cacheFor)}
	e.app.Permissions = slices.Clone(app.Permissions)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCached {
		c.entries = map[string]cachedApp{}
	}
	c.entries[hash] = e
}

func (c *appCache) forget(appID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.entries {
		if e.app.ID == appID {
			delete(c.entries, h)
		}
	}
}
