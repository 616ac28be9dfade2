-- WebAuthn / passkeys as a second factor of Satu Akun: an account's
-- registered authenticators, and the server-side state of a ceremony
-- (registration or sign-in) between its challenge and its answer.

-- Several per account. `passkey` is the credential as webauthn-rs
-- serialises it (JSON text: public key, sign counter, backup flags); the
-- counter and the backup flags are copied out for display and queries.
CREATE TABLE webauthn_credentials (
    id {{pk}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- base64url of the credential id; unique across all accounts.
    credential_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    passkey TEXT NOT NULL,
    sign_count BIGINT NOT NULL DEFAULT 0,
    backup_eligible BOOLEAN NOT NULL DEFAULT FALSE,
    backup_state BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX webauthn_credentials_account ON webauthn_credentials (account_id);

-- One live challenge per binding: 'reg:<session id>' (enrolment on the
-- account page), 'login:<pending sign-in id>' (second step of a sign-in) or
-- 'stepup:<session id>'. Taken (deleted) when answered, so each challenge
-- is answered at most once; a new one replaces the old.
CREATE TABLE webauthn_challenges (
    id {{pk}},
    binding TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX webauthn_challenges_expires ON webauthn_challenges (expires_at);
