//! MySQL / MariaDB test databases.
//!
//! MySQL has no `CREATE DATABASE … TEMPLATE`. A template is a database migrated once (under
//! `GET_LOCK`, so concurrent processes build it once; it is complete when its version table
//! lists every revision of the target as `applied`, which the runner writes last). A clone
//! replays the template's `SHOW CREATE TABLE` output (foreign keys, indexes, checks,
//! generated columns, the `AUTO_INCREMENT` counter) and copies the rows of the tables that
//! have any with `INSERT … SELECT`, all in one multi-statement batch with foreign-key checks
//! off; the script is read from the template once per process. `CREATE TABLE … LIKE` is not
//! used: it drops foreign keys. A template with views, triggers, routines or events (which
//! that replay would not copy faithfully) is cloned by replaying the migrations instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::{AssertSqlSafe, MySqlConnection, Row};

use super::Template;
use crate::db::Connection;
use crate::{Db, Error};

fn db_err(context: String) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Database { context, source }
}

async fn my(db: &mut Db) -> Result<&mut MySqlConnection, Error> {
    match db.connection().await? {
        #[cfg(feature = "mysql")]
        Connection::MySql(c) => Ok(c),
        #[allow(unreachable_patterns)]
        _ => unreachable!("a mysql:// URL gives a MySQL connection"),
    }
}

async fn exec(db: &mut Db, sql: String) -> Result<(), Error> {
    let c = my(db).await?;
    sqlx::raw_sql(AssertSqlSafe(sql.clone()))
        .execute(c)
        .await
        .map(|_| ())
        .map_err(db_err(format!(
            "running `{}`",
            crate::error::one_line(&sql)
        )))
}

/// `CREATE DATABASE name`.
pub(super) async fn create_empty(admin_url: &str, name: &str) -> Result<(), Error> {
    let mut db = Db::connect(admin_url).await?;
    let r = exec(&mut db, format!("CREATE DATABASE `{name}`")).await;
    db.close().await;
    r
}

/// `DROP DATABASE IF EXISTS name`.
pub(super) async fn drop_database(admin_url: &str, name: &str) -> Result<(), Error> {
    let mut db = Db::connect(admin_url).await?;
    let r = exec(&mut db, format!("DROP DATABASE IF EXISTS `{name}`")).await;
    db.close().await;
    r
}

/// How a template is cloned.
enum CloneScript {
    /// The statements that rebuild it in the current database.
    Script(String),
    /// It holds views, triggers, routines or events, which the script would not copy:
    /// replay the migrations.
    Replay,
}

/// A new database `name` with the template's tables and rows.
pub(super) async fn clone(
    admin_url: &str,
    template: &Template<'_>,
    name: &str,
) -> Result<(), Error> {
    let mut db = Db::connect(admin_url).await?;
    let r = async {
        let script = ensure_template(&mut db, admin_url, template).await?;
        match &*script {
            CloneScript::Script(s) => {
                let r = exec(
                    &mut db,
                    format!(
                        "CREATE DATABASE `{name}`; USE `{name}`; SET FOREIGN_KEY_CHECKS = 0;\n\
                         {s}SET FOREIGN_KEY_CHECKS = 1"
                    ),
                )
                .await;
                if r.is_err() {
                    let _ = exec(&mut db, format!("DROP DATABASE IF EXISTS `{name}`")).await;
                }
                r
            }
            CloneScript::Replay => {
                exec(&mut db, format!("CREATE DATABASE `{name}`")).await?;
                let r = async {
                    let url = super::url_with_database(admin_url, name)?;
                    let mut t = Db::connect(&url).await?;
                    let r = template.migrate(&mut t).await;
                    t.close().await;
                    r.map(|_| ())
                }
                .await;
                if r.is_err() {
                    let _ = exec(&mut db, format!("DROP DATABASE IF EXISTS `{name}`")).await;
                }
                r
            }
        }
    }
    .await;
    db.close().await;
    r
}

type Scripts = HashMap<String, Arc<CloneScript>>;

/// The clone script of a complete template, building the template first when needed.
async fn ensure_template(
    db: &mut Db,
    admin_url: &str,
    template: &Template<'_>,
) -> Result<Arc<CloneScript>, Error> {
    static SCRIPTS: Mutex<Option<Scripts>> = Mutex::new(None);
    let name = &template.name;
    let key = format!("mysql {} {name}", super::redact_url(admin_url));
    let lock = super::process_lock(&key);
    let _guard = lock.lock().await;
    let rebuild = super::rebuild_requested(name);
    if !rebuild
        && let Some(s) = SCRIPTS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(HashMap::new)
            .get(&key)
    {
        return Ok(s.clone());
    }
    // GET_LOCK names are at most 64 characters
    exec(db, format!("DO GET_LOCK('{name}', 3600)")).await?;
    let r = async {
        let expected = template.expected_revisions()?;
        if rebuild || !is_complete(db, name, &expected).await? {
            exec(db, format!("DROP DATABASE IF EXISTS `{name}`")).await?;
            exec(db, format!("CREATE DATABASE `{name}`")).await?;
            let built = async {
                let url = super::url_with_database(admin_url, name)?;
                let mut t = Db::connect(&url).await?;
                let r = template.migrate(&mut t).await;
                t.close().await;
                r.map(|_| ())
            }
            .await;
            if built.is_err() {
                let _ = exec(db, format!("DROP DATABASE IF EXISTS `{name}`")).await;
            }
            built?;
        }
        read_script(db, name).await
    }
    .await;
    let unlocked = exec(db, format!("DO RELEASE_LOCK('{name}')")).await;
    let script = Arc::new(r?);
    unlocked?;
    SCRIPTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(key, script.clone());
    Ok(script)
}

/// Whether the template exists and its version table lists exactly `expected`, all applied.
async fn is_complete(db: &mut Db, name: &str, expected: &[String]) -> Result<bool, Error> {
    let c = my(db).await?;
    let exists: Option<String> = sqlx::query_scalar(
        "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata WHERE schema_name = ?",
    )
    .bind(name)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err(format!("looking up the template {name}")))?;
    if exists.is_none() {
        return Ok(false);
    }
    let table = crate::version_table::DEFAULT_VERSION_TABLE;
    let rows = sqlx::raw_sql(AssertSqlSafe(format!(
        "SELECT CAST(revision AS CHAR), CAST(state AS CHAR) FROM `{name}`.`{table}`"
    )))
    .fetch_all(&mut *c)
    .await;
    let Ok(rows) = rows else {
        return Ok(false); // no version table: a build that died before its first revision
    };
    let mut applied = Vec::new();
    for row in rows {
        let (rev, state): (String, String) = (row.get(0), row.get(1));
        if state != "applied" {
            return Ok(false);
        }
        applied.push(rev);
    }
    applied.sort();
    Ok(applied == expected)
}

/// Reads the template's tables into a clone script.
async fn read_script(db: &mut Db, name: &str) -> Result<CloneScript, Error> {
    let c = my(db).await?;
    let err = |what: &str| db_err(format!("reading the template {name} ({what})"));
    let others: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(CONCAT(kind, ' ', n) AS CHAR) FROM ( \
           SELECT 'view' AS kind, CAST(table_name AS CHAR) AS n FROM information_schema.tables \
             WHERE table_schema = ? AND table_type <> 'BASE TABLE' \
           UNION ALL SELECT 'trigger', CAST(trigger_name AS CHAR) FROM information_schema.triggers \
             WHERE trigger_schema = ? \
           UNION ALL SELECT 'routine', CAST(routine_name AS CHAR) FROM information_schema.routines \
             WHERE routine_schema = ? \
           UNION ALL SELECT 'event', CAST(event_name AS CHAR) FROM information_schema.events \
             WHERE event_schema = ?) o",
    )
    .bind(name)
    .bind(name)
    .bind(name)
    .bind(name)
    .fetch_all(&mut *c)
    .await
    .map_err(err("objects"))?;
    if !others.is_empty() {
        return Ok(CloneScript::Replay);
    }
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
         WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name",
    )
    .bind(name)
    .fetch_all(&mut *c)
    .await
    .map_err(err("tables"))?;
    let mut script = String::new();
    let mut copies = String::new();
    for t in &tables {
        let row = sqlx::raw_sql(AssertSqlSafe(format!("SHOW CREATE TABLE `{name}`.`{t}`")))
            .fetch_one(&mut *c)
            .await
            .map_err(err("SHOW CREATE TABLE"))?;
        let ddl: String = row.try_get(1).map_err(err("SHOW CREATE TABLE"))?;
        script.push_str(&ddl);
        script.push_str(";\n");
        let has_rows = sqlx::raw_sql(AssertSqlSafe(format!(
            "SELECT 1 FROM `{name}`.`{t}` LIMIT 1"
        )))
        .fetch_optional(&mut *c)
        .await
        .map_err(err("rows"))?
        .is_some();
        if has_rows {
            // generated columns cannot be written: copy the stored ones
            let cols: Vec<String> = sqlx::query_scalar(
                "SELECT CAST(column_name AS CHAR) FROM information_schema.columns \
                 WHERE table_schema = ? AND table_name = ? AND extra NOT LIKE '%GENERATED%' \
                 ORDER BY ordinal_position",
            )
            .bind(name)
            .bind(t)
            .fetch_all(&mut *c)
            .await
            .map_err(err("columns"))?;
            let cols = cols
                .iter()
                .map(|c| format!("`{}`", c.replace('`', "``")))
                .collect::<Vec<_>>()
                .join(", ");
            copies.push_str(&format!(
                "INSERT INTO `{t}` ({cols}) SELECT {cols} FROM `{name}`.`{t}`;\n"
            ));
        }
    }
    script.push_str(&copies);
    Ok(CloneScript::Script(script))
}
