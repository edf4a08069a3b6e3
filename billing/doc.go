// Package billing holds every write that moves money or what people pay
// with: payment methods and billing profiles, purchases, quantity changes,
// cancellations, renewals and dunning. Package sqldb records what it decides.
//
// Its rule is the order of work around the gateway: validate, then call the
// gateway with no database transaction open, then record the result in one
// transaction. For a card or a customer, a failure after the gateway call
// leaves at most something the gateway holds that kassa does not reference,
// never a row that points at nothing. For a charge or a refund, what it is
// for is recorded first, pending, so that its amount and idempotency key are
// fixed before the gateway hears of it: a retry, the reconciler or another
// process repeats the same request, which the gateway answers with the first
// outcome instead of moving money twice.
//
// # Payment details
//
// A card is saved with the gateway first, and kassa keeps only its brand,
// last 4 digits, expiry, name and billing address; a new security code goes
// to the gateway and is never kept. Each billing profile is a customer at
// the gateway, and the card it pays with is attached to that customer.
// [Service.ReplacePaymentMethod] adds a card and makes it the profile's, both
// or neither. A deleted card is deleted in kassa first, then detached: a
// gateway that fails to forget it keeps a card nobody can use through kassa.
// Guests cannot buy, so they keep no payment details.
//
// # Purchases
//
// [Service.Purchase] checks the request against the catalog, the tenant's
// purchase policy and the buyer's billing profile, and prices it. A free
// trial (at most kassa.TrialLicenseLimit licenses, kassa.TrialDays long) is
// recorded and done. A paid purchase is recorded as a pending subscription
// with a pending invoice, the balance applied first; the card is charged
// with no transaction open, keyed by the invoice; then one transaction
// issues the invoice (taking the next number, so numbers have no gaps) and
// activates the subscription — or, when the charge is declined, voids the
// invoice and removes the subscription. A charge whose answer is lost
// leaves both pending and answers Unavailable (503): [Service.Reconcile],
// which kassa serve runs at start and every 30 s on what has been pending
// for longer than a minute, charges them again with the same key, which finds the first
// charge rather than making a second. The buyer's Idempotency-Key makes a
// retry return the first purchase instead of buying again. The balance a
// purchase (or more licenses) is priced with is taken in the transaction
// that records it, only while it still holds that much; when another change
// used it meanwhile (sqldb.ErrBalanceChanged), the purchase is priced again
// with the balance now, before anything is charged.
//
// # Quantity changes
//
// [Service.SetQuantity] sets a subscription's total licenses, and
// [Service.PreviewQuantity] prices that without changing anything. The
// licenses added or removed are priced pro rata for the days left in the
// term (kassa.ProratedLine). More licenses are invoiced and charged at once,
// as a purchase is (a pending invoice, the charge outside any transaction,
// keyed by the invoice), and added once paid. Fewer licenses are a credit
// note whose amount goes to the billing profile's balance; the total never
// goes below the licenses assigned. A trial's licenses change for free,
// within kassa.TrialLicenseLimit.
//
// # Cancellations
//
// A cancellation ([Service.Cancel]) within kassa.CancelWindow (7 days) of
// the start of the term ends the subscription at once: a credit note credits the unused days
// pro rata, refunded to the card up to what the term's charge took, the
// rest to the balance, and the licenses are released. When part goes back
// to the card, the cancellation is recorded first with its credit note
// pending, so that the refund's amount and key are fixed, and the
// subscription is cancelling: changes of its licenses answer Conflict and
// the billing clock leaves it be. The refund is made with no transaction
// open, keyed by the subscription and the credit note; then one transaction
// issues the credit note and ends the subscription. A refund the gateway
// refuses voids the credit note and leaves the subscription as it was; one
// whose answer is lost stays pending, finished by the next Cancel of the
// subscription (whatever it asks) or by the reconciler. Later in the term a
// cancellation takes effect at the term's end, and [Service.Reactivate]
// undoes it until then. A trial ends at once.
//
// # Renewals and dunning
//
// [Service.RunDue] runs the work due up to a time, in time order: renewals,
// retries of failed renewals, conversion or expiry of trials, cancellations
// at the end of a term, and expiry of suspended subscriptions. kassa serve
// runs it every minute; kassa bill --at and the test clock run it with a
// clock that stands at each piece's moment, one piece at a time.
//
// Terms fall on the purchase's day of month (kassa.NextTermEnd); a trial's
// first paid term starts when the trial ends, and anchors the terms after.
// A renewal is an invoice for the next term, the balance applied first,
// charged with a key naming the invoice and the attempt. A declined charge
// leaves the invoice open and the subscription past_due, to be tried again
// kassa.RetryDelays (1, 3 and 7 days) after the term's end; after the last,
// the subscription is suspended, and it expires, its licenses released,
// kassa.SuspendedLife later. A charge whose answer is lost stops the run;
// the next run charges it again with the same key. A unique key on
// subscription and term start (in sqldb) makes renewing one term twice
// impossible, also with several processes.
//
// Without a test clock a batch of due work runs on 64 workers, each taking
// a part of the batch made of whole billing profiles, about 50 pieces a
// part: the pieces of one profile run one after the other, since they share
// its balance. A part's other pieces run first, one at a time; its
// renewals, up to 50 at a time and from any of its profiles, are renewed
// together in two writes: their invoices issued in one (each profile's
// credit going to its own in time order), then each charged, outside any
// transaction, then those paid recorded in one. When the invoices cannot be
// issued together — a term renewed meanwhile by another process, a balance
// that changed since it was read — each is renewed alone. (Parts were once
// single profiles: an organization's purchasers hold a few subscriptions
// each, so at 100 000 subscriptions a batch of 1 000 met 1 000 profiles and
// every renewal went alone, at half the rate.)
//
// # The balance
//
// Credit from fewer licenses, and the part of a cancellation's refund that
// the card cannot take, go to the billing profile's balance. The next
// invoice of the profile — a purchase, more licenses, a renewal — uses it
// first: the invoice keeps its lines and total and records the balance
// applied, and the card is charged the amount due, or not at all when the
// balance paid it all.
package billing
