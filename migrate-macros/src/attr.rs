//! Parsing: the attribute's arguments (through `migrate_core::source::parse_args`, the parser
//! the CLI and the registry use too) and the item it is on.

use migrate_core::source::{self, MigrationArgs};
use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;

/// The revision module `#[migration]` is on.
pub(crate) struct RevisionMod {
    /// The module's name (`revision` in generated files).
    pub ident: syn::Ident,
    /// The module's items.
    pub items: Vec<syn::Item>,
}

/// `#[migration(...)]`'s arguments.
pub(crate) fn args(tokens: TokenStream) -> syn::Result<MigrationArgs> {
    source::parse_args(tokens)
}

/// The item must be an inline module: `mod revision { … }`.
pub(crate) fn item(tokens: TokenStream) -> syn::Result<RevisionMod> {
    let item: syn::Item = syn::parse2(tokens)?;
    let (span, what) = match item {
        syn::Item::Mod(m) => {
            return match m.content {
                Some((_, items)) => Ok(RevisionMod {
                    ident: m.ident,
                    items,
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
