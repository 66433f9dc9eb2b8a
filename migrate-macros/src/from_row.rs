//! `#[derive(FromRow)]`: `sqlx::FromRow` for a struct with named fields, for every row type,
//! without sqlx's `derive` feature (which rebuilds the database drivers for the host).

use proc_macro2::TokenStream;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::token::Comma;
use syn::{Data, DeriveInput, Field, Fields, parse_quote};

/// The named fields of a derive's struct; any other input is a spanned error that starts with
/// `only` and names what it got (tuple struct, unit struct, enum, union), with `enum_hint`
/// after "not an enum".
pub(crate) fn named_fields<'a>(
    input: &'a DeriveInput,
    only: &str,
    enum_hint: &str,
) -> syn::Result<&'a Punctuated<Field, Comma>> {
    match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(f) => Ok(&f.named),
            Fields::Unnamed(f) => Err(syn::Error::new_spanned(
                f,
                format!("{only}, not a tuple struct"),
            )),
            Fields::Unit => Err(syn::Error::new_spanned(
                &input.ident,
                format!("{only}, not a unit struct"),
            )),
        },
        Data::Enum(e) => Err(syn::Error::new_spanned(
            e.enum_token,
            format!("{only}, not an enum{enum_hint}"),
        )),
        Data::Union(u) => Err(syn::Error::new_spanned(
            u.union_token,
            format!("{only}, not a union"),
        )),
    }
}

/// Expands the derive; a bad input becomes a spanned `compile_error!`.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    match syn::parse2::<DeriveInput>(input).and_then(|i| expand(&i)) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    const ONLY: &str = "`FromRow` is derived for structs with named fields (one column each, \
                        by field name)";
    let fields = named_fields(input, ONLY, "")?;
    let sqlx = quote!(::migrate_core::sqlx);
    let ident = &input.ident;
    let mut generics = input.generics.clone();
    generics.params.insert(0, parse_quote!(__R: #sqlx::Row));
    generics.params.insert(0, parse_quote!('__r));
    let where_clause = generics.make_where_clause();
    where_clause
        .predicates
        .push(parse_quote!(&'__r str: #sqlx::ColumnIndex<__R>));
    for f in fields {
        let ty = &f.ty;
        where_clause.predicates.push(parse_quote!(
            #ty: #sqlx::decode::Decode<'__r, <__R as #sqlx::Row>::Database>
                + #sqlx::types::Type<<__R as #sqlx::Row>::Database>
        ));
    }
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let (_, ty_generics, _) = input.generics.split_for_impl();
    let names = fields.iter().map(|f| f.ident.as_ref().expect("named"));
    let columns = fields.iter().map(|f| {
        let name = f.ident.as_ref().expect("named").to_string();
        name.strip_prefix("r#").map(str::to_owned).unwrap_or(name)
    });
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #sqlx::FromRow<'__r, __R> for #ident #ty_generics #where_clause {
            fn from_row(row: &'__r __R) -> ::core::result::Result<Self, #sqlx::Error> {
                ::core::result::Result::Ok(Self {
                    #( #names: #sqlx::Row::try_get(row, #columns)?, )*
                })
            }
        }
    })
}
