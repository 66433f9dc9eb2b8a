//! Finds the migrations crate: the workspace member that depends on `migrate-macros`,
//! through `cargo metadata --no-deps` (never by reading manifests ourselves).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use cargo_metadata::{DependencyKind, Metadata, MetadataCommand, Package, TargetKind};

use migrate_core::config::Config;

use crate::cache;

/// The dependency that marks a migrations crate.
const MARKER_DEPENDENCY: &str = "migrate-macros";

/// Where revision files live, relative to the migrations crate's root.
pub(crate) const VERSIONS_DIR: &str = "src/versions";

/// The migrations crate of a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Project {
    /// The workspace root (where the default SQLite file lives).
    pub workspace_root: PathBuf,
    /// The migrations crate's package name.
    pub name: String,
    /// The migrations crate's Cargo.toml.
    pub manifest_path: PathBuf,
    /// The directory of its Cargo.toml.
    pub crate_dir: PathBuf,
    /// The workspace's target directory (where the header cache lives).
    pub target_dir: PathBuf,
}

impl Project {
    /// Finds the migrations crate like [`Project::locate_package`], answered from the project
    /// cache (`crate::cache::project`) when nothing `cargo metadata` would read changed since
    /// it was written; else runs `cargo metadata` and records the answer (best effort).
    ///
    /// # Errors
    /// As [`Project::locate_package`].
    pub fn locate(manifest_path: Option<&Path>, package: Option<&str>) -> anyhow::Result<Project> {
        let Some(query) = cache::project::Query::new(manifest_path, package) else {
            return Project::locate_package(manifest_path, package).map(|(p, _)| p);
        };
        if let Some(project) = query.read() {
            if cache::stats_wanted() {
                eprintln!("cache: project from the project cache");
            }
            return Ok(project);
        }
        let started = std::time::SystemTime::now();
        let (project, metadata) = locate_with_metadata(manifest_path, package)?;
        query.write(&project, &metadata, started);
        Ok(project)
    }

    /// `cargo metadata --no-deps` (through `$CARGO`), honouring `--manifest-path`, then picks
    /// the migrations crate (`-p` when there are several). Returns it with its package (the
    /// build needs its targets and id).
    ///
    /// # Errors
    /// `cargo metadata` fails (its message on one line), no migrations crate, several without
    /// `-p`, or `-p` names a package that is not one.
    pub fn locate_package(
        manifest_path: Option<&Path>,
        package: Option<&str>,
    ) -> anyhow::Result<(Project, Package)> {
        let (project, metadata) = locate_with_metadata(manifest_path, package)?;
        let package = pick(&metadata, package)?.clone();
        Ok((project, package))
    }

    /// The package name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The crate's configuration (`[package.metadata.migrate]`, else the workspace's; see
    /// `migrate_core::config`), read from its manifest each time (a small file).
    ///
    /// # Errors
    /// A manifest that cannot be read or a malformed configuration (file, line and key).
    pub fn config(&self) -> anyhow::Result<Config> {
        Ok(Config::load(&self.manifest_path)?)
    }

    /// Every versions directory the registry reads: the archive crate's first (when
    /// `archive` is configured; see `migrate_core::config::Archive`), then
    /// [`Project::own_versions_dirs`]. What every command reads.
    ///
    /// # Errors
    /// As [`Project::config`]; an archive crate that cannot be read.
    pub fn versions_dirs(&self) -> anyhow::Result<Vec<PathBuf>> {
        let config = self.config()?;
        let mut dirs = match config.archive(&self.crate_dir)? {
            Some(archive) => archive.versions_dirs,
            None => Vec::new(),
        };
        dirs.extend(own_dirs(&config, &self.crate_dir));
        Ok(dirs)
    }

    /// The crate's own versions directories: `versions-dir` of the configuration (default
    /// `src/versions`; several in the order configured), under the crate root. Where new
    /// revisions go (never into the archive).
    ///
    /// # Errors
    /// As [`Project::config`].
    pub fn own_versions_dirs(&self) -> anyhow::Result<Vec<PathBuf>> {
        Ok(own_dirs(&self.config()?, &self.crate_dir))
    }

    /// The header cache file of the versions directory `dir` (see `crate::cache`).
    pub fn header_cache(&self, dir: &Path) -> PathBuf {
        crate::cache::path(&self.target_dir, self.name(), dir)
    }
}

fn own_dirs(config: &Config, crate_dir: &Path) -> Vec<PathBuf> {
    config
        .versions_dirs
        .value
        .iter()
        .map(|d| crate_dir.join(d))
        .collect()
}

fn locate_with_metadata(
    manifest_path: Option<&Path>,
    package: Option<&str>,
) -> anyhow::Result<(Project, Metadata)> {
    let metadata = metadata(manifest_path)?;
    let package = pick(&metadata, package)?;
    let crate_dir = package
        .manifest_path
        .parent()
        .map(|p| p.as_std_path().to_owned())
        .context("the migrations crate's manifest path has no parent directory")?;
    let project = Project {
        workspace_root: metadata.workspace_root.clone().into_std_path_buf(),
        name: package.name.to_string(),
        manifest_path: package.manifest_path.clone().into_std_path_buf(),
        crate_dir,
        target_dir: metadata.target_directory.clone().into_std_path_buf(),
    };
    Ok((project, metadata))
}

/// The runner binary of the migrations crate `package`: the bin target named like the
/// package, else the only bin target.
///
/// # Errors
/// No bin target, or several and none named like the package.
pub(crate) fn runner_bin(package: &Package) -> anyhow::Result<&str> {
    let bins: Vec<&str> = package
        .targets
        .iter()
        .filter(|t| t.kind.contains(&TargetKind::Bin))
        .map(|t| t.name.as_str())
        .collect();
    if let Some(b) = bins.iter().find(|b| **b == *package.name) {
        return Ok(b);
    }
    match bins.as_slice() {
        [one] => Ok(one),
        [] => bail!(
            "the migrations crate `{name}` has no binary target to run the migrations; add \
             `src/main.rs` with `fn main() -> std::process::ExitCode {{ \
             migrate_core::cli::main(&{ident}::MIGRATIONS) }}`",
            name = package.name,
            ident = package.name.replace('-', "_"),
        ),
        many => bail!(
            "the migrations crate `{}` has several binary targets ({}) and none is named like \
             the package; name the runner `{}`",
            package.name,
            many.join(", "),
            package.name
        ),
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

pub(crate) fn pick<'m>(
    metadata: &'m Metadata,
    package: Option<&str>,
) -> anyhow::Result<&'m Package> {
    let members = metadata.workspace_packages();
    let migrations: Vec<&Package> = members
        .iter()
        .copied()
        .filter(|p| is_migrations_crate(p))
        .collect();
    // an archive crate (`cargo migrate archive`) is a dependency of its migrations crate:
    // not a candidate of its own
    let candidates: Vec<&Package> = migrations
        .iter()
        .copied()
        .filter(|a| {
            !migrations.iter().any(|p| {
                p.id != a.id
                    && p.dependencies
                        .iter()
                        .any(|d| d.name == *a.name && d.path.is_some())
            })
        })
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
