//! `rumah admin client …` and `rumah admin rotate-keys`: Satu Akun's
//! relying parties and signing keys from the command line.

use std::process::ExitCode;

use anyhow::{Context, bail};
use rumah_store::audit::{self, Entry};
use rumah_store::migrate;
use rumah_store::oidc::clients;

use crate::cli::{CreateClientArgs, UpdateClientArgs};
use crate::config::Settings;
use crate::serve::open_db;

use rumah_web::oidc::registration::{self, Field, RegisterError, Registration, UpdateError};

/// The flag a registration problem concerns.
fn flag(field: Field) -> &'static str {
    match field {
        Field::Name => "--name",
        Field::ClientId => "--client-id",
        Field::RedirectUris => "--redirect-uri",
        Field::PostLogoutRedirectUris => "--post-logout-redirect-uri",
        Field::BackchannelLogoutUri => "--backchannel-logout-uri",
        Field::Grants => "--grant",
        Field::Scopes => "--scope",
        Field::SigningAlg => "--signing-alg",
        Field::AccessTokenLifetime => "--access-token-lifetime",
        Field::RefreshTokenLifetime => "--refresh-token-lifetime",
        Field::Jwks => "--jwks-file",
    }
}

pub async fn create_client(
    settings: &Settings,
    args: CreateClientArgs,
) -> anyhow::Result<ExitCode> {
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
    let reg = Registration {
        name: args.name.clone(),
        client_id: args.client_id.clone(),
        public: args.public,
        secret_post: args.secret_post,
        redirect_uris: args.redirect_uri.clone(),
        post_logout_redirect_uris: args.post_logout_redirect_uri.clone(),
        backchannel_logout_uri: args.backchannel_logout_uri.clone(),
        backchannel_logout_session_required: args.backchannel_logout_session_required,
        grants: args.grant.clone(),
        scopes: args.scope.clone(),
        first_party: args.first_party,
        require_mfa: args.require_mfa,
        jwks,
        signing_alg: Some(args.signing_alg.clone()),
        access_token_lifetime_s: args.access_token_lifetime,
        refresh_token_lifetime_s: args.refresh_token_lifetime,
    };
    if let Some(p) = reg.problems().first() {
        bail!("{} {p}", flag(p.field));
    }
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    let mut tx = db.begin().await?;
    let done = match registration::register(&mut tx, &reg).await {
        Ok(done) => done,
        Err(RegisterError::Invalid(problems)) => {
            let p = &problems[0];
            bail!("{} {p}", flag(p.field));
        }
        Err(RegisterError::Store(e)) => return Err(e.into()),
    };
    audit::record(
        &mut tx,
        &Entry {
            event: rumah_store::audit::event::OIDC_CLIENT_CREATED,
            client_id: Some(&done.client_id),
            details: Some(serde_json::json!({ "name": reg.name(), "public": args.public, "first_party": args.first_party, "require_mfa": args.require_mfa, "via": "cli" })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    db.close().await;
    println!("client_id: {}", done.client_id);
    if let Some(s) = done.secret {
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

/// `rumah admin client update`: the stored settings with the given flags
/// applied, checked and saved as an edit on the admin pages is.
pub async fn update_client(
    settings: &Settings,
    args: UpdateClientArgs,
) -> anyhow::Result<ExitCode> {
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    let mut tx = db.begin().await?;
    let Some(c) = clients::any_by_client_id(&mut tx, &args.client_id).await? else {
        bail!("there is no client {:?}", args.client_id);
    };
    let words = |s: &str| -> Vec<String> {
        s.split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let or = |given: Vec<String>, stored: Vec<String>| {
        if given.is_empty() { stored } else { given }
    };
    // 0 returns a lifetime to the provider's default.
    let lifetime = |given: Option<i64>, stored: Option<i64>| match given {
        Some(0) => None,
        Some(v) => Some(v),
        None => stored,
    };
    let backchannel = match args.backchannel_logout_uri.as_deref() {
        Some("") => None,
        Some(u) => Some(u.to_owned()),
        None => c.backchannel_logout_uri.clone(),
    };
    let reg = Registration {
        name: args.name.clone().unwrap_or_else(|| c.name.clone()),
        client_id: Some(c.client_id.clone()),
        public: c.token_endpoint_auth_method == "none",
        secret_post: c.token_endpoint_auth_method == "client_secret_post",
        redirect_uris: or(args.redirect_uri.clone(), c.redirect_uris()),
        post_logout_redirect_uris: or(
            args.post_logout_redirect_uri.clone(),
            serde_json::from_str(&c.post_logout_redirect_uris).unwrap_or_default(),
        ),
        backchannel_logout_uri: backchannel,
        backchannel_logout_session_required: c.backchannel_logout_session_required,
        grants: or(args.grant.clone(), words(&c.grant_types)),
        scopes: or(args.scope.clone(), words(&c.allowed_scopes)),
        first_party: args.first_party.unwrap_or(c.first_party),
        require_mfa: args.require_mfa.unwrap_or(c.require_mfa),
        jwks: c.jwks.clone(),
        signing_alg: Some(
            args.signing_alg
                .clone()
                .unwrap_or_else(|| c.id_token_signed_response_alg.clone()),
        ),
        access_token_lifetime_s: lifetime(args.access_token_lifetime, c.access_token_lifetime_s),
        refresh_token_lifetime_s: lifetime(args.refresh_token_lifetime, c.refresh_token_lifetime_s),
    };
    match registration::update(&mut tx, &c.client_id, c.version, &reg).await {
        Ok(_) => {}
        Err(UpdateError::Invalid(problems)) => {
            let p = &problems[0];
            bail!("{} {p}", flag(p.field));
        }
        Err(UpdateError::Stale | UpdateError::NotFound) => {
            bail!("the client changed while it was being updated; try again")
        }
        Err(UpdateError::Store(e)) => return Err(e.into()),
    }
    audit::record(
        &mut tx,
        &Entry {
            event: rumah_store::audit::event::OIDC_CLIENT_UPDATED,
            client_id: Some(&c.client_id),
            details: Some(serde_json::json!({ "version": c.version + 1, "via": "cli" })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    db.close().await;
    println!("updated client {}", c.client_id);
    Ok(ExitCode::SUCCESS)
}

pub async fn rotate_keys(settings: &Settings) -> anyhow::Result<ExitCode> {
    let kek = settings.oidc_kek()?;
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    let made = rumah_web::oidc::keys::rotate(&mut db.clone(), &kek).await?;
    let kids: Vec<&str> = made.iter().map(|k| k.kid.as_str()).collect();
    audit::record(
        &mut db.clone(),
        &Entry {
            event: rumah_store::audit::event::OIDC_KEYS_ROTATED,
            details: Some(serde_json::json!({ "kids": kids, "via": "cli" })),
            ..Default::default()
        },
    )
    .await?;
    db.close().await;
    for key in &made {
        println!("new signing key {} ({})", key.kid, key.alg);
    }
    Ok(ExitCode::SUCCESS)
}
