//! # cargo-migrate
//!
//! The `cargo migrate` subcommand: Alembic's workflow for a Rust migrations crate.
//!
//! ```text
//! cargo migrate init                         # scaffold a `migrations` crate in the workspace
//! cargo migrate revision -m "create users"   # write src/versions/<id>_create_users.rs
//! cargo migrate upgrade                      # build the crate's runner and apply every revision
//! cargo migrate history                      # read straight from the revision files
//! ```
//!
//! Cargo runs `cargo-migrate migrate …` for `cargo migrate …`; running `cargo-migrate …`
//! directly works too ([`normalize_args`] drops the leading `migrate`).
//!
//! ## Code map
//!
//! - [`Cli`]: the command line (stage one: raw flags). The database commands are
//!   [`migrate_core::cli::DbCommand`], flattened, so `cargo migrate` and the runner binary
//!   accept exactly the same commands.
//! - `workspace`: stage two, finds the migrations crate with `cargo metadata`.
//! - `sources`: reads the revision files (`migrate_core::source::parse_file`), no compiling.
//! - `cache`: the header cache in the target directory, so a warm `heads`, `history` or
//!   `revision` stats the revision files instead of reading them.
//! - one module per command: `init`, `revision`, `merge`, and `db` for the database and graph
//!   commands (graph commands are answered from the files, the rest are forwarded to the
//!   crate's runner binary, built with `$CARGO build`).
//!
//! **Human output goes to stderr** (cargo's `{:>12} {msg}` status lines); **data goes to
//! stdout** (a new revision's path, `heads`, `history`, …). **Errors are one line**,
//! `error: <cause>: <cause>`.
//!
//! Caches (read-only commands on large histories): the parsed headers of the revision files in
//! `<target>/cargo-migrate/`, and where `cargo metadata` found the migrations crate in the
//! user's cache directory (`$XDG_CACHE_HOME/cargo-migrate`, default `~/.cache/cargo-migrate`).
//! Each entry is used only while the files it came from are unchanged; both are best effort.
//! `CARGO_MIGRATE_NO_CACHE=1` turns them off; `CARGO_MIGRATE_CACHE_STATS=1` says on stderr
//! what came from them.
//!
//! Exit codes: 0 success; 1 an error (printed on stderr); 2 a usage error (clap). Commands
//! forwarded to the runner exit with the runner's code, which follows the same rules.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use migrate_core::cli::{DbArgs, DbCommand};

mod archive;
mod cache;
mod completions;
mod config_cmd;
mod db;
mod forward;
mod init;
mod lint_config;
mod merge;
mod revision;
mod sources;
mod workspace;

pub use archive::ArchiveArgs;
pub use completions::{CompletionsArgs, man_page, script as completion_script};
pub use init::{BackendArg, InitArgs};
pub use merge::MergeArgs;
pub use revision::RevisionArgs;

/// `cargo migrate`'s command line.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-migrate",
    bin_name = "cargo migrate",
    version,
    about = "Alembic-grade database schema migrations for Rust",
    after_help = "Run `cargo migrate init` to create a migrations crate, then \
                  `cargo migrate revision -m \"create users\"`."
)]
pub struct Cli {
    /// Path to Cargo.toml (default: the workspace of the current directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// The migrations crate to use, when the workspace has several.
    #[arg(short, long, global = true, value_name = "NAME")]
    pub package: Option<String>,
    /// Database options (forwarded to the runner).
    #[command(flatten)]
    pub db: DbArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a migrations crate and add it to the workspace.
    Init(InitArgs),
    /// Create a new revision file in the migrations crate's `src/versions`.
    Revision(RevisionArgs),
    /// Create a merge revision joining two or more heads.
    Merge(MergeArgs),
    /// Move settled revisions into the archive crate, compiled once: a new revision then
    /// rebuilds only the newest ones (for long histories).
    Archive(ArchiveArgs),
    /// The database and revision-graph commands.
    #[command(flatten)]
    Db(DbCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to stdout.
    ///
    /// bash: `cargo migrate completions bash > ~/.local/share/bash-completion/completions/cargo-migrate`
    /// and source it from ~/.bashrc (it also completes `cargo migrate …`); zsh:
    /// `cargo migrate completions zsh > "${fpath[1]}/_cargo-migrate"`.
    Completions(CompletionsArgs),
    /// Print the effective configuration (`[package.metadata.migrate]` in Cargo.toml, flags,
    /// the environment, defaults), each value with where it came from.
    Config,
    /// Print the man page (roff) to stdout: `cargo migrate man | man -l -`.
    Man,
}

/// The process arguments without the `migrate` word cargo inserts: `cargo migrate upgrade`
/// runs `cargo-migrate migrate upgrade`, and `cargo-migrate upgrade` is accepted too.
pub fn normalize_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    if args.get(1).is_some_and(|a| a == "migrate") {
        args.remove(1);
    }
    args
}

/// Runs a parsed command line. The database commands hand the parsed command to the runner
/// binary (written back as arguments, see `migrate_core::cli::DbCommand::to_args`).
///
/// # Errors
/// Anything that stops the command, with context; the caller prints it on one line
/// ([`error_line`]) and exits with 1.
pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    QUIET.store(cli.db.quiet, std::sync::atomic::Ordering::Relaxed);
    match &cli.command {
        Command::Init(a) => init::run(a),
        Command::Revision(a) => revision::run(cli, a),
        Command::Merge(a) => merge::run(cli, a),
        Command::Archive(a) => archive::run(cli, a),
        Command::Db(cmd) => db::run(cli, cmd),
        Command::Completions(a) => completions::run_completions(a),
        Command::Man => completions::run_man(),
        Command::Config => config_cmd::run(cli),
    }
}

/// An error and its causes on one line, `outer: inner: innermost`, as printed after
/// `error: `. Causes that span several lines (several graph problems) keep their newlines,
/// each further line prefixed with `error: ` too. Passwords of URLs in it are replaced by
/// `***` (a URL can reach a message through any argument).
pub fn error_line(err: &anyhow::Error) -> String {
    migrate_core::redact_url(&format!("{err:#}")).replace('\n', "\nerror: ")
}

/// A cargo-style status line on stderr: the verb right-aligned in 12 columns.
/// `-q` hides them. Bold green on a colour terminal (`--color`).
pub(crate) fn status(verb: &str, msg: impl std::fmt::Display) {
    if !QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        migrate_core::cli::output::status(verb, &msg.to_string());
    }
}

/// `-q` (set by [`run`]).
pub(crate) static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A `note: …` line on stderr.
pub(crate) fn note(msg: impl std::fmt::Display) {
    eprintln!("note: {msg}");
}

/// A `warning: …` line on stderr.
pub(crate) fn warning(msg: impl std::fmt::Display) {
    migrate_core::cli::output::warning(&msg.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_tree_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_migrate_word_is_optional() {
        let os = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            normalize_args(os(&["cargo-migrate", "migrate", "heads"])),
            os(&["cargo-migrate", "heads"])
        );
        assert_eq!(
            normalize_args(os(&["cargo-migrate", "heads"])),
            os(&["cargo-migrate", "heads"])
        );
        assert_eq!(
            normalize_args(os(&["cargo-migrate"])),
            os(&["cargo-migrate"])
        );
    }
}
