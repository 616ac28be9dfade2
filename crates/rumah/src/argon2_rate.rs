//! `rumah admin argon2-rate`: how many password checks per second this
//! machine does with the configured Argon2id cost, on every core it may
//! use. The sign-in endpoint cannot go faster than this, so it sizes login
//! capacity (and the Satu Akun benchmark compares the endpoint with it).

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rumah_web::auth::password::{PasswordHasher, Verification};

use crate::config::Settings;

pub async fn run(settings: &Settings, seconds: f64) -> anyhow::Result<ExitCode> {
    let params = settings.argon2();
    let hasher = PasswordHasher::new(params)?;
    let password = "rumah argon2-rate";
    let stored = Arc::new(hasher.hash(password).await);
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(seconds.max(0.1));
    // As many checks in flight as the hasher runs at once (one per core),
    // through the same code the sign-in form uses.
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (hasher, stored, done) = (hasher.clone(), stored.clone(), done.clone());
            tokio::spawn(async move {
                while Instant::now() < end {
                    let v = hasher.verify(password, Some(&stored)).await;
                    assert!(matches!(v, Verification::Valid { .. }));
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for w in workers {
        w.await?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    println!(
        "{:.1} hashes/s (Argon2id m={} KiB, t={}, p={}; {n} checks on {threads} thread(s) in {elapsed:.1} s)",
        n as f64 / elapsed,
        params.memory_kib,
        params.iterations,
        params.parallelism,
    );
    Ok(ExitCode::SUCCESS)
}
