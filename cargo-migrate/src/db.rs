//! The database and graph commands (`migrate_core::cli::DbCommand`).
//!
//! Graph commands (`heads`, `branches`, `show`, `history` without `-i`) are answered from the
//! revision files, without compiling anything. The others are forwarded to the migrations
//! crate's runner binary: built with `$CARGO build`, then run with `cargo migrate`'s
//! arguments minus its own options, its exit code becoming ours.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::io::{BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context as _, bail};
use cargo_metadata::{Message, Package};
use migrate_core::cli::{DbCommand, render_graph_command};
use migrate_core::graph::{Graph, RevisionInfo};

use crate::Cli;
use crate::forward::runner_args;
use crate::sources::{Sources, only_unmerged_heads};
use crate::workspace::{Project, runner_bin};

/// The environment variable telling the runner where the project (workspace root) is: the
/// default SQLite database lives there.
pub const PROJECT_DIR_ENV: &str = "CARGO_MIGRATE_PROJECT_DIR";

pub(crate) fn run(cli: &Cli, cmd: &DbCommand, args: &[OsString]) -> anyhow::Result<ExitCode> {
    // the runner reads the URL; should one reach a message of ours, it shows no password
    if let Some(u) = &cli.db.database_url {
        migrate_core::remember_url_secrets(u);
    }
    if let Some(u) = std::env::var_os("DATABASE_URL") {
        migrate_core::remember_url_secrets(&u.to_string_lossy());
    }
    if cmd.graph_only() {
        let project = Project::locate(cli.manifest_path.as_deref(), cli.package.as_deref())?;
        return graph_command(&project, cmd);
    }
    let (project, package) =
        Project::locate_package(cli.manifest_path.as_deref(), cli.package.as_deref())?;
    let exe = build_runner(&project, &package)?;
    run_runner(&project, &exe, &runner_args(args))
}

/// Answers a graph command from the revision files.
fn graph_command(project: &Project, cmd: &DbCommand) -> anyhow::Result<ExitCode> {
    let mut sources = Sources::load(
        &project.crate_dir,
        &project.versions_dir(),
        Some(&project.header_cache()),
    )?;
    // after a fork nobody merged yet, `heads` is what you want to see: keep the revisions for
    // that answer (a copy only when there are several heads)
    let keep = matches!(cmd, DbCommand::Heads { .. }) && sources.heads().len() > 1;
    let revisions = if keep {
        sources.revisions.clone()
    } else {
        std::mem::take(&mut sources.revisions)
    };
    let mut out = String::new();
    match Graph::new(revisions) {
        Ok(graph) => {
            render_graph_command(&graph, cmd, None, &mut out)?;
            // freeing every revision one by one costs milliseconds on a large history; the
            // process is about to exit and gives the memory back anyway
            std::mem::forget(graph);
        }
        Err(errors) => {
            if keep && only_unmerged_heads(&errors.0) {
                out = heads_of_unmerged(&sources, cmd).ok_or(errors)?;
                crate::warning(
                    "several heads: the migrations crate will not compile until they are \
                     merged (`cargo migrate merge heads -m \"merge\"`)",
                );
            } else {
                return Err(errors).context("the revision graph is invalid");
            }
        }
    }
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        // `cargo migrate history | head`: the reader has what it wanted
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to stdout")
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// `heads` for a graph whose only problem is several heads: each head rendered within its
/// own ancestry (a valid graph with one head), so the output is what `heads` prints once the
/// fork is labeled.
fn heads_of_unmerged(sources: &Sources, cmd: &DbCommand) -> Option<String> {
    let by_id: HashMap<&str, &RevisionInfo> = sources
        .revisions
        .iter()
        .map(|r| (r.id.as_str(), r))
        .collect();
    let mut out = String::new();
    for head in sources.heads() {
        let mut seen = BTreeSet::new();
        let mut stack = vec![head];
        let mut sub = Vec::new();
        while let Some(id) = stack.pop() {
            if seen.insert(id) {
                let r = by_id.get(id)?;
                stack.extend(
                    r.down_revisions
                        .iter()
                        .chain(&r.depends_on)
                        .map(String::as_str),
                );
                sub.push((*r).clone());
            }
        }
        let graph = Graph::new(sub).ok()?;
        if graph.heads() != [graph.index_of(head)?] {
            return None; // a depends_on pulled in another leaf
        }
        render_graph_command(&graph, cmd, None, &mut out).ok()?;
    }
    Some(out)
}

/// `$CARGO build` of the runner binary; compiler errors go to the terminal. Returns the
/// executable.
fn build_runner(project: &Project, package: &Package) -> anyhow::Result<PathBuf> {
    let bin = runner_bin(package)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut child = Command::new(&cargo)
        .args([
            "build",
            "--quiet",
            "--message-format=json-render-diagnostics",
        ])
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
            // `--quiet` hides cargo's progress: say once that something is being compiled
            crate::status(
                "Building",
                format_args!("migrations crate `{}`", project.name()),
            );
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
    exe.with_context(|| {
        format!(
            "`cargo build` did not report the executable of `{}`'s binary `{bin}`",
            project.name()
        )
    })
}

/// Runs the runner with `args` in the current directory; on unix the process becomes the
/// runner (its exit code is ours), elsewhere we wait for it and pass its exit code on.
fn run_runner(
    project: &Project,
    exe: &std::path::Path,
    args: &[OsString],
) -> anyhow::Result<ExitCode> {
    let mut cmd = Command::new(exe);
    cmd.args(args).env(PROJECT_DIR_ENV, &project.workspace_root);
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
