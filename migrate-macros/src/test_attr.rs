//! `#[migrate_macros::test]`: a test function that receives a fresh database
//! (`migrate_core::testing::TestDb`) cloned from a migrated template.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemFn, LitStr, Path};

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match expand_inner(args, item) {
        Ok(t) => t,
        Err(e) => e.to_compile_error(),
    }
}

fn expand_inner(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut migrations: Option<Path> = None;
    let mut backend: Option<LitStr> = None;
    let mut revision: Option<LitStr> = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("migrations") {
            migrations = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("backend") {
            backend = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("revision") {
            revision = Some(meta.value()?.parse()?);
        } else {
            return Err(meta.error("unknown key; expected `migrations`, `backend` or `revision`"));
        }
        Ok(())
    });
    syn::parse::Parser::parse2(parser, args)?;
    let func: ItemFn = syn::parse2(item)?;
    let migrations = migrations.ok_or_else(|| {
        syn::Error::new(
            func.sig.ident.span(),
            "missing `migrations = path::to::MIGRATIONS` in #[migrate_macros::test(...)]",
        )
    })?;
    let backend = match backend.as_ref().map(LitStr::value).as_deref() {
        None | Some("sqlite") => quote!(Sqlite),
        Some("postgres" | "postgresql") => quote!(Postgres),
        Some("mysql" | "mariadb") => quote!(MySql),
        Some(_) => {
            return Err(syn::Error::new(
                backend.expect("given").span(),
                "unknown backend; expected \"sqlite\", \"postgres\" or \"mysql\"",
            ));
        }
    };
    let revision = revision.map_or_else(|| quote!("head"), |r| quote!(#r));
    if func.sig.asyncness.is_none() {
        return Err(syn::Error::new(
            func.sig.fn_token.span,
            "#[migrate_macros::test] goes on an `async fn` taking one `TestDb`",
        ));
    }
    if func.sig.inputs.len() != 1 {
        return Err(syn::Error::new(
            func.sig.ident.span(),
            "the test takes exactly one parameter, the database: `db: migrate_core::testing::TestDb`",
        ));
    }
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = func;
    let name = &sig.ident;
    let inputs = &sig.inputs;
    let output = &sig.output;
    Ok(quote! {
        #(#attrs)*
        #[::core::prelude::v1::test]
        #vis fn #name() #output {
            async fn __migrate_test(#inputs) #output #block
            ::migrate_core::testing::run_test(
                &#migrations,
                ::migrate_core::Backend::#backend,
                #revision,
                __migrate_test,
            )
        }
    })
}
