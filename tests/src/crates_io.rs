//! The crates.io history (285 diesel migrations, at `$MIGRATE_CRATES_IO_DATA`) as a generated
//! migrations crate, for the crates.io replay (`tests/crates_io.rs`) and the fresh-database
//! bench (`benches/fresh_db.rs`): one revision per migration running its up.sql / down.sql
//! through `db.sql`, the marked ones `transactional = false`.

use std::path::{Path, PathBuf};

use crate::nested;

/// One diesel migration.
pub struct Migration {
    /// Its directory under `migrations/`.
    pub dir: String,
    /// The revision id: `v` and diesel's version without `-`.
    pub id: String,
    /// The message.
    pub message: String,
    /// False for `run_in_transaction = false`.
    pub transactional: bool,
}

/// `$MIGRATE_CRATES_IO_DATA` (the data is not in the repository; `.ci/run` says where it is);
/// panics when the variable is unset or the directory holds no `order.txt`.
pub fn data_dir() -> PathBuf {
    let d = std::env::var_os("MIGRATE_CRATES_IO_DATA")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .expect(
            "MIGRATE_CRATES_IO_DATA is not set: point it at the crates-io data directory \
             (see README.md, Testing)",
        );
    assert!(
        d.join("order.txt").exists(),
        "crates.io data not found at {} (no order.txt there): set MIGRATE_CRATES_IO_DATA to \
         the crates-io data directory (see README.md, Testing)",
        d.display()
    );
    d.canonicalize().expect("data directory")
}

/// The migrations in `order.txt`'s order.
pub fn migrations(data: &Path) -> Vec<Migration> {
    let order = std::fs::read_to_string(data.join("order.txt")).expect("order.txt");
    order
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|dir| {
            let (version, rest) = dir.split_once('_').unwrap_or((dir, dir));
            let meta =
                std::fs::read_to_string(data.join("migrations").join(dir).join("metadata.toml"))
                    .unwrap_or_default();
            Migration {
                dir: dir.to_owned(),
                id: format!("v{}", version.replace('-', "")),
                message: rest.replace(['_', '-'], " "),
                transactional: !meta.contains("run_in_transaction = false"),
            }
        })
        .collect()
}

/// Writes the migrations crate `name` (manifest from [`nested::write_manifest`], `lib.rs`
/// with `migrations!()`, the runner binary's `main.rs`, one revision file per migration) and
/// returns its root.
pub fn generate(data: &Path, ms: &[Migration], name: &str) -> PathBuf {
    let root = nested::crate_dir(name);
    let versions = root.join("src/versions");
    let _ = std::fs::remove_dir_all(&versions);
    std::fs::create_dir_all(&versions).expect("versions dir");
    nested::write_manifest(&root, name);
    std::fs::write(root.join("src/lib.rs"), "migrate_macros::migrations!();\n").expect("lib.rs");
    std::fs::write(
        root.join("src/main.rs"),
        format!(
            "fn main() -> std::process::ExitCode {{ migrate_core::cli::main(&{}::MIGRATIONS) }}\n",
            name.replace('-', "_")
        ),
    )
    .expect("main.rs");
    for (i, m) in ms.iter().enumerate() {
        let dir = data.join("migrations").join(&m.dir);
        let prev = if i == 0 { "" } else { ms[i - 1].id.as_str() };
        let down = if i == 0 {
            String::new()
        } else {
            format!(", down_revision = \"{prev}\"")
        };
        let tx = if m.transactional {
            ""
        } else {
            ", transactional = false"
        };
        let text = format!(
            "//! {msg}\n//!\n//! Revision ID: {id}\n//! Revises: {prev}\n//! Create Date: 2026-11-21 00:00:00.000\n\n\
             #[migrate_macros::migration(revision = \"{id}\"{down}{tx})]\nmod revision {{\n    use migrate_core::prelude::*;\n\n    \
             pub async fn upgrade(db: &mut Db) -> Result<()> {{\n        db.sql(include_str!({up:?})).await?;\n        Ok(())\n    }}\n\n    \
             pub async fn downgrade(db: &mut Db) -> Result<()> {{\n        db.sql(include_str!({dn:?})).await?;\n        Ok(())\n    }}\n}}\n",
            msg = m.message,
            id = m.id,
            up = dir.join("up.sql").display().to_string(),
            dn = dir.join("down.sql").display().to_string(),
        );
        std::fs::write(versions.join(format!("{}.rs", m.id)), text).expect("revision file");
    }
    root
}
