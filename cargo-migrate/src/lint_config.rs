//! The project-wide lint configuration: the `[package.metadata.migrate.lint]` table of the
//! migrations crate's `Cargo.toml`, as `cargo metadata` gives it. Small and self-contained
//! (the lead may route it through a general configuration loader):
//!
//! ```toml
//! [package.metadata.migrate.lint]
//! allow = ["prefer-robust-stmts", "prefer-bigint-over-int"]   # rules allowed everywhere
//! dialects = ["postgres"]                                     # default `--dialect`s
//! ```
//!
//! Both are forwarded to the runner as `--allow` / `--dialect` arguments: `allow` adds to the
//! command line's, `dialects` applies when the command line gives none.

use anyhow::{Context as _, bail};
use clap::ValueEnum as _;
use migrate_core::cli::{DbCommand, Dialect};

/// The lint table's settings.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct LintConfig {
    pub allow: Vec<String>,
    pub dialects: Vec<Dialect>,
}

/// Reads `metadata.migrate.lint` from a package's `metadata` (the JSON of
/// `[package.metadata]`). Absent: the defaults.
///
/// # Errors
/// A key that is not an array of strings, an unknown key, an unknown rule or dialect.
pub(crate) fn read(metadata: &serde_json::Value) -> anyhow::Result<LintConfig> {
    let Some(table) = metadata.get("migrate").and_then(|m| m.get("lint")) else {
        return Ok(LintConfig::default());
    };
    let Some(table) = table.as_object() else {
        bail!("`[package.metadata.migrate.lint]` must be a table with `allow` and `dialects`");
    };
    let mut config = LintConfig::default();
    for (key, value) in table {
        let list = || -> anyhow::Result<Vec<&str>> {
            value
                .as_array()
                .and_then(|a| a.iter().map(|v| v.as_str()).collect::<Option<Vec<_>>>())
                .with_context(|| {
                    format!("`[package.metadata.migrate.lint] {key}` must be an array of strings")
                })
        };
        match key.as_str() {
            "allow" => {
                for rule in list()? {
                    if !migrate_core::lint::rules::is_known_rule(rule) {
                        bail!(
                            "`[package.metadata.migrate.lint] allow`: unknown lint rule `{rule}`; \
                             use squawk's rule names or cargo-migrate's own ({})",
                            migrate_core::lint::rules::OWN_RULES.join(", ")
                        );
                    }
                    config.allow.push(rule.to_owned());
                }
            }
            "dialects" => {
                for d in list()? {
                    let dialect = Dialect::from_str(d, false).map_err(|_| {
                        anyhow::anyhow!(
                            "`[package.metadata.migrate.lint] dialects`: unknown dialect `{d}`; \
                             expected postgres, mysql or sqlite"
                        )
                    })?;
                    config.dialects.push(dialect);
                }
            }
            other => bail!(
                "`[package.metadata.migrate.lint]`: unknown key `{other}`; expected `allow` or \
                 `dialects`"
            ),
        }
    }
    Ok(config)
}

/// `cmd` with the configuration applied, when it is `lint`.
pub(crate) fn apply(cmd: &DbCommand, config: LintConfig) -> DbCommand {
    match cmd {
        DbCommand::Lint {
            range,
            dialects,
            allow,
        } => DbCommand::Lint {
            range: range.clone(),
            dialects: if dialects.is_empty() {
                config.dialects
            } else {
                dialects.clone()
            },
            allow: config
                .allow
                .into_iter()
                .chain(allow.iter().cloned())
                .collect(),
        },
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_table() {
        let m = json!({"migrate": {"lint": {"allow": ["ban-drop-column"], "dialects": ["postgres", "mysql"]}}});
        assert_eq!(
            read(&m).unwrap(),
            LintConfig {
                allow: vec!["ban-drop-column".into()],
                dialects: vec![Dialect::Postgres, Dialect::Mysql],
            }
        );
        assert_eq!(read(&json!(null)).unwrap(), LintConfig::default());
        assert_eq!(read(&json!({"other": 1})).unwrap(), LintConfig::default());
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        for (m, want) in [
            (
                json!({"migrate": {"lint": {"allow": ["nope"]}}}),
                "unknown lint rule `nope`",
            ),
            (
                json!({"migrate": {"lint": {"allow": "ban-drop-column"}}}),
                "must be an array of strings",
            ),
            (
                json!({"migrate": {"lint": {"dialects": ["oracle"]}}}),
                "unknown dialect `oracle`",
            ),
            (
                json!({"migrate": {"lint": {"alow": []}}}),
                "unknown key `alow`",
            ),
            (json!({"migrate": {"lint": 3}}), "must be a table"),
        ] {
            let e = read(&m).unwrap_err().to_string();
            assert!(e.contains(want), "{m}: {e}");
        }
    }

    #[test]
    fn command_line_dialects_win_allow_adds_up() {
        let cmd = DbCommand::Lint {
            range: None,
            dialects: vec![Dialect::Sqlite],
            allow: vec!["table-rebuild".into()],
        };
        let config = LintConfig {
            allow: vec!["ban-drop-column".into()],
            dialects: vec![Dialect::Postgres],
        };
        let DbCommand::Lint {
            dialects, allow, ..
        } = apply(&cmd, config)
        else {
            unreachable!()
        };
        assert_eq!(dialects, [Dialect::Sqlite]);
        assert_eq!(allow, ["ban-drop-column", "table-rebuild"]);
    }
}
