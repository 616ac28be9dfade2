//! Signing in and out, lockout, sessions.

use rumah_domain::authz::Role;
use rumah_domain::identity::AccountKind;
use rumah_domain::orgs::OrgKind;

use crate::support::{PASSWORD, TestApp, app_test, text_of};

async fn setup(app: &TestApp) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account_with(
        "siti",
        AccountKind::Asn,
        Some("198609262015052001"),
        Some("35.15.DINKES"),
        &[],
    )
    .await;
}

fn login_error(html: &str) -> String {
    text_of(html, "#login-error").unwrap_or_default()
}

app_test!(async fn signing_in_sets_a_protected_session_cookie_and_returns_to_the_page(app) {
    setup(&app).await;
    let client = app.client();
    let res = app.login(&client, "siti", PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/akun");
    let cookie = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).find(|c| c.starts_with("rumah_session=")).unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/") && cookie.contains("Max-Age="), "{cookie}");
    let html = client.get(app.url("/akun")).send().await.unwrap().text().await.unwrap();
    assert_eq!(text_of(&html, "main h1").unwrap(), "Nama siti");
    assert!(html.contains("19860926 201505 2 001"), "the NIP is shown grouped");
});

app_test!(async fn nip_and_email_work_as_login_identifiers(app) {
    setup(&app).await;
    assert_eq!(app.login(&app.client(), "19860926 201505 2 001", PASSWORD).await.status(), 303);
    assert_eq!(app.login(&app.client(), "SITI", PASSWORD).await.status(), 303);
});

app_test!(async fn unknown_users_and_wrong_passwords_get_the_same_answer(app) {
    setup(&app).await;
    let wrong = app.login(&app.client(), "siti", "bukan-kata-sandinya").await;
    let unknown = app.login(&app.client(), "tidakada", "bukan-kata-sandinya").await;
    let garbage = app.login(&app.client(), "a b c", "bukan-kata-sandinya").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    assert_eq!(garbage.status(), 401);
    let (w, u, g) = (login_error(&wrong.text().await.unwrap()), login_error(&unknown.text().await.unwrap()), login_error(&garbage.text().await.unwrap()));
    assert_eq!(w, "Nama pengguna, NIP, email atau kata sandi salah.");
    assert_eq!(w, u);
    assert_eq!(w, g);
    assert_eq!(app.count("sessions").await, 0);
});

app_test!(async fn repeated_failures_lock_the_identifier_even_for_the_right_password(app) {
    setup(&app).await;
    for _ in 0..5 {
        assert_eq!(app.login(&app.client(), "siti", "salah-terus-salah").await.status(), 401);
    }
    let res = app.login(&app.client(), "siti", PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
    let locked_real = login_error(&res.text().await.unwrap());
    assert!(locked_real.contains("Terlalu banyak percobaan"), "{locked_real}");
    // An unknown name locks the same way and says the same thing.
    for _ in 0..5 {
        app.login(&app.client(), "hantu", "salah-terus-salah").await;
    }
    let res = app.login(&app.client(), "hantu", "salah-terus-salah").await;
    assert_eq!(res.status(), 429);
    assert_eq!(login_error(&res.text().await.unwrap()), locked_real);
    // The failures are in the audit log.
    let mut db = app.conn();
    let (failed,): (i64,) = rumah_store::Exec::fetch_one(&mut db, rumah_store::q!("SELECT COUNT(*) FROM audit_log WHERE event = 'login.failed'")).await.unwrap();
    assert_eq!(failed, 10);
    let (throttled,): (i64,) = rumah_store::Exec::fetch_one(&mut db, rumah_store::q!("SELECT COUNT(*) FROM audit_log WHERE event = 'login.throttled'")).await.unwrap();
    assert!(throttled >= 2);
});

app_test!(async fn an_address_guessing_many_names_is_slowed_down(_unused) {
    let Some(app) = TestApp::spawn_with(_unused.backend, |c| c.throttle_address.threshold = 3).await else { return };
    setup(&app).await;
    for name in ["a1x", "b2y", "c3z"] {
        app.login(&app.client(), name, "tebak-tebakan").await;
    }
    assert_eq!(app.login(&app.client(), "siti", PASSWORD).await.status(), 429);
});

app_test!(async fn a_locked_account_cannot_sign_in_and_loses_its_sessions(app) {
    app.org("35.15", "DINKES", OrgKind::Opd).await;
    app.account("admin.sidoarjo", Some("35.15.DINKES"), &[(Role::Administrator, "35.15")]).await;
    let siti = app.account("siti", Some("35.15.DINKES"), &[]).await;
    let siti_client = app.signed_in("siti").await;
    assert_eq!(siti_client.get(app.url("/akun")).send().await.unwrap().status(), 200);
    let admin = app.signed_in("admin.sidoarjo").await;
    let page = format!("/admin/akun/{}", siti.0);
    let res = app.post_form(&admin, &page, &format!("{page}/status"), &[("status", "locked")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(siti_client.get(app.url("/akun")).send().await.unwrap().status(), 303, "the session died with the lock");
    let res = app.login(&app.client(), "siti", PASSWORD).await;
    assert_eq!(res.status(), 403);
    assert!(login_error(&res.text().await.unwrap()).contains("dikunci"));
});

app_test!(async fn signing_out_ends_the_session_for_good(app) {
    setup(&app).await;
    let client = app.client();
    let res = app.login(&client, "siti", PASSWORD).await;
    let session_cookie = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).find(|c| c.starts_with("rumah_session=")).unwrap();
    let value = session_cookie.split(';').next().unwrap().to_owned();
    let res = app.post_form(&client, "/akun", "/keluar", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(client.get(app.url("/akun")).send().await.unwrap().status(), 303);
    // Replaying the old cookie value does not bring the session back.
    let replay = app.client().get(app.url("/akun")).header("cookie", value).send().await.unwrap();
    assert_eq!(replay.status(), 303);
    assert_eq!(app.count("sessions").await, 0);
});

app_test!(async fn pages_that_need_an_account_send_visitors_to_the_login_page(app) {
    let res = app.client().get(app.url("/akun/token")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/masuk?next=%2Fakun%2Ftoken");
});

app_test!(async fn the_return_path_after_login_stays_on_this_site(app) {
    setup(&app).await;
    let client = app.client();
    let token = app.csrf_token(&client, "/masuk").await;
    let res = client
        .post(app.url("/masuk"))
        .form(&[("csrf_token", token.as_str()), ("login", "siti"), ("password", PASSWORD), ("next", "//evil.example/steal")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
});

app_test!(async fn changing_the_password_checks_the_old_one_and_signs_out_other_devices(app) {
    setup(&app).await;
    let laptop = app.signed_in("siti").await;
    let phone = app.signed_in("siti").await;
    let res = app.post_form(&laptop, "/akun/kata-sandi", "/akun/kata-sandi", &[("current", "salah"), ("new", "pendek")]).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert_eq!(text_of(&html, "#current-error").unwrap(), "Kata sandi saat ini salah.");
    assert!(text_of(&html, "#new-error").unwrap().contains("minimal 10 karakter"));
    assert!(html.contains(r#"id="new" name="new" type="password""#) && html.contains(r#"aria-invalid="true""#));
    let res = app.post_form(&laptop, "/akun/kata-sandi", "/akun/kata-sandi", &[("current", PASSWORD), ("new", "teh manis hangat sore")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(laptop.get(app.url("/akun")).send().await.unwrap().status(), 200, "this device stays signed in");
    assert_eq!(phone.get(app.url("/akun")).send().await.unwrap().status(), 303, "other devices are signed out");
    assert_eq!(app.login(&app.client(), "siti", "teh manis hangat sore").await.status(), 303);
    assert_eq!(app.login(&app.client(), "siti", PASSWORD).await.status(), 401);
});

app_test!(async fn sign_out_of_every_device(app) {
    setup(&app).await;
    let a = app.signed_in("siti").await;
    let b = app.signed_in("siti").await;
    let html = a.get(app.url("/akun/sesi")).send().await.unwrap().text().await.unwrap();
    assert_eq!(crate::support::count_of(&html, "tbody tr"), 2);
    let res = app.post_form(&a, "/akun/sesi", "/akun/sesi/keluar-semua", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(a.get(app.url("/akun")).send().await.unwrap().status(), 303);
    assert_eq!(b.get(app.url("/akun")).send().await.unwrap().status(), 303);
});
