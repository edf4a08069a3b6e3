package scim_test

import (
	"testing"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// The requests below are Microsoft Entra ID's and Okta's, as their
// documents show them ("Tutorial: Develop and plan provisioning for a SCIM
// endpoint", "Known issues and resolutions with SCIM 2.0 protocol
// compliance", Okta's "SCIM 2.0 protocol reference"), ids and addresses
// aside.

func TestTokens(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.do("GET", "/scim/v2/Users", "", "").wantError(t, 401, "")
	s.do("GET", "/scim/v2/Users", "not-a-token", "").wantError(t, 401, "")
	// A token revoked reaches nothing.
	s.do("GET", "/scim/v2/Users", s.nordvik, "").want(t, 200) // this process now trusts the token for a second
	tokens, err := s.db.FindSCIMTokens(s.as("astrid@nordvik.example"))
	if err != nil || len(tokens) != 1 {
		t.Fatal(tokens, err)
	}
	if err := s.db.RevokeSCIMToken(s.as("astrid@nordvik.example"), tokens[0].ID); err != nil {
		t.Fatal(err)
	}
	// Refused within the second it is trusted (the ceiling only ends a hang).
	for deadline := time.Now().Add(time.Minute); ; {
		a := s.do("GET", "/scim/v2/Users?count=0", s.nordvik, "")
		if a.status == 401 {
			a.wantError(t, 401, "")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a revoked token still answers %d", a.status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	for _, p := range []string{"/scim/v2/ServiceProviderConfig", "/scim/v2/ResourceTypes", "/scim/v2/Schemas"} {
		s.do("GET", p, s.nordvik, "").want(t, 200)
	}
	s.do("GET", "/scim/v2/Nothing", s.nordvik, "").wantError(t, 404, "")
}

func TestEntraUsers(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	// Test Connection: a random userName, an empty list.
	if got := s.do("GET", filterQuery(`userName eq "a1b2c3d4-0000-4000-8000-123456789abc"`), s.nordvik, "").list(t); len(got) != 0 {
		t.Fatalf("test connection found %v", got)
	}
	// A person added by hand is found by userName, whatever its case.
	if got := s.do("GET", filterQuery(`userName eq "Anna.Lindberg@nordvik.example"`), s.nordvik, "").list(t); len(got) != 1 ||
		got[0]["displayName"] != "Anna Lindberg" || got[0]["active"] != true {
		t.Fatalf("anna: %v", got)
	}

	// Create: a userName that is no email signs in with the work email.
	created := s.do("POST", "/scim/v2/Users", s.nordvik, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee","active":true,"emails":[{"primary":true,"type":"work","value":"Test_User_11bb11bb@nordvik.example"}],"meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},"roles":[]}`).want(t, 201)
	id := str(created.body["id"])
	if created.header.Get("Location") == "" || created.body["userName"] != "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee" ||
		created.body["displayName"] != "givenName familyName" || created.body["externalId"] != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" {
		t.Fatalf("created %s", created.raw)
	}
	c, err := s.db.FindCredentials(t.Context(), "test_user_11bb11bb@nordvik.example")
	if err != nil || c.User.ID != id || c.PasswordHash != "" {
		t.Fatalf("the new user signs in as %v (%v)", c, err)
	}
	// The same userName again is taken.
	s.do("POST", "/scim/v2/Users", s.nordvik, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test_user_00aa00aa-bb11-cc22-dd33-44ee44ee44ee","emails":[{"type":"work","value":"other@nordvik.example"}]}`).wantError(t, 409, "uniqueness")
	// Found by userName, externalId and work email.
	for _, f := range []string{`userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"`,
		`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`,
		`emails[type eq "work"].value eq "Test_User_11bb11bb@nordvik.example"`,
		`emails[type eq "work" and value eq "test_user_11bb11bb@nordvik.example"]`,
		`userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee" and externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`} {
		if got := s.do("GET", filterQuery(f), s.nordvik, "").list(t); len(got) != 1 || got[0]["id"] != id {
			t.Errorf("filter %s found %v", f, got)
		}
	}
	s.do("GET", filterQuery(`userName sw "Test"`), s.nordvik, "").wantError(t, 400, "invalidFilter")
	s.do("GET", filterQuery(`userName eq "x" or externalId eq "y"`), s.nordvik, "").wantError(t, 400, "invalidFilter")
	s.do("GET", filterQuery(`userName eq`), s.nordvik, "").wantError(t, 400, "invalidFilter")

	// Update: the work email and family name; then the userName.
	patched := s.do("PATCH", "/scim/v2/Users/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@nordvik.example"},{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]}`).want(t, 200)
	if emails := patched.body["emails"].([]any); emails[0].(map[string]any)["value"] != "updatedemail@nordvik.example" {
		t.Errorf("patched %s", patched.raw)
	}
	if _, err := s.db.FindCredentials(t.Context(), "updatedemail@nordvik.example"); err != nil {
		t.Errorf("the work email signs in no more: %v", err)
	}
	patched = s.do("PATCH", "/scim/v2/Users/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"userName","value":"5b50642d-79fc-4410-9e90-4c077cdd1a59@nordvik.example"}]}`).want(t, 200)
	if patched.body["userName"] != "5b50642d-79fc-4410-9e90-4c077cdd1a59@nordvik.example" {
		t.Errorf("patched %s", patched.raw)
	}
	// Entra's other shapes: the compliant pathless replace with dotted keys.
	patched = s.do("PATCH", "/scim/v2/Users/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"TestMhvaes@nordvik.example"},{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}]}`).want(t, 200)
	if patched.body["displayName"] != "Bjfe" || patched.body["name"].(map[string]any)["givenName"] != "Kkom" {
		t.Errorf("patched %s", patched.raw)
	}
	// The manager, in each shape seen: kept out of kassa, not refused.
	s.do("PATCH", "/scim/v2/Users/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"manager","value":[{"$ref":"http://example.com/scim/Users/00aa00aa","value":"00aa00aa-bb11-cc22-dd33-44ee44ee44ee"}]}]}`).want(t, 200)
	s.do("PATCH", "/scim/v2/Users/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"}]}`).want(t, 200)

	// Disable as Entra sends it by default: "False", a string.
	patched = s.do("PATCH", "/scim/v2/Users/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`).want(t, 200)
	if patched.body["active"] != false {
		t.Fatalf("disabled %s", patched.raw)
	}
	s.do("PATCH", "/scim/v2/Users/"+id, s.nordvik, `{"Operations":[{"op":"Replace","path":"active","value":true}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`).want(t, 200)
	s.do("PATCH", "/scim/v2/Users/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Frobnicate","path":"active","value":true}]}`).wantError(t, 400, "invalidSyntax")

	// Delete: gone from SCIM, kept (disabled) for invoices and the audit log.
	if a := s.do("DELETE", "/scim/v2/Users/"+id, s.nordvik, ""); a.status != 204 {
		t.Fatalf("delete = %d %s", a.status, a.raw)
	}
	s.do("GET", "/scim/v2/Users/"+id, s.nordvik, "").wantError(t, 404, "")
	if got := s.do("GET", filterQuery(`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`), s.nordvik, "").list(t); len(got) != 0 {
		t.Errorf("a deleted user is listed: %v", got)
	}
	// Its userName is an email now, so that is how it signs in.
	if c, err := s.db.FindCredentials(t.Context(), "5b50642d-79fc-4410-9e90-4c077cdd1a59@nordvik.example"); err != nil || c.User.Status != kassa.Disabled {
		t.Errorf("the deleted user: %v %v", c, err)
	}
	// Provisioned again, they come back.
	again := s.do("POST", "/scim/v2/Users", s.nordvik, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"5b50642d-79fc-4410-9e90-4c077cdd1a59@nordvik.example","displayName":"Bjfe","active":true}`).want(t, 201)
	if again.body["id"] != id || again.body["active"] != true {
		t.Errorf("provisioned again: %s", again.raw)
	}
}

func TestOktaUsers(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	if got := s.do("GET", "/scim/v2/Users?filter=userName%20eq%20%22test.user%40nordvik.example%22&startIndex=1&count=100", s.nordvik, "").list(t); len(got) != 0 {
		t.Fatalf("found %v", got)
	}
	created := s.do("POST", "/scim/v2/Users", s.nordvik, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@nordvik.example","name":{"givenName":"Test","familyName":"User"},"emails":[{"primary":true,"value":"test.user@nordvik.example","type":"work"}],"displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`).want(t, 201)
	id := str(created.body["id"])
	if c, err := s.db.FindCredentials(t.Context(), "test.user@nordvik.example"); err != nil || c.PasswordHash != "" {
		t.Errorf("the password Okta sent was kept: %v %v", c, err)
	}
	// Import: every person of the tenant, paged.
	page := s.do("GET", "/scim/v2/Users?startIndex=1&count=10", s.nordvik, "")
	if got := page.list(t); len(got) != 10 || page.body["totalResults"].(float64) < 40 {
		t.Errorf("first page: %d of %v", len(got), page.body["totalResults"])
	}
	// PUT replaces what the directory says.
	put := s.do("PUT", "/scim/v2/Users/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"`+id+`","userName":"test.user@nordvik.example","name":{"givenName":"Another","familyName":"User"},"emails":[{"primary":true,"value":"test.user@nordvik.example","type":"work"}],"active":true}`).want(t, 200)
	if put.body["displayName"] != "Another User" || put.body["externalId"] != nil {
		t.Errorf("put %s", put.raw)
	}
	// Deactivate: a pathless replace.
	off := s.do("PATCH", "/scim/v2/Users/"+id, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`).want(t, 200)
	if off.body["active"] != false {
		t.Errorf("deactivated %s", off.raw)
	}
}

// TestDeprovisioningReleasesLicenses: a person the directory disables
// loses their sessions and licenses, and the purchaser is told (SPEC §7).
func TestDeprovisioningReleasesLicenses(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	raw := sqldbtest.Raw(t, s.dsn())
	johan, err := s.db.FindCredentials(t.Context(), "johan.berglund@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	count := func(q string) int {
		var n int
		if err := raw.QueryRow(q, johan.User.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count(`SELECT COUNT(*) FROM licenses WHERE user_id = $1`) == 0 {
		t.Fatal("the demo gives johan no license")
	}
	s.do("PATCH", "/scim/v2/Users/"+johan.User.ID, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`).want(t, 200)
	if n := count(`SELECT COUNT(*) FROM licenses WHERE user_id = $1`); n != 0 {
		t.Errorf("johan still holds %d licenses", n)
	}
	if n := count(`SELECT COUNT(*) FROM outbox WHERE kind = 'license_released' AND data LIKE '%' || (SELECT name FROM users WHERE id = $1) || '%'`); n == 0 {
		t.Errorf("erik was not told")
	}
	// The last admin stays one: no uniqueness, a conflict.
	astrid, _ := s.db.FindCredentials(t.Context(), "astrid@nordvik.example")
	s.do("PATCH", "/scim/v2/Users/"+astrid.User.ID, s.nordvik, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`).wantError(t, 409, "")
}

// TestTenantsApart: a token reaches its own tenant's people only.
func TestTenantsApart(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	anna, err := s.db.FindCredentials(t.Context(), "anna.lindberg@nordvik.example")
	if err != nil {
		t.Fatal(err)
	}
	s.do("GET", "/scim/v2/Users/"+anna.User.ID, s.harbor, "").wantError(t, 404, "")
	s.do("PATCH", "/scim/v2/Users/"+anna.User.ID, s.harbor, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`).wantError(t, 404, "")
	s.do("DELETE", "/scim/v2/Users/"+anna.User.ID, s.harbor, "").wantError(t, 404, "")
	if got := s.do("GET", filterQuery(`userName eq "anna.lindberg@nordvik.example"`), s.harbor, "").list(t); len(got) != 0 {
		t.Errorf("harbor's token finds anna: %v", got)
	}
	// Another tenant's email is taken.
	s.do("POST", "/scim/v2/Users", s.harbor, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"anna.lindberg@nordvik.example"}`).wantError(t, 409, "uniqueness")
	if c, _ := s.db.FindCredentials(t.Context(), "anna.lindberg@nordvik.example"); c.User.Status != kassa.Active {
		t.Errorf("anna: %v", c.User)
	}
}

// TestManagedPeopleChangeInTheDirectory: once the directory manages a
// person, Admin › People changes only their role; and Admin › Directory
// sync shows what the requests came to.
func TestManagedPeopleChangeInTheDirectory(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	created := s.do("POST", "/scim/v2/Users", s.nordvik, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"nils@nordvik.example","displayName":"Nils Holm"}`).want(t, 201)
	id := str(created.body["id"])
	astrid := s.as("astrid@nordvik.example")
	name, admin, off := "Nils H", kassa.RoleAdmin, kassa.Disabled
	if _, err := s.db.UpdateUser(astrid, id, kassa.UserUpdate{Name: &name}); kassa.ErrorCode(err) != kassa.Conflict || kassa.ErrorField(err) != "name" {
		t.Errorf("renaming a managed person: %v", err)
	}
	if _, err := s.db.UpdateUser(astrid, id, kassa.UserUpdate{Status: &off}); kassa.ErrorCode(err) != kassa.Conflict {
		t.Errorf("disabling a managed person: %v", err)
	}
	if u, err := s.db.UpdateUser(astrid, id, kassa.UserUpdate{Role: &admin}); err != nil || u.Role != kassa.RoleAdmin {
		t.Errorf("making a managed person an admin: %v %v", u, err)
	}
	s.do("GET", "/scim/v2/Users/nobody", s.nordvik, "").wantError(t, 404, "")
	requests, err := s.db.FindSCIMRequests(astrid, 10)
	if err != nil || len(requests) < 2 || requests[0].Status != 404 || requests[0].Detail == "" ||
		requests[len(requests)-1].Method != "POST" || requests[len(requests)-1].Status != 201 {
		t.Errorf("the requests recorded: %+v %v", requests, err)
	}
}
