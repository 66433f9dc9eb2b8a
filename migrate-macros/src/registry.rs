//! `migrations!()`: reads the versions directories, checks the revision graph and emits one
//! `mod` per file plus the `MIGRATIONS` registry.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use migrate_core::config::{Config, Origin, normalize_path as normalize};
use migrate_core::graph::{self, GraphError, RevisionInfo};
use migrate_core::source::{self, SourceError, SourceRevision};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{LitStr, Token};

/// The directory `migrations!()` reads when none is given, relative to the invoking file.
pub(crate) const DEFAULT_DIR: &str = "versions";

/// `migrations!(input)`, invoked from `invoking_file` (`None` when the compiler cannot tell:
/// `$CARGO_MANIFEST_DIR/src` is assumed).
pub(crate) fn migrations(input: TokenStream, invoking_file: Option<PathBuf>) -> TokenStream {
    let Input {
        dirs: dir_lits,
        span,
        models,
    } = match parse_input(input) {
        Ok(input) => input,
        Err(e) => return with_fallback(e.to_compile_error()),
    };
    let span = span.unwrap_or_else(Span::call_site);
    // the crate's configuration: the versions directories when none is given here, and what
    // the runner takes from it (baked into `MIGRATIONS`)
    let manifest =
        std::env::var_os("CARGO_MANIFEST_DIR").map(|d| PathBuf::from(d).join("Cargo.toml"));
    let (config, manifests) = match manifest.as_deref().filter(|m| m.is_file()) {
        Some(m) => match Config::load_tracked(m) {
            Ok(loaded) => loaded,
            Err(e) => return with_fallback(error(span, &e.to_string())),
        },
        None => (Config::default(), Vec::new()),
    };
    // each directory as written (for messages) and the span its errors point at
    let dir_args: Vec<(String, Span)> = match (&dir_lits, &config.versions_dirs.origin, &manifest) {
        (Some(lits), _, _) => lits.iter().map(|l| (l.value(), l.span())).collect(),
        // relative to the crate root (the manifest's directory)
        (None, Origin::Manifest { .. }, Some(m)) => config
            .versions_dirs
            .value
            .iter()
            .map(|d| {
                let dir = m.parent().unwrap_or(Path::new(".")).join(d);
                (dir.to_string_lossy().into_owned(), span)
            })
            .collect(),
        _ => vec![(DEFAULT_DIR.to_owned(), span)],
    };
    let ctx = Context::new(invoking_file, &dir_args);

    let files = match ctx.list() {
        Ok(files) => files,
        Err(errors) => return with_fallback(errors.iter().map(|(s, m)| error(*s, m)).collect()),
    };
    // the archive crate's revisions: headers only (it compiles them), checked with ours
    let archive = match (&config.archive.value, &ctx.manifest_dir) {
        (None, _) | (_, None) => None,
        (Some(_), Some(root)) => match config.archive(root) {
            Ok(a) => a,
            Err(e) => return with_fallback(error(span, &e.to_string())),
        },
    };
    let archived = match &archive {
        None => Vec::new(),
        Some(a) => {
            let dirs: Vec<(String, Span)> = a
                .versions_dirs
                .iter()
                .map(|d| (d.to_string_lossy().into_owned(), span))
                .collect();
            let actx = Context::new(None, &dirs);
            match actx.list() {
                Ok(files) => load(&ctx, files),
                Err(errors) => {
                    let archive = |msg| format!("archive `{}`: {msg}", a.package);
                    return with_fallback(
                        errors.iter().map(|(s, m)| error(*s, &archive(m))).collect(),
                    );
                }
            }
        }
    };
    let loaded = load(&ctx, files);
    let archive = archive.map(|a| Archived {
        dir: format!("{}/", ctx.display(&a.dir).trim_end_matches('/')),
        ident: format_ident!("{}", a.crate_ident()),
        files: archived,
    });
    let mut out = emit(
        &ctx,
        &loaded,
        archive.as_ref(),
        span,
        &config,
        models.as_deref(),
    );
    // the manifests are inputs: editing the configuration rebuilds the crate
    for m in manifests {
        let m = m.to_string_lossy();
        out.extend(quote!(
            const _: &[u8] = ::core::include_bytes!(#m);
        ));
    }
    out
}

/// `::migrate_core::Settings::new(…)` of the configured values (`None` where the default
/// applies, so the runner's default stays the one place it is defined).
fn settings(config: &Config) -> TokenStream {
    let table = match (
        &config.version_table.origin,
        &config.version_table_schema.origin,
    ) {
        (Origin::Default, Origin::Default) => quote!(::core::option::Option::None),
        _ => {
            let t = config.qualified_version_table();
            quote!(::core::option::Option::Some(#t))
        }
    };
    let env = match &config.database_url_env.origin {
        Origin::Default => quote!(::core::option::Option::None),
        _ => {
            let v = &config.database_url_env.value;
            quote!(::core::option::Option::Some(#v))
        }
    };
    quote!(::migrate_core::Settings::new(#table, #env))
}

/// What `migrations!(…)` was given.
#[derive(Default)]
struct Input {
    /// The directory literals, when given: one (`"dir"`, `dir = "dir"`) or several
    /// (`dirs = ["a", "b"]`).
    dirs: Option<Vec<LitStr>>,
    /// Where errors about the directories as a whole point: the literal, or the list.
    span: Option<Span>,
    /// `models = [A, b::B]`, when given (possibly empty).
    models: Option<Vec<syn::Type>>,
}

/// `()`, `("dir")`, `(dir = "dir")`, `(dirs = ["a", "b"])`, each optionally with
/// `models = [Model, …]` (after the directories when both are given).
fn parse_input(input: TokenStream) -> syn::Result<Input> {
    let parser = |input: ParseStream<'_>| {
        let mut out = Input::default();
        let expected = "expected `migrations!()`, `migrations!(\"dir\")`, \
                        `migrations!(dir = \"dir\")` or `migrations!(dirs = [\"a\", \"b\"])`, \
                        with the directories relative to this file, optionally followed by \
                        `models = [Model, …]`";
        if input.peek(LitStr) {
            let lit = input.parse::<LitStr>()?;
            out.span = Some(lit.span());
            out.dirs = Some(vec![lit]);
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        while !input.is_empty() {
            if !input.peek(syn::Ident) {
                return Err(input.error(expected));
            }
            let key = input.fork().parse::<syn::Ident>()?;
            if key == "dir" && out.dirs.is_none() && out.models.is_none() {
                input.parse::<syn::Ident>()?;
                input.parse::<Token![=]>()?;
                let lit = input.parse::<LitStr>()?;
                out.span = Some(lit.span());
                out.dirs = Some(vec![lit]);
            } else if key == "dirs" && out.dirs.is_none() && out.models.is_none() {
                input.parse::<syn::Ident>()?;
                input.parse::<Token![=]>()?;
                if !input.peek(syn::token::Bracket) {
                    return Err(input.error(
                        "`dirs` takes a list in brackets: `dirs = [\"versions\", \"tenant\"]`",
                    ));
                }
                let content;
                let bracket = syn::bracketed!(content in input);
                let list =
                    syn::punctuated::Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
                if list.is_empty() {
                    return Err(syn::Error::new(
                        bracket.span.join(),
                        "`dirs` names no directory: `dirs = [\"versions\", \"tenant\"]`",
                    ));
                }
                out.span = Some(bracket.span.join());
                out.dirs = Some(list.into_iter().collect());
            } else if key == "models" && out.models.is_none() {
                input.parse::<syn::Ident>()?;
                input.parse::<Token![=]>()?;
                if !input.peek(syn::token::Bracket) {
                    return Err(input.error(
                        "`models` takes a list in brackets: `models = [User, crate::models::Post]`",
                    ));
                }
                let content;
                syn::bracketed!(content in input);
                let list = syn::punctuated::Punctuated::<syn::Type, Token![,]>::parse_terminated(
                    &content,
                )?;
                out.models = Some(list.into_iter().collect());
            } else if key == "models" {
                return Err(syn::Error::new(key.span(), "duplicate `models`"));
            } else {
                return Err(input.error(expected));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(out)
    };
    parser.parse2(input)
}

/// One versions directory.
struct Dir {
    /// Absolute, normalized.
    path: PathBuf,
    /// As written (or the default), for messages when it is outside the crate.
    arg: String,
    /// Where its errors point.
    span: Span,
}

/// Where things are.
struct Context {
    /// The versions directories, in the order given.
    dirs: Vec<Dir>,
    /// `$CARGO_MANIFEST_DIR`, absolute.
    manifest_dir: Option<PathBuf>,
}

impl Context {
    fn new(invoking_file: Option<PathBuf>, dir_args: &[(String, Span)]) -> Context {
        let cwd = std::env::current_dir().unwrap_or_default();
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(|d| normalize(&cwd.join(d)));
        let base = match invoking_file.as_deref().and_then(Path::parent) {
            Some(parent) => cwd.join(parent),
            None => manifest_dir
                .clone()
                .unwrap_or_else(|| cwd.clone())
                .join("src"),
        };
        Context {
            dirs: dir_args
                .iter()
                .map(|(arg, span)| Dir {
                    path: normalize(&base.join(arg)),
                    arg: arg.clone(),
                    span: *span,
                })
                .collect(),
            manifest_dir,
        }
    }

    /// `path` for messages and `Revision::file`: relative to the crate root with forward
    /// slashes; `<dir as written>/<name>` when outside the crate.
    fn display(&self, path: &Path) -> String {
        let rel = self
            .manifest_dir
            .as_deref()
            .and_then(|m| path.strip_prefix(m).ok());
        let shown = match rel {
            Some(rel) => rel.to_string_lossy().into_owned(),
            None => {
                let under = self
                    .dirs
                    .iter()
                    .find_map(|d| path.strip_prefix(&d.path).ok().map(|name| (d, name)));
                match under {
                    Some((d, name)) if name.as_os_str().is_empty() => d.arg.clone(),
                    Some((d, name)) => {
                        let dir = d.arg.trim_end_matches(['/', '\\']);
                        format!("{dir}/{}", name.to_string_lossy())
                    }
                    None => path.to_string_lossy().into_owned(),
                }
            }
        };
        shown.replace('\\', "/")
    }

    /// The `*.rs` files of every directory: directory by directory in the order given, by
    /// name within each (the CLI's order). Errors: each directory that is missing, unreadable
    /// or named twice, with the span it points at.
    fn list(&self) -> Result<Vec<PathBuf>, Vec<(Span, String)>> {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for (i, dir) in self.dirs.iter().enumerate() {
            let shown = self.display(&dir.path);
            if let Some(first) = self.dirs[..i].iter().find(|d| d.path == dir.path) {
                errors.push((
                    dir.span,
                    format!(
                        "migrations directory `{shown}` is named twice (`{}` and `{}`); name \
                         each directory once",
                        first.arg, dir.arg
                    ),
                ));
                continue;
            }
            match Self::list_one(&dir.path, &shown) {
                Ok(mut found) => files.append(&mut found),
                Err(msg) => errors.push((dir.span, msg)),
            }
        }
        if errors.is_empty() {
            Ok(files)
        } else {
            Err(errors)
        }
    }

    /// The `*.rs` files of one directory, sorted by name.
    fn list_one(dir: &Path, shown: &str) -> Result<Vec<PathBuf>, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "migrations directory `{shown}` does not exist; create it (`cargo migrate \
                     init` does) or name the directory, relative to the file that invokes the \
                     macro: `migrations!(\"path/to/versions\")`"
                )
            } else {
                format!("cannot read migrations directory `{shown}`: {e}")
            }
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry =
                entry.map_err(|e| format!("cannot read migrations directory `{shown}`: {e}"))?;
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || !name.ends_with(".rs") || !path.is_file() {
                continue;
            }
            files.push(path);
        }
        files.sort();
        Ok(files)
    }
}

/// The archive crate's side of the registry.
struct Archived {
    /// Its directory relative to this crate's root, with a trailing `/`.
    dir: String,
    /// Its crate name in code.
    ident: syn::Ident,
    /// Its revision files (read for their headers, not compiled here).
    files: Vec<File>,
}

/// One file of the versions directory.
struct File {
    path: PathBuf,
    /// Relative path for messages and `Revision::file`.
    shown: String,
    /// The module the registry declares for it.
    module: syn::Ident,
    parsed: Result<SourceRevision, Problem>,
}

enum Problem {
    /// Reported by the registry; the file is not compiled.
    Registry(String),
    /// Reported by the compiler or by the file's own `#[migration]` attribute (spanned):
    /// the file is compiled, but left out of the graph.
    Attribute,
}

fn load(ctx: &Context, paths: Vec<PathBuf>) -> Vec<File> {
    let mut used: HashSet<String> = HashSet::new();
    paths
        .into_iter()
        .map(|path| {
            let shown = ctx.display(&path);
            let module = module_ident(&path, &mut used);
            let parsed = match std::fs::read_to_string(&path) {
                Err(e) => Err(Problem::Registry(format!("cannot read `{shown}`: {e}"))),
                Ok(text) => source::parse_file(&text).map_err(|e| match e {
                    SourceError::NoMigration => Problem::Registry(format!(
                        "`{shown}` holds no `#[migration(...)]` module; every file in the \
                         versions directory must declare one revision"
                    )),
                    SourceError::MultipleMigrations { .. } => {
                        Problem::Registry(format!("`{shown}`: {e}"))
                    }
                    _ => Problem::Attribute,
                }),
            };
            File {
                path,
                shown,
                module,
                parsed,
            }
        })
        .collect()
}

/// `rev_` + the file stem in lowercase ASCII letters, digits and `_`; made unique with a
/// numeric suffix when two stems map to the same name.
fn module_ident(path: &Path, used: &mut HashSet<String>) -> syn::Ident {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut base = String::from("rev_");
    for c in stem.chars() {
        base.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        });
    }
    let mut name = base.clone();
    let mut n = 1;
    while used.contains(&name) {
        n += 1;
        name = format!("{base}_{n}");
    }
    used.insert(name.clone());
    format_ident!("{}", name)
}

fn emit(
    ctx: &Context,
    files: &[File],
    archive: Option<&Archived>,
    span: Span,
    config: &Config,
    models: Option<&[syn::Type]>,
) -> TokenStream {
    let mut errors: Vec<String> = Vec::new();
    let mut infos: Vec<RevisionInfo> = Vec::with_capacity(files.len());
    let mut complete = true;
    let mut mods = TokenStream::new();
    // the archive's revisions first (the order the runner and the CLI list them in); a file
    // its own `migrations!()` rejects fails the archive's build, so here it only leaves the
    // graph incomplete
    for f in archive.map_or(&[][..], |a| &a.files[..]) {
        match &f.parsed {
            Ok(rev) => infos.push(rev.to_info(&f.shown)),
            Err(_) => complete = false,
        }
    }
    let archived = infos.len();
    for f in files {
        let path = f.path.to_string_lossy();
        let module = &f.module;
        match &f.parsed {
            Ok(rev) => infos.push(rev.to_info(&f.shown)),
            Err(Problem::Attribute) => complete = false,
            Err(Problem::Registry(msg)) => {
                complete = false;
                errors.push(msg.clone());
                // not compiled, but still tracked: fixing the file rebuilds the crate
                mods.extend(quote!(
                    const _: &[u8] = ::core::include_bytes!(#path);
                ));
                continue;
            }
        }
        mods.extend(quote! {
            #[path = #path]
            #[doc(hidden)]
            pub mod #module;
        });
    }

    let graph_errors = graph::check(&infos);
    // With files left out, a missing parent or an extra head may be an artifact of the
    // omission: keep only the errors that leaving files out cannot cause.
    errors.extend(
        graph_errors
            .iter()
            .filter(|e| {
                complete
                    || matches!(
                        e,
                        GraphError::DuplicateRevision { .. }
                            | GraphError::Cycle { .. }
                            | GraphError::DuplicateBranchLabel { .. }
                    )
            })
            .map(ToString::to_string),
    );

    let mut out = mods;
    for msg in &errors {
        out.extend(error(span, msg));
    }
    if !complete || !graph_errors.is_empty() {
        return with_fallback(out);
    }

    // In file order, as read: the runner's `Graph::new` breaks ties between independent
    // branches by it (Alembic's order, from its file order), as the CLI does reading the files.
    let by_id: HashMap<&str, (&File, &SourceRevision)> = files
        .iter()
        .filter_map(|f| {
            f.parsed
                .as_ref()
                .ok()
                .map(|r| (r.args.revision.as_str(), (f, r)))
        })
        .collect();
    // One constant per revision, the static listing them: on a new revision the static's
    // initializer is all that is checked again, and each constant stays in the incremental
    // cache (written into the static, the 1,000 `Revision` literals were type-checked
    // again on every build).
    let mut entries = Vec::with_capacity(infos.len());
    for info in &infos[archived..] {
        let (file, rev) = by_id[info.id.as_str()];
        let name = format_ident!("__MIGRATE_{}", file.module.to_string().to_uppercase());
        let value = revision_entry(&file.module, &rev.args, &info.message, &info.file);
        out.extend(quote! {
            #[doc(hidden)]
            const #name: ::migrate_core::Revision = #value;
        });
        entries.push(name);
    }
    let settings = settings(config);
    let doc = format!(
        " The revisions of this crate, in file order (`Migrations::graph` orders them). \
         Generated by `migrate_macros::migrations!()` from {}.",
        ctx.dirs
            .iter()
            .map(|d| format!("`{}`", ctx.display(&d.path)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let d = quote!(::migrate_core::schema::declare);
    // spanned at each path: "`X` is not a model" points at it
    let models_fn = models.map(|models| {
        let tables = models
            .iter()
            .map(|m| quote_spanned!(m.span()=> <#m as #d::Model>::table()));
        quote!(
            fn models() -> ::std::vec::Vec<#d::TableDef> {
                ::std::vec![#(#tables),*]
            }
        )
    });
    let registry = match (models_fn, archive) {
        (None, None) => {
            quote!(::migrate_core::Migrations::with_settings(&[#(#entries),*], #settings))
        }
        (Some(f), None) => quote!({
            #f
            ::migrate_core::Migrations::with_models(&[#(#entries),*], #settings, models)
        }),
        (f, Some(a)) => {
            let (ident, dir) = (&a.ident, &a.dir);
            let models = match &f {
                Some(_) => quote!(::core::option::Option::Some(models)),
                None => quote!(::core::option::Option::None),
            };
            quote!({
                #f
                ::migrate_core::Migrations::with_archive(
                    &::#ident::MIGRATIONS,
                    #dir,
                    &[#(#entries),*],
                    #settings,
                    #models,
                )
            })
        }
    };
    out.extend(quote! {
        #[doc = #doc]
        pub static MIGRATIONS: ::migrate_core::Migrations = #registry;
    });
    out
}

/// One `::migrate_core::Revision` of the registry: the arguments as read from the file (the
/// parser `#[migration]` uses on the same tokens), the checksum and the two wrappers from
/// what the attribute generated in the file's module `module`.
fn revision_entry(
    module: &syn::Ident,
    args: &source::MigrationArgs,
    message: &str,
    file: &str,
) -> TokenStream {
    let source::MigrationArgs {
        revision,
        down_revisions,
        branch_labels,
        depends_on,
        transactional,
        irreversible,
        allow_lint,
    } = args;
    let irreversible = match irreversible {
        Some(reason) => quote!(::core::option::Option::Some(#reason)),
        None => quote!(::core::option::Option::None),
    };
    let (rules, reasons): (Vec<&String>, Vec<&String>) =
        allow_lint.iter().map(|(r, why)| (r, why)).unzip();
    quote! {
        ::migrate_core::Revision {
            id: #revision,
            down_revisions: &[#(#down_revisions),*],
            branch_labels: &[#(#branch_labels),*],
            depends_on: &[#(#depends_on),*],
            message: #message,
            file: #file,
            checksum: #module::__MIGRATE_CHECKSUM,
            transactional: #transactional,
            irreversible: #irreversible,
            allow_lint: &[#(::migrate_core::AllowLint { rule: #rules, reason: #reasons }),*],
            upgrade: #module::__migrate_upgrade,
            downgrade: #module::__migrate_downgrade,
        }
    }
}

fn error(span: Span, msg: &str) -> TokenStream {
    quote_spanned!(span=> ::core::compile_error!(#msg);)
}

/// After an error: an empty `MIGRATIONS`, so code using it does not add errors of its own.
fn with_fallback(mut out: TokenStream) -> TokenStream {
    out.extend(quote! {
        /// The revisions of this crate (empty: `migrations!()` reported an error).
        pub static MIGRATIONS: ::migrate_core::Migrations = ::migrate_core::Migrations::new(&[]);
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn input(src: &str) -> Result<Option<String>, String> {
        parse_input(TokenStream::from_str(src).expect("lexes"))
            .map(|i| {
                i.dirs
                    .map(|l| l.iter().map(LitStr::value).collect::<Vec<_>>().join("|"))
            })
            .map_err(|e| e.to_string())
    }

    /// The directory and the models, as written.
    fn with_models(src: &str) -> Result<(Option<String>, Option<Vec<String>>), String> {
        parse_input(TokenStream::from_str(src).expect("lexes"))
            .map(|i| {
                (
                    i.dirs
                        .map(|l| l.iter().map(LitStr::value).collect::<Vec<_>>().join("|")),
                    i.models.map(|m| {
                        m.iter()
                            .map(|t| quote!(#t).to_string().replace(' ', ""))
                            .collect()
                    }),
                )
            })
            .map_err(|e| e.to_string())
    }

    #[test]
    fn accepts_models_after_the_directory() {
        let models = |v: &[&str]| Some(v.iter().map(|s| (*s).to_owned()).collect());
        assert_eq!(
            with_models("models = [User, crate::models::Post]"),
            Ok((None, models(&["User", "crate::models::Post"])))
        );
        assert_eq!(
            with_models("\"dir\", models = [User,],"),
            Ok((Some("dir".into()), models(&["User"])))
        );
        assert_eq!(
            with_models("dir = \"d\", models = [shared::Tag<i32>]"),
            Ok((Some("d".into()), models(&["shared::Tag<i32>"])))
        );
        assert_eq!(with_models("models = []"), Ok((None, models(&[]))));
        assert_eq!(with_models("\"d\""), Ok((Some("d".into()), None)));
        for bad in [
            "models = User",
            "models = [User], \"dir\"",
            "models = [A], models = [B]",
            "models = [A], dir = \"d\"",
            "modles = [A]",
            "\"d\" models = [A]",
        ] {
            assert!(with_models(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn accepts_the_three_input_forms() {
        assert_eq!(input(""), Ok(None));
        assert_eq!(input("\"migrations\""), Ok(Some("migrations".into())));
        assert_eq!(input("\"migrations\","), Ok(Some("migrations".into())));
        assert_eq!(
            input("dir = \"../versions\""),
            Ok(Some("../versions".into()))
        );
        assert_eq!(
            input("dirs = [\"versions\", \"../tenant\",]"),
            Ok(Some("versions|../tenant".into()))
        );
        assert_eq!(
            with_models("dirs = [\"a\"], models = [User]").map(|(d, _)| d),
            Ok(Some("a".into()))
        );
        for bad in [
            "42",
            "path = \"x\"",
            "\"a\" \"b\"",
            "dir",
            "dirs = \"a\"",
            "dirs = []",
            "dirs = [a]",
            "\"a\", dirs = [\"b\"]",
            "dir = \"a\", dirs = [\"b\"]",
        ] {
            assert!(input(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn module_idents_are_valid_and_unique() {
        let mut used = HashSet::new();
        let names: Vec<String> = [
            "3f2a9c1b7e4d_create_users.rs",
            "A-b.rs",
            "a_b.rs",
            "a_b_2.rs",
        ]
        .iter()
        .map(|f| module_ident(Path::new(f), &mut used).to_string())
        .collect();
        assert_eq!(
            names,
            [
                "rev_3f2a9c1b7e4d_create_users",
                "rev_a_b",
                "rev_a_b_2",
                "rev_a_b_2_2"
            ]
        );
    }

    #[test]
    fn paths_are_shown_relative_to_the_crate() {
        let dir = |path: &str, arg: &str| Dir {
            path: PathBuf::from(path),
            arg: arg.into(),
            span: Span::call_site(),
        };
        let ctx = Context {
            dirs: vec![
                dir("/c/src/versions", "versions"),
                dir("/c/tenant", "../tenant"),
            ],
            manifest_dir: Some(PathBuf::from("/c")),
        };
        assert_eq!(
            ctx.display(Path::new("/c/src/versions/a.rs")),
            "src/versions/a.rs"
        );
        assert_eq!(ctx.display(&ctx.dirs[0].path), "src/versions");
        assert_eq!(ctx.display(Path::new("/c/tenant/b.rs")), "tenant/b.rs");
        let outside = Context {
            manifest_dir: Some(PathBuf::from("/elsewhere")),
            ..ctx
        };
        assert_eq!(
            outside.display(Path::new("/c/src/versions/a.rs")),
            "versions/a.rs"
        );
        assert_eq!(outside.display(&outside.dirs[0].path), "versions");
        assert_eq!(
            outside.display(Path::new("/c/tenant/b.rs")),
            "../tenant/b.rs"
        );
        assert_eq!(
            normalize(Path::new("/c/src/./../versions")),
            PathBuf::from("/c/versions")
        );
    }
}
