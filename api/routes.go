package api

import "net/http"

type route struct {
	method, path string
	handler      handlerFunc
	public       bool // served without signing in
	admin        bool // for the tenant's admins only: users are forbidden
	app          bool // for registered apps (their access token), not people
}

// routes is the API's route table. openapi.json documents each of them.
func (s *Server) routes() []route {
	return []route{
		{method: http.MethodGet, path: "/api/v1/openapi.json", handler: s.openAPI, public: true},
		{method: http.MethodPost, path: "/api/v1/login", handler: s.login, public: true},
		{method: http.MethodPost, path: "/api/v1/password-reset", handler: s.passwordReset, public: true},
		{method: http.MethodPost, path: "/api/v1/password", handler: s.changePassword},
		{method: http.MethodPost, path: "/api/v1/logout", handler: s.logout},
		{method: http.MethodGet, path: "/api/v1/me", handler: s.me},
		{method: http.MethodGet, path: "/api/v1/users", handler: s.users},
		{method: http.MethodGet, path: "/api/v1/products", handler: s.products},

		{method: http.MethodGet, path: "/api/v1/payment-methods", handler: s.paymentMethods},
		{method: http.MethodPost, path: "/api/v1/payment-methods", handler: s.addPaymentMethod},
		{method: http.MethodPost, path: "/api/v1/payment-methods/setup-sessions", handler: s.startSetupSession},
		{method: http.MethodGet, path: "/api/v1/payment-methods/setup-sessions/{id}", handler: s.setupSession},
		{method: http.MethodPatch, path: "/api/v1/payment-methods/{id}", handler: s.updatePaymentMethod},
		{method: http.MethodDelete, path: "/api/v1/payment-methods/{id}", handler: s.deletePaymentMethod},
		{method: http.MethodGet, path: "/api/v1/billing-profiles", handler: s.billingProfiles},
		{method: http.MethodPost, path: "/api/v1/billing-profiles", handler: s.createBillingProfile},
		{method: http.MethodGet, path: "/api/v1/billing-profiles/{id}", handler: s.billingProfile},
		{method: http.MethodPatch, path: "/api/v1/billing-profiles/{id}", handler: s.updateBillingProfile},

		{method: http.MethodGet, path: "/api/v1/subscriptions", handler: s.subscriptions},
		{method: http.MethodPost, path: "/api/v1/subscriptions", handler: s.idempotent(s.purchase)},
		{method: http.MethodGet, path: "/api/v1/subscriptions/{id}", handler: s.subscription},
		{method: http.MethodGet, path: "/api/v1/subscriptions/{id}/quantity-preview", handler: s.quantityPreview},
		{method: http.MethodPut, path: "/api/v1/subscriptions/{id}/quantity", handler: s.idempotent(s.setQuantity)},
		{method: http.MethodPost, path: "/api/v1/subscriptions/{id}/cancel", handler: s.idempotent(s.cancel)},
		{method: http.MethodPost, path: "/api/v1/subscriptions/{id}/reactivate", handler: s.reactivate},
		{method: http.MethodGet, path: "/api/v1/subscriptions/{id}/licenses", handler: s.licenses},
		{method: http.MethodPost, path: "/api/v1/subscriptions/{id}/licenses", handler: s.assign},
		{method: http.MethodPost, path: "/api/v1/subscriptions/{id}/licenses/unassign", handler: s.unassign},

		{method: http.MethodPost, path: "/api/v1/license-activity", handler: s.licenseActivity, app: true},
		{method: http.MethodPost, path: "/api/v1/license-requests", handler: s.createLicenseRequest},
		{method: http.MethodGet, path: "/api/v1/license-requests", handler: s.licenseRequests},

		{method: http.MethodGet, path: "/api/v1/invoices", handler: s.invoices},
		{method: http.MethodGet, path: "/api/v1/invoices/{id}", handler: s.invoice},
		{method: http.MethodGet, path: "/api/v1/invoices/{id}/pdf", handler: s.invoicePDF},
		{method: http.MethodPost, path: "/api/v1/invoices/{id}/pay", handler: s.payInvoice},

		{method: http.MethodGet, path: "/api/v1/admin/self-service-subscriptions", handler: s.selfServicePurchases, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/licenses", handler: s.adminLicenses, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/purchase-policies", handler: s.purchasePolicies, admin: true},
		{method: http.MethodPut, path: "/api/v1/admin/purchase-policies", handler: s.setPurchasePolicies, admin: true},
		{method: http.MethodPatch, path: "/api/v1/admin/subscriptions/{id}", handler: s.updateAdminSubscription, admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/subscriptions/{id}/take-over", handler: s.takeOver, admin: true},
		{method: http.MethodPut, path: "/api/v1/admin/subscriptions/{id}/group", handler: s.linkGroup, admin: true},
		{method: http.MethodDelete, path: "/api/v1/admin/subscriptions/{id}/group", handler: s.unlinkGroup, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/subscriptions/{id}/group-states", handler: s.groupStates, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/subscriptions/{id}/move-users-preview", handler: s.moveUsersPreview, admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/subscriptions/{id}/move-users", handler: s.idempotent(s.moveUsers), admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/subscriptions/{id}/cancel", handler: s.idempotent(s.adminCancel), admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/license-requests/{id}/decide", handler: s.decideLicenseRequest, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/license-request-settings", handler: s.requestSettings, admin: true},
		{method: http.MethodPut, path: "/api/v1/admin/license-request-settings", handler: s.setRequestSettings, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/spend-limits", handler: s.spendLimits, admin: true},
		{method: http.MethodPut, path: "/api/v1/admin/spend-limits", handler: s.setSpendLimits, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/billing-profiles", handler: forOrganization(s.billingProfiles), admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/billing-profiles", handler: forOrganization(s.createBillingProfile), admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/billing-profiles/{id}", handler: forOrganization(s.billingProfile), admin: true},
		{method: http.MethodPatch, path: "/api/v1/admin/billing-profiles/{id}", handler: forOrganization(s.updateBillingProfile), admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/payment-methods", handler: forOrganization(s.paymentMethods), admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/payment-methods", handler: forOrganization(s.addPaymentMethod), admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/payment-methods/setup-sessions", handler: forOrganization(s.startSetupSession), admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/payment-methods/setup-sessions/{id}", handler: forOrganization(s.setupSession), admin: true},
		{method: http.MethodPatch, path: "/api/v1/admin/payment-methods/{id}", handler: forOrganization(s.updatePaymentMethod), admin: true},
		{method: http.MethodDelete, path: "/api/v1/admin/payment-methods/{id}", handler: forOrganization(s.deletePaymentMethod), admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/reclaim-policy", handler: s.reclaimPolicy, admin: true},
		{method: http.MethodPut, path: "/api/v1/admin/reclaim-policy", handler: s.setReclaimPolicy, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/idle-licenses", handler: s.idleLicenses, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/audit-log", handler: s.auditLog, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/users", handler: s.adminUsers, admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/users", handler: s.addUser, admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/users/import", handler: s.importUsers, admin: true},
		{method: http.MethodPatch, path: "/api/v1/admin/users/{id}", handler: s.updateUser, admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/users/{id}/password-link", handler: s.sendPasswordLink, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/sso", handler: s.getSSO, admin: true},
		{method: http.MethodPut, path: "/api/v1/admin/sso", handler: s.putSSO, admin: true},
		{method: http.MethodDelete, path: "/api/v1/admin/sso", handler: s.deleteSSO, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/scim-tokens", handler: s.scimTokens, admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/scim-tokens", handler: s.createSCIMToken, admin: true},
		{method: http.MethodDelete, path: "/api/v1/admin/scim-tokens/{id}", handler: s.revokeSCIMToken, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/apps", handler: s.apps, admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/apps", handler: s.createApp, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/apps/{id}", handler: s.app, admin: true},
		{method: http.MethodDelete, path: "/api/v1/admin/apps/{id}", handler: s.deleteApp, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/apps/{id}/secrets", handler: s.appSecrets, admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/apps/{id}/secrets", handler: s.createAppSecret, admin: true},
		{method: http.MethodDelete, path: "/api/v1/admin/apps/{id}/secrets/{secret_id}", handler: s.deleteAppSecret, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/webhooks", handler: s.webhooks, admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/webhooks", handler: s.createWebhook, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/webhooks/{id}", handler: s.webhook, admin: true},
		{method: http.MethodPatch, path: "/api/v1/admin/webhooks/{id}", handler: s.updateWebhook, admin: true},
		{method: http.MethodDelete, path: "/api/v1/admin/webhooks/{id}", handler: s.deleteWebhook, admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/webhooks/{id}/rotate-secret", handler: s.rotateWebhookSecret, admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/webhooks/{id}/test", handler: s.pingWebhook, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/webhooks/{id}/deliveries", handler: s.webhookDeliveries, admin: true},
		{method: http.MethodPost, path: "/api/v1/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver", handler: s.redeliverWebhook, admin: true},
		{method: http.MethodGet, path: "/api/v1/admin/organization", handler: s.organization, admin: true},
		{method: http.MethodPatch, path: "/api/v1/admin/organization", handler: s.updateOrganization, admin: true},

		{method: http.MethodPost, path: "/api/v1/test-clock", handler: s.testClock},
	}
}
