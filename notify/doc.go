// Package notify delivers the outbox: the notifications that package sqldb
// writes in the same transaction as the change they tell of.
//
// A Worker claims due notifications for a lease, renders each into a plain
// text Message in the recipient's language and hands it to a Sender: an
// SMTPSender when KASSA_SMTP_URL is set, else a LogSender. A delivered
// notification is marked sent; a failed one is retried after
// kassa.NotifyBackoff, for as long as it takes. A worker that dies between
// claim and mark leaves its claims to be taken again when the lease ends, so
// a message may go out twice but is never lost.
package notify
