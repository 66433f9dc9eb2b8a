//! `cargo migrate merge`: write a revision whose parents are two or more heads.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use migrate_core::source::NewRevision;

use crate::Cli;
use crate::revision::{check_labels, choose_id, create_date, version_dir, write_revision};
use crate::sources::{self, Sources};
use crate::workspace::Project;

/// `merge` options (Alembic's names).
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The revisions to merge: `heads` (every head), or ids, unique id prefixes, branch labels.
    #[arg(required = true, value_name = "REV")]
    pub revisions: Vec<String>,
    /// The message: names the file and shows in `history`.
    #[arg(short, long, value_name = "MSG")]
    pub message: String,
    /// The revision id (default: 12 random hex characters).
    #[arg(long, value_name = "ID")]
    pub rev_id: Option<String>,
    /// A branch label for the merge revision.
    #[arg(long = "branch-label", value_name = "LABEL")]
    pub branch_labels: Vec<String>,
    /// The versions directory to write the file into, one of `versions-dir` (default: the
    /// only one; with several, the directory of the first revision merged).
    #[arg(long, value_name = "DIR")]
    pub version_path: Option<std::path::PathBuf>,
}

pub(crate) fn run(cli: &Cli, args: &MergeArgs) -> anyhow::Result<ExitCode> {
    let project = Project::locate(cli.manifest_path.as_deref(), cli.package.as_deref())?;
    let sources = Sources::of_project(&project)?;
    // the graph is lenient: merging unmerged heads is what `merge` is for
    let graph = sources.graph()?;
    let mut parents: Vec<String> = Vec::new();
    for spec in &args.revisions {
        for id in
            sources::resolve(&graph, spec).with_context(|| format!("cannot merge `{spec}`"))?
        {
            if !parents.contains(&id) {
                parents.push(id);
            }
        }
    }
    if parents.len() < 2 {
        bail!(
            "nothing to merge: {} names only {}; a merge joins two or more revisions",
            args.revisions.join(" "),
            match parents.as_slice() {
                [] => "no revision".to_owned(),
                [one] => format!("`{one}`"),
                _ => unreachable!(),
            }
        );
    }
    // a parent that is an ancestor of another parent adds nothing (Alembic refuses too)
    for p in &parents {
        for q in &parents {
            let (Some(pi), Some(qi)) = (graph.index_of(p), graph.index_of(q)) else {
                continue;
            };
            if p != q && graph.ancestors_mask(&[qi])[pi] {
                bail!(
                    "cannot merge `{p}` with its descendant `{q}`; merge revisions on different branches"
                );
            }
        }
    }
    let id = choose_id(
        &sources,
        args.rev_id.as_deref(),
        project.config()?.id_style.value,
    )?;
    check_labels(&sources, &args.branch_labels)?;
    let dir = version_dir(&project, &sources, args.version_path.as_deref(), &parents)?;
    let new = NewRevision {
        id,
        down_revisions: parents,
        message: args.message.clone(),
        create_date: create_date(),
        branch_labels: args.branch_labels.clone(),
        depends_on: Vec::new(),
        merge: true,
        bodies: None,
    };
    write_revision(&project, sources, &dir, &new)?;
    Ok(ExitCode::SUCCESS)
}
