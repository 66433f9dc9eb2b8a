//! PostgreSQL test databases: `CREATE DATABASE … TEMPLATE`.
//!
//! A template is a database migrated once and then marked `IS_TEMPLATE`: the mark says it is
//! complete (a database that exists unmarked is a build that died midway, dropped and built
//! again). Builds take a session advisory lock keyed by the template's name, so concurrent
//! test processes build it once. Nobody stays connected to a template (PostgreSQL refuses to
//! copy a database others are connected to): the build closes its connection before marking
//! it, and clones are made from the admin database.

use sqlx::{AssertSqlSafe, PgConnection};

use super::Template;
use crate::db::Connection;
use crate::{Db, Error};

fn db_err(context: String) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Database { context, source }
}

async fn admin(url: &str) -> Result<Db, Error> {
    Db::connect(url).await
}

/// Runs one statement (no rows) on the admin connection.
async fn exec(db: &mut Db, sql: String) -> Result<(), Error> {
    let c = pg(db).await?;
    sqlx::raw_sql(AssertSqlSafe(sql.clone()))
        .execute(c)
        .await
        .map(|_| ())
        .map_err(db_err(format!("running `{sql}`")))
}

async fn pg(db: &mut Db) -> Result<&mut PgConnection, Error> {
    match db.connection().await? {
        Connection::Postgres(c) => Ok(c),
        #[allow(unreachable_patterns)]
        _ => unreachable!("a postgres:// URL gives a PostgreSQL connection"),
    }
}

/// `CREATE DATABASE name`.
pub(super) async fn create_empty(admin_url: &str, name: &str) -> Result<(), Error> {
    let mut db = admin(admin_url).await?;
    let r = exec(&mut db, format!("CREATE DATABASE \"{name}\"")).await;
    db.close().await;
    r
}

/// `DROP DATABASE IF EXISTS name WITH (FORCE)` (PostgreSQL 13+; on older servers the
/// sessions connected to it are terminated first).
pub(super) async fn drop_database(admin_url: &str, name: &str) -> Result<(), Error> {
    let mut db = admin(admin_url).await?;
    let r = drop_with(&mut db, name).await;
    db.close().await;
    r
}

async fn drop_with(db: &mut Db, name: &str) -> Result<(), Error> {
    let version = pg(db).await?.server_version_num().unwrap_or(0);
    if version >= 130_000 {
        exec(
            db,
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        )
        .await
    } else {
        let c = pg(db).await?;
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(name)
        .execute(c)
        .await
        .map_err(db_err(format!("ending the sessions on {name}")))?;
        exec(db, format!("DROP DATABASE IF EXISTS \"{name}\"")).await
    }
}

/// `CREATE DATABASE name TEMPLATE template`, building the template first when needed.
pub(super) async fn clone(
    admin_url: &str,
    template: &Template<'_>,
    name: &str,
) -> Result<(), Error> {
    let mut db = admin(admin_url).await?;
    let r = async {
        ensure_template(&mut db, admin_url, template).await?;
        create_from(&mut db, &template.name, name).await
    }
    .await;
    db.close().await;
    r
}

/// Copies the template. PostgreSQL refuses while another session is connected to the template
/// ("source database … is being accessed by other users": someone inspecting it with psql, or
/// a build of another process that has just finished): retried for up to 10 s.
async fn create_from(db: &mut Db, template: &str, name: &str) -> Result<(), Error> {
    let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let c = pg(db).await?;
        match sqlx::raw_sql(AssertSqlSafe(sql.clone())).execute(c).await {
            Ok(_) => return Ok(()),
            // 55006 object_in_use
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("55006") && std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(e) => return Err(db_err(format!("running `{sql}`"))(e)),
        }
    }
}

/// Whether the template exists and is marked complete (`Some(true)`), exists unmarked
/// (`Some(false)`), or does not exist.
async fn template_state(db: &mut Db, template: &str) -> Result<Option<bool>, Error> {
    let c = pg(db).await?;
    sqlx::query_scalar::<_, bool>("SELECT datistemplate FROM pg_database WHERE datname = $1")
        .bind(template)
        .fetch_optional(c)
        .await
        .map_err(db_err(format!("looking up the template {template}")))
}

async fn ensure_template(
    db: &mut Db,
    admin_url: &str,
    template: &Template<'_>,
) -> Result<(), Error> {
    // templates this process saw complete: no look-up per clone
    static READY: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let name = &template.name;
    let key = format!("postgres {} {name}", super::redact_url(admin_url));
    let ready = || READY.lock().unwrap_or_else(|e| e.into_inner());
    if ready().contains(&key) {
        return Ok(());
    }
    let lock = super::process_lock(&key);
    let _guard = lock.lock().await;
    let rebuild = super::rebuild_requested(name);
    if !rebuild && template_state(db, name).await? == Some(true) {
        ready().push(key);
        return Ok(());
    }
    let lock_key = crate::runner::lock_key(name);
    exec(db, format!("SELECT pg_advisory_lock({lock_key})")).await?;
    let r = async {
        match template_state(db, name).await? {
            Some(true) if !rebuild => return Ok(()),
            Some(true) => {
                exec(
                    db,
                    format!("ALTER DATABASE \"{name}\" WITH IS_TEMPLATE false"),
                )
                .await?;
                drop_with(db, name).await?;
            }
            Some(false) => drop_with(db, name).await?,
            None => {}
        }
        exec(db, format!("CREATE DATABASE \"{name}\"")).await?;
        let built = async {
            let url = super::url_with_database(admin_url, name)?;
            let mut t = Db::connect(&url).await?;
            let r = template.migrate(&mut t).await;
            t.close().await;
            r?;
            exec(
                db,
                format!("ALTER DATABASE \"{name}\" WITH IS_TEMPLATE true"),
            )
            .await
        }
        .await;
        if built.is_err() {
            let _ = drop_with(db, name).await;
        }
        built
    }
    .await;
    let unlocked = exec(db, format!("SELECT pg_advisory_unlock({lock_key})")).await;
    let r = r.and(unlocked);
    if r.is_ok() {
        ready().push(key);
    }
    r
}
