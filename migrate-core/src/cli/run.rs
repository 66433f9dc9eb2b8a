//! `upgrade` and `downgrade` on a database: the runner's events rendered (status lines or
//! JSON lines, the progress bar), and Ctrl-C / SIGTERM.
//!
//! On SIGINT or SIGTERM during a run:
//! - a revision running in a transaction (every revision on SQLite and PostgreSQL unless
//!   `transactional = false`) is **rolled back**: the run stops at once and the connection
//!   is closed, so the server rolls the transaction back and releases the migration lock;
//! - a revision running outside a transaction (MySQL DDL, `transactional = false`) is
//!   **finished** first, since cutting it would leave it partly applied (`pending`); the run
//!   stops right after it. A second signal stops at once (the revision then stays `pending`).
//!
//! Then the database's current revision(s) are read on a fresh connection and printed with
//! the command that continues the run, and the process exits with 130 (SIGINT) or 143
//! (SIGTERM), as a shell reports a process ended by that signal.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::json::{RunEvent, SCHEMA_VERSION, print_json};
use super::output::{self, Format, Progress};
use super::{DbArgs, DbCommand};
use crate::Error;
use crate::db::{Backend, ConnectOptions, Db, redact_url};
use crate::plan::Direction;
use crate::registry::Revision;
use crate::runner::{Event, Runner, ids_or_base};
use std::process::ExitCode;

/// The signal that interrupted a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sig {
    Int,
    Term,
}

impl Sig {
    fn name(self) -> &'static str {
        match self {
            Sig::Int => "SIGINT",
            Sig::Term => "SIGTERM",
        }
    }

    /// 128 + the signal's number, as shells report it.
    fn exit_code(self) -> ExitCode {
        ExitCode::from(match self {
            Sig::Int => 130,
            Sig::Term => 143,
        })
    }
}

/// The revision under way.
struct InFlight {
    direction: Direction,
    id: String,
    message: String,
    down_revisions: Vec<String>,
    /// It runs in a transaction that a stop rolls back.
    atomic: bool,
    started: Instant,
}

impl InFlight {
    /// Prints its JSON event with `outcome` (`failed`, `interrupted`): the run ended while
    /// it was under way.
    fn print_event(&self, command: &'static str, outcome: &'static str) {
        let (from, to) = match self.direction {
            Direction::Upgrade => (self.down_revisions.clone(), vec![self.id.clone()]),
            Direction::Downgrade => (vec![self.id.clone()], self.down_revisions.clone()),
        };
        print_json(&RunEvent::Revision {
            schema_version: SCHEMA_VERSION,
            command,
            revision: self.id.clone(),
            direction: dir_name(self.direction),
            from,
            to,
            message: self.message.clone(),
            duration_ms: self.started.elapsed().as_millis() as u64,
            outcome,
        });
    }
}

/// What the event callback and the signal loop share.
struct State {
    command: &'static str,
    format: Format,
    quiet: bool,
    verbose: bool,
    backend: Backend,
    progress: Progress,
    in_flight: Option<InFlight>,
    done: usize,
    /// The signal received, once one is.
    stopping: Option<Sig>,
}

fn dir_name(d: Direction) -> &'static str {
    match d {
        Direction::Upgrade => "upgrade",
        Direction::Downgrade => "downgrade",
    }
}

fn owned(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

impl State {
    fn json(&self) -> bool {
        self.format == Format::Json
    }

    fn status(&self, verb: &str, msg: &str) {
        if !self.quiet {
            self.progress.suspend(|| output::status(verb, msg));
        }
    }

    fn revision_event(
        &self,
        revision: &Revision,
        direction: Direction,
        duration_ms: u64,
        outcome: &'static str,
    ) {
        if !self.json() {
            return;
        }
        let (from, to) = match direction {
            Direction::Upgrade => (owned(revision.down_revisions), vec![revision.id.to_owned()]),
            Direction::Downgrade => (vec![revision.id.to_owned()], owned(revision.down_revisions)),
        };
        print_json(&RunEvent::Revision {
            schema_version: SCHEMA_VERSION,
            command: self.command,
            revision: revision.id.to_owned(),
            direction: dir_name(direction),
            from,
            to,
            message: revision.message.to_owned(),
            duration_ms,
            outcome,
        });
    }

    /// Renders one event; returns whether the run reached a point where it may stop (a
    /// revision ended) while a stop is asked for.
    fn on_event(&mut self, e: Event<'_>) -> bool {
        match e {
            Event::Planned {
                direction,
                revisions,
            } => {
                let verb = match direction {
                    Direction::Upgrade => "Upgrading",
                    Direction::Downgrade => "Downgrading",
                };
                self.progress.plan(verb, revisions);
                false
            }
            Event::Started {
                direction,
                revision,
            } => {
                self.progress.started(revision.id);
                if self.verbose {
                    self.status("Running", &format!("{}, {}", revision.id, revision.message));
                }
                self.in_flight = Some(InFlight {
                    direction,
                    id: revision.id.to_owned(),
                    message: revision.message.to_owned(),
                    down_revisions: owned(revision.down_revisions),
                    atomic: revision.transactional && self.backend.transactional_ddl(),
                    started: Instant::now(),
                });
                false
            }
            Event::Finished {
                direction,
                revision,
                elapsed_ms,
            } => {
                let (verb, from, to, outcome) = match direction {
                    Direction::Upgrade => (
                        "Upgrading",
                        ids_or_base(revision.down_revisions),
                        revision.id.to_owned(),
                        "applied",
                    ),
                    Direction::Downgrade => (
                        "Downgrading",
                        revision.id.to_owned(),
                        ids_or_base(revision.down_revisions),
                        "reverted",
                    ),
                };
                self.status(
                    verb,
                    &format!("{from} -> {to}, {} ({elapsed_ms} ms)", revision.message),
                );
                self.revision_event(revision, direction, elapsed_ms, outcome);
                self.done += 1;
                self.progress.inc();
                self.end_revision(revision.id)
            }
            Event::Skipped {
                direction,
                revision,
            } => {
                self.status(
                    "Skipping",
                    &format!("{} (already done by another process)", revision.id),
                );
                self.revision_event(revision, direction, 0, "skipped");
                self.progress.inc();
                self.end_revision(revision.id)
            }
            Event::RolledBack {
                direction,
                revision,
            } => {
                if !self.quiet {
                    self.progress.suspend(|| {
                        output::status_warn(
                            "Rolled back",
                            &format!(
                                "{}, {} (not applied: the transaction it ran in was rolled back)",
                                revision.id, revision.message
                            ),
                        )
                    });
                }
                self.revision_event(revision, direction, 0, "rolled_back");
                false
            }
            Event::Warning { message } => {
                self.progress.suspend(|| output::warning(message));
                false
            }
            Event::Note { message } => {
                self.progress.suspend(|| super::note(message));
                false
            }
            Event::Panicked {
                direction,
                revision,
                partly_applied,
                statements,
            } => {
                let ms = self.elapsed_in_flight();
                self.revision_event(revision, direction, ms, "panicked");
                self.progress.finish();
                let verb = dir_name(direction);
                if partly_applied {
                    let parent = if revision.down_revisions.is_empty() {
                        "base".to_owned()
                    } else {
                        revision.down_revisions.join(" ")
                    };
                    let list: Vec<String> = statements.iter().map(|s| format!("`{s}`")).collect();
                    output::error(&format!(
                        "{verb} {} ({}) panicked outside a transaction: the revision is PARTLY \
                         APPLIED and recorded as `pending`; {} statement(s) completed: {}; \
                         inspect the schema, finish or revert its changes by hand, then record \
                         the true state with `cargo migrate stamp {}` (changes complete) or \
                         `cargo migrate stamp {parent}` (changes reverted)",
                        revision.id,
                        revision.message,
                        statements.len(),
                        list.join(", "),
                        revision.id,
                    ));
                } else {
                    output::error(&format!(
                        "{verb} {} ({}) panicked; its changes are rolled back (the connection \
                         is closed)",
                        revision.id, revision.message
                    ));
                }
                false
            }
        }
    }

    fn elapsed_in_flight(&self) -> u64 {
        self.in_flight
            .as_ref()
            .map_or(0, |f| f.started.elapsed().as_millis() as u64)
    }

    fn end_revision(&mut self, id: &str) -> bool {
        if self.in_flight.as_ref().is_some_and(|f| f.id == id) {
            self.in_flight = None;
        }
        self.stopping.is_some()
    }
}

/// Waits for SIGINT or SIGTERM.
#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> Result<Signals, Error> {
        use tokio::signal::unix::{SignalKind, signal};
        let io = |e: std::io::Error| Error::Database {
            context: "cannot listen for Ctrl-C".into(),
            source: sqlx::Error::Io(e),
        };
        Ok(Signals {
            int: signal(SignalKind::interrupt()).map_err(io)?,
            term: signal(SignalKind::terminate()).map_err(io)?,
        })
    }

    async fn next(&mut self) -> Sig {
        tokio::select! {
            _ = self.int.recv() => Sig::Int,
            _ = self.term.recv() => Sig::Term,
        }
    }
}

/// Elsewhere: Ctrl-C only.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> Result<Signals, Error> {
        Ok(Signals)
    }

    async fn next(&mut self) -> Sig {
        let _ = tokio::signal::ctrl_c().await;
        Sig::Int
    }
}

enum Ended {
    Done(Result<crate::plan::Plan, Error>),
    Interrupted,
}

/// Runs `upgrade` or `downgrade` to `target` on `db` (which it closes), rendering events as
/// `args` says and handling Ctrl-C / SIGTERM (module docs). Returns the exit code.
///
/// # Errors
/// The runner's errors (after the JSON `failed` events, when asked for).
pub(super) async fn run_plan(
    runner: &Runner<'_>,
    mut db: Db,
    command: &DbCommand,
    target: &str,
    url: &str,
    connect: &ConnectOptions,
    args: &DbArgs,
) -> Result<ExitCode, Error> {
    let downgrade = matches!(command, DbCommand::Downgrade { .. });
    let name = if downgrade { "downgrade" } else { "upgrade" };
    let started = Instant::now();
    let state = Arc::new(Mutex::new(State {
        command: name,
        format: args.format,
        quiet: args.quiet,
        verbose: args.verbose,
        backend: db.backend(),
        progress: Progress::new(!args.quiet),
        in_flight: None,
        done: 0,
        stopping: None,
    }));
    let safe_point = Arc::new(tokio::sync::Notify::new());
    let mut on_event = {
        let state = state.clone();
        let safe_point = safe_point.clone();
        move |e: Event<'_>| {
            if lock(&state).on_event(e) {
                safe_point.notify_one();
            }
        }
    };
    let mut signals = Signals::new()?;
    let ended = {
        let fut: std::pin::Pin<Box<dyn Future<Output = _> + Send + '_>> = if downgrade {
            Box::pin(runner.downgrade(&mut db, target, &mut on_event))
        } else {
            Box::pin(runner.upgrade(&mut db, target, &mut on_event))
        };
        let mut fut = fut;
        loop {
            tokio::select! {
                biased;
                r = &mut fut => break Ended::Done(r),
                _ = safe_point.notified() => break Ended::Interrupted,
                sig = signals.next() => {
                    let mut st = lock(&state);
                    if st.stopping.is_some() {
                        break Ended::Interrupted; // a second signal: at once
                    }
                    st.stopping = Some(sig);
                    match &st.in_flight {
                        Some(f) if !f.atomic => {
                            let msg = format!(
                                "by {}: finishing {} ({}) first, which runs outside a \
                                 transaction (stopping it would leave it partly applied); \
                                 signal again to stop at once",
                                sig.name(),
                                f.id,
                                f.message
                            );
                            st.progress.suspend(|| output::status_warn("Interrupted", &msg));
                        }
                        _ => break Ended::Interrupted,
                    }
                }
            }
        }
    };
    let (done, in_flight, json, stopping) = {
        let mut st = lock(&state);
        st.progress.finish();
        (st.done, st.in_flight.take(), st.json(), st.stopping)
    };
    let elapsed = started.elapsed().as_millis() as u64;
    let summary = |outcome, current, signal, error| RunEvent::Summary {
        schema_version: SCHEMA_VERSION,
        command: name,
        outcome,
        revisions: done,
        duration_ms: elapsed,
        current,
        signal,
        error,
    };
    match (ended, stopping) {
        (Ended::Done(Err(e)), None) => {
            db.close().await;
            if json {
                if let Some(f) = &in_flight {
                    f.print_event(name, "failed");
                }
                print_json(&summary(
                    "failed",
                    None,
                    None,
                    Some(redact_url(&e.to_string())),
                ));
            }
            Err(e)
        }
        (Ended::Done(Ok(plan)), None) => {
            if plan.steps.is_empty() && !args.quiet {
                output::status("Fresh", &format!("nothing to {name}"));
            }
            let current = if json {
                runner
                    .status(&mut db)
                    .await
                    .ok()
                    .map(|s| current_ids(runner, &s.heads))
            } else {
                None
            };
            db.close().await;
            if json {
                print_json(&summary("success", current, None, None));
            }
            Ok(ExitCode::SUCCESS)
        }
        (ended, stopping) => {
            let sig = stopping.unwrap_or(Sig::Int);
            // the run is stopped: what it left open is closed with the connection (the
            // server rolls back and releases the migration lock)
            drop(db);
            let cut = matches!(ended, Ended::Interrupted);
            if let (true, Some(f)) = (cut, &in_flight) {
                if json {
                    f.print_event(name, "interrupted");
                }
                let what = if f.atomic {
                    "rolled back: its transaction did not commit".to_owned()
                } else {
                    "cut off outside a transaction: it may be partly applied (its row is \
                     `pending`, see below)"
                        .to_owned()
                };
                output::status_warn(
                    "Interrupted",
                    &format!("by {}: {} ({}) {what}", sig.name(), f.id, f.message),
                );
            } else if let Ended::Done(Err(e)) = &ended {
                output::error(&redact_url(&e.to_string()));
            }
            // the state, read afresh
            let read = async {
                let mut fresh = Db::connect_with(url, connect).await?;
                let s = runner.status(&mut fresh).await;
                fresh.close().await;
                s
            }
            .await;
            let current = match &read {
                Ok(s) => {
                    let ids = current_ids(runner, &s.heads);
                    let pending: Vec<&str> = s
                        .rows
                        .iter()
                        .filter(|r| r.state == crate::version_table::RowState::Pending)
                        .map(|r| r.revision.as_str())
                        .collect();
                    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                    let mut msg = format!(
                        "the database is at {} (current revision(s)); the migration lock is \
                         released",
                        ids_or_base(&refs)
                    );
                    if pending.is_empty() {
                        msg.push_str(&format!(
                            "; run `cargo migrate {name} {target}` to continue"
                        ));
                    } else {
                        msg.push_str(&format!(
                            "; revision(s) {} are `pending` (partly applied): inspect the \
                             schema, record the true state with `cargo migrate stamp`, then \
                             run `cargo migrate {name} {target}`",
                            pending.join(", ")
                        ));
                    }
                    output::status_warn("Stopped", &msg);
                    Some(ids)
                }
                Err(e) => {
                    output::error(&format!(
                        "stopped by {}; cannot read the state of the database: {}; run \
                         `cargo migrate current` to see it",
                        sig.name(),
                        redact_url(&e.to_string())
                    ));
                    None
                }
            };
            if json {
                print_json(&summary("interrupted", current, Some(sig.name()), None));
            }
            Ok(sig.exit_code())
        }
    }
}

fn lock(s: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn current_ids(runner: &Runner<'_>, heads: &[usize]) -> Vec<String> {
    heads
        .iter()
        .map(|&i| runner.graph().at(i).id.clone())
        .collect()
}
