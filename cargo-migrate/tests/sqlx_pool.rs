//! An application on the newest sqlx 0.9.x shares its PostgreSQL pool with the migrations:
//! the caret requirements let cargo resolve one sqlx for both, so `Db::from_pg_pool` takes
//! the application's pool. README: "Supported sqlx".

mod common;

use common::*;
use migrate_core::Db;

const APP_MAIN: &str = r#"
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let url = std::env::args().nth(1).expect("a database URL");
    let pool = sqlx::PgPool::connect(&url).await.expect("connects");
    let mut db = migrate_core::Db::from_pg_pool(&pool).await.expect("a connection of the pool");
    pool_migrations::MIGRATIONS.upgrade(&mut db, "head").await.expect("migrations run");
    db.close().await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await
        .expect("the table exists");
    println!("users: {n}");
}
"#;

fn admin_url() -> String {
    std::env::var("MIGRATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn admin(sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut db = Db::connect(&admin_url())
            .await
            .expect("PostgreSQL is reachable");
        db.sql(sql).await.unwrap();
        db.close().await;
    });
}

#[test]
fn an_app_on_the_newest_sqlx_09_shares_its_pool() {
    let tmp = tempfile::tempdir().unwrap();
    let app = cargo_new(tmp.path(), "app");
    cm(&app, &["migrate", "init", "pool_migrations"]).ok();
    let (file, _) = revision(&app, "create users", &[]);
    fill(
        &app.join(&file),
        "    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.create_table(Table::create().table(\"users\").col(ColumnDef::new(\"id\").integer().not_null().primary_key()).to_owned()).await?;
        Ok(())
    }
",
        EMPTY_DOWNGRADE,
    );
    let v = env!("CARGO_PKG_VERSION");
    let manifest = read(&app.join("Cargo.toml")).replace(
        "[dependencies]\n",
        &format!(
            "[dependencies]\n\
             sqlx = {{ version = \"0.9.1\", default-features = false, features = [\"postgres\", \"runtime-tokio\"] }}\n\
             tokio = {{ version = \"1\", features = [\"macros\", \"rt\"] }}\n\
             migrate-core = \"{v}\"\n\
             pool_migrations = {{ path = \"pool_migrations\" }}\n"
        ),
    );
    std::fs::write(app.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(app.join("src/main.rs"), APP_MAIN).unwrap();

    let name = format!("adoption_pool_{}", std::process::id());
    admin(&format!("DROP DATABASE IF EXISTS {name}"));
    admin(&format!("CREATE DATABASE {name}"));
    let mut url = url_of(&admin_url());
    url.set_path(&name);
    let out = cargo()
        .args(["run", "-q", "-p", "app", "--", url.as_str()])
        .current_dir(&app)
        .output()
        .unwrap();
    let run = Run::from("cargo run -p app".into(), out);
    admin(&format!("DROP DATABASE IF EXISTS {name}"));
    let run = run.ok();
    assert_eq!(run.stdout, "users: 0\n", "{}", run.stderr);

    // one sqlx, the newest 0.9.x the application asked for
    let lock = read(&app.join("Cargo.lock"));
    let sqlx: Vec<&str> = lock
        .split("[[package]]")
        .filter(|p| p.contains("\nname = \"sqlx\"\n"))
        .collect();
    assert_eq!(sqlx.len(), 1, "{sqlx:?}");
    assert!(!sqlx[0].contains("version = \"0.9.0\""), "{}", sqlx[0]);
}

fn url_of(s: &str) -> ParsedUrl {
    ParsedUrl(s.to_owned())
}

/// A URL whose path (the database name) can be replaced.
struct ParsedUrl(String);

impl ParsedUrl {
    fn set_path(&mut self, db: &str) {
        let scheme_end = self.0.find("://").map_or(0, |i| i + 3);
        let path_start = self.0[scheme_end..]
            .find('/')
            .map_or(self.0.len(), |i| scheme_end + i);
        let query = self.0[path_start..]
            .find('?')
            .map(|i| self.0[path_start + i..].to_owned());
        self.0 = format!(
            "{}/{db}{}",
            &self.0[..path_start],
            query.unwrap_or_default()
        );
    }

    fn as_str(&self) -> &str {
        &self.0
    }
}
