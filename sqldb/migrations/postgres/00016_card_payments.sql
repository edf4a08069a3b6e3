-- +goose Up
-- Card payments as processors require them (SPEC §10). The processor's
-- customer is the person: a card belongs to the customer it was saved for,
-- and any of its owner's billing profiles may pay with it (the old column
-- let a card pay for one profile only).
ALTER TABLE users ADD COLUMN customer_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE payment_methods ADD COLUMN customer_ref TEXT NOT NULL DEFAULT '';
UPDATE payment_methods SET customer_ref = COALESCE(
    (SELECT b.customer_ref FROM billing_profiles b WHERE b.payment_method_id = payment_methods.id), '');
ALTER TABLE billing_profiles ADD COLUMN card_id TEXT REFERENCES payment_methods (id);
UPDATE billing_profiles SET card_id = payment_method_id;
ALTER TABLE billing_profiles DROP COLUMN payment_method_id;
CREATE INDEX billing_profiles_card ON billing_profiles (card_id);

-- Card pages opened at the processor: who opened one, where they go back
-- to, and the card it saved (saved once, whichever of the return, the
-- processor's event or the reconciler gets there first).
CREATE TABLE card_sessions (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants (id),
    user_id           TEXT NOT NULL REFERENCES users (id),
    gateway_ref       TEXT NOT NULL UNIQUE,
    setup_ref         TEXT NOT NULL,
    profile_id        TEXT NOT NULL DEFAULT '', -- the billing profile whose card it replaces
    replaces          TEXT NOT NULL DEFAULT '', -- the card it replaces everywhere (a new security code)
    return_to         TEXT NOT NULL,
    payment_method_id TEXT REFERENCES payment_methods (id),
    created_at        TIMESTAMP NOT NULL,
    expires_at        TIMESTAMP NOT NULL
);
CREATE INDEX card_sessions_setup ON card_sessions (setup_ref);
CREATE INDEX card_sessions_open ON card_sessions (expires_at) WHERE payment_method_id IS NULL;

-- A payment waiting for the person's bank: the bank's page; a renewal
-- refused with authentication_required asks the purchaser to pay it.
-- return_url is where the bank sends the person back, fixed before the
-- charge so that a retry asks the gateway exactly what the first attempt
-- asked. An open renewal invoice is charged by one payer at a time (the
-- billing clock's retry, or the purchaser paying it themselves): claim
-- says which, since claimed_at.
ALTER TABLE invoices ADD COLUMN action_url TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN action_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE invoices ADD COLUMN return_url TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN claim TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN claimed_at TIMESTAMP;
CREATE INDEX invoices_charge ON invoices (charge_ref) WHERE charge_ref <> '';

-- The processor's events taken, each once.
CREATE TABLE gateway_events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);

-- A charge the card holder disputed.
ALTER TABLE subscriptions ADD COLUMN disputed BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE subscriptions DROP COLUMN disputed;
DROP TABLE gateway_events;
DROP INDEX invoices_charge;
ALTER TABLE invoices DROP COLUMN claimed_at;
ALTER TABLE invoices DROP COLUMN claim;
ALTER TABLE invoices DROP COLUMN return_url;
ALTER TABLE invoices DROP COLUMN action_required;
ALTER TABLE invoices DROP COLUMN action_url;
DROP TABLE card_sessions;
DROP INDEX billing_profiles_card;
ALTER TABLE billing_profiles ADD COLUMN payment_method_id TEXT UNIQUE REFERENCES payment_methods (id);
UPDATE billing_profiles SET payment_method_id = card_id;
ALTER TABLE billing_profiles DROP COLUMN card_id;
ALTER TABLE payment_methods DROP COLUMN customer_ref;
ALTER TABLE users DROP COLUMN customer_ref;
