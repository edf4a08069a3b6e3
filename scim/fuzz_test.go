package scim

import (
	"encoding/json"
	"testing"

	"github.com/kassa-billing/kassa"
)

// FuzzParseFilter: whatever the filter, it is read or refused with a 400,
// never a panic.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`userName eq "a@b.example"`, `externalId eq "x" and userName eq "y"`,
		`emails[type eq "work"].value eq "a@b.example"`, `emails[type eq "work" and value eq "x"]`, `userName sw "J"`,
		`userName eq "a\"b"`, `not (userName eq "x")`, `userName eq`, `[`, ``, `emails[type eq "work"].value eq "x" and displayName eq "y"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_, err := parseFilter(raw)
		if e, ok := err.(*Error); err != nil && (!ok || e.Status != 400 || e.ScimType != "invalidFilter") {
			t.Fatalf("parseFilter(%q) = %v", raw, err)
		}
	})
}

// FuzzPatch: whatever the PATCH body, it is refused with a 400 or applied
// to a user who then passes kassa's checks or is refused by them.
func FuzzPatch(f *testing.F) {
	for _, s := range []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		`{"Operations":[{"op":"replace","value":{"active":false}}]}`,
		`{"Operations":[{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}]}`,
		`{"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"x@y.example"}]}`,
		`{"Operations":[{"op":"remove","path":"externalId"}]}`, `{"Operations":[{"op":"remove"}]}`, `{"Operations":[]}`,
		`{"Operations":[{"op":"add","path":"emails","value":[{"value":"a@b.example","type":"work"}]}]}`,
		`{"Operations":[{"op":"add","path":"name","value":{"givenName":"A","familyName":"B"}}]}`,
		`{"Operations":[{"op":"replace","path":"userName","value":7}]}`, `[]`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var m map[string]any
		if json.Unmarshal([]byte(body), &m) != nil || m == nil {
			return
		}
		ops, err := readPatch(m)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Status != 400 {
				t.Fatalf("readPatch(%s) = %v", body, err)
			}
			return
		}
		d := &kassa.DirectoryUser{User: kassa.User{Name: "Anna Lind", Email: "anna@nordvik.example", Type: kassa.Member,
			Role: kassa.RoleUser, Status: kassa.Active}, UserName: "anna@nordvik.example", GivenName: "Anna", FamilyName: "Lind"}
		if err := patchUser(d, ops); err != nil {
			if e, ok := err.(*Error); !ok || e.Status != 400 {
				t.Fatalf("patchUser(%s) = %v", body, err)
			}
			return
		}
		if err := d.Check(); err != nil {
			if kassa.ErrorCode(err) != kassa.Invalid {
				t.Fatalf("Check after %s = %v", body, err)
			}
			return
		}
		if d.Email == "" || d.Name == "" || !d.Type.Valid() || !d.Status.Valid() {
			t.Fatalf("after %s: %+v", body, d)
		}
	})
}

// FuzzGroupPatch: whatever a group's PATCH body, it is read into a change
// or refused with a 400.
func FuzzGroupPatch(f *testing.F) {
	for _, s := range []string{
		`{"Operations":[{"op":"Replace","path":"displayName","value":"New"}]}`,
		`{"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"usr_1"}]}]}`,
		`{"Operations":[{"op":"Remove","path":"members","value":[{"value":"usr_1"}]}]}`,
		`{"Operations":[{"op":"remove","path":"members[value eq \"usr_1\"]"}]}`,
		`{"Operations":[{"op":"replace","value":{"id":"grp_1","displayName":"Test SCIMv2"}}]}`,
		`{"Operations":[{"op":"replace","path":"members","value":[]}]}`, `{"Operations":[{"op":"remove","path":"members"}]}`,
		`{"Operations":[{"op":"add","path":"members[value eq 1]"}]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var m map[string]any
		if json.Unmarshal([]byte(body), &m) != nil || m == nil {
			return
		}
		change, err := readGroupPatch(m)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Status != 400 {
				t.Fatalf("readGroupPatch(%s) = %v", body, err)
			}
			return
		}
		for _, id := range append(append([]string{}, change.Add...), change.Remove...) {
			if id == "" {
				t.Fatalf("readGroupPatch(%s) names a member without an id", body)
			}
		}
	})
}
