package scim_test

import (
	"slices"
	"testing"
)

// memberIDs are the ids of a group resource's members.
func memberIDs(g map[string]any) []string {
	var ids []string
	members, _ := g["members"].([]any)
	for _, m := range members {
		ids = append(ids, str(m.(map[string]any)["value"]))
	}
	slices.Sort(ids)
	return ids
}

func (s *site) userID(t *testing.T, email string) string {
	t.Helper()
	c, err := s.db.FindCredentials(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return c.User.ID
}

func TestEntraGroups(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	anna, karl := s.userID(t, "anna.lindberg@nordvik.example"), s.userID(t, "karl.bjork@nordvik.example")
	created := s.do("POST", "/scim/v2/Groups", s.nordvik, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}}`).want(t, 201)
	id := str(created.body["id"])
	if created.body["displayName"] != "displayName" || created.body["externalId"] != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" {
		t.Fatalf("created %s", created.raw)
	}
	s.do("POST", "/scim/v2/Groups", s.nordvik, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"DISPLAYNAME"}`).wantError(t, 409, "uniqueness")

	got := s.do("GET", "/scim/v2/Groups?excludedAttributes=members&filter=displayName%20eq%20%22displayName%22", s.nordvik, "").list(t)
	if len(got) != 1 || got[0]["id"] != id || got[0]["members"] != nil {
		t.Fatalf("found %v", got)
	}
	s.do("PATCH", "/scim/v2/Groups/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]}`).want(t, 204)
	// Members added by a value list, removed by a list and by a path.
	s.do("PATCH", "/scim/v2/Groups/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"`+anna+`"},{"$ref":null,"value":"`+karl+`"}]}]}`).want(t, 204)
	g := s.do("GET", "/scim/v2/Groups/"+id, s.nordvik, "").want(t, 200)
	if want := []string{anna, karl}; !slices.Equal(memberIDs(g.body), sorted(want)) || g.body["displayName"] != "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName" {
		t.Fatalf("group %s", g.raw)
	}
	s.do("PATCH", "/scim/v2/Groups/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"`+anna+`"}]}]}`).want(t, 204)
	s.do("PATCH", "/scim/v2/Groups/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"`+karl+`\"]"}]}`).want(t, 204)
	if g := s.do("GET", "/scim/v2/Groups/"+id, s.nordvik, "").want(t, 200); len(memberIDs(g.body)) != 0 {
		t.Fatalf("group %s", g.raw)
	}
	// A member who is no user of the tenant is refused, and nothing changes.
	mike := s.userID(t, "mike@harbor.example")
	s.do("PATCH", "/scim/v2/Groups/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":"`+anna+`"},{"value":"`+mike+`"}]}]}`).wantError(t, 400, "invalidValue")
	if g := s.do("GET", "/scim/v2/Groups/"+id, s.nordvik, "").want(t, 200); len(memberIDs(g.body)) != 0 {
		t.Fatalf("a refused change changed %s", g.raw)
	}
	s.do("GET", "/scim/v2/Groups/"+id, s.harbor, "").wantError(t, 404, "")
	if a := s.do("DELETE", "/scim/v2/Groups/"+id, s.nordvik, ""); a.status != 204 {
		t.Fatalf("delete = %d %s", a.status, a.raw)
	}
	s.do("GET", "/scim/v2/Groups/"+id, s.nordvik, "").wantError(t, 404, "")
}

func sorted(s []string) []string { slices.Sort(s); return s }

func TestOktaGroups(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	anna, karl := s.userID(t, "anna.lindberg@nordvik.example"), s.userID(t, "karl.bjork@nordvik.example")
	created := s.do("POST", "/scim/v2/Groups", s.nordvik, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`).want(t, 201)
	id := str(created.body["id"])
	if members, ok := created.body["members"].([]any); !ok || len(members) != 0 {
		t.Errorf("created %s", created.raw)
	}
	s.do("PATCH", "/scim/v2/Groups/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"`+id+`","displayName":"Test SCIMv2"}}]}`).want(t, 204)
	s.do("PATCH", "/scim/v2/Groups/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"`+karl+`\"]"},{"op":"add","path":"members","value":[{"value":"`+anna+`","display":"anna.lindberg@nordvik.example"}]}]}`).want(t, 204)
	if g := s.do("GET", "/scim/v2/Groups/"+id, s.nordvik, "").want(t, 200); !slices.Equal(memberIDs(g.body), []string{anna}) {
		t.Fatalf("group %s", g.raw)
	}
	s.do("PATCH", "/scim/v2/Groups/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[{"value":"`+karl+`","display":"karl.bjork@nordvik.example"}]}]}`).want(t, 204)
	if g := s.do("GET", "/scim/v2/Groups/"+id, s.nordvik, "").want(t, 200); !slices.Equal(memberIDs(g.body), []string{karl}) {
		t.Fatalf("group %s", g.raw)
	}
	if got := s.do("GET", "/scim/v2/Groups?startIndex=1&count=100", s.nordvik, "").list(t); len(got) != 1 {
		t.Errorf("groups: %v", got)
	}
	// PUT sets what the body says.
	put := s.do("PUT", "/scim/v2/Groups/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Renamed","members":[{"value":"`+anna+`"}]}`).want(t, 200)
	if put.body["displayName"] != "Renamed" || !slices.Equal(memberIDs(put.body), []string{anna}) {
		t.Errorf("put %s", put.raw)
	}
}
