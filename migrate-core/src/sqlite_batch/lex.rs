//! A small SQLite lexer, enough to take a `CREATE TABLE` statement apart without losing a
//! byte of the parts we keep: identifiers (plain, `"…"`, `` `…` ``, `[…]`), string and blob
//! literals, numbers, punctuation, with comments and blanks skipped.

use std::ops::Range;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A bare word: a keyword or an unquoted identifier.
    Word,
    /// A quoted identifier.
    Quoted,
    /// A string or blob literal.
    Str,
    /// A number.
    Number,
    /// Any other character (`(`, `)`, `,`, operators).
    Punct,
}

/// One token: its kind and where it is in the text.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    pub(crate) range: Range<usize>,
}

/// The tokens of `sql` (comments and blanks left out).
pub(crate) fn tokens(sql: &str) -> Vec<Token> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let kind = match c {
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i = (i + 2).min(b.len());
                continue;
            }
            b'\'' | b'"' | b'`' | b'[' => {
                let close = if c == b'[' { b']' } else { c };
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
                if c == b'\'' { Kind::Str } else { Kind::Quoted }
            }
            b'x' | b'X' if b.get(i + 1) == Some(&b'\'') => {
                i += 2;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
                i = (i + 1).min(b.len());
                Kind::Str
            }
            c if c.is_ascii_digit()
                || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
                Kind::Number
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'$'
                        || b[i] >= 0x80)
                {
                    i += 1;
                }
                Kind::Word
            }
            _ => {
                i += sql[i..].chars().next().map_or(1, char::len_utf8);
                Kind::Punct
            }
        };
        out.push(Token {
            kind,
            range: start..i,
        });
    }
    out
}

impl Token {
    /// The token's text.
    pub(crate) fn text<'a>(&self, sql: &'a str) -> &'a str {
        &sql[self.range.clone()]
    }

    /// Whether the token is the keyword `kw` (any case).
    pub(crate) fn is(&self, sql: &str, kw: &str) -> bool {
        self.kind == Kind::Word && self.text(sql).eq_ignore_ascii_case(kw)
    }

    /// Whether the token is the punctuation `p`.
    pub(crate) fn is_punct(&self, sql: &str, p: &str) -> bool {
        self.kind == Kind::Punct && self.text(sql) == p
    }

    /// An identifier's name: quotes removed (and doubled quotes undone).
    pub(crate) fn name(&self, sql: &str) -> String {
        unquote(self.text(sql))
    }
}

/// `"a""b"` → `a"b`, `[x]` → `x`, `` `x` `` → `x`; anything else as it is.
pub(crate) fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    if s.len() >= 2 {
        match (b[0], b[s.len() - 1]) {
            (b'"', b'"') => return s[1..s.len() - 1].replace("\"\"", "\""),
            (b'`', b'`') => return s[1..s.len() - 1].replace("``", "`"),
            (b'[', b']') => return s[1..s.len() - 1].to_owned(),
            (b'\'', b'\'') => return s[1..s.len() - 1].replace("''", "'"),
            _ => {}
        }
    }
    s.to_owned()
}

/// `name` as a double-quoted SQLite identifier.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `s` as a SQL string literal.
pub(crate) fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The index of the `)` that closes the `(` at `open` in `toks`.
pub(crate) fn matching_paren(sql: &str, toks: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if t.is_punct(sql, "(") {
            depth += 1;
        } else if t.is_punct(sql, ")") {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// Tokens `toks[from..to]` as a normalised string: one blank between tokens, keywords and
/// unquoted names in lower case, quotes removed from identifiers (to compare two
/// definitions written differently).
pub(crate) fn normalized(sql: &str, toks: &[Token]) -> String {
    toks.iter()
        .map(|t| match t.kind {
            Kind::Word => t.text(sql).to_ascii_lowercase(),
            Kind::Quoted => t.name(sql).to_ascii_lowercase(),
            _ => t.text(sql).to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexes_identifiers_literals_and_comments() {
        let sql = "CREATE TABLE \"a\"\"b\" ( [c d] int -- x\n, 'it''s' /* y */ x'00', 1.5)";
        let t = tokens(sql);
        let texts: Vec<&str> = t.iter().map(|t| t.text(sql)).collect();
        assert_eq!(
            texts,
            [
                "CREATE",
                "TABLE",
                "\"a\"\"b\"",
                "(",
                "[c d]",
                "int",
                ",",
                "'it''s'",
                "x'00'",
                ",",
                "1.5",
                ")"
            ]
        );
        assert_eq!(t[2].name(sql), "a\"b");
        assert_eq!(t[4].name(sql), "c d");
        assert_eq!(matching_paren(sql, &t, 3), Some(11));
    }
}
