//! Autogenerate as a new user meets it (issue 12's "Done when"), on SQLite, PostgreSQL and
//! MySQL: a new project declares three models, `revision --autogenerate -m initial` writes a
//! revision that creates them; each everyday change made on the models (a nullable column, a
//! NOT NULL column with a default, a table with a foreign key, a type change, an index, a
//! rename with `renamed_from`, and on PostgreSQL an enum value) yields a revision that
//! upgrades, downgrades and upgrades again, after which `check` says the models match; running
//! autogenerate again writes nothing; a field added without a revision makes `check` fail
//! naming the table and the column (and `cargo migrate test`'s `models::match`).

mod common;

use std::path::Path;

use common::*;
use migrate_core::{Backend, Db};

const LIB_RS: &str = "pub mod models;\n\nmigrate_macros::migrations!(models = [models::User, models::Post, models::Tag]);\n";

/// The models before any change; each step edits this text.
const MODELS: &str = r#"use migrate_macros::Model;

#[derive(Model)]
#[model(table = "users")]
pub struct User {
    #[model(primary_key, auto_increment)]
    pub id: i64,
    #[model(length = 255, unique)]
    pub email: String,
    pub name: Option<String>,
}

#[derive(Model)]
#[model(table = "posts")]
pub struct Post {
    #[model(primary_key, auto_increment)]
    pub id: i64,
    #[model(references = "users(id)", on_delete = "cascade")]
    pub author_id: i64,
    #[model(length = 200)]
    pub title: String,
    pub body: String,
}

#[derive(Model)]
#[model(table = "tags")]
pub struct Tag {
    #[model(primary_key, auto_increment)]
    pub id: i32,
    #[model(length = 50)]
    pub name: String,
}
//COMMENT
//MOOD
"#;

fn admin_url(backend: Backend) -> String {
    match backend {
        Backend::Postgres => std::env::var("MIGRATE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        _ => std::env::var("MIGRATE_TEST_MYSQL_URL")
            .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into()),
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A fresh database for `backend`, named after the test; its URL.
fn fresh_database(backend: Backend, name: &str) -> String {
    let admin = admin_url(backend);
    block_on(async {
        let mut db = Db::connect(&admin)
            .await
            .expect("the test server is reachable");
        db.sql(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .unwrap();
        db.sql(&format!("CREATE DATABASE {name}")).await.unwrap();
        db.close().await;
    });
    let (head, _) = admin.rsplit_once('/').expect("a database in the URL");
    format!("{head}/{name}")
}

/// Drops the test's PostgreSQL or MySQL database when the test ends, also when it fails.
struct DropDatabase(Option<(Backend, String)>);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        if let Some((backend, name)) = self.0.take() {
            let admin = admin_url(backend);
            let sql = match backend {
                Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                _ => format!("DROP DATABASE IF EXISTS {name}"),
            };
            block_on(async {
                if let Ok(mut db) = Db::connect(&admin).await {
                    let _ = db.sql(&sql).await;
                    db.close().await;
                }
            });
        }
    }
}

struct App {
    dir: std::path::PathBuf,
    /// The migrations crate's directory (and name): one per backend, since the tests run at
    /// once and share the nested target directory, where a crate's runner is named after it.
    krate: String,
    url: String,
    _drop: DropDatabase,
}

impl App {
    fn cm(&self, args: &[&str]) -> Run {
        let mut all = vec!["migrate"];
        all.extend_from_slice(args);
        cm_env(&self.dir, &all, &[("DATABASE_URL", &self.url)])
    }

    fn versions(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.dir.join(&self.krate).join("src/versions"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".rs"))
            .collect();
        v.sort();
        v
    }

    fn models(&self) -> String {
        read(&self.dir.join(&self.krate).join("src/models.rs"))
    }

    fn set_models(&self, text: &str) {
        std::fs::write(self.dir.join(&self.krate).join("src/models.rs"), text).unwrap();
    }

    fn edit_models(&self, from: &str, to: &str) {
        let text = self.models();
        assert!(text.contains(from), "`{from}` not in the models:\n{text}");
        self.set_models(&text.replacen(from, to, 1));
    }

    /// `revision --autogenerate -m msg`: the new file's text (it must write one).
    fn autogenerate(&self, msg: &str) -> String {
        self.autogenerate_run(msg).0
    }

    /// `revision --autogenerate -m msg`: the new file's text and the command's stderr.
    fn autogenerate_run(&self, msg: &str) -> (String, String) {
        let before = self.versions();
        let run = self.cm(&["revision", "--autogenerate", "-m", msg]).ok();
        let after = self.versions();
        let new: Vec<&String> = after.iter().filter(|f| !before.contains(f)).collect();
        assert_eq!(new.len(), 1, "one new file for `{msg}`:\n{}", run.stderr);
        let text = read(&self.dir.join(&self.krate).join("src/versions").join(new[0]));
        eprintln!("== {msg}: {}\n{text}", new[0]);
        (text, run.stderr)
    }

    /// upgrade, check (models match), downgrade -1, upgrade, check.
    fn round_trip(&self, step: &str) {
        self.cm(&["upgrade"]).ok();
        let check = self.cm(&["check"]).ok();
        assert!(
            check.stderr.contains("models match the migrations"),
            "{step}: {}",
            check.stderr
        );
        self.cm(&["downgrade", "-1"]).ok();
        self.cm(&["upgrade"]).ok();
        self.cm(&["check"]).ok();
    }
}

fn new_app(tmp: &Path, backend: Backend) -> App {
    let krate = format!("autogen_{}", backend.name());
    let dir = app_with_migrations(tmp, &krate);
    std::fs::write(dir.join(&krate).join("src/lib.rs"), LIB_RS).unwrap();
    std::fs::write(dir.join(&krate).join("src/models.rs"), MODELS).unwrap();
    let name = format!("autogen_e2e_{}_{}", backend.name(), std::process::id());
    let (url, drop) = match backend {
        Backend::Sqlite => (
            format!("sqlite:{}", dir.join("app.db").display()),
            DropDatabase(None),
        ),
        _ => (
            fresh_database(backend, &name),
            DropDatabase(Some((backend, name))),
        ),
    };
    App {
        dir,
        krate,
        url,
        _drop: drop,
    }
}

fn everyday_changes(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let app = new_app(tmp.path(), backend);

    // three models: one revision creates them
    let initial = app.autogenerate("initial");
    for table in ["\"users\"", "\"posts\"", "\"tags\""] {
        assert!(initial.contains(table), "{initial}");
    }
    assert!(initial.contains("create_table"), "{initial}");
    app.round_trip("initial");

    // nothing changed: nothing written
    let before = app.versions();
    let again = app
        .cm(&["revision", "--autogenerate", "-m", "nothing"])
        .ok();
    assert_eq!(app.versions(), before, "{}", again.stderr);
    assert!(
        again.stderr.contains("no changes in schema detected"),
        "{}",
        again.stderr
    );

    // a nullable column
    app.edit_models(
        "    pub name: Option<String>,\n",
        "    pub name: Option<String>,\n    pub bio: Option<String>,\n",
    );
    let rev = app.autogenerate("add bio");
    assert!(rev.contains("\"bio\""), "{rev}");
    app.round_trip("add a nullable column");

    // a NOT NULL column with a default
    app.edit_models(
        "    pub body: String,\n",
        "    pub body: String,\n    #[model(default = \"0\")]\n    pub views: i32,\n",
    );
    let rev = app.autogenerate("add views");
    assert!(rev.contains("\"views\""), "{rev}");
    app.round_trip("add a NOT NULL column with a default");

    // a table with a foreign key
    app.edit_models(
        "//COMMENT\n",
        "#[derive(Model)]\n#[model(table = \"comments\")]\npub struct Comment {\n    #[model(primary_key, auto_increment)]\n    pub id: i64,\n    #[model(references = \"posts(id)\")]\n    pub post_id: i64,\n    pub body: String,\n}\n",
    );
    std::fs::write(
        app.dir.join(&app.krate).join("src/lib.rs"),
        LIB_RS.replace("models::Tag]", "models::Tag, models::Comment]"),
    )
    .unwrap();
    let rev = app.autogenerate("add comments");
    assert!(
        rev.contains("\"comments\"") && rev.contains("\"posts\""),
        "{rev}"
    );
    app.round_trip("add a table with a foreign key");

    // a type change: varchar(50) -> varchar(100)
    app.edit_models(
        "    #[model(length = 50)]\n    pub name: String,",
        "    #[model(length = 100)]\n    pub name: String,",
    );
    let rev = app.autogenerate("widen tag names");
    assert!(rev.contains("100"), "{rev}");
    app.round_trip("change a column's type");

    // an index
    app.edit_models(
        "    #[model(length = 200)]\n",
        "    #[model(length = 200, index = \"ix_posts_title\")]\n",
    );
    let rev = app.autogenerate("index titles");
    assert!(rev.contains("ix_posts_title"), "{rev}");
    app.round_trip("add an index");

    // a rename, hinted: never drop + add
    app.edit_models(
        "    pub name: Option<String>,\n",
        "    #[model(renamed_from = \"name\")]\n    pub display_name: Option<String>,\n",
    );
    let (rev, said) = app.autogenerate_run("rename name");
    assert!(rev.contains("display_name"), "{rev}");
    assert!(
        said.contains("Detected column `users`.`name` renamed to `display_name`")
            && !said.contains("removed"),
        "the rename is reported as one:\n{said}"
    );
    assert!(
        !rev.contains("drop_column"),
        "a rename, not drop + add:\n{rev}"
    );
    app.round_trip("rename a column");

    if backend == Backend::Postgres {
        // an enum, then a value added to it
        app.edit_models(
            "//MOOD\n",
            "#[derive(migrate_macros::DbEnum)]\n#[db_enum(name = \"mood\")]\npub enum Mood {\n    Happy,\n    Sad,\n}\n",
        );
        app.edit_models(
            "    pub bio: Option<String>,\n",
            "    pub bio: Option<String>,\n    pub mood: Option<Mood>,\n",
        );
        app.autogenerate("add mood");
        app.round_trip("add an enum column");
        app.edit_models("    Sad,\n", "    Sad,\n    Curious,\n");
        let rev = app.autogenerate("add a mood");
        assert!(rev.to_lowercase().contains("curious"), "{rev}");
        app.round_trip("add an enum value");
    }

    // running autogenerate again writes nothing
    let before = app.versions();
    app.cm(&["revision", "--autogenerate", "-m", "nothing"])
        .ok();
    assert_eq!(app.versions(), before);

    // drift: a field without a revision fails `check`, naming the table and the column
    app.edit_models(
        "    pub body: String,\n    #[model(default",
        "    pub body: String,\n    pub subtitle: Option<String>,\n    #[model(default",
    );
    let check = app.cm(&["check"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    let stderr = check.stderr;
    assert!(
        stderr.contains("column `posts`.`subtitle`: in the models, not in the migrations"),
        "{stderr}"
    );
    let json = app.cm(&["check", "--format", "json"]);
    assert_eq!(json.code, 1, "{}", json.stderr);
    let stdout = json.stdout;
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(v["ok"], false, "{stdout}");
    assert!(v["models"].to_string().contains("subtitle"), "{stdout}");

    // `cargo migrate test` checks it too (on throwaway databases: SQLite in memory here)
    if backend == Backend::Sqlite {
        let test = cm(&app.dir, &["migrate", "test"]);
        let all = format!("{}{}", test.stdout, test.stderr);
        assert_eq!(test.code, 1, "{all}");
        assert!(all.contains("test models::match ... FAILED"), "{all}");
        assert!(all.contains("column `posts`.`subtitle`"), "{all}");
    }
}

#[test]
fn everyday_changes_on_sqlite() {
    everyday_changes(Backend::Sqlite);
}

#[test]
fn everyday_changes_on_postgres() {
    everyday_changes(Backend::Postgres);
}

#[test]
fn everyday_changes_on_mysql() {
    everyday_changes(Backend::MySql);
}
