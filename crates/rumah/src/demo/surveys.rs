//! A demo custom survey: a needs survey of the provincial staff agency with
//! a question of every kind, one shown only after a "Ya", and sixty
//! plausible responses. Skipped when it exists.

use rumah_domain::authz::{Permission, Scope};
use rumah_domain::orgs::OrgCode;
use rumah_domain::surveys::custom::{Answer, Question, QuestionKind};
use rumah_store::Db;
use rumah_store::surveys::custom::{self as store, SurveySettings};

const SLUG: &str = "kebutuhan-pelatihan-2026";

fn question(
    kind: QuestionKind,
    prompt: &str,
    required: bool,
    options: &[&str],
    rows: &[&str],
) -> Question {
    Question {
        id: 0,
        kind,
        prompt: prompt.to_owned(),
        required,
        options: options.iter().map(|s| (*s).to_owned()).collect(),
        rows: rows.iter().map(|s| (*s).to_owned()).collect(),
        scale: 5,
        min: (kind == QuestionKind::Number).then_some(0.0),
        max: (kind == QuestionKind::Number).then_some(200.0),
        show_if: None,
    }
}

/// Creates the survey; returns the number of responses stored.
pub async fn load(db: &Db) -> anyhow::Result<usize> {
    let mut conn = db.clone();
    if store::by_slug(&mut conn, SLUG).await?.is_some() {
        return Ok(0);
    }
    let scope = Scope::system(Permission::ManageSurveys);
    let settings = SurveySettings {
        title: "Survei kebutuhan pelatihan ASN 2026",
        description: "Bantu BKD menyusun kalender ASN Belajar tahun depan. Anonim, lima menit.",
        token_only: false,
        opens_at: None,
        closes_at: None,
    };
    let survey = store::create(
        &mut conn,
        &scope,
        &OrgCode::parse("35.BKD")?,
        SLUG,
        &settings,
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo survey: {e}"))?;
    let mut tx = db.begin().await?;
    let mut ids = Vec::new();
    let designs = [
        question(
            QuestionKind::Single,
            "Apakah Anda pernah mengikuti pelatihan daring tahun ini?",
            true,
            &["Ya", "Tidak"],
            &[],
        ),
        question(
            QuestionKind::Short,
            "Platform apa yang paling sering Anda pakai?",
            true,
            &[],
            &[],
        ),
        question(
            QuestionKind::Multiple,
            "Topik yang Anda butuhkan",
            true,
            &[
                "Pelayanan publik",
                "Transformasi digital",
                "Keuangan daerah",
                "Kepemimpinan",
                "Inovasi",
            ],
            &[],
        ),
        question(
            QuestionKind::Likert,
            "Pelatihan yang saya ikuti berguna bagi tugas saya",
            true,
            &[],
            &[],
        ),
        question(
            QuestionKind::Number,
            "Berapa JP yang sudah Anda kumpulkan tahun ini?",
            false,
            &[],
            &[],
        ),
        question(
            QuestionKind::Matrix,
            "Nilai pelatihan terakhir Anda",
            false,
            &["Kurang", "Cukup", "Baik"],
            &["Materi", "Narasumber", "Waktu"],
        ),
        question(
            QuestionKind::Long,
            "Saran untuk ASN Belajar",
            false,
            &[],
            &[],
        ),
    ];
    for (i, mut q) in designs.into_iter().enumerate() {
        if i == 1 {
            q.show_if = Some((ids[0], 0));
        }
        ids.push(
            store::add_question(&mut tx, &survey, &q)
                .await
                .map_err(|e| anyhow::anyhow!("demo question: {e}"))?,
        );
    }
    tx.commit().await?;
    store::update_settings(&mut conn, &survey, &settings, true)
        .await
        .map_err(|e| anyhow::anyhow!("demo survey: {e}"))?;
    let platforms = ["Zoom", "YouTube", "LMS BPSDM Jatim", "Microsoft Teams"];
    let suggestions = [
        "Tambah kelas malam",
        "Sertifikat langsung terbit",
        "Materi bisa diunduh",
        "",
    ];
    let mut tx = db.begin().await?;
    for n in 0..60usize {
        let online = n % 3 != 0;
        let mut answers = vec![(ids[0], Answer::Choice(usize::from(!online)))];
        if online {
            answers.push((
                ids[1],
                Answer::Text(platforms[n % platforms.len()].to_owned()),
            ));
        }
        let mut topics = vec![n % 5];
        if n % 2 == 0 {
            topics.push((n + 2) % 5);
        }
        topics.sort_unstable();
        topics.dedup();
        answers.push((ids[2], Answer::Choices(topics)));
        answers.push((ids[3], Answer::Likert(u8::try_from(3 + n % 3).unwrap_or(3))));
        answers.push((ids[4], Answer::Number(((n * 7) % 40) as f64)));
        answers.push((
            ids[5],
            Answer::Matrix(vec![Some(n % 3), Some((n + 1) % 3), Some(2)]),
        ));
        if !suggestions[n % 4].is_empty() {
            answers.push((ids[6], Answer::Text(suggestions[n % 4].to_owned())));
        }
        store::submit(
            &mut tx,
            &survey,
            &format!("demo-survey-{n}"),
            &answers,
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(60)
}
