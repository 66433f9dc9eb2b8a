//! `cargo migrate config`: the effective configuration of the migrations crate, each value
//! with where it came from: a flag, the environment, a `Cargo.toml` (path, line and key) or
//! the default. Printed on stdout as TOML-like lines, `key = value  # origin`.
//!
//! The values come from `migrate_core::config` (the same parser `migrations!()` bakes into
//! the runner), flags from the command line (`--version-table`, `--database-url-env`,
//! `--database-url`), the database URL as every command resolves it (password hidden).

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use migrate_core::config::{Config, Origin, Setting};

use crate::Cli;
use crate::workspace::Project;

fn origin(o: &Origin) -> String {
    match o {
        Origin::Default => "default".to_owned(),
        o => format!("from {o}"),
    }
}

fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The report for `config` and the command line `cli` (pure but for the URL's resolution).
pub(crate) fn report(cli: &Cli, project: &Project, config: &Config) -> anyhow::Result<String> {
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut line = |key: &str, value: String, from: String| {
        lines.push((format!("{key} = {value}"), from));
    };
    // the version table: the flag, else the configured name (and schema), else the default
    let (table, table_from) = match &cli.db.version_table {
        Some(t) => (t.clone(), "from --version-table".to_owned()),
        None => (config.qualified_version_table(), {
            let mut from = origin(&config.version_table.origin);
            if config.version_table_schema.value.is_some() {
                let _ = write!(
                    from,
                    ", schema {}",
                    origin(&config.version_table_schema.origin)
                );
            }
            from
        }),
    };
    migrate_core::version_table::validate_table_name(&table)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("the version table ({table_from})"))?;
    line("version-table", quoted(&table), table_from);
    let Setting {
        value: schema,
        origin: schema_from,
    } = &config.version_table_schema;
    line(
        "version-table-schema",
        schema.as_deref().map_or("none".to_owned(), quoted),
        if cli.db.version_table.is_some() {
            "not used: --version-table names the table".to_owned()
        } else {
            origin(schema_from)
        },
    );
    let (env, env_from) = match &cli.db.database_url_env {
        Some(v) => (v.clone(), "from --database-url-env".to_owned()),
        None => (
            config.database_url_env.value.clone(),
            origin(&config.database_url_env.origin),
        ),
    };
    line("database-url-env", quoted(&env), env_from);
    let (url, how) = migrate_core::cli::resolve_database_url_with(
        cli.db.database_url.as_deref(),
        Some(&project.workspace_root),
        &env,
    )?;
    let how = how
        .split_once(" (")
        .map_or(how.as_str(), |(_, rest)| rest.trim_end_matches(')'))
        .to_owned();
    line(
        "database-url",
        quoted(&migrate_core::redact_url(&url)),
        if how.starts_with("--") {
            format!("from {how}")
        } else if how.starts_with("default") {
            how
        } else {
            format!("from the environment ({how}, or a .env file)")
        },
    );
    let dirs = &config.versions_dirs.value;
    line(
        "versions-dir",
        match dirs.as_slice() {
            [one] => quoted(one),
            several => format!(
                "[{}]",
                several
                    .iter()
                    .map(|d| quoted(d))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        origin(&config.versions_dirs.origin),
    );
    line(
        "file-template",
        quoted(&config.file_template.value),
        origin(&config.file_template.origin),
    );
    line(
        "id-style",
        quoted(config.id_style.value.name()),
        origin(&config.id_style.origin),
    );
    line(
        "archive",
        config
            .archive
            .value
            .as_deref()
            .map_or("none".to_owned(), quoted),
        origin(&config.archive.origin),
    );
    let width = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let mut out = format!(
        "# the configuration of `{}` ({})\n",
        project.name(),
        project.manifest_path.display()
    );
    for (l, from) in &lines {
        let _ = writeln!(out, "{l:width$}  # {from}");
    }
    match &config.lint.value {
        Some(table) => {
            let _ = writeln!(out, "\n[lint]  # {}", origin(&config.lint.origin));
            out.push_str(table);
        }
        None => out.push_str("# lint: none configured\n"),
    }
    Ok(out)
}

pub(crate) fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let project = Project::locate(cli.manifest_path.as_deref(), cli.package.as_deref())?;
    let config = project.config()?;
    let out = report(cli, &project, &config)?;
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to stdout")
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}
