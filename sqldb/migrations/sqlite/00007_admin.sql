-- +goose Up
-- The audit log: every change to a tenant's objects, appended in the
-- transaction that makes it. Each tenant's events form a hash chain (see
-- kassa.AuditEvent); audit_heads holds the newest link, and its row lock
-- puts a tenant's appends in one order.
CREATE TABLE audit_heads (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    seq       BIGINT NOT NULL,
    hash      TEXT NOT NULL
);

CREATE TABLE audit_log (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    seq         BIGINT NOT NULL,
    at          TIMESTAMP NOT NULL,
    actor_id    TEXT NOT NULL, -- '' for kassa itself
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    before      TEXT,
    after       TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_log_object ON audit_log (tenant_id, object_id, seq);

-- The outbox: notifications written with the change they tell of and
-- delivered by a background worker, retried until they are sent.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    kind            TEXT NOT NULL,
    recipient_id    TEXT NOT NULL REFERENCES users (id),
    email           TEXT NOT NULL,
    locale          TEXT NOT NULL,
    data            TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP,
    sent_at         TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- +goose Down
DROP TABLE outbox;
DROP TABLE audit_log;
DROP TABLE audit_heads;
