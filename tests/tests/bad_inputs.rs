//! Bad inputs at the runner (the binary a migrations crate builds, `migrate_core::cli::main`)
//! and at the library API: the rows of BAD_INPUTS.md that need a database or a runner.
//!
//! Every row asserts three things: the message's key words, a non-zero exit (exit code 1 and
//! one `error: ` line last on stderr; 2 for usage errors; `Err` at the library), and the
//! database unchanged (its tables, their columns and row counts, and every version-table row,
//! compared before and after).
//!
//! **The canary.** Every command that takes a URL gets one holding the password
//! [`CANARY`] (PostgreSQL's trust authentication ignores it; on MySQL each test creates a user
//! with that password), and every runner also gets `DATABASE_URL` set to [`DECOY`], a URL
//! holding the canary too. Every process goes through [`checked`], which fails the test when
//! the canary appears in its stdout or stderr, so no test can forget to look.
//!
//! The runner is `src/bin/bad-inputs-runner.rs`, over the registry named by
//! `BAD_INPUTS_REGISTRY`: `blog` (examples/blog), `branches` (examples/branches: a merge
//! point, two bases) or `forked` (tests/fixtures/bad_inputs_forked: two labeled heads, an
//! ambiguous prefix `bbbb`, and a revision that sleeps on request so it can be interrupted).

use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use migrate_core::{Backend, Error, Migrations};
use migrate_tests::{TestDb, admin_url, backend_test};
use sqlx::Connection as _;
use sqlx::Row as _;

/// The password every URL carries; it must never be printed.
const CANARY: &str = "CANARY-7f3a9c";
/// `DATABASE_URL` of every runner process unless a row is about `DATABASE_URL`: the canary
/// again, on a closed port. A command given `--database-url` must neither use nor print it.
const DECOY: &str = "postgres://decoy:CANARY-7f3a9c@127.0.0.1:1/decoy";
const RUNNER: &str = env!("CARGO_BIN_EXE_bad-inputs-runner");

static BLOG: &Migrations = &blog_migrations::MIGRATIONS;

// ------------------------------------------------------------------------------------------
// harness

/// A finished runner process.
struct Out {
    what: String,
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}`: {}\n--- stdout\n{}--- stderr\n{}",
            self.what, self.status, self.stdout, self.stderr
        )
    }
}

impl Out {
    /// Asserts exit code 1 and a last stderr line `error: …`; returns the message.
    #[track_caller]
    fn error(&self) -> String {
        assert_eq!(self.status.code(), Some(1), "expected exit code 1\n{self}");
        let last = self.stderr.lines().last().unwrap_or_default();
        let Some(msg) = last.strip_prefix("error: ") else {
            panic!("the last stderr line is not an error line\n{self}")
        };
        msg.to_owned()
    }

    /// Asserts exit code 2 (clap's usage error); returns stderr.
    #[track_caller]
    fn usage_error(&self) -> String {
        assert_eq!(
            self.status.code(),
            Some(2),
            "expected a usage error (exit code 2)\n{self}"
        );
        self.stderr.clone()
    }
}

/// The one place that looks at a process's output: the canary must not be in it, nor a panic.
#[track_caller]
fn checked(what: String, out: Output) -> Out {
    let out = Out {
        what,
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !out.stdout.contains(CANARY) && !out.stderr.contains(CANARY),
        "the password was printed\n{out}"
    );
    assert!(
        !out.stderr.contains("panicked"),
        "the runner panicked\n{out}"
    );
    out
}

/// A scratch working directory for runner processes (a fallback to the default SQLite file
/// would land here, not in the source tree).
fn scratch() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"))
        .path()
}

/// The runner over `registry`, with the decoy `DATABASE_URL`.
fn runner(registry: &str) -> Command {
    let mut cmd = Command::new(RUNNER);
    cmd.env("BAD_INPUTS_REGISTRY", registry)
        .env("DATABASE_URL", DECOY)
        .env_remove("CARGO_MIGRATE_PROJECT_DIR")
        .env_remove("BAD_INPUTS_READY")
        .current_dir(scratch())
        .stdin(Stdio::null());
    cmd
}

/// Runs `cmd` (described as `what`) to completion, through [`checked`].
#[track_caller]
fn run(mut cmd: Command, what: String) -> Out {
    let out = cmd.output().expect("the runner starts");
    checked(what, out)
}

/// `runner --database-url URL ARGS…`.
#[track_caller]
fn run_url(registry: &str, url: &str, args: &[&str]) -> Out {
    let mut cmd = runner(registry);
    cmd.arg("--database-url").arg(url).args(args);
    run(
        cmd,
        format!("{registry}: --database-url {url} {}", args.join(" ")),
    )
}

/// Asserts that every word is in `msg`.
#[track_caller]
fn has_all(msg: &str, words: &[&str]) {
    for w in words {
        assert!(msg.contains(w), "expected `{w}` in:\n{msg}");
    }
}

/// Everything a failed command must not have changed: each table with its columns and row
/// count, and every column of every version-table row.
async fn snapshot(db: &TestDb) -> Vec<String> {
    const VERSION_COLUMNS: [&str; 5] = [
        "applied_at",
        "checksum",
        "execution_ms",
        "revision",
        "state",
    ];
    let mut out = Vec::new();
    for table in db.tables().await {
        let columns = db.columns(&table).await;
        let rows = db
            .query_strings(&format!("SELECT COUNT(*) FROM {table}"))
            .await;
        out.push(format!(
            "{table}({}): {} rows",
            columns.join(", "),
            rows.join("")
        ));
        if table == "migrate_version" && columns == VERSION_COLUMNS {
            for c in VERSION_COLUMNS {
                let values = db
                    .query_strings(&format!(
                        "SELECT {c} FROM migrate_version ORDER BY revision"
                    ))
                    .await;
                out.push(format!("  {c}: {}", values.join(" | ")));
            }
        }
    }
    out
}

/// The database name in a server URL.
fn db_name(url: &str) -> String {
    url::Url::parse(url)
        .expect("URL")
        .path()
        .trim_start_matches('/')
        .to_owned()
}

/// Runs SQL as the server's admin (users and roles are server-wide).
async fn admin(backend: Backend, sql: &str) {
    let url = admin_url(backend);
    match backend {
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&url)
                .await
                .expect("admin connection");
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut c)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        Backend::MySql => {
            let mut c = sqlx::MySqlConnection::connect(&url)
                .await
                .expect("admin connection");
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut c)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        Backend::Sqlite => unreachable!(),
    }
}

/// A server login created for one test (a MySQL user or a PostgreSQL role), dropped at the end
/// even when the test fails.
struct Login {
    backend: Backend,
    name: String,
}

impl Login {
    /// A MySQL user `name` identified by the canary, granted `privileges` on `db`.
    async fn mysql(db: &TestDb, name: &str, privileges: &str) -> Login {
        let database = db_name(&db.url);
        admin(Backend::MySql, &format!("DROP USER IF EXISTS '{name}'@'%'")).await;
        admin(
            Backend::MySql,
            &format!("CREATE USER '{name}'@'%' IDENTIFIED BY '{CANARY}'"),
        )
        .await;
        admin(
            Backend::MySql,
            &format!("GRANT {privileges} ON `{database}`.* TO '{name}'@'%'"),
        )
        .await;
        Login {
            backend: Backend::MySql,
            name: name.to_owned(),
        }
    }

    /// A PostgreSQL role `name` that can log in and nothing else (PostgreSQL 15 grants no
    /// CREATE on schema `public` to PUBLIC).
    async fn postgres(name: &str) -> Login {
        admin(Backend::Postgres, &format!("DROP ROLE IF EXISTS {name}")).await;
        admin(Backend::Postgres, &format!("CREATE ROLE {name} LOGIN")).await;
        Login {
            backend: Backend::Postgres,
            name: name.to_owned(),
        }
    }

    /// `url` with this login and the canary password.
    fn url(&self, url: &str) -> String {
        let mut u = url::Url::parse(url).expect("URL");
        u.set_username(&self.name).unwrap();
        u.set_password(Some(CANARY)).unwrap();
        u.to_string()
    }
}

impl Drop for Login {
    fn drop(&mut self) {
        let (backend, sql) = match self.backend {
            Backend::MySql => (
                Backend::MySql,
                format!("DROP USER IF EXISTS '{}'@'%'", self.name),
            ),
            _ => (
                Backend::Postgres,
                format!("DROP ROLE IF EXISTS {}", self.name),
            ),
        };
        // we may be inside the test's runtime: drop on a thread of its own
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(admin(backend, &sql));
        })
        .join();
    }
}

/// A test database and a URL to it that holds the canary password.
struct Target {
    db: TestDb,
    url: String,
    _login: Option<Login>,
}

impl Target {
    async fn new(db: TestDb) -> Target {
        let (url, login) = match db.backend {
            // SQLite URLs have no password: the decoy DATABASE_URL still carries the canary
            Backend::Sqlite => (db.url.clone(), None),
            Backend::Postgres => {
                let mut u = url::Url::parse(&db.url).expect("URL");
                u.set_password(Some(CANARY)).unwrap();
                (u.to_string(), None)
            }
            Backend::MySql => {
                let login =
                    Login::mysql(&db, &format!("c_{}", db_name(&db.url)), "ALL PRIVILEGES").await;
                (login.url(&db.url), Some(login))
            }
        };
        if db.backend != Backend::Sqlite {
            assert!(url.contains(CANARY), "the canary is in the URL: {url}");
        }
        Target {
            db,
            url,
            _login: login,
        }
    }

    #[track_caller]
    fn run(&self, registry: &str, args: &[&str]) -> Out {
        run_url(registry, &self.url, args)
    }

    #[track_caller]
    fn ok(&self, registry: &str, args: &[&str]) -> Out {
        let out = self.run(registry, args);
        assert!(out.status.success(), "expected success\n{out}");
        out
    }

    /// Runs `args` and asserts: exit code 1, an error line with every word, the database
    /// unchanged. Returns the message.
    async fn refused(&self, registry: &str, args: &[&str], words: &[&str]) -> String {
        let before = snapshot(&self.db).await;
        let out = self.run(registry, args);
        let msg = out.error();
        has_all(&msg, words);
        assert_eq!(
            snapshot(&self.db).await,
            before,
            "the database changed\n{out}"
        );
        msg
    }

    /// [`Target::refused`] for a table of cases.
    async fn refuses_all(&self, registry: &str, cases: &[(&[&str], &[&str])]) {
        for (args, words) in cases {
            self.refused(registry, args, words).await;
        }
    }
}

#[test]
fn the_canary_check_catches_a_leak() {
    let leak = Output {
        status: ExitStatus::from_raw(0),
        stdout: format!("postgres://u:{CANARY}@h/db").into_bytes(),
        stderr: Vec::new(),
    };
    let caught = std::panic::catch_unwind(|| checked("leak".into(), leak));
    assert!(caught.is_err(), "checked() must fail on the canary");
}

// ------------------------------------------------------------------------------------------
// revision specs and targets (every backend)

backend_test!(malformed_specs, |db| async move {
    let t = Target::new(db).await;
    t.ok("blog", &["upgrade", "+1"]);
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["upgrade", "+x"],
            &["Invalid revision spec '+x'", "'+N' or '-N'"],
        ),
        (
            &["upgrade", ""],
            &["Invalid revision spec ''", "the spec is empty"],
        ),
        (
            &["downgrade", "-0"],
            &["Invalid revision spec '-0'", "at least 1"],
        ),
        (
            &["upgrade", "+0"],
            &["Invalid revision spec '+0'", "at least 1"],
        ),
        (
            &["upgrade", "a::b"],
            &["Invalid revision spec 'a::b'", "exactly one ':'"],
        ),
        (
            &["stamp", "Bad-Id"],
            &["Can't locate revision identified by 'Bad-Id'"],
        ),
        // a URL typed where the revision goes: quoted back, without its password
        (
            &["upgrade", "postgres://u:CANARY-7f3a9c@h/db"],
            &["Invalid revision spec 'postgres://u:***@h/db'"],
        ),
    ];
    t.refuses_all("blog", cases).await;
    // usage errors: clap, exit 2
    for args in [
        &["downgrade"][..],
        &["upgrade", "head", "--dialect", "postgres"],
        &["--lock-timeout", "soon", "current"],
        &["--transaction-mode", "some", "upgrade"],
    ] {
        let before = snapshot(&t.db).await;
        t.run("blog", args).usage_error();
        assert_eq!(snapshot(&t.db).await, before);
    }
});

backend_test!(unresolvable_targets, |db| async move {
    let t = Target::new(db).await;
    t.ok("blog", &["upgrade", "+1"]); // at 8828a8665651, three revisions above
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["upgrade", "nosuch"],
            &["Can't locate revision identified by 'nosuch'"],
        ),
        (&["upgrade", "nosuch@head"], &["No such branch: 'nosuch'"]),
        (
            &["upgrade", "+99"],
            &[
                "Relative revision '+99' didn't produce 99 migrations",
                "only 3",
                "above revision '8828a8665651'",
            ],
        ),
        (
            &["downgrade", "-99"],
            &[
                "Relative revision '-99' didn't produce 99 migrations",
                "only 1",
                "below revision '8828a8665651'",
            ],
        ),
        (
            &["downgrade", "e4d5"],
            &[
                "Destination 'e4d5'",
                "is not a valid downgrade target",
                "not applied; use upgrade",
            ],
        ),
        (
            &["upgrade", "8828:head"],
            &["A range ('8828:head') is not allowed here", "offline --sql"],
        ),
        (
            &["downgrade", "head:base"],
            &["A range ('head:base') is not allowed here"],
        ),
        (
            &["stamp", "nosuch"],
            &["Can't locate revision identified by 'nosuch'"],
        ),
        (
            &["stamp", "3f2a", "e4d5"],
            &["Stamp targets overlap: 'e4d5' is above '3f2a'"],
        ),
        (
            &["stamp", "8828:head"],
            &["A range ('8828:head') is not allowed here"],
        ),
        (
            &["show", "nosuch"],
            &["Can't locate revision identified by 'nosuch'"],
        ),
        (
            &["history", "-r", "head"],
            &["History range requires [start]:[end]", "got 'head'"],
        ),
        (
            &["history", "-r", "nosuch:"],
            &["Can't locate revision identified by 'nosuch'"],
        ),
        (
            &["history", "-i", "-r", "x:y:z"],
            &["Invalid revision spec 'x:y:z'"],
        ),
        (&["check"], &["3 revision(s) not applied", "upgrade heads"]),
        (
            &["current", "--check-heads"],
            &["not at the head revision(s)"],
        ),
    ];
    t.refuses_all("blog", cases).await;
    t.ok("blog", &["upgrade", "head"]);
    // an applied revision is a no-op target (as in Alembic); a step down is not an upgrade
    t.ok("blog", &["upgrade", "8828"]);
    t.refused(
        "blog",
        &["upgrade", "-1"],
        &[
            "Destination '-1'",
            "is not a valid upgrade target",
            "lies below them; use downgrade",
        ],
    )
    .await;
});

backend_test!(forks_and_merges, |db| async move {
    let t = Target::new(db).await;
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["upgrade", "head"],
            &[
                "Multiple head revisions are present for given argument 'head'",
                "'bbbb00000002', 'bbbb00000003'",
            ],
        ),
        (
            &["upgrade", "bbbb"],
            &[
                "Revision prefix 'bbbb' is ambiguous",
                "'bbbb00000002', 'bbbb00000003'",
                "give more characters",
            ],
        ),
        (
            &["upgrade", "left@bbbb00000003"],
            &["Revision 'bbbb00000003' is not a member of branch 'left'"],
        ),
    ];
    t.refuses_all("forked", cases).await;
    t.ok("forked", &["upgrade", "heads"]);
    t.refused(
        "forked",
        &["downgrade", "-1"],
        &[
            "Relative revision '-1' needs one current revision",
            "several heads are current",
        ],
    )
    .await;

    // two bases, and a merge point
    let t = Target::new(TestDb::new(t.db.backend).await).await;
    t.refused(
        "branches",
        &["upgrade", "+1"],
        &["Relative revision '+1' is ambiguous", "several bases"],
    )
    .await;
    t.ok("branches", &["upgrade", "head"]);
    // one step down from the merge point is not ambiguous (it undoes the merge alone); two are
    t.refused(
        "branches",
        &["downgrade", "-2"],
        &[
            "Relative revision '-2' is ambiguous",
            "'0e0e0e0e0e0e' is a merge point",
            "give an explicit target revision",
        ],
    )
    .await;
});

/// Offline mode needs no database: each dialect, with a canary URL that must not be used.
#[test]
fn offline_mode() {
    let url = "postgres://postgres:CANARY-7f3a9c@127.0.0.1:1/offline";
    for dialect in ["sqlite", "postgres", "mysql"] {
        let cases: &[(&[&str], &[&str])] = &[
            // the blog's data migration reads rows
            (
                &["upgrade", "head", "--sql"],
                &[
                    "upgrade e4d5c6b7a8f9 (add slug to posts) failed",
                    "reads from the database (fetch_all)",
                    "offline mode (--sql)",
                ],
            ),
            (
                &["downgrade", "base", "--sql"],
                &[
                    "downgrade with --sql requires a range <fromrev>:<torev>",
                    "got 'base'",
                ],
            ),
            (
                &["downgrade", "-1", "--sql"],
                &["downgrade with --sql requires a range", "got '-1'"],
            ),
            (
                &["upgrade", "nosuch", "--sql"],
                &["Can't locate revision identified by 'nosuch'"],
            ),
            (
                &["downgrade", "head:nosuch", "--sql"],
                &["Can't locate revision identified by 'nosuch'"],
            ),
        ];
        for (args, words) in cases {
            let mut args = args.to_vec();
            args.extend(["--dialect", dialect]);
            let out = run_url("blog", url, &args);
            let msg = out.error();
            has_all(&msg, words);
            assert!(!msg.contains("rolled back"), "nothing ran offline: {msg}");
            if args[..2] == ["upgrade", "head"] {
                // every revision before the one that reads is rendered (issue 9, item 13)
                assert!(
                    out.stdout
                        .contains("-- Running upgrade 3f2a9c1b7e4d -> b7c1d2e3f4a5")
                        && !out.stdout.contains("-> e4d5c6b7a8f9")
                        && out.stdout.contains("-- STOPPED"),
                    "the script up to the reading revision\n{out}"
                );
            } else {
                assert!(out.stdout.is_empty(), "no partial script\n{out}");
            }
        }
    }
    run_url(
        "blog",
        url,
        &["upgrade", "head", "--sql", "--dialect", "oracle"],
    )
    .usage_error();
    // no --dialect: from the URL, which must be usable
    let msg = run_url(
        "blog",
        "oracle://scott:CANARY-7f3a9c@db/x",
        &["upgrade", "b7c1", "--sql"],
    )
    .error();
    has_all(
        &msg,
        &[
            "bad database URL `oracle://scott:***@db/x`",
            "the scheme must be",
        ],
    );
}

/// Options after `stamp`'s revisions are options: `stamp REV --purge --database-url URL`
/// stamps URL's database (the revision list used to swallow them, so `--purge` and the URL
/// were read as revisions and DATABASE_URL's database was used).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_after_stamp_targets_are_options() {
    let t = Target::new(TestDb::new(Backend::Sqlite).await).await;
    t.ok("blog", &["upgrade", "head"]);
    let mut cmd = runner("blog");
    cmd.args(["stamp", "3f2a", "--purge", "--database-url", &t.url]);
    let out = run(cmd, "stamp 3f2a --purge --database-url URL".into());
    assert!(out.status.success(), "{out}");
    assert_eq!(t.db.versions().await, ["3f2a9c1b7e4d", "8828a8665651"]);
}

// ------------------------------------------------------------------------------------------
// URLs and connections

#[test]
fn bad_urls() {
    let cases: &[(&str, &[&str])] = &[
        (
            "oracle://scott:CANARY-7f3a9c@db/x",
            &[
                "bad database URL `oracle://scott:***@db/x`",
                "the scheme must be sqlite:, postgres:",
            ],
        ),
        (
            "postgres://postgres:CANARY-7f3a9c@127.0.0.1:notaport/db",
            &[
                "bad database URL `postgres://postgres:***@127.0.0.1:notaport/db`",
                "invalid port number",
            ],
        ),
        // a password with an unescaped `/` makes the rest of it read as a port
        (
            "postgres://postgres:CANARY-7f3a9c/x@127.0.0.1:5432/db",
            &["bad database URL `postgres://postgres:***@127.0.0.1:5432/db`"],
        ),
        (
            "mysql://root:CANARY-7f3a9c@[::1/x",
            &[
                "bad database URL `mysql://root:***@[::1/x`",
                "invalid IPv6 address",
            ],
        ),
        ("", &["bad database URL ``", "the URL is empty"]),
        (
            "localhost:5432",
            &["bad database URL `localhost:5432`", "the scheme must be"],
        ),
    ];
    for (url, words) in cases {
        let out = run_url("blog", url, &["upgrade"]);
        has_all(&out.error(), words);
        if url.is_empty() || url.starts_with("oracle") || url.starts_with("localhost") {
            assert!(
                !out.stderr.contains("Database using"),
                "no note before a URL error\n{out}"
            );
        }
    }

    // SQLite creates a missing file, not a missing directory
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir");
    let url = format!("sqlite:{}/x.db", missing.display());
    let msg = run_url("blog", &url, &["upgrade"]).error();
    has_all(
        &msg,
        &[
            &format!("the directory `{}` does not exist", missing.display()),
            "create it first",
        ],
    );
    assert!(!dir.path().join("no").exists());

    // DATABASE_URL set but empty: refused, not silently the default SQLite file
    let cwd = tempfile::tempdir().unwrap();
    let mut cmd = runner("blog");
    cmd.env("DATABASE_URL", "")
        .current_dir(cwd.path())
        .arg("upgrade");
    let msg = run(cmd, "DATABASE_URL= upgrade".into()).error();
    has_all(&msg, &["DATABASE_URL is set but empty", "or unset it"]);
    assert_eq!(
        std::fs::read_dir(cwd.path()).unwrap().count(),
        0,
        "no migrate.db was created"
    );
    // an explicit --database-url wins over DATABASE_URL (the decoy) and is the only one shown
    let db = dir.path().join("fine.db");
    let out = run_url(
        "blog",
        &format!("sqlite:{}", db.display()),
        &["upgrade", "+1"],
    );
    assert!(
        out.status.success() && out.stderr.contains("(--database-url)"),
        "{out}"
    );
}

#[test]
fn unreachable_servers() {
    for scheme in ["postgres", "mysql"] {
        let url = format!("{scheme}://root:{CANARY}@127.0.0.1:1/db");
        let msg = run_url("blog", &url, &["upgrade"]).error();
        has_all(
            &msg,
            &[
                &format!("cannot connect to {scheme}://root:***@127.0.0.1:1/db"),
                "Connection refused",
            ],
        );
    }
    // a server that accepts the connection and never answers: the connect timeout, not the
    // lock timeout, and a message that says what happened
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    for (scheme, protocol) in [("postgres", "PostgreSQL"), ("mysql", "MySQL")] {
        let url = format!("{scheme}://root:{CANARY}@127.0.0.1:{port}/db");
        let started = Instant::now();
        let msg = run_url("blog", &url, &["--connect-timeout", "1", "upgrade"]).error();
        has_all(
            &msg,
            &[
                &format!("cannot connect to {scheme}://root:***@127.0.0.1:{port}/db"),
                &format!(
                    "the server accepted the connection but did not speak the {protocol} protocol"
                ),
                "no answer within 1 s",
                "--connect-timeout",
            ],
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "gave up after the timeout"
        );
    }
    // the default connect timeout is 10 s, whatever the lock timeout (60 s)
    let url = format!("postgres://root:{CANARY}@127.0.0.1:{port}/db");
    let started = Instant::now();
    let msg = run_url("blog", &url, &["upgrade"]).error();
    let waited = started.elapsed();
    has_all(
        &msg,
        &[
            "did not speak the PostgreSQL protocol",
            "no answer within 10 s",
        ],
    );
    assert!(
        waited >= Duration::from_secs(10) && waited < Duration::from_secs(30),
        "gave up after {waited:?}"
    );
    drop(silent);
}

/// A loopback server that accepts connections and answers each with `reply` (an HTTP error,
/// as a web server on the database's port would), then reads until the client hangs up. It
/// serves until the returned flag is set, at most a minute.
fn garbage_server(
    reply: &'static [u8],
    hang_up: bool,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use std::io::{Read as _, Write as _};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done = stop.clone();
    std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(60);
        while !done.load(Ordering::Relaxed) && Instant::now() < until {
            match listener.accept() {
                Ok((mut s, _)) => {
                    std::thread::spawn(move || {
                        s.set_nonblocking(false).unwrap();
                        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                        let _ = s.write_all(reply);
                        if hang_up {
                            return;
                        }
                        let mut buf = [0u8; 1024];
                        while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
                    });
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    (port, stop)
}

#[test]
fn servers_that_answer_garbage() {
    let (port, stop) = garbage_server(
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nBad Request",
        false,
    );
    for (scheme, protocol) in [("postgres", "PostgreSQL"), ("mysql", "MySQL")] {
        let url = format!("{scheme}://root:{CANARY}@127.0.0.1:{port}/db");
        let started = Instant::now();
        let msg = run_url("blog", &url, &["--connect-timeout", "5", "current"]).error();
        has_all(
            &msg,
            &[
                &format!("cannot connect to {scheme}://root:***@127.0.0.1:{port}/db"),
                &format!("did not speak the {protocol} protocol"),
            ],
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "gave up after {:?}",
            started.elapsed()
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    // one that answers garbage and hangs up: at once, and says so
    let (port, stop) = garbage_server(b"HTTP/1.1 400 Bad Request\r\n\r\n", true);
    for (scheme, protocol) in [("postgres", "PostgreSQL"), ("mysql", "MySQL")] {
        let url = format!("{scheme}://root:{CANARY}@127.0.0.1:{port}/db");
        let started = Instant::now();
        let msg = run_url("blog", &url, &["current"]).error();
        has_all(
            &msg,
            &[
                &format!("did not speak the {protocol} protocol"),
                "it closed the connection",
            ],
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{msg}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// `host:port` of a test server.
fn server(backend: Backend) -> String {
    let u = url::Url::parse(&admin_url(backend)).expect("admin URL");
    format!(
        "{}:{}",
        u.host_str().unwrap_or("127.0.0.1"),
        u.port_or_known_default().unwrap_or(0)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_databases_and_wrong_credentials() {
    let (pg, my) = (server(Backend::Postgres), server(Backend::MySql));
    let cases: Vec<(String, Vec<String>)> = vec![
        (
            format!("postgres://postgres:{CANARY}@{pg}/bi_nosuchdb"),
            vec![
                format!("cannot connect to postgres://postgres:***@{pg}/bi_nosuchdb"),
                "database \"bi_nosuchdb\" does not exist".into(),
            ],
        ),
        (
            format!("postgres://bi_nosuchrole:{CANARY}@{pg}/postgres"),
            vec![
                format!("cannot connect to postgres://bi_nosuchrole:***@{pg}/postgres"),
                "role \"bi_nosuchrole\" does not exist".into(),
            ],
        ),
        (
            format!("mysql://root:{CANARY}@{my}/test"),
            vec![
                format!("cannot connect to mysql://root:***@{my}/test"),
                "Access denied for user 'root'".into(),
                "(using password: YES)".into(),
            ],
        ),
        // a password in the query string; a single slash after the scheme
        (
            format!("postgres://postgres@{pg}/bi_nosuchdb?password={CANARY}"),
            vec![
                format!("cannot connect to postgres://postgres@{pg}/bi_nosuchdb?password=***"),
                "does not exist".into(),
            ],
        ),
        (
            format!("postgres:/postgres:{CANARY}@{pg}/bi_nosuchdb"),
            vec![format!(
                "cannot connect to postgres:/postgres:***@{pg}/bi_nosuchdb"
            )],
        ),
    ];
    for (url, words) in &cases {
        let msg = run_url("blog", url, &["upgrade"]).error();
        has_all(&msg, &words.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(
            !msg.contains(" at line "),
            "no line of PostgreSQL's C source: {msg}"
        );
    }
    // MySQL: an unknown database, and a wrong password, for a user that exists
    let t = Target::new(TestDb::new(Backend::MySql).await).await;
    let mut u = url::Url::parse(&t.url).unwrap();
    u.set_path("/bi_nosuchdb");
    let msg = run_url("blog", u.as_str(), &["upgrade"]).error();
    has_all(
        &msg,
        &["cannot connect to mysql://", ":***@", "bi_nosuchdb"],
    );
    let Target { db, url, _login } = t;
    let wrong = Target {
        db,
        url: url.replace(CANARY, "wrong-password"),
        _login,
    };
    let msg = wrong
        .refused(
            "blog",
            &["upgrade"],
            &[
                "cannot connect to mysql://",
                ":***@",
                "Access denied for user",
            ],
        )
        .await;
    assert!(!msg.contains("wrong-password"), "{msg}");
}

// The one success-path check: the URL a command prints (`current --verbose`, the note on
// stderr) has `***` for its password.
backend_test!(printed_urls_hide_the_password, |db| async move {
    let t = Target::new(db).await;
    let out = t.ok("blog", &["current", "--verbose"]);
    if t.db.backend != Backend::Sqlite {
        assert!(
            out.stdout.contains(":***@") && out.stderr.contains(":***@"),
            "{out}"
        );
    }
});

/// A second canary, after the special character: a leak of the password's second half is
/// caught too.
const CANARY2: &str = "KESTREL-41b2";

/// Passwords that defeat a search for URLs in text: each character that ends a word or a
/// quotation, and percent-encoded forms (the password as typed, decoded and re-encoded are
/// all different strings). Each holds both canaries.
fn special_passwords() -> Vec<String> {
    let mut out: Vec<String> = ["'", "\"", " ", "`", "' \"`"]
        .iter()
        .map(|c| format!("{CANARY}{c}{CANARY2}"))
        .collect();
    // percent-encoded: an `@`, a quote and a space; the first letter of the canary itself
    out.push(format!("{CANARY}%40{CANARY2}"));
    out.push(format!("%43ANARY-7f3a9c%27%20{CANARY2}"));
    out
}

/// Fails when any part of a special password is in the output.
#[track_caller]
fn no_password_part(out: &Out) {
    for part in ["ANARY-7f3a9c", CANARY2] {
        assert!(
            !out.stdout.contains(part) && !out.stderr.contains(part),
            "part of the password was printed\n{out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_with_special_characters_are_never_printed() {
    let (pg, my) = (server(Backend::Postgres), server(Backend::MySql));
    let pgdb = TestDb::new(Backend::Postgres).await;
    let pg_name = db_name(&pgdb.url);
    let dir = tempfile::tempdir().unwrap();
    for pw in special_passwords() {
        // connection errors: an unknown database, a closed port, wrong credentials
        for url in [
            format!("postgres://postgres:{pw}@{pg}/bi_nosuchdb"),
            format!("postgres://postgres:{pw}@127.0.0.1:1/db"),
            format!("mysql://root:{pw}@{my}/test"),
            format!("mysql://root:{pw}@127.0.0.1:1/db"),
        ] {
            let out = run_url("blog", &url, &["upgrade"]);
            no_password_part(&out);
            has_all(&out.error(), &["cannot connect to ", ":***@"]);
        }
        // a database that exists (trust authentication ignores the password): the URL in
        // `current --verbose` and the note, and the URL typed again where a revision goes
        let url = format!("postgres://postgres:{pw}@{pg}/{pg_name}");
        let out = run_url("blog", &url, &["current", "--verbose"]);
        no_password_part(&out);
        assert!(out.status.success(), "{out}");
        assert!(
            out.stdout.contains(":***@") && out.stderr.contains(":***@"),
            "{out}"
        );
        let out = run_url("blog", &url, &["upgrade", &url]);
        no_password_part(&out);
        has_all(&out.error(), &["Invalid revision spec"]);
        // the SQLite form: user info in a SQLite URL is part of the file's path, which the
        // missing-directory message shows
        let url = format!("sqlite://u:{pw}@nohost/x.db");
        let mut cmd = runner("blog");
        cmd.current_dir(dir.path())
            .arg("--database-url")
            .arg(&url)
            .arg("upgrade");
        let out = run(cmd, format!("--database-url {url} upgrade"));
        no_password_part(&out);
        has_all(&out.error(), &["does not exist"]);
        // the same URLs as DATABASE_URL
        let mut cmd = runner("blog");
        cmd.current_dir(dir.path())
            .env(
                "DATABASE_URL",
                format!("postgres://postgres:{pw}@127.0.0.1:1/db"),
            )
            .arg("current");
        let out = run(cmd, format!("DATABASE_URL=… current ({pw})"));
        no_password_part(&out);
        has_all(
            &out.error(),
            &["cannot connect to postgres://postgres:***@127.0.0.1:1/db"],
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file was created"
    );
}

// ------------------------------------------------------------------------------------------
// configuration sources

/// A `.env` line that does not parse is an error naming the file and line: dotenvy stops
/// there, so `DATABASE_URL` below it would be missing and the default SQLite file migrated.
#[test]
fn dotenv_lines_that_do_not_parse() {
    let cases = [
        (
            format!(
                "# settings\nAPP_NAME=blog\nGREETING=hello world\nDATABASE_URL=postgres://u:{CANARY}@127.0.0.1:1/db\n"
            ),
            3,
            "the line setting `GREETING`",
        ),
        (
            format!("APP_NAME=blog\nstray\nDATABASE_URL=postgres://u:{CANARY}@127.0.0.1:1/db\n"),
            2,
            "the line",
        ),
        // the URL itself with an unquoted space
        (
            format!("DATABASE_URL=postgres://u:{CANARY} {CANARY2}@127.0.0.1:1/db\n"),
            1,
            "the line setting `DATABASE_URL`",
        ),
    ];
    for (content, line, what) in cases {
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join(".env");
        std::fs::write(&env, &content).unwrap();
        // from a subdirectory: the parent's .env is the one found, as dotenvy finds it
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        for cwd in [dir.path(), sub.as_path()] {
            for args in [&["current"][..], &["upgrade"]] {
                let mut cmd = runner("blog");
                cmd.env_remove("DATABASE_URL").current_dir(cwd).args(args);
                let out = run(cmd, format!(".env {content:?}: {}", args.join(" ")));
                no_password_part(&out);
                let msg = out.error();
                has_all(
                    &msg,
                    &[
                        &format!("`{}` line {line}", env.display()),
                        &format!("cannot parse {what}"),
                        "quote a value",
                    ],
                );
            }
        }
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".env", "sub"], "no migrate.db was created");
        assert_eq!(std::fs::read_dir(&sub).unwrap().count(), 0);
    }
    // a .env that parses is used; a missing one is no error
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("from-dotenv.db");
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "# ok\nGREETING=\"hello world\"\nDATABASE_URL=sqlite:{}\n",
            db.display()
        ),
    )
    .unwrap();
    let mut cmd = runner("blog");
    cmd.env_remove("DATABASE_URL")
        .current_dir(dir.path())
        .args(["upgrade", "+1"]);
    let out = run(cmd, "good .env: upgrade +1".into());
    assert!(
        out.status.success() && out.stderr.contains("(DATABASE_URL)"),
        "{out}"
    );
    assert!(db.exists());
}

// ------------------------------------------------------------------------------------------
// SQLite files: created only by the commands that write; no in-memory databases

#[test]
fn sqlite_files_are_created_only_by_commands_that_write() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo.db");
    let url = format!("sqlite:{}", typo.display());
    for (args, command) in [
        (&["current"][..], "current"),
        (&["current", "--verbose"], "current"),
        (&["check"], "check"),
        (&["history", "-i"], "history"),
        (&["downgrade", "base"], "downgrade"),
        (&["downgrade", "-1"], "downgrade"),
    ] {
        let msg = run_url("blog", &url, args).error();
        has_all(
            &msg,
            &[
                &format!(
                    "the SQLite database file `{}` does not exist",
                    typo.display()
                ),
                &format!("`{command}` does not create one"),
                "check the path",
            ],
        );
        assert!(!typo.exists(), "`{}` created the file", args.join(" "));
    }
    // the commands that write create it
    let out = run_url("blog", &url, &["upgrade", "+1"]);
    assert!(out.status.success(), "{out}");
    assert!(typo.exists());
    let stamped = dir.path().join("stamped.db");
    let out = run_url(
        "blog",
        &format!("sqlite:{}", stamped.display()),
        &["stamp", "head"],
    );
    assert!(out.status.success(), "{out}");
    assert!(stamped.exists());
    // and a read-only command reads an existing file as before
    let out = run_url("blog", &url, &["current"]);
    assert!(
        out.status.success() && out.stdout.contains("8828a8665651"),
        "{out}"
    );
}

#[test]
fn in_memory_sqlite_databases_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "sqlite::memory:",
        "sqlite://:memory:",
        "sqlite://?mode=memory",
        "sqlite:x.db?mode=memory",
        "sqlite:",
    ] {
        for args in [&["upgrade"][..], &["current"], &["stamp", "head"]] {
            let mut cmd = runner("blog");
            cmd.current_dir(dir.path())
                .arg("--database-url")
                .arg(url)
                .args(args);
            let msg = run(cmd, format!("{url} {}", args.join(" "))).error();
            has_all(
                &msg,
                &[
                    &format!("`{url}` is an in-memory SQLite database"),
                    "throwaway database",
                    "give a file",
                ],
            );
        }
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file was created"
    );
    // offline scripts need no database: a SQLite URL of any kind names the dialect
    let out = run_url("blog", "sqlite::memory:", &["upgrade", "b7c1", "--sql"]);
    assert!(out.status.success(), "{out}");
}

// ------------------------------------------------------------------------------------------
// read-only databases and missing permissions

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_read_only() {
    let t = Target::new(TestDb::new(Backend::Sqlite).await).await;
    t.ok("blog", &["upgrade", "+1"]);
    let ro = Target {
        url: format!("{}?mode=ro", t.url),
        db: t.db,
        _login: None,
    };
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["upgrade", "head"],
            &[
                "upgrade 3f2a9c1b7e4d (create posts) failed",
                "attempt to write a readonly database",
                "rolled back",
            ],
        ),
        (
            &["downgrade", "base"],
            &[
                "downgrade 8828a8665651 (create users) failed",
                "attempt to write a readonly database",
            ],
        ),
        (
            &["stamp", "head"],
            &["attempt to write a readonly database"],
        ),
    ];
    ro.refuses_all("blog", cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_read_only() {
    let t = Target::new(TestDb::new(Backend::Postgres).await).await;
    t.ok("blog", &["upgrade", "+1"]);
    admin(
        Backend::Postgres,
        &format!(
            "ALTER DATABASE {} SET default_transaction_read_only = on",
            db_name(&t.db.url)
        ),
    )
    .await;
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["upgrade", "head"],
            &["cannot execute CREATE TABLE in a read-only transaction"],
        ),
        (&["stamp", "head"], &["read-only transaction"]),
        (&["downgrade", "base"], &["read-only transaction"]),
    ];
    t.refuses_all("blog", cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_role_without_privileges() {
    let t = Target::new(TestDb::new(Backend::Postgres).await).await;
    let role = Login::postgres(&format!("r_{}", db_name(&t.db.url))).await;
    let as_role = Target {
        url: role.url(&t.db.url),
        db: t.db,
        _login: Some(role),
    };
    // no CREATE on schema public: the version table cannot be created
    as_role
        .refused(
            "blog",
            &["upgrade"],
            &[
                "creating the version table",
                "permission denied for schema public",
            ],
        )
        .await;
    // the version table belongs to another role: it cannot be read
    assert!(
        run_url("blog", &as_role.db.url, &["upgrade", "+1"])
            .status
            .success()
    );
    as_role
        .refused(
            "blog",
            &["upgrade"],
            &[
                "cannot read the version table `migrate_version`",
                "permission denied for table migrate_version",
            ],
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_user_without_create() {
    let db = TestDb::new(Backend::MySql).await;
    let user = Login::mysql(
        &db,
        &format!("n_{}", db_name(&db.url)),
        "SELECT, INSERT, UPDATE, DELETE",
    )
    .await;
    let t = Target {
        url: user.url(&db.url),
        db,
        _login: Some(user),
    };
    t.refused(
        "blog",
        &["upgrade"],
        &[
            "creating the version table",
            "CREATE command denied to user",
        ],
    )
    .await;
    t.refused(
        "blog",
        &["stamp", "head"],
        &["CREATE command denied to user"],
    )
    .await;
}

// ------------------------------------------------------------------------------------------
// the version table

/// A broken version table: (the SQL that breaks it, the SQL that repairs it or [`PURGE`] or
/// `""` for the checksum, the commands that must refuse, the message's words).
type Corruption<'a> = (&'a str, &'a str, &'a [&'a [&'a str]], &'a [&'a str]);

/// Repair by `stamp 8828a8665651 --purge`, the way out the messages name.
const PURGE: &str = "stamp --purge";

backend_test!(untrustworthy_version_tables, |db| async move {
    let t = Target::new(db).await;
    t.ok("blog", &["upgrade", "+1"]);
    let row = "INSERT INTO migrate_version (revision, checksum, state, applied_at, execution_ms)";
    let cases: &[Corruption] = &[
        (
            "UPDATE migrate_version SET state = 'superseded'",
            PURGE, // the way out the message names
            &[
                &["upgrade"],
                &["current"],
                &["downgrade", "base"],
                &["stamp", "head"],
            ],
            &[
                "cannot read the version table `migrate_version`: unknown state `superseded`",
                "written by a newer version of cargo-migrate",
            ],
        ),
        (
            &format!("{row} VALUES ('feedfacecafe', '', 'stamped', '2026-11-21 00:00:00.000', 0)"),
            PURGE,
            &[&["upgrade"], &["current"], &["stamp", "head"]],
            &[
                "Can't locate revision identified by 'feedfacecafe'",
                "stamp <revision> --purge",
            ],
        ),
        (
            "UPDATE migrate_version SET state = 'pending'",
            "UPDATE migrate_version SET state = 'applied'",
            &[&["upgrade"], &["downgrade", "base"], &["check"]],
            &[
                "revision 8828a8665651 (create users) was interrupted or failed",
                "cargo migrate stamp 8828a8665651",
                "cargo migrate stamp base",
            ],
        ),
        (
            "UPDATE migrate_version SET checksum = 'deadbeef'",
            "", // restored from the snapshot below
            &[&["upgrade"], &["downgrade", "base"], &["check"]],
            &[
                "revision 8828a8665651 in `src/versions/8828a8665651_create_users.rs` was applied, but its code has changed",
                "--allow-changed-revisions",
            ],
        ),
    ];
    let checksum =
        t.db.query_strings("SELECT checksum FROM migrate_version")
            .await
            .remove(0);
    for (break_it, repair, commands, words) in cases {
        t.db.exec(break_it).await;
        for args in *commands {
            t.refused("blog", args, words).await;
        }
        if repair.is_empty() {
            t.db.exec(&format!(
                "UPDATE migrate_version SET checksum = '{checksum}'"
            ))
            .await;
        } else if *repair == PURGE {
            t.ok("blog", &["stamp", "8828a8665651", "--purge"]);
        } else {
            t.db.exec(repair).await;
        }
        t.ok("blog", &["current"]); // repaired
    }

    // a table of another tool under the version table's name
    let t = Target::new(TestDb::new(t.db.backend).await).await;
    t.db.exec("CREATE TABLE migrate_version (id INTEGER PRIMARY KEY, name VARCHAR(20)); INSERT INTO migrate_version (id, name) VALUES (1, 'theirs')").await;
    for args in [&["upgrade"][..], &["current"], &["stamp", "head"]] {
        t.refused(
            "blog",
            args,
            &[
                "cannot read the version table `migrate_version`",
                "another tool",
                "--version-table",
            ],
        )
        .await;
    }
    // the message's way out for a broken version table, `stamp --purge`, must not delete
    // another tool's rows (on MySQL the delete would commit before the writes fail)
    t.refused(
        "blog",
        &["stamp", "head", "--purge"],
        &["refusing --purge", "nothing was changed", "--version-table"],
    )
    .await;

    // a version table name that is not an identifier
    let long = "v".repeat(64);
    for name in ["x; drop table users", "1abc", long.as_str()] {
        let msg = t
            .refused(
                "blog",
                &["--version-table", name, "upgrade"],
                &["bad version table name", "use letters, digits and `_`"],
            )
            .await;
        assert!(!msg.contains("URL"), "not a URL problem: {msg}");
    }
});

// ------------------------------------------------------------------------------------------
// concurrency: a held lock, Ctrl-C

/// The runner's advisory-lock key for a version table (FNV-1a, as `runner::lock_key`).
fn pg_lock_key(table: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "cargo-migrate:".bytes().chain(table.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

backend_test!(lock_held_by_another_process, |db| async move {
    let t = Target::new(db).await;
    t.ok("blog", &["upgrade", "+1"]);
    let args: &[&str] = &["--lock-timeout", "1", "upgrade", "head"];
    match t.db.backend {
        Backend::Postgres => {
            let mut holder = sqlx::PgConnection::connect(&t.db.url).await.unwrap();
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(pg_lock_key("migrate_version"))
                .execute(&mut holder)
                .await
                .unwrap();
            let pid: i32 = sqlx::query("SELECT pg_backend_pid()")
                .fetch_one(&mut holder)
                .await
                .unwrap()
                .get(0);
            // the message says who holds the lock, as the server sees it, and how to end it
            t.refused(
                "blog",
                args,
                &[
                    "timed out after",
                    "waiting for the migration lock",
                    &format!("the lock is held by PostgreSQL backend pid {pid}"),
                    "client 127.0.0.1:",
                    "connected since ",
                    "idle for ",
                    "SELECT pg_backend_pid()",
                    "its client is still connected",
                    &format!("`SELECT pg_terminate_backend({pid})`"),
                    "--lock-timeout",
                ],
            )
            .await;
            holder.close().await.unwrap();
        }
        Backend::MySql => {
            // as another replica would: the same user (who sees its own sessions in the
            // process list without the PROCESS privilege)
            let mut holder = sqlx::MySqlConnection::connect(&t.url).await.unwrap();
            sqlx::query(
                "SELECT GET_LOCK(CONCAT(DATABASE(), ':', 'cargo-migrate:migrate_version'), 0)",
            )
            .execute(&mut holder)
            .await
            .unwrap();
            let id: u64 = sqlx::query("SELECT CONNECTION_ID()")
                .fetch_one(&mut holder)
                .await
                .unwrap()
                .get(0);
            t.refused(
                "blog",
                args,
                &[
                    "timed out after",
                    "waiting for the migration lock",
                    &format!("the lock is held by MySQL connection {id}"),
                    "idle for ",
                    "its client is still connected",
                    &format!("`KILL {id}`"),
                    "--lock-timeout",
                ],
            )
            .await;
            holder.close().await.unwrap();
        }
        Backend::Sqlite => {
            // SQLite has no lock of ours: another writer's transaction holds the database
            let mut holder = sqlx::SqliteConnection::connect(&t.db.url).await.unwrap();
            sqlx::raw_sql("BEGIN IMMEDIATE")
                .execute(&mut holder)
                .await
                .unwrap();
            t.refused(
                "blog",
                args,
                &[
                    "database is locked",
                    "another connection kept a write lock",
                    "--lock-timeout",
                ],
            )
            .await;
            sqlx::raw_sql("ROLLBACK")
                .execute(&mut holder)
                .await
                .unwrap();
            holder.close().await.unwrap();
        }
    }
    t.ok("blog", args); // the lock is free again
});

backend_test!(ctrl_c_mid_revision, |db| async move {
    let t = Target::new(db).await;
    t.ok("forked", &["upgrade", "aaaa00000001"]);
    let before = snapshot(&t.db).await;
    let dir = tempfile::tempdir().unwrap();
    let ready: PathBuf = dir.path().join("ready");

    // bbbb00000003 creates its table, then says so and sleeps: interrupt it there
    let mut cmd = runner("forked");
    cmd.arg("--database-url")
        .arg(&t.url)
        .args(["upgrade", "right@head"])
        .env("BAD_INPUTS_READY", &ready);
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "the slow revision never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let interrupt = |child: &std::process::Child| {
        let kill = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
    };
    interrupt(&child);
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    if !t.db.backend.transactional_ddl() {
        // MySQL: the runner would finish the revision in flight (its DDL committed); a
        // second Ctrl-C stops it at once, leaving it partly applied
        use std::io::BufRead as _;
        while !seen.contains("Interrupted") {
            assert!(stderr.read_line(&mut seen).unwrap() > 0, "{seen}");
        }
        interrupt(&child);
    }
    std::io::Read::read_to_string(&mut stderr, &mut seen).unwrap();
    let mut stdout = Vec::new();
    std::io::Read::read_to_end(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    let out = checked(
        "upgrade right@head, then SIGINT".into(),
        std::process::Output {
            status: child.wait().unwrap(),
            stdout,
            stderr: seen.into_bytes(),
        },
    );
    // the runner stops, says where the database is, and exits as a shell reports SIGINT
    assert_eq!(out.status.code(), Some(130), "exit 130 after SIGINT\n{out}");
    assert!(out.stderr.contains("Stopped"), "{out}");
    assert!(!out.status.success());

    if t.db.backend.transactional_ddl() {
        // the revision and its version-table row were one transaction: nothing of it stayed
        assert_eq!(snapshot(&t.db).await, before, "\n{out}");
        t.ok("forked", &["upgrade", "right@head"]);
    } else {
        // MySQL commits DDL at once: the table stayed, the row says `pending`, and every
        // later command says what happened and how to get out
        assert!(t.db.tables().await.contains(&"t3".to_owned()));
        assert_eq!(
            t.db.query_strings("SELECT state FROM migrate_version WHERE revision = 'bbbb00000003'")
                .await,
            ["pending"]
        );
        t.refused(
            "forked",
            &["upgrade", "heads"],
            &[
                "revision bbbb00000003 (right, slow on request) was interrupted",
                "cargo migrate stamp bbbb00000003",
                "cargo migrate stamp aaaa00000001",
            ],
        )
        .await;
    }
});

// ------------------------------------------------------------------------------------------
// the library API (an application running migrations at start-up)

/// `{e}` and `{e:?}` (what `fn main() -> Result<(), Box<dyn Error>>` prints) of every
/// connection error hide the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn library_errors_hide_the_password() {
    let cases: &[(&str, &str)] = &[
        ("oracle://scott:CANARY-7f3a9c@db/x", "bad database URL"),
        (
            "postgres://postgres:CANARY-7f3a9c@127.0.0.1:1/db",
            "cannot connect",
        ),
        (
            "mysql://root:CANARY-7f3a9c@127.0.0.1:1/db",
            "cannot connect",
        ),
        (
            "postgres://postgres:CANARY-7f3a9c/x@127.0.0.1:5432/db",
            "bad database URL",
        ),
        (
            "postgres://postgres@127.0.0.1:5432/bi_nosuchdb?password=CANARY-7f3a9c",
            "does not exist",
        ),
        (
            "mysql://root:CANARY-7f3a9c@127.0.0.1:3306/test",
            "Access denied",
        ),
    ];
    for (url, words) in cases {
        let e: Error = BLOG.upgrade_url(url, "head").await.unwrap_err();
        let (display, debug) = (e.to_string(), format!("{e:?}"));
        assert!(display.contains(words), "{display}");
        assert!(
            !display.contains(CANARY) && !debug.contains(CANARY),
            "the password leaked:\n{display}\n{debug}"
        );
    }
    // the same through Db::connect
    let e = migrate_core::Db::connect("postgres://postgres:CANARY-7f3a9c@127.0.0.1:1/db")
        .await
        .unwrap_err();
    assert!(!format!("{e} {e:?}").contains(CANARY));
}

/// BAD_INPUTS.md L8: `lint` over the blog example, whose data migration reads rows (offline
/// mode cannot render it): that revision is reported and skipped, the others are linted, for
/// the dialect of the configured URL (whose password is never printed).
#[test]
fn lint_skips_a_revision_that_reads() {
    let url = "postgres://postgres:CANARY-7f3a9c@127.0.0.1:1/lint";
    let out = run_url("blog", url, &["lint", "--format", "json"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(doc["dialects"], serde_json::json!(["postgres"]), "{out}");
    let skipped = doc["not_rendered"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{out}");
    assert_eq!(skipped[0]["revision"], "e4d5c6b7a8f9");
    assert_eq!(skipped[0]["fails"], false);
    assert!(
        skipped[0]["error"]
            .as_str()
            .unwrap()
            .contains("reads from the database (fetch_all)"),
        "{out}"
    );
    // every other revision was linted: the blog's revisions create tables with integer keys
    let linted: std::collections::BTreeSet<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["revision"].as_str().unwrap())
        .collect();
    assert!(!linted.contains("e4d5c6b7a8f9"), "{out}");
    assert!(!linted.is_empty(), "{out}");
    let human = run_url("blog", url, &["lint"]);
    assert!(
        human.stderr.contains(
            "warning: revision e4d5c6b7a8f9 not linted for postgres: revision e4d5c6b7a8f9 \
             reads from the database (fetch_all)"
        ),
        "{human}"
    );
}
