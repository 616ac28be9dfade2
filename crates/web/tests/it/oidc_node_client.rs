//! Satu Akun with a second, independent client library: openid-client
//! (panva, Node.js, a certified OpenID Connect relying party), next to
//! Authlib in `oidc_client.rs`. `tests/node-rp/rp.mjs` drives the whole
//! relying-party side against the test server on both databases: the code
//! flow with PKCE through the real sign-in form, ID-token validation by the
//! library, UserInfo, our JSON API, refresh with rotation, introspection,
//! revocation, RP-initiated logout and client credentials, and the failures
//! with their exact OAuth error codes (wrong redirect URI, missing or wrong
//! PKCE verifier, code replay, refresh-token reuse, crafted ID tokens fed
//! to the library's validation, crafted access tokens at our endpoints).
//! The Node packages are installed by `scripts/install-test-deps`
//! (`npm ci` in `tests/node-rp`). Without them the test says SKIPPED and
//! returns, unless `RUMAH_TEST_REQUIRE_OIDC_CLIENTS=1` (as in CI), where
//! that is a failure.

use rumah_domain::orgs::OrgKind;
use rumah_store::oidc::clients::{self, NewClient};
use rumah_web::oidc::keys::Kek;

use crate::oidc::{REDIRECT, SECRET};
use crate::support::{PASSWORD, TestApp, app_test};

const KEK: [u8; 32] = [9; 32];
const CRAFTED_NONCE: &str = "nonce-untuk-token-rekaan";
const POST_LOGOUT: &str = "http://127.0.0.1:9/sampai-jumpa";

async fn spawn(backend: rumah_store::Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |c| c.oidc_kek = Kek::new(KEK)).await
}

fn now_s() -> i64 {
    rumah_domain::time::Timestamp::now().0 / 1000
}

app_test!(spawn: spawn, async fn openid_client_runs_the_flows_and_refuses_what_it_must(app) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node-rp");
    let installed = std::path::Path::new(dir).join("node_modules/openid-client/package.json").is_file()
        && tokio::process::Command::new("node").arg("--version").output().await.is_ok_and(|o| o.status.success());
    if !installed {
        assert!(
            std::env::var("RUMAH_TEST_REQUIRE_OIDC_CLIENTS").as_deref() != Ok("1"),
            "RUMAH_TEST_REQUIRE_OIDC_CLIENTS=1 but node or tests/node-rp/node_modules (openid-client) is missing: run scripts/install-test-deps"
        );
        eprintln!("SKIPPED: node with tests/node-rp/node_modules is not installed");
        return;
    }
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    let siti = app.account("siti", Some("35.15.DINKES"), &[]).await;
    clients::create(
        &mut app.conn(),
        &NewClient {
            client_id: "simaster",
            name: "Aplikasi simaster",
            secret_hash: Some(&rumah_store::oidc::hash(SECRET)),
            redirect_uris: &[REDIRECT.to_owned()],
            allowed_scopes: "openid profile email offline_access api",
            grant_types: "authorization_code refresh_token client_credentials",
            token_endpoint_auth_method: "client_secret_basic",
            first_party: true,
        },
    )
    .await
    .unwrap();
    rumah_store::oidc::logout::set_settings(&mut app.conn(), "simaster", &[POST_LOGOUT.to_owned()], None, false)
        .await
        .unwrap();
    let issuer = app.url("").trim_end_matches('/').to_owned();
    // ID tokens signed with the server's own key that the library must
    // still refuse: one expired, one for another client.
    let signer = rumah_web::oidc::keys::signer(&mut app.conn(), &Kek::new(KEK), "ES256").await.unwrap();
    let id_token = |aud: &str, iat: i64, exp: i64| {
        signer
            .sign("JWT", &serde_json::json!({
                "iss": issuer, "sub": siti.0.to_string(), "aud": aud, "azp": aud, "iat": iat, "exp": exp,
                "auth_time": iat, "nonce": CRAFTED_NONCE,
            }))
            .unwrap()
    };
    let expired = id_token("simaster", now_s() - 7200, now_s() - 3600);
    let foreign = id_token("aplikasi-lain", now_s(), now_s() + 600);

    let out = tokio::process::Command::new("node")
        .arg("rp.mjs")
        .current_dir(dir)
        .env("ISSUER", &issuer)
        .env("CLIENT_ID", "simaster")
        .env("CLIENT_SECRET", SECRET)
        .env("REDIRECT_URI", REDIRECT)
        .env("POST_LOGOUT_REDIRECT_URI", POST_LOGOUT)
        .env("USERNAME", "siti")
        .env("PASSWORD", PASSWORD)
        .env("CRAFTED_NONCE", CRAFTED_NONCE)
        .env("EXPIRED_ID_TOKEN", expired)
        .env("FOREIGN_ID_TOKEN", foreign)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "openid-client failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sub = siti.0.to_string();

    // The happy path.
    assert_eq!(seen["sub"], sub.as_str());
    assert_eq!(seen["preferred_username"], "siti");
    assert!(seen["sid"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(seen["userinfo_sub"], sub.as_str());
    assert_eq!(seen["api_me_status"], 200);
    assert_eq!(seen["api_me_username"], "siti");
    assert_eq!(seen["refreshed"], true, "the refresh token rotated");
    assert_eq!(seen["refreshed_id_token"], true);
    assert_eq!(seen["introspected"], serde_json::json!({ "active": true, "sub": sub, "client_id": "simaster" }));
    assert_eq!(seen["introspected_refresh"], serde_json::json!({ "active": true, "token_type": "refresh_token" }));
    assert_eq!(seen["revoked_introspection"], false);
    assert_eq!(seen["revoked_userinfo"]["error"], "invalid_token");
    assert_eq!((&seen["revoked_api"]["status"], &seen["revoked_api"]["error"]), (&serde_json::json!(401), &serde_json::json!("invalid_token")));
    assert_eq!(seen["control_sub"], sub.as_str());
    assert_eq!(seen["client_credentials"], serde_json::json!({ "active": true, "sub": "client:simaster", "has_refresh": false }));
    // A client's own token acts for no user: refused where a caller is
    // needed, answered where anyone is.
    assert_eq!((&seen["client_credentials_api"]["status"], &seen["client_credentials_api"]["error"]), (&serde_json::json!(403), &serde_json::json!("insufficient_scope")));
    assert_eq!(seen["client_credentials_public"], 200);
    assert_eq!(seen["end_session_endpoint"], format!("{issuer}/oidc/logout"));
    assert_eq!(seen["logged_out"], true);
    assert_eq!(seen["after_logout"], "login_required");

    // What must fail, with the exact OAuth error.
    for case in ["refresh_reuse", "refresh_family_revoked", "code_replay", "missing_verifier", "wrong_verifier"] {
        assert_eq!(seen[case]["error"], "invalid_grant", "{case}: {}", seen[case]);
    }
    assert_eq!(seen["wrong_redirect_uri"], serde_json::json!({ "status": 400, "location": null, "html": true }));
    // Refused by the library's own ID-token validation, each for its reason.
    let refused = |case: &str| {
        let c = &seen[case]["cause"];
        (c["code"].as_str().unwrap_or_default().to_owned(), c["message"].as_str().unwrap_or_default().to_owned())
    };
    let (code, message) = refused("id_token_expired");
    assert_eq!(code, "OAUTH_JWT_TIMESTAMP_CHECK_FAILED");
    assert!(message.contains("\"exp\""), "{message}");
    assert_eq!(seen["id_token_expired"]["cause"]["claim"], "exp");
    let (code, message) = refused("id_token_wrong_audience");
    assert_eq!(code, "OAUTH_JWT_CLAIM_COMPARISON_FAILED");
    assert!(message.contains("\"aud\""), "{message}");
    assert_eq!(seen["id_token_wrong_audience"]["cause"]["claim"], "aud");
    assert_eq!(refused("id_token_alg_none"), ("OAUTH_INVALID_RESPONSE".to_owned(), "unexpected JWT \"alg\" header parameter".to_owned()));
    for case in ["id_token_tampered", "id_token_bad_signature"] {
        assert_eq!(refused(case), ("OAUTH_INVALID_RESPONSE".to_owned(), "JWT signature verification failed".to_owned()), "{case}");
    }
    // Crafted access tokens at UserInfo and introspection.
    for case in ["alg_none", "tampered", "id_token"] {
        let userinfo = &seen[format!("access_{case}_userinfo")];
        assert_eq!((&userinfo["status"], &userinfo["error"]), (&serde_json::json!(401), &serde_json::json!("invalid_token")), "{case}");
        assert_eq!(seen[format!("access_{case}_introspection")], false, "{case}");
    }
});
