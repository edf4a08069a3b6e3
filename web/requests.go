package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/billing"
)

// License requests (SPEC §12). Where the purchase policy keeps a person
// from buying a product, the catalog offers Request licenses instead: a
// form for whom (themselves, and colleagues by email address, one a line)
// and a message, or, when the organization takes requests elsewhere, its
// message and link. People follow their requests under Billing › License
// requests; admins decide them under Admin › License requests, each in a
// pane: who is approved, from which of the organization's subscriptions,
// and a message back.

const (
	requestsPath      = "/billing/license-requests"
	adminRequestsPath = "/admin/license-requests"
)

// RequestPage is the Request licenses form of a product.
type RequestPage struct {
	Layout
	Product                  string
	ExternalText, External   string // the organization's own process, instead of the form
	ForMe                    bool
	Others, Message          Field
	FormError, ForMeError    string
	Action, BackHref, MyHref string
}

func (*RequestPage) template() string { return "request.html" }

// productPage serves a product's page that {action} names: buy, or
// request.
func (s *server) productPage(w http.ResponseWriter, r *http.Request) error {
	if r.PathValue("action") == "request" {
		return s.requestForm(w, r)
	}
	return s.buyForm(w, r)
}

func (s *server) productPost(w http.ResponseWriter, r *http.Request) error {
	if r.PathValue("action") == "request" {
		return s.request(w, r)
	}
	return s.buy(w, r)
}

// requestPage loads the form for the product r names: NotFound unless its
// policy keeps the reader from buying it.
func (s *server) requestPage(r *http.Request) (*RequestPage, *kassa.Product, error) {
	prod, err := s.db.FindProductByID(r.Context(), r.PathValue("productID"))
	if err != nil {
		return nil, nil, err
	}
	if prod.Retired || !kassa.CanRequest(prod.Policy) {
		return nil, nil, kassa.E(kassa.NotFound, "error.page.not_found")
	}
	p := &RequestPage{Layout: s.layout(r, msg("nav.products")), ForMe: true,
		Action: productsPath + "/" + prod.ID + "/request", BackHref: productsPath, MyHref: requestsPath}
	p.Product = prod.Name.In(p.Lang)
	p.Title = p.T("request.title", "Product", p.Product)
	settings, err := s.db.FindRequestSettings(r.Context())
	if err != nil {
		return nil, nil, err
	}
	if settings.Mode == kassa.RequestModeExternal {
		p.ExternalText, p.External = settings.Message, settings.URL
	}
	p.Others = Field{ID: "request-others", Name: "others", Label: p.T("request.others"), Hint: p.T("request.others.hint",
		"Max", kassa.MaxRequestUsers-1), MaxLength: 4000}
	p.Message = Field{ID: "request-message", Name: "message", Label: p.T("request.message"), Hint: p.T("request.message.hint"),
		MaxLength: kassa.MaxRequestMessage}
	return p, prod, nil
}

func (s *server) requestForm(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.requestPage(r)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, p)
}

func (s *server) request(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, prod, err := s.requestPage(r)
	if err != nil {
		return err
	}
	if p.External != "" || p.ExternalText != "" {
		return s.render(w, http.StatusConflict, p)
	}
	p.ForMe = r.PostForm.Get("for_me") != ""
	p.Others.Value = r.PostForm.Get("others")
	p.Message.Value = strings.TrimSpace(r.PostForm.Get("message"))
	var ids []string
	if p.ForMe {
		ids = append(ids, p.Actor.User.ID)
	}
	// Each line an email address of a colleague who may hold a license;
	// the first wrong line is named.
	for i, line := range strings.Split(p.Others.Value, "\n") {
		email := strings.TrimSpace(line)
		if email == "" {
			continue
		}
		u, err := s.db.FindUserByEmail(r.Context(), email)
		switch {
		case kassa.ErrorCode(err) == kassa.NotFound:
			p.Others.Error = p.T("request.error.nobody", "Line", i+1, "Email", email)
		case err != nil:
			return err
		case !u.CanHoldLicense():
			p.Others.Error = p.T("request.error.cannot_hold", "Line", i+1, "Name", u.Name)
		case slices.Contains(ids, u.ID):
			continue
		default:
			ids = append(ids, u.ID)
			continue
		}
		break
	}
	switch {
	case p.Others.Error != "":
	case len(ids) == 0:
		p.ForMeError = p.T("request.error.nobody_asked")
	case len(ids) > kassa.MaxRequestUsers:
		p.Others.Error = p.T("request.error.too_many", "Max", kassa.MaxRequestUsers)
	case len([]rune(p.Message.Value)) > kassa.MaxRequestMessage:
		p.Message.Error = p.T("request.error.message", "Max", kassa.MaxRequestMessage)
	}
	if p.Others.Error != "" || p.ForMeError != "" || p.Message.Error != "" {
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	_, err = s.db.CreateLicenseRequest(r.Context(), prod.ID, ids, p.Message.Value)
	switch kassa.ErrorCode(err) {
	case "":
		return seeOther(w, r, requestsPath+"?done=request_sent")
	case kassa.Invalid, kassa.Conflict:
		p.FormError = p.tr.Error(err)
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	return err
}

// RequestsPage lists license requests: the reader's own (Billing ›
// License requests), or the organization's for an admin (Admin › License
// requests), with the decide pane of one open.
type RequestsPage struct {
	Layout
	Admin    bool
	Rows     []LicenseRequestRow
	Notice   string
	Error    string // why a decision was not made
	Decide   *DecideForm
	Settings *RequestSettingsForm
}

func (*RequestsPage) template() string { return "requests.html" }

// LicenseRequestRow is a request as a list shows it.
type LicenseRequestRow struct {
	Href, Product, Requester, Created string
	Users                             []string
	Message, Status, StatusText       string
	Decision, DecidedBy               string
	Pending, Open                     bool
}

// DecideForm is an admin's pane deciding a request.
type DecideForm struct {
	Action       string
	Users        []DecideUser
	UsersError   string
	Subscription Field // a select of the organization's subscriptions of the product
	AddLicenses  Field // how many licenses to buy if too few are free
	NoSubs       bool
	Message      Field
	FormError    string
	// SwitchProfile is where the subscription's billing profile is switched
	// to the organization's, when a person's card still pays for it.
	SwitchProfile string
}

// DecideUser is a person asked for, checked when approved.
type DecideUser struct {
	ID, Name, Email string
	Checked         bool
}

// RequestSettingsForm is the admin's choice of how people ask.
type RequestSettingsForm struct {
	External     bool
	Message, URL Field
	FormError    string
}

var requestStatusKeys = map[kassa.RequestStatus]string{
	kassa.RequestPending:           msg("request.status.pending"),
	kassa.RequestApproved:          msg("request.status.approved"),
	kassa.RequestPartiallyApproved: msg("request.status.partially_approved"),
	kassa.RequestDeclined:          msg("request.status.declined"),
}

func (s *server) requestsPage(r *http.Request, admin bool) (*RequestsPage, []*kassa.LicenseRequest, error) {
	title := msg("nav.my_requests")
	if admin {
		title = msg("nav.license_requests")
	}
	p := &RequestsPage{Layout: s.layout(r, title), Admin: admin}
	p.Notice = notice(&p.Layout, r)
	reqs, err := s.db.FindLicenseRequests(r.Context(), "")
	if err != nil {
		return nil, nil, err
	}
	base := requestsPath
	if admin {
		base = adminRequestsPath
	}
	for _, req := range reqs {
		row := LicenseRequestRow{Href: base + "/" + req.ID, Product: req.ProductName.In(p.Lang), Requester: req.Requester.Name,
			Created: formatDate(&p.Layout, req.CreatedAt), Message: req.Message, Status: string(req.Status),
			StatusText: p.T(requestStatusKeys[req.Status]), Decision: req.Decision, Pending: req.Status == kassa.RequestPending,
			Open: r.PathValue("id") == req.ID}
		if req.DecidedBy != nil {
			row.DecidedBy = req.DecidedBy.Name
		}
		for _, u := range req.Users {
			name := u.Name
			if u.Approved {
				name += " ✓"
			}
			row.Users = append(row.Users, name)
		}
		p.Rows = append(p.Rows, row)
	}
	return p, reqs, nil
}

func (s *server) myRequests(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.requestsPage(r, false)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, p)
}

func (s *server) adminRequests(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.requestsPage(r, true)
	if err != nil {
		return err
	}
	if err := s.settingsForm(r, p, nil); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, p)
}

// settingsForm fills the settings form with st, or what is saved when nil.
func (s *server) settingsForm(r *http.Request, p *RequestsPage, st *kassa.RequestSettings) error {
	if st == nil {
		var err error
		if st, err = s.db.FindRequestSettings(r.Context()); err != nil {
			return err
		}
	}
	p.Settings = &RequestSettingsForm{External: st.Mode == kassa.RequestModeExternal,
		Message: Field{ID: "settings-message", Name: "message", Label: p.T("request.settings.message"), Value: st.Message,
			MaxLength: kassa.MaxRequestMessage},
		URL: Field{ID: "settings-url", Name: "url", Label: p.T("request.settings.url"), Hint: p.T("request.settings.url.hint"),
			Value: st.URL, Type: "url"}}
	return nil
}

func (s *server) saveRequestSettings(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, _, err := s.requestsPage(r, true)
	if err != nil {
		return err
	}
	st := kassa.RequestSettings{Mode: kassa.RequestModeRequests, Message: r.PostForm.Get("message"), URL: r.PostForm.Get("url")}
	if r.PostForm.Get("mode") == kassa.RequestModeExternal {
		st.Mode = kassa.RequestModeExternal
	}
	if err := s.settingsForm(r, p, &st); err != nil {
		return err
	}
	err = s.db.SetRequestSettings(r.Context(), st)
	switch {
	case err == nil:
		return seeOther(w, r, adminRequestsPath+"?done=request_settings_saved")
	case kassa.ErrorCode(err) == kassa.Invalid && kassa.ErrorField(err) == "url":
		p.Settings.URL.Error = p.tr.Error(err)
	case kassa.ErrorCode(err) == kassa.Invalid:
		p.Settings.Message.Error = p.tr.Error(err)
	default:
		return err
	}
	return s.render(w, http.StatusUnprocessableEntity, p)
}

// decidePane opens the decide pane of the request r names on p.
func (s *server) decidePane(r *http.Request, p *RequestsPage, reqs []*kassa.LicenseRequest, approve []string, subID, message string) error {
	i := slices.IndexFunc(reqs, func(req *kassa.LicenseRequest) bool { return req.ID == r.PathValue("id") })
	if i < 0 {
		return kassa.E(kassa.NotFound, "error.requests.not_found", "ID", r.PathValue("id"))
	}
	req := reqs[i]
	if req.Status != kassa.RequestPending {
		return nil // decided: the row says how
	}
	f := &DecideForm{Action: adminRequestsPath + "/" + req.ID}
	for _, u := range req.Users {
		f.Users = append(f.Users, DecideUser{ID: u.ID, Name: u.Name, Email: u.Email,
			Checked: approve == nil || slices.Contains(approve, u.ID)})
	}
	managed, product := kassa.AdminManaged, req.ProductID
	subs, err := s.db.FindSubscriptions(r.Context(), kassa.SubscriptionFilter{Channel: &managed, ProductID: &product})
	if err != nil {
		return err
	}
	f.Subscription = Field{ID: "decide-subscription", Name: "subscription_id", Label: p.T("request.decide.subscription"),
		Value: subID, Options: []Option{}}
	for _, sub := range subs {
		if sub.Status.Live() {
			f.Subscription.Options = append(f.Subscription.Options, Option{Value: sub.ID, Selected: sub.ID == subID,
				Label: p.T("move.target.option", "Term", p.T(termKeys[sub.Term]), "Free", sub.Available(), "Quantity", sub.Quantity,
					"Purchaser", sub.PurchaserName, "Date", formatDate(&p.Layout, sub.ExpiresAt))})
		}
	}
	f.NoSubs = len(f.Subscription.Options) == 0
	f.AddLicenses = Field{ID: "decide-add", Name: "add_licenses", Label: p.T("request.decide.add"), Hint: p.T("request.decide.add.hint"),
		Value: "0", InputMode: "numeric", Class: "short"}
	f.Message = Field{ID: "decide-message", Name: "message", Label: p.T("request.decide.message", "Name", req.Requester.Name),
		Value: message, MaxLength: kassa.MaxRequestMessage}
	p.Decide = f
	return nil
}

func (s *server) decideForm(w http.ResponseWriter, r *http.Request) error {
	p, reqs, err := s.requestsPage(r, true)
	if err != nil {
		return err
	}
	if err := s.decidePane(r, p, reqs, nil, "", ""); err != nil {
		return err
	}
	if err := s.settingsForm(r, p, nil); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, p)
}

func (s *server) decide(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, reqs, err := s.requestsPage(r, true)
	if err != nil {
		return err
	}
	approve := []string{} // not nil: the boxes as posted, where none checked approves nobody
	if r.PostForm.Get("step") != "decline" {
		approve = append(approve, r.PostForm["approve"]...)
	}
	subID, message := r.PostForm.Get("subscription_id"), strings.TrimSpace(r.PostForm.Get("message"))
	if err := s.decidePane(r, p, reqs, approve, subID, message); err != nil {
		return err
	}
	if err := s.settingsForm(r, p, nil); err != nil {
		return err
	}
	if len(approve) > 0 && p.Decide != nil && p.Decide.NoSubs {
		p.Decide.FormError = p.T("request.decide.no_subscriptions")
		return s.render(w, http.StatusConflict, p)
	}
	sub := ""
	if len(approve) > 0 {
		sub = subID
	}
	add := 0
	if v := strings.TrimSpace(r.PostForm.Get("add_licenses")); v != "" {
		if add, err = strconv.Atoi(v); err != nil || add < 0 {
			if p.Decide != nil {
				p.Decide.AddLicenses.Value, p.Decide.AddLicenses.Error = v, p.T("request.decide.add.error")
				return s.render(w, http.StatusUnprocessableEntity, p)
			}
			add = 0
		}
	}
	if p.Decide != nil {
		p.Decide.AddLicenses.Value = strconv.Itoa(add)
	}
	_, err = s.billing.DecideLicenseRequest(billing.Present(r.Context(), s.base(r)), r.PathValue("id"), approve, sub, message, add)
	switch kassa.ErrorCode(err) {
	case "":
		return seeOther(w, r, adminRequestsPath+"?done=request_decided")
	case kassa.Invalid, kassa.Conflict:
		if p.Decide == nil { // decided meanwhile: the list says how
			p.Error = p.tr.Error(err)
			return s.render(w, http.StatusConflict, p)
		}
		switch kassa.ErrorField(err) {
		case "approve_user_ids":
			p.Decide.UsersError = p.tr.Error(err)
		case "subscription_id":
			p.Decide.Subscription.Error = p.tr.Error(err)
		case "message":
			p.Decide.Message.Error = p.tr.Error(err)
		case "add_licenses":
			p.Decide.AddLicenses.Error = p.tr.Error(err)
		default:
			p.Decide.FormError = p.tr.Error(err)
			if personPays(err) {
				p.Decide.SwitchProfile = subscriptionsPath + "/" + sub + "/billing-profile"
			}
		}
		status := http.StatusUnprocessableEntity
		if kassa.ErrorCode(err) == kassa.Conflict {
			status = http.StatusConflict
		}
		return s.render(w, status, p)
	}
	return err
}

// requestAction is the catalog's link to ask for licenses of prod, where
// its policy keeps the reader from buying it; nil elsewhere.
func requestAction(l *Layout, prod *kassa.Product) *Action {
	if !l.Actor.User.CanBuy() || !kassa.CanRequest(prod.Policy) {
		return nil
	}
	return &Action{Href: productsPath + "/" + prod.ID + "/request", Label: l.T("products.request")}
}
