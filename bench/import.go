package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/people"
)

// DefaultImport is how many people the import phase adds in one CSV file:
// as many as one file may hold.
const DefaultImport = people.MaxLines

// importPeople has an admin import n new people through the API, as one
// CSV file in one request (all or nothing, each person invited), and
// measures people added per second. Every one must be added.
func (b *run) importPeople(ctx context.Context, n int) stats {
	var s stats
	fail := func(err error) stats {
		s.Failed++
		s.errors = append(s.errors, err.Error())
		return s
	}
	token, err := b.adminToken(ctx)
	if err != nil {
		return fail(err)
	}
	newcomers := make([]*kassa.User, n)
	for i := range newcomers {
		newcomers[i] = &kassa.User{Name: personName(b.tenant.userIDs.len() + i), Email: fmt.Sprintf("new%05d@bench.example", i),
			Type: kassa.Member, Role: kassa.RoleUser}
	}
	var file bytes.Buffer
	if err := people.Write(&file, newcomers); err != nil {
		return fail(err)
	}
	began := time.Now()
	status, body, err := b.client.doRaw(ctx, http.MethodPost, "/api/v1/admin/users/import", token, "text/csv", file.Bytes())
	s.Elapsed = time.Since(began)
	s.latencies = []time.Duration{s.Elapsed}
	if err := expect(status, body, err, http.StatusCreated, "import people"); err != nil {
		return fail(err)
	}
	var out struct{ Added int }
	if err := json.Unmarshal(body, &out); err != nil {
		return fail(err)
	}
	if out.Added != n {
		return fail(fmt.Errorf("import people: %d added, want %d", out.Added, n))
	}
	s.Done = int64(out.Added)
	return s
}

// adminToken signs the tenant's first admin in through the API.
func (b *run) adminToken(ctx context.Context) (string, error) {
	admin := b.tenant.admin
	status, body, err := b.client.do(ctx, http.MethodPost, "/api/v1/login", "",
		map[string]string{"email": admin.Email, "password": password})
	if err := expect(status, body, err, http.StatusOK, "sign in "+admin.Email); err != nil {
		return "", err
	}
	var login struct{ Token string }
	err = json.Unmarshal(body, &login)
	return login.Token, err
}
