package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/kassa-billing/kassa"
)

// Admin › People: every user of the tenant, searchable and filtered by
// status, type and role; adding one (who is invited by mail), changing
// one, disabling and enabling one, and importing many from a CSV file
// (import.go).
const peoplePath = "/admin/people"

// peoplePerPage is how many people a page of Admin › People shows.
const peoplePerPage = 50

// PeoplePage is Admin › People: a GET form of search and filters above the
// table, paged by a cursor (the next page, and back to the first).
type PeoplePage struct {
	Layout
	Search             string
	Status, Type, Role Field
	Rows               []PersonRow
	Next, First        string // "" when there is no such page
	Clear              string // the table without search and filters, when they are set
	Notice             string
}

func (*PeoplePage) template() string { return "people.html" }

// PersonRow is a user as the table shows them.
type PersonRow struct {
	Href, Name, Email string
	Type, Role        string // in words
	Disabled          bool
	You               bool
	Directory         bool // the organization's directory manages them
}

// Labels of the users' types, roles and statuses.
var (
	typeKeys       = map[kassa.UserType]string{kassa.Member: msg("people.type.member"), kassa.Guest: msg("people.type.guest")}
	roleKeys       = map[kassa.Role]string{kassa.RoleUser: msg("people.role.user"), kassa.RoleAdmin: msg("people.role.admin")}
	userStatusKeys = map[kassa.UserStatus]string{kassa.Active: msg("people.status.active"), kassa.Disabled: msg("people.status.disabled")}
)

// filterField is a select of the table's filters: "" for everyone, then
// each value; a value that is none keeps everyone.
func filterField[T ~string](l *Layout, name, label string, keys map[T]string, order []T, chosen string) Field {
	opts := []Option{{Value: "", Label: l.T("people.filter.all"), Selected: chosen == ""}}
	for _, v := range order {
		opts = append(opts, Option{Value: string(v), Label: l.T(keys[v]), Selected: string(v) == chosen})
	}
	return Field{ID: "filter-" + name, Name: name, Label: label, Options: opts}
}

// choice returns v as a T when keys knows it, else nil.
func choice[T ~string](keys map[T]string, v string) *T {
	t := T(v)
	if _, ok := keys[t]; !ok {
		return nil
	}
	return &t
}

func (s *server) people(w http.ResponseWriter, r *http.Request) error {
	p := &PeoplePage{Layout: s.layout(r, msg("nav.people"))}
	q := r.URL.Query()
	p.Search = strings.TrimSpace(q.Get("search"))
	f := kassa.UserFilter{Search: p.Search, After: q.Get("cursor"), Limit: peoplePerPage, Everyone: true,
		Status: choice(userStatusKeys, q.Get("status")), Type: choice(typeKeys, q.Get("type")), Role: choice(roleKeys, q.Get("role"))}
	p.Status = filterField(&p.Layout, "status", p.T("people.col.status"), userStatusKeys,
		[]kassa.UserStatus{kassa.Active, kassa.Disabled}, string(deref(f.Status)))
	p.Type = filterField(&p.Layout, "type", p.T("people.col.type"), typeKeys,
		[]kassa.UserType{kassa.Member, kassa.Guest}, string(deref(f.Type)))
	p.Role = filterField(&p.Layout, "role", p.T("people.col.role"), roleKeys,
		[]kassa.Role{kassa.RoleUser, kassa.RoleAdmin}, string(deref(f.Role)))
	users, next, err := s.db.FindUsers(r.Context(), f)
	if kassa.ErrorCode(err) == kassa.Invalid { // a cursor or search the table did not make
		f.After, f.Search, p.Search = "", "", ""
		users, next, err = s.db.FindUsers(r.Context(), f)
	}
	if err != nil {
		return err
	}
	query := url.Values{}
	for name, v := range map[string]string{"search": p.Search, "status": string(deref(f.Status)),
		"type": string(deref(f.Type)), "role": string(deref(f.Role))} {
		if v != "" {
			query.Set(name, v)
		}
	}
	if len(query) > 0 {
		p.Clear = peoplePath
	}
	if f.After != "" {
		p.First = withQuery(peoplePath, query)
	}
	if next != "" {
		query.Set("cursor", next)
		p.Next = withQuery(peoplePath, query)
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	managed, err := s.db.DirectoryManaged(r.Context(), ids...)
	if err != nil {
		return err
	}
	me := kassa.ActorFromContext(r.Context()).User.ID
	for _, u := range users {
		p.Rows = append(p.Rows, PersonRow{Href: peoplePath + "/" + u.ID, Name: u.Name, Email: u.Email,
			Type: p.T(typeKeys[u.Type]), Role: p.T(roleKeys[u.Role]), Disabled: u.Status == kassa.Disabled, You: u.ID == me,
			Directory: managed[u.ID]})
	}
	p.Notice = notice(&p.Layout, r)
	return s.render(w, http.StatusOK, p)
}

func deref[T any](v *T) T {
	var zero T
	if v == nil {
		return zero
	}
	return *v
}

// PersonPage adds a person (Person nil) or shows and changes one: their
// name, type and role in one form, and beside it turning their sign-in off
// or on again.
type PersonPage struct {
	Layout
	Action                  string
	Person                  *kassa.User
	You                     bool
	Name, Email, Type, Role Field
	FormError               string
	StatusAction            string
	StatusError             string
	LinkError               string // of the password link form
	// Managed people come from the organization's directory: only their
	// role changes here.
	Managed bool
	Notice  string
}

func (*PersonPage) template() string { return "person.html" }

// personPage returns the form, filled in from u (for a new person: the
// defaults).
func (s *server) personPage(r *http.Request, u *kassa.User) *PersonPage {
	p := &PersonPage{Layout: s.layout(r, msg("people.add.title")), Action: peoplePath + "/new"}
	if u.ID != "" {
		p.Layout = s.layout(r, msg("people.edit.title"))
		p.Title = u.Name
		p.Person, p.Action, p.StatusAction = u, peoplePath+"/"+u.ID, peoplePath+"/"+u.ID+"/status"
		p.You = u.ID == kassa.ActorFromContext(r.Context()).User.ID
	}
	p.Name = Field{ID: "person-name", Name: "name", Label: p.T("people.name"), Value: u.Name, MaxLength: 200,
		Required: true, Autocomplete: "off"}
	p.Email = Field{ID: "person-email", Name: "email", Label: p.T("people.email"), Hint: p.T("people.email.hint"),
		Value: u.Email, Type: "email", MaxLength: 254, Required: true, Autocomplete: "off"}
	p.Type = Field{ID: "person-type", Name: "type", Label: p.T("people.col.type"), Hint: p.T("people.type.hint"),
		Options: options(&p.Layout, typeKeys, []kassa.UserType{kassa.Member, kassa.Guest}, u.Type), Class: "medium"}
	p.Role = Field{ID: "person-role", Name: "role", Label: p.T("people.col.role"), Hint: p.T("people.role.hint"),
		Options: options(&p.Layout, roleKeys, []kassa.Role{kassa.RoleUser, kassa.RoleAdmin}, u.Role), Class: "medium"}
	return p
}

// options offers the values of order, chosen selected.
func options[T ~string](l *Layout, keys map[T]string, order []T, chosen T) []Option {
	opts := make([]Option, len(order))
	for i, v := range order {
		opts[i] = Option{Value: string(v), Label: l.T(keys[v]), Selected: v == chosen}
	}
	return opts
}

// showError puts err beside the field it names, or above the form.
func (p *PersonPage) showError(err error) {
	text := p.tr.Error(err)
	field := kassa.ErrorField(err)
	if p.Managed && field != "role" {
		field = "" // the directory's fields show no inputs to stand beside
	}
	switch field {
	case "name":
		p.Name.Error = text
	case "email":
		p.Email.Error = text
	case "type":
		p.Type.Error = text
	case "role":
		p.Role.Error = text
	case "status":
		p.StatusError = text
	default:
		p.FormError = text
	}
	focusFirstError(&p.Name, &p.Email, &p.Type, &p.Role)
}

func (s *server) newPersonForm(w http.ResponseWriter, r *http.Request) error {
	p := s.personPage(r, &kassa.User{Type: kassa.Member, Role: kassa.RoleUser})
	p.Name.Autofocus = true
	return s.render(w, http.StatusOK, p)
}

// addPerson adds the person of the form and invites them.
func (s *server) addPerson(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	u := &kassa.User{Name: r.PostForm.Get("name"), Email: strings.TrimSpace(r.PostForm.Get("email")),
		Type: kassa.UserType(r.PostForm.Get("type")), Role: kassa.Role(r.PostForm.Get("role"))}
	typed := *u
	err := s.db.AddPerson(r.Context(), u)
	if code := kassa.ErrorCode(err); code == kassa.Invalid || code == kassa.Conflict {
		p := s.personPage(r, &typed)
		p.showError(err)
		return s.render(w, statusOf(code), p)
	} else if err != nil {
		return err
	}
	return seeOther(w, r, peoplePath+"/"+u.ID+"?done=person_invited")
}

// person shows the page of a user of the tenant; others' are not found.
func (s *server) person(w http.ResponseWriter, r *http.Request) error {
	u, err := s.db.FindUserByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p := s.personPage(r, u)
	if err := s.markManaged(r, p); err != nil {
		return err
	}
	p.Notice = notice(&p.Layout, r)
	return s.render(w, http.StatusOK, p)
}

// markManaged says on the page whether the directory manages the person.
func (s *server) markManaged(r *http.Request, p *PersonPage) error {
	if p.Person == nil {
		return nil
	}
	managed, err := s.db.DirectoryManaged(r.Context(), p.Person.ID)
	p.Managed = managed[p.Person.ID]
	return err
}

// updatePerson saves the name, type and role of the form.
func (s *server) updatePerson(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	u, err := s.db.FindUserByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	name, ty, role := r.PostForm.Get("name"), kassa.UserType(r.PostForm.Get("type")), kassa.Role(r.PostForm.Get("role"))
	_, err = s.db.UpdateUser(r.Context(), u.ID, kassa.UserUpdate{Name: &name, Type: &ty, Role: &role})
	if code := kassa.ErrorCode(err); code == kassa.Invalid || code == kassa.Conflict {
		typed := *u
		typed.Name, typed.Type, typed.Role = name, ty, role
		p := s.personPage(r, &typed)
		p.Title = u.Name
		if err := s.markManaged(r, p); err != nil {
			return err
		}
		p.showError(err)
		return s.render(w, statusOf(code), p)
	} else if err != nil {
		return err
	}
	return seeOther(w, r, peoplePath+"/"+u.ID+"?done=person_saved")
}

// setPersonStatus disables the user (their sessions end at once and their
// licenses come free) or enables them again.
func (s *server) setPersonStatus(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	status := kassa.UserStatus(r.PostForm.Get("status"))
	u, err := s.db.UpdateUser(r.Context(), r.PathValue("id"), kassa.UserUpdate{Status: &status})
	if code := kassa.ErrorCode(err); code == kassa.Invalid || code == kassa.Conflict {
		current, ferr := s.db.FindUserByID(r.Context(), r.PathValue("id"))
		if ferr != nil {
			return ferr
		}
		p := s.personPage(r, current)
		p.showError(err)
		if p.FormError != "" {
			p.StatusError, p.FormError = p.FormError, ""
		}
		return s.render(w, statusOf(code), p)
	} else if err != nil {
		return err
	}
	done := "person_enabled"
	if u.Status == kassa.Disabled {
		s.auth.ForgetUser(u.ID)
		done = "person_disabled"
	}
	return seeOther(w, r, peoplePath+"/"+u.ID+"?done="+done)
}

// sendPasswordLink mails the person their invitation again, or a link to
// choose a new password when they have one.
func (s *server) sendPasswordLink(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	kind, err := s.db.SendPasswordLink(r.Context(), r.PathValue("id"))
	if kassa.ErrorCode(err) == kassa.Conflict {
		u, ferr := s.db.FindUserByID(r.Context(), r.PathValue("id"))
		if ferr != nil {
			return ferr
		}
		p := s.personPage(r, u)
		p.LinkError = p.tr.Error(err)
		return s.render(w, http.StatusConflict, p)
	} else if err != nil {
		return err
	}
	done := "reset_sent"
	if kind == kassa.NotifyInvitation {
		done = "invitation_sent"
	}
	return seeOther(w, r, peoplePath+"/"+r.PathValue("id")+"?done="+done)
}

// statusOf is the status of a form refused for code.
func statusOf(code kassa.Code) int {
	if code == kassa.Conflict {
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}
