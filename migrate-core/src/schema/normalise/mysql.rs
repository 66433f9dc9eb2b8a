//! MySQL's and MariaDB's spellings: `information_schema.columns.COLUMN_TYPE` with display
//! widths (`int(11)`, `tinyint(1)` for `BOOLEAN`), `COLUMN_DEFAULT` quoted on MariaDB
//! (`'draft'`, `current_timestamp()`, `NULL`) and unquoted on MySQL 8 (`draft`,
//! `CURRENT_TIMESTAMP` with `DEFAULT_GENERATED` in `EXTRA`), check clauses with backticks.

use super::super::model::Table;
use super::{canonical_type, expression, is_numeric_type};

/// The normalised type of a `COLUMN_TYPE`: `tinyint(1)` → `boolean` (what `BOOLEAN` is
/// stored as), integer display widths dropped (`int(11) unsigned` → `integer unsigned`),
/// `double` → `double precision`, `decimal(10,2)` → `numeric(10,2)`, then [`canonical_type`].
/// `enum('a','b')` and `set(…)` keep their values as written.
pub fn column_type(raw: &str) -> String {
    let t = canonical_type(raw);
    if t == "tinyint(1)" || t == "boolean" {
        return "boolean".into();
    }
    for int in ["tinyint", "smallint", "mediumint", "integer", "bigint"] {
        if let Some(rest) = t.strip_prefix(int)
            && let Some(rest) = rest.strip_prefix('(')
            && let Some(close) = rest.find(')')
            && rest[..close].chars().all(|c| c.is_ascii_digit())
        {
            return format!("{int}{}", &rest[close + 1..]);
        }
    }
    t
}

/// The normalised default of a column of normalised type `ty`, from `COLUMN_DEFAULT` and
/// `EXTRA`. `mariadb`: the server is MariaDB (defaults are SQL expressions there, string
/// literals quoted, `NULL` for none); on MySQL 8 a literal is unquoted and an expression is
/// marked `DEFAULT_GENERATED` in `EXTRA`, so an unmarked non-numeric literal is quoted here.
pub fn default(raw: Option<&str>, ty: &str, extra: &str, mariadb: bool) -> Option<String> {
    let raw = raw?;
    let expr_like = mariadb || extra.to_ascii_uppercase().contains("DEFAULT_GENERATED");
    if expr_like {
        return super::default(Some(raw), ty);
    }
    if is_numeric_type(ty) || ty == "boolean" || raw.eq_ignore_ascii_case("current_timestamp") {
        return super::default(Some(raw), ty);
    }
    super::default(Some(&format!("'{}'", raw.replace('\'', "''"))), ty)
}

/// Whether `EXTRA` marks an `AUTO_INCREMENT` column.
pub fn auto_increment(extra: &str) -> bool {
    extra.to_ascii_lowercase().contains("auto_increment")
}

/// A `CHECK_CLAUSE` (MariaDB: `` `price` > 0 ``; MySQL: `` (`price` > 0) ``) as its
/// normalised expression.
pub fn check(clause: &str) -> String {
    expression(clause)
}

/// Leaves out the indexes MySQL makes for a foreign key by itself: a plain index on exactly
/// the key's columns, named after the constraint (or, unnamed, after its first column).
/// MySQL creates one when no index covers the key and drops it silently when a covering
/// index is created, so it is part of neither the models nor the migrations.
pub fn drop_foreign_key_indexes(t: &mut Table) {
    let implicit: Vec<String> = t
        .indexes
        .values()
        .filter(|i| {
            !i.unique
                && i.predicate.is_none()
                && t.foreign_keys.values().any(|f| {
                    f.columns == i.parts
                        && (f.name.as_deref() == Some(i.name.as_str())
                            || f.columns.first() == Some(&i.name))
                })
        })
        .map(|i| i.name.clone())
        .collect();
    for n in implicit {
        t.indexes.remove(&n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implicit_foreign_key_indexes_are_left_out() {
        use super::super::super::model::{ForeignKey, Index};
        let mut t = Table::new("posts");
        t.add_foreign_key(ForeignKey {
            name: Some("fk_posts_author".into()),
            columns: vec!["author_id".into()],
            referenced_table: "users".into(),
            referenced_columns: vec!["id".into()],
            ..ForeignKey::default()
        });
        for (name, parts) in [
            ("fk_posts_author", vec!["author_id"]),
            ("ix_posts_author", vec!["author_id"]),
            ("ix_author_title", vec!["author_id", "title"]),
        ] {
            t.add_index(Index {
                name: name.into(),
                unique: false,
                parts: parts.into_iter().map(Into::into).collect(),
                predicate: None,
            });
        }
        drop_foreign_key_indexes(&mut t);
        let left: Vec<&str> = t.indexes.keys().map(String::as_str).collect();
        assert_eq!(left, ["ix_author_title", "ix_posts_author"]);
    }

    #[test]
    fn types() {
        for (raw, want) in [
            ("tinyint(1)", "boolean"),
            ("tinyint(4)", "tinyint"),
            ("int(11)", "integer"),
            ("int", "integer"),
            ("int(10) unsigned", "integer unsigned"),
            ("bigint(20)", "bigint"),
            ("varchar(255)", "varchar(255)"),
            ("decimal(10,2)", "numeric(10,2)"),
            ("double", "double precision"),
            ("datetime", "datetime"),
            ("enum('a','b')", "enum('a','b')"),
            ("longtext", "longtext"),
        ] {
            assert_eq!(column_type(raw), want, "{raw}");
        }
    }

    #[test]
    fn defaults() {
        // (COLUMN_DEFAULT, type, EXTRA, mariadb) -> normalised
        for (raw, ty, extra, mariadb, want) in [
            (
                Some("current_timestamp()"),
                "timestamp",
                "",
                true,
                Some("current_timestamp"),
            ),
            (
                Some("CURRENT_TIMESTAMP"),
                "timestamp",
                "DEFAULT_GENERATED",
                false,
                Some("current_timestamp"),
            ),
            (Some("NULL"), "text", "", true, None),
            (None, "text", "", false, None),
            (Some("'draft'"), "varchar(20)", "", true, Some("'draft'")),
            (Some("draft"), "varchar(20)", "", false, Some("'draft'")),
            (Some("it's"), "varchar(20)", "", false, Some("'it''s'")),
            (Some("0"), "integer", "", true, Some("0")),
            (Some("0"), "integer", "", false, Some("0")),
            (Some("1"), "boolean", "", true, Some("true")),
            (Some("1"), "boolean", "", false, Some("true")),
        ] {
            assert_eq!(
                default(raw, ty, extra, mariadb).as_deref(),
                want,
                "{raw:?} {mariadb}"
            );
        }
    }

    #[test]
    fn checks() {
        assert_eq!(check("`price` > 0"), "price > 0");
        assert_eq!(check("(`price` > 0)"), "price > 0");
    }
}
