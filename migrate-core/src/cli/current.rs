//! `current` without the compiled revisions: what `cargo migrate current` answers when the
//! migrations crate cannot be built because of a fork nobody merged yet (the compile-time
//! check refuses it, so there is no runner binary). Reading the version table needs only the
//! revision graph, as in Alembic, where `current` works whatever the heads.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use super::{DbArgs, current_line, log_entry, note, resolve_database_url_with};
use crate::db::{Backend, Db, redact_url};
use crate::graph::Graph;
use crate::version_table::{self, RowState};
use crate::{Error, plan};

/// Prints the database's current revision(s) on stdout as `current` does (`verbose`: each
/// one's entry; `check_heads`: exit 1 unless every head is current), reading the version
/// table against `graph` (any graph, the lenient one included) instead of compiled
/// revisions. The database URL and table come from `args` as for every database command
/// (the default SQLite file in `project_dir`); the connection only reads.
///
/// Returns the exit code: 1 when a row is `pending` (a revision interrupted outside a
/// transaction: partly applied, said on stderr) or, with `check_heads`, when the database is
/// not at the heads.
///
/// # Errors
/// [`Error::InvalidVersionTableName`], the URL's errors ([`super::resolve_database_url`],
/// [`Backend::from_url`]), [`Error::Connect`], the version table's read errors, and
/// [`Error::UnknownAppliedRevision`] when a row names a revision the graph lacks.
pub fn current_from_graph(
    graph: &Graph,
    args: &DbArgs,
    project_dir: &std::path::Path,
    verbose: bool,
    check_heads: bool,
) -> Result<ExitCode, Error> {
    let args = &args.with_settings(&crate::Settings::default());
    let table = args.version_table.clone().unwrap_or_default();
    if let Err(reason) = version_table::validate_table_name(&table) {
        return Err(Error::InvalidVersionTableName {
            name: table,
            reason,
        });
    }
    let (url, how) = resolve_database_url_with(
        args.database_url.as_deref(),
        Some(project_dir),
        args.database_url_env.as_deref().unwrap_or_default(),
    )?;
    Backend::from_url(&url)?;
    note(&how);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Database {
            context: "cannot start the async runtime".into(),
            source: sqlx::Error::Io(e),
        })?;
    let rows = rt.block_on(async {
        let timeout = Duration::from_secs(args.lock_timeout.max(1));
        let mut db = Db::connect_with_timeout(&url, timeout).await?;
        let rows = version_table::read(&mut db, &table).await;
        db.close().await;
        rows
    })?;
    let mut applied = BTreeSet::new();
    let mut pending = Vec::new();
    for row in &rows {
        let i = graph
            .index_of(&row.revision)
            .ok_or_else(|| Error::UnknownAppliedRevision(row.revision.clone()))?;
        applied.insert(i);
        if row.state == RowState::Pending {
            pending.push(row.revision.as_str());
        }
    }
    let heads = plan::current_heads(graph, &applied);
    let mut out = String::new();
    if args.format == super::Format::Json {
        let value = super::json::CurrentOutput {
            schema_version: super::json::SCHEMA_VERSION,
            command: "current",
            current: heads
                .iter()
                .map(|&h| super::json::RevisionJson::new(graph, h, Some(&applied)))
                .collect(),
            pending: pending.clone(),
            at_heads: graph.heads() == heads,
        };
        super::json::print_json(&value);
    } else if verbose {
        let _ = writeln!(out, "Current revision(s) for {}:", redact_url(&url));
    }
    for &h in heads.iter().filter(|_| args.format != super::Format::Json) {
        if verbose {
            log_entry(graph, h, &mut out);
        } else {
            let _ = writeln!(out, "{}", current_line(graph, h));
        }
    }
    print!("{out}");
    if !pending.is_empty() {
        eprintln!(
            "error: revision(s) {} are pending: interrupted outside a transaction, so they may \
             be partly applied; inspect the schema, then record the true state with `cargo \
             migrate stamp`",
            pending.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    if check_heads && graph.heads() != heads {
        eprintln!(
            "error: the database is not at the head revision(s); run `cargo migrate upgrade heads`"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
