//! The platform's own JSON API accepts Satu Akun access tokens: a token with
//! the `api` scope acts as its user with that user's roles; a token without
//! it is `insufficient_scope`; an expired, revoked, tampered, unsigned or
//! foreign token, or one whose account was locked, is `invalid_token`; a
//! client-credentials token acts for no one.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rumah_domain::authz::Role;
use rumah_domain::identity::AccountStatus;
use rumah_domain::orgs::OrgKind;
use rumah_store::oidc::clients::{self, NewClient};
use rumah_web::oidc::keys::Kek;
use sha2::{Digest, Sha256};

use crate::oidc::{REDIRECT, SECRET};
use crate::support::{TestApp, app_test};

/// The key-encryption key the servers run with, so a test can sign its own
/// tokens with the server's key.
const KEK: [u8; 32] = [7; 32];
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

async fn spawn(backend: rumah_store::Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |c| c.oidc_kek = Kek::new(KEK)).await
}

/// A first-party confidential client allowed `scopes`.
async fn register(app: &TestApp, id: &str, scopes: &str, grants: &str) {
    clients::create(
        &mut app.conn(),
        &NewClient {
            client_id: id,
            name: &format!("Aplikasi {id}"),
            secret_hash: Some(&rumah_store::oidc::hash(SECRET)),
            redirect_uris: &[REDIRECT.to_owned()],
            allowed_scopes: scopes,
            grant_types: grants,
            token_endpoint_auth_method: "client_secret_basic",
            first_party: true,
        },
    )
    .await
    .unwrap();
}

/// Runs the code flow for the signed-in `browser` and returns the token
/// response.
async fn tokens_for(
    app: &TestApp,
    browser: &reqwest::Client,
    client_id: &str,
    scope: &str,
) -> serde_json::Value {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let url = format!(
        "/oidc/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope={}&state=s&nonce=n&code_challenge={challenge}&code_challenge_method=S256",
        enc(REDIRECT),
        enc(scope)
    );
    let res = browser.get(app.url(&url)).send().await.unwrap();
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
        .basic_auth(client_id, Some(SECRET))
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

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `GET path` with `token`: status, `WWW-Authenticate`, body.
async fn get(app: &TestApp, path: &str, token: &str) -> (u16, String, serde_json::Value) {
    let res = app
        .client()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, challenge, res.json().await.unwrap_or_default())
}

fn claims_of(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Signs `claims` as an access token with the server's current key.
async fn sign(app: &TestApp, claims: &serde_json::Value) -> String {
    let signer = rumah_web::oidc::keys::signer(&mut app.conn(), &Kek::new(KEK), "ES256")
        .await
        .unwrap();
    signer.sign("at+jwt", claims).unwrap()
}

async fn assert_invalid(app: &TestApp, token: &str, what: &str) {
    let (status, challenge, body) = get(app, "/api/v1/me", token).await;
    assert_eq!(status, 401, "{what}");
    assert_eq!(challenge, r#"Bearer error="invalid_token""#, "{what}");
    assert_eq!(body["error"]["code"], "invalid_token", "{what}");
}

app_test!(spawn: spawn, async fn an_access_token_with_the_api_scope_acts_as_its_user(app) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account("admin.sidoarjo", Some("35.15.DINKES"), &[(Role::Administrator, "35.15")]).await;
    let browser = app.signed_in("admin.sidoarjo").await;
    register(&app, "dasbor", "openid profile api", "authorization_code client_credentials").await;
    let t = tokens_for(&app, &browser, "dasbor", "openid profile api").await;
    let at = t["access_token"].as_str().unwrap();
    let (status, _, me) = get(&app, "/api/v1/me", at).await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "admin.sidoarjo");
    assert_eq!(me["roles"][0]["role"], "administrator");
    assert_eq!(me["roles"][0]["org"], "35.15");
    // It writes with the user's roles, without a CSRF token (no cookie).
    let body = serde_json::json!({ "parent": "35.15", "segment": "BAPPEDA", "kind": "opd", "name": "Bappeda" });
    let res = app.client().post(app.url("/api/v1/orgs")).bearer_auth(at).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201);
    // With a session cookie as well, only the token counts: a bad token is
    // refused even though the cookie is good.
    let res = browser.get(app.url("/api/v1/me")).bearer_auth("eyJ.bukan.token").send().await.unwrap();
    assert_eq!(res.status(), 401);

    // Without the `api` scope: 403 insufficient_scope, with the challenge.
    let t = tokens_for(&app, &browser, "dasbor", "openid profile").await;
    let (status, challenge, body) = get(&app, "/api/v1/me", t["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 403);
    assert_eq!(challenge, r#"Bearer error="insufficient_scope", scope="api""#);
    assert_eq!(body["error"]["code"], "insufficient_scope");

    // A client-credentials token acts for no user, even with `api`…
    let res = app.client().post(app.url("/oidc/token")).basic_auth("dasbor", Some(SECRET))
        .form(&[("grant_type", "client_credentials"), ("scope", "api")]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let service: serde_json::Value = res.json().await.unwrap();
    let service = service["access_token"].as_str().unwrap();
    assert_eq!(claims_of(service)["scope"], "api");
    let (status, challenge, body) = get(&app, "/api/v1/me", service).await;
    assert_eq!(status, 403);
    assert_eq!(challenge, r#"Bearer error="insufficient_scope", scope="api""#);
    assert_eq!(body["error"]["code"], "insufficient_scope");
    assert_eq!(get(&app, "/api/v1/accounts", service).await.0, 403);
    // …while the public endpoints answer it as they answer anyone.
    assert_eq!(get(&app, "/api/v1/regions", service).await.0, 200);
    assert_eq!(get(&app, "/api/v1/innovations", service).await.0, 200);
});

app_test!(spawn: spawn, async fn expired_revoked_forged_and_foreign_tokens_are_invalid(app) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    let siti = app.account("siti", Some("35.15.DINKES"), &[]).await;
    let browser = app.signed_in("siti").await;
    register(&app, "dasbor", "openid profile api", "authorization_code").await;
    let t = tokens_for(&app, &browser, "dasbor", "openid profile api").await;
    let at = t["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get(&app, "/api/v1/me", &at).await.0, 200);
    let good = claims_of(&at);
    assert_eq!(good["sub"], siti.0.to_string());

    // A token we signed ourselves with the same claims works: the crafted
    // tokens below fail for the one thing changed, not for the signing.
    let mut fresh = good.clone();
    fresh["jti"] = serde_json::json!("ein-anderer");
    assert_eq!(get(&app, "/api/v1/me", &sign(&app, &fresh).await).await.0, 200);

    // Expired (well past the leeway), signed by our own key.
    let mut expired = fresh.clone();
    expired["iat"] = serde_json::json!(good["iat"].as_i64().unwrap() - 7200);
    expired["exp"] = serde_json::json!(good["iat"].as_i64().unwrap() - 3600);
    assert_invalid(&app, &sign(&app, &expired).await, "expired").await;
    // For another audience (a client's, as an ID token has).
    let mut foreign = fresh.clone();
    foreign["aud"] = serde_json::json!("dasbor");
    assert_invalid(&app, &sign(&app, &foreign).await, "wrong audience").await;
    // From another issuer.
    let mut other = fresh.clone();
    other["iss"] = serde_json::json!("https://sso.example");
    assert_invalid(&app, &sign(&app, &other).await, "wrong issuer").await;
    // The ID token itself is not an access token.
    assert_invalid(&app, t["id_token"].as_str().unwrap(), "an ID token").await;
    // alg none, with the header otherwise as ours.
    let header = serde_json::json!({ "alg": "none", "typ": "at+jwt", "kid": jsonwebtoken::decode_header(&at).unwrap().kid });
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(good.to_string())
    );
    assert_invalid(&app, &unsigned, "alg none").await;
    // Tampered: the payload says another account, the signature is the old one.
    let mut parts: Vec<String> = at.split('.').map(str::to_owned).collect();
    let mut tampered = good.clone();
    tampered["sub"] = serde_json::json!("999999");
    parts[1] = URL_SAFE_NO_PAD.encode(tampered.to_string());
    assert_invalid(&app, &parts.join("."), "tampered payload").await;
    // Tampered signature.
    let mut sig = URL_SAFE_NO_PAD.decode(at.rsplit('.').next().unwrap()).unwrap();
    sig[10] ^= 1;
    let bad_sig = format!("{}.{}", at.rsplit_once('.').unwrap().0, URL_SAFE_NO_PAD.encode(sig));
    assert_invalid(&app, &bad_sig, "tampered signature").await;
    assert_invalid(&app, "eyJhbGciOiJFUzI1NiJ9.e30.AAAA", "garbage").await;

    // Revoked at /oidc/revoke by its client: refused from then on.
    let res = app.client().post(app.url("/oidc/revoke")).header("authorization", format!("Basic {}", STANDARD.encode(format!("dasbor:{SECRET}"))))
        .form(&[("token", at.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_invalid(&app, &at, "revoked").await;

    // Locking the account stops its (still unexpired) tokens.
    let t = tokens_for(&app, &browser, "dasbor", "openid api").await;
    let at2 = t["access_token"].as_str().unwrap();
    assert_eq!(get(&app, "/api/v1/me", at2).await.0, 200);
    rumah_store::Exec::execute(&mut app.conn(), rumah_store::q!("UPDATE accounts SET status = $1 WHERE id = $2", AccountStatus::Locked.code(), siti.0))
        .await
        .unwrap();
    assert_invalid(&app, at2, "locked account").await;
});

app_test!(spawn: spawn, async fn a_region_admins_token_stays_in_its_region(app) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.org("35.78", "DINKES", OrgKind::Opd).await;
    app.account("admin.sidoarjo", Some("35.15.DINKES"), &[(Role::Administrator, "35.15")]).await;
    app.account("admin.surabaya", Some("35.78.DINKES"), &[(Role::Administrator, "35.78")]).await;
    app.account("siti", Some("35.15.DINKES"), &[]).await;
    let budi = app.account("budi", Some("35.78.DINKES"), &[]).await;
    let browser = app.signed_in("admin.sidoarjo").await;
    register(&app, "dasbor", "openid api", "authorization_code").await;
    let t = tokens_for(&app, &browser, "dasbor", "openid api").await;
    let at = t["access_token"].as_str().unwrap();
    let client = app.client();
    // Another region's account looks exactly like a missing one.
    let res = client.get(app.url(&format!("/api/v1/accounts/{}", budi.0))).bearer_auth(at).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let missing = client.get(app.url("/api/v1/accounts/987654")).bearer_auth(at).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), missing.text().await.unwrap());
    let list: Vec<serde_json::Value> = client.get(app.url("/api/v1/accounts")).bearer_auth(at).send().await.unwrap().json().await.unwrap();
    let mut names: Vec<&str> = list.iter().map(|a| a["username"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["admin.sidoarjo", "siti"]);
    // It cannot add a unit to another region, but can to its own.
    let before = app.count("org_nodes").await;
    let body = serde_json::json!({ "parent": "35.78", "segment": "BAPPEDA", "kind": "opd", "name": "Bappeda" });
    let res = client.post(app.url("/api/v1/orgs")).bearer_auth(at).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(app.count("org_nodes").await, before);
    let body = serde_json::json!({ "parent": "35.15", "segment": "BAPPEDA", "kind": "opd", "name": "Bappeda" });
    let res = client.post(app.url("/api/v1/orgs")).bearer_auth(at).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let audit: Vec<serde_json::Value> = client.get(app.url("/api/v1/audit")).bearer_auth(at).send().await.unwrap().json().await.unwrap();
    assert!(!audit.is_empty());
    assert!(audit.iter().all(|e| e["org"].as_str().is_some_and(|o| o.starts_with("35.15"))));
});
