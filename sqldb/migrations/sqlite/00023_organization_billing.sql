-- +goose Up
-- The organization pays for what admins manage (SPEC §12). Its billing
-- profiles and cards are the tenant's, kept by its admins: owner_id says
-- which admin made one, organization that it is not that admin's own.
-- The organization is a customer of the processor of its own.
ALTER TABLE tenants ADD COLUMN customer_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE billing_profiles ADD COLUMN organization BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE payment_methods ADD COLUMN organization BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE card_sessions ADD COLUMN organization BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX billing_profiles_organization ON billing_profiles (tenant_id, created_at) WHERE organization;
CREATE INDEX payment_methods_organization ON payment_methods (tenant_id, created_at) WHERE organization;
-- An admin's invoice list takes in the organization's profiles' invoices.
CREATE INDEX invoices_profile ON invoices (billing_profile_id, issued_at);

-- +goose Down
DROP INDEX invoices_profile;
DROP INDEX payment_methods_organization;
DROP INDEX billing_profiles_organization;
ALTER TABLE card_sessions DROP COLUMN organization;
ALTER TABLE payment_methods DROP COLUMN organization;
ALTER TABLE billing_profiles DROP COLUMN organization;
ALTER TABLE tenants DROP COLUMN customer_ref;
