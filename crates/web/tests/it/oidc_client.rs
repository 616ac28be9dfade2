//! Satu Akun with a real OpenID Connect client library: Authlib (Python),
//! through sign-in, tokens, refresh and RP-initiated logout;
//! installed by `scripts/install-test-deps`, runs `tests/oidc_client.py`
//! against the test server on both databases. Without Authlib the test says
//! SKIPPED and returns, unless `RUMAH_TEST_REQUIRE_OIDC_CLIENTS=1` (as in
//! CI), where that is a failure.

use rumah_domain::orgs::OrgKind;

use crate::oidc::{REDIRECT, SECRET, client};
use crate::support::{PASSWORD, app_test};

app_test!(async fn authlib_signs_in_validates_the_id_token_and_refreshes(app) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc_client.py");
    let has_authlib = tokio::process::Command::new("python3")
        .args(["-c", "import authlib, requests"])
        .status()
        .await
        .is_ok_and(|s| s.success());
    if !has_authlib {
        assert!(
            std::env::var("RUMAH_TEST_REQUIRE_OIDC_CLIENTS").as_deref() != Ok("1"),
            "RUMAH_TEST_REQUIRE_OIDC_CLIENTS=1 but Authlib is not installed"
        );
        eprintln!("SKIPPED: python3 with authlib and requests is not installed");
        return;
    }
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account("siti", Some("35.15.DINKES"), &[]).await;
    client(&app, "simaster", false, true, "authorization_code refresh_token").await;
    let post_logout = "http://127.0.0.1:9/sampai-jumpa";
    rumah_store::oidc::logout::set_settings(
        &mut app.conn(),
        "simaster",
        &[post_logout.to_owned()],
        None,
        false,
    )
    .await
    .unwrap();
    let issuer = app.url("");
    let out = tokio::process::Command::new("python3")
        .arg(script)
        .env("ISSUER", issuer.trim_end_matches('/'))
        .env("CLIENT_ID", "simaster")
        .env("CLIENT_SECRET", SECRET)
        .env("REDIRECT_URI", REDIRECT)
        .env("POST_LOGOUT_REDIRECT_URI", post_logout)
        .env("USERNAME", "siti")
        .env("PASSWORD", PASSWORD)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "Authlib failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["preferred_username"], "siti");
    assert_eq!(seen["userinfo_sub"], seen["sub"]);
    assert_eq!(seen["refreshed"], true, "the refresh token rotated");
    assert_eq!(seen["refreshed_id_token"], true);
    assert!(seen["sid"].as_str().is_some_and(|s| !s.is_empty()), "the ID token names the session");
    assert_eq!(seen["end_session_endpoint"], format!("{}/oidc/logout", issuer.trim_end_matches('/')));
    assert_eq!(seen["logged_out"], true);
});
