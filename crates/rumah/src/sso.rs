//! `rumah admin client …` and `rumah admin rotate-keys`: Satu Akun's
//! relying parties and signing keys from the command line.

use std::process::ExitCode;

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rumah_domain::oidc::Scopes;
use rumah_store::audit::{self, Entry};
use rumah_store::migrate;
use rumah_store::oidc::clients::{self, NewClient};
use rumah_store::secret::random_bytes;

use crate::cli::CreateClientArgs;
use crate::config::Settings;
use crate::serve::open_db;

const DEFAULT_SCOPES: &str = "openid profile email phone offline_access nip org region roles";
const GRANTS: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];

/// A client_id from a name: lowercase letters, digits and '-'.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(40).collect()
}

/// An absolute URI without a fragment, https unless it is the loopback
/// address.
fn check_uri(flag: &str, u: &str) -> anyhow::Result<()> {
    let url = url::Url::parse(u).with_context(|| format!("{flag} {u:?} is not an absolute URL"))?;
    if url.fragment().is_some() {
        bail!("{flag} {u:?} must not have a fragment");
    }
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if url.scheme() == "http" && !loopback {
        bail!("{flag} {u:?}: plain http is allowed for loopback addresses only");
    }
    if !matches!(url.scheme(), "http" | "https") {
        bail!("{flag} {u:?} must be an http(s) URL");
    }
    Ok(())
}

pub async fn create_client(
    settings: &Settings,
    args: CreateClientArgs,
) -> anyhow::Result<ExitCode> {
    let name = args.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("--name must have 1 to 100 characters");
    }
    let grants: Vec<String> = if args.grant.is_empty() {
        vec!["authorization_code".into(), "refresh_token".into()]
    } else {
        args.grant.clone()
    };
    for g in &grants {
        if !GRANTS.contains(&g.as_str()) {
            bail!("--grant {g:?} is not one of {}", GRANTS.join(", "));
        }
    }
    if args.public && grants.iter().any(|g| g == "client_credentials") {
        bail!("a public client cannot use client_credentials (it has no secret)");
    }
    let needs_redirect = grants.iter().any(|g| g == "authorization_code");
    if needs_redirect && args.redirect_uri.is_empty() {
        bail!("--redirect-uri is required for the authorization_code grant");
    }
    for u in &args.redirect_uri {
        check_uri("--redirect-uri", u)?;
    }
    for u in &args.post_logout_redirect_uri {
        check_uri("--post-logout-redirect-uri", u)?;
    }
    if let Some(u) = &args.backchannel_logout_uri {
        check_uri("--backchannel-logout-uri", u)?;
    }
    let scopes = if args.scope.is_empty() {
        Scopes::parse(DEFAULT_SCOPES)
    } else {
        for s in &args.scope {
            if !rumah_domain::oidc::SCOPES.contains(&s.as_str()) {
                bail!(
                    "--scope {s:?} is not one of {}",
                    rumah_domain::oidc::SCOPES.join(", ")
                );
            }
        }
        Scopes::parse(&args.scope.join(" "))
    };
    let client_id = args.client_id.clone().unwrap_or_else(|| slug(name));
    if client_id.is_empty()
        || client_id.len() > 64
        || !client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        bail!("--client-id must be 1 to 64 characters of a-z, 0-9, '-', '_', '.'");
    }
    let jwks = match &args.jwks_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --jwks-file {}", path.display()))?;
            rumah_web::oidc::client_auth::check_jwks(&text)
                .map_err(|e| anyhow::anyhow!("--jwks-file {}: {e}", path.display()))?;
            Some(text)
        }
        None => None,
    };
    let secret =
        (!args.public && jwks.is_none()).then(|| URL_SAFE_NO_PAD.encode(random_bytes::<32>()));
    let secret_hash = secret.as_deref().map(rumah_store::oidc::hash);
    let method = match (args.public, args.secret_post) {
        (true, _) => "none",
        (false, true) => "client_secret_post",
        (false, false) => "client_secret_basic",
    };
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    let mut conn = db.clone();
    let created = clients::create(
        &mut conn,
        &NewClient {
            client_id: &client_id,
            name,
            secret_hash: secret_hash.as_deref(),
            redirect_uris: &args.redirect_uri,
            allowed_scopes: &scopes.to_string_list(),
            grant_types: &grants.join(" "),
            token_endpoint_auth_method: method,
            first_party: args.first_party,
        },
    )
    .await;
    match created {
        Ok(_) => {}
        Err(e) if e.is_unique_on("client_id") => bail!("a client {client_id:?} already exists"),
        Err(e) => return Err(e.into()),
    }
    if let Some(j) = &jwks {
        rumah_store::oidc::assertions::set_jwks(&mut conn, &client_id, Some(j)).await?;
    }
    rumah_store::oidc::logout::set_settings(
        &mut conn,
        &client_id,
        &args.post_logout_redirect_uri,
        args.backchannel_logout_uri.as_deref(),
        args.backchannel_logout_session_required,
    )
    .await?;
    if args.require_mfa {
        clients::set_require_mfa(&mut conn, &client_id, true).await?;
    }
    audit::record(
        &mut conn,
        &Entry {
            event: rumah_store::audit::event::OIDC_CLIENT_CREATED,
            client_id: Some(&client_id),
            details: Some(serde_json::json!({ "name": name, "public": args.public, "first_party": args.first_party, "require_mfa": args.require_mfa, "via": "cli" })),
            ..Default::default()
        },
    )
    .await?;
    db.close().await;
    println!("client_id: {client_id}");
    if let Some(s) = secret {
        println!("client_secret: {s}");
        eprintln!("The secret is shown once; store it in the client's configuration now.");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn list_clients(settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    for c in clients::list(&mut db.clone()).await? {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            c.client_id,
            c.name,
            if c.is_public() {
                "public"
            } else {
                "confidential"
            },
            if c.first_party {
                "first-party"
            } else {
                "consent"
            },
            c.redirect_uris().join(" ")
        );
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn delete_client(settings: &Settings, client_id: &str) -> anyhow::Result<ExitCode> {
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    let mut tx = db.begin().await?;
    if !clients::delete(&mut tx, client_id).await? {
        bail!("there is no client {client_id:?}");
    }
    audit::record(
        &mut tx,
        &Entry {
            event: rumah_store::audit::event::OIDC_CLIENT_DELETED,
            client_id: Some(client_id),
            details: Some(serde_json::json!({ "via": "cli" })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    db.close().await;
    println!("deleted client {client_id}");
    Ok(ExitCode::SUCCESS)
}

pub async fn rotate_keys(settings: &Settings) -> anyhow::Result<ExitCode> {
    let kek = settings.oidc_kek()?;
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    let key = rumah_web::oidc::keys::rotate(&mut db.clone(), &kek).await?;
    audit::record(
        &mut db.clone(),
        &Entry {
            event: rumah_store::audit::event::OIDC_KEYS_ROTATED,
            details: Some(serde_json::json!({ "kid": key.kid, "via": "cli" })),
            ..Default::default()
        },
    )
    .await?;
    db.close().await;
    println!("new signing key {} ({})", key.kid, key.alg);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn client_ids_from_names() {
        assert_eq!(super::slug("SIMASTER Jatim (BKD)"), "simaster-jatim-bkd");
        assert_eq!(super::slug("  --  "), "");
    }
}
