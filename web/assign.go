package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// AssignForm is the Assign licenses to users pane: a search among the
// people of the organization, its results to add to the list, and the list
// of the users chosen, which Assign posts. Without script every step is a
// GET of the same form, the chosen users riding along in hidden inputs;
// licenses.js turns the search into a typeahead over GET /api/v1/users that
// adds to the same inputs without a page load.
type AssignForm struct {
	Action   string
	Search   Field
	Searched bool // Results answer a search
	Results  []Person
	More     bool // the search found more than Results
	Chosen   []Person
	Max      int
	// ListError says why the list cannot be assigned as it is; the users at
	// fault carry their own Error.
	ListError string
	// For the script: the ids of the users who hold a license, separated by
	// spaces, and the message that refuses a user past Max.
	Holders, LimitText string
}

// searchLimit is how many people a search shows, in the pane as in the
// typeahead.
const searchLimit = 10

// assignPage loads the page of the subscription r names with the Assign
// licenses to users pane open, the search box holding query. One the reader
// may only look at is errReadOnly; one whose licenses cannot be assigned
// now says why, with status.
func (s *server) assignPage(r *http.Request, query string) (*HoldersPage, *AssignForm, int, error) {
	p, _, err := s.holdersPage(r)
	if err != nil {
		return nil, nil, 0, err
	}
	if p.ReadOnly != "" {
		return nil, nil, 0, errReadOnly
	}
	if !p.Sub.CanAssign {
		p.Error = p.T("licenses.error.status", "Status", p.Sub.StatusText)
		if p.Sub.Ended {
			p.Error = p.T("subscription.canceled.text")
		}
		return p, nil, http.StatusConflict, nil
	}
	f := &AssignForm{Action: p.Sub.Href + "/assign", Max: kassa.MaxAssignBatch}
	f.Search = Field{ID: "user-search", Name: "q", Type: "search", Label: p.T("assign.search"),
		Hint: p.T("assign.search.hint"), Value: strings.TrimSpace(query), MaxLength: 100, Autocomplete: "off"}
	ids := make([]string, len(p.Holders))
	for i, h := range p.Holders {
		ids[i] = h.ID
	}
	f.Holders = strings.Join(ids, " ")
	f.LimitText = p.T("assign.error.limit", "Max", f.Max)
	p.Pane, p.Assign = "assign", f
	return p, f, 0, nil
}

// choose puts the users of ids on f's list. A user of another tenant is
// NotFound, as if there were no such user.
func (s *server) choose(r *http.Request, p *HoldersPage, f *AssignForm, ids []string) error {
	for _, id := range ids {
		u, err := s.db.FindUserByID(r.Context(), id)
		if err != nil {
			return err
		}
		person := personOf(&p.Layout, u)
		person.HasLicense = p.holds(id)
		f.Chosen = append(f.Chosen, person)
	}
	return nil
}

// search fills f's results with the people its search box finds.
func (s *server) search(r *http.Request, p *HoldersPage, f *AssignForm) error {
	if f.Search.Value == "" {
		return nil
	}
	users, next, err := s.db.FindUsers(r.Context(), kassa.UserFilter{Search: f.Search.Value, Limit: searchLimit})
	if kassa.ErrorCode(err) == kassa.Invalid {
		f.Search.Error = p.T("assign.error.search")
		return nil
	} else if err != nil {
		return err
	}
	f.Searched, f.More = true, next != ""
	for _, u := range users {
		person := personOf(&p.Layout, u)
		person.HasLicense = p.holds(u.ID)
		person.InList = slices.ContainsFunc(f.Chosen, func(c Person) bool { return c.ID == u.ID })
		f.Results = append(f.Results, person)
	}
	return nil
}

// chosenIDs returns the users a form names, each once, in order.
func chosenIDs(form url.Values) []string {
	var ids []string
	for _, id := range form["user"] {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func (s *server) assignForm(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, f, status, err := s.assignPage(r, q.Get("q"))
	if err != nil {
		return err
	} else if status != 0 {
		return s.render(w, status, p)
	}
	status = http.StatusOK
	ids := slices.DeleteFunc(chosenIDs(q), func(id string) bool { return id == q.Get("remove") })
	if add := q.Get("add"); add != "" && !slices.Contains(ids, add) {
		if len(ids) >= f.Max {
			f.ListError, status = f.LimitText, http.StatusUnprocessableEntity
		} else {
			ids = append(ids, add)
		}
	}
	if err := s.choose(r, p, f, ids); err != nil {
		return err
	}
	if err := s.search(r, p, f); err != nil {
		return err
	}
	if f.Search.Error == "" && f.ListError == "" {
		f.Search.Autofocus = true
	}
	return s.render(w, status, p)
}

func (s *server) assign(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	// load reads the page and the list as they are now.
	load := func() (*HoldersPage, *AssignForm, int, error) {
		p, f, status, err := s.assignPage(r, r.PostForm.Get("q"))
		if err != nil || status != 0 {
			return p, f, status, err
		}
		if err := s.choose(r, p, f, chosenIDs(r.PostForm)); err != nil {
			return nil, nil, 0, err
		}
		return p, f, checkLength(p, f), nil
	}
	p, f, status, err := load()
	if err != nil {
		return err
	} else if status != 0 {
		return s.render(w, status, p)
	}
	ids := chosenIDs(r.PostForm)
	_, refusal := s.licensing.Assign(r.Context(), p.Sub.ID, ids)
	switch kassa.ErrorCode(refusal) {
	case "":
		return seeOther(w, r, p.Sub.Href+"/assigned?"+usersQuery(ids))
	case kassa.Invalid, kassa.Conflict:
		// Say why beside the list, with the licenses as they are now.
		if p, f, status, err = load(); err != nil {
			return err
		} else if status == 0 {
			status = explainRefusal(p, f, refusal)
		}
		return s.render(w, status, p)
	case kassa.Forbidden:
		return errReadOnly
	}
	return refusal
}

// checkLength checks that f's list names 1 to Max users, the form's own
// rule. It returns the status of the page that says otherwise, or 0.
func checkLength(p *HoldersPage, f *AssignForm) int {
	switch n := len(f.Chosen); {
	case n == 0:
		f.ListError = p.T("assign.error.none")
		return http.StatusUnprocessableEntity
	case n > f.Max:
		f.ListError = p.T("assign.error.too_many", "Max", f.Max, "Count", n-f.Max)
		return http.StatusUnprocessableEntity
	}
	return 0
}

// explainRefusal says beside f's list why licensing refused it (err): each
// user it refused, translated, beside their name; else that the licenses
// free now are too few, or that they changed meanwhile. It returns the
// page's status.
func explainRefusal(p *HoldersPage, f *AssignForm, err error) int {
	if refused := kassa.ErrorRefused(err); len(refused) > 0 {
		for _, r := range refused {
			for i := range f.Chosen {
				if c := &f.Chosen[i]; c.ID == r.UserID {
					c.Error = p.T(locale.RefusalKey(r.Reason), "Name", c.Name)
				}
			}
		}
		f.ListError = p.T("assign.error.refused", "Count", len(refused))
		return http.StatusUnprocessableEntity
	}
	if n := len(f.Chosen); n > p.Sub.Available {
		f.ListError = p.T("assign.error.not_enough", "Count", p.Sub.Available, "Chosen", n)
	} else {
		f.ListError = p.T("assign.error.changed")
	}
	return http.StatusConflict
}

// assigned shows what Assign did: the users of the query who now hold a
// license, and Close.
func (s *server) assigned(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.holdersPage(r)
	if err != nil {
		return err
	}
	if p.ReadOnly != "" {
		return errReadOnly
	}
	for _, id := range chosenIDs(r.URL.Query()) {
		u, err := s.db.FindUserByID(r.Context(), id)
		if err != nil {
			return err
		}
		if p.holds(id) {
			p.Done = append(p.Done, personOf(&p.Layout, u))
		}
	}
	p.Pane = "assigned"
	return s.render(w, http.StatusOK, p)
}
