-- +goose Up
-- A subscription is cancelling while its immediate cancellation waits for
-- the refund: the credit note was priced from its quantity and term, so
-- nothing that moves money may change them until the cancellation has
-- ended — a decrease would be credited twice, an increase charged and not
-- refunded. The flag sits on the subscription's row, which those changes
-- update: on PostgreSQL a change that waited for the cancellation's lock
-- reads it again there, which it would not do in a subquery.
ALTER TABLE subscriptions ADD COLUMN cancelling BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE subscriptions SET cancelling = TRUE WHERE id IN (
    SELECT c.subscription_id FROM cancellations c JOIN invoices i ON i.id = c.invoice_id
    WHERE i.status = 'pending');

-- +goose Down
ALTER TABLE subscriptions DROP COLUMN cancelling;
