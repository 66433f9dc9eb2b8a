//! Fleet runs (README, Fleets): one command over many databases or PostgreSQL schemas, with
//! bounded parallelism, a summary naming every failure, `--fail-fast`, `--canary`, and
//! re-runs that do nothing. The runner is `reliability-runner` over the `storm` fixture (10
//! revisions, st01..st10, each creating a table and logging itself in `apply_log`).

use std::process::{Command, Output, Stdio};

use migrate_core::Backend;
use migrate_tests::TestDb;

fn runner_bin() -> String {
    std::env::var("MIGRATE_TEST_RELIABILITY_RUNNER")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_reliability-runner").to_owned())
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn fleet(args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(runner_bin())
        .env("MIGRATE_FIXTURE", "storm")
        .env_remove("DATABASE_URL")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the runner binary starts");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `outcome` of each JSON line, in order.
fn outcomes(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| {
            let at = l.find("\"outcome\":\"").expect("an outcome") + 11;
            l[at..].split('"').next().unwrap().to_owned()
        })
        .collect()
}

fn sqlite_rows(path: &std::path::Path, sql: &str) -> String {
    let out = Command::new("sqlite3")
        .arg(path)
        .arg(sql)
        .output()
        .expect("sqlite3 runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

// 20 SQLite tenants, one whose directory is missing, one whose version table is ahead of the
// code: the 20 are brought to head, the summary names both failures, the exit code is 1; a
// re-run of the good ones changes nothing.
#[test]
fn sqlite_fleet_brings_every_good_target_to_head_and_names_each_failure() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for i in 0..20 {
        lines.push(format!(
            "sqlite:{}",
            dir.path().join(format!("t{i}.db")).display()
        ));
    }
    let missing = format!("sqlite:{}", dir.path().join("nodir/x.db").display());
    let ahead_path = dir.path().join("ahead.db");
    let r = Command::new("sqlite3")
        .arg(&ahead_path)
        .arg(
            "CREATE TABLE migrate_version (revision VARCHAR(32) PRIMARY KEY, checksum TEXT NOT NULL DEFAULT '', \
             state TEXT NOT NULL, applied_at TEXT NOT NULL, execution_ms BIGINT NOT NULL DEFAULT 0, \
             checksum_format INTEGER NOT NULL DEFAULT 1); \
             INSERT INTO migrate_version (revision, state, applied_at) VALUES ('zz99', 'applied', '2026-01-01 00:00:00')",
        )
        .status()
        .unwrap();
    assert!(r.success());
    let ahead = format!("sqlite:{}", ahead_path.display());
    let mut all = lines.clone();
    all.insert(3, missing.clone());
    all.insert(10, ahead.clone());
    let file = dir.path().join("targets.txt");
    std::fs::write(&file, format!("# tenants\n{}\n", all.join("\n"))).unwrap();
    let f = file.to_str().unwrap();

    let out = fleet(&["--targets", f, "--jobs", "4", "--jsonl", "upgrade", "head"]);
    assert_eq!(out.code, Some(1), "{out}");
    let o = outcomes(&out.stdout);
    assert_eq!(o.len(), 22, "{out}");
    assert_eq!(o.iter().filter(|s| *s == "done").count(), 20, "{out}");
    assert_eq!(o.iter().filter(|s| *s == "failed").count(), 2, "{out}");
    assert!(out.stderr.contains(&format!("error: {missing}: ")), "{out}");
    assert!(
        out.stderr.contains(&format!("error: {ahead}: ")) && out.stderr.contains("zz99"),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("20 done, 0 unchanged, 2 failed, 0 skipped"),
        "{out}"
    );
    for i in 0..20 {
        let p = dir.path().join(format!("t{i}.db"));
        assert_eq!(
            sqlite_rows(&p, "SELECT COUNT(*) FROM migrate_version"),
            "10"
        );
        assert_eq!(sqlite_rows(&p, "SELECT COUNT(*) FROM apply_log"), "10");
    }
    // nothing was written to the target ahead of the code
    assert_eq!(
        sqlite_rows(
            &ahead_path,
            "SELECT group_concat(revision) FROM migrate_version"
        ),
        "zz99"
    );

    // the re-run of the good ones: every target unchanged, exit 0, the table on stdout
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = fleet(&["--targets", f, "--jobs", "4", "upgrade", "head"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr
            .contains("0 done, 20 unchanged, 0 failed, 0 skipped"),
        "{out}"
    );
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.starts_with("unchanged"))
            .count(),
        20,
        "{out}"
    );

    // current: the matrix
    let out = fleet(&["--targets", f, "current"]);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("20") && l.contains("st10")),
        "{out}"
    );

    // downgrade and check over the template form
    let template = format!("sqlite:{}/t{{name}}.db", dir.path().display());
    let out = fleet(&[
        "--target-template",
        &template,
        "--names",
        "0,1,2",
        "downgrade",
        "-2",
    ]);
    assert_eq!(out.code, Some(0), "{out}");
    let out = fleet(&[
        "--target-template",
        &template,
        "--names",
        "0,1,2,3",
        "check",
    ]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr.contains("3 failed") && out.stderr.contains("2 revision(s) not applied"),
        "{out}"
    );
}

// --canary: a failing first target stops the rest; --fail-fast with one job: nothing after
// the failure starts.
#[test]
fn canary_and_fail_fast_stop_the_rollout() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite:{}", dir.path().join("nodir/x.db").display());
    let good: Vec<String> = (0..5)
        .map(|i| format!("sqlite:{}", dir.path().join(format!("c{i}.db")).display()))
        .collect();
    let file = dir.path().join("targets.txt");
    let mut all = vec![missing.clone()];
    all.extend(good.iter().cloned());
    std::fs::write(&file, all.join("\n")).unwrap();
    let f = file.to_str().unwrap();
    let out = fleet(&[
        "--targets",
        f,
        "--canary",
        "1",
        "--jobs",
        "4",
        "--jsonl",
        "upgrade",
    ]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        outcomes(&out.stdout),
        [
            "failed", "skipped", "skipped", "skipped", "skipped", "skipped"
        ],
        "{out}"
    );
    for i in 0..5 {
        assert!(!dir.path().join(format!("c{i}.db")).exists(), "{out}");
    }
    // the canary passes: the rest runs
    std::fs::write(&file, good.join("\n")).unwrap();
    let out = fleet(&["--targets", f, "--canary", "2", "--jobs", "2", "upgrade"]);
    assert_eq!(out.code, Some(0), "{out}");
    // --fail-fast, one job, the failure second
    let more: Vec<String> = (0..4)
        .map(|i| format!("sqlite:{}", dir.path().join(format!("f{i}.db")).display()))
        .collect();
    let all = vec![
        more[0].clone(),
        missing,
        more[1].clone(),
        more[2].clone(),
        more[3].clone(),
    ];
    std::fs::write(&file, all.join("\n")).unwrap();
    let out = fleet(&["--targets", f, "--fail-fast", "--jsonl", "upgrade"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        outcomes(&out.stdout),
        ["done", "failed", "skipped", "skipped", "skipped"],
        "{out}"
    );
}

// Bad fleet input: a clear error, exit 1, nothing touched.
#[test]
fn bad_fleet_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    std::fs::write(&file, "# none\n\n").unwrap();
    let out = fleet(&["--targets", file.to_str().unwrap(), "upgrade"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stderr.contains("the fleet has no targets"), "{out}");
    std::fs::write(&file, "sqlite:a.db\nhttp://example.com/x\n").unwrap();
    let out = fleet(&["--targets", file.to_str().unwrap(), "upgrade"]);
    assert!(
        out.stderr
            .contains("line 2 of the targets file is not a database URL"),
        "{out}"
    );
    let out = fleet(&[
        "--target-template",
        "sqlite:x.db",
        "--names",
        "a",
        "upgrade",
    ]);
    assert!(out.stderr.contains("has no `{name}` placeholder"), "{out}");
    let out = fleet(&[
        "--target-template",
        "sqlite:{name}.db",
        "--names",
        "a/../b",
        "upgrade",
    ]);
    assert!(out.stderr.contains("bad target name"), "{out}");
    let out = fleet(&[
        "--target-template",
        "sqlite:{name}.db",
        "--names",
        "a",
        "history",
    ]);
    assert!(out.stderr.contains("fleet runs take upgrade"), "{out}");
    assert!(!std::path::Path::new("a.db").exists());
}

// PostgreSQL: three schemas of one database (schema per tenant: a version table per schema,
// search_path set per run), then databases from a template with a password in the URL (never
// printed), one of them missing (fails, the rest proceed), and a catalog query.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_schemas_templates_and_catalog_query() {
    let db = TestDb::new(Backend::Postgres).await;
    let out = tokio::task::block_in_place(|| {
        fleet(&[
            "--database-url",
            &db.url,
            "--schemas",
            "tenant_a,tenant_b,tenant_c",
            "--jobs",
            "3",
            "upgrade",
            "head",
        ])
    });
    assert_eq!(out.code, Some(0), "{out}");
    for s in ["tenant_a", "tenant_b", "tenant_c"] {
        assert_eq!(
            db.query_strings(&format!("SELECT COUNT(*)::text FROM {s}.migrate_version"))
                .await,
            ["10"]
        );
        assert_eq!(
            db.query_strings(&format!("SELECT COUNT(*)::text FROM {s}.apply_log"))
                .await,
            ["10"]
        );
    }
    let out = tokio::task::block_in_place(|| {
        fleet(&[
            "--database-url",
            &db.url,
            "--schemas",
            "tenant_a,tenant_b,tenant_c",
            "current",
        ])
    });
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with('3') && l.contains("st10")),
        "{out}"
    );

    // databases from a template; trust auth ignores the password, which must never show
    let other = TestDb::new(Backend::Postgres).await;
    let mut template = url::Url::parse(&db.url).unwrap();
    template.set_password(Some("s3cret-pw")).unwrap();
    template.set_path("/{name}");
    let template = template.to_string().replace("%7Bname%7D", "{name}");
    let names = format!("{},no_such_db_fleet9,{}", db.name(), other.name());
    let out = tokio::task::block_in_place(|| {
        fleet(&[
            "--target-template",
            &template,
            "--names",
            &names,
            "--jobs",
            "2",
            "--jsonl",
            "upgrade",
        ])
    });
    assert_eq!(out.code, Some(1), "{out}");
    // JSON lines come as targets finish
    let mut o = outcomes(&out.stdout);
    o.sort();
    assert_eq!(o, ["done", "done", "failed"], "{out}");
    assert!(
        !out.stdout.contains("s3cret") && !out.stderr.contains("s3cret"),
        "{out}"
    );
    assert!(out.stderr.contains("no_such_db_fleet9"), "{out}");

    // the catalog: a table of tenant names in the first database
    db.exec("CREATE TABLE public.tenants (name TEXT)").await;
    db.exec(&format!(
        "INSERT INTO public.tenants VALUES ('{}'), ('{}')",
        db.name(),
        other.name()
    ))
    .await;
    let out = tokio::task::block_in_place(|| {
        fleet(&[
            "--database-url",
            &db.url,
            "--target-template",
            &template,
            "--targets-query",
            "SELECT name FROM public.tenants ORDER BY name",
            "check",
        ])
    });
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr.contains("2 target(s)") && out.stderr.contains("0 failed"),
        "{out}"
    );
    other.drop_db().await;
}

// Issue 15's done-when: one targets file mixing 20 PostgreSQL schemas (`URL#schema` lines)
// and 10 SQLite files, with one broken target (a schema of a database that does not exist):
// one command brings every good target to head, names the broken one and exits 1; a re-run
// changes nothing. Piped stderr (no terminal) keeps one line per target and no escape codes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_targets_file_mixes_postgres_schemas_and_sqlite_files() {
    let db = TestDb::new(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let schemas: Vec<String> = (0..20).map(|i| format!("tenant_{i:02}")).collect();
    let files: Vec<std::path::PathBuf> = (0..10)
        .map(|i| dir.path().join(format!("s{i}.db")))
        .collect();
    let mut good = Vec::new();
    for (i, s) in schemas.iter().enumerate() {
        good.push(format!("{}#{s}", db.url));
        if i % 2 == 1 {
            good.push(format!("sqlite:{}", files[i / 2].display()));
        }
    }
    let mut missing = url::Url::parse(&db.url).unwrap();
    missing.set_path(&format!("/no_such_db_mixed_{}", std::process::id()));
    let broken = format!("{missing}#tenant_x");
    let mut all = good.clone();
    all.insert(7, broken.clone());
    let file = dir.path().join("fleet.txt");
    std::fs::write(
        &file,
        format!("# 20 schemas, 10 files, 1 broken\n{}\n", all.join("\n")),
    )
    .unwrap();
    let f = file.to_str().unwrap().to_owned();

    let out = tokio::task::block_in_place(|| {
        fleet(&["--targets", &f, "--jobs", "4", "--jsonl", "upgrade", "head"])
    });
    assert_eq!(out.code, Some(1), "{out}");
    let mut o = outcomes(&out.stdout);
    o.sort();
    o.dedup_by(|a, b| a == b);
    assert_eq!(o, ["done", "failed"], "{out}");
    assert!(
        out.stderr.contains("31 target(s)")
            && out
                .stderr
                .contains("30 done, 0 unchanged, 1 failed, 0 skipped"),
        "{out}"
    );
    assert!(out.stderr.contains(&format!("error: {broken}: ")), "{out}");
    assert!(out.stderr.contains("no_such_db_mixed"), "{out}");
    for s in &schemas {
        assert_eq!(
            db.query_strings(&format!("SELECT COUNT(*)::text FROM {s}.migrate_version"))
                .await,
            ["10"],
            "{s}"
        );
        assert_eq!(
            db.query_strings(&format!("SELECT COUNT(*)::text FROM {s}.apply_log"))
                .await,
            ["10"],
            "{s}"
        );
    }
    // nothing outside the tenants' schemas
    assert_eq!(
        db.query_strings(
            "SELECT COUNT(*)::text FROM information_schema.tables WHERE table_schema = 'public'"
        )
        .await,
        ["0"]
    );
    for p in &files {
        assert_eq!(
            sqlite_rows(p, "SELECT COUNT(*) FROM migrate_version"),
            "10",
            "{}",
            p.display()
        );
    }

    // the re-run: every good target unchanged, the broken one still named
    let out = tokio::task::block_in_place(|| fleet(&["--targets", &f, "--jobs", "4", "upgrade"]));
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr
            .contains("0 done, 30 unchanged, 1 failed, 0 skipped"),
        "{out}"
    );
    // not a terminal: a line per target, as before, and no bar or colour codes
    assert_eq!(
        out.stderr
            .lines()
            .filter(|l| l.trim_start().starts_with("Unchanged ["))
            .count(),
        30,
        "{out}"
    );
    assert!(!out.stderr.contains('\x1b'), "{out}");
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.starts_with("unchanged"))
            .count(),
        30,
        "{out}"
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("failed") && l.ends_with(&broken)),
        "{out}"
    );

    // and without the broken line: exit 0
    std::fs::write(&file, good.join("\n")).unwrap();
    let out = tokio::task::block_in_place(|| fleet(&["--targets", &f, "--jobs", "4", "upgrade"]));
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr
            .contains("0 done, 30 unchanged, 0 failed, 0 skipped"),
        "{out}"
    );
    db.drop_db().await;
}

// A `#schema` on a URL that is not PostgreSQL's is refused before any target runs, naming the
// line.
#[test]
fn a_schema_on_a_sqlite_line_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let file = dir.path().join("targets.txt");
    std::fs::write(
        &file,
        format!(
            "sqlite:{}\nsqlite:{}#tenant\n",
            a.display(),
            dir.path().join("b.db").display()
        ),
    )
    .unwrap();
    let out = fleet(&["--targets", file.to_str().unwrap(), "upgrade"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr.contains(
            "line 2 of the targets file: `URL#schema` (schema per tenant) is for PostgreSQL URLs"
        ),
        "{out}"
    );
    assert!(!a.exists(), "no target was run");
}

/// Runs `fleet(args)` while the test holds an exclusive lock on the victim's `apply_log` (the
/// `storm` fixture's st02 inserts into it), waits until the victim's run waits on that lock,
/// kills that session with `pg_terminate_backend`, then releases the lock and returns the
/// fleet's outcome. Waits on the condition (the session in `pg_stat_activity`), never a time.
async fn fleet_killing_victim(victim: &TestDb, args: &[&str]) -> Run {
    use sqlx::Connection;
    let mut holder = sqlx::PgConnection::connect(&victim.url).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE apply_log IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let child = std::thread::spawn(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fleet(&args)
    });
    let waiting = "SELECT COUNT(*)::text FROM pg_stat_activity WHERE datname = current_database() \
                   AND wait_event_type = 'Lock' AND application_name = 'cargo-migrate'";
    let started = std::time::Instant::now();
    while victim.query_strings(waiting).await != ["1"] {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the run never waited"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    victim
        .exec(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \
             current_database() AND wait_event_type = 'Lock' AND application_name = 'cargo-migrate'",
        )
        .await;
    let out = tokio::task::block_in_place(|| child.join().unwrap());
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    holder.close().await.unwrap();
    out
}

// A target whose session is killed mid-run (`pg_terminate_backend` while its revision waits
// on a table lock the test holds): that target fails and is named, the rest of the fleet
// proceeds, and the killed target is left at its last committed revision, nothing
// half-applied; a re-run finishes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_killed_mid_run_fails_alone_and_is_left_consistent() {
    let victim = TestDb::new(Backend::Postgres).await;
    let others = [
        TestDb::new(Backend::Postgres).await,
        TestDb::new(Backend::Postgres).await,
    ];
    let out =
        tokio::task::block_in_place(|| fleet(&["--database-url", &victim.url, "upgrade", "st01"]));
    assert_eq!(out.code, Some(0), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    let urls = [
        victim.url.clone(),
        others[0].url.clone(),
        others[1].url.clone(),
    ];
    std::fs::write(&file, urls.join("\n")).unwrap();
    // st02 inserts into apply_log: it waits for the test's lock, and is killed
    let f = file.to_str().unwrap();
    let out = fleet_killing_victim(&victim, &["--targets", f, "--jobs", "3", "upgrade"]).await;
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr
            .contains("2 done, 0 unchanged, 1 failed, 0 skipped"),
        "{out}"
    );
    let victim_label = migrate_core::redact_url(&victim.url);
    assert!(
        out.stderr.contains(&format!("error: {victim_label}: ")),
        "{out}"
    );
    // nothing of st02 stayed: one row, one log line, no st02 table
    assert_eq!(
        victim
            .query_strings("SELECT string_agg(revision, ',') FROM migrate_version")
            .await,
        ["st01"]
    );
    assert_eq!(
        victim
            .query_strings("SELECT COUNT(*)::text FROM apply_log")
            .await,
        ["1"]
    );
    assert!(!victim.tables().await.iter().any(|t| t == "st02"));
    for o in &others {
        assert_eq!(
            o.query_strings("SELECT COUNT(*)::text FROM migrate_version")
                .await,
            ["10"]
        );
    }
    let out =
        tokio::task::block_in_place(|| fleet(&["--targets", file.to_str().unwrap(), "upgrade"]));
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stderr.contains("1 done, 2 unchanged"), "{out}");
}

// `--lock none` takes no lock and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_none_warns() {
    let db = TestDb::new(Backend::Postgres).await;
    let out = tokio::task::block_in_place(|| {
        fleet(&["--database-url", &db.url, "--lock", "none", "upgrade", "+1"])
    });
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr
            .contains("warning: --lock none: no migration lock is taken"),
        "{out}"
    );
    assert_eq!(
        db.query_strings("SELECT COUNT(*)::text FROM migrate_version")
            .await,
        ["1"]
    );
}

/// Whether a database URL's password shows anywhere in a run's output.
fn leaks(out: &Run, secrets: &[&str]) -> Vec<String> {
    secrets
        .iter()
        .filter(|s| out.stdout.contains(**s) || out.stderr.contains(**s))
        .map(|s| s.to_string())
        .collect()
}

// Issue 15 section 4 in one fleet run over PostgreSQL and MySQL: two good targets (one of
// each), an unreachable server, a MySQL target with a wrong password, a PostgreSQL role that
// does not exist (the local server trusts every existing role, so a missing role is what
// really fails to log in here), a target whose version table is ahead of the code, and a
// target whose session is killed mid-run. The good ones reach head; each failure is named
// once, with the reason; the killed and the ahead targets keep exactly what they had; no
// password shows; exit 1. Then `--fail-fast`: after the first failure nothing else starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_fleet_run_with_every_kind_of_fault() {
    let good_pg = TestDb::new(Backend::Postgres).await;
    let good_my = TestDb::new(Backend::MySql).await;
    let victim = TestDb::new(Backend::Postgres).await;
    let ahead = TestDb::new(Backend::Postgres).await;
    for db in [&victim, &ahead] {
        let out =
            tokio::task::block_in_place(|| fleet(&["--database-url", &db.url, "upgrade", "st01"]));
        assert_eq!(out.code, Some(0), "{out}");
    }
    ahead
        .exec(
            "INSERT INTO migrate_version (revision, checksum, state, applied_at, execution_ms, \
             checksum_format) SELECT 'zz99', checksum, state, applied_at, execution_ms, \
             checksum_format FROM migrate_version WHERE revision = 'st01'",
        )
        .await;
    let with_password = |url: &str, user: Option<&str>, pw: &str| {
        let mut u = url::Url::parse(url).unwrap();
        if let Some(user) = user {
            u.set_username(user).unwrap();
        }
        u.set_password(Some(pw)).unwrap();
        u.to_string()
    };
    let unreachable = "postgres://postgres:pw-unreach-41@127.0.0.1:1/nowhere".to_owned();
    let bad_password = with_password(&good_my.url, None, "wrong-pw-42");
    let no_role = with_password(&good_pg.url, Some("no_such_role_fleet43"), "role-pw-43");
    let secrets = ["pw-unreach-41", "wrong-pw-42", "role-pw-43"];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    let urls = [
        good_pg.url.clone(),
        unreachable.clone(),
        victim.url.clone(),
        bad_password.clone(),
        ahead.url.clone(),
        no_role.clone(),
        good_my.url.clone(),
    ];
    std::fs::write(&file, urls.join("\n")).unwrap();

    // st02 inserts into apply_log: on the victim it waits for the test's lock, and is killed
    let f = file.to_str().unwrap();
    let out = fleet_killing_victim(
        &victim,
        &[
            "--targets",
            f,
            "--jobs",
            "3",
            "--connect-timeout",
            "5",
            "--jsonl",
            "upgrade",
        ],
    )
    .await;

    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(leaks(&out, &secrets), Vec::<String>::new(), "{out}");
    let mut o = outcomes(&out.stdout);
    o.sort();
    assert_eq!(
        o,
        [
            "done", "done", "failed", "failed", "failed", "failed", "failed"
        ],
        "{out}"
    );
    assert!(
        out.stderr
            .contains("2 done, 0 unchanged, 5 failed, 0 skipped"),
        "{out}"
    );
    // each failure named once, with its reason
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 5, "{out}");
    let named = |url: &str, reason: &str| {
        let label = migrate_core::redact_url(url);
        let line = errors
            .iter()
            .find(|l| l.starts_with(&format!("error: {label}: ")))
            .unwrap_or_else(|| panic!("no error line for {label}\n{out}"));
        assert!(line.contains(reason), "`{reason}` not in {line}\n{out}");
    };
    named(&unreachable, "cannot connect");
    named(&bad_password, "Access denied");
    named(&no_role, "no_such_role_fleet43");
    named(&ahead.url, "zz99");
    named(&victim.url, "st02");
    // the good ones are at head
    assert_eq!(
        good_pg
            .query_strings("SELECT COUNT(*)::text FROM migrate_version")
            .await,
        ["10"]
    );
    assert_eq!(
        good_my
            .query_strings("SELECT CAST(COUNT(*) AS CHAR) FROM migrate_version")
            .await,
        ["10"]
    );
    // nothing half-applied: the victim is at st01 with one log line and no st02 table; the
    // target ahead of the code was not written to
    assert_eq!(
        victim
            .query_strings("SELECT string_agg(revision, ',') FROM migrate_version")
            .await,
        ["st01"]
    );
    assert_eq!(
        victim
            .query_strings("SELECT COUNT(*)::text FROM apply_log")
            .await,
        ["1"]
    );
    assert!(!victim.tables().await.iter().any(|t| t == "st02"));
    assert_eq!(
        ahead
            .query_strings(
                "SELECT string_agg(revision, ',' ORDER BY revision) FROM migrate_version"
            )
            .await,
        ["st01,zz99"]
    );
    assert!(!ahead.tables().await.iter().any(|t| t == "st02"));

    // --fail-fast, one job: a fresh target, the wrong password, then two more: the first
    // is done, the second failed, the rest never start (the fresh database stays empty)
    let fresh = [
        TestDb::new(Backend::Postgres).await,
        TestDb::new(Backend::Postgres).await,
    ];
    std::fs::write(
        &file,
        [
            fresh[0].url.clone(),
            bad_password.clone(),
            fresh[1].url.clone(),
            no_role.clone(),
        ]
        .join("\n"),
    )
    .unwrap();
    let out = tokio::task::block_in_place(|| {
        fleet(&[
            "--targets",
            file.to_str().unwrap(),
            "--fail-fast",
            "--jsonl",
            "upgrade",
        ])
    });
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(leaks(&out, &secrets), Vec::<String>::new(), "{out}");
    assert_eq!(
        outcomes(&out.stdout),
        ["done", "failed", "skipped", "skipped"],
        "{out}"
    );
    assert!(fresh[1].tables().await.is_empty(), "{out}");
    for db in [&good_pg, &victim, &ahead, &fresh[0], &fresh[1]] {
        db.drop_db().await;
    }
    good_my.drop_db().await;
}
