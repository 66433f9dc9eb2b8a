//! Normalisation: the per-backend spellings of types, defaults and expressions turned into
//! one canonical spelling, so that equal schemas compare equal (zero false positives).
//!
//! Pure functions on strings, no IO: the introspection calls them on what a catalogue
//! returns, and a declared schema goes through the same functions. The backend quirks are in
//! one file per backend ([`sqlite`], [`postgres`], [`mysql`]); what they share is here:
//!
//! - [`expression`]: SQL keywords and identifiers in lower case outside string literals,
//!   whitespace collapsed, quotes around identifiers dropped, redundant outer parentheses
//!   removed;
//! - [`default`]: an expression, with `NULL` meaning no default, the current-time spellings
//!   (`now()`, `CURRENT_TIMESTAMP`, `current_timestamp()`) made one, and a boolean column's
//!   `1`/`0`/`TRUE` made `true`/`false`;
//! - [`canonical_type`]: aliases every backend shares (`int` → `integer`, `decimal` →
//!   `numeric`, `bool` → `boolean`, …).

pub mod mysql;
pub mod postgres;
pub mod sqlite;

/// Normalises a SQL expression: lower case outside string literals, identifier quotes
/// (`"x"`, `` `x` ``) removed, whitespace collapsed to single spaces (none after `(` or
/// before `)` and `,`; one after `,`), one space either side of a binary operator and none
/// after a sign (`1+2` → `1 + 2`, `- 1` → `-1`), redundant parentheses around the whole
/// removed.
pub fn expression(sql: &str) -> String {
    normalise(sql, true)
}

/// A type's text as [`expression`] normalises it, but with operator characters left as
/// written (`USER-DEFINED` stays one word).
pub fn type_text(sql: &str) -> String {
    normalise(sql, false)
}

fn normalise(sql: &str, space_operators: bool) -> String {
    let mut glue = false;
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.trim().chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            pending_space = !glue;
            continue;
        }
        glue = false;
        let space_ok = !matches!(c, ')' | ',') && !out.ends_with('(') && !out.is_empty();
        if pending_space && space_ok {
            out.push(' ');
        }
        pending_space = false;
        match c {
            '\'' => {
                // a string literal, kept as written ('' is an escaped quote)
                out.push('\'');
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == '\'' {
                        if chars.peek() == Some(&'\'') {
                            out.push(chars.next().expect("peeked"));
                        } else {
                            break;
                        }
                    }
                }
            }
            '"' | '`' => {
                // a quoted identifier: its name, quotes dropped, case kept
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                    out.push(d);
                }
            }
            ',' => {
                out.push(',');
                pending_space = true;
            }
            c if space_operators && OPERATOR_CHARS.contains(c) => {
                // an operator: the whole run of operator characters
                let mut op = String::from(c);
                while let Some(&d) = chars.peek() {
                    if !OPERATOR_CHARS.contains(d) {
                        break;
                    }
                    op.push(d);
                    chars.next();
                }
                match operator(&mut out, &op) {
                    Next::Space => pending_space = true,
                    Next::Glue => glue = true,
                    Next::AsWritten => {}
                }
            }
            _ => out.extend(c.to_lowercase()),
        }
    }
    strip_outer_parens(&out).to_owned()
}

/// The characters operators are made of.
const OPERATOR_CHARS: &str = "+-*/%<>=!|";

/// The binary operators [`expression`] spaces (`a+b` → `a + b`).
const BINARY: [&str; 13] = [
    "+", "-", "*", "/", "%", "=", "<", ">", "<=", ">=", "<>", "!=", "||",
];

/// What comes after an operator.
enum Next {
    /// One space.
    Space,
    /// No space: a sign is glued to its operand.
    Glue,
    /// As written.
    AsWritten,
}

/// Writes the operator run `op` to `out` with one space either side when it is a binary
/// operator (`1+2` and `1 + 2` read alike), glued to its operand when it is a sign (`-1`,
/// `(-x)`, `= -1`, `*`'s `count(*)`); anything else (`->>`, `@>`, …) as written.
fn operator(out: &mut String, op: &str) -> Next {
    let after_operand = out
        .trim_end()
        .chars()
        .last()
        .is_some_and(|c| !matches!(c, '(' | ',') && !OPERATOR_CHARS.contains(c));
    let spaced = |out: &mut String, op: &str| {
        while out.ends_with(' ') {
            out.pop();
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(op);
    };
    if !after_operand && (op == "-" || op == "+" || op == "*") {
        // a sign, or `count(*)`
        out.push_str(op);
        return Next::Glue;
    }
    if BINARY.contains(&op) {
        spaced(out, op);
        return Next::Space;
    }
    // a binary operator followed by a sign: `=-1`, `*-2`
    if let Some(sign) = op.chars().last().filter(|c| matches!(c, '-' | '+'))
        && BINARY.contains(&&op[..op.len() - 1])
    {
        spaced(out, &op[..op.len() - 1]);
        out.push(' ');
        out.push(sign);
        return Next::Glue;
    }
    out.push_str(op);
    Next::AsWritten
}

/// `s` without parentheses that enclose all of it (`((a > 0))` → `a > 0`); `(a) + (b)` is
/// left alone.
pub fn strip_outer_parens(mut s: &str) -> &str {
    loop {
        let t = s.trim();
        if !(t.starts_with('(') && t.ends_with(')') && encloses(t)) {
            return t;
        }
        s = &t[1..t.len() - 1];
    }
}

/// Whether the `(` at the start of `s` closes at its last character (string literals skipped).
fn encloses(s: &str) -> bool {
    let mut depth = 0usize;
    let mut in_str = false;
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if in_str {
            if b == b'\'' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'\'' => in_str = true,
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i == bytes.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

/// Normalises a column default given the column's normalised type: `None` for no default
/// and for `NULL`; the current time as `current_timestamp` (from `now()`,
/// `CURRENT_TIMESTAMP`, `current_timestamp()`), likewise `current_date`/`current_time`; a
/// boolean column's `1`/`'1'`/`TRUE` as `true` and `0`/`'0'`/`FALSE` as `false`; a numeric
/// literal without the quotes a catalogue may add (`'5'` → `5` on a numeric column).
pub fn default(raw: Option<&str>, ty: &str) -> Option<String> {
    let e = expression(raw?);
    if e.is_empty() || e == "null" {
        return None;
    }
    let e = match e.as_str() {
        "now()"
        | "current_timestamp()"
        | "localtimestamp"
        | "localtimestamp()"
        | "transaction_timestamp()" => "current_timestamp".to_owned(),
        "current_date()" | "curdate()" => "current_date".to_owned(),
        "current_time()" | "curtime()" => "current_time".to_owned(),
        _ => e,
    };
    if ty == "boolean" {
        match e.as_str() {
            "1" | "'1'" | "true" | "'t'" | "'true'" => return Some("true".into()),
            "0" | "'0'" | "false" | "'f'" | "'false'" => return Some("false".into()),
            _ => {}
        }
    }
    if is_numeric_type(ty)
        && let Some(inner) = e.strip_prefix('\'').and_then(|s| s.strip_suffix('\''))
        && !inner.is_empty()
        && inner.parse::<f64>().is_ok()
    {
        return Some(inner.to_owned());
    }
    Some(e)
}

/// Whether a normalised type is a number type (integers, `numeric`, floats).
pub fn is_numeric_type(ty: &str) -> bool {
    let base = ty.split(['(', ' ']).next().unwrap_or(ty);
    matches!(
        base,
        "integer"
            | "bigint"
            | "smallint"
            | "tinyint"
            | "mediumint"
            | "numeric"
            | "real"
            | "double"
            | "float"
    ) || ty.starts_with("double precision")
}

/// Canonical spelling of a type every backend shares: lower case, whitespace collapsed, no
/// space before `(`, and the aliases `int`/`int4` → `integer`, `int8` → `bigint`, `int2` →
/// `smallint`, `decimal` → `numeric`, `bool` → `boolean`, `float8`/`double` →
/// `double precision`, `float4` → `real`. Length and precision are kept (`varchar(255)`,
/// `numeric(10,2)`).
pub fn canonical_type(raw: &str) -> String {
    let t = type_text(raw).replace(" (", "(").replace(", ", ",");
    let (base, rest) = match t.find(['(', ' ', '[']) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t.as_str(), ""),
    };
    let base = match base {
        "int" | "int4" | "integer" => "integer",
        "int8" => "bigint",
        "int2" => "smallint",
        "decimal" | "dec" => "numeric",
        "bool" => "boolean",
        "float8" => "double precision",
        "double" if !rest.starts_with(" precision") => "double precision",
        "float4" => "real",
        other => other,
    };
    format!("{base}{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        for (raw, want) in [
            ("((price > 0))", "price > 0"),
            ("(a) + (b)", "(a) + (b)"),
            ("  \"Price\"   >  0 ", "Price > 0"),
            ("`price` > 0", "price > 0"),
            ("LOWER( email )", "lower(email)"),
            ("'It''s' = Name", "'It''s' = name"),
            ("f(a ,b)", "f(a, b)"),
            ("'A  B'", "'A  B'"),
            ("('(')", "'('"),
            ("1+2", "1 + 2"),
            ("1 + 2", "1 + 2"),
            ("(1+2)", "1 + 2"),
            ("-1", "-1"),
            ("- 1", "-1"),
            ("a=-1", "a = -1"),
            ("a = - 1", "a = -1"),
            ("x>=0 AND y<>1", "x >= 0 and y <> 1"),
            ("a||b", "a || b"),
            ("count(*)", "count(*)"),
            ("f(-2, +3)", "f(-2, +3)"),
            ("data->>'k'", "data->>'k'"),
            ("price*2 > 10", "price * 2 > 10"),
            ("'a+b'", "'a+b'"),
        ] {
            assert_eq!(expression(raw), want, "{raw}");
        }
    }

    #[test]
    fn defaults() {
        for (raw, ty, want) in [
            (None, "text", None),
            (Some("NULL"), "text", None),
            (Some("now()"), "timestamptz", Some("current_timestamp")),
            (
                Some("CURRENT_TIMESTAMP"),
                "timestamp",
                Some("current_timestamp"),
            ),
            (
                Some("current_timestamp()"),
                "timestamp",
                Some("current_timestamp"),
            ),
            (Some("1"), "boolean", Some("true")),
            (Some("'0'"), "boolean", Some("false")),
            (Some("TRUE"), "boolean", Some("true")),
            (Some("'5'"), "integer", Some("5")),
            (Some("'5'"), "text", Some("'5'")),
            (Some("('draft')"), "text", Some("'draft'")),
        ] {
            assert_eq!(default(raw, ty).as_deref(), want, "{raw:?} {ty}");
        }
    }

    #[test]
    fn types() {
        for (raw, want) in [
            ("INT", "integer"),
            ("int4", "integer"),
            ("DECIMAL(10, 2)", "numeric(10,2)"),
            ("VARCHAR (255)", "varchar(255)"),
            ("bool", "boolean"),
            ("double", "double precision"),
            ("double precision", "double precision"),
            ("integer[]", "integer[]"),
        ] {
            assert_eq!(canonical_type(raw), want, "{raw}");
        }
    }
}
