package api

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/invoicepdf"
	"github.com/kassa-billing/kassa/licensing"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sso"
	"github.com/kassa-billing/kassa/telemetry"
)

// Server serves the JSON API.
type Server struct {
	db        *sqldb.DB
	auth      *auth.Auth
	billing   *billing.Service
	licensing *licensing.Service
	clock     *kassa.TestClock // nil unless kassa serves with --test-clock
	issuer    invoicepdf.Issuer
	log       *slog.Logger
	baseURL   string
	sso       *sso.Service
	mux       *http.ServeMux

	webhookAllowPrivate bool
}

// Config is what the API needs.
type Config struct {
	DB        *sqldb.DB
	Auth      *auth.Auth
	Billing   *billing.Service // every write that touches payment details or money
	Licensing *licensing.Service
	TestClock *kassa.TestClock // when set, POST /api/v1/test-clock moves it
	Issuer    invoicepdf.Issuer
	Log       *slog.Logger
	// BaseURL is where people reach kassa: links kassa makes (an
	// invitation's) start with it. "" makes them from the request's host.
	BaseURL string
	// SSO reads identity providers' discovery documents before their
	// settings are saved; nil makes one.
	SSO *sso.Service
	// WebhookAllowPrivate lets webhook endpoints be http:// and private
	// addresses (KASSA_WEBHOOK_ALLOW_PRIVATE=1): for development and tests.
	WebhookAllowPrivate bool
}

// New returns the API.
func New(cfg Config) *Server {
	s := &Server{db: cfg.DB, auth: cfg.Auth, billing: cfg.Billing, licensing: cfg.Licensing, clock: cfg.TestClock, issuer: cfg.Issuer,
		log: cfg.Log, baseURL: cfg.BaseURL, sso: cfg.SSO, mux: http.NewServeMux(), webhookAllowPrivate: cfg.WebhookAllowPrivate}
	if s.sso == nil {
		s.sso = sso.New(cfg.DB, cfg.Auth, kassa.SystemClock{})
	}
	byPath := map[string][]string{}
	for _, rt := range s.routes() {
		h := rt.handler
		if rt.admin {
			h = adminOnly(h)
		}
		switch {
		case rt.app:
			h = s.appAuthenticated(h)
		case !rt.public:
			h = s.authenticated(h)
		}
		s.mux.Handle(rt.method+" "+rt.path, s.handle(h))
		byPath[rt.path] = append(byPath[rt.path], rt.method)
	}
	// Every path answers other methods in the API's own format. The paths
	// are a mux of their own, without methods, which finds the path of a
	// request no route took: in the routes' mux a pattern without a
	// method would conflict with a wildcard beside it (POST …/users/import
	// and PATCH …/users/{id}).
	paths := http.NewServeMux()
	for path, methods := range byPath {
		if slices.Contains(methods, http.MethodGet) {
			methods = append(methods, http.MethodHead)
		}
		allow := strings.Join(methods, ", ")
		paths.Handle(path, s.handle(func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Allow", allow)
			return kassa.E(MethodNotAllowed, "error.api.method", "Path", path, "Method", r.Method, "Allow", allow)
		}))
	}
	s.mux.Handle("/api/", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if h, pattern := paths.Handler(r); pattern != "" {
			h.ServeHTTP(w, r)
			return nil
		}
		return kassa.E(kassa.NotFound, "error.api.no_path", "Path", r.URL.Path)
	}))
	return s
}

// ServeHTTP serves a request under /api/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, r)
	telemetry.NoteRoute(r.Context(), r.Pattern) // the mux set it
}

// handlerFunc is an API handler: it writes its answer, or returns the error
// to answer with.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authenticated lets a request through when it carries a bearer token or a
// browser session cookie, and puts who it acts for in its context: from
// there storage scopes every query to their tenant.
func (s *Server) authenticated(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		token, kind := credentials(r)
		if token == "" {
			return kassa.E(kassa.Unauthorized, "error.api.sign_in")
		}
		actor, err := s.auth.Authenticate(r.Context(), token, kind)
		if err != nil {
			return err
		}
		return h(w, r.WithContext(kassa.NewContextWithActor(r.Context(), actor)))
	}
}

// adminOnly lets only the tenant's admins through; anyone else is
// forbidden.
func adminOnly(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if !actor(r.Context()).User.IsAdmin() {
			return kassa.E(kassa.Forbidden, "error.api.admins_only", "Path", r.URL.Path)
		}
		return h(w, r)
	}
}

// credentials returns the session token of r and its kind: a bearer token,
// else the browser's session cookie (which the pages' scripts use).
func credentials(r *http.Request) (token, kind string) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return "", ""
		}
		return strings.TrimSpace(token), auth.KindAPI
	}
	if c, err := r.Cookie(auth.CookieName); err == nil {
		return c.Value, auth.KindWeb
	}
	return "", ""
}

// clientAddr returns the address of the client that sent r, for throttling.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// actor returns who r acts for; authenticated routes always have one.
func actor(ctx context.Context) *kassa.Actor { return kassa.ActorFromContext(ctx) }
