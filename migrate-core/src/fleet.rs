//! Fleet runs: one command (`upgrade`, `downgrade`, `current`, `check`, `stamp`) over many
//! databases, or many PostgreSQL schemas of one database (schema per tenant).
//!
//! Planning the fleet (which targets, in which order, the canary stage) and aggregating the
//! outcomes are here; the CLI only renders. Each target is run as a single-database command
//! would be: its own connection, its own migration lock and transactions
//! ([`crate::runner::Runner`]). Targets run on `jobs` worker threads, each with its own
//! single-threaded runtime (SQLite statements run on the calling thread, so threads, not
//! tasks, give parallelism). A failing target does not stop the others unless `fail_fast`;
//! a failing canary target stops the rest.
//!
//! Re-running resumes: a target already at head costs one connection and one read of its
//! version table (no lock is taken).

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::Error;
use crate::db::{ConnectOptions, Db, redact_url};
use crate::lock::{Capabilities, LockStrategy};
use crate::registry::Migrations;
use crate::runner::{Options, Runner};
use crate::version_table::validate_table_name;

/// One database (or schema) of the fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The database URL (may hold a password: show [`Target::label`]).
    pub url: String,
    /// PostgreSQL schema per tenant: the schema holding this tenant's tables and version
    /// table (`search_path` is set to it for the run).
    pub schema: Option<String>,
}

impl Target {
    /// How the target is shown: its URL with any password replaced by `***`, and `#schema`
    /// when it is a schema.
    pub fn label(&self) -> String {
        match &self.schema {
            Some(s) => format!("{}#{s}", redact_url(&self.url)),
            None => redact_url(&self.url),
        }
    }
}

/// Bad fleet input: an empty target list, a template without `{name}`, a bad name or
/// schema, a target that is not a URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// No target at all.
    #[error("the fleet has no targets: {0}")]
    Empty(String),
    /// A `--target-template` without the `{{name}}` placeholder.
    #[error("the target template `{0}` has no `{{name}}` placeholder")]
    TemplateWithoutName(String),
    /// A name that cannot be put in a URL or used as a schema.
    #[error("bad target name `{0}`: use letters, digits, `_` and `-` (at most 63)")]
    BadName(String),
    /// A line of a targets file `URL#schema` whose URL is not PostgreSQL's, or whose schema
    /// is not a valid name.
    /// The line is not echoed: what follows a `#` may be part of a password.
    #[error("line {line} of the targets file: {reason}")]
    BadSchemaLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A line of a targets file that is not a database URL.
    #[error(
        "line {line} of the targets file is not a database URL (sqlite:, postgres://, mysql://): `{text}`"
    )]
    NotAUrl {
        /// 1-based line number.
        line: usize,
        /// The line, password redacted.
        text: String,
    },
}

fn check_name(n: &str) -> Result<(), FleetError> {
    let ok = !n.is_empty()
        && n.len() <= 63
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(FleetError::BadName(crate::error::echo(n).to_string()))
    }
}

/// Targets from the text of a targets file: one target a line, a database URL, or
/// `postgres://…#schema` for that schema of that PostgreSQL database (schema per tenant, as
/// `--schemas`; the form [`Target::label`] prints). Blank lines and lines starting with `#`
/// are skipped; duplicates are kept once (first position). So one file can mix SQLite files,
/// MySQL and PostgreSQL databases and PostgreSQL schemas.
///
/// # Errors
/// [`FleetError::NotAUrl`] for a line whose scheme no backend handles;
/// [`FleetError::BadSchemaLine`] for a `#` on a URL that is not PostgreSQL's, or a schema
/// that is not a valid name (letters, digits, `_`, `-`, at most 63, as for `--schemas`);
/// [`FleetError::Empty`] when no line names a target.
pub fn targets_from_lines(text: &str) -> Result<Vec<Target>, FleetError> {
    let mut out: Vec<Target> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // `#` is not part of a database URL (a password holding one must be percent-encoded
        // anyway): the last one starts the schema
        let (url, schema) = match line.rsplit_once('#') {
            Some((url, schema)) => (url, Some(schema)),
            None => (line, None),
        };
        let backend = crate::Backend::from_url(url).map_err(|_| FleetError::NotAUrl {
            line: i + 1,
            text: redact_url(line),
        })?;
        if let Some(schema) = schema {
            let bad = |reason: String| FleetError::BadSchemaLine {
                line: i + 1,
                reason,
            };
            if schema.contains('@') {
                return Err(bad(
                    "the text after `#` holds an `@`: a `#` in a password must be \
                     percent-encoded (`%23`); `URL#schema` names a PostgreSQL schema"
                        .into(),
                ));
            }
            if backend != crate::Backend::Postgres {
                return Err(bad(format!(
                    "`URL#schema` (schema per tenant) is for PostgreSQL URLs, and this is a \
                     {} URL",
                    backend.name()
                )));
            }
            if check_name(schema).is_err() {
                return Err(bad(format!(
                    "bad schema name `{}` after `#`: use letters, digits, `_` and `-` (at \
                     most 63)",
                    crate::error::echo(schema)
                )));
            }
        }
        crate::db::remember_url_secrets(url);
        let t = Target {
            url: url.to_owned(),
            schema: schema.map(str::to_owned),
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.is_empty() {
        return Err(FleetError::Empty("the targets file names none".into()));
    }
    Ok(out)
}

/// Names from a comma-separated list or a file's lines (blank and `#` lines skipped),
/// each checked, duplicates kept once.
///
/// # Errors
/// [`FleetError::BadName`], [`FleetError::Empty`].
pub fn parse_names<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<String>, FleetError> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let n = n.trim();
        if n.is_empty() || n.starts_with('#') {
            continue;
        }
        check_name(n)?;
        if !out.iter().any(|o| o == n) {
            out.push(n.to_owned());
        }
    }
    if out.is_empty() {
        return Err(FleetError::Empty("no names given".into()));
    }
    Ok(out)
}

/// Targets from a URL template with `{name}` and a list of names (`--target-template
/// 'postgres://…/{name}' --names a,b`).
///
/// # Errors
/// [`FleetError::TemplateWithoutName`], [`FleetError::Empty`].
pub fn targets_from_template(template: &str, names: &[String]) -> Result<Vec<Target>, FleetError> {
    if !template.contains("{name}") {
        return Err(FleetError::TemplateWithoutName(redact_url(template)));
    }
    if names.is_empty() {
        return Err(FleetError::Empty("no names given".into()));
    }
    crate::db::remember_url_secrets(template);
    Ok(names
        .iter()
        .map(|n| Target {
            url: template.replace("{name}", n),
            schema: None,
        })
        .collect())
}

/// Schema-per-tenant targets: one database URL, one target per schema.
///
/// # Errors
/// [`FleetError::Empty`] for no schema.
pub fn targets_from_schemas(url: &str, schemas: &[String]) -> Result<Vec<Target>, FleetError> {
    if schemas.is_empty() {
        return Err(FleetError::Empty("no schemas given".into()));
    }
    Ok(schemas
        .iter()
        .map(|s| Target {
            url: url.to_owned(),
            schema: Some(s.clone()),
        })
        .collect())
}

/// The first column of every row `sql` returns on the catalog database at `url`, as text
/// (names or URLs of the fleet, `--targets-query`).
///
/// # Errors
/// As [`Db::connect_with`]; [`Error::Database`] when the query fails.
pub async fn query_catalog(
    url: &str,
    options: &ConnectOptions,
    sql: &str,
) -> Result<Vec<String>, Error> {
    let mut db = Db::connect_with(url, options).await?;
    let r = db.query_first_column(sql).await;
    db.close().await;
    r
}

/// What to do on each target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetCommand {
    /// `upgrade TARGET`.
    Upgrade(String),
    /// `downgrade TARGET`.
    Downgrade(String),
    /// `current`: only read.
    Current,
    /// `check`: at head, and every applied revision matches its code.
    Check,
    /// `stamp TARGETS…` (with `--purge` when true).
    Stamp(Vec<String>, bool),
}

impl FleetCommand {
    fn writes(&self) -> bool {
        matches!(self, FleetCommand::Upgrade(_) | FleetCommand::Stamp(..))
    }
}

/// How the fleet runs.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    /// Worker threads (targets run at once), at least 1.
    pub jobs: usize,
    /// Stop handing out targets after the first failure (targets under way finish).
    pub fail_fast: bool,
    /// Staged rollout: run the first N targets first; if any fails, the rest are skipped.
    pub canary: usize,
    /// How each target is connected to.
    pub connect: ConnectOptions,
}

/// How one target ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The command succeeded and changed something.
    Done,
    /// Nothing to do (already at the target; `current`; a passing `check`).
    Unchanged,
    /// The command failed on this target.
    Failed,
    /// Not run: an earlier failure under `--fail-fast`, or a failed canary.
    Skipped,
}

impl Status {
    /// `done`, `unchanged`, `failed`, `skipped`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Unchanged => "unchanged",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }
}

/// One target's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Position in the target list.
    pub index: usize,
    /// [`Target::label`] (no password).
    pub target: String,
    /// The current revisions before the command (empty: base; `None`: unknown, the target
    /// failed before its version table was read).
    pub from: Option<Vec<String>>,
    /// The current revisions after it (`None`: unknown).
    pub to: Option<Vec<String>>,
    /// Wall time of this target, connection included, in milliseconds.
    pub duration_ms: u64,
    /// How it ended.
    pub status: Status,
    /// The error, one line, password redacted (when failed or skipped).
    pub error: Option<String>,
}

/// The whole fleet's outcome.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every target's outcome, in target order.
    pub outcomes: Vec<Outcome>,
    /// Wall time of the fleet, in milliseconds.
    pub duration_ms: u64,
}

impl Report {
    /// How many targets ended with `status`.
    pub fn count(&self, status: Status) -> usize {
        self.outcomes.iter().filter(|o| o.status == status).count()
    }

    /// Whether every target succeeded (none failed or skipped).
    pub fn ok(&self) -> bool {
        self.count(Status::Failed) == 0 && self.count(Status::Skipped) == 0
    }

    /// `current` matrix: each distinct set of current revisions and the targets at it, most
    /// common first.
    pub fn matrix(&self) -> Vec<(String, Vec<&Outcome>)> {
        let mut groups: Vec<(String, Vec<&Outcome>)> = Vec::new();
        for o in &self.outcomes {
            let key = match o.status {
                Status::Failed | Status::Skipped => format!("({})", o.status.name()),
                _ => match &o.to {
                    Some(v) if v.is_empty() => "<base>".to_owned(),
                    Some(v) => v.join(", "),
                    None => "?".to_owned(),
                },
            };
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push(o),
                None => groups.push((key, vec![o])),
            }
        }
        groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        groups
    }
}

/// Runs `command` on every target, `options.jobs` at a time; calls `on_outcome` (on the
/// caller's thread) as each target ends. Returns every outcome in target order.
///
/// Blocking: call it from a thread that may block (the CLI's, or `spawn_blocking`).
pub fn run(
    migrations: &Migrations,
    runner_options: &Options,
    targets: &[Target],
    command: &FleetCommand,
    options: &FleetOptions,
    on_outcome: &mut dyn FnMut(&Outcome),
) -> Report {
    let started = Instant::now();
    let canary = options.canary.min(targets.len());
    let mut outcomes: Vec<Option<Outcome>> = vec![None; targets.len()];
    let stop = AtomicBool::new(false);
    let probed = Probed::default();
    for (lo, hi) in [(0, canary), (canary, targets.len())] {
        if lo == hi {
            continue;
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
        run_stage(
            migrations,
            runner_options,
            targets,
            lo..hi,
            command,
            options,
            &stop,
            &probed,
            &mut |o| {
                on_outcome(&o);
                let i = o.index;
                outcomes[i] = Some(o);
            },
        );
        if lo == 0
            && canary > 0
            && outcomes[..canary]
                .iter()
                .flatten()
                .any(|o| o.status == Status::Failed)
        {
            stop.store(true, Ordering::SeqCst);
        }
    }
    let outcomes = outcomes
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            o.unwrap_or_else(|| {
                let o = Outcome {
                    index: i,
                    target: targets[i].label(),
                    from: None,
                    to: None,
                    duration_ms: 0,
                    status: Status::Skipped,
                    error: Some(if i >= canary && canary > 0 && !options.fail_fast {
                        "not run: a canary target failed".into()
                    } else {
                        "not run: an earlier target failed (--fail-fast or a failed canary)".into()
                    }),
                };
                on_outcome(&o);
                o
            })
        })
        .collect();
    Report {
        outcomes,
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

#[allow(clippy::too_many_arguments)]
fn run_stage(
    migrations: &Migrations,
    runner_options: &Options,
    targets: &[Target],
    range: std::ops::Range<usize>,
    command: &FleetCommand,
    options: &FleetOptions,
    stop: &AtomicBool,
    probed: &Probed,
    on_outcome: &mut dyn FnMut(Outcome),
) {
    let next = AtomicUsize::new(range.start);
    let (tx, rx) = std::sync::mpsc::channel::<Outcome>();
    let jobs = options.jobs.max(1).min(range.len().max(1));
    let failed_runtime = Mutex::new(None::<String>);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let next = &next;
            let failed_runtime = &failed_runtime;
            let end = range.end;
            scope.spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        *failed_runtime.lock().unwrap() = Some(e.to_string());
                        return;
                    }
                };
                loop {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= end {
                        return;
                    }
                    let o = rt.block_on(run_one(
                        migrations,
                        runner_options,
                        &targets[i],
                        i,
                        command,
                        &options.connect,
                        probed,
                    ));
                    if o.status == Status::Failed && options.fail_fast {
                        stop.store(true, Ordering::SeqCst);
                    }
                    if tx.send(o).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        for o in rx {
            on_outcome(o);
        }
    });
}

/// Runs the command on one target.
async fn run_one(
    migrations: &Migrations,
    runner_options: &Options,
    target: &Target,
    index: usize,
    command: &FleetCommand,
    connect: &ConnectOptions,
    probed: &Probed,
) -> Outcome {
    let started = Instant::now();
    let mut from = None;
    let mut to = None;
    let r = one(
        migrations,
        runner_options,
        target,
        command,
        connect,
        probed,
        &mut from,
        &mut to,
    )
    .await;
    let (status, error) = match r {
        Ok(true) => (Status::Done, None),
        Ok(false) => (Status::Unchanged, None),
        Err(e) => (Status::Failed, Some(redact_url(&e.to_string()))),
    };
    Outcome {
        index,
        target: target.label(),
        from,
        to,
        duration_ms: started.elapsed().as_millis() as u64,
        status,
        error,
    }
}

/// `--lock auto` in a fleet: what the server behind each URL was probed to do
/// ([`Capabilities`]), so that targets sharing a URL (the schemas of one database) are probed
/// once per run, as a single command probes once, instead of once per target (the probe is
/// a few round trips and a second connection). Keyed by the whole URL: host, port, user,
/// database and parameters; targets on different databases are probed each, since a proxy
/// may pool each database its own way (PgBouncer's per-database `pool_mode`).
#[derive(Default)]
struct Probed(Mutex<HashMap<String, Capabilities>>);

impl Probed {
    /// Hands `db` what an earlier target of the same URL was probed to do.
    fn seed(&self, db: &mut Db, url: &str) {
        if let Some(c) = self.0.lock().unwrap_or_else(|e| e.into_inner()).get(url) {
            db.capabilities = Some(c.clone());
        }
    }

    /// Keeps what `db` was probed to do, for the next targets of its URL.
    fn keep(&self, db: &Db, url: &str) {
        if let Some(c) = &db.capabilities {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(url.to_owned())
                .or_insert_with(|| c.clone());
        }
    }
}

/// Returns whether something changed.
#[allow(clippy::too_many_arguments)]
async fn one(
    migrations: &Migrations,
    runner_options: &Options,
    target: &Target,
    command: &FleetCommand,
    connect: &ConnectOptions,
    probed: &Probed,
    from: &mut Option<Vec<String>>,
    to: &mut Option<Vec<String>>,
) -> Result<bool, Error> {
    let mut options = runner_options.clone();
    if let Some(s) = &target.schema {
        // the version table lives in the tenant's schema, so its lock (keyed by the table's
        // name) is the tenant's too
        options.version_table = format!("{s}.{}", runner_options.version_table);
        if let Err(reason) = validate_table_name(&options.version_table) {
            return Err(Error::InvalidVersionTableName {
                name: options.version_table,
                reason,
            });
        }
    }
    let runner = Runner::new(migrations, options)?;
    let graph = runner.graph();
    let name = match command {
        FleetCommand::Upgrade(_) => "upgrade",
        FleetCommand::Downgrade(_) => "downgrade",
        FleetCommand::Current => "current",
        FleetCommand::Check => "check",
        FleetCommand::Stamp(..) => "stamp",
    };
    let connect = connect.clone().create_sqlite_file(command.writes(), name);
    let mut db = Db::connect_with(&target.url, &connect).await?;
    let auto = runner_options.lock == LockStrategy::Auto;
    if auto {
        probed.seed(&mut db, &target.url);
    }
    let r = async {
        if let Some(s) = &target.schema {
            if db.backend() != crate::Backend::Postgres {
                return Err(Error::Config {
                    origin: "schema per tenant (--schemas, URL#schema)".into(),
                    reason: "schema per tenant is for PostgreSQL".into(),
                });
            }
            let create = if command.writes() {
                format!("CREATE SCHEMA IF NOT EXISTS \"{s}\"; ")
            } else {
                String::new()
            };
            db.sql(&format!("{create}SET search_path TO \"{s}\""))
                .await?;
        }
        let ids = |set: &[usize]| -> Vec<String> {
            set.iter().map(|&i| graph.at(i).id.clone()).collect()
        };
        let before = runner.status(&mut db).await?;
        *from = Some(ids(&before.heads));
        *to = from.clone();
        let heads: BTreeSet<usize> = graph.heads().into_iter().collect();
        let at_heads = before.heads.iter().copied().collect::<BTreeSet<_>>() == heads
            && before.applied.len() == graph.len();
        match command {
            FleetCommand::Current => return Ok(false),
            FleetCommand::Check => {
                runner.check_clean(&before)?;
                if !at_heads {
                    return Err(Error::Config {
                        origin: "check".into(),
                        reason: format!(
                            "{} revision(s) not applied",
                            graph.len() - before.applied.len()
                        ),
                    });
                }
                return Ok(false);
            }
            FleetCommand::Upgrade(t) if (t == "head" || t == "heads") && at_heads => {
                // a re-run: nothing to do, no lock taken
                runner.check_clean(&before)?;
                return Ok(false);
            }
            FleetCommand::Upgrade(t) => {
                runner.upgrade(&mut db, t, &mut |_| {}).await?;
            }
            FleetCommand::Downgrade(t) => {
                runner.downgrade(&mut db, t, &mut |_| {}).await?;
            }
            FleetCommand::Stamp(ts, purge) => {
                let ts: Vec<&str> = ts.iter().map(String::as_str).collect();
                runner.stamp(&mut db, &ts, *purge).await?;
            }
        }
        let after = runner.status(&mut db).await?;
        *to = Some(ids(&after.heads));
        Ok(after.applied != before.applied)
    }
    .await;
    if auto {
        probed.keep(&db, &target.url);
    }
    db.close().await;
    r
}

/// How long a fleet took, for messages.
pub fn seconds(ms: u64) -> String {
    format!("{:.2} s", Duration::from_millis(ms).as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(url: &str, schema: Option<&str>) -> Target {
        Target {
            url: url.into(),
            schema: schema.map(Into::into),
        }
    }

    #[test]
    fn a_targets_file_mixes_urls_and_postgres_schemas() {
        let text = "# tenants\n\
                    sqlite:/data/a.db\n\
                    postgres://app@db/saas#acme\n\
                    postgres://app@db/saas#globex\n\
                    postgresql://app@db/other\n\
                    postgres://app@db/saas#acme\n";
        assert_eq!(
            targets_from_lines(text).unwrap(),
            [
                t("sqlite:/data/a.db", None),
                t("postgres://app@db/saas", Some("acme")),
                t("postgres://app@db/saas", Some("globex")),
                t("postgresql://app@db/other", None),
            ]
        );
        // the label is the line
        assert_eq!(
            targets_from_lines("postgres://app@db/saas#acme\n").unwrap()[0].label(),
            "postgres://app@db/saas#acme"
        );
    }

    #[test]
    fn a_bad_schema_line_names_its_line_and_never_a_password() {
        let err = |text: &str| targets_from_lines(text).unwrap_err().to_string();
        let e = err("sqlite:a.db\nsqlite:/data/b.db#acme\n");
        assert!(e.starts_with("line 2 of the targets file: "), "{e}");
        assert!(
            e.contains("is for PostgreSQL URLs") && e.contains("sqlite"),
            "{e}"
        );
        let e = err("mysql://root@h/db#acme\n");
        assert!(e.starts_with("line 1 ") && e.contains("mysql"), "{e}");
        for bad in ["", "a.b", "a b", "x\"y", &"s".repeat(64)] {
            let e = err(&format!("postgres://app@db/saas#{bad}\n"));
            assert!(e.contains("bad schema name"), "{bad:?}: {e}");
        }
        // an unencoded `#` in a password: refused, the password's pieces not shown
        let e = err("sqlite:a.db\n\npostgres://app:Zq#Wk9@db/saas\n");
        assert!(e.starts_with("line 3 ") && e.contains("%23"), "{e}");
        assert!(!e.contains("Zq") && !e.contains("Wk9"), "{e}");
    }
}
