//! Satu Akun as an OpenID Connect provider: discovery, JWKS, the code flow
//! with PKCE, tokens checked against the published keys, UserInfo, consent,
//! refresh-token rotation with reuse detection, client credentials, and the
//! error answers of each endpoint. The same flow with a real client library
//! (Python's Authlib) is in `oidc_client.rs`.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rumah_domain::orgs::OrgKind;
use rumah_store::oidc::clients::{self, NewClient};
use sha2::{Digest, Sha256};

use crate::support::{TestApp, app_test, text_of};

pub const REDIRECT: &str = "http://127.0.0.1:9/cb";
pub const SECRET: &str = "rahasia-klien-yang-panjang-sekali";
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// Registers a client straight in the database.
pub async fn client(app: &TestApp, id: &str, public: bool, first_party: bool, grants: &str) {
    let hash = rumah_store::oidc::hash(SECRET);
    clients::create(
        &mut app.conn(),
        &NewClient {
            client_id: id,
            name: &format!("Aplikasi {id}"),
            secret_hash: (!public).then_some(hash.as_str()),
            redirect_uris: &[REDIRECT.to_owned()],
            allowed_scopes: "openid profile email offline_access nip org roles",
            grant_types: grants,
            token_endpoint_auth_method: if public {
                "none"
            } else {
                "client_secret_basic"
            },
            first_party,
        },
    )
    .await
    .unwrap();
}

fn challenge() -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

pub(crate) fn authorize_url(client_id: &str, extra: &str) -> String {
    format!(
        "/oidc/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid+profile+email+offline_access+roles&state=st-1&nonce=n-1&code_challenge={}&code_challenge_method=S256{extra}",
        url_encode(REDIRECT),
        challenge()
    )
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The query of a redirect to the client.
pub(crate) fn callback(res: &reqwest::Response) -> std::collections::HashMap<String, String> {
    assert_eq!(res.status(), 303, "a redirect");
    let loc = res.headers()["location"].to_str().unwrap();
    assert!(loc.starts_with(REDIRECT), "to the client: {loc}");
    url::Url::parse(loc)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

async fn setup(app: &TestApp) -> reqwest::Client {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account("siti", Some("35.15.DINKES"), &[]).await;
    app.signed_in("siti").await
}

pub(crate) async fn exchange(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> reqwest::Response {
    let mut req = app.client().post(app.url("/oidc/token")).form(form);
    if let Some((id, secret)) = basic {
        req = req.header(
            "authorization",
            format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))),
        );
    }
    req.send().await.unwrap()
}

/// Verifies a JWT against the provider's JWKS and returns its claims.
async fn verify(app: &TestApp, token: &str, typ: &str, audience: &str) -> serde_json::Value {
    verify_jwt(app, token, typ, Some(audience)).await
}

/// Verifies a JWT of type `typ` against the provider's JWKS (the key its
/// `kid` names, in that key's algorithm; our issuer, not expired; the
/// audience only when given) and returns its claims.
pub(crate) async fn verify_jwt(
    app: &TestApp,
    token: &str,
    typ: &str,
    audience: Option<&str>,
) -> serde_json::Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some(typ));
    let jwks: serde_json::Value = app
        .client()
        .get(app.url("/oidc/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = header.kid.unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("the kid is published");
    assert_eq!(jwk["use"], "sig");
    let s = |name: &str| jwk[name].as_str().unwrap();
    let (alg, key) = match s("alg") {
        "ES256" => (
            jsonwebtoken::Algorithm::ES256,
            jsonwebtoken::DecodingKey::from_ec_components(s("x"), s("y")).unwrap(),
        ),
        "RS256" => (
            jsonwebtoken::Algorithm::RS256,
            jsonwebtoken::DecodingKey::from_rsa_components(s("n"), s("e")).unwrap(),
        ),
        "EdDSA" => (
            jsonwebtoken::Algorithm::EdDSA,
            jsonwebtoken::DecodingKey::from_ed_components(s("x")).unwrap(),
        ),
        other => panic!("unexpected algorithm {other}"),
    };
    assert_eq!(header.alg, alg, "the header names the key's algorithm");
    let mut v = jsonwebtoken::Validation::new(alg);
    match audience {
        Some(aud) => v.set_audience(&[aud]),
        None => v.validate_aud = false,
    }
    v.set_issuer(&[app.url("").trim_end_matches('/')]);
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &v)
        .unwrap()
        .claims
}

app_test!(async fn discovery_and_jwks_describe_the_provider(app) {
    let doc: serde_json::Value = app.client().get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    let iss = app.url("");
    let iss = iss.trim_end_matches('/');
    assert_eq!(doc["issuer"], iss);
    assert_eq!(doc["authorization_endpoint"], format!("{iss}/oidc/authorize"));
    assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    let res = app.client().get(app.url("/oidc/jwks")).send().await.unwrap();
    assert!(res.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    let jwks: serde_json::Value = res.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kty"], "EC");
    assert_eq!(keys[0]["crv"], "P-256");
    assert!(keys[0].get("d").is_none(), "no private part is published");
    // The private key is stored encrypted: the PKCS#8 header is not there.
    let (sealed,): (Vec<u8>,) = rumah_store::Exec::fetch_one(&mut app.conn(), rumah_store::q!("SELECT private_key FROM oidc_signing_keys")).await.unwrap();
    assert!(!sealed.windows(4).any(|w| w == [0x30, 0x81, 0x87, 0x02]), "encrypted at rest");
});

app_test!(async fn the_code_flow_with_pkce_gives_verifiable_tokens_once(app) {
    let browser = setup(&app).await;
    client(&app, "simaster", false, true, "authorization_code refresh_token").await;
    let res = browser.get(app.url(&authorize_url("simaster", ""))).send().await.unwrap();
    let q = callback(&res);
    assert_eq!(q["state"], "st-1");
    assert_eq!(q["iss"], app.url("").trim_end_matches('/'));
    let code = q["code"].clone();

    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];
    let res = exchange(&app, &form, Some(("simaster", SECRET))).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let tokens: serde_json::Value = res.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    let id = verify(&app, tokens["id_token"].as_str().unwrap(), "JWT", "simaster").await;
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["preferred_username"], "siti");
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    let at = tokens["access_token"].as_str().unwrap();
    let digest = Sha256::digest(at.as_bytes());
    assert_eq!(id["at_hash"], URL_SAFE_NO_PAD.encode(&digest[..16]));
    let iss = app.url("");
    let access = verify(&app, at, "at+jwt", &format!("{}/api", iss.trim_end_matches('/'))).await;
    assert_eq!(access["client_id"], "simaster");
    assert_eq!(access["sub"], id["sub"]);

    let info: serde_json::Value = app.client().get(app.url("/oidc/userinfo")).bearer_auth(at).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["sub"], id["sub"]);
    assert_eq!(info["roles"], serde_json::json!([]));
    let info = app.client().post(app.url("/oidc/userinfo")).form(&[("access_token", at)]).send().await.unwrap();
    assert_eq!(info.status(), 200);
    let bad = app.client().get(app.url("/oidc/userinfo")).bearer_auth(format!("{at}x")).send().await.unwrap();
    assert_eq!(bad.status(), 401);
    assert!(bad.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));

    // The code works once; a replay is refused and revokes what it gave.
    let res = exchange(&app, &form, Some(("simaster", SECRET))).await;
    assert_eq!(res.status(), 400);
    let err: serde_json::Value = res.json().await.unwrap();
    assert_eq!(err["error"], "invalid_grant");
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let res = exchange(&app, &[("grant_type", "refresh_token"), ("refresh_token", refresh)], Some(("simaster", SECRET))).await;
    assert_eq!(res.status(), 400, "the replay revoked the refresh token");
    let (n,): (i64,) = rumah_store::Exec::fetch_one(&mut app.conn(), rumah_store::q!("SELECT COUNT(*) FROM audit_log WHERE event = 'oidc.code_replayed'")).await.unwrap();
    assert_eq!(n, 1);
});

app_test!(async fn bad_authorization_requests_are_answered_without_trusting_the_client(app) {
    let browser = setup(&app).await;
    client(&app, "simaster", false, true, "authorization_code").await;
    // Unknown client or unregistered redirect URI: a page, never a redirect.
    for (path, says) in [
        (authorize_url("tidak-ada", ""), "tidak terdaftar di Satu Akun"),
        (authorize_url("simaster", "").replace(&url_encode(REDIRECT), &url_encode("https://evil.example/cb")), "redirect_uri"),
        ("/oidc/authorize?response_type=code&scope=openid".to_owned(), "client_id"),
    ] {
        let res = browser.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 400, "{path}");
        assert!(res.headers().get("location").is_none());
        let html = res.text().await.unwrap();
        assert!(html.contains(says), "{says}: {html}");
    }
    // Errors the client may hear about go back to it, with state and iss.
    for (from, to, error) in [
        ("response_type=code", "response_type=token", "unsupported_response_type"),
        ("state=st-1", "state=st-1&prompt=none+login", "invalid_request"),
        ("code_challenge_method=S256", "code_challenge_method=plain", "invalid_request"),
        ("state=st-1", "state=st-1&request=eyJ", "request_not_supported"),
        ("state=st-1", "state=st-1&max_age=-5", "invalid_request"),
    ] {
        let url = authorize_url("simaster", "").replacen(from, to, 1);
        let q = callback(&browser.get(app.url(&url)).send().await.unwrap());
        assert_eq!(q["error"], error, "{to}");
        assert_eq!(q["state"], "st-1");
    }
    let no_openid = authorize_url("simaster", "").replace("scope=openid+", "scope=");
    assert_eq!(callback(&browser.get(app.url(&no_openid)).send().await.unwrap())["error"], "invalid_scope");
    // Not signed in: prompt=none answers login_required; otherwise the login page.
    let anonymous = app.client();
    let q = callback(&anonymous.get(app.url(&authorize_url("simaster", "&prompt=none"))).send().await.unwrap());
    assert_eq!(q["error"], "login_required");
    let res = anonymous.get(app.url(&authorize_url("simaster", ""))).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/masuk?"));
    assert_eq!(app.count("oidc_codes").await, 0, "nothing was issued");
});

app_test!(async fn the_token_endpoint_refuses_bad_clients_and_bad_grants(app) {
    let browser = setup(&app).await;
    client(&app, "simaster", false, true, "authorization_code refresh_token").await;
    client(&app, "ponsel", true, true, "authorization_code").await;
    let code = |browser: reqwest::Client, id: &'static str| {
        let app = &app;
        async move { callback(&browser.get(app.url(&authorize_url(id, ""))).send().await.unwrap())["code"].clone() }
    };
    let c = code(browser.clone(), "simaster").await;
    let form = |code: &str, verifier: &str, redirect: &str| {
        vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code.to_owned()),
            ("redirect_uri".to_owned(), redirect.to_owned()),
            ("code_verifier".to_owned(), verifier.to_owned()),
        ]
    };
    let post = |f: Vec<(String, String)>, basic: Option<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let res = exchange(app, &f, basic).await;
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.unwrap();
            (status, body["error"].as_str().unwrap_or("").to_owned())
        }
    };
    assert_eq!(post(form(&c, VERIFIER, REDIRECT), Some(("simaster", "salah"))).await, (401, "invalid_client".into()));
    assert_eq!(post(form(&c, VERIFIER, REDIRECT), Some(("tidak-ada", SECRET))).await, (401, "invalid_client".into()));
    assert_eq!(post(form(&c, VERIFIER, REDIRECT), None).await, (401, "invalid_client".into()), "a confidential client must authenticate");
    // A wrong verifier uses the code up: the right one afterwards fails too.
    assert_eq!(post(form(&c, &"x".repeat(43), REDIRECT), Some(("simaster", SECRET))).await, (400, "invalid_grant".into()));
    assert_eq!(post(form(&c, VERIFIER, REDIRECT), Some(("simaster", SECRET))).await, (400, "invalid_grant".into()));
    let c = code(browser.clone(), "simaster").await;
    assert_eq!(post(form(&c, VERIFIER, "http://127.0.0.1:9/lain"), Some(("simaster", SECRET))).await, (400, "invalid_grant".into()));
    let c = code(browser.clone(), "simaster").await;
    let mut f = form(&c, VERIFIER, REDIRECT);
    f[0].1 = "password".into();
    assert_eq!(post(f, Some(("simaster", SECRET))).await, (400, "unsupported_grant_type".into()));
    assert_eq!(post(vec![("grant_type".into(), "client_credentials".into())], Some(("simaster", SECRET))).await, (400, "unauthorized_client".into()));
    // A code of one client is useless to another.
    let mut f = form(&c, VERIFIER, REDIRECT);
    f.push(("client_id".into(), "ponsel".into()));
    assert_eq!(post(f, None).await, (400, "invalid_grant".into()));
    // The public client: PKCE and its id, no secret.
    let c = code(browser.clone(), "ponsel").await;
    let mut f = form(&c, VERIFIER, REDIRECT);
    f.push(("client_id".into(), "ponsel".into()));
    assert_eq!(post(f, None).await.0, 200);
});

app_test!(async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_family(app) {
    let browser = setup(&app).await;
    client(&app, "simaster", false, true, "authorization_code refresh_token").await;
    let q = callback(&browser.get(app.url(&authorize_url("simaster", ""))).send().await.unwrap());
    let form = [("grant_type", "authorization_code"), ("code", q["code"].as_str()), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];
    let t0: serde_json::Value = exchange(&app, &form, Some(("simaster", SECRET))).await.json().await.unwrap();
    let r0 = t0["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: String| {
        let app = &app;
        async move { exchange(app, &[("grant_type", "refresh_token"), ("refresh_token", token.as_str())], Some(("simaster", SECRET))).await }
    };
    let res = refresh(r0.clone()).await;
    assert_eq!(res.status(), 200);
    let t1: serde_json::Value = res.json().await.unwrap();
    let r1 = t1["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r0, "rotated");
    assert!(t1["id_token"].is_string());
    // Narrowing the scope is allowed, widening is not.
    let res = exchange(&app, &[("grant_type", "refresh_token"), ("refresh_token", r1.as_str()), ("scope", "openid phone")], Some(("simaster", SECRET))).await;
    assert_eq!(res.status(), 400);
    // r0 again: a reuse. The family goes, r1 with it, and it is audited.
    let res = refresh(r0).await;
    assert_eq!(res.status(), 400);
    assert_eq!(refresh(r1).await.status(), 400);
    let (n,): (i64,) = rumah_store::Exec::fetch_one(&mut app.conn(), rumah_store::q!("SELECT COUNT(*) FROM audit_log WHERE event = 'oidc.refresh_reused'")).await.unwrap();
    assert_eq!(n, 1);
});

app_test!(async fn a_client_that_is_not_first_party_asks_for_consent_once(app) {
    let browser = setup(&app).await;
    client(&app, "mitra", false, false, "authorization_code").await;
    let res = browser.get(app.url(&authorize_url("mitra", "&prompt=none"))).send().await.unwrap();
    assert_eq!(callback(&res)["error"], "consent_required");
    let res = browser.get(app.url(&authorize_url("mitra", ""))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(text_of(&html, "#consent-client").unwrap().contains("Aplikasi mitra"));
    let params = {
        let doc = scraper::Html::parse_document(&html);
        let sel = scraper::Selector::parse("input[name=params]").unwrap();
        doc.select(&sel).next().unwrap().value().attr("value").unwrap().to_owned()
    };
    let page = authorize_url("mitra", "");
    let res = app.post_form(&browser, &page, "/oidc/authorize/izin", &[("params", &params), ("decision", "deny")]).await;
    assert_eq!(callback(&res)["error"], "access_denied");
    let res = app.post_form(&browser, &page, "/oidc/authorize/izin", &[("params", &params), ("decision", "allow")]).await;
    assert!(callback(&res).contains_key("code"));
    // Remembered: no consent page the next time.
    let res = browser.get(app.url(&page)).send().await.unwrap();
    assert!(callback(&res).contains_key("code"));
    // Without the CSRF token the decision is refused.
    let res = browser.post(app.url("/oidc/authorize/izin")).form(&[("params", params.as_str()), ("decision", "allow")]).send().await.unwrap();
    assert_eq!(res.status(), 403);
});

app_test!(async fn client_credentials_give_a_service_token(app) {
    client(&app, "layanan", false, true, "client_credentials").await;
    let res = exchange(&app, &[("grant_type", "client_credentials"), ("scope", "roles openid")], Some(("layanan", SECRET))).await;
    assert_eq!(res.status(), 200);
    let t: serde_json::Value = res.json().await.unwrap();
    assert!(t.get("id_token").is_none() && t.get("refresh_token").is_none());
    let iss = app.url("");
    let claims = verify(&app, t["access_token"].as_str().unwrap(), "at+jwt", &format!("{}/api", iss.trim_end_matches('/'))).await;
    assert_eq!(claims["sub"], "client:layanan");
});

app_test!(async fn introspection_and_revocation_follow_the_rfcs(app) {
    let browser = setup(&app).await;
    client(&app, "simaster", false, true, "authorization_code refresh_token").await;
    client(&app, "lain", false, true, "authorization_code").await;
    client(&app, "ponsel", true, true, "authorization_code").await;
    let q = callback(&browser.get(app.url(&authorize_url("simaster", ""))).send().await.unwrap());
    let form = [("grant_type", "authorization_code"), ("code", q["code"].as_str()), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];
    let t: serde_json::Value = exchange(&app, &form, Some(("simaster", SECRET))).await.json().await.unwrap();
    let at = t["access_token"].as_str().unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    let post = |path: &'static str, token: String, who: Option<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let mut req = app.client().post(app.url(path)).form(&[("token", token.as_str())]);
            if let Some((id, secret)) = who {
                req = req.header("authorization", format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))));
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    let (s, body) = post("/oidc/introspect", at.to_owned(), Some(("simaster", SECRET))).await;
    assert_eq!(s, 200);
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], "simaster");
    // Any confidential client (a resource server) may introspect an access token…
    assert_eq!(post("/oidc/introspect", at.to_owned(), Some(("lain", SECRET))).await.1["active"], true);
    // …a refresh token only its own; nonsense is just inactive.
    assert_eq!(post("/oidc/introspect", rt.to_owned(), Some(("simaster", SECRET))).await.1["active"], true);
    assert_eq!(post("/oidc/introspect", rt.to_owned(), Some(("lain", SECRET))).await.1["active"], false);
    assert_eq!(post("/oidc/introspect", "bukan-token".to_owned(), Some(("simaster", SECRET))).await.1["active"], false);
    assert_eq!(post("/oidc/introspect", at.to_owned(), None).await.0, 401, "introspection needs client authentication");
    assert_eq!(post("/oidc/introspect", at.to_owned(), Some(("simaster", "salah"))).await.0, 401);

    // Revoking another client's token does nothing (and says 200).
    assert_eq!(post("/oidc/revoke", at.to_owned(), Some(("lain", SECRET))).await.0, 200);
    assert_eq!(app.client().get(app.url("/oidc/userinfo")).bearer_auth(at).send().await.unwrap().status(), 200);
    // The owner revokes the access token: UserInfo and introspection refuse it.
    assert_eq!(post("/oidc/revoke", at.to_owned(), Some(("simaster", SECRET))).await.0, 200);
    assert_eq!(app.client().get(app.url("/oidc/userinfo")).bearer_auth(at).send().await.unwrap().status(), 401);
    assert_eq!(post("/oidc/introspect", at.to_owned(), Some(("simaster", SECRET))).await.1["active"], false);
    // Revoking the refresh token ends the grant.
    assert_eq!(post("/oidc/revoke", rt.to_owned(), Some(("simaster", SECRET))).await.0, 200);
    let res = exchange(&app, &[("grant_type", "refresh_token"), ("refresh_token", rt)], Some(("simaster", SECRET))).await;
    assert_eq!(res.status(), 400);
    assert_eq!(post("/oidc/revoke", "tidak-dikenal".to_owned(), Some(("simaster", SECRET))).await.0, 200);
    // A bad hint and a missing token are errors.
    let res = app.client().post(app.url("/oidc/revoke")).basic_auth("simaster", Some(SECRET)).form(&[("token", "x"), ("token_type_hint", "id_token")]).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"], "unsupported_token_type");
    assert_eq!(post("/oidc/revoke", String::new(), Some(("simaster", SECRET))).await.0, 400);
});

app_test!(async fn a_rotation_is_one_statement_and_a_locked_account_gets_no_tokens(app) {
    let browser = setup(&app).await;
    client(&app, "simaster", false, true, "authorization_code refresh_token").await;
    let q = callback(&browser.get(app.url(&authorize_url("simaster", ""))).send().await.unwrap());
    let form = [("grant_type", "authorization_code"), ("code", q["code"].as_str()), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];
    let t0: serde_json::Value = exchange(&app, &form, Some(("simaster", SECRET))).await.json().await.unwrap();
    let r0 = t0["refresh_token"].as_str().unwrap().to_owned();
    let hash = rumah_store::oidc::hash;
    let now = rumah_domain::time::Timestamp::now().0;
    // Another client, an unknown token: nothing happens.
    assert!(rumah_store::oidc::grants::rotate(&mut app.conn(), &hash(&r0), "lain", &hash("x"), now, now + 60_000).await.unwrap().is_none());
    assert!(rumah_store::oidc::grants::rotate(&mut app.conn(), &hash("nope"), "simaster", &hash("y"), now, now + 60_000).await.unwrap().is_none());
    let rows = |h: String| {
        let app = &app;
        async move {
            let r: Option<(Option<i64>, Option<String>, i64)> = rumah_store::Exec::fetch_optional(&mut app.conn(), rumah_store::q!(
                "SELECT rotated_at, rotates, expires_at FROM oidc_refresh_tokens WHERE token_hash = $1", h)).await.unwrap();
            r
        }
    };
    assert_eq!(rows(hash("x")).await, None);
    assert_eq!(rows(hash(&r0)).await.unwrap().0, None, "r0 is untouched");
    // The rotation itself: the old token marked, the successor stored and
    // naming it, in one statement.
    let next = rumah_store::oidc::grants::rotate(&mut app.conn(), &hash(&r0), "simaster", &hash("r1"), now, now + 60_000).await.unwrap().unwrap();
    assert_eq!(next.rotated_at, None);
    assert_eq!(rows(hash(&r0)).await.unwrap().0, Some(now));
    assert_eq!(rows(hash("r1")).await.unwrap(), (None, Some(hash(&r0)), now + 60_000));
    // Once only.
    assert!(rumah_store::oidc::grants::rotate(&mut app.conn(), &hash(&r0), "simaster", &hash("r1b"), now, now + 60_000).await.unwrap().is_none());
    assert_eq!(rows(hash("r1b")).await, None);
    let refresh = |token: String| {
        let app = &app;
        async move { exchange(app, &[("grant_type", "refresh_token"), ("refresh_token", token.as_str())], Some(("simaster", SECRET))).await }
    };
    let res = refresh("r1".to_owned()).await;
    assert_eq!(res.status(), 200);
    let r2 = res.json::<serde_json::Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();
    // A request that widens the scope is refused without using r2 up.
    let res = exchange(&app, &[("grant_type", "refresh_token"), ("refresh_token", r2.as_str()), ("scope", "openid phone")], Some(("simaster", SECRET))).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"], "invalid_scope");
    // A locked account gets no new tokens, and its token is not used up.
    let set_status = |status: &'static str| {
        let app = &app;
        async move {
            rumah_store::Exec::execute(&mut app.conn(), rumah_store::q!("UPDATE accounts SET status = $1 WHERE username = 'siti'", status)).await.unwrap();
        }
    };
    set_status("locked").await;
    let res = refresh(r2.clone()).await;
    assert_eq!(res.status(), 400);
    let body = res.json::<serde_json::Value>().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "the account is locked");
    assert_eq!(rows(hash(&r2)).await.unwrap().0, None, "not used up");
    set_status("active").await;
    let res = refresh(r2).await;
    assert_eq!(res.status(), 200, "unlocked, the token works again");
    let r3 = res.json::<serde_json::Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(refresh("r1".to_owned()).await.status(), 400, "used up now: a reuse");
    assert_eq!(refresh(r3).await.status(), 400, "the reuse revoked the family");
});
