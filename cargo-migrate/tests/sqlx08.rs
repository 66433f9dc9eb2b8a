//! An application on sqlx 0.8 with SQLite shares a workspace, and a binary, with a migrations
//! crate (sqlx 0.9): cargo resolves one libsqlite3-sys (0.30.x, which both accept), the
//! application runs the migrations at start-up and reads the result through its own sqlx 0.8
//! pool, and `cargo migrate upgrade` works in that workspace. README: "Supported sqlx".

mod common;

use common::*;

const APP_MAIN: &str = r#"
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let url = std::env::args().nth(1).expect("a database URL");
    app_migrations::MIGRATIONS.upgrade_url(&url, "head").await.expect("migrations run");
    // the application's own sqlx 0.8 pool on the migrated database
    let pool = sqlx::SqlitePool::connect(&url).await.expect("sqlx 0.8 connects");
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await
        .expect("the table exists");
    println!("users: {n}");
}
"#;

#[test]
fn an_app_on_sqlx_08_shares_the_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    let app = cargo_new(tmp.path(), "app");
    cm(&app, &["migrate", "init", "app_migrations"]).ok();
    let (file, id) = revision(&app, "create users", &[]);
    fill(
        &app.join(&file),
        "    pub async fn upgrade(db: &mut Db) -> Result<()> {
        db.create_table(Table::create().table(\"users\").col(ColumnDef::new(\"id\").integer().not_null().primary_key()).to_owned()).await?;
        Ok(())
    }
",
        EMPTY_DOWNGRADE,
    );
    let manifest = read(&app.join("Cargo.toml")).replace(
        "[dependencies]\n",
        "[dependencies]\n\
         sqlx = { version = \"0.8\", default-features = false, features = [\"sqlite\", \"runtime-tokio\"] }\n\
         tokio = { version = \"1\", features = [\"macros\", \"rt\"] }\n\
         app_migrations = { path = \"app_migrations\" }\n",
    );
    std::fs::write(app.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(app.join("src/main.rs"), APP_MAIN).unwrap();

    let db = app.join("app.db");
    let out = cargo()
        .args(["run", "-q", "-p", "app", "--"])
        .arg(format!("sqlite:{}", db.display()))
        .current_dir(&app)
        .output()
        .unwrap();
    let run = Run::from("cargo run -p app".into(), out).ok();
    assert_eq!(run.stdout, "users: 0\n", "{}", run.stderr);

    // one libsqlite3-sys (0.30.x), two sqlx
    let lock = read(&app.join("Cargo.lock"));
    let versions = |name: &str| -> Vec<String> {
        let header = format!("name = \"{name}\"\nversion = \"");
        lock.match_indices(&header)
            .map(|(i, _)| {
                let rest = &lock[i + header.len()..];
                rest[..rest.find('"').unwrap()].to_owned()
            })
            .collect()
    };
    let sqlite_sys = versions("libsqlite3-sys");
    assert_eq!(sqlite_sys.len(), 1, "{sqlite_sys:?}");
    assert!(sqlite_sys[0].starts_with("0.30."), "{sqlite_sys:?}");
    let sqlx = versions("sqlx");
    assert!(
        sqlx.iter().any(|v| v.starts_with("0.8.")) && sqlx.iter().any(|v| v.starts_with("0.9.")),
        "{sqlx:?}"
    );

    // the CLI in the same workspace
    let cli_db = app.join("cli.db");
    let url = format!("sqlite:{}", cli_db.display());
    cm(&app, &["migrate", "upgrade", "--database-url", &url]).ok();
    let current = cm(&app, &["migrate", "current", "--database-url", &url]).ok();
    assert_eq!(current.stdout, format!("{id} (head)\n"));
}
