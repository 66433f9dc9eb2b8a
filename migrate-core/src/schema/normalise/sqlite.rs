//! SQLite's spellings: the declared type text of `pragma_table_info` (any text: SQLite keeps
//! what the `CREATE TABLE` said and derives a type affinity from it), `dflt_value` as
//! written, and constraints that exist only in the table's `CREATE TABLE` text (checks).

use super::{canonical_type, expression, type_text};

/// The normalised declared type: lower case, whitespace collapsed, [`canonical_type`]'s
/// aliases. The declared text is kept rather than reduced to its affinity: `INT PRIMARY KEY`
/// and `INTEGER PRIMARY KEY` differ (only the latter is a rowid alias). [`affinity`] gives
/// the affinity.
pub fn column_type(raw: &str) -> String {
    // `int` stays `int`: `canonical_type` would make it `integer`, a rowid alias
    let t = canonical_type(raw);
    if type_text(raw).starts_with("int")
        && !type_text(raw).starts_with("integer")
        && t.starts_with("integer")
    {
        return type_text(raw).replace(" (", "(");
    }
    t
}

/// The normalised type of a column as a schema comparison should see it: [`column_type`],
/// then spellings that declare the same column on SQLite made one.
///
/// - sea-query's SQLite names for types SQLite lacks (`date_text`, `time_text`,
///   `datetime_text`, `timestamp_text`, `timestamp_with_timezone_text`, `uuid_text`,
///   `json_text`, `jsonb_text`, `enum_text`; `real(p, s)` and `real_decimal` for a decimal)
///   read as the type they name (`date`, …, `timestamptz`, `uuid`, `json`, `jsonb`, `text`,
///   `numeric(p,s)`), and `datetime` as `timestamp`: a migration written by hand says `DATE`
///   or `DATETIME` where sea-query says `date_text`, and sqlx stores the same text in both
///   (an ISO date or a UUID is not a number, so no affinity converts it).
/// - An integer type of a column that is not the table's only primary-key column
///   (`rowid_candidate` false) is `integer`: `INT`, `BIGINT`, `SMALLINT`, `INT8`, … all have
///   INTEGER affinity and store the same values (sea-query itself writes `integer` for
///   `big_integer()`). The only primary-key column keeps its spelling, since only an
///   `INTEGER PRIMARY KEY` is an alias of the rowid.
pub fn comparable_type(raw: &str, rowid_candidate: bool) -> String {
    let t = column_type(raw);
    let named = match t.as_str() {
        "date_text" => Some("date"),
        "time_text" => Some("time"),
        "datetime_text" | "timestamp_text" | "datetime" => Some("timestamp"),
        "timestamp_with_timezone_text" => Some("timestamptz"),
        "uuid_text" => Some("uuid"),
        "json_text" => Some("json"),
        "jsonb_text" => Some("jsonb"),
        "enum_text" => Some("text"),
        "real_decimal" => Some("numeric"),
        _ => None,
    };
    if let Some(n) = named {
        return n.to_owned();
    }
    if let Some(rest) = t.strip_prefix("real(")
        && rest.contains(',')
    {
        return format!("numeric({rest}");
    }
    if !rowid_candidate {
        let base = t.split('(').next().unwrap_or(&t).trim();
        if matches!(
            base,
            "int"
                | "integer"
                | "tinyint"
                | "smallint"
                | "mediumint"
                | "bigint"
                | "int2"
                | "int4"
                | "int8"
                | "unsigned big int"
                | "integer unsigned"
                | "int unsigned"
                | "bigint unsigned"
        ) {
            return "integer".to_owned();
        }
    }
    t
}

/// SQLite's type affinity of a declared type, by the rules of "Datatypes In SQLite" §3.1:
/// `INTEGER` if it contains `INT`; `TEXT` if `CHAR`, `CLOB` or `TEXT`; `BLOB` if `BLOB` or
/// empty; `REAL` if `REAL`, `FLOA` or `DOUB`; else `NUMERIC`.
pub fn affinity(declared: &str) -> &'static str {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        "INTEGER"
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        "TEXT"
    } else if t.contains("BLOB") || t.trim().is_empty() {
        "BLOB"
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        "REAL"
    } else {
        "NUMERIC"
    }
}

/// The normalised default from `dflt_value` (the text of the `DEFAULT` clause).
pub fn default(raw: Option<&str>, ty: &str) -> Option<String> {
    super::default(raw, ty)
}

/// Whether a `CREATE TABLE` text declares `AUTOINCREMENT` (outside string literals and
/// quoted names).
pub fn has_autoincrement(create_sql: &str) -> bool {
    tokens(create_sql)
        .iter()
        .any(|t| !t.quoted && t.text.eq_ignore_ascii_case("autoincrement"))
}

/// The `CHECK` constraints of a `CREATE TABLE` text: `(name, expression)` with the
/// expression normalised and the name of a `CONSTRAINT name CHECK (…)`, else `None`.
pub fn checks(create_sql: &str) -> Vec<(Option<String>, String)> {
    let tokens = tokens(create_sql);
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if !t.text.eq_ignore_ascii_case("check") || t.quoted {
            continue;
        }
        let Some(open) = tokens.get(i + 1).filter(|n| n.text == "(") else {
            continue;
        };
        // the balanced parentheses after CHECK
        let mut depth = 0;
        let mut end = None;
        for n in &tokens[i + 1..] {
            match n.text.as_str() {
                "(" if !n.quoted => depth += 1,
                ")" if !n.quoted => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(n.start);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { continue };
        let body = &create_sql[open.start + 1..end];
        let name = (i >= 2
            && tokens[i - 2].text.eq_ignore_ascii_case("constraint")
            && !tokens[i - 2].quoted)
            .then(|| unquote(&tokens[i - 1].text));
        out.push((name, expression(body)));
    }
    out
}

/// The predicate of a partial index's `CREATE INDEX` text (after its top-level `WHERE`),
/// normalised; `None` without one.
pub fn index_predicate(create_sql: &str) -> Option<String> {
    let tokens = tokens(create_sql);
    let mut depth = 0i32;
    for t in &tokens {
        match t.text.as_str() {
            "(" if !t.quoted => depth += 1,
            ")" if !t.quoted => depth -= 1,
            w if depth == 0 && !t.quoted && w.eq_ignore_ascii_case("where") => {
                return Some(expression(&create_sql[t.start + t.text.len()..]));
            }
            _ => {}
        }
    }
    None
}

/// The key parts of a `CREATE INDEX` text: the text between its first top-level parentheses
/// split at top-level commas, each normalised (`lower(email)` stays an expression, a
/// column stays its name, `x DESC` becomes `x desc`).
pub fn index_parts(create_sql: &str) -> Vec<String> {
    let tokens = tokens(create_sql);
    let mut depth = 0i32;
    let mut start = None;
    let mut parts = Vec::new();
    for t in &tokens {
        if t.quoted {
            continue;
        }
        match t.text.as_str() {
            "(" => {
                depth += 1;
                if depth == 1 {
                    start = Some(t.start + 1);
                }
            }
            ")" => {
                depth -= 1;
                if depth == 0 {
                    if let Some(s) = start {
                        parts.push(expression(&create_sql[s..t.start]));
                    }
                    break;
                }
            }
            "," if depth == 1 => {
                if let Some(s) = start {
                    parts.push(expression(&create_sql[s..t.start]));
                }
                start = Some(t.start + 1);
            }
            _ => {}
        }
    }
    parts
}

fn unquote(s: &str) -> String {
    let t = s.trim();
    for (a, b) in [('"', '"'), ('`', '`'), ('[', ']'), ('\'', '\'')] {
        if let Some(inner) = t.strip_prefix(a).and_then(|r| r.strip_suffix(b)) {
            return inner.to_owned();
        }
    }
    t.to_owned()
}

struct Token {
    text: String,
    start: usize,
    quoted: bool,
}

/// A minimal SQL tokenizer: words, quoted strings/identifiers (kept as one token), single
/// punctuation characters; comments skipped.
fn tokens(sql: &str) -> Vec<Token> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if matches!(c, b'\'' | b'"' | b'`' | b'[') {
            let close = if c == b'[' { b']' } else { c };
            let start = i;
            i += 1;
            while i < b.len() {
                if b[i] == close {
                    if close != b']' && b.get(i + 1) == Some(&close) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            out.push(Token {
                text: sql[start..i].to_owned(),
                start,
                quoted: true,
            });
        } else if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                i += 1;
            }
            out.push(Token {
                text: sql[start..i].to_owned(),
                start,
                quoted: false,
            });
        } else {
            out.push(Token {
                text: (c as char).to_string(),
                start: i,
                quoted: false,
            });
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_affinity() {
        for (raw, want, aff) in [
            ("INTEGER", "integer", "INTEGER"),
            ("int", "int", "INTEGER"),
            ("VARCHAR(255)", "varchar(255)", "TEXT"),
            ("varchar ( 255 )", "varchar(255)", "TEXT"),
            ("TEXT", "text", "TEXT"),
            ("BOOLEAN", "boolean", "NUMERIC"),
            ("bool", "boolean", "NUMERIC"),
            ("REAL", "real", "REAL"),
            ("DOUBLE", "double precision", "REAL"),
            ("BLOB", "blob", "BLOB"),
            ("", "", "BLOB"),
            ("DECIMAL(10,2)", "numeric(10,2)", "NUMERIC"),
            ("timestamp_text", "timestamp_text", "TEXT"),
        ] {
            assert_eq!(column_type(raw), want, "{raw}");
            assert_eq!(affinity(raw), aff, "{raw}");
        }
    }

    #[test]
    fn comparable_types() {
        for (raw, rowid_candidate, want) in [
            ("date_text", false, "date"),
            ("DATE", false, "date"),
            ("datetime_text", false, "timestamp"),
            ("DATETIME", false, "timestamp"),
            ("TIMESTAMP", false, "timestamp"),
            ("timestamp_with_timezone_text", false, "timestamptz"),
            ("time_text", false, "time"),
            ("uuid_text", false, "uuid"),
            ("jsonb_text", false, "jsonb"),
            ("json_text", false, "json"),
            ("real(10, 2)", false, "numeric(10,2)"),
            ("DECIMAL(10,2)", false, "numeric(10,2)"),
            ("REAL", false, "real"),
            ("BIGINT", false, "integer"),
            ("INT", false, "integer"),
            ("int(11)", false, "integer"),
            ("UNSIGNED BIG INT", false, "integer"),
            ("tinyint", false, "integer"),
            ("INTEGER", false, "integer"),
            // the rowid alias question: only `integer` is one
            ("INT", true, "int"),
            ("BIGINT", true, "bigint"),
            ("INTEGER", true, "integer"),
            ("VARCHAR(20)", false, "varchar(20)"),
            ("point", false, "point"),
        ] {
            assert_eq!(comparable_type(raw, rowid_candidate), want, "{raw}");
        }
    }

    #[test]
    fn checks_in_create_table() {
        let sql = "CREATE TABLE \"t\" (id INTEGER PRIMARY KEY AUTOINCREMENT, \
                   price REAL CHECK (price > 0), note TEXT DEFAULT 'check (x)', \
                   CONSTRAINT \"ck_two\" CHECK ((a < b) AND (c)))";
        assert_eq!(
            checks(sql),
            [
                (None, "price > 0".to_owned()),
                (Some("ck_two".to_owned()), "(a < b) and (c)".to_owned())
            ]
        );
        assert!(has_autoincrement(sql));
        assert!(!has_autoincrement(
            "CREATE TABLE t (note TEXT DEFAULT 'autoincrement')"
        ));
    }

    #[test]
    fn index_text() {
        let sql =
            "CREATE UNIQUE INDEX ix ON t (lower(email), \"Name\" DESC) WHERE deleted_at IS NULL";
        assert_eq!(index_parts(sql), ["lower(email)", "Name desc"]);
        assert_eq!(index_predicate(sql).as_deref(), Some("deleted_at is null"));
        assert_eq!(index_predicate("CREATE INDEX ix ON t (a)"), None);
    }

    #[test]
    fn defaults() {
        assert_eq!(default(Some("'draft'"), "text").as_deref(), Some("'draft'"));
        assert_eq!(
            default(Some("CURRENT_TIMESTAMP"), "timestamp").as_deref(),
            Some("current_timestamp")
        );
        assert_eq!(default(Some("TRUE"), "boolean").as_deref(), Some("true"));
        assert_eq!(default(Some("NULL"), "text"), None);
    }
}
