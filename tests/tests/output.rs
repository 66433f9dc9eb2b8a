//! The runner's output (issue 14, items 1–3): `--format json` parsed with serde into the
//! typed structs docs/json.md describes, colour and `-q`/`-v` on stderr, the progress bar on
//! a terminal (util-linux `script` gives the runner a pseudo-terminal), and Ctrl-C / SIGTERM
//! in the middle of a revision on every backend.
//!
//! The runner is `ux-runner` (tests/src/bin): the runner binary every migrations crate has,
//! over `fixtures/ux_gate` (g01..g03; g02 waits for a file the test creates when
//! `UX_GATE_DIR` is set), `fixtures/ux_many` (m01..m12) or `examples/branches`.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use migrate_core::Backend;
use migrate_tests::{TestDb, backend_test};
use serde::Deserialize;

const RUNNER: &str = env!("CARGO_BIN_EXE_ux-runner");

// ------------------------------------------------------------------------------------------
// the schema, as a consumer writes it from docs/json.md

#[derive(Debug, Deserialize)]
struct Revision {
    id: String,
    down_revisions: Vec<String>,
    depends_on: Vec<String>,
    branch_labels: Vec<String>,
    next_revisions: Vec<String>,
    message: String,
    path: String,
    is_head: bool,
    is_branch_point: bool,
    is_merge_point: bool,
    is_current: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Revisions {
    schema_version: u32,
    command: String,
    revisions: Vec<Revision>,
}

#[derive(Debug, Deserialize)]
struct Current {
    schema_version: u32,
    command: String,
    current: Vec<Revision>,
    pending: Vec<String>,
    at_heads: bool,
}

#[derive(Debug, Deserialize)]
struct Check {
    schema_version: u32,
    command: String,
    ok: bool,
    current: Vec<String>,
    heads: Vec<String>,
    not_applied: Vec<String>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(tag = "event", rename_all = "snake_case")]
enum RunEvent {
    Revision {
        schema_version: u32,
        command: String,
        revision: String,
        direction: String,
        from: Vec<String>,
        to: Vec<String>,
        message: String,
        duration_ms: u64,
        outcome: String,
    },
    Summary {
        schema_version: u32,
        command: String,
        outcome: String,
        revisions: usize,
        duration_ms: u64,
        current: Option<Vec<String>>,
        signal: Option<String>,
        error: Option<String>,
    },
}

// ------------------------------------------------------------------------------------------
// processes

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn out(o: Output) -> Out {
    Out {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn command(fixture: &str, url: &str, args: &[&str]) -> Command {
    let mut c = Command::new(RUNNER);
    c.env("UX_FIXTURE", fixture)
        .env_remove("DATABASE_URL")
        .env_remove("UX_GATE_DIR")
        .env_remove("UX_GATE_SQL")
        .env_remove("NO_COLOR")
        .env_remove("CARGO_TERM_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .arg("--database-url")
        .arg(url)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn run(fixture: &str, url: &str, args: &[&str]) -> Out {
    let o = tokio::task::block_in_place(|| command(fixture, url, args).output()).unwrap();
    out(o)
}

#[track_caller]
fn ok(fixture: &str, url: &str, args: &[&str]) -> Out {
    let o = run(fixture, url, args);
    assert_eq!(o.code, Some(0), "{args:?}: {o}");
    o
}

fn json<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text.trim_end()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn events(stdout: &str) -> Vec<RunEvent> {
    stdout.lines().map(json).collect()
}

/// The first word of each line (the id, in Alembic's one-line formats).
fn first_words(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

// ------------------------------------------------------------------------------------------
// 1. JSON

/// Every read command's JSON parses into the documented structs and lists what the human
/// format lists, in the same order (SQLite; the graph commands read no database).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_commands_print_the_documented_json() {
    let db = TestDb::new(Backend::Sqlite).await;
    let url = db.url.as_str();
    let b = "branches";

    let heads: Revisions = json(&ok(b, url, &["heads", "--format", "json"]).stdout);
    assert_eq!((heads.schema_version, heads.command.as_str()), (1, "heads"));
    let human = ok(b, url, &["heads"]).stdout;
    let ids: Vec<String> = heads.revisions.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, first_words(&human));
    assert!(
        heads
            .revisions
            .iter()
            .all(|r| r.is_head && r.next_revisions.is_empty())
    );
    assert!(heads.revisions.iter().all(|r| r.is_current.is_none()));

    let history: Revisions = json(&ok(b, url, &["history", "--format", "json"]).stdout);
    assert_eq!(history.command, "history");
    let human = ok(b, url, &["history"]).stdout;
    let human_ids: Vec<String> = human
        .lines()
        .map(|l| {
            let (_, rest) = l.split_once(" -> ").unwrap();
            rest.split([' ', ',']).next().unwrap().to_owned()
        })
        .collect();
    let ids: Vec<String> = history.revisions.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, human_ids, "{human}");
    // the graph is whole: every parent and child named is listed, and they agree
    for r in &history.revisions {
        for p in &r.down_revisions {
            let parent = history.revisions.iter().find(|x| &x.id == p).unwrap();
            assert!(parent.next_revisions.contains(&r.id), "{r:?}");
        }
        assert_eq!(r.is_merge_point, r.down_revisions.len() > 1);
        assert_eq!(r.is_branch_point, r.next_revisions.len() > 1);
        assert!(r.path.ends_with(".rs") && !r.message.is_empty(), "{r:?}");
    }
    assert!(history.revisions.iter().any(|r| r.is_merge_point));
    assert!(
        history
            .revisions
            .iter()
            .any(|r| !r.branch_labels.is_empty())
    );
    assert!(history.revisions.iter().any(|r| !r.depends_on.is_empty()));

    // `forked` (fixtures/bad_inputs_forked) has a branch point
    let branches: Revisions = json(&ok("forked", url, &["branches", "--format", "json"]).stdout);
    let human = ok("forked", url, &["branches"]).stdout;
    let points: Vec<String> = human
        .lines()
        .filter(|l| l.contains("(branchpoint)") && !l.trim_start().starts_with("->"))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    let ids: Vec<String> = branches.revisions.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, points, "{human}");
    assert_eq!(ids, ["aaaa00000001"]);
    assert!(branches.revisions[0].is_branch_point);
    assert_eq!(
        branches.revisions[0].next_revisions,
        ["bbbb00000002", "bbbb00000003"]
    );

    let show: Revisions = json(&ok(b, url, &["show", "--format", "json", "heads"]).stdout);
    assert_eq!(show.command, "show");
    assert_eq!(show.revisions.len(), heads.revisions.len());

    // before any upgrade: `check` says what is missing, exit 1
    let o = run(b, url, &["check", "--format", "json"]);
    assert_eq!(o.code, Some(1), "{o}");
    let check: Check = json(&o.stdout);
    assert_eq!((check.schema_version, check.command.as_str()), (1, "check"));
    assert!(!check.ok && check.current.is_empty());
    assert_eq!(check.not_applied.len(), history.revisions.len());

    ok(b, url, &["upgrade", "heads"]);
    let current: Current = json(&ok(b, url, &["current", "--format", "json"]).stdout);
    assert_eq!(
        (current.schema_version, current.command.as_str()),
        (1, "current")
    );
    let human = ok(b, url, &["current"]).stdout;
    let ids: Vec<String> = current.current.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, first_words(&human));
    assert!(current.at_heads && current.pending.is_empty());
    assert!(current.current.iter().all(|r| r.is_current == Some(true)));

    let check: Check = json(&ok(b, url, &["check", "--format", "json"]).stdout);
    assert!(check.ok && check.not_applied.is_empty());
    let mut heads_ids: Vec<String> = heads.revisions.iter().map(|r| r.id.clone()).collect();
    heads_ids.sort();
    let mut current_ids = check.current.clone();
    current_ids.sort();
    let mut check_heads = check.heads.clone();
    check_heads.sort();
    assert_eq!((current_ids, check_heads), (heads_ids.clone(), heads_ids));

    // `history -i`: the database's current revisions are marked, and only they
    let marked: Revisions = json(&ok(b, url, &["history", "-i", "--format", "json"]).stdout);
    for r in &marked.revisions {
        assert_eq!(r.is_current, Some(r.is_head), "{r:?}");
    }
}

backend_test!(run_events_are_json_lines, |db| async move {
    let url = db.url.as_str();
    let up = ok("gate", url, &["upgrade", "--format", "json"]);
    let ev = events(&up.stdout);
    assert_eq!(ev.len(), 4, "{up}");
    for (i, e) in ev[..3].iter().enumerate() {
        let RunEvent::Revision {
            schema_version,
            command,
            revision,
            direction,
            from,
            to,
            message,
            outcome,
            ..
        } = e
        else {
            panic!("{e:?}")
        };
        let id = format!("g0{}", i + 1);
        assert_eq!(
            (*schema_version, command.as_str(), direction.as_str()),
            (1, "upgrade", "upgrade")
        );
        assert_eq!((revision, outcome.as_str()), (&id, "applied"));
        assert_eq!(to, &[id.clone()]);
        let parent: Vec<String> = if i == 0 {
            vec![]
        } else {
            vec![format!("g0{i}")]
        };
        assert_eq!(from, &parent);
        assert_eq!(message, &format!("create {id}"));
    }
    let RunEvent::Summary {
        outcome,
        revisions,
        current,
        signal,
        error,
        ..
    } = &ev[3]
    else {
        panic!("{:?}", ev[3])
    };
    assert_eq!(
        (outcome.as_str(), *revisions, current.clone(), signal, error),
        ("success", 3, Some(vec!["g03".to_owned()]), &None, &None)
    );
    // the status lines are still on stderr, as without --format
    assert!(
        up.stderr.contains("Upgrading g02 -> g03, create g03"),
        "{up}"
    );

    let down = ok("gate", url, &["downgrade", "g01", "--format", "json"]);
    let ev = events(&down.stdout);
    let ids: Vec<(&str, &str, &str)> = ev
        .iter()
        .filter_map(|e| match e {
            RunEvent::Revision {
                revision,
                direction,
                outcome,
                ..
            } => Some((revision.as_str(), direction.as_str(), outcome.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("g03", "downgrade", "reverted"),
            ("g02", "downgrade", "reverted")
        ]
    );
    assert!(matches!(ev.last(), Some(RunEvent::Summary { current: Some(c), .. }) if c == &["g01"]));

    let nothing = ok("gate", url, &["downgrade", "g01", "--format", "json"]);
    let ev = events(&nothing.stdout);
    assert!(
        matches!(&ev[..], [RunEvent::Summary { outcome, revisions: 0, .. }] if outcome == "success"),
        "{nothing}"
    );

    let stamp = ok("gate", url, &["stamp", "head", "--format", "json"]);
    let ev = events(&stamp.stdout);
    assert!(
        matches!(&ev[..], [RunEvent::Summary { command, current: Some(c), .. }] if command == "stamp" && c == &["g03"]),
        "{stamp}"
    );
    assert_eq!(db.versions().await, ["g01", "g02", "g03"]);

    // a failing run: the failed revision and a `failed` summary, exit 1
    db.exec("CREATE TABLE g02 (id INTEGER)").await;
    ok("gate", url, &["stamp", "g01"]);
    let failed = run("gate", url, &["upgrade", "--format", "json"]);
    assert_eq!(failed.code, Some(1), "{failed}");
    let ev = events(&failed.stdout);
    assert!(
        matches!(&ev[..], [RunEvent::Revision { revision, outcome, .. }, RunEvent::Summary { outcome: o2, error: Some(_), .. }]
            if revision == "g02" && outcome == "failed" && o2 == "failed"),
        "{failed}"
    );
});

// ------------------------------------------------------------------------------------------
// 2. colour, -q, -v, progress

/// Piped: no colour unless asked (`--color always`, `CARGO_TERM_COLOR=always`), nothing but
/// data on stdout; `-q` silences the status lines, `-v` adds one per revision start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colour_quiet_and_verbose_on_stderr() {
    let db = TestDb::new(Backend::Sqlite).await;
    let url = db.url.as_str();
    let plain = ok("many", url, &["upgrade", "m02"]);
    assert!(plain.stdout.is_empty(), "{plain}");
    assert!(!plain.stderr.contains('\x1b'), "{plain}");
    assert!(
        plain
            .stderr
            .contains("   Upgrading m01 -> m02, create m02 ("),
        "{plain}"
    );

    let coloured = ok("many", url, &["--color", "always", "upgrade", "m03"]);
    // cargo's status style: bold green, right-aligned
    assert!(
        coloured
            .stderr
            .contains("\x1b[1m\x1b[32m   Upgrading\x1b[0m m02 -> m03"),
        "{:?}",
        coloured.stderr
    );
    let o = tokio::task::block_in_place(|| {
        command("many", url, &["upgrade", "m04"])
            .env("CARGO_TERM_COLOR", "always")
            .output()
    })
    .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("\x1b[1m\x1b[32m"));
    let o = tokio::task::block_in_place(|| {
        command("many", url, &["--color", "never", "upgrade", "m05"])
            .env("CARGO_TERM_COLOR", "always")
            .output()
    })
    .unwrap();
    assert!(!String::from_utf8_lossy(&o.stderr).contains('\x1b'));

    let quiet = ok("many", url, &["-q", "upgrade", "m06"]);
    assert_eq!(
        (quiet.stdout.as_str(), quiet.stderr.as_str()),
        ("", ""),
        "{quiet}"
    );
    let verbose = ok("many", url, &["-v", "upgrade", "m07"]);
    assert!(
        verbose
            .stderr
            .contains("     Running m07, create m07\n   Upgrading m06 -> m07"),
        "{verbose}"
    );
    // errors still show under -q
    let err = run("many", url, &["-q", "upgrade", "nosuch"]);
    assert_eq!(err.code, Some(1));
    assert!(err.stderr.starts_with("error: "), "{err}");
}

/// On a terminal a run of twelve revisions draws a progress bar on stderr; piped, the same
/// run prints none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_bar_only_on_a_terminal() {
    let db = TestDb::new(Backend::Sqlite).await;
    let line = format!("'{RUNNER}' --database-url '{}' upgrade", db.url);
    let o = tokio::task::block_in_place(|| {
        Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .env("UX_FIXTURE", "many")
            .env_remove("DATABASE_URL")
            .env_remove("NO_COLOR")
            .env_remove("CARGO_TERM_COLOR")
            .stdin(Stdio::null())
            .output()
    })
    .expect("util-linux `script` runs");
    let shown = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{shown}");
    // the bar: `   Upgrading [=====>    ] 3/12: m04`
    assert!(
        shown.contains("/12: m"),
        "no progress bar on the terminal:\n{shown:?}"
    );
    assert!(shown.contains("m11 -> m12, create m12"), "{shown}");

    let db = TestDb::new(Backend::Sqlite).await;
    let piped = ok("many", &db.url, &["upgrade"]);
    assert!(!piped.stderr.contains("/12"), "{piped}");
    assert!(piped.stdout.is_empty(), "{piped}");
}

// ------------------------------------------------------------------------------------------
// 3. Ctrl-C / SIGTERM

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill(1) runs");
    assert!(ok.success());
}

/// Waits (no timed sleep: polls the condition, with a generous deadline) for `path`.
fn wait_for_file(path: &Path, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !path.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the runner ended before g02 started: {status}");
        }
        assert!(Instant::now() < deadline, "g02 never started");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Reads stderr lines until one contains `needle`; returns what was read.
fn read_until(stderr: &mut BufReader<std::process::ChildStderr>, needle: &str) -> String {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = stderr.read_line(&mut line).expect("read stderr");
        seen.push_str(&line);
        assert!(n > 0, "stderr ended before `{needle}`:\n{seen}");
        if line.contains(needle) {
            return seen;
        }
    }
}

/// Interrupts `upgrade` while g02 is under way with `sig`; checks the exit code, what is
/// printed, the version table, and that the lock is free (the next upgrade completes).
async fn interrupted(db: &TestDb, sig: &str, code: i32) {
    let url = db.url.as_str();
    let gate = tempfile::tempdir().unwrap();
    let mut child = command("gate", url, &["--format", "json", "upgrade", "head"])
        .env("UX_GATE_DIR", gate.path())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (seen, stdout, status) = tokio::task::block_in_place(|| {
        wait_for_file(&gate.path().join("ready"), &mut child);
        signal(&child, sig);
        let mut seen = String::new();
        if !db.backend.transactional_ddl() {
            // MySQL: g02's DDL committed already, so the runner finishes g02 (it says so)
            // rather than leave it partly applied; the test then lets it go on
            seen = read_until(&mut stderr, "Interrupted");
            assert!(seen.contains("finishing g02"), "{seen}");
            std::fs::write(gate.path().join("release"), b"").unwrap();
        }
        stderr.read_to_string(&mut seen).unwrap();
        let mut stdout = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        (seen, stdout, child.wait().unwrap())
    });
    let o = Out {
        code: status.code(),
        stdout,
        stderr: seen,
    };
    assert_eq!(o.code, Some(code), "{o}");
    let (at, g02) = if db.backend.transactional_ddl() {
        // rolled back: g02's table and row are gone together
        assert!(
            o.stderr.contains(&format!(
                "Interrupted by {}: g02 (create g02) rolled back",
                sig_name(sig)
            )),
            "{o}"
        );
        ("g01", false)
    } else {
        ("g02", true)
    };
    assert!(
        o.stderr.contains(&format!(
            "the database is at {at} (current revision(s)); the migration lock is released; run \
             `cargo migrate upgrade head` to continue"
        )),
        "{o}"
    );
    let ev = events(&o.stdout);
    let Some(RunEvent::Summary {
        outcome,
        signal,
        current,
        ..
    }) = ev.last()
    else {
        panic!("{o}")
    };
    assert_eq!(
        (outcome.as_str(), signal.as_deref(), current.clone()),
        (
            "interrupted",
            Some(sig_name(sig)),
            Some(vec![at.to_owned()])
        )
    );
    // consistent: the rows are the applied revisions, none pending, each with its table
    let expected: Vec<&str> = if g02 { vec!["g01", "g02"] } else { vec!["g01"] };
    assert_eq!(db.versions().await, expected, "{o}");
    assert!(
        db.query_strings("SELECT state FROM migrate_version")
            .await
            .iter()
            .all(|s| s == "applied")
    );
    let tables = db.tables().await;
    assert_eq!(tables.contains(&"g02".to_owned()), g02, "{tables:?}");
    assert!(!tables.contains(&"g03".to_owned()), "{tables:?}");
    // the lock is free: the next run completes
    let next = ok("gate", url, &["upgrade", "head"]);
    assert!(next.stderr.contains("Upgrading g02 -> g03"), "{next}");
    assert_eq!(db.versions().await, ["g01", "g02", "g03"]);
}

fn sig_name(sig: &str) -> &'static str {
    if sig == "INT" { "SIGINT" } else { "SIGTERM" }
}

backend_test!(sigint_mid_revision_stops_consistently, |db| async move {
    interrupted(&db, "INT", 130).await;
});

backend_test!(sigterm_mid_revision_stops_consistently, |db| async move {
    interrupted(&db, "TERM", 143).await;
});

/// PostgreSQL, a statement the server is running when the signal comes (g02 runs
/// `SELECT pg_sleep(300)`; the test waits until pg_stat_activity shows it): the run stops at
/// once, the closed connection makes the server cancel the statement and roll back
/// (`client_connection_check_interval`), and the next run gets the lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sigint_during_a_statement_on_the_server() {
    let db = TestDb::new(Backend::Postgres).await;
    let url = db.url.as_str();
    let name = url.rsplit('/').next().unwrap().to_owned();
    let sleeping = format!(
        "SELECT COUNT(*)::int FROM pg_stat_activity WHERE datname = '{name}' \
         AND query LIKE 'SELECT pg_sleep(300)%' AND state = 'active'"
    );
    let mut child = command("gate", url, &["upgrade", "head"])
        .env("UX_GATE_SQL", "SELECT pg_sleep(300)")
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while db.query_strings(&sleeping).await != ["1"] {
        assert!(Instant::now() < deadline, "g02's statement never started");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the runner ended early"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    signal(&child, "INT");
    let o = out(tokio::task::block_in_place(|| {
        child.stdout.take();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        Output {
            status: child.wait().unwrap(),
            stdout: Vec::new(),
            stderr: stderr.into_bytes(),
        }
    }));
    assert_eq!(o.code, Some(130), "{o}");
    assert!(o.stderr.contains("g02 (create g02) rolled back"), "{o}");
    assert!(o.stderr.contains("the database is at g01"), "{o}");
    // the server cancels the orphaned statement (the closed client is noticed within
    // client_connection_check_interval)
    let deadline = Instant::now() + Duration::from_secs(60);
    while db.query_strings(&sleeping).await != ["0"] {
        assert!(
            Instant::now() < deadline,
            "the orphaned statement still runs"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(db.versions().await, ["g01"]);
    assert!(!db.tables().await.contains(&"g02".to_owned()));
    let next = ok("gate", url, &["upgrade", "head"]);
    assert!(next.stderr.contains("Upgrading g02 -> g03"), "{next}");
}
