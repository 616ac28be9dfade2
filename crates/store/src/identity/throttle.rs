//! Back-off after failed sign-ins, per login identifier and per client
//! address, kept in the database so every node enforces the same limits.
//!
//! Each failure increments a counter; failures older than `window` are
//! forgotten. From the `threshold`-th failure on, the key is locked for
//! `base_lock × 2^(failures − threshold)`, capped at `max_lock`. A success
//! clears the identifier's counter (never the address's: one good account
//! must not launder an address that is guessing others).

use std::time::Duration;

use rumah_domain::time::Timestamp;

use crate::{Exec, StoreError, q};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub threshold: i64,
    pub window: Duration,
    pub base_lock: Duration,
    pub max_lock: Duration,
}

impl ThrottlePolicy {
    fn lock_for(&self, failures: i64) -> Option<Duration> {
        let over = failures - self.threshold;
        if over < 0 {
            return None;
        }
        let factor = 1u32
            .checked_shl(u32::try_from(over.min(20)).unwrap_or(20))
            .unwrap_or(u32::MAX);
        Some(self.base_lock.saturating_mul(factor).min(self.max_lock))
    }
}

/// The latest `locked_until` among `keys` if it is in the future.
pub async fn locked_until(
    ex: &mut impl Exec,
    keys: &[&str],
    now: Timestamp,
) -> Result<Option<Timestamp>, StoreError> {
    let mut latest: Option<Timestamp> = None;
    for key in keys {
        let row: Option<(i64,)> = ex
            .fetch_optional(q!(
                "SELECT locked_until FROM login_throttle WHERE key = $1 AND locked_until > $2",
                *key,
                now
            ))
            .await?;
        if let Some((until,)) = row {
            latest = latest.max(Some(Timestamp(until)));
        }
    }
    Ok(latest)
}

/// Counts a failure for `key`; returns the lock end if it is now locked.
pub async fn record_failure(
    ex: &mut impl Exec,
    key: &str,
    now: Timestamp,
    policy: &ThrottlePolicy,
) -> Result<Option<Timestamp>, StoreError> {
    let (failures,): (i64,) = ex
        .fetch_one(q!(
            "INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES ($1, 1, $2, 0)
             ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN login_throttle.last_failure_at < $3 THEN 1 ELSE login_throttle.failures + 1 END,
                last_failure_at = $2
             RETURNING failures",
            key,
            now,
            now.minus(policy.window)
        ))
        .await?;
    let Some(lock) = policy.lock_for(failures) else {
        return Ok(None);
    };
    let until = now.plus(lock);
    ex.execute(q!(
        "UPDATE login_throttle SET locked_until = $1 WHERE key = $2 AND locked_until < $1",
        until,
        key
    ))
    .await?;
    Ok(Some(until))
}

pub async fn clear(ex: &mut impl Exec, key: &str) -> Result<(), StoreError> {
    ex.execute(q!("DELETE FROM login_throttle WHERE key = $1", key))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_doubles_from_the_threshold_and_is_capped() {
        let p = ThrottlePolicy {
            threshold: 5,
            window: Duration::from_secs(900),
            base_lock: Duration::from_secs(60),
            max_lock: Duration::from_secs(3600),
        };
        assert_eq!(p.lock_for(4), None);
        assert_eq!(p.lock_for(5), Some(Duration::from_secs(60)));
        assert_eq!(p.lock_for(6), Some(Duration::from_secs(120)));
        assert_eq!(p.lock_for(8), Some(Duration::from_secs(480)));
        assert_eq!(p.lock_for(12), Some(Duration::from_secs(3600)));
        assert_eq!(p.lock_for(10_000), Some(Duration::from_secs(3600)));
    }
}
