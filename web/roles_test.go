package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa/web"
)

// TestPageRoleMatrix requests every page route as nobody, as a user (erik,
// who owns the objects named) and as an admin of his tenant (astrid), and
// checks each answer's status: admin pages do not exist for users, payment
// details are their owner's, a self-service subscription is read-only for
// admins. A route missing from the table fails the test.
func TestPageRoleMatrix(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	erik := withCookies(s.signIn("erik@nordvik.example"))
	astrid := withCookies(s.signIn("astrid@nordvik.example"))
	sub := erikBuys(t, s, erik)
	toCancel := erikBuys(t, s, erik)
	toEnd, ended := erikBuys(t, s, erik), erikBuys(t, s, erik) // the admin's panes; her Cancel
	lic := "/billing/licenses/" + subID(sub)
	card := erikCard(t, s, erik)
	profile := bpPath + "/" + profileID(t, s, erik)
	pm := pmPath + "/" + card
	invoice := regexp.MustCompile(`/billing/bills/invoices/(inv_[0-9a-z]+)\?`).FindStringSubmatch(s.get("/billing/bills", erik).body)[1]
	buyPage := buyPath(t, s, erik, "Analytics Pro")
	colleague := url.Values{"user": {s.userIDByEmail(t, "anna.lindberg@nordvik.example")}}
	anna := peoplePath + "/" + s.userIDByEmail(t, "anna.lindberg@nordvik.example")
	_, policies := policyForm(t, s.get(policyPath, astrid))
	edited := cardForm()
	edited.Del("number")
	org := orgProfile(t, s, astrid)
	managed := erikBuys(t, s, erik)
	s.do("POST", managed+"/take-over", url.Values{}, astrid).wantStatus(t, http.StatusSeeOther)

	const (
		ok, seeOther, conflict, forbidden, notFound, invalid = 200, 303, 409, 403, 404, 422
		login                                                = seeOther // nobody is sent to sign in
	)
	type row struct {
		path                   string
		form                   url.Values
		anonymous, user, admin int
	}
	matrix := map[string]row{
		"GET /static/":   {"/static/style.css", nil, ok, ok, ok},
		"GET /login":     {"/login", nil, ok, seeOther, seeOther},
		"POST /login":    {"/login", url.Values{"email": {"nobody@nordvik.example"}, "password": {"wrong"}}, invalid, invalid, invalid},
		"POST /logout":   {"/logout", url.Values{}, seeOther, seeOther, seeOther},
		"POST /language": {"/language", url.Values{"lang": {"sv"}, "back": {"/help"}}, seeOther, seeOther, seeOther},
		"GET /{$}":       {"/", nil, login, seeOther, seeOther},
		// A link nobody was given: the page says it cannot be used, to anyone.
		"GET /invitation/{token}":      {"/invitation/nothing", nil, notFound, notFound, notFound},
		"POST /invitation/{token}":     {"/invitation/nothing", url.Values{"password": {"long enough now"}}, notFound, notFound, notFound},
		"GET /reset-password/{token}":  {"/reset-password/nothing", nil, notFound, notFound, notFound},
		"POST /reset-password/{token}": {"/reset-password/nothing", url.Values{"password": {"long enough now"}}, notFound, notFound, notFound},
		// A state nobody made: the sign-in page says to start again.
		"GET /login/oidc/callback": {"/login/oidc/callback?state=nothing&code=nothing", nil, notFound, notFound, notFound},
		"GET /forgot-password":     {"/forgot-password", nil, ok, ok, ok},
		"POST /forgot-password":    {"/forgot-password", url.Values{"email": {"nobody@nordvik.example"}}, ok, ok, ok},

		"GET /billing/licenses":                      {"/billing/licenses", nil, login, ok, ok},
		"GET /billing/licenses/{id}":                 {lic, nil, login, ok, ok},
		"GET /billing/licenses/{id}/assign":          {lic + "/assign", nil, login, ok, forbidden},
		"POST /billing/licenses/{id}/assign":         {lic + "/assign", colleague, login, seeOther, forbidden},
		"GET /billing/licenses/{id}/assigned":        {lic + "/assigned?" + colleague.Encode(), nil, login, ok, forbidden},
		"GET /billing/licenses/{id}/unassign":        {lic + "/unassign?" + colleague.Encode(), nil, login, ok, forbidden},
		"POST /billing/licenses/{id}/unassign":       {lic + "/unassign", colleague, login, seeOther, forbidden},
		"GET /billing/products":                      {productsPath, nil, login, ok, ok},
		"GET /billing/products/{productID}/{action}": {buyPage, nil, login, ok, ok},
		// The admin has no billing profile; erik's is not hers to pay with.
		"POST /billing/products/{productID}/{action}": {buyPage, url.Values{"term": {"monthly"}, "quantity": {"2"},
			"billing_profile_id": {strings.TrimPrefix(profile, bpPath+"/")}, "step": {"review"}}, login, ok, invalid},
		"GET /billing/products/subscriptions/{id}":           {sub, nil, login, ok, ok},
		"GET /billing/products/subscriptions/{id}/licenses":  {sub + "/licenses?change=buy", nil, login, ok, forbidden},
		"POST /billing/products/subscriptions/{id}/licenses": {sub + "/licenses", url.Values{"change": {"buy"}, "quantity": {"7"}, "step": {"review"}}, login, ok, forbidden},
		"GET /billing/products/subscriptions/{id}/cancel":    {sub + "/cancel", nil, login, ok, forbidden},
		"POST /billing/products/subscriptions/{id}/cancel":   {toCancel + "/cancel", url.Values{"reason": {"unused"}}, login, seeOther, forbidden},
		// Nothing waits to be cancelled, so erik is told there is nothing to reactivate.
		"POST /billing/products/subscriptions/{id}/reactivate": {sub + "/reactivate", url.Values{}, login, conflict, forbidden},
		"GET /billing/bills":                 {"/billing/bills", nil, login, ok, ok},
		"GET /billing/bills/invoices/{file}": {"/billing/bills/invoices/" + invoice, nil, login, ok, notFound},
		// erik's invoice is paid: the page says so, and there is nothing to pay.
		"GET /billing/bills/invoices/{id}/pay":  {"/billing/bills/invoices/" + invoice + "/pay", nil, login, ok, notFound},
		"POST /billing/bills/invoices/{id}/pay": {"/billing/bills/invoices/" + invoice + "/pay", url.Values{}, login, conflict, notFound},
		// A payment or a card page nobody made.
		"GET /billing/payments/return":                           {"/billing/payments/return?payment_intent=sim_ch_nothing", nil, login, notFound, notFound},
		"GET /billing/bills/card-pages/{id}":                     {"/billing/bills/card-pages/cs_nothing", nil, login, notFound, notFound},
		"POST /billing/bills/payment-methods/{id}/security-code": {pm + "/security-code", url.Values{}, login, seeOther, notFound},

		"GET /billing/bills/payment-methods":                {pmPath, nil, login, ok, ok},
		"GET /billing/bills/payment-methods/new":            {pmPath + "/new", nil, login, ok, ok},
		"POST /billing/bills/payment-methods/new":           {pmPath + "/new", cardForm(), login, seeOther, seeOther},
		"GET /billing/bills/payment-methods/{id}":           {pm, nil, login, ok, notFound},
		"GET /billing/bills/payment-methods/{id}/edit":      {pm + "/edit", nil, login, ok, notFound},
		"POST /billing/bills/payment-methods/{id}/edit":     {pm + "/edit", edited, login, seeOther, notFound},
		"GET /billing/bills/payment-methods/{id}/delete":    {pm + "/delete", nil, login, ok, notFound},
		"POST /billing/bills/payment-methods/{id}/delete":   {pm + "/delete", url.Values{}, login, conflict, notFound},
		"GET /billing/profiles":                             {bpPath, nil, login, ok, ok},
		"GET /billing/profiles/new":                         {bpPath + "/new", nil, login, ok, ok},
		"POST /billing/profiles/new":                        {bpPath + "/new", profileForm(), login, seeOther, seeOther},
		"GET /billing/profiles/{id}":                        {profile, nil, login, ok, notFound},
		"GET /billing/profiles/{id}/edit":                   {profile + "/edit", nil, login, ok, notFound},
		"POST /billing/profiles/{id}/edit":                  {profile + "/edit", profileForm(), login, seeOther, notFound},
		"GET /billing/profiles/{id}/payment-method/edit":    {profile + "/payment-method/edit", nil, login, ok, notFound},
		"POST /billing/profiles/{id}/payment-method/edit":   {profile + "/payment-method/edit", edited, login, seeOther, notFound},
		"GET /billing/profiles/{id}/payment-method/replace": {profile + "/payment-method/replace", nil, login, ok, notFound},
		"POST /billing/profiles/{id}/payment-method/replace": {profile + "/payment-method/replace", cardForm(set("number", "5555 5555 5555 4444")),
			login, seeOther, notFound},
		"POST /billing/profiles/{id}/payment-method/use": {profile + "/payment-method/use", url.Values{"payment_method_id": {card}},
			login, seeOther, notFound},

		"GET /admin/self-service":                                  {selfServicePath, nil, login, notFound, ok},
		"GET /admin/licenses":                                      {"/admin/licenses", nil, login, notFound, ok},
		"GET /billing/products/subscriptions/{id}/take-over":       {sub + "/take-over", nil, login, notFound, ok},
		"GET /billing/products/subscriptions/{id}/move-users":      {toEnd + "/move-users", nil, login, notFound, ok},
		"POST /billing/products/subscriptions/{id}/move-users":     {toEnd + "/move-users", url.Values{"target": {"sub_nope"}}, login, notFound, invalid},
		"GET /billing/products/subscriptions/{id}/admin-cancel":    {toEnd + "/admin-cancel", nil, login, notFound, ok},
		"POST /billing/products/subscriptions/{id}/admin-cancel":   {ended + "/admin-cancel", url.Values{"reason": {"other"}}, login, notFound, seeOther},
		"POST /billing/products/subscriptions/{id}/take-over":      {sub + "/take-over", url.Values{}, login, notFound, seeOther},
		"GET /billing/license-requests":                            {"/billing/license-requests", nil, login, ok, ok},
		"GET /admin/license-requests":                              {"/admin/license-requests", nil, login, notFound, ok},
		"POST /admin/license-requests":                             {"/admin/license-requests", url.Values{"mode": {"requests"}}, login, notFound, seeOther},
		"GET /admin/license-requests/{id}":                         {"/admin/license-requests/lrq_nope", nil, login, notFound, notFound},
		"POST /admin/license-requests/{id}":                        {"/admin/license-requests/lrq_nope", url.Values{"step": {"decline"}}, login, notFound, notFound},
		"GET /admin/billing-profiles":                              {orgPath, nil, login, notFound, ok},
		"GET /admin/billing-profiles/new":                          {orgPath + "/new", nil, login, notFound, ok},
		"POST /admin/billing-profiles/new":                         {orgPath + "/new", profileForm(), login, notFound, seeOther},
		"GET /admin/billing-profiles/{id}":                         {org, nil, login, notFound, ok},
		"GET /admin/billing-profiles/{id}/edit":                    {org + "/edit", nil, login, notFound, ok},
		"POST /admin/billing-profiles/{id}/edit":                   {org + "/edit", profileForm(), login, notFound, seeOther},
		"GET /admin/billing-profiles/{id}/payment-method/edit":     {org + "/payment-method/edit", nil, login, notFound, ok},
		"POST /admin/billing-profiles/{id}/payment-method/edit":    {org + "/payment-method/edit", edited, login, notFound, seeOther},
		"GET /admin/billing-profiles/{id}/payment-method/replace":  {org + "/payment-method/replace", nil, login, notFound, ok},
		"POST /admin/billing-profiles/{id}/payment-method/replace": {org + "/payment-method/replace", url.Values{}, login, notFound, seeOther},
		"POST /admin/billing-profiles/{id}/payment-method/use":     {org + "/payment-method/use", url.Values{"payment_method_id": {"pm_nope"}}, login, notFound, invalid},
		"GET /billing/products/subscriptions/{id}/group":           {managed + "/group", nil, login, notFound, ok},
		"POST /billing/products/subscriptions/{id}/group":          {managed + "/group", url.Values{"group_id": {"grp_nope"}}, login, notFound, invalid},
		"POST /billing/products/subscriptions/{id}/group/unlink":   {managed + "/group/unlink", url.Values{}, login, notFound, seeOther},
		"GET /billing/products/subscriptions/{id}/billing-profile": {managed + "/billing-profile", nil, login, notFound, ok},
		"POST /billing/products/subscriptions/{id}/billing-profile": {managed + "/billing-profile", url.Values{"billing_profile_id": {strings.TrimPrefix(org, orgPath+"/")}},
			login, notFound, seeOther},
		"GET /admin/idle-licenses":    {"/admin/idle-licenses", nil, login, notFound, ok},
		"POST /admin/idle-licenses":   {"/admin/idle-licenses", url.Values{"days": {"90"}}, login, notFound, seeOther},
		"GET /admin/spend-limits":     {"/admin/spend-limits", nil, login, notFound, ok},
		"POST /admin/spend-limits":    {"/admin/spend-limits", url.Values{"per_person": {"5000"}}, login, notFound, seeOther},
		"GET /admin/purchase-policy":  {policyPath, nil, login, notFound, ok},
		"POST /admin/purchase-policy": {policyPath, policies, login, notFound, seeOther},
		"GET /admin/audit-log":        {auditPath, nil, login, notFound, ok},
		"GET /admin/people":           {peoplePath, nil, login, notFound, ok},
		"GET /admin/people/new":       {peoplePath + "/new", nil, login, notFound, ok},
		"POST /admin/people/new": {peoplePath + "/new", url.Values{"name": {"Nora Nyberg"}, "email": {"nora@nordvik.example"},
			"type": {"member"}, "role": {"user"}}, login, notFound, seeOther},
		"GET /admin/people/import": {peoplePath + "/import", nil, login, notFound, ok},
		"POST /admin/people/import": {peoplePath + "/import", url.Values{"csv": {"email,name\nolle@nordvik.example,Olle\n"},
			"action": {"preview"}}, login, notFound, ok},
		"GET /admin/people/{id}": {anna, nil, login, notFound, ok},
		"POST /admin/people/{id}": {anna, url.Values{"name": {"Anna Lindberg"}, "type": {"member"}, "role": {"user"}},
			login, notFound, seeOther},
		"POST /admin/people/{id}/status":        {anna + "/status", url.Values{"status": {"active"}}, login, notFound, seeOther},
		"POST /admin/people/{id}/password-link": {anna + "/password-link", url.Values{}, login, notFound, seeOther},
		"GET /admin/directory-sync":             {"/admin/directory-sync", nil, login, notFound, ok},
		"POST /admin/directory-sync/tokens": {"/admin/directory-sync/tokens", url.Values{"name": {"Entra ID"}},
			login, notFound, http.StatusCreated},
		// A token nobody made: nothing to revoke.
		"POST /admin/directory-sync/tokens/{id}/revoke": {"/admin/directory-sync/tokens/scm_nothing/revoke", url.Values{},
			login, notFound, notFound},
		"GET /admin/single-sign-on": {"/admin/single-sign-on", nil, login, notFound, ok},
		// No provider answers there: the issuer is marked, nothing saved.
		"POST /admin/single-sign-on": {"/admin/single-sign-on", url.Values{"issuer": {"http://127.0.0.1:1/"},
			"client_id": {"kassa"}, "client_secret": {"secret"}}, login, notFound, invalid},
		// Nothing to turn off.
		"POST /admin/single-sign-on/off": {"/admin/single-sign-on/off", url.Values{}, login, notFound, notFound},
		"GET /admin/apps":                {"/admin/apps", nil, login, notFound, ok},
		"POST /admin/apps": {"/admin/apps", url.Values{"name": {"Design Studio"}, "permission": {"User.Read.All"}},
			login, notFound, http.StatusCreated},
		// Apps, secrets, endpoints and deliveries nobody made.
		"GET /admin/apps/{id}":                             {"/admin/apps/app_nothing", nil, login, notFound, notFound},
		"POST /admin/apps/{id}/secrets":                    {"/admin/apps/app_nothing/secrets", url.Values{}, login, notFound, notFound},
		"POST /admin/apps/{id}/secrets/{secret_id}/delete": {"/admin/apps/app_nothing/secrets/sec_nothing/delete", url.Values{}, login, notFound, notFound},
		"POST /admin/apps/{id}/delete":                     {"/admin/apps/app_nothing/delete", url.Values{}, login, notFound, notFound},
		"GET /admin/webhooks":                              {"/admin/webhooks", nil, login, notFound, ok},
		"POST /admin/webhooks": {"/admin/webhooks", url.Values{"url": {"https://hooks.example.com/kassa"}, "event": {"*"}},
			login, notFound, http.StatusCreated},
		"GET /admin/webhooks/{id}": {"/admin/webhooks/whe_nothing", nil, login, notFound, notFound},
		"POST /admin/webhooks/{id}": {"/admin/webhooks/whe_nothing", url.Values{"url": {"https://hooks.example.com/kassa"}, "event": {"*"}},
			login, notFound, notFound},
		"POST /admin/webhooks/{id}/state":         {"/admin/webhooks/whe_nothing/state", url.Values{"enabled": {"false"}}, login, notFound, notFound},
		"POST /admin/webhooks/{id}/rotate-secret": {"/admin/webhooks/whe_nothing/rotate-secret", url.Values{}, login, notFound, notFound},
		"POST /admin/webhooks/{id}/test":          {"/admin/webhooks/whe_nothing/test", url.Values{}, login, notFound, notFound},
		"POST /admin/webhooks/{id}/deliveries/{delivery_id}/redeliver": {"/admin/webhooks/whe_nothing/deliveries/msg_nothing/redeliver",
			url.Values{}, login, notFound, notFound},
		"POST /admin/webhooks/{id}/delete": {"/admin/webhooks/whe_nothing/delete", url.Values{}, login, notFound, notFound},
		"GET /admin/organization":          {"/admin/organization", nil, login, notFound, ok},
		"POST /admin/organization": {"/admin/organization", url.Values{"name": {"Nordvik AB"}, "country": {"SE"},
			"currency": {"SEK"}, "locale": {"sv"}, "domains": {"nordvik.example"}}, login, notFound, seeOther},
		// A wrong current password changes nothing.
		"GET /account/password": {"/account/password", nil, login, ok, ok},
		"POST /account/password": {"/account/password", url.Values{"current": {"not it at all"}, "password": {"a new long password"},
			"confirm": {"a new long password"}}, login, invalid, invalid},
		"GET /help": {"/help", nil, login, ok, ok},
		"GET /":     {"/billing/nothing", nil, login, notFound, notFound},
	}
	for _, pattern := range web.RoutePatterns() {
		method, path, _ := strings.Cut(pattern, " ")
		r, ok := matrix[pattern]
		if !ok {
			t.Errorf("%s is not in the role matrix", pattern)
			continue
		}
		delete(matrix, pattern)
		for _, who := range []struct {
			name   string
			header http.Header
			want   int
		}{{"anonymous", http.Header{}, r.anonymous}, {"user", erik, r.user}, {"admin", astrid, r.admin}} {
			header := who.header
			if path == "/logout" && who.name != "anonymous" { // signing out ends the session: use a new one
				header = withCookies(s.signIn(map[string]string{"user": "erik@nordvik.example", "admin": "astrid@nordvik.example"}[who.name]))
			}
			var form url.Values
			if method == "POST" {
				form = r.form
			}
			res := s.do(method, r.path, form, header)
			if res.StatusCode != who.want {
				t.Errorf("%s as %s: %d, want %d %s", pattern, who.name, res.StatusCode, who.want, errorsOf(res.body))
			}
		}
	}
	for pattern := range matrix {
		t.Errorf("the role matrix names %s, which is not a route", pattern)
	}
}
