package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Layout is what every page shares: the language, who is signed in, the
// navigation and the page's title. Page structs embed it, so templates reach
// it as $ and translate with {{$.T "key"}}.
type Layout struct {
	Lang  string
	Title string // translated; the <title> and the page's heading
	// Actor is who is signed in; nil on the sign-in and public error pages.
	Actor *kassa.Actor
	Nav   []NavSection
	// Path is where the language switch returns to.
	Path string
	// Scripts are the files under static/ that make the page smoother; it
	// works without them.
	Scripts []string

	tr     locale.Words
	assets map[string]string
}

// T translates a catalog message; args are name-value pairs (see locale.Words.T).
func (l *Layout) T(id string, args ...any) string { return l.tr.T(id, args...) }

// Asset returns the URL of a file under static/, fingerprinted so that it can
// be cached for long.
func (l *Layout) Asset(name string) string { return l.assets[name] }

// Languages lists the choices of the language switch.
func (l *Layout) Languages() []LanguageChoice {
	var cs []LanguageChoice
	for _, lang := range locale.Supported {
		cs = append(cs, LanguageChoice{Code: lang, Name: l.T(languageNames[lang]), Current: lang == l.Lang})
	}
	return cs
}

// LanguageChoice is one button of the language switch.
type LanguageChoice struct {
	Code, Name string
	Current    bool
}

// languageNames names each language in itself, the same in every catalog.
var languageNames = map[string]string{
	locale.English: msg("language.en"),
	locale.Swedish: msg("language.sv"),
	locale.German:  msg("language.de"),
}

// msg marks a literal as a catalog key where Go code, not a template, names
// the message, so that the catalog test finds every key in use.
func msg(id string) string { return id }

func (l *Layout) base() *Layout { return l }

// CardView is a card with the means to translate its labels, for the
// card-details partial; ShowUse adds which billing profile pays with it.
type CardView struct {
	*Layout
	Card    *CardRow
	ShowUse bool
}

// CardView returns c's view for the card-details partial.
func (l *Layout) CardView(c *CardRow, showUse bool) CardView {
	return CardView{Layout: l, Card: c, ShowUse: showUse}
}

// CardPageForm is a form that opens the processor's card page: a card is
// entered there, never on kassa's pages.
type CardPageForm struct {
	*Layout
	Action, Text, Hint, Submit string
	Cancel, CancelLabel        string
}

// CardPage returns the form for the card-page partial, posting to action,
// saying text, with a cancel link to cancel ("" for none).
func (l *Layout) CardPage(action, text, cancel string) CardPageForm {
	return CardPageForm{Layout: l, Action: action, Text: text, Hint: l.T("card.page.hint"),
		Submit: l.T("card.page.continue"), Cancel: cancel, CancelLabel: l.T("button.cancel")}
}

// page is a page struct: it embeds Layout and names its template.
type page interface {
	base() *Layout
	template() string
}

// templates holds one template set per page: the layout plus the page's file.
type templates map[string]*template.Template

func parseTemplates() (templates, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	// The layout and the partials (forms, fields, tabs) go into every set.
	layout, err := template.ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	ts := templates{}
	for _, name := range names {
		base := path.Base(name)
		if base == "layout.html" || base == "partials.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, name)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", base, err)
		}
		ts[base] = t
	}
	return ts, nil
}

// fingerprintAssets returns the URL of each static file with a hash of its
// content, so that a changed file gets a new URL.
func fingerprintAssets() (map[string]string, error) {
	assets := map[string]string{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(staticFS, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "static/")
		assets[name] = "/static/" + name + "?v=" + hex.EncodeToString(sum[:6])
		return nil
	})
	return assets, err
}

// render writes p with the status. Pages are rendered into a buffer first,
// so that a failing template yields a clean error page, not half a page.
func (s *server) render(w http.ResponseWriter, status int, p page) error {
	t, ok := s.templates[p.template()]
	if !ok {
		return fmt.Errorf("render: no template %s", p.template())
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", p.template(), err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if f, ok := p.(formsLeave); ok {
		h.Set("Content-Security-Policy", contentSecurityPolicy(f.formActions()))
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// ErrorPage tells that a request failed, in the reader's language.
type ErrorPage struct {
	Layout
	Status  int
	TextKey string
	// Detail is what the domain said, in the page's language, when it says
	// more than the status does (a conflict: what changed meanwhile).
	Detail string
	// RequestID is shown with a server's failure, for the person to quote.
	RequestID string
}

func (*ErrorPage) template() string { return "error.html" }

// errorStatus maps error codes to the status of the page that reports them.
// Another tenant's objects and pages a user's role does not reach are
// NotFound, never Forbidden: they do not exist for the reader.
var errorStatus = map[kassa.Code]int{
	kassa.BadRequest:  http.StatusBadRequest,
	kassa.Invalid:     http.StatusBadRequest,
	kassa.Forbidden:   http.StatusForbidden,
	kassa.NotFound:    http.StatusNotFound,
	kassa.Conflict:    http.StatusConflict,
	kassa.RateLimited: http.StatusTooManyRequests,
	kassa.Unavailable: http.StatusServiceUnavailable,
}

// errorTexts holds the title and text of each status's error page.
var errorTexts = map[int]struct{ title, text string }{
	http.StatusBadRequest:          {msg("error.bad_request.title"), msg("error.bad_request.text")},
	http.StatusForbidden:           {msg("error.forbidden.title"), msg("error.forbidden.text")},
	http.StatusNotFound:            {msg("error.not_found.title"), msg("error.not_found.text")},
	http.StatusConflict:            {msg("error.conflict.title"), msg("error.conflict.text")},
	http.StatusTooManyRequests:     {msg("error.rate_limited.title"), msg("error.rate_limited.text")},
	http.StatusInternalServerError: {msg("error.internal.title"), msg("error.internal.text")},
	http.StatusServiceUnavailable:  {msg("error.unavailable.title"), msg("error.unavailable.text")},
}

// fail answers a request whose handler returned err with an error page.
// Internal causes are logged here, once, and never shown.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, ok := errorStatus[kassa.ErrorCode(err)]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "page failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	texts := errorTexts[status]
	switch {
	case errors.Is(err, errGuest):
		texts.text = msg("error.forbidden.guest")
	case errors.Is(err, errReadOnly):
		texts.text = msg("error.forbidden.read_only")
	}
	p := &ErrorPage{Layout: s.layout(r, texts.title), Status: status, TextKey: texts.text}
	if status == http.StatusConflict {
		p.Detail = p.tr.Error(err)
	}
	if status >= 500 {
		p.RequestID = kassa.RequestIDFromContext(r.Context())
	}
	if rerr := s.render(w, status, p); rerr != nil {
		s.log.ErrorContext(r.Context(), "render error page", "status", status, "err", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}

// securityHeaders sets the headers every answer carries: no script or style
// from elsewhere and none inline, no framing, no sniffing, no referrer
// beyond the origin.
func securityHeaders(next http.Handler) http.Handler {
	csp := contentSecurityPolicy("'self'")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy is the policy of kassa's answers, whose forms may
// lead to formActions (CSP source expressions).
func contentSecurityPolicy(formActions string) string {
	return "default-src 'self'; base-uri 'none'; form-action " + formActions +
		"; frame-ancestors 'none'; object-src 'none'"
}

// formsLeave is a page whose form may lead off kassa: browsers hold a
// form's redirects to form-action too, so the policy of such a page names
// where they may go.
type formsLeave interface{ formActions() string }

// static serves the files under static/. Their URLs carry a fingerprint
// (Layout.Asset), so they may be cached for a year; folders are not listed.
func (s *server) static() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded folder exists: go:embed checked it
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only files are served, and only those get the long cache: a
		// missing file must not be remembered as missing for a year.
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if info, err := fs.Stat(sub, name); err != nil || info.IsDir() {
			s.fail(w, r, kassa.E(kassa.NotFound, "error.page.no_file"))
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		files.ServeHTTP(w, r)
	})
}
