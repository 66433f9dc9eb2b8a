//! PostgreSQL's spellings: `format_type()` names (`character varying(255)`,
//! `timestamp without time zone`), `pg_get_expr()` defaults with casts (`'draft'::character
//! varying`) and `nextval('t_id_seq'::regclass)` for serial columns, `pg_get_constraintdef()`
//! checks (`CHECK ((price > 0))`).

use super::{canonical_type, expression};

/// The normalised type of a `format_type(atttypid, atttypmod)` name: `character varying(n)` →
/// `varchar(n)`, `character(n)` → `char(n)`, `timestamp without time zone` → `timestamp`,
/// `timestamp with time zone` → `timestamptz`, `time with(out) time zone` →
/// `timetz`/`time`, `bit varying` → `varbit`, then [`canonical_type`].
pub fn column_type(raw: &str) -> String {
    let t = super::type_text(raw);
    let (t, array) = match t.strip_suffix("[]") {
        Some(b) => (b.to_owned(), "[]"),
        None => (t, ""),
    };
    // `timestamp(3) without time zone`: the precision sits before the zone words
    let zone = |t: &str, base: &str, with: &str| -> Option<String> {
        let rest = t.strip_prefix(base)?;
        let (prec, words) = match rest.find(')') {
            Some(i) if rest.starts_with('(') => (&rest[..=i], rest[i + 1..].trim()),
            _ => ("", rest.trim()),
        };
        match words {
            "without time zone" | "" => Some(format!("{base}{prec}")),
            "with time zone" => Some(format!("{with}{prec}")),
            _ => None,
        }
    };
    let t = if let Some(z) = zone(&t, "timestamp", "timestamptz") {
        z
    } else if let Some(z) = zone(&t, "time", "timetz") {
        z
    } else if let Some(rest) = t.strip_prefix("character varying") {
        format!("varchar{rest}")
    } else if let Some(rest) = t.strip_prefix("character") {
        format!("char{rest}")
    } else if let Some(rest) = t.strip_prefix("bit varying") {
        format!("varbit{rest}")
    } else if t == "bpchar" {
        "char".to_owned()
    } else {
        t
    };
    format!("{}{array}", canonical_type(&t))
}

/// What a `pg_get_expr(adbin, adrelid)` default means: `(default, auto_increment)`. A
/// `nextval('…'::regclass)` default is a serial column's: no default, auto-increment.
/// Casts are dropped (`'draft'::character varying` → `'draft'`), then the shared
/// [`super::default`] applies for the column's normalised type `ty`.
pub fn default(raw: Option<&str>, ty: &str) -> (Option<String>, bool) {
    match raw {
        Some(r) if r.trim_start().to_ascii_lowercase().starts_with("nextval(") => (None, true),
        Some(r) => (super::default(Some(&strip_casts(r)), ty), false),
        None => (None, false),
    }
}

/// A `pg_get_constraintdef()` check (`CHECK ((price > 0))`, `CHECK (…) NOT VALID`) as its
/// normalised expression, casts dropped.
pub fn check(def: &str) -> String {
    let d = def.trim();
    let d = d.strip_suffix("NOT VALID").unwrap_or(d).trim();
    let d = d
        .strip_prefix("CHECK")
        .or_else(|| d.strip_prefix("check"))
        .unwrap_or(d);
    expr(d)
}

/// Any normalised PostgreSQL expression (index expressions and predicates, view and trigger
/// definitions): casts dropped, then [`expression`].
pub fn expr(def: &str) -> String {
    unwrap_atoms(&expression(&strip_casts(def)))
}

/// Removes the parentheses PostgreSQL leaves around a single literal or name once its cast
/// is gone (`score >= (0)::numeric` → `score >= (0)` → `score >= 0`); a function call's
/// parentheses (`now()`, `f(x)`) stay.
pub fn unwrap_atoms(sql: &str) -> String {
    let mut s = sql.to_owned();
    loop {
        let b = s.as_bytes();
        let mut found = None;
        let mut in_str = false;
        for (i, &c) in b.iter().enumerate() {
            if c == b'\'' {
                in_str = !in_str;
            }
            if in_str || c != b'(' {
                continue;
            }
            let call = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
            if call {
                continue;
            }
            let Some(len) = s[i + 1..].find(')') else {
                continue;
            };
            let inner = &s[i + 1..i + 1 + len];
            let atom = !inner.is_empty()
                && !inner.contains(['(', ' ', ','])
                && (inner.starts_with('\'') == inner.ends_with('\''))
                && inner
                    .chars()
                    .all(|c| c.is_alphanumeric() || "_.'-".contains(c));
            if atom {
                found = Some((i, i + 1 + len));
                break;
            }
        }
        match found {
            Some((open, close)) => {
                s.replace_range(close..=close, "");
                s.replace_range(open..=open, "");
            }
            None => return strip_outer_parens_owned(s),
        }
    }
}

fn strip_outer_parens_owned(s: String) -> String {
    super::strip_outer_parens(&s).to_owned()
}

/// Removes `::type` casts outside string literals (`'a'::character varying` → `'a'`,
/// `x::text[]` → `x`). The type may be several words (`timestamp without time zone`), carry
/// a modifier (`numeric(10,2)`) and array brackets.
pub fn strip_casts(sql: &str) -> String {
    const TYPE_WORDS: [&str; 6] = ["varying", "precision", "without", "with", "time", "zone"];
    let mut out = String::with_capacity(sql.len());
    let b = sql.as_bytes();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            out.push(c as char);
            if c == b'\'' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        if c == b'\'' {
            in_str = true;
            out.push('\'');
            i += 1;
            continue;
        }
        if c == b':' && b.get(i + 1) == Some(&b':') {
            i += 2;
            // the type name: a possibly quoted identifier, possibly schema-qualified
            loop {
                let start = i;
                if b.get(i) == Some(&b'"') {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        i += 1;
                    }
                    i += 1;
                } else {
                    while i < b.len()
                        && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.')
                    {
                        i += 1;
                    }
                }
                // a modifier `(…)` and array brackets
                if b.get(i) == Some(&b'(') {
                    while i < b.len() && b[i] != b')' {
                        i += 1;
                    }
                    i += 1;
                }
                while b.get(i) == Some(&b'[') && b.get(i + 1) == Some(&b']') {
                    i += 2;
                }
                // a following type word continues the name (`character varying`)
                let rest = &sql[i.min(sql.len())..];
                let next = rest.trim_start();
                let word: String = next
                    .chars()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .collect::<String>()
                    .to_ascii_lowercase();
                if i > start && TYPE_WORDS.contains(&word.as_str()) {
                    i += rest.len() - next.len();
                    continue;
                }
                break;
            }
            continue;
        }
        // copy one UTF-8 character
        let ch = sql[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types() {
        for (raw, want) in [
            ("character varying(255)", "varchar(255)"),
            ("character varying", "varchar"),
            ("character(1)", "char(1)"),
            ("timestamp without time zone", "timestamp"),
            ("timestamp(3) without time zone", "timestamp(3)"),
            ("timestamp with time zone", "timestamptz"),
            ("time without time zone", "time"),
            ("integer", "integer"),
            ("bigint", "bigint"),
            ("numeric(10,2)", "numeric(10,2)"),
            ("double precision", "double precision"),
            ("boolean", "boolean"),
            ("text[]", "text[]"),
            ("character varying(20)[]", "varchar(20)[]"),
            ("USER-DEFINED", "user-defined"),
        ] {
            assert_eq!(column_type(raw), want, "{raw}");
        }
    }

    #[test]
    fn defaults() {
        for (raw, ty, want) in [
            (
                Some("nextval('users_id_seq'::regclass)"),
                "integer",
                (None, true),
            ),
            (
                Some("'draft'::character varying"),
                "varchar(20)",
                (Some("'draft'"), false),
            ),
            (Some("'{}'::jsonb"), "jsonb", (Some("'{}'"), false)),
            (
                Some("now()"),
                "timestamptz",
                (Some("current_timestamp"), false),
            ),
            (
                Some("CURRENT_TIMESTAMP"),
                "timestamp",
                (Some("current_timestamp"), false),
            ),
            (Some("false"), "boolean", (Some("false"), false)),
            (Some("'0'::numeric"), "numeric(10,2)", (Some("0"), false)),
            (Some("(-1)"), "integer", (Some("-1"), false)),
            (Some("'a'::status"), "status", (Some("'a'"), false)),
            (None, "text", (None, false)),
        ] {
            let got = default(raw, ty);
            assert_eq!((got.0.as_deref(), got.1), (want.0, want.1), "{raw:?}");
        }
    }

    #[test]
    fn checks_and_casts() {
        assert_eq!(check("CHECK ((price > 0))"), "price > 0");
        assert_eq!(
            check("CHECK ((price > (0)::numeric)) NOT VALID"),
            "price > 0"
        );
        assert_eq!(expr("(status)::text = 'a'::text"), "status = 'a'");
        assert_eq!(expr("lower((email)::text)"), "lower(email)");
        assert_eq!(expr("f((1 + 2))"), "f((1 + 2))");
        assert_eq!(
            strip_casts(
                "(status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])"
            ),
            "(status) = ANY ((ARRAY['a', 'b']))"
        );
        assert_eq!(strip_casts("'x::y'::text"), "'x::y'");
        assert_eq!(strip_casts("now()::timestamp without time zone"), "now()");
    }
}
