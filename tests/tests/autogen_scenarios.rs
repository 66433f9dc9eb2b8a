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
use migrate_core::schema::ops::{apply, create_all};
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
