//! Batch mode (issue 11): on SQLite every change ALTER TABLE cannot make is a rebuild of the
//! table that keeps every row, index, trigger, view and foreign key; the same revision runs
//! as plain ALTERs on PostgreSQL and MySQL.
//!
//! - `done_when_revision`: the fixture revision `fixtures/batch` (change a type, make a column
//!   NOT NULL, add a foreign key, drop a column) up and down on all three backends, with the
//!   rows compared; on SQLite with a plain, a partial and an expression index, a trigger and a
//!   view added, and the whole `sqlite_master` compared after the downgrade.
//! - `sqlite_*`: each operation on a SQLite table with generated columns, a collation, an
//!   unnamed UNIQUE, CHECK and foreign key, `AUTOINCREMENT`, incoming `ON DELETE CASCADE`:
//!   the intended schema after, the original `sqlite_master` and rows after the inverse.

use migrate_core::runner::{Options, Runner};
use migrate_core::{Backend, BatchAlter, Db, Error, Migrations, prelude::*};
use migrate_tests::{TestDb, backend_test};

mod batch {
    migrate_macros::migrations!("fixtures/batch");
}

static BATCH: &Migrations = &batch::MIGRATIONS;

async fn migrate(db: &TestDb, up: bool, target: &str) -> Result<(), Error> {
    let mut conn = db.connect().await;
    let runner = Runner::new(BATCH, Options::default()).unwrap();
    let r = if up {
        runner
            .upgrade(&mut conn, target, &mut |_| {})
            .await
            .map(drop)
    } else {
        runner
            .downgrade(&mut conn, target, &mut |_| {})
            .await
            .map(drop)
    };
    conn.close().await;
    r
}

/// The posts as text, the same on every backend: id|author|title|views|hex(payload)|big.
async fn posts(db: &TestDb) -> Vec<String> {
    let sql = match db.backend {
        Backend::Sqlite => {
            "SELECT id || '|' || coalesce(author_id, '-') || '|' || coalesce(title, '-') || '|' \
             || coalesce(CAST(views AS TEXT), '-') || '|' \
             || CASE WHEN payload IS NULL THEN '-' ELSE hex(payload) END || '|' \
             || coalesce(big, '-') FROM bt_posts ORDER BY id"
        }
        Backend::Postgres => {
            "SELECT concat(id, '|', coalesce(author_id::text, '-'), '|', coalesce(title, '-'), \
             '|', coalesce(views::text, '-'), '|', coalesce(upper(encode(payload, 'hex')), '-'), \
             '|', coalesce(big::text, '-')) FROM bt_posts ORDER BY id"
        }
        Backend::MySql => {
            "SELECT CAST(concat(id, '|', coalesce(author_id, '-'), '|', coalesce(title, '-'), \
             '|', coalesce(views, '-'), '|', coalesce(hex(payload), '-'), '|', \
             coalesce(big, '-')) AS CHAR) FROM bt_posts ORDER BY id"
        }
    };
    db.query_strings(sql).await
}

const POSTS: [&str; 4] = [
    "1|1|first|10|000102FF|9223372036854775807",
    "2|2|second|-|-|-9223372036854775808",
    "3|-|third|9007199254740993||-",
    "7|1|seventh|-5|{300 zeros}|9007199254740992",
];

fn expected_posts() -> Vec<String> {
    POSTS
        .iter()
        .map(|p| p.replace("{300 zeros}", &"00".repeat(300)))
        .collect()
}

/// Everything SQLite knows about the schema and every row, exactly (`quote()` keeps each
/// value's type), the `sqlite_sequence` included.
async fn sqlite_snapshot(db: &TestDb) -> Vec<String> {
    let mut out = db
        .query_strings(
            "SELECT type || ' ' || name || ' ' || tbl_name || ': ' || coalesce(sql, '') \
             FROM sqlite_master WHERE name NOT LIKE 'migrate_%' ORDER BY name",
        )
        .await;
    let tables = db
        .query_strings(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'migrate_%' \
             ORDER BY name",
        )
        .await;
    for t in tables {
        let cols = db
            .query_strings(&format!(
                "SELECT name FROM pragma_table_xinfo('{t}') ORDER BY cid"
            ))
            .await;
        let rowid = if t == "sqlite_sequence" {
            ""
        } else {
            "quote(rowid) || '|' || "
        };
        let expr: Vec<String> = cols.iter().map(|c| format!("quote(\"{c}\")")).collect();
        let rows = db
            .query_strings(&format!(
                "SELECT '{t}: ' || {rowid}{} FROM \"{t}\" ORDER BY 1",
                expr.join(" || '|' || ")
            ))
            .await;
        out.extend(rows);
    }
    out
}

async fn table_sql(db: &TestDb, table: &str) -> String {
    db.query_strings(&format!(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
    ))
    .await
    .remove(0)
}

/// Whether `table.column` is nullable, from the server's catalogue.
async fn nullable(db: &TestDb, table: &str, column: &str) -> bool {
    let sql = match db.backend {
        Backend::Sqlite => format!(
            "SELECT CASE \"notnull\" WHEN 0 THEN 'YES' ELSE 'NO' END FROM pragma_table_info('{table}') WHERE name = '{column}'"
        ),
        Backend::Postgres => format!(
            "SELECT is_nullable::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}' AND column_name = '{column}'"
        ),
        Backend::MySql => format!(
            "SELECT CAST(is_nullable AS CHAR) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '{table}' AND column_name = '{column}'"
        ),
    };
    db.query_strings(&sql).await == ["YES"]
}

backend_test!(done_when_revision, |db| async move {
    migrate(&db, true, "ba7c00000001").await.unwrap();
    if db.backend == Backend::Sqlite {
        db.exec(
            "CREATE INDEX ix_bt_posts_title ON bt_posts (title);
             CREATE INDEX ix_bt_posts_big ON bt_posts (big) WHERE big IS NOT NULL;
             CREATE INDEX ix_bt_posts_lower ON bt_posts (lower(title));
             CREATE TABLE bt_audit (post_id INTEGER, what TEXT);
             CREATE TRIGGER tr_bt_posts AFTER UPDATE ON bt_posts BEGIN
                 INSERT INTO bt_audit VALUES (new.id, new.title);
             END;
             CREATE VIEW v_bt_posts AS SELECT p.id, p.title, u.name FROM bt_posts p
                 LEFT JOIN bt_users u ON u.id = p.author_id;",
        )
        .await;
    }
    let before = if db.backend == Backend::Sqlite {
        sqlite_snapshot(&db).await
    } else {
        Vec::new()
    };
    assert_eq!(posts(&db).await, expected_posts());

    migrate(&db, true, "head").await.unwrap();
    // every row intact (views now a number: the same text), no comment lost to a cascade
    assert_eq!(posts(&db).await, expected_posts());
    assert_eq!(
        db.query_strings("SELECT count(*) FROM bt_comments").await,
        ["3"]
    );
    let mut cols = db.columns("bt_posts").await;
    cols.sort();
    assert_eq!(
        cols,
        ["author_id", "big", "id", "payload", "title", "views"]
    );
    assert!(!nullable(&db, "bt_posts", "title").await);
    // the new foreign key holds
    let mut conn = db.connect().await;
    let err = conn
        .sql("INSERT INTO bt_posts (id, author_id, title) VALUES (50, 99, 'x')")
        .await
        .unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("foreign key"),
        "{err}"
    );
    // and views is a number now
    conn.sql("UPDATE bt_posts SET views = views + 1 WHERE id = 1")
        .await
        .unwrap();
    conn.sql("UPDATE bt_posts SET views = views - 1 WHERE id = 1")
        .await
        .unwrap();
    conn.close().await;
    if db.backend == Backend::Sqlite {
        let sql = table_sql(&db, "bt_posts").await;
        assert!(sql.contains("\"views\" integer,"), "{sql}");
        assert!(sql.contains("\"title\" varchar(200) NOT NULL"), "{sql}");
        assert!(
            sql.contains(
                "CONSTRAINT \"fk_bt_posts_author\" FOREIGN KEY (\"author_id\") REFERENCES \"bt_users\" (\"id\")"
            ),
            "{sql}"
        );
        assert!(!sql.contains("legacy"), "{sql}");
        // indexes, trigger and view are there and work
        let objects = db
            .query_strings(
                "SELECT name FROM sqlite_master WHERE tbl_name IN ('bt_posts', 'v_bt_posts') \
                 AND type <> 'table' ORDER BY name",
            )
            .await;
        assert_eq!(
            objects,
            [
                "ix_bt_posts_big",
                "ix_bt_posts_lower",
                "ix_bt_posts_title",
                "tr_bt_posts",
                "v_bt_posts"
            ]
        );
        assert_eq!(
            db.query_strings("SELECT count(*) FROM bt_audit").await,
            ["2"],
            "the trigger fired on both updates"
        );
        assert_eq!(
            db.query_strings("SELECT name FROM v_bt_posts WHERE id = 7")
                .await,
            ["ada"]
        );
        db.exec("DELETE FROM bt_audit").await;
    }

    migrate(&db, false, "ba7c00000001").await.unwrap();
    assert_eq!(posts(&db).await, expected_posts());
    assert!(nullable(&db, "bt_posts", "title").await);
    assert!(db.columns("bt_posts").await.contains(&"legacy".to_owned()));
    if db.backend == Backend::Sqlite {
        assert_eq!(sqlite_snapshot(&db).await, before);
    }
    // and up again: the revision is repeatable
    migrate(&db, true, "head").await.unwrap();
    assert_eq!(posts(&db).await, expected_posts());
    migrate(&db, false, "base").await.unwrap();
});

/// A SQLite schema with everything a rebuild must keep.
const RICH: &str = r#"
CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
CREATE TABLE "items" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "parent_id" INTEGER REFERENCES parent (id) ON DELETE SET NULL,
    name TEXT COLLATE NOCASE NOT NULL,
    "qty" text DEFAULT '0',
    data BLOB,
    big INTEGER,
    "note" text,
    "owner" integer,
    doubled INTEGER GENERATED ALWAYS AS (coalesce(big, 0) % 1000 * 2) VIRTUAL,
    UNIQUE (name, parent_id),
    CHECK (length(name) > 0)
);
CREATE TABLE child (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE);
CREATE INDEX ix_items_qty ON items (qty);
CREATE INDEX ix_items_big ON items (big) WHERE big IS NOT NULL;
CREATE INDEX ix_items_lower ON items (lower(name));
CREATE TRIGGER tr_items AFTER UPDATE ON items BEGIN UPDATE parent SET code = code WHERE id = new.parent_id; END;
CREATE VIEW v_items AS SELECT id, name, qty, doubled FROM items;
INSERT INTO parent VALUES (1, 'a'), (2, 'b');
INSERT INTO items (id, parent_id, name, qty, data, big, note, owner) VALUES
    (1, 1, 'One', '5', x'00FF10', 9223372036854775807, NULL, 1),
    (2, NULL, 'two', 'many', NULL, -9223372036854775808, NULL, 2),
    (5, 2, 'Five', '0', x'', NULL, NULL, NULL),
    (9, 1, 'nine', '12', zeroblob(1000), 12345678901234, NULL, 1),
    (10, 1, 'ten', '1', NULL, NULL, NULL, NULL);
DELETE FROM items WHERE id = 10;
INSERT INTO child VALUES (1, 1), (2, 9), (3, 9);
"#;

async fn rich() -> (TestDb, Vec<String>) {
    let db = TestDb::new(Backend::Sqlite).await;
    db.exec(RICH).await;
    let snap = sqlite_snapshot(&db).await;
    assert!(
        snap.iter().any(|s| s == "sqlite_sequence: 'items'|10"),
        "{snap:#?}"
    );
    (db, snap)
}

async fn batch(db: &TestDb, b: BatchAlter) -> Result<(), Error> {
    let mut conn = db.connect().await;
    let r = conn.batch_alter_table(b).await;
    conn.close().await;
    r
}

/// Runs `$body` (a future over `$c: &mut Db`) on a new connection to `$db`, then closes it.
macro_rules! with_conn {
    ($db:expr, |$c:ident| $body:expr) => {
        async {
            let mut conn: Db = $db.connect().await;
            let $c = &mut conn;
            let r: Result<(), Error> = $body.await;
            conn.close().await;
            r
        }
    };
}

/// The rows of `items` without the columns a test changes: `rowid|id|parent|name|data|big`.
async fn item_rows(db: &TestDb) -> Vec<String> {
    db.query_strings(
        "SELECT quote(rowid) || '|' || quote(parent_id) || '|' || quote(name) || '|' || \
         quote(data) || '|' || quote(big) FROM items ORDER BY rowid",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_alter_column_type_and_nullability_round_trip() {
    let (db, original) = rich().await;
    let rows = item_rows(&db).await;
    with_conn!(db, |c| {
        c.alter_column(
            "items",
            ColumnDef::new("qty")
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
        )
    })
    .await
    .unwrap();
    let sql = table_sql(&db, "items").await;
    assert!(sql.contains("\"qty\" integer NOT NULL DEFAULT 0,"), "{sql}");
    // the rest of the text as it was: collation, generated column, unnamed constraints
    assert!(sql.contains("name TEXT COLLATE NOCASE NOT NULL"), "{sql}");
    assert!(
        sql.contains("GENERATED ALWAYS AS (coalesce(big, 0) % 1000 * 2) VIRTUAL"),
        "{sql}"
    );
    assert!(sql.contains("UNIQUE (name, parent_id)"), "{sql}");
    assert_eq!(item_rows(&db).await, rows);
    // values converted by the new affinity where they can be
    assert_eq!(
        db.query_strings("SELECT quote(qty) FROM items ORDER BY id")
            .await,
        ["5", "'many'", "0", "12"]
    );
    assert_eq!(
        db.query_strings("SELECT count(*) FROM child").await,
        ["3"],
        "no child row lost to ON DELETE CASCADE"
    );
    with_conn!(db, |c| {
        c.alter_column(
            "items",
            ColumnDef::new("qty").text().default("0").to_owned(),
        )
    })
    .await
    .unwrap();
    assert_eq!(sqlite_snapshot(&db).await, original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_not_null_over_nulls_fails_and_changes_nothing() {
    let (db, original) = rich().await;
    let err = with_conn!(db, |c| {
        c.alter_column("items", ColumnDef::new("note").text().not_null().to_owned())
    })
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("NOT NULL constraint failed: items.note"),
        "{err}"
    );
    assert_eq!(sqlite_snapshot(&db).await, original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_add_and_drop_foreign_key_through_db_operations() {
    let (db, original) = rich().await;
    with_conn!(db, |c| {
        c.create_foreign_key(
            ForeignKey::create()
                .name("fk_items_owner")
                .from("items", "owner")
                .to("parent", "id")
                .to_owned(),
        )
    })
    .await
    .unwrap();
    let sql = table_sql(&db, "items").await;
    assert!(
        sql.ends_with(
            "CHECK (length(name) > 0),\n    CONSTRAINT \"fk_items_owner\" FOREIGN KEY (\"owner\") REFERENCES \"parent\" (\"id\")\n)"
        ),
        "{sql}"
    );
    assert_eq!(
        db.query_strings("SELECT \"from\" FROM pragma_foreign_key_list('items') ORDER BY 1")
            .await,
        ["owner", "parent_id"]
    );
    with_conn!(db, |c| {
        c.drop_foreign_key(
            ForeignKey::drop()
                .name("fk_items_owner")
                .table("items")
                .to_owned(),
        )
    })
    .await
    .unwrap();
    assert_eq!(sqlite_snapshot(&db).await, original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_foreign_key_violation_rolls_back_and_names_rows() {
    let (db, original) = rich().await;
    let err = batch(
        &db,
        BatchAlter::table("items").create_foreign_key(
            ForeignKey::create()
                .name("fk_items_big")
                .from("items", "big")
                .to("parent", "id")
                .to_owned(),
        ),
    )
    .await
    .unwrap_err();
    match &err {
        Error::ForeignKeyViolation {
            table,
            total,
            violations,
        } => {
            assert_eq!(table, "items");
            assert_eq!(*total, 3, "{violations:?}");
            assert!(
                violations.contains(&"items row 1 → parent".to_owned()),
                "{violations:?}"
            );
            assert!(
                violations.contains(&"items row 9 → parent".to_owned()),
                "{violations:?}"
            );
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("items row 2 → parent"), "{err}");
    assert_eq!(sqlite_snapshot(&db).await, original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_drop_column_and_add_it_back_in_place() {
    let (db, original) = rich().await;
    // through alter_table: SQLite's own DROP COLUMN
    with_conn!(db, |c| {
        c.alter_table(Table::alter().table("items").drop_column("note").to_owned())
    })
    .await
    .unwrap();
    assert!(!table_sql(&db, "items").await.contains("note"));
    batch(
        &db,
        BatchAlter::table("items")
            .add_column_after(ColumnDef::new("note").text().to_owned(), "big"),
    )
    .await
    .unwrap();
    assert_eq!(sqlite_snapshot(&db).await, original);
    // through a rebuild, with the index on the column dropped in the same batch
    let err = batch(&db, BatchAlter::table("items").drop_column("qty"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::BatchRefused { operation, reason, .. }
            if operation == "drop column `qty`" && reason.contains("index `ix_items_qty`")),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "cannot drop column `qty` on table `items`: index `ix_items_qty` uses the column; drop \
         the index first (in the same batch)"
    );
    // the view uses the column: refused, nothing changed
    let drop_qty = BatchAlter::table("items")
        .drop_index("ix_items_qty")
        .drop_column("qty");
    let err = batch(&db, drop_qty.clone()).await.unwrap_err();
    assert!(
        err.to_string().starts_with(
            "cannot rebuild on table `items`: view `v_items` no longer works on the rebuilt table"
        ),
        "{err}"
    );
    assert!(err.to_string().contains("no such column: qty"), "{err}");
    assert_eq!(sqlite_snapshot(&db).await, original);
    db.exec("DROP VIEW v_items").await;
    batch(&db, drop_qty).await.unwrap();
    let sql = table_sql(&db, "items").await;
    assert!(!sql.contains("qty"), "{sql}");
    assert_eq!(
        db.query_strings("SELECT count(*) FROM sqlite_master WHERE name = 'ix_items_qty'")
            .await,
        ["0"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_unique_and_check_constraints_named_and_unnamed() {
    let (db, original) = rich().await;
    let rows = item_rows(&db).await;
    batch(
        &db,
        BatchAlter::table("items")
            .create_unique(Some("uq_items_big"), ["big"])
            .create_check(Some("ck_items_qty"), "qty <> ''"),
    )
    .await
    .unwrap();
    let sql = table_sql(&db, "items").await;
    assert!(
        sql.contains("CONSTRAINT \"uq_items_big\" UNIQUE (\"big\"),\n    CONSTRAINT \"ck_items_qty\" CHECK (qty <> '')"),
        "{sql}"
    );
    let mut conn = db.connect().await;
    let e = conn
        .sql("UPDATE items SET qty = '' WHERE id = 1")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("ck_items_qty"), "{e}");
    conn.close().await;
    batch(
        &db,
        BatchAlter::table("items")
            .drop_unique("uq_items_big")
            .drop_constraint("ck_items_qty"),
    )
    .await
    .unwrap();
    assert_eq!(sqlite_snapshot(&db).await, original);

    // unnamed ones, matched by definition
    batch(
        &db,
        BatchAlter::table("items")
            .drop_unique_matching(["NAME", "parent_id"])
            .drop_check_matching("LENGTH(name)>0")
            .drop_foreign_key_matching(["parent_id"], "parent"),
    )
    .await
    .unwrap();
    let sql = table_sql(&db, "items").await;
    assert!(!sql.contains("UNIQUE"), "{sql}");
    assert!(!sql.contains("CHECK"), "{sql}");
    assert!(!sql.contains("REFERENCES"), "{sql}");
    assert!(sql.contains("\"parent_id\" INTEGER,"), "{sql}");
    assert_eq!(item_rows(&db).await, rows);
    let before = sqlite_snapshot(&db).await;
    let err = batch(
        &db,
        BatchAlter::table("items")
            .rename_column("note", "remark")
            .drop_check_matching("length(name) > 0"),
    )
    .await
    .unwrap_err();
    // the rename ran first, and was rolled back with the rest
    assert_eq!(sqlite_snapshot(&db).await, before);
    assert_eq!(
        err.to_string(),
        "cannot drop check constraint `length(name) > 0` on table `items`: table `items` has no such constraint"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_alter_table_with_several_options_is_one_rebuild() {
    let (db, _) = rich().await;
    let rows = item_rows(&db).await;
    with_conn!(db, |c| {
        c.alter_table(
            Table::alter()
                .table("items")
                .rename_column("note", "remark")
                .drop_column("owner")
                .to_owned(),
        )
    })
    .await
    .unwrap();
    let sql = table_sql(&db, "items").await;
    assert!(sql.contains("\"remark\" text,"), "{sql}");
    assert!(!sql.contains("owner"), "{sql}");
    assert_eq!(item_rows(&db).await, rows);
    // modifying a column cannot be read out of the statement: refused, naming the way out
    let err = with_conn!(db, |c| {
        c.alter_table(
            Table::alter()
                .table("items")
                .modify_column(ColumnDef::new("qty").integer())
                .to_owned(),
        )
    })
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot modify a column through alter_table on table `items`: "),
        "{err}"
    );
    assert!(err.to_string().contains("Db::alter_column"), "{err}");
}

/// Runs `script` with the `sqlite3` shell (`-bail`: stop at the first error) on `db`.
fn sqlite3_shell(db: &TestDb, script: &str) {
    use std::io::Write;
    let path = db.url.trim_start_matches("sqlite:");
    let mut child = std::process::Command::new("sqlite3")
        .arg("-bail")
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the sqlite3 shell runs (apt-get install sqlite3)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "sqlite3 failed: {}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_offline_script_matches_the_online_run() {
    let runner = Runner::new(BATCH, Options::default()).unwrap();
    let up = runner
        .offline_script(
            Backend::Sqlite,
            migrate_core::runner::OfflineCommand::Upgrade("head"),
        )
        .await
        .unwrap();
    // the whole rebuild is in the script, its definition read from the shadow database
    assert!(
        up.contains("ALTER TABLE \"bt_posts\" RENAME TO \"_migrate_old_bt_posts\";"),
        "{up}"
    );
    assert!(up.contains("\"views\" integer,"), "{up}");
    assert!(up.contains("pragma_foreign_key_check('bt_posts')"), "{up}");
    let down = runner
        .offline_script(
            Backend::Sqlite,
            migrate_core::runner::OfflineCommand::Downgrade("head:ba7c00000001"),
        )
        .await
        .unwrap();
    assert!(
        down.contains("\"legacy\" varchar(20) NULL, \"payload\""),
        "{down}"
    );

    let online = TestDb::new(Backend::Sqlite).await;
    let offline = TestDb::new(Backend::Sqlite).await;
    migrate(&online, true, "head").await.unwrap();
    sqlite3_shell(&offline, &up);
    assert_eq!(
        sqlite_snapshot(&offline).await,
        sqlite_snapshot(&online).await
    );
    assert_eq!(online.versions().await, offline.versions().await);
    migrate(&online, false, "ba7c00000001").await.unwrap();
    sqlite3_shell(&offline, &down);
    assert_eq!(
        sqlite_snapshot(&offline).await,
        sqlite_snapshot(&online).await
    );
    assert_eq!(posts(&offline).await, expected_posts());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_offline_check_stops_a_script_that_breaks_a_foreign_key() {
    // the rebuild's foreign-key check, as the offline script carries it
    let db = TestDb::new(Backend::Sqlite).await;
    db.exec(RICH).await;
    let original = sqlite_snapshot(&db).await;
    let mut off = Db::offline(Backend::Sqlite);
    off.sql(RICH).await.unwrap();
    off.take_script();
    off.batch_alter_table(
        BatchAlter::table("items").create_foreign_key(
            ForeignKey::create()
                .name("fk_items_big")
                .from("items", "big")
                .to("parent", "id")
                .to_owned(),
        ),
    )
    .await
    .unwrap();
    let script = format!("BEGIN;\n{};\nCOMMIT;\n", off.take_script().join(";\n"));
    let path = db.url.trim_start_matches("sqlite:").to_owned();
    let out = std::process::Command::new("sqlite3")
        .arg("-bail")
        .arg(&path)
        .arg(&script)
        .output()
        .expect("the sqlite3 shell runs");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("CHECK constraint failed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sqlite_snapshot(&db).await, original);
}

/// The index names of `table` on the backend's catalogue (SQLite: explicit indexes only).
async fn index_names(db: &TestDb, table: &str) -> Vec<String> {
    let sql = match db.backend {
        Backend::Sqlite => format!(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}' AND sql IS NOT NULL ORDER BY name"
        ),
        Backend::Postgres => format!(
            "SELECT indexname::text FROM pg_indexes WHERE tablename = '{table}' AND indexname NOT LIKE '%_pkey' ORDER BY 1"
        ),
        Backend::MySql => format!(
            "SELECT DISTINCT CAST(index_name AS CHAR) FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name = '{table}' AND index_name <> 'PRIMARY' ORDER BY 1"
        ),
    };
    db.query_strings(&sql).await
}

backend_test!(drop_index_names_its_table, |db| async move {
    db.exec("CREATE TABLE di_posts (id INTEGER PRIMARY KEY, title VARCHAR(50))")
        .await;
    let mut conn = db.connect().await;
    let index = Index::create()
        .name("ix_di_posts_title")
        .table("di_posts")
        .col("title")
        .to_owned();
    let with_table = Index::drop()
        .name("ix_di_posts_title")
        .table("di_posts")
        .to_owned();
    conn.create_index(index.clone()).await.unwrap();
    // no table: MySQL cannot drop it (sea-query would send `DROP INDEX … ON`): a typed error
    // that says the fix, and the index is still there; PostgreSQL and SQLite drop it
    let bare = conn
        .drop_index(Index::drop().name("ix_di_posts_title").to_owned())
        .await;
    if db.backend == Backend::MySql {
        let err = bare.unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
        assert!(err.to_string().contains("add `.table(\"…\")`"), "{err}");
        assert_eq!(index_names(&db, "di_posts").await, ["ix_di_posts_title"]);
    } else {
        bare.unwrap();
        assert!(index_names(&db, "di_posts").await.is_empty());
        conn.create_index(index).await.unwrap();
    }
    // with its table (what autogenerate writes): dropped on every backend
    conn.drop_index(with_table).await.unwrap();
    assert!(index_names(&db, "di_posts").await.is_empty());
    conn.close().await;
});

backend_test!(batch_constraints_renames_and_indexes, |db| async move {
    migrate(&db, true, "ba7c00000001").await.unwrap();
    let mut conn = db.connect().await;
    conn.create_index(
        Index::create()
            .name("ix_bt_posts_big")
            .table("bt_posts")
            .col("big")
            .to_owned(),
    )
    .await
    .unwrap();
    conn.batch_alter_table(
        BatchAlter::table("bt_posts")
            .rename_column("legacy", "old_stuff")
            .create_unique(Some("uq_bt_posts_title"), ["title"])
            .create_check(Some("ck_bt_posts_big"), "big IS NULL OR big <> 0")
            .drop_index("ix_bt_posts_big")
            .add_column(ColumnDef::new("extra").integer().null().to_owned()),
    )
    .await
    .unwrap();
    let mut cols = db.columns("bt_posts").await;
    cols.sort();
    assert_eq!(
        cols,
        [
            "author_id",
            "big",
            "extra",
            "id",
            "old_stuff",
            "payload",
            "title",
            "views"
        ]
    );
    assert!(
        !index_names(&db, "bt_posts")
            .await
            .contains(&"ix_bt_posts_big".to_owned())
    );
    // the constraints hold
    let dup = conn
        .sql("UPDATE bt_posts SET title = 'first' WHERE id = 2")
        .await
        .unwrap_err();
    assert!(
        dup.to_string().to_lowercase().contains("uq_bt_posts_title")
            || dup.to_string().to_lowercase().contains("unique")
            || dup.to_string().contains("Duplicate"),
        "{dup}"
    );
    let chk = conn
        .sql("UPDATE bt_posts SET big = 0 WHERE id = 2")
        .await
        .unwrap_err();
    assert!(chk.to_string().contains("ck_bt_posts_big"), "{chk}");
    // and back
    conn.batch_alter_table(
        BatchAlter::table("bt_posts")
            .drop_column("extra")
            .drop_constraint("ck_bt_posts_big")
            .drop_unique("uq_bt_posts_title")
            .rename_column("old_stuff", "legacy"),
    )
    .await
    .unwrap();
    conn.create_index(
        Index::create()
            .name("ix_bt_posts_big")
            .table("bt_posts")
            .col("big")
            .to_owned(),
    )
    .await
    .unwrap();
    conn.sql("UPDATE bt_posts SET big = 0 WHERE id = 2")
        .await
        .unwrap();
    conn.sql("UPDATE bt_posts SET title = 'first' WHERE id = 2")
        .await
        .unwrap();
    conn.sql("UPDATE bt_posts SET title = 'second', big = -9223372036854775808 WHERE id = 2")
        .await
        .unwrap();
    // a drop matched by definition is SQLite's: elsewhere every constraint has a name
    let r = conn
        .batch_alter_table(
            BatchAlter::table("bt_posts")
                .add_column(ColumnDef::new("extra").integer().null().to_owned())
                .drop_unique_matching(["title"]),
        )
        .await;
    match db.backend {
        Backend::Sqlite => assert!(
            matches!(&r, Err(Error::BatchRefused { reason, .. }) if reason.contains("no such constraint")),
            "{r:?}"
        ),
        _ => assert!(
            matches!(&r, Err(Error::BatchRefused { reason, .. }) if reason.contains("drop it by name")),
            "{r:?}"
        ),
    }
    conn.close().await;
    // refused before anything ran: no `extra` column
    assert!(!db.columns("bt_posts").await.contains(&"extra".to_owned()));
    assert_eq!(posts(&db).await, expected_posts());
    assert_eq!(index_names(&db, "bt_posts").await, ["ix_bt_posts_big"]);
    migrate(&db, false, "base").await.unwrap();
});
