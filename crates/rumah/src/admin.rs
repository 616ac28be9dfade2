//! `rumah admin create-user` and `rumah admin issue-token`.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, bail};
use rumah_domain::authz::{ApiScope, Role};
use rumah_domain::identity::{AccountId, AccountKind, AccountStatus, Email, Nip, Username};
use rumah_domain::orgs::OrgCode;
use rumah_domain::time::Timestamp;
use rumah_store::audit::{self, event};
use rumah_store::identity::accounts::{self, CreateAccountError, NewAccount};
use rumah_store::identity::tokens;
use rumah_store::{Db, migrate, orgs};
use rumah_web::auth::password::PasswordHasher;

use crate::cli::{CreateUserArgs, IssueTokenArgs, KindArg};
use crate::config::Settings;
use crate::serve::open_db;

/// An account to create, every field already parsed.
pub struct AccountSpec {
    pub kind: AccountKind,
    pub username: Username,
    pub display_name: String,
    pub email: Option<Email>,
    pub nip: Option<Nip>,
    pub unit: Option<OrgCode>,
    pub position: Option<String>,
    pub password: Option<String>,
    pub roles: Vec<(Role, OrgCode)>,
}

/// Creates the account and grants its roles, recording both in the audit
/// log as done by the command line. Fails if the username is taken.
pub async fn provision(
    db: &Db,
    hasher: &PasswordHasher,
    spec: &AccountSpec,
) -> anyhow::Result<AccountId> {
    let mut conn = db.clone();
    let org = match &spec.unit {
        Some(code) => Some(
            orgs::by_code(&mut conn, code)
                .await?
                .with_context(|| format!("there is no org node {code}"))?,
        ),
        None => None,
    };
    for (_, code) in &spec.roles {
        orgs::by_code(&mut conn, code)
            .await?
            .with_context(|| format!("there is no org node {code}"))?;
    }
    let password_hash = match &spec.password {
        Some(p) => Some(hasher.hash(p).await),
        None => None,
    };
    let mut tx = db.begin().await?;
    let id = accounts::create(
        &mut tx,
        &NewAccount {
            kind: spec.kind,
            username: &spec.username,
            display_name: &spec.display_name,
            email: spec.email.as_ref(),
            email_verified: false,
            nip: spec.nip.as_ref(),
            org_id: org.as_ref().map(|o| o.id),
            position: spec.position.as_deref(),
            password_hash: password_hash.as_deref(),
            status: AccountStatus::Active,
        },
    )
    .await
    .map_err(|e| match e {
        CreateAccountError::UsernameTaken => {
            anyhow::anyhow!("the username {} is already taken", spec.username)
        }
        CreateAccountError::NipTaken => {
            anyhow::anyhow!("the NIP is already registered to another account")
        }
        CreateAccountError::EmailTaken => {
            anyhow::anyhow!("the e-mail address is already registered to another account")
        }
        CreateAccountError::Store(e) => e.into(),
    })?;
    audit::record(
        &mut tx,
        &audit::Entry {
            event: event::ACCOUNT_CREATED,
            actor: None,
            subject: Some((id.0, spec.username.as_str())),
            org_code: org.as_ref().map(|o| o.code.as_str()),
            details: Some(serde_json::json!({ "kind": spec.kind.code(), "via": "cli" })),
            ..Default::default()
        },
    )
    .await?;
    for (role, code) in &spec.roles {
        accounts::add_grant_as_system(&mut tx, id, *role, code)
            .await
            .map_err(|e| anyhow::anyhow!("cannot grant {role} at {code}: {e}"))?;
        audit::record(
            &mut tx,
            &audit::Entry {
                event: event::ROLE_GRANTED,
                subject: Some((id.0, spec.username.as_str())),
                org_code: Some(code.as_str()),
                details: Some(
                    serde_json::json!({ "role": role.code(), "org": code.as_str(), "via": "cli" }),
                ),
                ..Default::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("the password on standard input is empty");
    }
    Ok(password)
}

fn parse_spec(
    args: &CreateUserArgs,
    policy: &rumah_domain::identity::PasswordPolicy,
    password: Option<String>,
) -> anyhow::Result<AccountSpec> {
    let username =
        Username::parse(&args.username).map_err(|e| anyhow::anyhow!("--username: {e}"))?;
    let nip = args
        .nip
        .as_deref()
        .map(Nip::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--nip: {e}"))?;
    let email = args
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let kind = match (args.kind, &nip) {
        (Some(KindArg::Asn), _) | (None, Some(_)) => AccountKind::Asn,
        (Some(KindArg::Public), _) | (None, None) => AccountKind::Public,
        (Some(KindArg::Service), _) => AccountKind::Service,
    };
    if kind == AccountKind::Asn && nip.is_none() {
        bail!("an ASN account needs --nip");
    }
    if args.role.len() != args.org.len() {
        bail!(
            "give one --org for every --role (got {} roles and {} orgs)",
            args.role.len(),
            args.org.len()
        );
    }
    let roles = args
        .role
        .iter()
        .zip(&args.org)
        .map(|(r, o)| {
            let role = Role::from_code(r).with_context(|| {
                format!(
                    "--role {r:?} is not a role; use one of {}",
                    Role::ALL.map(Role::code).join(", ")
                )
            })?;
            let org = OrgCode::parse(o).map_err(|e| anyhow::anyhow!("--org {o:?}: {e}"))?;
            Ok((role, org))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let unit = match &args.unit {
        Some(u) => Some(OrgCode::parse(u).map_err(|e| anyhow::anyhow!("--unit {u:?}: {e}"))?),
        None => roles.first().map(|(_, o)| o.clone()),
    };
    if let Some(p) = &password {
        policy
            .check(p, Some(username.as_str()))
            .map_err(|e| anyhow::anyhow!("the password is not acceptable: {e}"))?;
    }
    Ok(AccountSpec {
        kind,
        display_name: args.name.clone().unwrap_or_else(|| username.to_string()),
        username,
        email,
        nip,
        unit,
        position: None,
        password,
        roles,
    })
}

pub async fn create_user(settings: &Settings, args: CreateUserArgs) -> anyhow::Result<ExitCode> {
    let password = if args.password_stdin {
        Some(read_password_line()?)
    } else {
        None
    };
    if password.is_none() && args.kind != Some(KindArg::Service) {
        bail!("give the password with --password-stdin (only service accounts have none)");
    }
    let web = settings.web()?;
    let spec = parse_spec(&args, &web.password_policy, password)?;
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    let hasher = PasswordHasher::new(settings.argon2())?;
    let id = provision(&db, &hasher, &spec).await?;
    println!(
        "created account {} (id {}, {})",
        spec.username,
        id.0,
        spec.kind.code()
    );
    for (role, org) in &spec.roles {
        println!("  role {role} at {org}");
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn issue_token(settings: &Settings, args: IssueTokenArgs) -> anyhow::Result<ExitCode> {
    let username =
        Username::parse(&args.username).map_err(|e| anyhow::anyhow!("--username: {e}"))?;
    let scopes = args
        .scope
        .iter()
        .map(|s| {
            ApiScope::from_code(s)
                .with_context(|| format!("--scope {s:?} is not one of read, write, admin"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let expires_at = match &args.expires {
        Some(d) => {
            let d = humantime::parse_duration(d).map_err(|e| {
                anyhow::anyhow!("--expires {d:?} is not a duration like 90d or 12h: {e}")
            })?;
            Some(Timestamp::now().plus(d))
        }
        None => None,
    };
    let db = open_db(settings).await?;
    migrate::run(&db).await?;
    let mut conn = db.clone();
    let account = accounts::by_username(&mut conn, &username)
        .await?
        .with_context(|| format!("there is no account {username}"))?;
    let name = args.name.unwrap_or_else(|| "cli".into());
    let (id, token) = tokens::create(&mut conn, account.id, &name, &scopes, expires_at).await?;
    audit::record(
        &mut conn,
        &audit::Entry {
            event: event::TOKEN_ISSUED,
            subject: Some((account.id.0, &account.username)),
            org_code: account.org_code.as_deref(),
            details: Some(serde_json::json!({ "token_id": id, "name": name, "scopes": tokens::encode_scopes(&scopes), "via": "cli" })),
            ..Default::default()
        },
    )
    .await?;
    db.close().await;
    // The token alone on stdout, so scripts can capture it.
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
