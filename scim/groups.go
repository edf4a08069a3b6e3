package scim

import (
	"net/http"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/kassa-billing/kassa"
)

const groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"

// groupJSON is a group as SCIM shows it; Members is left out when the
// request excluded them (excludedAttributes=members).
type groupJSON struct {
	Schemas     []string      `json:"schemas"`
	ID          string        `json:"id"`
	ExternalID  string        `json:"externalId,omitempty"`
	DisplayName string        `json:"displayName"`
	Members     *[]memberJSON `json:"members,omitempty"`
	Meta        metaJSON      `json:"meta"`
}

type memberJSON struct {
	Value   string `json:"value"`
	Display string `json:"display"`
	Ref     string `json:"$ref"`
}

func newGroupJSON(base string, g *kassa.Group) groupJSON {
	j := groupJSON{Schemas: []string{groupSchema}, ID: g.ID, ExternalID: g.ExternalID, DisplayName: g.DisplayName,
		Meta: metaJSON{ResourceType: "Group", Created: g.CreatedAt, LastModified: g.UpdatedAt, Location: base + "/Groups/" + g.ID}}
	if g.Members != nil {
		members := make([]memberJSON, len(g.Members))
		for i, m := range g.Members {
			members[i] = memberJSON{Value: m.ID, Display: m.Name, Ref: base + "/Users/" + m.ID}
		}
		j.Members = &members
	}
	return j
}

// wantMembers reports whether the request wants groups' members: not when
// excludedAttributes names them.
func wantMembers(r *http.Request) bool {
	for _, a := range strings.Split(r.URL.Query().Get("excludedAttributes"), ",") {
		if a = strings.ToLower(strings.TrimSpace(a)); a == "members" || a == strings.ToLower(groupSchema)+":members" {
			return false
		}
	}
	return true
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := parseGroupFilter(r.URL.Query().Get("filter"))
	if err != nil {
		return err
	}
	start, count, err := paging(r)
	if err != nil {
		return err
	}
	groups, total, err := s.db.FindGroups(r.Context(), c.tenant.ID, f, start-1, count, wantMembers(r))
	if err != nil {
		return err
	}
	resources := make([]groupJSON, len(groups))
	for i, g := range groups {
		resources[i] = newGroupJSON(s.base(r), g)
	}
	writeJSON(w, http.StatusOK, listJSON{Schemas: []string{listResponse}, TotalResults: total, StartIndex: start,
		ItemsPerPage: len(resources), Resources: resources})
	return nil
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := s.db.FindGroup(r.Context(), c.tenant.ID, r.PathValue("id"), wantMembers(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newGroupJSON(s.base(r), g))
	return nil
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := readObject(r)
	if err != nil {
		return err
	}
	g := &kassa.Group{}
	var members []string
	for k, v := range body {
		switch attributePath(strings.TrimPrefix(strings.ToLower(k), strings.ToLower(groupSchema)+":")) {
		case "displayname":
			g.DisplayName, _ = v.(string)
		case "externalid":
			g.ExternalID, _ = v.(string)
		case "members":
			if members, err = memberIDs(v); err != nil {
				return err
			}
		}
	}
	if err := s.db.CreateGroup(r.Context(), c.tenant.ID, g, members); err != nil {
		return err
	}
	j := newGroupJSON(s.base(r), g)
	w.Header().Set("Location", j.Meta.Location)
	writeJSON(w, http.StatusCreated, j)
	return nil
}

// replaceGroup sets the group's name, external id and members as the body
// has them.
func (s *Server) replaceGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := readObject(r)
	if err != nil {
		return err
	}
	empty, none := "", []string{}
	change := kassa.GroupChange{ExternalID: &empty, Replace: &none}
	for k, v := range body {
		switch attributePath(k) {
		case "displayname":
			name, _ := v.(string)
			change.DisplayName = &name
		case "externalid":
			id, _ := v.(string)
			change.ExternalID = &id
		case "members":
			ids, err := memberIDs(v)
			if err != nil {
				return err
			}
			change.Replace = &ids
		}
	}
	g, err := s.db.UpdateGroup(r.Context(), c.tenant.ID, r.PathValue("id"), change)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newGroupJSON(s.base(r), g))
	return nil
}

// patchGroup applies a PatchOp: the name, the external id, and members
// added, removed (by a value list or a members[value eq "…"] path) or
// replaced. It answers 204, as Entra expects.
func (s *Server) patchGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := readObject(r)
	if err != nil {
		return err
	}
	raw, err := readGroupPatch(body)
	if err != nil {
		return err
	}
	if _, err := s.db.UpdateGroup(r.Context(), c.tenant.ID, r.PathValue("id"), raw); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.db.DeleteGroup(r.Context(), c.tenant.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// memberIDs reads a list of members: objects whose value is a user's id.
func memberIDs(v any) ([]string, error) {
	if v == nil {
		return []string{}, nil
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v} // one member, not in a list
	}
	ids := make([]string, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		id, _ := m["value"].(string)
		if !ok || id == "" {
			return nil, badRequest("invalidValue", `Each member is an object with the user's id as "value".`)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// readGroupPatch reads a group's PatchOp into the change it makes.
func readGroupPatch(body map[string]any) (kassa.GroupChange, error) {
	var change kassa.GroupChange
	ops, err := readPatch(body)
	if err != nil {
		return change, err
	}
	for _, o := range ops {
		values := map[string]any{o.path: o.value}
		if o.path == "" {
			m, ok := o.value.(map[string]any)
			if !ok {
				return change, badRequest("invalidValue", "An operation without a path needs an object as its value.")
			}
			values = m
		}
		for path, v := range values {
			if err := groupOperation(&change, o.op, path, v); err != nil {
				return change, err
			}
		}
	}
	return change, nil
}

func groupOperation(change *kassa.GroupChange, op, path string, v any) error {
	path = strings.TrimPrefix(attributePath(path), strings.ToLower(groupSchema)+":")
	switch {
	case path == "displayname":
		name, ok := v.(string)
		if !ok || op == "remove" {
			return badRequest("invalidValue", "displayName must be a string.")
		}
		change.DisplayName = &name
	case path == "externalid":
		id, _ := v.(string)
		if op == "remove" {
			id = ""
		}
		change.ExternalID = &id
	case path == "members":
		ids, err := memberIDs(v)
		if err != nil {
			return err
		}
		switch op {
		case "add":
			change.Add = append(change.Add, ids...)
		case "remove":
			if v == nil { // every member
				none := []string{}
				change.Replace, change.Add, change.Remove = &none, nil, nil
			}
			change.Remove = append(change.Remove, ids...)
		case "replace":
			change.Replace, change.Add, change.Remove = &ids, nil, nil
		}
	case strings.HasPrefix(path, "members["):
		id, err := memberOfPath(path)
		if err != nil {
			return err
		}
		if op != "remove" {
			return badRequest("invalidPath", "A members[value eq …] path can only be removed.")
		}
		change.Remove = append(change.Remove, id)
	}
	return nil
}

// memberOfPath reads the id of members[value eq "…"].
func memberOfPath(path string) (string, error) {
	p, err := filter.ParsePath([]byte(path))
	if err != nil {
		return "", badRequest("invalidPath", "The path "+path+" is not a SCIM path.")
	}
	e, ok := p.ValueExpression.(*filter.AttributeExpression)
	id, isString := func() (string, bool) {
		if !ok {
			return "", false
		}
		s, ok := e.CompareValue.(string)
		return s, ok
	}()
	if !ok || !isString || e.Operator != filter.EQ || !strings.EqualFold(e.AttributePath.AttributeName, "value") {
		return "", badRequest("invalidPath", `kassa removes members by members[value eq "id"].`)
	}
	return unquote(id), nil
}

// parseGroupFilter reads a filter of Groups: eq comparisons joined by and,
// on displayName and externalId.
func parseGroupFilter(raw string) (kassa.GroupFilter, error) {
	var f kassa.GroupFilter
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return f, nil
	}
	e, err := filter.ParseFilter([]byte(raw))
	if err != nil {
		return f, badRequest("invalidFilter", "The filter "+raw+" is not a SCIM filter.")
	}
	return f, eqFilter(e, func(attr, v string) bool {
		switch attr {
		case "displayname":
			f.DisplayName = &v
		case "externalid":
			f.ExternalID = &v
		default:
			return false
		}
		return true
	}, `kassa filters groups with eq joined by and, on displayName and externalId.`)
}
