//! The static registry of a migrations crate: what `migrations!()` generates.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use hashbrown::HashMap;

use crate::db::Db;
use crate::graph::{Graph, GraphErrors, RevisionInfo};
use crate::schema::declare::TableDef;

/// The error type a revision's `upgrade` / `downgrade` returns: any error (`?` works on
/// sqlx, sea-query, [`crate::Error`] and your own errors).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The future an `upgrade` / `downgrade` wrapper returns.
pub type BoxFuture<'a> = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'a>>;

/// An `upgrade` or `downgrade` function as stored in the registry.
pub type MigrationFn = for<'a> fn(&'a mut Db) -> BoxFuture<'a>;

/// One compiled revision: its place in the graph and its code.
///
/// Built by the `#[migration]` attribute (id, parents, labels, checksum, functions) and the
/// `migrations!()` registry (message, file); you do not write it by hand.
#[derive(Clone, Copy)]
pub struct Revision {
    /// The revision id.
    pub id: &'static str,
    /// Parent ids (`down_revision`); empty for a base.
    pub down_revisions: &'static [&'static str],
    /// Branch labels declared on this revision.
    pub branch_labels: &'static [&'static str],
    /// `depends_on` dependencies.
    pub depends_on: &'static [&'static str],
    /// The message: the first line of the file's docstring.
    pub message: &'static str,
    /// The revision file, relative to the migrations crate's root.
    pub file: &'static str,
    /// Hex SHA-256 of the revision module's token stream (comments, doc comments and
    /// formatting do not change it), computed at compile time.
    pub checksum: &'static str,
    /// `false` when the revision declared `transactional = false` (for statements such as
    /// `CREATE INDEX CONCURRENTLY` that cannot run inside a transaction).
    pub transactional: bool,
    /// `Some(reason)` when the revision declared `irreversible` (reason `""` when none was
    /// given): its downgrade is expected to fail, and `cargo migrate test` reports it as
    /// irreversible rather than as a failure.
    pub irreversible: Option<&'static str>,
    /// The lint rules this revision allows, with why (`#[migration(allow_lint("rule",
    /// reason = "…"))]`; `cargo migrate lint` reports them as allowed, not as failures).
    pub allow_lint: &'static [AllowLint],
    /// The `upgrade` function.
    pub upgrade: MigrationFn,
    /// The `downgrade` function.
    pub downgrade: MigrationFn,
}

impl std::fmt::Debug for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revision")
            .field("id", &self.id)
            .field("down_revisions", &self.down_revisions)
            .field("branch_labels", &self.branch_labels)
            .field("depends_on", &self.depends_on)
            .field("message", &self.message)
            .field("file", &self.file)
            .field("transactional", &self.transactional)
            .field("irreversible", &self.irreversible)
            .field("allow_lint", &self.allow_lint)
            .finish_non_exhaustive()
    }
}

/// A lint rule one revision allows, and why: `#[migration(allow_lint("rule", reason =
/// "…"))]`, checked at compile time (a known rule name, a reason that is not blank).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowLint {
    /// The rule's name (squawk's names, or `migrate_core::lint::rules::OWN_RULES`).
    pub rule: &'static str,
    /// Why the rule does not apply to this revision.
    pub reason: &'static str,
}

impl Revision {
    /// The graph's view of this revision.
    pub fn info(&self) -> RevisionInfo {
        RevisionInfo {
            id: self.id.to_owned(),
            down_revisions: self
                .down_revisions
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            branch_labels: self.branch_labels.iter().map(|s| (*s).to_owned()).collect(),
            depends_on: self.depends_on.iter().map(|s| (*s).to_owned()).collect(),
            message: self.message.to_owned(),
            file: self.file.to_owned(),
        }
    }
}

/// What the runner takes from the migrations crate's configuration
/// (`[package.metadata.migrate]` in its `Cargo.toml`, else `[workspace.metadata.migrate]`),
/// read by `migrations!()` at compile time, so the runner binary run on its own agrees with
/// `cargo migrate`. `None`: not configured (the runner's default). Command-line flags
/// override both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Settings {
    /// The version table (`version-table`, qualified by `version-table-schema` as
    /// `schema.table`).
    pub version_table: Option<&'static str>,
    /// The environment variable holding the database URL (`database-url-env`).
    pub database_url_env: Option<&'static str>,
}

impl Settings {
    /// Settings with these values (used by the generated code).
    pub const fn new(
        version_table: Option<&'static str>,
        database_url_env: Option<&'static str>,
    ) -> Settings {
        Settings {
            version_table,
            database_url_env,
        }
    }
}

/// Every revision of a migrations crate, as generated by `migrate_macros::migrations!()`.
///
/// The graph was checked at compile time; [`Migrations::graph`] builds it again at run time
/// (linear, done once per process).
pub struct Migrations {
    /// This crate's own revisions (after the archive's, when there is one).
    revisions: &'static [Revision],
    /// The archive crate's registry and its directory relative to this crate's root (with a
    /// trailing `/`), when `migrations!()` composed one ([`Migrations::with_archive`]).
    archive: Option<(&'static Migrations, &'static str)>,
    /// The archive's revisions then `revisions`, built on first use when there is an archive.
    all: OnceLock<&'static [Revision]>,
    settings: Settings,
    /// The declared schema, when `migrations!(models = [...])` registered models.
    models: Option<fn() -> Vec<TableDef>>,
    graph: OnceLock<Result<Graph, GraphErrors>>,
    /// Position in `revisions` by id, built on the first [`Migrations::get`].
    by_id: OnceLock<HashMap<&'static str, usize>>,
}

impl std::fmt::Debug for Migrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrations")
            .field("revisions", &self.revisions().len())
            .finish()
    }
}

impl Migrations {
    /// A registry over `revisions` (any order). Used by the generated code.
    pub const fn new(revisions: &'static [Revision]) -> Self {
        Migrations::with_settings(revisions, Settings::new(None, None))
    }

    /// A registry over `revisions` with the crate's configuration: what `migrations!()`
    /// generates when `[package.metadata.migrate]` (or the workspace's) sets a value the
    /// runner uses.
    pub const fn with_settings(revisions: &'static [Revision], settings: Settings) -> Self {
        Migrations {
            revisions,
            archive: None,
            all: OnceLock::new(),
            settings,
            models: None,
            graph: OnceLock::new(),
            by_id: OnceLock::new(),
        }
    }

    /// A registry with declared models: what `migrations!(models = [User, Post])` generates.
    /// `models` returns one [`TableDef`] per model (`<User as Model>::table()`, …), the
    /// declared schema that autogenerate and `check` compare with the migrations.
    pub const fn with_models(
        revisions: &'static [Revision],
        settings: Settings,
        models: fn() -> Vec<TableDef>,
    ) -> Self {
        Migrations {
            revisions,
            archive: None,
            all: OnceLock::new(),
            settings,
            models: Some(models),
            graph: OnceLock::new(),
            by_id: OnceLock::new(),
        }
    }

    /// A registry over the archive crate's revisions (`archive`, the `MIGRATIONS` of the
    /// crate `[package.metadata.migrate] archive` names) followed by this crate's own
    /// `revisions`: what `migrations!()` generates when the crate has an archive. `archive_dir`
    /// is the archive's directory relative to this crate's root, ending in `/`; the archived
    /// revisions' [`Revision::file`] is given under it, so every file name is relative to
    /// this crate's root as the CLI reads them. The archive's own settings and models are not
    /// used: this crate's apply.
    pub const fn with_archive(
        archive: &'static Migrations,
        archive_dir: &'static str,
        revisions: &'static [Revision],
        settings: Settings,
        models: Option<fn() -> Vec<TableDef>>,
    ) -> Self {
        Migrations {
            revisions,
            archive: Some((archive, archive_dir)),
            all: OnceLock::new(),
            settings,
            models,
            graph: OnceLock::new(),
            by_id: OnceLock::new(),
        }
    }

    /// The declared schema (one [`TableDef`] per registered model), or `None` when the crate
    /// registered no models.
    pub fn models(&self) -> Option<Vec<TableDef>> {
        self.models.map(|f| f())
    }

    /// The configuration baked in at compile time ([`Settings`]).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The revisions, in the order the registry listed them: the file order of the versions
    /// directory, which [`Migrations::graph`] uses to order independent branches (as Alembic
    /// does). [`Graph::revisions`] lists them in topological order.
    ///
    /// With an archive crate, the archive's revisions come first (built on the first call:
    /// one allocation for the life of the process, the file names put under the archive's
    /// directory).
    pub fn revisions(&self) -> &'static [Revision] {
        let Some((archive, dir)) = self.archive else {
            return self.revisions;
        };
        self.all.get_or_init(|| {
            let archived = archive.revisions();
            let mut all = Vec::with_capacity(archived.len() + self.revisions.len());
            all.extend(archived.iter().map(|r| Revision {
                file: String::leak(format!("{dir}{}", r.file)),
                ..*r
            }));
            all.extend_from_slice(self.revisions);
            Vec::leak(all)
        })
    }

    /// The revision with this exact id. Constant time: a hash index over the ids is built on
    /// the first call (linear, once per process). With a duplicated id (which the compile-time
    /// check rejects) the first declaration wins.
    pub fn get(&self, id: &str) -> Option<&'static Revision> {
        let revisions = self.revisions();
        let by_id = self.by_id.get_or_init(|| {
            let mut m = HashMap::with_capacity(revisions.len());
            for (i, r) in revisions.iter().enumerate() {
                m.entry(r.id).or_insert(i);
            }
            m
        });
        by_id.get(id).map(|&i| &revisions[i])
    }

    /// The checked revision graph.
    ///
    /// # Errors
    /// The graph errors of [`crate::graph::check`]; cannot happen for a registry that
    /// compiled, since the macro runs the same check.
    pub fn graph(&self) -> Result<&Graph, &GraphErrors> {
        self.graph
            .get_or_init(|| Graph::new(self.revisions().iter().map(Revision::info).collect()))
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop(_: &mut Db) -> BoxFuture<'_> {
        Box::pin(async { Ok(()) })
    }

    const fn rev(id: &'static str, down: &'static [&'static str], file: &'static str) -> Revision {
        Revision {
            id,
            down_revisions: down,
            branch_labels: &[],
            depends_on: &[],
            message: "m",
            file,
            checksum: "c",
            transactional: true,
            irreversible: None,
            allow_lint: &[],
            upgrade: noop,
            downgrade: noop,
        }
    }

    static ARCHIVE: Migrations = Migrations::new(&[
        rev("a1", &[], "src/versions/a1.rs"),
        rev("a2", &["a1"], "src/versions/a2.rs"),
    ]);
    static COMPOSED: Migrations = Migrations::with_archive(
        &ARCHIVE,
        "archive/",
        &[rev("b1", &["a2"], "src/versions/b1.rs")],
        Settings::new(Some("v"), None),
        None,
    );

    #[test]
    fn an_archive_comes_first_under_its_directory() {
        let files: Vec<(&str, &str)> = COMPOSED
            .revisions()
            .iter()
            .map(|r| (r.id, r.file))
            .collect();
        assert_eq!(
            files,
            [
                ("a1", "archive/src/versions/a1.rs"),
                ("a2", "archive/src/versions/a2.rs"),
                ("b1", "src/versions/b1.rs"),
            ]
        );
        // the same slice on every call (built once)
        assert!(std::ptr::eq(COMPOSED.revisions(), COMPOSED.revisions()));
        assert_eq!(
            COMPOSED.get("a2").map(|r| r.file),
            Some("archive/src/versions/a2.rs")
        );
        assert_eq!(COMPOSED.get("b1").map(|r| r.id), Some("b1"));
        let graph = COMPOSED.graph().unwrap();
        let heads: Vec<&str> = graph
            .heads()
            .iter()
            .map(|&i| graph.at(i).id.as_str())
            .collect();
        assert_eq!(heads, ["b1"]);
        // this crate's settings, not the archive's
        assert_eq!(COMPOSED.settings().version_table, Some("v"));
        assert_eq!(ARCHIVE.revisions().len(), 2);
    }
}
