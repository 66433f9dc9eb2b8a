//! The database and graph commands (`migrate_core::cli::DbCommand`).
//!
//! Graph commands (`heads`, `branches`, `show`, `history` without `-i`) are answered from the
//! revision files, without compiling anything. The others are forwarded to the migrations
//! crate's runner binary: built with `$CARGO build`, then run with the parsed command written
//! back as arguments (`forward`), its exit code becoming ours.

use std::ffi::OsString;
use std::io::{BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context as _, bail};
use cargo_metadata::{Message, Package};
use migrate_core::cli::{DbCommand, render_graph_command_with};
use migrate_core::graph::RevisionInfo;

use crate::Cli;
use crate::forward::runner_args;
use crate::sources::Sources;
use crate::workspace::{Project, runner_bin};

/// The environment variable telling the runner where the project (workspace root) is: the
/// default SQLite database lives there.
pub const PROJECT_DIR_ENV: &str = "CARGO_MIGRATE_PROJECT_DIR";

pub(crate) fn run(cli: &Cli, cmd: &DbCommand) -> anyhow::Result<ExitCode> {
    // the runner reads the URL; should one reach a message of ours, it shows no password
    if let Some(u) = &cli.db.database_url {
        migrate_core::remember_url_secrets(u);
    }
    if let Some(u) = std::env::var_os("DATABASE_URL") {
        migrate_core::remember_url_secrets(&u.to_string_lossy());
    }
    // `graph --database-url URL` marks the current revisions: the runner answers it
    let cmd = &cmd.with_db_args(&cli.db)?;
    if cmd.graph_only() {
        let project = Project::locate(cli.manifest_path.as_deref(), cli.package.as_deref())?;
        return graph_command(&project, cmd, cli.db.format);
    }
    if let DbCommand::Current {
        verbose,
        check_heads,
    } = cmd
        && let Some(code) = current_of_unmerged(cli, *verbose, *check_heads)?
    {
        return Ok(code);
    }
    // nothing the runner is built from changed since it was last built: no `cargo build`
    if !matches!(cmd, DbCommand::Lint { .. })
        && let Some((project, exe)) = fresh_runner(cli)
    {
        return run_runner(&project, &exe, &runner_args(&cli.db, cmd));
    }
    let (project, package) =
        Project::locate_package(cli.manifest_path.as_deref(), cli.package.as_deref())?;
    // `lint`: the project-wide settings of `[package.metadata.migrate.lint]`
    let cmd = &match cmd {
        DbCommand::Lint { .. } => {
            let config = crate::lint_config::read(&package.metadata)
                .with_context(|| format!("in {}", package.manifest_path))?;
            crate::lint_config::apply(cmd, config)
        }
        other => other.clone(),
    };
    let started = std::time::SystemTime::now();
    let exe = build_runner(&project, &package)?;
    if let Some(query) = crate::cache::runner::Query::new(&project) {
        query.write(&project, &exe, started);
    }
    run_runner(&project, &exe, &runner_args(&cli.db, cmd))
}

/// The project and its runner executable when the runner stamp (`crate::cache::runner`) says
/// the runner is up to date; `None` (then `cargo build` decides) on any doubt, including a
/// project that cannot be located (the build path reports that).
fn fresh_runner(cli: &Cli) -> Option<(Project, PathBuf)> {
    let project = Project::locate(cli.manifest_path.as_deref(), cli.package.as_deref()).ok()?;
    let exe = crate::cache::runner::Query::new(&project)?.fresh()?;
    if crate::cache::stats_wanted() {
        eprintln!("cache: runner up to date (runner stamp), `cargo build` skipped");
    }
    Some((project, exe))
}

/// Answers a graph command from the revision files, on the lenient graph (a fork nobody
/// merged yet is shown with every head, as Alembic does, and a warning says to merge).
fn graph_command(
    project: &Project,
    cmd: &DbCommand,
    format: migrate_core::cli::Format,
) -> anyhow::Result<ExitCode> {
    let sources = Sources::of_project(project)?;
    let (graph, _) = sources.into_graph()?;
    let mut out = String::new();
    if format == migrate_core::cli::Format::Json {
        out = migrate_core::cli::json::graph_command_json(&graph, cmd, None)?;
    } else {
        let docstring = |r: &RevisionInfo| crate::sources::docstring(&project.crate_dir, &r.file);
        render_graph_command_with(&graph, cmd, None, &docstring, &mut out)?;
    }
    // freeing every revision one by one costs milliseconds on a large history; the process
    // is about to exit and gives the memory back anyway
    std::mem::forget(graph);
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        // `cargo migrate history | head`: the reader has what it wanted
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to stdout")
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// `current` when the revision files have unmerged heads: the migrations crate does not
/// compile then (no runner binary), so the version table is read against the lenient graph
/// (`migrate_core::cli::current_from_graph`), with a warning to merge. `None` when there is
/// one head per branch (the runner answers).
fn current_of_unmerged(
    cli: &Cli,
    verbose: bool,
    check_heads: bool,
) -> anyhow::Result<Option<ExitCode>> {
    let project = Project::locate(cli.manifest_path.as_deref(), cli.package.as_deref())?;
    let sources = Sources::of_project(&project)?;
    if sources.heads().len() < 2 {
        return Ok(None);
    }
    let (graph, unmerged) = sources.into_graph()?;
    if !unmerged {
        return Ok(None); // labeled branches: a valid graph
    }
    // the configured version table and URL variable, as the runner has them baked in
    let config = project.config()?;
    let mut args = cli.db.clone();
    args.version_table
        .get_or_insert_with(|| config.qualified_version_table());
    args.database_url_env
        .get_or_insert_with(|| config.database_url_env.value.clone());
    // the default SQLite database is in the workspace root, as for the runner
    Ok(Some(migrate_core::cli::current_from_graph(
        &graph,
        &args,
        &project.workspace_root,
        verbose,
        check_heads,
    )?))
}

/// `$CARGO build` of the runner binary; compiler errors go to the terminal. Returns the
/// executable.
pub(crate) fn build_runner(project: &Project, package: &Package) -> anyhow::Result<PathBuf> {
    let bin = runner_bin(package)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    // `-q`: cargo's progress is hidden too (its errors still show)
    let show_progress =
        cargo_progress_visible() && !crate::QUIET.load(std::sync::atomic::Ordering::Relaxed);
    let started = std::time::Instant::now();
    let mut child = Command::new(&cargo)
        .args(["build", "--message-format=json-render-diagnostics"])
        .args((!show_progress).then_some("--quiet"))
        .arg("--manifest-path")
        .arg(&project.manifest_path)
        .args(["-p", project.name(), "--bin", bin])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot run `{}`", cargo.to_string_lossy()))?;
    let stdout = child
        .stdout
        .take()
        .context("cannot read the output of `cargo build`")?;
    let mut exe = None;
    let mut announced = false;
    for message in Message::parse_stream(BufReader::new(stdout)) {
        let message = message.context("cannot read the output of `cargo build`")?;
        if let Message::CompilerArtifact(a) = &message
            && !a.fresh
            && !announced
        {
            // cargo's progress is on the terminal, or `--quiet` hides it: then say once that
            // something is being compiled
            if !show_progress {
                crate::status(
                    "Building",
                    format_args!("migrations crate `{}`", project.name()),
                );
            }
            announced = true;
        }
        match message {
            Message::CompilerArtifact(a) if a.package_id == package.id && a.target.name == bin => {
                if let Some(e) = a.executable {
                    exe = Some(e.into_std_path_buf());
                }
            }
            Message::TextLine(line) => eprintln!("{line}"),
            _ => {}
        }
    }
    let status = child.wait().context("cannot wait for `cargo build`")?;
    if !status.success() {
        bail!(
            "could not build the migrations crate `{}` (the compiler's errors are above)",
            project.name()
        );
    }
    if announced && !show_progress {
        // on a terminal cargo's own `Finished` line gives the time
        crate::status(
            "Finished",
            format_args!(
                "building migrations crate `{}` in {:.1} s",
                project.name(),
                started.elapsed().as_secs_f64()
            ),
        );
    }
    exe.with_context(|| {
        format!(
            "`cargo build` did not report the executable of `{}`'s binary `{bin}`",
            project.name()
        )
    })
}

/// Whether `cargo build` of the runner shows its own progress (`Compiling …` lines, the
/// progress bar, `Finished … in 12.3s`): when our stderr, which it inherits, is a terminal.
/// Piped (CI logs, tests) it runs with `--quiet`, and we print one `Building` line before
/// and one `Finished … in N s` line after a build that compiled something.
fn cargo_progress_visible() -> bool {
    use std::io::IsTerminal as _;
    std::io::stderr().is_terminal()
}

/// Runs the runner with `args` in the current directory; on unix the process becomes the
/// runner (its exit code is ours), elsewhere we wait for it and pass its exit code on.
fn run_runner(
    project: &Project,
    exe: &std::path::Path,
    args: &[OsString],
) -> anyhow::Result<ExitCode> {
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .env(PROJECT_DIR_ENV, &project.workspace_root)
        // named by the runner's error for a backend compiled out of migrate-core
        .env("CARGO_MIGRATE_MANIFEST", &project.manifest_path);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        let err = cmd.exec();
        Err(err).with_context(|| format!("cannot run `{}`", exe.display()))
    }
    #[cfg(not(unix))]
    {
        let status = cmd
            .status()
            .with_context(|| format!("cannot run `{}`", exe.display()))?;
        Ok(match status.code() {
            Some(0) => ExitCode::SUCCESS,
            Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
            None => ExitCode::FAILURE,
        })
    }
}
