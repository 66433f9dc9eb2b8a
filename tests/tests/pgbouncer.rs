//! Behind PgBouncer in transaction mode (`pool_mode=transaction`): what a transaction-pooling
//! proxy does to the migration lock. PgBouncer hands each transaction (each statement outside
//! one) to whichever server session is free, so session state does not follow the client:
//! a session advisory lock stays behind on a server session other clients then use, and a
//! statement prepared on one session is missing on (or already present on) the next.
//!
//! The proxy is started by `.ci/pgbouncer start` (Debian's `pgbouncer` package) in front of
//! the local PostgreSQL; its URL comes from `MIGRATE_TEST_PGBOUNCER_URL` (default
//! `postgres://postgres@127.0.0.1:6432/postgres`, the database part replaced per test). An
//! unreachable PgBouncer FAILS these tests, naming the script that starts it.

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Command, Stdio};

use migrate_core::Backend;
use migrate_tests::TestDb;
use sqlx::Connection;

/// The runner binary: cargo's, unless `MIGRATE_TEST_RELIABILITY_RUNNER` names another build
/// of it (where several worktrees share one target directory, `target/debug/` holds whichever
/// was linked last).
fn runner_bin() -> String {
    std::env::var("MIGRATE_TEST_RELIABILITY_RUNNER")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_reliability-runner").to_owned())
}

/// The database of `db` reached through PgBouncer.
async fn through_pgbouncer(db: &TestDb) -> String {
    let base = std::env::var("MIGRATE_TEST_PGBOUNCER_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:6432/postgres".to_owned());
    let direct = url::Url::parse(&db.url).unwrap();
    let mut url = url::Url::parse(&base).expect("MIGRATE_TEST_PGBOUNCER_URL parses");
    url.set_path(direct.path());
    let url = url.to_string();
    if let Err(e) = sqlx::PgConnection::connect(&url).await {
        panic!(
            "PgBouncer is unreachable at {url}: {e}; start it with `.ci/pgbouncer start` \
             (apt-get install -y pgbouncer) or point MIGRATE_TEST_PGBOUNCER_URL at one in \
             pool_mode=transaction"
        );
    }
    url
}

struct Out {
    ok: bool,
    stderr: String,
}

/// Runs `n` runners of the `storm` fixture at once with `args`; their outcomes.
fn runners(n: usize, url: &str, args: &[&str]) -> Vec<Out> {
    let children: Vec<_> = (0..n)
        .map(|_| {
            Command::new(runner_bin())
                .env("MIGRATE_FIXTURE", "storm")
                .env_remove("DATABASE_URL")
                .arg("--database-url")
                .arg(url)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the runner binary starts")
        })
        .collect();
    children
        .into_iter()
        .map(|mut c| {
            let mut stderr = String::new();
            c.stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            Out {
                ok: c.wait().unwrap().success(),
                stderr,
            }
        })
        .collect()
}

/// `revision -> how many times apply_log says it ran`.
async fn applied(db: &TestDb) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in db.query_strings("SELECT revision FROM apply_log").await {
        *m.entry(r).or_default() += 1;
    }
    m
}

fn storm_ids() -> Vec<String> {
    (1..=10).map(|i| format!("st{i:02}")).collect()
}

// Eight concurrent `upgrade head` runs through PgBouncer with the lock table: every one
// succeeds and every revision runs exactly once. Three rounds, each on a fresh database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_runners_through_pgbouncer_with_the_lock_table_apply_each_revision_once() {
    for round in 0..3 {
        let db = TestDb::new(Backend::Postgres).await;
        let url = through_pgbouncer(&db).await;
        let outs = tokio::task::block_in_place(|| {
            runners(8, &url, &["--lock", "table", "upgrade", "head"])
        });
        for (i, o) in outs.iter().enumerate() {
            assert!(o.ok, "round {round}: runner {i} failed: {}", o.stderr);
        }
        let ran = applied(&db).await;
        assert_eq!(ran.keys().cloned().collect::<Vec<_>>(), storm_ids());
        assert!(ran.values().all(|&n| n == 1), "round {round}: {ran:?}");
        let upgraded: usize = outs
            .iter()
            .map(|o| o.stderr.matches("Upgrading ").count())
            .sum();
        assert_eq!(upgraded, 10, "each revision reported once");
        assert_eq!(
            db.query_strings("SELECT holder FROM migrate_version_lock")
                .await,
            [""],
            "the lease is released"
        );
        db.drop_db().await;
    }
}

// `--lock auto` picks the lock table through PgBouncer and the advisory lock on a direct
// connection, and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_auto_picks_the_table_through_pgbouncer_and_advisory_directly() {
    let db = TestDb::new(Backend::Postgres).await;
    let url = through_pgbouncer(&db).await;
    let out =
        tokio::task::block_in_place(|| runners(1, &url, &["--lock", "auto", "upgrade", "+1"]));
    assert!(out[0].ok, "{}", out[0].stderr);
    assert!(
        out[0].stderr.contains("--lock auto: using the table lock"),
        "{}",
        out[0].stderr
    );
    let out =
        tokio::task::block_in_place(|| runners(1, &db.url, &["--lock", "auto", "upgrade", "+1"]));
    assert!(out[0].ok, "{}", out[0].stderr);
    assert!(
        out[0]
            .stderr
            .contains("--lock auto: using the advisory lock"),
        "{}",
        out[0].stderr
    );
    assert_eq!(applied(&db).await.len(), 2);
    // the capability probe behind it: DDL is transactional (each transaction goes to one
    // server session), advisory locks exist, the session does not stay with the client
    let mut conn = migrate_core::Db::connect(&url).await.unwrap();
    let caps = conn.probe_capabilities().await.unwrap();
    conn.close().await;
    assert!(
        caps.transactional_ddl && caps.advisory_locks && !caps.session_sticky,
        "{caps:?}"
    );
    let mut conn = migrate_core::Db::connect(&db.url).await.unwrap();
    let caps = conn.probe_capabilities().await.unwrap();
    conn.close().await;
    assert!(
        caps.transactional_ddl && caps.advisory_locks && caps.session_sticky,
        "{caps:?}"
    );
    db.drop_db().await;
}

// A fleet with `--lock auto` probes once per URL, not once per target, and never hands one
// URL's findings to another: two schemas of one database reached directly (one URL), then two
// databases through PgBouncer (whole databases: `SET search_path` would not follow a
// transaction-pooled client), one job so that they run in that order. The direct targets
// take the advisory lock (no lock table), the proxied ones the lock table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_lock_auto_probes_per_url() {
    let direct = TestDb::new(Backend::Postgres).await;
    let proxied = [
        TestDb::new(Backend::Postgres).await,
        TestDb::new(Backend::Postgres).await,
    ];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    let mut lines = format!("{0}#direct_a\n{0}#direct_b\n", direct.url);
    for p in &proxied {
        lines.push_str(&through_pgbouncer(p).await);
        lines.push('\n');
    }
    std::fs::write(&file, lines).unwrap();
    let out = tokio::task::block_in_place(|| {
        Command::new(runner_bin())
            .env("MIGRATE_FIXTURE", "storm")
            .env_remove("DATABASE_URL")
            .args(["--targets", file.to_str().unwrap(), "--jobs", "1"])
            .args(["--lock", "auto", "upgrade", "head"])
            .stdin(Stdio::null())
            .output()
            .expect("the runner binary starts")
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("4 done, 0 unchanged, 0 failed"), "{stderr}");
    let lock_tables = "SELECT schemaname || '.' || tablename FROM pg_tables \
                       WHERE tablename = 'migrate_version_lock'";
    assert!(direct.query_strings(lock_tables).await.is_empty());
    for s in ["direct_a", "direct_b"] {
        assert_eq!(
            direct
                .query_strings(&format!("SELECT COUNT(*)::text FROM {s}.migrate_version"))
                .await,
            ["10"],
            "{s}"
        );
    }
    for p in proxied {
        assert_eq!(
            p.query_strings(lock_tables).await,
            ["public.migrate_version_lock"]
        );
        assert_eq!(applied(&p).await.len(), 10);
        p.drop_db().await;
    }
    direct.drop_db().await;
}

// Why the advisory lock is no lock through PgBouncer in transaction mode (RELIABILITY.md): a
// session lock taken by one client stays on the server session the statement ran on, which
// PgBouncer hands to the next client, and session advisory locks are re-entrant: a second
// client "takes" the lock the first one holds. On a direct connection it is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advisory_lock_through_pgbouncer_does_not_exclude_a_second_client() {
    async fn try_lock(c: &mut sqlx::PgConnection) -> String {
        use sqlx::Row;
        // simple protocol: a prepared statement would itself break behind the proxy
        let rows = sqlx::raw_sql("SELECT pg_try_advisory_lock(4242)::text")
            .fetch_all(c)
            .await
            .unwrap();
        rows[0].get::<String, _>(0)
    }
    let db = TestDb::new(Backend::Postgres).await;
    let url = through_pgbouncer(&db).await;
    // control: directly, the second session is refused
    let mut a = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let mut b = sqlx::PgConnection::connect(&db.url).await.unwrap();
    assert_eq!(try_lock(&mut a).await, "true");
    assert_eq!(try_lock(&mut b).await, "false");
    a.close().await.unwrap();
    b.close().await.unwrap();
    // through PgBouncer: both "hold" it
    let mut a = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut b = sqlx::PgConnection::connect(&url).await.unwrap();
    assert_eq!(try_lock(&mut a).await, "true");
    assert_eq!(
        try_lock(&mut b).await,
        "true",
        "the second client got the first one's server session, and its lock"
    );
    a.close().await.unwrap();
    b.close().await.unwrap();
    // and the lock outlives both clients, on a pooled server session
    assert_eq!(
        db.query_strings(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = \
             (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        .await,
        ["1"]
    );
    db.drop_db().await;
}
