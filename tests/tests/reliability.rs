//! Reliability on every backend: concurrent runners, SIGKILL at random moments, Ctrl-C, and
//! the migration lock on every exit path. What these tests show is listed, test by test, in
//! RELIABILITY.md.
//!
//! The runners are real processes: `reliability-runner` (tests/src/bin) is the runner binary
//! every migrations crate has, over the fixture registries in `fixtures/reliability_*`
//! (chosen with `MIGRATE_FIXTURE`). Every fixture revision creates a table (no `IF NOT
//! EXISTS`, so a second apply fails) and records itself in `apply_log` (no key, so a second
//! apply would also show as a second row).
//!
//! Durations are measured and printed (`cargo test -- --nocapture`), never asserted.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use migrate_core::runner::{Event, Options, Runner};
use migrate_core::{Backend, Db, Error};
use migrate_tests::{TestDb, backend_test};
use sqlx::{Connection, Row};

mod slow {
    migrate_macros::migrations!("fixtures/reliability_slow");
}
mod fail_third {
    migrate_macros::migrations!("fixtures/reliability_fail_third");
}
mod panics {
    migrate_macros::migrations!("fixtures/reliability_panics");
}

/// The runner binary: cargo's, unless `MIGRATE_TEST_RELIABILITY_RUNNER` names another build
/// of it (where several worktrees share one target directory, `target/debug/` holds whichever
/// was linked last).
fn runner_bin() -> String {
    std::env::var("MIGRATE_TEST_RELIABILITY_RUNNER")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_reliability-runner").to_owned())
}

// ---------------------------------------------------------------------------------------
// processes

/// A runner process that has exited.
struct Finished {
    status: ExitStatus,
    stderr: String,
}

impl Finished {
    fn killed_by(&self, signal: i32) -> bool {
        self.status.signal() == Some(signal)
    }
}

impl std::fmt::Display for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} with stderr:\n{}", self.status, self.stderr)
    }
}

fn command(fixture: &str, url: &str, args: &[&str]) -> Command {
    let mut c = Command::new(runner_bin());
    c.env("MIGRATE_FIXTURE", fixture)
        .env_remove("DATABASE_URL")
        .arg("--database-url")
        .arg(url)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn spawn(fixture: &str, url: &str, args: &[&str]) -> Child {
    command(fixture, url, args)
        .spawn()
        .expect("the runner binary starts")
}

/// Waits for a child; its stderr is read to the end.
fn finish(mut child: Child) -> Finished {
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut stderr).expect("read stderr");
    }
    let status = child.wait().expect("wait for the runner");
    Finished { status, stderr }
}

/// Runs the runner to completion. Blocking: the tests' runtime has worker threads to spare.
fn run(fixture: &str, url: &str, args: &[&str]) -> Finished {
    tokio::task::block_in_place(|| finish(spawn(fixture, url, args)))
}

/// Reads the child's stderr until a line contains `needle`; returns everything taken from
/// the pipe so far (what the child writes later stays in the pipe for [`finish`]).
fn read_until(child: &mut Child, needle: &str) -> String {
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut reader = BufReader::new(stderr);
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).expect("read stderr");
        seen.push_str(&line);
        if n == 0 || line.contains(needle) {
            break;
        }
    }
    // the reader may have buffered more than the line: return that too
    let mut rest = String::new();
    let _ = reader.buffer().read_to_string(&mut rest);
    child.stderr = Some(reader.into_inner());
    seen + &rest
}

/// Sends SIGINT (what Ctrl-C sends) to a child.
fn interrupt(child: &Child) {
    let ok = Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .expect("kill(1) runs");
    assert!(ok.success(), "kill -INT {}", child.id());
}

/// `(verb, revision)` for each `Upgrading a -> b` / `Downgrading b -> a` line: the revision
/// that was applied or reverted (the line is printed after its commit).
fn events(stderr: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for line in stderr.lines() {
        let line = line.trim_start();
        let (verb, rest) = if let Some(r) = line.strip_prefix("Upgrading ") {
            ("up", r)
        } else if let Some(r) = line.strip_prefix("Downgrading ") {
            ("down", r)
        } else {
            continue;
        };
        let Some((from, rest)) = rest.split_once(" -> ") else {
            continue;
        };
        let to = rest.split(',').next().unwrap_or_default();
        out.push((
            verb,
            if verb == "up" {
                to.to_owned()
            } else {
                from.to_owned()
            },
        ));
    }
    out
}

/// The revisions named by `` `cargo migrate stamp X` `` in an error message, in order.
fn stamp_commands(stderr: &str) -> Vec<String> {
    stderr
        .split("`cargo migrate stamp ")
        .skip(1)
        .map(|s| s.split('`').next().unwrap_or_default().to_owned())
        .collect()
}

/// A small deterministic PRNG (SplitMix64): the kill moments are reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn seed(backend: Backend) -> u64 {
    std::env::var("MIGRATE_RELIABILITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_0000 + backend as u64)
}

// ---------------------------------------------------------------------------------------
// the migration lock, taken from the test

/// The runner's advisory-lock key for the default version table (runner.rs `lock_key`:
/// FNV-1a of `cargo-migrate:migrate_version`). Recomputed here so the test holds the very
/// lock the runner takes.
fn pg_lock_key() -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "cargo-migrate:migrate_version".bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// The runner's `GET_LOCK` name, relative to the connection's database.
const MYSQL_LOCK: &str = "CONCAT(DATABASE(), ':cargo-migrate:migrate_version')";

/// A connection of the test's own holding the migration lock: the PostgreSQL advisory lock,
/// MySQL's `GET_LOCK`, or on SQLite the database's write lock (`BEGIN IMMEDIATE`), which is
/// what serialises SQLite runners.
enum LockHolder {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
    MySql(sqlx::MySqlConnection),
}

impl LockHolder {
    /// Tries once, without waiting; `None` when someone else holds it.
    async fn try_take(db: &TestDb) -> Option<LockHolder> {
        match db.backend {
            Backend::Sqlite => {
                use std::str::FromStr;
                let opts = sqlx::sqlite::SqliteConnectOptions::from_str(&db.url)
                    .unwrap()
                    .busy_timeout(Duration::ZERO);
                let mut c = sqlx::ConnectOptions::connect(&opts).await.expect("connect");
                match sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut c).await {
                    Ok(_) => Some(LockHolder::Sqlite(c)),
                    Err(e) => {
                        assert!(e.to_string().contains("locked"), "BEGIN IMMEDIATE: {e}");
                        None
                    }
                }
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
                let got: bool = sqlx::query("SELECT pg_try_advisory_lock($1)")
                    .bind(pg_lock_key())
                    .fetch_one(&mut c)
                    .await
                    .unwrap()
                    .get(0);
                got.then_some(LockHolder::Postgres(c))
            }
            Backend::MySql => {
                let mut c = sqlx::MySqlConnection::connect(&db.url)
                    .await
                    .expect("connect");
                let got: Option<i64> = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT GET_LOCK({MYSQL_LOCK}, 0)"
                )))
                .fetch_one(&mut c)
                .await
                .unwrap()
                .get(0);
                (got == Some(1)).then_some(LockHolder::MySql(c))
            }
        }
    }

    async fn release(self) {
        match self {
            LockHolder::Sqlite(mut c) => {
                sqlx::raw_sql("ROLLBACK").execute(&mut c).await.unwrap();
                c.close().await.unwrap();
            }
            LockHolder::Postgres(mut c) => {
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(pg_lock_key())
                    .execute(&mut c)
                    .await
                    .unwrap();
                c.close().await.unwrap();
            }
            LockHolder::MySql(mut c) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT RELEASE_LOCK({MYSQL_LOCK})"
                )))
                .execute(&mut c)
                .await
                .unwrap();
                c.close().await.unwrap();
            }
        }
    }
}

/// Waits until no runner is active on the database: takes the migration lock and releases
/// it. After a SIGKILL the server may still be finishing what the dead client sent (even a
/// `COMMIT`); the session, and its lock, end only after that, so a test that reads the
/// database after this sees the final state. (SQLite: the dead process's locks are gone.)
async fn quiesce(db: &TestDb) {
    if db.backend == Backend::Sqlite {
        return;
    }
    let started = Instant::now();
    loop {
        if let Some(h) = LockHolder::try_take(db).await {
            h.release().await;
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the lock was never released"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // runners with `--lock table` hold no session lock: wait for their sessions to end
    if db
        .tables()
        .await
        .iter()
        .any(|t| t == "migrate_version_lock")
    {
        let others = match db.backend {
            Backend::MySql => {
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() \
                 AND ID <> CONNECTION_ID()"
            }
            _ => {
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND pid <> pg_backend_pid()"
            }
        };
        loop {
            if db.query_strings(others).await == ["0"] {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the runners' sessions never ended"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Whether the migration lock is free right now (taken and released at once).
async fn lock_is_free(db: &TestDb) -> bool {
    match LockHolder::try_take(db).await {
        Some(h) => {
            h.release().await;
            true
        }
        None => false,
    }
}

// ---------------------------------------------------------------------------------------
// what the database says

/// `revision -> state` of the version table (empty when it does not exist).
async fn version_rows(db: &TestDb) -> BTreeMap<String, String> {
    if !db.tables().await.iter().any(|t| t == "migrate_version") {
        return BTreeMap::new();
    }
    let sql = match db.backend {
        Backend::MySql => "SELECT CONCAT(revision, ':', state) FROM migrate_version",
        _ => "SELECT revision || ':' || state FROM migrate_version",
    };
    db.query_strings(sql)
        .await
        .into_iter()
        .map(|s| {
            let (r, st) = s.split_once(':').expect("revision:state");
            (r.to_owned(), st.to_owned())
        })
        .collect()
}

/// `apply_log`'s rows (empty when it does not exist).
async fn apply_log(db: &TestDb, tables: &[String]) -> Vec<String> {
    if !tables.iter().any(|t| t == "apply_log") {
        return Vec::new();
    }
    db.query_strings("SELECT revision FROM apply_log ORDER BY revision")
        .await
}

/// The row count of each of `names` that exists, in one query.
async fn row_counts(db: &TestDb, tables: &[String], names: &[String]) -> HashMap<String, i64> {
    let present: Vec<(usize, &String)> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| tables.contains(n))
        .collect();
    if present.is_empty() {
        return HashMap::new();
    }
    // each count is tagged with its table's index, so the union's row order does not matter
    let sql = present
        .iter()
        .map(|(i, n)| format!("SELECT {} + COUNT(*) FROM {n}", (*i as i64 + 1) * 1_000_000))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    db.query_strings(&sql)
        .await
        .into_iter()
        .map(|v| {
            let v: i64 = v.parse().expect("a number");
            (names[(v / 1_000_000 - 1) as usize].clone(), v % 1_000_000)
        })
        .collect()
}

/// The fixture revisions of a linear registry `prefix01..prefixNN`.
fn chain(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i:02}")).collect()
}

/// What [`observe`] found: the first `applied` revisions of the chain are applied, and on
/// MySQL the next one may be `pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Observed {
    applied: usize,
    pending: Option<usize>,
}

/// Reads the database and checks the invariant of a linear fixture whose revision `X` creates
/// table `X` with `rows` rows and one `apply_log` row `X` (the first also creates `apply_log`):
///
/// - the version table names fixture revisions only, and is closed under ancestors (a
///   prefix of the chain);
/// - for every revision that is not `pending`: its table exists iff its row does, with all
///   its rows, and `apply_log` has exactly one row for it iff it is applied;
/// - only MySQL, where DDL commits implicitly, may hold a `pending` row: at most one, the
///   last of the prefix.
async fn observe(db: &TestDb, ids: &[String], rows: i64, context: &str) -> Observed {
    quiesce(db).await;
    let tables = db.tables().await;
    let versions = version_rows(db).await;
    let log = apply_log(db, &tables).await;
    let counts = row_counts(db, &tables, ids).await;
    let describe = format!(
        "{context}\n  version table: {versions:?}\n  tables: {tables:?}\n  apply_log: {log:?}\n  row counts: {counts:?}"
    );
    for r in versions.keys() {
        assert!(
            ids.contains(r),
            "the version table names a revision the fixture lacks: {describe}"
        );
    }
    let n = versions.len();
    for id in &ids[..n] {
        assert!(
            versions.contains_key(id),
            "the version table is not closed under ancestors: {describe}"
        );
    }
    let pending: Vec<usize> = (0..n).filter(|&i| versions[&ids[i]] == "pending").collect();
    if !pending.is_empty() {
        assert_eq!(
            db.backend,
            Backend::MySql,
            "only MySQL may leave a `pending` row: {describe}"
        );
        assert_eq!(
            pending,
            [n - 1],
            "one `pending` row, the last applied: {describe}"
        );
    }
    for (i, id) in ids.iter().enumerate() {
        if pending.contains(&i) {
            continue;
        }
        let applied = i < n;
        assert!(
            matches!(
                versions.get(id).map(String::as_str),
                None | Some("applied" | "stamped")
            ),
            "{describe}"
        );
        assert_eq!(
            tables.contains(id),
            applied,
            "table {id} exists iff its revision is recorded: {describe}"
        );
        let logged = log.iter().filter(|l| *l == id).count();
        assert_eq!(
            logged,
            usize::from(applied),
            "revision {id} ran exactly once iff recorded: {describe}"
        );
        if applied {
            assert_eq!(
                counts.get(id),
                Some(&rows),
                "table {id} has all its rows: {describe}"
            );
        }
    }
    if pending != [0] {
        assert_eq!(
            tables.iter().any(|t| t == "apply_log"),
            n > 0,
            "apply_log belongs to the first revision: {describe}"
        );
    }
    Observed {
        applied: n - pending.len(),
        pending: pending.first().copied(),
    }
}

/// How [`recover_pending`] resolves a `pending` revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recovery {
    /// Finish its changes by hand, then `stamp <revision>`.
    Finish,
    /// Revert its changes by hand, then `stamp <parent>`.
    Revert,
}

/// MySQL after a revision of the `slow` fixture was cut off midway: every run refuses,
/// names the revision and both ways out, and changes nothing; then the documented recovery
/// runs: inspect the schema, finish or revert the revision's changes by hand, and record
/// the true state with `stamp` through the runner CLI. Returns whether the inspection found
/// the revision's changes already complete.
async fn recover_pending(db: &TestDb, ids: &[String], p: usize, how: Recovery) -> bool {
    let id = &ids[p];
    let before = (db.tables().await, version_rows(db).await);
    let mut message = String::new();
    for args in [&["upgrade", "head"][..], &["downgrade", "base"]] {
        let out = run("slow", &db.url, args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?} must refuse a pending revision: {out}"
        );
        assert!(
            out.stderr.contains(&format!("revision {id} ")) && out.stderr.contains("stamp"),
            "{args:?} names {id} and `stamp`: {out}"
        );
        assert_eq!(
            (db.tables().await, version_rows(db).await),
            before,
            "a refused {args:?} changes nothing"
        );
        message = out.stderr;
    }
    let parent = if p == 0 {
        "base".to_owned()
    } else {
        ids[p - 1].clone()
    };
    let stamps = stamp_commands(&message);
    assert_eq!(
        stamps,
        [id.clone(), parent],
        "the message names both ways out: {message}"
    );

    // inspect: which of the revision's changes are there? (its upgrade creates `apply_log` if
    // first, then its table, fills it in one statement, and last writes its `apply_log` row)
    let tables = db.tables().await;
    let has_log_table = tables.iter().any(|t| t == "apply_log");
    let logged = apply_log(db, &tables).await.contains(id);
    let count = row_counts(db, &tables, std::slice::from_ref(id))
        .await
        .get(id)
        .copied();
    assert!(
        matches!(count, None | Some(0)) || count == Some(SLOW_ROWS),
        "one INSERT fills {id}: {count:?}"
    );
    let complete = logged && count == Some(SLOW_ROWS);
    let target = match how {
        Recovery::Finish => {
            // what the revision's upgrade does, for the parts that are missing
            if !has_log_table {
                db.exec("CREATE TABLE apply_log (revision VARCHAR(32) NOT NULL)")
                    .await;
            }
            if count.is_none() {
                db.exec(&format!("CREATE TABLE {id} (id INTEGER NOT NULL PRIMARY KEY, v INTEGER NOT NULL, payload VARCHAR(200) NOT NULL)")).await;
            }
            if count != Some(SLOW_ROWS) {
                let values: Vec<String> = (1..=SLOW_ROWS)
                    .map(|i| format!("({i}, {}, '{}')", i % 97, "k".repeat(100)))
                    .collect();
                db.exec(&format!(
                    "INSERT INTO {id} (id, v, payload) VALUES {}",
                    values.join(", ")
                ))
                .await;
            }
            if !logged {
                db.exec(&format!("INSERT INTO apply_log (revision) VALUES ('{id}')"))
                    .await;
            }
            &stamps[0]
        }
        Recovery::Revert => {
            if logged {
                db.exec(&format!("DELETE FROM apply_log WHERE revision = '{id}'"))
                    .await;
            }
            db.exec(&format!("DROP TABLE IF EXISTS {id}")).await;
            if p == 0 {
                db.exec("DROP TABLE IF EXISTS apply_log").await;
            }
            &stamps[1]
        }
    };
    let out = run("slow", &db.url, &["stamp", target]);
    assert!(out.status.success(), "stamp {target}: {out}");
    complete
}

// ---------------------------------------------------------------------------------------
// 1. concurrency storm

const STORM_PROCESSES: usize = 8;
const STORM_ROUNDS: usize = 3;
const STORM_REVISIONS: usize = 10;

backend_test!(
    storm_of_eight_runners_applies_each_revision_exactly_once,
    |db| storm(db, &[])
);

// The storm with the lock table (`--lock table`): the lease row instead of the server's
// session lock. SQLite has no such choice (its write lock serialises runners).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_with_the_lock_table_postgres() {
    migrate_tests::with_db(Backend::Postgres, |db| storm(db, &["--lock", "table"])).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_with_the_lock_table_mysql() {
    migrate_tests::with_db(Backend::MySql, |db| storm(db, &["--lock", "table"])).await
}

/// The lock options followed by the command's arguments.
fn with_lock<'a>(lock: &[&'a str], args: &[&'a str]) -> Vec<&'a str> {
    lock.iter().chain(args).copied().collect()
}

/// Eight runners at once, three rounds, `lock` (`--lock …` options) given to each.
async fn storm(db: TestDb, lock: &'static [&'static str]) {
    // on PostgreSQL (and MySQL) revision st06 is `transactional = false` and runs CREATE INDEX
    // CONCURRENTLY: while it runs, seven runners are polling for the lock, holding no
    // transaction, which CIC would otherwise wait for. SQLite: see the test below.
    let fixture = if db.backend == Backend::Sqlite {
        "storm"
    } else {
        "storm_cic"
    };
    let ids = chain("st", STORM_REVISIONS);
    let mut timings = Vec::new();
    let mut dbs = vec![db];
    for round in 0..STORM_ROUNDS {
        if round > 0 {
            let backend = dbs[0].backend;
            dbs.push(TestDb::new(backend).await);
        }
        let db = &dbs[round];
        let started = Instant::now();
        let outs: Vec<Finished> = tokio::task::block_in_place(|| {
            let children: Vec<Child> = (0..STORM_PROCESSES)
                .map(|_| spawn(fixture, &db.url, &with_lock(lock, &["upgrade", "head"])))
                .collect();
            children.into_iter().map(finish).collect()
        });
        timings.push(started.elapsed());
        for (i, out) in outs.iter().enumerate() {
            assert!(
                out.status.success(),
                "round {round}: runner {i} failed: {out}"
            );
        }
        // each revision was applied by exactly one process
        let mut applied_by: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, out) in outs.iter().enumerate() {
            for (verb, rev) in events(&out.stderr) {
                assert_eq!(verb, "up");
                applied_by.entry(rev).or_default().push(i);
            }
        }
        let all: Vec<String> = outs.iter().map(|o| o.stderr.clone()).collect();
        assert_eq!(
            applied_by.keys().cloned().collect::<Vec<_>>(),
            ids,
            "round {round}: every revision applied: {all:#?}"
        );
        for (rev, by) in &applied_by {
            assert_eq!(
                by.len(),
                1,
                "round {round}: {rev} applied by processes {by:?}: {all:#?}"
            );
        }
        let o = observe(db, &ids, 200, &format!("storm round {round}")).await;
        assert_eq!(
            o,
            Observed {
                applied: STORM_REVISIONS,
                pending: None
            }
        );
        assert!(version_rows(db).await.values().all(|s| s == "applied"));
        if db.backend == Backend::Postgres {
            // CREATE INDEX CONCURRENTLY finished: an interrupted one leaves an invalid index
            let valid = db.query_strings("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'ix_st06_v'::regclass").await;
            assert_eq!(valid, ["true"]);
        }
        let workers = applied_by
            .values()
            .flatten()
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        eprintln!(
            "storm {:?} round {round}: {STORM_PROCESSES} runners in {:?}; revisions applied by {workers} of them",
            db.backend, timings[round]
        );
    }
}

// The storm's CIC case made deterministic: a transaction of the test's own holds a
// snapshot, so CREATE INDEX CONCURRENTLY waits for it while seven runners poll for the lock.
// Had a waiting runner opened a transaction (or held a snapshot), CIC would wait for it too,
// and it for the lock: both stuck until --lock-timeout, and the runners would fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_runners_waiting_for_the_lock_never_block_create_index_concurrently() {
    migrate_tests::with_db(Backend::Postgres, |db| async move {
        let ids = chain("st", STORM_REVISIONS);
        let out = run("storm_cic", &db.url, &["upgrade", "st05"]);
        assert!(out.status.success(), "{out}");
        let mut snapshot = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM apply_log").execute(&mut snapshot).await.unwrap();
        let snapshot_pid: i32 = sqlx::query("SELECT pg_backend_pid()").fetch_one(&mut snapshot).await.unwrap().get(0);

        let children: Vec<Child> = (0..STORM_PROCESSES).map(|_| spawn("storm_cic", &db.url, &["upgrade", "head"])).collect();
        // wait for the holder's CIC to wait on our snapshot, with the seven others connected
        let mut monitor = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let started = Instant::now();
        cic_waiting(&mut monitor).await;
        let others = format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid NOT IN (pg_backend_pid(), {snapshot_pid}) AND query NOT ILIKE '%CREATE INDEX CONCURRENTLY%'"
        );
        loop {
            let waiting: i64 = sqlx::query(sqlx::AssertSqlSafe(others.clone())).fetch_one(&mut monitor).await.unwrap().get(0);
            if waiting == STORM_PROCESSES as i64 - 1 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "only {waiting} other runners connected");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // the waiting runners hold no transaction
        let in_txn: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid NOT IN (pg_backend_pid(), {snapshot_pid}) AND state LIKE 'idle in transaction%'"
        )))
        .fetch_one(&mut monitor)
        .await
        .unwrap()
        .get(0);
        assert_eq!(in_txn, 0);
        sqlx::raw_sql("COMMIT").execute(&mut snapshot).await.unwrap();

        let outs: Vec<Finished> = tokio::task::block_in_place(|| children.into_iter().map(finish).collect());
        let mut applied: BTreeMap<String, usize> = BTreeMap::new();
        for out in &outs {
            assert!(out.status.success(), "{out}");
            for (_, rev) in events(&out.stderr) {
                *applied.entry(rev).or_default() += 1;
            }
        }
        assert_eq!(applied.keys().cloned().collect::<Vec<_>>(), ids[5..]);
        assert!(applied.values().all(|&n| n == 1), "{applied:?}");
        assert_eq!(observe(&db, &ids, 200, "after the storm").await, Observed { applied: STORM_REVISIONS, pending: None });
        let valid = db.query_strings("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'ix_st06_v'::regclass").await;
        assert_eq!(valid, ["true"]);
        eprintln!("CIC held up by a snapshot while {} runners polled for the lock: all done {:?} after the first runner started", STORM_PROCESSES - 1, started.elapsed());
    })
    .await
}

/// Waits until a `CREATE INDEX CONCURRENTLY` of the test database waits for an old snapshot;
/// returns its backend's pid.
async fn cic_waiting(monitor: &mut sqlx::PgConnection) -> i32 {
    let started = Instant::now();
    loop {
        let pid: Option<i32> = sqlx::query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND query ILIKE '%CREATE INDEX CONCURRENTLY%' AND state = 'active' AND wait_event = 'virtualxid'",
        )
        .fetch_optional(&mut *monitor)
        .await
        .unwrap()
        .map(|r| r.get(0));
        if let Some(pid) = pid {
            return pid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "CREATE INDEX CONCURRENTLY never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// A `transactional = false` revision cut off midway on PostgreSQL: the runner is killed and
// its session ends in the middle of CREATE INDEX CONCURRENTLY, which leaves an INVALID index.
// The revision stays `pending`, every run refuses, and the documented recovery (drop the
// invalid index, finish by hand, `stamp`) lets the next run continue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_interrupted_create_index_concurrently_stays_pending_until_stamped() {
    migrate_tests::with_db(Backend::Postgres, |db| async move {
        let ids = chain("st", STORM_REVISIONS);
        let out = run("storm_cic", &db.url, &["upgrade", "st05"]);
        assert!(out.status.success(), "{out}");
        let mut snapshot = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM apply_log")
            .execute(&mut snapshot)
            .await
            .unwrap();
        let mut child = spawn("storm_cic", &db.url, &["upgrade", "head"]);
        let mut monitor = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let cic = cic_waiting(&mut monitor).await;
        child.kill().unwrap();
        let out = tokio::task::block_in_place(|| finish(child));
        assert!(out.killed_by(9), "{out}");
        // the dead client's session ends mid-statement (as when the server notices the lost
        // connection, or an operator terminates it)
        sqlx::query("SELECT pg_terminate_backend($1)")
            .bind(cic)
            .execute(&mut monitor)
            .await
            .unwrap();
        sqlx::raw_sql("COMMIT")
            .execute(&mut snapshot)
            .await
            .unwrap();
        quiesce(&db).await;

        let valid = db
            .query_strings(
                "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'ix_st06_v'::regclass",
            )
            .await;
        assert_eq!(
            valid,
            ["false"],
            "an interrupted CIC leaves an invalid index"
        );
        assert_eq!(
            version_rows(&db).await.get("st06").map(String::as_str),
            Some("pending")
        );
        let before = (db.tables().await, version_rows(&db).await);
        let out = run("storm_cic", &db.url, &["upgrade", "head"]);
        assert_eq!(out.status.code(), Some(1), "{out}");
        assert!(out.stderr.contains("revision st06 "), "{out}");
        assert_eq!(stamp_commands(&out.stderr), ["st06", "st05"], "{out}");
        assert_eq!(
            (db.tables().await, version_rows(&db).await),
            before,
            "the refused run changed nothing"
        );

        // recovery: drop the invalid index, finish the revision by hand, record it
        db.exec("DROP INDEX CONCURRENTLY ix_st06_v").await;
        db.exec("CREATE INDEX CONCURRENTLY ix_st06_v ON st06 (v)")
            .await;
        db.exec("INSERT INTO apply_log (revision) VALUES ('st06')")
            .await;
        let out = run("storm_cic", &db.url, &["stamp", "st06"]);
        assert!(out.status.success(), "{out}");
        let out = run("storm_cic", &db.url, &["upgrade", "head"]);
        assert!(out.status.success(), "{out}");
        let done: Vec<String> = events(&out.stderr).into_iter().map(|(_, r)| r).collect();
        assert_eq!(done, ids[6..], "the next run continues after st06");
        assert_eq!(
            observe(&db, &ids, 200, "after recovery").await,
            Observed {
                applied: STORM_REVISIONS,
                pending: None
            }
        );
    })
    .await
}

backend_test!(
    storm_in_transaction_mode_all_applies_each_revision_exactly_once,
    |db| async move {
        let ids = chain("st", STORM_REVISIONS);
        let args = ["--transaction-mode", "all", "upgrade", "head"];
        let outs: Vec<Finished> = tokio::task::block_in_place(|| {
            let children: Vec<Child> = (0..STORM_PROCESSES)
                .map(|_| spawn("storm", &db.url, &args))
                .collect();
            children.into_iter().map(finish).collect()
        });
        let mut applied: BTreeMap<String, usize> = BTreeMap::new();
        for out in &outs {
            assert!(out.status.success(), "{out}");
            for (_, rev) in events(&out.stderr) {
                *applied.entry(rev).or_default() += 1;
            }
        }
        assert_eq!(applied.keys().cloned().collect::<Vec<_>>(), ids);
        assert!(applied.values().all(|&n| n == 1), "{applied:?}");
        assert_eq!(
            observe(&db, &ids, 200, "after the storm").await,
            Observed {
                applied: STORM_REVISIONS,
                pending: None
            }
        );
    }
);

// SQLite has no migration lock across revisions (`BEGIN IMMEDIATE` serialises each
// revision), so a `transactional = false` revision is guarded by its `pending` row instead:
// runners that meet it wait for it; one that *starts* while it runs stops with the pending
// error. Either way: never applied twice, never out of order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_storm_with_a_non_transactional_revision_never_applies_twice() {
    migrate_tests::with_db(Backend::Sqlite, |db| async move {
        let ids = chain("st", STORM_REVISIONS);
        let outs: Vec<Finished> = tokio::task::block_in_place(|| {
            let children: Vec<Child> = (0..STORM_PROCESSES).map(|_| spawn("storm_cic", &db.url, &["upgrade", "head"])).collect();
            children.into_iter().map(finish).collect()
        });
        let mut applied: BTreeMap<String, usize> = BTreeMap::new();
        for out in &outs {
            if !out.status.success() {
                assert!(out.stderr.contains("revision st06 ") && out.stderr.contains("stamp"), "a failure is the pending error of st06: {out}");
            }
            for (_, rev) in events(&out.stderr) {
                *applied.entry(rev).or_default() += 1;
            }
        }
        assert!(applied.values().all(|&n| n == 1), "{applied:?}");
        let out = run("storm_cic", &db.url, &["upgrade", "head"]);
        assert!(out.status.success(), "{out}");
        assert_eq!(observe(&db, &ids, 200, "after the storm").await, Observed { applied: STORM_REVISIONS, pending: None });
        let failed = outs.iter().filter(|o| !o.status.success()).count();
        eprintln!("sqlite storm with st06 non-transactional: {failed} of {STORM_PROCESSES} runners stopped at the pending st06");
    })
    .await
}

// ---------------------------------------------------------------------------------------
// 2. kill loop

const SLOW_REVISIONS: usize = 30;
const SLOW_ROWS: i64 = 1000;
const KILLS: usize = 50;

backend_test!(
    kill_loop_sigkill_at_random_moments_leaves_a_consistent_state,
    |db| kill_loop(db, &[], KILLS)
);

// The kill loop with the lock table: a killed holder's lease (1 s here) expires and the
// next run takes it over. Fewer kills: each one costs a lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_loop_with_the_lock_table_postgres() {
    migrate_tests::with_db(Backend::Postgres, |db| {
        kill_loop(db, &["--lock", "table", "--lock-lease", "1"], KILLS / 2)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_loop_with_the_lock_table_mysql() {
    migrate_tests::with_db(Backend::MySql, |db| {
        kill_loop(db, &["--lock", "table", "--lock-lease", "1"], KILLS / 2)
    })
    .await
}

/// SIGKILL at random moments, `kills_wanted` times, `lock` given to each runner.
async fn kill_loop(db: TestDb, lock: &'static [&'static str], kills_wanted: usize) {
    let ids = chain("k", SLOW_REVISIONS);
    let started = Instant::now();
    let seed = seed(db.backend);
    let mut rng = Rng(seed);

    // calibrate: how long a whole run takes here (the kill moments are spread over it)
    let t = Instant::now();
    let out = run("slow", &db.url, &with_lock(lock, &["upgrade", "head"]));
    assert!(out.status.success(), "{out}");
    let full_up = t.elapsed();
    let t = Instant::now();
    let out = run("slow", &db.url, &with_lock(lock, &["upgrade", "head"]));
    assert!(out.status.success(), "{out}");
    let start_up = t.elapsed(); // a run with nothing to do: process start, connect, lock, read
    let t = Instant::now();
    let out = run("slow", &db.url, &with_lock(lock, &["downgrade", "base"]));
    assert!(out.status.success(), "{out}");
    let full_down = t.elapsed();
    assert_eq!(
        observe(&db, &ids, SLOW_ROWS, "calibration").await,
        Observed {
            applied: 0,
            pending: None
        }
    );

    // per revision, in ms; updated from the runs that finish before their kill
    let per_revision =
        |full: Duration| full.saturating_sub(start_up).as_millis() as u64 / SLOW_REVISIONS as u64;
    let (mut per_up, mut per_down) = (per_revision(full_up), per_revision(full_down));
    let mut state = Observed {
        applied: 0,
        pending: None,
    };
    let (mut kills, mut iterations, mut completed, mut pendings, mut found_complete) =
        (0, 0, 0, 0, 0);
    let mut recoveries: BTreeMap<&str, usize> = BTreeMap::new();
    // how many revisions were applied when each kill landed
    let mut killed_at = vec![0usize; SLOW_REVISIONS + 1];
    while kills < kills_wanted {
        iterations += 1;
        assert!(
            iterations < 10 * kills_wanted,
            "too few runs were still going when killed"
        );
        // up or down, more likely towards the far end: the kills spread over every revision
        let upgrade = rng.below(SLOW_REVISIONS as u64) >= state.applied as u64;
        let (args, per, left) = if upgrade {
            (["upgrade", "head"], per_up, SLOW_REVISIONS - state.applied)
        } else {
            (["downgrade", "base"], per_down, state.applied)
        };
        // anywhere in the run: from before it connects to its last revision
        let bound = start_up.as_millis() as u64 + per * left as u64;
        let delay = Duration::from_millis(rng.below(bound + 1));
        let context = format!(
            "seed {seed}, run {iterations}: `{}` killed after {delay:?} from {state:?}",
            args.join(" ")
        );
        let t = Instant::now();
        let out = tokio::task::block_in_place(|| {
            let mut child = spawn("slow", &db.url, &with_lock(lock, &args));
            std::thread::sleep(delay);
            let _ = child.kill(); // SIGKILL; a no-op when it already exited
            finish(child)
        });
        if out.killed_by(9) {
            kills += 1;
        } else {
            assert!(out.status.success(), "{context}: {out}");
            completed += 1;
            // it was faster than expected: aim the next kills at the faster pace
            let took = t.elapsed().saturating_sub(start_up).as_millis() as u64 / left.max(1) as u64;
            if upgrade {
                per_up = took
            } else {
                per_down = took
            }
        }
        let before = state.applied;
        state = observe(&db, &ids, SLOW_ROWS, &context).await;
        // what a run reported done is durable, and it continued from where the last one stopped
        let evs = events(&out.stderr);
        for (k, (verb, rev)) in evs.iter().enumerate() {
            let i = ids
                .iter()
                .position(|id| id == rev)
                .expect("a fixture revision");
            let (expected, recorded) = if upgrade {
                (before + k, i < state.applied)
            } else {
                (before - 1 - k, i >= state.applied)
            };
            assert_eq!(
                i, expected,
                "{context}: {verb} {rev} out of order: {}",
                out.stderr
            );
            assert!(
                recorded,
                "{context}: {verb} {rev} was reported but is not in the database: {}",
                out.stderr
            );
        }
        killed_at[state.applied] += usize::from(out.killed_by(9));
        if let Some(p) = state.pending {
            pendings += 1;
            let how = if rng.below(2) == 0 {
                Recovery::Finish
            } else {
                Recovery::Revert
            };
            found_complete += usize::from(recover_pending(&db, &ids, p, how).await);
            *recoveries
                .entry(if how == Recovery::Finish {
                    "finished by hand, stamp <revision>"
                } else {
                    "reverted by hand, stamp <parent>"
                })
                .or_default() += 1;
            state = observe(&db, &ids, SLOW_ROWS, &format!("{context}, after recovery")).await;
            assert_eq!(state.pending, None);
        }
    }

    // the last run finishes the job, from where the kills left it
    let before = state.applied;
    let out = run("slow", &db.url, &with_lock(lock, &["upgrade", "head"]));
    assert!(out.status.success(), "{out}");
    let done: Vec<String> = events(&out.stderr).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        done,
        ids[before..],
        "the final run applies exactly what was missing"
    );
    assert_eq!(
        observe(&db, &ids, SLOW_ROWS, "final").await,
        Observed {
            applied: SLOW_REVISIONS,
            pending: None
        }
    );
    let out = run("slow", &db.url, &with_lock(lock, &["check"]));
    assert!(out.status.success(), "{out}");
    eprintln!(
        "kill loop {:?}: {kills} SIGKILLs in {iterations} runs ({completed} finished first) in {:?}; a full upgrade takes {full_up:?}, a full downgrade {full_down:?}, a run with nothing to do {start_up:?}; \
         pending rows recovered: {pendings} ({found_complete} found complete; {recoveries:?}); revisions applied at each kill: {killed_at:?} (seed {seed})",
        db.backend,
        started.elapsed(),
    );
}

// ---------------------------------------------------------------------------------------
// 2b. kill loop through SQLite table rebuilds (batch mode)

const BATCH_KILLS: usize = 20;

/// The `bk_` tables exactly: their `sqlite_master` rows, and their rows summed up.
async fn batch_state(db: &TestDb) -> Vec<String> {
    let mut out = db
        .query_strings(
            "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master \
             WHERE tbl_name NOT LIKE 'migrate%' AND name <> 'sqlite_sequence' ORDER BY name",
        )
        .await;
    let tables = db
        .query_strings("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'bk_items'")
        .await;
    if !tables.is_empty() {
        out.extend(
            db.query_strings(
                "SELECT count(*) || '|' || sum(id) || '|' || sum(parent_id) || '|' || \
                 total(length(name)) || '|' || sum(CAST(qty AS INTEGER)) || '|' || \
                 group_concat(DISTINCT typeof(qty)) || '|' || total(length(data)) || '|' || \
                 (SELECT count(*) FROM bk_child) || '|' || \
                 (SELECT seq FROM sqlite_sequence WHERE name = 'bk_items') FROM bk_items",
            )
            .await,
        );
    }
    out.extend(db.query_strings("PRAGMA integrity_check").await);
    out.extend(
        db.query_strings("SELECT count(*) FROM pragma_foreign_key_check")
            .await,
    );
    out
}

// A runner SIGKILLed at random moments while it rebuilds a 200,000-row SQLite table (and
// back): every table is always exactly as one of the revisions left it, never a half-copied
// table or a leftover `_migrate_old_…` table, and the version table agrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_loop_during_table_rebuilds_leaves_each_table_as_before() {
    let db = TestDb::new(Backend::Sqlite).await;
    // a copy of the runner binary, taken now: target/debug/reliability-runner is rebuilt by
    // any concurrent `cargo test` of the workspace, which must not swap it mid-loop
    let dir = tempfile::tempdir().unwrap();
    let runner = dir.path().join("reliability-runner");
    std::fs::copy(runner_bin(), &runner).unwrap();
    let spawn = |args: &[&str]| {
        let c = command("batch", &db.url, args);
        Command::new(&runner)
            .envs(c.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
            .env_remove("DATABASE_URL")
            .args(c.get_args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the runner binary starts")
    };
    let run = |args: &[&str]| tokio::task::block_in_place(|| finish(spawn(args)));
    let seed = seed(Backend::Sqlite);
    let mut rng = Rng(seed);
    // calibrate: the state after each revision, and how long a whole run takes
    let mut states = vec![batch_state(&db).await];
    let t = Instant::now();
    for _ in 0..3 {
        let out = run(&["upgrade", "+1"]);
        assert!(out.status.success(), "{out}");
        states.push(batch_state(&db).await);
    }
    let full = t.elapsed();
    let out = run(&["downgrade", "base"]);
    assert!(out.status.success(), "{out}");
    assert_eq!(batch_state(&db).await, states[0]);
    for (i, s) in states.iter().enumerate() {
        assert!(s.contains(&"ok".to_owned()), "state {i}: {s:?}");
    }
    let (mut kills, mut iterations) = (0, 0);
    let mut killed_at = [0usize; 4];
    while kills < BATCH_KILLS {
        iterations += 1;
        assert!(
            iterations < 10 * BATCH_KILLS,
            "too few runs were still going when killed"
        );
        let applied = db.versions().await.len();
        let upgrade = rng.below(3) >= applied as u64;
        let args = if upgrade {
            ["upgrade", "head"]
        } else {
            ["downgrade", "base"]
        };
        let delay = Duration::from_millis(rng.below(full.as_millis() as u64 + 1));
        let out = tokio::task::block_in_place(|| {
            let mut child = spawn(&args);
            std::thread::sleep(delay);
            let _ = child.kill();
            finish(child)
        });
        if !out.killed_by(9) {
            assert!(out.status.success(), "{out}");
        } else {
            kills += 1;
        }
        let applied = db.versions().await.len();
        killed_at[applied] += usize::from(out.killed_by(9));
        assert_eq!(
            batch_state(&db).await,
            states[applied],
            "seed {seed}, run {iterations}: `{}` killed after {delay:?}",
            args.join(" ")
        );
    }
    let out = run(&["upgrade", "head"]);
    assert!(out.status.success(), "{out}");
    assert_eq!(batch_state(&db).await, states[3]);
    eprintln!(
        "batch kill loop: {kills} SIGKILLs in {iterations} runs; a full upgrade takes {full:?}; \
         revisions applied at each kill: {killed_at:?} (seed {seed})"
    );
}

// ---------------------------------------------------------------------------------------
// 3. Ctrl-C

backend_test!(
    ctrl_c_mid_run_stops_with_a_consistent_state,
    |db| async move {
        let ids = chain("k", SLOW_REVISIONS);
        let out = tokio::task::block_in_place(|| {
            let mut child = spawn("slow", &db.url, &["upgrade", "head"]);
            // mid-run: the first revision is committed and the next is under way
            read_until(&mut child, "Upgrading");
            interrupt(&child);
            finish(child)
        });
        assert!(
            !out.status.success(),
            "an interrupted run must not report success: {out}"
        );
        let state = observe(&db, &ids, SLOW_ROWS, "after Ctrl-C").await;
        assert!(
            state.applied >= 1 && state.applied < SLOW_REVISIONS,
            "{state:?}: {out}"
        );
        if let Some(p) = state.pending {
            recover_pending(&db, &ids, p, Recovery::Finish).await;
        }
        let out = run("slow", &db.url, &["upgrade", "head"]);
        assert!(out.status.success(), "{out}");
        assert_eq!(
            observe(&db, &ids, SLOW_ROWS, "after the next run").await,
            Observed {
                applied: SLOW_REVISIONS,
                pending: None
            }
        );
    }
);

// ---------------------------------------------------------------------------------------
// 4. the lock on every path

backend_test!(lock_is_released_after_a_failing_revision, |db| async move {
    let out = run("fail_third", &db.url, &["upgrade", "head"]);
    assert_eq!(out.status.code(), Some(1), "{out}");
    assert!(out.stderr.contains("f03"), "{out}");
    if db.backend == Backend::MySql {
        // DDL committed: revert by hand what the failed revision did, as its message says
        db.exec("DROP TABLE f03").await;
    }
    // the next process gets the lock at once, and can act on the database
    let out = run(
        "fail_third",
        &db.url,
        &["--lock-timeout", "2", "stamp", "f02"],
    );
    assert!(out.status.success(), "{out}");
    let out = run(
        "fail_third",
        &db.url,
        &["--lock-timeout", "2", "downgrade", "base"],
    );
    assert!(out.status.success(), "{out}");
    assert_eq!(db.tables().await, ["migrate_version"]);

    // in one process: the error path unlocks while the handle is still open
    let mut conn = db.connect().await;
    let err = Runner::new(&fail_third::MIGRATIONS, Options::default())
        .unwrap()
        .upgrade(&mut conn, "head", &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RevisionFailed { .. }), "{err}");
    assert!(
        lock_is_free(&db).await,
        "the lock (or SQLite's write lock) is free while the failed run's handle is open"
    );
    conn.close().await;
});

backend_test!(
    lock_is_released_when_the_holder_is_killed,
    |db| async move {
        let ids = chain("k", SLOW_REVISIONS);
        let out = tokio::task::block_in_place(|| {
            let mut child = spawn("slow", &db.url, &["upgrade", "head"]);
            read_until(&mut child, "Upgrading");
            child.kill().unwrap();
            finish(child)
        });
        assert!(out.killed_by(9), "{out}");
        // the next process gets the lock (the server ends the dead session; SQLite's lock dies
        // with the process)
        let out = run("slow", &db.url, &["--lock-timeout", "2", "upgrade", "head"]);
        assert!(!out.stderr.contains("timed out"), "{out}");
        if !out.status.success() {
            // MySQL: the killed revision's DDL had committed
            assert_eq!(db.backend, Backend::MySql, "{out}");
            let state = observe(&db, &ids, SLOW_ROWS, "after the kill").await;
            recover_pending(
                &db,
                &ids,
                state.pending.expect("a pending row"),
                Recovery::Revert,
            )
            .await;
            let out = run("slow", &db.url, &["--lock-timeout", "2", "upgrade", "head"]);
            assert!(out.status.success(), "{out}");
        }
        assert_eq!(
            observe(&db, &ids, SLOW_ROWS, "after the next run").await,
            Observed {
                applied: SLOW_REVISIONS,
                pending: None
            }
        );
    }
);

backend_test!(
    lock_timeout_while_another_process_holds_the_lock_changes_nothing,
    |db| async move {
        let holder = LockHolder::try_take(&db).await.expect("the lock is free");
        let before = db.tables().await;
        let timeout = Duration::from_secs(1);
        let t = Instant::now();
        let out = run("slow", &db.url, &["--lock-timeout", "1", "upgrade", "head"]);
        let waited = t.elapsed();
        assert_eq!(out.status.code(), Some(1), "{out}");
        if db.backend == Backend::Sqlite {
            // SQLite's lock is the database's write lock, waited for with the busy timeout
            assert!(
                out.stderr.contains("database is locked") && out.stderr.contains("--lock-timeout"),
                "{out}"
            );
        } else {
            assert!(
                out.stderr.contains("timed out")
                    && out.stderr.contains("waiting for the migration lock"),
                "{out}"
            );
            // the runner's own measure of the wait ("timed out after N ms") is the timeout
            let ms: u64 = out
                .stderr
                .split("timed out after ")
                .nth(1)
                .and_then(|rest| rest.split(" ms").next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no \"timed out after N ms\" in {out}"));
            assert!(
                Duration::from_millis(ms) >= timeout,
                "reported a wait of {ms} ms, less than --lock-timeout 1: {out}"
            );
        }
        // it waited for the lock (not failing at once), and gave up at `--lock-timeout`, not at
        // the 60 s default: bounds that fail when the flag is ignored, not a benchmark
        assert!(
            waited >= timeout,
            "{:?}: gave up after {waited:?}, before --lock-timeout 1: {out}",
            db.backend
        );
        assert!(
            waited < Duration::from_secs(30),
            "{:?}: gave up after {waited:?}, not at --lock-timeout 1: {out}",
            db.backend
        );
        assert_eq!(db.tables().await, before, "nothing changed");
        holder.release().await;
        let out = run("slow", &db.url, &["--lock-timeout", "1", "upgrade", "+1"]);
        assert!(out.status.success(), "{out}");
    }
);

backend_test!(lock_is_released_after_a_panic, |db| async move {
    // a panicking revision in the runner binary: the process dies, and the lock with it
    let out = run("panics", &db.url, &["upgrade", "head"]);
    assert_eq!(out.status.code(), Some(101), "{out}");
    assert!(out.stderr.contains("p02 panics halfway"), "{out}");
    let v = version_rows(&db).await.into_iter().collect::<Vec<_>>();
    if db.backend.transactional_ddl() {
        assert_eq!(v, [("p01".into(), "applied".into())]);
        assert_eq!(db.tables().await, ["migrate_version", "p01"]);
    } else {
        assert_eq!(
            v,
            [
                ("p01".into(), "applied".into()),
                ("p02".into(), "pending".into())
            ]
        );
    }
    // in one process, on a connection from the application's pool: the panic unwinds
    // through the runner, and the connection is closed rather than returned to the pool
    // with the lock or a transaction still open
    let fresh = TestDb::new(db.backend).await;
    let pool = Pool::new(fresh.backend, &fresh.url).await;
    let in_task = pool.clone();
    let panicked = tokio::spawn(async move {
        let mut conn = in_task.db().await;
        let _ = panics::MIGRATIONS.upgrade(&mut conn, "head").await;
    })
    .await
    .unwrap_err();
    assert!(panicked.is_panic());
    // the pool lives on, as in an application that survives a panicking task
    let options = Options {
        lock_timeout: Duration::from_secs(2),
        ..Options::default()
    };
    let mut conn = Db::connect_with_timeout(&fresh.url, Duration::from_secs(2))
        .await
        .unwrap();
    Runner::new(&panics::MIGRATIONS, options)
        .unwrap()
        .stamp(&mut conn, &["p01"], false)
        .await
        .expect("the lock is free");
    conn.close().await;
    assert!(lock_is_free(&fresh).await);
    let mut conn = pool.db().await;
    Runner::new(&panics::MIGRATIONS, Options::default())
        .unwrap()
        .stamp(&mut conn, &["base"], false)
        .await
        .expect("the pool still works");
    drop(conn);
});

/// The application's connection pool, of each kind.
#[derive(Clone)]
enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
    MySql(sqlx::MySqlPool),
}

impl Pool {
    async fn new(backend: Backend, url: &str) -> Pool {
        match backend {
            Backend::Sqlite => Pool::Sqlite(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(2)
                    .connect(url)
                    .await
                    .unwrap(),
            ),
            Backend::Postgres => Pool::Postgres(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(2)
                    .connect(url)
                    .await
                    .unwrap(),
            ),
            Backend::MySql => Pool::MySql(
                sqlx::mysql::MySqlPoolOptions::new()
                    .max_connections(2)
                    .connect(url)
                    .await
                    .unwrap(),
            ),
        }
    }

    /// A [`Db`] on one of the pool's connections.
    async fn db(&self) -> Db {
        match self {
            Pool::Sqlite(p) => Db::from_sqlite_pool(p).await.unwrap(),
            Pool::Postgres(p) => Db::from_pg_pool(p).await.unwrap(),
            Pool::MySql(p) => Db::from_mysql_pool(p).await.unwrap(),
        }
    }
}

backend_test!(
    lock_is_released_when_the_run_is_cancelled,
    |db| async move {
        let ids = chain("k", SLOW_REVISIONS);
        let pool = Pool::new(db.backend, &db.url).await;
        let mut conn = pool.db().await;
        let runner = Runner::new(&slow::MIGRATIONS, Options::default()).unwrap();
        // cancel (drop the future) right after the first revision commits, mid-run
        let first_done = std::sync::atomic::AtomicBool::new(false);
        let flag = &first_done;
        let mut on_event = |e: Event<'_>| {
            if let Event::Finished { .. } = e {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        };
        tokio::select! {
            r = runner.upgrade(&mut conn, "head", &mut on_event) => panic!("not cancelled: {r:?}"),
            _ = async { while !flag.load(std::sync::atomic::Ordering::SeqCst) { tokio::time::sleep(Duration::from_millis(1)).await } } => {}
        }
        // the handle is dropped with the cancelled run: its session ends, releasing the lock and
        // rolling back the revision under way
        drop(conn);
        let options = Options {
            lock_timeout: Duration::from_secs(2),
            ..Options::default()
        };
        let mut conn = Db::connect_with_timeout(&db.url, Duration::from_secs(2))
            .await
            .unwrap();
        let r = Runner::new(&slow::MIGRATIONS, options.clone())
            .unwrap()
            .upgrade(&mut conn, "head", &mut |_| {})
            .await;
        conn.close().await;
        if let Err(e) = r {
            assert!(
                matches!(e, Error::Dirty { .. }) && db.backend == Backend::MySql,
                "{e}"
            );
            let state = observe(&db, &ids, SLOW_ROWS, "after cancelling").await;
            recover_pending(&db, &ids, state.pending.expect("pending"), Recovery::Finish).await;
            let out = run("slow", &db.url, &["upgrade", "head"]);
            assert!(out.status.success(), "{out}");
        }
        assert_eq!(
            observe(&db, &ids, SLOW_ROWS, "after the next run").await,
            Observed {
                applied: SLOW_REVISIONS,
                pending: None
            }
        );
        drop(pool);
    }
);

backend_test!(
    transaction_mode_all_rolls_back_every_revision_on_failure,
    |db| async move {
        let out = run(
            "fail_third",
            &db.url,
            &["--transaction-mode", "all", "upgrade", "head"],
        );
        assert_eq!(out.status.code(), Some(1), "{out}");
        assert!(out.stderr.contains("f03"), "{out}");
        if db.backend.transactional_ddl() {
            // one transaction: f01 and f02 went with f03
            assert!(version_rows(&db).await.is_empty());
            assert_eq!(db.tables().await, ["migrate_version"]);
        } else {
            // MySQL commits DDL implicitly: `all` is per revision there (documented), so f01 and f02
            // stay and f03 is left pending
            let v = version_rows(&db).await;
            assert_eq!(
                v.into_iter().collect::<Vec<_>>(),
                [
                    ("f01".into(), "applied".into()),
                    ("f02".into(), "applied".into()),
                    ("f03".into(), "pending".into())
                ]
            );
        }
        assert!(lock_is_free(&db).await);
    }
);

backend_test!(
    a_handle_reused_after_a_cancelled_run_starts_clean,
    |db| async move {
        let ids = chain("k", SLOW_REVISIONS);
        let mut conn = Db::connect_with_timeout(&db.url, Duration::from_secs(2))
            .await
            .unwrap();
        let runner = Runner::new(
            &slow::MIGRATIONS,
            Options {
                lock_timeout: Duration::from_secs(2),
                ..Options::default()
            },
        )
        .unwrap();
        let first_done = std::sync::atomic::AtomicBool::new(false);
        let flag = &first_done;
        let mut on_event = |e: Event<'_>| {
            if let Event::Finished { .. } = e {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        };
        tokio::select! {
            r = runner.upgrade(&mut conn, "head", &mut on_event) => panic!("not cancelled: {r:?}"),
            _ = async { while !flag.load(std::sync::atomic::Ordering::SeqCst) { tokio::time::sleep(Duration::from_millis(1)).await } } => {}
        }
        // the same handle, again: the cancelled run's transaction and lock must not leak into it
        let r = runner.upgrade(&mut conn, "head", &mut |_| {}).await;
        assert!(
            lock_is_free(&db).await,
            "the lock is free after the second run, while the handle is open: {r:?}"
        );
        if let Err(e) = r {
            // MySQL: the revision cut off had committed its DDL
            assert!(
                matches!(e, Error::Dirty { .. }) && db.backend == Backend::MySql,
                "{e}"
            );
            let state = observe(&db, &ids, SLOW_ROWS, "after cancelling").await;
            recover_pending(&db, &ids, state.pending.expect("pending"), Recovery::Finish).await;
            runner
                .upgrade(&mut conn, "head", &mut |_| {})
                .await
                .unwrap();
        }
        conn.close().await;
        assert_eq!(
            observe(&db, &ids, SLOW_ROWS, "after the second run").await,
            Observed {
                applied: SLOW_REVISIONS,
                pending: None
            }
        );
    }
);

// ---------------------------------------------------------------------------------------
// SQLite statements on the caller's thread (migrate-core/src/sqlite.rs)

/// Two runners on ONE current-thread runtime, each with its own connection to the same
/// SQLite file. The runner executes SQLite statements on the caller's thread; a runner that
/// waited for the other's write lock there would block the only thread, so the other could
/// never commit: both would stall for the busy timeout and one would fail with "database is
/// locked". The blog's revisions read and write rows through sqlx mid-transaction (yielding
/// with the write lock held), which lets the other runner reach `BEGIN IMMEDIATE` meanwhile.
#[test]
fn two_runners_on_one_thread_share_a_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("shared.db").display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let busy = Duration::from_secs(10);
        for round in 0..5 {
            let mut a = Db::connect_with_timeout(&url, busy).await.unwrap();
            let mut b = Db::connect_with_timeout(&url, busy).await.unwrap();
            let migrations = &blog_migrations::MIGRATIONS;
            let t = Instant::now();
            let (ra, rb) = tokio::join!(
                migrations.upgrade(&mut a, "head"),
                migrations.upgrade(&mut b, "head")
            );
            let waited = t.elapsed();
            let (pa, pb) = (ra.unwrap(), rb.unwrap());
            // between them every revision ran once (a runner skips what the other applied)
            let migrate_core::Connection::Sqlite(c) = a.connection().await.unwrap() else {
                unreachable!()
            };
            let rows: Vec<(String,)> =
                sqlx::query_as("SELECT revision FROM migrate_version WHERE state = 'applied'")
                    .fetch_all(&mut *c)
                    .await
                    .unwrap();
            // the per-revision check finds `pending` rows through this index, not a scan
            let (index,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'migrate_version_pending'",
            )
            .fetch_one(&mut *c)
            .await
            .unwrap();
            assert_eq!(index, 1, "round {round}");
            assert_eq!(
                rows.len(),
                migrations.graph().unwrap().len(),
                "round {round}: {rows:?}"
            );
            assert!(
                pa.steps.len() + pb.steps.len() >= migrations.graph().unwrap().len(),
                "round {round}"
            );
            println!("round {round}: both runners done in {waited:?}");
            migrations.downgrade(&mut a, "base").await.unwrap();
            a.close().await;
            b.close().await;
        }
    });
}

// ---------------------------------------------------------------------------------------
// a runner killed while the server runs its statement; long MySQL lock names

/// A runner killed (SIGKILL) while the server is still running its statement: the server
/// used to run that statement to its end, holding the dead session's migration lock all the
/// while, so every other runner timed out with "another process is migrating". Our sessions
/// set `client_connection_check_interval` (PostgreSQL 14+): the server notices the client is
/// gone within seconds, cancels the statement, rolls back and releases the lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_lock_of_a_killed_runner_is_released() {
    let db = TestDb::new(Backend::Postgres).await;
    let out = run("slow", &db.url, &["upgrade", "k01"]);
    assert!(out.status.success(), "{out}");
    // the test holds `apply_log`: the runner's k02 waits for it inside the server, while
    // holding the migration lock
    let mut blocker = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE apply_log IN ACCESS EXCLUSIVE MODE")
        .execute(&mut blocker)
        .await
        .unwrap();
    // pg_stat_activity is read from a connection outside any transaction (inside one, the
    // server answers from the snapshot taken at its first read)
    let mut observer = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let mut child = spawn("slow", &db.url, &["upgrade", "head"]);
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    let waiting = format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = '{name}' AND wait_event_type = 'Lock' \
         AND query LIKE 'INSERT INTO apply_log%'"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let pid: i32 = loop {
        if let Some(r) = sqlx::raw_sql(sqlx::AssertSqlSafe(waiting.clone()))
            .fetch_optional(&mut observer)
            .await
            .unwrap()
        {
            break r.get(0);
        }
        assert!(
            Instant::now() < deadline,
            "the runner never reached apply_log"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    child.kill().unwrap();
    let killed = finish(child);
    assert!(killed.killed_by(9), "{killed}");
    // the dead runner's backend ends while the table is still blocked
    let gone = format!("SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}");
    let started = Instant::now();
    loop {
        let n: i64 = sqlx::raw_sql(sqlx::AssertSqlSafe(gone.clone()))
            .fetch_one(&mut observer)
            .await
            .unwrap()
            .get(0);
        if n == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the killed runner's backend {pid} still runs its statement after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "killed runner: its backend ended {:?} after the kill",
        started.elapsed()
    );
    assert!(lock_is_free(&db).await, "the lock went with the session");
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut blocker)
        .await
        .unwrap();
    blocker.close().await.unwrap();
    observer.close().await.unwrap();
    // nothing of k02 stayed; the next runner applies the rest
    assert_eq!(
        version_rows(&db).await.into_keys().collect::<Vec<_>>(),
        ["k01"]
    );
    let out = run(
        "slow",
        &db.url,
        &["--lock-timeout", "20", "upgrade", "head"],
    );
    assert!(out.status.success(), "{out}");
}

/// `sha256sum` of `text`, in hex (an implementation other than the server's `SHA2()`).
fn sha256_hex(text: &str) -> String {
    use std::io::Write as _;
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

/// MySQL 5.7+ refuses `GET_LOCK` names longer than 64 characters, and the name holds the
/// database's name (up to 64 characters itself): a name that does not fit becomes its first
/// 23 characters, `#` and 40 hex digits of its SHA-256. The test holds the lock under that
/// name, computed independently, and the runner must wait for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_lock_names_fit_in_64_characters() {
    let admin = migrate_tests::admin_url(Backend::MySql);
    let database = format!("lk_{}_{}", std::process::id(), "x".repeat(50));
    assert!(database.len() <= 64);
    let mut a = sqlx::MySqlConnection::connect(&admin).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {database}; CREATE DATABASE {database}"
    )))
    .execute(&mut a)
    .await
    .unwrap();
    let mut u = url::Url::parse(&admin).unwrap();
    u.set_path(&format!("/{database}"));
    let url = u.to_string();

    let full = format!("{database}:cargo-migrate:migrate_version");
    assert!(full.chars().count() > 64);
    let expected = format!("{}#{}", &full[..23], &sha256_hex(&full)[..40]);
    assert_eq!(expected.len(), 64);
    let mut holder = sqlx::MySqlConnection::connect(&url).await.unwrap();
    let got: Option<i64> = sqlx::query("SELECT GET_LOCK(?, 0)")
        .bind(&expected)
        .fetch_one(&mut holder)
        .await
        .unwrap()
        .get(0);
    assert_eq!(got, Some(1));
    let out = run("slow", &url, &["--lock-timeout", "1", "upgrade", "k01"]);
    assert_eq!(out.status.code(), Some(1), "{out}");
    assert!(
        out.stderr.contains("waiting for the migration lock")
            && out.stderr.contains("the lock is held by MySQL connection"),
        "{out}"
    );
    sqlx::query("SELECT RELEASE_LOCK(?)")
        .bind(&expected)
        .execute(&mut holder)
        .await
        .unwrap();
    let out = run("slow", &url, &["--lock-timeout", "5", "upgrade", "k01"]);
    assert!(out.status.success(), "{out}");
    holder.close().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {database}")))
        .execute(&mut a)
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// 5. the lock table (`--lock table`): a lease, renewed while the run lasts, expiring when
// its holder dies

/// The test's own connection holding `apply_log` locked (PostgreSQL `LOCK TABLE` in a
/// transaction, MySQL `LOCK TABLES … WRITE`): a runner's next revision of the `slow` fixture
/// blocks on it, inside the run, for as long as the test wants.
enum TableBlocker {
    Postgres(sqlx::PgConnection),
    MySql(sqlx::MySqlConnection),
}

impl TableBlocker {
    async fn take(db: &TestDb) -> TableBlocker {
        match db.backend {
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::raw_sql("BEGIN; LOCK TABLE apply_log IN ACCESS EXCLUSIVE MODE")
                    .execute(&mut c)
                    .await
                    .unwrap();
                TableBlocker::Postgres(c)
            }
            Backend::MySql => {
                let mut c = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
                sqlx::raw_sql("LOCK TABLES apply_log WRITE")
                    .execute(&mut c)
                    .await
                    .unwrap();
                TableBlocker::MySql(c)
            }
            Backend::Sqlite => unreachable!("SQLite takes no lock table"),
        }
    }

    async fn release(self) {
        match self {
            TableBlocker::Postgres(mut c) => {
                sqlx::raw_sql("ROLLBACK").execute(&mut c).await.unwrap();
                c.close().await.unwrap();
            }
            TableBlocker::MySql(mut c) => {
                sqlx::raw_sql("UNLOCK TABLES")
                    .execute(&mut c)
                    .await
                    .unwrap();
                c.close().await.unwrap();
            }
        }
    }
}

/// Waits (up to two minutes) until `sql`, a one-value query, answers `want`.
async fn wait_for(db: &TestDb, sql: &str, want: &str, what: &str) {
    let started = Instant::now();
    loop {
        if db.query_strings(sql).await == [want] {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "never: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A run that lasts several leases keeps the lock (the renewal task moves `renewed_at`), so
/// another runner times out naming the holder; killed, its lease expires and the next runner
/// takes over; a failing run releases the lease on its way out.
async fn lock_table_lease(db: TestDb) {
    let ids = chain("k", SLOW_REVISIONS);
    let lock = ["--lock", "table", "--lock-lease", "1"];
    let out = run("slow", &db.url, &with_lock(&lock, &["upgrade", "k01"]));
    assert!(out.status.success(), "{out}");
    let free = "SELECT holder FROM migrate_version_lock";
    assert_eq!(db.query_strings(free).await, [""], "released after the run");

    // a run blocked inside revision k02 renews its 1 s lease past two seconds
    let blocker = TableBlocker::take(&db).await;
    let child = tokio::task::block_in_place(|| {
        spawn("slow", &db.url, &with_lock(&lock, &["upgrade", "head"]))
    });
    let renewed = match db.backend {
        Backend::MySql => {
            "SELECT IF(holder <> '' AND renewed_at > acquired_at + INTERVAL 2 SECOND, 'yes', \
             'no') FROM migrate_version_lock"
        }
        _ => {
            "SELECT CASE WHEN holder <> '' AND renewed_at > acquired_at + interval '2 seconds' \
             THEN 'yes' ELSE 'no' END FROM migrate_version_lock"
        }
    };
    wait_for(&db, renewed, "yes", "the lease renewed past two leases").await;
    let out = run(
        "slow",
        &db.url,
        &with_lock(&lock, &["--lock-timeout", "1", "upgrade", "head"]),
    );
    assert_eq!(out.status.code(), Some(1), "{out}");
    assert!(
        out.stderr.contains("timed out")
            && out
                .stderr
                .contains("the lock table `migrate_version_lock` names holder"),
        "{out}"
    );

    // killed while holding it: nobody renews, the lease expires, the next run takes over
    let out = tokio::task::block_in_place(|| {
        let mut child = child;
        child.kill().unwrap();
        finish(child)
    });
    assert!(out.killed_by(9), "{out}");
    blocker.release().await;
    let out = run(
        "slow",
        &db.url,
        &with_lock(&lock, &["--lock-timeout", "60", "upgrade", "head"]),
    );
    if !out.status.success() {
        // MySQL: the killed revision's DDL had committed
        assert_eq!(db.backend, Backend::MySql, "{out}");
        let state = observe(&db, &ids, SLOW_ROWS, "after the kill").await;
        recover_pending(
            &db,
            &ids,
            state.pending.expect("a pending row"),
            Recovery::Revert,
        )
        .await;
        let out = run("slow", &db.url, &with_lock(&lock, &["upgrade", "head"]));
        assert!(out.status.success(), "{out}");
    }
    assert_eq!(
        observe(&db, &ids, SLOW_ROWS, "after the takeover").await,
        Observed {
            applied: SLOW_REVISIONS,
            pending: None
        }
    );
    assert_eq!(db.query_strings(free).await, [""], "released after the run");

    // the error path releases the lease too
    let out = run(
        "fail_third",
        &db.url,
        &with_lock(
            &["--lock", "table", "--version-table", "ft_version"],
            &["upgrade", "head"],
        ),
    );
    assert_eq!(out.status.code(), Some(1), "{out}");
    assert_eq!(
        db.query_strings("SELECT holder FROM ft_version_lock").await,
        [""],
        "released after a failing revision: {out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_table_lease_renewed_expires_when_killed_released_on_error_postgres() {
    migrate_tests::with_db(Backend::Postgres, lock_table_lease).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_table_lease_renewed_expires_when_killed_released_on_error_mysql() {
    migrate_tests::with_db(Backend::MySql, lock_table_lease).await
}

/// In one process: a run's future dropped midway (a caller's timeout) keeps the lease in
/// the handle; closing the handle releases it.
async fn lock_table_cancelled_run(db: TestDb) {
    let mut conn = db.connect().await;
    let options = Options {
        lock: migrate_core::lock::LockStrategy::Table,
        lock_lease: Duration::from_secs(1),
        ..Options::default()
    };
    let runner = Runner::new(&slow::MIGRATIONS, options).unwrap();
    runner.upgrade(&mut conn, "k01", &mut |_| {}).await.unwrap();
    let blocker = TableBlocker::take(&db).await;
    {
        let mut quiet = |_: Event<'_>| {};
        let run = runner.upgrade(&mut conn, "head", &mut quiet);
        tokio::pin!(run);
        // cancel once the run holds the lease
        let held =
            "SELECT CASE WHEN holder <> '' THEN 'yes' ELSE 'no' END FROM migrate_version_lock";
        tokio::select! {
            r = &mut run => panic!("the run ended while blocked: {r:?}"),
            () = wait_for(&db, held, "yes", "the run holds the lease") => {}
        }
    }
    blocker.release().await;
    assert_ne!(
        db.query_strings("SELECT holder FROM migrate_version_lock")
            .await,
        [""],
        "the handle still holds the lease"
    );
    conn.close().await;
    assert_eq!(
        db.query_strings("SELECT holder FROM migrate_version_lock")
            .await,
        [""],
        "closing the handle released the lease"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_table_cancelled_run_keeps_the_lease_until_the_handle_closes_postgres() {
    migrate_tests::with_db(Backend::Postgres, lock_table_cancelled_run).await
}
