//! `cargo migrate test`: the migrations checked on throwaway databases, as pytest-alembic's
//! built-in tests (single head, upgrade, up/down consistency, stairway).
//!
//! The checks, each one [`TestResult`]:
//!
//! - `graph::single_head`: the graph has exactly one head (several heads need a merge
//!   revision before `upgrade head` means anything).
//! - `upgrade::<to>`: a fresh database upgrades from the start (base, or the parents of
//!   `--from`) to `--to` (default the head).
//! - `downgrade::<start>`: that database downgrades back to the start, and its schema is then
//!   the schema it had before the upgrade ([`crate::schema::diff`]). When the range holds an
//!   irreversible revision, the downgrade goes only down to the last one (and the schema is
//!   not compared).
//! - `stairway::<revision>` for each revision of the range, in the graph's order, on a second
//!   fresh database: upgrade to it, `downgrade` one step, compare the schema with the one
//!   before the upgrade, upgrade again and compare with the schema after the first upgrade.
//!   The verdict names each object that differs, or says that the downgrade or the
//!   re-upgrade failed, with the database's message. A revision declared `irreversible`
//!   whose downgrade fails is reported as [`Verdict::Irreversible`], not as a failure. After
//!   a failed downgrade (rolled back) the stairway goes on from the upgraded state; after a
//!   failed re-upgrade (the database's state is then unknown: a downgrade that did not undo
//!   everything) it goes on from a fresh database upgraded to that revision; after a failed
//!   upgrade it stops (the later revisions are skipped). The schema read after one step is
//!   the one before the next: three catalogue reads per revision, not four.
//!
//! - `models::match`, when the crate registers models and the range ends at the head: the
//!   models match the schema the migrations build ([`crate::schema::autogen::check_models`],
//!   on throwaway databases of the same server), each difference named.
//!
//! `jobs` ([`TestOptions::jobs`]): the upgrade/downgrade check and `jobs` consecutive ranges
//! of the stairway run at once, each on its own throwaway database and worker thread; the
//! results come in the same order as with one job.
//!
//! Throwaway databases: without an admin URL, SQLite in memory (each connection its own
//! database); with a `sqlite:` URL, a temporary file (deleted afterwards); with a PostgreSQL
//! or MySQL admin URL, a database `migrate_test_<pid>_<n>` created on that server and dropped
//! afterwards (also when a check fails). The admin URL's own database is never changed.
//!
//! The logic is here; the CLI ([`crate::cli`]) only renders the results.

// SQLite alone: the server-side statements here are compiled out
#![cfg_attr(
    not(any(feature = "postgres", feature = "mysql")),
    allow(unused_variables, unused_imports, dead_code)
)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::Migrations;
use crate::db::{Backend, ConnectOptions, Db, redact_url};
use crate::error::Error;
use crate::runner::{Options, Runner};
use crate::schema::introspect::introspect;
use crate::schema::{Schema, diff};
use crate::throwaway;

/// What `cargo migrate test` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// Admin URL of a PostgreSQL or MySQL server (the throwaway databases are created there),
    /// or a `sqlite:` URL (a temporary file is used); `None`: SQLite in memory.
    pub admin_url: Option<String>,
    /// The version table's name (left out of every schema comparison).
    pub version_table: String,
    /// The first revision to test (a spec: id, unique prefix, …); `None`: from base.
    pub from: Option<String>,
    /// The last revision to test (a spec); `None`: `heads`.
    pub to: Option<String>,
    /// How long the server has to answer a new connection.
    pub connect_timeout: Duration,
    /// How many independent parts run at once, each on its own throwaway database (`0` and
    /// `1`: one after the another); see [`run`].
    pub jobs: usize,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// It passed.
    Ok,
    /// It failed: why (one or more lines, naming each object that differs, or giving the
    /// database's message).
    Failed(String),
    /// The revision declared itself `irreversible` and its downgrade failed as expected: the
    /// reason it gave (may be empty).
    Irreversible(String),
    /// Not run: why (an earlier step failed).
    Skipped(String),
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// `graph::single_head`, `upgrade::<id>`, `downgrade::<id or base>`,
    /// `stairway::<id>`.
    pub name: String,
    /// The outcome.
    pub verdict: Verdict,
    /// How long it took, in milliseconds.
    pub elapsed_ms: u64,
}

impl TestResult {
    /// Whether it counts as a failure (exit code 1).
    pub fn failed(&self) -> bool {
        matches!(self.verdict, Verdict::Failed(_))
    }
}

/// Counts of a run: `(passed, failed, ignored)` where irreversible and skipped checks are
/// ignored ones, as cargo test counts `#[ignore]`.
pub fn summary(results: &[TestResult]) -> (usize, usize, usize) {
    let passed = results.iter().filter(|r| r.verdict == Verdict::Ok).count();
    let failed = results.iter().filter(|r| r.failed()).count();
    (passed, failed, results.len() - passed - failed)
}

/// A database made for the run and removed after it.
struct Throwaway {
    backend: Backend,
    /// The URL of the throwaway database (for SQLite in memory, a fresh database per
    /// connection).
    url: String,
    /// Server databases: the admin URL and the database's name, to drop it.
    server: Option<(String, String)>,
    /// A temporary SQLite file to delete.
    file: Option<std::path::PathBuf>,
}

impl Throwaway {
    async fn create(admin: Option<&str>) -> Result<Throwaway, Error> {
        let Some(admin) = admin else {
            return Ok(Throwaway {
                backend: Backend::Sqlite,
                url: "sqlite::memory:".into(),
                server: None,
                file: None,
            });
        };
        let backend = Backend::from_url(admin)?;
        let name = throwaway::unique_name("migrate_test");
        match backend {
            Backend::Sqlite => {
                let file = std::env::temp_dir().join(format!("{name}.db"));
                Ok(Throwaway {
                    backend,
                    url: format!("sqlite:{}?mode=rwc", file.display()),
                    server: None,
                    file: Some(file),
                })
            }
            Backend::Postgres | Backend::MySql => {
                let url = throwaway::database_url(admin, &name).map_err(|e| Error::Config {
                    origin: "--database-url".into(),
                    reason: format!("not a URL: {e}"),
                })?;
                throwaway::create_database(backend, admin, &name).await?;
                Ok(Throwaway {
                    backend,
                    url,
                    server: Some((admin.to_owned(), name)),
                    file: None,
                })
            }
        }
    }

    async fn drop(self) -> Result<(), Error> {
        if let Some(f) = &self.file {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut p = f.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
        if let Some((admin, name)) = &self.server {
            throwaway::drop_database(self.backend, admin, name).await?;
        }
        Ok(())
    }

    async fn connect(&self, timeout: Duration) -> Result<Db, Error> {
        let options = ConnectOptions::default()
            .connect_timeout(timeout)
            .create_sqlite_file(true, "test");
        Db::connect_with(&self.url, &options).await
    }
}

/// The revisions a run covers, in the graph's (topological) order, and the start state
/// (the parents of the first ones that are not in the range).
struct Range {
    revisions: Vec<usize>,
    start: Vec<usize>,
    end: Vec<usize>,
}

fn range(runner: &Runner<'_>, from: Option<&str>, to: Option<&str>) -> Result<Range, Error> {
    let graph = runner.graph();
    let none = BTreeSet::new();
    let end = crate::spec::resolve(graph, &none, to.unwrap_or("heads"))?;
    let below_end = graph.ancestors_mask(&end);
    let above_start = match from {
        Some(f) => {
            let first = crate::spec::resolve(graph, &none, f)?;
            // the spec names a state; its tip revisions start the range
            let tips: Vec<usize> = first
                .iter()
                .copied()
                .filter(|&i| {
                    !first
                        .iter()
                        .any(|&j| j != i && graph.ancestors_mask(&[j])[i])
                })
                .collect();
            graph.descendants_mask(&tips)
        }
        None => vec![true; graph.len()],
    };
    let revisions: Vec<usize> = (0..graph.len())
        .filter(|&i| below_end[i] && above_start[i])
        .collect();
    let in_range: BTreeSet<usize> = revisions.iter().copied().collect();
    let start: Vec<usize> = (0..graph.len())
        .filter(|&i| below_end[i] && !in_range.contains(&i))
        .filter(|&i| {
            graph
                .children_of(i)
                .iter()
                .all(|c| !below_end[*c] || in_range.contains(c))
        })
        .collect();
    Ok(Range {
        revisions,
        start,
        end,
    })
}

/// A target spec naming exactly the state `ids` (upgrade or downgrade to it): `base` for
/// none, else the ids (one target per id).
fn state_targets(runner: &Runner<'_>, state: &[usize]) -> Vec<String> {
    state
        .iter()
        .map(|&i| runner.graph().at(i).id.clone())
        .collect()
}

fn message(e: &Error) -> String {
    redact_url(&e.to_string())
}

/// Runs every check on throwaway databases and returns the results in order; `on_result`
/// sees each as it completes (for progress output), in that same order.
///
/// With [`TestOptions::jobs`] above 1 the independent parts run at once, each on its own
/// throwaway database and worker thread: the upgrade/downgrade check, and the stairway split
/// into `jobs` consecutive ranges of revisions (each range's database is first upgraded to
/// the state before its first revision). The results are the same list, in the same order,
/// as with one job; `on_result` sees a part's results when it and every part before it
/// have finished.
///
/// # Errors
/// Only what prevents the run itself: a revision spec of `--from`/`--to` that does not
/// resolve, an admin URL that is not a URL or whose server refuses to create (or drop) the
/// throwaway database, a connection to it that fails, a worker thread's runtime that cannot
/// be built. A failing revision is a [`Verdict::Failed`] result, not an error.
pub async fn run(
    migrations: &'static Migrations,
    options: &TestOptions,
    on_result: &mut dyn FnMut(&TestResult),
) -> Result<Vec<TestResult>, Error> {
    let mut results = Vec::new();
    let runner_options = runner_options(options);
    // an invalid graph does not compile; Runner::new reports it anyway
    let runner = Runner::new(migrations, runner_options.clone())?;
    let graph = runner.graph();
    // what can be refused is refused before any output and before any database exists
    let range = range(&runner, options.from.as_deref(), options.to.as_deref())?;
    let t = Instant::now();
    let heads = graph.heads();
    let verdict = if heads.len() <= 1 {
        Verdict::Ok
    } else {
        let ids: Vec<&str> = heads.iter().map(|&i| graph.at(i).id.as_str()).collect();
        Verdict::Failed(format!(
            "{} heads: {}; merge them with `cargo migrate merge heads`",
            ids.len(),
            ids.join(", ")
        ))
    };
    let head = TestResult {
        name: "graph::single_head".into(),
        verdict,
        elapsed_ms: ms(t),
    };
    // shown with the first result of a database check: when the server cannot be reached,
    // the error comes alone
    let mut head = Some(head);
    let parts = parts(&range, options.jobs);
    let mut stop = Stop::default();
    let mut emit = |r: Option<TestResult>, results: &mut Vec<TestResult>| {
        if let Some(h) = head.take() {
            on_result(&h);
            results.push(h);
        }
        if let Some(r) = r {
            let r = stop.apply(r);
            on_result(&r);
            results.push(r);
        }
    };
    if parts.len() <= 2 {
        // one job: every part in turn on this runtime, each result shown as it comes
        for part in &parts {
            run_part(&runner, &range, part, options, &mut |r| {
                emit(Some(r), &mut results)
            })
            .await?;
        }
        emit(None, &mut results);
        if let Some(r) = models_match(migrations, options).await? {
            on_result(&r);
            results.push(r);
        }
        return Ok(results);
    }
    // several jobs: one worker thread (with its own runtime and runner) per part
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Result<Vec<TestResult>, Error>)>();
    let range = &range;
    let outcome: Result<(), Error> = std::thread::scope(|scope| {
        for (k, part) in parts.iter().enumerate() {
            let tx = tx.clone();
            let runner_options = runner_options.clone();
            scope.spawn(move || {
                let done = (|| {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| Error::Config {
                            origin: "--jobs".into(),
                            reason: format!("cannot start a worker's runtime: {e}"),
                        })?;
                    let runner = Runner::new(migrations, runner_options)?;
                    let mut out = Vec::new();
                    rt.block_on(run_part(&runner, range, part, options, &mut |r| {
                        out.push(r)
                    }))?;
                    Ok(out)
                })();
                let _ = tx.send((k, done));
            });
        }
        drop(tx);
        // in order: a part's results once it and every part before it are done
        let mut done: Vec<Option<Vec<TestResult>>> = vec![None; parts.len()];
        let mut next = 0;
        let mut first_error = None;
        for (k, r) in rx {
            match r {
                Ok(v) => done[k] = Some(v),
                Err(e) => {
                    first_error.get_or_insert((k, e));
                    done[k] = Some(Vec::new());
                }
            }
            while next < done.len() {
                let Some(v) = done[next].take() else { break };
                for r in v {
                    emit(Some(r), &mut results);
                }
                next += 1;
            }
        }
        match first_error {
            Some((_, e)) => Err(e),
            None => {
                emit(None, &mut results);
                Ok(())
            }
        }
    });
    outcome?;
    if let Some(r) = models_match(migrations, options).await? {
        on_result(&r);
        results.push(r);
    }
    Ok(results)
}

/// `models::match`: `None` without registered models or when `--to` stops below the head.
async fn models_match(
    migrations: &'static Migrations,
    options: &TestOptions,
) -> Result<Option<TestResult>, Error> {
    if migrations.models().is_none() || options.to.is_some() {
        return Ok(None);
    }
    let t = Instant::now();
    let url = options.admin_url.as_deref().unwrap_or("sqlite::memory:");
    let opts = crate::schema::autogen::AutogenOptions {
        version_table: Some(options.version_table.clone()),
        ..Default::default()
    };
    let verdict = match crate::schema::autogen::check_models(migrations, url, &opts).await {
        Ok(d) if d.is_empty() => Verdict::Ok,
        Ok(d) => Verdict::Failed(
            d.iter()
                .map(crate::schema::autogen::drift_line)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Err(e) => Verdict::Failed(e.to_string()),
    };
    Ok(Some(TestResult {
        name: "models::match".into(),
        verdict,
        elapsed_ms: ms(t),
    }))
}

fn runner_options(options: &TestOptions) -> Options {
    Options {
        version_table: options.version_table.clone(),
        ..Options::default()
    }
}

/// One independent part of a run, on its own throwaway database.
#[derive(Debug, Clone)]
enum Part {
    /// `upgrade::…` and `downgrade::…`.
    UpDown,
    /// The stairway over `Range::revisions[from..to]`.
    Stairway { from: usize, to: usize },
}

/// The parts of a run with `jobs` workers: the upgrade/downgrade check, then the stairway in
/// `jobs` consecutive ranges (one range with one job, none for an empty range).
fn parts(range: &Range, jobs: usize) -> Vec<Part> {
    let n = range.revisions.len();
    let chunks = jobs.max(1).min(n.max(1));
    let mut parts = vec![Part::UpDown];
    for k in 0..chunks {
        let (from, to) = (k * n / chunks, (k + 1) * n / chunks);
        if from < to {
            parts.push(Part::Stairway { from, to });
        }
    }
    parts
}

/// Once a stairway step's upgrade failed, every later stairway result is skipped: what a
/// single stairway does, also when later ranges ran on their own databases.
#[derive(Default)]
struct Stop(Option<String>);

impl Stop {
    fn apply(&mut self, r: TestResult) -> TestResult {
        if !r.name.starts_with("stairway::") {
            return r;
        }
        if let Some(why) = &self.0 {
            return TestResult {
                verdict: Verdict::Skipped(why.clone()),
                elapsed_ms: 0,
                ..r
            };
        }
        if let Verdict::Failed(m) = &r.verdict
            && m.starts_with("upgrade fails:")
        {
            let id = r.name.trim_start_matches("stairway::");
            self.0 = Some(format!("the upgrade to {id} failed"));
        }
        r
    }
}

async fn run_part(
    runner: &Runner<'_>,
    range: &Range,
    part: &Part,
    options: &TestOptions,
    report: &mut dyn FnMut(TestResult),
) -> Result<(), Error> {
    let exclude = [options.version_table.as_str()];
    match part {
        Part::UpDown => {
            let db = Throwaway::create(options.admin_url.as_deref()).await?;
            let r = updown(runner, &db, range, &exclude, options, report).await;
            db.drop().await?;
            r
        }
        Part::Stairway { from, to } => {
            stairway(runner, range, *from..*to, &exclude, options, report).await
        }
    }
}

fn ms(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}

async fn up(runner: &Runner<'_>, db: &mut Db, targets: &[String]) -> Result<(), Error> {
    for t in targets {
        runner.upgrade(db, t, &mut |_| {}).await?;
    }
    Ok(())
}

async fn down(runner: &Runner<'_>, db: &mut Db, target: &str) -> Result<(), Error> {
    runner.downgrade(db, target, &mut |_| {}).await.map(|_| ())
}

async fn updown(
    runner: &Runner<'_>,
    tmp: &Throwaway,
    range: &Range,
    exclude: &[&str],
    options: &TestOptions,
    report: &mut dyn FnMut(TestResult),
) -> Result<(), Error> {
    let graph = runner.graph();
    let mut db = tmp.connect(options.connect_timeout).await?;
    let result = async {
        let start = state_targets(runner, &range.start);
        up(runner, &mut db, &start).await?;
        let before = introspect(&mut db, exclude).await?;
        let end_name = match range.end.as_slice() {
            [one] => graph.at(*one).id.clone(),
            _ => "heads".to_owned(),
        };
        let t = Instant::now();
        let upgraded = up(runner, &mut db, &state_targets(runner, &range.end)).await;
        let ok = upgraded.is_ok();
        report(TestResult {
            name: format!("upgrade::{end_name}"),
            verdict: match upgraded {
                Ok(()) => Verdict::Ok,
                Err(e) => Verdict::Failed(format!("upgrade fails: {}", message(&e))),
            },
            elapsed_ms: ms(t),
        });
        let start_name = match range.start.as_slice() {
            [] => "base".to_owned(),
            [one] => graph.at(*one).id.clone(),
            _ => "start".to_owned(),
        };
        if !ok {
            report(TestResult {
                name: format!("downgrade::{start_name}"),
                verdict: Verdict::Skipped("the upgrade failed".into()),
                elapsed_ms: 0,
            });
            return Ok(());
        }
        // the downgrade stops at the last irreversible revision of the range
        let last_irreversible = range
            .revisions
            .iter()
            .rev()
            .find(|&&i| runner.revision(i).irreversible.is_some());
        let t = Instant::now();
        let verdict = match last_irreversible {
            Some(&i) => {
                let id = &graph.at(i).id;
                match down(runner, &mut db, id).await {
                    Ok(()) => Verdict::Irreversible(format!(
                        "downgraded to `{id}` only: it is declared irreversible"
                    )),
                    Err(e) => Verdict::Failed(format!("downgrade fails: {}", message(&e))),
                }
            }
            None => {
                let target = if range.start.is_empty() {
                    "base".to_owned()
                } else {
                    state_targets(runner, &range.start).join(" ")
                };
                // several start revisions: downgrade to each (rare: a range starting below a
                // merge); the schema comparison tells whether it got there
                let mut failed = None;
                for t in target.split(' ') {
                    if let Err(e) = down(runner, &mut db, t).await {
                        failed = Some(e);
                        break;
                    }
                }
                match failed {
                    Some(e) => Verdict::Failed(format!("downgrade fails: {}", message(&e))),
                    None => {
                        let after = introspect(&mut db, exclude).await?;
                        differs(
                            &before,
                            &after,
                            "after the downgrade the schema differs from before the upgrade",
                        )
                    }
                }
            }
        };
        report(TestResult {
            name: format!("downgrade::{start_name}"),
            verdict,
            elapsed_ms: ms(t),
        });
        Ok(())
    }
    .await;
    db.close().await;
    result
}

fn differs(expected: &Schema, got: &Schema, what: &str) -> Verdict {
    let d = diff(expected, got);
    if d.is_empty() {
        Verdict::Ok
    } else {
        let lines: Vec<String> = d.iter().map(|d| format!("  {d}")).collect();
        Verdict::Failed(format!("{what}:\n{}", lines.join("\n")))
    }
}

/// The targets that bring a fresh database to the state where `applied` (indexes of the
/// graph) are applied: the revisions of `applied` none of whose children is in it.
fn tips(runner: &Runner<'_>, applied: &BTreeSet<usize>) -> Vec<String> {
    let graph = runner.graph();
    applied
        .iter()
        .filter(|&&i| !graph.children_of(i).iter().any(|c| applied.contains(c)))
        .map(|&i| graph.at(i).id.clone())
        .collect()
}

/// A throwaway database at the state where the range's start and `revisions` are applied.
async fn fresh_at(
    runner: &Runner<'_>,
    range: &Range,
    revisions: &[usize],
    options: &TestOptions,
) -> Result<(Throwaway, Db), Error> {
    let tmp = Throwaway::create(options.admin_url.as_deref()).await?;
    let mut db = match tmp.connect(options.connect_timeout).await {
        Ok(db) => db,
        Err(e) => {
            tmp.drop().await?;
            return Err(e);
        }
    };
    let applied: BTreeSet<usize> = range.start.iter().chain(revisions).copied().collect();
    if let Err(e) = up(runner, &mut db, &tips(runner, &applied)).await {
        db.close().await;
        tmp.drop().await?;
        return Err(e);
    }
    Ok((tmp, db))
}

/// The stairway over `range.revisions[part]` on a throwaway database first upgraded to the
/// state before the part's first revision. When a re-upgrade fails, the stairway goes on
/// from a fresh database upgraded to that revision (the failed one's state is unknown);
/// when an upgrade fails, the part's later revisions are skipped.
async fn stairway(
    runner: &Runner<'_>,
    range: &Range,
    part: std::ops::Range<usize>,
    exclude: &[&str],
    options: &TestOptions,
    report: &mut dyn FnMut(TestResult),
) -> Result<(), Error> {
    let graph = runner.graph();
    let revisions = &range.revisions[part.clone()];
    let (mut tmp, mut db) =
        fresh_at(runner, range, &range.revisions[..part.start], options).await?;
    let result = async {
        let mut stopped: Option<String> = None;
        // the schema before the next step, when already read (the last step's last read)
        let mut known: Option<Schema> = None;
        for (k, &i) in revisions.iter().enumerate() {
            let info = graph.at(i);
            let rev = runner.revision(i);
            let name = format!("stairway::{}", info.id);
            if let Some(why) = &stopped {
                report(TestResult {
                    name,
                    verdict: Verdict::Skipped(why.clone()),
                    elapsed_ms: 0,
                });
                continue;
            }
            let t = Instant::now();
            let before = match known.take() {
                Some(s) => s,
                None => introspect(&mut db, exclude).await?,
            };
            if let Err(e) = up(runner, &mut db, std::slice::from_ref(&info.id)).await {
                stopped = Some(format!("the upgrade to {} failed", info.id));
                report(TestResult {
                    name,
                    verdict: Verdict::Failed(format!("upgrade fails: {}", message(&e))),
                    elapsed_ms: ms(t),
                });
                continue;
            }
            let upgraded = introspect(&mut db, exclude).await?;
            // one step down: to the parent, or `-1` from a merge or a base
            let target = match rev.down_revisions {
                [one] => (*one).to_owned(),
                _ => "-1".to_owned(),
            };
            if let Err(e) = down(runner, &mut db, &target).await {
                let verdict = match rev.irreversible {
                    Some(reason) => Verdict::Irreversible(reason.to_owned()),
                    None => Verdict::Failed(format!("downgrade fails: {}", message(&e))),
                };
                report(TestResult {
                    name,
                    verdict,
                    elapsed_ms: ms(t),
                });
                // still at this revision (the failed downgrade was rolled back): go on
                known = Some(upgraded);
                continue;
            }
            let downgraded = introspect(&mut db, exclude).await?;
            let mut verdict = differs(
                &before,
                &downgraded,
                "after upgrade and downgrade the schema differs from before the upgrade",
            );
            if let Err(e) = up(runner, &mut db, std::slice::from_ref(&info.id)).await {
                let msg = format!("re-upgrade fails: {}", message(&e));
                verdict = match verdict {
                    Verdict::Failed(m) => Verdict::Failed(format!("{m}\n{msg}")),
                    _ => Verdict::Failed(msg),
                };
                // go on from a fresh database at this revision
                let fresh_tmp = Throwaway::create(options.admin_url.as_deref()).await?;
                let fresh = match fresh_tmp.connect(options.connect_timeout).await {
                    Ok(fresh) => fresh,
                    Err(e) => {
                        fresh_tmp.drop().await?;
                        return Err(e);
                    }
                };
                std::mem::replace(&mut db, fresh).close().await;
                std::mem::replace(&mut tmp, fresh_tmp).drop().await?;
                let applied: BTreeSet<usize> = range
                    .start
                    .iter()
                    .chain(&range.revisions[..part.start + k + 1])
                    .copied()
                    .collect();
                if let Err(e) = up(runner, &mut db, &tips(runner, &applied)).await {
                    stopped = Some(format!(
                        "a fresh database does not upgrade to {}: {}",
                        info.id,
                        message(&e)
                    ));
                }
            } else if verdict == Verdict::Ok {
                let again = introspect(&mut db, exclude).await?;
                verdict = differs(
                    &upgraded,
                    &again,
                    "the re-upgrade gives a different schema than the first upgrade",
                );
                known = Some(again);
            }
            report(TestResult {
                name,
                verdict,
                elapsed_ms: ms(t),
            });
        }
        Ok(())
    }
    .await;
    db.close().await;
    tmp.drop().await?;
    result
}

/// The verdict's name in reports (`ok`, `failed`, `irreversible`, `skipped`) and its
/// message, if any.
pub fn outcome(v: &Verdict) -> (&'static str, Option<&str>) {
    match v {
        Verdict::Ok => ("ok", None),
        Verdict::Failed(m) => ("failed", Some(m)),
        Verdict::Irreversible(m) => ("irreversible", Some(m)),
        Verdict::Skipped(m) => ("skipped", Some(m)),
    }
}

/// The results as a JUnit XML report (one `<testsuite name="cargo-migrate">`, one
/// `<testcase>` per check, classname the part before `::`; failures as `<failure>`,
/// irreversible and skipped checks as `<skipped>`), as CI systems read it.
pub fn to_junit(results: &[TestResult]) -> String {
    let (_, failed, ignored) = summary(results);
    let total_ms: u64 = results.iter().map(|r| r.elapsed_ms).sum();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"cargo-migrate\" \
         tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"{ignored}\" time=\"{:.3}\">\n",
        results.len(),
        total_ms as f64 / 1000.0
    );
    for r in results {
        let (class, name) = r.name.split_once("::").unwrap_or(("migrate", &r.name));
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            xml(class),
            xml(name),
            r.elapsed_ms as f64 / 1000.0
        ));
        match &r.verdict {
            Verdict::Ok => out.push_str("/>\n"),
            Verdict::Failed(m) => out.push_str(&format!(
                ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                xml(m.lines().next().unwrap_or_default()),
                xml(m)
            )),
            Verdict::Irreversible(m) | Verdict::Skipped(m) => out.push_str(&format!(
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                xml(m)
            )),
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<TestResult> {
        vec![
            TestResult {
                name: "graph::single_head".into(),
                verdict: Verdict::Ok,
                elapsed_ms: 0,
            },
            TestResult {
                name: "stairway::ab12".into(),
                verdict: Verdict::Failed("differs:\n  column `posts`.`slug` added \"<x>\"".into()),
                elapsed_ms: 12,
            },
            TestResult {
                name: "stairway::cd34".into(),
                verdict: Verdict::Irreversible("drops data".into()),
                elapsed_ms: 3,
            },
        ]
    }

    #[test]
    fn counts() {
        assert_eq!(summary(&sample()), (1, 1, 1));
    }

    #[test]
    fn junit_is_escaped() {
        let x = to_junit(&sample());
        assert!(
            x.contains("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""),
            "{x}"
        );
        assert!(
            x.contains("<testcase classname=\"stairway\" name=\"ab12\" time=\"0.012\">"),
            "{x}"
        );
        assert!(x.contains("<failure message=\"differs:\">differs:\n  column `posts`.`slug` added &quot;&lt;x&gt;&quot;</failure>"), "{x}");
        assert!(x.contains("<skipped message=\"drops data\"/>"), "{x}");
    }
}
