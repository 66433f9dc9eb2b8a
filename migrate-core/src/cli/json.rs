//! `--format json`: the machine-readable output, schema version [`SCHEMA_VERSION`]
//! (documented object by object in `docs/json.md`).
//!
//! The read commands (`current`, `heads`, `history`, `branches`, `show`, `check`) print one
//! JSON object on stdout; `upgrade` and `downgrade` print JSON lines, one [`RunEvent`] per
//! revision and a final summary; `stamp` prints its summary. Every object carries
//! `"schema_version": 1`; a later version adds fields freely and changes the number only when
//! a field changes meaning or goes away. Human messages (notes, warnings, errors, progress)
//! stay on stderr.
//!
//! `cargo migrate test` prints one [`TestReport`] (`"command": "test"`).

use std::collections::BTreeSet;

use serde::Serialize;

use super::DbCommand;
use super::render::{dependents, selected, sorted_children};
use crate::Error;
use crate::graph::Graph;

/// The version of the JSON schema, in every object as `"schema_version"`.
pub const SCHEMA_VERSION: u32 = 1;

/// A revision as the JSON output shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RevisionJson<'a> {
    /// The revision id.
    pub id: &'a str,
    /// Its parents (empty: a base).
    pub down_revisions: Vec<&'a str>,
    /// Its `depends_on` revisions.
    pub depends_on: Vec<&'a str>,
    /// The branch labels it declares.
    pub branch_labels: Vec<&'a str>,
    /// Its children (revisions naming it in `down_revision`), in file order.
    pub next_revisions: Vec<&'a str>,
    /// The revision's message.
    pub message: &'a str,
    /// The revision file, relative to the migrations crate.
    pub path: &'a str,
    /// No revision names it as a parent (as Alembic's `(head)` and `(effective head)`).
    pub is_head: bool,
    /// It has two or more children.
    pub is_branch_point: bool,
    /// It has two or more parents.
    pub is_merge_point: bool,
    /// Whether it is a current revision of the database (applied, no applied child); absent
    /// when the command did not read the database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_current: Option<bool>,
}

impl<'a> RevisionJson<'a> {
    /// Revision `i` of `graph`; `applied` (when the database was read) sets `is_current`.
    pub fn new(graph: &'a Graph, i: usize, applied: Option<&BTreeSet<usize>>) -> Self {
        let r = graph.at(i);
        let ids =
            |v: &[usize]| -> Vec<&'a str> { v.iter().map(|&j| graph.at(j).id.as_str()).collect() };
        RevisionJson {
            id: &r.id,
            down_revisions: r.down_revisions.iter().map(String::as_str).collect(),
            depends_on: r.depends_on.iter().map(String::as_str).collect(),
            branch_labels: r.branch_labels.iter().map(String::as_str).collect(),
            next_revisions: ids(&sorted_children(graph, i)),
            message: &r.message,
            path: &r.file,
            is_head: graph.children_of(i).is_empty(),
            is_branch_point: graph.children_of(i).len() > 1,
            is_merge_point: graph.parents_of(i).len() > 1,
            is_current: applied
                .map(|a| a.contains(&i) && !graph.children_of(i).iter().any(|c| a.contains(c))),
        }
    }
}

/// `heads`, `history`, `branches`, `show`: the revisions the command lists, in its order.
#[derive(Debug, Serialize)]
pub struct RevisionsOutput<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `heads`, `history`, `branches` or `show`.
    pub command: &'static str,
    /// The revisions (`branches`: the branch points; their `next_revisions` are the branches).
    pub revisions: Vec<RevisionJson<'a>>,
}

/// `current`: the database's current revision(s).
#[derive(Debug, Serialize)]
pub struct CurrentOutput<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `current`.
    pub command: &'static str,
    /// The current revisions (applied, no applied child), ascending by graph order.
    pub current: Vec<RevisionJson<'a>>,
    /// Revisions whose row is `pending` (interrupted outside a transaction: maybe partly
    /// applied).
    pub pending: Vec<&'a str>,
    /// Whether the current revisions are exactly the heads.
    pub at_heads: bool,
}

/// `check`: whether the database is at head with every applied revision unchanged.
#[derive(Debug, Serialize)]
pub struct CheckOutput<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `check`.
    pub command: &'static str,
    /// True when the database is at the head revision(s) (the exit code is 0).
    pub ok: bool,
    /// The current revision ids.
    pub current: Vec<&'a str>,
    /// The head revision ids.
    pub heads: Vec<&'a str>,
    /// Revisions not applied, in graph order.
    pub not_applied: Vec<&'a str>,
    /// With declared models: each difference between the models and the schema the
    /// migrations build (empty when they agree); absent without models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<String>>,
}

/// One line of `upgrade`/`downgrade`/`stamp --format json`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    /// One revision ran (or was skipped, rolled back, failed, interrupted).
    Revision {
        /// [`SCHEMA_VERSION`].
        schema_version: u32,
        /// `upgrade` or `downgrade`.
        command: &'static str,
        /// The revision id.
        revision: String,
        /// `upgrade` or `downgrade`.
        direction: &'static str,
        /// The revision(s) the database moved from (`[]`: base).
        from: Vec<String>,
        /// The revision(s) it moved to (`[]`: base).
        to: Vec<String>,
        /// The revision's message.
        message: String,
        /// Milliseconds from the revision's start to its commit (or to the failure).
        duration_ms: u64,
        /// `applied` (upgrade committed), `reverted` (downgrade committed), `skipped`
        /// (another process did it meanwhile), `rolled_back` (`--transaction-mode all`: its
        /// transaction was rolled back), `failed`, `interrupted` (Ctrl-C / SIGTERM: rolled
        /// back), `panicked`.
        outcome: &'static str,
    },
    /// The last line: how the run ended.
    Summary {
        /// [`SCHEMA_VERSION`].
        schema_version: u32,
        /// `upgrade`, `downgrade` or `stamp`.
        command: &'static str,
        /// `success`, `failed` or `interrupted`.
        outcome: &'static str,
        /// How many revisions were applied or reverted (committed).
        revisions: usize,
        /// Milliseconds of the whole run.
        duration_ms: u64,
        /// The database's current revisions at the end (`[]`: base); absent when they could
        /// not be read.
        #[serde(skip_serializing_if = "Option::is_none")]
        current: Option<Vec<String>>,
        /// `SIGINT` or `SIGTERM` when interrupted.
        #[serde(skip_serializing_if = "Option::is_none")]
        signal: Option<&'static str>,
        /// The error, one line, when failed.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}

/// `cargo migrate test --format json`: one object with the counts and one entry per check.
#[derive(Debug, Serialize)]
pub struct TestReport<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `"test"`.
    pub command: &'static str,
    /// Checks that passed.
    pub passed: usize,
    /// Checks that failed (the exit code is 1 when this is not 0).
    pub failed: usize,
    /// Checks not run or expected to fail (irreversible revisions, skipped checks).
    pub ignored: usize,
    /// Every check, in the order run.
    pub tests: Vec<TestCase<'a>>,
}

/// One check of [`TestReport`].
#[derive(Debug, Serialize)]
pub struct TestCase<'a> {
    /// `graph::single_head`, `upgrade::<id>`, `stairway::<id>`, `downgrade::base`.
    pub name: &'a str,
    /// `ok`, `failed`, `irreversible` or `skipped`.
    pub outcome: &'static str,
    /// Why it failed, was skipped or is irreversible; `null` when ok.
    pub message: Option<&'a str>,
    /// How long it took, in milliseconds.
    pub elapsed_ms: u64,
}

impl<'a> TestReport<'a> {
    /// The report of `results`.
    pub fn new(results: &'a [crate::test_suite::TestResult]) -> TestReport<'a> {
        let (passed, failed, ignored) = crate::test_suite::summary(results);
        TestReport {
            schema_version: SCHEMA_VERSION,
            command: "test",
            passed,
            failed,
            ignored,
            tests: results
                .iter()
                .map(|r| {
                    let (outcome, message) = crate::test_suite::outcome(&r.verdict);
                    TestCase {
                        name: &r.name,
                        outcome,
                        message,
                        elapsed_ms: r.elapsed_ms,
                    }
                })
                .collect(),
        }
    }
}

/// Prints `value` as one line of JSON on stdout (the JSON output of every command, and the
/// hook for `cargo migrate test`'s report).
pub fn print_json(value: &impl Serialize) {
    match serde_json::to_string(value) {
        Ok(s) => println!("{s}"),
        // our types always serialize; say so rather than print half a line
        Err(e) => eprintln!("error: cannot write JSON: {e}"),
    }
}

/// The JSON of `heads`, `history`, `branches`, `show` (one object, one line, with `\n`).
///
/// # Errors
/// [`Error::Plan`] when a revision or range cannot be resolved.
pub fn graph_command_json(
    graph: &Graph,
    command: &DbCommand,
    applied: Option<&BTreeSet<usize>>,
) -> Result<String, Error> {
    let deps = dependents(graph);
    let revs = selected(graph, command, applied, &deps)?;
    let name = match command {
        DbCommand::Heads { .. } => "heads",
        DbCommand::History { .. } => "history",
        DbCommand::Branches { .. } => "branches",
        DbCommand::Show { .. } => "show",
        DbCommand::Graph { .. } => "graph",
        _ => "",
    };
    let out = RevisionsOutput {
        schema_version: SCHEMA_VERSION,
        command: name,
        revisions: revs
            .into_iter()
            .map(|i| RevisionJson::new(graph, i, applied))
            .collect(),
    };
    Ok(serde_json::to_string(&out).expect("plain data serializes") + "\n")
}
