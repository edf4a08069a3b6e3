-- +goose Up
-- balance_applied: the billing profile's credit an invoice used, taken from
-- the balance when the invoice was recorded (and given back if it fails);
-- the card is charged total - balance_applied. quantity_delta: the licenses
-- a quantity invoice adds (or a credit note removes) once it is issued.
ALTER TABLE invoices ADD COLUMN balance_applied INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN quantity_delta INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE invoices DROP COLUMN quantity_delta;
ALTER TABLE invoices DROP COLUMN balance_applied;
