//! `TestApp`: the application on `127.0.0.1:0` over a fresh database, and a
//! browser-like client (cookie jar, no automatic redirects).

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::redirect::Policy;
use rumah_domain::authz::Role;
use rumah_domain::identity::{AccountId, AccountKind, AccountStatus, Nip, Username};
use rumah_domain::orgs::{OrgCode, OrgKind};
use rumah_store::identity::accounts;
use rumah_store::testkit::TestDb;
use rumah_store::{Backend, Db, orgs};
use rumah_web::config::{Argon2Params, WebConfig};
use rumah_web::{AppState, build};
use scraper::{Html, Selector};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "kopi-tubruk-pagi";

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub t: TestDb,
    pub backend: Backend,
    /// What the node was started with (another node gets the same).
    pub config: WebConfig,
    stop: Option<oneshot::Sender<()>>,
}

/// A second application node on the same database as a [`TestApp`], with
/// its own connection pool, state and background workers, as behind a
/// load balancer: same configuration (public URL, key-encryption key).
pub struct Node {
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
}

impl Node {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `state` on `listener` until the returned sender is used or dropped.
fn serve(listener: tokio::net::TcpListener, state: AppState) -> oneshot::Sender<()> {
    let app = build(state);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    stop
}

/// The configuration tests run with: cheap hashing, plain HTTP.
pub fn test_config(base: &str) -> WebConfig {
    let mut c = WebConfig::for_public_url(url::Url::parse(base).unwrap());
    c.argon2 = Argon2Params {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };
    c
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Spawns with a configuration adjusted by `tweak`.
    pub async fn spawn_with(
        backend: Backend,
        tweak: impl FnOnce(&mut WebConfig),
    ) -> Option<TestApp> {
        let t = TestDb::migrated(backend).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let mut config = test_config(&base);
        tweak(&mut config);
        let state = AppState::new(t.db.clone(), config.clone()).await.unwrap();
        let stop = serve(listener, state);
        Some(TestApp {
            base,
            db: t.db.clone(),
            backend,
            t,
            config,
            stop: Some(stop),
        })
    }

    /// Starts another node on this database (see [`Node`]).
    pub async fn another_node(&self) -> Node {
        let db = Db::connect(&self.t.url, &rumah_store::PoolSettings::default())
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(db, self.config.clone()).await.unwrap();
        Node {
            base,
            stop: Some(serve(listener, state)),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client that keeps cookies and does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        rumah_store::blobs::install_tls_provider();
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    pub fn conn(&self) -> Db {
        self.db.clone()
    }

    /// Creates an OPD or unit as the system.
    pub async fn org(&self, parent: &str, segment: &str, kind: OrgKind) -> OrgCode {
        let scope = rumah_domain::authz::Scope::system(rumah_domain::authz::Permission::ManageOrgs);
        let parent = OrgCode::parse(parent).unwrap();
        orgs::create(
            &mut self.conn(),
            &scope,
            orgs::NewOrg {
                parent: &parent,
                segment,
                kind,
                name: &format!("Unit {segment}"),
            },
        )
        .await
        .unwrap()
        .code
    }

    /// Creates an active account with [`PASSWORD`], a home unit and roles.
    pub async fn account(
        &self,
        username: &str,
        unit: Option<&str>,
        roles: &[(Role, &str)],
    ) -> AccountId {
        self.account_with(username, AccountKind::Asn, None, unit, roles)
            .await
    }

    pub async fn account_with(
        &self,
        username: &str,
        kind: AccountKind,
        nip: Option<&str>,
        unit: Option<&str>,
        roles: &[(Role, &str)],
    ) -> AccountId {
        let mut db = self.conn();
        let hasher = rumah_web::auth::password::PasswordHasher::new(Argon2Params {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap();
        let hash = hasher.hash(PASSWORD).await;
        let org_id = match unit {
            Some(u) => Some(
                orgs::by_code(&mut db, &OrgCode::parse(u).unwrap())
                    .await
                    .unwrap()
                    .expect("unit exists")
                    .id,
            ),
            None => None,
        };
        let username = Username::parse(username).unwrap();
        let nip = nip.map(|n| Nip::parse(n).unwrap());
        let id = accounts::create(
            &mut db,
            &accounts::NewAccount {
                kind,
                username: &username,
                display_name: &format!("Nama {username}"),
                email: None,
                email_verified: false,
                nip: nip.as_ref(),
                org_id,
                position: None,
                password_hash: Some(&hash),
                status: AccountStatus::Active,
            },
        )
        .await
        .unwrap();
        for (role, org) in roles {
            accounts::add_grant_as_system(&mut db, id, *role, &OrgCode::parse(org).unwrap())
                .await
                .unwrap();
        }
        id
    }

    /// The CSRF token of the first form on `path` (loading it sets the cookie).
    pub async fn csrf_token(&self, client: &reqwest::Client, path: &str) -> String {
        let html = client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        csrf_from(&html).unwrap_or_else(|| panic!("no CSRF token on {path}"))
    }

    /// Signs in through the login form; returns the response (303 on success).
    pub async fn login(
        &self,
        client: &reqwest::Client,
        login: &str,
        password: &str,
    ) -> reqwest::Response {
        let token = self.csrf_token(client, "/masuk").await;
        client
            .post(self.url("/masuk"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("login", login),
                ("password", password),
                ("next", "/akun"),
            ])
            .send()
            .await
            .unwrap()
    }

    /// A client signed in as `username`.
    pub async fn signed_in(&self, username: &str) -> reqwest::Client {
        let client = self.client();
        let res = self.login(&client, username, PASSWORD).await;
        assert_eq!(res.status(), 303, "login of {username} failed");
        client
    }

    /// Posts a form from `page` (taking its CSRF token) to `action`.
    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf_token(client, page).await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        form.extend_from_slice(fields);
        client
            .post(self.url(action))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// Creates an innovation through the form (`/inovasi/kelola/baru`);
    /// `fields` must name the `org`. Returns its id.
    pub async fn create_innovation(
        &self,
        client: &reqwest::Client,
        fields: &[(&str, &str)],
    ) -> i64 {
        let page = "/inovasi/kelola/baru";
        let res = self.post_form(client, page, page, fields).await;
        assert_eq!(res.status(), 303, "create {fields:?}");
        res.headers()["location"]
            .to_str()
            .unwrap()
            .trim_start_matches("/inovasi/kelola/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Submits, reviews and verifies innovation `id` through the UI.
    pub async fn publish_innovation(
        &self,
        owner: &reqwest::Client,
        curator: &reqwest::Client,
        id: i64,
    ) {
        let own = format!("/inovasi/kelola/{id}");
        let cur = format!("/inovasi/kurasi/{id}");
        for (client, page, action) in [
            (owner, &own, "submit"),
            (curator, &cur, "start_review"),
            (curator, &cur, "verify"),
        ] {
            let res = self
                .post_form(
                    client,
                    page,
                    &format!("{page}/aksi"),
                    &[("action", action), ("note", "")],
                )
                .await;
            assert_eq!(res.status(), 303, "{action} on {page}");
        }
    }

    /// A published innovation of `org` at stage penerapan, through the UI.
    pub async fn published_innovation(
        &self,
        owner: &reqwest::Client,
        curator: &reqwest::Client,
        org: &str,
        name: &str,
    ) -> i64 {
        let id = self
            .create_innovation(owner, &innovation_fields(org, name))
            .await;
        self.publish_innovation(owner, curator, id).await;
        id
    }

    pub async fn count(&self, table: &str) -> i64 {
        let mut db = self.conn();
        let (n,): (i64,) = rumah_store::Exec::fetch_one(
            &mut db,
            rumah_store::Query::assembled(format!("SELECT COUNT(*) FROM {table}")),
        )
        .await
        .unwrap();
        n
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A complete profile at stage penerapan for `org` and `name`.
pub fn innovation_fields<'a>(org: &'a str, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("org", org),
        ("name", name),
        ("bentuk", "pelayanan_publik"),
        ("jenis", "digital"),
        ("inisiator", "perangkat_daerah"),
        ("urusan", "kesehatan"),
        ("tahapan", "penerapan"),
        ("date_inisiatif", "2023-01-02"),
        ("date_uji_coba", "2023-06-01"),
        ("date_penerapan", "2024-01-02"),
        ("problem", "Antrean panjang."),
        ("design", "Antrean daring."),
    ]
}

pub fn csrf_from(html: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(r#"input[name="csrf_token"]"#).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .map(str::to_owned)
}

/// Text of the first element matching `selector`.
pub fn text_of(html: &str, selector: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .next()
        .map(|e| e.text().collect::<String>().trim().to_owned())
}

pub fn count_of(html: &str, selector: &str) -> usize {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel).count()
}

/// Declares a test that runs once per backend with a fresh `TestApp`.
macro_rules! app_test {
    // `spawn: f,` starts the application with `f(backend)` (an async fn
    // returning `Option<TestApp>`, e.g. one that sets the configuration)
    // instead of `TestApp::spawn`.
    (spawn: $spawn:expr, $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::support::TestApp) $body

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($spawn(rumah_store::Backend::Sqlite).await.expect("SQLite is always available")).await;
            }

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(app) = $spawn(rumah_store::Backend::Postgres).await else {
                    eprintln!("SKIPPED on PostgreSQL: set {} to run", rumah_store::testkit::PG_URL_ENV);
                    return;
                };
                run(app).await;
            }
        }
    };
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $crate::support::app_test!(spawn: $crate::support::TestApp::spawn, $(#[$meta])* async fn $name($app) $body);
    };
}
pub(crate) use app_test;
