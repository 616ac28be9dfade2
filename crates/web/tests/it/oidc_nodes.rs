//! Several app nodes on one database, as behind a load balancer: each node
//! has its own connection pool, state, caches and background workers, and
//! the same configuration. A user and a relying party that hop between
//! nodes must see one provider: sessions, codes, refresh-token families and
//! signing keys live in the database, and concurrent use of one code or
//! one refresh token on two nodes succeeds at most once.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rumah_domain::orgs::OrgKind;

use crate::oidc::{REDIRECT, SECRET, VERIFIER, authorize_url, callback, client};
use crate::support::app_test;

/// `POST {base}/oidc/token` as client `simaster`.
async fn token_at(base: &str, form: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/oidc/token"))
        .header(
            "authorization",
            format!("Basic {}", STANDARD.encode(format!("simaster:{SECRET}"))),
        )
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn userinfo_at(base: &str, access_token: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .get(format!("{base}/oidc/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
}

/// The claims of a JWT, unchecked (its signature is checked elsewhere).
fn payload(jwt: &str) -> serde_json::Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

fn refresh_form(token: &str) -> [(&str, &str); 2] {
    [("grant_type", "refresh_token"), ("refresh_token", token)]
}

async fn json(res: reqwest::Response) -> serde_json::Value {
    assert_eq!(res.status(), 200, "a token answer");
    res.json().await.unwrap()
}

app_test!(async fn nodes_on_one_database_agree_on_sessions_codes_refresh_families_and_keys(app) {
    let b = app.another_node().await;
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account("siti", Some("35.15.DINKES"), &[]).await;
    client(&app, "simaster", false, true, "authorization_code refresh_token").await;

    // Signed in on node A; node B knows the session (cookies do not depend
    // on the port) and issues the code.
    let browser = app.signed_in("siti").await;
    let q = callback(&browser.get(b.url(&authorize_url("simaster", ""))).send().await.unwrap());
    let code_form = [("grant_type", "authorization_code"), ("code", q["code"].as_str()), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];

    // The code is redeemed on A; replayed on B it is refused and what it
    // issued is revoked on both nodes.
    let t0 = json(token_at(&app.base, &code_form).await).await;
    let replay = token_at(&b.base, &code_form).await;
    assert_eq!(replay.status(), 400);
    assert_eq!(replay.json::<serde_json::Value>().await.unwrap()["error"], "invalid_grant");
    let r0 = t0["refresh_token"].as_str().unwrap();
    assert_eq!(token_at(&app.base, &refresh_form(r0)).await.status(), 400, "the replay revoked the family");

    // A second grant: rotation hops between nodes; a reuse on either node
    // revokes the family everywhere.
    let q = callback(&browser.get(app.url(&authorize_url("simaster", ""))).send().await.unwrap());
    let code_form = [("grant_type", "authorization_code"), ("code", q["code"].as_str()), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];
    let t1 = json(token_at(&b.base, &code_form).await).await;
    let r1 = t1["refresh_token"].as_str().unwrap().to_owned();
    let t2 = json(token_at(&app.base, &refresh_form(&r1)).await).await;
    let r2 = t2["refresh_token"].as_str().unwrap().to_owned();
    let t3 = json(token_at(&b.base, &refresh_form(&r2)).await).await;
    // Refreshed ID tokens keep the browser session's sid.
    let sid = |t: &serde_json::Value| payload(t["id_token"].as_str().unwrap())["sid"].clone();
    assert!(sid(&t1).is_string());
    assert_eq!(sid(&t1), sid(&t2));
    assert_eq!(sid(&t1), sid(&t3));
    let r3 = t3["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(token_at(&app.base, &refresh_form(&r1)).await.status(), 400, "r1 was rotated on A");
    assert_eq!(token_at(&b.base, &refresh_form(&r3)).await.status(), 400, "the reuse on A revoked r3 for B too");

    // Access tokens signed by one node are accepted by the other.
    let q = callback(&browser.get(b.url(&authorize_url("simaster", ""))).send().await.unwrap());
    let code_form = [("grant_type", "authorization_code"), ("code", q["code"].as_str()), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];
    let t4 = json(token_at(&app.base, &code_form).await).await;
    let at_a = t4["access_token"].as_str().unwrap();
    assert_eq!(userinfo_at(&b.base, at_a).await, 200);

    // One refresh token presented to both nodes at once: exactly one
    // rotation succeeds (the other is a reuse).
    let r4 = t4["refresh_token"].as_str().unwrap().to_owned();
    let form = refresh_form(&r4);
    let (x, y) = tokio::join!(token_at(&app.base, &form), token_at(&b.base, &form));
    let ok = [x.status(), y.status()].iter().filter(|s| s.as_u16() == 200).count();
    assert_eq!(ok, 1, "{} and {}", x.status(), y.status());

    // One code presented to both nodes at once: at most one token answer.
    let q = callback(&browser.get(app.url(&authorize_url("simaster", ""))).send().await.unwrap());
    let code_form = [("grant_type", "authorization_code"), ("code", q["code"].as_str()), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];
    let (x, y) = tokio::join!(token_at(&app.base, &code_form), token_at(&b.base, &code_form));
    let ok = [x.status(), y.status()].iter().filter(|s| s.as_u16() == 200).count();
    assert_eq!(ok, 1, "{} and {}", x.status(), y.status());

    // Keys: rotated from outside (as `rumah admin rotate-keys` does), both
    // nodes publish the old and the new key, and a token from a node that
    // signs with the new key is accepted by nodes that had cached the old.
    let before: serde_json::Value = reqwest::get(b.url("/oidc/jwks")).await.unwrap().json().await.unwrap();
    let old_kid = jsonwebtoken::decode_header(at_a).unwrap().kid.unwrap();
    rumah_web::oidc::keys::rotate(&mut app.conn(), &app.config.oidc_kek).await.unwrap();
    let c = app.another_node().await;
    let q = callback(&browser.get(c.url(&authorize_url("simaster", ""))).send().await.unwrap());
    let code_form = [("grant_type", "authorization_code"), ("code", q["code"].as_str()), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)];
    let t5 = json(token_at(&c.base, &code_form).await).await;
    let at_c = t5["access_token"].as_str().unwrap();
    let new_kid = jsonwebtoken::decode_header(at_c).unwrap().kid.unwrap();
    assert_ne!(new_kid, old_kid, "the new node signs with the new key");
    assert!(!before.to_string().contains(&new_kid));
    for base in [&app.base, &b.base] {
        let jwks: serde_json::Value = reqwest::get(format!("{base}/oidc/jwks")).await.unwrap().json().await.unwrap();
        let text = jwks.to_string();
        assert!(text.contains(&old_kid) && text.contains(&new_kid), "{base} publishes both keys");
        assert_eq!(userinfo_at(base, at_c).await, 200, "{base} accepts the new key");
        assert_eq!(userinfo_at(base, at_a).await, 200, "{base} still accepts the old key");
    }

    // Signing out on B ends the session for A as well.
    let csrf = app.csrf_token(&browser, "/akun").await;
    let res = browser.post(b.url("/keluar")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let res = browser.get(app.url(&authorize_url("simaster", ""))).send().await.unwrap();
    let loc = res.headers()["location"].to_str().unwrap();
    assert!(loc.starts_with("/masuk"), "A asks for a login again: {loc}");
});
