// Package billing holds every write that touches what people pay with or
// pay: payment methods and billing profiles now; purchases, quantity changes,
// renewals, dunning and invoices as they come.
//
// Its rule is the order of work around the gateway: validate, then call the
// gateway with no database transaction open, then record the result in one
// transaction. A failure after the gateway call leaves at most something the
// gateway holds that kassa does not reference (a saved card, a customer),
// never a row that points at nothing.
package billing
