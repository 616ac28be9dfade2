-- Satu Akun brokering: signing in through an upstream OpenID Connect
-- provider that a province administrator configured (a regency's or city's
-- IdP, the national ASN SSO of BKN).

-- The upstream providers. The client secret is sealed (AES-256-GCM) with the
-- key-encryption key of the OIDC signing keys, bound to the slug; never
-- stored in plain.
CREATE TABLE broker_idps (
    id {{pk}},
    -- In URLs: /masuk/broker/<slug>.
    slug TEXT NOT NULL UNIQUE,
    -- Shown on the sign-in page as "Masuk dengan <display_name>".
    display_name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret_sealed {{blob}} NOT NULL,
    -- Space-separated, always with openid.
    scopes TEXT NOT NULL,
    -- The ID-token claim that carries the NIP; NULL when the IdP has none.
    nip_claim TEXT,
    -- Whether an e-mail the upstream marks `email_verified` may link to an
    -- existing account.
    trust_email BOOLEAN NOT NULL DEFAULT FALSE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);

-- Which local account an upstream identity (`sub` at an IdP) signs in to.
-- One upstream identity per account and IdP.
CREATE TABLE broker_links (
    id {{pk}},
    idp_id BIGINT NOT NULL REFERENCES broker_idps (id) ON DELETE CASCADE,
    sub TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_login_at BIGINT,
    UNIQUE (idp_id, sub),
    UNIQUE (idp_id, account_id)
);
CREATE INDEX broker_links_account ON broker_links (account_id);

-- First sign-ins that matched no account, waiting for an administrator to
-- approve (an account and its link are made) or reject them. What the
-- upstream said, as it said it.
CREATE TABLE broker_signups (
    id {{pk}},
    idp_id BIGINT NOT NULL REFERENCES broker_idps (id) ON DELETE CASCADE,
    sub TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    nip TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (idp_id, sub)
);

-- A sign-in on its way through an upstream: the `state` (only its SHA-256),
-- the `nonce` and PKCE verifier sent with it, and where to go afterwards.
-- Taken (deleted) by the callback, so each works once; ~10 minutes.
CREATE TABLE broker_login_states (
    id {{pk}},
    state_hash TEXT NOT NULL UNIQUE,
    idp_id BIGINT NOT NULL REFERENCES broker_idps (id) ON DELETE CASCADE,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    return_to TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX broker_login_states_expiry ON broker_login_states (expires_at);
