//! The migrations crate's configuration: `[package.metadata.migrate]` in its `Cargo.toml`,
//! each key falling back to `[workspace.metadata.migrate]` in the workspace root's, then to
//! the default. Read by `cargo migrate` and, at compile time, by the `migrations!()` macro,
//! which bakes the values the runner needs into `MIGRATIONS` ([`crate::Settings`]), so the
//! runner binary run on its own honours the same configuration as `cargo migrate`.
//!
//! ```toml
//! [package.metadata.migrate]
//! version-table = "schema_history"      # default `migrate_version`
//! version-table-schema = "ops"          # default none: the connection's schema
//! database-url-env = "APP_DATABASE_URL" # default `DATABASE_URL`
//! versions-dir = "src/versions"         # relative to the crate root; or several:
//!                                       # ["src/versions", "src/tenant_versions"]
//! file-template = "{year}{month}{day}_{rev}_{slug}"   # default `{rev}_{slug}`; `.rs` added
//! id-style = "hex"                      # `hex` (12 random hex characters) or `timestamp`
//! archive = "archive"                   # the archive crate of settled revisions (below)
//! [package.metadata.migrate.lint]       # read and shown by `cargo migrate config`, not used here
//! ```
//!
//! **The archive crate** (`archive`, written by `cargo migrate archive`): the settled part of a
//! long history, moved into a library crate of its own (its directory relative to this
//! crate's root; the migrations crate depends on it by path). Its revisions are compiled once:
//! a new revision rebuilds only the migrations crate, whatever the length of the history.
//! `migrations!()` reads the archive's revision headers to check the whole graph at compile
//! time and composes the two registries; every `cargo migrate` command reads the archive's
//! versions directories first, then the crate's own ([`Archive`]).
//!
//! A key we do not know, or a value of the wrong type or form, is an error naming the file,
//! the line and the key: a typo never falls back to a default silently.
//!
//! **No IO except [`Config::load`]**, which reads the manifests; [`Config::from_manifests`]
//! is the pure parser the tests drive.

use std::fmt;
use std::path::{Path, PathBuf};

use toml_edit::{Document, Item, TableLike};

/// The default version table name (as [`crate::version_table`]'s `DEFAULT_VERSION_TABLE`).
pub const DEFAULT_VERSION_TABLE: &str = "migrate_version";
/// The default environment variable holding the database URL.
pub const DEFAULT_DATABASE_URL_ENV: &str = "DATABASE_URL";
/// The default versions directory, relative to the crate root.
pub const DEFAULT_VERSIONS_DIR: &str = "src/versions";
/// The default revision file name template (Alembic's `%%(rev)s_%%(slug)s`).
pub const DEFAULT_FILE_TEMPLATE: &str = "{rev}_{slug}";
/// The tokens a file template may use.
pub const FILE_TEMPLATE_TOKENS: &[&str] = &[
    "rev", "slug", "year", "month", "day", "hour", "minute", "second", "epoch",
];

/// Where a configured value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// Nothing set it: the default.
    Default,
    /// A key of a manifest: the file, the 1-based line of the key, the key's dotted path.
    Manifest {
        /// The `Cargo.toml`.
        path: PathBuf,
        /// The key's line (1-based); 0 when unknown.
        line: usize,
        /// `package.metadata.migrate.version-table`, say.
        key: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => write!(f, "default"),
            Origin::Manifest { path, line, key } => {
                write!(f, "{}:{line} ({key})", path.display())
            }
        }
    }
}

/// A configured value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub origin: Origin,
}

impl<T> Setting<T> {
    fn default(value: T) -> Self {
        Setting {
            value,
            origin: Origin::Default,
        }
    }
}

/// How `cargo migrate revision` makes a new revision id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdStyle {
    /// 12 random lowercase hex characters (Alembic's default), e.g. `3f2a9c1b7e4d`.
    Hex,
    /// The UTC creation time, `YYYYMMDDHHMMSS` (a digit appended on a clash).
    Timestamp,
}

impl IdStyle {
    /// The name as written in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            IdStyle::Hex => "hex",
            IdStyle::Timestamp => "timestamp",
        }
    }
}

/// The effective configuration of a migrations crate. See the module docs for the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `version-table`: the version table's name.
    pub version_table: Setting<String>,
    /// `version-table-schema`: the schema the version table lives in (`None`: the
    /// connection's default schema).
    pub version_table_schema: Setting<Option<String>>,
    /// `database-url-env`: the environment variable (or `.env` entry) holding the URL.
    pub database_url_env: Setting<String>,
    /// `versions-dir`: the revision files' directories, relative to the crate root, in the
    /// order written (at least one; no directory twice). A string is one directory; an array
    /// of strings is several, as Alembic's `version_locations`: every command and
    /// `migrations!()` read them all, in this order and by file name within each.
    pub versions_dirs: Setting<Vec<String>>,
    /// `file-template`: the new revision file's name without `.rs`.
    pub file_template: Setting<String>,
    /// `id-style`: how new revision ids are made.
    pub id_style: Setting<IdStyle>,
    /// `lint`: the lint settings table as written (TOML text), for `cargo migrate config`.
    pub lint: Setting<Option<String>>,
    /// `archive`: the archive crate's directory, relative to the crate root (`None`: no
    /// archive). See [`Config::archive`].
    pub archive: Setting<Option<String>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            version_table: Setting::default(DEFAULT_VERSION_TABLE.to_owned()),
            version_table_schema: Setting::default(None),
            database_url_env: Setting::default(DEFAULT_DATABASE_URL_ENV.to_owned()),
            versions_dirs: Setting::default(vec![DEFAULT_VERSIONS_DIR.to_owned()]),
            file_template: Setting::default(DEFAULT_FILE_TEMPLATE.to_owned()),
            id_style: Setting::default(IdStyle::Hex),
            lint: Setting::default(None),
            archive: Setting::default(None),
        }
    }
}

/// A configuration that cannot be used: the file, the line and the key, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {reason}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    /// The manifest.
    pub path: PathBuf,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong, naming the key.
    pub reason: String,
}

/// The 1-based line of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// One parsed manifest.
struct Manifest<'a> {
    path: &'a Path,
    text: &'a str,
    doc: Document<&'a str>,
}

impl<'a> Manifest<'a> {
    fn parse(path: &'a Path, text: &'a str) -> Result<Manifest<'a>, ConfigError> {
        let doc = Document::parse(text).map_err(|e| ConfigError {
            path: path.to_owned(),
            line: e.span().map(|s| line_of(text, s.start)),
            reason: format!(
                "not valid TOML: {}",
                e.message().trim_end_matches('\n').replace('\n', " ")
            ),
        })?;
        Ok(Manifest { path, text, doc })
    }

    /// The `[<root>.metadata.migrate]` table (`root`: `package` or `workspace`).
    fn migrate_table(&self, root: &str) -> Result<Option<&dyn TableLike>, ConfigError> {
        let Some(metadata) = self
            .doc
            .get(root)
            .and_then(Item::as_table_like)
            .and_then(|t| t.get("metadata"))
        else {
            return Ok(None);
        };
        let Some(item) = metadata.as_table_like().and_then(|t| t.get("migrate")) else {
            return Ok(None);
        };
        match item.as_table_like() {
            Some(t) => Ok(Some(t)),
            None => Err(ConfigError {
                path: self.path.to_owned(),
                line: None,
                reason: format!("`{root}.metadata.migrate` must be a table"),
            }),
        }
    }
}

/// The keys of `[*.metadata.migrate]`.
const KEYS: &[&str] = &[
    "version-table",
    "version-table-schema",
    "database-url-env",
    "versions-dir",
    "file-template",
    "id-style",
    "lint",
    "archive",
];

impl Config {
    /// Reads the configuration of the crate whose manifest is `crate_manifest`: its
    /// `[package.metadata.migrate]`, then `[workspace.metadata.migrate]` of the workspace
    /// root (the crate's own manifest when it has a `[workspace]` table, else the nearest
    /// `Cargo.toml` above it with one, or the one `package.workspace` names).
    ///
    /// # Errors
    /// [`ConfigError`] when a manifest cannot be read, is not TOML, or a key is unknown or
    /// has a wrong value (the file, line and key named).
    pub fn load(crate_manifest: &Path) -> Result<Config, ConfigError> {
        Config::load_tracked(crate_manifest).map(|(c, _)| c)
    }

    /// [`Config::load`], also returning the manifests it read (the crate's, and the
    /// workspace root's when that is another file): `migrations!()` makes the crate depend on
    /// them, so editing the configuration rebuilds it.
    ///
    /// # Errors
    /// As [`Config::load`].
    pub fn load_tracked(crate_manifest: &Path) -> Result<(Config, Vec<PathBuf>), ConfigError> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| ConfigError {
                path: p.to_owned(),
                line: None,
                reason: format!("cannot read it: {e}"),
            })
        };
        let text = read(crate_manifest)?;
        let own = Manifest::parse(crate_manifest, &text)?;
        let mine = vec![crate_manifest.to_owned()];
        if own.doc.get("workspace").is_some() {
            return Ok((Config::from_parsed(&own, None)?, mine));
        }
        let dir = crate_manifest.parent().unwrap_or(Path::new("."));
        let explicit = own
            .doc
            .get("package")
            .and_then(|p| p.get("workspace"))
            .and_then(Item::as_str)
            .map(|w| dir.join(w).join("Cargo.toml"));
        let candidates: Vec<PathBuf> = match explicit {
            Some(p) => vec![p],
            None => dir
                .ancestors()
                .skip(1)
                .map(|d| d.join("Cargo.toml"))
                .collect(),
        };
        for candidate in candidates {
            if !candidate.is_file() {
                continue;
            }
            let root_text = read(&candidate)?;
            let root = Manifest::parse(&candidate, &root_text)?;
            if root.doc.get("workspace").is_some() {
                let files = vec![crate_manifest.to_owned(), candidate.clone()];
                return Ok((Config::from_parsed(&own, Some(&root))?, files));
            }
        }
        Ok((Config::from_parsed(&own, None)?, mine))
    }

    /// [`Config::load`] on manifests given as text: the crate's, and the workspace root's
    /// when it is another file.
    ///
    /// # Errors
    /// As [`Config::load`].
    pub fn from_manifests(
        crate_manifest: (&Path, &str),
        workspace_manifest: Option<(&Path, &str)>,
    ) -> Result<Config, ConfigError> {
        let own = Manifest::parse(crate_manifest.0, crate_manifest.1)?;
        let root = workspace_manifest
            .map(|(p, t)| Manifest::parse(p, t))
            .transpose()?;
        Config::from_parsed(&own, root.as_ref())
    }

    fn from_parsed(own: &Manifest<'_>, root: Option<&Manifest<'_>>) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        // the workspace's first, the package's over it (a key falls back alone)
        let workspace = match root {
            Some(r) => r.migrate_table("workspace")?.map(|t| (r, "workspace", t)),
            None => own
                .migrate_table("workspace")?
                .map(|t| (own, "workspace", t)),
        };
        let package = own.migrate_table("package")?.map(|t| (own, "package", t));
        for (manifest, root_key, table) in workspace.into_iter().chain(package) {
            config.apply(manifest, root_key, table)?;
        }
        Ok(config)
    }

    fn apply(
        &mut self,
        m: &Manifest<'_>,
        root: &str,
        table: &dyn TableLike,
    ) -> Result<(), ConfigError> {
        for (key, item) in table.iter() {
            let full = format!("{root}.metadata.migrate.{key}");
            let line = table
                .key(key)
                .and_then(|k| k.span())
                .map(|s| line_of(m.text, s.start));
            let err = |reason: String| ConfigError {
                path: m.path.to_owned(),
                line,
                reason: format!("`{full}`: {reason}"),
            };
            let origin = Origin::Manifest {
                path: m.path.to_owned(),
                line: line.unwrap_or(0),
                key: full.clone(),
            };
            let string = || {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| err("expected a string".into()))
            };
            match key {
                "version-table" => {
                    let v = string()?;
                    check_identifier(&v, true).map_err(err)?;
                    self.version_table = Setting { value: v, origin };
                }
                "version-table-schema" => {
                    let v = string()?;
                    check_identifier(&v, true).map_err(err)?;
                    self.version_table_schema = Setting {
                        value: Some(v),
                        origin,
                    };
                }
                "database-url-env" => {
                    let v = string()?;
                    check_identifier(&v, false).map_err(err)?;
                    self.database_url_env = Setting { value: v, origin };
                }
                "versions-dir" => {
                    let dirs = versions_dirs(item).map_err(err)?;
                    self.versions_dirs = Setting {
                        value: dirs,
                        origin,
                    };
                }
                "file-template" => {
                    let v = string()?;
                    check_template(&v).map_err(err)?;
                    self.file_template = Setting { value: v, origin };
                }
                "id-style" => {
                    let style = match string()?.as_str() {
                        "hex" => IdStyle::Hex,
                        "timestamp" => IdStyle::Timestamp,
                        other => {
                            return Err(err(format!(
                                "unknown id style `{other}`; expected \"hex\" or \"timestamp\""
                            )));
                        }
                    };
                    self.id_style = Setting {
                        value: style,
                        origin,
                    };
                }
                "lint" => {
                    let Some(t) = item.as_table_like() else {
                        return Err(err("expected a table (`[…metadata.migrate.lint]`)".into()));
                    };
                    let mut text = String::new();
                    for (k, v) in t.iter() {
                        let v = v.to_string();
                        text.push_str(&format!("{k} = {}\n", v.trim()));
                    }
                    self.lint = Setting {
                        value: Some(text),
                        origin,
                    };
                }
                "archive" => {
                    let v = string()?;
                    if v.trim().is_empty() || Path::new(&v).is_absolute() {
                        return Err(err(
                            "expected the archive crate's directory relative to the crate \
                             root, such as \"archive\""
                                .into(),
                        ));
                    }
                    self.archive = Setting {
                        value: Some(v),
                        origin,
                    };
                }
                other => {
                    return Err(err(format!(
                        "unknown key `{other}`; the keys are {}",
                        KEYS.join(", ")
                    )));
                }
            }
        }
        Ok(())
    }

    /// The archive crate named by `archive`, read from its manifest (`None` when `archive`
    /// is not set); `crate_dir` is this crate's root, which `archive` is relative to.
    ///
    /// # Errors
    /// [`ConfigError`] on this crate's manifest (the `archive` key's line) when the archive's
    /// `Cargo.toml` is missing or has no `package.name`, or when the archive configures an
    /// archive of its own; the archive manifest's own errors as [`Config::load`].
    pub fn archive(&self, crate_dir: &Path) -> Result<Option<Archive>, ConfigError> {
        let Some(rel) = &self.archive.value else {
            return Ok(None);
        };
        let (path, line) = match &self.archive.origin {
            Origin::Manifest { path, line, .. } => (path.clone(), Some(*line)),
            Origin::Default => (crate_dir.join("Cargo.toml"), None),
        };
        let err = |reason: String| ConfigError {
            path: path.clone(),
            line,
            reason,
        };
        let dir = normalize_path(&crate_dir.join(rel));
        let manifest = dir.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).map_err(|e| {
            err(format!(
                "`archive`: cannot read the archive crate's manifest `{}`: {e}",
                manifest.display()
            ))
        })?;
        let parsed = Manifest::parse(&manifest, &text)?;
        let package = parsed
            .doc
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(Item::as_str)
            .ok_or_else(|| {
                err(format!(
                    "`archive`: `{}` has no `package.name`; the archive is a library crate",
                    manifest.display()
                ))
            })?
            .to_owned();
        let own = Config::load(&manifest)?;
        if own.archive.value.is_some() {
            return Err(err(format!(
                "`archive`: the archive crate `{package}` configures an archive of its own; an \
                 archive holds revisions only (remove `archive` from `{}`)",
                manifest.display()
            )));
        }
        Ok(Some(Archive {
            versions_dirs: own
                .versions_dirs
                .value
                .iter()
                .map(|d| normalize_path(&dir.join(d)))
                .collect(),
            dir,
            manifest,
            package,
        }))
    }

    /// The version table's name as the runner takes it: `schema.table` when a schema is
    /// configured, else the table.
    pub fn qualified_version_table(&self) -> String {
        match &self.version_table_schema.value {
            Some(s) => format!("{s}.{}", self.version_table.value),
            None => self.version_table.value.clone(),
        }
    }
}

/// The archive crate of a migrations crate ([`Config::archive`]): where it is and which
/// versions directories it compiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    /// Its root directory, absolute when the crate's was, normalized.
    pub dir: PathBuf,
    /// Its `Cargo.toml`.
    pub manifest: PathBuf,
    /// Its package name (the crate's path in code: `-` becomes `_`).
    pub package: String,
    /// Its versions directories (its own `versions-dir`, default `src/versions`), under
    /// [`Archive::dir`], in its order.
    pub versions_dirs: Vec<PathBuf>,
}

impl Archive {
    /// The crate name as code names it (`app-archive` → `app_archive`).
    pub fn crate_ident(&self) -> String {
        self.package.replace('-', "_")
    }
}

/// `versions-dir`'s value: a string, or a non-empty array of strings; each a directory
/// relative to the crate root, none named twice (compared with `.` components and trailing
/// separators removed: `src/./versions/` is `src/versions`).
fn versions_dirs(item: &Item) -> Result<Vec<String>, String> {
    const EXPECTED: &str = "expected a directory relative to the crate root, such as \
                            \"src/versions\", or an array of them, such as \
                            [\"src/versions\", \"src/tenant_versions\"]";
    let dirs: Vec<String> = if let Some(s) = item.as_str() {
        vec![s.to_owned()]
    } else if let Some(array) = item.as_array() {
        let mut dirs = Vec::with_capacity(array.len());
        for v in array.iter() {
            dirs.push(v.as_str().ok_or_else(|| EXPECTED.to_owned())?.to_owned());
        }
        if dirs.is_empty() {
            return Err(format!("an empty array names no directory; {EXPECTED}"));
        }
        dirs
    } else {
        return Err(EXPECTED.to_owned());
    };
    let mut seen: Vec<PathBuf> = Vec::with_capacity(dirs.len());
    for d in &dirs {
        if d.trim().is_empty() || Path::new(d).is_absolute() {
            return Err(EXPECTED.to_owned());
        }
        let normal = normalize_path(Path::new(d));
        if let Some(i) = seen.iter().position(|s| *s == normal) {
            let first = &dirs[i];
            return Err(if first == d {
                format!("`{d}` is listed twice; name each directory once")
            } else {
                format!("`{d}` is `{first}` again; name each directory once")
            });
        }
        seen.push(normal);
    }
    Ok(dirs)
}

/// A table/schema name (letters, digits, `_`, `-`; `-` allowed when `dash`) or an environment
/// variable name (letters, digits, `_`), starting with a letter or `_`, at most 63 characters.
fn check_identifier(v: &str, dash: bool) -> Result<(), String> {
    let ok = !v.is_empty()
        && v.len() <= 63
        && v.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || (dash && c == '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{v}` is not a valid name: use letters, digits and `_`{}, starting with a letter \
             or `_` (at most 63)",
            if dash { " or `-`" } else { "" }
        ))
    }
}

/// A file template: text and `{token}`s of [`FILE_TEMPLATE_TOKENS`], no path separator.
fn check_template(t: &str) -> Result<(), String> {
    if t.contains(['/', '\\']) || t.trim().is_empty() {
        return Err("expected a file name without a directory, such as \"{rev}_{slug}\"".into());
    }
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("unclosed `{{` in `{t}`"))?;
        let token = &after[..close];
        if !FILE_TEMPLATE_TOKENS.contains(&token) {
            return Err(format!(
                "unknown token `{{{token}}}`; the tokens are {}",
                FILE_TEMPLATE_TOKENS
                    .iter()
                    .map(|t| format!("{{{t}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("unmatched `}}` in `{t}`"));
    }
    Ok(())
}

/// The values a new revision's file name is made of.
#[derive(Debug, Clone)]
pub struct FileNameParts<'a> {
    /// The revision id.
    pub rev: &'a str,
    /// The message slug (see `source::file_name`): lowercase ASCII words joined by `_`.
    pub slug: &'a str,
    /// The creation time, UTC: year, month, day, hour, minute, second.
    pub utc: (i32, u8, u8, u8, u8, u8),
    /// The creation time in seconds since the Unix epoch.
    pub epoch: i64,
}

/// `path` with its `.` components removed and each `..` applied to the component before it,
/// without touching the filesystem (no symbolic link is followed; a leading `..` stays). Two
/// spellings of one versions directory (`./src/versions/`, `src/x/../versions`) compare
/// equal after it. Used by the configuration's duplicate check, `migrations!()` and the CLI's
/// `--version-path`.
pub fn normalize_path(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !matches!(out.components().next_back(), Some(Component::Normal(_))) || !out.pop()
                {
                    out.push(c);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A new revision's file name from a checked `template` ([`Config::file_template`]), with
/// `.rs` appended. Month, day, hour, minute and second are two digits. An empty `{slug}`
/// leaves no doubled or trailing `_`.
pub fn render_file_name(template: &str, parts: &FileNameParts<'_>) -> String {
    let (y, mo, d, h, mi, s) = parts.utc;
    let mut out = template.to_owned();
    for (token, value) in [
        ("{rev}", parts.rev.to_owned()),
        ("{slug}", parts.slug.to_owned()),
        ("{year}", format!("{y:04}")),
        ("{month}", format!("{mo:02}")),
        ("{day}", format!("{d:02}")),
        ("{hour}", format!("{h:02}")),
        ("{minute}", format!("{mi:02}")),
        ("{second}", format!("{s:02}")),
        ("{epoch}", parts.epoch.to_string()),
    ] {
        out = out.replace(token, &value);
    }
    while out.contains("__") && parts.slug.is_empty() {
        out = out.replace("__", "_");
    }
    let out = out.trim_matches('_');
    format!("{out}.rs")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(crate_toml: &str, workspace_toml: Option<&str>) -> Result<Config, ConfigError> {
        Config::from_manifests(
            (Path::new("/w/m/Cargo.toml"), crate_toml),
            workspace_toml.map(|t| (Path::new("/w/Cargo.toml"), t)),
        )
    }

    const PKG: &str = "[package]\nname = \"m\"\n";

    #[test]
    fn nothing_configured_is_the_defaults() {
        assert_eq!(load(PKG, None).unwrap(), Config::default());
        assert_eq!(
            load(PKG, Some("[workspace]\nmembers = [\"m\"]\n")).unwrap(),
            Config::default()
        );
        assert_eq!(
            Config::default().qualified_version_table(),
            DEFAULT_VERSION_TABLE
        );
    }

    #[test]
    fn package_keys_win_over_workspace_keys_one_by_one() {
        let c = load(
            &format!(
                "{PKG}\n[package.metadata.migrate]\nversion-table = \"pkg_versions\"\n\
                 id-style = \"timestamp\"\n"
            ),
            Some(
                "[workspace]\n[workspace.metadata.migrate]\nversion-table = \"ws_versions\"\n\
                 version-table-schema = \"ops\"\ndatabase-url-env = \"APP_DB\"\n\
                 [workspace.metadata.migrate.lint]\ndeny = [\"ban-drop-table\"]\n",
            ),
        )
        .unwrap();
        assert_eq!(c.version_table.value, "pkg_versions");
        assert_eq!(
            c.version_table.origin,
            Origin::Manifest {
                path: "/w/m/Cargo.toml".into(),
                line: 5,
                key: "package.metadata.migrate.version-table".into()
            }
        );
        assert_eq!(c.version_table_schema.value.as_deref(), Some("ops"));
        assert_eq!(c.qualified_version_table(), "ops.pkg_versions");
        assert_eq!(c.database_url_env.value, "APP_DB");
        assert_eq!(
            c.database_url_env.origin.to_string(),
            "/w/Cargo.toml:5 (workspace.metadata.migrate.database-url-env)"
        );
        assert_eq!(c.id_style.value, IdStyle::Timestamp);
        assert_eq!(
            c.versions_dirs,
            Setting::default(vec!["src/versions".to_owned()])
        );
        assert_eq!(
            c.lint.value.as_deref(),
            Some("deny = [\"ban-drop-table\"]\n")
        );
    }

    #[test]
    fn a_root_package_reads_its_own_workspace_table() {
        let c = load(
            "[package]\nname = \"m\"\n[workspace]\n[workspace.metadata.migrate]\n\
             versions-dir = \"migrations\"\n",
            None,
        )
        .unwrap();
        assert_eq!(c.versions_dirs.value, ["migrations"]);
    }

    #[test]
    fn versions_dir_takes_a_string_or_an_array_of_strings() {
        let c = load(
            &format!(
                "{PKG}\n[package.metadata.migrate]\nversions-dir = [\n  \"src/versions\",\n  \
                 \"src/tenant_versions\",\n]\n"
            ),
            None,
        )
        .unwrap();
        assert_eq!(
            c.versions_dirs.value,
            ["src/versions", "src/tenant_versions"]
        );
        assert_eq!(
            c.versions_dirs.origin.to_string(),
            "/w/m/Cargo.toml:5 (package.metadata.migrate.versions-dir)"
        );
        // one element is the string form; the package's array replaces the workspace's
        let c = load(
            &format!("{PKG}\n[package.metadata.migrate]\nversions-dir = [\"a\"]\n"),
            Some("[workspace]\n[workspace.metadata.migrate]\nversions-dir = [\"b\", \"c\"]\n"),
        )
        .unwrap();
        assert_eq!(c.versions_dirs.value, ["a"]);
        let c = load(
            PKG,
            Some("[workspace]\n[workspace.metadata.migrate]\nversions-dir = [\"b\", \"../c\"]\n"),
        )
        .unwrap();
        assert_eq!(c.versions_dirs.value, ["b", "../c"]);
        assert_eq!(
            c.versions_dirs.origin.to_string(),
            "/w/Cargo.toml:3 (workspace.metadata.migrate.versions-dir)"
        );
    }

    /// Each malformed configuration and the one-line error it gives.
    #[test]
    fn malformed_configurations_name_the_file_the_line_and_the_key() {
        for (toml, expect) in [
            (
                "[package.metadata.migrate]\nversion_table = \"x\"\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.version_table`: unknown key \
                 `version_table`; the keys are version-table, version-table-schema, \
                 database-url-env, versions-dir, file-template, id-style, lint",
            ),
            (
                "[package.metadata.migrate]\nversion-table = 3\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.version-table`: expected a string",
            ),
            (
                "[package.metadata.migrate]\n\nversion-table = \"a b\"\n",
                "/w/m/Cargo.toml:6: `package.metadata.migrate.version-table`: `a b` is not a \
                 valid name: use letters, digits and `_` or `-`, starting with a letter or `_` \
                 (at most 63)",
            ),
            (
                "[package.metadata.migrate]\ndatabase-url-env = \"APP-DB\"\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.database-url-env`: `APP-DB` is \
                 not a valid name: use letters, digits and `_`, starting with a letter or `_` \
                 (at most 63)",
            ),
            (
                "[package.metadata.migrate]\nid-style = \"uuid\"\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.id-style`: unknown id style \
                 `uuid`; expected \"hex\" or \"timestamp\"",
            ),
            (
                "[package.metadata.migrate]\nfile-template = \"{rev}_{title}\"\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.file-template`: unknown token \
                 `{title}`; the tokens are {rev}, {slug}, {year}, {month}, {day}, {hour}, \
                 {minute}, {second}, {epoch}",
            ),
            (
                "[package.metadata.migrate]\nfile-template = \"v/{rev}\"\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.file-template`: expected a file \
                 name without a directory, such as \"{rev}_{slug}\"",
            ),
            (
                "[package.metadata.migrate]\nversions-dir = \"/abs\"\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.versions-dir`: expected a \
                 directory relative to the crate root, such as \"src/versions\", or an array \
                 of them, such as [\"src/versions\", \"src/tenant_versions\"]",
            ),
            (
                "[package.metadata.migrate]\nversions-dir = [\"a\", \"/abs\"]\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.versions-dir`: expected a \
                 directory relative to the crate root",
            ),
            (
                "[package.metadata.migrate]\nversions-dir = [\"a\", 3]\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.versions-dir`: expected a \
                 directory relative to the crate root",
            ),
            (
                "[package.metadata.migrate]\nversions-dir = 3\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.versions-dir`: expected a \
                 directory relative to the crate root",
            ),
            (
                "[package.metadata.migrate]\nversions-dir = [\"\"]\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.versions-dir`: expected a \
                 directory relative to the crate root",
            ),
            (
                "[package.metadata.migrate]\nversions-dir = []\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.versions-dir`: an empty array \
                 names no directory; expected a directory relative to the crate root",
            ),
            (
                "[package.metadata.migrate]\n\nversions-dir = [\n  \"a\",\n  \"b\",\n  \"a\",\n]\n",
                "/w/m/Cargo.toml:6: `package.metadata.migrate.versions-dir`: `a` is listed \
                 twice; name each directory once",
            ),
            (
                "[package.metadata.migrate]\nversions-dir = [\"src/v\", \"./src/v/\"]\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.versions-dir`: `./src/v/` is \
                 `src/v` again; name each directory once",
            ),
            (
                "[package.metadata.migrate]\nlint = 1\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.lint`: expected a table \
                 (`[…metadata.migrate.lint]`)",
            ),
            (
                "[package.metadata]\nmigrate = \"x\"\n",
                "/w/m/Cargo.toml: `package.metadata.migrate` must be a table",
            ),
            (
                "[package.metadata.migrate]\narchive = \"\"\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.archive`: expected the archive \
                 crate's directory relative to the crate root, such as \"archive\"",
            ),
            (
                "[package.metadata.migrate]\narchive = \"/abs/archive\"\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.archive`: expected the archive \
                 crate's directory",
            ),
            (
                "[package.metadata.migrate]\narchive = [\"a\"]\n",
                "/w/m/Cargo.toml:5: `package.metadata.migrate.archive`: expected a string",
            ),
            (
                "[package.metadata.migrate]\nversion-table = \"x\n",
                "/w/m/Cargo.toml:5: not valid TOML:",
            ),
        ] {
            let text = format!("{PKG}\n{toml}");
            let e = load(&text, None).unwrap_err().to_string();
            assert!(e.starts_with(expect), "{toml}\n got: {e}\nwant: {expect}");
        }
        // the workspace's manifest is named when the mistake is there
        let e = load(
            PKG,
            Some("[workspace]\n[workspace.metadata.migrate]\nid-style = 1\n"),
        )
        .unwrap_err();
        assert_eq!(e.path, Path::new("/w/Cargo.toml"));
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn normalized_paths() {
        for (input, want) in [
            ("src/versions", "src/versions"),
            ("./src/versions/", "src/versions"),
            ("src/x/../versions", "src/versions"),
            ("src/./versions/.", "src/versions"),
            ("../common/versions", "../common/versions"),
            ("../../v", "../../v"),
            ("a/../../v", "../v"),
            ("/w/m/src/../versions", "/w/m/versions"),
        ] {
            assert_eq!(normalize_path(Path::new(input)), Path::new(want), "{input}");
        }
    }

    #[test]
    fn file_names_from_templates() {
        let parts = FileNameParts {
            rev: "3f2a9c1b7e4d",
            slug: "create_users",
            utc: (2026, 12, 4, 9, 5, 7),
            epoch: 1_796_374_000,
        };
        for (template, name) in [
            (DEFAULT_FILE_TEMPLATE, "3f2a9c1b7e4d_create_users.rs"),
            (
                "{year}{month}{day}_{hour}{minute}{second}_{rev}_{slug}",
                "20261204_090507_3f2a9c1b7e4d_create_users.rs",
            ),
            ("{epoch}_{slug}", "1796374000_create_users.rs"),
        ] {
            check_template(template).unwrap();
            assert_eq!(render_file_name(template, &parts), name);
        }
        let empty = FileNameParts { slug: "", ..parts };
        assert_eq!(
            render_file_name("{year}_{slug}_{rev}", &empty),
            "2026_3f2a9c1b7e4d.rs"
        );
        assert_eq!(render_file_name("{rev}_{slug}", &empty), "3f2a9c1b7e4d.rs");
    }
}
