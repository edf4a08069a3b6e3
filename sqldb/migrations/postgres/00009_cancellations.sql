-- +goose Up
-- An immediate cancellation that refunds is written down, with its credit
-- note pending, before the gateway is asked for the refund: what the
-- refund is, of which charge, and so its key, are fixed by the first
-- attempt. A retry or the reconciler finishes it with that same refund;
-- the credit note gets its number, and the subscription ends, in the
-- transaction that records the refund. A subscription is cancelled at
-- once only once, so it has at most one row.
CREATE TABLE cancellations (
    invoice_id      TEXT PRIMARY KEY REFERENCES invoices (id),
    subscription_id TEXT NOT NULL UNIQUE REFERENCES subscriptions (id),
    actor_id        TEXT NOT NULL REFERENCES users (id), -- who cancelled
    reason          TEXT NOT NULL,
    feedback        TEXT NOT NULL,
    charge_ref      TEXT NOT NULL,                       -- the charge refunded
    refund          BIGINT NOT NULL CHECK (refund > 0),  -- to the card; the rest of the credit goes to the balance
    refund_ref      TEXT NOT NULL DEFAULT '',            -- the gateway's, once refunded
    created_at      TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE cancellations;
