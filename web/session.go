package web

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/locale"
)

// maxFormBytes bounds the body of a form.
const maxFormBytes = 1 << 20

// LoginPage is the sign-in form. It asks for the email first, as Entra ID
// and Okta do: an email of an organization that signs in through its
// identity provider goes there, any other is asked for its password next.
// "Sign in with a password instead" opens the password form at once (an
// admin's way in when the provider is down). Errors are translated and
// shown beside their field; Email keeps what was typed, the password never
// comes back.
type LoginPage struct {
	Layout
	Email         string
	Next          string
	WithPassword  bool // the password step; else the email step
	EmailError    string
	PasswordError string
	FormError     string
}

// formActions lets the email step's redirect reach the organization's
// identity provider: an https issuer, or an http one on the loopback host
// (kassa.SSO.Check), whichever organization's it is.
func (*LoginPage) formActions() string {
	return "'self' https: http://localhost:* http://127.0.0.1:*"
}

// PasswordURL is the sign-in page's password form, leading to Next.
func (p *LoginPage) PasswordURL() string {
	if u := loginURL(p.Next); u != "/login" {
		return u + "&password=1"
	}
	return "/login?password=1"
}

func (*LoginPage) template() string { return "login.html" }

func (s *server) loginForm(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := s.authenticate(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	p := s.loginPage(r, next)
	if r.URL.Query().Has("password") {
		p.WithPassword = true
		p.Path = p.PasswordURL()
	}
	return s.render(w, http.StatusOK, p)
}

func (s *server) loginPage(r *http.Request, next string) *LoginPage {
	p := &LoginPage{Layout: s.layout(r, msg("login.title")), Next: next}
	p.Path = loginURL(next) // the language switch keeps where to go next
	return p
}

// login takes either step of the sign-in form: an email alone (the email
// step, whose form has no password field) or an email and a password.

func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p := s.loginPage(r, safeNext(r.PostForm.Get("next")))
	p.Email = strings.TrimSpace(r.PostForm.Get("email"))
	password := r.PostForm.Get("password")
	p.WithPassword = r.PostForm.Has("password")
	switch _, err := kassa.NormalizeEmail("email", p.Email); {
	case p.Email == "":
		p.EmailError = p.T("login.error.email_required")
	case err != nil:
		p.EmailError = p.T("login.error.email_invalid")
	}
	if !p.WithPassword {
		if p.EmailError != "" {
			return s.render(w, http.StatusUnprocessableEntity, p)
		}
		if s.sso != nil {
			// The organization's identity provider, if it has one.
			to, err := s.sso.Begin(r.Context(), p.Email, s.base(r), p.Next)
			switch kassa.ErrorCode(err) {
			case "":
				http.Redirect(w, r, to, http.StatusSeeOther)
				return nil
			case kassa.Invalid: // the provider cannot be read now
				p.FormError = p.tr.Error(err)
				return s.render(w, http.StatusBadGateway, p)
			case kassa.NotFound: // passwords, then
			default:
				return err
			}
		}
		p.WithPassword, p.Path = true, p.PasswordURL()
		return s.render(w, http.StatusOK, p)
	}
	p.Path = p.PasswordURL()
	if password == "" {
		p.PasswordError = p.T("login.error.password_required")
	}
	if p.EmailError != "" || p.PasswordError != "" {
		return s.render(w, http.StatusUnprocessableEntity, p)
	}

	token, _, err := s.auth.Login(r.Context(), p.Email, password, clientAddr(r), auth.KindWeb)
	switch kassa.ErrorCode(err) {
	case "":
		setCookie(w, r, &http.Cookie{Name: auth.CookieName, Value: token})
		http.Redirect(w, r, p.Next, http.StatusSeeOther)
		return nil
	case kassa.RateLimited:
		p.FormError = p.T("login.error.rate_limited", "Minutes", int(auth.Window.Minutes()))
		return s.render(w, http.StatusTooManyRequests, p)
	case kassa.Unauthorized:
		p.PasswordError = p.T("login.error.wrong")
		if errors.Is(err, auth.ErrDisabled) {
			p.FormError = p.T("login.error.disabled")
			p.PasswordError = ""
		}
		if errors.Is(err, auth.ErrPasswordSignInClosed) {
			p.FormError, p.PasswordError = p.tr.Error(err), ""
		}
		return s.render(w, http.StatusUnprocessableEntity, p)
	case kassa.Invalid:
		if kassa.ErrorField(err) == "password" {
			p.PasswordError = p.T("login.error.password_required")
		} else {
			p.EmailError = p.T("login.error.email_invalid")
		}
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	return err
}

// oidcCallback completes a sign-in through the organization's identity
// provider: a session and on to where the person was going, or the
// sign-in page saying why nobody was signed in.
func (s *server) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	noStore(w)
	if s.sso == nil {
		return kassa.E(kassa.NotFound, "error.page.not_found")
	}
	q := r.URL.Query()
	p := s.loginPage(r, "/")
	if e := q.Get("error"); e != "" {
		reason := q.Get("error_description")
		if reason == "" {
			reason = e
		}
		s.sso.Cancel(r.Context(), q.Get("state"))
		p.FormError = p.T("error.sso.denied", "Reason", reason)
		return s.render(w, http.StatusUnauthorized, p)
	}
	token, next, err := s.sso.Finish(r.Context(), q.Get("state"), q.Get("code"), s.base(r))
	switch code := kassa.ErrorCode(err); code {
	case "":
		setCookie(w, r, &http.Cookie{Name: auth.CookieName, Value: token})
		http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
		return nil
	case kassa.NotFound, kassa.Unauthorized, kassa.Forbidden, kassa.Invalid:
		if code == kassa.Unauthorized {
			s.log.WarnContext(r.Context(), "sign-in through the identity provider refused", "err", err)
		}
		p.FormError = p.tr.Error(err)
		return s.render(w, map[kassa.Code]int{kassa.NotFound: http.StatusNotFound, kassa.Unauthorized: http.StatusUnauthorized,
			kassa.Forbidden: http.StatusForbidden, kassa.Invalid: http.StatusBadGateway}[code], p)
	}
	return err
}

func (s *server) logout(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if c, err := r.Cookie(auth.CookieName); err == nil {
		if err := s.auth.Logout(r.Context(), c.Value); err != nil {
			return err
		}
		clearSessionCookie(w, r)
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// setLanguage remembers the language chosen with the switch for a year and
// goes back to the page it was chosen on.
func (s *server) setLanguage(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	lang := r.PostForm.Get("lang")
	if !locale.Valid(lang) {
		return kassa.InvalidE("lang", "error.language.invalid", "Languages", strings.Join(locale.Supported, ", "))
	}
	setCookie(w, r, &http.Cookie{Name: langCookie, Value: lang, MaxAge: int((365 * 24 * time.Hour).Seconds())})
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
	return nil
}

// authenticate returns who the request's session cookie signs in.
// Errors: Unauthorized without a live web session.
func (s *server) authenticate(r *http.Request) (*kassa.Actor, error) {
	c, err := r.Cookie(auth.CookieName)
	if err != nil || c.Value == "" {
		return nil, kassa.E(kassa.Unauthorized, "error.session.sign_in")
	}
	return s.auth.Authenticate(r.Context(), c.Value, auth.KindWeb)
}

// parseForm reads a posted form of at most maxFormBytes. Its text must be
// UTF-8 without U+0000, which PostgreSQL cannot store; browsers send no
// other.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return kassa.E(kassa.BadRequest, "error.form.too_large")
		}
		return kassa.E(kassa.BadRequest, "error.form.unreadable")
	}
	for name, values := range r.Form {
		if !storable(name) || slices.ContainsFunc(values, func(v string) bool { return !storable(v) }) {
			return kassa.E(kassa.BadRequest, "error.form.text")
		}
	}
	return nil
}

// storable reports whether storage can keep s: PostgreSQL takes UTF-8
// without U+0000.
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// setCookie sets a cookie for the whole site that scripts cannot read, that
// other sites' forms do not send, and that travels only over HTTPS when the
// page came over HTTPS. A cookie without MaxAge ends with the browser
// session, before the web session's 12-hour lifetime at the latest.
func setCookie(w http.ResponseWriter, r *http.Request, c *http.Cookie) {
	c.Path = "/"
	c.HttpOnly = true
	c.SameSite = http.SameSiteLaxMode
	c.Secure = r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
	http.SetCookie(w, c)
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	setCookie(w, r, &http.Cookie{Name: auth.CookieName, Value: "", MaxAge: -1})
}

// safeNext returns next when it is a path on this site, else "/": a link to
// /login?next=//evil.example must not send anyone elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsFunc(next, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

// loginURL is the sign-in page that leads to next afterwards.
func loginURL(next string) string {
	if next == "" || next == "/" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}

// clientAddr is the address sign-in failures are counted by.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
