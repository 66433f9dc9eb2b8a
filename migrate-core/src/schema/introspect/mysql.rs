//! MySQL / MariaDB introspection: `information_schema` of `DATABASE()`.

use sqlx::Row as _;

use crate::schema::model::{
    Check, Column, FkAction, ForeignKey, Index, PrimaryKey, Schema, Table, Unique,
};
use crate::schema::normalise::{expression, mysql as norm};

/// `information_schema` text columns come back as `VARBINARY`/`BLOB` on some servers: read
/// any of them as a string.
fn text(r: &sqlx::mysql::MySqlRow, i: usize) -> Result<Option<String>, sqlx::Error> {
    match r.try_get::<Option<String>, _>(i) {
        Ok(v) => Ok(v),
        Err(_) => Ok(r
            .try_get::<Option<Vec<u8>>, _>(i)?
            .map(|b| String::from_utf8_lossy(&b).into_owned())),
    }
}

fn text0(r: &sqlx::mysql::MySqlRow, i: usize) -> Result<String, sqlx::Error> {
    Ok(text(r, i)?.unwrap_or_default())
}

/// The schema of the current database (`DATABASE()`) on `conn`, tables in `exclude` left out.
///
/// # Errors
/// The driver's error when a catalogue query fails.
pub async fn schema(
    conn: &mut sqlx::MySqlConnection,
    exclude: &[&str],
) -> Result<Schema, sqlx::Error> {
    let mut s = Schema::default();
    let version = sqlx::query("SELECT VERSION()")
        .fetch_one(&mut *conn)
        .await?;
    let mariadb = text0(&version, 0)?.to_ascii_lowercase().contains("mariadb");

    let rows = sqlx::query(
        "SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE, c.COLUMN_DEFAULT, c.EXTRA, \
                c.GENERATION_EXPRESSION \
         FROM information_schema.COLUMNS c \
         JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
         WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' \
         ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let table = text0(&r, 0)?;
        if exclude.contains(&table.as_str()) {
            continue;
        }
        let ty = norm::column_type(&text0(&r, 2)?);
        let extra = text0(&r, 5)?;
        let generation = text(&r, 6)?.filter(|g| !g.is_empty());
        let t = s
            .tables
            .entry(table.clone())
            .or_insert_with(|| Table::new(table));
        t.columns.push(Column {
            name: text0(&r, 1)?,
            nullable: text0(&r, 3)? == "YES",
            default: if generation.is_some() {
                None
            } else {
                norm::default(text(&r, 4)?.as_deref(), &ty, &extra, mariadb)
            },
            auto_increment: norm::auto_increment(&extra),
            generated: generation.map(|g| expression(&g)),
            ty,
        });
    }

    // indexes, including those behind PRIMARY KEY and UNIQUE (MySQL's uniques are indexes)
    let rows = sqlx::query(
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, COLLATION \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
         ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut indexes: Vec<(String, String, bool, Vec<String>)> = Vec::new();
    for r in rows {
        let table = text0(&r, 0)?;
        let name = text0(&r, 1)?;
        let non_unique: i64 = r
            .try_get::<i64, _>(2)
            .or_else(|_| r.try_get::<i32, _>(2).map(i64::from))?;
        // a functional key part (MySQL 8) has no column name
        let mut part = text(&r, 3)?.unwrap_or_else(|| "(expression)".into());
        if let Ok(Some(n)) = r.try_get::<Option<i64>, _>(4) {
            part = format!("{part}({n})");
        }
        if text(&r, 5)?.as_deref() == Some("D") {
            part.push_str(" desc");
        }
        match indexes.last_mut() {
            Some((t, n, _, parts)) if *t == table && *n == name => parts.push(part),
            _ => indexes.push((table, name, non_unique == 0, vec![part])),
        }
    }
    // the unique indexes that are constraints (listed in TABLE_CONSTRAINTS)
    let rows = sqlx::query(
        "SELECT TABLE_NAME, CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS \
         WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_TYPE = 'UNIQUE'",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut unique_constraints = Vec::new();
    for r in rows {
        unique_constraints.push((text0(&r, 0)?, text0(&r, 1)?));
    }
    for (table, name, unique, parts) in indexes {
        let Some(t) = s.tables.get_mut(&table) else {
            continue;
        };
        if name == "PRIMARY" {
            t.primary_key = Some(PrimaryKey {
                name: None,
                columns: parts,
            });
        } else if unique && unique_constraints.contains(&(table.clone(), name.clone())) {
            t.add_unique(Unique {
                name: Some(name),
                columns: parts,
            });
        } else {
            t.add_index(Index {
                name,
                unique,
                parts: parts.iter().map(|p| expression(p)).collect(),
                predicate: None,
            });
        }
    }
    for t in s.tables.values_mut() {
        t.settle_primary_key();
    }

    // foreign keys
    let rows = sqlx::query(
        "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, \
                k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE \
         FROM information_schema.KEY_COLUMN_USAGE k \
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
           ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
          AND r.TABLE_NAME = k.TABLE_NAME \
         WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut fks: Vec<(String, ForeignKey)> = Vec::new();
    for r in rows {
        let table = text0(&r, 0)?;
        let name = text0(&r, 1)?;
        let same = fks
            .last()
            .is_some_and(|(t, f)| *t == table && f.name.as_deref() == Some(&name));
        if !same {
            fks.push((
                table.clone(),
                ForeignKey {
                    name: Some(name),
                    referenced_table: text0(&r, 3)?,
                    on_update: FkAction::parse(&text0(&r, 5)?).unwrap_or_default(),
                    on_delete: FkAction::parse(&text0(&r, 6)?).unwrap_or_default(),
                    ..ForeignKey::default()
                },
            ));
        }
        let fk = &mut fks.last_mut().expect("pushed").1;
        fk.columns.push(text0(&r, 2)?);
        fk.referenced_columns.push(text0(&r, 4)?);
    }
    for (table, fk) in fks {
        if let Some(t) = s.tables.get_mut(&table) {
            t.add_foreign_key(fk);
        }
    }

    // checks (MySQL 8.0.16+, MariaDB 10.2+)
    let rows = sqlx::query(
        "SELECT t.TABLE_NAME, c.CONSTRAINT_NAME, c.CHECK_CLAUSE \
         FROM information_schema.CHECK_CONSTRAINTS c \
         JOIN information_schema.TABLE_CONSTRAINTS t \
           ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME \
          AND t.CONSTRAINT_TYPE = 'CHECK' \
         WHERE c.CONSTRAINT_SCHEMA = DATABASE()",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        if let Some(t) = s.tables.get_mut(&text0(&r, 0)?) {
            t.add_check(Check {
                name: Some(text0(&r, 1)?),
                expression: norm::check(&text0(&r, 2)?),
            });
        }
    }

    // views and triggers
    let rows = sqlx::query(
        "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        s.views.insert(text0(&r, 0)?, expression(&text0(&r, 1)?));
    }
    let rows = sqlx::query(
        "SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT \
         FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let table = text0(&r, 0)?;
        if exclude.contains(&table.as_str()) {
            continue;
        }
        s.triggers.insert(
            format!("{table}.{}", text0(&r, 1)?),
            expression(&format!(
                "{} {} {}",
                text0(&r, 2)?,
                text0(&r, 3)?,
                text0(&r, 4)?
            )),
        );
    }
    for t in s.tables.values_mut() {
        norm::drop_foreign_key_indexes(t);
    }
    Ok(s)
}
