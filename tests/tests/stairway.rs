//! `cargo migrate test` (migrate_core::testing and the runner's `test` command) on SQLite,
//! PostgreSQL and MySQL: the blog example passes; the `stairway_leaky` fixture fails naming
//! the revision whose downgrade leaves a column behind and the column, reports a downgrade
//! that fails with the database's message, and an irreversible revision as such; after a
//! failed re-upgrade the stairway goes on from a fresh database; `jobs` gives the same results.

use std::process::Command;

use migrate_core::Backend;
use migrate_core::test_suite::{TestOptions, TestResult, Verdict, run};
use migrate_tests::admin_url;

mod leaky {
    migrate_macros::migrations!("fixtures/stairway_leaky");
}

mod reupgrade {
    migrate_macros::migrations!("fixtures/stairway_reupgrade");
}

fn admin(backend: Backend) -> Option<String> {
    (backend != Backend::Sqlite).then(|| admin_url(backend))
}

fn options(backend: Backend) -> TestOptions {
    TestOptions {
        admin_url: admin(backend),
        version_table: "migrate_version".into(),
        connect_timeout: std::time::Duration::from_secs(10),
        ..TestOptions::default()
    }
}

async fn results(backend: Backend, m: &'static migrate_core::Migrations) -> Vec<TestResult> {
    let mut seen = 0;
    let r = run(m, &options(backend), &mut |_| seen += 1).await.unwrap();
    assert_eq!(seen, r.len(), "every result is reported as it comes");
    r
}

fn names_and_outcomes(r: &[TestResult]) -> Vec<(String, &'static str)> {
    r.iter()
        .map(|t| {
            let o = match t.verdict {
                Verdict::Ok => "ok",
                Verdict::Failed(_) => "failed",
                Verdict::Irreversible(_) => "irreversible",
                Verdict::Skipped(_) => "skipped",
                _ => "other",
            };
            (t.name.clone(), o)
        })
        .collect()
}

async fn blog_passes(backend: Backend) {
    let r = results(backend, &blog_migrations::MIGRATIONS).await;
    let failures: Vec<_> = r.iter().filter(|t| t.failed()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let names: Vec<&str> = r.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "graph::single_head",
            "upgrade::e4d5c6b7a8f9",
            "downgrade::base",
            "stairway::8828a8665651",
            "stairway::3f2a9c1b7e4d",
            "stairway::b7c1d2e3f4a5",
            "stairway::e4d5c6b7a8f9",
        ]
    );
}

async fn leaky_fails_naming_the_revision_and_column(backend: Backend) {
    let r = results(backend, &leaky::MIGRATIONS).await;
    assert_eq!(
        names_and_outcomes(&r),
        [
            ("graph::single_head".into(), "ok"),
            ("upgrade::ee55ee55ee55".into(), "ok"),
            ("downgrade::base".into(), "irreversible"),
            ("stairway::aa11aa11aa11".into(), "ok"),
            ("stairway::bb22bb22bb22".into(), "failed"),
            ("stairway::cc33cc33cc33".into(), "failed"),
            ("stairway::dd44dd44dd44".into(), "irreversible"),
            ("stairway::ee55ee55ee55".into(), "ok"),
        ]
    );
    let Verdict::Failed(leak) = &r[4].verdict else {
        unreachable!()
    };
    assert_eq!(
        leak,
        "after upgrade and downgrade the schema differs from before the upgrade:\n  \
         column `posts`.`slug` added"
    );
    let Verdict::Failed(down) = &r[5].verdict else {
        unreachable!()
    };
    assert!(down.starts_with("downgrade fails: "), "{down}");
    assert!(
        down.contains("no_such_tags"),
        "the database's message: {down}"
    );
    assert_eq!(
        r[6].verdict,
        Verdict::Irreversible("the drafts are gone".into())
    );
    assert_eq!(
        r[2].verdict,
        Verdict::Irreversible(
            "downgraded to `dd44dd44dd44` only: it is declared irreversible".into()
        )
    );
}

macro_rules! on_each_backend {
    ($name:ident) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(Backend::Postgres).await
            }
            #[tokio::test]
            async fn mysql() {
                super::$name(Backend::MySql).await
            }
        }
    };
}

/// A downgrade that does nothing under an upgrade that drops a column: the re-upgrade fails
/// (the column is gone), and the stairway goes on from a fresh database upgraded to that
/// revision, so the next revision gets its verdict (not skipped); also with jobs.
async fn a_failed_reupgrade_goes_on_from_a_fresh_database(backend: Backend) {
    let r = results(backend, &reupgrade::MIGRATIONS).await;
    assert_eq!(
        names_and_outcomes(&r),
        [
            ("graph::single_head".into(), "ok"),
            ("upgrade::c3c3c3c3c3c3".into(), "ok"),
            ("downgrade::base".into(), "ok"),
            ("stairway::a1a1a1a1a1a1".into(), "ok"),
            ("stairway::b2b2b2b2b2b2".into(), "failed"),
            ("stairway::c3c3c3c3c3c3".into(), "ok"),
        ]
    );
    let Verdict::Failed(m) = &r[4].verdict else {
        unreachable!()
    };
    assert!(
        m.starts_with(
            "after upgrade and downgrade the schema differs from before the upgrade:\n  \
             column `notes`.`body` removed\nre-upgrade fails: "
        ),
        "{m}"
    );
    let options = TestOptions {
        jobs: 3,
        ..options(backend)
    };
    let many = run(&reupgrade::MIGRATIONS, &options, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(names_and_outcomes(&many), names_and_outcomes(&r));
}

/// `text` with each throwaway database name `migrate_test_<pid>_<n>_<nanos>` replaced by
/// `migrate_test_*`.
fn unnamed(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("migrate_test_") {
        out.push_str(&rest[..at]);
        out.push_str("migrate_test_*");
        rest = rest[at + "migrate_test_".len()..]
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == '_');
    }
    out.push_str(rest);
    out
}

/// `jobs` > 1 runs the upgrade/downgrade check and ranges of the stairway each on its own
/// database at once: the same results (names, verdicts, messages) in the same order as one
/// job, and `on_result` sees them in that order.
async fn jobs_give_the_same_results_in_order(backend: Backend) {
    for m in [&leaky::MIGRATIONS, &blog_migrations::MIGRATIONS] {
        let one = results(backend, m).await;
        for jobs in [2, 3, 8] {
            let mut seen = Vec::new();
            let options = TestOptions {
                jobs,
                ..options(backend)
            };
            let many = run(m, &options, &mut |r| seen.push(r.name.clone()))
                .await
                .unwrap();
            // the throwaway database's name (MySQL's messages carry it) aside
            let strip = |r: &[TestResult]| -> Vec<(String, String)> {
                r.iter()
                    .map(|t| (t.name.clone(), unnamed(&format!("{:?}", t.verdict))))
                    .collect()
            };
            assert_eq!(strip(&many), strip(&one), "jobs = {jobs}");
            let names: Vec<String> = many.iter().map(|t| t.name.clone()).collect();
            assert_eq!(seen, names, "reported in order, jobs = {jobs}");
        }
    }
}

on_each_backend!(blog_passes);
on_each_backend!(a_failed_reupgrade_goes_on_from_a_fresh_database);
on_each_backend!(jobs_give_the_same_results_in_order);
on_each_backend!(leaky_fails_naming_the_revision_and_column);

/// The runner binary's `test` command, as `cargo migrate test` forwards it.
fn cli(backend: Backend, registry: &str, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stairway-runner"));
    cmd.arg("test")
        .args(args)
        .env("STAIRWAY_REGISTRY", registry);
    // DATABASE_URL is not read by `test`: a URL there must not be used
    cmd.env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none");
    if let Some(u) = admin(backend) {
        cmd.arg(format!("--database-url={u}"));
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn cli_output_and_exit_codes(backend: Backend) {
    let (code, out, err) = cli(backend, "blog", &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("test stairway::3f2a9c1b7e4d ... ok\n"),
        "{out}"
    );
    assert!(
        out.contains("test result: ok. 7 passed; 0 failed; 0 ignored;"),
        "{out}"
    );

    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let (code, out, err) = cli(backend, "leaky", &["--junit", junit.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    for line in [
        "test stairway::bb22bb22bb22 ... FAILED\n",
        "test stairway::dd44dd44dd44 ... ignored, irreversible: the drafts are gone\n",
        "---- stairway::bb22bb22bb22 ----\nafter upgrade and downgrade the schema differs from \
         before the upgrade:\n  column `posts`.`slug` added\n",
        "failures:\n    stairway::bb22bb22bb22\n    stairway::cc33cc33cc33\n",
        "test result: FAILED. 4 passed; 2 failed; 2 ignored;",
    ] {
        assert!(out.contains(line), "{line:?} in\n{out}");
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("tests=\"8\" failures=\"2\" errors=\"0\" skipped=\"2\""),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase classname=\"stairway\" name=\"bb22bb22bb22\""),
        "{xml}"
    );
    assert!(
        xml.contains("column `posts`.`slug` added</failure>"),
        "{xml}"
    );

    let (code, out, _) = cli(backend, "leaky", &["--format", "json"]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(report["schema_version"], 1, "{out}");
    assert_eq!(report["command"], "test", "{out}");
    assert_eq!(
        (&report["passed"], &report["failed"], &report["ignored"]),
        (&4.into(), &2.into(), &2.into()),
        "{out}"
    );
    let leaky = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "stairway::bb22bb22bb22")
        .expect("the leaky revision's check");
    assert_eq!(leaky["outcome"], "failed", "{out}");
    assert_eq!(
        leaky["message"],
        "after upgrade and downgrade the schema differs from before the upgrade:\n  column `posts`.`slug` added",
        "{out}"
    );

    // --jobs: the same lines in the same order
    let (code, out_jobs, err) = cli(backend, "leaky", &["--jobs", "3"]);
    assert_eq!(code, 1, "{out_jobs}{err}");
    let (_, out_one, _) = cli(backend, "leaky", &[]);
    let tests = |o: &str| -> Vec<String> {
        o.lines()
            .filter(|l| {
                l.starts_with("test ") && !l.starts_with("test result") || l.starts_with("    ")
            })
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(tests(&out_jobs), tests(&out_one), "{out_jobs}");

    // ranges: only the last revision (from its parent), only the first two
    let (code, out, err) = cli(backend, "leaky", &["--from", "ee55ee55ee55"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("test upgrade::ee55ee55ee55 ... ok\ntest downgrade::dd44dd44dd44 ... ok\ntest stairway::ee55ee55ee55 ... ok\n"), "{out}");
    assert!(
        out.contains("test result: ok. 4 passed; 0 failed; 0 ignored;"),
        "{out}"
    );
    let (code, out, _) = cli(backend, "leaky", &["--to", "bb22"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("test downgrade::base ... ok\ntest stairway::aa11aa11aa11 ... ok\ntest stairway::bb22bb22bb22 ... FAILED\n"), "{out}");
    assert!(!out.contains("cc33"), "{out}");

    // a bad range is an error before any database is made
    let (code, out, err) = cli(backend, "leaky", &["--to", "nosuchrev"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error: Can't locate revision identified by 'nosuchrev'"),
        "{err}"
    );
    assert_eq!(out, "", "nothing ran");
}

on_each_backend!(cli_output_and_exit_codes);

/// A server that cannot be reached: one error line naming the admin connection without its
/// password, exit 1, no test line.
#[test]
fn an_unreachable_server_is_an_error_without_its_password() {
    let out = Command::new(env!("CARGO_BIN_EXE_stairway-runner"))
        .args(["test", "--database-url=postgres://u:s3cret@127.0.0.1:1/x"])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("error: `CREATE DATABASE migrate_test_"),
        "{stderr}"
    );
    assert!(
        stderr.contains("on the admin connection postgres://u:***@127.0.0.1:1/x"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
}
