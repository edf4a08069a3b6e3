// Package api is kassa's JSON API under /api/v1: the route table (routes.go),
// one handler per route that parses, calls and renders, the one table from
// kassa error codes to HTTP statuses (errors.go), and the OpenAPI 3.1 document
// of it all (openapi.json), which a test holds to the route table.
//
// Handlers return errors instead of writing them: the error's code decides
// the status, its message is shown, and a cause that is not a *kassa.Error is
// logged once and shown as "Internal error.".
package api
