//! The migration linter behind `cargo migrate lint`: the SQL each revision renders (offline
//! mode, no database) checked for operations that lock a busy table, rewrite it, or cannot
//! be undone.
//!
//! - PostgreSQL: [squawk](https://squawkhq.com)'s rules through the `squawk-linter` crate
//!   (its default rule set, its rule names, messages and help), each revision linted as one
//!   file, in a transaction unless it declared `transactional = false`.
//! - MySQL/MariaDB and SQLite: our own rules ([`rules::OWN_RULES`]), over the statements
//!   split at their `;` and read word by word (keywords, names, literals; no grammar).
//!
//! [`lint`] is pure: rendered statements in, [`Finding`]s out. The runner's `lint` command
//! renders each revision's `upgrade` offline and calls it; `cargo migrate test` can too.
//!
//! The rule-name lists ([`rules`]) are compiled without the `lint` feature: the
//! `#[migration(allow_lint(...))]` parser checks names against them.

pub mod rules;

#[cfg(feature = "lint")]
mod mysql;
#[cfg(feature = "lint")]
mod postgres;
#[cfg(feature = "lint")]
mod sqlite;
#[cfg(feature = "lint")]
mod words;

#[cfg(all(test, feature = "lint"))]
mod tests;

#[cfg(feature = "lint")]
pub use engine::*;

#[cfg(feature = "lint")]
mod engine {
    use crate::db::Backend;

    /// A rule allowed for one revision (`#[migration(allow_lint("rule", reason = "…"))]`) or
    /// for the whole project (`[package.metadata.migrate.lint] allow`).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Allow {
        /// The rule's name, as [`Finding::rule`].
        pub rule: String,
        /// Why it is safe here (required in the attribute; the project-wide list says
        /// "allowed project-wide").
        pub reason: String,
    }

    /// One revision's input to [`lint`].
    #[derive(Debug, Clone, Copy)]
    pub struct RevisionSql<'a> {
        /// The revision id.
        pub id: &'a str,
        /// The revision file (for the report).
        pub file: &'a str,
        /// The statements its `upgrade` renders for the dialect, in order (a raw script
        /// may hold several; they are split at their `;`).
        pub statements: &'a [String],
        /// `false` when the revision runs outside a transaction (`transactional = false`).
        pub transactional: bool,
        /// The rules this revision allows, with their reasons.
        pub allow: &'a [Allow],
    }

    /// One problem found.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Finding {
        /// The revision id.
        pub revision: String,
        /// The revision file.
        pub file: String,
        /// The dialect whose SQL was linted.
        pub dialect: Backend,
        /// The rule's name (squawk's names on PostgreSQL, [`super::rules::OWN_RULES`]
        /// elsewhere).
        pub rule: String,
        /// What the statement does that is dangerous.
        pub message: String,
        /// What to do instead, when the rule says.
        pub help: Option<String>,
        /// The offending SQL (its first line, at most 120 characters).
        pub statement: String,
        /// `Some(reason)` when the revision or the project allows this rule: reported, but
        /// not a failure.
        pub allowed: Option<String>,
    }

    impl Finding {
        pub(super) fn new(
            rev: &RevisionSql<'_>,
            dialect: Backend,
            rule: &str,
            message: impl Into<String>,
            help: Option<String>,
            statement: &str,
        ) -> Finding {
            Finding {
                revision: rev.id.to_owned(),
                file: rev.file.to_owned(),
                dialect,
                rule: rule.to_owned(),
                message: message.into(),
                help,
                statement: excerpt(statement),
                allowed: None,
            }
        }
    }

    /// The first line of `sql`, trimmed, at most 120 characters (`…` when cut).
    fn excerpt(sql: &str) -> String {
        let line = sql.trim().lines().next().unwrap_or_default().trim();
        let line = line.strip_suffix(';').unwrap_or(line).trim_end();
        if line.chars().count() > 120 {
            let cut: String = line.chars().take(119).collect();
            format!("{cut}…")
        } else {
            line.to_owned()
        }
    }

    /// Lints `revisions` (oldest first: the MySQL `enum-value-reorder` rule remembers each
    /// column's values from earlier revisions) as `dialect` SQL. `project_allow` are the
    /// rules allowed everywhere. Returns every finding in revision order, each marked
    /// [`Finding::allowed`] when the revision's own allow list or `project_allow` names its
    /// rule (the revision's reason wins). Pure: no IO, no database.
    pub fn lint(
        revisions: &[RevisionSql<'_>],
        dialect: Backend,
        project_allow: &[Allow],
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut mysql_state = super::mysql::State::default();
        for rev in revisions {
            let start = out.len();
            match dialect {
                Backend::Postgres => super::postgres::lint(rev, &mut out),
                Backend::MySql => super::mysql::lint(rev, &mut mysql_state, &mut out),
                Backend::Sqlite => super::sqlite::lint(rev, &mut out),
            }
            for f in &mut out[start..] {
                f.allowed = rev
                    .allow
                    .iter()
                    .chain(project_allow)
                    .find(|a| a.rule == f.rule || aliases(&a.rule, &f.rule))
                    .map(|a| a.reason.clone());
            }
        }
        out
    }

    /// squawk's aliases: `require-timeout-settings` covers both timeout rules,
    /// `prefer-timestamptz` is `prefer-timestamp-tz`.
    fn aliases(allowed: &str, rule: &str) -> bool {
        matches!(
            (allowed, rule),
            (
                "require-timeout-settings",
                "require-lock-timeout" | "require-statement-timeout"
            ) | ("prefer-timestamptz", "prefer-timestamp-tz")
        )
    }

    /// The statements of a revision's rendered SQL, split at their `;` (see
    /// `db::split_statements`), in order.
    pub(super) fn statements<'a>(rev: &'a RevisionSql<'_>, dialect: Backend) -> Vec<&'a str> {
        rev.statements
            .iter()
            .flat_map(|s| {
                crate::db::split_statements(s, dialect)
                    .into_iter()
                    .map(move |r| s[r].trim())
            })
            .collect()
    }
}
