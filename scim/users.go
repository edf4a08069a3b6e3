package scim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
)

// Paging of lists: SCIM counts from 1.
const (
	defaultCount = 100
	maxCount     = 1000
)

// userJSON is a user as SCIM shows it.
type userJSON struct {
	Schemas     []string    `json:"schemas"`
	ID          string      `json:"id"`
	ExternalID  string      `json:"externalId,omitempty"`
	UserName    string      `json:"userName"`
	Name        nameJSON    `json:"name"`
	DisplayName string      `json:"displayName"`
	Emails      []emailJSON `json:"emails"`
	UserType    string      `json:"userType"`
	Active      bool        `json:"active"`
	Meta        metaJSON    `json:"meta"`
}

type nameJSON struct {
	Formatted  string `json:"formatted"`
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

type emailJSON struct {
	Value   string `json:"value"`
	Type    string `json:"type"`
	Primary bool   `json:"primary"`
}

type metaJSON struct {
	ResourceType string    `json:"resourceType"`
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"lastModified"`
	Location     string    `json:"location"`
}

func newUserJSON(base string, d *kassa.DirectoryUser) userJSON {
	work := d.WorkEmail
	if work == "" {
		work = d.Email
	}
	userType := "Member"
	if d.Type == kassa.Guest {
		userType = "Guest"
	}
	return userJSON{Schemas: []string{userSchema}, ID: d.ID, ExternalID: d.ExternalID, UserName: d.UserName,
		Name:        nameJSON{Formatted: d.Name, GivenName: d.GivenName, FamilyName: d.FamilyName},
		DisplayName: d.Name, Emails: []emailJSON{{Value: work, Type: "work", Primary: true}}, UserType: userType,
		Active: d.Status == kassa.Active,
		Meta: metaJSON{ResourceType: "User", Created: d.CreatedAt, LastModified: d.UpdatedAt,
			Location: base + "/Users/" + d.ID}}
}

// listJSON is SCIM's ListResponse; its numbers are JSON integers.
type listJSON struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    any      `json:"Resources"`
}

// paging reads startIndex (from 1) and count; SCIM takes anything less than
// 1 as 1, and a negative count as 0.
func paging(r *http.Request) (start, count int, err error) {
	start, count = 1, defaultCount
	q := r.URL.Query()
	if v := q.Get("startIndex"); v != "" {
		if start, err = strconv.Atoi(v); err != nil {
			return 0, 0, badRequest("invalidValue", "startIndex must be a whole number.")
		}
		start = max(start, 1)
	}
	if v := q.Get("count"); v != "" {
		if count, err = strconv.Atoi(v); err != nil {
			return 0, 0, badRequest("invalidValue", "count must be a whole number.")
		}
		count = min(max(count, 0), maxCount)
	}
	return start, count, nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := parseFilter(r.URL.Query().Get("filter"))
	if err != nil {
		return err
	}
	start, count, err := paging(r)
	if err != nil {
		return err
	}
	users, total, err := s.db.FindDirectoryUsers(r.Context(), c.tenant.ID, f, start-1, count)
	if err != nil {
		return err
	}
	resources := make([]userJSON, len(users))
	for i, d := range users {
		resources[i] = newUserJSON(s.base(r), d)
	}
	writeJSON(w, http.StatusOK, listJSON{Schemas: []string{listResponse}, TotalResults: total, StartIndex: start,
		ItemsPerPage: len(resources), Resources: resources})
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.db.FindDirectoryUser(r.Context(), c.tenant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newUserJSON(s.base(r), d))
	return nil
}

// readObject reads the body as one JSON object.
func readObject(r *http.Request) (map[string]any, error) {
	b, err := io.ReadAll(r.Body)
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Detail: "The body is larger than 1 MB."}
	} else if err != nil {
		return nil, badRequest("invalidSyntax", "The body could not be read.")
	}
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil || body == nil {
		return nil, badRequest("invalidSyntax", "The body must be one JSON object.")
	}
	return body, nil
}

// createUser provisions a user: 201 with the user, or 409 when their
// userName is someone's already.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := readObject(r)
	if err != nil {
		return err
	}
	d := &kassa.DirectoryUser{User: kassa.User{Status: kassa.Active}}
	if err := setAttributes(d, body); err != nil {
		return err
	}
	if err := d.Check(); err != nil {
		return err
	}
	if err := s.db.ProvisionUser(r.Context(), c.tenant.ID, d); err != nil {
		return err
	}
	u := newUserJSON(s.base(r), d)
	w.Header().Set("Location", u.Meta.Location)
	writeJSON(w, http.StatusCreated, u)
	return nil
}

// replaceUser replaces what the directory says of a user with the body;
// what it leaves out is cleared, but their status and kassa's role.
func (s *Server) replaceUser(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := readObject(r)
	if err != nil {
		return err
	}
	d, err := s.db.UpdateDirectoryUser(r.Context(), c.tenant.ID, r.PathValue("id"), func(d *kassa.DirectoryUser) error {
		d.Name, d.GivenName, d.FamilyName, d.WorkEmail, d.ExternalID, d.Type = "", "", "", "", "", kassa.Member
		return setAttributes(d, body)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newUserJSON(s.base(r), d))
	return nil
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := readObject(r)
	if err != nil {
		return err
	}
	ops, err := readPatch(body)
	if err != nil {
		return err
	}
	d, err := s.db.UpdateDirectoryUser(r.Context(), c.tenant.ID, r.PathValue("id"), func(d *kassa.DirectoryUser) error {
		return patchUser(d, ops)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newUserJSON(s.base(r), d))
	return nil
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.db.DeleteDirectoryUser(r.Context(), c.tenant.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setAttributes sets each attribute of a user resource's body on d; an
// attribute kassa has no use for is ignored.
func setAttributes(d *kassa.DirectoryUser, body map[string]any) error {
	return setInOrder(d, body)
}

// attributePath is a path in the form setAttribute matches: lower case,
// without the core User schema's URN.
func attributePath(p string) string {
	p = strings.ToLower(strings.TrimSpace(p))
	if rest, ok := strings.CutPrefix(p, strings.ToLower(userSchema)+":"); ok {
		return rest
	}
	return p
}

// setAttribute sets the attribute at path (lower case) to v, or clears it
// with remove.
func setAttribute(d *kassa.DirectoryUser, path string, v any, remove bool) error {
	str := func() (string, error) {
		if remove || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", badRequest("invalidValue", path+" must be a string.")
		}
		return s, nil
	}
	var err error
	switch path {
	case "username":
		if remove {
			return badRequest("mutability", "userName cannot be removed.")
		}
		d.UserName, err = str()
	case "externalid":
		d.ExternalID, err = str()
	case "displayname", "name.formatted":
		d.Name, err = str()
	case "name.givenname":
		d.GivenName, err = str()
	case "name.familyname":
		d.FamilyName, err = str()
	case "name":
		if remove || v == nil {
			d.GivenName, d.FamilyName = "", ""
			return nil
		}
		parts, ok := v.(map[string]any)
		if !ok {
			return badRequest("invalidValue", "name must be an object.")
		}
		for k, sub := range parts {
			if err := setAttribute(d, "name."+strings.ToLower(k), sub, false); err != nil {
				return err
			}
		}
	case "usertype":
		var t string
		if t, err = str(); err == nil {
			d.Type = kassa.Member
			if strings.EqualFold(t, "guest") {
				d.Type = kassa.Guest
			}
		}
	case "active":
		if remove {
			return badRequest("mutability", "active cannot be removed.")
		}
		var active bool
		if active, err = boolean(v); err == nil {
			d.Status = kassa.Disabled
			if active {
				d.Status = kassa.Active
			}
		}
	case "emails":
		d.WorkEmail = ""
		if !remove && v != nil {
			d.WorkEmail, err = workEmail(v)
		}
	case `emails[type eq "work"].value`:
		d.WorkEmail, err = str()
	}
	return err
}

// boolean reads a JSON boolean, or the strings "True" and "False" in any
// case (as Entra sends active by default).
func boolean(v any) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		if strings.EqualFold(b, "true") {
			return true, nil
		} else if strings.EqualFold(b, "false") {
			return false, nil
		}
	}
	return false, badRequest("invalidValue", "active must be true or false.")
}

// workEmail picks the work address of a list of emails: the one of type
// work, else the primary one, else the first.
func workEmail(v any) (string, error) {
	list, ok := v.([]any)
	if !ok {
		return "", badRequest("invalidValue", "emails must be a list.")
	}
	pick := ""
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return "", badRequest("invalidValue", "each of emails must be an object.")
		}
		value, _ := m["value"].(string)
		typ, _ := m["type"].(string)
		primary, _ := m["primary"].(bool)
		if strings.EqualFold(typ, "work") {
			return value, nil
		}
		if primary || i == 0 {
			pick = value
		}
	}
	return pick, nil
}
