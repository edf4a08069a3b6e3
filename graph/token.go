// Package graph is kassa's Microsoft-Graph-compatible license API (SPEC
// §9): the token endpoint apps sign in at with the client credentials
// grant, as Entra ID answers it, and the endpoints under /graph/v1.0.
package graph

import (
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/locale"
)

// tokenPath is the token endpoint's path: the tenant's directory id, then
// Entra's own path, so that Microsoft's identity libraries find it under
// kassa as their authority.
var tokenPath = regexp.MustCompile(`^/([0-9a-fA-F-]{36})/oauth2/v2\.0/token$`)

// IsTokenPath reports whether the path is the token endpoint's.
func IsTokenPath(path string) bool { return tokenPath.MatchString(path) }

// TokenHandler answers POST /{directory_id}/oauth2/v2.0/token with the
// client credentials grant: client_id and client_secret in the form (or
// HTTP Basic), scope ending in "/.default". The answer is Entra's:
// {"token_type":"Bearer","expires_in":3599,"access_token":"…"}; errors are
// OAuth 2.0's ({"error":"invalid_client",…}).
func TokenHandler(a *auth.Auth, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		m := tokenPath.FindStringSubmatch(r.URL.Path)
		if m == nil || r.Method != http.MethodPost {
			oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "POST the client credentials to the token endpoint.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_request", "The body must be a form (application/x-www-form-urlencoded).")
			return
		}
		f := r.PostForm
		clientID, secret := f.Get("client_id"), f.Get("client_secret")
		if id, s, ok := r.BasicAuth(); ok && secret == "" {
			clientID, secret = id, s
		}
		switch {
		case f.Get("grant_type") != "client_credentials":
			oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials.")
			return
		case clientID == "" || secret == "":
			oauthError(w, http.StatusBadRequest, "invalid_request", "client_id and client_secret are required.")
			return
		case !strings.HasSuffix(f.Get("scope"), "/.default"):
			oauthError(w, http.StatusBadRequest, "invalid_scope", "scope must end in /.default, as https://graph.microsoft.com/.default does.")
			return
		}
		token, life, err := a.AppToken(r.Context(), strings.ToLower(m[1]), clientID, secret, clientAddr(r))
		switch kassa.ErrorCode(err) {
		case "":
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			seconds := int(life.Seconds()) - 1 // Entra tells 3599 for its hour
			_ = json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": seconds,
				"ext_expires_in": seconds, "access_token": token})
		case kassa.Unauthorized:
			oauthError(w, http.StatusUnauthorized, "invalid_client", "The client id or secret is wrong, or the app is not this tenant's.")
		case kassa.RateLimited:
			oauthError(w, http.StatusTooManyRequests, "temporarily_unavailable", locale.In(locale.English).Error(err))
		default:
			log.ErrorContext(r.Context(), "app token", "err", err)
			oauthError(w, http.StatusInternalServerError, "server_error", "The token could not be issued; try again.")
		}
	})
}

// oauthError answers an OAuth 2.0 error, with Entra's extra fields.
func oauthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": code, "error_description": description,
		"timestamp": time.Now().UTC().Format("2006-01-02 15:04:05Z")})
}

// clientAddr is the address failed sign-ins are counted by.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
