-- +goose Up
-- The admins' view names a subscription's first holders by name. Ranking
-- every holder for it cost in proportion to the subscription, and more a
-- holder in a larger tenant (BENCHMARKS.md, "Scale"). With the holder's
-- name on the license, in an index by subscription and name, the first 25
-- are 25 index entries at any size. Each statement that gives a license
-- writes its holder's name (an insert trigger cost SQLite's assignments a
-- third: every license written twice); a trigger keeps it as its holder is
-- renamed, whoever renames them (an admin, SCIM, a sign-in).
ALTER TABLE licenses ADD COLUMN holder_name TEXT NOT NULL DEFAULT '';
UPDATE licenses l SET holder_name = u.name FROM users u WHERE u.id = l.user_id;
CREATE INDEX licenses_holder_name ON licenses (subscription_id, holder_name, user_id);
-- +goose StatementBegin
CREATE FUNCTION users_name_on_licenses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE licenses SET holder_name = NEW.name WHERE tenant_id = NEW.tenant_id AND user_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER users_name_on_licenses AFTER UPDATE OF name ON users
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION users_name_on_licenses();

-- +goose Down
DROP TRIGGER users_name_on_licenses ON users;
DROP FUNCTION users_name_on_licenses();
DROP INDEX licenses_holder_name;
ALTER TABLE licenses DROP COLUMN holder_name;
