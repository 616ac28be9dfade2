-- The browser session's `sid` (back-channel logout) kept on each refresh
-- token, copied to its successor on rotation, so that a refresh does not
-- look the session up again. NULL for tokens of grants without a session
-- and for tokens issued before this migration (looked up as before).
ALTER TABLE oidc_refresh_tokens ADD COLUMN sid TEXT;
