//! Brokering: signing in to Satu Akun through an upstream OpenID Connect
//! provider. The upstream is a real, independent provider: oidc-provider
//! (panva, OpenID Certified) run by `tests/upstream-idp/server.mjs`, which
//! signs in the account named by `login_hint` without a form. Tokens no
//! honest provider would issue (bad signature, wrong audience or issuer,
//! `alg: none`, HS256 keyed with the client secret, expired, foreign
//! `azp`) come from a test-only fake upstream (`FakeUpstream`, below) that
//! serves a discovery document, a JWKS and a token endpoint returning a
//! crafted ID token.
//!
//! The Node packages are installed by `scripts/install-test-deps` (`npm ci`
//! in `tests/upstream-idp`). Without them the tests that need the real
//! upstream say SKIPPED and return, unless
//! `RUMAH_TEST_REQUIRE_OIDC_CLIENTS=1` (as in CI), where that is a failure.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rumah_domain::authz::Role;
use rumah_domain::identity::AccountKind;
use rumah_domain::orgs::OrgKind;
use rumah_web::broker::IdpConfig;
use rumah_web::oidc::keys::Kek;

use crate::support::{TestApp, app_test, text_of};

const KEK: [u8; 32] = [7; 32];
const UPSTREAM_SECRET: &str = "rahasia-hulu-yang-cukup-panjang";
const NIP_SITI: &str = "198507262010012003";
const NIP_LOCKED: &str = "197812012005011002";
const NIP_NEWCOMER: &str = "199203142019032005";
const BUDI_EMAIL: &str = "budi@dinas.example.go.id";
/// Slugs configured at the real upstream: NIP claim and trusted e-mail,
/// and one that trusts no e-mail.
const HULU: &str = "hulu";
const NO_EMAIL: &str = "hulu-tanpa-email";

async fn spawn(backend: rumah_store::Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |c| c.oidc_kek = Kek::new(KEK)).await
}

/// The real upstream, stopped when dropped.
struct Upstream {
    _child: tokio::process::Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts oidc-provider for `app` with `HULU` and `NO_EMAIL` configured;
/// `None` (SKIPPED) when it is not installed and not required.
async fn upstream(app: &TestApp) -> Option<Upstream> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/upstream-idp");
    let installed = std::path::Path::new(dir)
        .join("node_modules/oidc-provider/package.json")
        .is_file()
        && tokio::process::Command::new("node")
            .arg("--version")
            .output()
            .await
            .is_ok_and(|o| o.status.success());
    if !installed {
        assert!(
            std::env::var("RUMAH_TEST_REQUIRE_OIDC_CLIENTS").as_deref() != Ok("1"),
            "RUMAH_TEST_REQUIRE_OIDC_CLIENTS=1 but node or tests/upstream-idp/node_modules (oidc-provider) is missing: run scripts/install-test-deps"
        );
        eprintln!("SKIPPED: node with tests/upstream-idp/node_modules is not installed");
        return None;
    }
    let port = free_port();
    let redirects = [HULU, NO_EMAIL]
        .map(|s| app.url(&format!("/masuk/broker/{s}/callback")))
        .join(",");
    let mut child = tokio::process::Command::new("node")
        .current_dir(dir)
        .args(["server.mjs", &port.to_string(), &redirects, UPSTREAM_SECRET])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    // A bounded wait: an upstream that never starts fails this test instead
    // of hanging the suite.
    let first = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line())
        .await
        .expect("the upstream did not say ready within 60 s")
        .unwrap();
    assert_eq!(
        first.as_deref(),
        Some("ready"),
        "the upstream did not start"
    );
    // Keep reading, or its next line would die on a closed pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let issuer = format!("http://127.0.0.1:{port}");
    add_idp(app, HULU, &issuer, Some("nip"), true).await;
    add_idp(app, NO_EMAIL, &issuer, None, false).await;
    Some(Upstream { _child: child })
}

async fn add_idp(app: &TestApp, slug: &str, issuer: &str, nip_claim: Option<&str>, trust: bool) {
    rumah_web::broker::add(
        &mut app.conn(),
        &Kek::new(KEK),
        &IdpConfig {
            slug: slug.into(),
            display_name: format!("IdP {slug}"),
            issuer: issuer.into(),
            client_id: "rumah-inovasi".into(),
            client_secret: UPSTREAM_SECRET.into(),
            scopes: "openid profile email nip".into(),
            nip_claim: nip_claim.unwrap_or_default().into(),
            trust_email: trust,
            enabled: true,
        },
    )
    .await
    .unwrap();
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// Starts a brokered sign-in; returns the upstream authorization URL.
async fn begin(
    app: &TestApp,
    browser: &reqwest::Client,
    slug: &str,
    hint: &str,
    next: &str,
) -> String {
    let res = browser
        .get(app.url(&format!("/masuk/broker/{slug}")))
        .query(&[("next", next), ("login_hint", hint)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "start at {slug}");
    location(&res)
}

/// Follows the upstream's redirects from `url` until it sends the browser
/// back to us; returns our callback URL.
async fn through_upstream(app: &TestApp, browser: &reqwest::Client, url: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    for _ in 0..10 {
        let res = browser.get(url.clone()).send().await.unwrap();
        assert!(
            res.status().is_redirection(),
            "upstream answered {} at {url}",
            res.status()
        );
        let next = url.join(&location(&res)).unwrap();
        if next.as_str().starts_with(&app.base) {
            return next.to_string();
        }
        url = next;
    }
    panic!("the upstream never sent the browser back");
}

/// A whole brokered sign-in as `hint`; returns our callback's response.
async fn sign_in(
    app: &TestApp,
    browser: &reqwest::Client,
    slug: &str,
    hint: &str,
) -> reqwest::Response {
    let authorize = begin(app, browser, slug, hint, "/akun").await;
    let callback = through_upstream(app, browser, &authorize).await;
    browser.get(callback).send().await.unwrap()
}

async fn signed_in_as(app: &TestApp, browser: &reqwest::Client) -> Option<String> {
    let res = browser.get(app.url("/akun")).send().await.unwrap();
    if res.status() != 200 {
        return None;
    }
    let html = res.text().await.unwrap();
    Some(html)
}

async fn exec(app: &TestApp, sql: &str, args: &[&str]) {
    let mut q = rumah_store::Query::assembled(sql.to_owned());
    for a in args {
        q = q.bind((*a).to_owned());
    }
    rumah_store::Exec::execute(&mut app.conn(), q)
        .await
        .unwrap();
}

async fn count(app: &TestApp, sql: &str, args: &[&str]) -> i64 {
    let mut q = rumah_store::Query::assembled(sql.to_owned());
    for a in args {
        q = q.bind((*a).to_owned());
    }
    let (n,): (i64,) = rumah_store::Exec::fetch_one(&mut app.conn(), q)
        .await
        .unwrap();
    n
}

/// The `details` of the latest audit entry of `event`.
async fn last_details(app: &TestApp, event: &str) -> serde_json::Value {
    let (d,): (Option<String>,) = rumah_store::Exec::fetch_one(
        &mut app.conn(),
        rumah_store::Query::assembled(
            "SELECT details FROM audit_log WHERE event = $1 ORDER BY id DESC LIMIT 1".to_owned(),
        )
        .bind(event.to_owned()),
    )
    .await
    .unwrap();
    serde_json::from_str(&d.unwrap_or_default()).unwrap_or_default()
}

async fn sessions(app: &TestApp) -> i64 {
    app.count("sessions").await
}

async fn links(app: &TestApp) -> i64 {
    app.count("broker_links").await
}

app_test!(spawn: spawn, async fn a_matching_nip_links_once_and_the_link_signs_in_with_amr_fed(app) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    let Some(_up) = upstream(&app).await else { return };
    app.account_with("siti", AccountKind::Asn, Some(NIP_SITI), Some("35.15.DINKES"), &[]).await;

    let login_page = app.client().get(app.url("/masuk")).send().await.unwrap().text().await.unwrap();
    assert!(login_page.contains("Masuk dengan IdP hulu"), "the login page lists the provider");

    let browser = app.client();
    let res = sign_in(&app, &browser, HULU, "nip-match").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/akun");
    assert!(signed_in_as(&app, &browser).await.is_some_and(|h| h.contains("siti")));
    assert_eq!(links(&app).await, 1);
    assert_eq!(last_details(&app, "broker.linked").await["via"], "nip");
    let ok = last_details(&app, "login.succeeded").await;
    assert_eq!(ok["amr"], "fed");
    assert_eq!(ok["idp"], HULU);
    let (amr,): (String,) = rumah_store::Exec::fetch_one(
        &mut app.conn(),
        rumah_store::Query::assembled("SELECT amr FROM sessions".to_owned()),
    )
    .await
    .unwrap();
    assert_eq!(amr, "fed");

    // The next time the link itself is used.
    let again = app.client();
    assert_eq!(sign_in(&app, &again, HULU, "nip-match").await.status(), 303);
    assert_eq!(last_details(&app, "login.succeeded").await["via"], "link");
    assert_eq!(links(&app).await, 1);
});

app_test!(spawn: spawn, async fn only_a_verified_email_at_a_trusting_idp_links(app) {
    let Some(_up) = upstream(&app).await else { return };
    let budi = app.account("budi", None, &[]).await;
    exec(&app, &format!("UPDATE accounts SET email = $1 WHERE id = {}", budi.0), &[BUDI_EMAIL]).await;

    // Same address, but the upstream has not verified it: never linked.
    let browser = app.client();
    let res = sign_in(&app, &browser, HULU, "email-unverified").await;
    assert_eq!(res.status(), 202);
    let html = res.text().await.unwrap();
    assert!(text_of(&html, "#broker-pending").unwrap().contains("menunggu persetujuan administrator"));
    assert!(signed_in_as(&app, &browser).await.is_none());
    assert_eq!(links(&app).await, 0);
    assert_eq!(app.count("broker_signups").await, 1);

    // Verified, but this IdP is not trusted for e-mail: waits too.
    let res = sign_in(&app, &app.client(), NO_EMAIL, "email-verified").await;
    assert_eq!(res.status(), 202);
    assert_eq!(links(&app).await, 0);
    assert_eq!(sessions(&app).await, 0);

    // Verified at a trusting IdP: linked and signed in.
    let browser = app.client();
    let res = sign_in(&app, &browser, HULU, "email-verified").await;
    assert_eq!(res.status(), 303);
    assert!(signed_in_as(&app, &browser).await.is_some());
    assert_eq!(last_details(&app, "broker.linked").await["via"], "email");
    assert_eq!(links(&app).await, 1);
});

app_test!(spawn: spawn, async fn a_newcomer_waits_until_a_province_admin_approves_or_rejects(app) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    let Some(_up) = upstream(&app).await else { return };
    app.account("admin.prov", Some("35"), &[(Role::Administrator, "35")]).await;
    app.account("admin.sidoarjo", Some("35.15.DINKES"), &[(Role::Administrator, "35.15")]).await;

    let res = sign_in(&app, &app.client(), HULU, "newcomer").await;
    assert_eq!(res.status(), 202);
    assert_eq!(sessions(&app).await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM accounts WHERE nip = $1", &[NIP_NEWCOMER]).await, 0);

    // A region's administrator sees none of it.
    let region = app.signed_in("admin.sidoarjo").await;
    assert_eq!(region.get(app.url("/admin/idp")).send().await.unwrap().status(), 403);
    let token = app.csrf_token(&region, "/akun").await;
    let res = region
        .post(app.url("/admin/idp/pendaftaran/1/setujui"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("broker_signups").await, 1);

    let admin = app.signed_in("admin.prov").await;
    let html = admin.get(app.url("/admin/idp")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Rina Pendatang") && html.contains(NIP_NEWCOMER));
    let (id,): (i64,) = rumah_store::Exec::fetch_one(
        &mut app.conn(),
        rumah_store::Query::assembled("SELECT id FROM broker_signups".to_owned()),
    )
    .await
    .unwrap();
    let res = app
        .post_form(&admin, "/admin/idp", &format!("/admin/idp/pendaftaran/{id}/setujui"), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("broker_signups").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM accounts WHERE nip = $1 AND kind = 'asn'", &[NIP_NEWCOMER]).await, 1);
    assert_eq!(last_details(&app, "broker.signup_approved").await["signup"], id);

    let browser = app.client();
    assert_eq!(sign_in(&app, &browser, HULU, "newcomer").await.status(), 303);
    assert!(signed_in_as(&app, &browser).await.is_some_and(|h| h.contains("Rina Pendatang")));

    // Rejected: forgotten, no account; a later attempt waits again.
    assert_eq!(sign_in(&app, &app.client(), NO_EMAIL, "email-unverified").await.status(), 202);
    let (id,): (i64,) = rumah_store::Exec::fetch_one(
        &mut app.conn(),
        rumah_store::Query::assembled("SELECT id FROM broker_signups".to_owned()),
    )
    .await
    .unwrap();
    let accounts_before = app.count("accounts").await;
    let res = app
        .post_form(&admin, "/admin/idp", &format!("/admin/idp/pendaftaran/{id}/tolak"), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("broker_signups").await, 0);
    assert_eq!(app.count("accounts").await, accounts_before);
    assert_eq!(last_details(&app, "broker.signup_rejected").await["signup"], id);
});

app_test!(spawn: spawn, async fn a_state_works_once_in_the_browser_that_started_it_and_not_late(app) {
    let Some(_up) = upstream(&app).await else { return };
    app.account_with("siti", AccountKind::Asn, Some(NIP_SITI), None, &[]).await;

    // Replay of a used callback.
    let browser = app.client();
    let authorize = begin(&app, &browser, HULU, "nip-match", "/akun").await;
    let callback = through_upstream(&app, &browser, &authorize).await;
    assert_eq!(browser.get(&callback).send().await.unwrap().status(), 303);
    let replay = app.client();
    let res = replay.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(text_of(&html, "#broker-error").unwrap().contains("sudah dipakai"));
    assert_eq!(last_details(&app, "broker.login_failed").await["reason"], "state_unknown");
    assert_eq!(sessions(&app).await, 1);

    // Another browser cannot finish a sign-in this one started.
    let browser = app.client();
    let authorize = begin(&app, &browser, HULU, "nip-match", "/akun").await;
    let callback = through_upstream(&app, &browser, &authorize).await;
    let res = app.client().get(&callback).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(last_details(&app, "broker.login_failed").await["reason"], "state_mismatch");
    // … and the state is spent even for the right browser.
    assert_eq!(browser.get(&callback).send().await.unwrap().status(), 400);

    // Expired.
    let browser = app.client();
    let authorize = begin(&app, &browser, HULU, "nip-match", "/akun").await;
    let callback = through_upstream(&app, &browser, &authorize).await;
    exec(&app, "UPDATE broker_login_states SET expires_at = 1", &[]).await;
    let res = browser.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(last_details(&app, "broker.login_failed").await["reason"], "state_expired");

    // The upstream says no (the user cancelled).
    let browser = app.client();
    let authorize = begin(&app, &browser, HULU, "nip-match", "/akun").await;
    let state = url::Url::parse(&authorize).unwrap().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let res = browser
        .get(app.url(&format!("/masuk/broker/{HULU}/callback")))
        .query(&[("error", "access_denied"), ("state", &state)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(text_of(&html, "#broker-error").unwrap().contains("dibatalkan atau ditolak"));
    let failed = last_details(&app, "broker.login_failed").await;
    assert_eq!((failed["reason"].as_str(), failed["detail"].as_str()), (Some("upstream_error"), Some("access_denied")));

    // In English for an English-speaking browser.
    let res = app.client().get(app.url(&format!("/masuk/broker/{HULU}/callback?state=x")))
        .header("accept-language", "en").send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("already been used"));

    assert_eq!(sessions(&app).await, 1);
    assert_eq!(links(&app).await, 1);
});

app_test!(spawn: spawn, async fn a_nonce_other_than_ours_is_refused(app) {
    let Some(_up) = upstream(&app).await else { return };
    app.account_with("siti", AccountKind::Asn, Some(NIP_SITI), None, &[]).await;
    let browser = app.client();
    let authorize = begin(&app, &browser, HULU, "nip-match", "/akun").await;
    // The real upstream signs a token with the nonce it was given; give it
    // another one than ours.
    let mut url = url::Url::parse(&authorize).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "nonce" { "nonce-penyerang".into() } else { v.into_owned() };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let callback = through_upstream(&app, &browser, url.as_str()).await;
    let res = browser.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let failed = last_details(&app, "broker.login_failed").await;
    assert_eq!(failed["reason"], "id_token_invalid");
    assert!(failed["detail"].as_str().unwrap().contains("nonce"));
    assert_eq!(sessions(&app).await, 0);
    assert_eq!(links(&app).await, 0);
});

app_test!(spawn: spawn, async fn a_locked_account_is_refused_and_not_linked(app) {
    let Some(_up) = upstream(&app).await else { return };
    let locked = app.account_with("terkunci", AccountKind::Asn, Some(NIP_LOCKED), None, &[]).await;
    exec(&app, &format!("UPDATE accounts SET status = 'locked' WHERE id = {}", locked.0), &[]).await;
    let browser = app.client();
    let res = sign_in(&app, &browser, HULU, "locked").await;
    assert_eq!(res.status(), 403);
    assert!(text_of(&res.text().await.unwrap(), "#broker-error").unwrap().contains("dikunci"));
    assert_eq!(sessions(&app).await, 0);
    assert_eq!(links(&app).await, 0);
    assert_eq!(last_details(&app, "broker.login_failed").await["reason"], "account_locked");
});

app_test!(spawn: spawn, async fn an_account_with_a_second_factor_goes_to_the_second_step(app) {
    let Some(_up) = upstream(&app).await else { return };
    let siti = app.account_with("siti", AccountKind::Asn, Some(NIP_SITI), None, &[]).await;
    let now = rumah_domain::time::Timestamp::now();
    rumah_store::identity::mfa::start_enrolment(&mut app.conn(), siti, b"sealed", now).await.unwrap();
    rumah_store::identity::mfa::confirm(&mut app.conn(), siti, 1, now).await.unwrap();
    let browser = app.client();
    let res = sign_in(&app, &browser, HULU, "nip-match").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/masuk/mfa");
    assert_eq!(sessions(&app).await, 0);
    assert_eq!(app.count("mfa_pending_logins").await, 1);
    assert_eq!(last_details(&app, "broker.verified").await["next_step"], "second_factor");
});

app_test!(spawn: spawn, async fn a_relying_partys_authorization_request_continues_after_brokering(app) {
    let Some(_up) = upstream(&app).await else { return };
    app.account_with("siti", AccountKind::Asn, Some(NIP_SITI), None, &[]).await;
    crate::oidc::client(&app, "simaster", false, true, "authorization_code").await;
    let browser = app.client();
    let authorize = format!(
        "/oidc/authorize?response_type=code&client_id=simaster&redirect_uri={}&scope=openid+profile&state=rp-state&nonce=rp-nonce&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(crate::oidc::REDIRECT.as_bytes()).collect::<String>()
    );
    let res = browser.get(app.url(&authorize)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let login = location(&res);
    assert!(login.starts_with("/masuk?"));
    // The user picks "Masuk dengan IdP hulu" on our login page.
    let html = browser.get(app.url(&login)).send().await.unwrap().text().await.unwrap();
    let doc = scraper::Html::parse_document(&html);
    let href = doc
        .select(&scraper::Selector::parse("#broker-idps a").unwrap())
        .find(|a| a.text().collect::<String>().contains("IdP hulu"))
        .and_then(|a| a.value().attr("href"))
        .unwrap()
        .to_owned();
    let next: HashMap<_, _> = url::Url::parse(&app.url(&href)).unwrap().query_pairs().into_owned().collect();
    assert!(next["next"].starts_with("/oidc/authorize?"), "{href}");
    let res = browser.get(app.url(&format!("{href}&login_hint=nip-match"))).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let callback = through_upstream(&app, &browser, &location(&res)).await;
    let res = browser.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let back = location(&res);
    assert!(back.starts_with("/oidc/authorize?"), "{back}");
    let res = browser.get(app.url(&back)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let to_rp = url::Url::parse(&location(&res)).unwrap();
    assert!(to_rp.as_str().starts_with(crate::oidc::REDIRECT));
    let q: HashMap<_, _> = to_rp.query_pairs().into_owned().collect();
    assert_eq!(q.get("state").map(String::as_str), Some("rp-state"));
    assert!(q.contains_key("code"), "{to_rp}");
});

app_test!(spawn: spawn, async fn only_province_admins_configure_providers_and_secrets_are_sealed(app) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account("admin.prov", Some("35"), &[(Role::Administrator, "35")]).await;
    app.account("admin.sidoarjo", Some("35.15.DINKES"), &[(Role::Administrator, "35.15")]).await;
    let fields = [
        ("slug", "bkn"),
        ("display_name", "SSO ASN (BKN)"),
        ("issuer", "https://sso-siasn.bkn.go.id/auth/realms/public-siasn"),
        ("client_id", "rumah-inovasi"),
        ("client_secret", "rahasia-bkn-sekali"),
        ("scopes", "openid profile email"),
        ("nip_claim", "nip"),
        ("enabled", "1"),
    ];
    let region = app.signed_in("admin.sidoarjo").await;
    assert_eq!(region.get(app.url("/admin/idp/baru")).send().await.unwrap().status(), 403);
    let res = app.post_form(&region, "/akun", "/admin/idp/baru", &fields).await;
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("broker_idps").await, 0);

    let admin = app.signed_in("admin.prov").await;
    // Bad input: named, nothing stored, the secret not echoed.
    let mut bad = fields.to_vec();
    bad[0] = ("slug", "BKN pusat");
    bad[2] = ("issuer", "http://sso.example.go.id/realms/x");
    let res = app.post_form(&admin, "/admin/idp/baru", "/admin/idp/baru", &bad).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(text_of(&html, "#slug-error").is_some() && text_of(&html, "#issuer-error").is_some());
    assert!(!html.contains("rahasia-bkn-sekali"));
    assert_eq!(app.count("broker_idps").await, 0);

    let res = app.post_form(&admin, "/admin/idp/baru", "/admin/idp/baru", &fields).await;
    assert_eq!(res.status(), 303);
    let (sealed,): (Vec<u8>,) = rumah_store::Exec::fetch_one(
        &mut app.conn(),
        rumah_store::Query::assembled("SELECT client_secret_sealed FROM broker_idps".to_owned()),
    )
    .await
    .unwrap();
    assert!(!sealed.windows(6).any(|w| w == b"rahasia"));
    let idp = rumah_store::identity::broker::by_slug(&mut app.conn(), "bkn").await.unwrap().unwrap();
    assert_eq!(rumah_web::broker::open_secret(&Kek::new(KEK), &idp).unwrap(), "rahasia-bkn-sekali");
    assert_eq!(last_details(&app, "broker.idp_created").await["slug"], "bkn");
    let page = app.client().get(app.url("/masuk")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Masuk dengan SSO ASN (BKN)"));

    // Disabled: gone from the login page and refused.
    let res = app.post_form(&admin, "/admin/idp", "/admin/idp/bkn/aktif", &[("enabled", "0")]).await;
    assert_eq!(res.status(), 303);
    let page = app.client().get(app.url("/masuk")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("SSO ASN (BKN)"));
    assert_eq!(app.client().get(app.url("/masuk/broker/bkn")).send().await.unwrap().status(), 404);

    let res = app.post_form(&region, "/akun", "/admin/idp/bkn/hapus", &[]).await;
    assert_eq!(res.status(), 403);
    let res = app.post_form(&admin, "/admin/idp", "/admin/idp/bkn/hapus", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("broker_idps").await, 0);
});

// ---------------------------------------------------------------------------
// The test-only fake upstream: discovery, JWKS and a token endpoint whose ID
// token the test crafts. Its keys are the test server's own signing keys.

#[derive(Clone, Default)]
struct FakeState {
    id_token: Arc<Mutex<String>>,
    jwks: Arc<Mutex<serde_json::Value>>,
    issuer: Arc<Mutex<String>>,
}

struct FakeUpstream {
    issuer: String,
    state: FakeState,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn fake_upstream(app: &TestApp) -> FakeUpstream {
    use axum::routing::{get, post};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let state = FakeState::default();
    *state.issuer.lock().unwrap() = issuer.clone();
    *state.jwks.lock().unwrap() = rumah_web::oidc::keys::jwks(&mut app.conn()).await.unwrap();
    let router = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(|axum::extract::State(s): axum::extract::State<FakeState>| async move {
                let iss = s.issuer.lock().unwrap().clone();
                axum::Json(serde_json::json!({
                    "issuer": iss, "authorization_endpoint": format!("{iss}/auth"),
                    "token_endpoint": format!("{iss}/token"), "jwks_uri": format!("{iss}/jwks"),
                }))
            }),
        )
        .route(
            "/jwks",
            get(|axum::extract::State(s): axum::extract::State<FakeState>| async move {
                axum::Json(s.jwks.lock().unwrap().clone())
            }),
        )
        .route(
            "/token",
            post(|axum::extract::State(s): axum::extract::State<FakeState>| async move {
                let t = s.id_token.lock().unwrap().clone();
                axum::Json(serde_json::json!({ "access_token": "x", "token_type": "Bearer", "id_token": t }))
            }),
        )
        .with_state(state.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    FakeUpstream {
        issuer,
        state,
        _stop: stop,
    }
}

/// Makes an ID token from the nonce of the sign-in under way.
type MakeToken = Box<dyn Fn(&str) -> String + Send>;

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

app_test!(spawn: spawn, async fn crafted_id_tokens_are_refused_and_an_honest_one_passes(app) {
    app.account_with("siti", AccountKind::Asn, Some(NIP_SITI), None, &[]).await;
    // The key first, so that the fake publishes it.
    let signer = Arc::new(rumah_web::oidc::keys::signer(&mut app.conn(), &Kek::new(KEK), "ES256").await.unwrap());
    let fake = fake_upstream(&app).await;
    add_idp(&app, "palsu", &fake.issuer, Some("nip"), false).await;
    let now = rumah_domain::time::Timestamp::now().0 / 1000;
    let iss = fake.issuer.clone();

    // One sign-in against the fake: the token is made from our nonce.
    let attempt = |make: MakeToken| {
        let app = &app;
        let fake = &fake;
        async move {
            let browser = app.client();
            let authorize = begin(app, &browser, "palsu", "x", "/akun").await;
            let q: HashMap<_, _> = url::Url::parse(&authorize).unwrap().query_pairs().into_owned().collect();
            *fake.state.id_token.lock().unwrap() = make(&q["nonce"]);
            let res = browser
                .get(app.url("/masuk/broker/palsu/callback"))
                .query(&[("code", "kode"), ("state", q["state"].as_str())])
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), last_details(app, "broker.login_failed").await)
        }
    };
    let claims = move |nonce: &str| serde_json::json!({
        "iss": iss, "sub": "palsu-1", "aud": "rumah-inovasi", "iat": now, "exp": now + 300,
        "nonce": nonce, "nip": NIP_SITI,
    });
    let sign = {
        let signer = signer.clone();
        move |c: serde_json::Value| signer.sign("JWT", &c).unwrap()
    };

    let cases: Vec<(&str, MakeToken)> = vec![
        ("wrong aud", {
            let (c, s) = (claims.clone(), sign.clone());
            Box::new(move |n| { let mut v = c(n); v["aud"] = "aplikasi-lain".into(); s(v) })
        }),
        ("wrong iss", {
            let (c, s) = (claims.clone(), sign.clone());
            Box::new(move |n| { let mut v = c(n); v["iss"] = "https://idp.lain.example".into(); s(v) })
        }),
        ("expired", {
            let (c, s) = (claims.clone(), sign.clone());
            Box::new(move |n| { let mut v = c(n); v["exp"] = (now - 3600).into(); s(v) })
        }),
        ("foreign azp", {
            let (c, s) = (claims.clone(), sign.clone());
            Box::new(move |n| { let mut v = c(n); v["aud"] = serde_json::json!(["rumah-inovasi", "lain"]); v["azp"] = "lain".into(); s(v) })
        }),
        ("tampered payload", {
            let (c, s) = (claims.clone(), sign.clone());
            Box::new(move |n| {
                let t = s(c(n));
                let parts: Vec<&str> = t.split('.').collect();
                let mut v = c(n);
                v["sub"] = "orang-lain".into();
                format!("{}.{}.{}", parts[0], b64(v.to_string().as_bytes()), parts[2])
            })
        }),
        ("alg none", {
            let c = claims.clone();
            Box::new(move |n| format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT"}"#), b64(c(n).to_string().as_bytes())))
        }),
        ("HS256 keyed with the client secret", {
            let c = claims.clone();
            Box::new(move |n| {
                jsonwebtoken::encode(
                    &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
                    &c(n),
                    &jsonwebtoken::EncodingKey::from_secret(UPSTREAM_SECRET.as_bytes()),
                )
                .unwrap()
            })
        }),
    ];
    for (name, make) in cases {
        let (status, failed) = attempt(make).await;
        assert_eq!(status, 400, "{name}");
        assert_eq!(failed["reason"], "id_token_invalid", "{name}");
    }
    assert_eq!(sessions(&app).await, 0);
    assert_eq!(links(&app).await, 0);

    // The same path with an honest token signs in (the checks above are
    // not refusing everything).
    let (c, s) = (claims.clone(), sign.clone());
    let honest = move |n: &str| { let mut v = c(n); v["acr"] = "urn:hulu:acr:loa3".into(); s(v) };
    let (status, failed) = attempt(Box::new(honest)).await;
    assert_eq!(status, 303, "{failed}");
    assert_eq!(links(&app).await, 1);
    let ok = last_details(&app, "login.succeeded").await;
    assert_eq!((ok["amr"].as_str(), ok["upstream_acr"].as_str()), (Some("fed"), Some("urn:hulu:acr:loa3")));

    // An upstream that cannot be reached: a clear page, no session.
    add_idp(&app, "mati", &format!("http://127.0.0.1:{}", free_port()), None, false).await;
    let res = app.client().get(app.url("/masuk/broker/mati")).send().await.unwrap();
    assert_eq!(res.status(), 502);
    assert!(text_of(&res.text().await.unwrap(), "#broker-error").unwrap().contains("tidak dapat dihubungi"));
    assert_eq!(last_details(&app, "broker.login_failed").await["reason"], "upstream_unreachable");
});
