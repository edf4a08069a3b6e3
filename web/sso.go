package web

import (
	"net/http"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sso"
)

// ssoPath is Admin › Single sign-on: the organization's identity provider
// (OpenID Connect) its people sign in through, and whether they may still
// use passwords.
const ssoPath = "/admin/single-sign-on"

// SSOPage is the form of the settings. The client secret is never shown:
// left empty when settings exist, the saved one stays.
type SSOPage struct {
	Layout
	On                       bool
	RedirectURI              string
	Issuer, ClientID, Secret Field
	PasswordSignIn           bool
	FormError, Notice        string
}

func (*SSOPage) template() string { return "sso.html" }

func (s *server) ssoPage(r *http.Request, c *kassa.SSO, on bool) *SSOPage {
	p := &SSOPage{Layout: s.layout(r, msg("nav.sso")), On: on, RedirectURI: s.base(r) + sso.CallbackPath,
		PasswordSignIn: c.PasswordSignIn}
	p.Issuer = Field{ID: "sso-issuer", Name: "issuer", Label: p.T("sso.issuer"), Hint: p.T("sso.issuer.hint"),
		Value: c.Issuer, Type: "url", MaxLength: 500, Autocomplete: "off", Required: true}
	p.ClientID = Field{ID: "sso-client-id", Name: "client_id", Label: p.T("sso.client_id"), Value: c.ClientID,
		MaxLength: 500, Autocomplete: "off", Required: true}
	hint := p.T("sso.client_secret.hint")
	if on {
		hint = p.T("sso.client_secret.keep")
	}
	p.Secret = Field{ID: "sso-client-secret", Name: "client_secret", Label: p.T("sso.client_secret"), Hint: hint,
		Type: "password", MaxLength: 1000, Autocomplete: "new-password", Required: !on}
	return p
}

func (s *server) singleSignOn(w http.ResponseWriter, r *http.Request) error {
	c, err := s.db.FindSSO(r.Context())
	on := err == nil
	if kassa.ErrorCode(err) == kassa.NotFound {
		c, err = &kassa.SSO{PasswordSignIn: true}, nil
	}
	if err != nil {
		return err
	}
	p := s.ssoPage(r, c, on)
	p.Notice = notice(&p.Layout, r)
	return s.render(w, http.StatusOK, p)
}

// saveSingleSignOn checks the settings, reads the issuer's discovery
// document and saves them; a field at fault is marked beside it.
func (s *server) saveSingleSignOn(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	noStore(w)
	old, err := s.db.FindSSO(r.Context())
	on := err == nil
	if err != nil && kassa.ErrorCode(err) != kassa.NotFound {
		return err
	}
	f := r.PostForm
	c := &kassa.SSO{Issuer: f.Get("issuer"), ClientID: f.Get("client_id"), ClientSecret: f.Get("client_secret"),
		PasswordSignIn: f.Get("password_sign_in") == "on"}
	if strings.TrimSpace(c.ClientSecret) == "" && on {
		c.ClientSecret = old.ClientSecret
	}
	err = c.Check()
	if err == nil && s.sso != nil {
		err = s.sso.Check(r.Context(), c.Issuer)
	}
	if err == nil {
		err = s.db.SetSSO(r.Context(), c)
	}
	if kassa.ErrorCode(err) != kassa.Invalid {
		if err != nil {
			return err
		}
		return seeOther(w, r, ssoPath+"?done=sso_saved")
	}
	p := s.ssoPage(r, c, on)
	text := p.tr.Error(err)
	switch kassa.ErrorField(err) {
	case "issuer":
		p.Issuer.Error = text
	case "client_id":
		p.ClientID.Error = text
	case "client_secret":
		p.Secret.Error = text
	default:
		p.FormError = text
	}
	focusFirstError(&p.Issuer, &p.ClientID, &p.Secret)
	return s.render(w, http.StatusUnprocessableEntity, p)
}

func (s *server) turnSingleSignOnOff(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.db.DeleteSSO(r.Context()); err != nil {
		return err
	}
	return seeOther(w, r, ssoPath+"?done=sso_off")
}
