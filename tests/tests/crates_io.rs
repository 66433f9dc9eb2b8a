//! Real input: the crates.io registry's migration history (285 diesel migrations, see the
//! data directory's README.md), turned into a cargo-migrate migrations crate and
//! replayed on PostgreSQL.
//!
//! - `upgrade head` gives the same schema as replaying the files with psql (and as the
//!   shipped `reference-schema.sql`), compared as normalised `pg_dump --schema-only`;
//! - `downgrade base` stops where upstream's own down.sql is broken
//!   (`2024-10-25-112826_make-unique-version-unique`), naming that revision and the
//!   database's message, and leaves the database consistent at that revision;
//! - `upgrade head` from there gives the reference schema again;
//! - `lint --dialect postgres` (offline: squawk's rules over each revision's up.sql) finds
//!   [`LINT_FINDINGS`] per rule (README.md, Lint);
//! - `test` (the stairway: upgrade, downgrade, re-upgrade per revision) gives, revision by
//!   revision, the verdict psql gives doing the same steps by hand, compared with pg_dump
//!   (`crates_io_stairway_matches_psql`): 260 exact, 21 differ, 3 downgrades fail, 1
//!   re-upgrade fails ([`STAIRWAY_NOT_EXACT`]).
//!
//! The data is not in the repository, so this suite is not part of `cargo test --workspace`
//! (which must pass on a plain clone): it runs from its own command, which `.ci/run` runs too,
//!
//! ```sh
//! MIGRATE_CRATES_IO_DATA=/path/to/crates-io cargo test -p migrate-tests --test crates_io -- --ignored
//! ```
//!
//! with the data at `$MIGRATE_CRATES_IO_DATA` (`.ci/run` sets it). Run that way without the
//! variable or the data, it fails (never skips).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use migrate_core::Backend;
use migrate_tests::crates_io::{Migration, data_dir, generate, migrations};
use migrate_tests::{TestDb, nested};

/// The replay crate's runner, generated and built once per test process (both tests use it).
fn runner() -> PathBuf {
    static RUNNER: OnceLock<PathBuf> = OnceLock::new();
    RUNNER
        .get_or_init(|| {
            let data = data_dir();
            let root = generate(&data, &migrations(&data), "crates-io-replay");
            nested::build_runner(&root, "crates-io-replay")
        })
        .clone()
}

const BROKEN: &str = "2024-10-25-112826_make-unique-version-unique";

/// `lint --dialect postgres` over the 285 revisions: findings per rule (squawk-linter 2.68's
/// default rules; README.md, Lint, records the same table).
const LINT_FINDINGS: &[(&str, usize)] = &[
    ("adding-field-with-default", 3),
    ("adding-foreign-key-constraint", 30),
    ("adding-not-nullable-field", 18),
    ("adding-required-field", 3),
    ("adding-serial-primary-key-field", 9),
    ("ban-char-field", 1),
    ("ban-drop-column", 20),
    ("ban-drop-constraint", 22),
    ("ban-drop-default", 8),
    ("ban-drop-function", 7),
    ("ban-drop-not-null", 3),
    ("ban-drop-table", 8),
    ("ban-drop-type", 1),
    ("ban-drop-view", 1),
    ("changing-column-type", 27),
    ("constraint-missing-not-valid", 43),
    ("disallowed-unique-constraint", 3),
    ("prefer-bigint-over-int", 88),
    ("prefer-bigint-over-smallint", 2),
    ("prefer-identity", 22),
    ("prefer-robust-stmts", 1),
    ("prefer-timestamp-tz", 27),
    ("renaming-column", 4),
    ("renaming-object", 2),
    ("renaming-table", 1),
    ("require-concurrent-index-creation", 54),
    ("require-concurrent-index-deletion", 18),
    ("require-lock-timeout", 259),
    ("require-statement-timeout", 259),
];

/// `pg_dump --schema-only` without the version table, normalised: header comments,
/// `\restrict` lines and blank-line runs removed.
fn dump(url: &str) -> String {
    let out = Command::new("pg_dump")
        .args([
            "--schema-only",
            "--no-owner",
            "--exclude-table=public.migrate_version",
            "--restrict-key=realinputfixedkey",
            "-d",
            url,
        ])
        .output()
        .expect("pg_dump runs (install postgresql-client)");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    normalise(&String::from_utf8(out.stdout).unwrap())
}

fn normalise(dump: &str) -> String {
    let mut out = String::new();
    for line in dump.lines() {
        if line.starts_with("--")
            || line.starts_with("\\restrict")
            || line.starts_with("\\unrestrict")
            || line.contains(" OWNER TO ")
        {
            continue;
        }
        if line.trim().is_empty() && (out.is_empty() || out.ends_with("\n\n")) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Replays with psql in one session, one transaction per migration (none for the marked
/// ones), as the data README describes: the `up.sql` of every migration in `ups`, then the
/// `down.sql` of every migration in `downs` (in the order given).
fn psql_replay(url: &str, data: &Path, ups: &[Migration], downs: &[&Migration]) {
    let mut script = String::from("\\set ON_ERROR_STOP 1\n");
    let steps = ups
        .iter()
        .map(|m| (m, "up.sql"))
        .chain(downs.iter().map(|m| (*m, "down.sql")));
    for (m, file) in steps {
        let path = data.join("migrations").join(&m.dir).join(file);
        if m.transactional {
            script.push_str(&format!("BEGIN;\n\\i '{}'\n;\nCOMMIT;\n", path.display()));
        } else {
            script.push_str(&format!("\\i '{}'\n;\n", path.display()));
        }
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), script).unwrap();
    let out = Command::new("psql")
        .args(["-q", "-X", "-d", url, "-f"])
        .arg(file.path())
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql replay: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the crates.io data from outside the repository: run with \
            `cargo test -p migrate-tests --test crates_io -- --ignored` (README.md, Testing)"]
async fn crates_io_history_replays_on_postgres() {
    let data = data_dir();
    let ms = migrations(&data);
    assert_eq!(ms.len(), 285);
    assert_eq!(ms.iter().filter(|m| !m.transactional).count(), 7);
    let runner = runner();

    // 0. lint, offline (the URL is not used: the dialect is given)
    let lint = nested::run(
        &runner,
        "postgres://nobody@127.0.0.1:1/none",
        &["lint", "--dialect", "postgres", "--format", "json"],
    );
    assert_eq!(
        lint.status.code(),
        Some(1),
        "findings fail the lint: {}",
        lint.stderr
    );
    let doc: serde_json::Value = serde_json::from_str(&lint.stdout).expect("lint --format json");
    assert_eq!(doc["revisions"], 285);
    assert_eq!(doc["not_rendered"], serde_json::json!([]));
    let mut per_rule = std::collections::BTreeMap::<String, usize>::new();
    for f in doc["findings"].as_array().unwrap() {
        assert_eq!(f["allowed"], false);
        *per_rule
            .entry(f["rule"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let want: std::collections::BTreeMap<String, usize> = LINT_FINDINGS
        .iter()
        .map(|(r, n)| ((*r).to_owned(), *n))
        .collect();
    assert_eq!(per_rule, want, "lint findings per rule");

    let ours = TestDb::new(Backend::Postgres).await;
    let theirs = TestDb::new(Backend::Postgres).await;
    // 1. upgrade head == psql replay == reference dump
    let up = nested::run(&runner, &ours.url, &["upgrade", "head"]);
    assert!(up.status.success(), "upgrade head failed:\n{}", up.stderr);
    assert_eq!(up.stderr.matches("Upgrading").count(), 285);
    psql_replay(&theirs.url, &data, &ms, &[]);
    let reference = normalise(&std::fs::read_to_string(data.join("reference-schema.sql")).unwrap());
    let head_dump = dump(&ours.url);
    assert!(
        head_dump == dump(&theirs.url),
        "upgrade head differs from the psql replay"
    );
    assert!(
        head_dump == reference,
        "upgrade head differs from reference-schema.sql"
    );

    // 2. downgrade base stops at upstream's broken down.sql
    let broken = ms.iter().position(|m| m.dir == BROKEN).unwrap();
    let down = nested::run(&runner, &ours.url, &["downgrade", "base"]);
    assert!(
        !down.status.success(),
        "downgrade base must fail at {BROKEN}"
    );
    let err = down
        .stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default()
        .to_owned();
    assert!(err.contains(&ms[broken].id), "names the revision: {err}");
    assert!(
        err.contains("does not exist"),
        "carries the database's message: {err}"
    );
    assert_eq!(
        down.stderr.matches("Downgrading").count(),
        ms.len() - 1 - broken,
        "stops at step {}",
        ms.len() - broken
    );
    let current = nested::run(&runner, &ours.url, &["current"]);
    assert!(current.status.success(), "{}", current.stderr);
    assert_eq!(
        current.stdout.split_whitespace().next(),
        Some(ms[broken].id.as_str()),
        "current: {}",
        current.stdout
    );
    // consistent: the failed revision rolled back (its unique index is still there), and
    // the schema is exactly what psql gives replaying the same path: every up.sql, then
    // the down.sql of each revision above it (upstream's downs are not exact inverses of
    // its ups: re-added columns land at the end, a default changes; so a fresh replay up
    // to that revision differs, and the path is what must match)
    let index = ours.query_strings("SELECT indexname::text FROM pg_indexes WHERE indexname = 'versions_crate_id_num_no_build_uindex'").await;
    assert_eq!(index.len(), 1, "the failed downgrade was rolled back");
    let path = TestDb::new(Backend::Postgres).await;
    let above: Vec<&Migration> = ms[broken + 1..].iter().rev().collect();
    psql_replay(&path.url, &data, &ms, &above);
    let same = dump(&ours.url) == dump(&path.url);
    drop(path);
    assert!(
        same,
        "after the failed downgrade the schema is not that of revision {}",
        ms[broken].id
    );

    // 3. upgrade head from there gives the reference schema again
    let up = nested::run(&runner, &ours.url, &["upgrade"]);
    assert!(up.status.success(), "{}", up.stderr);
    assert!(
        dump(&ours.url) == reference,
        "second upgrade head differs from reference-schema.sql"
    );
}

/// The stairway's verdicts over the 285 revisions (README.md, Testing migrations, and
/// BENCHMARKS.md record the same): every revision not listed here is exact (260).
/// [`crates_io_stairway_matches_psql`] checks them against psql's, computed afresh.
const STAIRWAY_NOT_EXACT: &[(Stair, &[&str])] = &[
    (
        Stair::Differs,
        &[
            "20140925132254_dumped_migration_12",
            "20140925161625_dumped_migration_17",
            "20140926130046_dumped_migration_19",
            "20140930082104_dumped_migration_36",
            "20141112082527_dumped_migration_89",
            "20170308191449_crate_owners_does_not_need_id",
            "20170315133901_make_dependencies_schema_match_use",
            "20170322130523_version_downloads_needs_no_id",
            "20170502181306_drop_schema_migrations",
            "2017-09-23-182408_move_tokens_to_emails_table",
            "2017-09-23-210614_move_readme_rendering_onto_versions",
            "2017-10-16-200404_stop_lying_to_schema",
            "2018-01-18-172821_use_jsonb_for_features",
            "2019-03-22-170700_remove_crate_downloads",
            "2019-09-18-233204_fix_int_type_in_to_semver_no_prerelease",
            "2020-02-14-183929_remove_version_authors_user_id",
            "2020-07-14-113112_change_api_token_to_bytea",
            "2024-06-14-084455_remove-semver-no-prerelease-column",
            "2025-02-11-163554_fix-num-versions-trigger",
            "2025-07-16-170846_drop_gh_access_token",
            "2026-06-17-105325-0000_versions_tar_sha256_not_null",
        ],
    ),
    (
        Stair::DowngradeFails,
        &[
            "20170318181441_downloads_need_no_id",
            "2024-04-12-144536_remove-downloads-column",
            "2024-10-25-112826_make-unique-version-unique",
        ],
    ),
    (
        Stair::ReupgradeFails,
        &["2019-11-11-162609_drop_email_from_user"],
    ),
];

/// A stairway verdict for one revision, as `cargo migrate test` reports it and as the psql
/// reference computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stair {
    /// Upgrade, downgrade, re-upgrade all succeed and the schema comes back each time.
    Exact,
    /// They succeed, but the schema after the downgrade is not the one before the upgrade (or
    /// the re-upgrade's is not the first upgrade's).
    Differs,
    /// The downgrade fails (rolled back; the stairway goes on from the upgraded state).
    DowngradeFails,
    /// The re-upgrade fails (the stairway stops).
    ReupgradeFails,
    /// The upgrade fails (the stairway stops).
    UpgradeFails,
    /// Not run: an earlier step stopped the stairway.
    Skipped,
}

/// Runs one migration file with psql, in one transaction unless the migration is marked
/// non-transactional, stopping at the first error; `Err` carries psql's message.
fn psql_file(url: &str, data: &Path, m: &Migration, file: &str) -> Result<(), String> {
    let path = data.join("migrations").join(&m.dir).join(file);
    let script = if m.transactional {
        format!(
            "\\set ON_ERROR_STOP 1\nBEGIN;\n\\i '{}'\n;\nCOMMIT;\n",
            path.display()
        )
    } else {
        format!("\\set ON_ERROR_STOP 1\n\\i '{}'\n;\n", path.display())
    };
    // the script on stdin: `\i` and `\set` are read as a script only from a file or stdin
    let mut child = Command::new("psql")
        .args(["-q", "-X", "-d", url])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("psql runs");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().expect("psql runs");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// The stairway done by hand with psql and pg_dump on the empty database at `url`: per
/// migration, `up.sql`, `down.sql`, `up.sql` again (each a psql process as [`psql_file`]),
/// comparing `pg_dump --schema-only` after the downgrade with the dump before the upgrade
/// and after the re-upgrade with the dump after the upgrade ([`canonical`] forms). As
/// `cargo migrate test` does: after a failed downgrade it goes on from the upgraded state;
/// after a failed re-upgrade, from a fresh database (`fresh()`'s URL) where psql replays
/// every `up.sql` up to that migration; after a failed upgrade it stops. The verdict per
/// migration, and the first lines that differ (or psql's message).
fn psql_stairway(
    url: &str,
    data: &Path,
    ms: &[Migration],
    fresh: &mut dyn FnMut() -> String,
) -> Vec<(Stair, String)> {
    let mut url = url.to_owned();
    let mut out = Vec::new();
    let mut before = canonical(&dump(&url));
    let mut stopped = false;
    for (i, m) in ms.iter().enumerate() {
        if stopped {
            out.push((Stair::Skipped, String::new()));
            continue;
        }
        if let Err(e) = psql_file(&url, data, m, "up.sql") {
            out.push((Stair::UpgradeFails, e));
            stopped = true;
            continue;
        }
        let upgraded = canonical(&dump(&url));
        if let Err(e) = psql_file(&url, data, m, "down.sql") {
            out.push((Stair::DowngradeFails, e));
            before = upgraded;
            continue;
        }
        let downgraded = canonical(&dump(&url));
        let down_diff = dump_diff(&before, &downgraded);
        if let Err(e) = psql_file(&url, data, m, "up.sql") {
            out.push((Stair::ReupgradeFails, e));
            url = fresh();
            psql_replay(&url, data, &ms[..=i], &[]);
            before = canonical(&dump(&url));
            continue;
        }
        let again = canonical(&dump(&url));
        let up_diff = dump_diff(&upgraded, &again);
        out.push(match (down_diff, up_diff) {
            (None, None) => (Stair::Exact, String::new()),
            (d, u) => (
                Stair::Differs,
                [d, u].into_iter().flatten().collect::<Vec<_>>().join("\n"),
            ),
        });
        before = again;
    }
    out
}

/// A normalised dump ([`dump`]) in the form the stairway's comparison is checked against:
/// each statement on one line with its whitespace runs collapsed (a downgrade that
/// re-creates a function re-indents its body), a `CREATE TABLE`'s column lines sorted
/// (columns are compared by name, not position, as Alembic does: a downgrade re-adding a
/// dropped column adds it at the end), the statements sorted (pg_dump's order among objects
/// of a kind follows their creation when dependencies tie). Everything else pg_dump prints
/// counts.
fn canonical(dump: &str) -> String {
    let mut statements = Vec::new();
    for block in dump.split("\n\n") {
        let lines: Vec<&str> = block.lines().collect();
        let text = if lines.len() > 2
            && lines[0].starts_with("CREATE TABLE ")
            && lines[lines.len() - 1].starts_with(')')
        {
            let mut columns: Vec<&str> = lines[1..lines.len() - 1]
                .iter()
                .map(|l| l.trim().trim_end_matches(','))
                .collect();
            columns.sort_unstable();
            format!(
                "{} {} {}",
                lines[0],
                columns.join(", "),
                lines[lines.len() - 1]
            )
        } else {
            block.to_owned()
        };
        statements.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    statements.sort_unstable();
    statements.join("\n")
}

/// `None` when the two canonical dumps are equal, else the statements only one of them has
/// (at most 6).
fn dump_diff(a: &str, b: &str) -> Option<String> {
    if a == b {
        return None;
    }
    let la: std::collections::BTreeSet<&str> = a.lines().collect();
    let lb: std::collections::BTreeSet<&str> = b.lines().collect();
    let mut lines: Vec<String> = la
        .difference(&lb)
        .map(|l| format!("- {l}"))
        .chain(lb.difference(&la).map(|l| format!("+ {l}")))
        .collect();
    lines.truncate(6);
    Some(lines.join("\n"))
}

/// `b` with each test's `elapsed_ms` taken from `a` (the rest must be equal).
fn two_without_times(b: &serde_json::Value, a: &serde_json::Value) -> serde_json::Value {
    let mut b = b.clone();
    for (tb, ta) in b["tests"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .zip(a["tests"].as_array().unwrap())
    {
        tb["elapsed_ms"] = ta["elapsed_ms"].clone();
    }
    b
}

/// Our stairway's verdict from `cargo migrate test --format json`'s test case.
fn our_stair(case: &serde_json::Value) -> Stair {
    let message = case["message"].as_str().unwrap_or_default();
    match case["outcome"].as_str().unwrap() {
        "ok" => Stair::Exact,
        "skipped" => Stair::Skipped,
        "failed" if message.contains("re-upgrade fails:") => Stair::ReupgradeFails,
        "failed" if message.starts_with("downgrade fails:") => Stair::DowngradeFails,
        "failed" if message.starts_with("upgrade fails:") => Stair::UpgradeFails,
        "failed" => Stair::Differs,
        other => panic!("unexpected outcome {other}: {case}"),
    }
}

/// `cargo migrate test` on PostgreSQL over the 285 revisions gives, per revision, the
/// verdict psql and pg_dump give doing the same stairway by hand ([`psql_stairway`],
/// computed here, not recorded), with one job and with `--jobs 2` (the same report). The
/// verdicts are also the recorded [`STAIRWAY_NOT_EXACT`], so a change shows here and in the
/// docs.
#[test]
#[ignore = "needs the crates.io data from outside the repository: run with \
            `cargo test -p migrate-tests --test crates_io -- --ignored` (README.md, Testing)"]
fn crates_io_stairway_matches_psql() {
    let data = data_dir();
    let ms = migrations(&data);
    let runner = runner();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let theirs = rt.block_on(TestDb::new(Backend::Postgres));
    let mut fresh_dbs = Vec::new();
    // ours (one job, and two) and the reference at the same time, each on its own databases
    let admin = migrate_tests::admin_url(Backend::Postgres);
    let ours: Vec<_> = ["1", "2"]
        .into_iter()
        .map(|jobs| {
            let (runner, admin) = (runner.clone(), admin.clone());
            std::thread::spawn(move || {
                nested::run(
                    &runner,
                    &admin,
                    &["test", "--format", "json", "--jobs", jobs],
                )
            })
        })
        .collect();
    let reference = psql_stairway(&theirs.url, &data, &ms, &mut || {
        let db = rt.block_on(TestDb::new(Backend::Postgres));
        let url = db.url.clone();
        fresh_dbs.push(db);
        url
    });
    let ours: Vec<_> = ours.into_iter().map(|t| t.join().unwrap()).collect();
    let doc = |run: &nested::Run| -> serde_json::Value {
        assert_eq!(run.status.code(), Some(1), "stderr: {}", run.stderr);
        serde_json::from_str(&run.stdout).expect("test --format json")
    };
    let (one, two) = (doc(&ours[0]), doc(&ours[1]));
    assert_eq!(
        one,
        two_without_times(&two, &one),
        "--jobs 2 gives --jobs 1's results"
    );
    let doc = one;
    let cases: std::collections::HashMap<&str, &serde_json::Value> = doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c))
        .collect();
    let mut mismatches = Vec::new();
    let mut counts = std::collections::BTreeMap::<Stair, Vec<&str>>::new();
    for (m, (want, why)) in ms.iter().zip(&reference) {
        let case = cases[format!("stairway::{}", m.id).as_str()];
        let got = our_stair(case);
        counts.entry(got).or_default().push(m.dir.as_str());
        if got != *want {
            mismatches.push(format!(
                "{} ({}): ours {got:?}, psql {want:?}\n  ours: {}\n  psql: {why}",
                m.id,
                m.dir,
                case["message"].as_str().unwrap_or("ok")
            ));
        }
    }
    for (stair, dirs) in &counts {
        eprintln!("{stair:?}: {} {dirs:?}", dirs.len());
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} verdicts differ from psql's:\n{}",
        mismatches.len(),
        ms.len(),
        mismatches.join("\n")
    );
    // and they are the recorded ones
    counts.remove(&Stair::Exact);
    let recorded: std::collections::BTreeMap<Stair, Vec<&str>> = STAIRWAY_NOT_EXACT
        .iter()
        .map(|(s, dirs)| (*s, dirs.to_vec()))
        .collect();
    assert_eq!(
        counts, recorded,
        "the verdicts recorded in STAIRWAY_NOT_EXACT"
    );
}
