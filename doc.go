// Package kassa holds the domain of self-service purchasing: tenants and their
// users, the product catalog, subscriptions and the licenses handed out under
// them, billing profiles, payment methods and invoices, together with the pure
// rules that govern them (money, roles, purchase policies) and the one Error
// type every layer speaks.
//
// It imports the standard library only. Storage lives in package sqldb, the
// JSON API in api, the pages in web; each of them depends on this package and
// never the other way round.
package kassa
