//! `rumah`: the one binary of Rumah Inovasi.

mod admin;
mod argon2_rate;
mod backup;
mod cli;
mod config;
mod demo;
mod files;
mod idp;
mod import;
mod lock;
mod serve;
mod sso;
mod users;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::{
    AdminCommand, Cli, ClientCommand, Command, FilesCommand, IdpCommand, ImportCommand, LogFormat,
    UsersCommand,
};
use crate::config::{Overrides, Settings};

/// mimalloc rather than the C library's allocator: a search or a token
/// grant allocates many short-lived buffers (bit sets of 12.5 kB, JSON,
/// strings), and glibc's malloc took about a tenth of the time of an
/// uncached search in the profile (bench/README.md). Built without
/// transparent huge pages (`no_thp`): with them an idle server held 16 MB
/// more of anonymous memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = match &cli.command {
        Command::Serve(a) => Overrides {
            listen: a.listen,
            public_url: a.public_url.clone(),
            demo: a.demo,
            ..Overrides::db(&a.db)
        },
        Command::Migrate(a) => Overrides::db(&a.db),
        Command::Admin(AdminCommand::CreateUser(a)) => Overrides::db(&a.db),
        Command::Admin(AdminCommand::IssueToken(a)) => Overrides::db(&a.db),
        Command::Admin(AdminCommand::Client(ClientCommand::Create(a))) => Overrides::db(&a.db),
        Command::Admin(AdminCommand::Client(ClientCommand::List(a))) => Overrides::db(&a.db),
        Command::Admin(AdminCommand::Client(ClientCommand::Delete(a))) => Overrides::db(&a.db),
        Command::Admin(AdminCommand::Client(ClientCommand::Update(a))) => Overrides::db(&a.db),
        Command::Admin(AdminCommand::RotateKeys(a)) => Overrides::db(&a.db),
        Command::Admin(AdminCommand::Argon2Rate(a)) => Overrides::db(&a.db),
        Command::Admin(AdminCommand::Users(UsersCommand::Import(a))) => Overrides::db(&a.db),
        Command::Admin(AdminCommand::Idp(IdpCommand::Add(a))) => Overrides::db(&a.db),
        Command::Admin(AdminCommand::Idp(IdpCommand::List(a))) => Overrides::db(&a.db),
        Command::Admin(AdminCommand::Idp(IdpCommand::Delete(a))) => Overrides::db(&a.db),
        Command::Backup(a) => Overrides::db(&a.db),
        Command::Restore(a) => Overrides::db(&a.db),
        Command::Reindex(a) => Overrides::db(&a.db),
        Command::Import(ImportCommand::Innovations(a)) => Overrides::db(&a.db),
        Command::Files(FilesCommand::Sweep(a)) => Overrides::db(&a.db),
    };
    let overrides = Overrides {
        log_format: cli.log_format,
        ..overrides
    };
    let settings = match Settings::load(cli.config.as_deref(), &overrides) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(_) => serve::run(settings).await,
            Command::Migrate(_) => serve::migrate_only(&settings).await,
            Command::Admin(AdminCommand::CreateUser(args)) => {
                admin::create_user(&settings, args).await
            }
            Command::Admin(AdminCommand::IssueToken(args)) => {
                admin::issue_token(&settings, args).await
            }
            Command::Admin(AdminCommand::Client(ClientCommand::Create(args))) => {
                sso::create_client(&settings, args).await
            }
            Command::Admin(AdminCommand::Client(ClientCommand::List(_))) => {
                sso::list_clients(&settings).await
            }
            Command::Admin(AdminCommand::Client(ClientCommand::Delete(args))) => {
                sso::delete_client(&settings, &args.client_id).await
            }
            Command::Admin(AdminCommand::Client(ClientCommand::Update(args))) => {
                sso::update_client(&settings, args).await
            }
            Command::Admin(AdminCommand::RotateKeys(_)) => sso::rotate_keys(&settings).await,
            Command::Admin(AdminCommand::Argon2Rate(args)) => {
                argon2_rate::run(&settings, args.seconds).await
            }
            Command::Admin(AdminCommand::Users(UsersCommand::Import(args))) => {
                users::import(&settings, args).await
            }
            Command::Admin(AdminCommand::Idp(IdpCommand::Add(args))) => {
                idp::add(&settings, args).await
            }
            Command::Admin(AdminCommand::Idp(IdpCommand::List(_))) => idp::list(&settings).await,
            Command::Admin(AdminCommand::Idp(IdpCommand::Delete(args))) => {
                idp::delete(&settings, &args.slug).await
            }
            Command::Backup(args) => backup::backup(&settings, &args.to).await,
            Command::Restore(args) => backup::restore(&settings, &args.from).await,
            Command::Reindex(_) => serve::reindex(&settings).await,
            Command::Import(ImportCommand::Innovations(args)) => {
                import::innovations(&settings, &args).await
            }
            Command::Files(FilesCommand::Sweep(args)) => files::sweep(&settings, &args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "stopped");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(settings: &Settings) {
    let filter = EnvFilter::try_from_env("RUMAH_LOG")
        .unwrap_or_else(|_| EnvFilter::new(&settings.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match settings.log_format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Human => builder
            .with_ansi(std::io::stderr().is_terminal())
            .compact()
            .init(),
    }
}
