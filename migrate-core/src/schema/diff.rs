//! The comparison of two normalised schemas: a list of typed differences, each naming the
//! object (table, column, index, constraint, …) and what changed. Pure: no IO, no backend
//! knowledge (the normalisation already made equal things equal).
//!
//! `diff(before, after)` lists what turns `before` into `after`: an object only in `after` is
//! [`Change::Added`], one only in `before` is [`Change::Removed`], one in both that differs
//! is [`Change::Changed`] with the field, the old and the new value. Columns are compared by
//! name, not position (as Alembic's autogenerate). Order: schema-level objects by kind, then
//! tables by name, and within a table columns, primary key, indexes, uniques, checks,
//! foreign keys.

use std::collections::BTreeMap;
use std::fmt;

use super::model::{Column, Schema, Table};

/// The object a [`Difference`] is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Object {
    /// A table.
    Table(String),
    /// A column: `(table, column)`.
    Column(String, String),
    /// A table's primary key.
    PrimaryKey(String),
    /// An index: `(table, index name)`.
    Index(String, String),
    /// A unique constraint: `(table, key)` ([`Table::unique_key`]).
    Unique(String, String),
    /// A check constraint: `(table, key)` ([`Table::check_key`]).
    Check(String, String),
    /// A foreign key: `(table, key)` ([`Table::foreign_key_key`]).
    ForeignKey(String, String),
    /// A PostgreSQL enum type.
    Enum(String),
    /// A PostgreSQL sequence.
    Sequence(String),
    /// A view.
    View(String),
    /// A trigger (`table.trigger`).
    Trigger(String),
    /// A PostgreSQL function (`name(arguments)`).
    Function(String),
    /// A PostgreSQL extension.
    Extension(String),
}

/// What happened to the object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// Only in the second schema.
    Added,
    /// Only in the first schema.
    Removed,
    /// In both, with `field` (`type`, `nullable`, `default`, `definition`, …) going from
    /// `from` to `to` (normalised spellings; `none` for an absent value).
    Changed {
        /// The field that differs.
        field: &'static str,
        /// Its value in the first schema.
        from: String,
        /// Its value in the second schema.
        to: String,
    },
}

/// One difference between two schemas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The object.
    pub object: Object,
    /// What differs.
    pub change: Change,
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::Table(t) => write!(f, "table `{t}`"),
            Object::Column(t, c) => write!(f, "column `{t}`.`{c}`"),
            Object::PrimaryKey(t) => write!(f, "primary key of `{t}`"),
            Object::Index(t, i) => write!(f, "index `{i}` on `{t}`"),
            Object::Unique(t, u) => write!(f, "unique constraint `{u}` on `{t}`"),
            Object::Check(t, c) => write!(f, "check constraint `{c}` on `{t}`"),
            Object::ForeignKey(t, k) => write!(f, "foreign key `{k}` on `{t}`"),
            Object::Enum(n) => write!(f, "enum `{n}`"),
            Object::Sequence(n) => write!(f, "sequence `{n}`"),
            Object::View(n) => write!(f, "view `{n}`"),
            Object::Trigger(n) => write!(f, "trigger `{n}`"),
            Object::Function(n) => write!(f, "function `{n}`"),
            Object::Extension(n) => write!(f, "extension `{n}`"),
        }
    }
}

impl fmt::Display for Difference {
    /// `column `posts`.`slug` added`, `column `users`.`email` changed: type `text` ->
    /// `varchar(255)``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.change {
            Change::Added => write!(f, "{} added", self.object),
            Change::Removed => write!(f, "{} removed", self.object),
            Change::Changed { field, from, to } => {
                write!(f, "{} changed: {field} `{from}` -> `{to}`", self.object)
            }
        }
    }
}

/// The differences that turn `before` into `after`; empty when they are equal.
pub fn diff(before: &Schema, after: &Schema) -> Vec<Difference> {
    let mut out = Vec::new();
    let d = &mut out;
    strings(
        d,
        &before.extensions,
        &after.extensions,
        Object::Extension,
        "version",
    );
    keyed(
        d,
        &before.enums,
        &after.enums,
        Object::Enum,
        |o, obj, x, y| {
            changed(
                o,
                obj,
                vec![fields("labels", &x.join(", "), &y.join(", "))]
                    .into_iter()
                    .flatten()
                    .collect(),
            );
        },
    );
    keyed(
        d,
        &before.sequences,
        &after.sequences,
        Object::Sequence,
        |o, obj, x, y| {
            let mut f = Vec::new();
            field(&mut f, "type", &x.data_type, &y.data_type);
            field(&mut f, "start", &x.start.to_string(), &y.start.to_string());
            field(
                &mut f,
                "increment",
                &x.increment.to_string(),
                &y.increment.to_string(),
            );
            field(&mut f, "min", &x.min.to_string(), &y.min.to_string());
            field(&mut f, "max", &x.max.to_string(), &y.max.to_string());
            field(&mut f, "cycle", &x.cycle.to_string(), &y.cycle.to_string());
            changed(o, obj, f);
        },
    );
    keyed(
        d,
        &before.tables,
        &after.tables,
        Object::Table,
        |o, _, x, y| table(o, x, y),
    );
    strings(d, &before.views, &after.views, Object::View, "definition");
    strings(
        d,
        &before.triggers,
        &after.triggers,
        Object::Trigger,
        "definition",
    );
    strings(
        d,
        &before.functions,
        &after.functions,
        Object::Function,
        "definition",
    );
    out
}

type Fields = Vec<(&'static str, String, String)>;

fn fields(name: &'static str, a: &str, b: &str) -> Option<(&'static str, String, String)> {
    (a != b).then(|| (name, a.to_owned(), b.to_owned()))
}

fn field(out: &mut Fields, name: &'static str, a: &str, b: &str) {
    out.extend(fields(name, a, b));
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "none".into())
}

fn changed(out: &mut Vec<Difference>, object: Object, fields: Fields) {
    for (field, from, to) in fields {
        out.push(Difference {
            object: object.clone(),
            change: Change::Changed { field, from, to },
        });
    }
}

/// Walks two maps by key: [`Change::Added`] and [`Change::Removed`] for keys in one only,
/// `compare` for keys in both (it pushes the changes it finds).
fn keyed<V>(
    out: &mut Vec<Difference>,
    a: &BTreeMap<String, V>,
    b: &BTreeMap<String, V>,
    object: impl Fn(String) -> Object,
    mut compare: impl FnMut(&mut Vec<Difference>, Object, &V, &V),
) {
    for (k, x) in a {
        match b.get(k) {
            None => out.push(Difference {
                object: object(k.clone()),
                change: Change::Removed,
            }),
            Some(y) => compare(out, object(k.clone()), x, y),
        }
    }
    for k in b.keys().filter(|k| !a.contains_key(*k)) {
        out.push(Difference {
            object: object(k.clone()),
            change: Change::Added,
        });
    }
}

/// [`keyed`] over maps of strings (definitions): a changed value is a change of `what`.
fn strings(
    out: &mut Vec<Difference>,
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
    object: impl Fn(String) -> Object,
    what: &'static str,
) {
    keyed(out, a, b, object, |o, obj, x, y| {
        changed(o, obj, fields(what, x, y).into_iter().collect());
    });
}

/// The differences inside two tables of the same name.
fn table(out: &mut Vec<Difference>, a: &Table, b: &Table) {
    let t = &a.name;
    let cols = |tb: &Table| -> BTreeMap<String, Column> {
        tb.columns
            .iter()
            .map(|c| (c.name.clone(), c.clone()))
            .collect()
    };
    keyed(
        out,
        &cols(a),
        &cols(b),
        |c| Object::Column(t.clone(), c),
        |o, obj, x, y| {
            let mut f = Vec::new();
            field(&mut f, "type", &x.ty, &y.ty);
            field(
                &mut f,
                "nullable",
                &x.nullable.to_string(),
                &y.nullable.to_string(),
            );
            field(&mut f, "default", &opt(&x.default), &opt(&y.default));
            field(
                &mut f,
                "auto_increment",
                &x.auto_increment.to_string(),
                &y.auto_increment.to_string(),
            );
            field(&mut f, "generated", &opt(&x.generated), &opt(&y.generated));
            changed(o, obj, f);
        },
    );
    let pk = Object::PrimaryKey(t.clone());
    match (&a.primary_key, &b.primary_key) {
        (None, None) => {}
        (None, Some(_)) => out.push(Difference {
            object: pk,
            change: Change::Added,
        }),
        (Some(_), None) => out.push(Difference {
            object: pk,
            change: Change::Removed,
        }),
        (Some(x), Some(y)) => {
            let mut f = Vec::new();
            field(
                &mut f,
                "columns",
                &x.columns.join(", "),
                &y.columns.join(", "),
            );
            field(&mut f, "name", &opt(&x.name), &opt(&y.name));
            changed(out, pk, f);
        }
    }
    keyed(
        out,
        &a.indexes,
        &b.indexes,
        |k| Object::Index(t.clone(), k),
        |o, obj, x, y| {
            let mut f = Vec::new();
            field(
                &mut f,
                "unique",
                &x.unique.to_string(),
                &y.unique.to_string(),
            );
            field(&mut f, "parts", &x.parts.join(", "), &y.parts.join(", "));
            field(&mut f, "predicate", &opt(&x.predicate), &opt(&y.predicate));
            changed(o, obj, f);
        },
    );
    keyed(
        out,
        &a.uniques,
        &b.uniques,
        |k| Object::Unique(t.clone(), k),
        |o, obj, x, y| {
            changed(
                o,
                obj,
                fields("columns", &x.columns.join(", "), &y.columns.join(", "))
                    .into_iter()
                    .collect(),
            );
        },
    );
    keyed(
        out,
        &a.checks,
        &b.checks,
        |k| Object::Check(t.clone(), k),
        |o, obj, x, y| {
            changed(
                o,
                obj,
                fields("expression", &x.expression, &y.expression)
                    .into_iter()
                    .collect(),
            );
        },
    );
    keyed(
        out,
        &a.foreign_keys,
        &b.foreign_keys,
        |k| Object::ForeignKey(t.clone(), k),
        |o, obj, x, y| {
            let mut f = Vec::new();
            field(
                &mut f,
                "columns",
                &x.columns.join(", "),
                &y.columns.join(", "),
            );
            field(
                &mut f,
                "referenced table",
                &x.referenced_table,
                &y.referenced_table,
            );
            field(
                &mut f,
                "referenced columns",
                &x.referenced_columns.join(", "),
                &y.referenced_columns.join(", "),
            );
            field(
                &mut f,
                "on delete",
                x.on_delete.as_sql(),
                y.on_delete.as_sql(),
            );
            field(
                &mut f,
                "on update",
                x.on_update.as_sql(),
                y.on_update.as_sql(),
            );
            changed(o, obj, f);
        },
    );
}

#[cfg(test)]
mod tests {
    use super::super::model::*;
    use super::*;

    fn col(name: &str, ty: &str, nullable: bool, default: Option<&str>) -> Column {
        Column {
            name: name.into(),
            ty: ty.into(),
            nullable,
            default: default.map(Into::into),
            ..Column::default()
        }
    }

    fn blog() -> Schema {
        let mut s = Schema::default();
        let mut users = Table::new("users");
        users.columns = vec![
            col("id", "integer", false, None),
            col("email", "varchar(255)", false, None),
        ];
        users.primary_key = Some(PrimaryKey {
            name: None,
            columns: vec!["id".into()],
        });
        users.add_unique(Unique {
            name: None,
            columns: vec!["email".into()],
        });
        s.add_table(users);
        let mut posts = Table::new("posts");
        posts.columns = vec![
            col("id", "integer", false, None),
            col("author_id", "integer", false, None),
            col("status", "varchar(20)", false, Some("'draft'")),
        ];
        posts.add_foreign_key(ForeignKey {
            name: Some("fk_author".into()),
            columns: vec!["author_id".into()],
            referenced_table: "users".into(),
            referenced_columns: vec!["id".into()],
            on_delete: FkAction::Cascade,
            ..ForeignKey::default()
        });
        posts.add_index(Index {
            name: "ix_status".into(),
            parts: vec!["status".into()],
            predicate: Some("status <> 'draft'".into()),
            ..Index::default()
        });
        posts.add_check(Check {
            name: Some("ck".into()),
            expression: "length(status) > 0".into(),
        });
        s.add_table(posts);
        s.enums
            .insert("mood".into(), vec!["sad".into(), "ok".into()]);
        s
    }

    fn lines(d: &[Difference]) -> Vec<String> {
        d.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn equal_schemas_have_no_difference() {
        assert!(diff(&blog(), &blog()).is_empty());
        // column order does not count
        let mut b = blog();
        b.tables.get_mut("posts").unwrap().columns.reverse();
        assert!(diff(&blog(), &b).is_empty());
    }

    /// (edit of the second schema, the expected differences)
    #[test]
    fn each_kind_of_change_is_named() {
        type Edit = fn(&mut Schema);
        let cases: Vec<(Edit, Vec<&str>)> = vec![
            (
                |s| {
                    s.tables.remove("posts");
                },
                vec!["table `posts` removed"],
            ),
            (
                |s| s.add_table(Table::new("tags")),
                vec!["table `tags` added"],
            ),
            (
                |s| {
                    s.tables
                        .get_mut("posts")
                        .unwrap()
                        .columns
                        .push(col("slug", "text", true, None))
                },
                vec!["column `posts`.`slug` added"],
            ),
            (
                |s| {
                    s.tables.get_mut("posts").unwrap().columns.remove(2);
                },
                vec!["column `posts`.`status` removed"],
            ),
            (
                |s| {
                    let c = &mut s.tables.get_mut("users").unwrap().columns[1];
                    c.ty = "text".into();
                    c.nullable = true;
                },
                vec![
                    "column `users`.`email` changed: type `varchar(255)` -> `text`",
                    "column `users`.`email` changed: nullable `false` -> `true`",
                ],
            ),
            (
                |s| s.tables.get_mut("posts").unwrap().columns[2].default = None,
                vec!["column `posts`.`status` changed: default `'draft'` -> `none`"],
            ),
            (
                |s| s.tables.get_mut("users").unwrap().primary_key = None,
                vec!["primary key of `users` removed"],
            ),
            (
                |s| {
                    s.tables
                        .get_mut("posts")
                        .unwrap()
                        .indexes
                        .get_mut("ix_status")
                        .unwrap()
                        .predicate = None
                },
                vec![
                    "index `ix_status` on `posts` changed: predicate `status <> 'draft'` -> `none`",
                ],
            ),
            (
                |s| s.tables.get_mut("users").unwrap().uniques.clear(),
                vec!["unique constraint `unique(email)` on `users` removed"],
            ),
            (
                |s| {
                    s.tables
                        .get_mut("posts")
                        .unwrap()
                        .checks
                        .get_mut("ck")
                        .unwrap()
                        .expression = "true".into()
                },
                vec![
                    "check constraint `ck` on `posts` changed: expression `length(status) > 0` -> `true`",
                ],
            ),
            (
                |s| {
                    s.tables
                        .get_mut("posts")
                        .unwrap()
                        .foreign_keys
                        .get_mut("fk_author")
                        .unwrap()
                        .on_delete = FkAction::NoAction
                },
                vec![
                    "foreign key `fk_author` on `posts` changed: on delete `CASCADE` -> `NO ACTION`",
                ],
            ),
            (
                |s| s.enums.get_mut("mood").unwrap().push("happy".into()),
                vec!["enum `mood` changed: labels `sad, ok` -> `sad, ok, happy`"],
            ),
            (
                |s| {
                    s.views.insert("v".into(), "select 1".into());
                },
                vec!["view `v` added"],
            ),
            (
                |s| {
                    s.sequences.insert("seq".into(), Sequence::default());
                },
                vec!["sequence `seq` added"],
            ),
            (
                |s| {
                    s.triggers.insert("posts.t".into(), "x".into());
                },
                vec!["trigger `posts.t` added"],
            ),
        ];
        for (edit, want) in cases {
            let mut after = blog();
            edit(&mut after);
            assert_eq!(lines(&diff(&blog(), &after)), want);
        }
    }

    #[test]
    fn direction_is_before_to_after() {
        let mut after = blog();
        after.tables.remove("users");
        assert_eq!(lines(&diff(&after, &blog())), ["table `users` added"]);
    }
}
