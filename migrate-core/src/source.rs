//! Revision files as text: the one parser of `#[migration(...)]` shared by the
//! `migrate-macros` attribute, the `migrations!()` registry and the `cargo migrate` CLI, and
//! the renderer of new revision files.
//!
//! **This module does no IO**: it takes file text in and gives strings back.
//!
//! A revision file looks like this (what [`render_revision_file`] writes):
//!
//! ```text
//! //! create users
//! //!
//! //! Revision ID: 3f2a9c1b7e4d
//! //! Revises: 8828a8665651
//! //! Create Date: 2026-11-21 12:00:00 UTC
//!
//! #[migrate_macros::migration(revision = "3f2a9c1b7e4d", down_revision = "8828a8665651")]
//! mod revision {
//!     use migrate_core::prelude::*;
//!
//!     pub async fn upgrade(db: &mut Db) -> Result<()> { /* … */ Ok(()) }
//!
//!     pub async fn downgrade(db: &mut Db) -> Result<()> { /* … */ Ok(()) }
//! }
//! ```
//!
//! [`parse_file`] reads the header of such a file without parsing Rust: a small scanner
//! walks the top-level tokens (skipping module bodies, strings and comments by matching
//! delimiters) and only the `#[migration(...)]` attribute itself is lexed with `proc-macro2`
//! and handed to [`parse_args`]. That keeps read-only CLI commands fast on large histories:
//! in a release build `parse_file` takes about 3 µs for a typical 1 KB revision file (1 µs of
//! scanning, the rest parsing the attribute's arguments with `syn`), where lexing the whole
//! file with `proc-macro2` alone would take 12 µs.

use std::fmt::Write as _;
use std::ops::Range;
use std::str::FromStr;

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{LitBool, LitStr, Token};

use crate::graph::RevisionInfo;

/// The maximum length of a revision id.
pub const MAX_ID_LEN: usize = 32;

/// The maximum length of a branch label.
pub const MAX_LABEL_LEN: usize = 64;

/// Words revision specs give a meaning to, which therefore cannot be branch labels.
const RESERVED_LABELS: &[&str] = &["head", "heads", "base", "current"];

/// The keys `#[migration(...)]` accepts.
pub const KEYS: &[&str] = &[
    REVISION,
    DOWN_REVISION,
    BRANCH_LABELS,
    DEPENDS_ON,
    TRANSACTIONAL,
];

const REVISION: &str = "revision";
const DOWN_REVISION: &str = "down_revision";
const BRANCH_LABELS: &str = "branch_labels";
const DEPENDS_ON: &str = "depends_on";
const TRANSACTIONAL: &str = "transactional";

/// The arguments of `#[migration(...)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationArgs {
    /// `revision = "…"`: the revision id.
    pub revision: String,
    /// `down_revision = "…"` or `["…", "…"]`: the parents; empty for a base (`None` or absent).
    pub down_revisions: Vec<String>,
    /// `branch_labels = ["…"]`.
    pub branch_labels: Vec<String>,
    /// `depends_on = ["…"]`.
    pub depends_on: Vec<String>,
    /// `transactional = false` runs the revision outside a transaction; default `true`.
    pub transactional: bool,
}

/// Parses the arguments of `#[migration(...)]` (the tokens inside the parentheses).
///
/// Grammar: comma-separated `key = value` pairs, a trailing comma allowed, in any order:
///
/// | key | value |
/// |---|---|
/// | `revision` (required) | `"id"` |
/// | `down_revision` | `"id"`, `["id", …]` (a merge), or `None` / absent (a base) |
/// | `branch_labels` | `"label"` or `["label", …]` |
/// | `depends_on` | `"id"` or `["id", …]` |
/// | `transactional` | `true` (default) or `false` |
///
/// Ids follow [`validate_revision_id`], labels [`validate_branch_label`]; a list may not
/// name the same id twice and a revision may not name itself.
///
/// # Errors
/// Every problem found, combined with [`syn::Error::combine`], each spanned at the offending
/// token: an unknown key, a duplicate key (at its second occurrence), a value of the wrong
/// type, a malformed id or label (at the literal), a missing `revision` (at the call site),
/// groups nested more than 16 deep (rejected before parsing, so hostile input cannot
/// overflow the stack).
/// A syntax error that prevents reading further (no `=` after a key, a missing comma) stops
/// the parse and is returned together with the problems found before it.
pub fn parse_args(tokens: TokenStream) -> syn::Result<MigrationArgs> {
    if let Some(span) = too_deep(&tokens) {
        return Err(syn::Error::new(
            span,
            "`#[migration(...)]` arguments nest too deeply; values are string literals, \
             arrays of string literals, `true`, `false` or `None`",
        ));
    }
    let parser = |input: ParseStream<'_>| {
        let mut errors = Errors::default();
        match parse_pairs(input, &mut errors) {
            Ok(args) => errors.finish(args),
            Err(e) => {
                errors.push(e);
                Err(errors.0.expect("just pushed"))
            }
        }
    };
    parser.parse2(tokens)
}

/// Accumulates spanned errors.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    fn error(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }

    fn finish<T>(self, value: Option<T>) -> syn::Result<T> {
        match (self.0, value) {
            (Some(e), _) => Err(e),
            (None, Some(v)) => Ok(v),
            (None, None) => unreachable!("no value without an error"),
        }
    }
}

fn parse_pairs(input: ParseStream<'_>, errors: &mut Errors) -> syn::Result<Option<MigrationArgs>> {
    let mut revision: Option<String> = None;
    let mut down_revisions = Vec::new();
    let mut branch_labels = Vec::new();
    let mut depends_on = Vec::new();
    let mut transactional = true;
    let mut seen: Vec<String> = Vec::new();

    while !input.is_empty() {
        let key = input.call(syn::Ident::parse_any)?;
        let name = key.unraw().to_string();
        input.parse::<Token![=]>().map_err(|e| {
            syn::Error::new(
                e.span(),
                format!(
                    "expected `=` after `{name}`, e.g. `{name} = {}`",
                    example(&name)
                ),
            )
        })?;
        let value = Value::parse(input)?;
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }

        if !KEYS.contains(&name.as_str()) {
            errors.error(
                key.span(),
                format!("unknown key `{name}`; expected one of {}", KEYS.join(", ")),
            );
            continue;
        }
        if seen.contains(&name) {
            errors.error(
                key.span(),
                format!("duplicate key `{name}`; give each key once"),
            );
            continue;
        }
        seen.push(name.clone());

        match name.as_str() {
            REVISION => {
                if let Some(lit) = value.string(&name, errors) {
                    let id = lit.value();
                    match validate_revision_id(&id) {
                        Ok(()) => revision = Some(id),
                        Err(msg) => errors.error(lit.span(), msg),
                    }
                }
            }
            DOWN_REVISION => {
                if !matches!(value, Value::NoneKw(_)) {
                    down_revisions = ids(&value, &name, errors, validate_revision_id);
                }
            }
            BRANCH_LABELS => branch_labels = ids(&value, &name, errors, validate_branch_label),
            DEPENDS_ON => depends_on = ids(&value, &name, errors, validate_dependency),
            TRANSACTIONAL => match &value {
                Value::Bool(b) => transactional = b.value,
                other => errors.error(
                    other.span(),
                    "`transactional` expects `true` or `false`, e.g. `transactional = false`",
                ),
            },
            _ => unreachable!("KEYS checked"),
        }
    }

    let Some(revision) = revision else {
        if !seen.iter().any(|k| k == REVISION) {
            errors.error(
                Span::call_site(),
                "missing `revision`: `#[migration(revision = \"3f2a9c1b7e4d\")]` (ids are \
                 generated by `cargo migrate revision`)",
            );
        }
        return Ok(None);
    };
    // checked after the loop so the order of the keys does not matter
    for (key, list) in [(DOWN_REVISION, &down_revisions), (DEPENDS_ON, &depends_on)] {
        for (id, span) in list {
            if *id == revision {
                errors.error(
                    *span,
                    format!("revision `{id}` names itself in `{key}`; name an older revision"),
                );
            }
        }
    }
    let strings = |v: Vec<(String, Span)>| v.into_iter().map(|(s, _)| s).collect();
    Ok(Some(MigrationArgs {
        revision,
        down_revisions: strings(down_revisions),
        branch_labels: strings(branch_labels),
        depends_on: strings(depends_on),
        transactional,
    }))
}

fn example(key: &str) -> &'static str {
    match key {
        REVISION => "\"3f2a9c1b7e4d\"",
        DOWN_REVISION => "\"8828a8665651\"",
        BRANCH_LABELS => "[\"auth\"]",
        DEPENDS_ON => "[\"8828a8665651\"]",
        TRANSACTIONAL => "false",
        _ => "\"…\"",
    }
}

/// A value in `key = value`, parsed by peeking rather than as a `syn::Expr`: several times
/// faster, and no recursion on hostile input (`revision = ------…1` would overflow the stack
/// of `syn`'s expression parser). Anything unexpected is skipped up to the next comma and
/// kept as the span to report.
enum Value {
    Str(LitStr),
    Bool(LitBool),
    /// `None`
    NoneKw(Span),
    /// `[…]`: each element a string literal or the span of something else.
    List(Span, Vec<Result<LitStr, Span>>),
    Other(Span),
}

impl Value {
    fn parse(input: ParseStream<'_>) -> syn::Result<Value> {
        if input.peek(LitStr) {
            return input.parse().map(Value::Str);
        }
        if input.peek(LitBool) {
            return input.parse().map(Value::Bool);
        }
        if input.peek(syn::token::Bracket) {
            let content;
            let bracket = syn::bracketed!(content in input);
            let mut elems = Vec::new();
            while !content.is_empty() {
                elems.push(if content.peek(LitStr) {
                    Ok(content.parse()?)
                } else {
                    Err(skip_to_comma(&content)?)
                });
                if !content.is_empty() {
                    content.parse::<Token![,]>()?;
                }
            }
            return Ok(Value::List(bracket.span.join(), elems));
        }
        if input.peek(syn::Ident) && input.fork().parse::<syn::Ident>()? == "None" {
            return Ok(Value::NoneKw(input.parse::<syn::Ident>()?.span()));
        }
        skip_to_comma(input).map(Value::Other)
    }

    fn span(&self) -> Span {
        match self {
            Value::Str(s) => s.span(),
            Value::Bool(b) => b.span(),
            Value::NoneKw(span) | Value::List(span, _) | Value::Other(span) => *span,
        }
    }

    fn string(&self, key: &str, errors: &mut Errors) -> Option<&LitStr> {
        match self {
            Value::Str(s) => Some(s),
            other => {
                errors.error(
                    other.span(),
                    format!(
                        "`{key}` expects a string literal, e.g. `{key} = {}`",
                        example(key)
                    ),
                );
                None
            }
        }
    }
}

/// Skips tokens up to (not including) the next comma at this level; returns the span of the
/// first one.
fn skip_to_comma(input: ParseStream<'_>) -> syn::Result<Span> {
    let span = input.span();
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            if matches!(&tt, TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    })?;
    Ok(span)
}

/// How deeply groups may nest in the arguments (`[…]` needs one level).
const MAX_DEPTH: usize = 16;

/// The first group nested deeper than [`MAX_DEPTH`]. Checked before `syn` sees the tokens:
/// its token buffer is built recursively, and hostile input must not overflow the stack.
fn too_deep(tokens: &TokenStream) -> Option<Span> {
    let mut stack = vec![tokens.clone().into_iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(TokenTree::Group(g)) => {
                if stack.len() >= MAX_DEPTH {
                    return Some(g.span());
                }
                stack.push(g.stream().into_iter());
            }
            Some(_) => {}
            None => {
                stack.pop();
            }
        }
    }
    None
}

/// A string or an array of strings, each validated; duplicates are rejected.
fn ids(
    value: &Value,
    key: &str,
    errors: &mut Errors,
    validate: fn(&str) -> Result<(), String>,
) -> Vec<(String, Span)> {
    let lits: Vec<Result<&LitStr, Span>> = match value {
        Value::List(_, elems) => elems
            .iter()
            .map(|e| e.as_ref().map_err(|span| *span))
            .collect(),
        Value::Str(s) => vec![Ok(s)],
        other => {
            let also = if key == DOWN_REVISION {
                ", or `None` for a base"
            } else {
                ""
            };
            errors.error(
                other.span(),
                format!(
                    "`{key}` expects a string literal or an array of string literals, e.g. \
                     `{key} = {}`{also}",
                    example(key)
                ),
            );
            return Vec::new();
        }
    };
    let mut out: Vec<(String, Span)> = Vec::with_capacity(lits.len());
    for e in lits {
        let lit = match e {
            Ok(lit) => lit,
            Err(span) => {
                errors.error(
                    span,
                    format!(
                        "`{key}` expects string literals, e.g. `{key} = {}`",
                        example(key)
                    ),
                );
                continue;
            }
        };
        let v = lit.value();
        if let Err(msg) = validate(&v) {
            errors.error(lit.span(), msg);
        } else if out.iter().any(|(o, _)| *o == v) {
            errors.error(lit.span(), format!("`{v}` is listed twice in `{key}`"));
        } else {
            out.push((v, lit.span()));
        }
    }
    out
}

/// Checks a revision id: 1 to [`MAX_ID_LEN`] characters from `a-z`, `0-9` and `_`
/// (`cargo migrate revision` generates 12 lowercase hex characters).
///
/// # Errors
/// A message naming the id and the rule it breaks.
pub fn validate_revision_id(id: &str) -> Result<(), String> {
    const RULE: &str = "ids use 1 to 32 characters from `a-z`, `0-9` and `_`";
    if id.is_empty() {
        return Err(format!("empty revision id; {RULE}"));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_'))
    {
        return Err(format!(
            "invalid revision id `{id}`: `{c}` is not allowed; {RULE}"
        ));
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!(
            "invalid revision id `{id}`: {} characters is too long; {RULE}",
            id.len()
        ));
    }
    Ok(())
}

/// Checks a `depends_on` entry: a revision id or, as in Alembic, a branch label (the revision
/// that declares it). The error is the revision id's.
fn validate_dependency(s: &str) -> Result<(), String> {
    validate_revision_id(s).or_else(|id_error| validate_branch_label(s).map_err(|_| id_error))
}

/// Checks a branch label: 1 to [`MAX_LABEL_LEN`] characters from `a-z`, `A-Z`, `0-9` and
/// `_`, and not one of the words revision specs reserve (`head`, `heads`, `base`, `current`).
///
/// # Errors
/// A message naming the label and the rule it breaks.
pub fn validate_branch_label(label: &str) -> Result<(), String> {
    const RULE: &str = "labels use 1 to 64 characters from `a-z`, `A-Z`, `0-9` and `_`";
    if label.is_empty() {
        return Err(format!("empty branch label; {RULE}"));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(format!(
            "invalid branch label `{label}`: `{c}` is not allowed; {RULE}"
        ));
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(format!(
            "invalid branch label `{label}`: {} characters is too long; {RULE}",
            label.len()
        ));
    }
    if RESERVED_LABELS.contains(&label) {
        return Err(format!(
            "invalid branch label `{label}`: revision specs reserve `{label}`; pick another name"
        ));
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// parse_file

/// What [`parse_file`] reads from a revision file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRevision {
    /// The `#[migration(...)]` arguments.
    pub args: MigrationArgs,
    /// The name of the inline module the attribute is on (`revision` in generated files).
    pub module: String,
    /// The message: the first non-empty line of the file's `//!` docstring that is not a
    /// `Revision ID:` / `Revises:` / `Create Date:` header line; empty when there is none.
    pub message: String,
    /// The value of the docstring's `Create Date:` line, if any.
    pub create_date: Option<String>,
}

impl SourceRevision {
    /// The graph's view of this revision; `file` is the path to report in errors (relative
    /// to the crate root by convention, with forward slashes).
    pub fn to_info(&self, file: &str) -> RevisionInfo {
        self.clone().into_info(file.to_owned())
    }

    /// [`SourceRevision::to_info`] without copying: the revision's strings move into the
    /// result.
    pub fn into_info(self, file: String) -> RevisionInfo {
        let args = self.args;
        RevisionInfo {
            id: args.revision,
            down_revisions: args.down_revisions,
            branch_labels: args.branch_labels,
            depends_on: args.depends_on,
            message: self.message,
            file,
        }
    }
}

/// Why a file is not a valid revision file. Lines are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The file has no `#[migration(...)]` attribute.
    #[error(
        "no `#[migrate_macros::migration(...)]` attribute found; a revision file declares one \
         revision: `#[migrate_macros::migration(revision = \"…\")] mod revision {{ … }}`"
    )]
    NoMigration,
    /// The file has more than one `#[migration(...)]` attribute.
    #[error(
        "more than one `#[migration(...)]` attribute (lines {}); a revision file declares \
         exactly one revision, move the others to files of their own",
        join_lines(lines)
    )]
    MultipleMigrations {
        /// The lines of every `#[migration(...)]` attribute.
        lines: Vec<usize>,
    },
    /// The attribute is not on an inline `mod name { … }`.
    #[error(
        "the `#[migration(...)]` attribute on line {line} is not on an inline module; it goes \
         on `mod revision {{ … }}` holding `upgrade` and `downgrade`"
    )]
    NotInlineMod {
        /// The attribute's line.
        line: usize,
    },
    /// The attribute's arguments are invalid.
    #[error("invalid `#[migration(...)]` arguments on line {line}: {message}")]
    BadArgs {
        /// The attribute's line.
        line: usize,
        /// Every problem [`parse_args`] found, joined with `; `.
        message: String,
    },
    /// The file is not valid Rust at the token level (an unterminated string or comment, an
    /// unbalanced delimiter).
    #[error("cannot read the tokens of line {line}: {message}")]
    Lex {
        /// Where the problem was noticed.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

fn join_lines(lines: &[usize]) -> String {
    lines
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the revision declared by a revision file's text.
///
/// Finds the one `#[migration(...)]` (or `#[migrate_macros::migration(...)]`) attribute at
/// the top level, checks it sits on an inline `mod name { … }`, parses its arguments with
/// [`parse_args`] and reads the message and `Create Date:` from the leading `//!` lines.
/// Module bodies are skipped by matching delimiters, not parsed, so this is fast (a few
/// microseconds per file) and does not check that the rest of the file is valid Rust: the
/// compiler does that.
///
/// # Errors
/// [`SourceError`]: no attribute, more than one, not on an inline module, invalid arguments,
/// or text that cannot be tokenized.
pub fn parse_file(text: &str) -> Result<SourceRevision, SourceError> {
    let mut sc = Scanner {
        s: text.as_bytes(),
        pos: 0,
    };
    if text.starts_with('\u{feff}') {
        sc.pos = 3;
    }
    let mut docs: Vec<&str> = Vec::new();
    let mut found: Vec<Found> = Vec::new();
    // a migration attribute waiting for its item: (offset of `#`, range inside the brackets)
    let mut pending: Option<(usize, Range<usize>)> = None;

    loop {
        let tok = sc.next().map_err(|e| e.into_source(text))?;
        match tok {
            Tok::Eof => {
                if let Some((attr, content)) = pending {
                    found.push(Found {
                        attr,
                        content,
                        module: None,
                    });
                }
                break;
            }
            Tok::InnerDoc(line) => {
                if found.is_empty() && pending.is_none() {
                    docs.push(line);
                }
            }
            Tok::OuterDoc => {}
            Tok::Attr {
                start,
                inner: false,
                content,
            } => {
                if is_migration_attr(&text[content.clone()])
                    && let Some((attr, content)) = pending.replace((start, content))
                {
                    // `#[migration] #[migration] mod x {}`: two attributes, one item
                    found.push(Found {
                        attr,
                        content,
                        module: None,
                    });
                }
            }
            tok => {
                if let Some((attr, content)) = pending.take() {
                    let module = sc.inline_mod(tok).map_err(|e| e.into_source(text))?;
                    found.push(Found {
                        attr,
                        content,
                        module,
                    });
                }
            }
        }
    }

    let line_of = |pos: usize| {
        1 + text.as_bytes()[..pos]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    };
    let Some(first) = found.first() else {
        return Err(SourceError::NoMigration);
    };
    if found.len() > 1 {
        return Err(SourceError::MultipleMigrations {
            lines: found.iter().map(|f| line_of(f.attr)).collect(),
        });
    }
    let line = line_of(first.attr);
    let Some(module) = first.module.clone() else {
        return Err(SourceError::NotInlineMod { line });
    };
    let args = attr_args(&text[first.content.clone()])
        .map_err(|message| SourceError::BadArgs { line, message })?;

    let (message, create_date) = read_docs(&docs);
    Ok(SourceRevision {
        args,
        module,
        message,
        create_date,
    })
}

struct Found {
    /// Byte offset of the attribute's `#`.
    attr: usize,
    /// The text between the attribute's brackets.
    content: Range<usize>,
    /// The inline module's name, `None` when the attribute is not on one.
    module: Option<String>,
}

/// `migration`, `migrate_macros::migration` or `::migrate_macros::migration`, with or
/// without arguments (`#[migration]` alone is reported by `parse_args` as missing
/// `revision`).
fn is_migration_attr(content: &str) -> bool {
    let rest = content.trim_start().trim_start_matches("::").trim_start();
    let rest = match rest.strip_prefix("migrate_macros") {
        Some(r) => match r.trim_start().strip_prefix("::") {
            Some(r) => r.trim_start(),
            None => return false,
        },
        None => rest,
    };
    match rest.strip_prefix("migration") {
        Some(r) => !r.starts_with(|c: char| c.is_alphanumeric() || c == '_'),
        None => false,
    }
}

/// The arguments of an attribute (`inner` is the text between its brackets), parsed by
/// [`parse_args`].
fn attr_args(inner: &str) -> Result<MigrationArgs, String> {
    let tokens = TokenStream::from_str(inner).map_err(|e| e.to_string())?;
    let mut iter = tokens.into_iter().peekable();
    // skip the path
    while let Some(TokenTree::Ident(_) | TokenTree::Punct(_)) = iter.peek() {
        iter.next();
    }
    let args = match (iter.next(), iter.next()) {
        (None, _) => TokenStream::new(),
        (Some(TokenTree::Group(g)), None) if g.delimiter() == Delimiter::Parenthesis => g.stream(),
        _ => return Err("expected `#[migration(revision = \"…\", …)]`".to_owned()),
    };
    parse_args(args).map_err(|e| {
        e.into_iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })
}

fn read_docs(docs: &[&str]) -> (String, Option<String>) {
    let mut message = None;
    let mut create_date = None;
    for line in docs {
        let line = line.trim();
        if let Some(date) = line.strip_prefix("Create Date:") {
            create_date.get_or_insert_with(|| date.trim().to_owned());
        } else if line.is_empty()
            || line.starts_with("Revision ID:")
            || line.starts_with("Revises:")
        {
        } else if message.is_none() {
            message = Some(line.to_owned());
        }
    }
    (message.unwrap_or_default(), create_date)
}

/// A top-level token, as far as [`parse_file`] cares.
enum Tok<'a> {
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

struct LexError {
    pos: usize,
    message: String,
}

impl LexError {
    fn into_source(self, text: &str) -> SourceError {
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
struct Scanner<'a> {
    s: &'a [u8],
    pos: usize,
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
    fn next(&mut self) -> Result<Tok<'a>, LexError> {
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

    /// Whitespace and comments.
    fn skip_trivia(&mut self) -> Result<(), LexError> {
        loop {
            match self.peek(0) {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'/' if self.peek(1) == b'/' => {
                    self.pos = self.s[self.pos..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(self.s.len(), |i| self.pos + i);
                }
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
                b'/' if self.peek(1) == b'/' => {
                    self.pos = self.s[self.pos..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(self.s.len(), |i| self.pos + i);
                }
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
    fn inline_mod(&mut self, first: Tok<'a>) -> Result<Option<String>, LexError> {
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

// ------------------------------------------------------------------------------------------
// rendering

/// A revision file to write: what `cargo migrate revision` / `merge` knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRevision {
    /// The new id (see [`validate_revision_id`]).
    pub id: String,
    /// Parents: the current head(s); empty for a base.
    pub down_revisions: Vec<String>,
    /// The message (`-m`); its first line names the file.
    pub message: String,
    /// The creation date as it should appear in the header, e.g. `2026-11-21 12:00:00 UTC`.
    pub create_date: String,
    /// Branch labels of the new revision.
    pub branch_labels: Vec<String>,
    /// `depends_on` dependencies.
    pub depends_on: Vec<String>,
    /// A merge revision (`cargo migrate merge`): the bodies say so in a comment.
    pub merge: bool,
}

/// Renders a new revision file: the Alembic-like `//!` header (message, blank line,
/// `Revision ID:`, `Revises:`, `Create Date:`), the `#[migrate_macros::migration(...)]`
/// attribute with only the keys needed, and empty `upgrade` / `downgrade` bodies. The output
/// is rustfmt-clean and [`parse_file`] reads it back.
pub fn render_revision_file(r: &NewRevision) -> String {
    let mut out = String::with_capacity(640);
    let mut lines = r.message.lines();
    let first = lines.next().unwrap_or("").trim_end();
    doc_line(&mut out, first);
    for line in lines {
        doc_line(&mut out, line.trim_end());
    }
    out.push_str("//!\n");
    let _ = writeln!(out, "//! Revision ID: {}", r.id);
    doc_line(
        &mut out,
        &format!("Revises: {}", r.down_revisions.join(", ")),
    );
    doc_line(&mut out, &format!("Create Date: {}", r.create_date));
    out.push('\n');

    let mut args = vec![format!("revision = {}", quote_str(&r.id))];
    match r.down_revisions.as_slice() {
        [] => {}
        [one] if !r.merge => args.push(format!("down_revision = {}", quote_str(one))),
        many => args.push(format!("down_revision = {}", quote_list(many))),
    }
    if !r.branch_labels.is_empty() {
        args.push(format!("branch_labels = {}", quote_list(&r.branch_labels)));
    }
    if !r.depends_on.is_empty() {
        args.push(format!("depends_on = {}", quote_list(&r.depends_on)));
    }
    let one_line = format!("#[migrate_macros::migration({})]", args.join(", "));
    if one_line.len() <= 100 {
        out.push_str(&one_line);
        out.push('\n');
    } else {
        out.push_str("#[migrate_macros::migration(\n");
        for a in &args {
            let _ = writeln!(out, "    {a},");
        }
        out.push_str(")]\n");
    }

    let note = if r.merge {
        "        // a merge revision: it joins branches and usually has nothing to do\n"
    } else {
        ""
    };
    out.push_str("mod revision {\n    use migrate_core::prelude::*;\n\n");
    for f in ["upgrade", "downgrade"] {
        if f == "downgrade" {
            out.push('\n');
        }
        let _ = write!(
            out,
            "    pub async fn {f}(_db: &mut Db) -> Result<()> {{\n{note}        Ok(())\n    }}\n"
        );
    }
    out.push_str("}\n");
    out
}

fn doc_line(out: &mut String, text: &str) {
    let text = text.trim_end();
    if text.is_empty() {
        out.push_str("//!\n");
    } else {
        out.push_str("//! ");
        out.push_str(text);
        out.push('\n');
    }
}

fn quote_str(s: &str) -> String {
    format!("{s:?}")
}

fn quote_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| quote_str(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The length [`file_name`] truncates a message slug to.
pub const MAX_SLUG_LEN: usize = 40;

/// The file name of a new revision, `{id}_{slug}.rs` (Alembic's `3f2a9c1b7e4d_create_users.py`):
/// the slug is the message's first line in lowercase ASCII letters, digits and `_`, cut at
/// a word boundary to at most [`MAX_SLUG_LEN`] characters; `{id}.rs` when the slug is empty.
pub fn file_name(id: &str, message: &str) -> String {
    let first = message.lines().next().unwrap_or("");
    let mut slug = String::with_capacity(first.len());
    for c in first.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('_') {
            slug.push('_');
        }
    }
    if slug.len() > MAX_SLUG_LEN {
        let cut = &slug[..MAX_SLUG_LEN];
        // cut at the last word boundary unless the first word alone is too long
        let keep = if slug.as_bytes()[MAX_SLUG_LEN] == b'_' {
            MAX_SLUG_LEN
        } else {
            cut.rfind('_').unwrap_or(MAX_SLUG_LEN)
        };
        slug.truncate(keep);
    }
    let slug = slug.trim_end_matches('_');
    if slug.is_empty() {
        format!("{id}.rs")
    } else {
        format!("{id}_{slug}.rs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `parse_args` messages for `args`, or the parsed args.
    fn args(src: &str) -> Result<MigrationArgs, Vec<String>> {
        let tokens = TokenStream::from_str(src).expect("lexes");
        parse_args(tokens).map_err(|e| e.into_iter().map(|e| e.to_string()).collect())
    }

    fn arg_errors(src: &str) -> Vec<String> {
        args(src).expect_err("should fail")
    }

    fn new_rev(id: &str, parents: &[&str]) -> NewRevision {
        NewRevision {
            id: id.to_owned(),
            down_revisions: parents.iter().map(|s| (*s).to_owned()).collect(),
            message: "create users".to_owned(),
            create_date: "2026-11-21 12:00:00 UTC".to_owned(),
            ..NewRevision::default()
        }
    }

    const TEMPLATE: &str = r#"//! create users
//!
//! Revision ID: 3f2a9c1b7e4d
//! Revises: 8828a8665651
//! Create Date: 2026-11-21 12:00:00 UTC

#[migrate_macros::migration(revision = "3f2a9c1b7e4d", down_revision = "8828a8665651")]
mod revision {
    use migrate_core::prelude::*;

    pub async fn upgrade(_db: &mut Db) -> Result<()> {
        Ok(())
    }

    pub async fn downgrade(_db: &mut Db) -> Result<()> {
        Ok(())
    }
}
"#;

    #[test]
    fn renders_the_template() {
        assert_eq!(
            render_revision_file(&new_rev("3f2a9c1b7e4d", &["8828a8665651"])),
            TEMPLATE
        );
    }

    #[test]
    fn rendered_files_round_trip() {
        let long = "a".repeat(32);
        let cases = [
            new_rev("3f2a9c1b7e4d", &[]),
            new_rev("3f2a9c1b7e4d", &["8828a8665651"]),
            NewRevision {
                merge: true,
                message: "merge heads".into(),
                ..new_rev("m1", &["a1", "b2"])
            },
            NewRevision {
                branch_labels: vec!["auth".into()],
                depends_on: vec!["x9".into()],
                ..new_rev("ab", &[])
            },
            NewRevision {
                message: String::new(),
                ..new_rev("ab", &["cd"])
            },
            NewRevision {
                message: "first line\nsecond line".into(),
                ..new_rev("ab", &["cd"])
            },
            // too long for one line: the attribute is split like rustfmt would
            NewRevision {
                branch_labels: vec!["a_long_label".into()],
                ..new_rev(&long, &[&"b".repeat(32), &"c".repeat(32)])
            },
        ];
        for r in cases {
            let text = render_revision_file(&r);
            let parsed = parse_file(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(parsed.args.revision, r.id);
            assert_eq!(parsed.args.down_revisions, r.down_revisions);
            assert_eq!(parsed.args.branch_labels, r.branch_labels);
            assert_eq!(parsed.args.depends_on, r.depends_on);
            assert!(parsed.args.transactional);
            assert_eq!(parsed.module, "revision");
            assert_eq!(
                parsed.message,
                r.message.lines().next().unwrap_or(""),
                "{text}"
            );
            assert_eq!(parsed.create_date.as_deref(), Some(r.create_date.as_str()));
            assert!(
                text.lines().all(|l| l.len() <= 100 && l == l.trim_end()),
                "{text}"
            );
            let info = parsed.to_info("src/versions/x.rs");
            assert_eq!(info.file, "src/versions/x.rs");
            assert_eq!(info.id, r.id);
        }
    }

    #[test]
    fn renders_keys_only_when_needed() {
        let base = render_revision_file(&new_rev("ab", &[]));
        assert!(
            base.contains("#[migrate_macros::migration(revision = \"ab\")]\n"),
            "{base}"
        );
        assert!(base.contains("//! Revises:\n"), "{base}");
        let merge = render_revision_file(&NewRevision {
            merge: true,
            ..new_rev("m", &["a", "b"])
        });
        assert!(
            merge.contains("down_revision = [\"a\", \"b\"])]"),
            "{merge}"
        );
        assert!(merge.contains("//! Revises: a, b\n"), "{merge}");
        assert!(merge.contains("// a merge revision"), "{merge}");
    }

    #[test]
    fn parses_every_key() {
        let a = args(
            r#"revision = "ab_1", down_revision = ["x", "y"], branch_labels = "auth",
               depends_on = ["z"], transactional = false,"#,
        )
        .unwrap();
        assert_eq!(
            a,
            MigrationArgs {
                revision: "ab_1".into(),
                down_revisions: vec!["x".into(), "y".into()],
                branch_labels: vec!["auth".into()],
                depends_on: vec!["z".into()],
                transactional: false,
            }
        );
        assert_eq!(
            args(r#"revision = "a", down_revision = None"#)
                .unwrap()
                .down_revisions,
            Vec::<String>::new()
        );
        assert_eq!(
            args(r#"down_revision = "b", revision = "a""#)
                .unwrap()
                .down_revisions,
            ["b"]
        );
    }

    #[test]
    fn arg_errors_are_spanned_and_accumulated() {
        let cases: &[(&str, &[&str])] = &[
            (
                r#"revision = "a", down_revison = "b""#,
                &[
                    "unknown key `down_revison`; expected one of revision, down_revision, branch_labels, depends_on, transactional",
                ],
            ),
            (
                r#"revision = "a", revision = "b""#,
                &["duplicate key `revision`; give each key once"],
            ),
            (
                r#"revision = "3F2A""#,
                &[
                    "invalid revision id `3F2A`: `F` is not allowed; ids use 1 to 32 characters from `a-z`, `0-9` and `_`",
                ],
            ),
            (
                r#"revision = "a-b""#,
                &[
                    "invalid revision id `a-b`: `-` is not allowed; ids use 1 to 32 characters from `a-z`, `0-9` and `_`",
                ],
            ),
            (
                r#"down_revision = "b""#,
                &[
                    "missing `revision`: `#[migration(revision = \"3f2a9c1b7e4d\")]` (ids are generated by `cargo migrate revision`)",
                ],
            ),
            (
                "",
                &[
                    "missing `revision`: `#[migration(revision = \"3f2a9c1b7e4d\")]` (ids are generated by `cargo migrate revision`)",
                ],
            ),
            (
                r#"revision = 3"#,
                &["`revision` expects a string literal, e.g. `revision = \"3f2a9c1b7e4d\"`"],
            ),
            (
                r#"revision = "a", transactional = "no""#,
                &["`transactional` expects `true` or `false`, e.g. `transactional = false`"],
            ),
            (
                r#"revision = "a", down_revision = a"#,
                &[
                    "`down_revision` expects a string literal or an array of string literals, e.g. `down_revision = \"8828a8665651\"`, or `None` for a base",
                ],
            ),
            (
                r#"revision = "a", down_revision = "a""#,
                &["revision `a` names itself in `down_revision`; name an older revision"],
            ),
            (
                r#"revision = "a", depends_on = ["b", "b"]"#,
                &["`b` is listed twice in `depends_on`"],
            ),
            (
                r#"revision = "a", branch_labels = ["head"]"#,
                &["invalid branch label `head`: revision specs reserve `head`; pick another name"],
            ),
            // accumulated: three problems, one report
            (
                r#"revision = "A", foo = 1, down_revision = 2"#,
                &[
                    "invalid revision id `A`: `A` is not allowed; ids use 1 to 32 characters from `a-z`, `0-9` and `_`",
                    "unknown key `foo`; expected one of revision, down_revision, branch_labels, depends_on, transactional",
                    "`down_revision` expects a string literal or an array of string literals, e.g. `down_revision = \"8828a8665651\"`, or `None` for a base",
                ],
            ),
            // a syntax error stops the parse but keeps what came before
            (
                r#"foo = 1, revision "a""#,
                &[
                    "unknown key `foo`; expected one of revision, down_revision, branch_labels, depends_on, transactional",
                    "expected `=` after `revision`, e.g. `revision = \"3f2a9c1b7e4d\"`",
                ],
            ),
        ];
        for (src, expected) in cases {
            assert_eq!(arg_errors(src), *expected, "{src}");
        }
    }

    #[test]
    fn hostile_arguments_do_not_overflow_the_stack() {
        let deep = format!(
            "revision = {}\"a\"{}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        assert_eq!(
            arg_errors(&deep),
            [
                "`#[migration(...)]` arguments nest too deeply; values are string literals, arrays of string literals, `true`, `false` or `None`"
            ]
        );
        let unary = format!("revision = {}1", "-".repeat(100_000));
        assert_eq!(
            arg_errors(&unary),
            ["`revision` expects a string literal, e.g. `revision = \"3f2a9c1b7e4d\"`"]
        );
        let file = format!(
            "#[migration({})]\nmod revision {{}}\n",
            "[".repeat(100_000) + &"]".repeat(100_000)
        );
        assert!(matches!(
            parse_file(&file),
            Err(SourceError::BadArgs { line: 1, .. })
        ));
        let ok = r#"revision = "a", down_revision = ["b", "c"]"#;
        assert_eq!(args(ok).unwrap().down_revisions, ["b", "c"]);
    }

    #[test]
    fn validates_ids() {
        assert!(validate_revision_id("3f2a9c1b7e4d").is_ok());
        assert!(validate_revision_id("a_b_0").is_ok());
        assert!(validate_revision_id(&"a".repeat(32)).is_ok());
        assert_eq!(
            validate_revision_id(&"a".repeat(33)).unwrap_err(),
            format!(
                "invalid revision id `{}`: 33 characters is too long; ids use 1 to 32 characters from `a-z`, `0-9` and `_`",
                "a".repeat(33)
            )
        );
        assert!(
            validate_revision_id("")
                .unwrap_err()
                .starts_with("empty revision id")
        );
        assert!(validate_revision_id("é").is_err());
        assert!(validate_branch_label("Auth_2").is_ok());
        assert!(validate_branch_label("a@b").is_err());
    }

    fn file_err(text: &str) -> SourceError {
        parse_file(text).expect_err("should fail")
    }

    #[test]
    fn file_errors() {
        assert_eq!(
            file_err("//! nothing\nfn main() {}\n"),
            SourceError::NoMigration
        );
        assert_eq!(file_err(""), SourceError::NoMigration);
        assert_eq!(
            file_err(
                "#[migration(revision = \"a\")]\nmod a {}\n#[migration(revision = \"b\")]\nmod b {}\n"
            ),
            SourceError::MultipleMigrations { lines: vec![1, 3] }
        );
        assert_eq!(
            file_err("#[migration(revision = \"a\")]\n#[migration(revision = \"b\")]\nmod b {}\n"),
            SourceError::MultipleMigrations { lines: vec![1, 2] }
        );
        assert_eq!(
            file_err("\n#[migration(revision = \"a\")]\nfn revision() {}\n"),
            SourceError::NotInlineMod { line: 2 }
        );
        assert_eq!(
            file_err("#[migration(revision = \"a\")]\nmod revision;\n"),
            SourceError::NotInlineMod { line: 1 }
        );
        assert_eq!(
            file_err("#[migration(revision = \"a\")]\n"),
            SourceError::NotInlineMod { line: 1 }
        );
        assert_eq!(
            file_err("//! x\n#[migration(revision = \"a\", foo = 1, bar = 2)]\nmod revision {}\n"),
            SourceError::BadArgs {
                line: 2,
                message: "unknown key `foo`; expected one of revision, down_revision, branch_labels, depends_on, transactional; unknown key `bar`; expected one of revision, down_revision, branch_labels, depends_on, transactional".into()
            }
        );
        assert_eq!(
            file_err("#[migration = \"a\"]\nmod revision {}\n"),
            SourceError::BadArgs {
                line: 1,
                message: "expected `#[migration(revision = \"…\", …)]`".into()
            }
        );
        assert_eq!(
            file_err(
                "#[migration(revision = \"a\")]\nmod revision {\n    fn f() {\n        let s = \"x;\n    }\n}\n"
            ),
            SourceError::Lex {
                line: 4,
                message: "unterminated string literal".into()
            }
        );
        assert_eq!(
            file_err("#[migration(revision = \"a\")]\nmod revision {\n    fn f() {\n}\n"),
            SourceError::Lex {
                line: 2,
                message: "unclosed delimiter `{`".into()
            }
        );
        assert_eq!(
            file_err("mod a { fn f() ] }"),
            SourceError::Lex {
                line: 1,
                message: "mismatched closing delimiter `]` for `{`".into()
            }
        );
        assert_eq!(
            file_err("/* x */ }"),
            SourceError::Lex {
                line: 1,
                message: "unexpected closing delimiter `}`".into()
            }
        );
        assert_eq!(
            file_err("/* /* */"),
            SourceError::Lex {
                line: 1,
                message: "unterminated block comment".into()
            }
        );
        // messages
        assert_eq!(
            SourceError::MultipleMigrations { lines: vec![3, 9] }.to_string(),
            "more than one `#[migration(...)]` attribute (lines 3, 9); a revision file declares exactly one revision, move the others to files of their own"
        );
    }

    #[test]
    fn scanner_skips_what_may_hide_delimiters_and_attributes() {
        let text = r####"#![allow(dead_code)]
//! tricky
// #[migration(revision = "in_comment")]
/* #[migration(revision = "in_block")] /* nested } */ */
const S: &str = "#[migration(revision = \"in_string\")] }";
const R: &str = r##"raw "# } "##;
const B: &[u8] = br#"}"#;
const C: char = '{';
const E: char = '\'';
const U: char = '}';
const BC: u8 = b'}';
fn f<'a>(x: &'a str) -> &'a str { 'outer: loop { break 'outer; } x }
/// doc on the item
#[allow(unused)]
#[migrate_macros::migration(
    revision = "real", // a comment inside
    transactional = false,
)]
/// doc after the attribute
#[allow(unused)]
pub(crate) mod r#revision {
    const T: &str = "}";
    #[migration(revision = "nested_is_ignored")]
    mod inner {}
}
struct After;
"####;
        let r = parse_file(text).unwrap();
        assert_eq!(r.args.revision, "real");
        assert!(!r.args.transactional);
        assert_eq!(r.module, "revision");
        assert_eq!(r.message, "tricky");
        assert_eq!(r.create_date, None);
    }

    #[test]
    fn accepts_short_and_absolute_paths() {
        for path in [
            "migration",
            "migrate_macros::migration",
            ":: migrate_macros :: migration",
        ] {
            let text = format!("#[{path}(revision = \"a\")]\nmod revision {{}}\n");
            assert_eq!(parse_file(&text).unwrap().args.revision, "a", "{path}");
        }
        for path in [
            "migrations",
            "other::migration",
            "migrate_macros::migrations",
        ] {
            let text = format!("#[{path}(revision = \"a\")]\nmod revision {{}}\n");
            assert_eq!(
                parse_file(&text).unwrap_err(),
                SourceError::NoMigration,
                "{path}"
            );
        }
    }

    #[test]
    fn file_names() {
        let cases = [
            ("create users", "3f2a_create_users.rs"),
            ("Add `email` to Users!", "3f2a_add_email_to_users.rs"),
            ("", "3f2a.rs"),
            ("!!!", "3f2a.rs"),
            ("créer la table", "3f2a_cr_er_la_table.rs"),
            ("first line\nsecond", "3f2a_first_line.rs"),
            (
                "add a column to the users table for the email address",
                "3f2a_add_a_column_to_the_users_table_for_the.rs",
            ),
            (
                "x".repeat(50).as_str().to_owned().leak(),
                "3f2a_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.rs",
            ),
        ];
        for (msg, expected) in cases {
            assert_eq!(file_name("3f2a", msg), expected, "{msg}");
        }
    }
}
