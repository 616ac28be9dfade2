//! Demo SKM: five service units in three regions with a year of plausible
//! responses (some units good, some poor), a few suggestions and complaints
//! in different states. Deterministic: the same data on every machine, and
//! a second run stores nothing new (submission keys repeat).

use rumah_domain::authz::{Permission, Scope};
use rumah_domain::orgs::OrgCode;
use rumah_domain::surveys::period::month_key;
use rumah_domain::surveys::skm::{AgeBand, ELEMENT_COUNT, Education, Gender, Occupation, Score};
use rumah_domain::time::Timestamp;
use rumah_store::surveys::feedback;
use rumah_store::surveys::ingest::{self, NewFeedback, Submission};
use rumah_store::surveys::units::{self, NewUnit};
use rumah_store::{Db, StoreError};

struct DemoUnit {
    org: &'static str,
    slug: &'static str,
    name: &'static str,
    /// Mean answer the unit earns (1–4).
    quality: f64,
    /// Per element, added to `quality` (e.g. free services score high on U4).
    bias: [f64; ELEMENT_COUNT],
    /// Responses per month.
    per_month: u32,
    services: &'static [(&'static str, i64)],
}

const UNITS: &[DemoUnit] = &[
    DemoUnit {
        org: "35.15.DINKES.PKM-SUKODONO",
        slug: "pkm-sukodono",
        name: "Puskesmas Sukodono",
        quality: 3.45,
        bias: [0.1, 0.0, -0.35, 0.45, 0.0, 0.1, 0.2, -0.2, 0.0],
        per_month: 90,
        services: &[
            ("Pemeriksaan umum", 14_000),
            ("Kesehatan ibu dan anak", 3_200),
            ("Imunisasi", 2_100),
        ],
    },
    DemoUnit {
        org: "35.15.DINKES.PKM-TAMAN",
        slug: "pkm-taman",
        name: "Puskesmas Taman",
        quality: 3.05,
        bias: [0.0, -0.1, -0.4, 0.4, 0.0, 0.1, 0.1, -0.3, -0.2],
        per_month: 60,
        services: &[("Pemeriksaan umum", 11_000), ("Laboratorium", 2_500)],
    },
    DemoUnit {
        org: "35.15.DISPENDUKCAPIL",
        slug: "dispendukcapil-sidoarjo",
        name: "Layanan Adminduk Dispendukcapil Sidoarjo",
        quality: 2.7,
        bias: [-0.1, -0.3, -0.5, 0.6, 0.0, 0.0, 0.1, -0.3, -0.1],
        per_month: 120,
        services: &[
            ("KTP elektronik", 40_000),
            ("Kartu Keluarga", 25_000),
            ("Akta kelahiran", 18_000),
        ],
    },
    DemoUnit {
        org: "35.78.DISPENDUKCAPIL.UPT-KLAMPIS",
        slug: "sentra-klampis",
        name: "Sentra Pelayanan Kependudukan Klampis",
        quality: 3.7,
        bias: [0.0, 0.1, 0.0, 0.3, 0.0, 0.1, 0.1, -0.1, 0.1],
        per_month: 100,
        services: &[("KTP elektronik", 22_000), ("Kartu Identitas Anak", 6_000)],
    },
    DemoUnit {
        org: "35.19.DINKES.PKM-DAGANGAN",
        slug: "pkm-dagangan",
        name: "Puskesmas Dagangan",
        quality: 2.35,
        bias: [0.0, -0.2, -0.4, 0.5, -0.1, 0.0, -0.1, -0.4, -0.3],
        per_month: 35,
        services: &[("Pemeriksaan umum", 6_000), ("Kesehatan gigi", 900)],
    },
];

/// (unit slug, kind, text, consent, final status, unit's answer)
type DemoFeedback = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static str,
    Option<&'static str>,
);

const FEEDBACK: &[DemoFeedback] = &[
    (
        "pkm-sukodono",
        "saran",
        "Ruang tunggu sebaiknya ditambah kipas angin, siang hari sangat panas.",
        true,
        "selesai",
        Some(
            "Terima kasih. Dua kipas angin dinding sudah dipasang di ruang tunggu sejak bulan lalu.",
        ),
    ),
    (
        "pkm-sukodono",
        "pengaduan",
        "Antrean pendaftaran pagi terlalu lama, lebih dari satu jam.",
        true,
        "ditanggapi",
        Some(
            "Mulai bulan ini pendaftaran dibuka pukul 07.00 dan tersedia antrean daring lewat WhatsApp.",
        ),
    ),
    (
        "pkm-sukodono",
        "saran",
        "Petugas ramah, pertahankan.",
        false,
        "baru",
        None,
    ),
    (
        "dispendukcapil-sidoarjo",
        "pengaduan",
        "Blangko KTP kosong, sudah tiga kali datang belum jadi.",
        true,
        "diproses",
        None,
    ),
    (
        "dispendukcapil-sidoarjo",
        "saran",
        "Mohon informasi persyaratan ditempel di depan loket.",
        true,
        "ditanggapi",
        Some("Papan informasi persyaratan sudah dipasang di setiap loket."),
    ),
    (
        "pkm-dagangan",
        "pengaduan",
        "Toilet pasien tidak ada air.",
        false,
        "baru",
        None,
    ),
    (
        "sentra-klampis",
        "saran",
        "Layanan cepat sekali, terima kasih.",
        true,
        "selesai",
        Some("Terima kasih atas apresiasinya."),
    ),
];

/// A small deterministic generator (xorshift), so demo data is the same on
/// every machine without a random-number dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Creates the demo units and their responses; returns the number of
/// responses stored (0 when everything existed).
pub async fn load(db: &Db) -> anyhow::Result<usize> {
    let scope = Scope::system(Permission::ManageSurveys);
    let (year, month) = current_month();
    let mut stored = 0;
    for (n, demo) in UNITS.iter().enumerate() {
        let mut conn = db.clone();
        let unit = match units::by_slug(&mut conn, demo.slug).await? {
            Some(u) => u,
            None => {
                let org = OrgCode::parse(demo.org)?;
                units::create(
                    &mut conn,
                    &scope,
                    NewUnit {
                        org: &org,
                        slug: demo.slug,
                        name: demo.name,
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("demo SKM unit {}: {e}", demo.slug))?
            }
        };
        let existing = units::services(&mut conn, unit.id).await?;
        let mut services = Vec::new();
        for (name, served) in demo.services {
            let service = match existing.iter().find(|s| s.name == *name) {
                Some(s) => s.clone(),
                None => units::add_service(&mut conn, &unit, name)
                    .await
                    .map_err(|e| anyhow::anyhow!("demo SKM service {name}: {e}"))?,
            };
            units::set_volume(&mut conn, &service, i64::from(year), *served).await?;
            services.push(service.id);
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (n as u64 + 1));
        let mut subs = Vec::new();
        for back in (0..12).rev() {
            let (y, m) = months_before(year, month, back);
            let count = demo.per_month * (85 + (rng.next() % 30) as u32) / 100;
            for i in 0..count {
                let scores = std::array::from_fn(|e| {
                    let x = demo.quality + demo.bias[e] + (rng.unit() - 0.5) * 1.6;
                    Score::new(x.round().clamp(1.0, 4.0) as u8).expect("clamped to 1..=4")
                });
                subs.push(Submission {
                    unit_id: unit.id,
                    service_id: rng.pick(&services),
                    key: format!("demo-{}-{y}{m:02}-{i}", demo.slug),
                    month: i64::from(month_key(y, m)),
                    at: month_start(y, m),
                    service_date: None,
                    age_band: Some(rng.pick(&AgeBand::ALL).code()),
                    gender: Some(rng.pick(&Gender::ALL).code()),
                    education: Some(rng.pick(&Education::ALL).code()),
                    occupation: Some(rng.pick(&Occupation::ALL).code()),
                    scores,
                    feedback: None,
                    rate_keys: Vec::new(),
                });
            }
        }
        let new = ingest::import(db, &subs).await?;
        if new > 0 {
            feedback_for(db, &unit, demo.slug, &services, year, month).await?;
        }
        stored += new;
    }
    Ok(stored)
}

async fn feedback_for(
    db: &Db,
    unit: &units::Unit,
    slug: &str,
    services: &[i64],
    year: i32,
    month: u8,
) -> Result<(), StoreError> {
    for (i, (_, kind, text, consent, _, _)) in FEEDBACK.iter().filter(|f| f.0 == slug).enumerate() {
        let sub = Submission {
            unit_id: unit.id,
            service_id: services[i % services.len()],
            key: format!("demo-{slug}-feedback-{i}"),
            month: i64::from(month_key(year, month)),
            at: Timestamp::now(),
            service_date: None,
            age_band: None,
            gender: None,
            education: None,
            occupation: None,
            scores: [Score::new(3).expect("3 is a score"); ELEMENT_COUNT],
            feedback: Some(NewFeedback {
                kind,
                body: (*text).to_owned(),
                publish_consent: *consent,
            }),
            rate_keys: Vec::new(),
        };
        ingest::import(db, &[sub]).await?;
    }
    let mut conn = db.clone();
    let tickets = feedback::for_unit(&mut conn, unit, None, 100).await?;
    for (_, _, text, _, status, answer) in FEEDBACK.iter().filter(|f| f.0 == slug) {
        if let Some(t) = tickets.iter().find(|t| t.body == *text) {
            feedback::update(&mut conn, unit, t.id, status, *answer, None).await?;
        }
    }
    Ok(())
}

fn current_month() -> (i32, u8) {
    let wib = time::UtcOffset::from_hms(7, 0, 0).expect("a valid offset");
    let now = time::OffsetDateTime::now_utc().to_offset(wib);
    (now.year(), u8::from(now.month()))
}

fn months_before(year: i32, month: u8, back: u32) -> (i32, u8) {
    let index = year * 12 + i32::from(month) - 1 - back as i32;
    (index.div_euclid(12), (index.rem_euclid(12) + 1) as u8)
}

fn month_start(year: i32, month: u8) -> Timestamp {
    let m = time::Month::try_from(month).expect("a month");
    let date = time::Date::from_calendar_date(year, m, 1).expect("a date");
    Timestamp(date.midnight().assume_utc().unix_timestamp() * 1000 + 3 * 3_600_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_before_cross_year_boundaries() {
        assert_eq!(months_before(2026, 3, 0), (2026, 3));
        assert_eq!(months_before(2026, 3, 2), (2026, 1));
        assert_eq!(months_before(2026, 3, 3), (2025, 12));
        assert_eq!(months_before(2026, 1, 13), (2024, 12));
    }
}
