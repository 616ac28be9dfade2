//! Satu Akun logout: RP-initiated logout (the end-session endpoint: hint
//! verification, exact post-logout redirects, `state`, the confirmation
//! form) and back-channel logout (logout tokens delivered to a real HTTP
//! receiver on 127.0.0.1, verified against the JWKS, retried after a 500,
//! given up when they would expire, claimed once by concurrent workers,
//! sent only to clients that shared the session).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rumah_domain::orgs::OrgKind;
use rumah_store::Exec;
use rumah_web::oidc::keys::Kek;
use rumah_web::oidc::logout::BackChannel;
use sha2::{Digest, Sha256};

use crate::oidc::{REDIRECT, SECRET, client};
use crate::support::{TestApp, app_test};

/// The key-encryption key the test servers run with, so a test can build
/// its own [`BackChannel`] (and sign tokens) with the server's keys.
const KEK: [u8; 32] = [42; 32];
const WINDOW: Duration = Duration::from_secs(300);
const AFTER: &str = "http://127.0.0.1:9/sampai-jumpa";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

async fn spawn(backend: rumah_store::Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |c| c.oidc_kek = Kek::new(KEK)).await
}

fn issuer(app: &TestApp) -> String {
    app.url("").trim_end_matches('/').to_owned()
}

fn worker(app: &TestApp) -> BackChannel {
    BackChannel::new(app.conn(), Kek::new(KEK), issuer(app), WINDOW)
}

fn now_ms() -> i64 {
    rumah_domain::time::Timestamp::now().0
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A client with a post-logout redirect and, optionally, a back-channel URI.
async fn logout_client(app: &TestApp, id: &str, backchannel: Option<&str>) {
    client(app, id, false, true, "authorization_code refresh_token").await;
    assert!(
        rumah_store::oidc::logout::set_settings(
            &mut app.conn(),
            id,
            &[AFTER.to_owned()],
            backchannel,
            true
        )
        .await
        .unwrap()
    );
}

/// The code flow for `client_id` in `browser`'s session; the token response.
async fn tokens(app: &TestApp, browser: &reqwest::Client, client_id: &str) -> serde_json::Value {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let res = browser
        .get(app.url(&format!(
            "/oidc/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid+profile&state=s&nonce=n&code_challenge={challenge}&code_challenge_method=S256",
            enc(REDIRECT)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let loc = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    let code = loc
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("a code")
        .1
        .into_owned();
    let res = app
        .client()
        .post(app.url("/oidc/token"))
        .header(
            "authorization",
            format!("Basic {}", STANDARD.encode(format!("{client_id}:{SECRET}"))),
        )
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Verifies a JWT against the published JWKS (no audience check here; the
/// caller checks the claims).
async fn verify(app: &TestApp, token: &str, typ: &str) -> serde_json::Value {
    crate::oidc::verify_jwt(app, token, typ, None).await
}

async fn signed_in_still(app: &TestApp, browser: &reqwest::Client) -> bool {
    let res = browser.get(app.url("/akun")).send().await.unwrap();
    res.status() == 200
}

async fn count_where(app: &TestApp, sql: &'static str) -> i64 {
    let (n,): (i64,) = app.conn().fetch_one(rumah_store::q!(sql)).await.unwrap();
    n
}

async fn setup(app: &TestApp) -> reqwest::Client {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account("siti", Some("35.15.DINKES"), &[]).await;
    app.signed_in("siti").await
}

/// A receiver of logout tokens: answers 500 to the first `failures`
/// requests, then 200; keeps every body.
#[derive(Clone, Default)]
struct Receiver {
    bodies: Arc<Mutex<Vec<(String, String)>>>,
    failures: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start(failures: usize) -> (Receiver, String) {
        let r = Receiver::default();
        r.failures.store(failures, Ordering::SeqCst);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/backchannel", listener.local_addr().unwrap());
        let state = r.clone();
        let app = axum::Router::new().route(
            "/backchannel",
            axum::routing::post(
                |axum::extract::State(s): axum::extract::State<Receiver>,
                 headers: axum::http::HeaderMap,
                 body: String| async move {
                    let ct = headers
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    s.bodies.lock().unwrap().push((ct, body));
                    let failing = s
                        .failures
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    if failing {
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        axum::http::StatusCode::OK
                    }
                },
            ),
        );
        tokio::spawn(async move {
            axum::serve(listener, app.with_state(state)).await.unwrap();
        });
        (r, url)
    }

    fn tokens(&self) -> Vec<String> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .map(|(ct, body)| {
                assert_eq!(ct, "application/x-www-form-urlencoded");
                url::form_urlencoded::parse(body.as_bytes())
                    .find(|(k, _)| k == "logout_token")
                    .expect("a logout_token field")
                    .1
                    .into_owned()
            })
            .collect()
    }
}

app_test!(spawn: spawn, async fn discovery_advertises_logout(app) {
    let doc: serde_json::Value = app.client().get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["end_session_endpoint"], format!("{}/oidc/logout", issuer(&app)));
    assert_eq!(doc["backchannel_logout_supported"], true);
    assert_eq!(doc["backchannel_logout_session_supported"], true);
    assert!(doc["claims_supported"].as_array().unwrap().contains(&serde_json::json!("sid")));
});

app_test!(spawn: spawn, async fn a_hint_of_the_signed_in_user_ends_the_session_and_returns_to_the_client_with_state(app) {
    let browser = setup(&app).await;
    logout_client(&app, "simaster", None).await;
    let t = tokens(&app, &browser, "simaster").await;
    let id = verify(&app, t["id_token"].as_str().unwrap(), "JWT").await;
    assert!(id["sid"].as_str().is_some_and(|s| s.len() >= 16), "ID tokens carry the session's sid");
    assert!(signed_in_still(&app, &browser).await);
    let res = browser
        .get(app.url(&format!(
            "/oidc/logout?id_token_hint={}&post_logout_redirect_uri={}&state=ke%20sana&ui_locales=en",
            t["id_token"].as_str().unwrap(),
            enc(AFTER)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("{AFTER}?state=ke+sana"));
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("Max-Age=0"), "the cookie is cleared: {cookie}");
    assert!(!signed_in_still(&app, &browser).await, "the session really ended");
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM audit_log WHERE event = 'oidc.logout' AND client_id = 'simaster'").await, 1);

    // The same request by POST, now without a session cookie (as a form
    // posted from the client's site arrives): once more as a GET, which
    // carries the cookie; with no session there, straight back.
    let res = browser
        .post(app.url("/oidc/logout"))
        .form(&[("id_token_hint", t["id_token"].as_str().unwrap()), ("post_logout_redirect_uri", AFTER), ("state", "lagi")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let again = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(again.starts_with("/oidc/logout?id_token_hint="), "{again}");
    let res = browser.get(app.url(&again)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("{AFTER}?state=lagi"));

    // By POST with the session cookie: ended at once.
    let browser = app.signed_in("siti").await;
    let t = tokens(&app, &browser, "simaster").await;
    let res = browser
        .post(app.url("/oidc/logout"))
        .form(&[("id_token_hint", t["id_token"].as_str().unwrap()), ("post_logout_redirect_uri", AFTER), ("state", "pos")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("{AFTER}?state=pos"));
    assert!(!signed_in_still(&app, &browser).await);
});

app_test!(spawn: spawn, async fn an_expired_hint_is_accepted_but_only_our_signature(app) {
    let browser = setup(&app).await;
    logout_client(&app, "simaster", None).await;
    let t = tokens(&app, &browser, "simaster").await;
    let id = verify(&app, t["id_token"].as_str().unwrap(), "JWT").await;

    let logout = |hint: String| {
        let browser = browser.clone();
        let url = app.url(&format!("/oidc/logout?id_token_hint={hint}&post_logout_redirect_uri={}&state=x", enc(AFTER)));
        async move { browser.get(url).send().await.unwrap() }
    };
    // A changed signature, a token signed by another key under our kid, an
    // access token, an unsigned token: refused, and the session stays.
    let good = t["id_token"].as_str().unwrap();
    let (head, rest) = good.split_once('.').unwrap();
    let (payload, sig) = rest.split_once('.').unwrap();
    let mut sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    sig[5] ^= 1;
    let tampered = format!("{head}.{payload}.{}", URL_SAFE_NO_PAD.encode(&sig));
    let rng = ring::rand::SystemRandom::new();
    let other = ring::signature::EcdsaKeyPair::generate_pkcs8(&ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    h.kid = jsonwebtoken::decode_header(good).unwrap().kid;
    h.typ = Some("JWT".into());
    let forged = jsonwebtoken::encode(&h, &id, &jsonwebtoken::EncodingKey::from_ec_der(other.as_ref())).unwrap();
    let unsigned = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#));
    for bad in [tampered, forged, t["access_token"].as_str().unwrap().to_owned(), unsigned, "kein-jwt".to_owned()] {
        let res = logout(bad.clone()).await;
        assert_eq!(res.status(), 400, "refused: {bad}");
        assert!(res.text().await.unwrap().contains("tidak diterbitkan oleh Satu Akun"));
        assert!(signed_in_still(&app, &browser).await);
    }
    // A hint for another client than client_id is refused too.
    logout_client(&app, "lain", None).await;
    let res = browser
        .get(app.url(&format!("/oidc/logout?id_token_hint={good}&client_id=lain")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(signed_in_still(&app, &browser).await);

    // An expired ID token that we signed is a good hint.
    let signer = rumah_web::oidc::keys::signer(&mut app.conn(), &Kek::new(KEK), "ES256").await.unwrap();
    let mut old = id.clone();
    old["iat"] = serde_json::json!(id["iat"].as_i64().unwrap() - 86_400);
    old["exp"] = serde_json::json!(id["iat"].as_i64().unwrap() - 80_000);
    let expired = signer.sign("JWT", &old).unwrap();
    let res = logout(expired).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("{AFTER}?state=x"));
    assert!(!signed_in_still(&app, &browser).await);
});

app_test!(spawn: spawn, async fn untrusted_redirects_end_on_our_own_page_never_elsewhere(app) {
    let browser = setup(&app).await;
    logout_client(&app, "simaster", None).await;
    let hint = tokens(&app, &browser, "simaster").await["id_token"].as_str().unwrap().to_owned();
    // Not registered (another host, a prefix of a registered one, a longer
    // one), or an unknown client: our "signed out" page, not the address.
    for (client_id, uri) in [
        ("simaster", "https://jahat.example/ambil"),
        ("simaster", "http://127.0.0.1:9/sampai"),
        ("simaster", "http://127.0.0.1:9/sampai-jumpa/lagi"),
        ("tidak-ada", AFTER),
    ] {
        let res = app
            .client()
            .get(app.url(&format!("/oidc/logout?client_id={client_id}&post_logout_redirect_uri={}&state=s&ui_locales=en", enc(uri))))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let loc = res.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(loc, "/oidc/logout/selesai?ui_locales=en", "{client_id} {uri}");
    }
    let page = app.client().get(app.url("/oidc/logout/selesai?ui_locales=en")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("You have signed out of Satu Akun"));

    // Signed in, with a hint and an unregistered address: the session ends,
    // and the user sees our page.
    let res = browser
        .get(app.url(&format!("/oidc/logout?id_token_hint={hint}&post_logout_redirect_uri={}", enc("https://jahat.example/"))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/oidc/logout/selesai"));
    assert!(!signed_in_still(&app, &browser).await);
});

app_test!(spawn: spawn, async fn without_a_matching_hint_the_user_confirms_with_a_csrf_protected_form(app) {
    let browser = setup(&app).await;
    app.account("budi", Some("35.15.DINKES"), &[]).await;
    logout_client(&app, "simaster", None).await;
    let budi = app.signed_in("budi").await;
    let budis_hint = tokens(&app, &budi, "simaster").await["id_token"].as_str().unwrap().to_owned();
    // Siti's session, budi's hint (or none): a question in the asked language.
    for query in [
        format!("id_token_hint={budis_hint}&post_logout_redirect_uri={}&state=st&ui_locales=en", enc(AFTER)),
        format!("client_id=simaster&post_logout_redirect_uri={}&state=st&ui_locales=en", enc(AFTER)),
    ] {
        let res = browser.get(app.url(&format!("/oidc/logout?{query}"))).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("Aplikasi simaster asks you to sign out of Satu Akun"), "{html}");
        assert!(signed_in_still(&app, &browser).await, "nothing ends before the answer");
    }
    let html = browser.get(app.url("/oidc/logout?client_id=simaster")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("meminta Anda keluar"), "Indonesian by default");

    let form = |csrf: &str, decision: &str, uri: &str| {
        vec![
            ("csrf_token", csrf.to_owned()),
            ("client_id", "simaster".to_owned()),
            ("post_logout_redirect_uri", uri.to_owned()),
            ("state", "st".to_owned()),
            ("lang", "en".to_owned()),
            ("decision", decision.to_owned()),
        ]
    };
    // Without the CSRF token: refused.
    let res = browser.post(app.url("/oidc/logout/konfirmasi")).form(&form("", "logout", AFTER)).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(signed_in_still(&app, &browser).await);
    let page = format!("/oidc/logout?client_id=simaster&post_logout_redirect_uri={}&state=st", enc(AFTER));
    // "Stay signed in".
    let csrf = app.csrf_token(&browser, &page).await;
    let res = browser.post(app.url("/oidc/logout/konfirmasi")).form(&form(&csrf, "stay", AFTER)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
    assert!(signed_in_still(&app, &browser).await);
    // A changed hidden address is checked again: our page, not the address.
    let csrf = app.csrf_token(&browser, &page).await;
    let res = browser.post(app.url("/oidc/logout/konfirmasi")).form(&form(&csrf, "logout", "https://jahat.example/")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/oidc/logout/selesai?ui_locales=en");
    assert!(!signed_in_still(&app, &browser).await);
    // Budi signs out by confirming: back to the client with state.
    let page = format!("/oidc/logout?client_id=simaster&post_logout_redirect_uri={}&state=st", enc(AFTER));
    let csrf = app.csrf_token(&budi, &page).await;
    let res = budi.post(app.url("/oidc/logout/konfirmasi")).form(&form(&csrf, "logout", AFTER)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("{AFTER}?state=st"));
    assert!(!signed_in_still(&app, &budi).await);
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM audit_log WHERE event = 'oidc.logout'").await, 2);
});

app_test!(spawn: spawn, async fn back_channel_logout_tokens_reach_only_the_clients_of_the_session(app) {
    let browser = setup(&app).await;
    app.account("budi", Some("35.15.DINKES"), &[]).await;
    let (rx, rx_url) = Receiver::start(0).await;
    let (other_rx, other_url) = Receiver::start(0).await;
    logout_client(&app, "simaster", Some(&rx_url)).await;
    logout_client(&app, "sipd", Some(&other_url)).await;
    logout_client(&app, "tanpa-bc", None).await;
    // Siti uses simaster and tanpa-bc; budi uses sipd (another session).
    let t = tokens(&app, &browser, "simaster").await;
    tokens(&app, &browser, "tanpa-bc").await;
    let budi = app.signed_in("budi").await;
    tokens(&app, &budi, "sipd").await;
    let id = verify(&app, t["id_token"].as_str().unwrap(), "JWT").await;
    // Nothing is queued while the sessions live.
    assert_eq!(worker(&app).deliver_due(now_ms()).await.unwrap(), Default::default());

    // Siti signs out the usual way (/keluar).
    let csrf = app.csrf_token(&browser, "/akun").await;
    let res = browser.post(app.url("/keluar")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(!signed_in_still(&app, &browser).await);
    let round = worker(&app).deliver_due(now_ms()).await.unwrap();
    assert_eq!(round.delivered, 1, "{round:?}");
    let got = rx.tokens();
    assert_eq!(got.len(), 1);
    assert!(other_rx.tokens().is_empty(), "budi's client did not share siti's session");
    let lt = verify(&app, &got[0], "logout+jwt").await;
    assert_eq!(lt["iss"], issuer(&app));
    assert_eq!(lt["aud"], "simaster");
    assert_eq!(lt["sub"], id["sub"]);
    assert_eq!(lt["sid"], id["sid"]);
    assert_eq!(lt["events"], serde_json::json!({ "http://schemas.openid.net/event/backchannel-logout": {} }));
    assert!(lt.get("nonce").is_none());
    assert!(lt["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let (iat, exp) = (lt["iat"].as_i64().unwrap(), lt["exp"].as_i64().unwrap());
    assert!(exp > iat && exp - iat <= 300, "iat {iat} exp {exp}");
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM audit_log WHERE event = 'oidc.backchannel_delivered' AND client_id = 'simaster'").await, 1);
    // Delivered once: a later round sends nothing.
    assert_eq!(worker(&app).deliver_due(now_ms() + 60_000).await.unwrap(), Default::default());
    assert_eq!(rx.tokens().len(), 1);
    assert!(signed_in_still(&app, &budi).await);
});

app_test!(spawn: spawn, async fn a_failed_delivery_is_retried_with_the_same_token_id(app) {
    let browser = setup(&app).await;
    let (rx, rx_url) = Receiver::start(1).await;
    logout_client(&app, "simaster", Some(&rx_url)).await;
    let hint = tokens(&app, &browser, "simaster").await["id_token"].as_str().unwrap().to_owned();
    let res = browser.get(app.url(&format!("/oidc/logout?id_token_hint={hint}"))).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let start = now_ms();
    let w = worker(&app);
    let round = w.deliver_due(start).await.unwrap();
    assert_eq!((round.delivered, round.retrying), (0, 1), "the receiver answered 500");
    // Not due again before the back-off.
    assert_eq!(w.deliver_due(start + 1).await.unwrap(), Default::default());
    let round = w.deliver_due(start + BackChannel::backoff_ms(1)).await.unwrap();
    assert_eq!(round.delivered, 1, "{round:?}");
    let got = rx.tokens();
    assert_eq!(got.len(), 2);
    let (a, b) = (verify(&app, &got[0], "logout+jwt").await, verify(&app, &got[1], "logout+jwt").await);
    assert_eq!(a["jti"], b["jti"]);
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM oidc_logout_outbox WHERE delivered_at IS NOT NULL AND attempts = 2").await, 1);
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM audit_log WHERE event = 'oidc.backchannel_failed'").await, 0);
});

app_test!(spawn: spawn, async fn delivery_is_given_up_when_the_token_would_expire(app) {
    let browser = setup(&app).await;
    let (rx, rx_url) = Receiver::start(usize::MAX).await;
    logout_client(&app, "simaster", Some(&rx_url)).await;
    tokens(&app, &browser, "simaster").await;
    // "Sign out of every device".
    let csrf = app.csrf_token(&browser, "/akun/sesi").await;
    let res = browser.post(app.url("/akun/sesi/keluar-semua")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let start = now_ms();
    let w = worker(&app);
    let mut at = start;
    let mut rounds = 0;
    loop {
        let round = w.deliver_due(at).await.unwrap();
        rounds += 1;
        if round.failed == 1 {
            break;
        }
        assert_eq!(round.retrying, 1, "round {rounds}: {round:?}");
        at += BackChannel::backoff_ms(rounds);
        assert!(rounds < 50, "gives up in time");
    }
    assert!(at < start + WINDOW.as_millis() as i64, "given up before the token expired");
    assert_eq!(rx.tokens().len(), rounds as usize);
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM audit_log WHERE event = 'oidc.backchannel_failed' AND client_id = 'simaster'").await, 1);
    assert_eq!(w.deliver_due(start + 3_600_000).await.unwrap(), Default::default(), "never again");
});

app_test!(spawn: spawn, async fn concurrent_workers_deliver_each_token_once(app) {
    let (rx, rx_url) = Receiver::start(0).await;
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account("siti", Some("35.15.DINKES"), &[]).await;
    logout_client(&app, "simaster", Some(&rx_url)).await;
    // Five sessions of siti, each with simaster; then "every device" by an
    // administrator's lock.
    for _ in 0..5 {
        let b = app.signed_in("siti").await;
        tokens(&app, &b, "simaster").await;
    }
    let account: (i64,) = app.conn().fetch_one(rumah_store::q!("SELECT id FROM accounts WHERE username = 'siti'")).await.unwrap();
    rumah_store::identity::sessions::delete_all(&mut app.conn(), rumah_domain::identity::AccountId(account.0)).await.unwrap();
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM oidc_logout_outbox").await, 5);
    let now = now_ms();
    let (w1, w2, w3) = (worker(&app), worker(&app), worker(&app));
    let (a, b, c) = tokio::join!(w1.deliver_due(now), w2.deliver_due(now), w3.deliver_due(now));
    let delivered = a.unwrap().delivered + b.unwrap().delivered + c.unwrap().delivered;
    assert_eq!(delivered, 5);
    let got = rx.tokens();
    assert_eq!(got.len(), 5, "each token once");
    let mut sids = std::collections::BTreeSet::new();
    for t in &got {
        sids.insert(verify(&app, t, "logout+jwt").await["sid"].as_str().unwrap().to_owned());
    }
    assert_eq!(sids.len(), 5, "one per session");
});

app_test!(spawn: spawn, async fn a_session_that_expires_tells_its_clients_once_in_their_algorithm(app) {
    let browser = setup(&app).await;
    let (rx, rx_url) = Receiver::start(0).await;
    logout_client(&app, "simaster", Some(&rx_url)).await;
    logout_client(&app, "tanpa-bc", None).await;
    assert!(rumah_store::oidc::clients::set_token_settings(&mut app.conn(), "simaster", "RS256", None, None).await.unwrap());
    let t = tokens(&app, &browser, "simaster").await;
    tokens(&app, &browser, "tanpa-bc").await;
    let id = verify(&app, t["id_token"].as_str().unwrap(), "JWT").await;
    let idle = std::time::Duration::from_secs(1800);
    let now = rumah_domain::time::Timestamp::now();
    // A live session is not swept.
    rumah_store::identity::sessions::purge_expired(&mut app.conn(), now, idle).await.unwrap();
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM oidc_logout_outbox").await, 0);
    // It reaches its absolute expiry; the sweep (every node runs it) queues one token.
    app.conn().execute(rumah_store::q!("UPDATE sessions SET expires_at = 1")).await.unwrap();
    let swept = rumah_store::identity::sessions::purge_expired(&mut app.conn(), now, idle).await.unwrap();
    assert_eq!(swept, 1);
    rumah_store::identity::sessions::purge_expired(&mut app.conn(), now, idle).await.unwrap();
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM oidc_logout_outbox").await, 1, "once, and only for the client with a URI");
    assert!(!signed_in_still(&app, &browser).await);
    let round = worker(&app).deliver_due(now_ms()).await.unwrap();
    assert_eq!(round.delivered, 1, "{round:?}");
    let got = rx.tokens();
    assert_eq!(got.len(), 1);
    assert_eq!(jsonwebtoken::decode_header(&got[0]).unwrap().alg, jsonwebtoken::Algorithm::RS256, "the client's algorithm");
    let lt = verify(&app, &got[0], "logout+jwt").await;
    assert_eq!((&lt["aud"], &lt["sub"], &lt["sid"]), (&serde_json::json!("simaster"), &id["sub"], &id["sid"]));
});
