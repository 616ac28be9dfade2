//! The `rumah` binary as operators use it: help, configuration errors,
//! accounts and tokens from the command line, backup and restore, and
//! several server processes on one PostgreSQL database.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use rumah_store::testkit::TestDb;
use rumah_store::{Backend, DatabaseUrl, Db, PoolSettings, Query};

const BIN: &str = env!("CARGO_BIN_EXE_rumah");
const PASSWORD: &str = "kopi-tubruk-pagi";

/// A command with a clean environment: no RUMAH_* from the caller, cheap
/// hashing, run inside `dir`.
fn rumah(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("RUMAH_") {
            c.env_remove(k);
        }
    }
    c.env("RUMAH_SECURITY__ARGON2_MEMORY_KIB", "1024")
        .env("RUMAH_SECURITY__ARGON2_ITERATIONS", "1")
        .env("RUMAH_LOG", "warn");
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the binary runs")
}

fn run_with_stdin(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A `rumah serve` process; stopped with SIGTERM when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(cmd: &mut Command) -> Server {
        let mut child = cmd
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("the server printed its address")
                .unwrap();
            if let Some(url) = line.strip_prefix("listening on ") {
                break url.trim().to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGTERM, then the exit status. `cmd` ends with `serve` and its flags.
    fn stop(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    rumah_store::blobs::install_tls_provider();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn csrf(client: &reqwest::Client, url: &str) -> String {
    let html = client.get(url).send().await.unwrap().text().await.unwrap();
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse(r#"input[name="csrf_token"]"#).unwrap();
    doc.select(&sel)
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_owned()
}

async fn login(
    server: &Server,
    client: &reqwest::Client,
    user: &str,
    password: &str,
) -> reqwest::StatusCode {
    let token = csrf(client, &server.url("/masuk")).await;
    client
        .post(server.url("/masuk"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("login", user),
            ("password", password),
            ("next", "/akun"),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

fn create_admin(dir: &Path, db_flags: &[&str]) {
    let out = run_with_stdin(
        rumah(dir)
            .args([
                "admin",
                "create-user",
                "--username",
                "admin.sidoarjo",
                "--password-stdin",
                "--name",
                "Agus",
                "--nip",
                "19851103 201001 1 004",
                "--role",
                "administrator",
                "--org",
                "35.15",
            ])
            .args(db_flags),
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success(), "create-user failed: {}", stderr(&out));
}

#[test]
fn every_subcommand_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["admin", "--help"],
        vec!["admin", "create-user", "--help"],
        vec!["admin", "issue-token", "--help"],
        vec!["admin", "client", "--help"],
        vec!["admin", "client", "create", "--help"],
        vec!["admin", "client", "list", "--help"],
        vec!["admin", "client", "delete", "--help"],
        vec!["admin", "rotate-keys", "--help"],
        vec!["admin", "argon2-rate", "--help"],
        vec!["admin", "users", "import", "--help"],
        vec!["admin", "idp", "--help"],
        vec!["admin", "idp", "add", "--help"],
        vec!["admin", "idp", "list", "--help"],
        vec!["admin", "idp", "delete", "--help"],
        vec!["backup", "--help"],
        vec!["restore", "--help"],
        vec!["reindex", "--help"],
        vec!["import", "innovations", "--help"],
        vec!["files", "--help"],
        vec!["files", "sweep", "--help"],
    ] {
        let out = run(rumah(dir.path()).args(&args));
        assert!(out.status.success(), "{args:?}");
        assert!(
            stdout(&out).contains("Usage: rumah"),
            "{args:?}: {}",
            stdout(&out)
        );
    }
    let serve = stdout(&run(rumah(dir.path()).args(["serve", "--help"])));
    for flag in ["--listen", "--data-dir", "--database-url", "--demo"] {
        assert!(serve.contains(flag), "serve --help mentions {flag}");
    }
}

#[test]
fn invalid_configuration_stops_start_up_with_a_clear_message_and_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str)] = &[
        ("listen = \"nowhere\"\n", "listen"),
        ("lisen = \"127.0.0.1:1\"\n", "lisen"),
        ("[session]\nttl = \"forever\"\n", "ttl"),
        ("[security]\nargon2_parallelism = 0\n", "argon2"),
        ("public_url = \"ftp://x\"\n", "public_url"),
        (
            "[search]\ncache_entries = 2000000\n",
            "search.cache_entries",
        ),
        ("[search]\ncache_entries = -1\n", "cache_entries"),
        ("[files]\nbackend = \"ftp\"\n", "files.backend"),
        ("[files]\nbackend = \"s3\"\n", "[files.s3]"),
        (
            "[files]\nbackend = \"s3\"\n[files.s3]\nbucket = \"b\"\naccess_key_id = \"k\"\nsecret_access_key = \"hunter2-secret\"\nendpoint = \"http://minio:9000\"\n",
            "allow_http",
        ),
        (
            "[files]\nbackend = \"s3\"\n[files.s3]\nbucket = \"b\"\naccess_key_id = \"k\"\nsecret_access_key = \"hunter2-secret\"\nendpoint = \"bukan url\"\n",
            "files.s3.endpoint",
        ),
        (
            "database_url = \"mysql://root:hunter2-secret@db/rumah\"\n",
            "database_url",
        ),
        (
            "[auth]\nrequire_mfa_roles = [\"super_admin\"]\n",
            "auth.require_mfa_roles",
        ),
        (
            "[auth]\npassword_reset_ttl = \"1m\"\n",
            "auth.password_reset_ttl",
        ),
        (
            "[smtp]\nhost = \"smtp.test\"\nfrom = \"a@b.test\"\nusername = \"u\"\npassword = \"hunter2-secret\"\ntls = \"ssl\"\n",
            "smtp.tls",
        ),
        (
            "[smtp]\nhost = \"smtp.test\"\nfrom = \"bukan alamat\"\n",
            "smtp.from",
        ),
    ];
    for (toml, mentions) in cases {
        std::fs::write(dir.path().join("rumah.toml"), toml).unwrap();
        let out = run(rumah(dir.path()).arg("migrate"));
        assert_eq!(out.status.code(), Some(2), "{toml}");
        let err = stderr(&out);
        assert!(err.contains(mentions), "{toml} -> {err}");
        assert!(
            !err.contains("hunter2-secret"),
            "a secret was printed: {err}"
        );
    }
    std::fs::remove_file(dir.path().join("rumah.toml")).unwrap();
    let out = run(rumah(dir.path())
        .arg("migrate")
        .env("RUMAH_LOGIN__MAX_FAILURES", "nol"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).to_lowercase().contains("login.max_failures"),
        "{}",
        stderr(&out)
    );
    let out = run(rumah(dir.path()).args(["--config", "missing.toml", "migrate"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.toml"));
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(rumah(dir.path())
        .args(["--log-format", "json", "migrate"])
        .env("RUMAH_LOG", "info"));
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = stderr(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each log line is JSON"))
        .collect();
    let applied = lines
        .iter()
        .find(|l| l["message"] == "applied migration")
        .expect("the migration is logged");
    assert_eq!(applied["level"], "INFO");
    assert_eq!(applied["migration.version"], 1);
}

#[test]
fn flags_override_the_environment_which_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rumah.toml"), "data_dir = \"from-file\"\n").unwrap();
    assert!(run(rumah(dir.path()).arg("migrate")).status.success());
    assert!(dir.path().join("from-file/rumah.db").exists());
    assert!(
        run(rumah(dir.path())
            .arg("migrate")
            .env("RUMAH_DATA_DIR", "from-env"))
        .status
        .success()
    );
    assert!(dir.path().join("from-env/rumah.db").exists());
    assert!(
        run(rumah(dir.path())
            .args(["migrate", "--data-dir", "from-flag"])
            .env("RUMAH_DATA_DIR", "from-env"))
        .status
        .success()
    );
    assert!(dir.path().join("from-flag/rumah.db").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_and_tokens_from_the_command_line_work_against_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(rumah(dir.path()).arg("migrate"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("applied 0001_platform"));
    create_admin(dir.path(), &[]);
    let bad = run_with_stdin(
        rumah(dir.path()).args([
            "admin",
            "create-user",
            "--username",
            "dewi",
            "--password-stdin",
            "--nip",
            "198613262015052001",
        ]),
        "x-panjang-sekali\n",
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("birth date"), "{}", stderr(&bad));
    let bad = run_with_stdin(
        rumah(dir.path()).args([
            "admin",
            "create-user",
            "--username",
            "dewi",
            "--password-stdin",
            "--role",
            "curator",
        ]),
        "x-panjang-sekali\n",
    );
    assert!(stderr(&bad).contains("--org"), "{}", stderr(&bad));
    let out = run(rumah(dir.path()).args([
        "admin",
        "issue-token",
        "--username",
        "admin.sidoarjo",
        "--scope",
        "read",
        "--scope",
        "admin",
        "--expires",
        "30d",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).trim().to_owned();
    assert!(token.starts_with("rumah_pat_"));

    let server = Server::start(rumah(dir.path()).arg("serve"));
    rumah_store::blobs::install_tls_provider();
    let me: serde_json::Value = reqwest::Client::new()
        .get(server.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "admin.sidoarjo");
    assert_eq!(me["nip"], "198511032010011004");
    assert_eq!(me["roles"][0]["org"], "35.15");
    assert_eq!(
        login(&server, &client(), "admin.sidoarjo", PASSWORD).await,
        303
    );
    assert!(server.stop().success(), "SIGTERM ends the server cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_mode_is_idempotent_and_its_accounts_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let server =
            Server::start(rumah(dir.path()).args(["--log-format", "json", "serve", "--demo"]));
        assert_eq!(
            login(&server, &client(), "admin.sidoarjo", "demo-jatim-2026").await,
            303
        );
        server.stop();
    }
    let db = Db::connect(
        &DatabaseUrl::sqlite_in(&dir.path().join("data")),
        &PoolSettings::default(),
    )
    .await
    .unwrap();
    let (n,): (i64,) = rumah_store::Exec::fetch_one(
        &mut db.clone(),
        rumah_store::q!("SELECT COUNT(*) FROM accounts WHERE username = 'admin'"),
    )
    .await
    .unwrap();
    assert_eq!(n, 1, "a second --demo start creates nothing twice");

    // The demo evidence files: stored once, served publicly with the type
    // their bytes have.
    let files: Vec<(i64, String)> = rumah_store::Exec::fetch_all(
        &mut db.clone(),
        rumah_store::q!(
            "SELECT f.id, f.content_type FROM innovation_files f
             JOIN innovations i ON i.id = f.innovation_id
             WHERE i.name LIKE 'SI-ANTIK%' ORDER BY f.id"
        ),
    )
    .await
    .unwrap();
    assert_eq!(files.len(), 3, "{files:?}");
    db.close().await;
    let server = Server::start(rumah(dir.path()).args(["serve"]));
    for (id, mime) in files {
        let res = client()
            .get(server.url(&format!("/inovasi/berkas/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], mime.as_str());
        let bytes = res.bytes().await.unwrap();
        let magic: &[u8] = if mime == "image/png" {
            b"\x89PNG"
        } else {
            b"%PDF"
        };
        assert!(bytes.starts_with(magic), "{mime}");
    }
    server.stop();
}

#[test]
fn oidc_clients_and_keys_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(rumah(dir.path()).args([
        "admin",
        "client",
        "create",
        "--name",
        "SIMASTER Jatim",
        "--first-party",
        "--redirect-uri",
        "https://simaster.example.go.id/cb",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    assert!(printed.contains("client_id: simaster-jatim"), "{printed}");
    let secret = printed
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .expect("the secret is printed once");
    assert!(secret.len() >= 43);
    // The same id again, bad URIs, a public client with client_credentials: refused.
    for (args, says) in [
        (
            vec![
                "--name",
                "SIMASTER Jatim",
                "--redirect-uri",
                "https://x.example/cb",
            ],
            "already exists",
        ),
        (
            vec!["--name", "A", "--redirect-uri", "http://x.example/cb"],
            "loopback",
        ),
        (
            vec!["--name", "B", "--redirect-uri", "https://x.example/cb#frag"],
            "fragment",
        ),
        (vec!["--name", "C"], "--redirect-uri is required"),
        (
            vec!["--name", "D", "--public", "--grant", "client_credentials"],
            "public client",
        ),
        (
            vec![
                "--name",
                "E",
                "--redirect-uri",
                "https://x.example/cb",
                "--scope",
                "semua",
            ],
            "--scope",
        ),
    ] {
        let mut cmd = rumah(dir.path());
        cmd.args(["admin", "client", "create"]).args(&args);
        let out = run(&mut cmd);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    let out = run(rumah(dir.path()).args([
        "admin",
        "client",
        "create",
        "--name",
        "Ponsel",
        "--public",
        "--redirect-uri",
        "http://127.0.0.1:8765/cb",
    ]));
    assert!(out.status.success());
    assert!(
        !stdout(&out).contains("client_secret"),
        "a public client has no secret"
    );
    let list = stdout(&run(rumah(dir.path()).args(["admin", "client", "list"])));
    assert!(
        list.contains("simaster-jatim\tSIMASTER Jatim\tconfidential\tfirst-party"),
        "{list}"
    );
    assert!(list.contains("ponsel\tPonsel\tpublic\tconsent"), "{list}");
    assert!(!list.contains(secret), "the secret is never shown again");

    let out = run(rumah(dir.path()).args(["admin", "rotate-keys"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("new signing key"));
    let kek = dir.path().join("data").join("oidc.kek");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&kek).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    assert!(
        run(rumah(dir.path()).args(["admin", "client", "delete", "ponsel"]))
            .status
            .success()
    );
    let out = run(rumah(dir.path()).args(["admin", "client", "delete", "ponsel"]));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no client"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_requires_mfa_is_registered_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    for (name, extra) in [("Keuangan", Some("--require-mfa")), ("Biasa", None)] {
        let mut cmd = rumah(dir.path());
        cmd.args([
            "admin",
            "client",
            "create",
            "--name",
            name,
            "--redirect-uri",
            "https://x.example/cb",
        ]);
        if let Some(flag) = extra {
            cmd.arg(flag);
        }
        let out = run(&mut cmd);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let db = Db::connect(
        &DatabaseUrl::parse(&format!(
            "sqlite://{}",
            dir.path().join("data/rumah.db").display()
        ))
        .unwrap(),
        &PoolSettings::default(),
    )
    .await
    .unwrap();
    let rows: Vec<(String, bool)> = rumah_store::Exec::fetch_all(
        &mut db.clone(),
        rumah_store::q!("SELECT client_id, require_mfa FROM oidc_clients ORDER BY client_id"),
    )
    .await
    .unwrap();
    assert_eq!(
        rows,
        [("biasa".to_owned(), false), ("keuangan".to_owned(), true)]
    );
    let (details,): (String,) = rumah_store::Exec::fetch_one(
        &mut db.clone(),
        rumah_store::q!("SELECT details FROM audit_log WHERE event = 'oidc.client_created' AND client_id = 'keuangan'"),
    )
    .await
    .unwrap();
    assert!(details.contains("\"require_mfa\":true"), "{details}");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_logout_uris_and_keys_are_registered_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    // RFC 7517 A.1's public P-256 key; and a set with a private part.
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"1","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}]}"#).unwrap();
    let private = dir.path().join("private.json");
    std::fs::write(&private, r#"{"keys":[{"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","d":"870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE"}]}"#).unwrap();
    let out = run(rumah(dir.path()).args([
        "admin",
        "client",
        "create",
        "--name",
        "Logout",
        "--redirect-uri",
        "https://x.example/cb",
        "--post-logout-redirect-uri",
        "https://x.example/",
        "--post-logout-redirect-uri",
        "https://x.example/bye",
        "--backchannel-logout-uri",
        "https://x.example/bc",
        "--backchannel-logout-session-required",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(rumah(dir.path()).args([
        "admin",
        "client",
        "create",
        "--name",
        "Kunci",
        "--redirect-uri",
        "https://x.example/cb",
        "--jwks-file",
        jwks.to_str().unwrap(),
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stdout(&out).contains("client_secret"),
        "no secret with keys"
    );
    for (args, says) in [
        (
            vec!["--post-logout-redirect-uri", "http://x.example/"],
            "loopback",
        ),
        (
            vec!["--backchannel-logout-uri", "https://x.example/bc#f"],
            "fragment",
        ),
        (vec!["--jwks-file", private.to_str().unwrap()], "private"),
        (vec!["--jwks-file", "/tidak/ada.json"], "cannot read"),
    ] {
        let mut cmd = rumah(dir.path());
        cmd.args([
            "admin",
            "client",
            "create",
            "--name",
            "Salah",
            "--redirect-uri",
            "https://x.example/cb",
        ])
        .args(&args);
        let out = run(&mut cmd);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    let db = Db::connect(
        &DatabaseUrl::parse(&format!(
            "sqlite://{}",
            dir.path().join("data/rumah.db").display()
        ))
        .unwrap(),
        &PoolSettings::default(),
    )
    .await
    .unwrap();
    let logout = rumah_store::oidc::logout::settings(&mut db.clone(), "logout")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        logout.post_logout_redirect_uris(),
        ["https://x.example/", "https://x.example/bye"]
    );
    assert_eq!(
        logout.backchannel_logout_uri.as_deref(),
        Some("https://x.example/bc")
    );
    assert!(logout.backchannel_logout_session_required);
    let kunci = rumah_store::oidc::clients::by_client_id(&mut db.clone(), "kunci")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kunci.token_endpoint_auth_method, "private_key_jwt");
    assert!(!kunci.is_public() && kunci.secret_hash.is_none());
    assert!(
        rumah_store::oidc::assertions::jwks(&mut db.clone(), "kunci")
            .await
            .unwrap()
            .is_some()
    );
    let (n,): (i64,) = rumah_store::Exec::fetch_one(
        &mut db.clone(),
        rumah_store::q!("SELECT COUNT(*) FROM oidc_clients"),
    )
    .await
    .unwrap();
    assert_eq!(n, 2, "refused ones were not stored");
    db.close().await;
}

/// Every row of every table, in a stable order, as text.
#[test]
fn upstream_providers_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let add = |slug: &str, issuer: &str, secret: &str| {
        run_with_stdin(
            rumah(dir.path()).args([
                "admin",
                "idp",
                "add",
                "--slug",
                slug,
                "--display-name",
                "SSO ASN (BKN)",
                "--issuer",
                issuer,
                "--client-id",
                "rumah-inovasi",
                "--client-secret-stdin",
                "--nip-claim",
                "nip",
            ]),
            secret,
        )
    };
    let out = add(
        "bkn",
        "https://sso-siasn.bkn.go.id/auth/realms/public-siasn",
        "rahasia-bkn\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("/masuk/broker/bkn/callback"));
    let out = add("lain", "http://idp.example.go.id/realms/x", "rahasia\n");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--issuer must use https"),
        "{}",
        stderr(&out)
    );
    let out = add(
        "bkn",
        "https://sso-siasn.bkn.go.id/auth/realms/public-siasn",
        "x\n",
    );
    assert!(
        stderr(&out).contains("--slug is already used"),
        "{}",
        stderr(&out)
    );

    let list = stdout(&run(rumah(dir.path()).args(["admin", "idp", "list"])));
    assert!(list.starts_with("bkn\tSSO ASN (BKN)\thttps://sso-siasn.bkn.go.id/auth/realms/public-siasn\trumah-inovasi\tnip\tno-email\tenabled"), "{list}");
    assert!(!list.contains("rahasia"));
    assert!(
        run(rumah(dir.path()).args(["admin", "idp", "delete", "bkn"]))
            .status
            .success()
    );
    let out = run(rumah(dir.path()).args(["admin", "idp", "delete", "bkn"]));
    assert!(stderr(&out).contains("no upstream provider"));
}

async fn dump(path: &Path) -> Vec<(String, Vec<String>)> {
    let db = Db::connect(
        &DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap(),
        &PoolSettings::default(),
    )
    .await
    .unwrap();
    let mut conn = db.clone();
    let tables: Vec<(String,)> = rumah_store::Exec::fetch_all(
        &mut conn,
        rumah_store::q!("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    for (table,) in tables {
        let cols: Vec<(String,)> = rumah_store::Exec::fetch_all(
            &mut conn,
            Query::assembled(format!("SELECT name FROM pragma_table_info('{table}')")),
        )
        .await
        .unwrap();
        let expr = cols
            .iter()
            .map(|(c,)| format!("quote({c})"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows: Vec<(String,)> = rumah_store::Exec::fetch_all(
            &mut conn,
            Query::assembled(format!("SELECT {expr} FROM {table}")),
        )
        .await
        .unwrap();
        let mut rows: Vec<String> = rows.into_iter().map(|r| r.0).collect();
        rows.sort();
        out.push((table, rows));
    }
    db.close().await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_then_restore_gives_back_exactly_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    create_admin(dir.path(), &[]);
    let server = Server::start(rumah(dir.path()).arg("serve"));
    // Some activity while the server runs: sessions, audit entries.
    assert_eq!(
        login(&server, &client(), "admin.sidoarjo", PASSWORD).await,
        303
    );
    let snapshot = dir.path().join("snapshot.db");
    let out = run(rumah(dir.path()).args(["backup", "--to"]).arg(&snapshot));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 accounts"), "{}", stdout(&out));
    assert!(
        !stderr(&out).contains('\r') && !stderr(&out).contains("\u{1b}["),
        "no progress bar when not on a terminal"
    );
    assert!(
        !run(rumah(dir.path()).args(["backup", "--to"]).arg(&snapshot))
            .status
            .success(),
        "never overwrites a file"
    );
    let expected = dump(&snapshot).await;

    // Changes after the snapshot.
    let out = run_with_stdin(
        rumah(dir.path()).args([
            "admin",
            "create-user",
            "--username",
            "later",
            "--password-stdin",
        ]),
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success());
    assert_eq!(login(&server, &client(), "later", PASSWORD).await, 303);

    let refused = run(rumah(dir.path()).args(["restore", "--from"]).arg(&snapshot));
    assert!(
        !refused.status.success(),
        "restore refuses to run under a live server"
    );
    assert!(stderr(&refused).contains("stop it"), "{}", stderr(&refused));

    assert!(server.stop().success());
    let out = run(rumah(dir.path()).args(["restore", "--from"]).arg(&snapshot));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("previous database was kept"));
    let restored = dump(&dir.path().join("data/rumah.db")).await;
    assert_eq!(
        restored, expected,
        "the restored database holds exactly the snapshot"
    );

    let server = Server::start(rumah(dir.path()).arg("serve"));
    assert_eq!(
        login(&server, &client(), "later", PASSWORD).await,
        401,
        "changes after the snapshot are gone"
    );
    assert_eq!(
        login(&server, &client(), "admin.sidoarjo", PASSWORD).await,
        303
    );

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, b"not a database at all").unwrap();
    let out = run(rumah(dir.path()).args(["restore", "--from"]).arg(&garbage));
    assert!(!out.status.success());
}

fn pg_url_flag(t: &TestDb) -> Vec<String> {
    vec!["--database-url".into(), t.url.expose().to_owned()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_on_postgres_explains_pg_dump() {
    let Some(t) = TestDb::fresh_url(Backend::Postgres).await else {
        eprintln!(
            "SKIPPED on PostgreSQL: set {} to run",
            rumah_store::testkit::PG_URL_ENV
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = run(rumah(dir.path())
        .args(["backup", "--to", "x.dump"])
        .args(pg_url_flag(&t)));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pg_dump"));
    let out = run(rumah(dir.path())
        .args(["restore", "--from", "x.dump"])
        .args(pg_url_flag(&t)));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pg_restore"));
}

/// A cookie jar that sends the same cookies to every host, as a browser
/// would behind a load balancer that spreads requests over nodes.
#[derive(Default)]
struct Browser {
    cookies: std::collections::BTreeMap<String, String>,
}

impl Browser {
    fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&mut self, res: &reqwest::Response) {
        for v in res.headers().get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
    }

    async fn get(&mut self, url: &str) -> (reqwest::StatusCode, String) {
        let res = plain()
            .get(url)
            .header("cookie", self.header())
            .send()
            .await
            .unwrap();
        self.absorb(&res);
        (res.status(), res.text().await.unwrap())
    }

    async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> reqwest::StatusCode {
        let res = plain()
            .post(url)
            .header("cookie", self.header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.absorb(&res);
        res.status()
    }
}

fn plain() -> reqwest::Client {
    rumah_store::blobs::install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn token_in(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(r#"input[name="csrf_token"]"#).unwrap();
    doc.select(&sel)
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_on_one_postgres_database_behave_as_one_system() {
    let Some(t) = TestDb::fresh_url(Backend::Postgres).await else {
        eprintln!(
            "SKIPPED on PostgreSQL: set {} to run",
            rumah_store::testkit::PG_URL_ENV
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let flags = pg_url_flag(&t);
    let flag_refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    let out = run(rumah(dir.path()).arg("migrate").args(&flag_refs));
    assert!(out.status.success(), "{}", stderr(&out));
    create_admin(dir.path(), &flag_refs);
    let a = Server::start(
        rumah(dir.path())
            .arg("serve")
            .env("RUMAH_DATABASE_URL", t.url.expose()),
    );
    let b = Server::start(
        rumah(dir.path())
            .arg("serve")
            .env("RUMAH_DATABASE_URL", t.url.expose()),
    );

    // Sign in on A with a CSRF token that B minted: the key is shared.
    let mut browser = Browser::default();
    let (_, form) = browser.get(&b.url("/masuk")).await;
    let token = token_in(&form);
    let status = browser
        .post(
            &a.url("/masuk"),
            &[
                ("csrf_token", &token),
                ("login", "admin.sidoarjo"),
                ("password", PASSWORD),
                ("next", "/akun"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    // The session lives in the database: B knows it.
    let (status, html) = browser.get(&b.url("/akun")).await;
    assert_eq!(status, 200, "node B knows node A's session");
    assert!(html.contains("Agus"));
    // Signing out on B ends it on A.
    let (_, page) = browser.get(&a.url("/akun/sesi")).await;
    let token = token_in(&page);
    assert_eq!(
        browser
            .post(&b.url("/keluar"), &[("csrf_token", &token)])
            .await,
        303
    );
    let mut replay = Browser::default();
    replay.cookies.clone_from(&browser.cookies);
    assert_eq!(replay.get(&a.url("/akun")).await.0, 303);

    // Failed logins on both nodes add up to one lockout.
    for i in 0..5 {
        let node = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            login(node, &client(), "admin.sidoarjo", "salah-salah-salah").await,
            401
        );
    }
    assert_eq!(login(&b, &client(), "admin.sidoarjo", PASSWORD).await, 429);
    assert_eq!(login(&a, &client(), "admin.sidoarjo", PASSWORD).await, 429);
    drop((a, b));
    drop(t);
}

/// `rumah reindex` rebuilds the SKM tallies from the stored answers, on
/// SQLite and on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_rebuilds_the_skm_tallies_from_the_answers() {
    use rumah_domain::authz::{Permission, Scope};
    use rumah_domain::orgs::OrgCode;
    use rumah_domain::surveys::skm::{ELEMENT_COUNT, Score};
    use rumah_store::surveys::ingest::{self, Submission};
    use rumah_store::surveys::{tallies, units};

    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(t) = TestDb::fresh_url(backend).await else {
            eprintln!(
                "SKIPPED on PostgreSQL: set {} to run",
                rumah_store::testkit::PG_URL_ENV
            );
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        let flags = vec!["--database-url".to_owned(), t.url.expose().to_owned()];
        assert!(
            run(rumah(dir.path()).arg("migrate").args(&flags))
                .status
                .success()
        );
        let db = Db::connect(&t.url, &PoolSettings::default()).await.unwrap();
        let mut conn = db.clone();
        let scope = Scope::system(Permission::ManageSurveys);
        let unit = units::create(
            &mut conn,
            &scope,
            units::NewUnit {
                org: &OrgCode::parse("35.15").unwrap(),
                slug: "unit-cli",
                name: "Unit CLI",
            },
        )
        .await
        .unwrap();
        let service = units::add_service(&mut conn, &unit, "Layanan")
            .await
            .unwrap();
        let subs: Vec<Submission> = (0..7u8)
            .map(|i| Submission {
                unit_id: unit.id,
                service_id: service.id,
                key: format!("cli-{i}"),
                month: 202610,
                at: rumah_domain::time::Timestamp::now(),
                service_date: None,
                age_band: None,
                gender: None,
                education: None,
                occupation: None,
                scores: [Score::new(1 + i % 4).unwrap(); ELEMENT_COUNT],
                feedback: None,
                rate_keys: Vec::new(),
            })
            .collect();
        assert_eq!(ingest::import(&db, &subs).await.unwrap(), 7);
        let before = tallies::by_service(&mut conn, unit.id, 202610, 202610)
            .await
            .unwrap();
        rumah_store::Exec::execute(
            &mut conn,
            Query::new("UPDATE skm_tallies SET respondents = 999"),
        )
        .await
        .unwrap();
        let out = run(rumah(dir.path()).arg("reindex").args(&flags));
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains("rebuilt 1 SKM tally rows"),
            "{}",
            stdout(&out)
        );
        assert_eq!(
            tallies::by_service(&mut conn, unit.id, 202610, 202610)
                .await
                .unwrap(),
            before
        );
        assert_eq!(before[0].1.respondents, 7);
        db.close().await;
    }
}

/// `rumah import innovations`: a clean file becomes drafts once; a file with
/// errors imports nothing (exit 2, the errors on stderr) unless
/// `--only-valid` is given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_innovations_from_a_spreadsheet_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(rumah(dir.path()).arg("migrate")).status.success());
    let db = Db::connect(
        &DatabaseUrl::sqlite_in(&dir.path().join("data")),
        &PoolSettings::default(),
    )
    .await
    .unwrap();
    let scope = rumah_domain::authz::Scope::system(rumah_domain::authz::Permission::ManageOrgs);
    rumah_store::orgs::create(
        &mut db.clone(),
        &scope,
        rumah_store::orgs::NewOrg {
            parent: &rumah_domain::orgs::OrgCode::parse("35.15").unwrap(),
            segment: "DINKES",
            kind: rumah_domain::orgs::OrgKind::Opd,
            name: "Dinas Kesehatan",
        },
    )
    .await
    .unwrap();
    let count = |db: Db| async move {
        let (n,): (i64,) = rumah_store::Exec::fetch_one(
            &mut db.clone(),
            Query::new("SELECT COUNT(*) FROM innovations"),
        )
        .await
        .unwrap();
        n
    };
    let good = "kode_organisasi,nama,bentuk,jenis,inisiator,urusan,tahapan,tgl_inisiatif\n35.15.DINKES,Antrean Daring,pelayanan_publik,digital,asn,kesehatan,inisiatif,02/01/2024\n";
    std::fs::write(dir.path().join("baik.csv"), good).unwrap();
    let out = run(rumah(dir.path()).args(["import", "innovations", "--file", "baik.csv"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("imported 1 innovations"),
        "{}",
        stdout(&out)
    );
    let out = run(rumah(dir.path()).args(["import", "innovations", "--file", "baik.csv"]));
    assert!(
        stdout(&out).contains("imported 0 innovations as drafts; 1 already existed"),
        "{}",
        stdout(&out)
    );
    assert_eq!(count(db.clone()).await, 1);
    let bad = format!(
        "{good}35.15.DINKES,Tanpa Tanggal,pelayanan_publik,digital,asn,kesehatan,inisiatif,\n35.15.DINKES,Apotek Keliling,pelayanan_publik,digital,asn,kesehatan,inisiatif,03/01/2024\n"
    );
    std::fs::write(dir.path().join("campur.csv"), bad).unwrap();
    let out = run(rumah(dir.path()).args(["import", "innovations", "--file", "campur.csv"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("line 3: date_inisiatif"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        count(db.clone()).await,
        1,
        "nothing from a file with errors"
    );
    let out = run(rumah(dir.path()).args([
        "import",
        "innovations",
        "--file",
        "campur.csv",
        "--only-valid",
    ]));
    assert!(out.status.success());
    assert_eq!(count(db.clone()).await, 2);
    let out = run(rumah(dir.path()).args(["import", "innovations", "--file", "tidak-ada.csv"]));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("cannot read"));
    db.close().await;
}

#[tokio::test]
async fn files_sweep_removes_only_old_unreferenced_blobs() {
    use rumah_store::blobs::{BlobStore, LocalDir};
    let dir = tempfile::tempdir().unwrap();
    assert!(run(rumah(dir.path()).arg("migrate")).status.success());
    let store = LocalDir::new(dir.path().join("data").join("blobs"));
    let orphan = store
        .put(b"an upload whose row was never written")
        .await
        .unwrap();

    let out = run(rumah(dir.path()).args(["files", "sweep", "--grace", "0s", "--dry-run"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("would remove {orphan}")),
        "{}",
        stdout(&out)
    );
    assert!(
        store.get(&orphan).await.unwrap().is_some(),
        "a dry run removes nothing"
    );

    let out = run(rumah(dir.path()).args(["files", "sweep"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("removed 0 unreferenced blobs"),
        "{}",
        stdout(&out)
    );
    assert!(
        store.get(&orphan).await.unwrap().is_some(),
        "younger than the grace"
    );

    let out = run(rumah(dir.path()).args(["files", "sweep", "--grace", "soon"]));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--grace \"soon\" is not a duration"),
        "{}",
        stderr(&out)
    );
    assert!(store.get(&orphan).await.unwrap().is_some());

    let out = run(rumah(dir.path()).args(["files", "sweep", "--grace", "0s"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("removed 1 unreferenced blobs"),
        "{}",
        stdout(&out)
    );
    assert!(store.get(&orphan).await.unwrap().is_none());
}

/// `rumah admin users import`: accounts by NIP, a second run changes
/// nothing, a file with an error row imports nothing (exit 2) unless
/// `--only-valid`, and `--dry-run` writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_users_from_a_personnel_list_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(rumah(dir.path()).arg("migrate")).status.success());
    let db = Db::connect(
        &DatabaseUrl::sqlite_in(&dir.path().join("data")),
        &PoolSettings::default(),
    )
    .await
    .unwrap();
    let count = |db: Db| async move {
        let (n,): (i64,) = rumah_store::Exec::fetch_one(
            &mut db.clone(),
            Query::new("SELECT COUNT(*) FROM accounts WHERE nip IS NOT NULL"),
        )
        .await
        .unwrap();
        n
    };
    let import = |file: &str, flags: &[&str]| {
        let mut c = rumah(dir.path());
        c.args(["admin", "users", "import", "--file", file])
            .args(flags);
        run(&mut c)
    };
    let good =
        "NIP;Nama;Email;Unit;Jabatan\n199001012015011001;Siti;siti@jatimprov.go.id;35;Analis\n";
    std::fs::write(dir.path().join("baik.csv"), good).unwrap();
    let bad = format!("{good}12345;Salah;;35;\n198501012010012002;Budi;;35;\n");
    std::fs::write(dir.path().join("campur.csv"), &bad).unwrap();

    let out = import("baik.csv", &["--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Would be created"),
        "{}",
        stdout(&out)
    );
    assert_eq!(count(db.clone()).await, 0);
    let out = import("baik.csv", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("199001012015011001\tSiti\tCreated"));
    let out = import("baik.csv", &[]);
    assert!(stdout(&out).contains("Unchanged"), "{}", stdout(&out));
    assert!(stderr(&out).contains("nothing changed"), "{}", stderr(&out));
    assert_eq!(count(db.clone()).await, 1);

    let out = import("campur.csv", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains("nip: A NIP has 18 digits; 5 were entered"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("nothing was imported"));
    assert_eq!(count(db.clone()).await, 1);
    let out = import("campur.csv", &["--only-valid"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(count(db.clone()).await, 2);
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_signing_algorithm_and_lifetimes_come_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let create = |extra: &[&str]| {
        let mut cmd = rumah(dir.path());
        cmd.args([
            "admin",
            "client",
            "create",
            "--redirect-uri",
            "https://x.example/cb",
        ])
        .args(extra);
        run(&mut cmd)
    };
    let out = create(&[
        "--name",
        "Rsa",
        "--signing-alg",
        "RS256",
        "--access-token-lifetime",
        "300",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = create(&["--name", "Biasa"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = create(&["--name", "Lama", "--refresh-token-lifetime", "60"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--refresh-token-lifetime"),
        "{}",
        stderr(&out)
    );
    let out = create(&["--name", "Hs", "--signing-alg", "HS256"]);
    assert!(!out.status.success(), "clap refuses an unknown algorithm");
    let db = Db::connect(
        &DatabaseUrl::parse(&format!(
            "sqlite://{}",
            dir.path().join("data/rumah.db").display()
        ))
        .unwrap(),
        &PoolSettings::default(),
    )
    .await
    .unwrap();
    let rows: Vec<(String, String, Option<i64>)> = rumah_store::Exec::fetch_all(
        &mut db.clone(),
        rumah_store::q!("SELECT client_id, id_token_signed_response_alg, access_token_lifetime_s FROM oidc_clients ORDER BY client_id"),
    )
    .await
    .unwrap();
    assert_eq!(
        rows,
        [
            ("biasa".to_owned(), "ES256".to_owned(), None),
            ("rsa".to_owned(), "RS256".to_owned(), Some(300))
        ]
    );
    db.close().await;
    // Rotation renews ES256 and every algorithm in use.
    let out = run(rumah(dir.path()).args(["admin", "rotate-keys"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("(ES256)"), "{}", stdout(&out));
}

#[test]
fn argon2_rate_measures_password_checks_with_the_configured_cost() {
    let dir = tempfile::tempdir().unwrap();
    // `rumah()` sets the cost to 1 MiB and one iteration.
    let out = run(rumah(dir.path()).args(["admin", "argon2-rate", "--seconds", "0.3"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("(Argon2id m=1024 KiB, t=1, p=1;"), "{text}");
    let rate: f64 = text.split(' ').next().unwrap().parse().unwrap();
    assert!(rate > 0.0, "{text}");
}

#[test]
fn a_client_is_updated_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(rumah(dir.path()).args([
        "admin",
        "client",
        "create",
        "--name",
        "Portal",
        "--redirect-uri",
        "https://portal.example/cb",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(rumah(dir.path()).args([
        "admin",
        "client",
        "update",
        "portal",
        "--signing-alg",
        "EdDSA",
        "--redirect-uri",
        "https://portal.example/cb2",
        "--first-party",
        "true",
        "--access-token-lifetime",
        "120",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("updated client portal"));
    let list = stdout(&run(rumah(dir.path()).args(["admin", "client", "list"])));
    assert!(
        list.contains("portal\tPortal\tconfidential\tfirst-party\thttps://portal.example/cb2"),
        "{list}"
    );
    // Checked like a registration; nothing changes.
    let out = run(rumah(dir.path()).args([
        "admin",
        "client",
        "update",
        "portal",
        "--redirect-uri",
        "http://portal.example/cb",
    ]));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--redirect-uri"), "{}", stderr(&out));
    let out =
        run(rumah(dir.path()).args(["admin", "client", "update", "tidak-ada", "--name", "X"]));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no client"));
    let list = stdout(&run(rumah(dir.path()).args(["admin", "client", "list"])));
    assert!(list.contains("https://portal.example/cb2"), "{list}");
}
