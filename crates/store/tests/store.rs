//! Storage behaviour, on SQLite and on PostgreSQL.

use std::time::Duration;

use rumah_domain::authz::{Grant, Permission, Principal, Role};
use rumah_domain::identity::{
    AccountId, AccountKind, AccountStatus, Email, LoginId, Nip, Username,
};
use rumah_domain::orgs::{OrgCode, OrgKind};
use rumah_domain::time::Timestamp;
use rumah_store::identity::{accounts, sessions, throttle, tokens};
use rumah_store::testkit::TestDb;
use rumah_store::{Exec, db_test, migrate, orgs, q};

/// One column of every type the storage layer binds.
type AllTypes = (
    Option<bool>,
    Option<i64>,
    Option<f64>,
    Option<String>,
    Option<Vec<u8>>,
);

fn code(s: &str) -> OrgCode {
    OrgCode::parse(s).unwrap()
}

fn admin_of(org: &str) -> Principal {
    Principal::new(
        AccountId(0),
        AccountKind::Asn,
        vec![Grant {
            role: Role::Administrator,
            org: code(org),
        }],
    )
}

async fn new_account(t: &TestDb, username: &str, org: Option<&str>) -> AccountId {
    let mut db = t.db.clone();
    let org_id = match org {
        Some(c) => Some(orgs::by_code(&mut db, &code(c)).await.unwrap().unwrap().id),
        None => None,
    };
    let username = Username::parse(username).unwrap();
    accounts::create(
        &mut db,
        &accounts::NewAccount {
            kind: AccountKind::Asn,
            username: &username,
            display_name: "Siti Aminah",
            email: None,
            email_verified: false,
            nip: None,
            org_id,
            position: None,
            password_hash: Some("$argon2id$placeholder"),
            status: AccountStatus::Active,
        },
    )
    .await
    .unwrap()
}

db_test!(
    async fn migrations_ship_the_province_and_its_38_regions(t: TestDb) {
        let mut db = t.db.clone();
        let regions = orgs::regions(&mut db).await.unwrap();
        assert_eq!(regions.len(), 39);
        assert_eq!(regions[0].code, "35");
        assert_eq!(regions[0].parent, None);
        let kabupaten: Vec<_> = regions.iter().filter(|r| r.kind == "kabupaten").collect();
        let kota: Vec<_> = regions.iter().filter(|r| r.kind == "kota").collect();
        assert_eq!(kabupaten.len(), 29);
        assert_eq!(kota.len(), 9);
        let expected_kab: Vec<String> = (1..=29).map(|n| format!("35.{n:02}")).collect();
        let expected_kota: Vec<String> = (71..=79).map(|n| format!("35.{n}")).collect();
        assert_eq!(
            kabupaten.iter().map(|r| r.code.clone()).collect::<Vec<_>>(),
            expected_kab
        );
        assert_eq!(
            kota.iter().map(|r| r.code.clone()).collect::<Vec<_>>(),
            expected_kota
        );
        assert!(
            regions
                .iter()
                .skip(1)
                .all(|r| r.parent.as_deref() == Some("35"))
        );
        let sidoarjo = regions.iter().find(|r| r.code == "35.15").unwrap();
        assert_eq!(sidoarjo.name, "Kabupaten Sidoarjo");
        let surabaya = regions.iter().find(|r| r.code == "35.78").unwrap();
        assert_eq!(surabaya.name, "Kota Surabaya");
        let bakorwil = orgs::bakorwil(&mut db).await.unwrap();
        assert_eq!(
            bakorwil.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(),
            [
                "Bakorwil I Madiun",
                "Bakorwil II Bojonegoro",
                "Bakorwil III Malang",
                "Bakorwil IV Pamekasan",
                "Bakorwil V Jember"
            ]
        );
    }
);

db_test!(
    async fn migrations_are_idempotent_and_safe_to_run_concurrently(t: TestDb) {
        let report = migrate::run(&t.db).await.unwrap();
        assert!(report.applied.is_empty());
        assert!(report.already_applied > 0);
        let (a, b) = tokio::join!(migrate::run(&t.db), migrate::run(&t.db));
        a.unwrap();
        b.unwrap();
        let mut db = t.db.clone();
        let (n,): (i64,) = db
            .fetch_one(q!("SELECT COUNT(*) FROM org_nodes"))
            .await
            .unwrap();
        assert_eq!(n, 39, "reference data must be inserted exactly once");
    }
);

db_test!(
    async fn an_edited_migration_is_refused(t: TestDb) {
        let mut db = t.db.clone();
        db.execute(q!(
            "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1"
        ))
        .await
        .unwrap();
        let err = migrate::run(&t.db).await.unwrap_err().to_string();
        assert!(err.contains("changed after it was applied"), "{err}");
    }
);

db_test!(
    async fn values_round_trip_on_both_backends(t: TestDb) {
        let mut db = t.db.clone();
        let blob = match t.backend {
            rumah_store::Backend::Sqlite => "BLOB",
            rumah_store::Backend::Postgres => "BYTEA",
        };
        db.execute(rumah_store::Query::assembled(format!(
            "CREATE TABLE rt (b BOOLEAN, i BIGINT, f DOUBLE PRECISION, s TEXT, y {blob})"
        )))
        .await
        .unwrap();
        db.execute(q!(
            "INSERT INTO rt VALUES ($1, $2, $3, $4, $5)",
            true,
            i64::MAX,
            0.1_f64,
            "Pelayanan publik ✓",
            vec![0_u8, 255]
        ))
        .await
        .unwrap();
        db.execute(q!(
            "INSERT INTO rt VALUES ($1, $2, $3, $4, $5)",
            None::<bool>,
            None::<i64>,
            None::<f64>,
            None::<String>,
            None::<Vec<u8>>
        ))
        .await
        .unwrap();
        let rows: Vec<AllTypes> = db
            .fetch_all(q!("SELECT b, i, f, s, y FROM rt ORDER BY i NULLS LAST"))
            .await
            .unwrap();
        assert_eq!(
            rows[0],
            (
                Some(true),
                Some(i64::MAX),
                Some(0.1),
                Some("Pelayanan publik ✓".to_owned()),
                Some(vec![0, 255])
            )
        );
        assert_eq!(rows[1], (None, None, None, None, None));
    }
);

db_test!(
    async fn org_creation_is_confined_to_the_scope(t: TestDb) {
        let mut db = t.db.clone();
        let sidoarjo = admin_of("35.15").scope(Permission::ManageOrgs).unwrap();
        let dinkes = orgs::create(
            &mut db,
            &sidoarjo,
            orgs::NewOrg {
                parent: &code("35.15"),
                segment: "dinkes",
                kind: OrgKind::Opd,
                name: "Dinas Kesehatan",
            },
        )
        .await
        .unwrap();
        assert_eq!(dinkes.code.as_str(), "35.15.DINKES");
        assert_eq!(dinkes.region_code, "35.15");
        let unit = orgs::create(
            &mut db,
            &sidoarjo,
            orgs::NewOrg {
                parent: &dinkes.code,
                segment: "pkm-sukodono",
                kind: OrgKind::Unit,
                name: "Puskesmas Sukodono",
            },
        )
        .await
        .unwrap();
        assert_eq!(unit.code.as_str(), "35.15.DINKES.PKM-SUKODONO");
        // Another region: looks like a missing parent.
        let err = orgs::create(
            &mut db,
            &sidoarjo,
            orgs::NewOrg {
                parent: &code("35.78"),
                segment: "dinkes",
                kind: OrgKind::Opd,
                name: "Dinas Kesehatan",
            },
        )
        .await;
        assert!(matches!(err, Err(orgs::CreateOrgError::ParentNotFound)));
        let err = orgs::create(
            &mut db,
            &sidoarjo,
            orgs::NewOrg {
                parent: &code("35.15"),
                segment: "DINKES",
                kind: OrgKind::Opd,
                name: "Lagi",
            },
        )
        .await;
        assert!(matches!(err, Err(orgs::CreateOrgError::CodeTaken)));
        let err = orgs::create(
            &mut db,
            &sidoarjo,
            orgs::NewOrg {
                parent: &code("35.15"),
                segment: "X",
                kind: OrgKind::Unit,
                name: "Unit",
            },
        )
        .await;
        assert!(matches!(
            err,
            Err(orgs::CreateOrgError::WrongParentKind { .. })
        ));
        assert!(
            orgs::rename(&mut db, &sidoarjo, &code("35.78"), "Kota Baru")
                .await
                .is_err()
        );
        let listed = orgs::list_in_scope(&mut db, &sidoarjo, None, 100)
            .await
            .unwrap();
        assert!(listed.iter().all(|o| code("35.15").contains(&o.code)));
        assert_eq!(listed.len(), 3);
    }
);

db_test!(
    async fn accounts_outside_the_scope_are_not_found(t: TestDb) {
        let mut db = t.db.clone();
        let province = admin_of("35").scope(Permission::ManageOrgs).unwrap();
        for (parent, seg) in [("35.15", "DINKES"), ("35.78", "DINKES")] {
            orgs::create(
                &mut db,
                &province,
                orgs::NewOrg {
                    parent: &code(parent),
                    segment: seg,
                    kind: OrgKind::Opd,
                    name: "Dinas Kesehatan",
                },
            )
            .await
            .unwrap();
        }
        let in_sidoarjo = new_account(&t, "siti", Some("35.15.DINKES")).await;
        let in_surabaya = new_account(&t, "budi", Some("35.78.DINKES")).await;
        let public = new_account(&t, "warga", None).await;
        let sidoarjo = admin_of("35.15").scope(Permission::ManageAccounts).unwrap();
        assert!(
            accounts::get_in_scope(&mut db, &sidoarjo, in_sidoarjo)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            accounts::get_in_scope(&mut db, &sidoarjo, in_surabaya)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            accounts::get_in_scope(&mut db, &sidoarjo, public)
                .await
                .unwrap()
                .is_none()
        );
        let listed = accounts::list_in_scope(&mut db, &sidoarjo, None, 50, 0)
            .await
            .unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|a| a.username.as_str())
                .collect::<Vec<_>>(),
            ["siti"]
        );
        let province = admin_of("35").scope(Permission::ManageAccounts).unwrap();
        assert_eq!(
            accounts::list_in_scope(&mut db, &province, None, 50, 0)
                .await
                .unwrap()
                .len(),
            3
        );
        // Granting or locking across the border fails like a missing account.
        let grant = accounts::add_grant(
            &mut db,
            &sidoarjo,
            in_surabaya,
            Role::Curator,
            &code("35.15"),
            None,
        )
        .await;
        assert!(matches!(grant, Err(accounts::AdminError::NotFound)));
        let grant = accounts::add_grant(
            &mut db,
            &sidoarjo,
            in_sidoarjo,
            Role::Curator,
            &code("35.78"),
            None,
        )
        .await;
        assert!(matches!(grant, Err(accounts::AdminError::NotFound)));
        assert!(matches!(
            accounts::set_status(&mut db, &sidoarjo, in_surabaya, AccountStatus::Locked).await,
            Err(accounts::AdminError::NotFound)
        ));
        // A province-level role held by someone at home in Sidoarjo puts them out of the region admin's reach.
        accounts::add_grant(
            &mut db,
            &province,
            in_sidoarjo,
            Role::Administrator,
            &code("35"),
            None,
        )
        .await
        .unwrap();
        assert!(matches!(
            accounts::set_status(&mut db, &sidoarjo, in_sidoarjo, AccountStatus::Locked).await,
            Err(accounts::AdminError::Outranked)
        ));
    }
);

fn new_asn<'a>(
    username: &'a Username,
    email: Option<&'a Email>,
    nip: Option<&'a Nip>,
) -> accounts::NewAccount<'a> {
    accounts::NewAccount {
        kind: AccountKind::Asn,
        username,
        display_name: "Siti",
        email,
        email_verified: false,
        nip,
        org_id: None,
        position: None,
        password_hash: None,
        status: AccountStatus::Active,
    }
}

db_test!(
    async fn unique_identifiers_are_reported_by_field(t: TestDb) {
        use accounts::CreateAccountError as E;
        let mut db = t.db.clone();
        let nip = Nip::parse("198609262015051001").unwrap();
        let email = Email::parse("siti@jatimprov.go.id").unwrap();
        let shouted = Email::parse("SITI@jatimprov.go.id").unwrap();
        let u = |s: &str| Username::parse(s).unwrap();
        let (siti, siti2, siti3) = (u("siti"), u("siti2"), u("siti3"));
        accounts::create(&mut db, &new_asn(&siti, Some(&email), Some(&nip)))
            .await
            .unwrap();
        assert!(matches!(
            accounts::create(&mut db, &new_asn(&siti, None, None)).await,
            Err(E::UsernameTaken)
        ));
        assert!(matches!(
            accounts::create(&mut db, &new_asn(&siti2, None, Some(&nip))).await,
            Err(E::NipTaken)
        ));
        assert!(matches!(
            accounts::create(&mut db, &new_asn(&siti3, Some(&shouted), None)).await,
            Err(E::EmailTaken)
        ));
        let found = accounts::find_credentials(
            &mut db,
            &LoginId::Email(Email::parse("Siti@JATIMPROV.go.id").unwrap()),
        )
        .await
        .unwrap();
        assert_eq!(found.unwrap().username, "siti");
        let found = accounts::find_credentials(&mut db, &LoginId::Nip(nip.clone()))
            .await
            .unwrap();
        assert_eq!(found.unwrap().username, "siti");
    }
);

db_test!(
    async fn sessions_expire_when_idle_and_die_with_a_locked_account(t: TestDb) {
        let mut db = t.db.clone();
        let account = new_account(&t, "siti", None).await;
        let now = Timestamp::now();
        let token = sessions::create(
            &mut db,
            &sessions::NewSession {
                account,
                expires_at: now.plus(Duration::from_secs(3600)),
                auth_time: now,
                amr: "pwd",
                acr: None,
                ip: Some("127.0.0.1"),
                user_agent: Some("test"),
            },
        )
        .await
        .unwrap();
        let idle = Duration::from_secs(600);
        let s = sessions::lookup(&mut db, &token, now, idle)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.account, account);
        assert!(
            sessions::lookup(&mut db, "not-a-token", now, idle)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            sessions::lookup(&mut db, &token, now.plus(Duration::from_secs(601)), idle)
                .await
                .unwrap()
                .is_none(),
            "idle timeout"
        );
        assert!(
            sessions::lookup(
                &mut db,
                &token,
                now.plus(Duration::from_secs(3601)),
                Duration::from_secs(7200)
            )
            .await
            .unwrap()
            .is_none(),
            "absolute expiry"
        );
        let province = admin_of("35").scope(Permission::ManageAccounts).unwrap();
        accounts::set_status(&mut db, &province, account, AccountStatus::Locked)
            .await
            .unwrap();
        assert!(
            sessions::lookup(&mut db, &token, now, idle)
                .await
                .unwrap()
                .is_none(),
            "locked accounts have no sessions"
        );
        // The stored value is a hash, not the cookie.
        let (stored,): (String,) = db
            .fetch_one(q!("SELECT token_hash FROM sessions"))
            .await
            .unwrap();
        assert_ne!(stored, token);
    }
);

db_test!(
    async fn personal_access_tokens_authenticate_until_revoked_or_expired(t: TestDb) {
        use rumah_domain::authz::ApiScope;
        let mut db = t.db.clone();
        let account = new_account(&t, "siti", None).await;
        let (id, token) =
            tokens::create(&mut db, account, "skrip laporan", &[ApiScope::Read], None)
                .await
                .unwrap();
        let now = Timestamp::now();
        let owner = tokens::authenticate(&mut db, &token, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(owner.account, account);
        assert_eq!(owner.scopes, vec![ApiScope::Read]);
        assert!(
            tokens::authenticate(&mut db, "rumah_pat_wrong", now)
                .await
                .unwrap()
                .is_none()
        );
        let other = new_account(&t, "budi", None).await;
        assert_eq!(
            tokens::revoke(&mut db, other, id).await.unwrap(),
            None,
            "only the owner revokes"
        );
        assert_eq!(
            tokens::revoke(&mut db, account, id)
                .await
                .unwrap()
                .as_deref(),
            Some("skrip laporan")
        );
        assert!(
            tokens::authenticate(&mut db, &token, now)
                .await
                .unwrap()
                .is_none()
        );
        let (_, expiring) = tokens::create(
            &mut db,
            account,
            "sementara",
            &[ApiScope::Read],
            Some(now.plus(Duration::from_secs(60))),
        )
        .await
        .unwrap();
        assert!(
            tokens::authenticate(&mut db, &expiring, now)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            tokens::authenticate(&mut db, &expiring, now.plus(Duration::from_secs(61)))
                .await
                .unwrap()
                .is_none()
        );
    }
);

db_test!(
    async fn concurrent_failures_are_all_counted(t: TestDb) {
        let policy = throttle::ThrottlePolicy {
            threshold: 10,
            window: Duration::from_secs(900),
            base_lock: Duration::from_secs(60),
            max_lock: Duration::from_secs(3600),
        };
        let now = Timestamp::now();
        let mut handles = Vec::new();
        for _ in 0..20 {
            let mut db = t.db.clone();
            handles.push(tokio::spawn(async move {
                throttle::record_failure(&mut db, "login:u:siti", now, &policy)
                    .await
                    .unwrap()
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        let mut db = t.db.clone();
        let (failures,): (i64,) = db
            .fetch_one(q!(
                "SELECT failures FROM login_throttle WHERE key = 'login:u:siti'"
            ))
            .await
            .unwrap();
        assert_eq!(failures, 20);
        let until = throttle::locked_until(&mut db, &["login:u:siti", "ip:1.2.3.4"], now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            until,
            now.plus(Duration::from_secs(60 * 1024))
                .min(now.plus(Duration::from_secs(3600)))
        );
        throttle::clear(&mut db, "login:u:siti").await.unwrap();
        assert!(
            throttle::locked_until(&mut db, &["login:u:siti"], now)
                .await
                .unwrap()
                .is_none()
        );
        // Old failures are forgotten.
        throttle::record_failure(&mut db, "login:u:budi", now, &policy)
            .await
            .unwrap();
        throttle::record_failure(
            &mut db,
            "login:u:budi",
            now.plus(Duration::from_secs(901)),
            &policy,
        )
        .await
        .unwrap();
        let (failures,): (i64,) = db
            .fetch_one(q!(
                "SELECT failures FROM login_throttle WHERE key = 'login:u:budi'"
            ))
            .await
            .unwrap();
        assert_eq!(failures, 1);
    }
);

db_test!(
    async fn server_secrets_are_created_once(t: TestDb) {
        let mut a = t.db.clone();
        let mut b = t.db.clone();
        let (x, y) = tokio::join!(
            rumah_store::server_secrets::get_or_create(&mut a, "k"),
            rumah_store::server_secrets::get_or_create(&mut b, "k")
        );
        assert_eq!(x.unwrap(), y.unwrap());
    }
);

mod skm {
    use rumah_domain::surveys::skm::{ELEMENT_COUNT, Score, Tally};
    use rumah_store::surveys::ingest::{
        self, Ingest, IngestSettings, Outcome, RateKey, Submission,
    };
    use rumah_store::surveys::tallies;
    use rumah_store::surveys::units::{self, NewUnit};

    use super::*;

    fn submission(unit: i64, service: i64, key: &str, score: u8, rate: Vec<RateKey>) -> Submission {
        Submission {
            unit_id: unit,
            service_id: service,
            key: key.to_owned(),
            month: 202611,
            at: Timestamp::now(),
            service_date: None,
            age_band: None,
            gender: None,
            education: None,
            occupation: None,
            scores: [Score::new(score).unwrap(); ELEMENT_COUNT],
            feedback: None,
            rate_keys: rate,
        }
    }

    async fn unit(t: &TestDb) -> (i64, i64) {
        let mut db = t.db.clone();
        let scope = rumah_domain::authz::Scope::system(Permission::ManageSurveys);
        let u = units::create(
            &mut db,
            &scope,
            NewUnit {
                org: &code("35.15"),
                slug: "unit-uji",
                name: "Unit uji",
            },
        )
        .await
        .unwrap();
        let s = units::add_service(&mut db, &u, "Layanan").await.unwrap();
        (u.id, s.id)
    }

    db_test!(
        async fn the_batched_writer_stores_each_key_once_and_keeps_tallies_in_step(t: TestDb) {
            let (u, s) = unit(&t).await;
            let ingest = Ingest::start(t.db.clone(), IngestSettings::for_backend(t.db.backend()));
            let mut tasks = Vec::new();
            for i in 0..200u32 {
                let ingest = ingest.clone();
                // Keys 0, 10, 20, … are sent twice at once (as a double tap).
                let key = format!("k{}", if i % 10 == 1 { i - 1 } else { i });
                tasks.push(tokio::spawn(async move {
                    ingest
                        .submit(submission(u, s, &key, 1 + (i % 4) as u8, Vec::new()))
                        .await
                        .unwrap()
                }));
            }
            let mut stored = 0;
            for task in tasks {
                if task.await.unwrap() == Outcome::Stored {
                    stored += 1;
                }
            }
            assert_eq!(stored, 180, "200 submissions, 20 of them repeats");
            let mut db = t.db.clone();
            let (rows,): (i64,) = db
                .fetch_one(q!("SELECT COUNT(*) FROM skm_responses"))
                .await
                .unwrap();
            assert_eq!(rows, stored);
            let live = tallies::by_service(&mut db, u, 202601, 202612)
                .await
                .unwrap();
            assert_eq!(live.len(), 1);
            assert_eq!(live[0].1.respondents, stored);
            // Derived data: rebuilt from the raw answers, it is the same.
            db.execute(q!("DELETE FROM skm_tallies")).await.unwrap();
            assert!(
                tallies::by_service(&mut db, u, 202601, 202612)
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(tallies::rebuild(&mut db).await.unwrap(), 1);
            assert_eq!(
                tallies::by_service(&mut db, u, 202601, 202612)
                    .await
                    .unwrap(),
                live
            );
        }
    );

    db_test!(
        async fn rate_limits_count_per_key_and_refuse_without_storing(t: TestDb) {
            let (u, s) = unit(&t).await;
            let limit = |k: &str| {
                vec![RateKey {
                    key: k.to_owned(),
                    limit: 3,
                }]
            };
            let mut outcomes = Vec::new();
            let batch: Vec<Submission> = (0..5)
                .map(|i| submission(u, s, &format!("r{i}"), 4, limit("dev:a")))
                .collect();
            let ingest = Ingest::start(t.db.clone(), IngestSettings::for_backend(t.db.backend()));
            for sub in batch {
                outcomes.push(ingest.submit(sub).await.unwrap());
            }
            assert_eq!(
                outcomes.iter().filter(|o| **o == Outcome::Stored).count(),
                3
            );
            assert_eq!(
                outcomes
                    .iter()
                    .filter(|o| **o == Outcome::RateLimited)
                    .count(),
                2
            );
            // Another device is counted apart; an import has no limits.
            assert_eq!(
                ingest
                    .submit(submission(u, s, "r9", 4, limit("dev:b")))
                    .await
                    .unwrap(),
                Outcome::Stored
            );
            assert_eq!(
                ingest::import(&t.db, &[submission(u, s, "imp", 2, Vec::new())])
                    .await
                    .unwrap(),
                1
            );
            assert_eq!(
                ingest::import(&t.db, &[submission(u, s, "imp", 2, Vec::new())])
                    .await
                    .unwrap(),
                0,
                "imports are idempotent"
            );
            let mut db = t.db.clone();
            let t5 = tallies::by_service(&mut db, u, 202611, 202611)
                .await
                .unwrap();
            assert_eq!(
                t5[0].1,
                Tally {
                    respondents: 5,
                    sums: [4 * 4 + 2; ELEMENT_COUNT]
                }
            );
        }
    );
}
