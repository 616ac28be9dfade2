//! The write path of SKM submissions: one transaction per batch.
//!
//! Handlers hand a validated [`Submission`] to [`Ingest::submit`] and wait
//! for its [`Outcome`]. Writer tasks take whatever has queued up (up to
//! [`MAX_BATCH`]) and store it in one transaction: the duplicate check on the
//! submission key, the rate limits, the response row, its suggestion or
//! complaint, and the unit's monthly tally. The answer goes back only after
//! the commit, so an acknowledged submission is durable (SQLite in WAL mode
//! with `synchronous=NORMAL` keeps every commit across a crash of the
//! process; PostgreSQL commits are durable by default). Batching is what
//! makes thousands of submissions a second possible on SQLite, whose writes
//! are serialised anyway: one commit serves many respondents.
//!
//! A batch that fails as a whole is retried one submission at a time, so one
//! bad row cannot sink the others.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rumah_domain::surveys::skm::{ELEMENT_COUNT, Score, Tally};
use rumah_domain::time::Timestamp;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::{Backend, Db, Exec, StoreError, Tx, q};

/// The most submissions stored in one transaction.
pub const MAX_BATCH: usize = 512;

/// A suggestion or complaint left with a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeedback {
    /// `saran` or `pengaduan`.
    pub kind: &'static str,
    pub body: String,
    pub publish_consent: bool,
}

/// A counter that must stay under `limit` per window (a keyed hash of the
/// client address or of the device cookie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateKey {
    pub key: String,
    pub limit: i64,
}

/// A validated questionnaire, ready to store.
#[derive(Debug, Clone)]
pub struct Submission {
    pub unit_id: i64,
    pub service_id: i64,
    /// The random key the form was rendered with.
    pub key: String,
    /// Month of submission in WIB, as YYYYMM.
    pub month: i64,
    pub at: Timestamp,
    pub service_date: Option<String>,
    pub age_band: Option<&'static str>,
    pub gender: Option<&'static str>,
    pub education: Option<&'static str>,
    pub occupation: Option<&'static str>,
    pub scores: [Score; ELEMENT_COUNT],
    pub feedback: Option<NewFeedback>,
    pub rate_keys: Vec<RateKey>,
}

/// What happened to a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    /// The same submission key was stored before: nothing new was written.
    Duplicate,
    /// A rate limit was reached: nothing was written.
    RateLimited,
}

type Job = (Submission, oneshot::Sender<Result<Outcome, StoreError>>);

/// Handle on the writer tasks. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Ingest {
    queue: mpsc::Sender<Job>,
}

/// Settings of the write path.
#[derive(Debug, Clone, Copy)]
pub struct IngestSettings {
    /// Length of a rate-limit window.
    pub rate_window: Duration,
    /// Writer tasks: one is right for SQLite (writes are serialised); a few
    /// let PostgreSQL commit batches in parallel.
    pub writers: usize,
}

impl IngestSettings {
    pub fn for_backend(backend: Backend) -> Self {
        Self {
            rate_window: Duration::from_secs(3600),
            writers: match backend {
                Backend::Sqlite => 1,
                Backend::Postgres => 4,
            },
        }
    }
}

impl Ingest {
    /// Starts the writer tasks on the current Tokio runtime. They end when
    /// every handle is dropped and the queue is drained.
    pub fn start(db: Db, settings: IngestSettings) -> Self {
        let (queue, rx) = mpsc::channel::<Job>(MAX_BATCH * 8);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..settings.writers.max(1) {
            let (db, rx) = (db.clone(), rx.clone());
            tokio::spawn(async move { writer(db, rx, settings).await });
        }
        Self { queue }
    }

    /// Stores `s` and answers once it is committed (or refused).
    pub async fn submit(&self, s: Submission) -> Result<Outcome, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.queue
            .send((s, tx))
            .await
            .map_err(|_| StoreError::Config("the SKM writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Config("the SKM writer dropped a submission".into()))?
    }
}

async fn writer(db: Db, rx: Arc<Mutex<mpsc::Receiver<Job>>>, settings: IngestSettings) {
    let mut last_sweep = Instant::now();
    loop {
        let mut batch: Vec<Job> = Vec::new();
        {
            let mut rx = rx.lock().await;
            match rx.recv().await {
                Some(job) => batch.push(job),
                None => return,
            }
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        let sweep = last_sweep.elapsed() > Duration::from_secs(60);
        if sweep {
            last_sweep = Instant::now();
        }
        let subs: Vec<&Submission> = batch.iter().map(|(s, _)| s).collect();
        match store_batch(&db, &subs, settings, sweep).await {
            Ok(outcomes) => {
                for ((_, reply), outcome) in batch.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(e) if batch.len() == 1 => {
                let (_, reply) = batch.pop().expect("one job");
                let _ = reply.send(Err(e));
            }
            Err(e) => {
                tracing::warn!(error.detail = %e, batch.size = batch.len(), "SKM batch failed; storing one at a time");
                for (s, reply) in batch {
                    let result = store_batch(&db, &[&s], settings, false)
                        .await
                        .map(|mut o| o.pop().unwrap_or(Outcome::Duplicate));
                    let _ = reply.send(result);
                }
            }
        }
    }
}

/// Stores a batch in one transaction; one outcome per submission, in order.
async fn store_batch(
    db: &Db,
    subs: &[&Submission],
    settings: IngestSettings,
    sweep: bool,
) -> Result<Vec<Outcome>, StoreError> {
    let window_ms = i64::try_from(settings.rate_window.as_millis())
        .unwrap_or(i64::MAX)
        .max(1);
    let mut tx = db.begin().await?;
    if sweep {
        let cutoff = Timestamp::now().0 - 2 * window_ms;
        tx.execute(q!("DELETE FROM skm_rate WHERE window_start < $1", cutoff))
            .await?;
    }
    // Hits per (key, window) as they stand in this transaction.
    let mut hits: HashMap<(String, i64), (i64, i64)> = HashMap::new(); // -> (stored, added)
    let mut tallies: HashMap<(i64, i64, i64), Tally> = HashMap::new();
    let mut outcomes = Vec::with_capacity(subs.len());
    for s in subs {
        let seen: Option<(i64,)> = tx
            .fetch_optional(q!(
                "SELECT id FROM skm_responses WHERE submission_key = $1",
                s.key.as_str()
            ))
            .await?;
        if seen.is_some() {
            outcomes.push(Outcome::Duplicate);
            continue;
        }
        let window = s.at.0 - s.at.0.rem_euclid(window_ms);
        if over_limit(&mut tx, &mut hits, &s.rate_keys, window).await? {
            outcomes.push(Outcome::RateLimited);
            continue;
        }
        if !insert_response(&mut tx, s).await? {
            outcomes.push(Outcome::Duplicate);
            continue;
        }
        for rk in &s.rate_keys {
            if let Some(h) = hits.get_mut(&(rk.key.clone(), window)) {
                h.1 += 1;
            }
        }
        tallies
            .entry((s.unit_id, s.service_id, s.month))
            .or_default()
            .add(&s.scores);
        outcomes.push(Outcome::Stored);
    }
    for ((key, window), (_, added)) in &hits {
        if *added > 0 {
            tx.execute(q!(
                "INSERT INTO skm_rate (key, window_start, hits) VALUES ($1, $2, $3)
                 ON CONFLICT (key, window_start) DO UPDATE SET hits = skm_rate.hits + excluded.hits",
                key.as_str(),
                *window,
                *added
            ))
            .await?;
        }
    }
    for ((unit, service, month), t) in &tallies {
        add_tally(&mut tx, *unit, *service, *month, t).await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// Whether one of `keys` has reached its limit in `window`. Loads each key's
/// stored count once per batch and adds what the batch has accepted so far.
/// On SQLite the count is exact (writes are serialised); on PostgreSQL two
/// nodes committing at the same instant may each let one more through.
async fn over_limit(
    tx: &mut Tx,
    hits: &mut HashMap<(String, i64), (i64, i64)>,
    keys: &[RateKey],
    window: i64,
) -> Result<bool, StoreError> {
    for rk in keys {
        let slot = (rk.key.clone(), window);
        if !hits.contains_key(&slot) {
            let stored: Option<(i64,)> = tx
                .fetch_optional(q!(
                    "SELECT hits FROM skm_rate WHERE key = $1 AND window_start = $2",
                    rk.key.as_str(),
                    window
                ))
                .await?;
            hits.insert(slot.clone(), (stored.map_or(0, |(h,)| h), 0));
        }
        let (stored, added) = hits[&slot];
        if stored + added >= rk.limit {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Inserts the response (and its feedback); false if the key was taken in
/// the meantime (another node stored the same submission).
async fn insert_response(tx: &mut Tx, s: &Submission) -> Result<bool, StoreError> {
    let [u1, u2, u3, u4, u5, u6, u7, u8, u9] = s.scores.map(|x| i64::from(x.get()));
    let row: Option<(i64,)> = tx
        .fetch_optional(q!(
            "INSERT INTO skm_responses (unit_id, service_id, submission_key, month, submitted_at,
                 service_date, age_band, gender, education, occupation,
                 u1, u2, u3, u4, u5, u6, u7, u8, u9)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
             ON CONFLICT (submission_key) DO NOTHING RETURNING id",
            s.unit_id,
            s.service_id,
            s.key.as_str(),
            s.month,
            s.at,
            s.service_date.clone(),
            s.age_band,
            s.gender,
            s.education,
            s.occupation,
            u1, u2, u3, u4, u5, u6, u7, u8, u9
        ))
        .await?;
    if row.is_none() {
        return Ok(false);
    }
    if let Some(f) = &s.feedback {
        tx.execute(q!(
            "INSERT INTO skm_feedback (unit_id, service_id, kind, body, publish_consent, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'baru', $6, $6)",
            s.unit_id,
            s.service_id,
            f.kind,
            f.body.as_str(),
            f.publish_consent,
            s.at
        ))
        .await?;
    }
    Ok(true)
}

/// Adds `t` to the stored tally of a unit, service and month.
pub(crate) async fn add_tally(
    ex: &mut impl Exec,
    unit: i64,
    service: i64,
    month: i64,
    t: &Tally,
) -> Result<(), StoreError> {
    let [s1, s2, s3, s4, s5, s6, s7, s8, s9] = t.sums;
    ex.execute(q!(
        "INSERT INTO skm_tallies (unit_id, service_id, month, respondents, s1, s2, s3, s4, s5, s6, s7, s8, s9)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (unit_id, service_id, month) DO UPDATE SET
             respondents = skm_tallies.respondents + excluded.respondents,
             s1 = skm_tallies.s1 + excluded.s1, s2 = skm_tallies.s2 + excluded.s2,
             s3 = skm_tallies.s3 + excluded.s3, s4 = skm_tallies.s4 + excluded.s4,
             s5 = skm_tallies.s5 + excluded.s5, s6 = skm_tallies.s6 + excluded.s6,
             s7 = skm_tallies.s7 + excluded.s7, s8 = skm_tallies.s8 + excluded.s8,
             s9 = skm_tallies.s9 + excluded.s9",
        unit,
        service,
        month,
        t.respondents,
        s1, s2, s3, s4, s5, s6, s7, s8, s9
    ))
    .await?;
    Ok(())
}

/// Stores submissions directly, in batches, without rate limits: for imports
/// and demo data. Goes through the same code as live submissions, so the
/// tallies stay in step. Returns how many were new.
pub async fn import(db: &Db, subs: &[Submission]) -> Result<usize, StoreError> {
    let settings = IngestSettings::for_backend(db.backend());
    let mut stored = 0;
    for chunk in subs.chunks(MAX_BATCH) {
        let refs: Vec<&Submission> = chunk.iter().collect();
        stored += store_batch(db, &refs, settings, false)
            .await?
            .into_iter()
            .filter(|o| *o == Outcome::Stored)
            .count();
    }
    Ok(stored)
}
