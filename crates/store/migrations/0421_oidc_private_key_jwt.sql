-- Satu Akun: private_key_jwt client authentication (RFC 7523, OpenID
-- Connect Core §9). A client with a `jwks` (its public keys, a JWKS JSON
-- document) authenticates with a signed assertion and only so; the
-- `token_endpoint_auth_method` column's CHECK (0400) cannot be widened in
-- SQLite without rebuilding the table, so the method is read as
-- `private_key_jwt` whenever `jwks` is set.
ALTER TABLE oidc_clients ADD COLUMN jwks TEXT;

-- Assertion `jti`s already used, kept until the assertion expires, so each
-- works once.
CREATE TABLE oidc_client_assertions (
    client_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX oidc_client_assertions_expiry ON oidc_client_assertions (expires_at);
