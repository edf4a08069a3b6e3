// Package notify delivers the outbox: the notifications that package sqldb
// writes in the same transaction as the change they tell of.
//
// # The outbox
//
// Every self-service purchase (and trial), take-over and cancellation writes
// its notifications to the outbox table in the transaction of the change:
// one to every active admin of the tenant and one to the purchaser, in the
// tenant's language. A change that commits has its
// notifications; one rolled back has none.
//
// # Workers and leases
//
// A [Worker] runs in every kassa serve process and delivers the outbox
// every 5 s ([DefaultInterval]), at once again after a full batch, so a
// backlog drains without waiting. It claims due notifications, up to
// [DefaultBatch], for a lease of 2 minutes ([DefaultLease]): until the lease
// ends no other worker, of this process or another, takes them. It renders
// each into a plain-text [Message], hands it to a [Sender] within what is
// left of the lease, and marks it sent, or failed with its error and when
// to try again. Claims the lease no longer covers are left for the next
// round.
//
// A worker that dies between claim and mark leaves its claims to be taken
// again when the lease ends, and a sender reports failure whenever it is
// unsure, so a message may go out twice but is never lost.
//
// # Retries
//
// A failed delivery is retried after kassa.NotifyBackoff: 30 s, doubling up
// to an hour, for as long as it takes; nothing is dropped. A delivery cut
// short by shutdown is due again at once.
//
// # Senders
//
// An [SMTPSender] delivers to the server KASSA_SMTP_URL names, one
// connection per message; without it a [LogSender] writes each message to
// the log. The Message-ID is the notification's id ("<ntf_…@kassa>"), so a
// mail client can fold a message delivered twice into one.
//
// # Rendering
//
// [Render] writes a notification as the message its recipient reads, in the
// notification's locale (English when kassa does not speak it), worded for
// the purchaser or for an admin. The words are the catalog's (package
// locale, keys mail.*). Every value taken from the notification's data is
// put on one line first, so a subject never holds a line break.
package notify
