-- Satu Akun: RP-initiated and back-channel logout (OpenID Connect
-- RP-Initiated Logout 1.0, Back-Channel Logout 1.0).
-- `oidc_clients.post_logout_redirect_uris` exists since 0400.

-- Where a client wants its logout tokens; NULL: no back-channel logout.
ALTER TABLE oidc_clients ADD COLUMN backchannel_logout_uri TEXT;
-- The client needs `sid` in logout tokens (they always carry it here).
ALTER TABLE oidc_clients ADD COLUMN backchannel_logout_session_required BOOLEAN NOT NULL DEFAULT FALSE;

-- The `sid` (ID-token claim) of a browser session that gave tokens to a
-- client; gone with the session.
CREATE TABLE oidc_sessions (
    session_id BIGINT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    sid TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Which clients received tokens in which session: they get a logout
-- token when it ends.
CREATE TABLE oidc_session_clients (
    session_id BIGINT NOT NULL REFERENCES oidc_sessions (session_id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, client_id)
);

-- Logout tokens to deliver (durable; retried with back-off until a 2xx
-- or until the token would expire). A node claims a row by moving
-- `claimed_until` forward; no lock is held during the HTTP call.
CREATE TABLE oidc_logout_outbox (
    id {{pk}},
    client_id TEXT NOT NULL,
    uri TEXT NOT NULL,
    sub TEXT NOT NULL,
    sid TEXT NOT NULL,
    jti TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT NOT NULL DEFAULT 0,
    delivered_at BIGINT,
    failed_at BIGINT,
    last_error TEXT
);
CREATE INDEX oidc_logout_outbox_due ON oidc_logout_outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
