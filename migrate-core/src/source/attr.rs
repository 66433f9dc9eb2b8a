//! The `#[migration(...)]` arguments: their parser ([`parse_args`]) and the rules for ids and
//! branch labels.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{LitBool, LitStr, Token};

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
    IRREVERSIBLE,
    ALLOW_LINT,
];

const REVISION: &str = "revision";
const DOWN_REVISION: &str = "down_revision";
const BRANCH_LABELS: &str = "branch_labels";
const DEPENDS_ON: &str = "depends_on";
const TRANSACTIONAL: &str = "transactional";
const IRREVERSIBLE: &str = "irreversible";
const ALLOW_LINT: &str = "allow_lint";

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
    /// `irreversible` or `irreversible = "reason"`: the revision's downgrade is expected to
    /// fail (`cargo migrate test` reports it as irreversible, not as a failure). `None`: not
    /// declared; `Some("")`: declared without a reason.
    pub irreversible: Option<String>,
    /// `allow_lint("rule", reason = "…")`, once per allowed rule: (rule, reason) pairs, in
    /// the order written.
    pub allow_lint: Vec<(String, String)>,
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
/// | `irreversible` | bare (`irreversible`), or a reason: `irreversible = "drops data"` |
///
/// and, once per rule, `allow_lint("rule", reason = "why it is safe here")`: a lint rule
/// (`cargo migrate lint`, [`crate::lint::rules::is_known_rule`]) this revision may break.
///
/// Ids follow [`validate_revision_id`], labels [`validate_branch_label`]; a list may not
/// name the same id twice and a revision may not name itself.
///
/// # Errors
/// Every problem found, combined with [`syn::Error::combine`], each spanned at the offending
/// token: an unknown key, a duplicate key (at its second occurrence), a value of the wrong
/// type, a malformed id or label (at the literal), a missing `revision` (at the call site),
/// an `allow_lint` without a reason or with an empty one, an unknown or repeated rule name
/// (at the rule's literal),
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
    let mut irreversible: Option<String> = None;
    let mut allow_lint: Vec<(String, String)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();

    while !input.is_empty() {
        let key = input.call(syn::Ident::parse_any)?;
        let name = key.unraw().to_string();
        // `irreversible` alone, without a value
        if name == IRREVERSIBLE && (input.is_empty() || input.peek(Token![,])) {
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
            if seen.contains(&name) {
                errors.error(
                    key.span(),
                    format!("duplicate key `{name}`; give each key once"),
                );
            } else {
                seen.push(name);
                irreversible = Some(String::new());
            }
            continue;
        }
        if name == ALLOW_LINT && input.peek(syn::token::Paren) {
            let content;
            let parens = syn::parenthesized!(content in input);
            allow_lint_args(&content, parens.span.join(), &mut allow_lint, errors)?;
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
            continue;
        }
        input.parse::<Token![=]>().map_err(|e| {
            if name == ALLOW_LINT {
                return syn::Error::new(
                    e.span(),
                    "expected `(` after `allow_lint`, e.g. `allow_lint(\"require-concurrent-index-creation\", \
                     reason = \"the table is empty here\")`",
                );
            }
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
            IRREVERSIBLE => match &value {
                Value::Str(reason) if !reason.value().trim().is_empty() => {
                    irreversible = Some(reason.value());
                }
                other => errors.error(
                    other.span(),
                    "`irreversible` takes a reason, e.g. `irreversible = \"drops the old \
                     table's data\"`, or stands alone: `irreversible`",
                ),
            },
            ALLOW_LINT => errors.error(
                key.span(),
                "`allow_lint` takes its rule and reason in parentheses, e.g. \
                 `allow_lint(\"require-concurrent-index-creation\", reason = \"the table is empty \
                 here\")`",
            ),
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
        irreversible,
        allow_lint,
    }))
}

/// The inside of `allow_lint("rule", reason = "…")`: pushes (rule, reason) when the rule is
/// known, not listed yet, and the reason is given and not blank; otherwise records the
/// error at the rule's literal (or at the parentheses when there is none).
fn allow_lint_args(
    input: ParseStream<'_>,
    parens: Span,
    out: &mut Vec<(String, String)>,
    errors: &mut Errors,
) -> syn::Result<()> {
    const EXAMPLE: &str =
        "`allow_lint(\"require-concurrent-index-creation\", reason = \"the table is empty here\")`";
    if !input.peek(LitStr) {
        errors.error(
            parens,
            format!("`allow_lint` expects a rule name and a reason, e.g. {EXAMPLE}"),
        );
        // skip what is there
        input.step(|cursor| {
            let mut rest = *cursor;
            while let Some((_, next)) = rest.token_tree() {
                rest = next;
            }
            Ok(((), rest))
        })?;
        return Ok(());
    }
    let rule: LitStr = input.parse()?;
    let mut reason: Option<LitStr> = None;
    if !input.is_empty() {
        input.parse::<Token![,]>()?;
    }
    if !input.is_empty() {
        let key = input.call(syn::Ident::parse_any)?;
        if key != "reason" {
            return Err(syn::Error::new(
                key.span(),
                format!("expected `reason = \"…\"` after the rule name, e.g. {EXAMPLE}"),
            ));
        }
        input.parse::<Token![=]>()?;
        reason = Some(input.parse()?);
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
        if !input.is_empty() {
            return Err(input.error(
                "`allow_lint` takes one rule and its reason; write one `allow_lint(...)` per rule",
            ));
        }
    }
    let name = rule.value();
    let mut ok = true;
    if !crate::lint::rules::is_known_rule(&name) {
        ok = false;
        errors.error(
            rule.span(),
            format!(
                "unknown lint rule `{name}`: not one of squawk's rule names (see \
                 https://squawkhq.com/docs/rules) nor cargo-migrate's own ({})",
                crate::lint::rules::OWN_RULES.join(", ")
            ),
        );
    } else if out.iter().any(|(r, _)| *r == name) {
        ok = false;
        errors.error(
            rule.span(),
            format!("lint rule `{name}` is allowed twice; give it once"),
        );
    }
    match reason {
        None => errors.error(
            rule.span(),
            format!(
                "`allow_lint(\"{name}\")` needs a reason: say why the rule does not apply here, \
                 e.g. `allow_lint(\"{name}\", reason = \"the table is empty at this point\")`"
            ),
        ),
        Some(r) if r.value().trim().is_empty() => errors.error(
            r.span(),
            format!(
                "the reason for allowing `{name}` is empty; say why the rule does not apply here"
            ),
        ),
        Some(r) if ok => out.push((name, r.value())),
        Some(_) => {}
    }
    Ok(())
}

fn example(key: &str) -> &'static str {
    match key {
        REVISION => "\"3f2a9c1b7e4d\"",
        DOWN_REVISION => "\"8828a8665651\"",
        BRANCH_LABELS => "[\"auth\"]",
        DEPENDS_ON => "[\"8828a8665651\"]",
        TRANSACTIONAL => "false",
        IRREVERSIBLE => "\"drops data\"",
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
