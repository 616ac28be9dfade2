-- "Forgot password" for Satu Akun: single-use, short-lived reset links sent
-- by e-mail. Only the SHA-256 of the link's token is stored (256-bit random
-- value); the row binds it to one account. A new request deletes the
-- account's older links, so only the latest one works.
CREATE TABLE password_resets (
    id {{pk}},
    token_hash TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Set when the link was used to set a new password; it never works again.
    used_at BIGINT
);
CREATE INDEX password_resets_account ON password_resets (account_id);
