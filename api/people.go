package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/people"
	"github.com/kassa-billing/kassa/sqldb"
)

// Admin › People: every user of the tenant, adding one (with an invitation
// link), changing one (SPEC §7).

func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := queryLimit(q.Get("limit"), sqldb.DefaultUserLimit, sqldb.MaxUserLimit)
	if err != nil {
		return err
	}
	f := kassa.UserFilter{Search: q.Get("search"), After: q.Get("cursor"), Limit: limit, Everyone: true}
	if v := q.Get("status"); v != "" {
		if st := kassa.UserStatus(v); st.Valid() {
			f.Status = &st
		} else {
			return kassa.InvalidE("status", "error.user.status")
		}
	}
	if v := q.Get("type"); v != "" {
		if ty := kassa.UserType(v); ty.Valid() {
			f.Type = &ty
		} else {
			return kassa.InvalidE("type", "error.user.type")
		}
	}
	if v := q.Get("role"); v != "" {
		if ro := kassa.Role(v); ro.Valid() {
			f.Role = &ro
		} else {
			return kassa.InvalidE("role", "error.user.role")
		}
	}
	users, next, err := s.db.FindUsers(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(users, next))
	return nil
}

type newUserRequest struct {
	Name  string         `json:"name"`
	Email string         `json:"email"`
	Type  kassa.UserType `json:"type"`
	Role  kassa.Role     `json:"role"`
}

// invitedUserJSON is a user just added, with the link where they choose a
// password: shown once, here.
type invitedUserJSON struct {
	*kassa.User
	InvitationURL string `json:"invitation_url"`
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request) error {
	var req newUserRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u := &kassa.User{Name: req.Name, Email: req.Email, Type: req.Type, Role: req.Role}
	if u.Type == "" {
		u.Type = kassa.Member
	}
	if u.Role == "" {
		u.Role = kassa.RoleUser
	}
	var token string
	err := s.db.Atomically(r.Context(), func(ctx context.Context) error {
		if err := s.db.AddPerson(ctx, u); err != nil {
			return err
		}
		var err error
		token, err = s.auth.NewLink(ctx, u.ID, sqldb.TokenInvitation)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, invitedUserJSON{User: u, InvitationURL: s.base(r) + "/invitation/" + token})
	return nil
}

type userUpdateRequest struct {
	Name   *string           `json:"name"`
	Type   *kassa.UserType   `json:"type"`
	Role   *kassa.Role       `json:"role"`
	Status *kassa.UserStatus `json:"status"`
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	var req userUpdateRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u, err := s.db.UpdateUser(r.Context(), r.PathValue("id"),
		kassa.UserUpdate{Name: req.Name, Type: req.Type, Role: req.Role, Status: req.Status})
	if err != nil {
		return err
	}
	if u.Status == kassa.Disabled {
		s.auth.ForgetUser(u.ID)
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// sendPasswordLink mails a user their invitation again, or a link to
// choose a new password, and says which (202: the mail is on its way).
func (s *Server) sendPasswordLink(w http.ResponseWriter, r *http.Request) error {
	kind, err := s.db.SendPasswordLink(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, struct {
		Kind kassa.NotificationKind `json:"kind"`
	}{kind})
	return nil
}

// base is where links kassa makes start: --base-url, else the request's
// own scheme and host.
func (s *Server) base(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type resetRequest struct {
	Email string `json:"email"`
}

// passwordReset mails a link to choose a new password when the address is
// an active user's, and answers 202 either way.
func (s *Server) passwordReset(w http.ResponseWriter, r *http.Request) error {
	var req resetRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.auth.RequestReset(r.Context(), req.Email, clientAddr(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// organizationJSON is the tenant as its admins read and change it.
type organizationJSON struct {
	ID           string        `json:"id"`
	DirectoryID  string        `json:"directory_id"`
	Name         string        `json:"name"`
	Country      string        `json:"country"`
	Currency     string        `json:"currency"`
	VATID        string        `json:"vat_id"`
	Address      kassa.Address `json:"address"`
	Locale       string        `json:"locale"`
	SupportEmail string        `json:"support_email"`
	Domains      []string      `json:"domains"`
}

func newOrganizationJSON(t *kassa.Tenant) organizationJSON {
	j := organizationJSON{ID: t.ID, DirectoryID: t.DirectoryID, Name: t.Name, Country: t.Country, Currency: t.Currency,
		VATID: t.VATID, Address: t.Address, Locale: t.Locale, SupportEmail: t.SupportEmail, Domains: t.Domains}
	if j.Domains == nil {
		j.Domains = []string{}
	}
	return j
}

type organizationRequest struct {
	Name         *string        `json:"name"`
	Country      *string        `json:"country"`
	Currency     *string        `json:"currency"`
	VATID        *string        `json:"vat_id"`
	Address      *kassa.Address `json:"address"`
	Locale       *string        `json:"locale"`
	SupportEmail *string        `json:"support_email"`
	Domains      *[]string      `json:"domains"`
}

func (s *Server) organization(w http.ResponseWriter, r *http.Request) error {
	t, err := s.db.FindOrganization(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newOrganizationJSON(t))
	return nil
}

func (s *Server) updateOrganization(w http.ResponseWriter, r *http.Request) error {
	var req organizationRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	t, err := s.db.UpdateOrganization(r.Context(), kassa.TenantUpdate{Name: req.Name, Country: req.Country,
		Currency: req.Currency, VATID: req.VATID, Address: req.Address, Locale: req.Locale,
		SupportEmail: req.SupportEmail, Domains: req.Domains})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newOrganizationJSON(t))
	return nil
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword changes the caller's own password; their other sessions
// end, the one that asked goes on.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req passwordRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	token, _ := credentials(r)
	if err := s.auth.ChangePassword(r.Context(), token, req.CurrentPassword, req.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// MaxImportBytes bounds a CSV import's body: ten thousand lines of long
// names and addresses fit.
const MaxImportBytes = 8 << 20

// importJSON is what an import did, or would do (dry_run): each line's
// outcome, and how many were added and were there already.
type importJSON struct {
	DryRun   bool             `json:"dry_run"`
	Added    int              `json:"added"`
	Existing int              `json:"existing"`
	Lines    []importLineJSON `json:"lines"`
}

type importLineJSON struct {
	Line    int                 `json:"line"`
	Email   string              `json:"email"`
	Name    string              `json:"name"`
	Type    kassa.UserType      `json:"type"`
	Role    kassa.Role          `json:"role"`
	Outcome kassa.ImportOutcome `json:"outcome"`
	UserID  string              `json:"user_id,omitempty"`
}

// importUsers adds the people of a CSV body (package people reads it), all
// or none; ?dry_run=true tells what it would do and writes nothing.
func (s *Server) importUsers(w http.ResponseWriter, r *http.Request) error {
	dryRun, err := queryBool(r.URL.Query(), "dry_run")
	if err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/csv" {
		return kassa.E(kassa.BadRequest, "error.import.content_type")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxImportBytes))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return kassa.E(kassa.BadRequest, "error.import.too_big", "Max", MaxImportBytes>>20)
	} else if err != nil {
		return kassa.E(kassa.BadRequest, "error.body.unreadable")
	}
	lines, err := people.Parse(body)
	if err != nil {
		return err
	}
	if err := s.db.ImportPeople(r.Context(), lines, dryRun); err != nil {
		return err
	}
	out := importJSON{DryRun: dryRun, Lines: make([]importLineJSON, len(lines))}
	for i, l := range lines {
		u := l.User
		out.Lines[i] = importLineJSON{Line: l.Line, Email: u.Email, Name: u.Name, Type: u.Type, Role: u.Role,
			Outcome: l.Outcome, UserID: u.ID}
		if l.Outcome == kassa.ImportAdd {
			out.Added++
		} else {
			out.Existing++
		}
	}
	status := http.StatusOK
	if !dryRun && out.Added > 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, out)
	return nil
}
