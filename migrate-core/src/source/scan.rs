//! The byte scanner behind [`parse_file`](super::parse_file): exactly enough of Rust's
//! lexical grammar to walk the top-level tokens of a file, skipping comments, literals and
//! delimited groups.

use std::ops::Range;

use super::file::SourceError;

/// A top-level token, as far as [`parse_file`] cares.
pub(super) enum Tok<'a> {
    Eof,
    /// The text of a `//!` line after the `//!`.
    InnerDoc(&'a str),
    /// A `///` line or `/** */` block: belongs to the next item.
    OuterDoc,
    /// `#[…]` or `#![…]`; `content` is the range between the brackets.
    Attr {
        start: usize,
        inner: bool,
        content: Range<usize>,
    },
    Ident(&'a str),
    /// A delimited group, already skipped.
    Group(u8),
    /// Any other punctuation character.
    Punct,
    Literal,
}

pub(super) struct LexError {
    pos: usize,
    message: String,
}

impl LexError {
    pub(super) fn into_source(self, text: &str) -> SourceError {
        let line = 1 + text.as_bytes()[..self.pos.min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        SourceError::Lex {
            line,
            message: self.message,
        }
    }
}

/// A byte scanner that understands exactly enough of Rust's lexical grammar to skip
/// comments, literals and delimited groups.
pub(super) struct Scanner<'a> {
    pub(super) s: &'a [u8],
    pub(super) pos: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

const BORING: u8 = 0;
const WORD: u8 = 1;
const SPECIAL: u8 = 2;

/// Byte classes for [`Scanner::skip_group`]: identifier and number bytes (`WORD`), bytes that
/// may open or close a group, a literal or a comment (`SPECIAL`), and the rest.
static CLASS: [u8; 256] = {
    let mut t = [BORING; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80 {
            t[i] = WORD;
        }
        i += 1;
    }
    t[b'(' as usize] = SPECIAL;
    t[b')' as usize] = SPECIAL;
    t[b'[' as usize] = SPECIAL;
    t[b']' as usize] = SPECIAL;
    t[b'{' as usize] = SPECIAL;
    t[b'}' as usize] = SPECIAL;
    t[b'/' as usize] = SPECIAL;
    t[b'"' as usize] = SPECIAL;
    t[b'\'' as usize] = SPECIAL;
    t
};

impl<'a> Scanner<'a> {
    fn peek(&self, ahead: usize) -> u8 {
        self.s.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn text(&self, from: usize, to: usize) -> &'a str {
        // Only called on boundaries of ASCII bytes or at ends of runs of ident bytes.
        std::str::from_utf8(&self.s[from..to]).unwrap_or("")
    }

    fn err<T>(&self, pos: usize, message: impl Into<String>) -> Result<T, LexError> {
        Err(LexError {
            pos,
            message: message.into(),
        })
    }

    /// The next top-level token; groups are skipped whole.
    pub(super) fn next(&mut self) -> Result<Tok<'a>, LexError> {
        loop {
            let b = self.peek(0);
            match b {
                0 if self.pos >= self.s.len() => return Ok(Tok::Eof),
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'/' if self.peek(1) == b'/' => {
                    let start = self.pos;
                    let end = self.s[start..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(self.s.len(), |i| start + i);
                    self.pos = end;
                    if self.peek_at(start + 2) == b'!' {
                        return Ok(Tok::InnerDoc(self.text(start + 3, end)));
                    }
                    if self.peek_at(start + 2) == b'/' && self.peek_at(start + 3) != b'/' {
                        return Ok(Tok::OuterDoc);
                    }
                }
                b'/' if self.peek(1) == b'*' => {
                    let doc = self.peek(2) == b'*' && self.peek(3) != b'*' && self.peek(3) != b'/';
                    self.skip_block_comment()?;
                    if doc {
                        return Ok(Tok::OuterDoc);
                    }
                }
                b'#' => {
                    let start = self.pos;
                    self.pos += 1;
                    let inner = self.peek(0) == b'!';
                    let save = self.pos;
                    if inner {
                        self.pos += 1;
                    }
                    self.skip_trivia()?;
                    if self.peek(0) == b'[' {
                        self.pos += 1;
                        let content_start = self.pos;
                        self.skip_group(b'[')?;
                        return Ok(Tok::Attr {
                            start,
                            inner,
                            content: content_start..self.pos - 1,
                        });
                    }
                    self.pos = save;
                    return Ok(Tok::Punct);
                }
                b'(' | b'[' | b'{' => {
                    self.pos += 1;
                    self.skip_group(b)?;
                    return Ok(Tok::Group(b));
                }
                b')' | b']' | b'}' => {
                    return self.err(
                        self.pos,
                        format!("unexpected closing delimiter `{}`", b as char),
                    );
                }
                b'"' => {
                    self.pos += 1;
                    self.skip_quoted(b'"')?;
                    return Ok(Tok::Literal);
                }
                b'\'' => {
                    self.skip_quote_or_lifetime()?;
                    return Ok(Tok::Literal);
                }
                b'0'..=b'9' => {
                    while is_ident_continue(self.peek(0)) {
                        self.pos += 1;
                    }
                    return Ok(Tok::Literal);
                }
                b if is_ident_start(b) => {
                    let start = self.pos;
                    if self.skip_ident_or_prefixed_literal()? {
                        return Ok(Tok::Literal);
                    }
                    return Ok(Tok::Ident(self.text(start, self.pos)));
                }
                _ => {
                    self.pos += 1;
                    return Ok(Tok::Punct);
                }
            }
        }
    }

    fn peek_at(&self, pos: usize) -> u8 {
        self.s.get(pos).copied().unwrap_or(0)
    }

    /// A `// …` comment, up to (not including) its newline or the end of the input.
    fn skip_line_comment(&mut self) {
        self.pos = self.s[self.pos..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(self.s.len(), |i| self.pos + i);
    }

    /// Whitespace and comments.
    fn skip_trivia(&mut self) -> Result<(), LexError> {
        loop {
            match self.peek(0) {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'/' if self.peek(1) == b'/' => self.skip_line_comment(),
                b'/' if self.peek(1) == b'*' => self.skip_block_comment()?,
                _ => return Ok(()),
            }
        }
    }

    /// At `/*`: skips a (nested) block comment.
    fn skip_block_comment(&mut self) -> Result<(), LexError> {
        let start = self.pos;
        self.pos += 2;
        let mut depth = 1usize;
        while depth > 0 {
            match (self.peek(0), self.peek(1)) {
                (0, _) if self.pos >= self.s.len() => {
                    return self.err(start, "unterminated block comment");
                }
                (b'/', b'*') => {
                    depth += 1;
                    self.pos += 2;
                }
                (b'*', b'/') => {
                    depth -= 1;
                    self.pos += 2;
                }
                _ => self.pos += 1,
            }
        }
        Ok(())
    }

    /// After an opening quote: skips to just past the closing `quote`, honouring escapes.
    fn skip_quoted(&mut self, quote: u8) -> Result<(), LexError> {
        let start = self.pos - 1;
        loop {
            match self.peek(0) {
                0 if self.pos >= self.s.len() => {
                    return self.err(start, "unterminated string literal");
                }
                b'\\' => self.pos += 2,
                c if c == quote => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => self.pos += 1,
            }
        }
    }

    /// At `r`/`br`/`cr` + `#`* + `"` (after the prefix): skips a raw string.
    fn skip_raw(&mut self, start: usize) -> Result<(), LexError> {
        let mut hashes = 0;
        while self.peek(0) == b'#' {
            hashes += 1;
            self.pos += 1;
        }
        if self.peek(0) != b'"' {
            return self.err(start, "malformed raw string literal");
        }
        self.pos += 1;
        loop {
            match self.peek(0) {
                0 if self.pos >= self.s.len() => {
                    return self.err(start, "unterminated raw string literal");
                }
                b'"' => {
                    self.pos += 1;
                    let mut n = 0;
                    while n < hashes && self.peek(0) == b'#' {
                        n += 1;
                        self.pos += 1;
                    }
                    if n == hashes {
                        return Ok(());
                    }
                }
                _ => self.pos += 1,
            }
        }
    }

    /// At `'`: a char literal (`'a'`, `'\n'`, `'{'`) or a lifetime / label (`'a`).
    fn skip_quote_or_lifetime(&mut self) -> Result<(), LexError> {
        let start = self.pos;
        self.pos += 1;
        if self.peek(0) == b'\\' {
            return self.skip_quoted(b'\'');
        }
        // one UTF-8 character, then `'` makes it a char literal
        let width = match self.peek(0) {
            0 if self.pos >= self.s.len() => {
                return self.err(start, "unterminated character literal");
            }
            b if b < 0x80 => 1,
            b if b >= 0xf0 => 4,
            b if b >= 0xe0 => 3,
            _ => 2,
        };
        if self.peek(width) == b'\'' {
            self.pos += width + 1;
            return Ok(());
        }
        while is_ident_continue(self.peek(0)) {
            self.pos += 1;
        }
        Ok(())
    }

    /// At an identifier start: skips an identifier, or a literal with a prefix (`b"…"`,
    /// `b'…'`, `c"…"`, raw strings). Returns true for a literal.
    fn skip_ident_or_prefixed_literal(&mut self) -> Result<bool, LexError> {
        let start = self.pos;
        while is_ident_continue(self.peek(0)) {
            self.pos += 1;
        }
        let word = &self.s[start..self.pos];
        match (word, self.peek(0)) {
            (b"r" | b"br" | b"cr", b'"') => self.skip_raw(start).map(|()| true),
            (b"r" | b"br" | b"cr", b'#') => {
                if word == b"r" && is_ident_start(self.peek(1)) {
                    // raw identifier `r#name`
                    self.pos += 1;
                    while is_ident_continue(self.peek(0)) {
                        self.pos += 1;
                    }
                    return Ok(false);
                }
                self.skip_raw(start).map(|()| true)
            }
            (b"b" | b"c", b'"') => {
                self.pos += 1;
                self.skip_quoted(b'"').map(|()| true)
            }
            (b"b", b'\'') => {
                self.pos += 1;
                self.skip_quoted(b'\'').map(|()| true)
            }
            _ => Ok(false),
        }
    }

    /// After an opening delimiter: skips to just past its matching close.
    fn skip_group(&mut self, open: u8) -> Result<(), LexError> {
        let mut stack: Vec<(u8, usize)> = Vec::with_capacity(16);
        stack.push((open, self.pos - 1));
        while let Some(&(top, opened)) = stack.last() {
            // the hot loop: most bytes are neither delimiters nor literal or comment starts
            while let Some(&b) = self.s.get(self.pos) {
                match CLASS[b as usize] {
                    BORING => self.pos += 1,
                    WORD => {
                        let start = self.pos;
                        self.pos += 1;
                        while self
                            .s
                            .get(self.pos)
                            .is_some_and(|&b| CLASS[b as usize] == WORD)
                        {
                            self.pos += 1;
                        }
                        // `r"…"`, `br#"…"#`, `b'…'`, `c"…"`, `r#ident`
                        if self.pos - start <= 2 && matches!(self.peek(0), b'"' | b'#' | b'\'') {
                            self.pos = start;
                            self.skip_ident_or_prefixed_literal()?;
                        }
                    }
                    _ => break,
                }
            }
            let b = self.peek(0);
            match b {
                0 if self.pos >= self.s.len() => {
                    return self.err(opened, format!("unclosed delimiter `{}`", top as char));
                }
                b'(' | b'[' | b'{' => {
                    stack.push((b, self.pos));
                    self.pos += 1;
                }
                b')' | b']' | b'}' => {
                    let expected = match top {
                        b'(' => b')',
                        b'[' => b']',
                        _ => b'}',
                    };
                    if b != expected {
                        return self.err(
                            self.pos,
                            format!(
                                "mismatched closing delimiter `{}` for `{}`",
                                b as char, top as char
                            ),
                        );
                    }
                    stack.pop();
                    self.pos += 1;
                }
                b'/' if self.peek(1) == b'/' => self.skip_line_comment(),
                b'/' if self.peek(1) == b'*' => self.skip_block_comment()?,
                b'"' => {
                    self.pos += 1;
                    self.skip_quoted(b'"')?;
                }
                b'\'' => self.skip_quote_or_lifetime()?,
                _ => self.pos += 1,
            }
        }
        Ok(())
    }

    /// After a migration attribute: further outer attributes, then `pub`/`pub(…)`, then
    /// `mod NAME { … }`. `first` is the first token after the attribute. Returns the module
    /// name, or `None` when the item is something else.
    pub(super) fn inline_mod(&mut self, first: Tok<'a>) -> Result<Option<String>, LexError> {
        let mut tok = first;
        while let Tok::Attr { inner: false, .. } | Tok::OuterDoc = tok {
            tok = self.next()?;
        }
        if let Tok::Ident("pub") = tok {
            tok = self.next()?;
            if let Tok::Group(b'(') = tok {
                tok = self.next()?;
            }
        }
        if !matches!(tok, Tok::Ident("mod")) {
            return Ok(None);
        }
        let name = match self.next()? {
            Tok::Ident(name) => name.strip_prefix("r#").unwrap_or(name).to_owned(),
            _ => return Ok(None),
        };
        self.skip_trivia()?;
        if self.peek(0) != b'{' {
            return Ok(None);
        }
        self.pos += 1;
        self.skip_group(b'{')?;
        Ok(Some(name))
    }
}
