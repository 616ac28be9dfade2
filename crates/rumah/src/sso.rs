//! `rumah admin client …` and `rumah admin rotate-keys`: Satu Akun's
//! relying parties and signing keys from the command line.

use std::process::ExitCode;

use anyhow::{Context, bail};
use rumah_store::audit::{self, Entry};
use rumah_store::migrate;
use rumah_store::oidc::clients;

use crate::cli::CreateClientArgs;
use crate::config::Settings;
use crate::serve::open_db;

use rumah_web::oidc::registration::{self, Field, RegisterError, Registration};

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
