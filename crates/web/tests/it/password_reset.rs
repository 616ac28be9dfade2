//! "Forgot password" by e-mail, against a real SMTP server: aiosmtpd
//! (Python, `tests/smtp_sink.py`) on 127.0.0.1, writing each received
//! message to a directory the test reads. Installed by
//! `scripts/install-test-deps`; without it the mail tests say SKIPPED and
//! return, unless `RUMAH_TEST_REQUIRE_OIDC_CLIENTS=1` (as in CI), where that
//! is a failure.
//!
//! Mail goes out from one background task, in order; so "no mail for that
//! request" is shown by a later request's mail arriving first.

use std::path::PathBuf;
use std::time::Duration;

use rumah_store::Backend;
use rumah_web::config::{SmtpConfig, SmtpTls};
use tokio::io::AsyncBufReadExt;

use crate::support::{PASSWORD, TestApp, app_test, csrf_from, text_of};

struct Sink {
    _child: tokio::process::Child,
    dir: tempfile::TempDir,
    port: u16,
}

#[derive(Debug, serde::Deserialize)]
struct Mail {
    rcpt_tos: Vec<String>,
    to: String,
    from: String,
    subject: String,
    content_type: String,
    body: String,
}

impl Mail {
    fn link(&self) -> String {
        let start = self.body.find("http://").expect("the mail has a link");
        self.body[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }
}

impl Sink {
    /// Starts aiosmtpd, or `None` (SKIPPED) when it is not installed.
    async fn start() -> Option<Sink> {
        let has = tokio::process::Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .status()
            .await
            .is_ok_and(|s| s.success());
        if !has {
            assert!(
                std::env::var("RUMAH_TEST_REQUIRE_OIDC_CLIENTS").as_deref() != Ok("1"),
                "RUMAH_TEST_REQUIRE_OIDC_CLIENTS=1 but aiosmtpd is not installed"
            );
            eprintln!("SKIPPED: python3 with aiosmtpd is not installed");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_sink.py");
        let mut child = tokio::process::Command::new("python3")
            .arg(script)
            .arg(dir.path())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the SMTP sink starts")
            .unwrap()
            .expect("the SMTP sink prints its port");
        let port = line.strip_prefix("PORT ").unwrap().parse().unwrap();
        Some(Sink {
            _child: child,
            dir,
            port,
        })
    }

    fn config(&self) -> SmtpConfig {
        SmtpConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            username: None,
            password: None,
            from: "Satu Akun <noreply@rumah.test>".into(),
            tls: SmtpTls::None,
        }
    }

    fn files(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        v.sort();
        v
    }

    /// Waits until `n` messages have arrived; returns all of them.
    async fn wait_for(&self, n: usize) -> Vec<Mail> {
        for _ in 0..600 {
            let files = self.files();
            if files.len() >= n {
                return files
                    .iter()
                    .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
                    .collect();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{n} mails did not arrive (got {})", self.files().len());
    }
}

async fn app_with_sink(backend: Backend, per_account: i64) -> Option<(TestApp, Sink)> {
    let sink = Sink::start().await?;
    let smtp = sink.config();
    let app = TestApp::spawn_with(backend, move |c| {
        c.smtp = Some(smtp);
        c.throttle_reset.threshold = per_account;
        c.throttle_reset_address.threshold = 8;
    })
    .await?;
    Some((app, sink))
}

async fn set_email(app: &TestApp, username: &str, email: &str) {
    let mut db = app.conn();
    rumah_store::Exec::execute(
        &mut db,
        rumah_store::Query::assembled("UPDATE accounts SET email = $1 WHERE username = $2".into())
            .bind(email.to_owned())
            .bind(username.to_owned()),
    )
    .await
    .unwrap();
}

async fn count_events(app: &TestApp, event: &str, detail: &str) -> i64 {
    let mut db = app.conn();
    let (n,): (i64,) = rumah_store::Exec::fetch_one(
        &mut db,
        rumah_store::Query::assembled(
            "SELECT COUNT(*) FROM audit_log WHERE event = $1 AND details LIKE $2".into(),
        )
        .bind(event.to_owned())
        .bind(format!("%{detail}%")),
    )
    .await
    .unwrap();
    n
}

/// Asks for a reset link for `login`; returns the response.
async fn request(app: &TestApp, client: &reqwest::Client, login: &str) -> reqwest::Response {
    app.post_form(
        client,
        "/masuk/lupa-sandi",
        "/masuk/lupa-sandi",
        &[("login", login)],
    )
    .await
}

/// Opens the link and posts the form on it.
async fn reset(
    client: &reqwest::Client,
    link: &str,
    new: &str,
    confirm: &str,
    lang: &str,
) -> reqwest::Response {
    let html = client.get(link).send().await.unwrap().text().await.unwrap();
    let token = csrf_from(&html).expect("the reset page has a form");
    client
        .post(link)
        .header("accept-language", lang)
        .form(&[
            ("csrf_token", token.as_str()),
            ("new", new),
            ("confirm", confirm),
        ])
        .send()
        .await
        .unwrap()
}

const NEW_PASSWORD: &str = "teh-manis-di-sore-hari";

app_test!(async fn a_mailed_link_sets_a_new_password_once_and_ends_every_session(unused) {
    let Some((app, sink)) = app_with_sink(unused.backend, 10).await else { return };
    drop(unused);
    app.account("siti", None, &[]).await;
    set_email(&app, "siti", "siti@dinkes.test").await;
    let elsewhere = app.signed_in("siti").await;
    assert_eq!(elsewhere.get(app.url("/akun")).send().await.unwrap().status(), 200);

    let client = app.client();
    let login_page = client.get(app.url("/masuk")).send().await.unwrap().text().await.unwrap();
    assert!(login_page.contains("href=\"/masuk/lupa-sandi\""), "the login page links to the form");

    // Unknown account and real account: the same answer; mail only for the real one.
    let unknown = request(&app, &client, "tidak-ada").await;
    assert_eq!(unknown.status(), 200);
    let unknown = text_of(&unknown.text().await.unwrap(), "#reset-sent").unwrap();
    let known = request(&app, &client, "siti").await;
    assert_eq!(known.status(), 200);
    let known = text_of(&known.text().await.unwrap(), "#reset-sent").unwrap();
    assert_eq!(unknown, known);
    let mails = sink.wait_for(1).await;
    assert_eq!(mails.len(), 1, "no mail for the unknown account: {mails:?}");
    let first = &mails[0];
    assert_eq!(first.rcpt_tos, ["siti@dinkes.test"]);
    assert!(first.to.contains("siti@dinkes.test"));
    assert!(first.from.contains("noreply@rumah.test"));
    assert_eq!(first.content_type, "text/plain");
    assert!(first.subject.contains("kata sandi"), "Indonesian by default: {}", first.subject);
    assert!(first.body.contains("30 menit"), "{}", first.body);
    let first_link = first.link();
    assert!(first_link.starts_with(&app.url("/masuk/atur-ulang-sandi/rumah_reset_")), "{first_link}");

    // A newer link (asked in English) replaces the older one.
    let second = app
        .post_form(&client, "/masuk/lupa-sandi", "/masuk/lupa-sandi", &[("login", "siti")])
        .await;
    assert_eq!(second.status(), 200);
    let en = client
        .post(app.url("/masuk/lupa-sandi"))
        .header("accept-language", "en")
        .form(&[
            ("csrf_token", app.csrf_token(&client, "/masuk/lupa-sandi").await.as_str()),
            ("login", "siti@DINKES.test"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(en.status(), 200);
    let mails = sink.wait_for(3).await;
    assert!(mails[2].subject.contains("Set a new"), "English mail: {}", mails[2].subject);
    assert!(mails[2].body.contains("30 minutes"));
    let link = mails[2].link();
    for old in [&first_link, &mails[1].link()] {
        let res = client.get(old).send().await.unwrap();
        assert_eq!(res.status(), 404, "an older link stops working");
        assert!(text_of(&res.text().await.unwrap(), "#reset-refused").is_some());
    }

    // CSRF on both forms.
    let no_csrf = client
        .post(app.url("/masuk/lupa-sandi"))
        .form(&[("login", "siti")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403);
    let no_csrf = client
        .post(&link)
        .form(&[("new", NEW_PASSWORD), ("confirm", NEW_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403);

    // Weak or mismatched: 422 in the user's language, nothing changes.
    let weak = reset(&client, &link, "pendek", "pendek", "id").await;
    assert_eq!(weak.status(), 422);
    assert!(weak.text().await.unwrap().contains("Kata sandi minimal 10 karakter"));
    let weak = reset(&client, &link, "siti-siti-siti-siti", "siti-siti-siti-siti", "en").await;
    assert_eq!(weak.status(), 422);
    assert!(weak.text().await.unwrap().contains("must not contain the username"));
    let mismatch = reset(&client, &link, NEW_PASSWORD, "teh-manis-di-pagi-hari", "en").await;
    assert_eq!(mismatch.status(), 422);
    assert!(mismatch.text().await.unwrap().contains("do not match"));
    let mismatch = reset(&client, &link, NEW_PASSWORD, "lain", "id").await;
    assert!(mismatch.text().await.unwrap().contains("tidak sama"));
    assert_eq!(app.login(&app.client(), "siti", PASSWORD).await.status(), 303, "unchanged so far");
    // Locked out by wrong passwords; the reset lifts that.
    for _ in 0..5 {
        assert_eq!(app.login(&app.client(), "siti", "salah-salah-salah").await.status(), 401);
    }
    assert_eq!(app.login(&app.client(), "siti", PASSWORD).await.status(), 429);

    // The reset: the old password fails, the new works, other sessions end.
    let done = reset(&client, &link, NEW_PASSWORD, NEW_PASSWORD, "id").await;
    assert_eq!(done.status(), 200);
    assert!(text_of(&done.text().await.unwrap(), "#reset-done").is_some());
    assert_ne!(elsewhere.get(app.url("/akun")).send().await.unwrap().status(), 200, "the other session ended");
    assert_eq!(app.login(&app.client(), "siti", PASSWORD).await.status(), 401);
    assert_eq!(app.login(&app.client(), "siti", NEW_PASSWORD).await.status(), 303);
    assert_eq!(count_events(&app, "password.reset_completed", "sessions_ended").await, 1);

    // Used: refused, in both the page and the form.
    let used = client.get(&link).send().await.unwrap();
    assert_eq!(used.status(), 410);
    assert!(used.text().await.unwrap().contains("sudah dipakai"));
    let again = client
        .post(&link)
        .form(&[
            ("csrf_token", app.csrf_token(&client, "/masuk/lupa-sandi").await.as_str()),
            ("new", "kalimat-lain-yang-panjang"),
            ("confirm", "kalimat-lain-yang-panjang"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 410);
    assert_eq!(app.login(&app.client(), "siti", NEW_PASSWORD).await.status(), 303);

    // Expired (the stored expiry moved into the past) and tampered.
    let fresh = app.post_form(&client, "/masuk/lupa-sandi", "/masuk/lupa-sandi", &[("login", "siti")]).await;
    assert_eq!(fresh.status(), 200);
    let link = sink.wait_for(4).await[3].link();
    assert_eq!(client.get(&link).send().await.unwrap().status(), 200);
    let mut tampered = link.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(client.get(&tampered).send().await.unwrap().status(), 404);
    rumah_store::Exec::execute(
        &mut app.conn(),
        rumah_store::Query::assembled("UPDATE password_resets SET expires_at = 1".into()),
    )
    .await
    .unwrap();
    let expired = client.get(&link).send().await.unwrap();
    assert_eq!(expired.status(), 410);
    assert!(expired.text().await.unwrap().contains("kedaluwarsa"));
    let expired = client
        .post(&link)
        .header("accept-language", "en")
        .form(&[
            ("csrf_token", app.csrf_token(&client, "/masuk/lupa-sandi").await.as_str()),
            ("new", "kalimat-lain-yang-panjang"),
            ("confirm", "kalimat-lain-yang-panjang"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 410);
    assert!(expired.text().await.unwrap().contains("has expired"));
    assert_eq!(app.login(&app.client(), "siti", NEW_PASSWORD).await.status(), 303, "nothing changed");
    assert!(count_events(&app, "password.reset_failed", "expired").await >= 1);
    assert!(count_events(&app, "password.reset_failed", "used").await >= 1);
    assert!(count_events(&app, "password.reset_requested", "unknown").await >= 1);
});

app_test!(async fn reset_requests_are_limited_per_account_and_per_address(unused) {
    let Some((app, sink)) = app_with_sink(unused.backend, 3).await else { return };
    drop(unused);
    for name in ["siti", "budi"] {
        app.account(name, None, &[]).await;
        set_email(&app, name, &format!("{name}@dinkes.test")).await;
    }
    let client = app.client();
    // Three links per account; the fourth request (by another identifier of
    // the same account) answers the same but sends nothing.
    for login in ["siti", "siti", "siti", "siti@dinkes.test"] {
        assert_eq!(request(&app, &client, login).await.status(), 200);
    }
    assert_eq!(request(&app, &client, "budi").await.status(), 200);
    let mails = sink.wait_for(4).await;
    assert_eq!(mails.len(), 4);
    assert_eq!(mails[3].rcpt_tos, ["budi@dinkes.test"], "the fourth siti request sent nothing");
    assert_eq!(count_events(&app, "password.reset_requested", "throttled").await, 1);
    // Per address: 8 requests, then 429 with Retry-After.
    for _ in 0..3 {
        assert_eq!(request(&app, &client, "tidak-ada").await.status(), 200);
    }
    let limited = request(&app, &client, "budi").await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    let html = limited.text().await.unwrap();
    assert!(text_of(&html, "#reset-error").is_some());
    assert!(text_of(&html, "#reset-sent").is_none());
});

app_test!(async fn without_a_mail_server_the_answer_is_the_same_and_audited(app) {
    app.account("siti", None, &[]).await;
    set_email(&app, "siti", "siti@dinkes.test").await;
    app.account("budi", None, &[]).await;
    let client = app.client();
    let known = request(&app, &client, "siti").await;
    assert_eq!(known.status(), 200);
    let known = text_of(&known.text().await.unwrap(), "#reset-sent").unwrap();
    let no_email = request(&app, &client, "budi").await;
    assert_eq!(text_of(&no_email.text().await.unwrap(), "#reset-sent").unwrap(), known);
    assert_eq!(app.count("password_resets").await, 0);
    assert_eq!(count_events(&app, "password.reset_failed", "no_mail_server").await, 1);
    assert_eq!(count_events(&app, "password.reset_requested", "no_email").await, 1);
    // An empty form is a 422, not the generic answer.
    assert_eq!(request(&app, &client, " ").await.status(), 422);
});

app_test!(async fn an_unreachable_mail_server_changes_nothing_for_the_user_and_is_audited(unused) {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let Some(app) = TestApp::spawn_with(unused.backend, move |c| {
        c.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            username: None,
            password: None,
            from: "noreply@rumah.test".into(),
            tls: SmtpTls::None,
        });
    })
    .await
    else {
        return;
    };
    drop(unused);
    app.account("siti", None, &[]).await;
    set_email(&app, "siti", "siti@dinkes.test").await;
    let client = app.client();
    let res = request(&app, &client, "siti").await;
    assert_eq!(res.status(), 200);
    assert!(text_of(&res.text().await.unwrap(), "#reset-sent").is_some());
    assert_eq!(count_events(&app, "password.reset_requested", "queued").await, 1);
    // The background sender gives up and says so in the audit log.
    let mut failed = 0;
    for _ in 0..600 {
        failed = count_events(&app, "password.reset_failed", "mail_failed").await;
        if failed > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(failed, 1, "the failed delivery is audited");
    assert_eq!(app.login(&app.client(), "siti", PASSWORD).await.status(), 303, "nothing changed");
});
