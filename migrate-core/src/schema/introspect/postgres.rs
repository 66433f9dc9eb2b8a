//! PostgreSQL introspection: the `pg_catalog` tables of `current_schema()`.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use sqlx::Row as _;

use crate::schema::model::{
    Check, Column, FkAction, ForeignKey, Index, PrimaryKey, Schema, Sequence, Table, Unique,
};
use crate::schema::normalise::postgres as norm;

/// `f(raw)`, remembered by `(kind, raw)` for the process: the stairway of `cargo migrate test`
/// reads the same function bodies, view, trigger and index definitions three times per
/// revision, and normalising a long PL/pgSQL body is most of the client's work (BENCHMARKS.md,
/// "Stairway over the crates.io history"). Bounded: forgotten past 4,096 entries.
fn cached(kind: u8, raw: &str, f: fn(&str) -> String) -> String {
    static CACHE: LazyLock<Mutex<HashMap<(u8, String), String>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    let key = (kind, raw.to_owned());
    if let Some(hit) = CACHE.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return hit;
    }
    let value = f(raw);
    if let Ok(mut c) = CACHE.lock() {
        if c.len() >= 4096 {
            c.clear();
        }
        c.insert(key, value.clone());
    }
    value
}

const EXPR: u8 = 0;
const CHECK: u8 = 1;
const TYPE: u8 = 2;

/// The schema `current_schema()` of the PostgreSQL database on `conn`, tables in `exclude`
/// left out.
///
/// # Errors
/// The driver's error when a catalogue query fails.
pub async fn schema(
    conn: &mut sqlx::PgConnection,
    exclude: &[&str],
) -> Result<Schema, sqlx::Error> {
    let mut s = Schema::default();

    // columns of every table of the schema, in one query
    let rows = sqlx::query(
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text \
         FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
         ORDER BY c.relname, a.attnum",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let table: String = r.try_get(0)?;
        if exclude.contains(&table.as_str()) {
            continue;
        }
        let ty = cached(TYPE, &r.try_get::<String, _>(2)?, norm::column_type);
        let raw_default: Option<String> = r.try_get(4)?;
        let identity: String = r.try_get(5)?;
        let generated: String = r.try_get(6)?;
        let (default, serial) = if generated.is_empty() {
            norm::default(raw_default.as_deref(), &ty)
        } else {
            (None, false)
        };
        let t = s
            .tables
            .entry(table.clone())
            .or_insert_with(|| Table::new(table));
        t.columns.push(Column {
            name: r.try_get(1)?,
            nullable: !r.try_get::<bool, _>(3)?,
            default,
            auto_increment: serial || !identity.is_empty(),
            generated: (!generated.is_empty())
                .then(|| norm::expr(raw_default.as_deref().unwrap_or_default())),
            ty,
        });
    }

    // constraints: primary keys, uniques, checks, foreign keys
    let rows = sqlx::query(
        "SELECT c.relname, k.conname, k.contype::text, \
                ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i) \
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i), \
                pg_get_constraintdef(k.oid), f.relname, \
                ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, i) \
                      JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i), \
                k.confupdtype::text, k.confdeltype::text \
         FROM pg_constraint k \
         JOIN pg_class c ON c.oid = k.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_class f ON f.oid = k.confrelid \
         WHERE n.nspname = current_schema() AND k.contype IN ('p', 'u', 'c', 'f') \
         ORDER BY c.relname, k.conname",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let table: String = r.try_get(0)?;
        let Some(t) = s.tables.get_mut(&table) else {
            continue;
        };
        let name: String = r.try_get(1)?;
        let kind: String = r.try_get(2)?;
        let columns: Vec<String> = r.try_get(3)?;
        match kind.as_str() {
            "p" => {
                t.primary_key = Some(PrimaryKey {
                    name: Some(name),
                    columns,
                })
            }
            "u" => t.add_unique(Unique {
                name: Some(name),
                columns,
            }),
            "c" => t.add_check(Check {
                name: Some(name),
                expression: cached(CHECK, &r.try_get::<String, _>(4)?, norm::check),
            }),
            _ => t.add_foreign_key(ForeignKey {
                name: Some(name),
                columns,
                referenced_table: r.try_get::<Option<String>, _>(5)?.unwrap_or_default(),
                referenced_columns: r.try_get(6)?,
                on_update: FkAction::parse(&r.try_get::<String, _>(7)?).unwrap_or_default(),
                on_delete: FkAction::parse(&r.try_get::<String, _>(8)?).unwrap_or_default(),
            }),
        }
    }
    for t in s.tables.values_mut() {
        t.settle_primary_key();
    }

    // indexes that do not back a constraint (sea-schema's discovery misses these)
    let rows = sqlx::query(
        "SELECT c.relname, i.relname, x.indisunique, \
                ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) \
                      FROM generate_series(1, x.indnkeyatts) k ORDER BY k), \
                ARRAY(SELECT (x.indoption[k - 1] & 1)::int FROM generate_series(1, x.indnkeyatts) k ORDER BY k), \
                pg_get_expr(x.indpred, x.indrelid) \
         FROM pg_index x \
         JOIN pg_class c ON c.oid = x.indrelid \
         JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid \
                           AND k.conrelid = x.indrelid AND k.contype IN ('p', 'u', 'x')) \
         ORDER BY c.relname, i.relname",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let table: String = r.try_get(0)?;
        let Some(t) = s.tables.get_mut(&table) else {
            continue;
        };
        let parts: Vec<String> = r.try_get(3)?;
        let desc: Vec<i32> = r.try_get(4)?;
        t.add_index(Index {
            name: r.try_get(1)?,
            unique: r.try_get(2)?,
            parts: parts
                .iter()
                .zip(desc.iter().chain(std::iter::repeat(&0)))
                .map(|(p, d)| {
                    let p = cached(EXPR, p, norm::expr);
                    if *d == 1 { format!("{p} desc") } else { p }
                })
                .collect(),
            predicate: r
                .try_get::<Option<String>, _>(5)?
                .map(|p| cached(EXPR, &p, norm::expr)),
        });
    }

    // enums
    let rows: Vec<(String, Vec<String>)> = sqlx::query_as(
        "SELECT t.typname::text, ARRAY(SELECT e.enumlabel::text FROM pg_enum e \
                                      WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE n.nspname = current_schema() AND t.typtype = 'e'",
    )
    .fetch_all(&mut *conn)
    .await?;
    s.enums.extend(rows);

    // sequences not owned by a serial or identity column
    let rows = sqlx::query(
        "SELECT s.sequencename::text, s.data_type::text, s.start_value, s.increment_by, \
                s.min_value, s.max_value, s.cycle \
         FROM pg_sequences s \
         JOIN pg_namespace n ON n.nspname = s.schemaname \
         JOIN pg_class c ON c.relname = s.sequencename AND c.relnamespace = n.oid \
         WHERE s.schemaname = current_schema() \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid \
                           AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
                           AND d.refobjsubid > 0)",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        s.sequences.insert(
            r.try_get(0)?,
            Sequence {
                data_type: norm::column_type(&r.try_get::<String, _>(1)?),
                start: r.try_get(2)?,
                increment: r.try_get(3)?,
                min: r.try_get(4)?,
                max: r.try_get(5)?,
                cycle: r.try_get(6)?,
            },
        );
    }

    // views
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT viewname::text, definition FROM pg_views WHERE schemaname = current_schema()",
    )
    .fetch_all(&mut *conn)
    .await?;
    s.views.extend(
        rows.into_iter()
            .map(|(n, d)| (n, cached(EXPR, &d, norm::expr))),
    );

    // triggers (not the internal ones behind foreign keys)
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.relname::text, t.tgname::text, pg_get_triggerdef(t.oid) \
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND NOT t.tgisinternal",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (table, name, def) in rows {
        if !exclude.contains(&table.as_str()) {
            s.triggers
                .insert(format!("{table}.{name}"), cached(EXPR, &def, norm::expr));
        }
    }

    // functions and procedures (not those of extensions)
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', \
                pg_get_functiondef(p.oid) \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = current_schema() AND p.prokind IN ('f', 'p') \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')",
    )
    .fetch_all(&mut *conn)
    .await?;
    s.functions.extend(
        rows.into_iter()
            .map(|(n, d)| (n, cached(EXPR, &d, norm::expr))),
    );

    // extensions (database-wide)
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT extname::text, extversion FROM pg_extension WHERE extname <> 'plpgsql'",
    )
    .fetch_all(&mut *conn)
    .await?;
    s.extensions.extend(rows);
    Ok(s)
}
