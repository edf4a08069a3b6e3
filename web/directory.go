package web

import (
	"net/http"
	"net/url"

	"github.com/kassa-billing/kassa"
)

// directoryPath is Admin › Directory sync: the SCIM base URL an identity
// provider is given, the tokens it may use (made here, shown once, and
// revoked), and what its latest requests came to.
const directoryPath = "/admin/directory-sync"

// requestsShown is how many of the latest SCIM requests the page shows.
const requestsShown = 20

// DirectorySyncPage is Admin › Directory sync. NewToken is set on the page
// that answers making one: the one time it is shown.
type DirectorySyncPage struct {
	Layout
	BaseURL  string
	Tokens   []TokenRow
	Name     Field
	NewToken string
	Requests []RequestRow
	Notice   string
}

func (*DirectorySyncPage) template() string { return "directory_sync.html" }

// TokenRow is a SCIM token as the page lists it.
type TokenRow struct {
	Name, CreatedBy, Created, LastUsed string
	Revoke                             string // where its revoke form posts
}

// RequestRow is one SCIM request as the page lists it.
type RequestRow struct {
	At, Method, Path string
	Status           int
	Failed           bool
	Detail           string
}

// directoryPage returns the page with the tenant's tokens and latest
// requests.
func (s *server) directoryPage(r *http.Request) (*DirectorySyncPage, error) {
	p := &DirectorySyncPage{Layout: s.layout(r, msg("nav.directory_sync")), BaseURL: s.base(r) + "/scim/v2"}
	p.Name = Field{ID: "token-name", Name: "name", Label: p.T("directory.token.name"), Hint: p.T("directory.token.name.hint"),
		MaxLength: 200, Class: "medium", Autocomplete: "off"}
	tokens, err := s.db.FindSCIMTokens(r.Context())
	if err != nil {
		return nil, err
	}
	for _, t := range tokens {
		row := TokenRow{Name: t.Name, CreatedBy: t.CreatedBy.Name, Created: formatTime(&p.Layout, t.CreatedAt),
			LastUsed: p.T("directory.token.never"), Revoke: directoryPath + "/tokens/" + t.ID + "/revoke"}
		if t.LastUsedAt != nil {
			row.LastUsed = formatTime(&p.Layout, *t.LastUsedAt)
		}
		p.Tokens = append(p.Tokens, row)
	}
	requests, err := s.db.FindSCIMRequests(r.Context(), requestsShown)
	if err != nil {
		return nil, err
	}
	for _, q := range requests {
		path := q.Path
		if readable, err := url.PathUnescape(path); err == nil {
			path = readable // the filter as the identity provider wrote it
		}
		p.Requests = append(p.Requests, RequestRow{At: formatTime(&p.Layout, q.At), Method: q.Method, Path: path,
			Status: q.Status, Failed: q.Status >= 400, Detail: q.Detail})
	}
	return p, nil
}

func (s *server) directorySync(w http.ResponseWriter, r *http.Request) error {
	p, err := s.directoryPage(r)
	if err != nil {
		return err
	}
	p.Notice = notice(&p.Layout, r)
	return s.render(w, http.StatusOK, p)
}

// createSCIMToken makes a token and shows it, this once, on the page that
// answers (never in an address).
func (s *server) createSCIMToken(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	noStore(w)
	name := r.PostForm.Get("name")
	_, token, err := s.auth.NewSCIMToken(r.Context(), name)
	code := kassa.ErrorCode(err)
	if err != nil && code != kassa.Invalid && code != kassa.Conflict {
		return err
	}
	p, perr := s.directoryPage(r)
	if perr != nil {
		return perr
	}
	if err != nil {
		p.Name.Value, p.Name.Error, p.Name.Autofocus = name, p.tr.Error(err), true
		return s.render(w, statusOf(code), p)
	}
	p.NewToken = token
	return s.render(w, http.StatusCreated, p)
}

func (s *server) revokeSCIMToken(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.db.RevokeSCIMToken(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, directoryPath+"?done=scim_token_revoked")
}

// base is where people and other systems reach kassa: --base-url, else the
// request's own scheme and host.
func (s *server) base(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
