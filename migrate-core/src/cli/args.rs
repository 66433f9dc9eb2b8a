//! The parsed command line written back as arguments: how `cargo migrate` hands a database
//! command to the runner binary. The arguments are generated from [`DbArgs`] and
//! [`DbCommand`] (every option as `--name=value`, positional values after `--`), never copied
//! from the user's argv, so what the runner parses is exactly what `cargo migrate` parsed.
//!
//! Every field is destructured without `..`: a new option does not compile until it is
//! forwarded here.

use std::ffi::OsString;

use clap::ValueEnum;

use super::{DbArgs, DbCommand, SqlArgs};

fn value_name(v: &impl ValueEnum) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_owned())
        .unwrap_or_default()
}

impl DbArgs {
    /// These options as arguments (`--version-table=NAME`, …), every one given explicitly.
    pub fn to_args(&self) -> Vec<OsString> {
        let DbArgs {
            database_url,
            version_table,
            database_url_env,
            lock_timeout,
            connect_timeout,
            transaction_mode,
            allow_changed_revisions,
            format,
            color,
            quiet,
            verbose,
            lock,
            lock_lease,
            serialization_retries,
            fleet,
        } = self;
        let mut out: Vec<OsString> = Vec::new();
        if let Some(u) = database_url {
            out.push(format!("--database-url={u}").into());
        }
        if let Some(t) = version_table {
            out.push(format!("--version-table={t}").into());
        }
        if let Some(v) = database_url_env {
            out.push(format!("--database-url-env={v}").into());
        }
        out.push(format!("--lock-timeout={lock_timeout}").into());
        out.push(format!("--connect-timeout={connect_timeout}").into());
        out.push(format!("--transaction-mode={}", value_name(transaction_mode)).into());
        if *allow_changed_revisions {
            out.push("--allow-changed-revisions".into());
        }
        // the options added after the others go out only when not at their default, so a
        // runner binary built against an earlier migrate-core still takes the arguments
        // of a command that does not use them
        if *format != super::Format::Human {
            out.push(format!("--format={}", value_name(format)).into());
        }
        if *color != super::ColorWhen::Auto {
            out.push(format!("--color={}", value_name(color)).into());
        }
        if *quiet {
            out.push("--quiet".into());
        }
        if *verbose {
            out.push("--verbose".into());
        }
        if *lock != super::LockArg::Advisory {
            out.push(format!("--lock={}", value_name(lock)).into());
        }
        if *lock_lease != crate::lock::DEFAULT_LEASE.as_secs() {
            out.push(format!("--lock-lease={lock_lease}").into());
        }
        if *serialization_retries != super::DEFAULT_RETRIES {
            out.push(format!("--serialization-retries={serialization_retries}").into());
        }
        fleet.push_args(&mut out);
        out
    }
}

impl super::FleetArgs {
    fn push_args(&self, out: &mut Vec<OsString>) {
        let super::FleetArgs {
            targets,
            target_template,
            names,
            names_file,
            targets_query,
            schemas,
            jobs,
            fail_fast,
            canary,
            jsonl,
        } = self;
        let path = |out: &mut Vec<OsString>, name: &str, p: &Option<std::path::PathBuf>| {
            if let Some(p) = p {
                let mut a = OsString::from(format!("--{name}="));
                a.push(p.as_os_str());
                out.push(a);
            }
        };
        path(out, "targets", targets);
        if let Some(t) = target_template {
            out.push(format!("--target-template={t}").into());
        }
        // one option per value: a value may hold a comma only if it was given that way
        for n in names {
            out.push(format!("--names={n}").into());
        }
        path(out, "names-file", names_file);
        if let Some(q) = targets_query {
            out.push(format!("--targets-query={q}").into());
        }
        for s in schemas {
            out.push(format!("--schemas={s}").into());
        }
        if *jobs != 1 {
            out.push(format!("--jobs={jobs}").into());
        }
        if *fail_fast {
            out.push("--fail-fast".into());
        }
        if *canary != 0 {
            out.push(format!("--canary={canary}").into());
        }
        if *jsonl {
            out.push("--jsonl".into());
        }
    }
}

impl SqlArgs {
    fn push_args(&self, out: &mut Vec<OsString>) {
        let SqlArgs { sql, dialect } = self;
        if *sql {
            out.push("--sql".into());
        }
        if let Some(d) = dialect {
            out.push(format!("--dialect={}", value_name(d)).into());
        }
    }
}

impl DbCommand {
    /// The command as arguments: its name, its options, then `--` and its positional values
    /// (so a value such as `-1` is never read as an option).
    pub fn to_args(&self) -> Vec<OsString> {
        let mut out: Vec<OsString> = Vec::new();
        let flag = |out: &mut Vec<OsString>, on: bool, name: &str| {
            if on {
                out.push(name.into());
            }
        };
        let mut positional: Vec<&str> = Vec::new();
        match self {
            DbCommand::Upgrade { revision, sql } => {
                out.push("upgrade".into());
                sql.push_args(&mut out);
                positional.push(revision);
            }
            DbCommand::Downgrade { revision, sql } => {
                out.push("downgrade".into());
                sql.push_args(&mut out);
                positional.push(revision);
            }
            DbCommand::Current {
                verbose,
                check_heads,
            } => {
                out.push("current".into());
                flag(&mut out, *verbose, "--verbose");
                flag(&mut out, *check_heads, "--check-heads");
            }
            DbCommand::Stamp {
                revisions,
                purge,
                sql,
            } => {
                out.push("stamp".into());
                flag(&mut out, *purge, "--purge");
                sql.push_args(&mut out);
                positional.extend(revisions.iter().map(String::as_str));
            }
            DbCommand::Repair { revisions } => {
                out.push("repair".into());
                positional.extend(revisions.iter().map(String::as_str));
            }
            DbCommand::Check => out.push("check".into()),
            DbCommand::History {
                rev_range,
                verbose,
                indicate_current,
            } => {
                out.push("history".into());
                if let Some(r) = rev_range {
                    out.push(format!("--rev-range={r}").into());
                }
                flag(&mut out, *verbose, "--verbose");
                flag(&mut out, *indicate_current, "--indicate-current");
            }
            DbCommand::Heads {
                verbose,
                resolve_dependencies,
            } => {
                out.push("heads".into());
                flag(&mut out, *verbose, "--verbose");
                flag(&mut out, *resolve_dependencies, "--resolve-dependencies");
            }
            DbCommand::Branches { verbose } => {
                out.push("branches".into());
                flag(&mut out, *verbose, "--verbose");
            }
            DbCommand::Show { revision } => {
                out.push("show".into());
                positional.push(revision);
            }
            DbCommand::Autogenerate {
                against_db,
                shadow_database_url,
            } => {
                out.push("autogenerate".into());
                flag(&mut out, *against_db, "--against-db");
                if let Some(u) = shadow_database_url {
                    out.push(format!("--shadow-database-url={u}").into());
                }
            }
            DbCommand::Test { from, to, junit } => {
                out.push("test".into());
                if let Some(f) = from {
                    out.push(format!("--from={f}").into());
                }
                if let Some(t) = to {
                    out.push(format!("--to={t}").into());
                }
                if let Some(j) = junit {
                    let mut a = OsString::from("--junit=");
                    a.push(j);
                    out.push(a);
                }
            }
            DbCommand::Graph {
                format: _,
                range,
                indicate_current,
            } => {
                // the picture's format travels as the global `--format`
                out.push("graph".into());
                if let Some(r) = range {
                    out.push(format!("--range={r}").into());
                }
                flag(&mut out, *indicate_current, "--indicate-current");
            }
            DbCommand::Lint {
                range,
                dialects,
                allow,
            } => {
                out.push("lint".into());
                for d in dialects {
                    out.push(format!("--dialect={}", value_name(d)).into());
                }
                for a in allow {
                    out.push(format!("--allow={a}").into());
                }
                if let Some(r) = range {
                    positional.push(r);
                }
            }
        }
        if !positional.is_empty() {
            out.push("--".into());
            out.extend(positional.into_iter().map(OsString::from));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::super::RunnerCli;

    /// Parsing the generated arguments gives back the parsed command line.
    #[track_caller]
    fn round_trip(line: &[&str]) {
        let argv = std::iter::once("runner").chain(line.iter().copied());
        let cli = RunnerCli::try_parse_from(argv).unwrap();
        let mut again: Vec<std::ffi::OsString> = vec!["runner".into()];
        again.extend(cli.db.to_args());
        again.extend(cli.command.to_args());
        let back = RunnerCli::try_parse_from(&again)
            .unwrap_or_else(|e| panic!("{again:?} does not parse: {e}"));
        assert_eq!(format!("{back:?}"), format!("{cli:?}"), "{again:?}");
    }

    #[test]
    fn every_command_survives_the_trip() {
        for line in [
            &["upgrade"][..],
            &["upgrade", "head", "--sql", "--dialect", "postgres"],
            &["upgrade", "-1:+2", "--sql"],
            &["downgrade", "-1"],
            &["downgrade", "--", "-2"],
            &["downgrade", "base", "--sql", "--dialect", "mysql"],
            &["current", "-v", "--check-heads"],
            &["stamp", "head", "--purge"],
            &["stamp", "-1", "a@head", "--sql", "--dialect", "sqlite"],
            &["check"],
            &["history", "-r", "-1:", "-v", "-i"],
            &["history", "-r-2:current"],
            &["history", "--rev-range", "a:b"],
            &["heads", "-v", "--resolve-dependencies"],
            &["branches", "--verbose"],
            &["show", "-1"],
            &["show", "head-1"],
            &["show", "--", "--weird"],
            &["test"],
            &[
                "test", "--from", "-1", "--to", "head", "--format", "json", "--junit", "r.xml",
            ],
            &["graph"],
            &["graph", "--format", "mermaid", "-r", "-2:", "-i"],
            &["graph", "--range", "a:b", "--format=dot"],
            &["lint"],
            &["lint", "-1:", "--dialect", "mysql", "--dialect", "sqlite"],
            &[
                "lint",
                "--allow",
                "ban-drop-column",
                "--format",
                "json",
                "a1:b2",
            ],
            &[
                "--database-url",
                "postgres://u:p@h/db?x=-1",
                "--version-table",
                "My-Versions",
                "--database-url-env",
                "APP_DB",
                "--lock-timeout",
                "7",
                "--transaction-mode",
                "all",
                "--allow-changed-revisions",
                "upgrade",
            ],
            &[
                "--format", "json", "--color", "always", "-q", "-v", "upgrade",
            ],
            &["-v", "current", "-v", "--format=json"],
            &["history", "--color", "never", "--quiet", "--format", "json"],
            &["--lock", "table", "--lock-lease", "5", "upgrade"],
            &["--lock=none", "stamp", "head"],
            &["--lock", "auto", "current"],
            &[
                "--targets",
                "fleet.txt",
                "--target-template",
                "postgres://u:p@h/{name}",
                "--names",
                "a,b",
                "--names-file",
                "n.txt",
                "--targets-query",
                "SELECT name FROM tenants WHERE x = '-1'",
                "--schemas",
                "s1,s2",
                "--jobs",
                "8",
                "--fail-fast",
                "--canary",
                "2",
                "--jsonl",
                "upgrade",
            ],
        ] {
            round_trip(line);
        }
    }

    #[test]
    fn values_that_look_like_options_stay_values() {
        let cli = RunnerCli::try_parse_from(["runner", "downgrade", "-1"]).unwrap();
        let args: Vec<String> = cli
            .command
            .to_args()
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(args, ["downgrade", "--", "-1"]);
    }
}
