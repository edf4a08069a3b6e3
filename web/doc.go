// Package web serves kassa's pages: server-rendered HTML in the shape of the
// Microsoft 365 admin center's billing pages, in every language kassa speaks.
//
// Every page has one typed page struct and one template under templates/;
// the struct embeds Layout, whose T method translates from kassa's one
// catalog (package locale). What the domain refuses arrives as a
// kassa.Error with a key, and for a refused batch each user and why, so a
// page says it in its language without deciding it again. A page answers in
// the language remembered in the "lang" cookie, else the browser's
// Accept-Language, else the tenant's locale.
//
// Sign-in makes a web session (auth.KindWeb) kept in an HttpOnly cookie;
// every page but /login, /static/ and the language switch needs one, and the
// signed-in actor goes into the request context so that storage scopes every
// query to the actor's tenant. Admin pages answer 404 to everyone else. The
// server package wraps these handlers in cross-origin protection, which is
// what guards the forms against CSRF. No page needs JavaScript.
//
// The payment pages (Bills & payments › Payment methods, Billing profiles)
// show what is chosen in a list in a pane beside it: a region of the same
// page, at an address of its own (…/payment-methods/{id}/edit). A form posts
// to the address that shows it; with errors it is shown again there, each
// error translated beside its field and everything typed kept but the card
// number and the security code; a change that succeeds answers 303 to a page
// that says so (?done=…). Each form makes at most one call to billing, so a
// form is saved whole or not at all. Guests keep no payment details: they get
// the forbidden page.
//
// Your products lists the reader's subscriptions (an admin's: the tenant's)
// under a Filter menu, a GET form in a <details> element, as are the More
// actions menus of its rows. A subscription's page opens its changes in the
// same kind of pane: the Total licenses box of Buy licenses and Remove
// licenses, and Cancel subscription. What moves money is shown before it is
// made: a purchase's Review step prices it (subtotal, VAT, total, as billing
// prices it) and a new total's Review shows billing's preview, and Save saves
// only the total whose price is shown. Those forms carry a random key in a
// hidden input, which billing records the change under, so that a form sent
// twice buys once; a declined attempt gets a new key. A subscription the
// reader may only look at (an admin's view of a self-service one) shows no
// means to change it, and its changes answer 403.
//
// Billing › Licenses lists the reader's running subscriptions; one's page
// shows who holds its licenses, with the counts (total, assigned, free)
// kept in view. Assign licenses opens the Assign licenses to users pane: a
// GET form whose search lists people to add, the users chosen so far riding
// along in hidden inputs (at most kassa.MaxAssignBatch), until Assign posts
// them to licensing. Before that call the page checks the list itself, so
// that a guest, a disabled user, someone who holds a license already or a
// list longer than the free licenses is refused beside the list, in the
// reader's language, each user at fault named. Unassign licenses takes the
// ticked holders to the Unassign licenses box, which asks before it posts.
// static/licenses.js, the only script, makes the search a typeahead over
// GET /api/v1/users (which takes the session cookie) and adds to the same
// hidden inputs; the pages work the same without it.
//
// Bills & payments › Invoices lists the invoices of the period its filter
// chooses (past 3 months unless told otherwise), each with a pane of its
// lines and its PDF (…/invoices/{id}.pdf, from invoicepdf); the list exports
// as CSV through the JSON API, which takes the session cookie.
//
// The Admin pages are adminOnly. Self-service purchases is the read-only
// table of every self-service subscription with the seed's columns: each
// header a link that sorts by it (aria-sort, an arrow), a GET search form,
// pages of 50 whose links keep search and order, the holders of each in a
// <details>, and an export as CSV through the API. Taking one over is a
// pane of the subscription's page (…/take-over) that says what it means
// before its button posts to sqldb.TakeOver; afterwards the page offers the
// admin the changes and shows the purchaser why they have none. Purchase
// policy is one form of every product's policy and the default for products
// added later, saved whole; a value that is no policy is marked beside its
// select and saves nothing. The audit log lists the tenant's events newest
// first, a human label per action (the raw action beside it) and the states
// before and after in a <details>, filtered by kind and days, with Older
// following the last event shown. static/admin.css styles these pages and
// is linked for admins only.
package web
