package web

import (
	"net/http"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/sqldb"
)

// SetPasswordPage is where a one-time link leads: an invitation to set a
// first password, or a reset of a forgotten one. It says whose account it
// is; a link that cannot be used says so and offers nothing to fill in.
// The passwords typed never come back.
type SetPasswordPage struct {
	Layout
	Action        string
	Heading       string // "Welcome to kassa" or "Choose a new password"
	Intro         string
	Name, Email   string
	Organization  string
	Unusable      bool // the link was used, expired or altered
	PasswordError string
	ConfirmError  string
}

func (*SetPasswordPage) template() string { return "set_password.html" }

// purposes are the one-time links the page serves, by the path they come
// under.
var purposes = map[string]string{"invitation": sqldb.TokenInvitation, "reset-password": sqldb.TokenReset}

// setPasswordPage reads the link r names, and whose it is.
func (s *server) setPasswordPage(r *http.Request) (*SetPasswordPage, string, string) {
	kind, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	purpose := purposes[kind]
	title, intro := msg("password.welcome"), msg("password.welcome.intro")
	if purpose == sqldb.TokenReset {
		title, intro = msg("password.reset.title"), msg("password.reset.intro")
	}
	p := &SetPasswordPage{Layout: s.layout(r, title), Action: "/" + kind + "/" + r.PathValue("token")}
	p.Heading, p.Intro = p.Title, p.T(intro)
	p.Path = r.URL.Path // the language switch comes back to the link, on this site alone
	u, t, err := s.auth.LinkUser(r.Context(), r.PathValue("token"), purpose)
	if err != nil {
		p.Unusable = true
		return p, purpose, ""
	}
	p.Name, p.Email, p.Organization = u.Name, u.Email, t.Name
	return p, purpose, r.PathValue("token")
}

func (s *server) setPasswordForm(w http.ResponseWriter, r *http.Request) error {
	noStore(w)
	p, _, _ := s.setPasswordPage(r)
	status := http.StatusOK
	if p.Unusable {
		status = http.StatusNotFound
	}
	return s.render(w, status, p)
}

// setPassword sets the password of the link's account, spends the link and
// signs the person in.
func (s *server) setPassword(w http.ResponseWriter, r *http.Request) error {
	noStore(w)
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, purpose, token := s.setPasswordPage(r)
	if p.Unusable {
		return s.render(w, http.StatusNotFound, p)
	}
	password, confirm := r.PostForm.Get("password"), r.PostForm.Get("confirm")
	switch {
	case password == "":
		p.PasswordError = p.T("password.error.required")
	case auth.CheckPassword("password", password) != nil:
		p.PasswordError = p.T("password.error.length", "Min", auth.MinPassword, "Max", auth.MaxPassword)
	case confirm != password:
		p.ConfirmError = p.T("password.error.confirm")
	}
	if p.PasswordError != "" || p.ConfirmError != "" {
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	session, _, err := s.auth.UseLink(r.Context(), token, purpose, password, auth.KindWeb)
	switch kassa.ErrorCode(err) {
	case "":
		setCookie(w, r, &http.Cookie{Name: auth.CookieName, Value: session})
		http.Redirect(w, r, productsPath+"?done=password_set", http.StatusSeeOther)
		return nil
	case kassa.NotFound: // used meanwhile, in another tab
		p.Unusable = true
		return s.render(w, http.StatusNotFound, p)
	case kassa.Invalid:
		p.PasswordError = p.T("password.error.length", "Min", auth.MinPassword, "Max", auth.MaxPassword)
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	return err
}

// noStore keeps a page whose address holds a secret out of caches.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

// ForgotPasswordPage asks for the address of an account whose password is
// forgotten, and once sent says that a link is on its way if the address
// has an account: it never tells whether it has.
type ForgotPasswordPage struct {
	Layout
	Email      string
	EmailError string
	FormError  string
	Sent       bool
}

func (*ForgotPasswordPage) template() string { return "forgot_password.html" }

func (s *server) forgotPasswordForm(w http.ResponseWriter, r *http.Request) error {
	p := &ForgotPasswordPage{Layout: s.layout(r, msg("password.forgot.title"))}
	return s.render(w, http.StatusOK, p)
}

func (s *server) forgotPassword(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p := &ForgotPasswordPage{Layout: s.layout(r, msg("password.forgot.title"))}
	p.Email = strings.TrimSpace(r.PostForm.Get("email"))
	err := s.auth.RequestReset(r.Context(), p.Email, clientAddr(r))
	switch kassa.ErrorCode(err) {
	case "":
		p.Sent = true
		return s.render(w, http.StatusOK, p)
	case kassa.Invalid:
		p.EmailError = p.T("login.error.email_invalid")
		return s.render(w, http.StatusUnprocessableEntity, p)
	case kassa.RateLimited:
		p.FormError = p.T("login.error.rate_limited", "Minutes", int(auth.Window.Minutes()))
		return s.render(w, http.StatusTooManyRequests, p)
	}
	return err
}
