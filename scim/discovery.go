package scim

import "net/http"

// What the server says of itself (RFC 7643 §5–7): it takes PATCH, filters
// (up to maxCount results), and bearer tokens; not bulk, sorting, ETags or
// password changes.

func (s *Server) serviceProviderConfig(w http.ResponseWriter, r *http.Request, _ *call) error {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":               []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri":      "https://github.com/kassa-billing/kassa#directory-sync",
		"patch":                 map[string]bool{"supported": true},
		"bulk":                  map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":                map[string]any{"supported": true, "maxResults": maxCount},
		"changePassword":        map[string]bool{"supported": false},
		"sort":                  map[string]bool{"supported": false},
		"etag":                  map[string]bool{"supported": false},
		"authenticationSchemes": []map[string]any{{"type": "oauthbearertoken", "name": "Bearer token", "description": "A SCIM token an admin makes under Admin › Directory sync.", "primary": true}},
		"meta":                  map[string]string{"resourceType": "ServiceProviderConfig", "location": s.base(r) + "/ServiceProviderConfig"},
	})
	return nil
}

func (s *Server) resourceTypes(w http.ResponseWriter, r *http.Request, _ *call) error {
	user := map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
		"id":      "User", "name": "User", "endpoint": "/Users", "schema": userSchema,
		"schemaExtensions": []map[string]any{{"schema": enterpriseUser, "required": false}},
		"meta":             map[string]string{"resourceType": "ResourceType", "location": s.base(r) + "/ResourceTypes/User"},
	}
	group := map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
		"id":      "Group", "name": "Group", "endpoint": "/Groups", "schema": groupSchema,
		"meta": map[string]string{"resourceType": "ResourceType", "location": s.base(r) + "/ResourceTypes/Group"},
	}
	writeJSON(w, http.StatusOK, listJSON{Schemas: []string{listResponse}, TotalResults: 2, StartIndex: 1, ItemsPerPage: 2,
		Resources: []any{user, group}})
	return nil
}

func (s *Server) schemas(w http.ResponseWriter, r *http.Request, _ *call) error {
	attr := func(name, typ string, required bool, uniqueness string) map[string]any {
		return map[string]any{"name": name, "type": typ, "multiValued": false, "required": required,
			"caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": uniqueness}
	}
	name := attr("name", "complex", false, "none")
	name["subAttributes"] = []any{attr("formatted", "string", false, "none"), attr("givenName", "string", false, "none"),
		attr("familyName", "string", false, "none")}
	emails := attr("emails", "complex", false, "none")
	emails["multiValued"] = true
	emails["subAttributes"] = []any{attr("value", "string", false, "none"), attr("type", "string", false, "none"),
		attr("primary", "boolean", false, "none")}
	user := map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Schema"},
		"id":      userSchema, "name": "User", "description": "A person of the organization.",
		"attributes": []any{attr("userName", "string", true, "server"), name, attr("displayName", "string", false, "none"),
			emails, attr("userType", "string", false, "none"), attr("active", "boolean", false, "none"),
			attr("externalId", "string", false, "none")},
		"meta": map[string]string{"resourceType": "Schema", "location": s.base(r) + "/Schemas/" + userSchema},
	}
	members := attr("members", "complex", false, "none")
	members["multiValued"] = true
	members["subAttributes"] = []any{attr("value", "string", false, "none"), attr("display", "string", false, "none")}
	group := map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Schema"},
		"id":      groupSchema, "name": "Group", "description": "A group of the organization's people.",
		"attributes": []any{attr("displayName", "string", true, "server"), members, attr("externalId", "string", false, "none")},
		"meta":       map[string]string{"resourceType": "Schema", "location": s.base(r) + "/Schemas/" + groupSchema},
	}
	writeJSON(w, http.StatusOK, listJSON{Schemas: []string{listResponse}, TotalResults: 2, StartIndex: 1, ItemsPerPage: 2,
		Resources: []any{user, group}})
	return nil
}
