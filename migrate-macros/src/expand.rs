//! Emitting `#[migration]`: the module unchanged plus two wrappers inside it, and next to
//! it their re-export and the `__MIGRATE_CHECKSUM` constant.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};

use crate::attr;
use crate::checksum;
use crate::valid::{self, Ctxt, FUNCTIONS, Function};

/// `#[migration(args)] item`.
pub(crate) fn migration(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::new();
    let args = attr::args(args).map_err(|e| cx.push(e)).ok();
    let module = attr::item(item.clone()).map_err(|e| cx.push(e)).ok();
    let functions = module.as_ref().map(|m| valid::check(m, &mut cx));
    let errors = cx.check().err().map(|e| e.to_compile_error());
    match (args, module, functions) {
        // Complete, or only `upgrade` / `downgrade` are wrong: the constant is still emitted
        // (with stub wrappers for the wrong functions) so `migrations!()` compiles and the
        // user sees the one error above, not a cascade.
        (Some(_), Some(module), Some(functions)) => {
            let mut out = revision(&module.ident, &functions, item);
            out.extend(errors);
            out
        }
        // The arguments or the item are wrong: the item unchanged, and the errors.
        // (`migrations!()` reads the same arguments and leaves this revision out.)
        _ => {
            let mut out = item;
            out.extend(errors);
            out
        }
    }
}

fn revision(module: &Ident, functions: &[Option<Function>; 2], item: TokenStream) -> TokenStream {
    let checksum = checksum::sha256_hex(&item);
    let wrappers: TokenStream = FUNCTIONS
        .iter()
        .zip(functions)
        .map(|(name, f)| wrapper(name, f.as_ref()))
        .collect();
    let item = append_to_module(item, wrappers);
    // The attribute's arguments are not repeated here: `migrations!()` reads them from the
    // file with the same parser and writes the `Revision` itself (fewer items per revision,
    // BENCHMARKS.md "W5"); what only the tokens give is the checksum.
    quote! {
        #item
        #[doc(hidden)]
        pub use #module::{__migrate_downgrade, __migrate_upgrade};
        #[doc(hidden)]
        pub const __MIGRATE_CHECKSUM: &str = #checksum;
    }
}

/// `fn __migrate_upgrade(db: &mut Db) -> BoxFuture<'_>`: boxes the future of `upgrade`
/// directly (no extra `async` block), spanned at the user's return type so a wrong
/// return type or a future that is not `Send` is reported there. A stub when the user's
/// function is invalid (its error is reported already).
fn wrapper(name: &str, f: Option<&Function>) -> TokenStream {
    let wrapper = format_ident!("__migrate_{}", name);
    let (param, body) = match f {
        Some(f) => {
            let user = Ident::new(name, f.output_span);
            let db = Ident::new("db", Span::call_site());
            (
                db.clone(),
                quote_spanned!(f.output_span=> ::std::boxed::Box::pin(#user(#db))),
            )
        }
        None => (
            Ident::new("_db", Span::call_site()),
            quote!(::core::unreachable!()),
        ),
    };
    quote! {
        #[doc(hidden)]
        pub fn #wrapper(#param: &mut ::migrate_core::Db) -> ::migrate_core::BoxFuture<'_> {
            #body
        }
    }
}

/// The module's tokens with `extra` appended inside its braces; everything else untouched.
fn append_to_module(item: TokenStream, extra: TokenStream) -> TokenStream {
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();
    match tokens.last_mut() {
        Some(TokenTree::Group(body)) if body.delimiter() == Delimiter::Brace => {
            let mut stream = body.stream();
            stream.extend(extra);
            let mut group = Group::new(Delimiter::Brace, stream);
            group.set_span(body.span());
            *body = group;
        }
        _ => unreachable!("attr::item accepted only an inline module"),
    }
    tokens.into_iter().collect()
}
