//! Retrying a revision after a transient serialization failure (`Options::retry`).
//!
//! Under `SERIALIZABLE` (CockroachDB's only isolation level, YugabyteDB's and TiDB's
//! optimistic modes, PostgreSQL databases whose `default_transaction_isolation` is
//! `serializable`, a busy MySQL/Galera cluster) the server may abort a transaction that
//! conflicted with another one and ask the client to run it again: SQLSTATE `40001`
//! (`serialization_failure`; MySQL error 1213 `ER_LOCK_DEADLOCK` carries the same SQLSTATE)
//! or PostgreSQL's `40P01` (`deadlock_detected`). The server has rolled the whole
//! transaction back, so running it again from `BEGIN` is what the engines' documentation
//! asks of clients.
//!
//! The runner retries a revision only where that whole transaction held the whole revision
//! and its version-table row, so nothing of it can have stayed:
//! - the revision ran in its own transaction on a backend with transactional DDL
//!   (PostgreSQL, SQLite: `transactional = true`, `--transaction-mode per-revision`), or
//! - it ran outside one (MySQL DDL, `transactional = false`) but its first call failed
//!   atomically, so the runner took its `pending` marker back ([`crate::Error::RevisionFailed`]
//!   with `rolled_back: true`).
//!
//! Never when a MySQL revision may have partly applied (a DDL statement committed before
//! the failure), and never inside `--transaction-mode all`'s run-wide transaction (the
//! revisions before it were rolled back too; the error says which). Each retry is a
//! `tracing` event (`WARN`, target `migrate_core::retry`, with the revision, the attempt, the
//! SQLSTATE and the delay) and a [`crate::runner::Event::Warning`].

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use crate::Error;

/// How often and how patiently a revision whose transaction hit a transient serialization
/// failure is run again ([`crate::runner::Options::retry`]).
///
/// The delay before retry `n` (1-based) is drawn uniformly from `[cap/2, cap]` where `cap =
/// min(max_backoff, initial_backoff × 2^(n-1))` (exponential backoff with jitter, so two
/// runners that conflicted do not retry in lockstep).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a revision runs at most, the first run included (1: never retried).
    pub max_attempts: u32,
    /// The delay cap before the first retry.
    pub initial_backoff: Duration,
    /// The largest delay cap.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts; delays capped at 50 ms, 100 ms, 200 ms, 400 ms (at most 2 s).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub const NEVER: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        initial_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
    };

    /// The delay cap before retry `retry` (1 = the first retry): `initial_backoff × 2^(retry-1)`,
    /// at most `max_backoff`.
    pub fn cap(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// The delay before retry `retry` (1-based): uniform in `[cap/2, cap]` ([`Self::cap`]).
    pub fn backoff(&self, retry: u32) -> Duration {
        let cap = self.cap(retry);
        let half = cap / 2;
        let span = (cap - half).as_nanos() as u64;
        if span == 0 {
            return cap;
        }
        // a randomly keyed hasher (std seeds each RandomState from the OS) mixed with the time
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        half + Duration::from_nanos(h.finish() % (span + 1))
    }
}

/// The SQLSTATE (or MySQL error number) of a transient serialization failure anywhere in
/// `e`'s chain of sources: `40001` (serialization failure; MySQL 1213 deadlock carries it
/// too), `40P01` (PostgreSQL deadlock), `1213` (MySQL deadlock, where the driver gives the
/// number). `None` for every other error. Whether retrying is safe is the runner's to decide
/// (module docs): this says only that the server asked for it.
pub fn transient_code(e: &Error) -> Option<String> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        if let Some(sqlx::Error::Database(d)) = err.downcast_ref::<sqlx::Error>() {
            #[cfg(feature = "mysql")]
            if let Some(m) = d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                && m.number() == 1213
            {
                return Some("1213".to_owned());
            }
            return d
                .code()
                .filter(|c| matches!(c.as_ref(), "40001" | "40P01" | "1213"))
                .map(|c| c.into_owned());
        }
        next = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_with_jitter() {
        let p = RetryPolicy::default();
        assert_eq!(p.cap(1), Duration::from_millis(50));
        assert_eq!(p.cap(2), Duration::from_millis(100));
        assert_eq!(p.cap(4), Duration::from_millis(400));
        assert_eq!(p.cap(7), Duration::from_secs(2));
        assert_eq!(p.cap(100), Duration::from_secs(2));
        for retry in 1..10 {
            let d = p.backoff(retry);
            assert!(d >= p.cap(retry) / 2 && d <= p.cap(retry), "{retry}: {d:?}");
        }
        assert_eq!(RetryPolicy::NEVER.backoff(1), Duration::ZERO);
    }

    #[test]
    fn other_errors_are_not_transient() {
        let e = Error::Config {
            origin: "x".into(),
            reason: "y".into(),
        };
        assert_eq!(transient_code(&e), None);
    }
}
