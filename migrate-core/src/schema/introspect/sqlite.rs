//! SQLite introspection: `sqlite_master` and the table-valued pragma functions.

use sqlx::Row as _;

use crate::schema::model::{
    Check, Column, FkAction, ForeignKey, Index, PrimaryKey, Schema, Table, Unique,
};
use crate::schema::normalise::{expression, sqlite as norm};

/// The schema of the SQLite database on `conn` (schema `main`), tables in `exclude` left out.
///
/// # Errors
/// The driver's error when a catalogue query fails.
pub async fn schema(
    conn: &mut sqlx::SqliteConnection,
    exclude: &[&str],
) -> Result<Schema, sqlx::Error> {
    let mut s = Schema::default();
    let objects: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT type, name, tbl_name, sql FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (kind, name, table_name, sql) in objects {
        let sql = sql.unwrap_or_default();
        match kind.as_str() {
            "table" if !exclude.contains(&name.as_str()) => {
                let t = table(conn, &name, &sql).await?;
                s.add_table(t);
            }
            "view" => {
                s.views.insert(name, expression(&sql));
            }
            "trigger" if !exclude.contains(&table_name.as_str()) => {
                s.triggers
                    .insert(format!("{table_name}.{name}"), expression(&sql));
            }
            _ => {}
        }
    }
    Ok(s)
}

async fn table(
    conn: &mut sqlx::SqliteConnection,
    name: &str,
    sql: &str,
) -> Result<Table, sqlx::Error> {
    let mut t = Table::new(name);
    let autoincrement = norm::has_autoincrement(sql);
    let rows = sqlx::query(
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1) ORDER BY cid",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await?;
    let mut pk: Vec<(i64, String)> = Vec::new();
    // only the one column of a one-column primary key can be the rowid's alias
    let mut keys = 0;
    for r in &rows {
        if r.try_get::<i64, _>(4)? > 0 {
            keys += 1;
        }
    }
    for r in rows {
        let col: String = r.try_get(0)?;
        let key: i64 = r.try_get(4)?;
        let ty = norm::comparable_type(&r.try_get::<String, _>(1)?, key > 0 && keys == 1);
        if key > 0 {
            pk.push((key, col.clone()));
        }
        t.columns.push(Column {
            default: norm::default(r.try_get::<Option<String>, _>(3)?.as_deref(), &ty),
            nullable: r.try_get::<i64, _>(2)? == 0,
            // AUTOINCREMENT is only allowed on the INTEGER PRIMARY KEY
            auto_increment: autoincrement && key > 0,
            name: col,
            ty,
            generated: None,
        });
    }
    pk.sort();
    if !pk.is_empty() {
        t.primary_key = Some(PrimaryKey {
            name: None,
            columns: pk.into_iter().map(|(_, c)| c).collect(),
        });
    }
    t.settle_primary_key();

    let indexes: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list(?1) ORDER BY name")
            .bind(name)
            .fetch_all(&mut *conn)
            .await?;
    for (index, unique, origin) in indexes {
        match origin.as_str() {
            "pk" => {}
            "u" => {
                let cols: Vec<(String,)> =
                    sqlx::query_as("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
                        .bind(&index)
                        .fetch_all(&mut *conn)
                        .await?;
                t.add_unique(Unique {
                    name: None,
                    columns: cols.into_iter().map(|(c,)| c).collect(),
                });
            }
            _ => {
                let (sql,): (Option<String>,) = sqlx::query_as(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1",
                )
                .bind(&index)
                .fetch_one(&mut *conn)
                .await?;
                let sql = sql.unwrap_or_default();
                t.add_index(Index {
                    name: index,
                    unique: unique != 0,
                    parts: norm::index_parts(&sql),
                    predicate: norm::index_predicate(&sql),
                });
            }
        }
    }

    let fks: Vec<(i64, String, String, Option<String>, String, String)> = sqlx::query_as(
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete \
         FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await?;
    let mut current: Option<(i64, ForeignKey)> = None;
    for (id, table, from, to, on_update, on_delete) in fks {
        if current.as_ref().is_some_and(|(i, _)| *i != id) {
            t.add_foreign_key(current.take().expect("checked").1);
        }
        let fk = &mut current
            .get_or_insert_with(|| {
                (
                    id,
                    ForeignKey {
                        name: None,
                        referenced_table: table,
                        on_update: FkAction::parse(&on_update).unwrap_or_default(),
                        on_delete: FkAction::parse(&on_delete).unwrap_or_default(),
                        ..ForeignKey::default()
                    },
                )
            })
            .1;
        fk.columns.push(from);
        fk.referenced_columns.extend(to);
    }
    if let Some((_, fk)) = current {
        t.add_foreign_key(fk);
    }

    for (name, expression) in norm::checks(sql) {
        t.add_check(Check { name, expression });
    }
    Ok(t)
}
