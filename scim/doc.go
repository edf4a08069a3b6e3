// Package scim is kassa's SCIM 2.0 server (RFC 7643/7644; SPEC §8) under
// /scim/v2: an organization's identity provider (Microsoft Entra ID, Okta)
// provisions its people into its tenant with a token an admin made.
//
// It speaks SCIM as those clients really send it, not only as the RFC
// writes it: PATCH operations in any case ("Replace"), active as a string
// ("False"), PATCH without a path whose value holds attribute paths as
// keys ("name.givenName"), emails[type eq "work"].value paths and filters,
// the enterprise extension (kept out of kassa, not refused), and
// attributes kassa has no use for are ignored. Filters are read with a
// real SCIM filter parser (github.com/scim2/filter-parser/v2): eq joined by
// and, on userName, externalId, displayName and the work email.
//
// A user's userName is their sign-in email (when the directory's userName
// is no email address, the work email signs in and userName is kept to
// find them by). Every person of the tenant is listed, also those added
// by hand, so that a first sync finds them by userName and links them;
// from then on the directory manages them. active false disables a user
// with §7's consequences (sessions end, licenses come free, purchasers are
// told); DELETE disables too and hides them from SCIM, keeping them for
// invoices and the audit log.
package scim
