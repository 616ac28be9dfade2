-- Multi-factor authentication for Satu Akun: TOTP (RFC 6238) secrets,
-- single-use recovery codes, the pending second step of a sign-in, and a
-- per-client "require MFA" flag for OpenID Connect relying parties.

-- One TOTP authenticator per account. The secret is encrypted with
-- AES-256-GCM under the same key-encryption key as the OIDC signing keys
-- (not in the database), bound to the account id. `confirmed_at` is NULL
-- while enrolment waits for the first correct code.
CREATE TABLE mfa_totp (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    -- nonce (12 bytes) || ciphertext || tag
    secret {{blob}} NOT NULL,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    -- The last time step (Unix time / 30 s) a code was accepted for; a code
    -- of this step or an earlier one is refused (no replay).
    last_step BIGINT NOT NULL DEFAULT 0
);

-- Recovery codes, stored as SHA-256 (they are 50-bit random values, not
-- passwords); each works once.
CREATE TABLE mfa_recovery_codes (
    id {{pk}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX mfa_recovery_codes_account ON mfa_recovery_codes (account_id);

-- A sign-in whose password was right and whose second step is still due
-- ('verify': enter a code; 'enrol': a role requires MFA the account does
-- not have yet). Not a session: it grants nothing but the second step.
-- Only the SHA-256 of the cookie value is stored.
CREATE TABLE mfa_pending_logins (
    id {{pk}},
    token_hash TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'enrol')),
    next TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX mfa_pending_logins_expires ON mfa_pending_logins (expires_at);

-- Relying parties whose users must have used a second factor.
ALTER TABLE oidc_clients ADD COLUMN require_mfa BOOLEAN NOT NULL DEFAULT FALSE;
