package web

import (
	"net/http"
	"slices"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/graph"
)

// appsPath is Admin › Apps: the apps registered with the organization,
// which read and assign its licenses through the Graph-compatible API
// (SPEC §9), each with its client secrets (shown once, when made).
const appsPath = "/admin/apps"

// AppsPage lists the apps and registers new ones.
type AppsPage struct {
	Layout
	TokenURL, GraphURL string
	Apps               []AppRow
	Name               Field
	Permissions        []Check
	PermissionsError   string
	Notice             string
}

func (*AppsPage) template() string { return "apps.html" }

// AppRow is an app as the list shows it.
type AppRow struct {
	Name, Href, ClientID, Created string
	Permissions                   []string
}

// Check is one checkbox of a group.
type Check struct {
	ID, Name, Value, Label, Hint string
	Checked                      bool
}

// AppPage is one app: its client id, permissions and secrets. NewSecret is
// set on the page that answers making one: the one time it is shown.
type AppPage struct {
	Layout
	App                *kassa.App
	TokenURL, GraphURL string
	Permissions        []string
	Secrets            []SecretRow
	NewSecret          string
	CanAddSecret       bool
	Error, Notice      string
}

func (*AppPage) template() string { return "app.html" }

// SecretRow is one of an app's client secrets.
type SecretRow struct {
	Hint, Created, LastUsed, Delete string
}

// permissionKeys words each permission for admins.
var permissionKeys = map[string]string{
	kassa.PermOrganizationRead:  msg("apps.permission.organization"),
	kassa.PermUserRead:          msg("apps.permission.users"),
	kassa.PermLicenseAssignment: msg("apps.permission.licenses"),
}

// appURLs returns where the tenant's apps take tokens (the path has the
// tenant's directory id, as Entra's has the tenant id) and the Graph base.
func (s *server) appURLs(r *http.Request) (token, graphURL string, err error) {
	tenant, err := s.db.FindTenantOf(r.Context(), kassa.ActorFromContext(r.Context()).User)
	if err != nil {
		return "", "", err
	}
	base := s.base(r)
	return base + "/" + tenant.DirectoryID + "/oauth2/v2.0/token", base + graph.Prefix, nil
}

func (s *server) appsPage(r *http.Request, checked []string) (*AppsPage, error) {
	p := &AppsPage{Layout: s.layout(r, msg("nav.apps"))}
	var err error
	if p.TokenURL, p.GraphURL, err = s.appURLs(r); err != nil {
		return nil, err
	}
	p.Name = Field{ID: "app-name", Name: "name", Label: p.T("apps.name"), Hint: p.T("apps.name.hint"),
		MaxLength: 100, Class: "medium", Autocomplete: "off", Required: true}
	for _, perm := range kassa.AppPermissions {
		p.Permissions = append(p.Permissions, Check{ID: "perm-" + perm, Name: "permission", Value: perm, Label: perm,
			Hint: p.T(permissionKeys[perm]), Checked: slices.Contains(checked, perm)})
	}
	apps, err := s.db.FindApps(r.Context())
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		p.Apps = append(p.Apps, AppRow{Name: a.Name, Href: appsPath + "/" + a.ID, ClientID: a.ClientID,
			Created: formatTime(&p.Layout, a.CreatedAt) + " · " + a.CreatedBy.Name, Permissions: a.Permissions})
	}
	return p, nil
}

func (s *server) apps(w http.ResponseWriter, r *http.Request) error {
	p, err := s.appsPage(r, nil)
	if err != nil {
		return err
	}
	p.Notice = notice(&p.Layout, r)
	return s.render(w, http.StatusOK, p)
}

// registerApp registers an app and shows its page with the first secret,
// this once (never in an address).
func (s *server) registerApp(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	noStore(w)
	app := &kassa.App{Name: r.PostForm.Get("name"), Permissions: r.PostForm["permission"]}
	_, secret, err := s.auth.NewApp(r.Context(), app)
	if code := kassa.ErrorCode(err); err != nil {
		if code != kassa.Invalid && code != kassa.Conflict {
			return err
		}
		p, perr := s.appsPage(r, r.PostForm["permission"])
		if perr != nil {
			return perr
		}
		p.Name.Value = r.PostForm.Get("name")
		if kassa.ErrorField(err) == "permissions" {
			p.PermissionsError = p.tr.Error(err)
		} else {
			p.Name.Error, p.Name.Autofocus = p.tr.Error(err), true
		}
		return s.render(w, statusOf(code), p)
	}
	p, err := s.appPage(r, app.ID)
	if err != nil {
		return err
	}
	p.NewSecret, p.Notice = secret, p.T("apps.registered")
	return s.render(w, http.StatusCreated, p)
}

func (s *server) appPage(r *http.Request, id string) (*AppPage, error) {
	app, err := s.db.FindApp(r.Context(), id)
	if err != nil {
		return nil, err
	}
	secrets, err := s.db.FindAppSecrets(r.Context(), id)
	if err != nil {
		return nil, err
	}
	p := &AppPage{Layout: s.layout(r, msg("nav.apps")), App: app, CanAddSecret: len(secrets) < kassa.MaxAppSecrets}
	p.Title = app.Name
	if p.TokenURL, p.GraphURL, err = s.appURLs(r); err != nil {
		return nil, err
	}
	for _, perm := range app.Permissions {
		p.Permissions = append(p.Permissions, perm+" – "+p.T(permissionKeys[perm]))
	}
	for _, sec := range secrets {
		row := SecretRow{Hint: sec.Hint + "…", Created: formatTime(&p.Layout, sec.CreatedAt), LastUsed: p.T("directory.token.never"),
			Delete: appsPath + "/" + id + "/secrets/" + sec.ID + "/delete"}
		if sec.LastUsedAt != nil {
			row.LastUsed = formatTime(&p.Layout, *sec.LastUsedAt)
		}
		p.Secrets = append(p.Secrets, row)
	}
	return p, nil
}

func (s *server) app(w http.ResponseWriter, r *http.Request) error {
	p, err := s.appPage(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	p.Notice = notice(&p.Layout, r)
	return s.render(w, http.StatusOK, p)
}

// addAppSecret makes a second secret and shows it, this once.
func (s *server) addAppSecret(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	noStore(w)
	_, secret, err := s.auth.NewAppSecret(r.Context(), r.PathValue("id"))
	if err != nil && kassa.ErrorCode(err) != kassa.Conflict {
		return err
	}
	p, perr := s.appPage(r, r.PathValue("id"))
	if perr != nil {
		return perr
	}
	if err != nil {
		p.Error = p.tr.Error(err)
		return s.render(w, http.StatusConflict, p)
	}
	p.NewSecret = secret
	return s.render(w, http.StatusCreated, p)
}

func (s *server) deleteAppSecret(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.db.DeleteAppSecret(r.Context(), r.PathValue("id"), r.PathValue("secret_id")); err != nil {
		return err
	}
	return seeOther(w, r, appsPath+"/"+r.PathValue("id")+"?done=app_secret_deleted")
}

func (s *server) deleteApp(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.auth.DeleteApp(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, appsPath+"?done=app_deleted")
}
