package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// Store is the outbox as the Worker uses it; *sqldb.DB is one.
type Store interface {
	ClaimNotifications(ctx context.Context, limit int, lease time.Duration) ([]*kassa.Notification, error)
	NotificationSent(ctx context.Context, id string) error
	NotificationFailed(ctx context.Context, id, reason string, retryAt time.Time) error
	Now() time.Time
}

// The Worker's defaults.
const (
	DefaultLease    = 2 * time.Minute
	DefaultBatch    = 50
	DefaultInterval = 5 * time.Second
)

// markTimeout bounds recording an outcome, which goes on after ctx ends: a
// message delivered during shutdown is still marked sent.
const markTimeout = 10 * time.Second

// Worker delivers the outbox. Any number of workers, in one process or
// several, may run on one database: a claim is a notification's lease, and
// only one worker holds it at a time.
type Worker struct {
	Store  Store
	Sender Sender
	Log    *slog.Logger // nil: slog's default logger
	// Lease is how long a claimed notification is this worker's alone. One
	// it has neither sent nor failed by then (it died, or sending took too
	// long) is due again for any worker. Zero is DefaultLease.
	Lease time.Duration
	// Batch is the most notifications one RunOnce claims. Zero is
	// DefaultBatch.
	Batch int
	// Links makes the one-time links of invitations and resets as they are
	// sent, starting with BaseURL; without Links such messages fail (and
	// are retried).
	Links   Links
	BaseURL string
}

// Links makes one-time links; *auth.Auth does.
type Links interface {
	NewLink(ctx context.Context, userID, purpose string) (string, error)
}

// linkPaths are where each kind's link leads, and the purpose of its token.
var linkPaths = map[kassa.NotificationKind]struct{ path, purpose string }{
	kassa.NotifyInvitation:    {"/invitation/", "invitation"},
	kassa.NotifyPasswordReset: {"/reset-password/", "reset"},
}

// RunOnce claims the due notifications, up to a batch, and delivers each:
// rendered, sent, and marked sent, or marked failed with its error and a
// retry after kassa.NotifyBackoff. Each send gets what is left of the lease,
// and claims the lease no longer covers are left unsent, to be claimed again.
// When ctx ends RunOnce stops: the notification it was sending is due again
// at once, the others it claimed when their lease ends.
//
// sent and failed count the notifications delivered and not delivered. err
// reports a failure of the store (the claim, or recording an outcome), not
// of delivery: a delivery that fails is retried, never dropped.
func (w *Worker) RunOnce(ctx context.Context) (sent, failed int, err error) {
	lease := w.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	claimedAt := w.Store.Now()
	ns, err := w.Store.ClaimNotifications(ctx, w.batch(), lease)
	if err != nil {
		return 0, 0, fmt.Errorf("claim notifications: %w", err)
	}
	var errs []error
	for _, n := range ns {
		left := lease - w.Store.Now().Sub(claimedAt)
		if ctx.Err() != nil || left <= 0 {
			break
		}
		ok, err := w.deliver(ctx, n, left)
		if ok {
			sent++
		} else {
			failed++
		}
		errs = append(errs, err)
	}
	return sent, failed, errors.Join(errs...)
}

// deliver sends one claimed notification within left and records the
// outcome. ok reports whether it was delivered; err whether recording failed.
func (w *Worker) deliver(ctx context.Context, n *kassa.Notification, left time.Duration) (ok bool, err error) {
	sendCtx, cancel := context.WithTimeout(ctx, left)
	sendErr := w.link(sendCtx, n)
	if sendErr == nil {
		sendErr = w.Sender.Send(sendCtx, Render(n))
	}
	cancel()
	mark, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if sendErr == nil {
		w.log().DebugContext(ctx, "notification sent", "id", n.ID, "kind", n.Kind, "attempt", n.Attempts)
		if err := w.Store.NotificationSent(mark, n.ID); err != nil {
			// Delivered but not recorded: it goes out again when the lease ends.
			return true, fmt.Errorf("notification %s: %w", n.ID, err)
		}
		return true, nil
	}
	now := w.Store.Now()
	retryAt := now.Add(kassa.NotifyBackoff(n.Attempts))
	if ctx.Err() != nil {
		// Shutting down, not the server's fault: due again at once.
		retryAt = now
	} else {
		w.log().WarnContext(ctx, "notification not delivered",
			"id", n.ID, "attempt", n.Attempts, "retry_at", retryAt, "err", sendErr)
	}
	if err := w.Store.NotificationFailed(mark, n.ID, inEnglish(sendErr), retryAt); err != nil {
		return false, fmt.Errorf("notification %s: %w", n.ID, err)
	}
	return false, nil
}

// link gives an invitation or a reset its one-time link, made now: a
// message sent twice (a retry) carries two links, either of which works
// until one is used.
func (w *Worker) link(ctx context.Context, n *kassa.Notification) error {
	if n.Kind == kassa.NotifyPaymentAction {
		// The page that pays the invoice: kassa's, behind sign-in.
		n.Data.Link = w.BaseURL + "/billing/bills/invoices/" + url.PathEscape(n.Data.InvoiceID) + "/pay"
		return nil
	}
	lp, ok := linkPaths[n.Kind]
	if !ok {
		return nil
	}
	if w.Links == nil {
		return errors.New("no way to make links: the worker has no Links")
	}
	token, err := w.Links.NewLink(ctx, n.RecipientID, lp.purpose)
	if err != nil {
		return fmt.Errorf("make the link: %w", err)
	}
	n.Data.Link = w.BaseURL + lp.path + token
	return nil
}

// inEnglish returns err's text for the operator who reads the outbox: the
// catalog's English words in place of the key of the *kassa.Error in its
// chain, the rest as it is.
func inEnglish(err error) string {
	s := err.Error()
	if e, ok := errors.AsType[*kassa.Error](err); ok && e.Key != "" {
		s = strings.Replace(s, e.Error(), locale.In(locale.English).Error(e), 1)
	}
	return s
}

// Run delivers the outbox every interval (DefaultInterval when zero) until
// ctx ends, at once again after a full batch, so that a backlog drains
// without waiting. Errors are logged, and the next round tries again.
func (w *Worker) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		sent, failed, err := w.RunOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.log().ErrorContext(ctx, "deliver notifications", "err", err)
		}
		if sent+failed >= w.batch() {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (w *Worker) batch() int {
	if w.Batch <= 0 {
		return DefaultBatch
	}
	return w.Batch
}

func (w *Worker) log() *slog.Logger {
	if w.Log == nil {
		return slog.Default()
	}
	return w.Log
}
