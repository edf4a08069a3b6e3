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
UPDATE licenses SET holder_name = (SELECT u.name FROM users u WHERE u.id = licenses.user_id);
CREATE INDEX licenses_holder_name ON licenses (subscription_id, holder_name, user_id);
-- +goose StatementBegin
CREATE TRIGGER users_name_on_licenses AFTER UPDATE OF name ON users WHEN OLD.name IS NOT NEW.name
BEGIN
    UPDATE licenses SET holder_name = NEW.name WHERE tenant_id = NEW.tenant_id AND user_id = NEW.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER users_name_on_licenses;
DROP INDEX licenses_holder_name;
ALTER TABLE licenses DROP COLUMN holder_name;
