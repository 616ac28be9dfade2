//! Multi-factor authentication: TOTP enrolment (codes computed here from
//! the secret the page shows, with an independent RFC 6238 implementation),
//! replay refusal, recovery codes, the second step of signing in, back-off
//! of wrong codes, turning MFA off, the role policy, OpenID Connect step-up
//! (`acr_values` and the client flag) with `acr`/`amr` in the ID token,
//! CSRF, and isolation between accounts.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rumah_domain::authz::Role;
use rumah_domain::orgs::OrgKind;
use rumah_store::Exec;
use sha2::{Digest, Sha256};

use crate::oidc::{REDIRECT, SECRET, client};
use crate::support::{PASSWORD, TestApp, app_test, count_of, csrf_from, text_of};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// RFC 4648 base32 (no padding), as authenticator apps read it.
fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut buffer, mut bits, mut out) = (0u64, 0u32, Vec::new());
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = ALPHABET
            .iter()
            .position(|&a| a == c.to_ascii_uppercase())
            .expect("a base32 character") as u64;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// The TOTP code of `secret` `offset` steps from now (RFC 6238, SHA-1).
fn totp(secret: &[u8], offset: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let step = (now / 30 + offset) as u64;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = ring::hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let o = (mac[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([mac[o] & 0x7f, mac[o + 1], mac[o + 2], mac[o + 3]]);
    format!("{:06}", bin % 1_000_000)
}

/// A code the server has not seen yet: the last accepted step is wound
/// back first (as if the next 30-second step had come), so tests that are
/// not about replay do not wait for the clock.
async fn fresh(app: &TestApp, username: &str, secret: &[u8]) -> String {
    app.conn()
        .execute(rumah_store::q!(
            "UPDATE mfa_totp SET last_step = 0 WHERE account_id = (SELECT id FROM accounts WHERE username = $1)",
            username
        ))
        .await
        .unwrap();
    totp(secret, 0)
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> reqwest::Response {
    client.get(app.url(path)).send().await.unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// Enrols the signed-in user through `/akun/mfa`; returns the secret and
/// the recovery codes.
async fn enrol(app: &TestApp, browser: &reqwest::Client) -> (Vec<u8>, Vec<String>) {
    let html = get(browser, app, "/akun/mfa").await.text().await.unwrap();
    assert_eq!(count_of(&html, ".mfa-qr svg"), 1, "an inline QR code");
    let secret = base32_decode(&text_of(&html, "#mfa-secret").expect("the secret is shown"));
    assert_eq!(secret.len(), 20);
    let token = csrf_from(&html).unwrap();
    let res = browser
        .post(app.url("/akun/mfa/aktifkan"))
        .form(&[("csrf_token", token.as_str()), ("code", &totp(&secret, 0))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "enrolment confirmed");
    let html = res.text().await.unwrap();
    let codes = codes_of(&html);
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

fn codes_of(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("#recovery-codes code").unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<String>())
        .collect()
}

/// Password step only; returns the response (303 to the second step or
/// to `next`).
async fn password_step(app: &TestApp, browser: &reqwest::Client, user: &str) -> reqwest::Response {
    app.login(browser, user, PASSWORD).await
}

/// Posts `code` to the second step.
async fn second_step(app: &TestApp, browser: &reqwest::Client, code: &str) -> reqwest::Response {
    let html = get(browser, app, "/masuk/mfa").await.text().await.unwrap();
    let token = csrf_from(&html).expect("the code form");
    browser
        .post(app.url("/masuk/mfa"))
        .form(&[("csrf_token", token.as_str()), ("code", code)])
        .send()
        .await
        .unwrap()
}

async fn amr_of_sessions(app: &TestApp, username: &str) -> Vec<String> {
    let rows: Vec<(String,)> = app
        .conn()
        .fetch_all(rumah_store::q!(
            "SELECT s.amr FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE a.username = $1 ORDER BY s.id",
            username
        ))
        .await
        .unwrap();
    rows.into_iter().map(|(a,)| a).collect()
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

async fn setup(app: &TestApp, users: &[&str]) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    for u in users {
        app.account(u, Some("35.15.DINKES"), &[]).await;
    }
}

app_test!(async fn enrolment_needs_a_correct_code_and_shows_recovery_codes_once(app) {
    setup(&app, &["siti"]).await;
    let browser = app.signed_in("siti").await;
    let html = get(&browser, &app, "/akun/mfa").await.text().await.unwrap();
    assert!(html.contains("<svg"), "the QR code is inline SVG");
    assert!(!html.contains("<script src=\"http"), "nothing from elsewhere");
    let secret_text = text_of(&html, "#mfa-secret").unwrap();
    let secret = base32_decode(&secret_text);
    // A reload offers the same secret (the app may already have it).
    let again = get(&browser, &app, "/akun/mfa").await.text().await.unwrap();
    assert_eq!(text_of(&again, "#mfa-secret").unwrap(), secret_text);
    // Stored encrypted: the raw secret is not in the table.
    let (sealed,): (Vec<u8>,) = app.conn().fetch_one(rumah_store::q!("SELECT secret FROM mfa_totp")).await.unwrap();
    assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_slice()), "sealed at rest");
    assert!(sealed.len() >= secret.len() + 28);

    let token = csrf_from(&html).unwrap();
    let post = |code: String, lang: &'static str| {
        let browser = browser.clone();
        let url = app.url("/akun/mfa/aktifkan");
        let token = token.clone();
        async move {
            browser.post(url).header("accept-language", lang)
                .form(&[("csrf_token", token.as_str()), ("code", code.as_str())])
                .send().await.unwrap()
        }
    };
    // Bad input: a clear 4xx in the user's language, nothing enabled.
    let wrong = format!("{:06}", (totp(&secret, 0).parse::<u32>().unwrap() + 1) % 1_000_000);
    for (code, lang, status, says) in [
        (wrong.clone(), "id", 401, "Kode salah"),
        (wrong, "en", 401, "The code is wrong"),
        ("12ab56".to_owned(), "id", 422, "Kode tidak dikenali"),
        ("12ab56".to_owned(), "en", 422, "That is not a code"),
        (String::new(), "id", 422, "Isi kode verifikasi"),
        (String::new(), "en", 422, "Enter the verification code"),
        ("1".repeat(40), "id", 422, "Kode terlalu panjang"),
        ("9".repeat(500), "en", 422, "The code is too long"),
        // A recovery-code shape is not an enrolment code.
        ("abcde-23456".to_owned(), "en", 422, "That is not a code"),
    ] {
        let res = post(code.clone(), lang).await;
        assert_eq!(res.status(), status, "{code:?} ({lang})");
        let html = res.text().await.unwrap();
        assert!(text_of(&html, "#mfa-error").unwrap().contains(says), "{code:?} ({lang}): {html}");
    }
    let (confirmed,): (Option<i64>,) = app.conn().fetch_one(rumah_store::q!("SELECT confirmed_at FROM mfa_totp")).await.unwrap();
    assert_eq!(confirmed, None, "not enabled by wrong codes");

    let res = post(totp(&secret, 0), "id").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let codes = codes_of(&html);
    assert_eq!(codes.len(), 10);
    assert_eq!(codes.iter().collect::<std::collections::BTreeSet<_>>().len(), 10);
    assert_eq!(text_of(&html, "#mfa-continue").unwrap(), "Saya sudah menyimpannya, lanjutkan");
    // Only hashes are kept.
    let (n,): (i64,) = app.conn().fetch_one(rumah_store::q!("SELECT COUNT(*) FROM mfa_recovery_codes WHERE code_hash = $1 OR code_hash = $2", codes[0].clone(), codes[0].replace('-', ""))).await.unwrap();
    assert_eq!(n, 0);
    assert_eq!(app.count("mfa_recovery_codes").await, 10);
    // The page now says MFA is on, with ten codes left, and no secret.
    let html = get(&browser, &app, "/akun/mfa").await.text().await.unwrap();
    assert!(text_of(&html, "#mfa-status").unwrap().contains("10"));
    assert!(text_of(&html, "#mfa-secret").is_none());
    assert!(codes_of(&html).is_empty(), "codes are shown once");
    // This session used both factors from now on.
    assert_eq!(amr_of_sessions(&app, "siti").await, ["pwd otp"]);
    assert_eq!(audit_count(&app, "mfa.enabled").await, 1);
    assert!(audit_count(&app, "mfa.failed").await >= 2);
});

app_test!(async fn signing_in_with_mfa_needs_the_second_step_and_a_code_works_once(app) {
    setup(&app, &["siti"]).await;
    let first = app.signed_in("siti").await;
    let (secret, _) = enrol(&app, &first).await;

    let browser = app.client();
    let res = password_step(&app, &browser, "siti").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/masuk/mfa");
    assert!(
        res.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("rumah_session=")),
        "no session before the second step"
    );
    let res = get(&browser, &app, "/akun").await;
    assert_eq!(res.status(), 303, "not signed in yet");
    assert!(location(&res).starts_with("/masuk"));
    assert_eq!(amr_of_sessions(&app, "siti").await.len(), 1, "only the first browser's session");

    let code = fresh(&app, "siti", &secret).await;
    let res = second_step(&app, &browser, &code).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/akun", "on to where the login was going");
    assert_eq!(get(&browser, &app, "/akun").await.status(), 200);
    let amrs = amr_of_sessions(&app, "siti").await;
    assert_eq!(amrs.last().unwrap(), "pwd otp");
    let (acr, auth_time): (Option<String>, i64) = app.conn().fetch_one(rumah_store::q!("SELECT acr, auth_time FROM sessions ORDER BY id DESC LIMIT 1")).await.unwrap();
    assert_eq!(acr.as_deref(), Some("urn:rumah:acr:mfa"));
    assert!(auth_time > 0);
    assert!(audit_count(&app, "login.succeeded").await >= 2);

    // The same code again (another sign-in within the same 30 s): refused.
    let other = app.client();
    assert_eq!(location(&password_step(&app, &other, "siti").await), "/masuk/mfa");
    let res = second_step(&app, &other, &code).await;
    assert_eq!(res.status(), 401, "a replayed code");
    assert!(text_of(&res.text().await.unwrap(), "#mfa-error").unwrap().contains("sudah dipakai"));
    assert_eq!(get(&other, &app, "/akun").await.status(), 303);
    // An older code than the last accepted one is refused too.
    let res = second_step(&app, &other, &totp(&secret, -1)).await;
    assert_eq!(res.status(), 401);
    // Without a pending sign-in the second step sends to the login page.
    let stranger = app.client();
    let res = get(&stranger, &app, "/masuk/mfa").await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/masuk?"));
});

app_test!(async fn a_recovery_code_works_once_and_new_codes_replace_the_old(app) {
    setup(&app, &["siti"]).await;
    let first = app.signed_in("siti").await;
    let (secret, codes) = enrol(&app, &first).await;

    let browser = app.client();
    password_step(&app, &browser, "siti").await;
    let res = second_step(&app, &browser, &codes[3].to_uppercase()).await;
    assert_eq!(res.status(), 303, "a recovery code, in any case");
    assert_eq!(get(&browser, &app, "/akun").await.status(), 200);
    assert_eq!(audit_count(&app, "mfa.recovery_used").await, 1);

    let again = app.client();
    password_step(&app, &again, "siti").await;
    let res = second_step(&app, &again, &codes[3]).await;
    assert_eq!(res.status(), 401, "used up");
    let html = get(&first, &app, "/akun/mfa").await.text().await.unwrap();
    assert!(text_of(&html, "#mfa-status").unwrap().contains('9'));

    // New codes need a current code; the old ones stop working.
    let token = csrf_from(&html).unwrap();
    let wrong = format!("{:06}", (totp(&secret, 0).parse::<u32>().unwrap() + 3) % 1_000_000);
    let res = first.post(app.url("/akun/mfa/kode-pemulihan")).form(&[("csrf_token", token.as_str()), ("code", wrong.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let code = fresh(&app, "siti", &secret).await;
    let res = first.post(app.url("/akun/mfa/kode-pemulihan")).form(&[("csrf_token", token.as_str()), ("code", code.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let fresh_codes = codes_of(&res.text().await.unwrap());
    assert_eq!(fresh_codes.len(), 10);
    assert_eq!(audit_count(&app, "mfa.recovery_regenerated").await, 1);
    let res = second_step(&app, &again, &codes[4]).await;
    assert_eq!(res.status(), 401, "an old code no longer works");
    let res = second_step(&app, &again, &fresh_codes[0]).await;
    assert_eq!(res.status(), 303);
});

app_test!(async fn wrong_codes_back_off_and_are_audited(app) {
    setup(&app, &["siti"]).await;
    let first = app.signed_in("siti").await;
    let (secret, _) = enrol(&app, &first).await;
    let browser = app.client();
    password_step(&app, &browser, "siti").await;
    let right = totp(&secret, 0);
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 500_000) % 1_000_000);
    // The default policy locks from the fifth failure.
    for i in 0..5 {
        let res = second_step(&app, &browser, &wrong).await;
        assert_eq!(res.status(), 401, "attempt {i}");
    }
    let res = second_step(&app, &browser, &fresh(&app, "siti", &secret).await).await;
    assert_eq!(res.status(), 429, "locked: even the right code waits");
    assert!(res.headers().get("retry-after").is_some());
    let html = res.text().await.unwrap();
    assert!(text_of(&html, "#mfa-error").unwrap().contains("menit"), "{html}");
    assert_eq!(get(&browser, &app, "/akun").await.status(), 303, "still no session");
    assert_eq!(audit_count(&app, "mfa.failed").await, 5);
    let (details,): (String,) = app.conn().fetch_one(rumah_store::q!("SELECT details FROM audit_log WHERE event = 'mfa.failed' ORDER BY id DESC LIMIT 1")).await.unwrap();
    assert!(details.contains("\"locked\":true"), "{details}");
    // The lock ends: the right code passes then (the lock is wound back
    // instead of waiting for it).
    app.conn().execute(rumah_store::q!("UPDATE login_throttle SET locked_until = 0")).await.unwrap();
    let res = second_step(&app, &browser, &fresh(&app, "siti", &secret).await).await;
    assert_eq!(res.status(), 303);
});

app_test!(async fn turning_mfa_off_needs_the_password_and_a_current_code(app) {
    setup(&app, &["siti"]).await;
    let browser = app.signed_in("siti").await;
    let (secret, _) = enrol(&app, &browser).await;
    let token = app.csrf_token(&browser, "/akun/mfa").await;
    let disable = |password: &'static str, code: String| {
        let browser = browser.clone();
        let url = app.url("/akun/mfa/nonaktifkan");
        let token = token.clone();
        async move {
            browser.post(url).form(&[("csrf_token", token.as_str()), ("password", password), ("code", code.as_str())]).send().await.unwrap()
        }
    };
    let res = disable("salah-sekali-ini", fresh(&app, "siti", &secret).await).await;
    assert_eq!(res.status(), 401);
    assert!(text_of(&res.text().await.unwrap(), "#mfa-error").unwrap().contains("Kata sandi salah"));
    let res = disable(PASSWORD, "123".into()).await;
    assert_eq!(res.status(), 422);
    let right = totp(&secret, 0);
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    let res = disable(PASSWORD, wrong).await;
    assert_eq!(res.status(), 401);
    assert!(app.count("mfa_totp").await == 1, "still on");
    let res = disable(PASSWORD, fresh(&app, "siti", &secret).await).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("mfa_totp").await, 0);
    assert_eq!(app.count("mfa_recovery_codes").await, 0);
    assert_eq!(audit_count(&app, "mfa.disabled").await, 1);
    // Signing in needs only the password again.
    let other = app.client();
    let res = password_step(&app, &other, "siti").await;
    assert_eq!(location(&res), "/akun");
});

app_test!(async fn csrf_guards_the_forms_and_one_user_cannot_touch_anothers_mfa(app) {
    setup(&app, &["siti", "budi"]).await;
    let siti = app.signed_in("siti").await;
    let (secret, _) = enrol(&app, &siti).await;
    let budi = app.signed_in("budi").await;
    let code = fresh(&app, "siti", &secret).await;
    // Without a CSRF token: refused.
    for path in ["/akun/mfa/aktifkan", "/akun/mfa/kode-pemulihan", "/akun/mfa/nonaktifkan", "/masuk/mfa"] {
        let res = siti.post(app.url(path)).form(&[("code", code.as_str()), ("password", PASSWORD)]).send().await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
    }
    let pending = app.client();
    password_step(&app, &pending, "siti").await;
    let res = pending.post(app.url("/masuk/mfa")).form(&[("code", code.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 403, "the second step checks CSRF too");
    assert_eq!(get(&pending, &app, "/akun").await.status(), 303);

    // Budi, with Siti's current code and his own password, changes nothing
    // of Siti's: every form acts on the session's own account.
    let token = app.csrf_token(&budi, "/akun/mfa").await;
    for (path, fields) in [
        ("/akun/mfa/nonaktifkan", vec![("password", PASSWORD), ("code", code.as_str())]),
        ("/akun/mfa/kode-pemulihan", vec![("code", code.as_str())]),
        ("/akun/mfa/aktifkan", vec![("code", code.as_str())]),
    ] {
        let mut form = vec![("csrf_token", token.as_str())];
        form.extend(fields);
        let res = budi.post(app.url(path)).form(&form).send().await.unwrap();
        assert!(res.status() == 303 || res.status() == 401, "{path}: {}", res.status());
    }
    let (siti_on,): (i64,) = app.conn().fetch_one(rumah_store::q!("SELECT COUNT(*) FROM mfa_totp t JOIN accounts a ON a.id = t.account_id WHERE a.username = 'siti' AND t.confirmed_at IS NOT NULL")).await.unwrap();
    assert_eq!(siti_on, 1);
    let (budi_on,): (i64,) = app.conn().fetch_one(rumah_store::q!("SELECT COUNT(*) FROM mfa_totp t JOIN accounts a ON a.id = t.account_id WHERE a.username = 'budi' AND t.confirmed_at IS NOT NULL")).await.unwrap();
    assert_eq!(budi_on, 0, "Siti's code does not enrol Budi");
    assert_eq!(app.count("mfa_recovery_codes").await, 10);
});

/// A role that requires MFA sends its holders to enrol after the password
/// (a configuration of its own, so not through `app_test!`).
async fn role_policy(backend: rumah_store::Backend) {
    let Some(app) =
        TestApp::spawn_with(backend, |c| c.require_mfa_roles = vec![Role::Administrator]).await
    else {
        eprintln!("SKIPPED on {backend:?}");
        return;
    };
    setup(&app, &["siti"]).await;
    app.account(
        "admin",
        Some("35.15.DINKES"),
        &[(Role::Administrator, "35.15.DINKES")],
    )
    .await;
    // A user without the role signs in with a password as before.
    assert_eq!(
        location(&password_step(&app, &app.client(), "siti").await),
        "/akun"
    );

    let browser = app.client();
    let res = password_step(&app, &browser, "admin").await;
    assert_eq!(location(&res), "/masuk/mfa");
    assert_eq!(
        get(&browser, &app, "/akun").await.status(),
        303,
        "no session yet"
    );
    let res = get(&browser, &app, "/masuk/mfa").await;
    assert_eq!(location(&res), "/masuk/mfa/daftar");
    let html = get(&browser, &app, "/masuk/mfa/daftar")
        .await
        .text()
        .await
        .unwrap();
    assert!(text_of(&html, ".alert").unwrap().contains("mewajibkan"));
    let secret = base32_decode(&text_of(&html, "#mfa-secret").unwrap());
    let token = csrf_from(&html).unwrap();
    let res = browser
        .post(app.url("/masuk/mfa/daftar"))
        .form(&[("csrf_token", token.as_str()), ("code", "xyz")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = browser
        .post(app.url("/masuk/mfa/daftar"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("code", totp(&secret, 0).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("rumah_session="))
    );
    let html = res.text().await.unwrap();
    assert_eq!(codes_of(&html).len(), 10);
    assert_eq!(
        scraper::Html::parse_document(&html)
            .select(&scraper::Selector::parse("#mfa-continue").unwrap())
            .next()
            .unwrap()
            .value()
            .attr("href"),
        Some("/akun")
    );
    assert_eq!(get(&browser, &app, "/akun").await.status(), 200);
    assert_eq!(amr_of_sessions(&app, "admin").await, ["pwd otp"]);
    // The role keeps MFA on.
    let token = app.csrf_token(&browser, "/akun/mfa").await;
    let code = fresh(&app, "admin", &secret).await;
    let res = browser
        .post(app.url("/akun/mfa/nonaktifkan"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("password", PASSWORD),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("mfa_totp").await, 1);
    // Next time: the code, not enrolment.
    let again = app.client();
    password_step(&app, &again, "admin").await;
    assert_eq!(get(&again, &app, "/masuk/mfa").await.status(), 200);
    let res = second_step(&app, &again, &fresh(&app, "admin", &secret).await).await;
    assert_eq!(res.status(), 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_policy_on_sqlite() {
    role_policy(rumah_store::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_policy_on_postgres() {
    role_policy(rumah_store::Backend::Postgres).await;
}

fn challenge() -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

pub(crate) fn authorize_url(client_id: &str, extra: &str) -> String {
    format!(
        "/oidc/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid+profile&state=st-1&nonce=n-1&code_challenge={}&code_challenge_method=S256{extra}",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        challenge()
    )
}

pub(crate) fn callback(res: &reqwest::Response) -> std::collections::HashMap<String, String> {
    assert_eq!(res.status(), 303, "a redirect");
    let loc = location(res);
    assert!(loc.starts_with(REDIRECT), "to the client: {loc}");
    url::Url::parse(&loc)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// Exchanges a code and returns the ID token's claims (signature checked
/// against the JWKS).
pub(crate) async fn id_token(app: &TestApp, client_id: &str, code: &str) -> serde_json::Value {
    let res = app
        .client()
        .post(app.url("/oidc/token"))
        .header(
            "authorization",
            format!("Basic {}", STANDARD.encode(format!("{client_id}:{SECRET}"))),
        )
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let tokens: serde_json::Value = res.json().await.unwrap();
    let token = tokens["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwks: serde_json::Value = app
        .client()
        .get(app.url("/oidc/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header.kid.as_deref().unwrap())
        .unwrap();
    let key = jsonwebtoken::DecodingKey::from_ec_components(
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.set_audience(&[client_id]);
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &v)
        .unwrap()
        .claims
}

app_test!(async fn oidc_acr_values_and_the_client_flag_ask_for_a_second_factor(app) {
    setup(&app, &["siti", "budi"]).await;
    client(&app, "simaster", false, true, "authorization_code").await;
    client(&app, "keuangan", false, true, "authorization_code").await;
    let mut db = app.conn();
    assert!(rumah_store::oidc::clients::set_require_mfa(&mut db, "keuangan", true).await.unwrap());
    assert!(!rumah_store::oidc::clients::set_require_mfa(&mut db, "tidak-ada", true).await.unwrap());
    let doc: serde_json::Value = app.client().get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["acr_values_supported"], serde_json::json!(["urn:rumah:acr:pwd", "urn:rumah:acr:mfa"]));

    // Siti signs in with her password here, then turns MFA on elsewhere:
    // this session used the password only.
    let browser = app.signed_in("siti").await;
    let other = app.signed_in("siti").await;
    let (secret, _) = enrol(&app, &other).await;

    // No MFA asked: a password-only ID token.
    let q = callback(&get(&browser, &app, &authorize_url("simaster", "")).await);
    let id = id_token(&app, "simaster", &q["code"]).await;
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert_eq!(id["acr"], "urn:rumah:acr:pwd");

    // acr_values asks for MFA: prompt=none cannot, otherwise step up.
    let mfa = "&acr_values=urn%3Arumah%3Aacr%3Amfa";
    let q = callback(&get(&browser, &app, &authorize_url("simaster", &format!("{mfa}&prompt=none"))).await);
    assert_eq!(q["error"], "interaction_required");
    assert_eq!(q["state"], "st-1");
    let res = get(&browser, &app, &authorize_url("simaster", mfa)).await;
    assert_eq!(res.status(), 303);
    let step = location(&res);
    assert!(step.starts_with("/masuk/mfa?next=%2Foidc%2Fauthorize"), "{step}");
    let html = get(&browser, &app, &step).await.text().await.unwrap();
    let next = scraper::Html::parse_document(&html).select(&scraper::Selector::parse("input[name=next]").unwrap()).next().unwrap().value().attr("value").unwrap().to_owned();
    assert!(next.starts_with("/oidc/authorize?") && next.contains("acr_values"), "{next}");
    let token = csrf_from(&html).unwrap();
    let wrong = format!("{:06}", (totp(&secret, 0).parse::<u32>().unwrap() + 7) % 1_000_000);
    let res = browser.post(app.url("/masuk/mfa")).form(&[("csrf_token", token.as_str()), ("code", wrong.as_str()), ("next", next.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let code = fresh(&app, "siti", &secret).await;
    let res = browser.post(app.url("/masuk/mfa")).form(&[("csrf_token", token.as_str()), ("code", code.as_str()), ("next", next.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), next, "back to the authorization request");
    let q = callback(&get(&browser, &app, &next).await);
    let id = id_token(&app, "simaster", &q["code"]).await;
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp"]));
    assert_eq!(id["acr"], "urn:rumah:acr:mfa");
    assert_eq!(id["nonce"], "n-1");

    // A client that requires MFA, for Budi who has none: enrol, then back.
    let budi = app.signed_in("budi").await;
    let res = get(&budi, &app, &authorize_url("keuangan", "")).await;
    let step = location(&res);
    assert!(step.starts_with("/masuk/mfa?next="), "{step}");
    let res = get(&budi, &app, &step).await;
    assert_eq!(res.status(), 303);
    let enrol_page = location(&res);
    assert!(enrol_page.starts_with("/akun/mfa?next=%2Foidc%2Fauthorize"), "{enrol_page}");
    let html = get(&budi, &app, &enrol_page).await.text().await.unwrap();
    let secret = base32_decode(&text_of(&html, "#mfa-secret").unwrap());
    let next = scraper::Html::parse_document(&html).select(&scraper::Selector::parse("input[name=next]").unwrap()).next().unwrap().value().attr("value").unwrap().to_owned();
    let token = csrf_from(&html).unwrap();
    let res = budi.post(app.url("/akun/mfa/aktifkan")).form(&[("csrf_token", token.as_str()), ("code", totp(&secret, 0).as_str()), ("next", next.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let cont = scraper::Html::parse_document(&html).select(&scraper::Selector::parse("#mfa-continue").unwrap()).next().unwrap().value().attr("href").unwrap().to_owned();
    assert_eq!(cont, next, "the continue link goes back to the authorization request");
    assert!(cont.starts_with("/oidc/authorize?") && cont.contains("client_id=keuangan"), "{cont}");
    let q = callback(&get(&budi, &app, &cont).await);
    let id = id_token(&app, "keuangan", &q["code"]).await;
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp"]));
    assert_eq!(id["acr"], "urn:rumah:acr:mfa");
});

app_test!(async fn a_signed_out_user_with_mfa_signs_in_with_both_steps_and_returns_to_the_client(app) {
    setup(&app, &["siti"]).await;
    client(&app, "simaster", false, true, "authorization_code").await;
    let first = app.signed_in("siti").await;
    let (secret, _) = enrol(&app, &first).await;

    let browser = app.client();
    let res = get(&browser, &app, &authorize_url("simaster", "")).await;
    assert_eq!(res.status(), 303);
    let login = location(&res);
    assert!(login.starts_with("/masuk?"), "{login}");
    let next: String = url::Url::parse(&app.url(&login)).unwrap().query_pairs().find(|(k, _)| k == "next").unwrap().1.into_owned();
    let token = app.csrf_token(&browser, &login).await;
    let res = browser.post(app.url("/masuk")).form(&[("csrf_token", token.as_str()), ("login", "siti"), ("password", PASSWORD), ("next", next.as_str())]).send().await.unwrap();
    assert_eq!(location(&res), "/masuk/mfa", "the second step, not the client");
    // Going back to the client before the second step: still signed out.
    let res = get(&browser, &app, &next).await;
    assert!(location(&res).starts_with("/masuk?"), "no session yet");
    let res = second_step(&app, &browser, &fresh(&app, "siti", &secret).await).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), next, "back to the authorization request");
    let q = callback(&get(&browser, &app, &next).await);
    let id = id_token(&app, "simaster", &q["code"]).await;
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp"]));
    assert_eq!(id["acr"], "urn:rumah:acr:mfa");
});
