// Package web serves kassa's pages: server-rendered HTML in the shape of the
// Microsoft 365 admin center's billing pages, in English and Swedish.
//
// Every page has one typed page struct and one template under templates/;
// the struct embeds Layout, whose T method translates from the catalogs in
// i18n/ (go-i18n JSON, the same keys in each language). A page answers in
// the language remembered in the "lang" cookie, else the browser's
// Accept-Language, else the tenant's locale.
//
// Sign-in makes a web session (auth.KindWeb) kept in an HttpOnly cookie;
// every page but /login, /static/ and the language switch needs one, and the
// signed-in actor goes into the request context so that storage scopes every
// query to the actor's tenant. Admin pages answer 404 to everyone else. The
// server package wraps these handlers in cross-origin protection, which is
// what guards the forms against CSRF. No page needs JavaScript.
package web
