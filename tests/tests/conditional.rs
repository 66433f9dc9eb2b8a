//! `db.has_table`, `db.has_column`, `db.has_index` on every backend, checked against the
//! catalogue queries of the test harness, and a "create only if missing" revision run on a
//! fresh database and on one where part of it was made by hand.

use migrate_core::runner::{OfflineCommand, Options, Runner};
use migrate_core::sea_query::Value;
use migrate_core::{Backend, Db, Error, Migrations, prelude::*};
use migrate_tests::{TestDb, backend_test};

mod conditional {
    migrate_macros::migrations!("fixtures/conditional");
}

static CONDITIONAL: &Migrations = &conditional::MIGRATIONS;

async fn upgrade(db: &TestDb) {
    let mut conn = db.connect().await;
    let runner = Runner::new(CONDITIONAL, Options::default()).unwrap();
    runner
        .upgrade(&mut conn, "head", &mut |_| {})
        .await
        .unwrap();
    conn.close().await;
}

/// The index names of `table`, from the backend's own catalogue.
async fn indexes(db: &TestDb, table: &str) -> Vec<String> {
    let sql = match db.backend {
        Backend::Sqlite => {
            format!("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}'")
        }
        Backend::Postgres => {
            format!("SELECT indexname::text FROM pg_indexes WHERE tablename = '{table}'")
        }
        Backend::MySql => format!(
            "SELECT DISTINCT CAST(index_name AS CHAR) FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name = '{table}'"
        ),
    };
    db.query_strings(&sql).await
}

#[derive(Debug, PartialEq, migrate_macros::FromRow)]
struct Thing {
    id: i32,
    label: Option<String>,
}

backend_test!(has_table_column_and_index, |db| async move {
    let mut conn = db.connect().await;
    assert!(!conn.has_table("things").await.unwrap());
    assert!(!conn.has_column("things", "id").await.unwrap());
    assert!(!conn.has_index("things", "ix_things_label").await.unwrap());

    conn.create_table(
        Table::create()
            .table("things")
            .col(ColumnDef::new("id").integer().not_null().primary_key())
            .col(ColumnDef::new("label").string_len(50).null())
            .to_owned(),
    )
    .await
    .unwrap();
    assert!(conn.has_table("things").await.unwrap());
    assert!(
        !conn.has_table("thing").await.unwrap(),
        "a prefix is not a match"
    );
    assert!(conn.has_column("things", "label").await.unwrap());
    assert!(!conn.has_column("things", "missing").await.unwrap());
    assert!(!conn.has_column("other", "label").await.unwrap());
    assert!(!conn.has_index("things", "ix_things_label").await.unwrap());

    conn.create_index(
        Index::create()
            .name("ix_things_label")
            .table("things")
            .col("label")
            .to_owned(),
    )
    .await
    .unwrap();
    assert!(conn.has_index("things", "ix_things_label").await.unwrap());
    assert!(!conn.has_index("other", "ix_things_label").await.unwrap());

    // raw SQL with bound values: `?` on every backend, a `?` inside a string is text
    let n = conn
        .execute_sql(
            "INSERT INTO things (id, label) VALUES (?, lower(?))",
            [Value::from(7), Value::from("It's BOUND")],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let n = conn
        .execute_sql(
            "UPDATE things SET label = ? WHERE id = ? AND label <> '?'",
            [Value::from("it's bound?"), Value::from(7)],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let err = conn
        .execute_sql(
            "DELETE FROM things WHERE id = ?",
            [Value::from(7), Value::from(8)],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::BoundValues {
                placeholders: 1,
                values: 2
            }
        ),
        "{err}"
    );
    let rows: Vec<Thing> = conn
        .fetch_all(
            &Query::select()
                .columns(["id", "label"])
                .from("things")
                .to_owned(),
        )
        .await
        .unwrap();
    assert_eq!(
        rows,
        [Thing {
            id: 7,
            label: Some("it's bound?".into())
        }]
    );
    conn.close().await;

    // the harness's catalogue queries agree
    assert!(db.tables().await.contains(&"things".to_owned()));
    assert_eq!(db.columns("things").await, ["id", "label"]);
    assert!(
        indexes(&db, "things")
            .await
            .contains(&"ix_things_label".to_owned())
    );
});

backend_test!(create_only_if_missing, |db| async move {
    // a fresh database: the revision creates everything
    upgrade(&db).await;
    assert_eq!(db.columns("seeds").await, ["id", "name"]);
    assert!(
        indexes(&db, "seeds")
            .await
            .contains(&"ix_seeds_name".to_owned())
    );

    // a database where the table was made by hand, without the column or the index
    let other = TestDb::new(db.backend).await;
    other
        .exec("CREATE TABLE seeds (id INTEGER NOT NULL PRIMARY KEY)")
        .await;
    upgrade(&other).await;
    assert_eq!(other.columns("seeds").await, ["id", "name"]);
    assert!(
        indexes(&other, "seeds")
            .await
            .contains(&"ix_seeds_name".to_owned())
    );
    assert_eq!(other.versions().await, ["c0ffee000001"]);
    other.drop_db().await;
});

backend_test!(offline_mode_refuses_naming_the_revision, |db| async move {
    let runner = Runner::new(CONDITIONAL, Options::default()).unwrap();
    let err = runner
        .offline_script(db.backend, OfflineCommand::Upgrade("head"))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("c0ffee000001") && text.contains("has_table") && text.contains("offline"),
        "{text}"
    );
    let mut offline = Db::offline(db.backend);
    // raw SQL renders with its values inlined
    offline
        .execute_sql(
            "UPDATE t SET a = ? WHERE b = ?",
            [Value::from("x"), Value::from(3)],
        )
        .await
        .unwrap();
    assert_eq!(offline.take_script(), ["UPDATE t SET a = 'x' WHERE b = 3"]);
    assert!(matches!(
        offline.has_column("t", "c").await,
        Err(Error::OfflineRead {
            operation: "has_column",
            ..
        })
    ));
});
