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
//!
//! # The canonical form (checksum format 1)
//!
//! The checksum is the lowercase hex SHA-256 of these bytes, token by token, depth first:
//!
//! | token | bytes |
//! |---|---|
//! | identifier | `i`, its UTF-8 length as 4 bytes little-endian, its text |
//! | literal | `l`, its length as 4 bytes little-endian, its text as written (quotes, suffix) |
//! | punctuation | `p`, the character in UTF-8 (`->` is `p-p>`; spacing never counts) |
//! | group | `(` `[` `{` (`<` for an invisible group), its tokens, `)` `]` `}` (`>`) |
//! | skipped | a doc attribute (`#[doc = …]`, `#![doc = …]`), a `,` that ends a group, a `,` right after a `{ … }` group |
//!
//! So `Ok(())` is `i\x02\0\0\0Ok(())`. The unit tests pin golden values computed from
//! hand-written canonical bytes with `printf … | sha256sum`. Changing any rule changes the
//! checksum of every revision ever applied: that needs a new [`FORMAT`] (stored per row in the
//! version table's `checksum_format`, `migrate_core::version_table::CHECKSUM_FORMAT`), never
//! an edit of this one.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use sha2::{Digest, Sha256};

/// The checksum format [`sha256_hex`] implements (the module documentation's canonical
/// form); `migrate_core::version_table::CHECKSUM_FORMAT` must be the same number.
#[allow(dead_code)] // documentation and the tests' anchor; the runtime side stores it
pub(crate) const FORMAT: i32 = 1;

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

    /// Fixed revision sources with their checksums. The golden values are not our output:
    /// each is `sha256sum` of the canonical bytes written out by hand (see [`CANONICAL`]).
    const FIXED: [(&str, &str); 3] = [
        (
            "mod revision { pub async fn upgrade(db: &mut Db) -> Result<()> { db.sql(\"CREATE TABLE t (id INT)\").await?; Ok(()) } }",
            "0a9683898fb737e5ee89a66ffc893a026edc9c4a8cda1670592ebfea179255bc",
        ),
        // docs, comments, a trailing comma and other spacing: the same canonical bytes
        (
            "/// Doc.\nmod revision {\n    //! inner\n    pub async fn upgrade(\n        db: &mut Db,\n    ) -> Result<()> {\n        // comment\n        db.sql(\"CREATE TABLE t (id INT)\").await?;\n        Ok(())\n    }\n}\n",
            "0a9683898fb737e5ee89a66ffc893a026edc9c4a8cda1670592ebfea179255bc",
        ),
        // commas after match-arm blocks and at the end of a group are skipped
        (
            "mod revision { fn f(x: u8) { match x { 1 => {}, 2 => {}, } } }",
            "f7d412f255abef2884176c29d5995b0ce8071c41dbf8e5967f99ddd2bc9c03ff",
        ),
    ];

    /// The canonical bytes of `FIXED[0]` (also `FIXED[1]`) and `FIXED[2]`, written by hand from
    /// the module documentation's table as `printf` formats (octal escapes).
    const CANONICAL: [&str; 2] = [
        r#"i\003\000\000\000modi\010\000\000\000revision{i\003\000\000\000pubi\005\000\000\000asynci\002\000\000\000fni\007\000\000\000upgrade(i\002\000\000\000dbp:p&i\003\000\000\000muti\002\000\000\000Db)p-p>i\006\000\000\000Resultp<()p>{i\002\000\000\000dbp.i\003\000\000\000sql(l\031\000\000\000"CREATE TABLE t (id INT)")p.i\005\000\000\000awaitp?p;i\002\000\000\000Ok(())}}"#,
        r#"i\003\000\000\000modi\010\000\000\000revision{i\002\000\000\000fni\001\000\000\000f(i\001\000\000\000xp:i\002\000\000\000u8){i\005\000\000\000matchi\001\000\000\000x{l\001\000\000\0001p=p>{}l\001\000\000\0002p=p>{}}}}"#,
    ];

    #[test]
    fn golden_checksums_of_fixed_revisions() {
        assert_eq!(super::FORMAT, 1, "a new format needs new golden values");
        for (src, golden) in FIXED {
            assert_eq!(sum(src), golden, "{src}");
        }
    }

    #[test]
    fn golden_values_are_sha256sum_of_the_canonical_bytes() {
        // recomputed here by a shell pipeline, so a golden value cannot drift from the form
        for (canonical, golden) in CANONICAL.iter().zip([FIXED[0].1, FIXED[2].1]) {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg("printf \"$1\" | sha256sum")
                .arg("sh")
                .arg(canonical)
                .output()
                .expect("sh and sha256sum (coreutils) run");
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(text.split_whitespace().next(), Some(golden), "{canonical}");
        }
    }

    #[test]
    fn literal_text_counts() {
        assert_ne!(sum("f(\"a\")"), sum("f(\"b\")"));
        assert_ne!(sum("f(ab)"), sum("f(a b)"));
        assert_ne!(sum("f(\"ab\")"), sum("f(\"a\" \"b\")"));
    }
}
