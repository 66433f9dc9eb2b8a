//! The runner stamp: the proof that the runner binary was up to date, so a database command
//! with nothing to rebuild runs it without starting `cargo build` (whose no-op check, cargo's
//! start-up and fingerprint walk over every crate, is ~200 ms: most of a `cargo migrate
//! current`).
//!
//! After every successful `cargo build` of the runner, `<target>/cargo-migrate/runner-<package>-<hash>.bin`
//! (the hash is of the migrations crate's manifest path) records the runner executable's key
//! and the key (size, mtime and ctime in nanoseconds, inode; see [`super::Key`]) of every path
//! the build depended on, or that it did not exist:
//!
//! - every path in the runner's dep-info file (`<exe>.d`, written by cargo next to the
//!   executable): the sources of the migrations crate and of every path dependency, the
//!   versions directory (the `rerun-if-changed` of the build script `init` writes) and every
//!   revision file, the manifest (`migrations!()` reads its configuration);
//! - every configured versions directory (`versions-dir`, one or several) and every file in
//!   it, whether or not the build script names it: a revision file added to a directory the
//!   build script forgot still sends the command through `cargo build`;
//! - the manifest of each package those paths belong to, the workspace's `Cargo.toml` and
//!   `Cargo.lock`;
//! - for a package with a build script (a `build.rs`, or a `build` key in its manifest),
//!   every file and directory in the package (without hidden entries, `target` and nested
//!   packages): cargo reruns a build script that prints no `rerun-if-changed` when any of them
//!   changes, and which scripts print one cannot be told from outside;
//! - `.cargo/config` and `.cargo/config.toml` in the current directory, the workspace root and
//!   every ancestor of both, and in `$CARGO_HOME`;
//! - the toolchain: `rust-toolchain` and `rust-toolchain.toml` in those same directories,
//!   `$CARGO` (else `cargo` on `PATH`) and the `rustc` beside it or on `PATH`, and with rustup
//!   its `settings.toml`, its `toolchains` directory and each toolchain's `bin/cargo` and
//!   `bin/rustc`.
//!
//! A stamp is used only when it was written by this binary (as for every cache) for the same
//! manifest, current directory and environment (a hash of every variable but a few that
//! cannot change a build: `PWD`, `OLDPWD`, `SHLVL`, `_` and our cache switches; a changed
//! `RUSTFLAGS`, `DATABASE_URL` for `sqlx::query!` or anything a build script reads is a
//! different environment), the executable is the one recorded, and every watched path is as
//! recorded. Anything else (no stamp, a corrupt one, a dep-info path that is not absolute, a
//! package too large to watch) means `cargo build` runs, as before. As for the other caches,
//! a stamp is not written when a watched path changed less than [`super::RACY_WINDOW`] before
//! the build started: an edit within the file system's timestamp granularity could keep its
//! mtime.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{BinaryStamp, Key, hash, seal, unseal, write_atomic};
use crate::workspace::Project;

/// The first bytes of a runner stamp file: its kind and format version.
const MAGIC: &[u8; 8] = b"CMRUNR\0\x01";

/// Environment variables that cannot change what `cargo build` makes: left out of the
/// environment's hash.
const ENV_IGNORED: &[&str] = &[
    "_",
    "PWD",
    "OLDPWD",
    "SHLVL",
    "CARGO_MIGRATE_CACHE_STATS",
    "CARGO_MIGRATE_CACHE_NOW",
];

/// The most files and directories watched in the packages that have a build script; a larger
/// package is not stamped (`cargo build` checks it each time).
const MAX_PACKAGE_ENTRIES: usize = 50_000;

/// One build of one migrations crate's runner, and where its stamp is.
#[derive(Debug)]
pub(crate) struct Query {
    asked: Asked,
    file: PathBuf,
}

/// What a stamp must have been written for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Asked {
    binary: BinaryStamp,
    cwd: PathBuf,
    manifest: PathBuf,
    /// The hash of the environment (without [`ENV_IGNORED`]).
    env: u64,
}

/// A runner stamp file's content.
#[derive(Serialize, Deserialize)]
struct Stamp {
    asked: Asked,
    exe: PathBuf,
    exe_key: Key,
    /// Every watched path, with its key when it existed (`None`: it did not).
    watched: Vec<(PathBuf, Option<Key>)>,
}

impl Query {
    /// The query for the runner of `project`; `None` when caching is off or there is no
    /// current directory.
    pub fn new(project: &Project) -> Option<Query> {
        if super::disabled() {
            return None;
        }
        let asked = Asked {
            binary: super::binary_stamp()?,
            cwd: std::env::current_dir().ok()?,
            manifest: project.manifest_path.clone(),
            env: env_hash(),
        };
        let file = project.target_dir.join("cargo-migrate").join(format!(
            "runner-{}-{:016x}.bin",
            project.name(),
            hash(project.manifest_path.as_os_str().as_encoded_bytes())
        ));
        Some(Query { asked, file })
    }

    /// The runner executable, when the stamp says it is up to date (see the module docs).
    pub fn fresh(&self) -> Option<PathBuf> {
        let data = std::fs::read(&self.file).ok()?;
        let stamp: Stamp = postcard::from_bytes(unseal(MAGIC, &data)?).ok()?;
        if stamp.asked != self.asked || key_of(&stamp.exe)? != Some(stamp.exe_key) {
            return None;
        }
        for (path, recorded) in &stamp.watched {
            if key_of(path)? != *recorded {
                if super::stats_wanted() {
                    eprintln!("cache: runner stamp: `{}` changed", path.display());
                }
                return None;
            }
        }
        Some(stamp.exe)
    }

    /// Records that `exe` is the runner built from the project `project` as it is now;
    /// `started` is when `cargo build` was started. Best effort: nothing is written when a
    /// watched path changed too recently to be trusted or cannot be watched (see the module
    /// docs), and failures are not reported.
    pub fn write(&self, project: &Project, exe: &Path, started: SystemTime) {
        if let Some(stamp) = self.stamp(project, exe, started)
            && let Some(data) = seal(MAGIC, &stamp)
        {
            let _ = write_atomic(&self.file, &data);
        }
    }

    fn stamp(&self, project: &Project, exe: &Path, started: SystemTime) -> Option<Stamp> {
        let exe_key = key_of(exe)??;
        let paths = watched(project, &self.asked.cwd, exe)?;
        let mut watched = Vec::with_capacity(paths.len());
        for path in paths {
            let key = key_of(&path)?;
            if key.is_some_and(|k| !k.is_settled(started)) {
                if super::stats_wanted() {
                    eprintln!(
                        "cache: runner stamp not written: `{}` is too recent",
                        path.display()
                    );
                }
                return None;
            }
            watched.push((path, key));
        }
        Some(Stamp {
            asked: self.asked.clone(),
            exe: exe.to_owned(),
            exe_key,
            watched,
        })
    }
}

/// The key of `path` (following symbolic links), `Some(None)` when it does not exist, `None`
/// when it cannot be told.
fn key_of(path: &Path) -> Option<Option<Key>> {
    match std::fs::metadata(path) {
        Ok(m) => Some(Some(Key::of(&m))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(None),
        Err(_) => None,
    }
}

/// The hash of the environment, without [`ENV_IGNORED`], in name order.
fn env_hash() -> u64 {
    let mut vars: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(k, _)| !ENV_IGNORED.iter().any(|i| k == i))
        .collect();
    vars.sort();
    let mut bytes = Vec::new();
    for (k, v) in &vars {
        bytes.extend_from_slice(k.as_encoded_bytes());
        bytes.push(0);
        bytes.extend_from_slice(v.as_encoded_bytes());
        bytes.push(0);
    }
    hash(&bytes)
}

/// Every path the runner's build depends on (see the module docs), sorted, without
/// duplicates; `None` when that cannot be told.
fn watched(project: &Project, cwd: &Path, exe: &Path) -> Option<Vec<PathBuf>> {
    let mut paths = BTreeSet::new();
    let deps = dep_info(&std::fs::read_to_string(dep_info_path(exe)).ok()?)?;
    let mut packages = BTreeSet::new();
    for dep in deps {
        if !dep.is_absolute() {
            return None;
        }
        if let Some(dir) = dep.parent().and_then(package_of) {
            packages.insert(dir);
        }
        paths.insert(dep);
    }
    packages.insert(project.crate_dir.clone());
    // every versions directory and its entries, as `migrations!()` reads them (a missing
    // one is watched as missing)
    for dir in project.versions_dirs().ok()? {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries {
                paths.insert(e.ok()?.path());
            }
        }
        paths.insert(dir);
    }
    for dir in &packages {
        let manifest = dir.join("Cargo.toml");
        if has_build_script(dir, &manifest) {
            let mut budget = MAX_PACKAGE_ENTRIES;
            walk_package(dir, &mut paths, &mut budget)?;
        }
        paths.insert(manifest);
    }
    let root = &project.workspace_root;
    paths.insert(root.join("Cargo.toml"));
    paths.insert(root.join("Cargo.lock"));
    for dir in cwd.ancestors().chain(root.ancestors()) {
        paths.insert(dir.join(".cargo").join("config"));
        paths.insert(dir.join(".cargo").join("config.toml"));
        paths.insert(dir.join("rust-toolchain"));
        paths.insert(dir.join("rust-toolchain.toml"));
    }
    let cargo_home = home::cargo_home().ok()?;
    paths.insert(cargo_home.join("config"));
    paths.insert(cargo_home.join("config.toml"));
    let cargo = match std::env::var_os("CARGO").map(PathBuf::from) {
        Some(c) if c.is_absolute() => c,
        _ => on_path("cargo")?,
    };
    let rustc = cargo.with_file_name(format!("rustc{}", std::env::consts::EXE_SUFFIX));
    if rustc.exists() {
        paths.insert(rustc);
    }
    paths.insert(cargo);
    if let Some(rustc) = on_path("rustc") {
        paths.insert(rustc);
    }
    if let Ok(rustup) = home::rustup_home()
        && rustup.is_dir()
    {
        paths.insert(rustup.join("settings.toml"));
        let toolchains = rustup.join("toolchains");
        if let Ok(entries) = std::fs::read_dir(&toolchains) {
            for e in entries {
                let bin = e.ok()?.path().join("bin");
                for tool in ["cargo", "rustc"] {
                    paths.insert(bin.join(format!("{tool}{}", std::env::consts::EXE_SUFFIX)));
                }
            }
        }
        paths.insert(toolchains);
    }
    Some(paths.into_iter().collect())
}

/// Cargo's dep-info file of the executable `exe`: `<exe>.d` (`name.d` beside `name.exe`).
fn dep_info_path(exe: &Path) -> PathBuf {
    if cfg!(windows) {
        exe.with_extension("d")
    } else {
        let mut p = exe.as_os_str().to_owned();
        p.push(".d");
        PathBuf::from(p)
    }
}

/// The prerequisites in a Makefile-style dep-info file (`target: dep dep …`, spaces in paths
/// escaped as `\ `); `None` for anything else it could hold (another escape, no rule).
fn dep_info(text: &str) -> Option<Vec<PathBuf>> {
    let mut deps = Vec::new();
    let mut rules = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        // the target ends at the first `: ` (a Windows path has `C:\`, never `: `)
        let (_, rest) = line
            .split_once(": ")
            .or_else(|| line.strip_suffix(':').map(|t| (t, "")))?;
        rules += 1;
        let mut word = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next()? {
                    ' ' => word.push(' '),
                    '\\' => word.push('\\'),
                    _ => return None,
                },
                ' ' => {
                    if !word.is_empty() {
                        deps.push(PathBuf::from(std::mem::take(&mut word)));
                    }
                }
                c => word.push(c),
            }
        }
        if !word.is_empty() {
            deps.push(PathBuf::from(word));
        }
    }
    (rules > 0).then_some(deps)
}

/// The package directory `dir` is in: the nearest directory from `dir` up with a `Cargo.toml`.
fn package_of(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join("Cargo.toml").is_file())
        .map(Path::to_owned)
}

/// Whether the package in `dir` has a build script: a `build.rs`, or a `build` key in its
/// manifest (read as text: any line starting with `build` counts, the safe side).
fn has_build_script(dir: &Path, manifest: &Path) -> bool {
    dir.join("build.rs").exists()
        || std::fs::read_to_string(manifest).map_or(true, |t| {
            t.lines().any(|l| {
                l.trim_start()
                    .strip_prefix("build")
                    .is_some_and(|r| r.trim_start().starts_with('='))
            })
        })
}

/// Adds every file and directory of the package in `dir` to `paths`: without hidden entries,
/// `target` and directories holding another package. `None` past `budget` entries or when a
/// directory cannot be read.
fn walk_package(dir: &Path, paths: &mut BTreeSet<PathBuf>, budget: &mut usize) -> Option<()> {
    paths.insert(dir.to_owned());
    for e in std::fs::read_dir(dir).ok()? {
        let e = e.ok()?;
        let name = e.file_name();
        if name.as_encoded_bytes().starts_with(b".") || name == "target" {
            continue;
        }
        *budget = budget.checked_sub(1)?;
        let path = e.path();
        if e.file_type().ok()?.is_dir() {
            if !path.join("Cargo.toml").exists() {
                walk_package(&path, paths, budget)?;
            }
        } else {
            paths.insert(path);
        }
    }
    Some(())
}

/// The first `name` (with the executable suffix) in a directory of `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(&file))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep_info_files_are_read_with_their_escapes() {
        let text = "/t/debug/m: /a/Cargo.toml /a/src/my\\ file.rs /a/src/versions\n\n/b/x.rs:\n";
        assert_eq!(
            dep_info(text).unwrap(),
            [
                PathBuf::from("/a/Cargo.toml"),
                PathBuf::from("/a/src/my file.rs"),
                PathBuf::from("/a/src/versions"),
            ]
        );
        // an escape we do not know, no rule at all: not understood
        assert!(dep_info("/t/m: /a/b\\$c.rs\n").is_none());
        assert!(dep_info("").is_none());
        assert!(dep_info("just words\n").is_none());
    }

    #[test]
    fn build_scripts_are_found_on_the_safe_side() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        std::fs::write(&manifest, "[package]\nname = \"x\"\n").unwrap();
        assert!(!has_build_script(dir.path(), &manifest));
        std::fs::write(&manifest, "[package]\nname = \"x\"\nbuild = \"gen.rs\"\n").unwrap();
        assert!(has_build_script(dir.path(), &manifest));
        std::fs::write(&manifest, "[package]\nname = \"x\"\n").unwrap();
        std::fs::write(dir.path().join("build.rs"), "fn main() {}").unwrap();
        assert!(has_build_script(dir.path(), &manifest));
        // a manifest that cannot be read: assume one
        assert!(has_build_script(
            &dir.path().join("nowhere"),
            &dir.path().join("nowhere/Cargo.toml")
        ));
    }

    #[test]
    fn a_package_walk_skips_hidden_entries_targets_and_nested_packages() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "Cargo.toml",
            "src/lib.rs",
            ".git/HEAD",
            "target/debug/x",
            "sub/Cargo.toml",
            "sub/src/lib.rs",
        ] {
            std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
            std::fs::write(d.join(f), "").unwrap();
        }
        let mut paths = BTreeSet::new();
        walk_package(d, &mut paths, &mut 100).unwrap();
        let got: Vec<_> = paths
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().to_owned())
            .collect();
        let want: Vec<PathBuf> = ["", "Cargo.toml", "src", "src/lib.rs"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(got, want);
        // over budget: not watched at all
        assert!(walk_package(d, &mut BTreeSet::new(), &mut 2).is_none());
    }
}
