package auth

import (
	"context"
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
	return a.db.AppOfToken(ctx, HashToken(token))
}
