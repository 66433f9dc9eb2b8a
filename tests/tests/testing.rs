//! `migrate_core::testing` on every backend: a fresh database per test cloned from a
//! template (two at once are isolated, a panicking test's database is removed, a revision
//! target, a changed migration set gets its own template) and the data-migration `Migrator`.
//!
//! Servers: `MIGRATE_TEST_POSTGRES_URL` / `MIGRATE_TEST_MYSQL_URL` as every backend test
//! (README.md, Testing); an unreachable server fails the test.

use blog_migrations::MIGRATIONS;
use migrate_core::Backend;
use migrate_core::sea_query::{Order, Query};
use migrate_core::testing::{Migrator, TestDb, TestServer};
use migrate_tests::admin_url;

fn server(backend: Backend) -> TestServer {
    match backend {
        Backend::Sqlite => TestServer::from_env(backend).unwrap(),
        _ => TestServer::new(&admin_url(backend)).unwrap(),
    }
}

/// Catalogue queries on a [`TestDb`], each on a connection of its own.
fn look(db: &TestDb) -> Inspect {
    Inspect(db.backend(), db.url().to_owned())
}

struct Inspect(Backend, String);

impl Inspect {
    async fn strings(&self, sql: &str) -> Vec<String> {
        use sqlx::{Connection, Row};
        macro_rules! go {
            ($conn:ty) => {{
                let mut c = <$conn>::connect(&self.1).await.expect("connect");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_all(&mut c)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                let _ = c.close().await;
                rows.iter()
                    .map(|r| {
                        r.try_get::<String, _>(0)
                            .or_else(|_| r.try_get::<i64, _>(0).map(|v| v.to_string()))
                            .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    })
                    .collect()
            }};
        }
        match self.0 {
            Backend::Sqlite => go!(sqlx::SqliteConnection),
            Backend::Postgres => go!(sqlx::PgConnection),
            Backend::MySql => go!(sqlx::MySqlConnection),
        }
    }

    async fn tables(&self) -> Vec<String> {
        let sql = match self.0 {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            }
            Backend::Postgres => {
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'"
            }
            Backend::MySql => {
                "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE()"
            }
        };
        let mut t = self.strings(sql).await;
        t.sort();
        t
    }

    async fn versions(&self) -> Vec<String> {
        let mut v = self
            .strings("SELECT revision FROM migrate_version WHERE state = 'applied'")
            .await;
        v.sort();
        v
    }
}

/// Whether the database behind a dropped [`TestDb`] still exists.
async fn exists(backend: Backend, url: &str, name: &str) -> bool {
    match backend {
        Backend::Sqlite => std::path::Path::new(url.trim_start_matches("sqlite:")).exists(),
        Backend::Postgres => !Inspect(backend, admin_url(backend))
            .strings(&format!(
                "SELECT datname::text FROM pg_database WHERE datname = '{name}'"
            ))
            .await
            .is_empty(),
        Backend::MySql => !Inspect(backend, admin_url(backend))
            .strings(&format!(
                "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata WHERE schema_name = '{name}'"
            ))
            .await
            .is_empty(),
    }
}

const HEAD: [&str; 4] = [
    "3f2a9c1b7e4d",
    "8828a8665651",
    "b7c1d2e3f4a5",
    "e4d5c6b7a8f9",
];

macro_rules! per_backend {
    ($name:ident, |$backend:ident| $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $backend = Backend::Sqlite;
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let $backend = Backend::Postgres;
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                let $backend = Backend::MySql;
                $body
            }
        }
    };
}

per_backend!(
    two_tests_at_once_get_isolated_databases_at_head,
    |backend| {
        let s = server(backend);
        let (a, b) = tokio::join!(s.at(&MIGRATIONS, "head"), s.at(&MIGRATIONS, "head"));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_ne!(a.url(), b.url());
        for db in [&a, &b] {
            let i = look(db);
            assert_eq!(i.versions().await, HEAD, "the version table came along");
            assert_eq!(
                i.tables().await,
                ["migrate_version", "post_tags", "posts", "tags", "users"]
            );
            // the rows the revisions seeded came along too, with the backfilled slug
            assert_eq!(i.strings("SELECT slug FROM posts").await, ["hello-world"]);
        }
        // a write in one is not seen in the other
        let mut da = a.connect().await.unwrap();
        da.execute(
            &Query::insert()
                .into_table("users")
                .columns(["email", "name"])
                .values_panic(["only-in-a@example.com".into(), "A".into()])
                .to_owned(),
        )
        .await
        .unwrap();
        // the clone kept the foreign keys (MySQL's `CREATE TABLE … LIKE` would have lost them)
        let orphan = da
            .execute_sql(
                "INSERT INTO posts (author_id, title, body) VALUES (?, ?, ?)",
                [
                    migrate_core::sea_query::Value::from(999),
                    "orphan".into(),
                    "no such author".into(),
                ],
            )
            .await;
        assert!(orphan.is_err(), "fk_posts_author holds in the clone");
        da.close().await;
        assert_eq!(look(&a).strings("SELECT COUNT(*) FROM users").await, ["2"]);
        assert_eq!(look(&b).strings("SELECT COUNT(*) FROM users").await, ["1"]);
        // the clones are at head: upgrading again does nothing
        let mut db = b.connect().await.unwrap();
        assert!(
            MIGRATIONS
                .upgrade(&mut db, "head")
                .await
                .unwrap()
                .steps
                .is_empty()
        );
        db.close().await;
        // and both go away when dropped
        let names = [
            (a.url().to_owned(), a.name().to_owned()),
            (b.url().to_owned(), b.name().to_owned()),
        ];
        drop((a, b));
        for (url, name) in names {
            assert!(!exists(backend, &url, &name).await, "{name} was removed");
        }
    }
);

per_backend!(a_panicking_test_removes_its_database, |backend| {
    let s = server(backend);
    let (tx, rx) = std::sync::mpsc::channel();
    // the "test": a thread with its own runtime that makes a database and panics
    let joined = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let db = s.at(&MIGRATIONS, "head").await.unwrap();
            tx.send((db.url().to_owned(), db.name().to_owned()))
                .unwrap();
            assert!(exists(db.backend(), db.url(), db.name()).await);
            panic!("the test fails");
        })
    })
    .join();
    assert!(joined.is_err(), "the test panicked");
    let (url, name) = rx.recv().unwrap();
    assert!(
        !exists(backend, &url, &name).await,
        "{name} was removed while unwinding"
    );
});

per_backend!(a_revision_target_and_an_empty_database, |backend| {
    let s = server(backend);
    let db = s.at(&MIGRATIONS, "3f2a9c1b7e4d").await.unwrap();
    let i = look(&db);
    assert_eq!(i.versions().await, ["3f2a9c1b7e4d", "8828a8665651"]);
    assert_eq!(i.tables().await, ["migrate_version", "posts", "users"]);
    let empty = s.empty().await.unwrap();
    assert!(look(&empty).tables().await.is_empty());
    // a target that does not resolve is refused
    let e = s.at(&MIGRATIONS, "nosuchrev").await.unwrap_err();
    assert!(e.to_string().contains("nosuchrev"), "{e}");
});

per_backend!(the_backfill_under_migrator, |backend| {
    #[derive(Debug, migrate_macros::FromRow)]
    struct Post {
        title: String,
        slug: Option<String>,
    }
    // from a clone just below the revision under test, as a large history would do it
    let start = server(backend)
        .at(&MIGRATIONS, "b7c1d2e3f4a5")
        .await
        .unwrap();
    let mut m = Migrator::on(&MIGRATIONS, start).await.unwrap();
    assert_eq!(m.current().await.unwrap(), ["b7c1d2e3f4a5"]);
    // upgrade_before a revision that is the current head's child: nothing to do
    assert!(
        m.upgrade_before("e4d5")
            .await
            .unwrap()
            .iter()
            .all(|p| p.steps.is_empty())
    );
    m.db()
        .execute_sql(
            "INSERT INTO posts (author_id, title, body) SELECT id, ?, ? FROM users",
            [
                migrate_core::sea_query::Value::from("Zero-Downtime Deploys!"),
                "…".into(),
            ],
        )
        .await
        .unwrap();
    m.upgrade_to("e4d5c6b7a8f9").await.unwrap();
    let posts: Vec<Post> = m
        .db()
        .fetch_all(
            &Query::select()
                .columns(["title", "slug"])
                .from("posts")
                .order_by("id", Order::Asc)
                .to_owned(),
        )
        .await
        .unwrap();
    assert_eq!(posts[1].title, "Zero-Downtime Deploys!");
    assert_eq!(
        posts.iter().map(|p| p.slug.as_deref()).collect::<Vec<_>>(),
        [Some("hello-world"), Some("zero-downtime-deploys")]
    );
    // upgrade_before an applied revision is refused, downgrade_before undoes it
    let e = m.upgrade_before("e4d5c6b7a8f9").await.unwrap_err();
    assert!(e.to_string().contains("not a valid upgrade target"), "{e}");
    m.downgrade_before("e4d5c6b7a8f9").await.unwrap();
    assert_eq!(m.current().await.unwrap(), ["b7c1d2e3f4a5"]);
    assert!(!m.db().has_column("posts", "slug").await.unwrap());
    let e = m.downgrade_before("e4d5c6b7a8f9").await.unwrap_err();
    assert!(e.to_string().contains("not applied"), "{e}");
    // and down to base, from a fresh empty database this time
    let mut f = Migrator::on(&MIGRATIONS, server(backend).empty().await.unwrap())
        .await
        .unwrap();
    f.upgrade_before("8828a8665651").await.unwrap();
    assert!(f.current().await.unwrap().is_empty());
    f.upgrade_to("8828a8665651").await.unwrap();
    f.downgrade_before("8828a8665651").await.unwrap();
    assert!(f.current().await.unwrap().is_empty());
});

/// `#[migrate_macros::test]`: the test receives its own database at head.
#[migrate_macros::test(migrations = blog_migrations::MIGRATIONS, backend = "sqlite")]
async fn the_test_attribute_gives_a_database_at_head(db: TestDb) {
    assert_eq!(look(&db).versions().await, HEAD);
}

/// … or at a given revision, and may return a `Result`.
#[migrate_macros::test(
    migrations = blog_migrations::MIGRATIONS,
    backend = "sqlite",
    revision = "8828a8665651"
)]
async fn the_test_attribute_takes_a_revision(db: TestDb) -> Result<(), String> {
    let tables = look(&db).tables().await;
    (tables == ["migrate_version", "users"])
        .then_some(())
        .ok_or(format!("{tables:?}"))
}
