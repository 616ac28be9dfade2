-- Satu Akun as an OpenID Connect provider: relying parties (clients), the
-- provider's signing keys, authorization codes, refresh tokens and consents.
-- Codes and tokens are stored as SHA-256 hashes only.

CREATE TABLE oidc_clients (
    id {{pk}},
    client_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- SHA-256 (hex) of the secret; NULL for a public client (PKCE only).
    secret_hash TEXT,
    -- JSON array of exact redirect URIs.
    redirect_uris TEXT NOT NULL,
    -- JSON array of post-logout redirect URIs.
    post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]',
    -- Space-separated scopes the client may ask for.
    allowed_scopes TEXT NOT NULL,
    -- Space-separated grant types: authorization_code refresh_token client_credentials.
    grant_types TEXT NOT NULL,
    token_endpoint_auth_method TEXT NOT NULL
        CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none')),
    -- First-party services of the province skip the consent screen.
    first_party BOOLEAN NOT NULL DEFAULT FALSE,
    -- The org node that owns the client (service accounts of
    -- client_credentials act within it).
    org_id BIGINT REFERENCES org_nodes (id),
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);

-- Signing keys. The private key is PKCS#8, encrypted with AES-256-GCM under
-- the key-encryption key that lives outside the database (configuration or
-- a file in the data directory), so a database dump alone cannot sign.
CREATE TABLE oidc_signing_keys (
    id {{pk}},
    kid TEXT NOT NULL UNIQUE,
    alg TEXT NOT NULL CHECK (alg IN ('ES256', 'EdDSA', 'RS256')),
    -- nonce (12 bytes) || ciphertext || tag
    private_key {{blob}} NOT NULL,
    -- The public JWK (JSON), as published in the JWKS.
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Signs new tokens until then; published until `retire_at`.
    active_until BIGINT NOT NULL,
    retire_at BIGINT NOT NULL
);

CREATE TABLE oidc_codes (
    id {{pk}},
    code_hash TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    session_id BIGINT REFERENCES sessions (id) ON DELETE SET NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    auth_time BIGINT NOT NULL,
    amr TEXT NOT NULL,
    acr TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Set on first use; a second use is refused and revokes what the first issued.
    used_at BIGINT
);

CREATE TABLE oidc_refresh_tokens (
    id {{pk}},
    token_hash TEXT NOT NULL UNIQUE,
    -- Every rotation of one grant shares a family; reuse of a rotated
    -- token revokes the whole family.
    family TEXT NOT NULL,
    client_id TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    amr TEXT NOT NULL,
    acr TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    rotated_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX oidc_refresh_tokens_family ON oidc_refresh_tokens (family);
CREATE INDEX oidc_refresh_tokens_account ON oidc_refresh_tokens (account_id);

CREATE TABLE oidc_consents (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, client_id)
);

-- Access tokens revoked before they expire (RFC 7009), by `jti`; kept
-- until the token would have expired anyway.
CREATE TABLE oidc_revoked_tokens (
    jti TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
