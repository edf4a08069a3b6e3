// Package sso signs people in through their organization's identity
// provider with OpenID Connect (SPEC §8): the authorization code flow with
// PKCE (S256), state and nonce. The ID token's signature (the provider's
// JWKS), issuer, audience, expiry and nonce are checked by
// github.com/coreos/go-oidc; its email counts only when the provider says
// it is verified (from the ID token, else from the userinfo endpoint). The
// person is found by the provider's subject once linked, the first time by
// that verified email, among the active people of the tenant: nobody is
// made on the fly. A state is kept only as its SHA-256, is used once, and
// lasts ten minutes.
package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/sqldb"
)

// CallbackPath is where the provider sends people back, under the base URL.
const CallbackPath = "/login/oidc/callback"

// loginLifetime is how long a sign-in may stay at the provider.
const loginLifetime = 10 * time.Minute

// providerTrust is how long a provider's discovery document is kept.
const providerTrust = time.Hour

// Service signs people in through their tenants' identity providers.
type Service struct {
	db    *sqldb.DB
	auth  *auth.Auth
	clock kassa.Clock
	// Client makes the requests to providers (discovery, token, keys,
	// userinfo); nil for http.DefaultClient.
	Client *http.Client

	mu        sync.Mutex
	providers map[string]cachedProvider
}

type cachedProvider struct {
	p     *oidc.Provider
	until time.Time
}

// New returns the service.
func New(db *sqldb.DB, a *auth.Auth, clock kassa.Clock) *Service {
	return &Service{db: db, auth: a, clock: clock, providers: map[string]cachedProvider{}}
}

func (s *Service) context(ctx context.Context) context.Context {
	if s.Client != nil {
		return oidc.ClientContext(ctx, s.Client)
	}
	return ctx
}

// provider reads the issuer's discovery document, or takes it from the
// last hour's.
func (s *Service) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	s.mu.Lock()
	c, ok := s.providers[issuer]
	s.mu.Unlock()
	if ok && time.Now().Before(c.until) {
		return c.p, nil
	}
	p, err := oidc.NewProvider(s.context(ctx), issuer)
	if err != nil {
		return nil, kassa.InvalidE("issuer", "error.sso.discovery", "Reason", err.Error())
	}
	s.mu.Lock()
	s.providers[issuer] = cachedProvider{p: p, until: time.Now().Add(providerTrust)}
	s.mu.Unlock()
	return p, nil
}

// Check reads the issuer's discovery document, as saving the settings
// requires. Errors: Invalid naming the issuer, with the reason.
func (s *Service) Check(ctx context.Context, issuer string) error {
	s.mu.Lock()
	delete(s.providers, issuer) // read it afresh
	s.mu.Unlock()
	_, err := s.provider(ctx, issuer)
	return err
}

func (s *Service) config(p *oidc.Provider, sso *kassa.SSO, base string) *oauth2.Config {
	return &oauth2.Config{ClientID: sso.ClientID, ClientSecret: sso.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: base + CallbackPath, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Begin starts the sign-in of the person with the email at their
// tenant's provider and returns where to send them; base is kassa's base
// URL, next where to go once signed in. Errors: NotFound when the email's
// domain signs in with passwords; Invalid when the provider cannot be
// read.
func (s *Service) Begin(ctx context.Context, email, base, next string) (string, error) {
	tenantID, sso, err := s.db.SSOForEmail(ctx, email)
	if err != nil {
		return "", err
	}
	p, err := s.provider(ctx, sso.Issuer)
	if err != nil {
		return "", err
	}
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	if err := s.db.CreateSSOLogin(ctx, auth.HashToken(state), sqldb.SSOLogin{TenantID: tenantID, Nonce: nonce,
		Verifier: verifier, Next: next, ExpiresAt: s.clock.Now().Add(loginLifetime)}); err != nil {
		return "", err
	}
	return s.config(p, sso, base).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce),
		oauth2.SetAuthURLParam("login_hint", email)), nil
}

// Cancel spends the state of a sign-in the provider refused, so that it
// cannot be used after that.
func (s *Service) Cancel(ctx context.Context, state string) {
	if state != "" && len(state) <= 200 {
		_, _ = s.db.TakeSSOLogin(ctx, auth.HashToken(state))
	}
}

// claims are what kassa reads of an ID token or the userinfo answer.
type claims struct {
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"` // a boolean, or "true" from some providers
}

func (c claims) verified() bool {
	switch v := c.EmailVerified.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// Finish completes a sign-in the provider sent back with state and code
// (the callback's query) and returns a web session's token and where to go.
// Errors: NotFound (error.sso.state) for a state unknown, used or expired;
// Unauthorized (error.sso.provider) when the provider's answer cannot be
// trusted (the code, the PKCE verifier, the ID token's signature, issuer,
// audience, expiry or nonce); NotFound (error.sso.unknown_person) for a
// person who is none of the tenant's; Forbidden for a disabled one.
func (s *Service) Finish(ctx context.Context, state, code, base string) (string, string, error) {
	if state == "" || len(state) > 200 {
		return "", "", kassa.E(kassa.NotFound, "error.sso.state")
	}
	login, err := s.db.TakeSSOLogin(ctx, auth.HashToken(state))
	if err != nil {
		return "", "", err
	}
	sso, err := s.db.SSOOfTenant(ctx, login.TenantID)
	if err != nil {
		return "", "", err
	}
	p, err := s.provider(ctx, sso.Issuer)
	if err != nil {
		return "", "", err
	}
	untrusted := func(what string, err error) error {
		// The cause is for the log; people read that nobody was signed in.
		return fmt.Errorf("%s: %v: %w", what, err, kassa.E(kassa.Unauthorized, "error.sso.provider"))
	}
	ctx = s.context(ctx)
	cfg := s.config(p, sso, base)
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(login.Verifier))
	if err != nil {
		return "", "", untrusted("exchange the code", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idToken, err := p.Verifier(&oidc.Config{ClientID: sso.ClientID}).Verify(ctx, raw)
	if err != nil {
		return "", "", untrusted("verify the ID token", err)
	}
	if idToken.Nonce != login.Nonce { // go-oidc leaves the nonce to its caller
		return "", "", untrusted("check the nonce", fmt.Errorf("nonce %q", idToken.Nonce))
	}
	var c claims
	if err := idToken.Claims(&c); err != nil {
		return "", "", untrusted("read the ID token", err)
	}
	if c.Email == "" {
		// Some providers put the email in the userinfo answer alone.
		info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return "", "", untrusted("read userinfo", err)
		}
		if info.Subject != idToken.Subject {
			return "", "", untrusted("read userinfo", fmt.Errorf("subject %q, not %q", info.Subject, idToken.Subject))
		}
		if err := info.Claims(&c); err != nil {
			return "", "", untrusted("read userinfo", err)
		}
	}
	email := ""
	if c.verified() {
		email = c.Email
	}
	u, t, err := s.db.SSOUser(ctx, login.TenantID, idToken.Subject, email)
	if err != nil {
		return "", "", err
	}
	token, _, err := s.auth.StartSession(ctx, u, t, auth.KindWeb)
	return token, login.Next, err
}
