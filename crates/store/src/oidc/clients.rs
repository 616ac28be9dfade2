//! Relying parties.

use rumah_domain::time::Timestamp;

use crate::{Exec, StoreError, q};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Client {
    pub id: i64,
    pub client_id: String,
    pub name: String,
    pub secret_hash: Option<String>,
    /// JSON array.
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub allowed_scopes: String,
    pub grant_types: String,
    pub token_endpoint_auth_method: String,
    pub first_party: bool,
    /// Its users must have used a second factor (MFA).
    pub require_mfa: bool,
    pub org_id: Option<i64>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    /// The JWS algorithm of its ID, access and logout tokens (0460).
    pub id_token_signed_response_alg: String,
    /// Seconds; `None`: the provider's default.
    pub access_token_lifetime_s: Option<i64>,
    pub refresh_token_lifetime_s: Option<i64>,
    /// Bumped by every edit (optimistic concurrency on the admin pages).
    pub version: i64,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    /// Its public keys (JSON) when it authenticates with `private_key_jwt`.
    pub jwks: Option<String>,
}

impl Client {
    pub fn redirect_uris(&self) -> Vec<String> {
        serde_json::from_str(&self.redirect_uris).unwrap_or_default()
    }

    /// No secret and no keys: the client proves nothing but its id.
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none() && self.token_endpoint_auth_method == "none"
    }

    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.split(' ').any(|g| g == grant)
    }
}

/// A client to register; the secret (if any) is already hashed.
#[derive(Debug, Clone)]
pub struct NewClient<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub secret_hash: Option<&'a str>,
    pub redirect_uris: &'a [String],
    pub allowed_scopes: &'a str,
    pub grant_types: &'a str,
    pub token_endpoint_auth_method: &'a str,
    pub first_party: bool,
}

// A client with a JWKS authenticates with `private_key_jwt` (0421).
const COLUMNS: &str = "id, client_id, name, secret_hash, redirect_uris, post_logout_redirect_uris,
    allowed_scopes, grant_types,
    CASE WHEN jwks IS NOT NULL THEN 'private_key_jwt' ELSE token_endpoint_auth_method END AS token_endpoint_auth_method,
    first_party, require_mfa, org_id, created_at, disabled_at,
    id_token_signed_response_alg, access_token_lifetime_s, refresh_token_lifetime_s, version,
    backchannel_logout_uri, backchannel_logout_session_required, jwks";

pub async fn create(ex: &mut impl Exec, c: &NewClient<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = ex
        .fetch_one(q!(
            "INSERT INTO oidc_clients (client_id, name, secret_hash, redirect_uris, allowed_scopes,
                 grant_types, token_endpoint_auth_method, first_party, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            c.client_id,
            c.name,
            c.secret_hash,
            serde_json::to_string(c.redirect_uris).unwrap_or_else(|_| "[]".into()),
            c.allowed_scopes,
            c.grant_types,
            c.token_endpoint_auth_method,
            c.first_party,
            Timestamp::now()
        ))
        .await?;
    Ok(id)
}

/// An enabled client by its `client_id`.
pub async fn by_client_id(
    ex: &mut impl Exec,
    client_id: &str,
) -> Result<Option<Client>, StoreError> {
    ex.fetch_optional(
        crate::Query::assembled(format!(
            "SELECT {COLUMNS} FROM oidc_clients WHERE client_id = $1 AND disabled_at IS NULL"
        ))
        .bind(client_id.to_owned()),
    )
    .await
}

/// A client by its `client_id`, enabled or not.
pub async fn any_by_client_id(
    ex: &mut impl Exec,
    client_id: &str,
) -> Result<Option<Client>, StoreError> {
    ex.fetch_optional(
        crate::Query::assembled(format!(
            "SELECT {COLUMNS} FROM oidc_clients WHERE client_id = $1"
        ))
        .bind(client_id.to_owned()),
    )
    .await
}

/// Every setting of a client (an edit), with the version it was read at.
#[derive(Debug, Clone)]
pub struct ClientUpdate<'a> {
    pub client_id: &'a str,
    pub version: i64,
    pub name: &'a str,
    pub secret_hash: Option<&'a str>,
    pub redirect_uris: &'a [String],
    pub post_logout_redirect_uris: &'a [String],
    pub backchannel_logout_uri: Option<&'a str>,
    pub backchannel_logout_session_required: bool,
    pub allowed_scopes: &'a str,
    pub grant_types: &'a str,
    pub token_endpoint_auth_method: &'a str,
    pub jwks: Option<&'a str>,
    pub first_party: bool,
    pub require_mfa: bool,
    pub signing_alg: &'a str,
    pub access_token_lifetime_s: Option<i64>,
    pub refresh_token_lifetime_s: Option<i64>,
}

/// Saves an edit if the client is still at `u.version`, bumping it; false
/// if it is not (changed by someone else, or gone).
pub async fn update(ex: &mut impl Exec, u: &ClientUpdate<'_>) -> Result<bool, StoreError> {
    let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    Ok(ex
        .execute(q!(
            "UPDATE oidc_clients SET name = $1, secret_hash = $2, redirect_uris = $3,
                 post_logout_redirect_uris = $4, backchannel_logout_uri = $5,
                 backchannel_logout_session_required = $6, allowed_scopes = $7, grant_types = $8,
                 token_endpoint_auth_method = $9, jwks = $10, first_party = $11, require_mfa = $12,
                 id_token_signed_response_alg = $13, access_token_lifetime_s = $14,
                 refresh_token_lifetime_s = $15, version = version + 1
             WHERE client_id = $16 AND version = $17",
            u.name,
            u.secret_hash,
            json(u.redirect_uris),
            json(u.post_logout_redirect_uris),
            u.backchannel_logout_uri,
            u.backchannel_logout_session_required,
            u.allowed_scopes,
            u.grant_types,
            u.token_endpoint_auth_method,
            u.jwks,
            u.first_party,
            u.require_mfa,
            u.signing_alg,
            u.access_token_lifetime_s,
            u.refresh_token_lifetime_s,
            u.client_id,
            u.version
        ))
        .await?
        > 0)
}

/// Sets a client's token algorithm and lifetimes (registration, tests).
pub async fn set_token_settings(
    ex: &mut impl Exec,
    client_id: &str,
    alg: &str,
    access_token_lifetime_s: Option<i64>,
    refresh_token_lifetime_s: Option<i64>,
) -> Result<bool, StoreError> {
    Ok(ex
        .execute(q!(
            "UPDATE oidc_clients SET id_token_signed_response_alg = $1,
                 access_token_lifetime_s = $2, refresh_token_lifetime_s = $3
             WHERE client_id = $4",
            alg,
            access_token_lifetime_s,
            refresh_token_lifetime_s,
            client_id
        ))
        .await?
        > 0)
}

pub async fn list(ex: &mut impl Exec) -> Result<Vec<Client>, StoreError> {
    ex.fetch_all(crate::Query::assembled(format!(
        "SELECT {COLUMNS} FROM oidc_clients ORDER BY client_id"
    )))
    .await
}

/// Removes a client and everything it was issued; true if it existed.
pub async fn delete(ex: &mut impl Exec, client_id: &str) -> Result<bool, StoreError> {
    ex.execute(q!("DELETE FROM oidc_codes WHERE client_id = $1", client_id))
        .await?;
    ex.execute(q!(
        "DELETE FROM oidc_refresh_tokens WHERE client_id = $1",
        client_id
    ))
    .await?;
    ex.execute(q!(
        "DELETE FROM oidc_consents WHERE client_id = $1",
        client_id
    ))
    .await?;
    let n = ex
        .execute(q!(
            "DELETE FROM oidc_clients WHERE client_id = $1",
            client_id
        ))
        .await?;
    Ok(n > 0)
}

/// Sets the client's "require MFA" flag; false if there is no such client.
pub async fn set_require_mfa(
    ex: &mut impl Exec,
    client_id: &str,
    require: bool,
) -> Result<bool, StoreError> {
    Ok(ex
        .execute(q!(
            "UPDATE oidc_clients SET require_mfa = $1 WHERE client_id = $2",
            require,
            client_id
        ))
        .await?
        > 0)
}

/// Replaces a confidential client's secret hash; false if there is no such
/// client or it has no secret (public, or authenticating with its keys).
pub async fn replace_secret(
    ex: &mut impl Exec,
    client_id: &str,
    secret_hash: &str,
) -> Result<bool, StoreError> {
    Ok(ex
        .execute(q!(
            "UPDATE oidc_clients SET secret_hash = $1
             WHERE client_id = $2 AND secret_hash IS NOT NULL AND jwks IS NULL",
            secret_hash,
            client_id
        ))
        .await?
        > 0)
}
