//! `#[derive(DbEnum)]`: `migrate_core::schema::declare::SqlType` for a fieldless enum, a
//! database enumeration type (`ColumnType::Enum`) whose values are the variants' names as
//! sqlx encodes them.

use std::collections::{HashMap, HashSet};

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr};

use crate::case;
use crate::model::{Errors, skip_value, sqlx_metas, string};

/// Expands the derive; bad input becomes spanned `compile_error!`s.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    match syn::parse2::<DeriveInput>(input).and_then(|i| expand(&i)) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

/// The string literal of `key = "…"` in a parsed `#[sqlx(…)]` item.
fn sqlx_str<'a>(m: &'a syn::Meta, key: &str) -> Option<&'a LitStr> {
    match m {
        syn::Meta::NameValue(nv) if nv.path.is_ident(key) => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// `#[db_enum(...)]` / `#[sqlx(...)]` on the enum or a variant: `name`/`type_name`,
/// `rename_all`, `rename`. `db_enum` wins over `sqlx` where both are given.
#[derive(Default)]
struct Attrs {
    name: Option<LitStr>,
    rename_all: Option<LitStr>,
    rename: Option<LitStr>,
}

fn attrs(attrs: &[syn::Attribute], on_variant: bool, errs: &mut Errors) -> Attrs {
    let mut ours = Attrs::default();
    let mut sqlx = Attrs::default();
    let mut seen = HashSet::new();
    for attr in attrs {
        if attr.path().is_ident("db_enum") {
            let r = attr.parse_nested_meta(|meta| {
                let k = meta.path.get_ident().map(ToString::to_string);
                let known = if on_variant {
                    &["rename"][..]
                } else {
                    &["name", "rename_all"][..]
                };
                match k.as_deref() {
                    Some(k) if known.contains(&k) => {
                        if !seen.insert(k.to_owned()) {
                            errs.at(meta.path.span(), format!("duplicate `{k}`"));
                        }
                        let v = string(&meta, errs)?;
                        match k {
                            "name" => ours.name = v,
                            "rename_all" => ours.rename_all = v,
                            _ => ours.rename = v,
                        }
                    }
                    other => {
                        skip_value(&meta)?;
                        let hint = match other {
                            Some("type_name") => {
                                " (`type_name` is sqlx's key: write `name` \
                                                  here, or keep it in `#[sqlx(type_name = …)]`, \
                                                  which is read too)"
                            }
                            _ => "",
                        };
                        let shown = meta.path.to_token_stream().to_string().replace(' ', "");
                        let known = known
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        errs.at(
                            meta.path.span(),
                            format!(
                                "unknown key `{shown}` in `#[db_enum(…)]` on {}{hint}; known: \
                                 {known}",
                                if on_variant { "a variant" } else { "the enum" }
                            ),
                        );
                    }
                }
                Ok(())
            });
            if let Err(e) = r {
                errs.push(e);
            }
        } else if attr.path().is_ident("sqlx") {
            for m in sqlx_metas(attr) {
                if let Some(s) = sqlx_str(&m, "type_name") {
                    sqlx.name = Some(s.clone());
                } else if let Some(s) = sqlx_str(&m, "rename_all") {
                    sqlx.rename_all = Some(s.clone());
                } else if let Some(s) = sqlx_str(&m, "rename") {
                    sqlx.rename = Some(s.clone());
                }
            }
        }
    }
    Attrs {
        name: ours.name.or(sqlx.name),
        rename_all: ours.rename_all.or(sqlx.rename_all),
        rename: ours.rename.or(sqlx.rename),
    }
}

/// `#[repr(i32)]` and the like: sqlx::Type encodes such an enum as that integer.
fn repr_int(attrs: &[syn::Attribute]) -> Option<syn::Ident> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("repr")) {
        let _ = attr.parse_nested_meta(|meta| {
            if let Some(i) = meta.path.get_ident()
                && ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"]
                    .contains(&i.to_string().as_str())
            {
                found = Some(i.clone());
            }
            skip_value(&meta)
        });
    }
    found
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    const ONLY: &str = "`DbEnum` is derived for enums whose variants have no fields";
    let variants = match &input.data {
        Data::Enum(e) => &e.variants,
        Data::Struct(s) => {
            return Err(syn::Error::new(
                s.struct_token.span,
                format!("{ONLY}, not a struct (for a table, `#[derive(migrate_macros::Model)]`)"),
            ));
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                format!("{ONLY}, not a union"),
            ));
        }
    };
    let mut errs = Errors::default();
    let top = attrs(&input.attrs, false, &mut errs);
    let d = quote!(::migrate_core::schema::declare);
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();

    if let Some(int) = repr_int(&input.attrs) {
        // sqlx::Type encodes a `#[repr(int)]` enum as the integer
        for v in variants {
            attrs(&v.attrs, true, &mut errs);
        }
        errs.finish()?;
        return Ok(quote! {
            #[automatically_derived]
            impl #impl_generics #d::SqlType for #ident #ty_generics #where_clause {
                fn column_type() -> #d::ColumnType {
                    <#int as #d::SqlType>::column_type()
                }
            }
        });
    }

    let name = top
        .name
        .as_ref()
        .map_or_else(|| case::snake(&ident.to_string()), LitStr::value);
    if let Some(n) = &top.name
        && n.value().trim().is_empty()
    {
        errs.push(syn::Error::new_spanned(n, "the enum type's name is empty"));
    }
    let rule = top.rename_all.as_ref().and_then(|r| {
        let v = r.value();
        if case::rename("x", &v).is_none() {
            errs.push(syn::Error::new_spanned(
                r,
                format!(
                    "unknown `rename_all` rule; known: {}",
                    case::RULES.join(", ")
                ),
            ));
            None
        } else {
            Some(v)
        }
    });
    if variants.is_empty() {
        errs.at(
            ident.span(),
            "a database enum needs at least one variant (PostgreSQL, MySQL and SQLite's check \
             all need a value)",
        );
    }
    let mut values: Vec<String> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for v in variants {
        let a = attrs(&v.attrs, true, &mut errs);
        if !matches!(v.fields, Fields::Unit) {
            errs.push(syn::Error::new_spanned(
                &v.fields,
                format!("{ONLY}: `{}` has fields", v.ident),
            ));
        }
        let variant = v.ident.to_string();
        let value = match (&a.rename, &rule) {
            (Some(r), _) => r.value(),
            (None, Some(rule)) => case::rename(&variant, rule).unwrap_or_default(),
            (None, None) => variant.strip_prefix("r#").unwrap_or(&variant).to_owned(),
        };
        if value.is_empty() {
            errs.at(
                a.rename.as_ref().map_or(v.ident.span(), LitStr::span),
                "an enum value is empty",
            );
        }
        if let Some(other) = seen.insert(value.clone(), variant.clone()) {
            errs.at(
                a.rename.as_ref().map_or(v.ident.span(), LitStr::span),
                format!("`{variant}` and `{other}` are both the value `{value}`"),
            );
        }
        values.push(value);
    }
    let body = match errs.finish() {
        Ok(()) => quote!(#d::ColumnType::Enum(#d::EnumDef::new(#name, [#(#values),*]))),
        // the errors, and an impl so that uses of the type add no errors of their own
        Err(e) => {
            let e = e.to_compile_error();
            quote!(#e #d::ColumnType::Text)
        }
    };
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #d::SqlType for #ident #ty_generics #where_clause {
            fn column_type() -> #d::ColumnType {
                #body
            }
        }
    })
}
