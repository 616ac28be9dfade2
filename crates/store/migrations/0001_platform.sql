-- Platform foundation: the org tree with its reference data, accounts,
-- roles, sessions, personal access tokens, the audit log, login throttling
-- and server secrets.
--
-- Conventions (see docs/ARCHITECTURE.md): every timestamp is BIGINT Unix
-- epoch milliseconds (UTC); booleans are BOOLEAN; the pk and blob placeholders are
-- rendered per database by the migration runner.

CREATE TABLE org_nodes (
    id {{pk}},
    -- Hierarchical code: '35', '35.15', '35.15.DINKES' (see rumah_domain::orgs::OrgCode).
    code TEXT NOT NULL UNIQUE,
    parent_id BIGINT REFERENCES org_nodes (id),
    kind TEXT NOT NULL CHECK (kind IN ('provinsi', 'kabupaten', 'kota', 'opd', 'unit')),
    name TEXT NOT NULL,
    -- The regency/city ('35.15') or, for provincial nodes, the province ('35').
    region_code TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX org_nodes_parent ON org_nodes (parent_id);
CREATE INDEX org_nodes_region ON org_nodes (region_code);

-- Reference data (Kemendagri codes; Permendagri 72/2019).
INSERT INTO org_nodes (code, parent_id, kind, name, region_code, created_at, updated_at)
VALUES ('35', NULL, 'provinsi', 'Provinsi Jawa Timur', '35', 0, 0);

CREATE TABLE region_seed (code TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL);
INSERT INTO region_seed (code, kind, name) VALUES
    ('35.01', 'kabupaten', 'Kabupaten Pacitan'),
    ('35.02', 'kabupaten', 'Kabupaten Ponorogo'),
    ('35.03', 'kabupaten', 'Kabupaten Trenggalek'),
    ('35.04', 'kabupaten', 'Kabupaten Tulungagung'),
    ('35.05', 'kabupaten', 'Kabupaten Blitar'),
    ('35.06', 'kabupaten', 'Kabupaten Kediri'),
    ('35.07', 'kabupaten', 'Kabupaten Malang'),
    ('35.08', 'kabupaten', 'Kabupaten Lumajang'),
    ('35.09', 'kabupaten', 'Kabupaten Jember'),
    ('35.10', 'kabupaten', 'Kabupaten Banyuwangi'),
    ('35.11', 'kabupaten', 'Kabupaten Bondowoso'),
    ('35.12', 'kabupaten', 'Kabupaten Situbondo'),
    ('35.13', 'kabupaten', 'Kabupaten Probolinggo'),
    ('35.14', 'kabupaten', 'Kabupaten Pasuruan'),
    ('35.15', 'kabupaten', 'Kabupaten Sidoarjo'),
    ('35.16', 'kabupaten', 'Kabupaten Mojokerto'),
    ('35.17', 'kabupaten', 'Kabupaten Jombang'),
    ('35.18', 'kabupaten', 'Kabupaten Nganjuk'),
    ('35.19', 'kabupaten', 'Kabupaten Madiun'),
    ('35.20', 'kabupaten', 'Kabupaten Magetan'),
    ('35.21', 'kabupaten', 'Kabupaten Ngawi'),
    ('35.22', 'kabupaten', 'Kabupaten Bojonegoro'),
    ('35.23', 'kabupaten', 'Kabupaten Tuban'),
    ('35.24', 'kabupaten', 'Kabupaten Lamongan'),
    ('35.25', 'kabupaten', 'Kabupaten Gresik'),
    ('35.26', 'kabupaten', 'Kabupaten Bangkalan'),
    ('35.27', 'kabupaten', 'Kabupaten Sampang'),
    ('35.28', 'kabupaten', 'Kabupaten Pamekasan'),
    ('35.29', 'kabupaten', 'Kabupaten Sumenep'),
    ('35.71', 'kota', 'Kota Kediri'),
    ('35.72', 'kota', 'Kota Blitar'),
    ('35.73', 'kota', 'Kota Malang'),
    ('35.74', 'kota', 'Kota Probolinggo'),
    ('35.75', 'kota', 'Kota Pasuruan'),
    ('35.76', 'kota', 'Kota Mojokerto'),
    ('35.77', 'kota', 'Kota Madiun'),
    ('35.78', 'kota', 'Kota Surabaya'),
    ('35.79', 'kota', 'Kota Batu');
INSERT INTO org_nodes (code, parent_id, kind, name, region_code, created_at, updated_at)
SELECT s.code, p.id, s.kind, s.name, s.code, 0, 0
FROM region_seed s CROSS JOIN org_nodes p
WHERE p.code = '35'
ORDER BY s.code;
DROP TABLE region_seed;

-- Badan Koordinasi Wilayah: the five coordination offices of the province,
-- one per sub-culture, each seated in a regency/city. Which regions each
-- coordinates is not confirmed by a primary source and is not shipped.
CREATE TABLE bakorwil (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    seat_region_code TEXT NOT NULL REFERENCES org_nodes (code),
    subculture TEXT NOT NULL
);
INSERT INTO bakorwil (code, name, seat_region_code, subculture) VALUES
    ('I', 'Bakorwil I Madiun', '35.77', 'Mataraman'),
    ('II', 'Bakorwil II Bojonegoro', '35.22', 'Pantura'),
    ('III', 'Bakorwil III Malang', '35.73', 'Arek'),
    ('IV', 'Bakorwil IV Pamekasan', '35.28', 'Madura'),
    ('V', 'Bakorwil V Jember', '35.09', 'Tapal Kuda');

CREATE TABLE accounts (
    id {{pk}},
    kind TEXT NOT NULL CHECK (kind IN ('asn', 'public', 'service')),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    phone TEXT,
    nip TEXT UNIQUE,
    -- Home unit (ASN) or owning node (service accounts); NULL for the public.
    org_id BIGINT REFERENCES org_nodes (id),
    position TEXT,
    -- Argon2id PHC string; NULL when the account cannot sign in with a password.
    password_hash TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'locked', 'pending')),
    locale TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    password_changed_at BIGINT
);
CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));
CREATE INDEX accounts_org ON accounts (org_id);

CREATE TABLE role_grants (
    id {{pk}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES org_nodes (id),
    granted_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    granted_at BIGINT NOT NULL,
    UNIQUE (account_id, role, org_id)
);
CREATE INDEX role_grants_org ON role_grants (org_id);

-- Browser sessions. Only a SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
    id {{pk}},
    token_hash TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- When and how the user authenticated (OpenID Connect auth_time, amr, acr).
    auth_time BIGINT NOT NULL,
    amr TEXT NOT NULL,
    acr TEXT,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE personal_access_tokens (
    id {{pk}},
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- The first characters of the token, shown so owners can tell tokens apart.
    token_hint TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX personal_access_tokens_account ON personal_access_tokens (account_id);

-- Security-relevant events. No foreign keys: entries outlive what they name.
CREATE TABLE audit_log (
    id {{pk}},
    at BIGINT NOT NULL,
    event TEXT NOT NULL,
    actor_id BIGINT,
    actor_label TEXT,
    subject_id BIGINT,
    subject_label TEXT,
    -- The org node the event concerns; administrators see events in their subtree.
    org_code TEXT,
    client_id TEXT,
    ip TEXT,
    details TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_event ON audit_log (event, at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
CREATE INDEX audit_log_subject ON audit_log (subject_id, at);
CREATE INDEX audit_log_org ON audit_log (org_code, at);

-- Failed sign-in attempts per login identifier and per client address.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);

-- Keys every node must share (CSRF token key and later signing-key
-- encryption). Created once; never printed.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value {{blob}} NOT NULL,
    created_at BIGINT NOT NULL
);
