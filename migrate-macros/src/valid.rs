//! Checks across the revision module: `upgrade` and `downgrade` exist with the shape the
//! registry calls.

use proc_macro2::Span;
use syn::spanned::Spanned;

use crate::attr::RevisionMod;

/// Accumulated errors (serde_derive's `Ctxt`): every check reports here and the caller
/// turns them into one combined error. Dropping it without [`Ctxt::check`] is a bug and
/// panics, so no error can be lost.
pub(crate) struct Ctxt {
    errors: Option<Option<syn::Error>>,
}

impl Ctxt {
    pub fn new() -> Self {
        Ctxt { errors: Some(None) }
    }

    pub fn push(&mut self, e: syn::Error) {
        let slot = self.errors.as_mut().expect("checked already");
        match slot {
            Some(all) => all.combine(e),
            None => *slot = Some(e),
        }
    }

    pub fn error(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }

    /// All errors, combined; `Ok` when there were none.
    pub fn check(mut self) -> syn::Result<()> {
        match self.errors.take().expect("checked once") {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.is_some() {
            panic!("forgot to check for errors");
        }
    }
}

/// The two functions a revision module declares.
pub(crate) const FUNCTIONS: [&str; 2] = ["upgrade", "downgrade"];

/// A valid `upgrade` or `downgrade`: where to point type errors of the generated wrapper.
pub(crate) struct Function {
    /// The return type (or the signature when there is none).
    pub output_span: Span,
}

/// Checks that `upgrade` and `downgrade` are `async fn NAME(db: &mut Db) -> Result<()>`:
/// present, async, one typed parameter, no generics, a return type. Types are left to rustc:
/// the wrapper the attribute generates is spanned at the return type, so a wrong type is
/// reported there.
pub(crate) fn check(module: &RevisionMod, cx: &mut Ctxt) -> [Option<Function>; 2] {
    let mut sigs = module.functions.iter();
    FUNCTIONS.map(|name| {
        let Some(sig) = sigs.next().and_then(Option::as_ref) else {
            cx.error(
                module.ident.span(),
                format!("revision module is missing `async fn {name}(db: &mut Db) -> Result<()>`"),
            );
            return None;
        };
        check_fn(name, sig, cx)
    })
}

fn check_fn(name: &str, sig: &syn::Signature, cx: &mut Ctxt) -> Option<Function> {
    let expected = format!("`pub async fn {name}(db: &mut Db) -> Result<()>`");
    let mut ok = true;
    if sig.asyncness.is_none() {
        cx.error(
            sig.fn_token.span,
            format!("`{name}` must be an `async fn`: {expected}"),
        );
        ok = false;
    }
    if let Some(u) = &sig.unsafety {
        cx.error(u.span, format!("`{name}` cannot be `unsafe`: {expected}"));
        ok = false;
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let span = if sig.generics.params.is_empty() {
            sig.generics.where_clause.span()
        } else {
            sig.generics.span()
        };
        cx.error(span, format!("`{name}` cannot be generic: {expected}"));
        ok = false;
    }
    let typed = |a: &syn::FnArg| matches!(a, syn::FnArg::Typed(_));
    if sig.inputs.len() != 1 || !sig.inputs.iter().all(typed) || sig.variadic.is_some() {
        cx.error(
            sig.paren_token.span.join(),
            format!(
                "`{name}` takes exactly one parameter, the database handle: {expected} (found {})",
                match sig.inputs.len() {
                    0 => "none".to_owned(),
                    1 if !sig.inputs.iter().all(typed) => "`self`".to_owned(),
                    n => n.to_string(),
                }
            ),
        );
        ok = false;
    }
    let output_span = match &sig.output {
        syn::ReturnType::Type(_, ty) => ty.span(),
        syn::ReturnType::Default => {
            cx.error(
                sig.paren_token.span.close(),
                format!(
                    "`{name}` must return `Result<()>` (from `migrate_core::prelude`): {expected}"
                ),
            );
            ok = false;
            Span::call_site()
        }
    };
    ok.then_some(Function { output_span })
}
