//! The revision checksum: SHA-256 over a canonical walk of the module's tokens.
//!
//! The walk sees tokens, not text, so whitespace and comments never count. On top of that
//! it skips what formatting and documentation change without changing the code:
//!
//! - doc attributes (`#[doc = …]` / `#![doc = …]`, which is what `///` and `//!` comments
//!   become);
//! - the spacing of punctuation (rustfmt turns `x=-1` into `x = -1`, which changes whether
//!   `=` is joint with `-`);
//! - a comma that ends a group (trailing commas come and go with line breaks) and a comma
//!   right after a `{ … }` block (rustfmt drops it after match arm blocks).
//!
//! Everything else counts: identifiers, literals as written, punctuation characters and
//! delimiters. Known gap: rustfmt's reordering of `use` lists changes the checksum.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of the canonical walk of `tokens`.
pub(crate) fn sha256_hex(tokens: &TokenStream) -> String {
    let mut hasher = Sha256::new();
    walk(tokens.clone(), &mut hasher);
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push(char::from_digit(u32::from(b >> 4), 16).expect("nibble"));
        hex.push(char::from_digit(u32::from(b & 0xf), 16).expect("nibble"));
    }
    hex
}

fn walk(tokens: TokenStream, h: &mut Sha256) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                let mut j = i + 1;
                if let Some(TokenTree::Punct(bang)) = tokens.get(j)
                    && bang.as_char() == '!'
                {
                    j += 1;
                }
                if let Some(TokenTree::Group(g)) = tokens.get(j)
                    && g.delimiter() == Delimiter::Bracket
                    && is_doc(g.stream())
                {
                    i = j + 1;
                    continue;
                }
                punct(h, '#');
            }
            TokenTree::Punct(p) if p.as_char() == ',' => {
                let ends_group = i + 1 == tokens.len();
                let after_block = i > 0
                    && matches!(&tokens[i - 1], TokenTree::Group(g) if g.delimiter() == Delimiter::Brace);
                if !ends_group && !after_block {
                    punct(h, ',');
                }
            }
            TokenTree::Punct(p) => punct(h, p.as_char()),
            TokenTree::Ident(ident) => text(h, b'i', &ident.to_string()),
            TokenTree::Literal(lit) => text(h, b'l', &lit.to_string()),
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => (b'(', b')'),
                    Delimiter::Bracket => (b'[', b']'),
                    Delimiter::Brace => (b'{', b'}'),
                    Delimiter::None => (b'<', b'>'),
                };
                h.update([open]);
                walk(g.stream(), h);
                h.update([close]);
            }
        }
        i += 1;
    }
}

/// `doc = …`: the inside of a doc attribute.
fn is_doc(attr: TokenStream) -> bool {
    let mut it = attr.into_iter();
    matches!(
        (it.next(), it.next()),
        (Some(TokenTree::Ident(i)), Some(TokenTree::Punct(p))) if i == "doc" && p.as_char() == '='
    )
}

fn punct(h: &mut Sha256, c: char) {
    let mut buf = [0u8; 5];
    buf[0] = b'p';
    let n = c.encode_utf8(&mut buf[1..]).len();
    h.update(&buf[..=n]);
}

/// A tag, the length, then the text: unambiguous however texts are concatenated.
fn text(h: &mut Sha256, tag: u8, s: &str) {
    h.update([tag]);
    h.update((s.len() as u32).to_le_bytes());
    h.update(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::sha256_hex;
    use std::str::FromStr;

    fn sum(src: &str) -> String {
        sha256_hex(&proc_macro2::TokenStream::from_str(src).expect("lexes"))
    }

    #[test]
    fn formatting_and_docs_do_not_count() {
        let base = sum(
            "mod revision { pub async fn upgrade(db: &mut Db) -> Result<()> { let x = -1; match x { 1 => { f() } _ => {} } Ok(()) } }",
        );
        let same = [
            "/// doc\nmod revision {\n    //! inner doc\n    // comment\n    pub async fn upgrade(\n        db: &mut Db,\n    ) -> Result<()> {\n        let x=-1;\n        match x {\n            1 => {\n                f()\n            },\n            _ => {},\n        }\n        /* block */ Ok(())\n    }\n}",
            "#[doc = \"x\"] mod revision { #![doc = \"y\"] pub async fn upgrade(db: &mut Db,) -> Result<()> { let x = - 1; match x { 1 => { f() } _ => {} } Ok(()) } }",
        ];
        for s in same {
            assert_eq!(sum(s), base, "{s}");
        }
        let different = [
            "mod revision { pub async fn upgrade(db: &mut Db) -> Result<()> { let x = -2; match x { 1 => { f() } _ => {} } Ok(()) } }",
            "mod revision { pub async fn upgrade(db: &mut Db) -> Result<()> { let x = -1; match x { 1 => { g() } _ => {} } Ok(()) } }",
            "mod revision { async fn upgrade(db: &mut Db) -> Result<()> { let x = -1; match x { 1 => { f() } _ => {} } Ok(()) } }",
            "#[allow(unused)] mod revision { pub async fn upgrade(db: &mut Db) -> Result<()> { let x = -1; match x { 1 => { f() } _ => {} } Ok(()) } }",
            "mod revision { pub async fn upgrade(db: &mut Db) -> Result<()> { let x = -1; match x { 1 => [ f() ] _ => {} } Ok(()) } }",
        ];
        for s in different {
            assert_ne!(sum(s), base, "{s}");
        }
        assert_eq!(base.len(), 64);
        assert!(
            base.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }

    #[test]
    fn literal_text_counts() {
        assert_ne!(sum("f(\"a\")"), sum("f(\"b\")"));
        assert_ne!(sum("f(ab)"), sum("f(a b)"));
        assert_ne!(sum("f(\"ab\")"), sum("f(\"a\" \"b\")"));
    }
}
