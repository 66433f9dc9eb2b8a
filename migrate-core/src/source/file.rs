//! Reading a revision file: [`parse_file`] finds the one `#[migration(...)]` attribute with
//! the byte scanner (`scan`) and reads the `//!` header.

use std::ops::Range;
use std::str::FromStr;

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use super::attr::{MigrationArgs, parse_args};
use super::scan::{Scanner, Tok};
use crate::graph::RevisionInfo;

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
