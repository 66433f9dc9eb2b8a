//! The runner: reads the version table, asks [`crate::plan`] for a plan, and executes it
//! step by step, recording each step in the version table.
//!
//! **The apply loop exists only here.** The CLI, the application's start-up code and
//! offline (`--sql`) mode all go through [`Runner`]; offline mode runs the same loop against
//! a [`Db::offline`] handle that records statements instead of running them.
//!
//! Transactions: each revision runs in its own transaction together with its version-table
//! update on backends with transactional DDL (SQLite, PostgreSQL), so a failure leaves the
//! database at the previous revision. Where that is impossible (MySQL DDL, revisions
//! declared `transactional = false`), the row is written as `pending` first and marked
//! `applied` after; a failure leaves the `pending` row, and every later run refuses with
//! [`Error::Dirty`] until `stamp` records the true state.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

#[cfg(any(feature = "sqlite", feature = "postgres"))]
use sqlx::AssertSqlSafe;
use sqlx::Row;

use crate::Error;
use crate::db::{Backend, Conn, Db};
use crate::graph::Graph;
pub use crate::lock::LockStrategy;
use crate::plan::{self, Direction, Plan};
use crate::registry::{Migrations, Revision};
pub use crate::retry::RetryPolicy;
use crate::version_table::{self, RowState, VersionRow};

/// How revisions are grouped into transactions (`--transaction-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransactionMode {
    /// One transaction per revision (the default; Alembic's `transaction_per_migration=True`).
    #[default]
    PerRevision,
    /// The whole run in one transaction, committed at the end: it all applies or nothing
    /// does (Alembic's default `transaction_per_migration=False`). Only where DDL is
    /// transactional (SQLite, PostgreSQL); on MySQL it behaves as `PerRevision`. A revision
    /// declared `transactional = false` commits what came before it and runs outside.
    All,
}

/// Runner settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// The version table's name (default `migrate_version`).
    pub version_table: String,
    /// How revisions are grouped into transactions.
    pub transaction_mode: TransactionMode,
    /// Run even when an applied revision's code changed since it was applied (dangerous: the
    /// database may not match the code).
    pub allow_changed_revisions: bool,
    /// How long to wait for the migration lock held by another process.
    pub lock_timeout: Duration,
    /// How runners exclude each other on PostgreSQL and MySQL (`--lock`; SQLite always uses
    /// its write lock).
    pub lock: LockStrategy,
    /// The lease of [`LockStrategy::Table`]: a holder that stops renewing loses the lock
    /// this long after its last renewal (renewed every third of it).
    pub lock_lease: Duration,
    /// How a revision whose transaction hit a transient serialization failure (SQLSTATE
    /// `40001`, a deadlock) is run again from `BEGIN`, where that is safe
    /// ([`crate::retry`]); [`RetryPolicy::NEVER`] to fail at once.
    pub retry: RetryPolicy,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            version_table: version_table::DEFAULT_VERSION_TABLE.to_owned(),
            transaction_mode: TransactionMode::PerRevision,
            allow_changed_revisions: false,
            lock_timeout: Duration::from_secs(60),
            lock: LockStrategy::Advisory,
            lock_lease: crate::lock::DEFAULT_LEASE,
            retry: RetryPolicy::default(),
        }
    }
}

/// Progress reported while a plan runs.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// The plan is made and about to run (sent once per run that has something to do,
    /// before the first [`Event::Started`]): how many revisions it has, for a progress bar.
    Planned {
        /// Upgrade or downgrade (of the first step; a run goes one way).
        direction: Direction,
        /// How many revisions the plan runs.
        revisions: usize,
    },
    /// A revision is about to run.
    Started {
        /// Upgrade or downgrade.
        direction: Direction,
        /// The revision.
        revision: &'a Revision,
    },
    /// A revision finished and was recorded.
    Finished {
        /// Upgrade or downgrade.
        direction: Direction,
        /// The revision.
        revision: &'a Revision,
        /// How long it took, in milliseconds (the revision's code plus the version-table
        /// update and commit).
        elapsed_ms: u64,
    },
    /// Another process applied (or removed) this revision while we waited: skipped.
    Skipped {
        /// Upgrade or downgrade.
        direction: Direction,
        /// The revision.
        revision: &'a Revision,
    },
    /// `--transaction-mode all`: this revision had run in the run's transaction, which was
    /// then rolled back (a later revision failed): it is not applied. Such a revision is
    /// never reported [`Event::Finished`]: that comes only once its transaction commits.
    RolledBack {
        /// Upgrade or downgrade.
        direction: Direction,
        /// The revision.
        revision: &'a Revision,
    },
    /// The revision's code panicked. Sent just before the panic goes on unwinding, so that
    /// the caller can say, while it still can, what state the revision is left in.
    Panicked {
        /// Upgrade or downgrade.
        direction: Direction,
        /// The revision.
        revision: &'a Revision,
        /// True when it ran outside a transaction that covers it (MySQL DDL,
        /// `transactional = false`) and something of it took effect: its row stays `pending`
        /// and `stamp` must record the true state.
        partly_applied: bool,
        /// The statements of the revision that completed before the panic (when
        /// `partly_applied`), each on one line and shortened.
        statements: &'a [String],
    },
    /// Something the caller should know before the run goes on (printed as a warning): the
    /// run's transactions will not be what `--transaction-mode` says.
    Warning {
        /// The text, one line.
        message: &'a str,
    },
    /// Something the caller may want to show (printed as a note): which lock strategy
    /// `--lock auto` picked, and why.
    Note {
        /// The text, one line.
        message: &'a str,
    },
}

/// What the version table says, checked against the code.
#[derive(Debug, Clone)]
pub struct Status {
    /// Every row, as read.
    pub rows: Vec<VersionRow>,
    /// The applied revisions, as graph indices.
    pub applied: BTreeSet<usize>,
    /// The current heads (applied revisions with no applied child), as graph indices.
    pub heads: Vec<usize>,
}

/// Executes plans for one registry. Cheap to create.
#[derive(Debug)]
pub struct Runner<'m> {
    migrations: &'m Migrations,
    graph: &'m Graph,
    options: Options,
}

/// `"a, b"` for a set of ids, `"<base>"` when empty: how Alembic names the two ends of a
/// step.
pub fn ids_or_base(ids: &[&str]) -> String {
    if ids.is_empty() {
        "<base>".to_owned()
    } else {
        ids.join(", ")
    }
}

impl<'m> Runner<'m> {
    /// A runner over `migrations` with `options`.
    ///
    /// # Errors
    /// [`Error::Graph`] when the registry's graph is invalid (cannot happen for a registry
    /// that compiled); [`Error::BadUrl`]-free, but the version table name is checked:
    /// [`Error::Plan`] is never returned here.
    pub fn new(migrations: &'m Migrations, options: Options) -> Result<Self, Error> {
        let graph = migrations.graph().map_err(|e| Error::Graph(e.clone()))?;
        if let Err(reason) = version_table::validate_table_name(&options.version_table) {
            return Err(Error::InvalidVersionTableName {
                name: options.version_table.clone(),
                reason,
            });
        }
        Ok(Runner {
            migrations,
            graph,
            options,
        })
    }

    /// The revision graph.
    pub fn graph(&self) -> &'m Graph {
        self.graph
    }

    /// The compiled revision at a graph index.
    pub fn revision(&self, index: usize) -> &'m Revision {
        let id = &self.graph.at(index).id;
        self.migrations
            .get(id)
            .expect("the graph is built from the registry")
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Reads the version table and checks it against the code.
    ///
    /// # Errors
    /// [`Error::UnknownAppliedRevision`] when a row names a revision the code lacks;
    /// [`Error::Database`] when the table cannot be read. `pending` rows are reported in the
    /// returned rows, not as errors (see [`Runner::check_clean`]).
    pub async fn status(&self, db: &mut Db) -> Result<Status, Error> {
        let rows = version_table::read(db, &self.options.version_table).await?;
        let mut applied = BTreeSet::new();
        for row in &rows {
            match self.graph.index_of(&row.revision) {
                Some(i) => {
                    applied.insert(i);
                }
                None => return Err(Error::UnknownAppliedRevision(row.revision.clone())),
            }
        }
        let heads = plan::current_heads(self.graph, &applied);
        Ok(Status {
            rows,
            applied,
            heads,
        })
    }

    /// Refuses a version table with a `pending` row (a revision interrupted outside a
    /// transaction) and, unless allowed, one whose applied revisions' code changed.
    ///
    /// # Errors
    /// [`Error::Dirty`], [`Error::ChecksumMismatch`].
    pub fn check_clean(&self, status: &Status) -> Result<(), Error> {
        for row in &status.rows {
            let rev = self.migrations.get(&row.revision);
            let Some(rev) = rev else { continue };
            if row.state == RowState::Pending {
                return Err(dirty(rev));
            }
            // a row of another checksum format cannot be compared (the macro computes only
            // the current one); stamped rows carry the code's checksum since `stamp` records it
            if !self.options.allow_changed_revisions
                && !row.checksum.is_empty()
                && row.checksum_format == version_table::CHECKSUM_FORMAT
                && row.checksum != rev.checksum
            {
                return Err(Error::ChecksumMismatch {
                    revision: rev.id.into(),
                    file: rev.file.into(),
                    applied: row.checksum.clone(),
                    current: rev.checksum.into(),
                });
            }
        }
        Ok(())
    }

    /// `upgrade TARGET`: applies every revision up to `target` (`head`, `heads`, an id or
    /// unique prefix, `+N`, `label@head`, …; in offline mode also a range `A:B`). Same
    /// semantics as Alembic's `upgrade`. Returns the plan it ran.
    ///
    /// # Errors
    /// [`Error::Plan`] for a target that cannot be resolved; [`Error::Dirty`] /
    /// [`Error::ChecksumMismatch`] / [`Error::UnknownAppliedRevision`] for a version table
    /// that cannot be trusted; [`Error::LockTimeout`]; [`Error::RevisionFailed`] when a
    /// revision fails (earlier revisions stay applied in per-revision mode); nothing is
    /// changed by a plan error.
    pub async fn upgrade(
        &self,
        db: &mut Db,
        target: &str,
        on_event: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<Plan, Error> {
        self.run(db, Command::Upgrade(target), on_event).await
    }

    /// `downgrade TARGET`: reverts revisions down to `target` (`base`, an id or prefix, `-N`,
    /// `label@base`, …; in offline mode a range `B:A`). Same semantics as Alembic's
    /// `downgrade`.
    ///
    /// # Errors
    /// As [`Runner::upgrade`].
    pub async fn downgrade(
        &self,
        db: &mut Db,
        target: &str,
        on_event: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<Plan, Error> {
        self.run(db, Command::Downgrade(target), on_event).await
    }

    /// `stamp TARGET…`: rewrites the version table to say `targets` are the current
    /// revisions, without running any revision. `purge` first deletes every row (the way out
    /// when the table names a revision the code lacks). Returns the new applied set.
    ///
    /// # Errors
    /// [`Error::Plan`] for an unresolvable target; [`Error::UnknownAppliedRevision`] without
    /// `purge`; [`Error::LockTimeout`]; [`Error::Database`].
    pub async fn stamp(
        &self,
        db: &mut Db,
        targets: &[&str],
        purge: bool,
    ) -> Result<BTreeSet<usize>, Error> {
        let locked = self.lock(db, &mut |_| {}).await?;
        let result = self.stamp_locked(db, targets, purge).await;
        self.unlock(db, locked).await;
        result
    }

    async fn stamp_locked(
        &self,
        db: &mut Db,
        targets: &[&str],
        purge: bool,
    ) -> Result<BTreeSet<usize>, Error> {
        let table = &self.options.version_table;
        if purge && !db.is_offline() {
            refuse_purging_a_foreign_table(db, table).await?;
        }
        version_table::create(db, table).await?;
        // the rows as they are: `--purge` rewrites the table, but keeps what the rows of the
        // revisions that stay applied say (their checksums above all)
        let old_rows = if db.is_offline() {
            Vec::new()
        } else if purge {
            // `--purge` is also the way out of a table that cannot be read (a row state of a
            // newer version): then there is nothing to keep
            version_table::read(db, table).await.unwrap_or_default()
        } else {
            self.status(db).await?.rows
        };
        let applied: BTreeSet<usize> = if purge {
            BTreeSet::new()
        } else {
            old_rows
                .iter()
                .filter_map(|r| self.graph.index_of(&r.revision))
                .collect()
        };
        let new = plan::stamp(self.graph, &applied, targets)?;
        let in_txn = db.transactional_ddl();
        if in_txn {
            self.begin(db).await?;
        }
        let r = async {
            if purge {
                version_table::clear(db, table).await?;
            }
            let old: HashMap<&str, &VersionRow> =
                old_rows.iter().map(|r| (r.revision.as_str(), r)).collect();
            for &i in applied.difference(&new) {
                version_table::delete(db, table, &self.graph.at(i).id).await?;
            }
            let now = version_table::utc_now();
            for &i in &new {
                let id = &self.graph.at(i).id;
                match old.get(id.as_str()) {
                    Some(row) if row.state != RowState::Pending => {
                        if purge {
                            version_table::insert(db, table, row).await?;
                        }
                    }
                    Some(_) => {
                        // a pending row: stamp records that the revision is complete
                        if !purge {
                            version_table::delete(db, table, id).await?;
                        }
                        self.insert_stamped(db, id, &now).await?;
                    }
                    None => self.insert_stamped(db, id, &now).await?,
                }
            }
            // pending rows of revisions that stay unapplied were deleted above
            Ok::<(), Error>(())
        }
        .await;
        self.end_version_table_edit(db, in_txn, r).await?;
        Ok(new)
    }

    /// Ends an edit of the version table (`stamp`, `repair`) that ran in a transaction when
    /// `in_txn`: commits it when `r` is `Ok`, rolls it back and returns the error otherwise.
    ///
    /// # Errors
    /// `r`'s error, or the commit's.
    async fn end_version_table_edit(
        &self,
        db: &mut Db,
        in_txn: bool,
        r: Result<(), Error>,
    ) -> Result<(), Error> {
        match r {
            Ok(()) if in_txn => self.commit(db).await,
            Ok(()) => Ok(()),
            Err(e) => {
                if in_txn {
                    self.rollback(db).await;
                }
                Err(e)
            }
        }
    }

    /// A `stamped` row: nothing ran, but the user says the database matches the revision's
    /// code, so the row records that code's checksum (verified from then on, like an applied
    /// revision's).
    async fn insert_stamped(&self, db: &mut Db, id: &str, now: &str) -> Result<(), Error> {
        let checksum = self
            .migrations
            .get(id)
            .map(|r| r.checksum.to_owned())
            .unwrap_or_default();
        let row = VersionRow {
            revision: id.to_owned(),
            checksum,
            state: RowState::Stamped,
            applied_at: now.to_owned(),
            execution_ms: 0,
            checksum_format: version_table::CHECKSUM_FORMAT,
        };
        version_table::insert(db, &self.options.version_table, &row).await
    }

    /// `repair REV…` (Flyway's `repair`): records the current checksum of the code of each
    /// named applied revision, accepting an edit made on purpose (a renamed variable, a
    /// reformatted statement) that the checksum check would otherwise refuse. Nothing runs and
    /// no other row changes; the rows keep their state and time. Returns, per named revision,
    /// its id and the checksum the row had before (equal to the code's when nothing changed).
    ///
    /// # Errors
    /// [`Error::Plan`] for a spec that does not resolve; [`Error::NotApplied`] for a revision
    /// the version table does not record; [`Error::Dirty`] for a `pending` row (`stamp`
    /// resolves those); [`Error::UnknownAppliedRevision`]; [`Error::LockTimeout`];
    /// [`Error::Database`]. On any error nothing is changed.
    pub async fn repair(
        &self,
        db: &mut Db,
        revisions: &[&str],
    ) -> Result<Vec<(String, String)>, Error> {
        let locked = self.lock(db, &mut |_| {}).await?;
        let result = self.repair_locked(db, revisions).await;
        self.unlock(db, locked).await;
        result
    }

    async fn repair_locked(
        &self,
        db: &mut Db,
        revisions: &[&str],
    ) -> Result<Vec<(String, String)>, Error> {
        let table = &self.options.version_table;
        let status = self.status(db).await?;
        let rows: HashMap<&str, &VersionRow> = status
            .rows
            .iter()
            .map(|r| (r.revision.as_str(), r))
            .collect();
        let mut targets = Vec::new();
        for spec in revisions {
            for i in crate::spec::resolve(self.graph, &status.applied, spec)? {
                let rev = self.revision(i);
                match rows.get(rev.id) {
                    None => {
                        return Err(Error::NotApplied {
                            revision: rev.id.into(),
                        });
                    }
                    Some(row) if row.state == RowState::Pending => return Err(dirty(rev)),
                    Some(row) => {
                        if !targets
                            .iter()
                            .any(|(id, _): &(String, String)| id == rev.id)
                        {
                            targets.push((rev.id.to_owned(), row.checksum.clone()));
                        }
                    }
                }
            }
        }
        if targets.is_empty() {
            return Ok(targets);
        }
        version_table::create(db, table).await?; // adds `checksum_format` to an old table
        let in_txn = db.transactional_ddl();
        if in_txn {
            self.begin(db).await?;
        }
        let r = async {
            for (id, _) in &targets {
                let rev = self.migrations.get(id).expect("resolved from the graph");
                version_table::set_checksum(db, table, id, rev.checksum).await?;
            }
            Ok::<(), Error>(())
        }
        .await;
        self.end_version_table_edit(db, in_txn, r).await?;
        Ok(targets)
    }

    async fn run(
        &self,
        db: &mut Db,
        command: Command<'_>,
        on_event: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<Plan, Error> {
        let locked = self.lock(db, on_event).await?;
        let result = self.run_locked(db, command, on_event).await;
        self.unlock(db, locked).await;
        result
    }

    async fn run_locked(
        &self,
        db: &mut Db,
        command: Command<'_>,
        on_event: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<Plan, Error> {
        let table = self.options.version_table.clone();
        if !db.is_offline() {
            match command {
                Command::Upgrade(t) | Command::Downgrade(t) => refuse_range_online(t)?,
            }
        }
        let (applied, states) = if db.is_offline() {
            (BTreeSet::new(), HashMap::new())
        } else {
            let status = self.status(db).await?;
            self.check_clean(&status)?;
            let states: HashMap<String, RowState> = status
                .rows
                .iter()
                .map(|r| (r.revision.clone(), r.state))
                .collect();
            (status.applied, states)
        };
        let plan = match command {
            Command::Upgrade(t) => plan::upgrade(self.graph, &applied, t)?,
            Command::Downgrade(t) => plan::downgrade(self.graph, &applied, t)?,
        };
        if plan.steps.is_empty() && !db.is_offline() {
            return Ok(plan);
        }
        version_table::create(db, &table).await?;
        if let Some(first) = plan.steps.first() {
            on_event(Event::Planned {
                direction: first.direction,
                revisions: plan.steps.len(),
            });
        }

        let all_asked = self.options.transaction_mode == TransactionMode::All;
        let all = all_asked && db.transactional_ddl();
        if all_asked && !db.is_offline() {
            self.warn_about_splits(db.transactional_ddl(), &plan, on_event);
        }
        let mut outer_open = false;
        // revisions done inside the open outer transaction: reported once it commits
        let mut uncommitted: Vec<(Direction, &'m Revision, u64)> = Vec::new();
        let flush = |uncommitted: &mut Vec<(Direction, &'m Revision, u64)>,
                     on_event: &mut (dyn FnMut(Event<'_>) + Send)| {
            for (direction, revision, elapsed_ms) in uncommitted.drain(..) {
                on_event(Event::Finished {
                    direction,
                    revision,
                    elapsed_ms,
                });
            }
        };
        let rolled_back = |uncommitted: &mut Vec<(Direction, &'m Revision, u64)>,
                           on_event: &mut (dyn FnMut(Event<'_>) + Send)| {
            for (direction, revision, _) in uncommitted.drain(..) {
                on_event(Event::RolledBack {
                    direction,
                    revision,
                });
            }
        };
        if all {
            self.begin(db).await?;
            outer_open = true;
        }
        for step in &plan.steps {
            // a turn for other tasks (and for a caller's timeout or `select!` to cancel the run)
            // between revisions: on SQLite the statements run on this thread without yielding
            tokio::task::yield_now().await;
            if let Some(holder) = db
                .lease
                .as_ref()
                .filter(|l| l.lost())
                .map(|l| l.holder().to_owned())
            {
                if outer_open {
                    self.rollback(db).await;
                    rolled_back(&mut uncommitted, on_event);
                }
                return Err(Error::LockLost {
                    holder,
                    table: crate::lock::lock_table_name(&table),
                });
            }
            let rev = self.revision(step.revision);
            if outer_open && !rev.transactional {
                if let Err(e) = self.commit(db).await {
                    rolled_back(&mut uncommitted, on_event);
                    return Err(e);
                }
                outer_open = false;
                flush(&mut uncommitted, on_event);
            }
            if all && !outer_open && rev.transactional {
                self.begin(db).await?;
                outer_open = true;
            }
            let prev = states.get(rev.id).copied().unwrap_or(RowState::Applied);
            db.offline_mark = db.script_len();
            // one span per revision, around its statements' events (`tracing`)
            let span = tracing::info_span!(
                "revision",
                id = rev.id,
                direction = match step.direction {
                    Direction::Upgrade => "upgrade",
                    Direction::Downgrade => "downgrade",
                },
                message = rev.message,
            );
            let mut attempt = 1;
            let r = loop {
                let r = tracing::Instrument::instrument(
                    self.apply(db, rev, step.direction, outer_open, prev, on_event),
                    span.clone(),
                )
                .await;
                let Err(e) = &r else { break r };
                if outer_open || attempt >= self.options.retry.max_attempts {
                    break r;
                }
                let Some(code) = crate::retry::transient_code(e) else {
                    break r;
                };
                // safe only when the failed transaction held all of the revision and its row
                // (or nothing of it took effect), so that the server's rollback undid it all
                let atomic = rev.transactional && db.transactional_ddl();
                if !atomic
                    && !matches!(
                        e,
                        Error::RevisionFailed {
                            rolled_back: true,
                            ..
                        }
                    )
                {
                    break r;
                }
                let delay = self.options.retry.backoff(attempt);
                span.in_scope(|| {
                    tracing::warn!(
                        target: "migrate_core::retry",
                        attempt,
                        max_attempts = self.options.retry.max_attempts,
                        sqlstate = code.as_str(),
                        delay_ms = delay.as_millis() as u64,
                        "transient serialization failure: the revision was rolled back; running it again from BEGIN"
                    )
                });
                on_event(Event::Warning {
                    message: &format!(
                        "{} {}: transient serialization failure (SQLSTATE {code}), rolled back; \
                         running it again from BEGIN in {} ms (attempt {} of {})",
                        match step.direction {
                            Direction::Upgrade => "upgrade",
                            Direction::Downgrade => "downgrade",
                        },
                        rev.id,
                        delay.as_millis(),
                        attempt + 1,
                        self.options.retry.max_attempts
                    ),
                });
                tokio::time::sleep(delay).await;
                attempt += 1;
            };
            match &r {
                Ok(Some(elapsed_ms)) => {
                    span.in_scope(|| tracing::info!(elapsed_ms, "revision ran"));
                }
                Ok(None) => span.in_scope(|| {
                    tracing::info!("revision skipped: another process applied it")
                }),
                Err(e) => span.in_scope(|| {
                    tracing::warn!(error = %crate::db::redact_url(&e.to_string()), "revision failed")
                }),
            }
            match r {
                Err(e) => {
                    if outer_open {
                        self.rollback(db).await;
                        let undone: Vec<String> = uncommitted
                            .iter()
                            .map(|(_, r, _)| r.id.to_owned())
                            .collect();
                        rolled_back(&mut uncommitted, on_event);
                        return Err(also_rolled_back(e, undone));
                    }
                    return Err(e);
                }
                Ok(Some(elapsed_ms)) if outer_open => {
                    uncommitted.push((step.direction, rev, elapsed_ms));
                }
                Ok(Some(elapsed_ms)) => on_event(Event::Finished {
                    direction: step.direction,
                    revision: rev,
                    elapsed_ms,
                }),
                Ok(None) => {}
            }
        }
        if outer_open {
            if let Err(e) = self.commit(db).await {
                rolled_back(&mut uncommitted, on_event);
                return Err(e);
            }
            flush(&mut uncommitted, on_event);
        }
        Ok(plan)
    }

    /// `--transaction-mode all`: warns, before anything runs, when the run will not be one
    /// transaction: on MySQL (DDL commits implicitly), and at each `transactional = false`
    /// revision, which commits what came before it and runs outside any transaction.
    fn warn_about_splits(
        &self,
        transactional_ddl: bool,
        plan: &Plan,
        on_event: &mut (dyn FnMut(Event<'_>) + Send),
    ) {
        if !transactional_ddl {
            on_event(Event::Warning {
                message: "--transaction-mode all cannot hold on MySQL/MariaDB (or an engine \
                          without transactional DDL): DDL commits \
                          implicitly, so each revision commits on its own, as with \
                          --transaction-mode per-revision",
            });
            return;
        }
        let outside: Vec<&Revision> = plan
            .steps
            .iter()
            .map(|s| self.revision(s.revision))
            .filter(|r| !r.transactional)
            .collect();
        if outside.is_empty() || plan.steps.len() < 2 {
            return;
        }
        let ids: Vec<&str> = outside.iter().map(|r| r.id).collect();
        let message = format!(
            "--transaction-mode all: this run is split into several transactions, because {} \
             declared `transactional = false`: the revisions before each of them commit first, \
             it runs outside any transaction, and the revisions after it start a new \
             transaction; a failure rolls back only the transaction it happens in",
            if ids.len() == 1 {
                format!("revision {} is", ids[0])
            } else {
                format!("revisions {} are", ids.join(", "))
            }
        );
        on_event(Event::Warning { message: &message });
    }

    /// Runs one revision in one direction and records it. Returns how long it took in
    /// milliseconds (the revision's code plus the version-table update and, in its own
    /// transaction, the commit), or `None` when another process had done it meanwhile.
    /// Reporting it done is the caller's: only once its transaction commits.
    async fn apply(
        &self,
        db: &mut Db,
        rev: &'m Revision,
        direction: Direction,
        in_outer: bool,
        prev_state: RowState,
        on_event: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<Option<u64>, Error> {
        let table = self.options.version_table.as_str();
        let atomic = rev.transactional && db.transactional_ddl();
        if db.is_offline() {
            let (from, to) = match direction {
                Direction::Upgrade => (ids_or_base(rev.down_revisions), rev.id.to_owned()),
                Direction::Downgrade => (rev.id.to_owned(), ids_or_base(rev.down_revisions)),
            };
            let verb = match direction {
                Direction::Upgrade => "upgrade",
                Direction::Downgrade => "downgrade",
            };
            db.sql(&format!(
                "-- Running {verb} {from} -> {to}, {}",
                rev.message.replace('\n', " ")
            ))
            .await?;
        }
        on_event(Event::Started {
            direction,
            revision: rev,
        });
        let started = Instant::now();
        let own_txn = !in_outer && rev.transactional;
        // SQLite has no migration lock: every revision re-reads the version table under the
        // database's write lock, in its own transaction, in the `--transaction-mode all`
        // transaction, or (`transactional = false`) in one that records its `pending` marker
        let sqlite =
            cfg!(feature = "sqlite") && !db.is_offline() && db.backend() == Backend::Sqlite;
        if sqlite {
            if self.sqlite_gate(db, rev, direction, !in_outer).await? {
                // another process got there first while we waited for the write lock
                if !in_outer {
                    self.rollback(db).await;
                }
                on_event(Event::Skipped {
                    direction,
                    revision: rev,
                });
                return Ok(None);
            }
        } else if own_txn {
            self.begin(db).await?;
        }
        // outside a transaction that covers the version row, record intent first
        if !atomic {
            match direction {
                Direction::Upgrade => {
                    let row = VersionRow {
                        revision: rev.id.into(),
                        checksum: rev.checksum.into(),
                        state: RowState::Pending,
                        applied_at: version_table::utc_now(),
                        execution_ms: 0,
                        checksum_format: version_table::CHECKSUM_FORMAT,
                    };
                    version_table::insert(db, table, &row).await?;
                }
                Direction::Downgrade => version_table::mark_pending(db, table, rev.id).await?,
            }
            if sqlite && !own_txn && !in_outer {
                // the marker is the other runners' lock: publish it
                self.commit(db).await?;
            }
        }
        db.revision = rev.id;
        db.last_statement = None;
        db.calls_ok = 0;
        db.last_call_atomic = true;
        // outside a covering transaction, what ran is what the user must check by hand
        db.ran = (!atomic).then(Vec::new);
        let f = match direction {
            Direction::Upgrade => rev.upgrade,
            Direction::Downgrade => rev.downgrade,
        };
        let result = match (CatchUnwind { inner: f(db) }).await {
            Ok(r) => r,
            Err(panic) => {
                // say now what state the revision is in; the panic then goes on unwinding
                // (the connection is closed on drop: the server rolls back and unlocks)
                let ran = db.ran.take().unwrap_or_default();
                let partly_applied = !atomic;
                on_event(Event::Panicked {
                    direction,
                    revision: rev,
                    partly_applied,
                    statements: &ran,
                });
                std::panic::resume_unwind(panic);
            }
        };
        db.revision = "";
        let ran = db.ran.take().unwrap_or_default();
        if let Err(source) = result {
            let statement = db.last_statement.take();
            // outside a covering transaction the database is still unchanged when no call of
            // the revision took effect and the failing call was atomic on its own
            let untouched = !atomic && db.calls_ok == 0 && db.last_call_atomic;
            let rolled_back = atomic || in_outer || untouched;
            if own_txn || in_outer {
                self.rollback(db).await;
            }
            if untouched && !in_outer {
                // nothing happened: take back the `pending` marker
                let undo = match direction {
                    Direction::Upgrade => version_table::delete(db, table, rev.id).await,
                    Direction::Downgrade => {
                        version_table::set_state(db, table, rev.id, prev_state).await
                    }
                };
                undo?;
            }
            return Err(Error::RevisionFailed {
                direction: match direction {
                    Direction::Upgrade => "upgrade",
                    Direction::Downgrade => "downgrade",
                },
                revision: rev.id.into(),
                message: rev.message.into(),
                statement,
                rolled_back,
                ran: if rolled_back { Vec::new() } else { ran },
                parent: stamp_parent(rev),
                also_rolled_back: Vec::new(),
                source,
            });
        }
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let recorded = self
            .record(db, rev, direction, atomic, own_txn, elapsed_ms)
            .await;
        if let Err(e) = recorded {
            if own_txn || in_outer {
                self.rollback(db).await;
            }
            return Err(e);
        }
        Ok(Some(started.elapsed().as_millis() as u64))
    }

    /// Records a finished revision in the version table and commits its transaction. Where
    /// the row commits with the revision, the row statement and `COMMIT` go out as one batch
    /// (one round trip).
    async fn record(
        &self,
        db: &mut Db,
        rev: &Revision,
        direction: Direction,
        atomic: bool,
        own_txn: bool,
        elapsed_ms: u64,
    ) -> Result<(), Error> {
        let table = self.options.version_table.as_str();
        if !atomic {
            match direction {
                Direction::Upgrade => {
                    version_table::finish(db, table, rev.id, rev.checksum, elapsed_ms as i64)
                        .await?
                }
                Direction::Downgrade => version_table::delete(db, table, rev.id).await?,
            }
            return if own_txn {
                self.commit(db).await
            } else {
                Ok(())
            };
        }
        let statement = match direction {
            Direction::Upgrade => version_table::insert_sql(
                db.backend(),
                table,
                &VersionRow {
                    revision: rev.id.into(),
                    checksum: rev.checksum.into(),
                    state: RowState::Applied,
                    applied_at: version_table::utc_now(),
                    execution_ms: elapsed_ms as i64,
                    checksum_format: version_table::CHECKSUM_FORMAT,
                },
            ),
            Direction::Downgrade => version_table::delete_sql(db.backend(), table, rev.id),
        };
        // (SQLite: no round trip to save, and a `COMMIT` that has to wait for readers must be
        // retried on its own, see `Db::sql_taking_lock`)
        if own_txn && !db.is_offline() && db.backend() != Backend::Sqlite {
            db.sql(&format!("{statement};\nCOMMIT")).await.map_err(|e| {
                rename(
                    e,
                    "recording the revision in the version table and committing",
                )
            })
        } else {
            db.sql(&statement)
                .await
                .map_err(|e| rename(e, "recording the revision in the version table"))?;
            if own_txn {
                self.commit(db).await
            } else {
                Ok(())
            }
        }
    }

    /// Without the `sqlite` feature there is no SQLite connection to gate.
    #[cfg(not(feature = "sqlite"))]
    async fn sqlite_gate(
        &self,
        _db: &mut Db,
        _rev: &Revision,
        _direction: Direction,
        _begin: bool,
    ) -> Result<bool, Error> {
        unreachable!("a SQLite connection without the sqlite feature")
    }

    /// SQLite: starts the revision's write transaction (`begin`; false inside the
    /// `--transaction-mode all` transaction) and, in the same call, re-reads the version
    /// table under the write lock. Returns true when another process already applied (or
    /// removed) the revision while we waited. While another process's revision is `pending`
    /// (a `transactional = false` revision under way) it waits, without the write lock, up
    /// to the lock timeout; then, or at once inside an outer transaction, it fails with
    /// [`Error::Dirty`].
    #[cfg(feature = "sqlite")]
    async fn sqlite_gate(
        &self,
        db: &mut Db,
        rev: &Revision,
        direction: Direction,
        begin: bool,
    ) -> Result<bool, Error> {
        // `id` is a checked revision id ([a-z0-9_]), the table name a checked identifier
        let id = rev.id;
        let table = version_table::quoted(Backend::Sqlite, &self.options.version_table);
        let sql = format!(
            "{}SELECT (SELECT COUNT(*) FROM {table} WHERE revision = '{id}'), \
             (SELECT MIN(revision) FROM {table} WHERE state = 'pending')",
            if begin { "BEGIN IMMEDIATE; " } else { "" }
        );
        let deadline = Instant::now() + self.options.lock_timeout;
        loop {
            let Some(Conn::Sqlite(c)) = db.conn() else {
                return Ok(false);
            };
            let starting = |source| Error::Database {
                context: "starting a transaction".into(),
                source,
            };
            // on this thread when the write lock is free at once; else sqlx's worker waits
            let (n, pending): (i64, Option<String>) =
                match c.query_row_nowait(&sql).await.map_err(starting)? {
                    Some(mut row) if row.len() == 2 => {
                        let pending = row.pop().flatten();
                        let n = row
                            .pop()
                            .flatten()
                            .and_then(|n| n.parse().ok())
                            .unwrap_or(0);
                        (n, pending)
                    }
                    _ => sqlx::raw_sql(AssertSqlSafe(sql.as_str()))
                        .fetch_all(&mut **c)
                        .await
                        .map_err(starting)?
                        .first()
                        .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
                        .transpose()
                        .map_err(|source| Error::Database {
                            context: "reading the version table".into(),
                            source,
                        })?
                        .unwrap_or((0, None)),
                };
            let Some(pending) = pending else {
                return Ok(match direction {
                    Direction::Upgrade => n > 0,
                    Direction::Downgrade => n == 0,
                });
            };
            if begin {
                self.rollback(db).await;
            }
            if !begin || Instant::now() >= deadline {
                return Err(match self.migrations.get(&pending) {
                    Some(p) => dirty(p),
                    None => Error::UnknownAppliedRevision(pending),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn begin(&self, db: &mut Db) -> Result<(), Error> {
        let sql = match db.backend() {
            // take the write lock now, so concurrent runners queue here (busy timeout)
            Backend::Sqlite if !db.is_offline() => "BEGIN IMMEDIATE",
            Backend::MySql => "START TRANSACTION",
            _ => "BEGIN",
        };
        if db.is_offline() || db.backend() == Backend::Sqlite {
            return db
                .sql_taking_lock(sql)
                .await
                .map_err(|e| rename(e, "starting a transaction"));
        }
        // PostgreSQL, MySQL: sent with the next statement
        db.deferred = Some(sql);
        Ok(())
    }

    async fn commit(&self, db: &mut Db) -> Result<(), Error> {
        if db.deferred.take().is_some() {
            return Ok(()); // nothing was sent: nothing to commit
        }
        db.sql_taking_lock("COMMIT")
            .await
            .map_err(|e| rename(e, "committing"))
    }

    async fn rollback(&self, db: &mut Db) {
        if db.deferred.take().is_some() {
            return; // nothing was sent: nothing to roll back
        }
        // best effort: the transaction is already failed; if the connection died the server
        // rolls back on its own
        let _ = db.sql("ROLLBACK").await;
    }

    /// Takes the migration lock (PostgreSQL advisory lock, MySQL `GET_LOCK`). Waiters poll
    /// with a try-lock and hold no transaction while they wait. Returns whether a lock was
    /// taken (SQLite and offline: no lock; SQLite serialises writers with `BEGIN IMMEDIATE`).
    // SQLite alone: every connection returns before the loop's lock statements
    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(unreachable_code, unused_variables)
    )]
    async fn lock(
        &self,
        db: &mut Db,
        on_event: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<bool, Error> {
        let key = lock_key(&self.options.version_table);
        let name = format!("cargo-migrate:{}", self.options.version_table);
        let deadline = Instant::now() + self.options.lock_timeout;
        let started = Instant::now();
        if let Some(held) = db.unfinished_run.take() {
            // a run on this handle was cancelled midway: roll back the transaction it left
            // open; the lock it took is still ours (taking it again would only count up)
            self.rollback(db).await;
            if held {
                db.unfinished_run = Some(true);
                return Ok(true);
            }
        }
        if db.conn().is_some() && db.backend() != Backend::Sqlite {
            let strategy = match self.options.lock {
                LockStrategy::Auto => {
                    let (s, why) = crate::lock::probe(db).await?;
                    on_event(Event::Note {
                        message: &format!("--lock auto: using the {} lock: {why}", s.name()),
                    });
                    s
                }
                s => s,
            };
            match strategy {
                LockStrategy::None => {
                    on_event(Event::Warning {
                        message: crate::lock::NONE_WARNING,
                    });
                    db.unfinished_run = Some(false);
                    return Ok(false);
                }
                LockStrategy::Table => {
                    let lease = crate::lock::acquire_table(
                        db,
                        &self.options.version_table,
                        self.options.lock_lease,
                        self.options.lock_timeout,
                    )
                    .await?;
                    db.lease = Some(lease);
                    db.unfinished_run = Some(true);
                    return Ok(true);
                }
                LockStrategy::Advisory | LockStrategy::Auto => {}
            }
        }
        loop {
            let got: Result<bool, sqlx::Error> = match db.conn() {
                None => return Ok(false),
                #[cfg(feature = "sqlite")]
                Some(Conn::Sqlite(c)) => {
                    // no lock to take, but the same rule: a run that unwinds or is dropped
                    // midway must not hand its connection back to the pool with a write
                    // transaction (and SQLite's write lock) still open
                    c.close_on_drop();
                    db.unfinished_run = Some(false);
                    return Ok(false);
                }
                #[cfg(feature = "postgres")]
                // the simple query protocol, the key inline (our own number, as text: i64::MIN as
                // a literal would be numeric): one round trip,
                // where a bound parameter costs two the first time (prepare, then execute),
                // and no prepared statement left on the session
                Some(Conn::Postgres(c)) => sqlx::raw_sql(AssertSqlSafe(format!(
                    "SELECT pg_try_advisory_lock('{key}'::bigint)"
                )))
                .fetch_one(&mut **c)
                .await
                .and_then(|r| r.try_get::<bool, _>(0)),
                #[cfg(feature = "mysql")]
                Some(Conn::MySql(c)) => sqlx::query(const_format_lock!("SELECT GET_LOCK(", ", 0)"))
                    .bind(&name)
                    .fetch_one(&mut **c)
                    .await
                    .and_then(|r| r.try_get::<Option<i64>, _>(0))
                    .map(|v| v == Some(1)),
            };
            let got = got.map_err(|source| Error::Database {
                context: "taking the migration lock".into(),
                source,
            })?;
            if got {
                tracing::debug!(
                    table = self.options.version_table.as_str(),
                    waited_ms = started.elapsed().as_millis() as u64,
                    "migration lock acquired"
                );
                // if anything unwinds or the future is dropped while we hold the lock, close
                // the connection instead of returning it to a pool: the server releases
                // session locks when the session ends
                match db.conn() {
                    #[cfg(feature = "postgres")]
                    Some(Conn::Postgres(c)) => c.close_on_drop(),
                    #[cfg(feature = "mysql")]
                    Some(Conn::MySql(c)) => c.close_on_drop(),
                    _ => {}
                }
                db.unfinished_run = Some(true);
                return Ok(true);
            }
            if Instant::now() >= deadline {
                tracing::debug!(
                    table = self.options.version_table.as_str(),
                    "migration lock not acquired before the lock timeout"
                );
                let waited_ms = started.elapsed().as_millis() as u64;
                let holder = lock_holder(db, key, &name).await;
                return Err(Error::LockTimeout { waited_ms, holder });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Ends a command: releases the lock when `locked`, and marks the handle's run finished.
    async fn unlock(&self, db: &mut Db, locked: bool) {
        db.unfinished_run = None;
        if let Some(lease) = db.lease.take() {
            lease.release(db).await;
            return;
        }
        if !locked {
            return;
        }
        #[cfg(feature = "postgres")]
        let key = lock_key(&self.options.version_table);
        #[cfg(feature = "mysql")]
        let name = format!("cargo-migrate:{}", self.options.version_table);
        let _: Result<(), sqlx::Error> = match db.conn() {
            #[cfg(feature = "postgres")]
            // simple query protocol, as taking it (one round trip)
            Some(Conn::Postgres(c)) => sqlx::raw_sql(AssertSqlSafe(format!(
                "SELECT pg_advisory_unlock('{key}'::bigint)"
            )))
            .execute(&mut **c)
            .await
            .map(|_| ()),
            #[cfg(feature = "mysql")]
            Some(Conn::MySql(c)) => sqlx::query(const_format_lock!("SELECT RELEASE_LOCK(", ")"))
                .bind(&name)
                .execute(&mut **c)
                .await
                .map(|_| ()),
            _ => Ok(()),
        };
        tracing::debug!(
            table = self.options.version_table.as_str(),
            "migration lock released"
        );
    }

    /// Offline mode: the SQL script that `command` would run on `backend`, version-table
    /// statements included, each revision introduced by a `-- Running …` comment line.
    /// `target` follows the online commands, plus ranges `A:B`; a target without a range
    /// starts from an empty database (like Alembic's `--sql`).
    ///
    /// # Errors
    /// [`Error::Plan`] for an unresolvable target; [`Error::OfflineRead`] when a revision
    /// reads from the database.
    pub async fn offline_script(
        &self,
        backend: Backend,
        command: OfflineCommand<'_>,
    ) -> Result<String, Error> {
        match self.offline_script_partial(backend, command).await {
            (script, None) => Ok(script),
            (_, Some(e)) => Err(e),
        }
    }

    /// [`Runner::offline_script`] that renders as much as it can: when a revision reads from
    /// the database (which offline mode cannot do), the script of every revision before it
    /// (its transaction closed), and the error naming the revision
    /// ([`Error::RevisionFailed`] over [`Error::OfflineRead`]). Any other error comes with an
    /// empty script. This is what `upgrade --sql` prints (Alembic renders every revision it
    /// can, too).
    pub async fn offline_script_partial(
        &self,
        backend: Backend,
        command: OfflineCommand<'_>,
    ) -> (String, Option<Error>) {
        if let Err(e) = backend.ensure_compiled() {
            return (String::new(), Some(e));
        }
        let mut db = Db::offline(backend);
        // SQLite's shadow database (batch mode) starts where the script starts: replay the
        // revisions up to a range's start, without printing them
        if backend == Backend::Sqlite {
            let start = match command {
                OfflineCommand::Upgrade(t) | OfflineCommand::Downgrade(t) => t
                    .split_once(':')
                    .map(|(a, _)| a)
                    .filter(|a| !a.is_empty() && *a != "base"),
                OfflineCommand::Stamp(_) => None,
            };
            if let Some(start) = start {
                let _ = self.upgrade(&mut db, start, &mut |_| {}).await;
                db.take_script();
            }
        }
        let result = match command {
            OfflineCommand::Upgrade(t) => self.upgrade(&mut db, t, &mut |_| {}).await.map(drop),
            OfflineCommand::Downgrade(t) => {
                // like Alembic: offline there is no database to say where to start from
                if !crate::spec::Spec::parse(t).is_ok_and(|s| s.is_range()) {
                    Err(Error::OfflineDowngradeWithoutRange(t.to_owned()))
                } else {
                    self.downgrade(&mut db, t, &mut |_| {}).await.map(drop)
                }
            }
            OfflineCommand::Stamp(ts) => self.stamp(&mut db, ts, false).await.map(drop),
        };
        let error = match result {
            Ok(()) => None,
            Err(e) if is_offline_read(&e) => {
                // cut back to where the reading revision began, and close a transaction
                // left open there (`--transaction-mode all`)
                db.truncate_script(db.offline_mark);
                let script = db.take_script();
                let open = script.iter().rposition(|s| {
                    s == "BEGIN" || s.starts_with("BEGIN ") || s == "START TRANSACTION"
                });
                let closed = script.iter().rposition(|s| s == "COMMIT");
                let mut script = script;
                if open.is_some() && open > closed {
                    script.push("COMMIT".to_owned());
                }
                return (render_script(script), Some(e));
            }
            Err(e) => return (String::new(), Some(e)),
        };
        (render_script(db.take_script()), error)
    }
}

/// Whether a run failed because a revision read from the database in offline mode.
fn is_offline_read(e: &Error) -> bool {
    match e {
        Error::OfflineRead { .. } => true,
        Error::RevisionFailed { source, .. } => {
            matches!(
                source.downcast_ref::<Error>(),
                Some(Error::OfflineRead { .. })
            )
        }
        _ => false,
    }
}

/// Offline statements as a script: each statement ends with `;`, comment lines do not, and a
/// blank line follows each `COMMIT`.
fn render_script(statements: Vec<String>) -> String {
    let mut out = String::new();
    for stmt in statements {
        out.push_str(&stmt);
        if !stmt.starts_with("--") {
            out.push(';');
        }
        out.push('\n');
        if stmt.starts_with("COMMIT") {
            out.push('\n');
        }
    }
    out
}

/// Ranges (`A:B`) are for offline scripts: online, the database says where a run starts.
///
/// # Errors
/// [`crate::spec::PlanError::RangeNotAllowed`] for a range.
pub fn refuse_range_online(target: &str) -> Result<(), Error> {
    if crate::spec::Spec::parse(target).is_ok_and(|s| s.is_range()) {
        return Err(crate::spec::PlanError::RangeNotAllowed(target.to_owned()).into());
    }
    Ok(())
}

/// `stamp --purge` deletes every row of the version table before writing its own, and on
/// MySQL that delete commits even when the writes then fail: refuse when a table of that name
/// exists but does not read as a version table (another tool's table under the same name),
/// rather than delete that tool's rows.
async fn refuse_purging_a_foreign_table(db: &mut Db, table: &str) -> Result<(), Error> {
    if !crate::version_table::exists(db, table).await? {
        return Ok(());
    }
    let probe = version_table::select_sql(db.backend(), table, " WHERE 1 = 0");
    db.sql(&probe).await.map_err(|e| match e {
        Error::Database { source, .. } => Error::Database {
            context: format!(
                "refusing --purge, which deletes every row of `{table}`: it does not read as a \
                 cargo-migrate version table, so nothing was changed; if it belongs to another \
                 tool, pick another name with --version-table"
            ),
            source,
        },
        other => other,
    })
}

/// What [`Runner::offline_script`] renders.
#[derive(Debug, Clone, Copy)]
pub enum OfflineCommand<'a> {
    /// `upgrade TARGET --sql`.
    Upgrade(&'a str),
    /// `downgrade RANGE --sql`.
    Downgrade(&'a str),
    /// `stamp TARGETS --sql`.
    Stamp(&'a [&'a str]),
}

#[derive(Debug, Clone, Copy)]
enum Command<'a> {
    Upgrade(&'a str),
    Downgrade(&'a str),
}

/// The error for a revision left `pending`, naming the two `stamp` commands that resolve it.
fn dirty(rev: &Revision) -> Error {
    Error::Dirty {
        revision: rev.id.into(),
        message: rev.message.into(),
        direction: "upgrade or downgrade".into(),
        parent: stamp_parent(rev),
    }
}

/// What `stamp` takes to say a revision's changes were reverted: `base`, or its parents as
/// separate arguments.
fn stamp_parent(rev: &Revision) -> String {
    if rev.down_revisions.is_empty() {
        "base".into()
    } else {
        rev.down_revisions.join(" ")
    }
}

/// A failure inside the `--transaction-mode all` transaction: the revisions that had run in
/// it before the failing one were rolled back with it.
fn also_rolled_back(e: Error, undone: Vec<String>) -> Error {
    match e {
        Error::RevisionFailed {
            direction,
            revision,
            message,
            statement,
            rolled_back,
            ran,
            parent,
            source,
            ..
        } => Error::RevisionFailed {
            direction,
            revision,
            message,
            statement,
            rolled_back,
            ran,
            parent,
            also_rolled_back: undone,
            source,
        },
        other => other,
    }
}

/// Polls a revision's future, catching a panic of its code (`futures`' `catch_unwind`, for
/// one use).
struct CatchUnwind<F> {
    inner: F,
}

impl<F: std::future::Future + Unpin> std::future::Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn std::any::Any + Send>>;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let inner = &mut self.inner;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            std::pin::Pin::new(inner).poll(cx)
        })) {
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Ok(v)),
            Err(panic) => std::task::Poll::Ready(Err(panic)),
        }
    }
}

fn rename(e: Error, what: &str) -> Error {
    match e {
        Error::Database { source, .. } => Error::Database {
            context: what.into(),
            source,
        },
        other => other,
    }
}

/// `$before <MySQL lock name> $after`, the lock name an expression over one bound
/// parameter (`cargo-migrate:<version table>`): `<database>:cargo-migrate:<table>`, which
/// reads well in `SHOW PROCESSLIST`, as long as it fits MySQL's 64-character limit on lock
/// names (MySQL 5.7+ refuses longer ones; database and table names may each be 64 long); a
/// longer one becomes its first 23 characters, `#` and 40 hex digits of its SHA-256.
#[cfg(feature = "mysql")]
macro_rules! const_format_lock {
    ($before:literal, $after:literal) => {
        concat!(
            $before,
            "(SELECT IF(CHAR_LENGTH(n) <= 64, n, CONCAT(LEFT(n, 23), '#', LEFT(SHA2(n, 256), 40))) \
             FROM (SELECT CONCAT(DATABASE(), ':', ?) AS n) AS lock_name)",
            $after
        )
    };
}
#[cfg(feature = "mysql")]
use const_format_lock;

/// Who holds the migration lock, as the server tells (for [`Error::LockTimeout`]): the
/// PostgreSQL backend holding advisory lock `key` in this database (`pg_locks` joined with
/// `pg_stat_activity`), or the MySQL connection holding lock `name` (`IS_USED_LOCK` and the
/// process list): which one, its client, since when, in what state, running what, whether
/// its client is still connected as far as the server can know, and how to end it. `None`
/// when the server does not say (the holder just left, or no privilege to see it).
#[cfg_attr(
    not(all(feature = "postgres", feature = "mysql")),
    allow(unused_variables)
)]
async fn lock_holder(db: &mut Db, key: i64, name: &str) -> Option<String> {
    /// A statement text on one line, at most 200 characters, without passwords.
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    fn statement(q: &str) -> String {
        let q = q.split_whitespace().collect::<Vec<_>>().join(" ");
        let q = if q.chars().count() > 200 {
            format!("{}…", q.chars().take(200).collect::<String>())
        } else {
            q
        };
        crate::db::redact_url(&q)
    }
    match db.conn()? {
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => {
            let hi = ((key as u64) >> 32) as i64;
            let lo = ((key as u64) & 0xffff_ffff) as i64;
            let row = sqlx::query(
                "SELECT a.pid, COALESCE(a.usename::text, ''), COALESCE(a.application_name, ''), \
                 COALESCE(host(a.client_addr) || ':' || a.client_port, 'a local socket'), \
                 to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC', \
                 COALESCE(a.state, 'unknown'), \
                 COALESCE(EXTRACT(EPOCH FROM now() - a.state_change)::bigint, 0), \
                 COALESCE(a.query, ''), current_setting('server_version_num')::int \
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 \
                 AND l.objid::bigint = $2 AND l.objsubid = 1 \
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                 LIMIT 1",
            )
            .bind(hi)
            .bind(lo)
            .fetch_optional(&mut **c)
            .await
            .ok()??;
            let pid: i32 = row.try_get(0).ok()?;
            let user: String = row.try_get(1).ok()?;
            let app: String = row.try_get(2).ok()?;
            let client: String = row.try_get(3).ok()?;
            let since: String = row.try_get(4).ok()?;
            let state: String = row.try_get(5).ok()?;
            let state_secs: i64 = row.try_get(6).ok()?;
            let query: String = row.try_get(7).ok()?;
            let version: i32 = row.try_get(8).ok()?;
            let app = if app.is_empty() {
                String::new()
            } else {
                format!(", application '{app}'")
            };
            let doing = if state == "active" {
                format!("running `{}` for {state_secs} s", statement(&query))
            } else {
                format!(
                    "{state} for {state_secs} s (its last statement: `{}`)",
                    statement(&query)
                )
            };
            let connected = if state.starts_with("idle") {
                "its client is still connected (the server is waiting for it, and would have \
                 ended the session had the connection closed)"
                    .to_owned()
            } else if app.contains("cargo-migrate") && version >= 140_000 {
                format!(
                    "its client is still connected (the server checks every {} s while a \
                     cargo-migrate statement runs)",
                    crate::db::CLIENT_CHECK_INTERVAL.as_secs()
                )
            } else {
                "the server does not know whether its client is still connected until the \
                 statement ends"
                    .to_owned()
            };
            Some(format!(
                "the lock is held by PostgreSQL backend pid {pid} (user {user}{app}, client \
                 {client}), connected since {since}, {doing}; {connected}; if the process \
                 that opened it is gone, end the session with \
                 `SELECT pg_terminate_backend({pid})`"
            ))
        }
        #[cfg(feature = "mysql")]
        Conn::MySql(c) => {
            let row = sqlx::query(const_format_lock!("SELECT IS_USED_LOCK(", ")"))
                .bind(name)
                .fetch_one(&mut **c)
                .await
                .ok()?;
            // BIGINT UNSIGNED on MySQL, signed on some MariaDB versions
            let id: u64 = match row.try_get::<Option<u64>, _>(0) {
                Ok(id) => id?,
                Err(_) => u64::try_from(row.try_get::<Option<i64>, _>(0).ok()??).ok()?,
            };
            let row = sqlx::query(
                "SELECT COALESCE(USER, ''), COALESCE(HOST, ''), COALESCE(COMMAND, ''), \
                 COALESCE(TIME, 0), COALESCE(STATE, ''), COALESCE(INFO, '') \
                 FROM information_schema.PROCESSLIST WHERE ID = ?",
            )
            .bind(id)
            .fetch_optional(&mut **c)
            .await
            .ok()
            .flatten();
            let Some(row) = row else {
                return Some(format!(
                    "the lock is held by MySQL connection {id} (which the process list does \
                     not show to this user: that takes the PROCESS privilege); if the process \
                     that opened it is gone, end it with `KILL {id}`"
                ));
            };
            let user: String = row.try_get(0).ok()?;
            let host: String = row.try_get(1).ok()?;
            let command: String = row.try_get(2).ok()?;
            let secs: i64 = row
                .try_get::<i64, _>(3)
                .or_else(|_| row.try_get::<i32, _>(3).map(i64::from))
                .ok()?;
            let state: String = row.try_get(4).ok()?;
            let info: String = row.try_get(5).ok()?;
            let doing = if command == "Sleep" {
                format!(
                    "idle for {secs} s; its client is still connected (the server is waiting \
                     for it, and would have ended the session had the connection closed)"
                )
            } else {
                format!(
                    "in `{command}` for {secs} s{}{}; the server does not know whether its \
                     client is still connected until the statement ends",
                    if state.is_empty() {
                        String::new()
                    } else {
                        format!(" ({state})")
                    },
                    if info.is_empty() {
                        String::new()
                    } else {
                        format!(", running `{}`", statement(&info))
                    },
                )
            };
            Some(format!(
                "the lock is held by MySQL connection {id} (user {user}, client {host}), \
                 {doing}; if the process that opened it is gone, end it with `KILL {id}`"
            ))
        }
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(_) => None,
    }
}

/// The PostgreSQL advisory-lock key of a version table: FNV-1a 64 (the `fnv` crate) of
/// `cargo-migrate:<table>`, as a signed 64-bit integer, so two tools (or two version tables) in
/// one database do not block each other. Stable across versions: runners of different
/// cargo-migrate versions on one database must take the same lock.
pub fn lock_key(table: &str) -> i64 {
    use std::hash::Hasher as _;
    let mut h = fnv::FnvHasher::default();
    h.write(b"cargo-migrate:");
    h.write(table.as_bytes());
    h.finish() as i64
}

impl Migrations {
    /// Upgrades the database behind `db` to `target` (usually `"head"`), as the CLI's
    /// `upgrade` does, with default [`Options`]. Returns the plan it ran.
    ///
    /// ```no_run
    /// # async fn start(migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
    /// let mut db = migrate_core::Db::connect("sqlite:app.db").await?;
    /// migrations.upgrade(&mut db, "head").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Runner::upgrade`].
    pub async fn upgrade(&self, db: &mut Db, target: &str) -> Result<Plan, Error> {
        Runner::new(self, Options::default())?
            .upgrade(db, target, &mut |_| {})
            .await
    }

    /// Downgrades the database behind `db` to `target`, with default [`Options`].
    ///
    /// # Errors
    /// As [`Runner::downgrade`].
    pub async fn downgrade(&self, db: &mut Db, target: &str) -> Result<Plan, Error> {
        Runner::new(self, Options::default())?
            .downgrade(db, target, &mut |_| {})
            .await
    }

    /// Connects to `url` and upgrades it to `target`: the one-liner for an application's
    /// start-up.
    ///
    /// # Errors
    /// As [`Db::connect`] and [`Runner::upgrade`].
    pub async fn upgrade_url(&self, url: &str, target: &str) -> Result<Plan, Error> {
        let mut db = Db::connect(url).await?;
        let r = self.upgrade(&mut db, target).await;
        db.close().await;
        r
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lock_key_is_the_fnv_1a_key_of_earlier_versions() {
        // the loop earlier versions ran (FNV-1a 64, offset basis and prime of the FNV spec):
        // runners of both versions must exclude each other
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in "cargo-migrate:migrate_version".bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        assert_eq!(super::lock_key("migrate_version"), h as i64);
        assert_ne!(super::lock_key("a"), super::lock_key("b"));
    }
}
