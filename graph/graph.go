package graph

import (
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/telemetry"
)

// Prefix is where the Graph-compatible endpoints are served.
const Prefix = "/graph/v1.0"

// Config is what the Graph-compatible API needs.
type Config struct {
	DB   *sqldb.DB
	Auth *auth.Auth
	Log  *slog.Logger
	// BaseURL starts the @odata.nextLink of a page; "" takes the
	// request's own host.
	BaseURL string
}

// Server serves /graph/v1.0 for apps signed in with their access tokens.
type Server struct {
	cfg Config
	mux *http.ServeMux
}

// call is one request of an app: the app and its tenant.
type call struct {
	app    *kassa.App
	tenant *kassa.Tenant
}

type handler func(w http.ResponseWriter, r *http.Request, c *call) error

// New returns the Graph-compatible API.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	route := func(pattern, permission string, h handler) {
		s.mux.Handle(pattern, s.authenticated(permission, h))
	}
	route("GET "+Prefix+"/organization", kassa.PermOrganizationRead, s.organization)
	route("GET "+Prefix+"/subscribedSkus", kassa.PermOrganizationRead, s.subscribedSkus)
	route("GET "+Prefix+"/users", kassa.PermUserRead, s.users)
	route("GET "+Prefix+"/users/{id}", kassa.PermUserRead, s.user)
	route("GET "+Prefix+"/users/{id}/licenseDetails", kassa.PermUserRead, s.licenseDetails)
	route("POST "+Prefix+"/users/{id}/assignLicense", kassa.PermLicenseAssignment, s.assignLicense)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, pattern := s.mux.Handler(r); pattern == "" {
		writeError(w, r, http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+r.URL.Path+"' does not exist.")
		return
	}
	s.mux.ServeHTTP(w, r)
	telemetry.NoteRoute(r.Context(), r.Pattern) // the mux set it
}

// authenticated runs h for an app signed in with the permission; Graph
// grants LicenseAssignment.ReadWrite.All what the read permissions give too.
func (s *Server) authenticated(permission string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		app, tenant, err := s.cfg.Auth.AuthenticateApp(r.Context(), strings.TrimSpace(token))
		if err != nil {
			if kassa.ErrorCode(err) != kassa.Unauthorized {
				s.cfg.Log.ErrorContext(r.Context(), "graph: authenticate", "err", err)
				writeError(w, r, http.StatusInternalServerError, "generalException", "The request could not be served; try again.")
				return
			}
			writeError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty, expired or invalid.")
			return
		}
		if !app.Can(permission) && !(app.Can(kassa.PermLicenseAssignment) && permission != kassa.PermLicenseAssignment) {
			writeError(w, r, http.StatusForbidden, "Authorization_RequestDenied",
				"Insufficient privileges to complete the operation: it needs "+permission+".")
			return
		}
		if r.Header.Get("Content-Encoding") == "gzip" {
			// Microsoft's SDKs compress what they send.
			zr, err := gzip.NewReader(http.MaxBytesReader(w, r.Body, 1<<20))
			if err != nil {
				writeError(w, r, http.StatusBadRequest, "BadRequest", "The body is not gzip.")
				return
			}
			defer zr.Close()
			r.Body = io.NopCloser(io.LimitReader(zr, 1<<20))
		} else {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		}
		if err := h(w, r, &call{app: app, tenant: tenant}); err != nil {
			s.fail(w, r, err)
		}
	})
}

// fail answers err in Graph's shape.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var noFree *sqldb.ErrNoFreeLicense
	var noSuch *sqldb.ErrNoSuchLicense
	switch {
	case errors.As(err, &noFree):
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
			"Subscription with SKU "+noFree.SKUID+" does not have any available licenses.")
	case errors.As(err, &noSuch) && noSuch.ViaGroup:
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
			"User license is inherited from a group membership and it cannot be removed directly from the user.")
	case errors.As(err, &noSuch):
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "User does not have a corresponding license.")
	case kassa.ErrorCode(err) == kassa.NotFound:
		writeError(w, r, http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+r.PathValue("id")+"' does not exist or one of its queried reference-property objects are not present.")
	case kassa.ErrorCode(err) == kassa.Invalid:
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", err.Error())
	default:
		s.cfg.Log.ErrorContext(r.Context(), "graph", "path", r.URL.Path, "err", err)
		writeError(w, r, http.StatusInternalServerError, "generalException", "The request could not be served; try again.")
	}
}

// badRequest is a Graph error about the request itself.
type badRequest struct{ code, message string }

func (e *badRequest) Error() string { return e.message }

// writeError answers a Graph error:
// {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	inner := map[string]string{"date": time.Now().UTC().Format("2006-01-02T15:04:05"), "request-id": kassa.RequestIDFromContext(r.Context())}
	if inner["request-id"] == "" {
		inner["request-id"] = newRequestID()
	}
	if id := r.Header.Get("client-request-id"); id != "" && len(id) <= 100 {
		inner["client-request-id"] = id
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": message, "innerError": inner}})
}

// newRequestID makes a request id as Graph's: a GUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) base(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimSuffix(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) organization(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": s.base(r) + Prefix + "/$metadata#organization",
		"value": []map[string]any{{"id": c.tenant.DirectoryID, "displayName": c.tenant.Name,
			"countryLetterCode": c.tenant.Country}},
	})
	return nil
}

func (s *Server) subscribedSkus(w http.ResponseWriter, r *http.Request, c *call) error {
	skus, err := s.cfg.DB.GraphSKUs(r.Context(), c.tenant.ID)
	if err != nil {
		return err
	}
	value := make([]map[string]any, 0, len(skus))
	for _, k := range skus {
		status := "Enabled"
		if k.Enabled == 0 && k.Warning > 0 {
			status = "Warning"
		} else if k.Enabled == 0 && k.Warning == 0 {
			status = "Suspended"
		}
		value = append(value, map[string]any{
			"id": c.tenant.DirectoryID + "_" + k.SKUID, "skuId": k.SKUID, "skuPartNumber": k.PartNumber,
			"appliesTo": "User", "capabilityStatus": status, "consumedUnits": k.Consumed,
			"prepaidUnits":    map[string]int{"enabled": k.Enabled, "suspended": k.Suspended, "warning": k.Warning, "lockedOut": 0},
			"servicePlans":    []any{},
			"subscriptionIds": k.SubscriptionIDs,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": s.base(r) + Prefix + "/$metadata#subscribedSkus", "value": value})
	return nil
}

// userProperties are a user's properties, in Graph's order.
var userProperties = []string{"id", "displayName", "mail", "userPrincipalName", "accountEnabled", "userType", "assignedLicenses",
	"licenseAssignmentStates"}

// userJSON is u as Graph shows a user, with the selected properties only
// (all when select is empty).
func userJSON(u *sqldb.GraphUser, selected []string) map[string]any {
	licenses := make([]map[string]any, 0, len(u.Licenses))
	for _, l := range u.Licenses {
		licenses = append(licenses, map[string]any{"skuId": l.SKUID, "disabledPlans": []string{}})
	}
	userType := "Member"
	if u.Type == kassa.Guest {
		userType = "Guest"
	}
	all := map[string]any{"id": u.ID, "displayName": u.Name, "mail": u.Email, "userPrincipalName": u.Email,
		"accountEnabled": u.Status == kassa.Active, "userType": userType, "assignedLicenses": licenses}
	if u.States != nil {
		// Graph's licenseAssignmentStates, on one user's read: how each
		// license came (assignedByGroup), or why a linked group's has not.
		states := make([]map[string]any, len(u.States))
		for i, st := range u.States {
			var group any
			if st.GroupID != "" {
				group = st.GroupID
			}
			states[i] = map[string]any{"skuId": st.SKUID, "assignedByGroup": group, "state": st.State, "error": st.Error,
				"disabledPlans": []string{}, "lastUpdatedDateTime": st.Updated.UTC().Format(time.RFC3339)}
		}
		all["licenseAssignmentStates"] = states
	}
	if len(selected) == 0 {
		return all
	}
	out := map[string]any{}
	for _, p := range selected {
		out[p] = all[p]
	}
	return out
}

// selectProperties reads $select: a comma-separated list of user
// properties, each one Graph has. Errors: a *badRequest naming one it lacks.
func selectProperties(q url.Values) ([]string, error) {
	v := strings.TrimSpace(q.Get("$select"))
	if v == "" {
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		i := slices.IndexFunc(userProperties, func(name string) bool { return strings.EqualFold(name, p) })
		if i < 0 {
			return nil, &badRequest{"BadRequest", "Could not find a property named '" + p + "' on type 'microsoft.graph.user'."}
		}
		if !slices.Contains(out, userProperties[i]) {
			out = append(out, userProperties[i])
		}
	}
	return out, nil
}

// skuFilter is the one $filter kassa takes, as Graph writes it:
// assignedLicenses/any(x:x/skuId eq {guid}).
var skuFilter = regexp.MustCompile(`^assignedLicenses/any\((\w+):(\w+)/skuId eq ([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\)$`)

func (s *Server) users(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	selected, err := selectProperties(q)
	if err != nil {
		return s.bad(w, r, err)
	}
	top := 100
	if v := q.Get("$top"); v != "" {
		if top, err = strconv.Atoi(v); err != nil || top < 1 || top > 999 {
			return s.bad(w, r, &badRequest{"BadRequest", "Invalid page size specified: '" + v + "'. Must be between 1 and 999 inclusive."})
		}
	}
	sku := ""
	if f := strings.TrimSpace(q.Get("$filter")); f != "" {
		m := skuFilter.FindStringSubmatch(f)
		if m == nil || m[1] != m[2] {
			return s.bad(w, r, &badRequest{"Request_UnsupportedQuery", "Unsupported query: the filter may be assignedLicenses/any(x:x/skuId eq {skuId}) only."})
		}
		sku = strings.ToLower(m[3])
	}
	users, err := s.cfg.DB.GraphUsers(r.Context(), c.tenant.ID, sku, q.Get("$skiptoken"), top+1)
	if err != nil {
		return err
	}
	out := map[string]any{"@odata.context": s.base(r) + Prefix + "/$metadata#users"}
	if len(users) > top {
		users = users[:top]
		next := url.Values{}
		for _, k := range []string{"$select", "$filter"} {
			if v := q.Get(k); v != "" {
				next.Set(k, v)
			}
		}
		next.Set("$top", strconv.Itoa(top))
		next.Set("$skiptoken", users[len(users)-1].ID)
		out["@odata.nextLink"] = s.base(r) + Prefix + "/users?" + next.Encode()
	}
	value := make([]map[string]any, 0, len(users))
	for _, u := range users {
		value = append(value, userJSON(u, selected))
	}
	out["value"] = value
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) bad(w http.ResponseWriter, r *http.Request, err error) error {
	var b *badRequest
	if errors.As(err, &b) {
		writeError(w, r, http.StatusBadRequest, b.code, b.message)
		return nil
	}
	return err
}

func (s *Server) user(w http.ResponseWriter, r *http.Request, c *call) error {
	selected, err := selectProperties(r.URL.Query())
	if err != nil {
		return s.bad(w, r, err)
	}
	u, err := s.cfg.DB.GraphUserByID(r.Context(), c.tenant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if len(selected) == 0 || slices.Contains(selected, "licenseAssignmentStates") {
		if err := s.cfg.DB.GraphLicenseStates(r.Context(), c.tenant.ID, u); err != nil {
			return err
		}
	}
	out := userJSON(u, selected)
	out["@odata.context"] = s.base(r) + Prefix + "/$metadata#users/$entity"
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) licenseDetails(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := s.cfg.DB.GraphUserByID(r.Context(), c.tenant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	value := make([]map[string]any, 0, len(u.Licenses))
	for _, l := range u.Licenses {
		value = append(value, map[string]any{"id": l.SKUID + "_" + u.ID, "skuId": l.SKUID, "skuPartNumber": l.PartNumber,
			"servicePlans": []any{}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": s.base(r) + Prefix + "/$metadata#users('" + u.ID + "')/licenseDetails",
		"value": value})
	return nil
}

// assignLicenseBody is assignLicense's body, both arrays required.
type assignLicenseBody struct {
	AddLicenses *[]struct {
		SkuID         string   `json:"skuId"`
		DisabledPlans []string `json:"disabledPlans"`
	} `json:"addLicenses"`
	RemoveLicenses *[]string `json:"removeLicenses"`
}

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (s *Server) assignLicense(w http.ResponseWriter, r *http.Request, c *call) error {
	var body assignLicenseBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return s.bad(w, r, &badRequest{"BadRequest", "The body is not the JSON of assignLicense."})
	}
	if body.AddLicenses == nil || body.RemoveLicenses == nil {
		return s.bad(w, r, &badRequest{"Request_BadRequest", "Both addLicenses and removeLicenses are required (either may be empty)."})
	}
	var add, remove []string
	for _, l := range *body.AddLicenses {
		if !guid.MatchString(l.SkuID) {
			return s.bad(w, r, &badRequest{"Request_BadRequest", fmt.Sprintf("Invalid value specified for property 'skuId': %q.", l.SkuID)})
		}
		add = append(add, strings.ToLower(l.SkuID))
	}
	for _, id := range *body.RemoveLicenses {
		if !guid.MatchString(id) {
			return s.bad(w, r, &badRequest{"Request_BadRequest", fmt.Sprintf("Invalid value specified for property 'removeLicenses': %q.", id)})
		}
		remove = append(remove, strings.ToLower(id))
	}
	id, err := s.cfg.DB.AssignLicensesBySKU(r.Context(), c.app, r.PathValue("id"), add, remove)
	if err != nil {
		return err
	}
	u, err := s.cfg.DB.GraphUserByID(r.Context(), c.tenant.ID, id)
	if err != nil {
		return err
	}
	out := userJSON(u, nil)
	out["@odata.context"] = s.base(r) + Prefix + "/$metadata#users/$entity"
	writeJSON(w, http.StatusOK, out)
	return nil
}
