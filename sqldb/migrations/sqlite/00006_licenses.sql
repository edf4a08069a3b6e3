-- +goose Up
-- A license is one user's seat under a subscription. subscriptions.assigned
-- counts them; both change in one transaction, and the CHECK on
-- subscriptions keeps assigned <= quantity whatever runs at once.
CREATE TABLE licenses (
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    user_id         TEXT NOT NULL REFERENCES users (id),
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    assigned_at     TIMESTAMP NOT NULL,
    assigned_by     TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (subscription_id, user_id)
);
CREATE INDEX licenses_user ON licenses (tenant_id, user_id);

-- +goose Down
DROP TABLE licenses;
