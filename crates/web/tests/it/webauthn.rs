//! WebAuthn / passkeys as the second factor: registration on the account
//! page and the second step of signing in, answered by webauthn-rs's
//! software authenticator (`SoftPasskey`) as a browser would. Covers a
//! stale (replaced) challenge, a replayed assertion, another account's key,
//! removal with the password, the role policy and step-up, signed-out
//! callers, and malformed answers that change nothing.

use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;
use rumah_store::{Backend, Exec};
use url::Url;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RequestChallengeResponse,
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::support::{PASSWORD, TestApp, app_test, csrf_from, text_of};

/// WebAuthn needs a domain name as relying-party id: the public URL names
/// `localhost` (the tests still connect to 127.0.0.1).
async fn spawn(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |c| {
        c.public_url.set_host(Some("localhost")).unwrap();
    })
    .await
}

fn origin(app: &TestApp) -> Url {
    let mut u = Url::parse(&app.base).unwrap();
    u.set_host(Some("localhost")).unwrap();
    u
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> reqwest::Response {
    client.get(app.url(path)).send().await.unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

fn attr(html: &str, selector: &str, name: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr(name).map(str::to_owned))
}

async fn count(app: &TestApp, sql_table: &'static str) -> i64 {
    app.count(sql_table).await
}

async fn audit_count(app: &TestApp, event: &str) -> i64 {
    let (n,): (i64,) = app
        .conn()
        .fetch_one(rumah_store::q!(
            "SELECT COUNT(*) FROM audit_log WHERE event = $1",
            event
        ))
        .await
        .unwrap();
    n
}

async fn last_session(app: &TestApp) -> (String, Option<String>) {
    app.conn()
        .fetch_one(rumah_store::q!(
            "SELECT amr, acr FROM sessions ORDER BY id DESC LIMIT 1"
        ))
        .await
        .unwrap()
}

async fn setup(app: &TestApp, users: &[&str]) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    for u in users {
        app.account(u, Some("35.15.DINKES"), &[]).await;
    }
}

/// The account page's registration options and CSRF token.
async fn registration_page(app: &TestApp, browser: &reqwest::Client) -> (String, String) {
    let html = get(browser, app, "/akun/mfa").await.text().await.unwrap();
    let options = attr(&html, "form#webauthn-add", "data-options").expect("the key form");
    (options, csrf_from(&html).unwrap())
}

/// Registers a key from `authenticator` as `name`; returns the response.
async fn register(
    app: &TestApp,
    browser: &reqwest::Client,
    authenticator: &mut SoftPasskey,
    name: &str,
) -> reqwest::Response {
    let (options, token) = registration_page(app, browser).await;
    let options: CreationChallengeResponse = serde_json::from_str(&options).unwrap();
    let credential = authenticator
        .do_registration(origin(app), options)
        .expect("the authenticator registers");
    browser
        .post(app.url("/akun/mfa/kunci"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", name),
            ("credential", &serde_json::to_string(&credential).unwrap()),
        ])
        .send()
        .await
        .unwrap()
}

/// The second-step page's sign-in options and CSRF token.
async fn step_page(app: &TestApp, browser: &reqwest::Client) -> (String, String) {
    let html = get(browser, app, "/masuk/mfa").await.text().await.unwrap();
    let options = attr(&html, "form#webauthn-step", "data-options").expect("the key form");
    (options, csrf_from(&html).unwrap())
}

fn answer(app: &TestApp, authenticator: &mut SoftPasskey, options: &str) -> PublicKeyCredential {
    let options: RequestChallengeResponse = serde_json::from_str(options).unwrap();
    authenticator
        .do_authentication(origin(app), options)
        .expect("the authenticator answers")
}

async fn post_answer(
    app: &TestApp,
    browser: &reqwest::Client,
    token: &str,
    credential: &str,
) -> reqwest::Response {
    browser
        .post(app.url("/masuk/mfa/kunci"))
        .form(&[("csrf_token", token), ("credential", credential)])
        .send()
        .await
        .unwrap()
}

/// Password, then the key: the response of the second step.
async fn sign_in_with_key(
    app: &TestApp,
    user: &str,
    authenticator: &mut SoftPasskey,
) -> (reqwest::Client, reqwest::Response) {
    let browser = app.client();
    let res = app.login(&browser, user, PASSWORD).await;
    assert_eq!(location(&res), "/masuk/mfa", "a key means a second step");
    let (options, token) = step_page(app, &browser).await;
    let credential = answer(app, authenticator, &options);
    let res = post_answer(
        app,
        &browser,
        &token,
        &serde_json::to_string(&credential).unwrap(),
    )
    .await;
    (browser, res)
}

app_test!(spawn: spawn, async fn a_registered_key_passes_the_second_step_as_mfa(app) {
    setup(&app, &["siti"]).await;
    let browser = app.signed_in("siti").await;
    let html = get(&browser, &app, "/akun/mfa").await.text().await.unwrap();
    assert!(html.contains("/static/") && html.contains("webauthn.js"), "the script is an asset");
    assert!(text_of(&html, "#webauthn-none").is_some());
    let mut key = SoftPasskey::new(true);
    let res = register(&app, &browser, &mut key, "  Laptop kantor ").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/akun/mfa");
    let (name, passkey, account): (String, String, i64) = app.conn().fetch_one(rumah_store::q!(
        "SELECT name, passkey, account_id FROM webauthn_credentials")).await.unwrap();
    assert_eq!(name, "Laptop kantor");
    let stored: serde_json::Value = serde_json::from_str(&passkey).expect("the passkey as JSON text");
    assert!(stored["cred"]["cred_id"].is_string(), "{stored}");
    assert!(account > 0);
    assert_eq!(audit_count(&app, "webauthn.added").await, 1);
    // Like confirming TOTP, this session counts as having used a key.
    assert_eq!(last_session(&app).await.0, "pwd hwk");
    let html = get(&browser, &app, "/akun/mfa").await.text().await.unwrap();
    assert_eq!(text_of(&html, ".webauthn-name").as_deref(), Some("Laptop kantor"));

    // Signing in: password, then the key (no code form without TOTP).
    let fresh = app.client();
    assert_eq!(location(&app.login(&fresh, "siti", PASSWORD).await), "/masuk/mfa");
    assert_eq!(get(&fresh, &app, "/akun").await.status(), 303, "no session yet");
    let html = get(&fresh, &app, "/masuk/mfa").await.text().await.unwrap();
    assert!(attr(&html, "input[name=code]", "name").is_none(), "no TOTP, no code field");
    let (browser2, res) = sign_in_with_key(&app, "siti", &mut key).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/akun");
    assert_eq!(get(&browser2, &app, "/akun").await.status(), 200);
    assert_eq!(last_session(&app).await, ("pwd hwk".to_owned(), Some("urn:rumah:acr:mfa".to_owned())));
    let (details,): (String,) = app.conn().fetch_one(rumah_store::q!(
        "SELECT details FROM audit_log WHERE event = 'login.succeeded' ORDER BY id DESC LIMIT 1")).await.unwrap();
    assert!(details.contains("webauthn"), "{details}");
    let (used, counter): (Option<i64>, i64) = app.conn().fetch_one(rumah_store::q!(
        "SELECT last_used_at, sign_count FROM webauthn_credentials")).await.unwrap();
    assert!(used.is_some());
    assert!(counter >= 1, "the sign counter is kept");
    // The answered challenge is gone; the registration page's and the
    // unanswered first sign-in's remain (until they expire).
    assert_eq!(count(&app, "webauthn_challenges").await, 2);
});

app_test!(spawn: spawn, async fn a_stale_challenge_and_a_replayed_assertion_fail(app) {
    setup(&app, &["siti"]).await;
    let mut key = SoftPasskey::new(true);
    assert_eq!(register(&app, &app.signed_in("siti").await, &mut key, "Kunci").await.status(), 303);

    let browser = app.client();
    app.login(&browser, "siti", PASSWORD).await;
    let (first, _) = step_page(&app, &browser).await;
    let stale = serde_json::to_string(&answer(&app, &mut key, &first)).unwrap();
    // Loading the page again replaces the challenge: the first answer is stale.
    let (second, token) = step_page(&app, &browser).await;
    let res = post_answer(&app, &browser, &token, &stale).await;
    assert_eq!(res.status(), 401);
    let html = res.text().await.unwrap();
    assert!(text_of(&html, "#mfa-error").unwrap().contains("tidak dapat diverifikasi"), "{html}");
    // The refused answer used up the second challenge too; the page that
    // said so carries a new one.
    let right = serde_json::to_string(&answer(&app, &mut key, &second)).unwrap();
    assert_eq!(post_answer(&app, &browser, &token, &right).await.status(), 401);
    let (third, token) = step_page(&app, &browser).await;
    let good = serde_json::to_string(&answer(&app, &mut key, &third)).unwrap();
    let res = post_answer(&app, &browser, &token, &good).await;
    assert_eq!(res.status(), 303, "a fresh answer passes");

    // Replaying the accepted assertion in another sign-in fails.
    let other = app.client();
    app.login(&other, "siti", PASSWORD).await;
    let (_, token) = step_page(&app, &other).await;
    let res = post_answer(&app, &other, &token, &good).await;
    assert_eq!(res.status(), 401, "a replayed assertion");
    assert_eq!(get(&other, &app, "/akun").await.status(), 303, "no session");
    let (details,): (String,) = app.conn().fetch_one(rumah_store::q!(
        "SELECT details FROM audit_log WHERE event = 'mfa.failed' ORDER BY id DESC LIMIT 1")).await.unwrap();
    assert!(details.contains("\"kind\":\"webauthn\""), "{details}");
    assert_eq!(audit_count(&app, "mfa.failed").await, 3);
});

app_test!(spawn: spawn, async fn failures_back_off_like_wrong_codes(app) {
    setup(&app, &["siti"]).await;
    let mut key = SoftPasskey::new(true);
    register(&app, &app.signed_in("siti").await, &mut key, "Kunci").await;
    let browser = app.client();
    app.login(&browser, "siti", PASSWORD).await;
    let (options, _) = step_page(&app, &browser).await;
    let stale = serde_json::to_string(&answer(&app, &mut key, &options)).unwrap();
    // The default policy locks from the fifth failure.
    for i in 0..5 {
        let (_, token) = step_page(&app, &browser).await;
        assert_eq!(post_answer(&app, &browser, &token, &stale).await.status(), 401, "attempt {i}");
    }
    let (options, token) = step_page(&app, &browser).await;
    let good = serde_json::to_string(&answer(&app, &mut key, &options)).unwrap();
    let res = post_answer(&app, &browser, &token, &good).await;
    assert_eq!(res.status(), 429, "locked: even a right answer waits");
    assert!(res.headers().get("retry-after").is_some());
    assert_eq!(get(&browser, &app, "/akun").await.status(), 303);
});

app_test!(spawn: spawn, async fn another_accounts_key_does_not_pass(app) {
    setup(&app, &["siti", "budi"]).await;
    let mut siti_key = SoftPasskey::new(true);
    let mut budi_key = SoftPasskey::new(true);
    register(&app, &app.signed_in("siti").await, &mut siti_key, "Siti").await;
    register(&app, &app.signed_in("budi").await, &mut budi_key, "Budi").await;
    let (siti_cred,): (String,) = app.conn().fetch_one(rumah_store::q!(
        "SELECT c.credential_id FROM webauthn_credentials c JOIN accounts a ON a.id = c.account_id WHERE a.username = 'siti'")).await.unwrap();

    // Budi's challenge, signed with Siti's key (as if her credential were allowed).
    let browser = app.client();
    app.login(&browser, "budi", PASSWORD).await;
    let (options, token) = step_page(&app, &browser).await;
    let mut v: serde_json::Value = serde_json::from_str(&options).unwrap();
    v["publicKey"]["allowCredentials"][0]["id"] = serde_json::Value::String(siti_cred);
    let forged = answer(&app, &mut siti_key, &v.to_string());
    let res = post_answer(&app, &browser, &token, &serde_json::to_string(&forged).unwrap()).await;
    assert_eq!(res.status(), 401);
    assert_eq!(get(&browser, &app, "/akun").await.status(), 303);

    // Siti's own sign-in answered for Budi's pending sign-in: refused too.
    let siti = app.client();
    app.login(&siti, "siti", PASSWORD).await;
    let (siti_options, _) = step_page(&app, &siti).await;
    let hers = serde_json::to_string(&answer(&app, &mut siti_key, &siti_options)).unwrap();
    let (_, token) = step_page(&app, &browser).await;
    assert_eq!(post_answer(&app, &browser, &token, &hers).await.status(), 401);
    assert_eq!(get(&browser, &app, "/akun").await.status(), 303);
});

app_test!(spawn: spawn, async fn removing_a_key_needs_the_password_and_only_the_owner_can(app) {
    setup(&app, &["siti", "budi"]).await;
    let siti = app.signed_in("siti").await;
    let mut key = SoftPasskey::new(true);
    register(&app, &siti, &mut key, "Kunci").await;
    let (id,): (i64,) = app.conn().fetch_one(rumah_store::q!("SELECT id FROM webauthn_credentials")).await.unwrap();
    let path = format!("/akun/mfa/kunci/{id}/hapus");

    // Budi cannot remove Siti's key: "not found", the key stays.
    let budi = app.signed_in("budi").await;
    let token = csrf_from(&get(&budi, &app, "/akun/mfa").await.text().await.unwrap()).unwrap();
    let res = budi.post(app.url(&path)).form(&[("csrf_token", token.as_str()), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(res.status(), 404);
    // Without a CSRF token: refused.
    let res = siti.post(app.url(&path)).form(&[("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(res.status(), 403);
    // A wrong password: refused in the user's language.
    let token = csrf_from(&get(&siti, &app, "/akun/mfa").await.text().await.unwrap()).unwrap();
    let res = siti.post(app.url(&path)).header("accept-language", "en")
        .form(&[("csrf_token", token.as_str()), ("password", "salah-sekali")]).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(text_of(&res.text().await.unwrap(), "#mfa-error").is_some());
    assert_eq!(count(&app, "webauthn_credentials").await, 1);
    assert_eq!(audit_count(&app, "webauthn.removed").await, 0);

    let res = siti.post(app.url(&path)).form(&[("csrf_token", token.as_str()), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(count(&app, "webauthn_credentials").await, 0);
    assert_eq!(audit_count(&app, "webauthn.removed").await, 1);
    // Without a key, the password alone signs in again.
    assert_eq!(location(&app.login(&app.client(), "siti", PASSWORD).await), "/akun");
});

app_test!(spawn: spawn, async fn signed_out_callers_and_malformed_answers_change_nothing(app) {
    setup(&app, &["siti"]).await;
    // Signed out: the enrolment endpoints send to the sign-in page.
    let anon = app.client();
    let token = app.csrf_token(&anon, "/masuk").await;
    for path in ["/akun/mfa", "/akun/mfa/kunci", "/akun/mfa/kunci/1/hapus"] {
        let res = if path == "/akun/mfa" {
            get(&anon, &app, path).await
        } else {
            anon.post(app.url(path)).form(&[("csrf_token", token.as_str()), ("name", "x"), ("credential", "{}"), ("password", PASSWORD)]).send().await.unwrap()
        };
        assert_eq!(res.status(), 303, "{path}");
        assert!(location(&res).starts_with("/masuk"), "{path}");
    }
    let res = anon.post(app.url("/masuk/mfa/kunci")).form(&[("csrf_token", token.as_str()), ("credential", "{}")]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/masuk"));

    // Bad registration bodies: 422, nothing stored, the challenge still usable.
    let browser = app.signed_in("siti").await;
    let (options, token) = registration_page(&app, &browser).await;
    let mut key = SoftPasskey::new(true);
    let good = key.do_registration(origin(&app), serde_json::from_str(&options).unwrap()).unwrap();
    let good = serde_json::to_string(&good).unwrap();
    let huge = "x".repeat(20_000);
    for (name, credential, lang, says) in [
        ("Kunci", "bukan json", "id", "tidak terbaca"),
        ("Kunci", "{\"id\": 5}", "en", "could not be read"),
        ("Kunci", huge.as_str(), "en", "could not be read"),
        ("   ", good.as_str(), "id", "Beri nama kunci"),
        (&*"k".repeat(65), good.as_str(), "en", "Give the key a name"),
    ] {
        let res = browser.post(app.url("/akun/mfa/kunci")).header("accept-language", lang)
            .form(&[("csrf_token", token.as_str()), ("name", name), ("credential", credential)]).send().await.unwrap();
        assert_eq!(res.status(), 422, "{name:?} {credential:.20}");
        let html = res.text().await.unwrap();
        assert!(text_of(&html, "#mfa-error").unwrap().contains(says), "{says}: {html}");
    }
    assert_eq!(count(&app, "webauthn_credentials").await, 0);
    assert_eq!(audit_count(&app, "webauthn.added").await, 0);
    // The refused pages made new challenges; an answer to an older one fails.
    let res = browser.post(app.url("/akun/mfa/kunci"))
        .form(&[("csrf_token", token.as_str()), ("name", "Kunci"), ("credential", good.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(count(&app, "webauthn_credentials").await, 0);
    assert_eq!(audit_count(&app, "mfa.failed").await, 1, "a rejected registration is audited");
    assert_eq!(register(&app, &browser, &mut key, "Kunci").await.status(), 303);

    // Bad sign-in answers: 422, no failure counted, the pending sign-in stays.
    let other = app.client();
    app.login(&other, "siti", PASSWORD).await;
    let (options, token) = step_page(&app, &other).await;
    let failures = audit_count(&app, "mfa.failed").await;
    for body in ["", "[]", "{\"type\":\"public-key\"}"] {
        let res = post_answer(&app, &other, &token, body).await;
        assert_eq!(res.status(), 422, "{body:?}");
    }
    assert_eq!(audit_count(&app, "mfa.failed").await, failures, "not counted");
    // (Each refused page made a new challenge: answer the latest.)
    let (options2, _) = step_page(&app, &other).await;
    assert_ne!(options, options2);
    let good = serde_json::to_string(&answer(&app, &mut key, &options2)).unwrap();
    assert_eq!(post_answer(&app, &other, &token, &good).await.status(), 303);
});

/// A role that requires MFA accepts a key alone; the last key of such an
/// account cannot be removed; a password-only session steps up with a key.
async fn role_policy(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| {
        c.public_url.set_host(Some("localhost")).unwrap();
        c.require_mfa_roles = vec![Role::Administrator];
    })
    .await
    else {
        eprintln!("SKIPPED on {backend:?}");
        return;
    };
    setup(&app, &["siti"]).await;
    app.account("admin", Some("35.15.DINKES"), &[]).await;

    // Siti (no role) signs in with her password, registers a key elsewhere,
    // then steps up in the first session (as an OIDC client asking for MFA
    // would send her).
    let first = app.signed_in("siti").await;
    let mut key = SoftPasskey::new(true);
    register(&app, &app.signed_in("siti").await, &mut key, "Kunci").await;
    let res = get(&first, &app, "/masuk/mfa?next=/akun/sesi").await;
    assert_eq!(res.status(), 200, "a key is enough to step up");
    let html = res.text().await.unwrap();
    let options = attr(&html, "form#webauthn-step", "data-options").unwrap();
    let token = csrf_from(&html).unwrap();
    let credential = serde_json::to_string(&answer(&app, &mut key, &options)).unwrap();
    let res = first
        .post(app.url("/masuk/mfa/kunci"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("credential", credential.as_str()),
            ("next", "/akun/sesi"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/akun/sesi");
    let amrs: Vec<(String,)> = app.conn().fetch_all(rumah_store::q!(
        "SELECT s.amr FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE a.username = 'siti' ORDER BY s.id")).await.unwrap();
    assert_eq!(
        amrs,
        [("pwd hwk".to_owned(),), ("pwd hwk".to_owned(),)],
        "the first session stepped up"
    );

    // An account given the role after registering a key (no TOTP): the
    // key satisfies the policy, no enrolment is asked.
    let admin = app.signed_in("admin").await;
    let mut admin_key = SoftPasskey::new(true);
    assert_eq!(
        register(&app, &admin, &mut admin_key, "Admin")
            .await
            .status(),
        303
    );
    let (account,): (i64,) = app
        .conn()
        .fetch_one(rumah_store::q!(
            "SELECT id FROM accounts WHERE username = 'admin'"
        ))
        .await
        .unwrap();
    rumah_store::identity::accounts::add_grant_as_system(
        &mut app.conn(),
        rumah_domain::identity::AccountId(account),
        Role::Administrator,
        &rumah_domain::orgs::OrgCode::parse("35.15.DINKES").unwrap(),
    )
    .await
    .unwrap();
    let (_, res) = sign_in_with_key(&app, "admin", &mut admin_key).await;
    assert_eq!(res.status(), 303, "a key alone satisfies the role");
    // The only second factor of the administrator cannot be removed.
    let (id,): (i64,) = app
        .conn()
        .fetch_one(rumah_store::q!(
            "SELECT id FROM webauthn_credentials WHERE account_id = $1",
            account
        ))
        .await
        .unwrap();
    let html = get(&admin, &app, "/akun/mfa").await.text().await.unwrap();
    let csrf = csrf_from(&html).unwrap();
    let res = admin
        .post(app.url(&format!("/akun/mfa/kunci/{id}/hapus")))
        .form(&[("csrf_token", csrf.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(count(&app, "webauthn_credentials").await, 2);
}

#[tokio::test]
async fn role_policy_on_sqlite() {
    role_policy(Backend::Sqlite).await;
}

#[tokio::test]
async fn role_policy_on_postgres() {
    role_policy(Backend::Postgres).await;
}

app_test!(spawn: spawn, async fn an_oidc_client_asking_for_mfa_accepts_a_key(app) {
    use crate::mfa::{authorize_url, callback, id_token};
    setup(&app, &["siti"]).await;
    crate::oidc::client(&app, "simaster", false, true, "authorization_code").await;
    // Signed in with the password here; the key is registered elsewhere.
    let browser = app.signed_in("siti").await;
    let mut key = SoftPasskey::new(true);
    register(&app, &app.signed_in("siti").await, &mut key, "Kunci").await;

    let res = get(&browser, &app, &authorize_url("simaster", "&acr_values=urn%3Arumah%3Aacr%3Amfa")).await;
    let step = location(&res);
    assert!(step.starts_with("/masuk/mfa?next=%2Foidc%2Fauthorize"), "{step}");
    let html = get(&browser, &app, &step).await.text().await.unwrap();
    let options = attr(&html, "form#webauthn-step", "data-options").unwrap();
    let next = attr(&html, "form#webauthn-step input[name=next]", "value").unwrap();
    let token = csrf_from(&html).unwrap();
    let credential = serde_json::to_string(&answer(&app, &mut key, &options)).unwrap();
    let res = browser.post(app.url("/masuk/mfa/kunci"))
        .form(&[("csrf_token", token.as_str()), ("credential", credential.as_str()), ("next", next.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), next, "back to the authorization request");
    let q = callback(&get(&browser, &app, &next).await);
    let id = id_token(&app, "simaster", &q["code"]).await;
    assert_eq!(id["amr"], serde_json::json!(["pwd", "hwk"]));
    assert_eq!(id["acr"], "urn:rumah:acr:mfa");

    // Budi has no second factor: the client sends him to the account page,
    // where registering a key brings him back to the request.
    app.account("budi", Some("35.15.DINKES"), &[]).await;
    let budi = app.signed_in("budi").await;
    let res = get(&budi, &app, &authorize_url("simaster", "&acr_values=urn%3Arumah%3Aacr%3Amfa")).await;
    let res = get(&budi, &app, &location(&res)).await;
    let enrol = location(&res);
    assert!(enrol.starts_with("/akun/mfa?next=%2Foidc%2Fauthorize"), "{enrol}");
    let html = get(&budi, &app, &enrol).await.text().await.unwrap();
    let options: CreationChallengeResponse =
        serde_json::from_str(&attr(&html, "form#webauthn-add", "data-options").unwrap()).unwrap();
    let next = attr(&html, "form#webauthn-add input[name=next]", "value").unwrap();
    let token = csrf_from(&html).unwrap();
    let mut budi_key = SoftPasskey::new(true);
    let credential = budi_key.do_registration(origin(&app), options).unwrap();
    let res = budi.post(app.url("/akun/mfa/kunci"))
        .form(&[("csrf_token", token.as_str()), ("name", "Budi"), ("credential", &serde_json::to_string(&credential).unwrap()), ("next", next.as_str())])
        .send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), next, "back to the authorization request");
    let q = callback(&get(&budi, &app, &next).await);
    let id = id_token(&app, "simaster", &q["code"]).await;
    assert_eq!(id["amr"], serde_json::json!(["pwd", "hwk"]));
});
