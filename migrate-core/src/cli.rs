//! The database commands' command line, shared by the migrations crate's runner binary
//! (`migrate_core::cli::main(&MIGRATIONS)`) and `cargo migrate`, which flattens
//! [`DbCommand`] into its own command set and forwards those commands to the runner.
//!
//! Output follows cargo's conventions: progress and notes go to stderr
//! (`   Upgrading 8828a8665651 -> 3f2a9c1b7e4d, create users (12 ms)`), data (`current`,
//! `heads`, `history`, `--sql` scripts) to stdout. Every error is one line on stderr
//! prefixed `error: ` with exit code 1; usage errors exit with 2 (clap).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::db::{Backend, ConnectOptions, Db, redact_url};
use crate::plan::Direction;
use crate::runner::{Event, OfflineCommand, Options, Runner, Status, TransactionMode, ids_or_base};
use crate::{Error, Migrations};

mod args;
mod current;
mod render;

pub use current::current_from_graph;
pub use render::{
    Docstring, current_line, hint, log_entry, render_graph_command, render_graph_command_with,
};

/// Options every database command takes.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database URL (sqlite:FILE, postgres://…, mysql://…). Default: $DATABASE_URL (also
    /// read from a .env file), else a SQLite file `migrate.db` in the project directory.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Name of the version table.
    #[arg(long, global = true, value_name = "NAME", default_value = crate::version_table::DEFAULT_VERSION_TABLE)]
    pub version_table: String,
    /// How long to wait for another process's migration lock, in seconds.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 60)]
    pub lock_timeout: u64,
    /// How long the database server has to answer a new connection, in seconds.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10)]
    pub connect_timeout: u64,
    /// One transaction per revision (default), or the whole run in one transaction.
    #[arg(long, global = true, value_enum, default_value_t = TxMode::PerRevision)]
    pub transaction_mode: TxMode,
    /// Run even when an applied revision's code changed since it was applied (dangerous).
    #[arg(long, global = true)]
    pub allow_changed_revisions: bool,
}

/// `--transaction-mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TxMode {
    /// One transaction per revision.
    PerRevision,
    /// The whole run in one transaction.
    All,
}

/// `--dialect` values for offline mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL / MariaDB.
    Mysql,
}

impl From<Dialect> for Backend {
    fn from(d: Dialect) -> Backend {
        match d {
            Dialect::Sqlite => Backend::Sqlite,
            Dialect::Postgres => Backend::Postgres,
            Dialect::Mysql => Backend::MySql,
        }
    }
}

/// Offline-mode flags.
#[derive(Debug, Clone, Args)]
pub struct SqlArgs {
    /// Offline mode: print the SQL instead of running it.
    #[arg(long)]
    pub sql: bool,
    /// SQL dialect for --sql (default: from the database URL's scheme).
    #[arg(long, value_enum, requires = "sql")]
    pub dialect: Option<Dialect>,
}

/// The commands that need the compiled revisions or the database.
#[derive(Debug, Clone, Subcommand)]
pub enum DbCommand {
    /// Upgrade to a later revision (default `head`): `head`, `heads`, an id or unique
    /// prefix, `+N`, `label@head`; with --sql also a range `A:B`.
    Upgrade {
        /// The target revision.
        #[arg(default_value = "head", allow_hyphen_values = true)]
        revision: String,
        /// Offline mode.
        #[command(flatten)]
        sql: SqlArgs,
    },
    /// Revert to an earlier revision: `base`, an id or unique prefix, `-N`, `label@base`;
    /// with --sql a range `B:A`.
    Downgrade {
        /// The target revision.
        #[arg(allow_hyphen_values = true)]
        revision: String,
        /// Offline mode.
        #[command(flatten)]
        sql: SqlArgs,
    },
    /// Show the current revision(s) of the database.
    Current {
        /// Show each revision's details.
        #[arg(short, long)]
        verbose: bool,
        /// Fail when the database is not at the head revision(s).
        #[arg(long)]
        check_heads: bool,
    },
    /// Set the version table to the given revision(s) without running any revision.
    Stamp {
        /// Target revisions (`head`, `heads`, `base`, ids, `label@head`, …).
        // not `allow_hyphen_values`: on a list it swallows the options after it
        // (`stamp head --purge --database-url URL` would stamp DATABASE_URL's database)
        #[arg(required = true, allow_negative_numbers = true)]
        revisions: Vec<String>,
        /// Delete every row of the version table first (the way out when it names a revision
        /// the code lacks).
        #[arg(long)]
        purge: bool,
        /// Offline mode.
        #[command(flatten)]
        sql: SqlArgs,
    },
    /// Accept edited applied revisions: record their current checksum (Flyway's `repair`).
    ///
    /// For edits made on purpose that do not change what the revision did (a renamed
    /// variable, a reformatted statement). Runs nothing and changes no other row.
    Repair {
        /// The applied revisions whose checksum to record (ids, prefixes, `head`, …).
        #[arg(required = true)]
        revisions: Vec<String>,
    },
    /// Check that the database is at head and that no applied revision's code changed.
    Check,
    /// List revisions, newest first.
    History {
        /// Range `A:B` (either side optional); `-N` counts from the heads (`-r -2:`).
        #[arg(
            short = 'r',
            long = "rev-range",
            value_name = "RANGE",
            allow_hyphen_values = true
        )]
        rev_range: Option<String>,
        /// Show each revision's details.
        #[arg(short, long)]
        verbose: bool,
        /// Mark the database's current revision(s) (connects to the database).
        #[arg(short = 'i', long)]
        indicate_current: bool,
    },
    /// Show the head revisions.
    Heads {
        /// Show each revision's details.
        #[arg(short, long)]
        verbose: bool,
        /// Treat depends_on dependencies as down revisions when computing heads.
        #[arg(long)]
        resolve_dependencies: bool,
    },
    /// Show the branch points.
    Branches {
        /// Show each revision's details.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Show one revision.
    Show {
        /// The revision (id, prefix, `head`, `heads`, …); `-N` is N below each head.
        #[arg(allow_hyphen_values = true)]
        revision: String,
    },
}

impl DbCommand {
    /// Whether the command works from the revision graph alone (no compiled code, no
    /// database), so `cargo migrate` can answer it without building the migrations crate.
    pub fn graph_only(&self) -> bool {
        match self {
            DbCommand::History {
                indicate_current,
                rev_range,
                ..
            } => !indicate_current && rev_range.as_deref().is_none_or(|r| !needs_current(r)),
            DbCommand::Show { revision } => !needs_current(revision),
            DbCommand::Heads { .. } | DbCommand::Branches { .. } => true,
            _ => false,
        }
    }
}

/// Whether a spec or range of `show` or `history -r` refers to the database's current
/// revision (`current`, or a step up from it such as `+1`, `label@+1`), so it cannot be
/// answered from the revision files alone. `-N` counts from the heads there, as in Alembic.
fn needs_current(spec: &str) -> bool {
    spec.split(':').any(|side| {
        let side = side.rsplit('@').next().unwrap_or(side);
        side == "current" || side.starts_with('+')
    })
}

/// The runner binary's command line.
#[derive(Debug, Parser)]
#[command(about = "Run this crate's migrations (the runner behind `cargo migrate`)")]
pub struct RunnerCli {
    /// Database options.
    #[command(flatten)]
    pub db: DbArgs,
    /// The command.
    #[command(subcommand)]
    pub command: DbCommand,
}

/// The runner binary's `main`: parses the command line, runs the command, prints errors,
/// returns the exit code (0 success, 1 error, 2 usage). Write it as
/// `fn main() -> std::process::ExitCode { migrate_core::cli::main(&my_migrations::MIGRATIONS) }`.
pub fn main(migrations: &'static Migrations) -> ExitCode {
    let cli = RunnerCli::parse();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(migrations, &cli.db, &cli.command)) {
        Ok(code) => code,
        Err(e) => {
            // a URL can reach a message through any argument (one typed where a revision
            // goes): no password is printed, wherever it came from
            // one line, the hint (if any) last
            let hint = hint(&e).map(|h| format!("; {h}")).unwrap_or_default();
            eprintln!("error: {}{hint}", redact_url(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

/// Resolves the database URL: `--database-url`, else `DATABASE_URL` from the environment or
/// a `.env` file, else `sqlite:<project dir>/migrate.db` (the project dir is
/// `$CARGO_MIGRATE_PROJECT_DIR`, set by `cargo migrate`, else the current directory).
/// Returns the URL and a note saying where it came from (for stderr). The URL's password is
/// remembered so that nothing printed afterwards shows it
/// ([`crate::db::remember_url_secrets`]).
///
/// The `.env` file is the first `.env` in the current directory or its parents (as dotenvy
/// finds it); its variables do not override the environment's. Only a missing `.env` is
/// ignored.
///
/// # Errors
/// - [`Error::EmptyDatabaseUrl`] when `DATABASE_URL` is set but empty (say, a CI secret
///   that is missing): that is refused rather than migrating the default SQLite file instead.
/// - [`Error::Config`] when a `.env` file exists but cannot be read, or a line of it does
///   not parse (naming the file and the line, not its content, which may hold a password),
///   or when `DATABASE_URL` or `CARGO_MIGRATE_PROJECT_DIR` is not valid UTF-8: each would
///   otherwise be skipped and the default SQLite file migrated instead.
pub fn resolve_database_url(explicit: Option<&str>) -> Result<(String, String), Error> {
    resolve_database_url_in(explicit, None)
}

/// [`resolve_database_url`] with the project directory given (`None`: from the environment,
/// as there).
///
/// # Errors
/// As [`resolve_database_url`].
pub fn resolve_database_url_in(
    explicit: Option<&str>,
    project_dir: Option<&std::path::Path>,
) -> Result<(String, String), Error> {
    if let Some(u) = explicit {
        crate::db::remember_url_secrets(u);
        return Ok((
            u.to_owned(),
            format!("using {} (--database-url)", redact_url(u)),
        ));
    }
    load_dotenv()?;
    if let Some(u) = std::env::var_os("DATABASE_URL") {
        let u = u.into_string().map_err(|_| Error::Config {
            origin: "the environment variable DATABASE_URL".into(),
            reason: "it is not valid UTF-8; set it to a database URL".into(),
        })?;
        crate::db::remember_url_secrets(&u);
        if u.trim().is_empty() {
            return Err(Error::EmptyDatabaseUrl);
        }
        return Ok((
            u.clone(),
            format!("using {} (DATABASE_URL)", redact_url(&u)),
        ));
    }
    let dir = match (project_dir, std::env::var_os("CARGO_MIGRATE_PROJECT_DIR")) {
        (Some(d), _) => d.to_path_buf(),
        (None, Some(d)) => {
            std::path::PathBuf::from(d.into_string().map_err(|_| Error::Config {
                origin: "the environment variable CARGO_MIGRATE_PROJECT_DIR".into(),
                reason: "it is not valid UTF-8".into(),
            })?)
        }
        (None, None) => std::env::current_dir().unwrap_or_default(),
    };
    let path = dir.join("migrate.db");
    let url = format!("sqlite:{}", path.display());
    Ok((
        url.clone(),
        format!("using {url} (default: no --database-url or DATABASE_URL)"),
    ))
}

/// Loads the first `.env` file found in the current directory or its parents into the
/// environment (without overriding it), as `dotenvy::dotenv` does, but fails where dotenvy's
/// callers usually look away: a line that does not parse (dotenvy stops there, so every
/// later variable, `DATABASE_URL` say, would silently be missing), a file that cannot be
/// read. Only the absence of a `.env` file is not an error.
fn load_dotenv() -> Result<(), Error> {
    let Ok(cwd) = std::env::current_dir() else {
        return Ok(());
    };
    let mut found = None;
    for dir in cwd.ancestors() {
        let candidate = dir.join(".env");
        match std::fs::metadata(&candidate) {
            Ok(m) if m.is_file() => {
                found = Some(candidate);
                break;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::Config {
                    origin: format!("`{}`", candidate.display()),
                    reason: format!("cannot read it: {e}"),
                });
            }
        }
    }
    let Some(path) = found else {
        return Ok(());
    };
    let unreadable = |reason: String| Error::Config {
        origin: format!("`{}`", path.display()),
        reason,
    };
    let text =
        std::fs::read_to_string(&path).map_err(|e| unreadable(format!("cannot read it: {e}")))?;
    match dotenvy::from_path(&path) {
        Ok(()) => Ok(()),
        Err(dotenvy::Error::LineParse(line, index)) => {
            // dotenvy names the offending text (a whole line, or only its value) but not its
            // line number: the number is that of the shortest run of leading lines that
            // fails the same way. The line's content is not shown (it may hold a password).
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            let lineno = (1..=lines.len())
                .find(|&n| {
                    let prefix = lines[..n].concat();
                    matches!(
                        dotenvy::from_read_iter(prefix.as_bytes()).find_map(Result::err),
                        Some(dotenvy::Error::LineParse(l, i)) if l == line && i == index
                    )
                })
                .unwrap_or(lines.len().max(1));
            let name = lines
                .get(lineno - 1)
                .and_then(|l| l.split_once('='))
                .map(|(k, _)| k.trim().trim_start_matches("export ").trim())
                .filter(|k| !k.is_empty() && !k.contains(char::is_whitespace));
            Err(Error::Config {
                origin: format!("`{}` line {lineno}", path.display()),
                reason: format!(
                    "cannot parse {}; quote a value that holds spaces or special characters \
                     (KEY=\"a value\"), or comment the line out with `#`; no variable after it \
                     would have been read",
                    name.map_or("the line".to_owned(), |n| format!("the line setting `{n}`")),
                ),
            })
        }
        Err(dotenvy::Error::Io(e)) => Err(unreadable(format!("cannot read it: {e}"))),
        Err(e) => Err(unreadable(redact_url(&e.to_string()))),
    }
}

fn note(msg: &str) {
    eprintln!("{:>12} {msg}", "Database");
}

fn status_line(verb: &str, msg: &str) {
    eprintln!("{verb:>12} {msg}");
}

/// Runs one database command against `migrations`. Returns the exit code.
///
/// # Errors
/// Every [`Error`] of the runner; the caller prints it.
pub async fn run(
    migrations: &'static Migrations,
    args: &DbArgs,
    command: &DbCommand,
) -> Result<ExitCode, Error> {
    let options = Options {
        version_table: args.version_table.clone(),
        transaction_mode: match args.transaction_mode {
            TxMode::PerRevision => TransactionMode::PerRevision,
            TxMode::All => TransactionMode::All,
        },
        allow_changed_revisions: args.allow_changed_revisions,
        lock_timeout: Duration::from_secs(args.lock_timeout),
    };
    if let Err(reason) = crate::version_table::validate_table_name(&args.version_table) {
        return Err(Error::InvalidVersionTableName {
            name: args.version_table.clone(),
            reason,
        });
    }
    let runner = Runner::new(migrations, options)?;
    let graph = runner.graph();
    let mut out = String::new();

    if command.graph_only() {
        render_graph_command(graph, command, None, &mut out)?;
        print!("{out}");
        return Ok(ExitCode::SUCCESS);
    }

    // offline mode: no connection
    let offline = match command {
        DbCommand::Upgrade { revision, sql } if sql.sql => {
            Some((OfflineCommand::Upgrade(revision), sql))
        }
        DbCommand::Downgrade { revision, sql } if sql.sql => {
            Some((OfflineCommand::Downgrade(revision), sql))
        }
        _ => None,
    };
    let stamp_targets: Vec<&str>;
    let offline = match (offline, command) {
        (Some(o), _) => Some(o),
        (None, DbCommand::Stamp { revisions, sql, .. }) if sql.sql => {
            stamp_targets = revisions.iter().map(String::as_str).collect();
            Some((OfflineCommand::Stamp(&stamp_targets), sql))
        }
        _ => None,
    };
    if let Some((cmd, sql)) = offline {
        let backend = match sql.dialect {
            Some(d) => d.into(),
            None => Backend::from_url(&resolve_database_url(args.database_url.as_deref())?.0)?,
        };
        // every revision that can be rendered is; one that reads from the database stops the
        // script there, and the error names it
        let (script, error) = runner.offline_script_partial(backend, cmd).await;
        print!("{script}");
        return match error {
            None => Ok(ExitCode::SUCCESS),
            Some(e) => {
                if !script.is_empty() {
                    println!(
                        "-- STOPPED: the next revision reads from the database, which --sql \
                         cannot render (see the error)"
                    );
                    eprintln!(
                        "error: the script above stops before the revision that reads; {}",
                        redact_url(&e.to_string())
                    );
                    return Ok(ExitCode::FAILURE);
                }
                Err(e)
            }
        };
    }

    // ranges are for offline scripts: refuse them before connecting (the runner refuses
    // them too)
    if let DbCommand::Upgrade { revision, .. } | DbCommand::Downgrade { revision, .. } = command {
        crate::runner::refuse_range_online(revision)?;
    }
    let (url, how) = resolve_database_url(args.database_url.as_deref())?;
    #[cfg_attr(not(feature = "sqlite"), allow(unused_variables))]
    let backend = Backend::from_url(&url)?; // an empty URL or an unknown scheme: say only that
    #[cfg(feature = "sqlite")]
    if backend == Backend::Sqlite
        && let Ok(opts) = url.parse::<sqlx::sqlite::SqliteConnectOptions>()
        && crate::db::sqlite_in_memory(&url, &opts)
    {
        return Err(Error::InMemoryDatabase {
            url: redact_url(&url),
        });
    }
    note(&how);
    // only the commands that write create a missing SQLite file: a mistyped path given to
    // `current` or `downgrade` is an error, not a new empty database
    let (create, name) = match command {
        DbCommand::Upgrade { .. } => (true, "upgrade"),
        DbCommand::Stamp { .. } => (true, "stamp"),
        DbCommand::Downgrade { .. } => (false, "downgrade"),
        DbCommand::Current { .. } => (false, "current"),
        DbCommand::Repair { .. } => (false, "repair"),
        DbCommand::Check => (false, "check"),
        DbCommand::History { .. } => (false, "history"),
        DbCommand::Heads { .. } => (false, "heads"),
        DbCommand::Branches { .. } => (false, "branches"),
        DbCommand::Show { .. } => (false, "show"),
    };
    let options = ConnectOptions::default()
        .connect_timeout(Duration::from_secs(args.connect_timeout.max(1)))
        .busy_timeout(Duration::from_secs(args.lock_timeout.max(1)))
        .create_sqlite_file(create, name);
    let mut db = Db::connect_with(&url, &options).await?;
    let result = run_online(&runner, &mut db, command, &url, &mut out).await;
    db.close().await;
    print!("{out}");
    result
}

async fn run_online(
    runner: &Runner<'_>,
    db: &mut Db,
    command: &DbCommand,
    url: &str,
    out: &mut String,
) -> Result<ExitCode, Error> {
    let graph = runner.graph();
    let mut on_event = |e: Event<'_>| match e {
        Event::Started { .. } => {}
        Event::Finished {
            direction,
            revision,
            elapsed_ms,
        } => {
            let (verb, from, to) = match direction {
                Direction::Upgrade => (
                    "Upgrading",
                    ids_or_base(revision.down_revisions),
                    revision.id.to_owned(),
                ),
                Direction::Downgrade => (
                    "Downgrading",
                    revision.id.to_owned(),
                    ids_or_base(revision.down_revisions),
                ),
            };
            status_line(
                verb,
                &format!("{from} -> {to}, {} ({elapsed_ms} ms)", revision.message),
            );
        }
        Event::Skipped { revision, .. } => {
            status_line(
                "Skipping",
                &format!("{} (already done by another process)", revision.id),
            );
        }
        Event::RolledBack { revision, .. } => {
            status_line(
                "Rolled back",
                &format!(
                    "{}, {} (not applied: the transaction it ran in was rolled back)",
                    revision.id, revision.message
                ),
            );
        }
        Event::Warning { message } => eprintln!("warning: {message}"),
        Event::Panicked {
            direction,
            revision,
            partly_applied,
            statements,
        } => {
            let verb = match direction {
                Direction::Upgrade => "upgrade",
                Direction::Downgrade => "downgrade",
            };
            if partly_applied {
                let parent = if revision.down_revisions.is_empty() {
                    "base".to_owned()
                } else {
                    revision.down_revisions.join(" ")
                };
                let list: Vec<String> = statements.iter().map(|s| format!("`{s}`")).collect();
                eprintln!(
                    "error: {verb} {} ({}) panicked outside a transaction: the revision is PARTLY \
                     APPLIED and recorded as `pending`; {} statement(s) completed: {}; inspect \
                     the schema, finish or revert its changes by hand, then record the true \
                     state with `cargo migrate stamp {}` (changes complete) or `cargo migrate \
                     stamp {parent}` (changes reverted)",
                    revision.id,
                    revision.message,
                    statements.len(),
                    list.join(", "),
                    revision.id,
                );
            } else {
                eprintln!(
                    "error: {verb} {} ({}) panicked; its changes are rolled back (the \
                     connection is closed)",
                    revision.id, revision.message
                );
            }
        }
    };
    match command {
        DbCommand::Upgrade { revision, .. } => {
            let plan = runner.upgrade(db, revision, &mut on_event).await?;
            if plan.steps.is_empty() {
                status_line("Fresh", "nothing to upgrade");
            }
        }
        DbCommand::Downgrade { revision, .. } => {
            let plan = runner.downgrade(db, revision, &mut on_event).await?;
            if plan.steps.is_empty() {
                status_line("Fresh", "nothing to downgrade");
            }
        }
        DbCommand::Stamp {
            revisions, purge, ..
        } => {
            let targets: Vec<&str> = revisions.iter().map(String::as_str).collect();
            let new = runner.stamp(db, &targets, *purge).await?;
            let heads = crate::plan::current_heads(graph, &new);
            let ids: Vec<&str> = heads.iter().map(|&i| graph.at(i).id.as_str()).collect();
            status_line("Stamped", &ids_or_base(&ids));
        }
        DbCommand::Repair { revisions } => {
            let targets: Vec<&str> = revisions.iter().map(String::as_str).collect();
            for (id, before) in runner.repair(db, &targets).await? {
                let now = runner
                    .graph()
                    .index_of(&id)
                    .map(|i| runner.revision(i).checksum)
                    .unwrap_or_default();
                if before == now {
                    status_line("Unchanged", &format!("{id}: its checksum matches its code"));
                } else {
                    let before = if before.is_empty() { "none" } else { &before };
                    status_line("Repaired", &format!("{id}: checksum {before} -> {now}"));
                }
            }
        }
        DbCommand::Current {
            verbose,
            check_heads,
        } => {
            let status = runner.status(db).await?;
            // a `pending` row is a revision that started outside a transaction and did not
            // finish: not current, and never `(head)`
            let pending: Vec<usize> = status
                .rows
                .iter()
                .filter(|r| r.state == crate::version_table::RowState::Pending)
                .filter_map(|r| graph.index_of(&r.revision))
                .collect();
            let done: BTreeSet<usize> = status
                .applied
                .iter()
                .copied()
                .filter(|i| !pending.contains(i))
                .collect();
            let current_heads = crate::plan::current_heads(graph, &done);
            if *verbose {
                let _ = writeln!(out, "Current revision(s) for {}:", redact_url(url));
            }
            for &h in &current_heads {
                if *verbose {
                    log_entry(graph, h, out);
                    // the head's version-table row: when it was recorded, as the entry's
                    // last indented line (before the blank line that ends it)
                    let id = graph.at(h).id.as_str();
                    if let Some(row) = status.rows.iter().find(|r| r.revision == id)
                        && out.ends_with("\n\n")
                    {
                        out.pop();
                        let _ = writeln!(out, "    Applied: {} UTC\n", row.applied_at);
                    }
                } else {
                    // Alembic's `current`: `ae1027a6acf (head)`
                    let _ = writeln!(out, "{}", current_line(graph, h));
                }
            }
            for &p in &pending {
                let _ = writeln!(out, "{} (pending: partly applied)", graph.at(p).id);
            }
            // the same refusal as `check` and every run: name the revision and the way out
            runner.check_clean(&Status {
                rows: status
                    .rows
                    .iter()
                    .filter(|r| r.state == crate::version_table::RowState::Pending)
                    .cloned()
                    .collect(),
                ..status.clone()
            })?;
            if *check_heads {
                let heads: BTreeSet<usize> = graph.heads().into_iter().collect();
                let current: BTreeSet<usize> = current_heads.iter().copied().collect();
                if heads != current {
                    eprintln!(
                        "error: the database is not at the head revision(s); run `cargo migrate upgrade heads`"
                    );
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        DbCommand::Check => {
            let status = runner.status(db).await?;
            runner.check_clean(&status)?;
            let heads: BTreeSet<usize> = graph.heads().into_iter().collect();
            let current: BTreeSet<usize> = status.heads.iter().copied().collect();
            if heads != current {
                let pending = graph.len() - status.applied.len();
                eprintln!(
                    "error: {pending} revision(s) not applied; run `cargo migrate upgrade heads`"
                );
                return Ok(ExitCode::FAILURE);
            }
            status_line(
                "Checked",
                "the database is at head and every applied revision matches its code",
            );
        }
        DbCommand::History { .. } => {
            let status = runner.status(db).await?;
            render_graph_command(graph, command, Some(&status.applied), out)?;
        }
        DbCommand::Heads { .. } | DbCommand::Branches { .. } | DbCommand::Show { .. } => {
            render_graph_command(graph, command, None, out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn specs_that_need_the_database() {
        for s in ["current", "+1", "current:", ":current", "branch@+1", "a:+1"] {
            assert!(needs_current(s), "{s}");
        }
        for s in [
            "head",
            "base",
            "ae10",
            "head-1",
            "a:b",
            "branch@head",
            "a1b2+2",
            "-2",
            "-1:",
            "branch@-1",
        ] {
            assert!(!needs_current(s), "{s}");
        }
    }

    #[test]
    fn clap_tree_is_valid() {
        RunnerCli::command().debug_assert();
    }
}
