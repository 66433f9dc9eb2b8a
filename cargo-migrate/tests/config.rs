//! `[package.metadata.migrate]`: a value in the migrations crate's Cargo.toml changes what
//! `cargo migrate` does and what the runner binary does when run on its own (the
//! `migrations!()` macro bakes the configuration in); flags override it; `cargo migrate
//! config` says where each value came from; a malformed configuration is an error naming
//! the file, the line and the key, from `cargo migrate` and from the compiler alike.

mod common;

use std::path::Path;

use common::*;

/// Appends `text` to the migrations crate's Cargo.toml.
fn configure(app: &Path, text: &str) {
    let manifest = app.join("migrations/Cargo.toml");
    let mut toml = read(&manifest);
    toml.push_str(text);
    std::fs::write(&manifest, toml).unwrap();
}

/// The 1-based line of `needle` in `file`.
fn line_of(file: &Path, needle: &str) -> usize {
    read(file)
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no `{needle}` in {}", file.display()))
        + 1
}

#[test]
fn a_configured_version_table_is_used_by_cargo_migrate_and_by_the_runner_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with_migrations(tmp.path(), "migrations");
    configure(
        &app,
        "\n[package.metadata.migrate]\nversion-table = \"graphcfg_versions\"\n\
         file-template = \"{year}{month}{day}_{slug}_{rev}\"\nid-style = \"timestamp\"\n\
         [package.metadata.migrate.lint]\ndeny = [\"ban-drop-table\"]\n",
    );
    let manifest = app.join("migrations/Cargo.toml");

    // file-template and id-style name the new revision
    let (path, id) = revision(&app, "create t", &[]);
    assert!(
        id.len() == 14 && id.chars().all(|c| c.is_ascii_digit()),
        "a timestamp id: {id}"
    );
    assert_eq!(
        path,
        format!("migrations/src/versions/{}_create_t_{id}.rs", &id[..8])
    );
    fill(
        &app.join(&path),
        "    pub async fn upgrade(db: &mut Db) -> Result<()> {\n        db.sql(\"CREATE TABLE t (id INTEGER)\").await?;\n        Ok(())\n    }\n",
        "    pub async fn downgrade(db: &mut Db) -> Result<()> {\n        db.sql(\"DROP TABLE t\").await?;\n        Ok(())\n    }\n",
    );

    // `config`: each value and where it came from
    let line = line_of(&manifest, "version-table =");
    let shown = cm(&app, &["migrate", "config"]).ok().stdout;
    let from = |key: &str, line: usize| {
        format!(
            "# from {}:{line} (package.metadata.migrate.{key})",
            manifest
                .canonicalize()
                .unwrap_or(manifest.clone())
                .display()
        )
    };
    for want in [
        "version-table = \"graphcfg_versions\"".to_owned(),
        from("version-table", line),
        from("id-style", line_of(&manifest, "id-style =")),
        "database-url-env = \"DATABASE_URL\"".to_owned(),
        "versions-dir = \"src/versions\"".to_owned(),
        "[lint]".to_owned(),
        "deny = [\"ban-drop-table\"]".to_owned(),
    ] {
        assert!(shown.contains(&want), "no `{want}` in\n{shown}");
    }
    let flagged = cm(&app, &["migrate", "--version-table", "other", "config"])
        .ok()
        .stdout;
    assert!(
        flagged.contains("version-table = \"other\"") && flagged.contains("# from --version-table"),
        "{flagged}"
    );

    // `cargo migrate upgrade`: the runner records into the configured table
    let db = app.join("migrate.db");
    cm(&app, &["migrate", "upgrade"]).ok();
    assert!(sql_ok(&db, "SELECT revision FROM graphcfg_versions"));
    assert!(!sql_ok(&db, "SELECT revision FROM migrate_version"));
    assert!(sql_ok(&db, "SELECT id FROM t"));

    // `graph -i` (forwarded to the runner, which reads the configured table) marks the
    // current revision; `--database-url` implies it
    let dot = cm(&app, &["migrate", "graph", "-i"]).ok().stdout;
    assert!(
        dot.contains(&format!(
            "\"{id}\" [label=\"{id} (head) (current)\\ncreate t\""
        )),
        "{dot}"
    );
    let url = format!("sqlite:{}", db.display());
    let mermaid = cm(
        &app,
        &[
            "migrate",
            "--database-url",
            &url,
            "graph",
            "--format",
            "mermaid",
        ],
    )
    .ok()
    .stdout;
    assert!(
        mermaid.contains(&format!("  class r_{id} current\n")),
        "{mermaid}"
    );
    let plain = cm(&app, &["migrate", "graph"]).ok().stdout;
    assert!(!plain.contains("(current)"), "{plain}");

    // the runner binary on its own (no cargo-migrate): the same table, baked in at compile
    // time, so it sees the revision applied and undoes it
    let out = cargo()
        .args([
            "run",
            "--quiet",
            "-p",
            "migrations",
            "--",
            "downgrade",
            "base",
        ])
        .current_dir(&app)
        .output()
        .unwrap();
    let run = Run::from("cargo run -p migrations -- downgrade base".into(), out).ok();
    assert!(
        run.stderr.contains(&format!("Downgrading {id} -> <base>")),
        "{}",
        run.stderr
    );
    assert!(!sql_ok(&db, "SELECT id FROM t"));
    assert!(!sql_ok(&db, "SELECT revision FROM migrate_version"));

    // a flag overrides the configuration
    cm(
        &app,
        &["migrate", "--version-table", "flagged_versions", "upgrade"],
    )
    .ok();
    assert!(sql_ok(&db, "SELECT revision FROM flagged_versions"));

    // a malformed configuration: an error naming the file, the line and the key, from
    // `cargo migrate` (without compiling) and from the compiler (the macro)
    configure(&app, "\n[package.metadata.migrate.oops]\n");
    let toml = read(&manifest).replace("id-style = \"timestamp\"", "id_style = \"timestamp\"");
    std::fs::write(&manifest, toml).unwrap();
    let bad = line_of(&manifest, "id_style =");
    let err = cm(&app, &["migrate", "heads"]).fails(1);
    assert!(
        err.ends_with(&format!(
            "Cargo.toml:{bad}: `package.metadata.migrate.id_style`: unknown key `id_style`; the \
             keys are version-table, version-table-schema, database-url-env, versions-dir, \
             file-template, id-style, lint, archive"
        )),
        "{err}"
    );
    let up = cm(&app, &["migrate", "upgrade"]);
    assert_ne!(up.code, 0);
    assert!(
        up.stderr.contains(&format!(
            "Cargo.toml:{bad}: `package.metadata.migrate.id_style`"
        )),
        "{}",
        up.stderr
    );
}
