//! `rumah admin idp …`: the upstream OpenID Connect providers Satu Akun
//! users may sign in through (brokering). The checks are those of the
//! admin page (`rumah_web::broker::IdpConfig`).

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, bail};
use rumah_store::audit::{self, Entry, event};
use rumah_store::identity::broker;
use rumah_store::migrate;
use rumah_web::broker::{AddError, Field, IdpConfig};

use crate::cli::AddIdpArgs;
use crate::config::Settings;
use crate::serve::open_db;

/// The flag a configuration problem concerns.
fn flag(field: Field) -> &'static str {
    match field {
        Field::Slug => "--slug",
        Field::DisplayName => "--display-name",
        Field::Issuer => "--issuer",
        Field::ClientId => "--client-id",
        Field::ClientSecret => "--client-secret-stdin",
        Field::Scopes => "--scope",
        Field::NipClaim => "--nip-claim",
    }
}

fn read_secret() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the client secret from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub async fn add(settings: &Settings, args: AddIdpArgs) -> anyhow::Result<ExitCode> {
    if !args.client_secret_stdin {
        bail!("give the client secret on standard input with --client-secret-stdin");
    }
    let config = IdpConfig {
        slug: args.slug,
        display_name: args.display_name,
        issuer: args.issuer,
        client_id: args.client_id,
        client_secret: read_secret()?,
        scopes: args.scope.join(" "),
        nip_claim: args.nip_claim.unwrap_or_default(),
        trust_email: args.trust_email,
        enabled: !args.disabled,
    };
    if let Some(p) = config.problems().first() {
        bail!("{} {p}", flag(p.field()));
    }
    let kek = settings.oidc_kek()?;
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    let mut tx = db.begin().await?;
    match rumah_web::broker::add(&mut tx, &kek, &config).await {
        Ok(_) => {}
        Err(AddError::Invalid(problems)) => {
            let p = problems[0];
            bail!("{} {p}", flag(p.field()));
        }
        Err(AddError::Seal(e)) => bail!("{e}"),
        Err(AddError::Store(e)) => return Err(e.into()),
    }
    audit::record(
        &mut tx,
        &Entry {
            event: event::BROKER_IDP_CREATED,
            details: Some(serde_json::json!({
                "slug": config.slug.trim(), "issuer": config.issuer.trim(),
                "client_id": config.client_id.trim(), "nip_claim": config.nip_claim.trim(),
                "trust_email": config.trust_email, "enabled": config.enabled, "via": "cli",
            })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    db.close().await;
    println!("added upstream provider {}", config.slug.trim());
    println!(
        "register this redirect URI at the provider: {}/masuk/broker/{}/callback",
        settings.web()?.public_origin(),
        config.slug.trim()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn list(settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    for i in broker::list(&mut db.clone()).await? {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            i.slug,
            i.display_name,
            i.issuer,
            i.client_id,
            i.nip_claim.as_deref().unwrap_or("-"),
            if i.trust_email {
                "trust-email"
            } else {
                "no-email"
            },
            if i.enabled { "enabled" } else { "disabled" },
        );
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn delete(settings: &Settings, slug: &str) -> anyhow::Result<ExitCode> {
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    let mut tx = db.begin().await?;
    if !broker::delete(&mut tx, slug).await? {
        bail!("there is no upstream provider {slug:?}");
    }
    audit::record(
        &mut tx,
        &Entry {
            event: event::BROKER_IDP_DELETED,
            details: Some(serde_json::json!({ "slug": slug, "via": "cli" })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    db.close().await;
    println!("deleted upstream provider {slug}");
    Ok(ExitCode::SUCCESS)
}
