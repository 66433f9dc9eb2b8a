//! The project cache: where `cargo metadata --no-deps` said the migrations crate is, so the
//! read-only commands do not start cargo each time (20–25 ms, more than the rest of a warm
//! `heads` on 10,000 revisions).
//!
//! One small file per query in the user's cache directory
//! (`$XDG_CACHE_HOME/cargo-migrate/project-<hash>.bin`, default `~/.cache/…`; the target
//! directory is one of the answers, so the cache cannot live there). A query is the current
//! directory, `--manifest-path`, `-p`, the binary and the environment variables cargo's answer
//! depends on. The answer is used only when every file `cargo metadata` read is unchanged
//! (size, timestamps, inode), and every file it would read if it existed still does not
//! exist:
//!
//! - `Cargo.toml` in the directory of `--manifest-path` (or the current directory) and in
//!   every ancestor (manifest discovery, the workspace root);
//! - `.cargo/config` and `.cargo/config.toml` in the current directory and its ancestors, and
//!   in `$CARGO_HOME` (`build.target-dir`);
//! - the workspace root's manifest and every member's manifest;
//! - the directory of every `workspace.members` glob (`crates/*`: a new member is a new
//!   directory there). A glob in a non-final component (`crates/*/x`) disables the cache.
//!
//! As for headers, nothing is recorded unless all of these are older than
//! [`super::RACY_WINDOW`], and a cache that does not read back whole is ignored. Not covered:
//! a different cargo version picked by a new `rust-toolchain.toml` (cargo's answer to
//! `--no-deps` about names and paths does not depend on it).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use cargo_metadata::Metadata;
use serde::{Deserialize, Serialize};

use super::{BinaryStamp, Key, hash, seal, unseal, write_atomic};
use crate::workspace::Project;

/// The first bytes of a project cache file: its kind and format version.
const MAGIC: &[u8; 8] = b"CMPROJ\0\x02";

/// The environment variables `cargo metadata`'s answer may depend on.
const ENV: &[&str] = &[
    "CARGO",
    "CARGO_HOME",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTUP_TOOLCHAIN",
    "HOME",
];

/// One question to `cargo metadata`, and where its answer is cached.
#[derive(Debug)]
pub(crate) struct Query {
    asked: Asked,
    file: PathBuf,
}

/// What a question is: a cache file answers it only if it was written for exactly this.
/// (Paths are stored as strings: a question with a path that is not UTF-8 is not cached.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Asked {
    binary: BinaryStamp,
    cwd: PathBuf,
    /// `--manifest-path`, made absolute.
    manifest: Option<PathBuf>,
    package: Option<String>,
    /// The values of [`ENV`], in order.
    env: Vec<Option<OsString>>,
}

/// A project cache file's content.
#[derive(Serialize, Deserialize)]
struct Answer {
    asked: Asked,
    workspace_root: PathBuf,
    name: String,
    manifest_path: PathBuf,
    crate_dir: PathBuf,
    target_dir: PathBuf,
    /// Every path the answer depends on, with its key when it existed (`None`: it did not).
    watched: Vec<(PathBuf, Option<Key>)>,
}

impl Query {
    /// The query for `--manifest-path` and `-p`; `None` when there is no cache directory or no
    /// current directory (then there is no caching).
    pub fn new(manifest_path: Option<&Path>, package: Option<&str>) -> Option<Query> {
        if super::disabled() {
            return None;
        }
        let dir = cache_dir()?;
        let cwd = std::env::current_dir().ok()?;
        let asked = Asked {
            binary: super::binary_stamp()?,
            manifest: manifest_path.map(|m| cwd.join(m)),
            cwd,
            package: package.map(str::to_owned),
            env: ENV.iter().map(std::env::var_os).collect(),
        };
        let key = postcard::to_stdvec(&asked).ok()?;
        let file = dir.join(format!("project-{:016x}.bin", hash(&key)));
        Some(Query { asked, file })
    }

    /// The cached answer, when there is one and nothing it depends on changed.
    pub fn read(&self) -> Option<Project> {
        let data = std::fs::read(&self.file).ok()?;
        let answer: Answer = postcard::from_bytes(unseal(MAGIC, &data)?).ok()?;
        if answer.asked != self.asked {
            return None;
        }
        for (path, recorded) in &answer.watched {
            let now = match std::fs::metadata(path) {
                Ok(m) => Some(Key::of(&m)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(_) => return None,
            };
            if now != *recorded {
                return None;
            }
        }
        Some(Project {
            workspace_root: answer.workspace_root,
            name: answer.name,
            manifest_path: answer.manifest_path,
            crate_dir: answer.crate_dir,
            target_dir: answer.target_dir,
        })
    }

    /// Records `project`, the answer `metadata` gave; `started` is when `cargo metadata` was
    /// started. Best effort: nothing is written when a file it depends on is too recent to be
    /// trusted or a member glob cannot be watched, and failures are not reported.
    pub fn write(&self, project: &Project, metadata: &Metadata, started: SystemTime) {
        let Some(paths) = self.watched(metadata) else {
            return;
        };
        let mut watched = Vec::with_capacity(paths.len());
        for path in paths {
            let key = match std::fs::metadata(&path) {
                Ok(m) => {
                    let key = Key::of(&m);
                    if !key.is_settled(started) {
                        return;
                    }
                    Some(key)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(_) => return,
            };
            watched.push((path, key));
        }
        let answer = Answer {
            asked: self.asked.clone(),
            workspace_root: project.workspace_root.clone(),
            name: project.name.clone(),
            manifest_path: project.manifest_path.clone(),
            crate_dir: project.crate_dir.clone(),
            target_dir: project.target_dir.clone(),
            watched,
        };
        if let Some(data) = seal(MAGIC, &answer) {
            let _ = write_atomic(&self.file, &data);
        }
    }

    /// Every path whose state `cargo metadata`'s answer depends on (see the module docs);
    /// `None` when the workspace cannot be watched this way.
    fn watched(&self, metadata: &Metadata) -> Option<Vec<PathBuf>> {
        let mut paths: Vec<PathBuf> = Vec::new();
        let start = match &self.asked.manifest {
            Some(m) => m.parent()?.to_owned(),
            None => self.asked.cwd.clone(),
        };
        for dir in start.ancestors() {
            paths.push(dir.join("Cargo.toml"));
        }
        let mut config_dirs: Vec<PathBuf> = self
            .asked
            .cwd
            .ancestors()
            .map(|d| d.join(".cargo"))
            .collect();
        config_dirs.push(cargo_home()?);
        for dir in config_dirs {
            paths.push(dir.join("config"));
            paths.push(dir.join("config.toml"));
        }
        let root = metadata.workspace_root.as_std_path();
        let root_manifest = root.join("Cargo.toml");
        paths.push(root_manifest.clone());
        for p in metadata.workspace_packages() {
            paths.push(p.manifest_path.clone().into_std_path_buf());
        }
        // `members = ["crates/*"]`: a new member is a new directory in `crates`
        let text = std::fs::read_to_string(&root_manifest).ok()?;
        let doc: toml_edit::DocumentMut = text.parse().ok()?;
        if let Some(members) = doc
            .get("workspace")
            .and_then(|w| w.get("members"))
            .and_then(toml_edit::Item::as_array)
        {
            for m in members {
                let m = m.as_str()?;
                if !m.contains(['*', '?', '[']) {
                    continue;
                }
                let (dir, last) = m.rsplit_once('/').unwrap_or(("", m));
                if dir.contains(['*', '?', '[']) || last.is_empty() {
                    return None;
                }
                paths.push(root.join(dir));
            }
        }
        paths.sort();
        paths.dedup();
        Some(paths)
    }
}

/// The user's cache directory (the `dirs` crate: `$XDG_CACHE_HOME`, else `~/.cache`;
/// `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows), then `cargo-migrate`.
fn cache_dir() -> Option<PathBuf> {
    Some(dirs::cache_dir()?.join("cargo-migrate"))
}

/// Cargo's home (the `home` crate, as cargo: `$CARGO_HOME` made absolute, else `~/.cargo`).
fn cargo_home() -> Option<PathBuf> {
    home::cargo_home().ok()
}
