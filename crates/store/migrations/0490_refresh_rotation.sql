-- A refresh rotation in one statement (it was two: store the successor,
-- then mark the old token). `rotates` names the token a successor replaced
-- (its hash). On PostgreSQL the rotation marks the old token and stores
-- its successor in one statement (an UPDATE inside a WITH); SQLite has no
-- writes inside a WITH, so storing a successor marks the token it replaces
-- by a trigger, inside the same statement.
ALTER TABLE oidc_refresh_tokens ADD COLUMN rotates TEXT;
-- {{sqlite}}
CREATE TRIGGER oidc_refresh_tokens_rotate AFTER INSERT ON oidc_refresh_tokens
FOR EACH ROW WHEN NEW.rotates IS NOT NULL
BEGIN
    UPDATE oidc_refresh_tokens SET rotated_at = NEW.created_at
    WHERE token_hash = NEW.rotates AND rotated_at IS NULL AND revoked_at IS NULL;
END;
-- {{end}}
