-- Satu Akun: per-client signing algorithm, token lifetimes and an edit
-- counter for the admin pages.

-- The JWS algorithm of this client's ID tokens, JWT access tokens and
-- logout tokens (OpenID Connect Dynamic Client Registration's
-- `id_token_signed_response_alg`).
ALTER TABLE oidc_clients ADD COLUMN id_token_signed_response_alg TEXT NOT NULL DEFAULT 'ES256'
    CHECK (id_token_signed_response_alg IN ('ES256', 'RS256', 'EdDSA'));
-- Lifetimes in seconds; NULL: the provider's defaults.
ALTER TABLE oidc_clients ADD COLUMN access_token_lifetime_s BIGINT;
ALTER TABLE oidc_clients ADD COLUMN refresh_token_lifetime_s BIGINT;
-- Bumped by every edit: an edit made from an older copy of the form is refused.
ALTER TABLE oidc_clients ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- Signing keys are looked up per algorithm.
CREATE INDEX oidc_signing_keys_alg ON oidc_signing_keys (alg, retire_at);
