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

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use cargo_metadata::Metadata;

use super::{Key, Reader, Writer, checksum, fnv1a, write_atomic};
use crate::workspace::Project;

/// The first bytes of a project cache file.
const MAGIC: &[u8; 8] = b"CMPROJ\0\x01";

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
    cwd: PathBuf,
    /// `--manifest-path`, made absolute.
    manifest: Option<PathBuf>,
    /// The encoded query (with the binary's stamp): a cache file is used only if it starts
    /// with exactly this.
    stamp: Vec<u8>,
    file: PathBuf,
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
        let manifest = manifest_path.map(|m| cwd.join(m));
        let mut w = Writer(Vec::new());
        w.0.extend_from_slice(MAGIC);
        w.0.extend_from_slice(&super::binary_stamp());
        w.bytes(cwd.as_os_str().as_encoded_bytes());
        opt_bytes(&mut w, manifest.as_ref().map(|m| m.as_os_str()));
        opt_bytes(&mut w, package.map(std::ffi::OsStr::new));
        for name in ENV {
            opt_bytes(&mut w, std::env::var_os(name).as_deref());
        }
        let file = dir.join(format!("project-{:016x}.bin", fnv1a(&w.0)));
        Some(Query {
            cwd,
            manifest,
            stamp: w.0,
            file,
        })
    }

    /// The cached answer, when there is one and nothing it depends on changed.
    pub fn read(&self) -> Option<Project> {
        let data = std::fs::read(&self.file).ok()?;
        let body_len = data.len().checked_sub(8)?;
        let (body, sum) = data.split_at(body_len);
        if u64::from_le_bytes(sum.try_into().ok()?) != checksum(body) {
            return None;
        }
        let mut r = Reader(body);
        if r.take(self.stamp.len())? != self.stamp.as_slice() {
            return None;
        }
        let project = Project {
            workspace_root: r.path()?,
            name: r.string()?,
            manifest_path: r.path()?,
            crate_dir: r.path()?,
            target_dir: r.path()?,
        };
        let n = r.len()?;
        for _ in 0..n {
            let path = r.path()?;
            let recorded = match r.take(1)? {
                [0] => None,
                [1] => Some(Key {
                    size: r.u64()?,
                    mtime_ns: r.i128()?,
                    ctime_ns: r.i128()?,
                    ino: r.u64()?,
                }),
                _ => return None,
            };
            let now = match std::fs::metadata(&path) {
                Ok(m) => Some(Key::of(&m)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(_) => return None,
            };
            if now != recorded {
                return None;
            }
        }
        r.0.is_empty().then_some(project)
    }

    /// Records `project`, the answer `metadata` gave; `started` is when `cargo metadata` was
    /// started. Best effort: nothing is written when a file it depends on is too recent to be
    /// trusted or a member glob cannot be watched, and failures are not reported.
    pub fn write(&self, project: &Project, metadata: &Metadata, started: SystemTime) {
        let Some(paths) = self.watched(metadata) else {
            return;
        };
        let mut w = Writer(self.stamp.clone());
        w.bytes(project.workspace_root.as_os_str().as_encoded_bytes());
        w.str(&project.name);
        for p in [
            &project.manifest_path,
            &project.crate_dir,
            &project.target_dir,
        ] {
            w.bytes(p.as_os_str().as_encoded_bytes());
        }
        w.u64(paths.len() as u64);
        for path in &paths {
            w.bytes(path.as_os_str().as_encoded_bytes());
            match std::fs::metadata(path) {
                Ok(m) => {
                    let key = Key::of(&m);
                    if !key.is_settled(started) {
                        return;
                    }
                    w.0.push(1);
                    w.u64(key.size);
                    w.i128(key.mtime_ns);
                    w.i128(key.ctime_ns);
                    w.u64(key.ino);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => w.0.push(0),
                Err(_) => return,
            }
        }
        let sum = checksum(&w.0);
        w.u64(sum);
        let _ = write_atomic(&self.file, &w.0);
    }

    /// Every path whose state `cargo metadata`'s answer depends on (see the module docs);
    /// `None` when the workspace cannot be watched this way.
    fn watched(&self, metadata: &Metadata) -> Option<Vec<PathBuf>> {
        let mut paths: Vec<PathBuf> = Vec::new();
        let start = match &self.manifest {
            Some(m) => m.parent()?.to_owned(),
            None => self.cwd.clone(),
        };
        for dir in start.ancestors() {
            paths.push(dir.join("Cargo.toml"));
        }
        let mut config_dirs: Vec<PathBuf> =
            self.cwd.ancestors().map(|d| d.join(".cargo")).collect();
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

fn opt_bytes(w: &mut Writer, v: Option<&std::ffi::OsStr>) {
    match v {
        Some(v) => {
            w.0.push(1);
            w.bytes(v.as_encoded_bytes());
        }
        None => w.0.push(0),
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
