//! The command line. Every subcommand has `--help`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "rumah",
    version,
    about = "Rumah Inovasi: the public-service innovation platform of Provinsi Jawa Timur",
    long_about = "Rumah Inovasi: the public-service innovation platform of Provinsi Jawa Timur.\n\n\
        One binary serves Satu Akun (single sign-on), the innovation registry and catalogue, KOVABLIK, \
        satisfaction surveys and ASN Belajar. Runs on an embedded SQLite database by default, or on \
        PostgreSQL for several nodes.\n\n\
        Configuration comes from rumah.toml (if present, or --config), then RUMAH_* environment \
        variables, then flags; later sources win. See docs/CONFIGURATION.md."
)]
pub struct Cli {
    /// Configuration file [default: ./rumah.toml when it exists]
    #[arg(long, global = true, env = "RUMAH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Log format
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines for a terminal
    Human,
    /// One JSON object per line, for log collectors
    Json,
}

/// Where the data lives; shared by every command that opens the database.
#[derive(Debug, Clone, Args, Default)]
pub struct DbArgs {
    /// Directory for the SQLite database and other local state [default: ./data]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB [default: SQLite file in the data dir]
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (applies pending migrations first)
    Serve(ServeArgs),
    /// Apply pending database migrations and exit
    Migrate(MigrateArgs),
    /// Administrative tasks: accounts, tokens, user import, OIDC clients and keys, upstream IdPs
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Write a consistent snapshot of the database while the server runs (SQLite)
    Backup(BackupArgs),
    /// Replace the database with a snapshot (SQLite; the server must be stopped)
    Restore(RestoreArgs),
    /// Rebuild derived data from the database: the SKM tallies and the search index
    /// (stop the server on this data directory first)
    Reindex(ReindexArgs),
    /// Bulk imports from spreadsheets
    #[command(subcommand)]
    Import(ImportCommand),
    /// Evidence files: maintenance of the blob store
    #[command(subcommand)]
    Files(FilesCommand),
}

#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// Remove stored blobs that no evidence file refers to and that are
    /// older than the grace period (safe while the server runs)
    Sweep(SweepArgs),
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Keep unreferenced blobs younger than this (an upload in flight
    /// stores its blob before its row)
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub grace: String,

    /// List what would be removed, remove nothing
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import innovations as drafts from a CSV or XLSX in the template's
    /// columns (see /inovasi/kelola/impor/templat.csv); shows progress
    Innovations(ImportInnovationsArgs),
}

#[derive(Debug, Args)]
pub struct ImportInnovationsArgs {
    /// The CSV or XLSX file
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,

    /// When some rows have errors, import the valid ones anyway
    /// [default: import nothing from a file with errors]
    #[arg(long)]
    pub only_valid: bool,

    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct ReindexArgs {
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// The URL users reach the service at [default: http://<listen>]
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,

    /// Load demo data (idempotent) and print the demo accounts
    #[arg(long)]
    pub demo: bool,

    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account, optionally with roles
    CreateUser(CreateUserArgs),
    /// Issue a personal access token and print it (once)
    IssueToken(IssueTokenArgs),
    /// OpenID Connect clients (relying parties) of Satu Akun
    #[command(subcommand)]
    Client(ClientCommand),
    /// Start new signing keys for Satu Akun (ES256 and every other algorithm
    /// in use); the old ones stay published until the tokens they signed
    /// have expired
    RotateKeys(RotateKeysArgs),
    /// Accounts in bulk
    #[command(subcommand)]
    Users(UsersCommand),
    /// Measure password checks per second with the configured Argon2id cost
    /// on every core (the ceiling of sign-ins per second)
    Argon2Rate(Argon2RateArgs),
    /// Upstream OpenID Connect providers users may sign in through (brokering)
    #[command(subcommand)]
    Idp(IdpCommand),
}

#[derive(Debug, Subcommand)]
pub enum IdpCommand {
    /// Add an upstream provider (its client secret is read from standard input)
    Add(AddIdpArgs),
    /// List the upstream providers
    List(IdpListArgs),
    /// Remove an upstream provider with its account links and waiting sign-ups
    Delete(DeleteIdpArgs),
}

#[derive(Debug, Args)]
pub struct AddIdpArgs {
    /// Short code used in URLs: /masuk/broker/<SLUG> (a-z, 0-9, '-')
    #[arg(long)]
    pub slug: String,

    /// Shown on the sign-in page as "Masuk dengan <NAME>"
    #[arg(long, value_name = "NAME")]
    pub display_name: String,

    /// The issuer URL; for Keycloak (the BKN ASN SSO) https://HOST/realms/NAME
    #[arg(long, value_name = "URL")]
    pub issuer: String,

    /// Our client_id at the provider
    #[arg(long)]
    pub client_id: String,

    /// Read the client secret from standard input (one line); required
    #[arg(long)]
    pub client_secret_stdin: bool,

    /// Scopes to ask for (repeatable) [default: openid profile email]
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scope: Vec<String>,

    /// The ID-token claim that carries the NIP (an existing account with that NIP is linked)
    #[arg(long, value_name = "CLAIM")]
    pub nip_claim: Option<String>,

    /// Link an existing account on an e-mail address the provider marks email_verified
    #[arg(long)]
    pub trust_email: bool,

    /// Add it disabled (not offered on the sign-in page)
    #[arg(long)]
    pub disabled: bool,

    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct IdpListArgs {
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct DeleteIdpArgs {
    /// The provider's slug
    pub slug: String,

    #[command(flatten)]
    pub db: DbArgs,
}

// Parsed once per run; boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client and print its client_id and secret (once)
    Create(CreateClientArgs),
    /// List the registered clients
    List(ClientListArgs),
    /// Remove a client and every code, token and consent it holds
    Delete(DeleteClientArgs),
    /// Change settings of a client; what is not given stays as it is
    Update(UpdateClientArgs),
}

#[derive(Debug, Args)]
pub struct CreateClientArgs {
    /// Shown on the consent screen
    #[arg(long)]
    pub name: String,

    /// Exact redirect URI (repeatable)
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uri: Vec<String>,

    /// A public client (an app on a device or a browser): no secret, PKCE required
    #[arg(long)]
    pub public: bool,

    /// A first-party service of the province: no consent screen
    #[arg(long)]
    pub first_party: bool,

    /// Send the secret in the form instead of HTTP Basic
    #[arg(long)]
    pub secret_post: bool,

    /// Scopes the client may ask for [default: openid profile email phone offline_access nip org region roles]
    #[arg(long, value_name = "SCOPE")]
    pub scope: Vec<String>,

    /// Grant types [default: authorization_code refresh_token]
    #[arg(long, value_name = "GRANT")]
    pub grant: Vec<String>,

    /// The client_id [default: derived from the name]
    #[arg(long)]
    pub client_id: Option<String>,

    /// Its users must have used a second factor (MFA); those who have not
    /// are asked for a code (step-up) before they come back
    #[arg(long)]
    pub require_mfa: bool,

    /// Exact URI the user may be sent to after signing out at the client's request (repeatable)
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    pub post_logout_redirect_uri: Vec<String>,

    /// Where the client receives back-channel logout tokens (POST)
    #[arg(long, value_name = "URI")]
    pub backchannel_logout_uri: Option<String>,

    /// The client needs `sid` in its logout tokens (they always carry it)
    #[arg(long, requires = "backchannel_logout_uri")]
    pub backchannel_logout_session_required: bool,

    /// Authenticate with private_key_jwt: a JWKS file of the client's public keys (no secret is made)
    #[arg(long, value_name = "PATH", conflicts_with_all = ["public", "secret_post"])]
    pub jwks_file: Option<std::path::PathBuf>,

    /// The algorithm of its ID tokens, access tokens and logout tokens
    #[arg(long, value_name = "ALG", default_value = "ES256", value_parser = ["ES256", "RS256", "EdDSA"])]
    pub signing_alg: String,

    /// Lifetime of its access and ID tokens in seconds, 60 to 86400 [default: 600]
    #[arg(long, value_name = "SECONDS")]
    pub access_token_lifetime: Option<i64>,

    /// Lifetime of its refresh tokens in seconds, 3600 to 7776000 [default: 2592000]
    #[arg(long, value_name = "SECONDS")]
    pub refresh_token_lifetime: Option<i64>,

    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct ClientListArgs {
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct UpdateClientArgs {
    /// The client_id
    pub client_id: String,

    /// Shown on the consent screen
    #[arg(long)]
    pub name: Option<String>,

    /// Exact redirect URI (repeatable; replaces the list)
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uri: Vec<String>,

    /// Post-logout redirect URI (repeatable; replaces the list)
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    pub post_logout_redirect_uri: Vec<String>,

    /// Where the client receives back-channel logout tokens; "" removes it
    #[arg(long, value_name = "URI")]
    pub backchannel_logout_uri: Option<String>,

    /// Grant types (repeatable; replaces the list)
    #[arg(long, value_name = "GRANT")]
    pub grant: Vec<String>,

    /// Scopes the client may ask for (repeatable; replaces the list)
    #[arg(long, value_name = "SCOPE")]
    pub scope: Vec<String>,

    /// A first-party service of the province (no consent screen)
    #[arg(long, value_name = "BOOL")]
    pub first_party: Option<bool>,

    /// Its users must have used a second factor
    #[arg(long, value_name = "BOOL")]
    pub require_mfa: Option<bool>,

    /// The algorithm of its ID, access and logout tokens
    #[arg(long, value_name = "ALG", value_parser = ["ES256", "RS256", "EdDSA"])]
    pub signing_alg: Option<String>,

    /// Lifetime of its access and ID tokens in seconds, 60 to 86400; 0: the default
    #[arg(long, value_name = "SECONDS")]
    pub access_token_lifetime: Option<i64>,

    /// Lifetime of its refresh tokens in seconds, 3600 to 7776000; 0: the default
    #[arg(long, value_name = "SECONDS")]
    pub refresh_token_lifetime: Option<i64>,

    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct DeleteClientArgs {
    /// The client_id
    pub client_id: String,

    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct Argon2RateArgs {
    /// How long to measure, in seconds
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct RotateKeysArgs {
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Asn,
    Public,
    Service,
}

#[derive(Debug, Args)]
pub struct CreateUserArgs {
    /// Sign-in name (3–32 characters: a–z, 0–9, '.', '-', '_')
    #[arg(long)]
    pub username: String,

    /// Read the password from standard input (one line)
    #[arg(long)]
    pub password_stdin: bool,

    /// Display name [default: the username]
    #[arg(long)]
    pub name: Option<String>,

    #[arg(long, value_name = "E")]
    pub email: Option<String>,

    /// 18-digit NIP (implies --kind asn)
    #[arg(long)]
    pub nip: Option<String>,

    /// Account kind [default: asn with a NIP, public otherwise]
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,

    /// Home unit (org code) [default: the org of the first --role]
    #[arg(long, value_name = "CODE")]
    pub unit: Option<String>,

    /// Role to grant (repeatable; pair each with --org): administrator,
    /// innovation_admin, curator, juror, survey_admin, learning_admin, space_admin
    #[arg(long, value_name = "ROLE")]
    pub role: Vec<String>,

    /// Org node where the matching --role is held, e.g. 35 or 35.15
    #[arg(long, value_name = "CODE")]
    pub org: Vec<String>,

    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct IssueTokenArgs {
    #[arg(long)]
    pub username: String,

    /// Scope (repeatable): read, write, admin
    #[arg(long, required = true, value_name = "SCOPE")]
    pub scope: Vec<String>,

    /// Lifetime such as 90d, 12h or 1y [default: never expires]
    #[arg(long, value_name = "DURATION")]
    pub expires: Option<String>,

    /// A name to recognise the token by [default: "cli"]
    #[arg(long)]
    pub name: Option<String>,

    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The snapshot file to write (must not exist)
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,

    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The snapshot file to restore
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,

    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create or update ASN accounts from a personnel list (CSV or XLSX with
    /// columns NIP, nama, email, unit, jabatan); the NIP is the key
    Import(ImportUsersArgs),
}

#[derive(Debug, Args)]
pub struct ImportUsersArgs {
    /// The CSV or XLSX file
    #[arg(long, value_name = "FILE")]
    pub file: std::path::PathBuf,

    /// Check and report only; write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// If some rows have errors, import the valid ones (otherwise nothing is imported)
    #[arg(long)]
    pub only_valid: bool,

    #[command(flatten)]
    pub db: DbArgs,
}
