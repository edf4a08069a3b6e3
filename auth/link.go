package auth

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// How long a one-time link to set a password lasts: an invitation three
// days, as Microsoft's and GitHub's do; a reset an hour.
var linkLifetime = map[string]time.Duration{
	sqldb.TokenInvitation: 72 * time.Hour,
	sqldb.TokenReset:      time.Hour,
}

// Password rules (NIST SP 800-63B): long enough, not too long to hash, and
// any characters; no rules of composition.
const (
	MinPassword = 10
	MaxPassword = 256
)

// NewLink makes a one-time link token of the purpose (sqldb.TokenInvitation
// or sqldb.TokenReset) for the user: random, stored as its SHA-256 only,
// valid for linkLifetime. The token goes in the link and nowhere else.
func (a *Auth) NewLink(ctx context.Context, userID, purpose string) (string, error) {
	token, hash := newToken()
	if err := a.db.CreateUserToken(ctx, userID, purpose, hash, a.clock.Now().Add(linkLifetime[purpose])); err != nil {
		return "", err
	}
	return token, nil
}

// LinkUser returns whose a usable link token is; NotFound
// (error.token.unusable) for an unknown, used, expired or altered one.
func (a *Auth) LinkUser(ctx context.Context, token, purpose string) (*kassa.User, *kassa.Tenant, error) {
	if token == "" || len(token) > 100 {
		return nil, nil, kassa.E(kassa.NotFound, "error.token.unusable")
	}
	return a.db.FindUserByToken(ctx, HashToken(token), purpose)
}

// ForgetUser ends what this process remembers of the user's sessions: the
// database no longer has them (a user disabled), and other processes forget
// theirs within the cache's second.
func (a *Auth) ForgetUser(userID string) { a.sessions.forgetUser(userID) }

// CheckPassword checks a new password against the rules; field names it in
// the error.
func CheckPassword(field, password string) error {
	switch n := utf8.RuneCountInString(password); {
	case n < MinPassword:
		return kassa.InvalidE(field, "error.password.short", "Field", field, "Min", MinPassword)
	case n > MaxPassword:
		return kassa.InvalidE(field, "error.password.long", "Field", field, "Max", MaxPassword)
	}
	return nil
}

// UseLink sets the password of the link's user and spends the link (and
// any other link of theirs); the user's sessions end. It returns a new
// session of the kind for them, signed in, and who they are. Errors:
// Invalid (the password), NotFound (error.token.unusable).
func (a *Auth) UseLink(ctx context.Context, token, purpose, password, kind string) (string, *kassa.Actor, error) {
	if err := CheckPassword("password", password); err != nil {
		return "", nil, err
	}
	if token == "" || len(token) > 100 {
		return "", nil, kassa.E(kassa.NotFound, "error.token.unusable")
	}
	hash, err := HashPassword(password)
	if err != nil {
		return "", nil, err
	}
	u, err := a.db.UseUserToken(ctx, HashToken(token), purpose, hash)
	if err != nil {
		return "", nil, err
	}
	a.sessions.forgetUser(u.ID)
	t, err := a.db.FindTenantOf(ctx, u)
	if err != nil {
		return "", nil, err
	}
	return a.startSession(ctx, u, t, kind)
}

// RequestReset mails the person with the email a link to choose a new
// password, when there is such an active person; it says nothing of
// whether there is. It is throttled as sign-in is: within Window an address
// may ask AccountLimit times and a client AddressLimit times, then
// RateLimited until the window ends. Errors: Invalid (the email), RateLimited.
func (a *Auth) RequestReset(ctx context.Context, email, clientAddr string) error {
	email, err := kassa.NormalizeEmail("email", email)
	if err != nil {
		return err
	}
	now := a.clock.Now()
	keys := []string{"reset-account:" + email, "reset-address:" + clientAddr}
	if err := a.checkThrottle(ctx, keys, now); err != nil {
		return err
	}
	if err := a.count(ctx, keys, now); err != nil { // every request counts
		return err
	}
	return a.db.RequestPasswordReset(ctx, email)
}

// ChangePassword changes the signed-in user's password when current is
// their password now, and ends every other session of theirs; the session
// of token, which asked, goes on. Errors: Invalid (field current_password
// when it is wrong, new_password when it breaks the rules), RateLimited
// (wrong current passwords count as failed sign-ins).
func (a *Auth) ChangePassword(ctx context.Context, token, current, next string) error {
	actor := kassa.ActorFromContext(ctx)
	if actor == nil || actor.User == nil {
		return kassa.E(kassa.Unauthorized, "error.session.sign_in")
	}
	if err := CheckPassword("new_password", next); err != nil {
		return err
	}
	now := a.clock.Now()
	keys := []string{"account:" + actor.User.Email, "address:password-change"}
	if err := a.checkThrottle(ctx, keys, now); err != nil {
		return err
	}
	creds, err := a.db.FindCredentials(ctx, actor.User.Email)
	if err != nil {
		return err
	}
	if ok, err := VerifyPassword(creds.PasswordHash, current); err != nil || !ok {
		if err := a.count(ctx, keys, now); err != nil {
			return err
		}
		return kassa.InvalidE("current_password", "error.password.current")
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	if err := a.db.ChangePassword(ctx, actor.User.ID, hash, HashToken(token)); err != nil {
		return err
	}
	a.sessions.forgetUser(actor.User.ID)
	return nil
}

// NewSCIMToken makes a SCIM token for the admin's tenant, named name, and
// returns it with the token itself: shown this once, only its SHA-256
// kept. Errors: those of sqldb.CreateSCIMToken.
func (a *Auth) NewSCIMToken(ctx context.Context, name string) (*kassa.SCIMToken, string, error) {
	token, hash := newToken()
	t := &kassa.SCIMToken{Name: name}
	if err := a.db.CreateSCIMToken(ctx, t, hash); err != nil {
		return nil, "", err
	}
	return t, token, nil
}
