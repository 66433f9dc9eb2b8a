//! Parsing: the attribute's arguments (through `migrate_core::source::parse_args`, the parser
//! the CLI and the registry use too) and the item it is on.

use migrate_core::source::{self, MigrationArgs};
use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::spanned::Spanned;

use crate::valid::FUNCTIONS;

/// The revision module `#[migration]` is on.
pub(crate) struct RevisionMod {
    /// The module's name (`revision` in generated files).
    pub ident: syn::Ident,
    /// The signatures of the module's top-level `fn upgrade` and `fn downgrade` (in
    /// [`FUNCTIONS`] order), the first of each name; `None` when there is none.
    pub functions: [Option<syn::Signature>; 2],
}

/// `#[migration(...)]`'s arguments.
pub(crate) fn args(tokens: TokenStream) -> syn::Result<MigrationArgs> {
    source::parse_args(tokens)
}

/// The item must be an inline module: `mod revision { … }`.
///
/// Reads only what the attribute needs: the module's name and the signatures of its
/// top-level `upgrade` and `downgrade`, from the module's top-level tokens ([`shallow`]),
/// without parsing the bodies: the compiler parses them anyway, and a revision's bodies are
/// most of its tokens (this runs once per revision on every build of the crate). Anything
/// that does not have the plain shape is parsed whole with `syn`, as before, for its
/// messages.
pub(crate) fn item(tokens: TokenStream) -> syn::Result<RevisionMod> {
    if let Some(module) = shallow(&tokens) {
        return Ok(module);
    }
    let item: syn::Item = syn::parse2(tokens)?;
    let (span, what) = match item {
        syn::Item::Mod(m) => {
            return match m.content {
                Some((_, items)) => Ok(RevisionMod {
                    ident: m.ident,
                    functions: FUNCTIONS.map(|name| {
                        items.iter().find_map(|item| match item {
                            syn::Item::Fn(f) if f.sig.ident == name => Some(f.sig.clone()),
                            _ => None,
                        })
                    }),
                }),
                None => Err(syn::Error::new(
                    m.semi.map_or_else(|| m.ident.span(), |s| s.span),
                    format!(
                        "`#[migration]` needs an inline module body: `mod {} {{ … }}`, not a \
                         module loaded from another file",
                        m.ident
                    ),
                )),
            };
        }
        syn::Item::Fn(f) => (f.sig.fn_token.span, "a function"),
        syn::Item::Struct(s) => (s.struct_token.span, "a struct"),
        syn::Item::Enum(e) => (e.enum_token.span, "an enum"),
        syn::Item::Const(c) => (c.const_token.span, "a constant"),
        syn::Item::Static(s) => (s.static_token.span, "a static"),
        syn::Item::Impl(i) => (i.impl_token.span, "an impl block"),
        syn::Item::Trait(t) => (t.trait_token.span, "a trait"),
        syn::Item::Use(u) => (u.use_token.span, "a use declaration"),
        other => (other.span(), "this item"),
    };
    Err(error_not_on_mod(span, what))
}

fn error_not_on_mod(span: Span, what: &str) -> syn::Error {
    syn::Error::new(
        span,
        format!(
            "`#[migration]` goes on an inline `mod revision {{ … }}` holding `async fn upgrade` \
             and `async fn downgrade`, not on {what}"
        ),
    )
}

/// `[#[attr]…] [pub[(…)]] mod NAME { … }`, read from the top-level tokens: the module's name
/// and the signatures of its top-level `fn upgrade` / `fn downgrade`, each parsed alone with
/// `syn`. `None` when the item has another shape or a signature does not parse (the caller
/// then parses the whole item with `syn`, which reports the error).
fn shallow(tokens: &TokenStream) -> Option<RevisionMod> {
    let tokens: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut i = 0;
    // outer attributes
    while let (Some(TokenTree::Punct(p)), Some(TokenTree::Group(g))) =
        (tokens.get(i), tokens.get(i + 1))
    {
        if p.as_char() != '#' || g.delimiter() != Delimiter::Bracket {
            return None;
        }
        i += 2;
    }
    if matches!(tokens.get(i), Some(TokenTree::Ident(v)) if v == "pub") {
        i += 1;
        if matches!(tokens.get(i), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis)
        {
            i += 1;
        }
    }
    let (
        Some(TokenTree::Ident(kw)),
        Some(TokenTree::Ident(name)),
        Some(TokenTree::Group(body)),
        None,
    ) = (
        tokens.get(i),
        tokens.get(i + 1),
        tokens.get(i + 2),
        tokens.get(i + 3),
    )
    else {
        return None;
    };
    if kw != "mod" || body.delimiter() != Delimiter::Brace {
        return None;
    }
    let ident: syn::Ident = syn::parse2(TokenTree::Ident(name.clone()).into()).ok()?;
    let items: Vec<TokenTree> = body.stream().into_iter().collect();
    let mut functions = [None, None];
    for (k, name) in FUNCTIONS.iter().enumerate() {
        let at = items.windows(2).position(|w| {
            matches!((&w[0], &w[1]), (TokenTree::Ident(f), TokenTree::Ident(n)) if f == "fn" && n == name)
        });
        if let Some(at) = at {
            functions[k] = Some(signature(&items, at)?);
        }
    }
    Some(RevisionMod { ident, functions })
}

/// The signature of the function whose `fn` is `items[at]`: the qualifiers before it
/// (`const`, `async`, `unsafe`, `extern "abi"`, `safe`) up to the body's braces, parsed with
/// `syn`. `None` when there is no body or it does not parse.
fn signature(items: &[TokenTree], at: usize) -> Option<syn::Signature> {
    let mut start = at;
    while start > 0 {
        match &items[start - 1] {
            TokenTree::Ident(q)
                if q == "async"
                    || q == "unsafe"
                    || q == "const"
                    || q == "extern"
                    || q == "safe" => {}
            TokenTree::Literal(_) if matches!(items.get(start.wrapping_sub(2)), Some(TokenTree::Ident(e)) if e == "extern") =>
                {}
            _ => break,
        }
        start -= 1;
    }
    // the body: the first brace group outside `<…>` (a const generic's `{ N }` is inside)
    let mut depth = 0usize;
    let mut end = at;
    for (k, t) in items.iter().enumerate().skip(at) {
        end = k;
        match t {
            TokenTree::Punct(p) if p.as_char() == '<' => depth += 1,
            TokenTree::Punct(p)
                if p.as_char() == '>'
                    && !matches!(&items[k - 1], TokenTree::Punct(m) if m.as_char() == '-') =>
            {
                depth = depth.saturating_sub(1);
            }
            TokenTree::Punct(p) if p.as_char() == ';' => break,
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace && depth == 0 => break,
            _ => {}
        }
        end = k + 1;
    }
    // no body (`fn upgrade();`): not a function item to `syn` either; the full parse decides
    if !matches!(items.get(end), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace) {
        return None;
    }
    let sig: TokenStream = items[start..end].iter().cloned().collect();
    syn::parse2(sig).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;
    use std::str::FromStr;

    fn sigs(m: &RevisionMod) -> Vec<Option<String>> {
        m.functions
            .iter()
            .map(|s| s.as_ref().map(|s| s.to_token_stream().to_string()))
            .collect()
    }

    /// The full parse, as `item` did it before the shallow reader.
    fn full(src: &str) -> RevisionMod {
        let syn::Item::Mod(m) = syn::parse_str(src).expect("parses") else {
            panic!("a module")
        };
        let items = m.content.expect("inline").1;
        RevisionMod {
            ident: m.ident,
            functions: FUNCTIONS.map(|name| {
                items.iter().find_map(|item| match item {
                    syn::Item::Fn(f) if f.sig.ident == name => Some(f.sig.clone()),
                    _ => None,
                })
            }),
        }
    }

    #[test]
    fn shallow_reads_what_the_full_parse_reads() {
        for src in [
            "mod revision { use x::*; pub async fn upgrade(db: &mut Db) -> Result<()> { Ok(()) } pub async fn downgrade(db: &mut Db) -> Result<()> { Ok(()) } }",
            "#[allow(unused)] /// doc\n pub(crate) mod r#revision { async fn upgrade(db: &mut Db) -> Result<()> { let f = |x| -> u8 { x }; Ok(()) } }",
            "mod m { const fn helper() {} impl X { fn upgrade(&self) {} } unsafe extern \"C\" fn downgrade<T: Fn() -> u8>(a: T, b: u8) -> Result<(), E> where T: Copy { todo!() } }",
            "mod m { fn downgrade(x: [u8; { 1 + 1 }]) -> Foo<{ N }> {} }",
            "mod m { macro_rules! m { () => { fn upgrade() {} } } struct S { f: fn(u8) } }",
        ] {
            let tokens = TokenStream::from_str(src).expect("lexes");
            let shallow = shallow(&tokens).unwrap_or_else(|| panic!("shallow reads {src}"));
            let full = full(src);
            assert_eq!(shallow.ident, full.ident, "{src}");
            assert_eq!(sigs(&shallow), sigs(&full), "{src}");
        }
    }

    #[test]
    fn other_shapes_go_to_the_full_parse() {
        for src in [
            "fn upgrade() {}",
            "mod revision;",
            "unsafe mod revision {}",
            "mod revision {} struct S;",
            "#![inner] mod revision {}",
            // no body: `syn` does not read it as a function (the full parse says "missing")
            "mod revision { pub fn upgrade(); }",
        ] {
            let tokens = TokenStream::from_str(src).expect("lexes");
            assert!(shallow(&tokens).is_none(), "{src}");
        }
        // the messages are the full parse's
        let err = item(TokenStream::from_str("mod revision;").expect("lexes"))
            .err()
            .expect("an error");
        assert!(err.to_string().contains("inline module body"), "{err}");
    }
}
