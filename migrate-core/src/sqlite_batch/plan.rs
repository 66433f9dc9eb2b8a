//! The rebuild, planned: a table's definition and a list of changes in, the statements of
//! SQLite's "other kinds of table schema changes" procedure out. No IO: the definition comes
//! from the live database online ([`super::read`]) or from the shadow database offline.

use super::lex::{self, Kind, Token, literal, normalized, quote};

/// A table as SQLite's catalogue describes it (the parts a rebuild needs).
#[derive(Debug, Clone, Default)]
pub(crate) struct TableDef {
    /// The table's name as stored in `sqlite_master`.
    pub(crate) name: String,
    /// Its `CREATE TABLE` statement, as stored.
    pub(crate) sql: String,
    /// Its columns (`PRAGMA table_xinfo`): name and `hidden` (0 ordinary, 2/3 generated).
    pub(crate) columns: Vec<(String, i64)>,
    /// Its explicit indexes, in creation order: name, `CREATE INDEX` text, and the columns
    /// they use (`PRAGMA index_xinfo`; `None` for an expression).
    pub(crate) indexes: Vec<IndexDef>,
    /// Its triggers, in creation order: name and `CREATE TRIGGER` text.
    pub(crate) triggers: Vec<(String, String)>,
    /// The views whose text names the table (checked to still compile after the rebuild).
    pub(crate) views: Vec<String>,
    /// The tables with a foreign key that references this one.
    pub(crate) children: Vec<String>,
}

/// An explicit index of the table.
#[derive(Debug, Clone)]
pub(crate) struct IndexDef {
    /// The index's name.
    pub(crate) name: String,
    /// Its `CREATE INDEX` statement.
    pub(crate) sql: String,
    /// The columns it uses (`None` for an expression term).
    pub(crate) columns: Vec<Option<String>>,
}

/// Which constraint to drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Match {
    /// The one with this name (`CONSTRAINT name …`).
    Name(String),
    /// The foreign key on these columns that references this table (unnamed ones too).
    ForeignKey {
        /// The referencing columns.
        columns: Vec<String>,
        /// The referenced table.
        references: String,
    },
    /// The `UNIQUE` constraint on exactly these columns.
    Unique(Vec<String>),
    /// The `CHECK` constraint with this expression (compared token by token, case and
    /// quoting aside).
    Check(String),
}

impl std::fmt::Display for Match {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Match::Name(n) => write!(f, "constraint `{n}`"),
            Match::ForeignKey {
                columns,
                references,
            } => write!(
                f,
                "foreign key ({}) referencing `{references}`",
                columns.join(", ")
            ),
            Match::Unique(c) => write!(f, "unique constraint on ({})", c.join(", ")),
            Match::Check(e) => write!(f, "check constraint `{e}`"),
        }
    }
}

/// One change to the table, with its SQL already rendered for SQLite.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// Adds a column (its definition text), at the end of the columns or after `after`.
    AddColumn {
        /// The column's name.
        name: String,
        /// Its definition (`"c" integer NOT NULL DEFAULT 0`).
        sql: String,
        /// The column it follows (`None`: after the last column).
        after: Option<String>,
    },
    /// Drops a column (its rows' values are not copied).
    DropColumn(String),
    /// Replaces a column's whole definition (type, nullability, default, constraints).
    AlterColumn {
        /// The column's name.
        name: String,
        /// Its new definition.
        sql: String,
    },
    /// Adds a table constraint (`CONSTRAINT "n" FOREIGN KEY … | UNIQUE (…) | CHECK (…)`).
    AddConstraint(String),
    /// Drops a table or column constraint.
    DropConstraint(Match),
    /// Drops an index of the table (it is not recreated).
    DropIndex(String),
}

/// Why a rebuild cannot be planned: the operation, and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    /// The operation refused (`drop column "x"`).
    pub(crate) operation: String,
    /// Why.
    pub(crate) reason: String,
}

/// The planned rebuild.
#[derive(Debug, Clone)]
pub(crate) struct Rebuild {
    /// The statements, in order (no trailing `;`).
    pub(crate) statements: Vec<String>,
    /// The new `CREATE TABLE` text.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) new_sql: String,
    /// The tables whose foreign keys must be checked afterwards: the table and its children.
    pub(crate) check_tables: Vec<String>,
    /// The views to compile afterwards (`SELECT * FROM v LIMIT 0`): a view that used what the
    /// rebuild removed fails the rebuild.
    pub(crate) views: Vec<String>,
}

/// The statement that compiles view `view` without reading a row.
pub(crate) fn view_check(view: &str) -> String {
    format!("SELECT * FROM {} LIMIT 0", quote(view))
}

/// One element of a `CREATE TABLE` body: a column definition or a table constraint, and its
/// byte range in the statement (without surrounding blanks).
#[derive(Debug, Clone)]
struct Element {
    range: std::ops::Range<usize>,
    /// The column's name; `None` for a table constraint.
    column: Option<String>,
}

/// The parsed parts of a `CREATE TABLE` statement.
struct Parsed {
    /// The body's elements.
    elements: Vec<Element>,
    /// Whether the table is `WITHOUT ROWID`.
    without_rowid: bool,
}

const TABLE_CONSTRAINT: [&str; 5] = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

fn parse(sql: &str) -> Result<Parsed, String> {
    let toks = lex::tokens(sql);
    let open = toks
        .iter()
        .position(|t| t.is_punct(sql, "("))
        .ok_or("the CREATE TABLE statement has no column list (CREATE TABLE … AS SELECT?)")?;
    let close = lex::matching_paren(sql, &toks, open).ok_or("unbalanced parentheses")?;
    let without_rowid = toks[close + 1..]
        .windows(2)
        .any(|w| w[0].is(sql, "WITHOUT") && w[1].is(sql, "ROWID"));
    let mut elements = Vec::new();
    let mut start = open + 1;
    let mut depth = 0usize;
    for i in open + 1..=close {
        let t = &toks[i];
        if t.is_punct(sql, "(") {
            depth += 1;
        } else if t.is_punct(sql, ")") && i != close {
            depth -= 1;
        } else if (t.is_punct(sql, ",") && depth == 0) || i == close {
            if start < i {
                let first = &toks[start];
                let is_constraint =
                    first.kind == Kind::Word && TABLE_CONSTRAINT.iter().any(|k| first.is(sql, k));
                elements.push(Element {
                    range: toks[start].range.start..toks[i - 1].range.end,
                    column: (!is_constraint).then(|| first.name(sql)),
                });
            }
            start = i + 1;
        }
    }
    Ok(Parsed {
        elements,
        without_rowid,
    })
}

/// The column names in a parenthesised list starting at `toks[open]`.
fn name_list(sql: &str, toks: &[Token], open: usize) -> Vec<String> {
    let Some(close) = lex::matching_paren(sql, toks, open) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut expect = true;
    let mut depth = 0;
    for t in &toks[open + 1..close] {
        if t.is_punct(sql, "(") {
            depth += 1;
        } else if t.is_punct(sql, ")") {
            depth -= 1;
        } else if t.is_punct(sql, ",") && depth == 0 {
            expect = true;
        } else if expect && depth == 0 && matches!(t.kind, Kind::Word | Kind::Quoted) {
            out.push(t.name(sql).to_ascii_lowercase());
            expect = false;
        }
    }
    out
}

/// A constraint found in the body: its byte range (with a leading `CONSTRAINT name`) and
/// what it is.
struct Found {
    range: std::ops::Range<usize>,
    name: Option<String>,
    /// `Unique`, `ForeignKey` or `Check` (with the columns they concern), or `None` for
    /// another kind (PRIMARY KEY, NOT NULL, DEFAULT, …).
    what: Option<Match>,
    /// Whether it is a whole table constraint (else a clause of a column definition).
    table_level: bool,
}

/// Keywords that start a column-constraint clause.
const COLUMN_CLAUSE: [&str; 9] = [
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
];

/// The constraints of one element (a table constraint, or the clauses of a column).
fn constraints_of(text: &str, column: Option<&str>) -> Vec<Found> {
    let toks = lex::tokens(text);
    let base = 0;
    let mut out = Vec::new();
    // clause starts (token indexes) at depth 0
    let mut starts = Vec::new();
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate() {
        if t.is_punct(text, "(") {
            depth += 1;
        } else if t.is_punct(text, ")") {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && t.kind == Kind::Word {
            let prev = i.checked_sub(1).map(|p| &toks[p]);
            let after_constraint = i >= 2 && toks[i - 2].is(text, "CONSTRAINT");
            let kw = COLUMN_CLAUSE.iter().any(|k| t.is(text, k))
                || (t.is(text, "NULL")
                    && !prev.is_some_and(|p| {
                        p.is(text, "NOT") || p.is(text, "SET") || p.is(text, "DEFAULT")
                    }))
                || (t.is(text, "AS") && !prev.is_some_and(|p| p.is(text, "ALWAYS")));
            let not_clause =
                t.is(text, "NOT") && !toks.get(i + 1).is_some_and(|n| n.is(text, "NULL"));
            if kw && !after_constraint && !not_clause && i > 0 {
                starts.push(i);
            }
        }
    }
    let table_level = column.is_none();
    let starts: Vec<usize> = if table_level { vec![0] } else { starts };
    for (n, &s) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(toks.len());
        let (name, body) = if toks[s].is(text, "CONSTRAINT") && s + 2 <= end {
            (Some(toks[s + 1].name(text)), s + 2)
        } else {
            (None, s)
        };
        let own_column = column.map(|c| vec![c.to_ascii_lowercase()]);
        let what = match toks.get(body) {
            Some(t) if t.is(text, "UNIQUE") => Some(Match::Unique(match &own_column {
                Some(c) => c.clone(),
                None => name_list(text, &toks, body + 1),
            })),
            Some(t) if t.is(text, "CHECK") => {
                let close = lex::matching_paren(text, &toks, body + 1).unwrap_or(end - 1);
                Some(Match::Check(normalized(text, &toks[body + 2..close])))
            }
            Some(t) if t.is(text, "FOREIGN") => {
                let columns = name_list(text, &toks, body + 2);
                let r = toks[body..end]
                    .iter()
                    .position(|t| t.is(text, "REFERENCES"));
                r.map(|r| Match::ForeignKey {
                    columns,
                    references: toks[body + r + 1].name(text).to_ascii_lowercase(),
                })
            }
            Some(t) if t.is(text, "REFERENCES") => Some(Match::ForeignKey {
                columns: own_column.clone().unwrap_or_default(),
                references: toks[body + 1].name(text).to_ascii_lowercase(),
            }),
            _ => None,
        };
        out.push(Found {
            range: base + toks[s].range.start..base + toks[end - 1].range.end,
            name,
            what,
            table_level,
        });
    }
    out
}

fn matches(found: &Found, m: &Match) -> bool {
    match m {
        Match::Name(n) => found
            .name
            .as_deref()
            .is_some_and(|f| f.eq_ignore_ascii_case(n)),
        Match::ForeignKey {
            columns,
            references,
        } => {
            found.what.as_ref()
                == Some(&Match::ForeignKey {
                    columns: columns.iter().map(|c| c.to_ascii_lowercase()).collect(),
                    references: references.to_ascii_lowercase(),
                })
        }
        Match::Unique(c) => {
            found.what.as_ref()
                == Some(&Match::Unique(
                    c.iter().map(|c| c.to_ascii_lowercase()).collect(),
                ))
        }
        Match::Check(e) => {
            let toks = lex::tokens(e);
            found.what.as_ref() == Some(&Match::Check(normalized(e, &toks)))
        }
    }
}

/// One element of the new table's body.
struct Item {
    text: String,
    column: Option<String>,
}

/// The name the old table gets while the new one is filled.
pub(crate) fn old_name(table: &str) -> String {
    format!("_migrate_old_{table}")
}

/// Plans the rebuild of `def` with `changes` applied (SQLite's 12-step procedure, steps 4–10,
/// with the table renamed away first so the new table keeps the original name's spelling and
/// the text of every part the changes do not touch).
///
/// The caller runs the statements with foreign-key enforcement off (see the module docs),
/// then checks `check_tables` with `pragma_foreign_key_check`.
///
/// # Errors
/// [`Refused`] naming the operation that cannot be done: an unknown column or constraint, a
/// column still used by an index or a table constraint, a table without a column list.
pub(crate) fn plan(def: &TableDef, changes: &[Change]) -> Result<Rebuild, Refused> {
    let refuse = |operation: String, reason: String| Refused { operation, reason };
    let parsed = parse(&def.sql).map_err(|r| refuse(format!("rebuild table `{}`", def.name), r))?;
    let (Some(first), Some(last)) = (parsed.elements.first(), parsed.elements.last()) else {
        return Err(refuse(
            format!("rebuild table `{}`", def.name),
            "the table has no columns".into(),
        ));
    };
    let prefix = &def.sql[..first.range.start];
    let suffix = &def.sql[last.range.end..];
    let separator = parsed
        .elements
        .get(1)
        .map_or(", ", |second| &def.sql[first.range.end..second.range.start]);
    let mut items: Vec<Item> = parsed
        .elements
        .iter()
        .map(|e| Item {
            text: def.sql[e.range.clone()].to_owned(),
            column: e.column.clone(),
        })
        .collect();
    let mut dropped_indexes: Vec<String> = Vec::new();
    // the old table's columns that are copied (dropped ones are not)
    let mut copied: Vec<String> = def
        .columns
        .iter()
        .filter(|(_, hidden)| *hidden == 0)
        .map(|(n, _)| n.clone())
        .collect();
    fn column_at(items: &[Item], name: &str) -> Option<usize> {
        items.iter().position(|e| {
            e.column
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(name))
        })
    }
    for change in changes {
        match change {
            Change::AddColumn { name, sql, after } => {
                if column_at(&items, name).is_some() {
                    return Err(refuse(
                        format!("add column `{name}`"),
                        format!("table `{}` already has a column `{name}`", def.name),
                    ));
                }
                let at = match after {
                    Some(a) => column_at(&items, a).ok_or_else(|| {
                        refuse(
                            format!("add column `{name}` after `{a}`"),
                            format!("table `{}` has no column `{a}`", def.name),
                        )
                    })?,
                    None => items
                        .iter()
                        .rposition(|e| e.column.is_some())
                        .ok_or_else(|| {
                            refuse(
                                format!("add column `{name}`"),
                                "the table has no columns".into(),
                            )
                        })?,
                };
                items.insert(
                    at + 1,
                    Item {
                        text: sql.clone(),
                        column: Some(name.clone()),
                    },
                );
            }
            Change::DropColumn(name) => {
                let op = || format!("drop column `{name}`");
                let at = column_at(&items, name).ok_or_else(|| {
                    refuse(op(), format!("table `{}` has no column `{name}`", def.name))
                })?;
                if let Some(ix) = def.indexes.iter().find(|ix| {
                    !dropped_indexes
                        .iter()
                        .any(|d| d.eq_ignore_ascii_case(&ix.name))
                        && ix
                            .columns
                            .iter()
                            .flatten()
                            .any(|c| c.eq_ignore_ascii_case(name))
                }) {
                    return Err(refuse(
                        op(),
                        format!(
                            "index `{}` uses the column; drop the index first (in the same batch)",
                            ix.name
                        ),
                    ));
                }
                for other in items.iter().filter(|e| e.column.is_none()) {
                    let text = &other.text;
                    let used = lex::tokens(text).iter().any(|t| {
                        matches!(t.kind, Kind::Word | Kind::Quoted)
                            && t.name(text).eq_ignore_ascii_case(name)
                    });
                    if used {
                        return Err(refuse(
                            op(),
                            format!(
                                "the table constraint `{text}` uses the column; drop the \
                                 constraint first (in the same batch)"
                            ),
                        ));
                    }
                }
                items.remove(at);
                copied.retain(|c| !c.eq_ignore_ascii_case(name));
            }
            Change::AlterColumn { name, sql } => {
                let at = column_at(&items, name).ok_or_else(|| {
                    refuse(
                        format!("alter column `{name}`"),
                        format!("table `{}` has no column `{name}`", def.name),
                    )
                })?;
                items[at].text = sql.clone();
            }
            Change::AddConstraint(sql) => items.push(Item {
                text: sql.clone(),
                column: None,
            }),
            Change::DropConstraint(m) => {
                let found = items.iter().enumerate().find_map(|(i, e)| {
                    constraints_of(&e.text, e.column.as_deref())
                        .into_iter()
                        .find(|f| matches(f, m))
                        .map(|f| (i, f))
                });
                let Some((i, f)) = found else {
                    return Err(refuse(
                        format!("drop {m}"),
                        format!("table `{}` has no such constraint", def.name),
                    ));
                };
                if f.table_level {
                    items.remove(i);
                } else {
                    // the clause and the blanks before it
                    let text = &mut items[i].text;
                    let start = text[..f.range.start].trim_end().len();
                    text.replace_range(start..f.range.end, "");
                }
            }
            Change::DropIndex(name) => {
                if !def
                    .indexes
                    .iter()
                    .any(|ix| ix.name.eq_ignore_ascii_case(name))
                {
                    return Err(refuse(
                        format!("drop index `{name}`"),
                        format!("table `{}` has no index `{name}`", def.name),
                    ));
                }
                dropped_indexes.push(name.clone());
            }
        }
    }
    if !items.iter().any(|e| e.column.is_some()) {
        return Err(refuse(
            format!("rebuild table `{}`", def.name),
            "the table would have no columns left".into(),
        ));
    }
    let body: Vec<&str> = items.iter().map(|e| e.text.as_str()).collect();
    let new_sql = format!("{prefix}{}{suffix}", body.join(separator));
    let new_parsed =
        parse(&new_sql).map_err(|r| refuse(format!("rebuild table `{}`", def.name), r))?;
    let generated = generated_columns(&new_sql, &new_parsed);
    let copy: Vec<&String> = copied
        .iter()
        .filter(|n| column_at(&items, n).is_some())
        .filter(|n| !generated.iter().any(|g| g.eq_ignore_ascii_case(n)))
        .collect();
    let old = old_name(&def.name);
    let t = quote(&def.name);
    let o = quote(&old);
    let mut cols: Vec<String> = copy.iter().map(|c| quote(c)).collect();
    if !parsed.without_rowid && !new_parsed.without_rowid {
        // rowids survive (an INTEGER PRIMARY KEY is the rowid, so it is the same value)
        cols.insert(0, "rowid".into());
    }
    let cols = cols.join(", ");
    let mut s = vec![
        // keep views and other tables' triggers and foreign keys as they are: they name the
        // table, which exists again under that name when the rebuild is done
        "PRAGMA legacy_alter_table = ON".to_owned(),
        format!("ALTER TABLE {t} RENAME TO {o}"),
        "PRAGMA legacy_alter_table = OFF".to_owned(),
        new_sql.clone(),
        format!("INSERT INTO {t} ({cols}) SELECT {cols} FROM {o}"),
    ];
    if has_word(&def.sql, "AUTOINCREMENT") && has_word(&new_sql, "AUTOINCREMENT") {
        // the sequence carries on where it was, not at the largest id copied
        s.push(format!(
            "DELETE FROM sqlite_sequence WHERE name = {}",
            literal(&def.name)
        ));
        s.push(format!(
            "UPDATE sqlite_sequence SET name = {} WHERE name = {}",
            literal(&def.name),
            literal(&old)
        ));
    }
    s.push(format!("DROP TABLE {o}"));
    for ix in &def.indexes {
        if !dropped_indexes
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&ix.name))
        {
            s.push(ix.sql.clone());
        }
    }
    for (_, sql) in &def.triggers {
        s.push(sql.clone());
    }
    let mut check_tables = vec![def.name.clone()];
    check_tables.extend(def.children.iter().filter(|c| **c != def.name).cloned());
    Ok(Rebuild {
        statements: s,
        new_sql,
        check_tables,
        views: def.views.clone(),
    })
}

/// The generated columns (`… AS (expr)` / `GENERATED ALWAYS AS`) of a parsed statement.
fn generated_columns(sql: &str, parsed: &Parsed) -> Vec<String> {
    parsed
        .elements
        .iter()
        .filter_map(|e| {
            let text = &sql[e.range.clone()];
            let toks = lex::tokens(text);
            let gen_ = toks
                .windows(2)
                .any(|w| w[0].is(text, "AS") && w[1].is_punct(text, "("));
            gen_.then(|| e.column.clone()).flatten()
        })
        .collect()
}

fn has_word(sql: &str, word: &str) -> bool {
    lex::tokens(sql).iter().any(|t| t.is(sql, word))
}

/// The statement that fails (a `CHECK` violation on a temporary table) when any of `tables`
/// has a foreign-key violation: the check offline scripts carry, as they cannot read rows.
pub(crate) fn offline_fk_check(tables: &[String]) -> Vec<String> {
    let counts: Vec<String> = tables
        .iter()
        .map(|t| {
            format!(
                "(SELECT count(*) FROM pragma_foreign_key_check({}))",
                literal(t)
            )
        })
        .collect();
    vec![
        "CREATE TEMP TABLE _migrate_fk_check (violations INTEGER CHECK (violations = 0))".into(),
        format!(
            "INSERT INTO _migrate_fk_check VALUES ({})",
            counts.join(" + ")
        ),
        "DROP TABLE _migrate_fk_check".into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(sql: &str, cols: &[&str]) -> TableDef {
        TableDef {
            name: "t".into(),
            sql: sql.into(),
            columns: cols.iter().map(|c| ((*c).to_owned(), 0)).collect(),
            ..TableDef::default()
        }
    }

    #[test]
    fn alters_drops_and_adds_keeping_the_rest_of_the_text() {
        let d = def(
            "CREATE TABLE \"t\" ( \"id\" integer PRIMARY KEY AUTOINCREMENT, \"a\" text COLLATE NOCASE, \"b\" integer, \"g\" integer AS (b * 2), CONSTRAINT \"fk\" FOREIGN KEY (\"b\") REFERENCES \"p\" (\"id\"), CHECK (b > 0) )",
            &["id", "a", "b"],
        );
        let r = plan(
            &d,
            &[
                Change::AlterColumn {
                    name: "b".into(),
                    sql: "\"b\" text NOT NULL".into(),
                },
                Change::DropConstraint(Match::Name("fk".into())),
                Change::DropConstraint(Match::Check("B>0".into())),
                Change::AddColumn {
                    name: "c".into(),
                    sql: "\"c\" blob".into(),
                    after: Some("a".into()),
                },
                Change::AddConstraint("UNIQUE (\"a\")".into()),
            ],
        )
        .unwrap();
        assert_eq!(
            r.new_sql,
            "CREATE TABLE \"t\" ( \"id\" integer PRIMARY KEY AUTOINCREMENT, \"a\" text COLLATE NOCASE, \"c\" blob, \"b\" text NOT NULL, \"g\" integer AS (b * 2), UNIQUE (\"a\") )"
        );
        // the generated column is not copied; rowid is
        assert!(r.statements.contains(
            &"INSERT INTO \"t\" (rowid, \"id\", \"a\", \"b\") SELECT rowid, \"id\", \"a\", \"b\" FROM \"_migrate_old_t\"".to_owned()
        ));
        assert!(
            r.statements
                .iter()
                .any(|s| s.starts_with("UPDATE sqlite_sequence"))
        );
    }

    #[test]
    fn drops_unnamed_constraints_by_definition() {
        let d = def(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent(id) ON DELETE SET NULL NOT NULL, u TEXT UNIQUE, FOREIGN KEY (u) REFERENCES other(name))",
            &["id", "p", "u"],
        );
        let r = plan(
            &d,
            &[
                Change::DropConstraint(Match::ForeignKey {
                    columns: vec!["P".into()],
                    references: "parent".into(),
                }),
                Change::DropConstraint(Match::Unique(vec!["u".into()])),
                Change::DropConstraint(Match::ForeignKey {
                    columns: vec!["u".into()],
                    references: "OTHER".into(),
                }),
            ],
        )
        .unwrap();
        assert_eq!(
            r.new_sql,
            "CREATE TABLE t(id INTEGER PRIMARY KEY, p INTEGER NOT NULL, u TEXT)"
        );
    }

    #[test]
    fn refuses_what_it_cannot_do() {
        let mut d = def("CREATE TABLE t(a, b, CHECK (b > 0))", &["a", "b"]);
        d.indexes.push(IndexDef {
            name: "ix".into(),
            sql: "CREATE INDEX ix ON t(a)".into(),
            columns: vec![Some("a".into())],
        });
        let e = plan(&d, &[Change::DropColumn("a".into())]).unwrap_err();
        assert_eq!(e.operation, "drop column `a`");
        assert!(e.reason.contains("index `ix`"), "{}", e.reason);
        let e = plan(&d, &[Change::DropColumn("b".into())]).unwrap_err();
        assert!(e.reason.contains("CHECK (b > 0)"), "{}", e.reason);
        let e = plan(&d, &[Change::DropConstraint(Match::Name("nope".into()))]).unwrap_err();
        assert_eq!(e.operation, "drop constraint `nope`");
        let r = plan(
            &d,
            &[
                Change::DropIndex("ix".into()),
                Change::DropColumn("a".into()),
            ],
        )
        .unwrap();
        assert_eq!(r.new_sql, "CREATE TABLE t(b, CHECK (b > 0))");
        assert!(!r.statements.iter().any(|s| s.contains("CREATE INDEX")));
    }
}
