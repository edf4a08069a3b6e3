package web

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/billing"
	"github.com/kassa-billing/kassa/invoicepdf"
	"github.com/kassa-billing/kassa/licensing"
	"github.com/kassa-billing/kassa/locale"
	"github.com/kassa-billing/kassa/sqldb"
	"github.com/kassa-billing/kassa/sso"
	"github.com/kassa-billing/kassa/telemetry"
)

// Config is what the pages need.
type Config struct {
	DB           *sqldb.DB
	Auth         *auth.Auth
	Billing      *billing.Service // changes to payment details
	Licensing    *licensing.Service
	Log          *slog.Logger
	SupportEmail string // shown on the Need help? page
	// BaseURL is where people and other systems reach kassa (--base-url);
	// "" for the request's own scheme and host.
	BaseURL string
	// Issuer is the seller named on invoice PDFs; without a name, "kassa".
	Issuer invoicepdf.Issuer
	// SSO signs people in through their organization's identity provider;
	// nil for passwords alone.
	SSO *sso.Service
	// WebhookAllowPrivate lets webhook endpoints be http:// and private
	// addresses (KASSA_WEBHOOK_ALLOW_PRIVATE=1): for development and tests.
	WebhookAllowPrivate bool
}

// server serves the pages.
type server struct {
	db           *sqldb.DB
	auth         *auth.Auth
	billing      *billing.Service
	licensing    *licensing.Service
	log          *slog.Logger
	supportEmail string
	issuer       invoicepdf.Issuer
	baseURL      string
	sso          *sso.Service
	// webhookAllowPrivate: KASSA_WEBHOOK_ALLOW_PRIVATE=1.
	webhookAllowPrivate bool

	templates templates
	money     moneyFormatters
	assets    map[string]string
	patterns  []string // of every route, for the role matrix test
}

// New returns the handler of every page. The templates and static
// files are embedded in the binary, so a failure to read them is a bug in
// this package and panics.
func New(cfg Config) http.Handler {
	s := &server{db: cfg.DB, auth: cfg.Auth, billing: cfg.Billing, licensing: cfg.Licensing, log: cfg.Log,
		supportEmail: cfg.SupportEmail, issuer: cfg.Issuer, baseURL: strings.TrimSuffix(cfg.BaseURL, "/"), sso: cfg.SSO,
		money: newMoneyFormatters(), webhookAllowPrivate: cfg.WebhookAllowPrivate}
	if s.issuer.Name == "" {
		s.issuer.Name = "kassa"
	}
	var err error
	if s.templates, err = parseTemplates(); err != nil {
		panic(err)
	}
	if s.assets, err = fingerprintAssets(); err != nil {
		panic(err)
	}
	return securityHeaders(s.routes())
}

// routes is the table of every page. Signed-in pages are wrapped in
// signedIn, admin pages in adminOnly, payment details in buyersOnly: the
// roles are enforced here, per route, not by hiding links. A form posts to
// the address that shows it, so that a form with errors is shown again at
// the same address.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.Handler) {
		s.patterns = append(s.patterns, pattern)
		mux.Handle(pattern, h)
	}
	handle("GET /static/", s.static())
	handle("GET /login", s.public(s.loginForm))
	handle("POST /login", s.public(s.login))
	handle("POST /logout", s.public(s.logout))
	handle("GET "+sso.CallbackPath, s.public(s.oidcCallback))
	handle("POST /language", s.public(s.setLanguage))
	handle("GET /forgot-password", s.public(s.forgotPasswordForm))
	handle("POST /forgot-password", s.public(s.forgotPassword))
	for kind := range purposes {
		handle("GET /"+kind+"/{token}", s.public(s.setPasswordForm))
		handle("POST /"+kind+"/{token}", s.public(s.setPassword))
	}

	handle("GET /{$}", s.signedIn(s.home))

	// Licenses: the subscriptions, then one's holders with the Assign
	// licenses to users pane (its confirmation at …/assigned) and the
	// Unassign licenses box. The pane and the box are GET forms that carry
	// the chosen users in the query until Assign or Unassign posts them.
	const lic = licensesPath + "/{id}"
	handle("GET "+licensesPath, s.signedIn(s.licenses))
	handle("GET "+lic, s.signedIn(s.holders))
	handle("GET "+lic+"/assign", s.signedIn(s.assignForm))
	handle("POST "+lic+"/assign", s.signedIn(s.assign))
	handle("GET "+lic+"/assigned", s.signedIn(s.assigned))
	handle("GET "+lic+"/unassign", s.signedIn(s.unassignForm))
	handle("POST "+lic+"/unassign", s.signedIn(s.unassign))

	// Your products: the Products tab, buying, and each subscription's page
	// with its panes. A product's buy page is …/{productID}/{action} with
	// action "buy": a literal "buy" would make it conflict with
	// …/subscriptions/{id} in ServeMux (neither is more specific).
	const sub = subscriptionsPath + "/{id}"
	handle("GET "+productsPath, s.signedIn(s.products))
	handle("GET "+productsPath+"/{productID}/{action}", s.buyersOnly(s.productPage))
	handle("POST "+productsPath+"/{productID}/{action}", s.buyersOnly(s.productPost))
	handle("GET "+requestsPath, s.signedIn(s.myRequests))
	handle("GET "+sub, s.signedIn(s.subscription))
	handle("GET "+sub+"/licenses", s.signedIn(s.licensesForm))
	handle("POST "+sub+"/licenses", s.signedIn(s.setLicenses))
	handle("GET "+sub+"/cancel", s.signedIn(s.cancelForm))
	handle("POST "+sub+"/cancel", s.signedIn(s.cancel))
	handle("POST "+sub+"/reactivate", s.signedIn(s.reactivate))

	// Bills & payments: the Invoices tab, each invoice's pane and PDF.
	handle("GET "+billsPath, s.signedIn(s.bills))
	handle("GET "+invoicesPath+"/{file}", s.signedIn(s.invoice))
	// Payments that go by the person's bank (SPEC §10): where it sends
	// them back, and a renewal invoice they pay themselves.
	handle("GET "+billing.PaymentReturnPath, s.buyersOnly(s.paymentReturned))
	handle("GET "+invoicesPath+"/{id}/pay", s.buyersOnly(s.payForm))
	handle("POST "+invoicesPath+"/{id}/pay", s.buyersOnly(s.pay))

	const pm = "/billing/bills/payment-methods"
	handle("GET "+pm, s.buyersOnly(s.paymentMethods))
	handle("GET "+pm+"/new", s.buyersOnly(s.newPaymentMethod))
	handle("POST "+pm+"/new", s.buyersOnly(s.addPaymentMethod))
	handle("GET "+billing.CardReturnPath("{id}"), s.buyersOnly(s.cardReturned))
	handle("POST "+pm+"/{id}/security-code", s.buyersOnly(s.securityCode))
	handle("GET "+pm+"/{id}", s.buyersOnly(s.paymentMethod))
	handle("GET "+pm+"/{id}/edit", s.buyersOnly(s.editPaymentMethod))
	handle("POST "+pm+"/{id}/edit", s.buyersOnly(s.updatePaymentMethod))
	handle("GET "+pm+"/{id}/delete", s.buyersOnly(s.confirmDeletePaymentMethod))
	handle("POST "+pm+"/{id}/delete", s.buyersOnly(s.deletePaymentMethod))

	const bp = "/billing/profiles"
	handle("GET "+bp, s.buyersOnly(s.profiles))
	handle("GET "+bp+"/new", s.buyersOnly(s.newProfile))
	handle("POST "+bp+"/new", s.buyersOnly(s.createProfile))
	handle("GET "+bp+"/{id}", s.buyersOnly(s.profile))
	handle("GET "+bp+"/{id}/edit", s.buyersOnly(s.editProfile))
	handle("POST "+bp+"/{id}/edit", s.buyersOnly(s.updateProfile))
	handle("GET "+bp+"/{id}/payment-method/edit", s.buyersOnly(s.editProfileCard))
	handle("POST "+bp+"/{id}/payment-method/edit", s.buyersOnly(s.updateProfileCard))
	handle("GET "+bp+"/{id}/payment-method/replace", s.buyersOnly(s.replaceForm))
	handle("POST "+bp+"/{id}/payment-method/replace", s.buyersOnly(s.replaceCard))
	handle("POST "+bp+"/{id}/payment-method/use", s.buyersOnly(s.useCard))

	// Admin: the read-only table of self-service purchases, taking one
	// over (a pane of the subscription's page), the purchase policy form
	// and the audit log.
	handle("GET "+selfServicePath, s.adminOnly(s.selfService))
	handle("GET "+adminLicensesPath, s.adminOnly(s.adminLicenses))
	handle("GET "+adminRequestsPath, s.adminOnly(s.adminRequests))
	handle("POST "+adminRequestsPath, s.adminOnly(s.saveRequestSettings))
	handle("GET "+adminRequestsPath+"/{id}", s.adminOnly(s.decideForm))
	handle("POST "+adminRequestsPath+"/{id}", s.adminOnly(s.decide))
	handle("GET "+idlePath, s.adminOnly(s.idleLicenses))
	handle("POST "+idlePath, s.adminOnly(s.setReclaimPolicy))
	handle("GET "+spendPath, s.adminOnly(s.spendLimits))
	handle("POST "+spendPath, s.adminOnly(s.setSpendLimits))
	handle("GET "+sub+"/take-over", s.adminOnly(s.takeOverForm))
	handle("POST "+sub+"/take-over", s.adminOnly(s.takeOver))
	handle("GET "+sub+"/move-users", s.adminOnly(s.moveUsersForm))
	handle("POST "+sub+"/move-users", s.adminOnly(s.moveUsers))
	handle("GET "+sub+"/admin-cancel", s.adminOnly(s.adminCancelForm))
	handle("POST "+sub+"/admin-cancel", s.adminOnly(s.adminCancel))
	handle("GET "+policyPath, s.adminOnly(s.purchasePolicy))
	handle("POST "+policyPath, s.adminOnly(s.setPurchasePolicy))
	handle("GET "+auditPath, s.adminOnly(s.auditLog))
	handle("GET "+sub+"/group", s.adminOnly(s.groupForm))
	handle("POST "+sub+"/group", s.adminOnly(s.linkGroup))
	handle("POST "+sub+"/group/unlink", s.adminOnly(s.unlinkGroup))
	handle("GET "+sub+"/billing-profile", s.adminOnly(s.payingProfileForm))
	handle("POST "+sub+"/billing-profile", s.adminOnly(s.setPayingProfile))

	// Admin › Billing profiles: the organization's own, on the pages of a
	// person's (SPEC §12).
	const obp = orgProfilesPath
	handle("GET "+obp, s.adminOnly(forOrganization(s.profiles)))
	handle("GET "+obp+"/new", s.adminOnly(forOrganization(s.newProfile)))
	handle("POST "+obp+"/new", s.adminOnly(forOrganization(s.createProfile)))
	handle("GET "+obp+"/{id}", s.adminOnly(forOrganization(s.profile)))
	handle("GET "+obp+"/{id}/edit", s.adminOnly(forOrganization(s.editProfile)))
	handle("POST "+obp+"/{id}/edit", s.adminOnly(forOrganization(s.updateProfile)))
	handle("GET "+obp+"/{id}/payment-method/edit", s.adminOnly(forOrganization(s.editProfileCard)))
	handle("POST "+obp+"/{id}/payment-method/edit", s.adminOnly(forOrganization(s.updateProfileCard)))
	handle("GET "+obp+"/{id}/payment-method/replace", s.adminOnly(forOrganization(s.replaceForm)))
	handle("POST "+obp+"/{id}/payment-method/replace", s.adminOnly(forOrganization(s.replaceCard)))
	handle("POST "+obp+"/{id}/payment-method/use", s.adminOnly(forOrganization(s.useCard)))

	// Admin › People: the table, adding a person, importing many (a
	// preview first), and each person's page with its status form;
	// Admin › Organization.
	handle("GET "+peoplePath, s.adminOnly(s.people))
	handle("GET "+peoplePath+"/new", s.adminOnly(s.newPersonForm))
	handle("POST "+peoplePath+"/new", s.adminOnly(s.addPerson))
	handle("GET "+importPath, s.adminOnly(s.importForm))
	handle("POST "+importPath, s.adminOnly(s.importPeople))
	handle("GET "+peoplePath+"/{id}", s.adminOnly(s.person))
	handle("POST "+peoplePath+"/{id}", s.adminOnly(s.updatePerson))
	handle("POST "+peoplePath+"/{id}/status", s.adminOnly(s.setPersonStatus))
	handle("POST "+peoplePath+"/{id}/password-link", s.adminOnly(s.sendPasswordLink))
	handle("GET "+directoryPath, s.adminOnly(s.directorySync))
	handle("POST "+directoryPath+"/tokens", s.adminOnly(s.createSCIMToken))
	handle("POST "+directoryPath+"/tokens/{id}/revoke", s.adminOnly(s.revokeSCIMToken))
	handle("GET "+ssoPath, s.adminOnly(s.singleSignOn))
	handle("POST "+ssoPath, s.adminOnly(s.saveSingleSignOn))
	handle("POST "+ssoPath+"/off", s.adminOnly(s.turnSingleSignOnOff))
	handle("GET "+appsPath, s.adminOnly(s.apps))
	handle("POST "+appsPath, s.adminOnly(s.registerApp))
	handle("GET "+appsPath+"/{id}", s.adminOnly(s.app))
	handle("POST "+appsPath+"/{id}/secrets", s.adminOnly(s.addAppSecret))
	handle("POST "+appsPath+"/{id}/secrets/{secret_id}/delete", s.adminOnly(s.deleteAppSecret))
	handle("POST "+appsPath+"/{id}/delete", s.adminOnly(s.deleteApp))
	handle("GET "+webhooksPath, s.adminOnly(s.webhooks))
	handle("POST "+webhooksPath, s.adminOnly(s.addWebhook))
	handle("GET "+webhooksPath+"/{id}", s.adminOnly(s.webhook))
	handle("POST "+webhooksPath+"/{id}", s.adminOnly(s.updateWebhook))
	handle("POST "+webhooksPath+"/{id}/state", s.adminOnly(s.setWebhookState))
	handle("POST "+webhooksPath+"/{id}/rotate-secret", s.adminOnly(s.rotateWebhookSecret))
	handle("POST "+webhooksPath+"/{id}/test", s.adminOnly(s.pingWebhook))
	handle("POST "+webhooksPath+"/{id}/deliveries/{delivery_id}/redeliver", s.adminOnly(s.redeliverWebhook))
	handle("POST "+webhooksPath+"/{id}/delete", s.adminOnly(s.deleteWebhook))
	handle("GET "+organizationPath, s.adminOnly(s.organization))
	handle("POST "+organizationPath, s.adminOnly(s.updateOrganization))

	// Change password, for everyone signed in.
	handle("GET "+passwordPath, s.signedIn(s.passwordForm))
	handle("POST "+passwordPath, s.signedIn(s.changePassword))
	handle("GET /help", s.signedIn(s.help))
	handle("GET /", s.signedIn(s.notFound))
	return telemetry.Routed(mux)
}

// NavSection is a group of the left navigation; Key is "" for an item that
// stands alone.
type NavSection struct {
	Key   string
	Items []NavItem
}

// NavItem is a link of the left navigation.
type NavItem struct {
	Key, Href string
	Current   bool
}

// navigation is the left navigation; sections marked admin are shown to
// admins only (routes enforces the same).
var navigation = []struct {
	NavSection
	admin bool
}{
	{NavSection: NavSection{Key: msg("nav.billing"), Items: []NavItem{
		{Key: msg("nav.products"), Href: "/billing/products"},
		{Key: msg("nav.licenses"), Href: "/billing/licenses"},
		{Key: msg("nav.bills"), Href: "/billing/bills"},
		{Key: msg("nav.profiles"), Href: "/billing/profiles"},
		{Key: msg("nav.my_requests"), Href: requestsPath},
	}}},
	{NavSection: NavSection{Key: msg("nav.admin"), Items: []NavItem{
		{Key: msg("nav.people"), Href: "/admin/people"},
		{Key: msg("nav.organization"), Href: "/admin/organization"},
		{Key: msg("nav.directory_sync"), Href: "/admin/directory-sync"},
		{Key: msg("nav.sso"), Href: "/admin/single-sign-on"},
		{Key: msg("nav.apps"), Href: "/admin/apps"},
		{Key: msg("nav.webhooks"), Href: "/admin/webhooks"},
		{Key: msg("nav.admin_licenses"), Href: "/admin/licenses"},
		{Key: msg("nav.self_service"), Href: "/admin/self-service"},
		{Key: msg("nav.purchase_policy"), Href: "/admin/purchase-policy"},
		{Key: msg("nav.license_requests"), Href: adminRequestsPath},
		{Key: msg("nav.spend_limits"), Href: spendPath},
		{Key: msg("nav.idle_licenses"), Href: idlePath},
		{Key: msg("nav.org_profiles"), Href: orgProfilesPath},
		{Key: msg("nav.audit_log"), Href: "/admin/audit-log"},
	}}, admin: true},
	{NavSection: NavSection{Items: []NavItem{
		{Key: msg("nav.help"), Href: "/help"},
	}}},
}

// nav returns the navigation a's role sees, with the item of path current.
func nav(a *kassa.Actor, path string) []NavSection {
	var sections []NavSection
	for _, sec := range navigation {
		if sec.admin && !a.User.IsAdmin() {
			continue
		}
		items := make([]NavItem, len(sec.Items))
		for i, it := range sec.Items {
			it.Current = path == it.Href || strings.HasPrefix(path, it.Href+"/")
			items[i] = it
		}
		sections = append(sections, NavSection{Key: sec.Key, Items: items})
	}
	return sections
}

// handler is a page handler: it parses the request, calls storage and
// renders, and returns what went wrong for fail to show.
type handler func(w http.ResponseWriter, r *http.Request) error

// public serves a page that needs nobody signed in.
func (s *server) public(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// signedIn serves a page to a signed-in user of any role.
func (s *server) signedIn(h handler) http.Handler { return s.withSession(false, h) }

// adminOnly serves a page to admins; to anyone else it does not exist.
func (s *server) adminOnly(h handler) http.Handler { return s.withSession(true, h) }

// errGuest is what a guest who asks for payment details gets: guests cannot
// buy, so they keep none. fail shows it with a text of its own.
var errGuest = kassa.E(kassa.Forbidden, "error.guest.no_payment_details")

// buyersOnly serves a page of payment details to the people who may buy;
// guests get the forbidden page (they know the page exists, unlike a
// non-admin asking for an admin page).
func (s *server) buyersOnly(h handler) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request) error {
		if !kassa.ActorFromContext(r.Context()).User.CanBuy() {
			return errGuest
		}
		return h(w, r)
	})
}

// withSession recognises the web session of the request and runs h with the
// actor in the context, where storage finds it. Without a session it sends
// the browser to sign in, and back here afterwards.
func (s *server) withSession(adminOnly bool, h handler) http.Handler {
	inner := s.public(func(w http.ResponseWriter, r *http.Request) error {
		if adminOnly && !kassa.ActorFromContext(r.Context()).User.IsAdmin() {
			return kassa.E(kassa.NotFound, "error.page.not_found")
		}
		return h(w, r)
	})
	return s.public(func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.authenticate(r)
		if kassa.ErrorCode(err) == kassa.Unauthorized {
			if _, cerr := r.Cookie(auth.CookieName); cerr == nil {
				clearSessionCookie(w, r)
			}
			next := ""
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, loginURL(next), http.StatusSeeOther)
			return nil
		} else if err != nil {
			return err
		}
		inner.ServeHTTP(w, r.WithContext(kassa.NewContextWithActor(r.Context(), a)))
		return nil
	})
}

// layout returns the Layout of a page with the title of the key, in the
// request's language.
func (s *server) layout(r *http.Request, titleKey string) Layout {
	a := kassa.ActorFromContext(r.Context())
	lang := s.lang(r, a)
	l := Layout{Lang: lang, Actor: a, Path: r.URL.RequestURI(), tr: locale.In(lang), assets: s.assets}
	l.Title = l.T(titleKey)
	if a != nil {
		l.Nav = nav(a, r.URL.Path)
	}
	return l
}

// langCookie remembers the language chosen with the switch.
const langCookie = "lang"

// lang picks the language of the answer: the remembered choice, else the
// browser's, else the tenant's.
func (s *server) lang(r *http.Request, a *kassa.Actor) string {
	chosen := ""
	if c, err := r.Cookie(langCookie); err == nil {
		chosen = c.Value
	}
	fallback := ""
	if a != nil {
		fallback = a.Tenant.Locale
	}
	return locale.Pick(chosen, r.Header.Get("Accept-Language"), fallback)
}
