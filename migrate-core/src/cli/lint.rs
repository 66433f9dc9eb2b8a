//! `lint [RANGE]`: renders each revision's `upgrade` offline (no database) for each dialect
//! and runs [`crate::lint::lint`] over the statements; prints the findings (human or JSON)
//! and fails when one is not allowed.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::ExitCode;

use super::{DbArgs, Dialect};
use crate::Error;
use crate::db::{Backend, Db, redact_url};
use crate::lint::{Allow, Finding, RevisionSql};
use crate::runner::Runner;

/// The reason given to rules allowed with `--allow` (or `[package.metadata.migrate.lint]
/// allow`, which `cargo migrate` forwards as `--allow`).
pub const PROJECT_REASON: &str = "allowed project-wide";

/// The dialects to lint: `explicit` when given; else the dialect of the database URL when
/// one is configured (`--database-url`, `DATABASE_URL`, `.env`); else all three.
///
/// # Errors
/// As [`super::resolve_database_url`] for a configured URL that is unreadable or has an
/// unknown scheme.
pub fn lint_dialects(explicit: &[Dialect], args: &DbArgs) -> Result<Vec<Backend>, Error> {
    let mut out: Vec<Backend> = Vec::new();
    for d in explicit {
        let b = Backend::from(*d);
        if !out.contains(&b) {
            out.push(b);
        }
    }
    if !out.is_empty() {
        return Ok(out);
    }
    super::load_dotenv()?;
    let configured = args.database_url.clone().or_else(|| {
        std::env::var("DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
    });
    Ok(match configured {
        Some(url) => {
            crate::db::remember_url_secrets(&url);
            vec![Backend::from_url(&url)?]
        }
        None => vec![Backend::Postgres, Backend::MySql, Backend::Sqlite],
    })
}

/// The revisions `range` names (every revision without one), oldest first: a range `A:B`
/// as `history -r` reads it, or one revision spec.
fn revisions_in(runner: &Runner<'_>, range: Option<&str>) -> Result<Vec<usize>, Error> {
    let graph = runner.graph();
    let Some(range) = range else {
        return Ok((0..graph.len()).collect());
    };
    let spec = if range.contains(':') {
        range.to_owned()
    } else {
        format!("{range}:{range}")
    };
    let mut revs = crate::spec::history_range(graph, &BTreeSet::new(), &spec)?;
    // graph indexes are in topological order, oldest first
    revs.sort_unstable();
    Ok(revs)
}

/// Runs `lint`. Returns exit code 1 when a finding is not allowed or a revision cannot be
/// rendered for a dialect (other than because it reads from the database, which is only
/// reported), 0 otherwise.
///
/// # Errors
/// [`Error::Plan`] for a range that does not resolve; [`Error::Config`] for an `--allow`
/// rule that does not exist; as [`lint_dialects`].
pub(super) async fn run_lint(
    runner: &Runner<'_>,
    args: &DbArgs,
    range: Option<&str>,
    dialects: &[Dialect],
    allow: &[String],
    format: super::Format,
) -> Result<ExitCode, Error> {
    for rule in allow {
        if !crate::lint::rules::is_known_rule(rule) {
            return Err(Error::Config {
                origin: format!("--allow {rule}"),
                reason: format!(
                    "unknown lint rule `{rule}`: not one of squawk's rule names nor \
                     cargo-migrate's own ({})",
                    crate::lint::rules::OWN_RULES.join(", ")
                ),
            });
        }
    }
    let project: Vec<Allow> = allow
        .iter()
        .map(|r| Allow {
            rule: r.clone(),
            reason: PROJECT_REASON.to_owned(),
        })
        .collect();
    let backends = lint_dialects(dialects, args)?;
    let revs = revisions_in(runner, range)?;
    let started = std::time::Instant::now();
    let mut findings: Vec<Finding> = Vec::new();
    // (revision, dialect, message, fails)
    let mut not_rendered: Vec<(String, Backend, String, bool)> = Vec::new();
    // the ancestors of a range that are not in it, oldest first: replayed before it, unlinted
    // (`revs` is sorted)
    let before: Vec<usize> = runner
        .graph()
        .ancestors_mask(&revs)
        .iter()
        .enumerate()
        .filter_map(|(i, &a)| (a && revs.binary_search(&i).is_err()).then_some(i))
        .collect();
    for &backend in &backends {
        let mut rendered: Vec<(usize, Vec<String>, Vec<Allow>)> = Vec::with_capacity(revs.len());
        // one offline `Db` for the whole history, as `upgrade --sql` runs it: on SQLite its
        // shadow database holds the tables earlier revisions made, which batch mode reads
        let mut db = Db::offline(backend);
        for &i in &before {
            let _ = (runner.revision(i).upgrade)(&mut db).await;
            db.take_script();
        }
        for &i in &revs {
            let rev = runner.revision(i);
            match (rev.upgrade)(&mut db).await {
                Ok(()) => {}
                Err(e) => {
                    db.take_script();
                    // outside the runner the error does not know its revision: name it
                    let (reads, msg) = match e.downcast_ref::<Error>() {
                        Some(Error::OfflineRead { operation, .. }) => (
                            true,
                            Error::OfflineRead {
                                revision: rev.id.to_owned(),
                                operation,
                            }
                            .to_string(),
                        ),
                        _ => (false, e.to_string()),
                    };
                    not_rendered.push((rev.id.to_owned(), backend, redact_url(&msg), !reads));
                    continue;
                }
            }
            let allow = rev
                .allow_lint
                .iter()
                .map(|a| Allow {
                    rule: a.rule.to_owned(),
                    reason: a.reason.to_owned(),
                })
                .collect();
            rendered.push((i, db.take_script(), allow));
        }
        let input: Vec<RevisionSql<'_>> = rendered
            .iter()
            .map(|(i, statements, allow)| {
                let rev = runner.revision(*i);
                RevisionSql {
                    id: rev.id,
                    file: rev.file,
                    statements,
                    transactional: rev.transactional,
                    allow,
                }
            })
            .collect();
        findings.extend(crate::lint::lint(&input, backend, &project));
    }
    let elapsed = started.elapsed();
    let failing = findings.iter().filter(|f| f.allowed.is_none()).count();
    let unrenderable = not_rendered.iter().filter(|n| n.3).count();
    let names: Vec<&str> = backends.iter().map(|b| b.name()).collect();
    match format {
        // one JSON document on stdout: {"dialects", "revisions", "findings", "not_rendered"}
        super::Format::Json => {
            let doc = serde_json::json!({
                "schema_version": super::json::SCHEMA_VERSION,
                "command": "lint",
                "dialects": names,
                "revisions": revs.len(),
                "findings": findings.iter().map(|f| serde_json::json!({
                    "revision": f.revision,
                    "file": f.file,
                    "dialect": f.dialect.name(),
                    "rule": f.rule,
                    "message": f.message,
                    "help": f.help,
                    "statement": f.statement,
                    "allowed": f.allowed.is_some(),
                    "reason": f.allowed,
                })).collect::<Vec<_>>(),
                "not_rendered": not_rendered.iter().map(|(id, b, msg, fails)| serde_json::json!({
                    "revision": id,
                    "dialect": b.name(),
                    "error": msg,
                    "fails": fails,
                })).collect::<Vec<_>>(),
            });
            println!("{doc}");
        }
        // one block per finding (rule, message, the statement, help), a summary on stderr
        _ => {
            let mut out = String::new();
            for f in &findings {
                render_finding(f, &mut out);
            }
            print!("{out}");
            for (id, b, msg, fails) in &not_rendered {
                let level = if *fails { "error" } else { "warning" };
                eprintln!("{level}: revision {id} not linted for {}: {msg}", b.name());
            }
            let allowed = findings.len() - failing;
            eprintln!(
                "{:>12} {} revision(s) for {} in {} ms: {} finding(s), {} allowed",
                "Linted",
                revs.len(),
                names.join(", "),
                elapsed.as_millis(),
                findings.len(),
                allowed
            );
            if failing > 0 {
                eprintln!(
                    "error: {failing} finding(s) not allowed; change the revision, or allow the \
                     rule on it: #[migration(..., allow_lint(\"RULE\", reason = \"why it is safe \
                     here\"))]"
                );
            }
        }
    }
    Ok(if failing > 0 || unrenderable > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// One finding in the human format:
///
/// ```text
/// error[require-concurrent-index-creation]: During normal index creation, …
///   --> src/versions/3f2a9c1b7e4d.rs (revision 3f2a9c1b7e4d, postgres)
///    | CREATE INDEX users_email ON users (email)
///    = help: Use `concurrently` to avoid blocking writes.
/// ```
fn render_finding(f: &Finding, out: &mut String) {
    let level = if f.allowed.is_some() {
        "allowed"
    } else {
        "error"
    };
    let _ = writeln!(out, "{level}[{}]: {}", f.rule, f.message);
    let _ = writeln!(
        out,
        "  --> {} (revision {}, {})",
        f.file,
        f.revision,
        f.dialect.name()
    );
    if !f.statement.is_empty() {
        let _ = writeln!(out, "   | {}", f.statement);
    }
    if let Some(h) = &f.help {
        let _ = writeln!(out, "   = help: {h}");
    }
    if let Some(r) = &f.allowed {
        let _ = writeln!(out, "   = allowed: {r}");
    }
    out.push('\n');
}
