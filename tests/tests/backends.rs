//! The runner on every backend: each `backend_test!` runs its body on SQLite, PostgreSQL and
//! MySQL, each on a fresh database.

use migrate_core::runner::{OfflineCommand, Options, Runner};
use migrate_core::{Backend, Error, Migrations};
use migrate_tests::{TestDb, backend_test};

mod failing {
    migrate_macros::migrations!("fixtures/failing");
}

static BLOG: &Migrations = &blog_migrations::MIGRATIONS;

async fn current(db: &TestDb) -> Vec<String> {
    let mut conn = db.connect().await;
    let runner = Runner::new(BLOG, Options::default()).unwrap();
    let status = runner.status(&mut conn).await.unwrap();
    let ids = status
        .heads
        .iter()
        .map(|&i| runner.graph().at(i).id.clone())
        .collect();
    conn.close().await;
    ids
}

async fn upgrade(db: &TestDb, m: &'static Migrations, target: &str) -> Result<Vec<String>, Error> {
    let mut conn = db.connect().await;
    let runner = Runner::new(m, Options::default()).unwrap();
    let mut seen = Vec::new();
    let r = runner
        .upgrade(&mut conn, target, &mut |e| {
            if let migrate_core::runner::Event::Finished { revision, .. } = e {
                seen.push(format!("+{}", revision.id));
            }
        })
        .await;
    conn.close().await;
    r.map(|_| seen)
}

async fn downgrade(
    db: &TestDb,
    m: &'static Migrations,
    target: &str,
) -> Result<Vec<String>, Error> {
    let mut conn = db.connect().await;
    let runner = Runner::new(m, Options::default()).unwrap();
    let mut seen = Vec::new();
    let r = runner
        .downgrade(&mut conn, target, &mut |e| {
            if let migrate_core::runner::Event::Finished { revision, .. } = e {
                seen.push(format!("-{}", revision.id));
            }
        })
        .await;
    conn.close().await;
    r.map(|_| seen)
}

const ALL: [&str; 4] = [
    "+8828a8665651",
    "+3f2a9c1b7e4d",
    "+b7c1d2e3f4a5",
    "+e4d5c6b7a8f9",
];

backend_test!(
    upgrade_head_applies_every_revision_and_backfills,
    |db| async move {
        assert_eq!(upgrade(&db, BLOG, "head").await.unwrap(), ALL);
        assert_eq!(
            db.versions().await,
            [
                "3f2a9c1b7e4d",
                "8828a8665651",
                "b7c1d2e3f4a5",
                "e4d5c6b7a8f9"
            ]
        );
        assert_eq!(
            db.tables().await,
            ["migrate_version", "post_tags", "posts", "tags", "users"]
        );
        // the typed data migration backfilled the new column
        assert_eq!(
            db.query_strings("SELECT slug FROM posts").await,
            ["hello-world"]
        );
        assert_eq!(current(&db).await, ["e4d5c6b7a8f9"]);
        // a second run does nothing
        assert!(upgrade(&db, BLOG, "head").await.unwrap().is_empty());
    }
);

backend_test!(
    downgrade_relative_then_base_then_up_again,
    |db| async move {
        upgrade(&db, BLOG, "head").await.unwrap();
        assert_eq!(downgrade(&db, BLOG, "-1").await.unwrap(), ["-e4d5c6b7a8f9"]);
        assert_eq!(current(&db).await, ["b7c1d2e3f4a5"]);
        assert!(!db.columns("posts").await.contains(&"slug".to_owned()));
        assert_eq!(
            downgrade(&db, BLOG, "base").await.unwrap(),
            ["-b7c1d2e3f4a5", "-3f2a9c1b7e4d", "-8828a8665651"]
        );
        assert_eq!(db.tables().await, ["migrate_version"]);
        assert!(db.versions().await.is_empty());
        assert!(current(&db).await.is_empty());
        assert_eq!(upgrade(&db, BLOG, "head").await.unwrap(), ALL);
    }
);

backend_test!(relative_and_prefix_targets, |db| async move {
    assert_eq!(upgrade(&db, BLOG, "+2").await.unwrap(), &ALL[..2]);
    assert_eq!(current(&db).await, ["3f2a9c1b7e4d"]);
    assert_eq!(upgrade(&db, BLOG, "b7c1").await.unwrap(), &ALL[2..3]);
    assert_eq!(
        downgrade(&db, BLOG, "8828").await.unwrap(),
        ["-b7c1d2e3f4a5", "-3f2a9c1b7e4d"]
    );
    let err = upgrade(&db, BLOG, "+9").await.unwrap_err().to_string();
    assert!(err.contains('3'), "names how many steps exist: {err}");
    assert_eq!(
        current(&db).await,
        ["8828a8665651"],
        "a plan error changes nothing"
    );
});

backend_test!(unknown_target_changes_nothing, |db| async move {
    upgrade(&db, BLOG, "+1").await.unwrap();
    let err = upgrade(&db, BLOG, "nosuchrev")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Can't locate revision identified by 'nosuchrev'"),
        "{err}"
    );
    let err = downgrade(&db, BLOG, "e4d5c6b7a8f9")
        .await
        .unwrap_err()
        .to_string();
    assert!(!err.is_empty());
    assert_eq!(db.versions().await, ["8828a8665651"]);
});

backend_test!(
    failing_revision_names_itself_and_keeps_previous_state,
    |db| async move {
        let m: &'static Migrations = &failing::MIGRATIONS;
        let err = upgrade(&db, m, "head").await.unwrap_err();
        let text = err.to_string();
        assert!(text.contains("bbbbbbbbbbbb"), "names the revision: {text}");
        assert!(
            text.contains("create b then fail"),
            "names the message: {text}"
        );
        assert!(
            text.contains("no_such_table"),
            "names the statement / database error: {text}"
        );
        assert!(matches!(err, Error::RevisionFailed { .. }));
        if db.backend.transactional_ddl() {
            // rolled back: the database stays at the previous revision
            assert_eq!(db.versions().await, ["aaaaaaaaaaaa"]);
            assert!(!db.tables().await.contains(&"b".to_owned()));
            // and the next run tries again, and fails the same way
            assert!(upgrade(&db, m, "head").await.is_err());
        } else {
            // MySQL: DDL committed; the revision is recorded as pending and every later run
            // refuses, naming the revision and the recovery
            let err = upgrade(&db, m, "head").await.unwrap_err().to_string();
            assert!(
                err.contains("bbbbbbbbbbbb") && err.contains("stamp"),
                "{err}"
            );
            // recovery: revert by hand, stamp the parent
            db.exec("DROP TABLE b").await;
            let mut conn = db.connect().await;
            Runner::new(m, Options::default())
                .unwrap()
                .stamp(&mut conn, &["aaaaaaaaaaaa"], false)
                .await
                .unwrap();
            conn.close().await;
            assert_eq!(db.versions().await, ["aaaaaaaaaaaa"]);
        }
    }
);

backend_test!(stamp_writes_the_table_without_running, |db| async move {
    let mut conn = db.connect().await;
    let runner = Runner::new(BLOG, Options::default()).unwrap();
    runner
        .stamp(&mut conn, &["3f2a9c1b7e4d"], false)
        .await
        .unwrap();
    conn.close().await;
    assert_eq!(db.versions().await, ["3f2a9c1b7e4d", "8828a8665651"]);
    assert_eq!(db.tables().await, ["migrate_version"], "stamp runs nothing");
    let mut conn = db.connect().await;
    runner.stamp(&mut conn, &["base"], false).await.unwrap();
    conn.close().await;
    assert!(db.versions().await.is_empty());
});

backend_test!(edited_applied_revision_is_refused, |db| async move {
    upgrade(&db, BLOG, "+1").await.unwrap();
    db.exec("UPDATE migrate_version SET checksum = 'deadbeef' WHERE revision = '8828a8665651'")
        .await;
    let err = upgrade(&db, BLOG, "head").await.unwrap_err().to_string();
    assert!(
        err.contains("8828a8665651") && err.contains("changed"),
        "{err}"
    );
    assert_eq!(db.versions().await, ["8828a8665651"]);
});

backend_test!(
    unknown_revision_in_version_table_is_reported,
    |db| async move {
        upgrade(&db, BLOG, "+1").await.unwrap();
        db.exec("INSERT INTO migrate_version (revision, checksum, state, applied_at, execution_ms) VALUES ('feedfacecafe', '', 'stamped', 'x', 0)").await;
        let err = upgrade(&db, BLOG, "head").await.unwrap_err().to_string();
        assert!(
            err.contains("Can't locate revision identified by 'feedfacecafe'")
                && err.contains("--purge"),
            "{err}"
        );
        assert_eq!(db.versions().await, ["8828a8665651", "feedfacecafe"]);
    }
);

backend_test!(offline_script_matches_online_run, |db| async move {
    let runner = Runner::new(BLOG, Options::default()).unwrap();
    // the blog's data migration reads rows: offline mode must refuse it, naming it
    let err = runner
        .offline_script(db.backend, OfflineCommand::Upgrade("head"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("e4d5c6b7a8f9") && err.contains("offline"),
        "{err}"
    );
    // up to the revision before it renders, and the script applies on a fresh database
    let script = runner
        .offline_script(db.backend, OfflineCommand::Upgrade("b7c1d2e3f4a5"))
        .await
        .unwrap();
    assert!(
        script.contains("-- Running upgrade <base> -> 8828a8665651, create users"),
        "{script}"
    );
    db.exec(&script).await;
    assert_eq!(
        db.versions().await,
        ["3f2a9c1b7e4d", "8828a8665651", "b7c1d2e3f4a5"]
    );
    assert_eq!(
        db.tables().await,
        ["migrate_version", "post_tags", "posts", "tags", "users"]
    );
    // and the online runner continues from there
    assert_eq!(upgrade(&db, BLOG, "head").await.unwrap(), &ALL[3..]);
});

backend_test!(application_start_up_one_liner, |db| async move {
    let plan = BLOG.upgrade_url(&db.url, "head").await.unwrap();
    assert_eq!(plan.steps.len(), 4);
    assert_eq!(db.versions().await.len(), 4);
});

#[tokio::test]
async fn bad_urls_and_unreachable_servers_are_clear_errors() {
    let err = Migrations::upgrade_url(BLOG, "oracle://scott:tiger@db/x", "head")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("scheme") && !err.contains("tiger"), "{err}");
    let err = Migrations::upgrade_url(BLOG, "postgres://u:hunter2@127.0.0.1:1/db", "head")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot connect") && err.contains("u:***@") && !err.contains("hunter2"),
        "{err}"
    );
    let err = Migrations::upgrade_url(BLOG, "mysql://u:hunter2@127.0.0.1:1/db", "head")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot connect") && !err.contains("hunter2"),
        "{err}"
    );
}

#[test]
fn sqlite_is_the_transactional_default() {
    assert!(Backend::Sqlite.transactional_ddl());
    assert!(!Backend::MySql.transactional_ddl());
}

backend_test!(
    library_callers_get_the_same_guards_as_the_cli,
    |db| async move {
        // a range is for offline scripts: online it is refused before anything runs
        let err = upgrade(&db, BLOG, "8828a8665651:head")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("8828a8665651:head"), "{err}");
        assert!(db.versions().await.is_empty());
        // offline, a downgrade needs a range (there is no database to start from)
        let runner = Runner::new(BLOG, Options::default()).unwrap();
        let err = runner
            .offline_script(db.backend, OfflineCommand::Downgrade("base"))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("base"), "{err}");
        // a bad version-table name is named as such
        let bad = Options {
            version_table: "x; drop table users".into(),
            ..Options::default()
        };
        let err = Runner::new(BLOG, bad).unwrap_err().to_string();
        assert!(
            err.contains("x; drop table users") && !err.contains("URL"),
            "{err}"
        );
    }
);

mod panics {
    migrate_macros::migrations!("fixtures/reliability_panics");
}

/// The runner binary of the reliability tests, over `fixture`.
fn runner_bin(fixture: &str, url: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reliability-runner"))
        .env("MIGRATE_FIXTURE", fixture)
        .env_remove("DATABASE_URL")
        .arg("--database-url")
        .arg(url)
        .args(args)
        .output()
        .expect("runner runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn with_table(name: &str) -> Options {
    Options {
        version_table: name.to_owned(),
        ..Options::default()
    }
}

backend_test!(
    version_tables_with_capitals_dashes_and_schemas,
    |db| async move {
        // a schema of the backend: SQLite's main database, a PostgreSQL schema with a
        // capital, MySQL's database (the test's own)
        let schema = match db.backend {
            Backend::Sqlite => "main".to_owned(),
            Backend::Postgres => {
                db.exec("CREATE SCHEMA \"Audit\"").await;
                "Audit".to_owned()
            }
            Backend::MySql => db.url.rsplit('/').next().unwrap().to_owned(),
        };
        for name in [
            "MyVersions".to_owned(),
            "my-versions".to_owned(),
            format!("{schema}.Ver-Sions"),
        ] {
            // reset the schema between names: each name starts on an empty database
            let mut conn = db.connect().await;
            let runner = Runner::new(BLOG, with_table(&name)).unwrap();
            let mut seen = Vec::new();
            runner
                .upgrade(&mut conn, "+2", &mut |e| {
                    if let migrate_core::runner::Event::Finished { revision, .. } = e {
                        seen.push(revision.id.to_owned());
                    }
                })
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(seen, ["8828a8665651", "3f2a9c1b7e4d"], "{name}");
            // found again under its own name: at 3f2a9c1b7e4d, and the next run goes on
            // from there instead of running the first revision again
            let status = runner.status(&mut conn).await.unwrap();
            let heads: Vec<&str> = status
                .heads
                .iter()
                .map(|&i| runner.graph().at(i).id.as_str())
                .collect();
            assert_eq!(heads, ["3f2a9c1b7e4d"], "{name}");
            let plan = runner
                .upgrade(&mut conn, "head", &mut |_| {})
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(plan.steps.len(), 2, "{name}");
            runner
                .stamp(&mut conn, &["head"], true)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            runner
                .downgrade(&mut conn, "base", &mut |_| {})
                .await
                .unwrap();
            conn.close().await;
            let (code, out, err) = runner_bin_blog_current(&db, &name).await;
            assert_eq!(code, Some(0), "{name}: {err}");
            assert!(out.is_empty(), "{name}: at base: {out}");
            let mut conn = db.connect().await;
            runner.upgrade(&mut conn, "+1", &mut |_| {}).await.unwrap();
            conn.close().await;
            let (code, out, err) = runner_bin_blog_current(&db, &name).await;
            assert_eq!(
                (code, out.as_str()),
                (Some(0), "8828a8665651\n"),
                "{name}: {err}"
            );
            let mut conn = db.connect().await;
            runner
                .downgrade(&mut conn, "base", &mut |_| {})
                .await
                .unwrap();
            conn.close().await;
            assert!(!db.tables().await.contains(&"users".to_owned()), "{name}");
        }
        // the default table was never created
        assert!(!db.tables().await.contains(&"migrate_version".to_owned()));
    }
);

/// `current` through the runner CLI (the `bad-inputs-runner` binary serves the blog).
async fn runner_bin_blog_current(db: &TestDb, table: &str) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bad-inputs-runner"))
        .env_remove("DATABASE_URL")
        .env_remove("BAD_INPUTS_REGISTRY")
        .arg("--database-url")
        .arg(&db.url)
        .args(["--version-table", table, "current"])
        .output()
        .expect("runner runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

backend_test!(
    current_shows_a_pending_revision_and_fails,
    |db| async move {
        let mut conn = db.connect().await;
        Runner::new(&panics::MIGRATIONS, Options::default())
            .unwrap()
            .stamp(&mut conn, &["p01"], false)
            .await
            .unwrap();
        conn.close().await;
        // what a revision that failed midway outside a transaction leaves
        db.exec(
            "INSERT INTO migrate_version (revision, checksum, state, applied_at, execution_ms) \
         VALUES ('p02', '', 'pending', '2026-01-01 00:00:00.000', 0)",
        )
        .await;
        let (code, out, err) = runner_bin("panics", &db.url, &["current"]);
        assert_eq!(code, Some(1), "exits non-zero as `check` does: {out}{err}");
        assert!(
            !out.contains("(head)"),
            "a pending revision is no head: {out}"
        );
        assert!(out.contains("p01\n"), "the last complete revision: {out}");
        assert!(out.contains("p02 (pending: partly applied)"), "{out}");
        assert!(
            err.contains("p02") && err.contains("stamp p02") && err.contains("stamp p01"),
            "names the recovery: {err}"
        );
    }
);

fn checksums(rows: Vec<String>) -> Vec<String> {
    let mut rows = rows;
    rows.sort();
    rows
}

backend_test!(
    repair_accepts_an_edit_and_stamp_keeps_checksums,
    |db| async move {
        let code = |id: &str| BLOG.get(id).unwrap().checksum.to_owned();
        upgrade(&db, BLOG, "+2").await.unwrap();
        // an applied revision edited since (as if its file changed): refused
        db.exec("UPDATE migrate_version SET checksum = 'deadbeef' WHERE revision = '8828a8665651'")
            .await;
        assert!(upgrade(&db, BLOG, "head").await.is_err());
        // `repair` records the code's checksum, and nothing else
        let mut conn = db.connect().await;
        let runner = Runner::new(BLOG, Options::default()).unwrap();
        let repaired = runner.repair(&mut conn, &["8828"]).await.unwrap();
        assert_eq!(
            repaired,
            [("8828a8665651".to_owned(), "deadbeef".to_owned())]
        );
        // a revision that is not applied has nothing to repair
        let err = runner
            .repair(&mut conn, &["e4d5c6b7a8f9"])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not applied"), "{err}");
        conn.close().await;
        assert_eq!(
            db.query_strings(
                "SELECT checksum FROM migrate_version WHERE revision = '8828a8665651'"
            )
            .await,
            [code("8828a8665651")]
        );
        assert_eq!(upgrade(&db, BLOG, "head").await.unwrap(), &ALL[2..]);
        // stamp --purge rewrites the table but keeps every checksum
        let before = checksums(
            db.query_strings("SELECT checksum FROM migrate_version")
                .await,
        );
        let mut conn = db.connect().await;
        runner.stamp(&mut conn, &["head"], true).await.unwrap();
        conn.close().await;
        assert_eq!(
            checksums(
                db.query_strings("SELECT checksum FROM migrate_version")
                    .await
            ),
            before
        );
        // stamping a fresh database records the code's checksums: a later edit is caught
        let fresh = TestDb::new(db.backend).await;
        let mut conn = fresh.connect().await;
        runner
            .stamp(&mut conn, &["3f2a9c1b7e4d"], false)
            .await
            .unwrap();
        conn.close().await;
        assert_eq!(
            checksums(
                fresh
                    .query_strings("SELECT checksum FROM migrate_version")
                    .await
            ),
            checksums(vec![code("8828a8665651"), code("3f2a9c1b7e4d")])
        );
        fresh.drop_db().await;
    }
);

backend_test!(
    a_version_table_without_checksum_format_keeps_working,
    |db| async move {
        upgrade(&db, BLOG, "+1").await.unwrap();
        let formats =
            || db.query_strings("SELECT checksum_format FROM migrate_version ORDER BY revision");
        assert_eq!(formats().await, ["1"]);
        // the version table as cargo-migrate wrote it before `checksum_format` existed
        db.exec("ALTER TABLE migrate_version DROP COLUMN checksum_format")
            .await;
        assert_eq!(current(&db).await, ["8828a8665651"], "read as before");
        // the next run adds the column (format 1: the only one there was) and goes on
        assert_eq!(upgrade(&db, BLOG, "head").await.unwrap(), &ALL[1..]);
        assert_eq!(formats().await, ["1", "1", "1", "1"]);
        // a row of another checksum format is not compared with the code: its checksum
        // cannot be recomputed
        db.exec(
            "UPDATE migrate_version SET checksum = 'deadbeef', checksum_format = 2 \
             WHERE revision = '8828a8665651'",
        )
        .await;
        assert!(downgrade(&db, BLOG, "-1").await.is_ok());
        // and `repair` brings it to the current format
        let mut conn = db.connect().await;
        Runner::new(BLOG, Options::default())
            .unwrap()
            .repair(&mut conn, &["8828a8665651"])
            .await
            .unwrap();
        conn.close().await;
        assert_eq!(formats().await, ["1", "1", "1"]);
    }
);

backend_test!(
    transaction_mode_all_reports_only_what_commits,
    |db| async move {
        let (code, _, err) = runner_bin(
            "fail_third",
            &db.url,
            &["--transaction-mode", "all", "upgrade", "head"],
        );
        assert_eq!(code, Some(1), "{err}");
        if db.backend.transactional_ddl() {
            // f01 and f02 ran in the run's transaction, which f03's failure rolled back:
            // never reported done, reported rolled back, and named in the error
            assert!(!err.contains("Upgrading"), "{err}");
            assert!(
                err.contains("Rolled back f01") && err.contains("Rolled back f02"),
                "{err}"
            );
            assert!(err.contains("not applied: f01, f02"), "{err}");
            assert!(
                !err.contains("warning"),
                "one transaction: nothing to warn about: {err}"
            );
        } else {
            // MySQL cannot hold one transaction: said before anything runs; each revision
            // commits on its own and is reported when it does
            let warning = err.find("warning: --transaction-mode all cannot hold on MySQL");
            let first = err.find("Upgrading <base> -> f01");
            assert!(
                warning.is_some() && first.is_some() && warning < first,
                "{err}"
            );
            assert!(err.contains("PARTLY APPLIED"), "{err}");
        }
    }
);

backend_test!(
    transaction_mode_all_warns_before_splitting_the_run,
    |db| async move {
        let (code, _, err) = runner_bin(
            "storm_cic",
            &db.url,
            &["--transaction-mode", "all", "upgrade", "head"],
        );
        assert_eq!(code, Some(0), "{err}");
        let first = err.find("Upgrading").expect("progress");
        let warning = if db.backend.transactional_ddl() {
            err.find("warning: --transaction-mode all: this run is split into several transactions, because revision st06 is declared `transactional = false`")
        } else {
            err.find("warning: --transaction-mode all cannot hold on MySQL")
        };
        assert!(
            warning.is_some_and(|w| w < first),
            "warned before running: {err}"
        );
        assert_eq!(err.matches("Upgrading").count(), 10, "{err}");
    }
);

backend_test!(
    a_failure_outside_a_transaction_says_partly_applied_at_once,
    |db| async move {
        let m: &'static Migrations = &failing::MIGRATIONS;
        let err = upgrade(&db, m, "head").await.unwrap_err().to_string();
        assert!(
            err.contains("at statement `INSERT INTO no_such_table (id) VALUES (1)`"),
            "{err}"
        );
        if db.backend.transactional_ddl() {
            assert!(
                err.contains("the revision was rolled back") && !err.contains("PARTLY"),
                "{err}"
            );
        } else {
            assert!(
                err.contains("PARTLY APPLIED") && err.contains("pending"),
                "{err}"
            );
            assert!(
                err.contains("1 statement(s) completed before the failure: 1. `CREATE TABLE `b`"),
                "which statements ran: {err}"
            );
            assert!(
                err.contains("`cargo migrate stamp bbbbbbbbbbbb` (changes complete)")
                    && err.contains("`cargo migrate stamp aaaaaaaaaaaa` (changes reverted)"),
                "the recovery: {err}"
            );
        }
        // a panic: said as the panic unwinds out of the revision, before the process ends
        let fresh = TestDb::new(db.backend).await;
        let (code, _, err) = runner_bin("panics", &fresh.url, &["upgrade", "head"]);
        assert_eq!(code, Some(101), "{err}");
        assert!(
            err.contains("p02 panics halfway")
                && err.contains("error: upgrade p02 (create p02 then panic) panicked"),
            "{err}"
        );
        if db.backend.transactional_ddl() {
            assert!(
                err.contains("rolled back") && !err.contains("PARTLY"),
                "{err}"
            );
        } else {
            assert!(
                err.contains("PARTLY APPLIED")
                    && err.contains("`CREATE TABLE p02 (id INTEGER NOT NULL PRIMARY KEY)`")
                    && err.contains("`cargo migrate stamp p01` (changes reverted)"),
                "{err}"
            );
        }
        fresh.drop_db().await;
    }
);

backend_test!(
    offline_script_renders_up_to_a_reading_revision,
    |db| async move {
        let dialect = db.backend.name();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_bad-inputs-runner"))
            .env_remove("DATABASE_URL")
            .env_remove("BAD_INPUTS_REGISTRY")
            .args(["upgrade", "head", "--sql", "--dialect", dialect])
            .output()
            .expect("runner runs");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
        // every revision before the one that reads is rendered...
        for line in [
            "-- Running upgrade <base> -> 8828a8665651, create users",
            "-- Running upgrade 8828a8665651 -> 3f2a9c1b7e4d",
            "-- Running upgrade 3f2a9c1b7e4d -> b7c1d2e3f4a5",
        ] {
            assert!(stdout.contains(line), "{line}: {stdout}");
        }
        // ...and it stops there, naming it
        assert!(!stdout.contains("-> e4d5c6b7a8f9"), "{stdout}");
        assert!(stdout.trim_end().ends_with("(see the error)"), "{stdout}");
        assert!(
            stderr.contains("e4d5c6b7a8f9") && stderr.contains("fetch_all"),
            "{stderr}"
        );
        // the same as the script up to the last revision that renders, and it runs
        let runner = Runner::new(BLOG, Options::default()).unwrap();
        let upto = runner
            .offline_script(db.backend, OfflineCommand::Upgrade("b7c1d2e3f4a5"))
            .await
            .unwrap();
        // (the version-table rows carry the time they were rendered at)
        let lines = |s: &str| -> Vec<String> {
            s.lines()
                .filter(|l| !l.contains("migrate_version") && !l.starts_with("-- STOPPED"))
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(lines(&stdout), lines(&upto));
        // the script as printed runs
        db.exec(&stdout).await;
        assert_eq!(current(&db).await, ["b7c1d2e3f4a5"]);
    }
);

#[test]
fn the_runner_stores_the_checksum_format_the_macro_computes() {
    // migrate-macros/src/checksum.rs pins format 1 with golden values; a new format there
    // must come with a new number here
    assert_eq!(migrate_core::version_table::CHECKSUM_FORMAT, 1);
}

mod multi_statement {
    migrate_macros::migrations!("fixtures/multi_statement");
}

backend_test!(
    a_failing_script_quotes_the_failing_statement,
    |db| async move {
        let m: &'static Migrations = &multi_statement::MIGRATIONS;
        let err = upgrade(&db, m, "head").await.unwrap_err().to_string();
        assert!(
            err.contains(
                "at statement `INSERT INTO no_such_table (id) VALUES ('a;b')`: executing \
                 statement 3 of 4 of the SQL script"
            ),
            "{err}"
        );
        assert!(
            !err.contains("CREATE TABLE c2"),
            "not the whole script: {err}"
        );
        if !db.backend.transactional_ddl() {
            // MySQL: the statements that ran are listed
            assert!(
                err.contains("2 statement(s) completed before the failure: 1. `CREATE TABLE c1"),
                "{err}"
            );
        }
        // user input echoed in an error is shortened
        let long = "x".repeat(10_000);
        let err = Runner::new(BLOG, Options::default())
            .unwrap()
            .offline_script(db.backend, OfflineCommand::Upgrade(&long))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.len() < 400, "{} characters: {}", err.len(), &err[..400]);
        assert!(err.contains("(10000 characters)"), "{err}");
    }
);
