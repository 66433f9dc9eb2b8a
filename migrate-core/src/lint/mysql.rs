//! MySQL/MariaDB rules of our own: `adding-required-field`, `table-rebuild`,
//! `enum-value-reorder`, `non-atomic-ddl`.

use std::collections::{HashMap, HashSet};

use super::words::{Tok, has_any, has_not_null, head, tokens, top_level_commas};
use super::{Finding, RevisionSql, statements};
use crate::db::Backend;

/// What the rules remember across revisions: each ENUM column's values, by
/// (table, column), lower-cased names.
#[derive(Debug, Default)]
pub(super) struct State {
    enums: HashMap<(String, String), Vec<String>>,
}

const DDL: &[&str] = &["CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE"];

/// The words after `ADD` that add something other than a column.
const NOT_A_COLUMN: &[&str] = &[
    "INDEX",
    "KEY",
    "CONSTRAINT",
    "PRIMARY",
    "UNIQUE",
    "FOREIGN",
    "FULLTEXT",
    "SPATIAL",
    "CHECK",
    "PARTITION",
];

pub(super) fn lint(rev: &RevisionSql<'_>, state: &mut State, out: &mut Vec<Finding>) {
    let stmts = statements(rev, Backend::MySql);
    let mut created: HashSet<String> = HashSet::new();
    let mut ddl: Vec<&str> = Vec::new();
    for sql in stmts {
        let toks = tokens(sql);
        let Some((verb, object, name, at)) = head(&toks) else {
            continue;
        };
        if DDL.contains(&verb) {
            ddl.push(sql);
        }
        let Some(table) = name else { continue };
        match (verb, object) {
            ("CREATE", "TABLE") => {
                created.insert(table.clone());
                // the column list: the first parenthesised group
                if let Some(open) = toks[at..].iter().position(|t| t.punct('(')) {
                    let body = group(&toks[at + open..]);
                    for col in top_level_commas(body) {
                        if let (Some(c), Some(values)) =
                            (col.first().and_then(Tok::name), enum_values(col))
                        {
                            state.enums.insert((table.clone(), c), values);
                        }
                    }
                }
            }
            ("ALTER", "TABLE") => {
                let fresh = created.contains(&table);
                let algorithm = toks.iter().any(|t| t.is("ALGORITHM"));
                for clause in top_level_commas(&toks[at..]) {
                    alter_clause(rev, sql, &table, clause, fresh, algorithm, state, out);
                }
            }
            _ => {}
        }
    }
    if ddl.len() > 1 {
        out.push(Finding::new(
            rev,
            Backend::MySql,
            "non-atomic-ddl",
            format!(
                "This revision runs {} DDL statements. MySQL commits each DDL statement on its \
                 own, so a failure after the first leaves the revision partly applied (its \
                 version-table row stays `pending`).",
                ddl.len()
            ),
            Some(
                "Put one DDL statement in each revision, or make every statement safe to run \
                 again (`IF NOT EXISTS`), so a failed run can be finished by hand."
                    .into(),
            ),
            ddl[1],
        ));
    }
}

#[allow(clippy::too_many_arguments)]
fn alter_clause(
    rev: &RevisionSql<'_>,
    sql: &str,
    table: &str,
    clause: &[Tok],
    fresh: bool,
    algorithm: bool,
    state: &mut State,
    out: &mut Vec<Finding>,
) {
    let Some(first) = clause.first() else { return };
    let rebuild = |what: &str, out: &mut Vec<Finding>| {
        if fresh || algorithm {
            return;
        }
        out.push(Finding::new(
            rev,
            Backend::MySql,
            "table-rebuild",
            format!(
                "{what} rebuilds table `{table}` (ALGORITHM=COPY): every row is copied into a \
                 new table while writes to it wait."
            ),
            Some(
                "Run it when the table is small or quiet, or with an online schema change tool \
                 (gh-ost, pt-online-schema-change); say `ALGORITHM=INPLACE` or `INSTANT` to \
                 have MySQL refuse instead of copying."
                    .into(),
            ),
            sql,
        ));
    };
    if first.is("ADD") {
        let mut i = 1;
        if clause.get(i).is_some_and(|t| t.is("COLUMN")) {
            i += 1;
        }
        let Some(next) = clause.get(i) else { return };
        if next.is("PRIMARY") {
            rebuild("Adding a primary key", out);
            return;
        }
        if matches!(next, Tok::Word(w) if NOT_A_COLUMN.contains(&w.as_str())) {
            return;
        }
        let Some(column) = next.name() else { return };
        let def = &clause[i + 1..];
        if let Some(values) = enum_values(def) {
            state
                .enums
                .insert((table.to_owned(), column.clone()), values);
        }
        if !fresh
            && has_not_null(def)
            && !has_any(def, &["DEFAULT", "AUTO_INCREMENT", "AS", "GENERATED"])
        {
            out.push(Finding::new(
                rev,
                Backend::MySql,
                "adding-required-field",
                format!(
                    "Adding NOT NULL column `{column}` without a DEFAULT to `{table}`: MySQL fills \
                     the existing rows with the type's implicit default (0, '', or an error for \
                     dates in strict mode), and every INSERT that does not name the column fails."
                ),
                Some(
                    "Give the column a DEFAULT, or add it nullable, backfill it, then make it \
                     NOT NULL in a later revision."
                        .into(),
                ),
                sql,
            ));
        }
    } else if first.is("MODIFY") || first.is("CHANGE") {
        let mut i = 1;
        if clause.get(i).is_some_and(|t| t.is("COLUMN")) {
            i += 1;
        }
        let Some(old) = clause.get(i).and_then(Tok::name) else {
            return;
        };
        i += 1;
        let new = if first.is("CHANGE") {
            let n = clause.get(i).and_then(Tok::name);
            i += 1;
            n.unwrap_or_else(|| old.clone())
        } else {
            old.clone()
        };
        let def = &clause[i.min(clause.len())..];
        match enum_values(def) {
            Some(values) => {
                let key = (table.to_owned(), old.clone());
                if let Some(before) = state.enums.remove(&key)
                    && !values.starts_with(&before)
                    && !fresh
                {
                    out.push(Finding::new(
                        rev,
                        Backend::MySql,
                        "enum-value-reorder",
                        format!(
                            "ENUM column `{table}.{old}` goes from ({}) to ({}): values \
                                 removed or reordered, not only appended. MySQL stores an ENUM \
                                 as the value's position, so this rebuilds the table \
                                 (ALGORITHM=COPY) and renumbers every row.",
                            quoted(&before),
                            quoted(&values)
                        ),
                        Some(
                            "Only append new values at the end of the list (an instant \
                                 change); drop or reorder values in a separate, scheduled \
                                 revision."
                                .into(),
                        ),
                        sql,
                    ));
                }
                state.enums.insert((table.to_owned(), new), values);
            }
            None => {
                state.enums.remove(&(table.to_owned(), old.clone()));
                rebuild(
                    &format!(
                        "`{}` of column `{old}` (a new type, nullability or charset)",
                        if first.is("CHANGE") {
                            "CHANGE"
                        } else {
                            "MODIFY"
                        }
                    ),
                    out,
                );
            }
        }
    } else if first.is("DROP") && clause.get(1).is_some_and(|t| t.is("PRIMARY")) {
        rebuild("Dropping the primary key", out);
    } else if first.is("CONVERT") {
        rebuild("Converting the character set", out);
    } else if first.is("ENGINE") || first.is("FORCE") {
        rebuild("Changing the storage engine", out);
    }
}

/// The tokens inside the parenthesised group `toks` starts with (without the parentheses).
fn group(toks: &[Tok]) -> &[Tok] {
    let mut depth = 0;
    for (i, t) in toks.iter().enumerate() {
        if t.punct('(') {
            depth += 1;
        } else if t.punct(')') {
            depth -= 1;
            if depth == 0 {
                return &toks[1..i];
            }
        }
    }
    toks.get(1..).unwrap_or_default()
}

/// The values of an `ENUM('a', 'b')` type in a column definition.
fn enum_values(def: &[Tok]) -> Option<Vec<String>> {
    let at = def.iter().position(|t| t.is("ENUM"))?;
    let rest = def.get(at + 1..)?;
    if !rest.first()?.punct('(') {
        return None;
    }
    Some(
        group(rest)
            .iter()
            .filter_map(|t| match t {
                Tok::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
    )
}

fn quoted(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(", ")
}
