//! Fleet runs on the command line: resolves the targets from the options, runs
//! [`crate::fleet::run`] and renders its outcomes (a progress line per target on stderr; a
//! summary table, a `current` matrix or JSON lines on stdout; failures named at the end).

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use super::{DbArgs, DbCommand, resolve_database_url, status_line};
use crate::db::{ConnectOptions, redact_url};
use crate::fleet::{self, FleetCommand, FleetError, FleetOptions, Outcome, Status, Target};
use crate::runner::Options;
use crate::{Error, Migrations};

fn bad(e: FleetError) -> Error {
    Error::Config {
        origin: "the fleet options".into(),
        reason: e.to_string(),
    }
}

fn read(path: &std::path::Path, what: &str) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Config {
        origin: format!("{what} `{}`", path.display()),
        reason: format!("cannot read it: {e}"),
    })
}

/// The targets the fleet options name.
async fn targets(args: &DbArgs, connect: &ConnectOptions) -> Result<Vec<Target>, Error> {
    let f = &args.fleet;
    let sources = [
        f.targets.is_some(),
        f.target_template.is_some(),
        !f.schemas.is_empty(),
    ]
    .iter()
    .filter(|&&b| b)
    .count();
    if sources > 1 {
        return Err(bad(FleetError::Empty(
            "give one of --targets, --target-template, --schemas".into(),
        )));
    }
    if let Some(path) = &f.targets {
        return fleet::targets_from_lines(&read(path, "the targets file")?).map_err(bad);
    }
    let catalog = || async {
        let (url, _) = resolve_database_url(args.database_url.as_deref())?;
        let sql = f.targets_query.as_deref().unwrap_or_default();
        fleet::query_catalog(
            &url,
            &connect
                .clone()
                .create_sqlite_file(false, "the targets query"),
            sql,
        )
        .await
    };
    if let Some(template) = &f.target_template {
        let names = if let Some(path) = &f.names_file {
            let text = read(path, "the names file")?;
            fleet::parse_names(text.lines().chain(f.names.iter().map(String::as_str)))
        } else if f.targets_query.is_some() {
            let rows = catalog().await?;
            fleet::parse_names(rows.iter().map(String::as_str))
        } else {
            fleet::parse_names(f.names.iter().map(String::as_str))
        }
        .map_err(bad)?;
        return fleet::targets_from_template(template, &names).map_err(bad);
    }
    if !f.schemas.is_empty() {
        let (url, _) = resolve_database_url(args.database_url.as_deref())?;
        let names = fleet::parse_names(f.schemas.iter().map(String::as_str)).map_err(bad)?;
        return fleet::targets_from_schemas(&url, &names).map_err(bad);
    }
    // --targets-query alone: its rows are URLs
    let rows = catalog().await?;
    fleet::targets_from_lines(&rows.join("\n")).map_err(bad)
}

fn arrow(o: &Outcome) -> String {
    let side = |v: &Option<Vec<String>>| match v {
        None => "?".to_owned(),
        Some(v) if v.is_empty() => "<base>".to_owned(),
        Some(v) => v.join(","),
    };
    format!("{} -> {}", side(&o.from), side(&o.to))
}

/// Runs a fleet command: the caller checked `args.fleet.is_fleet()`.
///
/// # Errors
/// [`Error::Config`] for bad fleet options or a command that is not a fleet command; the
/// catalog query's errors. A failing target is not an error: it is reported, and the exit
/// code is 1.
pub(super) async fn run(
    migrations: &'static Migrations,
    args: &DbArgs,
    command: &DbCommand,
    options: &Options,
) -> Result<ExitCode, Error> {
    let command = match command {
        DbCommand::Upgrade { revision, sql } if !sql.sql => FleetCommand::Upgrade(revision.clone()),
        DbCommand::Downgrade { revision, sql } if !sql.sql => {
            FleetCommand::Downgrade(revision.clone())
        }
        DbCommand::Current { .. } => FleetCommand::Current,
        DbCommand::Check => FleetCommand::Check,
        DbCommand::Stamp {
            revisions,
            purge,
            sql,
        } if !sql.sql => FleetCommand::Stamp(revisions.clone(), *purge),
        _ => {
            return Err(Error::Config {
                origin: "the fleet options".into(),
                reason: "fleet runs take upgrade, downgrade, current, check and stamp (not \
                         --sql, which renders a script without a database)"
                    .into(),
            });
        }
    };
    if let FleetCommand::Upgrade(t) | FleetCommand::Downgrade(t) = &command {
        crate::runner::refuse_range_online(t)?;
    }
    let connect = ConnectOptions::default()
        .connect_timeout(Duration::from_secs(args.connect_timeout.max(1)))
        .busy_timeout(Duration::from_secs(args.lock_timeout.max(1)));
    let targets = targets(args, &connect).await?;
    let f = &args.fleet;
    // `--format json` is the same as `--jsonl` here: one JSON object per target
    let jsonl = f.jsonl || args.format == super::Format::Json;
    let total = targets.len();
    status_line(
        "Fleet",
        &format!(
            "{total} target(s), {} at a time{}{}",
            f.jobs.max(1),
            if f.canary > 0 {
                format!(", the first {} as canaries", f.canary.min(total))
            } else {
                String::new()
            },
            if f.fail_fast { ", --fail-fast" } else { "" }
        ),
    );
    // on a terminal (and not -q): a bar of targets finished with the counts so far, and
    // only the lines of targets that changed or failed above it (a re-run of 1,000 targets
    // is then one bar, not 1,000 `Unchanged` lines); piped, every target's line as before
    let mut progress = super::output::Progress::new(!args.quiet);
    progress.plan(
        match command {
            FleetCommand::Upgrade(_) => "Upgrading",
            FleetCommand::Downgrade(_) => "Downgrading",
            FleetCommand::Current => "Reading",
            FleetCommand::Check => "Checking",
            FleetCommand::Stamp(..) => "Stamping",
        },
        total,
    );
    progress.show();
    let terminal = progress.on_terminal();
    let mut seen = 0usize;
    let mut counts = [0usize; 4];
    let mut on_outcome = |o: &Outcome| {
        seen += 1;
        counts[match o.status {
            Status::Done => 0,
            Status::Unchanged => 1,
            Status::Failed => 2,
            Status::Skipped => 3,
        }] += 1;
        let verb = match o.status {
            Status::Done => "Done",
            Status::Unchanged => "Unchanged",
            Status::Failed => "Failed",
            Status::Skipped => "Skipped",
        };
        let tail = match &o.error {
            Some(e) => format!(": {e}"),
            None => String::new(),
        };
        progress.suspend(|| {
            if !terminal || o.status != Status::Unchanged {
                eprintln!(
                    "{verb:>12} [{seen}/{total}] {} {} ({} ms){tail}",
                    o.target,
                    arrow(o),
                    o.duration_ms
                );
            }
            if jsonl {
                super::json::print_json(&FleetTargetJson::new(o));
            }
        });
        let [done, unchanged, failed, skipped] = counts;
        progress.advance(format!(
            "{done} done, {unchanged} unchanged, {failed} failed{}",
            if skipped > 0 {
                format!(", {skipped} skipped")
            } else {
                String::new()
            }
        ));
    };
    // blocking: the fleet runs on its own threads, each with its own runtime; nothing else
    // runs on this one meanwhile
    let report = fleet::run(
        migrations,
        options,
        &targets,
        &command,
        &FleetOptions {
            jobs: f.jobs.max(1),
            fail_fast: f.fail_fast,
            canary: f.canary,
            connect,
        },
        &mut on_outcome,
    );
    progress.finish();
    if !jsonl {
        let mut out = String::new();
        if command == FleetCommand::Current {
            let _ = writeln!(out, "{:<8} {:<24} TARGETS", "COUNT", "CURRENT");
            for (current, group) in report.matrix() {
                let names: Vec<&str> = group.iter().map(|o| o.target.as_str()).collect();
                let _ = writeln!(out, "{:<8} {current:<24} {}", group.len(), names.join(" "));
            }
        } else {
            let _ = writeln!(
                out,
                "{:<9} {:>8}  {:<40} TARGET",
                "OUTCOME", "MS", "FROM -> TO"
            );
            for o in &report.outcomes {
                let _ = writeln!(
                    out,
                    "{:<9} {:>8}  {:<40} {}",
                    o.status.name(),
                    o.duration_ms,
                    arrow(o),
                    o.target
                );
            }
        }
        print!("{out}");
    }
    status_line(
        "Finished",
        &format!(
            "{total} target(s) in {}: {} done, {} unchanged, {} failed, {} skipped",
            fleet::seconds(report.duration_ms),
            report.count(Status::Done),
            report.count(Status::Unchanged),
            report.count(Status::Failed),
            report.count(Status::Skipped),
        ),
    );
    for o in report
        .outcomes
        .iter()
        .filter(|o| o.status == Status::Failed)
    {
        eprintln!(
            "error: {}: {}",
            o.target,
            redact_url(o.error.as_deref().unwrap_or_default())
        );
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One target of a fleet run in `--format json` / `--jsonl`: one object a line (docs/json.md).
#[derive(serde::Serialize)]
struct FleetTargetJson<'a> {
    schema_version: u32,
    /// The target, password redacted.
    target: &'a str,
    /// Current revisions before (`[]`: base; `null`: unknown).
    from: Option<&'a [String]>,
    /// Current revisions after (`null`: unknown).
    to: Option<&'a [String]>,
    /// Wall time of this target, connection included, in milliseconds.
    duration_ms: u64,
    /// How it ended.
    outcome: &'static str,
    /// The error, one line, password redacted.
    error: Option<&'a str>,
}

impl<'a> FleetTargetJson<'a> {
    fn new(o: &'a crate::fleet::Outcome) -> Self {
        FleetTargetJson {
            schema_version: super::json::SCHEMA_VERSION,
            target: &o.target,
            from: o.from.as_deref(),
            to: o.to.as_deref(),
            duration_ms: o.duration_ms,
            outcome: o.status.name(),
            error: o.error.as_deref(),
        }
    }
}
