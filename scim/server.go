package scim

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/locale"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/telemetry"
)

// Prefix is where the SCIM server is served.
const Prefix = "/scim/v2"

// The URNs of SCIM's schemas and messages.
const (
	userSchema     = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	listResponse   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	patchOp        = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	errorSchema    = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// contentType is SCIM's media type, which every answer has.
const contentType = "application/scim+json"

// maxBody bounds a request's body; SCIM resources are small.
const maxBody = 1 << 20

// Config is what the server needs.
type Config struct {
	DB      *sqldb.DB
	Log     *slog.Logger
	BaseURL string // where resources' meta.location starts; "" for the request's own host
}

// Server serves /scim/v2.
type Server struct {
	db      *sqldb.DB
	log     *slog.Logger
	baseURL string
	mux     *http.ServeMux
	used    lastUsed
	tokens  tokenCache
}

// tokenCache keeps what a token reached for a second: a sync sends
// thousands of requests with one token, and each would read it and its
// tenant anew. A token revoked is refused within that second, in every
// process (as a session ended elsewhere is, auth/cache.go).
type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedToken
}

type cachedToken struct {
	tenant  *kassa.Tenant
	tokenID string
	until   time.Time
}

// tokenTrust is how long a token read is trusted.
const tokenTrust = time.Second

func (c *tokenCache) find(ctx context.Context, db *sqldb.DB, hash string) (*kassa.Tenant, string, error) {
	c.mu.Lock()
	e, ok := c.m[hash]
	c.mu.Unlock()
	if ok && time.Now().Before(e.until) {
		return e.tenant, e.tokenID, nil
	}
	t, id, err := db.TenantOfSCIMToken(ctx, hash)
	if err != nil {
		return nil, "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 1000 {
		c.m = map[string]cachedToken{}
	}
	c.m[hash] = cachedToken{tenant: t, tokenID: id, until: time.Now().Add(tokenTrust)}
	return t, id, nil
}

// lastUsed remembers when this process last wrote down each token's use,
// so that a busy sync writes it once a minute, not with every request.
type lastUsed struct {
	mu sync.Mutex
	at map[string]time.Time
}

// usedEvery is how often a token's last use is written down.
const usedEvery = time.Minute

// mark reports whether the token's use is to be written down now.
func (l *lastUsed) mark(tokenID string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.at == nil {
		l.at = map[string]time.Time{}
	}
	now := time.Now()
	if now.Sub(l.at[tokenID]) < usedEvery {
		return false
	}
	if len(l.at) > 10_000 { // tokens come and go; forget them all now and then
		clear(l.at)
	}
	l.at[tokenID] = now
	return true
}

// New returns the SCIM server.
func New(cfg Config) *Server {
	s := &Server{db: cfg.DB, log: cfg.Log, baseURL: strings.TrimSuffix(cfg.BaseURL, "/"), mux: http.NewServeMux()}
	route := func(pattern string, h handler) { s.mux.Handle(pattern, s.authenticated(h)) }
	route("GET "+Prefix+"/ServiceProviderConfig", s.serviceProviderConfig)
	route("GET "+Prefix+"/ResourceTypes", s.resourceTypes)
	route("GET "+Prefix+"/Schemas", s.schemas)
	route("GET "+Prefix+"/Users", s.listUsers)
	route("POST "+Prefix+"/Users", s.createUser)
	route("GET "+Prefix+"/Users/{id}", s.getUser)
	route("PUT "+Prefix+"/Users/{id}", s.replaceUser)
	route("PATCH "+Prefix+"/Users/{id}", s.patchUser)
	route("DELETE "+Prefix+"/Users/{id}", s.deleteUser)
	route("GET "+Prefix+"/Groups", s.listGroups)
	route("POST "+Prefix+"/Groups", s.createGroup)
	route("GET "+Prefix+"/Groups/{id}", s.getGroup)
	route("PUT "+Prefix+"/Groups/{id}", s.replaceGroup)
	route("PATCH "+Prefix+"/Groups/{id}", s.patchGroup)
	route("DELETE "+Prefix+"/Groups/{id}", s.deleteGroup)
	route(Prefix+"/", func(w http.ResponseWriter, r *http.Request, _ *call) error {
		return &Error{Status: http.StatusNotFound, Detail: "No resource at " + r.URL.Path + "."}
	})
	return s
}

// ServeHTTP serves a request under /scim/v2.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
	telemetry.NoteRoute(r.Context(), r.Pattern) // the mux set it
}

// call is one authenticated request: the tenant its token reaches.
type call struct {
	tenant  *kassa.Tenant
	tokenID string
}

type handler func(w http.ResponseWriter, r *http.Request, c *call) error

// authenticated runs h for a request with a SCIM token, writes what h
// returns as SCIM's error, and records the outcome for Admin › Directory
// sync.
func (s *Server) authenticated(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			s.writeError(w, r, kassa.E(kassa.Unauthorized, "error.scim.token"))
			return
		}
		t, tokenID, err := s.tokens.find(r.Context(), s.db, auth.HashToken(strings.TrimSpace(token)))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		rec := &recorder{ResponseWriter: w}
		if err := h(rec, r, &call{tenant: t, tokenID: tokenID}); err != nil {
			rec.detail = s.writeError(rec, r, err)
		}
		if err := s.db.RecordSCIMRequest(r.Context(), t.ID, tokenID, sqldb.SCIMRequest{Method: r.Method,
			Path: readablePath(r.URL), Status: rec.status, Detail: rec.detail}, s.used.mark(tokenID)); err != nil {
			s.log.ErrorContext(r.Context(), "record scim request", "err", err)
		}
	})
}

// readablePath is the request's path and query as an admin reads them:
// the query decoded (filter=userName eq "…"), when it decodes as UTF-8.
func readablePath(u *url.URL) string {
	q, err := url.QueryUnescape(u.RawQuery)
	if err != nil || u.RawQuery == "" || !utf8.ValidString(q) {
		return u.RequestURI()
	}
	return u.EscapedPath() + "?" + q
}

// recorder keeps the status of an answer and the words of its error.
type recorder struct {
	http.ResponseWriter
	status int
	detail string
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Error is an answer in SCIM's error schema: an HTTP status, SCIM's
// scimType for a 400 or 409, and words for people.
type Error struct {
	Status   int
	ScimType string
	Detail   string
}

func (e *Error) Error() string { return e.Detail }

// statuses maps kassa's error codes to SCIM's statuses and types.
var statuses = map[kassa.Code]struct {
	status   int
	scimType string
}{
	kassa.BadRequest:   {http.StatusBadRequest, "invalidSyntax"},
	kassa.Invalid:      {http.StatusBadRequest, "invalidValue"},
	kassa.Unauthorized: {http.StatusUnauthorized, ""},
	kassa.Forbidden:    {http.StatusForbidden, ""},
	kassa.NotFound:     {http.StatusNotFound, ""},
	kassa.Conflict:     {http.StatusConflict, "uniqueness"},
	kassa.RateLimited:  {http.StatusTooManyRequests, ""},
	kassa.Unavailable:  {http.StatusServiceUnavailable, ""},
}

// writeError writes err in SCIM's error schema, in English, and returns
// its words; causes other than kassa's own errors are logged here, once.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) string {
	e, ok := errors.AsType[*Error](err)
	if !ok {
		e = &Error{Status: http.StatusInternalServerError, Detail: locale.In(locale.English).Error(err)}
		if st, known := statuses[kassa.ErrorCode(err)]; known {
			e.Status, e.ScimType = st.status, st.scimType
		} else {
			s.log.ErrorContext(r.Context(), "scim request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		if f := kassa.ErrorField(err); e.Status == http.StatusConflict && f != "userName" && f != "displayName" {
			e.ScimType = "" // the last admin, say: no uniqueness
		}
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kassa SCIM"`)
	}
	body := map[string]any{"schemas": []string{errorSchema}, "status": strconv.Itoa(e.Status), "detail": e.Detail}
	if e.ScimType != "" {
		body["scimType"] = e.ScimType
	}
	writeJSON(w, e.Status, body)
	return e.Detail
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// base is where resources' locations start.
func (s *Server) base(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL + Prefix
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix
}

// badRequest is a 400 of SCIM's type.
func badRequest(scimType, detail string) error {
	return &Error{Status: http.StatusBadRequest, ScimType: scimType, Detail: detail}
}
