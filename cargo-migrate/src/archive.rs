//! `cargo migrate archive REV`: move the settled part of a long history into the archive
//! crate, a library of its own that the migrations crate depends on, so that a new revision
//! rebuilds only the crate's own (newest) revisions, however long the history.
//!
//! Nothing a database sees changes: the revisions keep their ids, parents and checksums (the
//! checksum is of the module's tokens, not of its path), `migrations!()` composes the two
//! registries in the same order the CLI reads the files (the archive's first), and every
//! command reads both. What moves is files, and the build: the archive crate compiles once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use migrate_core::config::normalize_path as normalize;
use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

use crate::Cli;
use crate::init::relative_path;
use crate::sources::{self, Sources, display_path};
use crate::workspace::Project;

/// The archive crate's directory when the configuration names none, relative to the
/// migrations crate's root.
const DEFAULT_ARCHIVE_DIR: &str = "archive";

/// `archive` options.
#[derive(Debug, Clone, Args)]
pub struct ArchiveArgs {
    /// The newest revision to archive: it and every revision it builds on (parents and
    /// `depends_on`, transitively) move into the archive crate. An id, a unique id prefix, a
    /// branch label, `head`, or `heads` (every head: the whole history).
    #[arg(value_name = "REV")]
    pub revision: String,
    /// Where to create the archive crate, relative to the current directory (default:
    /// `archive` in the migrations crate); only when the crate has none yet.
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,
    /// Do not build the migrations crate afterwards (by default it is built, and every change
    /// undone when the build fails).
    #[arg(long)]
    pub no_build: bool,
}

/// One file to move, and back on failure.
struct Move {
    from: PathBuf,
    to: PathBuf,
}

/// What was changed on disk, in order, so that a failure can put everything back.
#[derive(Default)]
struct Undo {
    moves: Vec<Move>,
    /// Files written over, with their text before.
    rewritten: Vec<(PathBuf, String)>,
    /// Files and directories that did not exist (the new archive crate, a `Cargo.lock` the
    /// build may write), removed (a directory whole) on undo.
    created: Vec<PathBuf>,
}

impl Undo {
    fn run(self) {
        for m in self.moves.iter().rev() {
            if let Err(e) = std::fs::rename(&m.to, &m.from) {
                crate::warning(format_args!(
                    "cannot move `{}` back to `{}`: {e}",
                    display_path(&m.to),
                    display_path(&m.from)
                ));
            }
        }
        for (path, text) in &self.rewritten {
            if let Err(e) = std::fs::write(path, text) {
                crate::warning(format_args!("cannot restore `{}`: {e}", display_path(path)));
            }
        }
        for path in &self.created {
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(path)
            } else if path.exists() {
                std::fs::remove_file(path)
            } else {
                Ok(())
            };
            if let Err(e) = removed {
                crate::warning(format_args!("cannot remove `{}`: {e}", display_path(path)));
            }
        }
    }
}

pub(crate) fn run(cli: &Cli, args: &ArchiveArgs) -> anyhow::Result<ExitCode> {
    let (project, package) =
        Project::locate_package(cli.manifest_path.as_deref(), cli.package.as_deref())?;
    let config = project.config()?;
    let sources = Sources::of_project(&project)?;
    let graph = sources.graph()?;
    let roots: Vec<usize> = sources::resolve(&graph, &args.revision)
        .with_context(|| format!("cannot archive `{}`", args.revision))?
        .iter()
        .filter_map(|id| graph.index_of(id))
        .collect();
    let mask = graph.ancestors_mask(&roots);
    let own_dirs: Vec<PathBuf> = project
        .own_versions_dirs()?
        .iter()
        .map(|d| normalize(d))
        .collect();
    // the chosen revisions still in the crate's own directories, parents first (the graph's
    // order): an interrupted run leaves an archive closed under ancestors, as a whole one
    let mut files: Vec<PathBuf> = Vec::new();
    let mut own = 0;
    for (i, keep) in mask.iter().enumerate() {
        let path = normalize(&project.crate_dir.join(&graph.at(i).file));
        if path
            .parent()
            .is_some_and(|dir| own_dirs.iter().any(|d| d == dir))
        {
            own += 1;
            if *keep {
                files.push(path);
            }
        }
    }
    let total = mask.iter().filter(|&&m| m).count();
    if files.is_empty() {
        crate::status(
            "Unchanged",
            format_args!(
                "`{}` and the {total} revision(s) it builds on are already archived",
                args.revision
            ),
        );
        return Ok(ExitCode::SUCCESS);
    }
    let names: BTreeSet<&std::ffi::OsStr> = files.iter().filter_map(|f| f.file_name()).collect();
    if names.len() != files.len() {
        bail!(
            "two revision files to archive have the same file name (from different versions \
             directories); the archive's versions directory holds each name once: rename one"
        );
    }

    let mut undo = Undo::default();
    // the build adds the archive to Cargo.lock: put back as it was when undoing
    let lockfile = project.workspace_root.join("Cargo.lock");
    match std::fs::read_to_string(&lockfile) {
        Ok(text) => undo.rewritten.push((lockfile, text)),
        Err(_) => undo.created.push(lockfile),
    }
    let result = archive(&project, &config, args, &files, &mut undo).and_then(|target| {
        if args.no_build {
            return Ok(target);
        }
        crate::db::build_runner(&project, &package)
            .map(|_| target)
            .context("the migrations crate does not build with these revisions archived")
    });
    let (target, package) = match result {
        Ok(target) => target,
        Err(e) => {
            undo.run();
            return Err(e.context("nothing was archived: every change is undone"));
        }
    };
    crate::status(
        "Archived",
        format_args!(
            "{} revision(s) into `{}` (the archive crate `{}`, compiled once); {} remain in the \
             crate's own versions directories",
            files.len(),
            display_path(&target),
            package,
            own - files.len(),
        ),
    );
    Ok(ExitCode::SUCCESS)
}

/// Creates the archive crate when there is none, moves `files` into its (first) versions
/// directory, recording each change in `undo`. Returns that directory and the archive's
/// package name.
fn archive(
    project: &Project,
    config: &migrate_core::config::Config,
    args: &ArchiveArgs,
    files: &[PathBuf],
    undo: &mut Undo,
) -> anyhow::Result<(PathBuf, String)> {
    // the crates the moved files name: the archive depends on those (and on the ones every
    // revision needs), not on all of the migrations crate's, so that a change to, say, the
    // application's models crate does not rebuild the archive
    let mut texts = Vec::with_capacity(files.len());
    for f in files {
        texts.push(
            std::fs::read_to_string(f)
                .with_context(|| format!("cannot read `{}`", display_path(f)))?,
        );
    }
    let uses = |ident: &str| texts.iter().any(|t| names_crate(t, ident));
    let manifest_text = std::fs::read_to_string(&project.manifest_path)
        .with_context(|| format!("cannot read `{}`", project.manifest_path.display()))?;
    let (target, package) = match config.archive(&project.crate_dir)? {
        Some(existing) => {
            if args.path.is_some() {
                bail!(
                    "the migrations crate already has an archive crate, `{}` at `{}`; \
                     --path only places a new one",
                    existing.package,
                    display_path(&existing.dir)
                );
            }
            let text = std::fs::read_to_string(&existing.manifest)
                .with_context(|| format!("cannot read `{}`", existing.manifest.display()))?;
            let up = relative_path(&existing.dir, &normalize(&project.crate_dir))?;
            if let Some(updated) = add_dependencies(&text, &manifest_text, &up, &uses)
                .with_context(|| format!("cannot edit `{}`", existing.manifest.display()))?
            {
                std::fs::write(&existing.manifest, updated)
                    .with_context(|| format!("cannot write `{}`", existing.manifest.display()))?;
                undo.rewritten.push((existing.manifest.clone(), text));
            }
            let dir = existing
                .versions_dirs
                .first()
                .cloned()
                .context("the archive crate has no versions directory")?;
            (dir, existing.package)
        }
        None => create(project, args, &manifest_text, &uses, undo)?,
    };
    std::fs::create_dir_all(&target)
        .with_context(|| format!("cannot create `{}`", display_path(&target)))?;
    for from in files {
        let to = target.join(from.file_name().context("a revision file has a name")?);
        if to.exists() {
            bail!("`{}` already exists", display_path(&to));
        }
        std::fs::rename(from, &to).with_context(|| {
            format!(
                "cannot move `{}` to `{}`",
                display_path(from),
                display_path(&to)
            )
        })?;
        undo.moves.push(Move {
            from: from.clone(),
            to,
        });
    }
    Ok((target, package))
}

/// Creates the archive crate (manifest, build script, `src/lib.rs`, `src/versions/`) and
/// points the migrations crate at it (a path dependency and `archive` in
/// `[package.metadata.migrate]`). Returns its versions directory and package name.
fn create(
    project: &Project,
    args: &ArchiveArgs,
    manifest_text: &str,
    uses: &dyn Fn(&str) -> bool,
    undo: &mut Undo,
) -> anyhow::Result<(PathBuf, String)> {
    let dir = match &args.path {
        Some(p) => {
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            normalize(&cwd.join(p))
        }
        None => normalize(&project.crate_dir.join(DEFAULT_ARCHIVE_DIR)),
    };
    let crate_dir = normalize(&project.crate_dir);
    let Ok(rel) = dir.strip_prefix(&crate_dir) else {
        bail!(
            "the archive crate goes inside the migrations crate (`{}`), so that it moves \
             with it and cargo builds it as part of the same workspace; `{}` is outside",
            display_path(&crate_dir),
            display_path(&dir)
        );
    };
    let rel = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    if rel.is_empty() || rel.starts_with("src") {
        bail!(
            "`{}` cannot hold the archive crate: choose a directory of its own, such as `{DEFAULT_ARCHIVE_DIR}`",
            display_path(&dir)
        );
    }
    if dir.exists() {
        bail!(
            "`{}` already exists; choose another directory with --path",
            display_path(&dir)
        );
    }
    let name = format!("{}-archive", project.name());
    let up = relative_path(&dir, &crate_dir)?;
    let (archive_manifest, new_manifest) = manifests(manifest_text, &name, &rel, &up, uses)
        .with_context(|| format!("cannot edit `{}`", project.manifest_path.display()))?;

    std::fs::create_dir_all(dir.join("src/versions"))
        .with_context(|| format!("cannot create `{}`", display_path(&dir)))?;
    undo.created.push(dir.clone());
    let files = [
        ("Cargo.toml", archive_manifest),
        ("build.rs", crate::init::BUILD_RS.to_owned()),
        ("src/lib.rs", lib_rs(project.name())),
    ];
    for (file, text) in &files {
        sources::write_new(&dir.join(file), text)?;
    }
    std::fs::write(&project.manifest_path, new_manifest)
        .with_context(|| format!("cannot write `{}`", project.manifest_path.display()))?;
    undo.rewritten
        .push((project.manifest_path.clone(), manifest_text.to_owned()));
    crate::status(
        "Created",
        format_args!("archive crate `{name}` at `{}`", display_path(&dir)),
    );
    Ok((dir.join("src/versions"), name))
}

/// The archive crate's manifest, and the migrations crate's with the archive added: from
/// the migrations crate's `manifest`, the new package `name` at `rel` (relative to the
/// migrations crate's root, `/`-separated; `up` leads back from it). The archive takes the migrations crate's
/// `edition` and those of its `[dependencies]` that the archived files need
/// ([`archive_dependencies`]), so that its revision files compile as they did and cargo
/// builds each dependency once with the same features.
///
/// # Errors
/// A manifest that is not valid TOML, or whose `[dependencies]` or
/// `[package.metadata.migrate]` is not a table.
fn manifests(
    manifest: &str,
    name: &str,
    rel: &str,
    up: &str,
    uses: &dyn Fn(&str) -> bool,
) -> anyhow::Result<(String, String)> {
    let mut doc: DocumentMut = manifest.parse().context("invalid TOML")?;
    let edition = doc
        .get("package")
        .and_then(|p| p.get("edition"))
        .cloned()
        .unwrap_or_else(|| toml_edit::value("2021"));
    let deps = archive_dependencies(&doc, up, uses)?;
    let mut archive = DocumentMut::new();
    let mut package = Table::new();
    package.insert("name", toml_edit::value(name));
    package.insert("version", toml_edit::value("0.1.0"));
    package.insert("edition", edition);
    package.insert("publish", toml_edit::value(false));
    archive.insert("package", Item::Table(package));
    let mut dep_table = Table::new();
    for (k, v) in deps {
        dep_table.insert(&k, v);
    }
    archive.insert("dependencies", Item::Table(dep_table));
    let archive_text = format!(
        "# The archive crate of `cargo migrate archive`: the settled revisions of the migrations \
         crate\n# in `..`, compiled once, with the dependencies of that crate its files need.\n{archive}"
    );

    // the migrations crate: the path dependency and the `archive` key
    let deps = doc
        .entry("dependencies")
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_like_mut()
        .context("`dependencies` is not a table")?;
    let mut dep = InlineTable::new();
    dep.insert("path", Value::from(rel));
    deps.insert(name, Item::Value(Value::InlineTable(dep)));
    let package = doc
        .get_mut("package")
        .and_then(Item::as_table_like_mut)
        .context("no `[package]` table")?;
    let metadata = package
        .entry("metadata")
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_like_mut()
        .context("`package.metadata` is not a table")?;
    let migrate = metadata
        .entry("migrate")
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_like_mut()
        .context("`package.metadata.migrate` is not a table")?;
    migrate.insert("archive", toml_edit::value(rel));
    Ok((archive_text, doc.to_string()))
}

/// The crates every revision file needs, whether or not its text names them (the
/// attribute's expansion names `migrate_core`; `#[derive(FromRow)]` and sea-query's derives
/// expand to `sqlx` and `sea_query` paths).
const ALWAYS: &[&str] = &["migrate-core", "migrate-macros", "sqlx", "sea-query"];

/// The migrations crate's `[dependencies]` (in `doc`) that its archive needs: [`ALWAYS`],
/// and each one whose name in code (`-` as `_`) the archived files name (`uses`); a relative
/// `path` rebased onto `up`, the migrations crate's directory relative to the archive's.
///
/// # Errors
/// `[dependencies]` is not a table.
fn archive_dependencies(
    doc: &DocumentMut,
    up: &str,
    uses: &dyn Fn(&str) -> bool,
) -> anyhow::Result<Vec<(String, Item)>> {
    let Some(deps) = doc.get("dependencies") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (key, item) in deps
        .as_table_like()
        .context("`dependencies` is not a table")?
        .iter()
    {
        if !ALWAYS.contains(&key) && !uses(&key.replace('-', "_")) {
            continue;
        }
        let mut item = item.clone();
        if let Some(t) = item.as_table_like_mut()
            && let Some(path) = t.get("path").and_then(Item::as_str).map(str::to_owned)
            && !Path::new(&path).is_absolute()
        {
            t.insert("path", toml_edit::value(format!("{up}/{path}")));
        }
        out.push((key.to_owned(), item));
    }
    Ok(out)
}

/// An existing archive's manifest (`archive`) with the migrations crate's dependencies
/// (from `manifest`) that the files now moving in need and it lacks; `None` when it lacks
/// none. `up`: the migrations crate's directory relative to the archive's.
///
/// # Errors
/// A manifest that is not valid TOML, or a `[dependencies]` that is not a table.
fn add_dependencies(
    archive: &str,
    manifest: &str,
    up: &str,
    uses: &dyn Fn(&str) -> bool,
) -> anyhow::Result<Option<String>> {
    let main: DocumentMut = manifest.parse().context("invalid TOML")?;
    let mut doc: DocumentMut = archive.parse().context("invalid TOML")?;
    let table = doc
        .entry("dependencies")
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_like_mut()
        .context("`dependencies` is not a table")?;
    let mut added = false;
    for (key, item) in archive_dependencies(&main, up, uses)? {
        if !table.contains_key(&key) {
            table.insert(&key, item);
            added = true;
        }
    }
    Ok(added.then(|| doc.to_string()))
}

/// Whether Rust source `text` names the crate `ident` as a path root (`ident::…`, also after
/// `::` or `use`), the way a revision file uses a dependency.
fn names_crate(text: &str, ident: &str) -> bool {
    text.match_indices(ident).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + ident.len()..].trim_start();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && (after.starts_with("::")
                || (after.starts_with(';') && text[..at].trim_end().ends_with("use")))
    })
}

fn lib_rs(of: &str) -> String {
    format!(
        "\
//! The archive of `{of}`: its settled revisions, moved here by `cargo migrate archive` and
//! compiled once. `{of}`'s `migrations!()` reads their headers to check the whole graph and
//! lists them before its own; do not edit them (a changed revision changes its checksum).

migrate_macros::migrations!();
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_rebase_paths_and_point_at_the_archive() {
        let main = "[package]\nname = \"app-migrations\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
                    [dependencies]\nmigrate-core = { path = \"../migrate-core\", features = [\"cli\"] }\n\
                    sqlx = { version = \"0.9\", default-features = false }\n";
        let (archive, new_main) =
            manifests(main, "app-migrations-archive", "archive", "..", &|_| false).unwrap();
        let a: DocumentMut = archive.parse().unwrap();
        assert_eq!(
            a["package"]["name"].as_str(),
            Some("app-migrations-archive")
        );
        assert_eq!(a["package"]["edition"].as_str(), Some("2024"));
        assert_eq!(
            a["dependencies"]["migrate-core"]["path"].as_str(),
            Some("../../migrate-core")
        );
        assert_eq!(a["dependencies"]["sqlx"]["version"].as_str(), Some("0.9"));
        let m: DocumentMut = new_main.parse().unwrap();
        assert_eq!(
            m["dependencies"]["app-migrations-archive"]["path"].as_str(),
            Some("archive")
        );
        assert_eq!(
            m["package"]["metadata"]["migrate"]["archive"].as_str(),
            Some("archive")
        );
        // the configuration the macro and the CLI read agrees
        let c = migrate_core::config::Config::from_manifests(
            (Path::new("/w/m/Cargo.toml"), &new_main),
            None,
        )
        .unwrap();
        assert_eq!(c.archive.value.as_deref(), Some("archive"));
        // two levels down: two `..`
        let (archive, _) = manifests(main, "x", "db/archive", "../..", &|_| false).unwrap();
        assert!(archive.contains("\"../../../migrate-core\""), "{archive}");
    }

    #[test]
    fn the_archive_takes_the_dependencies_its_files_name() {
        let main = "[package]\nname = \"m\"\nversion = \"0.1.0\"\n\n[dependencies]\n\
                    migrate-core = \"1\"\nmigrate-macros = \"1\"\n\
                    app-models = { path = \"../models\" }\nchrono = \"0.4\"\n";
        let file = "use migrate_core::prelude::*;\nfn f() { let _ = app_models::User::TABLE; }\n";
        let uses = |ident: &str| names_crate(file, ident);
        let (archive, _) = manifests(main, "m-archive", "archive", "..", &uses).unwrap();
        let a: DocumentMut = archive.parse().unwrap();
        let deps: Vec<&str> = a["dependencies"]
            .as_table()
            .unwrap()
            .iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(deps, ["migrate-core", "migrate-macros", "app-models"]);
        assert_eq!(
            a["dependencies"]["app-models"]["path"].as_str(),
            Some("../../models")
        );
        // an existing archive gains what a newly archived file names, once
        let more = |ident: &str| ident == "chrono";
        let updated = add_dependencies(&archive, main, "..", &more)
            .unwrap()
            .unwrap();
        assert!(updated.contains("chrono = \"0.4\""), "{updated}");
        assert_eq!(add_dependencies(&updated, main, "..", &more).unwrap(), None);

        for (text, named) in [
            ("x = app_models::User;", true),
            ("use app_models;", true),
            ("x = ::app_models :: User;", true),
            ("x = my_app_models::User;", false),
            ("// app_models is not used", false),
            ("let app_models = 1;", false),
        ] {
            assert_eq!(names_crate(text, "app_models"), named, "{text}");
        }
    }
}
