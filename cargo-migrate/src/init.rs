//! `cargo migrate init`: scaffold a migrations crate and add it to the enclosing workspace.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use toml_edit::{Array, DocumentMut, Item, Table, TableLike, Value};

use crate::sources::display_path;
use crate::workspace::VERSIONS_DIR;

/// The sqlx requirement of the workspace, a caret one (a unit test keeps them equal).
const SQLX_VERSION: &str = "0.9.0";
/// The sea-query requirement of the workspace, a caret one (a unit test keeps them equal).
const SEA_QUERY_VERSION: &str = "1.0.2";
/// Points at a directory holding `migrate-core/` and `migrate-macros/`: the default of
/// `--deps path`, and the default source when `--deps` is not given.
const DEP_PATH_ENV: &str = "CARGO_MIGRATE_DEP_PATH";
/// The crates `init` makes the new crate depend on by version, and patches.
const OUR_CRATES: [&str; 2] = ["migrate-core", "migrate-macros"];

/// `init` options.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Where to create the crate, relative to the current directory.
    #[arg(default_value = "migrations", value_name = "PATH")]
    pub path: PathBuf,
    /// The package name (default: the directory name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Where cargo takes migrate-core and migrate-macros from: `crates-io`; `path` (this
    /// tool's checkout) or `path=DIR`, written as a `[patch.crates-io]` path relative to the
    /// workspace root; `git=URL`, a `[patch.crates-io]` git source. Default: `path` when
    /// this tool was built from a checkout, else `crates-io`.
    #[arg(long, value_name = "SOURCE", value_parser = parse_deps)]
    pub deps: Option<DepsArg>,
    /// The databases the project uses: `sqlite`, `postgres`, `mysql` (repeat the option or
    /// give a comma list). Only these are compiled into the migrations crate (migrate-core's
    /// cargo features): a PostgreSQL-only crate never builds SQLite. Default: asked on a
    /// terminal; otherwise the backend of `DATABASE_URL` (environment or `.env`) if set,
    /// else sqlite.
    #[arg(long, value_name = "BACKEND", value_delimiter = ',', value_enum)]
    pub backend: Vec<BackendArg>,
}

/// `init --backend`: a database backend, one of migrate-core's backend features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum BackendArg {
    /// SQLite (migrate-core feature `sqlite`; links the bundled SQLite library).
    Sqlite,
    /// PostgreSQL (feature `postgres`).
    #[value(alias = "postgresql")]
    Postgres,
    /// MySQL or MariaDB (feature `mysql`).
    #[value(alias = "mariadb")]
    Mysql,
}

impl BackendArg {
    /// The migrate-core feature: `sqlite`, `postgres` or `mysql`.
    pub fn feature(self) -> &'static str {
        match self {
            BackendArg::Sqlite => "sqlite",
            BackendArg::Postgres => "postgres",
            BackendArg::Mysql => "mysql",
        }
    }

    fn of(b: migrate_core::Backend) -> BackendArg {
        match b {
            migrate_core::Backend::Postgres => BackendArg::Postgres,
            migrate_core::Backend::MySql => BackendArg::Mysql,
            migrate_core::Backend::Sqlite => BackendArg::Sqlite,
        }
    }
}

/// Parses the answer to `init`'s backend question: numbers (`1`-`3`) or names, separated by
/// commas or blanks; an empty answer is sqlite.
fn parse_backend_answer(answer: &str) -> Result<Vec<BackendArg>, String> {
    use clap::ValueEnum as _;
    let mut out = Vec::new();
    for word in answer.split([',', ' ', '\t']).filter(|w| !w.is_empty()) {
        let b = match word {
            "1" => BackendArg::Sqlite,
            "2" => BackendArg::Postgres,
            "3" => BackendArg::Mysql,
            w => BackendArg::from_str(w, true).map_err(|_| {
                format!("`{w}` is not a backend; answer 1, 2, 3 or sqlite, postgres, mysql")
            })?,
        };
        out.push(b);
    }
    if out.is_empty() {
        out.push(BackendArg::Sqlite);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The backends `init` builds the crate for: `--backend`; else asked on a terminal; else the
/// backend of `DATABASE_URL` (environment or `.env`, as the runner reads it), else sqlite.
/// Says on stderr which it picked when it was not given.
fn choose_backends(given: &[BackendArg]) -> anyhow::Result<Vec<BackendArg>> {
    use std::io::{BufRead as _, IsTerminal as _, Write as _};
    if !given.is_empty() {
        let mut v = given.to_vec();
        v.sort();
        v.dedup();
        return Ok(v);
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        loop {
            eprint!(
                "Which databases will this project use? [1] sqlite  [2] postgres  [3] mysql \
                 (numbers or names, comma-separated; default sqlite): "
            );
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line)? == 0 {
                bail!("no answer on standard input; give --backend sqlite|postgres|mysql");
            }
            match parse_backend_answer(line.trim()) {
                Ok(v) => return Ok(v),
                Err(e) => eprintln!("{e}"),
            }
        }
    }
    // `.env` as the runner reads it: this loads it into our environment
    let read = migrate_core::cli::resolve_database_url(None);
    let url = std::env::var("DATABASE_URL").ok();
    let (picked, why) = match (&read, url.as_deref().map(migrate_core::Backend::from_url)) {
        (_, Some(Ok(b))) => (BackendArg::of(b), "the backend of DATABASE_URL".to_owned()),
        (Err(e), _) => (
            BackendArg::Sqlite,
            format!("the default; DATABASE_URL: {e}"),
        ),
        (Ok(_), Some(Err(e))) => (
            BackendArg::Sqlite,
            format!("the default; DATABASE_URL: {e}"),
        ),
        (Ok(_), None) => (
            BackendArg::Sqlite,
            "the default: DATABASE_URL is not set".to_owned(),
        ),
    };
    crate::note(format_args!(
        "building for {} ({why}); choose with --backend sqlite|postgres|mysql (repeatable)",
        picked.feature()
    ));
    Ok(vec![picked])
}

/// `init --deps`: where migrate-core and migrate-macros come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepsArg {
    /// crates.io: version requirements only.
    CratesIo,
    /// A checkout holding `migrate-core/` and `migrate-macros/` (`None`: `CARGO_MIGRATE_DEP_PATH`,
    /// else the checkout this tool was built from).
    Path(Option<PathBuf>),
    /// A git repository holding both crates.
    Git(String),
}

/// Parses `crates-io`, `path`, `path=DIR` or `git=URL`.
fn parse_deps(s: &str) -> Result<DepsArg, String> {
    match s.split_once('=') {
        None if s == "crates-io" => Ok(DepsArg::CratesIo),
        None if s == "path" => Ok(DepsArg::Path(None)),
        Some(("path", dir)) if !dir.is_empty() => Ok(DepsArg::Path(Some(PathBuf::from(dir)))),
        Some(("git", url)) if !url.is_empty() => Ok(DepsArg::Git(url.to_owned())),
        _ => Err(format!(
            "`{s}` is not a dependency source; use `crates-io`, `path`, `path=DIR` or `git=URL`"
        )),
    }
}

/// What `init` did to the enclosing manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkspaceEdit {
    /// Appended the crate to `workspace.members`.
    AddedMember,
    /// `workspace.members` already covers the crate (an exact entry or a glob).
    AlreadyMember,
    /// The manifest was a plain package: it became a workspace with members `.` and the crate.
    MadeWorkspace,
}

/// Adds `member` (a `/`-separated path relative to the manifest's directory) to the
/// manifest's `workspace.members`, keeping its formatting; a manifest without `[workspace]`
/// (a plain package) gets `[workspace]` with `members = [".", member]`. Returns the new text
/// and what changed.
///
/// # Errors
/// When the manifest is not valid TOML or `workspace` / `workspace.members` have the wrong
/// type.
pub fn add_workspace_member(
    manifest: &str,
    member: &str,
) -> anyhow::Result<(String, WorkspaceEdit)> {
    let mut doc: DocumentMut = manifest.parse().context("invalid TOML")?;
    let Some(ws) = doc.get_mut("workspace") else {
        let mut table = Table::new();
        let mut members = Array::new();
        members.push(".");
        members.push(member);
        table.insert("members", Item::Value(Value::Array(members)));
        doc.insert("workspace", Item::Table(table));
        return Ok((doc.to_string(), WorkspaceEdit::MadeWorkspace));
    };
    let ws = ws
        .as_table_like_mut()
        .context("`workspace` is not a table")?;
    if ws.get("members").is_none() {
        ws.insert("members", Item::Value(Value::Array(Array::new())));
    }
    let members = ws
        .get_mut("members")
        .and_then(Item::as_array_mut)
        .context("`workspace.members` is not an array")?;
    if members
        .iter()
        .filter_map(Value::as_str)
        .any(|m| glob_match(m.trim_end_matches('/'), member))
    {
        return Ok((manifest.to_owned(), WorkspaceEdit::AlreadyMember));
    }
    let mut value = Value::from(member);
    if let Some(last) = members.iter().last() {
        let last_prefix = last
            .decor()
            .prefix()
            .and_then(|p| p.as_str())
            .unwrap_or("")
            .to_owned();
        let prefix = match last_prefix.rfind('\n') {
            // one member per line: the new one goes on its own line, after any comment that
            // followed the last member, with the same indentation
            Some(nl) => {
                let indent = &last_prefix[nl + 1..];
                let trailing = members.trailing().as_str().unwrap_or("").to_owned();
                match trailing.rfind('\n') {
                    Some(i) => {
                        members.set_trailing(format!("\n{}", &trailing[i + 1..]));
                        format!("{}{indent}", &trailing[..=i])
                    }
                    None => format!("\n{indent}"),
                }
            }
            None => " ".to_owned(),
        };
        value = value.decorated(prefix, "");
    }
    members.push_formatted(value);
    Ok((doc.to_string(), WorkspaceEdit::AddedMember))
}

/// The comment above the `[profile.dev.package.<crate>]` table `init` writes.
const PROFILE_COMMENT: &str = "\
# Written by `cargo migrate init`: the migrations crate rebuilds fast after a new revision.
# One codegen unit per revision module (with rustc's default of 256, adding a module regroups
# them and recompiles a quarter of the crate); line tables only: half the LLVM work, and
# backtraces keep file and line.
";

/// The migrations crate's dev-profile overrides (BENCHMARKS.md, W5: `cargo build` after
/// adding one revision to 1,000). Keep `bench/gen.py` (`profile_overrides`) and
/// `tests/src/lib.rs` (`nested::write_manifest`) in step.
const PROFILE_SETTINGS: &[(&str, Setting)] = &[
    ("codegen-units", Setting::Int(4096)),
    ("debug", Setting::Str("line-tables-only")),
];

#[derive(Clone, Copy)]
enum Setting {
    Int(i64),
    Str(&'static str),
}

/// Adds `[profile.dev.package.<crate_name>]` with `init`'s settings to a workspace root
/// manifest (cargo reads profiles there only), keeping every value the manifest already
/// sets: running it twice, or on a manifest whose user tuned the same keys, adds nothing.
/// Returns the new text and what was added, as `profile.dev.package.<crate>.<key> = <value>`
/// lines.
///
/// # Errors
/// When the manifest is not valid TOML or a `profile…` entry on the way is not a table.
pub fn add_profile_overrides(
    manifest: &str,
    crate_name: &str,
) -> anyhow::Result<(String, Vec<String>)> {
    let mut doc: DocumentMut = manifest.parse().context("invalid TOML")?;
    let mut table = doc.as_table_mut() as &mut dyn TableLike;
    for key in ["profile", "dev", "package"] {
        table = child_table(table, key, None)?;
    }
    let table = child_table(table, crate_name, Some(PROFILE_COMMENT))?;
    let mut added = Vec::new();
    for (key, setting) in PROFILE_SETTINGS {
        if table.contains_key(key) {
            continue;
        }
        let value = match *setting {
            Setting::Int(i) => Value::from(i),
            Setting::Str(s) => Value::from(s),
        };
        added.push(format!(
            "profile.dev.package.{crate_name}.{key} = {}",
            value.to_string().trim()
        ));
        table.insert(key, Item::Value(value));
    }
    if added.is_empty() {
        return Ok((manifest.to_owned(), added));
    }
    Ok((doc.to_string(), added))
}

/// `parent[key]`, a table. When missing it is created: with `comment`, a `[header]` table
/// under that comment; without, an implicit one that only holds sub-tables.
fn child_table<'a>(
    parent: &'a mut dyn TableLike,
    key: &str,
    comment: Option<&str>,
) -> anyhow::Result<&'a mut dyn TableLike> {
    let item = parent.entry(key).or_insert_with(|| {
        let mut t = Table::new();
        match comment {
            Some(c) => t.decor_mut().set_prefix(format!("\n{c}")),
            None => t.set_implicit(true),
        }
        Item::Table(t)
    });
    item.as_table_like_mut()
        .with_context(|| format!("`{key}` in the profile settings is not a table"))
}

/// Whether the `workspace.members` entry `pattern` covers `path` (relative to the workspace
/// root): cargo's member globs (the `glob` crate, as cargo uses), matched component by
/// component (`*` does not cross a `/`), `.` components ignored. A pattern that is not a
/// valid glob covers only itself.
fn glob_match(pattern: &str, path: &str) -> bool {
    let normal = |s: &str| {
        s.split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect::<Vec<_>>()
            .join("/")
    };
    let (pattern, path) = (normal(pattern), normal(path));
    let options = glob::MatchOptions {
        require_literal_separator: true,
        ..glob::MatchOptions::new()
    };
    match glob::Pattern::new(&pattern) {
        Ok(p) => p.matches_with(&path, options),
        Err(_) => pattern == path,
    }
}

/// Where cargo takes migrate-core and migrate-macros from, resolved. The migrations crate
/// always depends on them by version, as on published crates; the workspace root's
/// `[patch.crates-io]` says where they are while they are not published.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DepSource {
    /// A checkout holding `migrate-core/` and `migrate-macros/` (absolute, canonical): the
    /// patch is a path relative to the workspace root.
    Path(PathBuf),
    /// A git repository holding both crates.
    Git(String),
    /// crates.io: no patch.
    CratesIo,
}

/// The checkout a `--deps path` without a directory means: `CARGO_MIGRATE_DEP_PATH`, else the
/// checkout this tool was built from, if it still exists.
fn default_checkout() -> anyhow::Result<Option<PathBuf>> {
    if let Some(dir) = std::env::var_os(DEP_PATH_ENV).filter(|d| !d.is_empty()) {
        return checkout(&PathBuf::from(dir), DEP_PATH_ENV).map(Some);
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if repo.join("migrate-core/Cargo.toml").is_file()
        && let Ok(dir) = repo.canonicalize()
    {
        return Ok(Some(dir));
    }
    Ok(None)
}

/// `dir`, canonical, after checking it holds both crates.
fn checkout(dir: &Path, what: &str) -> anyhow::Result<PathBuf> {
    for krate in OUR_CRATES {
        if !dir.join(krate).join("Cargo.toml").is_file() {
            bail!(
                "{what}=`{}` has no `{krate}/Cargo.toml` (a cargo-migrate checkout holds both \
                 migrate-core/ and migrate-macros/)",
                dir.display()
            );
        }
    }
    dir.canonicalize()
        .with_context(|| format!("cannot resolve `{}`", dir.display()))
}

fn dep_source(arg: Option<&DepsArg>, cwd: &Path) -> anyhow::Result<DepSource> {
    Ok(match arg {
        Some(DepsArg::CratesIo) => DepSource::CratesIo,
        Some(DepsArg::Git(url)) => DepSource::Git(url.clone()),
        Some(DepsArg::Path(Some(dir))) => DepSource::Path(checkout(&cwd.join(dir), "--deps path")?),
        Some(DepsArg::Path(None)) => match default_checkout()? {
            Some(dir) => DepSource::Path(dir),
            None => bail!(
                "`--deps path` needs a directory here (`--deps path=DIR`): this cargo-migrate \
                 was not built from a checkout and {DEP_PATH_ENV} is not set"
            ),
        },
        None => match default_checkout()? {
            Some(dir) => DepSource::Path(dir),
            None => DepSource::CratesIo,
        },
    })
}

/// `to` relative to `from` (both absolute, canonical), `/`-separated: `../tools/cargo-migrate`.
///
/// # Errors
/// When they share no root (another drive on Windows): no relative path exists.
pub(crate) fn relative_path(from: &Path, to: &Path) -> anyhow::Result<String> {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if common == 0 {
        bail!(
            "no relative path leads from `{}` to `{}`; use `--deps git=URL`",
            from.iter().collect::<PathBuf>().display(),
            to.iter().collect::<PathBuf>().display()
        );
    }
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Ok(if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    })
}

/// The comment above the `[patch.crates-io]` table `init` writes.
const PATCH_COMMENT: &str = "\
# Written by `cargo migrate init`: migrate-core and migrate-macros are not on crates.io yet;
# cargo takes them from here. A path is relative to this file: a clone builds when the
# cargo-migrate checkout sits at the same place next to it (or use `git = \"URL\"`). Delete
# these lines once the crates are published.
";

/// Adds `[patch.crates-io]` entries for migrate-core and migrate-macros to a workspace root
/// manifest (cargo reads patches there only): `path = "<rel>/migrate-core"` where `rel` is
/// the checkout relative to `root` (the manifest's directory), or `git = "URL"`. Entries the
/// manifest already has are kept. Returns the new text and the added entries as
/// `patch.crates-io.<crate> = { … }` lines; nothing for [`DepSource::CratesIo`].
///
/// # Errors
/// When the manifest is not valid TOML, `patch` / `patch.crates-io` is not a table, or no
/// relative path leads from `root` to the checkout.
fn add_patch(
    manifest: &str,
    root: &Path,
    deps: &DepSource,
) -> anyhow::Result<(String, Vec<String>)> {
    let source = |krate: &str| -> anyhow::Result<Option<(&'static str, String)>> {
        Ok(match deps {
            DepSource::CratesIo => None,
            DepSource::Git(url) => Some(("git", url.clone())),
            DepSource::Path(dir) => {
                let rel = relative_path(root, &dir.join(krate))?;
                Some(("path", rel))
            }
        })
    };
    if *deps == DepSource::CratesIo {
        return Ok((manifest.to_owned(), Vec::new()));
    }
    let mut doc: DocumentMut = manifest.parse().context("invalid TOML")?;
    let patch = child_table(doc.as_table_mut(), "patch", None)?;
    let table = child_table(patch, "crates-io", Some(PATCH_COMMENT))?;
    let mut added = Vec::new();
    for krate in OUR_CRATES {
        if table.contains_key(krate) {
            continue;
        }
        let (key, value) = source(krate)?.expect("not crates.io");
        let mut inline = toml_edit::InlineTable::new();
        inline.insert(key, Value::from(value));
        let value = Value::InlineTable(inline);
        added.push(format!(
            "patch.crates-io.{krate} = {}",
            value.to_string().trim()
        ));
        table.insert(krate, Item::Value(value));
    }
    if added.is_empty() {
        return Ok((manifest.to_owned(), added));
    }
    Ok((doc.to_string(), added))
}

/// A TOML string literal.
fn toml_str(s: &str) -> String {
    Value::from(s).to_string().trim().to_owned()
}

/// The migrations crate's manifest: migrate-core and migrate-macros by version requirement,
/// as published crates (the workspace root's `[patch.crates-io]` says where they are until
/// then), sqlx and sea-query with the workspace's caret requirements. migrate-core without
/// its default features: `cli` and the `backends` only.
fn cargo_toml(name: &str, backends: &[BackendArg]) -> String {
    let v = env!("CARGO_PKG_VERSION");
    let features: String = backends
        .iter()
        .map(|b| format!(", \"{}\"", b.feature()))
        .collect();
    let mut s = String::new();
    let _ = write!(
        s,
        "[package]\n\
         name = {name}\n\
         version = \"0.1.0\"\n\
         edition = \"2024\"\n\
         publish = false\n\
         \n\
         [dependencies]\n\
         migrate-core = {{ version = \"{v}\", default-features = false, features = [\"cli\"{features}] }}\n\
         migrate-macros = {{ version = \"{v}\" }}\n\
         sqlx = {{ version = \"{SQLX_VERSION}\", default-features = false }}\n\
         sea-query = {{ version = \"{SEA_QUERY_VERSION}\", default-features = false }}\n",
        name = toml_str(name),
    );
    s
}

pub(crate) const BUILD_RS: &str = "\
// A new revision file must rebuild the crate even though no other file changed.
fn main() {
    println!(\"cargo:rerun-if-changed=src/versions\");
}
";

fn lib_rs() -> String {
    "\
//! The database migrations of this project, managed with `cargo migrate`.
//!
//! Every file in `src/versions/` is one revision: `upgrade` and `downgrade` functions in a
//! module under `#[migrate_macros::migration(revision = \"…\", down_revision = \"…\")]`.
//! `migrations!()` collects them into `MIGRATIONS` and checks the revision graph at compile
//! time.
//!
//! ```text
//! cargo migrate revision -m \"create users\"   # a new file in src/versions/
//! cargo migrate upgrade                      # apply every revision
//! cargo migrate downgrade -1                 # revert the last one
//! cargo migrate history                      # list them, newest first
//! ```

migrate_macros::migrations!();
"
    .to_owned()
}

fn main_rs(ident: &str) -> String {
    format!(
        "\
//! The runner `cargo migrate` builds and runs (`cargo run -p <this crate> -- upgrade` works too).

fn main() -> std::process::ExitCode {{
    migrate_core::cli::main(&{ident}::MIGRATIONS)
}}
"
    )
}

const VERSIONS_README: &str = "\
# Revisions

One file per revision, created with `cargo migrate revision -m \"message\"` and named
`<revision id>_<message>.rs`. Only `*.rs` files here are revisions.
";

/// The `.gitignore` lines for the default SQLite database (`migrate.db` in the project
/// directory, with SQLite's `-journal` / `-wal` / `-shm` side files).
const GITIGNORE_LINES: &str = "\
# the default SQLite database of `cargo migrate` (added by `cargo migrate init`)
/migrate.db
/migrate.db-*
";

/// Makes `<root>/.gitignore` ignore the default SQLite database, creating the file when
/// missing; a file that already names `migrate.db` (or ignores every `*.db`) is left alone.
/// Returns whether the file changed.
///
/// # Errors
/// When the file cannot be read or written.
fn ignore_default_database(root: &Path) -> anyhow::Result<bool> {
    let file = root.join(".gitignore");
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", file.display())),
    };
    if text.lines().map(str::trim).any(|l| {
        matches!(
            l,
            "migrate.db" | "/migrate.db" | "migrate.db*" | "/migrate.db*" | "*.db" | "/*.db"
        )
    }) {
        return Ok(false);
    }
    let mut new = text;
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    new.push_str(GITIGNORE_LINES);
    std::fs::write(&file, new).with_context(|| format!("cannot write `{}`", file.display()))?;
    Ok(true)
}

fn valid_package_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The manifest `init` edits: the nearest enclosing workspace root, else the nearest
/// enclosing package (cargo looks for a workspace the same way).
fn enclosing_manifest(start: &Path) -> anyhow::Result<Option<PathBuf>> {
    let mut nearest_package = None;
    for dir in start.ancestors() {
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest)
            .with_context(|| format!("cannot read `{}`", manifest.display()))?;
        let doc: DocumentMut = text
            .parse()
            .with_context(|| format!("cannot parse `{}`", manifest.display()))?;
        if doc.contains_key("workspace") {
            return Ok(Some(manifest));
        }
        nearest_package.get_or_insert(manifest);
    }
    Ok(nearest_package)
}

pub(crate) fn run(args: &InitArgs) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let path = cwd.join(&args.path);
    if path.exists() {
        bail!(
            "`{}` already exists; choose another path (`cargo migrate init PATH`)",
            display_path(&path)
        );
    }
    let dir_name = path
        .file_name()
        .context("the path has no directory name; give one, e.g. `cargo migrate init migrations`")?
        .to_string_lossy()
        .into_owned();
    let name = args.name.clone().unwrap_or(dir_name);
    if !valid_package_name(&name) {
        bail!(
            "`{name}` is not a valid package name (letters, digits, `-` and `_`); choose one with --name"
        );
    }
    let ident = name.replace('-', "_");
    let parent = path.parent().context("the path has no parent directory")?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create directory `{}`", parent.display()))?;
    let parent = parent
        .canonicalize()
        .with_context(|| format!("cannot resolve `{}`", parent.display()))?;
    let path = parent.join(path.file_name().expect("checked above"));

    let deps = dep_source(args.deps.as_ref(), &cwd)?;
    let backends = choose_backends(&args.backend)?;
    // plan the manifest edit first: a manifest we cannot parse stops us before we write
    let edit = match enclosing_manifest(&parent)? {
        Some(manifest) => {
            let root = manifest.parent().expect("a file has a parent");
            let member = path
                .strip_prefix(root)
                .expect("the crate is below its enclosing manifest")
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let text = std::fs::read_to_string(&manifest)
                .with_context(|| format!("cannot read `{}`", manifest.display()))?;
            let (new_text, what) = add_workspace_member(&text, &member)
                .with_context(|| format!("cannot edit `{}`", manifest.display()))?;
            // profiles are read from the workspace root only
            let (new_text, mut profile) = add_profile_overrides(&new_text, &name)
                .with_context(|| format!("cannot edit `{}`", manifest.display()))?;
            // so are patches
            let (new_text, patch) = add_patch(&new_text, root, &deps)
                .with_context(|| format!("cannot edit `{}`", manifest.display()))?;
            profile.extend(patch);
            Some((manifest, new_text, what, member, profile))
        }
        None => None,
    };

    let versions = path.join(VERSIONS_DIR);
    std::fs::create_dir_all(&versions)
        .with_context(|| format!("cannot create directory `{}`", versions.display()))?;
    // no enclosing manifest: the crate is its own workspace root and holds the profiles
    let (manifest, own_profile) = match edit {
        Some(_) => (cargo_toml(&name, &backends), Vec::new()),
        None => {
            let (text, mut added) = add_profile_overrides(&cargo_toml(&name, &backends), &name)?;
            let (text, patch) = add_patch(&text, &path, &deps)?;
            added.extend(patch);
            (text, added)
        }
    };
    let files = [
        ("Cargo.toml", manifest),
        ("build.rs", BUILD_RS.to_owned()),
        ("src/lib.rs", lib_rs()),
        ("src/main.rs", main_rs(&ident)),
        ("src/versions/README.md", VERSIONS_README.to_owned()),
    ];
    for (file, text) in &files {
        crate::sources::write_new(&path.join(file), text)?;
    }
    crate::status(
        "Created",
        format_args!("migrations crate `{name}` at `{}`", display_path(&path)),
    );

    let (profile_manifest, added) = match &edit {
        Some((manifest, new_text, what, member, profile)) => {
            let shown = display_path(manifest);
            if *what != WorkspaceEdit::AlreadyMember || !profile.is_empty() {
                std::fs::write(manifest, new_text)
                    .with_context(|| format!("cannot write `{shown}`"))?;
            }
            match what {
                WorkspaceEdit::AlreadyMember => {}
                WorkspaceEdit::AddedMember => crate::status(
                    "Updated",
                    format_args!("`{shown}`: added `{member}` to workspace.members"),
                ),
                WorkspaceEdit::MadeWorkspace => crate::status(
                    "Updated",
                    format_args!("`{shown}`: added `[workspace]` with members `.` and `{member}`"),
                ),
            }
            (shown, profile)
        }
        None => {
            crate::note(format_args!(
                "`{}` is a workspace of its own; run `cargo migrate` inside it",
                display_path(&path)
            ));
            (display_path(&path.join("Cargo.toml")), &own_profile)
        }
    };
    let (settings, patches): (Vec<&String>, Vec<&String>) =
        added.iter().partition(|l| l.starts_with("profile."));
    if !settings.is_empty() {
        crate::status(
            "Updated",
            format_args!(
                "`{profile_manifest}`: added build settings for fast rebuilds after a new \
                 revision (keep or tune them):"
            ),
        );
        for line in settings {
            eprintln!("{:>12} {line}", "");
        }
    }
    if !patches.is_empty() {
        crate::status(
            "Updated",
            format_args!(
                "`{profile_manifest}`: migrate-core and migrate-macros are not on crates.io yet; \
                 cargo takes them from:"
            ),
        );
        for line in patches {
            eprintln!("{:>12} {line}", "");
        }
    }
    let root = match &edit {
        Some((manifest, ..)) => manifest.parent().expect("a file has a parent").to_owned(),
        None => path.clone(),
    };
    // the default database (no DATABASE_URL) is a SQLite file: ignored when SQLite is built in
    if backends.contains(&BackendArg::Sqlite) && ignore_default_database(&root)? {
        crate::status(
            "Updated",
            format_args!(
                "`{}`: ignores the default SQLite database `migrate.db`",
                display_path(&root.join(".gitignore"))
            ),
        );
    }
    crate::note(
        "next: `cargo migrate revision -m \"create users\"`, write its upgrade and downgrade, \
         then `cargo migrate upgrade`",
    );
    let build = match &edit {
        Some(_) => "`cargo build` in the workspace".to_owned(),
        None => format!("`cargo build` in `{}`", display_path(&path)),
    };
    match &deps {
        DepSource::Path(dir) => crate::note(format_args!(
            "a teammate's clone builds with {build} when the cargo-migrate checkout sits at \
             `{}` relative to the workspace root (here `{}`); to build anywhere (CI, Docker), \
             point the `[patch.crates-io]` entries at the repository with `git = \"URL\"` \
             (what `init --deps git=URL` writes; README: Sharing the project)",
            relative_path(&root, dir)?,
            dir.display()
        )),
        DepSource::Git(url) => crate::note(format_args!(
            "a teammate's clone builds with {build}; cargo fetches migrate-core and \
             migrate-macros from `{url}`"
        )),
        DepSource::CratesIo => {
            crate::note(format_args!("a teammate's clone builds with {build}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(before: &str, member: &str, after: &str, what: WorkspaceEdit) {
        let (text, got) = add_workspace_member(before, member).unwrap();
        assert_eq!(text, after);
        assert_eq!(got, what);
    }

    #[test]
    fn appends_to_a_multi_line_members_list() {
        check(
            "[workspace]\nresolver = \"2\"\nmembers = [\n    \"app\",\n    \"lib\", # the library\n]\n\n[workspace.dependencies]\nx = \"1\"\n",
            "migrations",
            "[workspace]\nresolver = \"2\"\nmembers = [\n    \"app\",\n    \"lib\", # the library\n    \"migrations\",\n]\n\n[workspace.dependencies]\nx = \"1\"\n",
            WorkspaceEdit::AddedMember,
        );
    }

    #[test]
    fn appends_to_a_one_line_members_list() {
        check(
            "[workspace]\nmembers = [\"app\"]\n",
            "db/migrations",
            "[workspace]\nmembers = [\"app\", \"db/migrations\"]\n",
            WorkspaceEdit::AddedMember,
        );
    }

    #[test]
    fn creates_members_when_missing() {
        check(
            "[package]\nname = \"app\"\n\n[workspace]\n",
            "migrations",
            "[package]\nname = \"app\"\n\n[workspace]\nmembers = [\"migrations\"]\n",
            WorkspaceEdit::AddedMember,
        );
    }

    #[test]
    fn a_glob_that_covers_it_is_enough() {
        let m = "[workspace]\nmembers = [\"crates/*\"]\n";
        check(m, "crates/migrations", m, WorkspaceEdit::AlreadyMember);
        let m = "[workspace]\nmembers = [\"migrations\"]\n";
        check(m, "migrations", m, WorkspaceEdit::AlreadyMember);
    }

    #[test]
    fn a_plain_package_becomes_a_workspace() {
        check(
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n",
            "migrations",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n\n[workspace]\nmembers = [\".\", \"migrations\"]\n",
            WorkspaceEdit::MadeWorkspace,
        );
    }

    #[test]
    fn globs() {
        assert!(glob_match("crates/*", "crates/x"));
        assert!(glob_match("./crates/*-db", "crates/app-db"));
        assert!(!glob_match("crates/*", "crates/x/y"));
        assert!(!glob_match("crates/*-db", "crates/app"));
        assert!(glob_match("crates/db?", "crates/db1"));
        assert!(glob_match("crates/[ab]*", "crates/b-db"));
        assert!(!glob_match("crates/[ab]*", "crates/c-db"));
        assert!(glob_match("crates/[", "crates/["));
    }

    /// The overrides as `init` writes them into a manifest that has none.
    const OVERRIDES: &str = "
# Written by `cargo migrate init`: the migrations crate rebuilds fast after a new revision.
# One codegen unit per revision module (with rustc's default of 256, adding a module regroups
# them and recompiles a quarter of the crate); line tables only: half the LLVM work, and
# backtraces keep file and line.
[profile.dev.package.db]
codegen-units = 4096
debug = \"line-tables-only\"
";

    #[track_caller]
    fn check_profile(before: &str, after: &str, added: &[&str]) {
        let (text, got) = add_profile_overrides(before, "db").unwrap();
        assert_eq!(text, after);
        assert_eq!(got, added);
        // a second run changes nothing
        let (again, none) = add_profile_overrides(&text, "db").unwrap();
        assert_eq!(again, text);
        assert!(none.is_empty(), "{none:?}");
    }

    const ALL_ADDED: &[&str] = &[
        "profile.dev.package.db.codegen-units = 4096",
        "profile.dev.package.db.debug = \"line-tables-only\"",
    ];

    #[test]
    fn profile_overrides_go_at_the_end() {
        let ws = "[workspace]\nmembers = [\"db\"]\n";
        check_profile(ws, &format!("{ws}{OVERRIDES}"), ALL_ADDED);
    }

    #[test]
    fn profile_overrides_keep_other_profile_settings() {
        let ws = "[workspace]\n\n[profile.dev]\ndebug = 1\n\n[profile.dev.package.\"*\"]\nopt-level = 1\n";
        check_profile(ws, &format!("{ws}{OVERRIDES}"), ALL_ADDED);
    }

    #[test]
    fn profile_overrides_keep_the_users_values() {
        check_profile(
            "[workspace]\n\n[profile.dev.package.db]\ncodegen-units = 16 # mine\n",
            "[workspace]\n\n[profile.dev.package.db]\ncodegen-units = 16 # mine\ndebug = \"line-tables-only\"\n",
            &["profile.dev.package.db.debug = \"line-tables-only\""],
        );
        // dotted keys and inline tables are tables too
        let m = "[profile.dev]\npackage.db = { codegen-units = 16, debug = 0 }\n";
        check_profile(m, m, &[]);
        let m = "[profile.dev]\npackage.db.codegen-units = 1\npackage.db.debug = 2\n";
        check_profile(m, m, &[]);
    }

    #[test]
    fn profile_overrides_need_tables() {
        let err = add_profile_overrides("profile = 1\n", "db").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`profile` in the profile settings is not a table"
        );
        let err = add_profile_overrides("[profile.dev]\npackage.db = 3\n", "db").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`db` in the profile settings is not a table"
        );
    }

    #[test]
    fn generated_manifest_pins_the_workspace_versions() {
        let root =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml")).unwrap();
        let doc: DocumentMut = root.parse().unwrap();
        let deps = &doc["workspace"]["dependencies"];
        assert_eq!(deps["sqlx"]["version"].as_str(), Some(SQLX_VERSION));
        assert_eq!(
            deps["sea-query"]["version"].as_str(),
            Some(SEA_QUERY_VERSION)
        );
        let toml = cargo_toml("my-migrations", &[BackendArg::Sqlite, BackendArg::Postgres]);
        let parsed: DocumentMut = toml.parse().unwrap();
        assert_eq!(parsed["package"]["name"].as_str(), Some("my-migrations"));
        // version requirements only, never a path, never an exact pin
        let v = env!("CARGO_PKG_VERSION");
        assert_eq!(
            parsed["dependencies"]["migrate-core"]["version"].as_str(),
            Some(v)
        );
        assert!(!toml.contains("path") && !toml.contains("\"="), "{toml}");
        assert!(
            toml.contains(&format!("migrate-macros = {{ version = \"{v}\" }}")),
            "{toml}"
        );
        for (name, dep) in doc["workspace"]["dependencies"]
            .as_table_like()
            .unwrap()
            .iter()
        {
            let req = dep.get("version").and_then(|v| v.as_str()).or(dep.as_str());
            assert!(
                !req.unwrap_or_default().starts_with('='),
                "`{name}` is pinned exactly: {req:?}"
            );
        }
    }

    #[test]
    fn backend_answers() {
        use BackendArg::*;
        assert_eq!(parse_backend_answer(""), Ok(vec![Sqlite]));
        assert_eq!(parse_backend_answer("2"), Ok(vec![Postgres]));
        assert_eq!(
            parse_backend_answer("mysql, 1 postgresql,1"),
            Ok(vec![Sqlite, Postgres, Mysql])
        );
        assert!(
            parse_backend_answer("oracle")
                .unwrap_err()
                .contains("`oracle`")
        );
        assert!(parse_backend_answer("4").is_err());
    }

    #[test]
    fn manifest_features_are_the_backends() {
        let toml = cargo_toml("m", &[BackendArg::Postgres]);
        let parsed: DocumentMut = toml.parse().unwrap();
        let core = &parsed["dependencies"]["migrate-core"];
        assert_eq!(core["default-features"].as_bool(), Some(false), "{toml}");
        let features: Vec<&str> = core["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(features, ["cli", "postgres"]);
    }

    #[test]
    fn relative_paths() {
        let rel = |a: &str, b: &str| relative_path(Path::new(a), Path::new(b)).unwrap();
        assert_eq!(
            rel("/home/me/app", "/home/me/tools/cm/migrate-core"),
            "../tools/cm/migrate-core"
        );
        assert_eq!(rel("/a", "/a/b"), "b");
        assert_eq!(rel("/a/b", "/a"), "..");
        assert_eq!(rel("/a", "/a"), ".");
        assert_eq!(rel("/x/y", "/z"), "../../z");
    }

    #[test]
    fn patches() {
        let ws = "[workspace]\nmembers = [\"db\"]\n";
        let deps = DepSource::Path(PathBuf::from("/home/me/cargo-migrate"));
        let (text, added) = add_patch(ws, Path::new("/home/me/app"), &deps).unwrap();
        assert_eq!(
            text,
            format!(
                "{ws}\n{PATCH_COMMENT}[patch.crates-io]\n\
                 migrate-core = {{ path = \"../cargo-migrate/migrate-core\" }}\n\
                 migrate-macros = {{ path = \"../cargo-migrate/migrate-macros\" }}\n"
            )
        );
        assert_eq!(
            added,
            [
                "patch.crates-io.migrate-core = { path = \"../cargo-migrate/migrate-core\" }",
                "patch.crates-io.migrate-macros = { path = \"../cargo-migrate/migrate-macros\" }"
            ]
        );
        // a second run, or a patch the user wrote, is kept
        let (again, none) = add_patch(&text, Path::new("/elsewhere"), &deps).unwrap();
        assert_eq!(again, text);
        assert!(none.is_empty());
        let git = DepSource::Git("https://example.invalid/cm.git".into());
        let (text, _) = add_patch(ws, Path::new("/a"), &git).unwrap();
        assert!(
            text.ends_with(
                "migrate-core = { git = \"https://example.invalid/cm.git\" }\n\
                 migrate-macros = { git = \"https://example.invalid/cm.git\" }\n"
            ),
            "{text}"
        );
        let (text, none) = add_patch(ws, Path::new("/a"), &DepSource::CratesIo).unwrap();
        assert_eq!(text, ws);
        assert!(none.is_empty());
    }

    #[test]
    fn deps_flag() {
        assert_eq!(parse_deps("crates-io"), Ok(DepsArg::CratesIo));
        assert_eq!(parse_deps("path"), Ok(DepsArg::Path(None)));
        assert_eq!(
            parse_deps("path=../cm"),
            Ok(DepsArg::Path(Some(PathBuf::from("../cm"))))
        );
        assert_eq!(
            parse_deps("git=https://x/y.git"),
            Ok(DepsArg::Git("https://x/y.git".into()))
        );
        assert!(parse_deps("git=").is_err());
        assert!(parse_deps("svn=x").is_err());
        // a directory without the crates is refused before anything is written
        let tmp = tempfile::tempdir().unwrap();
        let err = dep_source(Some(&DepsArg::Path(Some("nowhere".into()))), tmp.path())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("--deps path=`") && err.contains("has no `migrate-core/Cargo.toml`"),
            "{err}"
        );
        // this checkout is one
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        assert_eq!(
            dep_source(Some(&DepsArg::Path(Some(here.clone()))), tmp.path()).unwrap(),
            DepSource::Path(here.canonicalize().unwrap())
        );
    }

    #[test]
    fn gitignore() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join(".gitignore");
        std::fs::write(&f, "/target").unwrap();
        assert!(ignore_default_database(tmp.path()).unwrap());
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            format!("/target\n{GITIGNORE_LINES}")
        );
        assert!(!ignore_default_database(tmp.path()).unwrap());
        std::fs::write(&f, "*.db\n").unwrap();
        assert!(!ignore_default_database(tmp.path()).unwrap());
        std::fs::remove_file(&f).unwrap();
        assert!(ignore_default_database(tmp.path()).unwrap());
        assert_eq!(std::fs::read_to_string(&f).unwrap(), GITIGNORE_LINES);
    }
}
