//! The runner's command line: the database command `cargo migrate` parsed, written back as
//! arguments by `migrate_core::cli` ([`DbArgs::to_args`], [`DbCommand::to_args`]). Nothing
//! of the user's argv is copied, so `cargo migrate`'s own options (`--manifest-path`,
//! `-p`) never reach the runner, and a value that looks like an option (`downgrade -1`,
//! `history -r -1:`) stays a value.

use std::ffi::OsString;

use migrate_core::cli::{DbArgs, DbCommand};

/// The arguments to run the runner binary with (no program name).
pub fn runner_args(db: &DbArgs, cmd: &DbCommand) -> Vec<OsString> {
    let mut args = db.to_args();
    args.extend(cmd.to_args());
    args
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;
    use migrate_core::cli::RunnerCli;

    use super::*;
    use crate::{Cli, Command};

    /// `cargo migrate <input>` → the runner's arguments → what the runner parses, as the
    /// runner would have parsed `<expected>` given directly.
    #[track_caller]
    fn check(input: &[&str], expected: &[&str]) {
        let argv = std::iter::once("cargo-migrate").chain(input.iter().copied());
        let cli = Cli::try_parse_from(crate::normalize_args(argv.map(OsString::from))).unwrap();
        let Command::Db(cmd) = &cli.command else {
            panic!("not a database command: {input:?}");
        };
        let args = runner_args(&cli.db, cmd);
        let runner =
            RunnerCli::try_parse_from(std::iter::once(OsString::from("runner")).chain(args))
                .unwrap();
        let direct =
            RunnerCli::try_parse_from(std::iter::once("runner").chain(expected.iter().copied()))
                .unwrap();
        assert_eq!(
            format!("{runner:?}"),
            format!("{direct:?}"),
            "for {input:?}"
        );
    }

    #[test]
    fn our_options_are_not_forwarded_and_the_rest_is() {
        check(&["migrate", "upgrade"], &["upgrade"]);
        check(
            &["migrate", "--manifest-path", "a/Cargo.toml", "upgrade"],
            &["upgrade"],
        );
        check(
            &["migrate", "-p", "migrations", "downgrade", "-1"],
            &["downgrade", "-1"],
        );
        check(
            &["migrate", "-pmigrations", "downgrade", "-1"],
            &["downgrade", "-1"],
        );
        check(
            &["migrate", "downgrade", "-1", "--package", "m"],
            &["downgrade", "-1"],
        );
        check(
            &[
                "migrate",
                "--database-url",
                "sqlite:x.db",
                "-p",
                "m",
                "current",
                "-v",
            ],
            &["--database-url", "sqlite:x.db", "current", "-v"],
        );
        check(
            &["migrate", "history", "-vp", "m", "-i"],
            &["history", "-v", "-i"],
        );
    }

    #[test]
    fn values_that_look_like_options_stay_values() {
        check(
            &["migrate", "--database-url=-p", "current"],
            &["--database-url=-p", "current"],
        );
        check(
            &["migrate", "history", "-r", "-1:", "-i"],
            &["history", "-r-1:", "-i"],
        );
        check(
            &["migrate", "history", "-ir-2:head", "-p", "m"],
            &["history", "-i", "-r", "-2:head"],
        );
        check(
            &["migrate", "stamp", "--purge", "head"],
            &["stamp", "--purge", "head"],
        );
        check(
            &["migrate", "-p", "m", "upgrade", "--", "-p"],
            &["upgrade", "--", "-p"],
        );
        check(&["show", "migrate"], &["show", "migrate"]);
    }
}
