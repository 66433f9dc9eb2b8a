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
use crate::runner::{OfflineCommand, Options, Runner, Status, TransactionMode, ids_or_base};
use crate::{Error, Migrations};

mod args;
pub mod autogen;
mod current;
mod fleet;
pub mod json;
mod lint;
pub mod output;
mod render;
mod run;

pub use current::current_from_graph;
pub use lint::{PROJECT_REASON, lint_dialects};
pub use output::{ColorWhen, Format};
pub use render::{
    Docstring, current_line, hint, log_entry, render_graph_command, render_graph_command_with,
};

/// `--serialization-retries`' default: a revision runs at most 5 times
/// ([`crate::retry::RetryPolicy::default`]).
pub const DEFAULT_RETRIES: u32 = 4;

/// Options every database command takes.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database URL (sqlite:FILE, postgres://…, mysql://…). Default: $DATABASE_URL (also
    /// read from a .env file), else a SQLite file `migrate.db` in the project directory.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Name of the version table (`schema.table` allowed). Default: `version-table` (and
    /// `version-table-schema`) of `[package.metadata.migrate]` in Cargo.toml, else
    /// `migrate_version`.
    #[arg(long, global = true, value_name = "NAME")]
    pub version_table: Option<String>,
    /// The environment variable holding the database URL. Default: `database-url-env` of
    /// `[package.metadata.migrate]`, else `DATABASE_URL`.
    #[arg(long, global = true, value_name = "VAR")]
    pub database_url_env: Option<String>,
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
    /// Output format on stdout: `human` (Alembic's formats), or `json` (one object; JSON
    /// lines, one event per revision, for upgrade/downgrade/stamp; see docs/json.md).
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Colour on stderr: auto (a terminal, unless NO_COLOR; CARGO_TERM_COLOR when set),
    /// always, never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// No status lines or progress bar on stderr (errors and warnings still).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More on stderr: a `Running` line as each revision starts. Given before the command
    /// (`-v upgrade`); after `current`, `history`, `heads`, `branches` it is their own
    /// `--verbose`.
    #[arg(short, long)]
    pub verbose: bool,
    /// How runners exclude each other on PostgreSQL/MySQL: the server's advisory lock
    /// (default), a lease in the table `<version table>_lock` (behind PgBouncer in
    /// transaction mode, or engines without advisory locks), none (dangerous), or auto
    /// (probe the connection). SQLite always uses its own write lock.
    #[arg(long, global = true, value_enum, default_value_t = LockArg::Advisory, value_name = "STRATEGY")]
    pub lock: LockArg,
    /// `--lock table`: the lease, in seconds; a holder that stops renewing (crashed) loses
    /// the lock this long after its last renewal.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = crate::lock::DEFAULT_LEASE.as_secs())]
    pub lock_lease: u64,
    /// How many times a revision is run again after a transient serialization failure
    /// (SQLSTATE 40001, a deadlock), from BEGIN, with exponential backoff and jitter; only
    /// where its transaction held all of it (never a MySQL revision that may have partly
    /// applied). 0: fail at once.
    #[arg(long, global = true, value_name = "N", default_value_t = DEFAULT_RETRIES)]
    pub serialization_retries: u32,
    /// Fleet runs: the command over many databases or schemas.
    #[command(flatten)]
    pub fleet: FleetArgs,
}

impl DbArgs {
    /// These options with the crate's configuration filled in where no flag was given, and
    /// the defaults where neither: `version_table` and `database_url_env` are then `Some`.
    /// Flags override the configuration, the configuration the defaults.
    pub fn with_settings(&self, settings: &crate::Settings) -> DbArgs {
        let mut args = self.clone();
        args.version_table.get_or_insert_with(|| {
            settings
                .version_table
                .unwrap_or(crate::version_table::DEFAULT_VERSION_TABLE)
                .to_owned()
        });
        args.database_url_env.get_or_insert_with(|| {
            settings
                .database_url_env
                .unwrap_or(crate::config_defaults::DATABASE_URL_ENV)
                .to_owned()
        });
        args
    }
}

/// Fleet options: `upgrade`, `downgrade`, `current`, `check` and `stamp` over many databases
/// (README, Fleets).
#[derive(Debug, Clone, Default, Args)]
pub struct FleetArgs {
    /// Fleet: a file of targets, one a line: a database URL, or `postgres://…/db#schema` for
    /// one schema of that database (schema per tenant); `#` starts a comment line.
    #[arg(long, global = true, value_name = "FILE")]
    pub targets: Option<std::path::PathBuf>,
    /// Fleet: a URL template with `{name}`, filled with each of --names / --names-file /
    /// the rows of --targets-query.
    #[arg(long, global = true, value_name = "URL")]
    pub target_template: Option<String>,
    /// Fleet: names for --target-template, comma-separated.
    #[arg(long, global = true, value_name = "A,B,…", value_delimiter = ',')]
    pub names: Vec<String>,
    /// Fleet: names for --target-template, one a line.
    #[arg(long, global = true, value_name = "FILE")]
    pub names_file: Option<std::path::PathBuf>,
    /// Fleet: SQL run on the --database-url (catalog) database; its first column gives the
    /// targets' URLs, or names for --target-template.
    #[arg(long, global = true, value_name = "SQL")]
    pub targets_query: Option<String>,
    /// Fleet, PostgreSQL schema per tenant: these schemas of --database-url, each with its
    /// own version table, the run's search_path set to it.
    #[arg(long, global = true, value_name = "A,B,…", value_delimiter = ',')]
    pub schemas: Vec<String>,
    /// Fleet: how many targets run at once. `test`: how many independent checks run at once,
    /// each on its own throwaway database (the upgrade/downgrade check, and the stairway split
    /// into N ranges of revisions); the results print in the same order as with one job.
    #[arg(long, global = true, value_name = "N", default_value_t = 1)]
    pub jobs: usize,
    /// Fleet: stop starting targets after the first failure.
    #[arg(long, global = true)]
    pub fail_fast: bool,
    /// Fleet: run the first N targets first; if any fails, skip the rest.
    #[arg(long, global = true, value_name = "N", default_value_t = 0)]
    pub canary: usize,
    /// Fleet: print one JSON object per target on stdout instead of the summary table.
    #[arg(long, global = true)]
    pub jsonl: bool,
}

impl FleetArgs {
    /// Whether any option makes this a fleet run.
    pub fn is_fleet(&self) -> bool {
        self.targets.is_some()
            || self.target_template.is_some()
            || self.targets_query.is_some()
            || !self.schemas.is_empty()
    }
}

/// `--lock` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LockArg {
    /// The server's session lock (PostgreSQL advisory lock, MySQL GET_LOCK).
    Advisory,
    /// A lease row in `<version table>_lock`, renewed while the run lasts.
    Table,
    /// No lock (dangerous: concurrent runs can apply a revision twice).
    None,
    /// Probe the connection and pick advisory or table.
    Auto,
}

impl From<LockArg> for crate::lock::LockStrategy {
    fn from(l: LockArg) -> Self {
        match l {
            LockArg::Advisory => crate::lock::LockStrategy::Advisory,
            LockArg::Table => crate::lock::LockStrategy::Table,
            LockArg::None => crate::lock::LockStrategy::None,
            LockArg::Auto => crate::lock::LockStrategy::Auto,
        }
    }
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
    /// Check that the database is at head and that no applied revision's code changed; with
    /// declared models, also that the models and the migrations agree (drift check).
    Check,
    /// Compare the declared models with the schema the migrations build (replayed into a
    /// throwaway shadow database) and print the operations as JSON: what `cargo migrate
    /// revision --autogenerate` writes into a new revision.
    #[command(hide = true)]
    Autogenerate {
        /// Compare with the database itself instead of a shadow database (Alembic's way);
        /// it must be at head.
        #[arg(long)]
        against_db: bool,
        /// Where to make the shadow database (a server URL; default: the server of the
        /// database URL, or in-memory SQLite).
        #[arg(long, value_name = "URL")]
        shadow_database_url: Option<String>,
    },
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
    /// Test the migrations on throwaway databases: single head, upgrade, downgrade, and the
    /// stairway (upgrade, downgrade one step, compare the schema, upgrade again) per revision.
    ///
    /// Default: SQLite in memory. With --database-url, the admin URL of a PostgreSQL or MySQL
    /// server: a uniquely named database is created there and dropped afterwards (the URL's
    /// own database is not touched). DATABASE_URL is not read. Exit 1 on any failure.
    ///
    /// --jobs N runs the independent checks at once, each on its own throwaway database: the
    /// upgrade/downgrade check, and the stairway split into N ranges of revisions. The lines
    /// print in the same order as with one job.
    Test {
        /// The first revision to test (default: from base).
        #[arg(long, value_name = "REVISION", allow_hyphen_values = true)]
        from: Option<String>,
        /// The last revision to test (default: the head).
        #[arg(long, value_name = "REVISION", allow_hyphen_values = true)]
        to: Option<String>,
        /// Also write a JUnit XML report to FILE.
        #[arg(long, value_name = "FILE")]
        junit: Option<std::path::PathBuf>,
    },
    /// Write the revision graph as Graphviz DOT (default) or Mermaid to stdout: heads,
    /// branch points, merges, branch labels, `depends_on` (dashed) and, with
    /// --indicate-current or --database-url, the database's current revision(s).
    ///
    /// `cargo migrate graph | dot -Tsvg > graph.svg`; `--format mermaid` for a
    /// ```` ```mermaid ```` block GitHub renders (`--format json`: the revisions as
    /// `history --format json` lists them).
    Graph {
        /// The picture's format, from the global `--format` (`dot` or `human`: DOT;
        /// `mermaid`): set by [`DbCommand::with_db_args`].
        #[arg(skip)]
        format: GraphFormat,
        /// Only the revisions of a range `A:B`, as `history -r` selects them.
        #[arg(
            short = 'r',
            long = "range",
            value_name = "RANGE",
            allow_hyphen_values = true
        )]
        range: Option<String>,
        /// Mark the database's current revision(s) (connects to the database; implied by
        /// --database-url).
        #[arg(short = 'i', long)]
        indicate_current: bool,
    },
    /// Lint the SQL each revision's upgrade renders (offline: no database) for dangerous
    /// operations: squawk's rules on PostgreSQL, our own on MySQL/MariaDB and SQLite.
    ///
    /// Exits 1 when a finding is not allowed, by the revision
    /// (`#[migration(allow_lint("rule", reason = "…"))]`) or project-wide (`--allow`,
    /// `[package.metadata.migrate.lint] allow`).
    Lint {
        /// The revisions to lint: a range `A:B` (either side optional) or one revision;
        /// default every revision.
        #[arg(allow_hyphen_values = true)]
        range: Option<String>,
        /// The dialect to lint for; repeat for several. Default:
        /// `[package.metadata.migrate.lint] dialects`, else the database URL's dialect when
        /// one is configured, else all three.
        #[arg(long = "dialect", value_enum, value_name = "DIALECT")]
        dialects: Vec<Dialect>,
        /// A rule allowed in every revision; repeat for several (added to
        /// `[package.metadata.migrate.lint] allow`).
        #[arg(long = "allow", value_name = "RULE")]
        allow: Vec<String>,
    },
}

/// The picture `graph` writes (`--format dot|mermaid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    #[default]
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
}

impl From<GraphFormat> for crate::graph::picture::Format {
    fn from(f: GraphFormat) -> Self {
        match f {
            GraphFormat::Dot => crate::graph::picture::Format::Dot,
            GraphFormat::Mermaid => crate::graph::picture::Format::Mermaid,
        }
    }
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
            DbCommand::Graph {
                indicate_current,
                range,
                ..
            } => !indicate_current && range.as_deref().is_none_or(|r| !needs_current(r)),
            DbCommand::Heads { .. } | DbCommand::Branches { .. } => true,
            _ => false,
        }
    }

    /// The command as run with `args`: `graph` takes its picture format from `--format`
    /// and, with `--database-url`, marks the current revision(s) (as `graph -i`); every
    /// other command unchanged.
    ///
    /// # Errors
    /// [`Error::Config`] when `--format dot` or `--format mermaid` is given to a command
    /// other than `graph`.
    pub fn with_db_args(&self, args: &DbArgs) -> Result<DbCommand, Error> {
        let mut cmd = self.clone();
        if let DbCommand::Graph {
            indicate_current,
            format,
            ..
        } = &mut cmd
        {
            if args.format == Format::Mermaid {
                *format = GraphFormat::Mermaid;
            }
            if args.database_url.is_some() {
                *indicate_current = true;
            }
        } else if matches!(args.format, Format::Dot | Format::Mermaid) {
            return Err(Error::Config {
                origin: "--format".into(),
                reason: "`dot` and `mermaid` are formats of `graph` only (others: human, json)"
                    .into(),
            });
        }
        Ok(cmd)
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
    cli.db.color.apply();
    QUIET.store(cli.db.quiet, std::sync::atomic::Ordering::Relaxed);
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
            output::error(&format!("{}{hint}", redact_url(&e.to_string())));
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
    resolve_database_url_with(
        explicit,
        project_dir,
        crate::config_defaults::DATABASE_URL_ENV,
    )
}

/// [`resolve_database_url_in`] reading the URL from the environment variable `env_var`
/// instead of `DATABASE_URL` (`database-url-env` in the crate's configuration,
/// `--database-url-env`).
///
/// # Errors
/// As [`resolve_database_url`], for `env_var`.
pub fn resolve_database_url_with(
    explicit: Option<&str>,
    project_dir: Option<&std::path::Path>,
    env_var: &str,
) -> Result<(String, String), Error> {
    if let Some(u) = explicit {
        crate::db::remember_url_secrets(u);
        return Ok((
            u.to_owned(),
            format!("using {} (--database-url)", redact_url(u)),
        ));
    }
    load_dotenv()?;
    if let Some(u) = std::env::var_os(env_var) {
        let u = u.into_string().map_err(|_| Error::Config {
            origin: format!("the environment variable {env_var}"),
            reason: "it is not valid UTF-8; set it to a database URL".into(),
        })?;
        crate::db::remember_url_secrets(&u);
        if u.trim().is_empty() {
            return Err(Error::EmptyDatabaseUrl);
        }
        return Ok((u.clone(), format!("using {} ({env_var})", redact_url(&u))));
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
        format!("using {url} (default: no --database-url or {env_var})"),
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

/// `-q`: no status lines (set once, by [`main`] and [`run`]).
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn note(msg: &str) {
    status_line("Database", msg);
}

fn status_line(verb: &str, msg: &str) {
    if !QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        output::status(verb, msg);
    }
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
    let args = &args.with_settings(migrations.settings());
    let version_table = args.version_table.clone().unwrap_or_default();
    let url_env = args.database_url_env.clone().unwrap_or_default();
    let resolve_database_url =
        |explicit: Option<&str>| resolve_database_url_with(explicit, None, &url_env);
    let options = Options {
        version_table: version_table.clone(),
        transaction_mode: match args.transaction_mode {
            TxMode::PerRevision => TransactionMode::PerRevision,
            TxMode::All => TransactionMode::All,
        },
        allow_changed_revisions: args.allow_changed_revisions,
        lock_timeout: Duration::from_secs(args.lock_timeout),
        lock: args.lock.into(),
        lock_lease: Duration::from_secs(args.lock_lease.max(1)),
        retry: crate::retry::RetryPolicy {
            max_attempts: args.serialization_retries.saturating_add(1),
            ..crate::retry::RetryPolicy::default()
        },
    };
    if let Err(reason) = crate::version_table::validate_table_name(&version_table) {
        return Err(Error::InvalidVersionTableName {
            name: version_table,
            reason,
        });
    }
    if args.quiet {
        QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    if let DbCommand::Test { from, to, junit } = command {
        return run_test(migrations, args, from, to, args.format, junit.as_deref()).await;
    }
    if args.fleet.is_fleet() {
        return fleet::run(migrations, args, command, &options).await;
    }
    if let DbCommand::Autogenerate {
        against_db,
        shadow_database_url,
    } = command
    {
        let (url, how) = resolve_database_url(args.database_url.as_deref())?;
        Backend::from_url(&url)?;
        note(&how);
        if let Some(u) = shadow_database_url {
            crate::db::remember_url_secrets(u);
        }
        return autogen::run_autogenerate(
            migrations,
            args,
            &url,
            *against_db,
            shadow_database_url.as_deref(),
        )
        .await;
    }
    let runner = Runner::new(migrations, options)?;
    let graph = runner.graph();
    let mut out = String::new();
    let command = &command.with_db_args(args)?;

    if let DbCommand::Lint {
        range,
        dialects,
        allow,
    } = command
    {
        return lint::run_lint(
            &runner,
            args,
            range.as_deref(),
            dialects,
            allow,
            args.format,
        )
        .await;
    }

    if command.graph_only() {
        if args.format == Format::Json {
            out = json::graph_command_json(graph, command, None)?;
        } else {
            render_graph_command(graph, command, None, &mut out)?;
        }
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
        DbCommand::Autogenerate { .. } => (false, "autogenerate"),
        DbCommand::History { .. } => (false, "history"),
        DbCommand::Heads { .. } => (false, "heads"),
        DbCommand::Branches { .. } => (false, "branches"),
        DbCommand::Show { .. } => (false, "show"),
        DbCommand::Test { .. } => (false, "test"),
        DbCommand::Graph { .. } => (false, "graph"),
        DbCommand::Lint { .. } => (false, "lint"),
    };
    let options = ConnectOptions::default()
        .connect_timeout(Duration::from_secs(args.connect_timeout.max(1)))
        .busy_timeout(Duration::from_secs(args.lock_timeout.max(1)))
        .create_sqlite_file(create, name);
    let mut db = Db::connect_with(&url, &options).await?;
    if let DbCommand::Upgrade { revision, .. } | DbCommand::Downgrade { revision, .. } = command {
        // the state after Ctrl-C is read on a fresh connection, which creates nothing
        let reread = options.clone().create_sqlite_file(false, name);
        return run::run_plan(&runner, db, command, revision, &url, &reread, args).await;
    }
    // `check` with declared models: the models against the migrations, in shadow databases
    let drift = match command {
        DbCommand::Check => match autogen::model_drift(migrations, args, &url).await {
            Ok(d) => d,
            Err(e) => {
                db.close().await;
                return Err(e);
            }
        },
        _ => None,
    };
    let result = run_online(
        &runner,
        &mut db,
        command,
        &url,
        args.format,
        drift,
        &mut out,
    )
    .await;
    db.close().await;
    print!("{out}");
    result
}

async fn run_online(
    runner: &Runner<'_>,
    db: &mut Db,
    command: &DbCommand,
    url: &str,
    format: Format,
    drift: Option<Vec<String>>,
    out: &mut String,
) -> Result<ExitCode, Error> {
    let graph = runner.graph();
    let json = format == Format::Json;
    match command {
        // run by `run::run_plan`
        DbCommand::Upgrade { .. } | DbCommand::Downgrade { .. } => {}
        DbCommand::Stamp {
            revisions, purge, ..
        } => {
            let started = std::time::Instant::now();
            let targets: Vec<&str> = revisions.iter().map(String::as_str).collect();
            let new = runner.stamp(db, &targets, *purge).await?;
            let heads = crate::plan::current_heads(graph, &new);
            let ids: Vec<&str> = heads.iter().map(|&i| graph.at(i).id.as_str()).collect();
            status_line("Stamped", &ids_or_base(&ids));
            if json {
                json::print_json(&json::RunEvent::Summary {
                    schema_version: json::SCHEMA_VERSION,
                    command: "stamp",
                    outcome: "success",
                    revisions: 0,
                    duration_ms: started.elapsed().as_millis() as u64,
                    current: Some(ids.iter().map(|s| (*s).to_owned()).collect()),
                    signal: None,
                    error: None,
                });
            }
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
            if json {
                let heads: BTreeSet<usize> = graph.heads().into_iter().collect();
                let value = json::CurrentOutput {
                    schema_version: json::SCHEMA_VERSION,
                    command: "current",
                    current: current_heads
                        .iter()
                        .map(|&h| json::RevisionJson::new(graph, h, Some(&done)))
                        .collect(),
                    pending: pending.iter().map(|&p| graph.at(p).id.as_str()).collect(),
                    at_heads: heads == current_heads.iter().copied().collect(),
                };
                out.push_str(&serde_json::to_string(&value).expect("plain data serializes"));
                out.push('\n');
            } else if *verbose {
                let _ = writeln!(out, "Current revision(s) for {}:", redact_url(url));
            }
            for &h in current_heads.iter().filter(|_| !json) {
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
            for &p in pending.iter().filter(|_| !json) {
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
            let drifted = drift.as_ref().is_some_and(|d| !d.is_empty());
            if json {
                let ids = |v: &mut dyn Iterator<Item = usize>| -> Vec<&str> {
                    v.map(|i| graph.at(i).id.as_str()).collect()
                };
                let value = json::CheckOutput {
                    schema_version: json::SCHEMA_VERSION,
                    command: "check",
                    ok: heads == current && !drifted,
                    current: ids(&mut status.heads.iter().copied()),
                    heads: ids(&mut heads.iter().copied()),
                    not_applied: ids(&mut (0..graph.len()).filter(|i| !status.applied.contains(i))),
                    models: drift.clone(),
                };
                json::print_json(&value);
            }
            if heads != current {
                let pending = graph.len() - status.applied.len();
                eprintln!(
                    "error: {pending} revision(s) not applied; run `cargo migrate upgrade heads`"
                );
                return Ok(ExitCode::FAILURE);
            }
            if let Some(lines) = drift.as_ref().filter(|d| !d.is_empty()) {
                eprintln!(
                    "error: the models and the migrations disagree ({} difference{}); write a \
                     revision with `cargo migrate revision --autogenerate -m \"…\"`:",
                    lines.len(),
                    if lines.len() == 1 { "" } else { "s" }
                );
                for l in lines {
                    eprintln!("  {l}");
                }
                return Ok(ExitCode::FAILURE);
            }
            status_line(
                "Checked",
                if drift.is_some() {
                    "the database is at head, every applied revision matches its code, and the \
                     models match the migrations"
                } else {
                    "the database is at head and every applied revision matches its code"
                },
            );
        }
        DbCommand::History { .. } | DbCommand::Graph { .. } => {
            let status = runner.status(db).await?;
            if json {
                out.push_str(&json::graph_command_json(
                    graph,
                    command,
                    Some(&status.applied),
                )?);
            } else {
                render_graph_command(graph, command, Some(&status.applied), out)?;
            }
        }
        DbCommand::Heads { .. } | DbCommand::Branches { .. } | DbCommand::Show { .. } => {
            if json {
                out.push_str(&json::graph_command_json(graph, command, None)?);
            } else {
                render_graph_command(graph, command, None, out)?;
            }
        }
        // handled by `run` before connecting (it makes its own databases)
        DbCommand::Test { .. } => {}
        // answered before connecting (`run`)
        DbCommand::Lint { .. } | DbCommand::Autogenerate { .. } => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// `test`: runs [`crate::test_suite::run`] and renders its results (cargo test's lines as they
/// come, or JSON at the end; JUnit XML to a file).
async fn run_test(
    migrations: &'static Migrations,
    args: &DbArgs,
    from: &Option<String>,
    to: &Option<String>,
    format: Format,
    junit: Option<&std::path::Path>,
) -> Result<ExitCode, Error> {
    use crate::test_suite::{TestOptions, Verdict, summary};
    if let Some(u) = &args.database_url {
        crate::db::remember_url_secrets(u);
    }
    let options = TestOptions {
        admin_url: args.database_url.clone(),
        version_table: args
            .version_table
            .clone()
            .unwrap_or_else(|| crate::version_table::DEFAULT_VERSION_TABLE.to_owned()),
        from: from.clone(),
        to: to.clone(),
        connect_timeout: Duration::from_secs(args.connect_timeout.max(1)),
        jobs: args.fleet.jobs,
    };
    let where_ = match &args.database_url {
        None => "SQLite in memory".to_owned(),
        Some(u) => format!("a throwaway database beside {}", redact_url(u)),
    };
    note(&format!("testing on {where_}"));
    let started = std::time::Instant::now();
    let human = format == Format::Human;
    let mut first = true;
    let results = crate::test_suite::run(migrations, &options, &mut |r| {
        if !human {
            return;
        }
        if std::mem::take(&mut first) {
            println!();
        }
        let verdict = match &r.verdict {
            Verdict::Ok => "ok".to_owned(),
            Verdict::Failed(_) => "FAILED".to_owned(),
            Verdict::Irreversible(why) if why.is_empty() => "ignored, irreversible".to_owned(),
            Verdict::Irreversible(why) => format!("ignored, irreversible: {why}"),
            Verdict::Skipped(why) => format!("ignored, {why}"),
        };
        println!("test {} ... {verdict}", r.name);
    })
    .await?;
    let (passed, failed, ignored) = summary(&results);
    if let Some(path) = junit {
        std::fs::write(path, crate::test_suite::to_junit(&results)).map_err(|e| Error::Config {
            origin: format!("--junit {}", path.display()),
            reason: format!("cannot write the report: {e}"),
        })?;
    }
    if human {
        let failures: Vec<_> = results.iter().filter(|r| r.failed()).collect();
        if !failures.is_empty() {
            println!("\nfailures:\n");
            for r in &failures {
                if let Verdict::Failed(m) = &r.verdict {
                    println!("---- {} ----\n{m}\n", r.name);
                }
            }
            println!("failures:");
            for r in &failures {
                println!("    {}", r.name);
            }
        }
        println!(
            "\ntest result: {}. {passed} passed; {failed} failed; {ignored} ignored; finished in {:.2}s\n",
            if failed == 0 { "ok" } else { "FAILED" },
            started.elapsed().as_secs_f64()
        );
    } else {
        json::print_json(&json::TestReport::new(&results));
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
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
