-- +goose Up
-- An admin may end a self-service subscription at once (Cancel, or Move
-- users to the organization's own subscription, SPEC §12): the
-- subscription ends in the transaction that records the cancellation, and
-- only its refund waits. ended marks those: a refund the gateway refuses
-- then credits the whole credit note to the billing profile's balance,
-- since the subscription cannot go on as it was.
ALTER TABLE cancellations ADD COLUMN ended BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE cancellations DROP COLUMN ended;
