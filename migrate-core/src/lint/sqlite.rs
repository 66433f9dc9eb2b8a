//! SQLite rules of our own: `adding-required-field`, `table-rebuild`.

use std::collections::HashSet;

use super::words::{Tok, has_any, has_not_null, head, tokens};
use super::{Finding, RevisionSql, statements};
use crate::db::Backend;

pub(super) fn lint(rev: &RevisionSql<'_>, out: &mut Vec<Finding>) {
    let stmts = statements(rev, Backend::Sqlite);
    let mut created: HashSet<String> = HashSet::new();
    // tables renamed to a name in this revision, and tables copied from (`INSERT INTO new
    // SELECT … FROM old`)
    let mut renamed_to: HashSet<String> = HashSet::new();
    let mut copied_from: HashSet<String> = HashSet::new();
    let mut dropped: Vec<(String, &str)> = Vec::new();
    for sql in &stmts {
        let toks = tokens(sql);
        if toks.first().is_some_and(|t| t.is("INSERT"))
            && let Some(from) = toks.iter().position(|t| t.is("FROM"))
            && toks.iter().any(|t| t.is("SELECT"))
            && let Some(name) = qualified(&toks[from + 1..])
        {
            copied_from.insert(name);
            continue;
        }
        let Some((verb, object, name, at)) = head(&toks) else {
            continue;
        };
        let Some(table) = name else { continue };
        match (verb, object) {
            ("CREATE", "TABLE") => {
                created.insert(table);
            }
            ("DROP", "TABLE") => dropped.push((table, sql)),
            ("ALTER", "TABLE") => {
                let rest = &toks[at..];
                if rest.first().is_some_and(|t| t.is("RENAME"))
                    && let Some(to) = rest.iter().position(|t| t.is("TO"))
                    && !rest.get(1).is_some_and(|t| t.is("COLUMN"))
                    && let Some(new) = qualified(&rest[to + 1..])
                {
                    renamed_to.insert(new);
                } else if rest.first().is_some_and(|t| t.is("ADD")) {
                    let i = if rest.get(1).is_some_and(|t| t.is("COLUMN")) {
                        2
                    } else {
                        1
                    };
                    let Some(column) = rest.get(i).and_then(Tok::name) else {
                        continue;
                    };
                    let def = &rest[i + 1..];
                    let default_null = def
                        .windows(2)
                        .any(|w| w[0].is("DEFAULT") && w[1].is("NULL"));
                    if !created.contains(&table)
                        && has_not_null(def)
                        && (!has_any(def, &["DEFAULT"]) || default_null)
                    {
                        out.push(Finding::new(
                            rev,
                            Backend::Sqlite,
                            "adding-required-field",
                            format!(
                                "Adding NOT NULL column `{column}` without a default to `{table}`: \
                                 SQLite refuses it on a table that has rows (\"Cannot add a NOT \
                                 NULL column with default value NULL\")."
                            ),
                            Some(
                                "Give the column a non-NULL DEFAULT, or add it nullable and \
                                 backfill it."
                                    .into(),
                            ),
                            sql,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    for (table, sql) in dropped {
        if created.contains(&table)
            || !(renamed_to.contains(&table) || copied_from.contains(&table))
        {
            continue;
        }
        // batch mode's rebuild drops the old table under its temporary name, and recreates
        // the indexes and triggers itself
        let batch = table
            .strip_prefix("_migrate_old_")
            .filter(|t| !t.is_empty());
        let (message, help) = match batch {
            Some(t) => (
                format!(
                    "This revision rebuilds table `{t}` (batch mode: a new table, every row \
                     copied, the old one dropped): the whole table is rewritten under SQLite's \
                     write lock."
                ),
                "Expected for a change SQLite's ALTER TABLE cannot make (batch mode recreates \
                 the table's indexes and triggers); allow the rule with the reason, or run it \
                 when the table is small or quiet."
                    .to_owned(),
            ),
            None => (
                format!(
                    "This revision rebuilds table `{table}` (a new table, every row copied, the \
                     old one dropped, the new one renamed): the whole table is rewritten under \
                     SQLite's write lock, and the indexes, triggers and views on it must be \
                     created again."
                ),
                "Expected for a change SQLite's ALTER TABLE cannot make; check that the \
                 revision recreates every index and trigger of the old table, and allow the \
                 rule with the reason."
                    .to_owned(),
            ),
        };
        out.push(Finding::new(
            rev,
            Backend::Sqlite,
            "table-rebuild",
            message,
            Some(help),
            sql,
        ));
    }
}

/// A table name at the start of `toks` (`t`, `"t"`, `main.t`), lower-cased.
fn qualified(toks: &[Tok]) -> Option<String> {
    let first = toks.first()?.name()?;
    if toks.get(1).is_some_and(|t| t.punct('.')) {
        return toks.get(2)?.name();
    }
    Some(first)
}
