//! Engines that scale out, emulated on the local PostgreSQL (RELIABILITY.md, "Engines that
//! scale out"): a transient serialization failure (SQLSTATE 40001) provoked for real and
//! retried from BEGIN; a role that may not use advisory locks (as on CockroachDB, where the
//! functions are missing), which the capability probe sees and `--lock auto` answers with the
//! lock table. PgBouncer's transaction mode is in pgbouncer.rs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use migrate_core::runner::{Event, LockStrategy, Options, RetryPolicy, Runner};
use migrate_core::{Backend, Db, Error};
use migrate_tests::{TestDb, admin_url};
use sqlx::Connection;

mod retry {
    migrate_macros::migrations!("fixtures/retry_serialization");
}

/// Starts `upgrade head` of the `retry` fixture on `db` with `options`, on its own connection
/// and task; returns the task (the run's result) and the warnings it reports as they come.
fn spawn_upgrade_head(
    db: &TestDb,
    options: Options,
) -> (
    tokio::task::JoinHandle<Result<(), Error>>,
    Arc<Mutex<Vec<String>>>,
) {
    let warnings = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = warnings.clone();
    let url = db.url.clone();
    let run = tokio::spawn(async move {
        let mut conn = Db::connect(&url).await.unwrap();
        let runner = Runner::new(&retry::MIGRATIONS, options).unwrap();
        let r = runner
            .upgrade(&mut conn, "head", &mut |e| {
                if let Event::Warning { message } = e {
                    seen.lock().unwrap().push(message.to_owned());
                }
            })
            .await
            .map(|_| ());
        conn.close().await;
        r
    });
    (run, warnings)
}

/// Runs `upgrade head` of the `retry` fixture on `db` (serializable by default) while the
/// test holds a serializable transaction that updated the row rt02 updates first; commits it
/// once the runner waits for that row, so that the runner's update fails with 40001. Returns
/// the run's result and the warnings it reported.
async fn upgrade_against_a_conflict(
    db: &TestDb,
    policy: RetryPolicy,
) -> (Result<(), Error>, Vec<String>) {
    let mut holder = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql("BEGIN ISOLATION LEVEL SERIALIZABLE; UPDATE counter SET n = n + 10 WHERE id = 1")
        .execute(&mut holder)
        .await
        .unwrap();
    let (run, warnings) = spawn_upgrade_head(
        db,
        Options {
            retry: policy,
            ..Options::default()
        },
    );
    let waiting = "SELECT COUNT(*)::text FROM pg_stat_activity WHERE datname = current_database() \
                   AND wait_event_type = 'Lock' AND application_name = 'cargo-migrate'";
    let started = Instant::now();
    while db.query_strings(waiting).await != ["1"] {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the runner never waited for the row"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sqlx::raw_sql("COMMIT").execute(&mut holder).await.unwrap();
    holder.close().await.unwrap();
    let r = run.await.unwrap();
    let w = warnings.lock().unwrap().clone();
    (r, w)
}

// Two SERIALIZABLE transactions conflict for real: the test's updates the row revision rt02
// updates first and commits while rt02 waits for it, so PostgreSQL aborts rt02's transaction
// with SQLSTATE 40001. Without retries the revision fails, rolled back, nothing of it left;
// with the default policy it runs again from BEGIN and succeeds, once: the counter moved by
// the test's 10 and rt02's 1, one log line, one version row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serialization_failure_is_retried_from_begin_on_postgres() {
    let db = TestDb::new(Backend::Postgres).await;
    db.exec(&format!(
        "ALTER DATABASE {} SET default_transaction_isolation TO 'serializable'",
        db.name()
    ))
    .await;
    let mut conn = db.connect().await;
    retry::MIGRATIONS.upgrade(&mut conn, "rt01").await.unwrap();
    conn.close().await;

    let (r, warnings) = upgrade_against_a_conflict(&db, RetryPolicy::NEVER).await;
    let e = r.expect_err("40001 without retries fails the revision");
    assert_eq!(
        migrate_core::retry::transient_code(&e).as_deref(),
        Some("40001"),
        "{e}"
    );
    assert!(
        matches!(e, Error::RevisionFailed { rolled_back: true, ref revision, .. } if revision == "rt02"),
        "{e}"
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(db.versions().await, ["rt01"]);
    assert_eq!(
        db.query_strings("SELECT n::text FROM counter").await,
        ["10"]
    );
    assert!(!db.tables().await.iter().any(|t| t == "rt02"));

    let (r, warnings) = upgrade_against_a_conflict(&db, RetryPolicy::default()).await;
    r.unwrap();
    assert_eq!(warnings.len(), 1, "one retry: {warnings:?}");
    assert!(
        warnings[0].contains("upgrade rt02: transient serialization failure (SQLSTATE 40001)")
            && warnings[0].contains("attempt 2 of 5"),
        "{warnings:?}"
    );
    assert_eq!(db.versions().await, ["rt01", "rt02"]);
    assert_eq!(
        db.query_strings("SELECT n::text FROM counter").await,
        ["21"]
    );
    assert_eq!(
        db.query_strings("SELECT COUNT(*)::text FROM apply_log WHERE revision = 'rt02'")
            .await,
        ["1"]
    );
    db.drop_db().await;
}

/// Runs `sql` on the admin connection to database `dbname` of the local server.
async fn admin_in(dbname: &str, sql: &str) {
    let mut url = url::Url::parse(&admin_url(Backend::Postgres)).unwrap();
    url.set_path(&format!("/{dbname}"));
    let mut c = sqlx::PgConnection::connect(url.as_str()).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    c.close().await.unwrap();
}

// A role that may not execute the advisory-lock functions, in a throwaway database (the
// REVOKE is in that database's own catalog; the role is dropped at the end): the probe says
// advisory locks cannot be used, `--lock advisory` fails naming the privilege, `--lock auto`
// picks the lock table, says why, and applies the revisions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_without_advisory_locks_gets_the_lock_table_from_auto() {
    let db = TestDb::new(Backend::Postgres).await;
    let dbname = db.name();
    let role = format!("{dbname}_noadv");
    admin_in(
        "postgres",
        &format!("DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN"),
    )
    .await;
    admin_in(
        &dbname,
        &format!(
            "REVOKE EXECUTE ON FUNCTION pg_try_advisory_lock(bigint), \
             pg_try_advisory_xact_lock(bigint), pg_advisory_lock(bigint), \
             pg_advisory_unlock(bigint) FROM PUBLIC; \
             ALTER DATABASE {dbname} OWNER TO {role}; \
             GRANT ALL ON SCHEMA public TO {role}"
        ),
    )
    .await;
    let mut url = url::Url::parse(&db.url).unwrap();
    url.set_username(&role).unwrap();
    let url = url.to_string();

    let mut conn = Db::connect(&url).await.unwrap();
    let caps = conn.probe_capabilities().await.unwrap();
    assert!(!caps.advisory_locks, "{caps:?}");
    assert!(caps.transactional_ddl, "{caps:?}");
    assert!(caps.session_sticky, "{caps:?}");
    assert!(caps.engine.starts_with("PostgreSQL"), "{caps:?}");
    assert_eq!(caps.lock().0, LockStrategy::Table);
    conn.close().await;

    let run = |lock: LockStrategy, target: &'static str| {
        let url = url.clone();
        async move {
            let mut conn = Db::connect(&url).await.unwrap();
            let runner = Runner::new(
                &retry::MIGRATIONS,
                Options {
                    lock,
                    ..Options::default()
                },
            )
            .unwrap();
            let mut notes = Vec::new();
            let r = runner
                .upgrade(&mut conn, target, &mut |e| {
                    if let Event::Note { message } = e {
                        notes.push(message.to_owned());
                    }
                })
                .await
                .map(|_| ());
            conn.close().await;
            (r, notes)
        }
    };
    let (r, _) = run(LockStrategy::Advisory, "rt01").await;
    let e = r.expect_err("the advisory lock is refused to this role");
    assert!(
        e.to_string()
            .contains("permission denied for function pg_try_advisory_lock"),
        "{e}"
    );
    assert!(!db.tables().await.iter().any(|t| t == "counter"));

    let (r, notes) = run(LockStrategy::Auto, "head").await;
    r.unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("--lock auto: using the table lock: advisory locks cannot be used")
            && notes[0].contains("transactional DDL yes, advisory locks no"),
        "{notes:?}"
    );
    assert_eq!(db.versions().await, ["rt01", "rt02"]);
    assert_eq!(
        db.query_strings("SELECT holder FROM migrate_version_lock")
            .await,
        [""],
        "the lease is released"
    );
    db.drop_db().await;
    admin_in("postgres", &format!("DROP ROLE {role}")).await;
}

// MySQL/MariaDB: a real deadlock (error 1213) on the revision's first statement, inside the
// transaction that holds its `pending` marker: the server rolls back the marker and the
// statement, the runner sees that nothing of the revision took effect and runs it again.
// The test's transaction updates the counter row (and 20 log rows, so that InnoDB, which
// rolls back the lighter transaction, picks the runner's) and, once the runner waits for
// that row, asks for the runner's uncommitted `pending` row: a lock cycle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mysql_deadlock_on_the_first_statement_is_retried() {
    let db = TestDb::new(Backend::MySql).await;
    let mut conn = db.connect().await;
    retry::MIGRATIONS.upgrade(&mut conn, "rt01").await.unwrap();
    conn.close().await;

    let mut holder = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
    let rows: Vec<String> = (0..20).map(|_| "('test')".to_owned()).collect();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "START TRANSACTION; INSERT INTO apply_log (revision) VALUES {}; \
         UPDATE counter SET n = n + 10 WHERE id = 1",
        rows.join(", ")
    )))
    .execute(&mut holder)
    .await
    .unwrap();
    let (run, warnings) = spawn_upgrade_head(&db, Options::default());
    // the runner's session in its UPDATE (waiting, or about to: its `pending` row is in)
    let waiting = "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.processlist \
                   WHERE db = DATABASE() AND info LIKE 'UPDATE counter SET n = n + 1%'";
    let started = Instant::now();
    while db.query_strings(waiting).await != ["1"] {
        if run.is_finished() {
            panic!("the runner ended without waiting: {:?}", run.await.unwrap());
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the runner never waited for the row: {:?}",
            db.query_strings(
                "SELECT CONCAT(id, ' ', COALESCE(db, '-'), ' ', COALESCE(state, '-'), ' ', \
                 COALESCE(info, '-')) FROM information_schema.processlist"
            )
            .await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // the cycle: InnoDB rolls back the runner's transaction, and this one gets the row
    sqlx::raw_sql("SELECT revision FROM migrate_version WHERE revision = 'rt02' FOR UPDATE")
        .execute(&mut holder)
        .await
        .expect("InnoDB picked the runner's lighter transaction as the deadlock victim");
    sqlx::raw_sql("COMMIT").execute(&mut holder).await.unwrap();
    holder.close().await.unwrap();
    run.await.unwrap().unwrap();
    let warnings = warnings.lock().unwrap().clone();
    assert_eq!(warnings.len(), 1, "one retry: {warnings:?}");
    assert!(
        warnings[0].contains("upgrade rt02: transient serialization failure (SQLSTATE 1213)")
            && warnings[0].contains("attempt 2 of 5"),
        "{warnings:?}"
    );
    assert_eq!(db.versions().await, ["rt01", "rt02"]);
    assert_eq!(
        db.query_strings("SELECT state FROM migrate_version WHERE revision = 'rt02'")
            .await,
        ["applied"]
    );
    assert_eq!(
        db.query_strings("SELECT CAST(n AS CHAR) FROM counter")
            .await,
        ["11"]
    );
    assert_eq!(
        db.query_strings("SELECT CAST(COUNT(*) AS CHAR) FROM apply_log WHERE revision = 'rt02'")
            .await,
        ["1"]
    );
    db.drop_db().await;
}
