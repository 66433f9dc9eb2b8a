//! Finds the migrations crate: the workspace member that depends on `migrate-macros`,
//! through `cargo metadata --no-deps` (never by reading manifests ourselves).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use cargo_metadata::{DependencyKind, Metadata, MetadataCommand, Package, TargetKind};

/// The dependency that marks a migrations crate.
const MARKER_DEPENDENCY: &str = "migrate-macros";

/// Where revision files live, relative to the migrations crate's root.
pub(crate) const VERSIONS_DIR: &str = "src/versions";

/// The migrations crate of a workspace.
#[derive(Debug)]
pub(crate) struct Project {
    /// The workspace root (where the default SQLite file lives).
    pub workspace_root: PathBuf,
    /// The migrations crate's package.
    pub package: Package,
    /// The directory of its Cargo.toml.
    pub crate_dir: PathBuf,
}

impl Project {
    /// `cargo metadata --no-deps` (through `$CARGO`), honouring `--manifest-path`, then picks
    /// the migrations crate (`-p` when there are several).
    pub fn locate(manifest_path: Option<&Path>, package: Option<&str>) -> anyhow::Result<Project> {
        let metadata = metadata(manifest_path)?;
        let package = pick(&metadata, package)?.clone();
        let crate_dir = package
            .manifest_path
            .parent()
            .map(|p| p.as_std_path().to_owned())
            .context("the migrations crate's manifest path has no parent directory")?;
        Ok(Project {
            workspace_root: metadata.workspace_root.into_std_path_buf(),
            package,
            crate_dir,
        })
    }

    /// The package name.
    pub fn name(&self) -> &str {
        &self.package.name
    }

    /// `<crate dir>/src/versions`.
    pub fn versions_dir(&self) -> PathBuf {
        self.crate_dir.join(VERSIONS_DIR)
    }

    /// The runner binary: the bin target named like the package, else the only bin target.
    pub fn runner_bin(&self) -> anyhow::Result<&str> {
        let bins: Vec<&str> = self
            .package
            .targets
            .iter()
            .filter(|t| t.kind.contains(&TargetKind::Bin))
            .map(|t| t.name.as_str())
            .collect();
        if let Some(b) = bins.iter().find(|b| **b == *self.package.name) {
            return Ok(b);
        }
        match bins.as_slice() {
            [one] => Ok(one),
            [] => bail!(
                "the migrations crate `{name}` has no binary target to run the migrations; add \
                 `src/main.rs` with `fn main() -> std::process::ExitCode {{ \
                 migrate_core::cli::main(&{ident}::MIGRATIONS) }}`",
                name = self.package.name,
                ident = self.package.name.replace('-', "_"),
            ),
            many => bail!(
                "the migrations crate `{}` has several binary targets ({}) and none is named like \
                 the package; name the runner `{}`",
                self.package.name,
                many.join(", "),
                self.package.name
            ),
        }
    }
}

fn metadata(manifest_path: Option<&Path>) -> anyhow::Result<Metadata> {
    let mut cmd = MetadataCommand::new();
    cmd.no_deps();
    if let Some(p) = manifest_path {
        cmd.manifest_path(p);
    }
    cmd.exec()
        .map_err(|e| match e {
            cargo_metadata::Error::CargoMetadata { stderr } => anyhow!("{}", one_line(&stderr)),
            other => anyhow!(other),
        })
        .context("cannot read the workspace with `cargo metadata`")
}

/// Cargo's multi-line error output as one line: `error: ` and `Caused by:` dropped, lines
/// joined with `: `.
fn one_line(stderr: &str) -> String {
    let parts: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "Caused by:")
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .collect();
    if parts.is_empty() {
        "cargo metadata failed".to_owned()
    } else {
        parts.join(": ")
    }
}

/// A crate that depends on `migrate-macros` (a normal dependency: tests that use the macros
/// as a dev-dependency are not migrations crates).
fn is_migrations_crate(p: &Package) -> bool {
    p.dependencies
        .iter()
        .any(|d| d.name == MARKER_DEPENDENCY && d.kind == DependencyKind::Normal)
}

fn pick<'m>(metadata: &'m Metadata, package: Option<&str>) -> anyhow::Result<&'m Package> {
    let members = metadata.workspace_packages();
    let candidates: Vec<&Package> = members
        .iter()
        .copied()
        .filter(|p| is_migrations_crate(p))
        .collect();
    let names = |ps: &[&Package]| {
        ps.iter()
            .map(|p| format!("`{}`", p.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = package {
        let Some(p) = members.iter().find(|p| *p.name == *name) else {
            bail!(
                "package `{name}` is not a member of the workspace at `{}`; migrations crates: {}",
                metadata.workspace_root,
                if candidates.is_empty() {
                    "none".to_owned()
                } else {
                    names(&candidates)
                }
            );
        };
        if !is_migrations_crate(p) {
            bail!(
                "package `{name}` is not a migrations crate (it does not depend on \
                 `{MARKER_DEPENDENCY}`); migrations crates: {}",
                if candidates.is_empty() {
                    "none".to_owned()
                } else {
                    names(&candidates)
                }
            );
        }
        return Ok(p);
    }
    match candidates.as_slice() {
        [one] => Ok(one),
        [] => bail!(
            "no migrations crate found in the workspace at `{}`; create one with `cargo migrate init`",
            metadata.workspace_root
        ),
        many => bail!(
            "the workspace has several migrations crates ({}); choose one with `-p NAME`",
            names(many)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_errors_become_one_line() {
        let stderr = "error: failed to parse manifest at `/x/Cargo.toml`\n\nCaused by:\n  missing field `name`\n";
        assert_eq!(
            one_line(stderr),
            "failed to parse manifest at `/x/Cargo.toml`: missing field `name`"
        );
    }
}
