//! Autogenerate's operations on live databases, on SQLite, PostgreSQL and MySQL.
//!
//! `create_all` builds a declared schema from nothing; the scenario table (issue 12, section
//! 6) then checks each change: the database of the models *before*, planned against the
//! models *after* (created in a second database), upgraded, equals *after*; downgraded, it
//! equals *before* again.

use migrate_core::Backend;
use migrate_core::schema::declare::{ColumnDef, ColumnType, EnumDef, ForeignKeyDef, TableDef};
use migrate_core::schema::introspect::introspect;
use migrate_core::schema::model::FkAction;
use migrate_core::schema::ops::{NoteKind, Plan, apply, create_all, plan};
use migrate_core::schema::render::render_with_notes;
use migrate_core::schema::{Schema, diff};
use migrate_tests::{TestDb, backend_test};

const VERSION_TABLE: &str = "migrate_version";

async fn read(db: &mut migrate_core::Db) -> Schema {
    introspect(db, &[VERSION_TABLE]).await.expect("introspect")
}

fn mood() -> ColumnType {
    ColumnType::Enum(EnumDef::new("mood", ["sad", "ok", "happy"]))
}

/// users ⇄ teams (a cycle), posts → users, a composite key, an enum, uniques, checks and
/// indexes.
fn rich() -> Vec<TableDef> {
    vec![
        TableDef::new("posts")
            .column(ColumnDef::new("id", ColumnType::BigInt).auto_increment())
            .column(ColumnDef::new("author_id", ColumnType::Integer))
            .column(ColumnDef::new("title", ColumnType::Varchar(200)).default("'untitled'"))
            .column(ColumnDef::new("body", ColumnType::Text).nullable(true))
            .primary_key(["id"])
            .foreign_key(
                ForeignKeyDef::new(["author_id"], "users", ["id"])
                    .name("fk_posts_author")
                    .on_delete(FkAction::Cascade),
            )
            .index("ix_posts_title", ["title"], false),
        TableDef::new("users")
            .column(ColumnDef::new("id", ColumnType::Integer).auto_increment())
            .column(ColumnDef::new("email", ColumnType::Varchar(255)))
            .column(ColumnDef::new("team_id", ColumnType::Integer).nullable(true))
            .column(ColumnDef::new("feeling", mood()).default("'ok'"))
            .column(ColumnDef::new("score", ColumnType::Integer).default("0"))
            .primary_key(["id"])
            .unique(Some("uq_users_email"), ["email"])
            .check(Some("ck_users_score"), "score >= 0")
            .foreign_key(ForeignKeyDef::new(["team_id"], "teams", ["id"]).name("fk_users_team")),
        TableDef::new("teams")
            .column(ColumnDef::new("id", ColumnType::Integer))
            .column(ColumnDef::new("owner_id", ColumnType::Integer).nullable(true))
            .primary_key(["id"])
            .foreign_key(ForeignKeyDef::new(["owner_id"], "users", ["id"]).name("fk_teams_owner")),
        TableDef::new("memberships")
            .column(ColumnDef::new("user_id", ColumnType::Integer))
            .column(ColumnDef::new("team_id", ColumnType::Integer))
            .primary_key(["user_id", "team_id"])
            .index("ix_memberships_team", ["team_id"], true),
    ]
}

backend_test!(create_all_builds_the_declared_schema, |t| async move {
    let mut db = t.connect().await;
    apply(&mut db, &create_all(&rich(), t.backend))
        .await
        .expect("create_all applies");
    let s = read(&mut db).await;
    let names: Vec<&str> = s.tables.keys().map(String::as_str).collect();
    assert_eq!(names, ["memberships", "posts", "teams", "users"]);
    assert_eq!(s.tables["users"].foreign_keys.len(), 1);
    assert_eq!(s.tables["teams"].foreign_keys.len(), 1);
    assert_eq!(
        s.tables["memberships"]
            .primary_key
            .as_ref()
            .unwrap()
            .columns,
        ["user_id", "team_id"]
    );
    if t.backend == Backend::Postgres {
        assert_eq!(s.enums["mood"], ["sad", "ok", "happy"]);
    }
    // a second database created the same way diffs empty
    let t2 = TestDb::new(t.backend).await;
    let mut db2 = t2.connect().await;
    apply(&mut db2, &create_all(&rich(), t.backend))
        .await
        .expect("create_all applies");
    assert_eq!(diff(&s, &read(&mut db2).await), []);
});

/// One scenario: the models before and after, and the kinds of notes the plan must carry on
/// each backend (sorted).
struct Scenario {
    before: Vec<TableDef>,
    after: Vec<TableDef>,
    notes: fn(Backend) -> Vec<NoteKind>,
}

fn none(_: Backend) -> Vec<NoteKind> {
    Vec::new()
}

fn destructive(_: Backend) -> Vec<NoteKind> {
    vec![NoteKind::Destructive]
}

fn sc(before: Vec<TableDef>, after: Vec<TableDef>) -> Scenario {
    Scenario {
        before,
        after,
        notes: none,
    }
}

fn id() -> ColumnDef {
    ColumnDef::new("id", ColumnType::Integer).auto_increment()
}

/// `users (id, email)`.
fn users() -> TableDef {
    TableDef::new("users")
        .column(id())
        .column(ColumnDef::new("email", ColumnType::Varchar(255)))
        .primary_key(["id"])
}

/// `posts (id, author_id → users, title)`.
fn posts() -> TableDef {
    TableDef::new("posts")
        .column(id())
        .column(ColumnDef::new("author_id", ColumnType::Integer))
        .column(ColumnDef::new("title", ColumnType::Varchar(200)))
        .primary_key(["id"])
        .foreign_key(ForeignKeyDef::new(["author_id"], "users", ["id"]).name("fk_posts_author"))
}

fn users_with(c: ColumnDef) -> TableDef {
    users().column(c)
}

fn kind_sort(mut v: Vec<NoteKind>) -> Vec<String> {
    let mut s: Vec<String> = v.drain(..).map(|k| format!("{k:?}")).collect();
    s.sort();
    s.dedup();
    s
}

/// Runs one scenario on `backend`; returns the plan and its rendered upgrade and downgrade.
async fn run(backend: Backend, name: &str, s: Scenario) -> (Plan, String, String) {
    let before_db = TestDb::new(backend).await;
    let after_db = TestDb::new(backend).await;
    let mut db = before_db.connect().await;
    apply(&mut db, &create_all(&s.before, backend))
        .await
        .unwrap_or_else(|e| panic!("{name}: creating the models before: {e}"));
    let mut db2 = after_db.connect().await;
    apply(&mut db2, &create_all(&s.after, backend))
        .await
        .unwrap_or_else(|e| panic!("{name}: creating the models after: {e}"));
    let desired = read(&mut db2).await;
    let current = read(&mut db).await;
    let p = plan(&current, &desired, &s.after, backend);
    if diff(&current, &desired).is_empty() {
        // the backend does not tell the two apart (SQLite: `bigint` is `integer`)
        assert_eq!(p, Plan::default(), "{name} on {backend}");
        return (p, String::new(), String::new());
    }
    let up = render_with_notes(&p.upgrade, &p.notes, backend);
    let down = render_with_notes(&p.downgrade, &[], backend);
    let ctx = format!("{name} on {backend}\n--- upgrade:\n{up}--- downgrade:\n{down}");
    assert_eq!(
        kind_sort(p.notes.iter().map(|n| n.kind).collect()),
        kind_sort((s.notes)(backend)),
        "notes {:#?}\n{ctx}",
        p.notes
    );
    let unsupported = p.notes.iter().any(|n| n.kind == NoteKind::Unsupported);
    if p.upgrade.is_empty() && unsupported {
        return (p, up, down);
    }
    assert!(!p.upgrade.is_empty(), "no operation\n{ctx}");
    apply(&mut db, &p.upgrade)
        .await
        .unwrap_or_else(|e| panic!("upgrade: {e}\n{ctx}"));
    let upgraded = read(&mut db).await;
    if !unsupported {
        assert_eq!(diff(&upgraded, &desired), [], "after the upgrade\n{ctx}");
    }
    apply(&mut db, &p.downgrade)
        .await
        .unwrap_or_else(|e| panic!("downgrade: {e}\n{ctx}"));
    assert_eq!(
        diff(&read(&mut db).await, &current),
        [],
        "after the downgrade\n{ctx}"
    );
    // planning again against the upgraded schema: nothing left to do
    if !unsupported {
        let again = plan(&upgraded, &desired, &s.after, backend);
        assert!(
            again.upgrade.is_empty(),
            "a second plan is not empty: {again:?}\n{ctx}"
        );
    }
    let tables: Vec<&str> = p.upgrade.iter().filter_map(|o| o.table()).collect();
    assert!(
        tables.is_empty() || tables.iter().any(|t| up.contains(t)),
        "none of {tables:?} in the upgrade\n{ctx}"
    );
    assert!(!up.trim().is_empty() && !down.trim().is_empty(), "{ctx}");
    drop(db);
    drop(db2);
    (p, up, down)
}

macro_rules! scenarios {
    ($($name:ident => $body:expr;)*) => {
        $(
            mod $name {
                use super::*;
                pub fn scenario() -> Scenario {
                    $body
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run(Backend::Sqlite, stringify!($name), scenario()).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    run(Backend::Postgres, stringify!($name), scenario()).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn mysql() {
                    run(Backend::MySql, stringify!($name), scenario()).await;
                }
            }
        )*
        /// Every scenario, by name (the compile test renders them all).
        #[allow(dead_code)]
        fn all_scenarios() -> Vec<(&'static str, Scenario)> {
            vec![$((stringify!($name), $name::scenario())),*]
        }
    };
}

fn add_column_of(ty: ColumnType) -> Scenario {
    sc(
        vec![users()],
        vec![users_with(ColumnDef::new("extra", ty).nullable(true))],
    )
}

scenarios! {
    create_table => sc(vec![], vec![users()]);
    create_two_tables_with_a_foreign_key => sc(vec![], vec![posts(), users()]);
    create_table_with_fk_to_existing => sc(vec![users()], vec![users(), posts()]);
    create_tables_in_a_cycle => sc(
        vec![],
        vec![
            TableDef::new("a")
                .column(ColumnDef::new("id", ColumnType::Integer))
                .column(ColumnDef::new("b_id", ColumnType::Integer).nullable(true))
                .primary_key(["id"])
                .foreign_key(ForeignKeyDef::new(["b_id"], "b", ["id"]).name("fk_a_b")),
            TableDef::new("b")
                .column(ColumnDef::new("id", ColumnType::Integer))
                .column(ColumnDef::new("a_id", ColumnType::Integer).nullable(true))
                .primary_key(["id"])
                .foreign_key(ForeignKeyDef::new(["a_id"], "a", ["id"]).name("fk_b_a")),
        ],
    );
    create_table_with_composite_key_and_index => sc(
        vec![users()],
        vec![
            users(),
            TableDef::new("memberships")
                .column(ColumnDef::new("user_id", ColumnType::Integer))
                .column(ColumnDef::new("team", ColumnType::Varchar(50)))
                .primary_key(["user_id", "team"])
                .index("ix_memberships_team", ["team"], false),
        ],
    );
    drop_table => Scenario { before: vec![users(), posts()], after: vec![users()], notes: destructive };
    drop_table_with_index => Scenario {
        before: vec![users().index("ix_users_email", ["email"], false), posts()],
        after: vec![posts().index("ix_posts_title", ["title"], false), users()]
            .into_iter()
            .filter(|t| t.name == "users")
            .collect(),
        notes: destructive,
    };
    rename_table => sc(
        vec![users(), posts()],
        vec![
            {
                let mut u = users().renamed_from("users");
                u.name = "people".into();
                u
            },
            {
                let mut p = posts();
                p.foreign_keys[0].referenced_table = "people".into();
                p
            },
        ],
    );
    add_nullable_column => sc(
        vec![users()],
        vec![users_with(ColumnDef::new("bio", ColumnType::Text).nullable(true))],
    );
    add_not_null_column_with_default => sc(
        vec![users()],
        vec![users_with(ColumnDef::new("karma", ColumnType::Integer).default("0"))],
    );
    add_not_null_column_without_default => sc(
        vec![users()],
        vec![users_with(ColumnDef::new("nick", ColumnType::Varchar(40)))],
    );
    drop_column => Scenario {
        before: vec![users_with(ColumnDef::new("bio", ColumnType::Text).nullable(true))],
        after: vec![users()],
        notes: destructive,
    };
    rename_column => sc(
        vec![users_with(ColumnDef::new("bio", ColumnType::Text).nullable(true))],
        vec![users_with(
            ColumnDef::new("about", ColumnType::Text)
                .nullable(true)
                .renamed_from("bio"),
        )],
    );
    rename_indexed_column => sc(
        vec![users_with(ColumnDef::new("nick", ColumnType::Varchar(40))).index("ix_nick", ["nick"], false)],
        vec![users_with(ColumnDef::new("handle", ColumnType::Varchar(40)).renamed_from("nick"))
            .index("ix_nick", ["handle"], false)],
    );
    possible_rename => Scenario {
        before: vec![users_with(ColumnDef::new("bio", ColumnType::Text).nullable(true))],
        after: vec![users_with(ColumnDef::new("about", ColumnType::Text).nullable(true))],
        notes: |_| vec![NoteKind::Destructive, NoteKind::PossibleRename],
    };
    widen_integer => sc(
        vec![users_with(ColumnDef::new("n", ColumnType::Integer))],
        vec![users_with(ColumnDef::new("n", ColumnType::BigInt))],
    );
    narrow_varchar => Scenario {
        before: vec![users()],
        after: vec![TableDef::new("users")
            .column(id())
            .column(ColumnDef::new("email", ColumnType::Varchar(100)))
            .primary_key(["id"])],
        notes: destructive,
    };
    text_to_integer => Scenario {
        before: vec![users_with(ColumnDef::new("n", ColumnType::Text))],
        after: vec![users_with(ColumnDef::new("n", ColumnType::Integer))],
        notes: destructive,
    };
    make_nullable => sc(
        vec![users_with(ColumnDef::new("bio", ColumnType::Text))],
        vec![users_with(ColumnDef::new("bio", ColumnType::Text).nullable(true))],
    );
    make_not_null => sc(
        vec![users_with(ColumnDef::new("bio", ColumnType::Text).nullable(true))],
        vec![users_with(ColumnDef::new("bio", ColumnType::Text))],
    );
    add_default => sc(
        vec![users_with(ColumnDef::new("karma", ColumnType::Integer))],
        vec![users_with(ColumnDef::new("karma", ColumnType::Integer).default("0"))],
    );
    drop_default => sc(
        vec![users_with(ColumnDef::new("karma", ColumnType::Integer).default("0"))],
        vec![users_with(ColumnDef::new("karma", ColumnType::Integer))],
    );
    change_default => sc(
        vec![users_with(ColumnDef::new("state", ColumnType::Varchar(20)).default("'new'"))],
        vec![users_with(ColumnDef::new("state", ColumnType::Varchar(20)).default("'active'"))],
    );
    boolean_with_default => sc(
        vec![users()],
        vec![users_with(ColumnDef::new("active", ColumnType::Boolean).default("true"))],
    );
    timestamp_default_now => sc(
        vec![users()],
        vec![users_with(ColumnDef::new("seen", ColumnType::DateTime).default("CURRENT_TIMESTAMP"))],
    );
    change_decimal_precision => sc(
        vec![users_with(ColumnDef::new("amount", ColumnType::Decimal(10, 2)))],
        vec![users_with(ColumnDef::new("amount", ColumnType::Decimal(12, 2)))],
    );
    add_index => sc(vec![users()], vec![users().index("ix_users_email", ["email"], false)]);
    add_unique_index => sc(vec![users()], vec![users().index("ix_users_email", ["email"], true)]);
    add_multi_column_index => sc(
        vec![posts(), users()],
        vec![posts().index("ix_posts_author_title", ["author_id", "title"], false), users()],
    );
    drop_index => sc(vec![users().index("ix_users_email", ["email"], false)], vec![users()]);
    add_column_and_index_on_it => sc(
        vec![users()],
        vec![users_with(ColumnDef::new("nick", ColumnType::Varchar(40)).nullable(true))
            .index("ix_users_nick", ["nick"], false)],
    );
    add_unique_constraint => sc(vec![users()], vec![users().unique(Some("uq_users_email"), ["email"])]);
    drop_unique_constraint => sc(vec![users().unique(Some("uq_users_email"), ["email"])], vec![users()]);
    add_check => sc(
        vec![users_with(ColumnDef::new("age", ColumnType::Integer))],
        vec![users_with(ColumnDef::new("age", ColumnType::Integer)).check(Some("ck_users_age"), "age >= 0")],
    );
    drop_check => sc(
        vec![users_with(ColumnDef::new("age", ColumnType::Integer)).check(Some("ck_users_age"), "age >= 0")],
        vec![users_with(ColumnDef::new("age", ColumnType::Integer))],
    );
    add_foreign_key => sc(
        vec![users(), TableDef::new("posts").column(id()).column(ColumnDef::new("author_id", ColumnType::Integer)).primary_key(["id"])],
        vec![users(), TableDef::new("posts").column(id()).column(ColumnDef::new("author_id", ColumnType::Integer)).primary_key(["id"])
            .foreign_key(ForeignKeyDef::new(["author_id"], "users", ["id"]).name("fk_posts_author"))],
    );
    drop_foreign_key => sc(
        vec![users(), posts()],
        vec![users(), {
            let mut p = posts();
            p.foreign_keys.clear();
            p
        }],
    );
    change_foreign_key_action => sc(
        vec![users(), posts()],
        vec![users(), {
            let mut p = posts();
            p.foreign_keys[0].on_delete = FkAction::Cascade;
            p
        }],
    );
    change_primary_key => Scenario {
        before: vec![TableDef::new("tags")
            .column(ColumnDef::new("name", ColumnType::Varchar(50)))
            .column(ColumnDef::new("lang", ColumnType::Varchar(5)))
            .primary_key(["name"])],
        after: vec![TableDef::new("tags")
            .column(ColumnDef::new("name", ColumnType::Varchar(50)))
            .column(ColumnDef::new("lang", ColumnType::Varchar(5)))
            .primary_key(["name", "lang"])],
        notes: |b| if b == Backend::Sqlite { vec![NoteKind::Unsupported] } else { vec![] },
    };
    add_enum_column => sc(vec![users()], vec![users_with(ColumnDef::new("feeling", mood()).default("'ok'"))]);
    add_enum_value => sc(
        vec![users_with(ColumnDef::new("feeling", mood()).default("'ok'"))],
        vec![users_with(
            ColumnDef::new("feeling", ColumnType::Enum(EnumDef::new("mood", ["sad", "ok", "happy", "ecstatic"])))
                .default("'ok'"),
        )],
    );
    remove_enum_value => Scenario {
        before: vec![users_with(ColumnDef::new("feeling", mood()).default("'ok'"))],
        after: vec![users_with(
            ColumnDef::new("feeling", ColumnType::Enum(EnumDef::new("mood", ["sad", "ok"])))
                .default("'ok'"),
        )],
        notes: |b| if b == Backend::Sqlite { vec![] } else { vec![NoteKind::Destructive] },
    };
    drop_enum_column => Scenario {
        before: vec![users_with(ColumnDef::new("feeling", mood()).nullable(true))],
        after: vec![users()],
        notes: destructive,
    };
    add_tinyint => add_column_of(ColumnType::TinyInt);
    add_smallint => add_column_of(ColumnType::SmallInt);
    add_integer => add_column_of(ColumnType::Integer);
    add_bigint => add_column_of(ColumnType::BigInt);
    add_tiny_unsigned => add_column_of(ColumnType::TinyUnsigned);
    add_small_unsigned => add_column_of(ColumnType::SmallUnsigned);
    add_unsigned => add_column_of(ColumnType::Unsigned);
    add_big_unsigned => add_column_of(ColumnType::BigUnsigned);
    add_float => add_column_of(ColumnType::Float);
    add_double => add_column_of(ColumnType::Double);
    add_boolean => add_column_of(ColumnType::Boolean);
    add_text => add_column_of(ColumnType::Text);
    add_varchar => add_column_of(ColumnType::Varchar(80));
    add_blob => add_column_of(ColumnType::Blob);
    add_date => add_column_of(ColumnType::Date);
    add_time => add_column_of(ColumnType::Time);
    add_datetime => add_column_of(ColumnType::DateTime);
    add_timestamptz => add_column_of(ColumnType::TimestampTz);
    add_uuid => add_column_of(ColumnType::Uuid);
    add_decimal => add_column_of(ColumnType::Decimal(10, 2));
    add_json => add_column_of(ColumnType::Json);
    add_custom => add_column_of(ColumnType::Custom("char(3)".into()));
}

/// Indents `body` by `n` spaces (blank lines stay empty).
fn indent(body: &str, n: usize) -> String {
    body.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{}{l}\n", " ".repeat(n))
            }
        })
        .collect::<Vec<_>>()
        .join("")
        .replace("\n\n", "\n")
}

/// The rendered upgrade and downgrade of every scenario on every backend, as functions of
/// one generated crate that `use migrate_core::prelude::*;` as a revision file does: it must
/// build.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rendered_revisions_compile() {
    use migrate_tests::nested;
    let mut src = String::from(
        "//! Generated by autogen_scenarios.rs: every scenario's rendered revision.\n\
         #![allow(unused_imports)]\n\nuse migrate_core::prelude::*;\n",
    );
    let mut count = 0;
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        for (name, s) in all_scenarios() {
            let (_, up, down) = run(backend, name, s).await;
            for (dir, body) in [("upgrade", up), ("downgrade", down)] {
                src.push_str(&format!(
                    "\npub async fn {name}_{}_{dir}(db: &mut Db) -> Result<()> {{\n{}    Ok(())\n}}\n",
                    backend.name(),
                    indent(&body, 4)
                ));
                count += 1;
            }
        }
    }
    assert!(count >= 6 * 40, "{count} functions");
    let root = nested::crate_dir("autogen_rendered");
    nested::write_manifest(&root, "autogen_rendered");
    std::fs::write(root.join("src/lib.rs"), &src).expect("write lib.rs");
    let out = tokio::task::spawn_blocking(move || nested::cargo_build(&root))
        .await
        .expect("build");
    assert!(
        out.status.success(),
        "the rendered revisions do not compile:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
