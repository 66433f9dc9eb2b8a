//! `#[derive(Model)]`: `migrate_core::schema::declare::Model` for a struct with named fields,
//! from its fields' types and its `#[model(...)]` attributes (and the `#[sqlx(...)]`
//! attributes `sqlx::FromRow` reads, so the declared columns are the ones the rows decode).
//!
//! Stages: parse every attribute (collecting all errors), resolve names and validate, then
//! emit one builder chain (`TableDef::new(…).column(…)…`).

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{DeriveInput, LitStr, Token};

use crate::case;

/// Errors collected along the way, reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub(crate) fn at(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

const CONTAINER_KEYS: &str = "`table`, `renamed_from`, `primary_key(…)`, `index(…)`, \
                              `unique(…)`, `check(…)`";
const FIELD_KEYS: &str = "`primary_key`, `auto_increment`, `unique`, `index`, `length`, \
                          `precision`, `scale`, `sql_type`, `default`, `references`, \
                          `on_delete`, `on_update`, `check`, `renamed_from`, `column`, `skip`";
const ACTIONS: &str = "\"cascade\", \"restrict\", \"set null\", \"set default\", \"no action\"";

/// Expands the derive; bad input becomes spanned `compile_error!`s.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    match syn::parse2::<DeriveInput>(input).and_then(|i| expand(&i)) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

/// The name of the key `meta` is at, for messages.
fn key(meta: &ParseNestedMeta<'_>) -> String {
    meta.path.to_token_stream().to_string().replace(' ', "")
}

/// Consumes whatever value follows a key (`= expr` or `(…)`), so parsing continues after an
/// unknown or misused key.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

/// `key = "string"`; a value of another kind is reported and `None` returned.
pub(crate) fn string(meta: &ParseNestedMeta<'_>, errs: &mut Errors) -> syn::Result<Option<LitStr>> {
    let k = key(meta);
    if !meta.input.peek(Token![=]) {
        skip_value(meta)?;
        errs.at(
            meta.path.span(),
            format!("`{k}` takes a string: `{k} = \"…\"`"),
        );
        return Ok(None);
    }
    let expr: syn::Expr = meta.value()?.parse()?;
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Ok(Some(s)),
        other => {
            errs.push(syn::Error::new_spanned(
                other,
                format!("`{k}` takes a string: `{k} = \"…\"`"),
            ));
            Ok(None)
        }
    }
}

/// `key = 123` (a positive `u32`).
fn number(meta: &ParseNestedMeta<'_>, errs: &mut Errors) -> syn::Result<Option<u32>> {
    let k = key(meta);
    if !meta.input.peek(Token![=]) {
        skip_value(meta)?;
        errs.at(
            meta.path.span(),
            format!("`{k}` takes a number: `{k} = 10`"),
        );
        return Ok(None);
    }
    let expr: syn::Expr = meta.value()?.parse()?;
    if let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Int(i),
        ..
    }) = &expr
        && let Ok(n) = i.base10_parse::<u32>()
    {
        return Ok(Some(n));
    }
    errs.push(syn::Error::new_spanned(
        expr,
        format!(
            "`{k}` takes a whole number from 0 to {}: `{k} = 10`",
            u32::MAX
        ),
    ));
    Ok(None)
}

/// A key without a value (`primary_key`); a value is reported.
pub(crate) fn flag(meta: &ParseNestedMeta<'_>, errs: &mut Errors) -> syn::Result<()> {
    if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
        let k = key(meta);
        skip_value(meta)?;
        errs.at(
            meta.path.span(),
            format!("`{k}` takes no value: write `{k}` alone"),
        );
    }
    Ok(())
}

/// `key("a", "b")`.
fn string_list(meta: &ParseNestedMeta<'_>, errs: &mut Errors) -> syn::Result<Vec<LitStr>> {
    let k = key(meta);
    if !meta.input.peek(syn::token::Paren) {
        skip_value(meta)?;
        errs.at(
            meta.path.span(),
            format!("`{k}` takes a list of column names: `{k}(\"a\", \"b\")`"),
        );
        return Ok(Vec::new());
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let items = Punctuated::<syn::Expr, Token![,]>::parse_terminated(&content)?;
    let mut out = Vec::new();
    let empty = items.is_empty();
    for item in items {
        match item {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => out.push(s),
            other => errs.push(syn::Error::new_spanned(
                other,
                format!("`{k}` lists column names as strings: `{k}(\"a\", \"b\")`"),
            )),
        }
    }
    if empty {
        errs.at(
            meta.path.span(),
            format!("`{k}(…)` needs at least one column"),
        );
    }
    Ok(out)
}

/// Reports a second occurrence of a single-valued key.
fn once(seen: &mut HashSet<String>, meta: &ParseNestedMeta<'_>, errs: &mut Errors) {
    let k = key(meta);
    if !seen.insert(k.clone()) {
        errs.at(meta.path.span(), format!("duplicate `{k}`"));
    }
}

/// A table-level index, unique constraint or check.
struct TableIndex {
    name: Option<LitStr>,
    columns: Vec<LitStr>,
    unique: bool,
}

struct TableUnique {
    name: Option<LitStr>,
    columns: Vec<LitStr>,
}

struct TableCheck {
    name: Option<LitStr>,
    expr: LitStr,
}

#[derive(Default)]
struct Container {
    table: Option<LitStr>,
    renamed_from: Vec<LitStr>,
    primary_key: Option<(Vec<LitStr>, Span)>,
    indexes: Vec<TableIndex>,
    uniques: Vec<TableUnique>,
    checks: Vec<TableCheck>,
    /// `#[sqlx(rename_all = "…")]`.
    sqlx_rename_all: Option<LitStr>,
}

fn container(attrs: &[syn::Attribute], errs: &mut Errors) -> Container {
    let mut c = Container::default();
    let mut seen = HashSet::new();
    for attr in attrs {
        if attr.path().is_ident("model") {
            let r = attr.parse_nested_meta(|meta| {
                let k = key(&meta);
                match k.as_str() {
                    "table" => {
                        once(&mut seen, &meta, errs);
                        c.table = string(&meta, errs)?;
                    }
                    "renamed_from" => c.renamed_from.extend(string(&meta, errs)?),
                    "primary_key" => {
                        let span = meta.path.span();
                        let cols = string_list(&meta, errs)?;
                        if c.primary_key.is_some() {
                            errs.at(span, "duplicate `primary_key(…)`");
                        }
                        c.primary_key = Some((cols, span));
                    }
                    "index" | "unique" => {
                        let span = meta.path.span();
                        let mut name = None;
                        let mut columns = Vec::new();
                        let mut unique = false;
                        let mut inner_seen = HashSet::new();
                        if !meta.input.peek(syn::token::Paren) {
                            skip_value(&meta)?;
                            errs.at(
                                span,
                                format!(
                                    "`{k}` on the struct takes its columns: `{k}(name = \"…\", \
                                     columns(\"a\", \"b\"){})`",
                                    if k == "index" { ", unique" } else { "" }
                                ),
                            );
                            return Ok(());
                        }
                        meta.parse_nested_meta(|inner| {
                            let ik = key(&inner);
                            match ik.as_str() {
                                "name" => {
                                    once(&mut inner_seen, &inner, errs);
                                    name = string(&inner, errs)?;
                                }
                                "columns" => {
                                    once(&mut inner_seen, &inner, errs);
                                    columns = string_list(&inner, errs)?;
                                }
                                "unique" if k == "index" => {
                                    flag(&inner, errs)?;
                                    unique = true;
                                }
                                _ => {
                                    skip_value(&inner)?;
                                    errs.at(
                                        inner.path.span(),
                                        format!(
                                            "unknown key `{ik}` in `{k}(…)`; known: `name`, \
                                             `columns(…)`{}",
                                            if k == "index" { ", `unique`" } else { "" }
                                        ),
                                    );
                                }
                            }
                            Ok(())
                        })?;
                        if columns.is_empty() && !inner_seen.contains("columns") {
                            errs.at(span, format!("`{k}(…)` needs `columns(\"a\", …)`"));
                        }
                        if k == "index" {
                            c.indexes.push(TableIndex {
                                name,
                                columns,
                                unique,
                            });
                        } else {
                            c.uniques.push(TableUnique { name, columns });
                        }
                    }
                    "check" => {
                        let span = meta.path.span();
                        if !meta.input.peek(syn::token::Paren) {
                            skip_value(&meta)?;
                            errs.at(
                                span,
                                "`check` on the struct takes its expression: \
                                 `check(name = \"…\", expr = \"…\")`",
                            );
                            return Ok(());
                        }
                        let mut name = None;
                        let mut expr = None;
                        let mut inner_seen = HashSet::new();
                        meta.parse_nested_meta(|inner| {
                            let ik = key(&inner);
                            match ik.as_str() {
                                "name" => {
                                    once(&mut inner_seen, &inner, errs);
                                    name = string(&inner, errs)?;
                                }
                                "expr" => {
                                    once(&mut inner_seen, &inner, errs);
                                    expr = string(&inner, errs)?;
                                }
                                _ => {
                                    skip_value(&inner)?;
                                    errs.at(
                                        inner.path.span(),
                                        format!(
                                            "unknown key `{ik}` in `check(…)`; known: `name`, \
                                             `expr`"
                                        ),
                                    );
                                }
                            }
                            Ok(())
                        })?;
                        match expr {
                            Some(expr) => c.checks.push(TableCheck { name, expr }),
                            None if !inner_seen.contains("expr") => {
                                errs.at(span, "`check(…)` needs `expr = \"…\"`")
                            }
                            None => {}
                        }
                    }
                    _ => {
                        skip_value(&meta)?;
                        let hint = if FIELD_KEYS.contains(&format!("`{k}`")) {
                            " (a field attribute: put it on the field)"
                        } else {
                            ""
                        };
                        errs.at(
                            meta.path.span(),
                            format!(
                                "unknown key `{k}` in `#[model(…)]` on the struct{hint}; \
                                 known: {CONTAINER_KEYS}"
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
                if let syn::Meta::NameValue(nv) = &m
                    && nv.path.is_ident("rename_all")
                    && let syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) = &nv.value
                {
                    if case::rename("x", &s.value()).is_none() {
                        errs.push(syn::Error::new_spanned(
                            s,
                            format!(
                                "unknown `rename_all` rule; known: {}",
                                case::RULES.join(", ")
                            ),
                        ));
                    }
                    c.sqlx_rename_all = Some(s.clone());
                }
            }
        }
    }
    c
}

/// The items of a `#[sqlx(...)]` attribute; one sqlx cannot parse is sqlx's to report.
pub(crate) fn sqlx_metas(attr: &syn::Attribute) -> Vec<syn::Meta> {
    attr.parse_args_with(Punctuated::<syn::Meta, Token![,]>::parse_terminated)
        .map(|p| p.into_iter().collect())
        .unwrap_or_default()
}

/// What one field's attributes say.
#[derive(Default)]
struct FieldAttrs {
    skip: Option<Span>,
    /// Keys other than `skip`, for "a skipped field takes no other attribute".
    others: Vec<Span>,
    primary_key: Option<Span>,
    auto_increment: Option<Span>,
    unique: bool,
    index: Option<Option<LitStr>>,
    length: Option<(u32, Span)>,
    precision: Option<(u32, Span)>,
    scale: Option<(u32, Span)>,
    sql_type: Option<LitStr>,
    default: Option<String>,
    references: Option<LitStr>,
    on_delete: Option<(TokenStream, Span)>,
    on_update: Option<(TokenStream, Span)>,
    checks: Vec<LitStr>,
    renamed_from: Vec<LitStr>,
    column: Option<LitStr>,
    /// `#[sqlx(rename = "…")]`.
    sqlx_rename: Option<LitStr>,
    /// `#[sqlx(skip)]`.
    sqlx_skip: bool,
    /// `#[sqlx(json)]`: the column holds JSON.
    sqlx_json: bool,
    /// `#[sqlx(try_from = "T")]`: the column is decoded as `T`.
    sqlx_try_from: Option<syn::Type>,
}

/// `"cascade"` → `FkAction::Cascade`.
fn action(lit: &LitStr) -> Option<TokenStream> {
    let v = lit
        .value()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    let variant = match v.as_str() {
        "cascade" => quote!(Cascade),
        "restrict" => quote!(Restrict),
        "set null" => quote!(SetNull),
        "set default" => quote!(SetDefault),
        "no action" => quote!(NoAction),
        _ => return None,
    };
    Some(quote!(::migrate_core::schema::model::FkAction::#variant))
}

fn field_attrs(attrs: &[syn::Attribute], errs: &mut Errors) -> FieldAttrs {
    let mut f = FieldAttrs::default();
    let mut seen = HashSet::new();
    for attr in attrs {
        if attr.path().is_ident("model") {
            let r = attr.parse_nested_meta(|meta| {
                let k = key(&meta);
                let span = meta.path.span();
                if k != "skip" {
                    f.others.push(span);
                }
                match k.as_str() {
                    "skip" => {
                        flag(&meta, errs)?;
                        f.skip = Some(span);
                    }
                    "primary_key" => {
                        once(&mut seen, &meta, errs);
                        flag(&meta, errs)?;
                        f.primary_key = Some(span);
                    }
                    "auto_increment" => {
                        once(&mut seen, &meta, errs);
                        flag(&meta, errs)?;
                        f.auto_increment = Some(span);
                    }
                    "unique" => {
                        once(&mut seen, &meta, errs);
                        flag(&meta, errs)?;
                        f.unique = true;
                    }
                    "index" => {
                        once(&mut seen, &meta, errs);
                        f.index = Some(if meta.input.peek(Token![=]) {
                            string(&meta, errs)?
                        } else {
                            flag(&meta, errs)?;
                            None
                        });
                    }
                    "length" | "precision" | "scale" => {
                        once(&mut seen, &meta, errs);
                        let n = number(&meta, errs)?.map(|n| (n, span));
                        match k.as_str() {
                            "length" => f.length = n,
                            "precision" => f.precision = n,
                            _ => f.scale = n,
                        }
                    }
                    "sql_type" => {
                        once(&mut seen, &meta, errs);
                        f.sql_type = string(&meta, errs)?;
                        if let Some(s) = &f.sql_type
                            && s.value().trim().is_empty()
                        {
                            errs.push(syn::Error::new_spanned(s, "`sql_type` is empty"));
                        }
                    }
                    "default" => {
                        once(&mut seen, &meta, errs);
                        f.default = default_value(&meta, errs)?;
                    }
                    "references" => {
                        once(&mut seen, &meta, errs);
                        f.references = string(&meta, errs)?;
                    }
                    "on_delete" | "on_update" => {
                        once(&mut seen, &meta, errs);
                        if let Some(lit) = string(&meta, errs)? {
                            match action(&lit) {
                                Some(a) => {
                                    let v = Some((a, span));
                                    if k == "on_delete" {
                                        f.on_delete = v;
                                    } else {
                                        f.on_update = v;
                                    }
                                }
                                None => errs.push(syn::Error::new_spanned(
                                    &lit,
                                    format!("unknown `{k}` action; known: {ACTIONS}"),
                                )),
                            }
                        }
                    }
                    "check" => f.checks.extend(string(&meta, errs)?),
                    "renamed_from" => f.renamed_from.extend(string(&meta, errs)?),
                    "column" => {
                        once(&mut seen, &meta, errs);
                        f.column = string(&meta, errs)?;
                    }
                    _ => {
                        skip_value(&meta)?;
                        let hint = if CONTAINER_KEYS.contains(&format!("`{k}")) {
                            " (a struct attribute: put it on the struct)"
                        } else {
                            ""
                        };
                        errs.at(
                            span,
                            format!(
                                "unknown key `{k}` in `#[model(…)]` on a field{hint}; known: \
                                 {FIELD_KEYS}"
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
                match &m {
                    syn::Meta::Path(p) if p.is_ident("skip") => f.sqlx_skip = true,
                    syn::Meta::Path(p) if p.is_ident("json") => f.sqlx_json = true,
                    syn::Meta::List(l) if l.path.is_ident("json") => f.sqlx_json = true,
                    syn::Meta::Path(p) if p.is_ident("flatten") => errs.at(
                        p.span(),
                        "`#[derive(Model)]` does not support `#[sqlx(flatten)]`: a model \
                         declares one table's columns; list the flattened struct's fields \
                         here, or mark the field `#[model(skip)]` and declare its columns \
                         elsewhere",
                    ),
                    syn::Meta::NameValue(nv) => {
                        let lit = match &nv.value {
                            syn::Expr::Lit(syn::ExprLit {
                                lit: syn::Lit::Str(s),
                                ..
                            }) => s,
                            _ => continue,
                        };
                        if nv.path.is_ident("rename") {
                            f.sqlx_rename = Some(lit.clone());
                        } else if nv.path.is_ident("try_from") {
                            match lit.parse::<syn::Type>() {
                                Ok(t) => f.sqlx_try_from = Some(t),
                                Err(e) => errs.push(e),
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    f
}

/// `default = "SQL"`, or a number literal taken as written.
fn default_value(meta: &ParseNestedMeta<'_>, errs: &mut Errors) -> syn::Result<Option<String>> {
    if !meta.input.peek(Token![=]) {
        skip_value(meta)?;
        errs.at(
            meta.path.span(),
            "`default` takes a SQL expression: `default = \"0\"`, `default = \"'draft'\"`, \
             `default = \"CURRENT_TIMESTAMP\"`",
        );
        return Ok(None);
    }
    let expr: syn::Expr = meta.value()?.parse()?;
    let text = match &expr {
        syn::Expr::Lit(syn::ExprLit { lit, .. }) => match lit {
            syn::Lit::Str(s) => Some(s.value()),
            syn::Lit::Int(i) => Some(i.base10_digits().to_owned()),
            syn::Lit::Float(f) => Some(f.base10_digits().to_owned()),
            _ => None,
        },
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr: inner,
            ..
        }) => match &**inner {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(i),
                ..
            }) => Some(format!("-{}", i.base10_digits())),
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Float(f),
                ..
            }) => Some(format!("-{}", f.base10_digits())),
            _ => None,
        },
        _ => None,
    };
    match text {
        Some(t) if t.trim().is_empty() => {
            errs.push(syn::Error::new_spanned(expr, "`default` is empty"));
            Ok(None)
        }
        Some(t) => Ok(Some(t)),
        None => {
            errs.push(syn::Error::new_spanned(
                expr,
                "`default` takes a SQL expression as a string (`default = \"'draft'\"`) or a \
                 number",
            ));
            Ok(None)
        }
    }
}

/// `Option<T>` → `Some(T)`.
pub(crate) fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(t)) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

/// The type without its `Option`.
fn innermost(ty: &syn::Type) -> &syn::Type {
    match ty {
        syn::Type::Group(g) => innermost(&g.elem),
        syn::Type::Paren(p) => innermost(&p.elem),
        _ => option_inner(ty).map_or(ty, innermost),
    }
}

/// The last path segment's name of the type without its `Option` (`None` for non-paths).
fn last_ident(ty: &syn::Type) -> Option<String> {
    match innermost(ty) {
        syn::Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().map(|s| s.ident.to_string())
        }
        _ => None,
    }
}

const INTEGERS: &[&str] = &[
    "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
];
/// Types known not to be integers (for `auto_increment`): anything else that is a path may
/// be an alias or a newtype of an integer and is let through.
const NOT_INTEGERS: &[&str] = &[
    "String",
    "str",
    "bool",
    "char",
    "f32",
    "f64",
    "Vec",
    "Uuid",
    "Decimal",
    "BigDecimal",
    "Value",
    "Json",
    "NaiveDate",
    "NaiveTime",
    "NaiveDateTime",
    "DateTime",
    "Date",
    "Time",
    "PrimitiveDateTime",
    "OffsetDateTime",
];

fn is_string(ty: &syn::Type) -> bool {
    last_ident(ty).is_some_and(|i| i == "String")
}

fn may_be_integer(ty: &syn::Type) -> bool {
    match last_ident(ty) {
        Some(i) => INTEGERS.contains(&i.as_str()) || !NOT_INTEGERS.contains(&i.as_str()),
        None => false,
    }
}

fn is_decimal(ty: &syn::Type) -> bool {
    last_ident(ty).is_some_and(|i| i == "Decimal" || i == "BigDecimal")
}

/// `"users(id)"` / `"users"` / `"auth.users(a, b)"` → table and columns (`id` when none).
fn parse_references(s: &str) -> Result<(String, Vec<String>), String> {
    let s = s.trim();
    let (table, cols) = match s.find('(') {
        Some(open) => {
            let Some(inner) = s[open + 1..].strip_suffix(')') else {
                return Err("`(` without a closing `)` at the end".into());
            };
            let cols: Vec<String> = inner.split(',').map(|c| c.trim().to_owned()).collect();
            if cols.iter().any(String::is_empty) {
                return Err("an empty column name between the parentheses".into());
            }
            (s[..open].trim(), cols)
        }
        None => (s, vec!["id".to_owned()]),
    };
    let ident_ok = |x: &str| {
        !x.is_empty()
            && !x.contains(|c: char| c.is_whitespace() || "()\"'`,;".contains(c))
            && !x.starts_with('.')
            && !x.ends_with('.')
    };
    if !ident_ok(table) {
        return Err("no valid table name before the parentheses".into());
    }
    if let Some(bad) = cols.iter().find(|c| !ident_ok(c) || c.contains('.')) {
        return Err(format!("`{bad}` is not a column name"));
    }
    Ok((table.to_owned(), cols))
}

/// One column, resolved.
struct Column<'a> {
    field: &'a syn::Field,
    name: String,
    attrs: FieldAttrs,
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    const ONLY: &str = "`Model` is derived for structs with named fields (one column each)";
    let fields = crate::from_row::named_fields(
        input,
        ONLY,
        " (for a database enum type, `#[derive(migrate_macros::DbEnum)]`)",
    )?;
    let mut errs = Errors::default();
    let c = container(&input.attrs, &mut errs);
    let table = c
        .table
        .as_ref()
        .map_or_else(|| case::snake(&input.ident.to_string()), LitStr::value);
    if let Some(t) = &c.table
        && t.value().trim().is_empty()
    {
        errs.push(syn::Error::new_spanned(t, "`table` is empty"));
    }

    // columns, by name
    let mut columns: Vec<Column<'_>> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut field_to_column: HashMap<String, String> = HashMap::new();
    for field in fields {
        let attrs = field_attrs(&field.attrs, &mut errs);
        let ident = field.ident.as_ref().expect("named");
        let field_name = ident.to_string();
        let field_name = field_name
            .strip_prefix("r#")
            .unwrap_or(&field_name)
            .to_owned();
        if attrs.skip.is_some() {
            if let Some(&other) = attrs.others.first() {
                errs.at(
                    other,
                    "a `skip`ped field is not a column: it takes no other `#[model]` key",
                );
            }
            continue;
        }
        if attrs.sqlx_skip {
            continue;
        }
        let sqlx_name = attrs.sqlx_rename.as_ref().map(LitStr::value).or_else(|| {
            c.sqlx_rename_all
                .as_ref()
                .and_then(|r| case::rename(&field_name, &r.value()))
        });
        let (name, span) = match (&attrs.column, &sqlx_name) {
            (Some(col), Some(sqlx)) if col.value() != *sqlx => {
                errs.push(syn::Error::new_spanned(
                    col,
                    format!(
                        "`column = \"{}\"` disagrees with `#[sqlx(…)]`, which reads column \
                         `{sqlx}`: `sqlx::FromRow` would not find the declared column",
                        col.value()
                    ),
                ));
                (col.value(), col.span())
            }
            (Some(col), _) => (col.value(), col.span()),
            (None, Some(sqlx)) => (
                sqlx.clone(),
                attrs
                    .sqlx_rename
                    .as_ref()
                    .map_or(ident.span(), LitStr::span),
            ),
            (None, None) => (field_name.clone(), ident.span()),
        };
        if name.trim().is_empty() {
            errs.at(span, "the column name is empty");
        }
        if let Some(&first) = by_name.get(&name) {
            errs.at(
                span,
                format!(
                    "duplicate column `{name}` (also field `{}`); give one of them another \
                     `#[model(column = \"…\")]`",
                    columns[first]
                        .field
                        .ident
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                ),
            );
        } else {
            by_name.insert(name.clone(), columns.len());
        }
        field_to_column.insert(field_name, name.clone());
        columns.push(Column { field, name, attrs });
    }
    if columns.is_empty() {
        errs.at(
            input.ident.span(),
            "a model needs at least one column (every field is skipped)",
        );
    }
    let known: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    // a column named in a list: by column name, else by field name
    let resolve = |lit: &LitStr, errs: &mut Errors| -> String {
        let v = lit.value();
        if by_name.contains_key(&v) {
            return v;
        }
        if let Some(col) = field_to_column.get(&v) {
            return col.clone();
        }
        errs.push(syn::Error::new_spanned(
            lit,
            format!(
                "`{v}` is not a column of this model; its columns: {}",
                known.join(", ")
            ),
        ));
        v
    };

    let d = quote!(::migrate_core::schema::declare);
    let mut chain = TokenStream::new();
    for r in &c.renamed_from {
        chain.extend(quote!(.renamed_from(#r)));
    }
    let mut pk_fields: Vec<String> = Vec::new();
    let mut pk_field_spans: Vec<Span> = Vec::new();
    let mut indexes = TokenStream::new();
    let mut uniques = TokenStream::new();
    let mut checks = TokenStream::new();
    let mut fks = TokenStream::new();
    // a generic model: each field type read through `SqlType` must implement it
    let mut bounds: Vec<TokenStream> = Vec::new();
    for col in &columns {
        let a = &col.attrs;
        let name = &col.name;
        let field_ty = &col.field.ty;
        let ty = a.sqlx_try_from.as_ref().unwrap_or(field_ty);
        let ty_span = ty.span();
        let nullable_syntactic = option_inner(ty).is_some();
        // type
        let conflicts: Vec<(&str, Span)> = [
            a.sql_type.as_ref().map(|s| ("sql_type", s.span())),
            a.length.map(|(_, s)| ("length", s)),
            a.precision.map(|(_, s)| ("precision", s)),
            a.sqlx_json.then_some(("#[sqlx(json)]", ty_span)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if conflicts.len() > 1 {
            errs.at(
                conflicts[1].1,
                format!(
                    "`{}` and `{}` both set the column's type; keep one",
                    conflicts[0].0, conflicts[1].0
                ),
            );
        }
        let sql_type = quote_spanned!(ty_span=> <#ty as #d::SqlType>);
        let mut column = if let Some(s) = &a.sql_type {
            quote!(#d::ColumnDef::new(#name, #d::ColumnType::Custom(::std::string::String::from(#s))).nullable(#nullable_syntactic))
        } else if a.sqlx_json {
            quote!(#d::ColumnDef::new(#name, #d::ColumnType::Json).nullable(#nullable_syntactic))
        } else {
            bounds.push(quote_spanned!(ty_span=> #ty: #d::SqlType));
            quote!(#d::ColumnDef::new(#name, #sql_type::column_type()).nullable(#sql_type::NULLABLE))
        };
        if let Some((n, span)) = a.length {
            if !is_string(ty) {
                errs.at(
                    span,
                    format!(
                        "`length` (VARCHAR(n)) applies to a `String` or `Option<String>` \
                         field, not `{}`",
                        field_ty.to_token_stream().to_string().replace(' ', "")
                    ),
                );
            } else if n == 0 {
                errs.at(span, "`length` must be at least 1");
            }
            column.extend(quote!(.ty(#d::ColumnType::Varchar(#n))));
        }
        match (a.precision, a.scale) {
            (Some((p, span)), scale) => {
                let s = scale.map_or(0, |(s, _)| s);
                if !is_decimal(ty) {
                    errs.at(
                        span,
                        format!(
                            "`precision` (NUMERIC(p, s)) applies to a decimal field \
                             (`rust_decimal::Decimal` or `Option` of it), not `{}`; for \
                             another type name it with `sql_type = \"…\"`",
                            field_ty.to_token_stream().to_string().replace(' ', "")
                        ),
                    );
                } else if p == 0 {
                    errs.at(span, "`precision` must be at least 1");
                } else if s > p {
                    errs.at(
                        scale.map_or(span, |(_, sp)| sp),
                        format!("`scale` ({s}) cannot exceed `precision` ({p})"),
                    );
                }
                column.extend(quote!(.ty(#d::ColumnType::Decimal(#p, #s))));
            }
            (None, Some((_, span))) => errs.at(
                span,
                "`scale` needs `precision`: `precision = 10, scale = 2`",
            ),
            (None, None) => {}
        }
        if let Some(span) = a.auto_increment {
            if !may_be_integer(ty) {
                errs.at(
                    span,
                    format!(
                        "`auto_increment` applies to an integer field, not `{}`",
                        field_ty.to_token_stream().to_string().replace(' ', "")
                    ),
                );
            }
            column.extend(quote!(.auto_increment()));
        }
        if let Some(def) = &a.default {
            column.extend(quote!(.default(#def)));
        }
        for r in &a.renamed_from {
            column.extend(quote!(.renamed_from(#r)));
        }
        chain.extend(quote!(.column(#column)));

        if let Some(span) = a.primary_key {
            pk_fields.push(name.clone());
            pk_field_spans.push(span);
        }
        if a.unique {
            uniques.extend(quote!(.unique(::core::option::Option::None, [#name])));
        }
        if let Some(ix) = &a.index {
            let ix = ix
                .as_ref()
                .map_or_else(|| format!("ix_{table}_{name}"), LitStr::value);
            indexes.extend(quote!(.index(#ix, [#name], false)));
        }
        for ck in &a.checks {
            checks.extend(quote!(.check(::core::option::Option::None, #ck)));
        }
        match &a.references {
            Some(lit) => match parse_references(&lit.value()) {
                Ok((rt, rc)) => {
                    if rc.len() != 1 {
                        errs.push(syn::Error::new_spanned(
                            lit,
                            format!(
                                "`references` on a field names one referenced column, not {}",
                                rc.len()
                            ),
                        ));
                    }
                    let mut fk = quote!(#d::ForeignKeyDef::new([#name], #rt, [#(#rc),*]));
                    if let Some((act, _)) = &a.on_delete {
                        fk.extend(quote!(.on_delete(#act)));
                    }
                    if let Some((act, _)) = &a.on_update {
                        fk.extend(quote!(.on_update(#act)));
                    }
                    fks.extend(quote!(.foreign_key(#fk)));
                }
                Err(why) => errs.push(syn::Error::new_spanned(
                    lit,
                    format!(
                        "malformed `references`: {why}; write `references = \"table(column)\"` \
                         or `references = \"table\"` (its `id`)"
                    ),
                )),
            },
            None => {
                for (k, act) in [("on_delete", &a.on_delete), ("on_update", &a.on_update)] {
                    if let Some((_, span)) = act {
                        errs.at(
                            *span,
                            format!(
                                "`{k}` needs `references = \"table(column)\"` on the same field"
                            ),
                        );
                    }
                }
            }
        }
    }

    // primary key
    let primary_key: Vec<String> = match &c.primary_key {
        Some((cols, _)) => {
            if let Some(&field_span) = pk_field_spans.first() {
                errs.at(
                    field_span,
                    "two primary-key declarations: the struct's `primary_key(…)` and this \
                     field's `primary_key`; keep one",
                );
            }
            let mut seen = HashSet::new();
            cols.iter()
                .map(|l| {
                    let n = resolve(l, &mut errs);
                    if !seen.insert(n.clone()) {
                        errs.push(syn::Error::new_spanned(l, format!("`{n}` is listed twice")));
                    }
                    n
                })
                .collect()
        }
        None => pk_fields,
    };
    if !primary_key.is_empty() {
        chain.extend(quote!(.primary_key([#(#primary_key),*])));
    }
    chain.extend(indexes);
    for ix in &c.indexes {
        let cols: Vec<String> = ix.columns.iter().map(|l| resolve(l, &mut errs)).collect();
        let name = ix
            .name
            .as_ref()
            .map_or_else(|| format!("ix_{table}_{}", cols.join("_")), LitStr::value);
        let unique = ix.unique;
        chain.extend(quote!(.index(#name, [#(#cols),*], #unique)));
    }
    chain.extend(uniques);
    for u in &c.uniques {
        let cols: Vec<String> = u.columns.iter().map(|l| resolve(l, &mut errs)).collect();
        let name = match &u.name {
            Some(n) => quote!(::core::option::Option::Some(#n)),
            None => quote!(::core::option::Option::None),
        };
        chain.extend(quote!(.unique(#name, [#(#cols),*])));
    }
    chain.extend(checks);
    for ck in &c.checks {
        let name = match &ck.name {
            Some(n) => quote!(::core::option::Option::Some(#n)),
            None => quote!(::core::option::Option::None),
        };
        let expr = &ck.expr;
        chain.extend(quote!(.check(#name, #expr)));
    }
    chain.extend(fks);
    let body = match errs.finish() {
        Ok(()) => quote!(#d::TableDef::new(#table) #chain),
        // the errors, and an impl so that uses of the model add no errors of their own
        Err(e) => {
            let e = e.to_compile_error();
            quote!(#e #d::TableDef::new(#table))
        }
    };

    let ident = &input.ident;
    let mut generics = input.generics.clone();
    if generics.type_params().next().is_some() {
        let wc = generics.make_where_clause();
        for b in bounds {
            wc.predicates.push(syn::parse2(b)?);
        }
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #d::Model for #ident #ty_generics #where_clause {
            fn table() -> #d::TableDef {
                #body
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_forms() {
        assert_eq!(
            parse_references("users(id)"),
            Ok(("users".into(), vec!["id".into()]))
        );
        assert_eq!(
            parse_references("users"),
            Ok(("users".into(), vec!["id".into()]))
        );
        assert_eq!(
            parse_references(" auth.users ( a , b ) "),
            Ok(("auth.users".into(), vec!["a".into(), "b".into()]))
        );
        for bad in [
            "",
            "users(",
            "users()",
            "(id)",
            "users(id) x",
            "a b(id)",
            "users(a,)",
        ] {
            assert!(parse_references(bad).is_err(), "{bad}");
        }
    }
}
