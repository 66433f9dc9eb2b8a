//! The runner's side of autogenerate and of `check`'s model comparison: it has the compiled
//! models and revisions, so it computes ([`crate::schema::autogen`]) and prints; `cargo
//! migrate revision --autogenerate` writes the revision file from what it prints.

use std::process::ExitCode;

use serde::Serialize;

use super::json::{SCHEMA_VERSION, print_json};
use super::{DbArgs, status_line};
use crate::Migrations;
use crate::error::Error;
use crate::schema::autogen::{AutogenOptions, autogenerate, check_models, drift_line};
use crate::schema::ops::NoteKind;

/// `autogenerate --format json`: what `cargo migrate revision --autogenerate` reads.
#[derive(Debug, Serialize)]
pub struct AutogenerateOutput {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `autogenerate`.
    pub command: &'static str,
    /// The backend the operations were computed for (`sqlite`, `postgres`, `mysql`).
    pub backend: &'static str,
    /// Each rename, then each difference between the migrations (at head) and the models,
    /// in words ([`crate::schema::ops::Plan::detected`]); empty: nothing to do.
    pub differences: Vec<String>,
    /// What the reader must know: destructive operations, possible renames, what could not
    /// be expressed.
    pub notes: Vec<NoteOutput>,
    /// The statements of `upgrade`.
    pub upgrade: String,
    /// The statements of `downgrade`.
    pub downgrade: String,
}

/// One note of [`AutogenerateOutput`].
#[derive(Debug, Serialize)]
pub struct NoteOutput {
    /// `destructive`, `possible_rename` or `unsupported`.
    pub kind: &'static str,
    /// The note, in words.
    pub message: String,
}

fn options(args: &DbArgs, against_db: bool, shadow_url: Option<&str>) -> AutogenOptions {
    AutogenOptions {
        against_db,
        shadow_url: shadow_url.map(str::to_owned),
        version_table: args.version_table.clone(),
    }
}

/// `autogenerate`: prints [`AutogenerateOutput`] as JSON on stdout (whatever `--format`),
/// the differences as status lines on stderr.
///
/// # Errors
/// Those of [`autogenerate`]: no models registered, a shadow database that cannot be made,
/// a revision that fails to replay, a database error.
pub async fn run_autogenerate(
    migrations: &'static Migrations,
    args: &DbArgs,
    url: &str,
    against_db: bool,
    shadow_url: Option<&str>,
) -> Result<ExitCode, Error> {
    let backend = crate::Backend::from_url(url)?;
    let result = autogenerate(migrations, url, &options(args, against_db, shadow_url)).await?;
    for d in &result.plan.detected {
        status_line("Detected", d);
    }
    let value = AutogenerateOutput {
        schema_version: SCHEMA_VERSION,
        command: "autogenerate",
        backend: backend.name(),
        differences: result.plan.detected.clone(),
        notes: result
            .plan
            .notes
            .iter()
            .map(|n| NoteOutput {
                kind: match n.kind {
                    NoteKind::Destructive => "destructive",
                    NoteKind::PossibleRename => "possible_rename",
                    _ => "unsupported",
                },
                message: n.message.clone(),
            })
            .collect(),
        upgrade: result.upgrade,
        downgrade: result.downgrade,
    };
    print_json(&value);
    Ok(ExitCode::SUCCESS)
}

/// `check`'s model comparison: `None` when the crate declares no models, else the drift
/// lines (empty: the models and the migrations agree).
///
/// # Errors
/// Those of [`check_models`].
pub async fn model_drift(
    migrations: &'static Migrations,
    args: &DbArgs,
    url: &str,
) -> Result<Option<Vec<String>>, Error> {
    if migrations.models().is_none() {
        return Ok(None);
    }
    let differences = check_models(migrations, url, &options(args, false, None)).await?;
    Ok(Some(differences.iter().map(drift_line).collect()))
}
