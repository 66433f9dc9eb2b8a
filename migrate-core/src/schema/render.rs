//! Schema operations ([`super::ops::Op`]) as Rust source for a revision file: the statements
//! of `pub async fn upgrade(db: &mut Db) -> Result<()>` (or `downgrade`) in a file that has
//! `use migrate_core::prelude::*;`. Printed from the same list of `Db` calls
//! ([`super::ops`]'s steps) that [`super::ops::apply`] runs, so the file does what `apply`
//! does. Laid out as rustfmt would at the margin (chains broken one call per line when a
//! statement exceeds 100 columns); the caller indents the lines into the function body.

use super::build::{column_def_rust, rust_str};
use super::ops::{
    BatchStep, ColumnSpec, ForeignKeySpec, IndexSpec, Note, NoteKind, Op, Step, TableSpec,
    effective_ops, fk_action, index_part, merge_batches, steps,
};
use crate::db::Backend;

const WIDTH: usize = 100;

/// rustfmt's `chain_width`: a longer chain is broken one call per line.
const CHAIN: usize = 60;

/// An expression: a literal, a method chain on a head, or a chain given as its rendered
/// segments (head first, then each `.call(…)`).
#[derive(Debug, Clone)]
enum E {
    Lit(String),
    Chain(String, Vec<(&'static str, Vec<E>)>),
    Segments(Vec<String>),
}

fn lit(s: impl Into<String>) -> E {
    E::Lit(s.into())
}

fn s(x: &str) -> E {
    E::Lit(rust_str(x))
}

fn flat(e: &E) -> String {
    match e {
        E::Lit(s) => s.clone(),
        E::Segments(parts) => parts.concat(),
        E::Chain(head, calls) => {
            let mut out = head.clone();
            for (m, args) in calls {
                out.push_str(&format!(
                    ".{m}({})",
                    args.iter().map(flat).collect::<Vec<_>>().join(", ")
                ));
            }
            out
        }
    }
}

/// Whether `e` stays on one line at column `indent`.
fn fits(e: &E, indent: usize) -> bool {
    let f = flat(e);
    matches!(e, E::Lit(_)) || (f.len() <= CHAIN && indent + f.len() <= WIDTH)
}

/// Splits a chain's source at its top-level dots (outside strings and parentheses).
fn segments(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut in_str, mut escaped, mut start) = (0usize, false, false, 0);
    for (i, ch) in src.char_indices() {
        if in_str {
            match (escaped, ch) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => in_str = true,
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            '.' if depth == 0 && i > start => {
                out.push(src[start..i].to_owned());
                start = i;
            }
            _ => {}
        }
    }
    out.push(src[start..].to_owned());
    out
}

/// Writes `e` starting at column `indent` (already indented), breaking what does not fit.
fn print(e: &E, indent: usize, out: &mut String) {
    if fits(e, indent) {
        out.push_str(&flat(e));
        return;
    }
    let pad = " ".repeat(indent + 4);
    match e {
        E::Lit(s) => out.push_str(s),
        E::Segments(parts) => {
            out.push_str(&parts[0]);
            for p in &parts[1..] {
                out.push('\n');
                out.push_str(&pad);
                out.push_str(p);
            }
        }
        // one call on a head: rustfmt keeps it on the head's line, the arguments overflow
        E::Chain(head, calls) if calls.len() == 1 && !head.starts_with('&') => {
            let (m, args) = &calls[0];
            if indent + flat(e).len() <= WIDTH {
                out.push_str(&flat(e));
                return;
            }
            out.push_str(&format!("{head}.{m}(\n"));
            for arg in args {
                out.push_str(&pad);
                print(arg, indent + 4, out);
                out.push_str(",\n");
            }
            out.push_str(&" ".repeat(indent));
            out.push(')');
        }
        E::Chain(head, calls) => {
            out.push_str(head);
            for (m, args) in calls {
                out.push('\n');
                out.push_str(&pad);
                let a = args.iter().map(flat).collect::<Vec<_>>().join(", ");
                let inline = args.iter().all(|x| fits(x, indent + 4))
                    && indent + 4 + m.len() + a.len() + 3 <= WIDTH;
                if inline {
                    out.push_str(&format!(".{m}({a})"));
                } else {
                    out.push_str(&format!(".{m}(\n"));
                    for arg in args {
                        out.push_str(&" ".repeat(indent + 8));
                        print(arg, indent + 8, out);
                        out.push_str(",\n");
                    }
                    out.push_str(&pad);
                    out.push(')');
                }
            }
        }
    }
}

/// `db.method(arg).await?;`, broken as rustfmt does when long.
fn statement(method: &str, arg: E, out: &mut String) {
    let call = format!("db.{method}({})", flat(&arg));
    if fits(&arg, 0) && call.len() + ".await?".len() <= CHAIN {
        out.push_str(&call);
        out.push_str(".await?;");
    } else if fits(&arg, 0) && call.len() <= WIDTH {
        out.push_str(&call);
        out.push_str("\n    .await?;");
    } else {
        out.push_str(&format!("db.{method}(\n    "));
        print(&arg, 4, out);
        out.push_str(",\n)\n.await?;");
    }
    out.push('\n');
}

fn column(c: &ColumnSpec) -> E {
    E::Segments(segments(&column_def_rust(&c.name, &c.calls)))
}

fn list(items: &[String]) -> E {
    lit(format!(
        "[{}]",
        items
            .iter()
            .map(|i| rust_str(i))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn foreign_key(f: &ForeignKeySpec) -> E {
    let mut calls = Vec::new();
    if let Some(n) = &f.name {
        calls.push(("name", vec![s(n)]));
    }
    calls.push(("from_tbl", vec![s(&f.table)]));
    for c in &f.columns {
        calls.push(("from_col", vec![s(c)]));
    }
    calls.push(("to_tbl", vec![s(&f.referenced_table)]));
    for c in &f.referenced_columns {
        calls.push(("to_col", vec![s(c)]));
    }
    if let Some(a) = fk_action(f.on_delete) {
        calls.push(("on_delete", vec![lit(format!("ForeignKeyAction::{a}"))]));
    }
    if let Some(a) = fk_action(f.on_update) {
        calls.push(("on_update", vec![lit(format!("ForeignKeyAction::{a}"))]));
    }
    E::Chain("ForeignKey::create()".into(), calls)
}

fn index_cols(calls: &mut Vec<(&'static str, Vec<E>)>, columns: &[String]) {
    for p in columns {
        match index_part(p) {
            (c, true) => calls.push((
                "col",
                vec![lit(format!("({}, IndexOrder::Desc)", rust_str(c)))],
            )),
            (c, false) => calls.push(("col", vec![s(c)])),
        }
    }
}

fn create_table(t: &TableSpec) -> E {
    let mut calls = vec![("table", vec![s(&t.name)])];
    for c in &t.columns {
        calls.push(("col", vec![column(c)]));
    }
    if !t.primary_key.is_empty() {
        let mut pk = Vec::new();
        index_cols(&mut pk, &t.primary_key);
        calls.push(("primary_key", vec![E::Chain("Index::create()".into(), pk)]));
    }
    for u in &t.uniques {
        let mut i = vec![("unique", vec![])];
        if let Some(n) = &u.name {
            i.push(("name", vec![s(n)]));
        }
        index_cols(&mut i, &u.columns);
        calls.push(("index", vec![E::Chain("Index::create()".into(), i)]));
    }
    for c in &t.checks {
        let expr = format!("Expr::cust({})", rust_str(&c.expression));
        calls.push((
            "check",
            vec![match &c.name {
                Some(n) => lit(format!("({}, {expr})", rust_str(n))),
                None => lit(expr),
            }],
        ));
    }
    for f in &t.foreign_keys {
        calls.push(("foreign_key", vec![foreign_key(f)]));
    }
    calls.push(("to_owned", vec![]));
    E::Chain("Table::create()".into(), calls)
}

fn create_index(i: &IndexSpec) -> E {
    let mut calls = vec![("name", vec![s(&i.name)]), ("table", vec![s(&i.table)])];
    index_cols(&mut calls, &i.columns);
    if i.unique {
        calls.push(("unique", vec![]));
    }
    calls.push(("to_owned", vec![]));
    E::Chain("Index::create()".into(), calls)
}

fn opt(n: &Option<String>) -> E {
    match n {
        Some(n) => lit(format!("Some({})", rust_str(n))),
        None => lit("None"),
    }
}

fn batch(table: &str, steps: &[BatchStep]) -> E {
    let owned = |c: &ColumnSpec| {
        E::Segments(segments(&format!(
            "{}.to_owned()",
            column_def_rust(&c.name, &c.calls)
        )))
    };
    let calls = steps
        .iter()
        .map(|b| match b {
            BatchStep::AddColumn(c) => ("add_column", vec![owned(c)]),
            BatchStep::DropColumn(c) => ("drop_column", vec![s(c)]),
            BatchStep::AlterColumn(c) => ("alter_column", vec![owned(c)]),
            BatchStep::RenameColumn(a, b) => ("rename_column", vec![s(a), s(b)]),
            BatchStep::DropConstraint(n) => ("drop_constraint", vec![s(n)]),
            BatchStep::DropForeignKeyMatching(c, r) => {
                ("drop_foreign_key_matching", vec![list(c), s(r)])
            }
            BatchStep::CreateUnique(n, c) => ("create_unique", vec![opt(n), list(c)]),
            BatchStep::DropUnique(n) => ("drop_unique", vec![s(n)]),
            BatchStep::DropUniqueMatching(c) => ("drop_unique_matching", vec![list(c)]),
            BatchStep::CreateCheck(n, e) => ("create_check", vec![opt(n), s(e)]),
            BatchStep::DropCheckMatching(e) => ("drop_check_matching", vec![s(e)]),
        })
        .collect();
    E::Chain(format!("BatchAlter::table({})", rust_str(table)), calls)
}

fn pg_type(head: &str, mut calls: Vec<(&'static str, Vec<E>)>) -> E {
    calls.push(("to_string", vec![lit("PostgresQueryBuilder")]));
    E::Chain(format!("&Type::{head}()"), calls)
}

fn render_step(step: &Step, out: &mut String) {
    match step {
        Step::CreateType(n, v) => statement(
            "sql",
            pg_type(
                "create",
                vec![("as_enum", vec![s(n)]), ("values", vec![list(v)])],
            ),
            out,
        ),
        Step::DropType(n) => statement("sql", pg_type("drop", vec![("name", vec![s(n)])]), out),
        Step::AddTypeValue(n, v, after, before) => {
            let mut calls = vec![("name", vec![s(n)]), ("add_value", vec![s(v)])];
            if let Some(a) = after {
                calls.push(("after", vec![s(a)]));
            } else if let Some(b) = before {
                calls.push(("before", vec![s(b)]));
            }
            statement("sql", pg_type("alter", calls), out)
        }
        Step::CreateTable(t) => statement("create_table", create_table(t), out),
        Step::DropTable(t) => statement(
            "drop_table",
            E::Chain(
                "Table::drop()".into(),
                vec![("table", vec![s(t)]), ("to_owned", vec![])],
            ),
            out,
        ),
        Step::RenameTable(a, b) => statement(
            "rename_table",
            E::Chain(
                "Table::rename()".into(),
                vec![("table", vec![s(a), s(b)]), ("to_owned", vec![])],
            ),
            out,
        ),
        Step::CreateIndex(i) => statement("create_index", create_index(i), out),
        Step::DropIndex(n, t) => {
            let calls = vec![
                ("name", vec![s(n)]),
                ("table", vec![s(t)]),
                ("to_owned", vec![]),
            ];
            statement("drop_index", E::Chain("Index::drop()".into(), calls), out)
        }
        Step::CreateForeignKey(f) => {
            let E::Chain(h, mut calls) = foreign_key(f) else {
                unreachable!()
            };
            calls.push(("to_owned", vec![]));
            statement("create_foreign_key", E::Chain(h, calls), out)
        }
        Step::DropForeignKey(n, t) => statement(
            "drop_foreign_key",
            E::Chain(
                "ForeignKey::drop()".into(),
                vec![
                    ("name", vec![s(n)]),
                    ("table", vec![s(t)]),
                    ("to_owned", vec![]),
                ],
            ),
            out,
        ),
        Step::Batch(t, b) => statement("batch_alter_table", batch(t, b), out),
        Step::Sql(sql) => statement("sql", s(sql), out),
    }
}

fn comment(kind: NoteKind, message: &str, out: &mut String) {
    let label = match kind {
        NoteKind::Destructive => "DESTRUCTIVE",
        NoteKind::PossibleRename => "POSSIBLE RENAME",
        NoteKind::Unsupported => "NOT GENERATED",
    };
    let mut line = format!("// {label}:");
    for word in message.split_whitespace() {
        if line.len() + 1 + word.len() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = "//".to_owned();
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
}

/// The Rust statements that carry out `ops` on `backend` (each a `db.…(…).await?;`), for
/// the body of a revision's `upgrade` or `downgrade`. An operation the backend cannot carry
/// out is written as a comment saying why.
pub fn render(ops: &[Op], backend: Backend) -> String {
    render_with_notes(ops, &[], backend)
}

/// [`render`] with `notes` as `//` comments: each note about a table before the first
/// operation on that table, the others (and those about tables no operation touches) first.
pub fn render_with_notes(ops: &[Op], notes: &[Note], backend: Backend) -> String {
    let ops = &effective_ops(ops);
    // the comments and the steps in order, the steps of adjacent operations between two
    // comments joined as `apply` joins them (one batch a table)
    enum Item {
        Comment(NoteKind, String),
        Steps(Vec<Step>),
    }
    let mut items: Vec<Item> = Vec::new();
    let mut done = vec![false; notes.len()];
    let touched: Vec<Option<&str>> = ops.iter().map(Op::table).collect();
    for (i, n) in notes.iter().enumerate() {
        if n.table
            .as_deref()
            .is_none_or(|t| !touched.contains(&Some(t)))
        {
            items.push(Item::Comment(n.kind, n.message.clone()));
            done[i] = true;
        }
    }
    for op in ops {
        for (i, n) in notes.iter().enumerate() {
            if !done[i] && n.table.as_deref() == op.table() {
                items.push(Item::Comment(n.kind, n.message.clone()));
                done[i] = true;
            }
        }
        match steps(op, backend) {
            Ok(list) => match items.last_mut() {
                Some(Item::Steps(run)) => run.extend(list),
                _ => items.push(Item::Steps(list)),
            },
            Err(why) => items.push(Item::Comment(NoteKind::Unsupported, why)),
        }
    }
    let mut out = String::new();
    for item in items {
        match item {
            Item::Comment(kind, message) => comment(kind, &message, &mut out),
            Item::Steps(list) => {
                for st in &merge_batches(list) {
                    render_step(st, &mut out);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::declare::{ColumnDef, ColumnType, ForeignKeyDef, TableDef};
    use crate::schema::model::FkAction;
    use crate::schema::ops::{UniqueSpec, create_all};

    #[test]
    fn create_all_renders_typed_builders() {
        let defs = [
            TableDef::new("users")
                .column(ColumnDef::new("id", ColumnType::Integer).auto_increment())
                .column(ColumnDef::new("email", ColumnType::Varchar(255)))
                .primary_key(["id"]),
            TableDef::new("posts")
                .column(ColumnDef::new("id", ColumnType::Integer))
                .column(ColumnDef::new("author_id", ColumnType::Integer))
                .primary_key(["id"])
                .foreign_key(
                    ForeignKeyDef::new(["author_id"], "users", ["id"])
                        .name("fk_posts_author")
                        .on_delete(FkAction::Cascade),
                )
                .index("ix_posts_author", ["author_id"], false),
        ];
        let src = render(&create_all(&defs, Backend::Postgres), Backend::Postgres);
        assert_eq!(
            src,
            r#"db.create_table(
    Table::create()
        .table("users")
        .col(
            ColumnDef::new("id")
                .integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(ColumnDef::new("email").string_len(255).not_null())
        .to_owned(),
)
.await?;
db.create_table(
    Table::create()
        .table("posts")
        .col(ColumnDef::new("id").integer().not_null().primary_key())
        .col(ColumnDef::new("author_id").integer().not_null())
        .foreign_key(
            ForeignKey::create()
                .name("fk_posts_author")
                .from_tbl("posts")
                .from_col("author_id")
                .to_tbl("users")
                .to_col("id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned(),
)
.await?;
db.create_index(
    Index::create()
        .name("ix_posts_author")
        .table("posts")
        .col("author_id")
        .to_owned(),
)
.await?;
"#
        );
    }

    #[test]
    fn notes_go_before_the_first_operation_on_their_table() {
        let ops = [
            Op::AddUnique {
                table: "a".into(),
                unique: UniqueSpec {
                    name: Some("uq".into()),
                    columns: vec!["x".into()],
                },
            },
            Op::DropUnique {
                table: "b".into(),
                unique: UniqueSpec {
                    name: None,
                    columns: vec!["y".into()],
                },
            },
        ];
        let notes = [
            Note {
                kind: NoteKind::Destructive,
                message: "about b".into(),
                table: Some("b".into()),
            },
            Note {
                kind: NoteKind::Unsupported,
                message: "a view".into(),
                table: None,
            },
        ];
        assert_eq!(
            render_with_notes(&ops, &notes, Backend::Sqlite),
            r#"// NOT GENERATED: a view
db.batch_alter_table(BatchAlter::table("a").create_unique(Some("uq"), ["x"]))
    .await?;
// DESTRUCTIVE: about b
db.batch_alter_table(BatchAlter::table("b").drop_unique_matching(["y"]))
    .await?;
"#
        );
    }

    #[test]
    fn a_table_changed_several_ways_is_one_batch() {
        let col = |n: &str| {
            ColumnSpec::declared(
                &ColumnDef::new(n, ColumnType::Text).nullable(true),
                Backend::Sqlite,
                false,
            )
        };
        let add = |t: &str, n: &str| Op::AddColumn {
            table: t.into(),
            column: col(n),
        };
        let rename = |t: &str, a: &str, b: &str| Op::RenameColumn {
            table: t.into(),
            from: a.into(),
            to: b.into(),
        };
        let count = |src: &str| src.matches("db.batch_alter_table(").count();
        // two changes to `users`: one chain, in order
        let src = render(&[add("users", "a"), add("users", "b")], Backend::Sqlite);
        assert_eq!(count(&src), 1, "{src}");
        assert!(
            src.find("\"a\"").unwrap() < src.find("\"b\"").unwrap(),
            "{src}"
        );
        // another table between them: not joined
        let src = render(
            &[add("users", "a"), add("posts", "x"), add("users", "b")],
            Backend::Sqlite,
        );
        assert_eq!(count(&src), 3, "{src}");
        // a rename after another change stays its own batch (SQLite runs a batch's renames
        // first); a change after renames joins them
        let src = render(
            &[add("users", "a"), rename("users", "c", "d")],
            Backend::Sqlite,
        );
        assert_eq!(count(&src), 2, "{src}");
        let src = render(
            &[rename("users", "c", "d"), add("users", "a")],
            Backend::Sqlite,
        );
        assert_eq!(count(&src), 1, "{src}");
        // a note on the table goes before its one batch
        let notes = [Note {
            kind: NoteKind::Destructive,
            table: Some("users".into()),
            message: "m".into(),
        }];
        let src = render_with_notes(
            &[add("users", "a"), add("users", "b")],
            &notes,
            Backend::Sqlite,
        );
        assert_eq!(count(&src), 1, "{src}");
        assert!(src.starts_with("// DESTRUCTIVE: m\n"), "{src}");
    }
}
