use crate::graph::GraphErrors;
use crate::registry::BoxError;
use crate::spec::PlanError;

/// Everything that can go wrong in the runner, the version table or the [`crate::Db`] handle.
///
/// Messages are lowercase, one line, and never contain a password: URLs are shown with
/// [`crate::db::redact_url`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL has a scheme no backend handles, or cannot be parsed.
    #[error("bad database URL `{url}`: {reason}")]
    BadUrl {
        /// The URL with any password replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL (or `--dialect`) names a backend whose cargo feature (`sqlite`, `postgres`,
    /// `mysql`) this build of migrate-core was compiled without. Nothing was opened.
    #[error(
        "this migrations crate was built without the \"{feature}\" feature of migrate-core; \
         add it to migrate-core's features in {manifest} (`features = [\"cli\", \"{feature}\"]`, \
         beside the backends already there)"
    )]
    BackendNotCompiled {
        /// The missing feature: `sqlite`, `postgres` or `mysql`.
        feature: &'static str,
        /// The migrations crate's manifest (`<crate>/Cargo.toml`) when `cargo migrate` ran
        /// the runner, else `the migrations crate's Cargo.toml`.
        manifest: String,
    },
    /// Connecting failed: database down, wrong credentials, unknown database.
    #[error("cannot connect to {url}: {}", driver(source))]
    Connect {
        /// The URL with any password replaced by `***`.
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A statement issued by the runner itself (version table, transaction control, lock)
    /// failed.
    #[error("{context}: {}", driver(source))]
    Database {
        /// What the runner was doing.
        context: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The revision graph is invalid (cannot happen for a registry that compiled).
    #[error(transparent)]
    Graph(#[from] GraphErrors),
    /// A target or revision spec cannot be resolved (unknown revision, ambiguous prefix,
    /// multiple heads, steps past base or head, ...).
    // not `#[from]`: that would make the PlanError this error's source too, and reports that
    // print the chain (`{:#}`) would repeat its message
    #[error("{}", limit_echoes(&.0.to_string()))]
    Plan(PlanError),
    /// A revision's `upgrade` or `downgrade` returned an error. The revision was rolled back
    /// where the backend allows it; see `rolled_back`.
    #[error(
        "{direction} {revision} ({message}) failed{}: {source}{}",
        statement.as_deref().map(|s| format!(" at statement `{}`", one_line(s))).unwrap_or_default(),
        failure_outcome(revision, *rolled_back && !is_offline_read(source), ran, parent, also_rolled_back)
    )]
    RevisionFailed {
        /// `upgrade` or `downgrade`.
        direction: &'static str,
        /// The revision id.
        revision: String,
        /// The revision's message.
        message: String,
        /// The last statement sent before the failure, if any.
        statement: Option<String>,
        /// Whether the revision's changes were rolled back.
        rolled_back: bool,
        /// When not rolled back (it ran outside a transaction and is left `pending`, partly
        /// applied): the statements of the revision that completed before the failure, each
        /// on one line and shortened.
        ran: Vec<String>,
        /// What `stamp` takes to record the revision's changes as reverted (`base` or its
        /// parents).
        parent: String,
        /// `--transaction-mode all`: the revisions that had run in the same transaction
        /// before this one and were rolled back with it.
        also_rolled_back: Vec<String>,
        /// The error the revision returned (usually the database's).
        #[source]
        source: BoxError,
    },
    /// The version table names a revision the code does not have (a file deleted, a branch
    /// switched in git).
    #[error(
        "Can't locate revision identified by '{0}': the version table names a revision this \
         code does not have; check out the code that has it, or rewrite the version table \
         with `cargo migrate stamp <revision> --purge`"
    )]
    UnknownAppliedRevision(String),
    /// The version table exists but cannot be understood: other columns, or a row state this
    /// version does not know (written by a newer cargo-migrate).
    #[error("cannot read the version table `{table}`: {reason}")]
    UnreadableVersionTable {
        /// The table's name.
        table: String,
        /// What is wrong and the way out.
        reason: String,
    },
    /// A revision was interrupted or failed midway where its changes could not be rolled
    /// back (MySQL DDL, or a revision declared `transactional = false`): it is recorded as
    /// `pending` in the version table.
    #[error(
        "revision {revision} ({message}) was interrupted or failed during {direction} outside \
         a transaction, so it may be partly applied; inspect the schema, finish or revert its \
         changes by hand, then record the true state with `cargo migrate stamp {revision}` \
         (changes complete) or `cargo migrate stamp {parent}` (changes reverted)"
    )]
    Dirty {
        /// The revision id.
        revision: String,
        /// Its message.
        message: String,
        /// `upgrade` or `downgrade`.
        direction: String,
        /// What to stamp if the changes were reverted (`base` for a base revision).
        parent: String,
    },
    /// An applied revision's code changed since it was applied.
    #[error(
        "revision {revision} in `{file}` was applied, but its code has changed since \
         (checksum {applied} then, {current} now); revert the edit and write a new revision \
         instead, or, if the change is harmless, record the new checksum with \
         `cargo migrate repair {revision}` (or pass --allow-changed-revisions for one run)"
    )]
    ChecksumMismatch {
        /// The revision id.
        revision: String,
        /// Its file.
        file: String,
        /// The checksum stored when it was applied.
        applied: String,
        /// The checksum of the code now.
        current: String,
    },
    /// `repair` named a revision the version table does not record as applied or stamped.
    #[error(
        "revision {revision} is not applied, so it has no checksum to repair; `repair` only \
         records the current checksum of applied revisions (apply it with `cargo migrate \
         upgrade {revision}`)"
    )]
    NotApplied {
        /// The revision id.
        revision: String,
    },
    /// A revision read from the database in offline (`--sql`) mode, where there is no
    /// database to read from.
    #[error(
        "revision {revision} reads from the database ({operation}), which offline mode \
         (--sql) cannot do: there is no database to read from; run it online, or keep \
         reads out of revisions you want to render as SQL"
    )]
    OfflineRead {
        /// The revision id (empty outside a revision).
        revision: String,
        /// What it tried: `fetch_all`, `fetch_one`, ...
        operation: &'static str,
    },
    /// A schema operation the backend cannot express (e.g. altering a column on SQLite).
    #[error("{backend} does not support this operation: {detail}")]
    Unsupported {
        /// The backend's name.
        backend: &'static str,
        /// What sea-query said.
        detail: String,
    },
    /// A batch operation (SQLite's table rebuild, or a change of [`crate::BatchAlter`]) that
    /// cannot be done: an unknown column or constraint, a column an index still uses, a
    /// match-by-definition drop on a backend that names every constraint.
    #[error("cannot {operation} on table `{table}`: {reason}")]
    BatchRefused {
        /// The table.
        table: String,
        /// The operation refused (`drop column `x``).
        operation: String,
        /// Why, and the way out.
        reason: String,
    },
    /// A SQLite table rebuild left rows whose foreign keys point nowhere
    /// (`pragma_foreign_key_check`); the rebuild was rolled back.
    #[error(
        "the rebuild of table `{table}` breaks {total} foreign key reference(s), so it was \
         rolled back: {}",
        violations.join(", ")
    )]
    ForeignKeyViolation {
        /// The table rebuilt.
        table: String,
        /// How many rows violate a foreign key.
        total: usize,
        /// The first of them: `child row ROWID → parent`.
        violations: Vec<String>,
    },
    /// `DATABASE_URL` is set (in the environment or `.env`) but empty: refused rather than
    /// silently falling back to the default SQLite file.
    #[error(
        "DATABASE_URL is set but empty; set it to a database URL (sqlite:FILE, \
         postgres://USER@HOST/DB, mysql://USER@HOST/DB), or unset it to use the default SQLite \
         file `migrate.db`"
    )]
    EmptyDatabaseUrl,
    /// The version table name (`--version-table`) is not a plain SQL identifier.
    #[error("{reason}")]
    InvalidVersionTableName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `downgrade --sql` without a range: offline there is no database to say where the
    /// downgrade starts.
    #[error(
        "downgrade with --sql requires a range <fromrev>:<torev> (e.g. 'head:base' or \
         'head:-1'), since there is no database to read the current revision from; got '{}'",
        echo(.0)
    )]
    OfflineDowngradeWithoutRange(String),
    /// A test database (`migrate_core::testing`, feature `testing`) cannot be made or
    /// removed: no admin URL for the server, a file that cannot be written.
    #[error("{reason}")]
    TestDatabase {
        /// What went wrong and the way out.
        reason: String,
    },
    /// The migration lock was not acquired within `--lock-timeout`.
    #[error(
        "timed out after {waited_ms} ms waiting for the migration lock: {}; wait for it, or \
         raise --lock-timeout",
        holder.as_deref().unwrap_or("another process is migrating this database")
    )]
    LockTimeout {
        /// How long we waited, in milliseconds.
        waited_ms: u64,
        /// Who holds the lock, as the server describes it (PostgreSQL: the backend's pid,
        /// client, since when, state and statement from `pg_locks` and `pg_stat_activity`;
        /// MySQL: the connection from `IS_USED_LOCK` and the process list), with the way to
        /// end a holder whose client is gone; `None` when the server could not say.
        holder: Option<String>,
    },
    /// The lock table's lease was taken over by another runner while this run held it (it
    /// had expired: the renewals stopped for longer than the lease). The run stopped before
    /// its next revision; what it applied before is recorded.
    #[error(
        "lost the migration lock: the lease of holder `{holder}` in `{table}` expired and was \
         taken over by another runner; this run stopped before its next revision (what it \
         applied is recorded); raise --lock-lease if renewals can stall this long"
    )]
    LockLost {
        /// This run's holder id.
        holder: String,
        /// The lock table.
        table: String,
    },
    /// The server accepted the connection but did not answer in its database's protocol
    /// within the connect timeout, or answered something else (say, an HTTP server on the
    /// port, or a stalled proxy).
    #[error(
        "cannot connect to {url}: the server accepted the connection but did not speak the \
         {protocol} protocol ({detail}); check the host and port, or raise --connect-timeout \
         if the server is only slow"
    )]
    NoProtocol {
        /// The URL with any password replaced by `***`.
        url: String,
        /// `PostgreSQL` or `MySQL`.
        protocol: &'static str,
        /// What happened: no answer within the timeout, or the driver's complaint.
        detail: String,
    },
    /// A command that only reads (`current`, `check`, `history -i`, `downgrade`) was given a
    /// SQLite file that does not exist: probably a mistyped path; the file is not created.
    #[error(
        "the SQLite database file `{path}` does not exist, and `{command}` does not create one; \
         check the path (a new database is created by `upgrade` or `stamp`)"
    )]
    NoSuchSqliteFile {
        /// The file's path.
        path: String,
        /// The command that was run.
        command: &'static str,
    },
    /// The CLI was given an in-memory SQLite database, which would vanish when the command
    /// exits.
    #[error(
        "`{url}` is an in-memory SQLite database: it lives only as long as this command, so \
         the migrations would run on a throwaway database and be lost; give a file \
         (sqlite:FILE), or run the migrations in the process that uses the in-memory \
         database (`MIGRATIONS.upgrade(&mut db, \"head\")`)"
    )]
    InMemoryDatabase {
        /// The URL as given (it holds no password).
        url: String,
    },
    /// A configuration source (a `.env` file, an environment variable) exists but cannot be
    /// read or parsed. Only a missing `.env` file is ignored.
    #[error("{origin}: {reason}")]
    Config {
        /// Where: the file and line, or the variable.
        origin: String,
        /// What is wrong, and the way out.
        reason: String,
    },
    /// Autogenerate or `check` could not make, use or remove its shadow database
    /// (`schema::autogen::Shadow`): the server refused `CREATE DATABASE` (the user lacks the
    /// right), a given `--shadow-database-url` is not empty or is another backend, or the
    /// shadow could not be dropped or emptied afterwards. The reason says which, and the way
    /// out (the right to grant, `--shadow-database-url`).
    #[error("shadow database: {reason}")]
    ShadowDatabase {
        /// What went wrong and the way out (URLs redacted).
        reason: String,
    },
    /// Autogenerate or the models' drift check was asked for, but the migrations crate
    /// registered no models.
    #[error(
        "no models are registered with this migrations crate, so there is nothing to compare \
         the migrations with; register them in its lib.rs: \
         `migrations!(models = [User, Post])` (each a struct with #[derive(Model)])"
    )]
    NoModels,
    /// The declared schema is inconsistent: two tables of one name, a key, index or
    /// constraint naming a column the table lacks, a foreign key to a table no model declares,
    /// a table without columns. Found before any database is touched.
    #[error("model of table `{table}`: {reason}")]
    InvalidModel {
        /// The table the model declares.
        table: String,
        /// What is wrong, naming the column or table.
        reason: String,
    },
    /// `--against-db`: the live database is not at the migrations' head, so comparing it
    /// with the models would also list the changes of the revisions not applied yet
    /// (Alembic: "Target database is not up to date").
    #[error(
        "target database is not up to date: it is at {current}, the migrations' head is \
         {head}; run `cargo migrate upgrade head` first, or leave out --against-db to compare \
         the models with the migrations replayed in a shadow database"
    )]
    NotAtHead {
        /// The database's current revisions (`<base>` for none).
        current: String,
        /// The migrations' heads.
        head: String,
    },
    /// `Db::execute_sql` got a statement whose `?` placeholders and values differ in number.
    #[error(
        "the statement has {placeholders} `?` placeholder(s) but {values} value(s) were given \
         (on PostgreSQL write `??` for a literal `?`)"
    )]
    BoundValues {
        /// The `?` placeholders in the statement.
        placeholders: usize,
        /// The values given.
        values: usize,
    },
}

/// A driver error for a message. PostgreSQL's errors lose the "at line N" sqlx appends (a line
/// of the server's C source, which reads as a line of the user's SQL) and gain the server's
/// hint.
fn driver(e: &sqlx::Error) -> String {
    #[cfg(feature = "postgres")]
    if let sqlx::Error::Database(d) = e
        && let Some(pg) = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
    {
        return match pg.hint() {
            Some(hint) => format!(
                "error returned from database: {} (hint: {hint})",
                pg.message()
            ),
            None => format!("error returned from database: {}", pg.message()),
        };
    }
    #[cfg(feature = "sqlite")]
    if let sqlx::Error::Database(d) = e
        && (d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
            || d.try_downcast_ref::<crate::sqlite::RawSqliteError>()
                .is_some())
        && d.code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(|c| c & 0xff == 5)
    {
        // SQLITE_BUSY after the busy timeout
        return format!(
            "{e}: another connection kept a write lock on the database for the whole lock \
             timeout (--lock-timeout); try again when it is done, or wait longer"
        );
    }
    e.to_string()
}

/// Whether a revision failed only because it read in offline mode (where nothing ran, so
/// nothing was rolled back).
fn is_offline_read(source: &BoxError) -> bool {
    matches!(
        source.downcast_ref::<Error>(),
        Some(Error::OfflineRead { .. })
    )
}

/// The end of a [`Error::RevisionFailed`] message: what state the failure left.
fn failure_outcome(
    revision: &str,
    rolled_back: bool,
    ran: &[String],
    parent: &str,
    also: &[String],
) -> String {
    if rolled_back {
        return if also.is_empty() {
            "; the revision was rolled back".to_owned()
        } else {
            format!(
                "; the revision was rolled back, and with it the {} revision(s) run before it in \
                 the same transaction (--transaction-mode all), which are not applied: {}",
                also.len(),
                also.join(", ")
            )
        };
    }
    let ran = match ran {
        [] => "no statement completed before the failure, but the failing one was not atomic"
            .to_owned(),
        ran => {
            const SHOWN: usize = 10;
            let mut list: Vec<String> = ran
                .iter()
                .take(SHOWN)
                .enumerate()
                .map(|(i, s)| format!("{}. `{s}`", i + 1))
                .collect();
            if ran.len() > SHOWN {
                list.push(format!("and {} more", ran.len() - SHOWN));
            }
            format!(
                "{} statement(s) completed before the failure: {}",
                ran.len(),
                list.join(" ")
            )
        }
    };
    format!(
        "; it ran outside a transaction, so the revision is PARTLY APPLIED and recorded as \
         `pending` (every later run refuses until you resolve it): {ran}; inspect the schema, \
         finish or revert its changes by hand, then record the true state with `cargo migrate \
         stamp {revision}` (changes complete) or `cargo migrate stamp {parent}` (changes \
         reverted)"
    )
}

/// A statement on one line, shortened to 200 characters (for messages).
pub(crate) fn one_line(s: &str) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 200 {
        let cut: String = s.chars().take(200).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// How many characters of user input an error message echoes.
pub const ECHO_LIMIT: usize = 100;

/// User input for an error message: as given when short, else its first [`ECHO_LIMIT`]
/// characters followed by `… (N characters)`, so that a pasted file or a runaway argument does
/// not flood the terminal.
pub fn echo(input: &str) -> String {
    let n = input.chars().count();
    if n <= ECHO_LIMIT {
        input.to_owned()
    } else {
        let cut: String = input.chars().take(ECHO_LIMIT).collect();
        format!("{cut}… ({n} characters)")
    }
}

/// A message quoting user input (a [`PlanError`]'s spec) with every quoted `'…'` part and
/// every unbroken run of text longer than [`ECHO_LIMIT`] characters shortened as [`echo`]
/// does.
fn limit_echoes(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(1024));
    for (i, part) in message.split('\'').enumerate() {
        if i > 0 {
            out.push('\'');
        }
        if part.chars().count() <= ECHO_LIMIT {
            out.push_str(part);
        } else if i % 2 == 1 {
            out.push_str(&echo(part));
        } else {
            let words: Vec<String> = part.split(' ').map(echo).collect();
            out.push_str(&words.join(" "));
        }
    }
    out
}

impl From<PlanError> for Error {
    fn from(e: PlanError) -> Error {
        Error::Plan(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report that prints the chain (`{:#}`, anyhow) shows a plan error's message once.
    #[test]
    fn a_plan_error_is_said_once() {
        let e = Error::from(PlanError::UnknownBranch("nosuch".into()));
        assert!(std::error::Error::source(&e).is_none());
        assert_eq!(
            e.to_string(),
            PlanError::UnknownBranch("nosuch".into()).to_string()
        );
    }
}
