//! A statement as a list of words, for the MySQL and SQLite rules: keywords (upper-cased),
//! quoted names (unquoted), string literals and punctuation; comments and blanks dropped.
//! A lexer only: the rules match short keyword sequences, there is no grammar.

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok {
    /// An unquoted word (keyword, name or number), upper-cased.
    Word(String),
    /// A quoted name (`` `x` `` or `"x"`), unquoted.
    Quoted(String),
    /// A string literal's content (`'…'`).
    Str(String),
    /// Any other character (`(`, `)`, `,`, `=`, …).
    Punct(char),
}

impl Tok {
    /// Whether this is the unquoted keyword `kw` (upper-case).
    pub(super) fn is(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w == kw)
    }

    /// Whether this is the punctuation `c`.
    pub(super) fn punct(&self, c: char) -> bool {
        matches!(self, Tok::Punct(p) if *p == c)
    }

    /// A name, lower-cased for comparison (unquoted words are case-insensitive).
    pub(super) fn name(&self) -> Option<String> {
        match self {
            Tok::Word(w) => Some(w.to_lowercase()),
            Tok::Quoted(q) => Some(q.to_lowercase()),
            _ => None,
        }
    }
}

/// The tokens of one statement.
pub(super) fn tokens(sql: &str) -> Vec<Tok> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'\'' | b'"' | b'`' => {
                let mut text = Vec::new();
                i += 1;
                while i < b.len() {
                    if c == b'\'' && b[i] == b'\\' && i + 1 < b.len() {
                        text.push(b[i + 1]);
                        i += 2;
                        continue;
                    }
                    if b[i] == c {
                        if b.get(i + 1) == Some(&c) {
                            text.push(c);
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    text.push(b[i]);
                    i += 1;
                }
                i += 1;
                let text = String::from_utf8_lossy(&text).into_owned();
                out.push(if c == b'\'' {
                    Tok::Str(text)
                } else {
                    Tok::Quoted(text)
                });
            }
            c if c.is_ascii_whitespace() => i += 1,
            c if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 => {
                let start = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'$'
                        || b[i] >= 0x80)
                {
                    i += 1;
                }
                out.push(Tok::Word(sql[start..i].to_ascii_uppercase()));
            }
            c => {
                out.push(Tok::Punct(c as char));
                i += 1;
            }
        }
    }
    out
}

/// `toks` split at the commas outside parentheses.
pub(super) fn top_level_commas(toks: &[Tok]) -> Vec<&[Tok]> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => depth -= 1,
            Tok::Punct(',') if depth == 0 => {
                out.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&toks[start..]);
    out
}

/// The statement's kind: `CREATE TABLE t`, `ALTER TABLE t`, … as (verb, object, name), the
/// name lower-cased and without its schema. `IF [NOT] EXISTS`, `TEMPORARY` and `UNIQUE`
/// are skipped.
pub(super) fn head(toks: &[Tok]) -> Option<(&str, &str, Option<String>, usize)> {
    let Tok::Word(verb) = toks.first()? else {
        return None;
    };
    let mut i = 1;
    while toks.get(i).is_some_and(|t| {
        t.is("TEMPORARY") || t.is("TEMP") || t.is("UNIQUE") || t.is("ONLINE") || t.is("IGNORE")
    }) {
        i += 1;
    }
    let Tok::Word(object) = toks.get(i)? else {
        return None;
    };
    i += 1;
    while toks
        .get(i)
        .is_some_and(|t| t.is("IF") || t.is("NOT") || t.is("EXISTS"))
    {
        i += 1;
    }
    let mut name = toks.get(i).and_then(Tok::name);
    i += 1;
    // schema.table
    if toks.get(i).is_some_and(|t| t.punct('.')) {
        name = toks.get(i + 1).and_then(Tok::name);
        i += 2;
    }
    Some((verb.as_str(), object.as_str(), name, i))
}

/// Whether the tokens hold `NOT NULL`.
pub(super) fn has_not_null(toks: &[Tok]) -> bool {
    toks.windows(2).any(|w| w[0].is("NOT") && w[1].is("NULL"))
}

/// Whether any token is one of the keywords.
pub(super) fn has_any(toks: &[Tok], kws: &[&str]) -> bool {
    toks.iter().any(|t| kws.iter().any(|k| t.is(k)))
}
