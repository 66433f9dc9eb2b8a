//! The header cache: what `source::parse_file` read from each revision file, stored in the
//! target directory so a warm `heads`, `history` or `revision` stats the files instead of
//! reading and parsing all of them.
//!
//! One file per versions directory, `<target>/cargo-migrate/headers-<package>-<hash>.bin`
//! (the hash is of the versions directory's path, so crates sharing a target directory do not
//! collide). An entry is used only when the file's [`Key`] (size, mtime and ctime in
//! nanoseconds, inode) is the one recorded when it was read, and only files whose timestamps
//! are older than [`RACY_WINDOW`] are recorded at all: an edit made within the file system's
//! timestamp granularity of the read could otherwise keep the same mtime (git's "racy clean"
//! problem). The cache is tied to the binary (version, and the executable's size and mtime),
//! so another build of `cargo migrate` never trusts it.
//!
//! A cache file is 8 bytes naming its kind and format version, its content encoded with serde
//! and `postcard`, and an `xxh3` checksum of both ([`seal`] / [`unseal`]; `xxh3` is also the hash in file
//! names). Reading is all or nothing: a cache that is missing, truncated, corrupt (checksum),
//! of another format or binary, or of another directory is ignored. Writing is best effort
//! and atomic (a temporary file renamed over the old one); it never fails a command.

use std::borrow::Cow;
use std::ffi::OsString;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use migrate_core::graph::RevisionInfo;
use serde::{Deserialize, Serialize};

pub(crate) mod project;
pub(crate) mod runner;

/// The first bytes of a header cache file: its kind and format version.
const MAGIC: &[u8; 8] = b"CMHDRC\0\x02";

/// Files whose mtime or ctime is less than this old when they are read are not recorded
/// (they are read again by the next command): longer than the coarsest timestamp granularity
/// of common file systems (1 s on ext3/HFS+, 2 s on FAT).
pub(crate) const RACY_WINDOW: Duration = Duration::from_secs(3);

/// What identifies one version of a file: if any of it changed, the entry is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Key {
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    ino: u64,
}

impl Key {
    /// The key of a file from its metadata (taken *before* its content is read).
    pub fn of(meta: &Metadata) -> Key {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
            Key {
                size: meta.size(),
                mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
                ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
                ino: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            Key {
                size: meta.len(),
                mtime_ns: meta.modified().map_or(0, |t| system_ns(t)),
                ctime_ns: 0,
                ino: 0,
            }
        }
    }

    /// Whether the file may be recorded: its timestamps are older than [`RACY_WINDOW`] at
    /// `started` (the time the command started looking at the files), and not in the future.
    /// `started` is replaced by the time in `CARGO_MIGRATE_CACHE_NOW` when that is set (see
    /// [`clock_override`]).
    pub fn is_settled(&self, started: SystemTime) -> bool {
        let now = clock_override().unwrap_or_else(|| system_ns(started));
        let limit = now.saturating_sub(RACY_WINDOW.as_nanos() as i128);
        self.mtime_ns < limit && self.ctime_ns < limit
    }
}

/// The time the young-file rule ([`Key::is_settled`]) measures file ages against instead of
/// the command's start: `CARGO_MIGRATE_CACHE_NOW`, Unix time in nanoseconds. For tests, which
/// move this clock instead of waiting [`RACY_WINDOW`] for files to age. A value that is not
/// an integer makes every file too young to record (the safe side). Read once per process.
fn clock_override() -> Option<i128> {
    static NOW: std::sync::OnceLock<Option<i128>> = std::sync::OnceLock::new();
    *NOW.get_or_init(|| {
        let v = std::env::var_os("CARGO_MIGRATE_CACHE_NOW")?;
        Some(
            v.to_str()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(i128::MIN),
        )
    })
}

fn system_ns(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// One cached file: its name in the versions directory (borrowed from the cache's bytes),
/// its key and its header (`file` is left empty; the caller knows where the file is).
#[derive(Debug)]
pub(crate) struct Entry<'a> {
    pub name: &'a str,
    pub key: Key,
    pub info: RevisionInfo,
}

/// The cache file of a versions directory in `target_dir`.
pub(crate) fn path(target_dir: &Path, package: &str, versions_dir: &Path) -> PathBuf {
    let hash = hash(versions_dir.as_os_str().as_encoded_bytes());
    target_dir
        .join("cargo-migrate")
        .join(format!("headers-{package}-{hash:016x}.bin"))
}

/// Whether caching is off: `CARGO_MIGRATE_NO_CACHE` set to anything but the empty string.
pub(crate) fn disabled() -> bool {
    std::env::var_os("CARGO_MIGRATE_NO_CACHE").is_some_and(|v| !v.is_empty())
}

/// Whether to say on stderr what came from the caches (`CARGO_MIGRATE_CACHE_STATS` set; for
/// tests and benchmarks).
pub(crate) fn stats_wanted() -> bool {
    std::env::var_os("CARGO_MIGRATE_CACHE_STATS").is_some()
}

/// What ties a cache to the binary that wrote it: its version, and its executable's size and
/// mtime (a rebuilt `cargo-migrate` may parse differently).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct BinaryStamp {
    version: Cow<'static, str>,
    exe_size: u64,
    exe_mtime_ns: i128,
}

/// The stamp of this binary; `None` (no caching) when its executable cannot be found.
fn binary_stamp() -> Option<BinaryStamp> {
    let exe = std::env::current_exe().and_then(std::fs::metadata).ok()?;
    let k = Key::of(&exe);
    Some(BinaryStamp {
        version: Cow::Borrowed(env!("CARGO_PKG_VERSION")),
        exe_size: k.size,
        exe_mtime_ns: k.mtime_ns,
    })
}

/// A header cache file's content.
#[derive(Serialize, Deserialize)]
struct Headers<'a> {
    binary: BinaryStamp,
    /// The versions directory.
    dir: OsString,
    #[serde(borrow)]
    entries: Vec<Stored<'a>>,
}

/// One entry as stored: borrowed when written, the name borrowed from the file's bytes when
/// read.
#[derive(Serialize, Deserialize)]
struct Stored<'a> {
    name: &'a str,
    key: Key,
    id: Cow<'a, str>,
    down_revisions: Cow<'a, [String]>,
    branch_labels: Cow<'a, [String]>,
    depends_on: Cow<'a, [String]>,
    message: Cow<'a, str>,
}

/// The bytes of a header cache file, read by [`read`]; [`entries`] decodes them.
#[derive(Debug)]
pub(crate) struct Cache {
    data: Vec<u8>,
    binary: BinaryStamp,
    dir: OsString,
}

/// Reads the cache file at `path` for `versions_dir`; `None` when there is none or caching is
/// off.
pub(crate) fn read(path: &Path, versions_dir: &Path) -> Option<Cache> {
    if disabled() {
        return None;
    }
    let binary = binary_stamp()?;
    let data = std::fs::read(path).ok()?;
    Some(Cache {
        data,
        binary,
        dir: versions_dir.as_os_str().to_owned(),
    })
}

/// The entries of a cache, in the order they were written, or `None` when it is not usable
/// (truncated, corrupt, written by another binary or for another directory).
pub(crate) fn entries(cache: &Cache) -> Option<Vec<Entry<'_>>> {
    decode(&cache.data, &cache.binary, &cache.dir)
}

fn decode<'a>(data: &'a [u8], binary: &BinaryStamp, dir: &OsString) -> Option<Vec<Entry<'a>>> {
    let headers: Headers<'a> = postcard::from_bytes(unseal(MAGIC, data)?).ok()?;
    if headers.binary != *binary || headers.dir != *dir {
        return None;
    }
    let entries = headers
        .entries
        .into_iter()
        .map(|e| Entry {
            name: e.name,
            key: e.key,
            info: RevisionInfo {
                id: e.id.into_owned(),
                down_revisions: e.down_revisions.into_owned(),
                branch_labels: e.branch_labels.into_owned(),
                depends_on: e.depends_on.into_owned(),
                message: e.message.into_owned(),
                file: String::new(),
            },
        })
        .collect();
    Some(entries)
}

/// Writes the cache for `versions_dir`: `entries` are (file name, key, header). Best effort:
/// any failure leaves the old cache (or none) in place and is not reported.
pub(crate) fn write<'a>(
    path: &Path,
    versions_dir: &Path,
    entries: impl ExactSizeIterator<Item = (&'a str, Key, &'a RevisionInfo)>,
) {
    if disabled() {
        return;
    }
    let Some(binary) = binary_stamp() else {
        return;
    };
    let _ = write_atomic(path, &encode(binary, versions_dir, entries));
}

fn encode<'a>(
    binary: BinaryStamp,
    versions_dir: &Path,
    entries: impl Iterator<Item = (&'a str, Key, &'a RevisionInfo)>,
) -> Vec<u8> {
    let headers = Headers {
        binary,
        dir: versions_dir.as_os_str().to_owned(),
        entries: entries
            .map(|(name, key, info)| Stored {
                name,
                key,
                id: Cow::Borrowed(&info.id),
                down_revisions: Cow::Borrowed(&info.down_revisions),
                branch_labels: Cow::Borrowed(&info.branch_labels),
                depends_on: Cow::Borrowed(&info.depends_on),
                message: Cow::Borrowed(&info.message),
            })
            .collect(),
    };
    seal(MAGIC, &headers).expect("a header cache encodes")
}

/// `magic`, `value` encoded with postcard, and the [`hash`] of both: a cache file's bytes.
fn seal(magic: &[u8; 8], value: &impl Serialize) -> Option<Vec<u8>> {
    let mut data = postcard::to_extend(value, magic.to_vec()).ok()?;
    let sum = hash(&data);
    data.extend_from_slice(&sum.to_le_bytes());
    Some(data)
}

/// The encoded value in a cache file's bytes sealed with `magic` by [`seal`]: `None` when
/// they are truncated, corrupt (checksum) or of another kind or format version.
fn unseal<'a>(magic: &[u8; 8], data: &'a [u8]) -> Option<&'a [u8]> {
    let body_len = data.len().checked_sub(8)?;
    let (body, sum) = data.split_at(body_len);
    if u64::from_le_bytes(sum.try_into().ok()?) != hash(body) {
        return None;
    }
    body.strip_prefix(magic.as_slice())
}

fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let result = std::fs::write(&tmp, data).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The one hash of the caches (file names and checksums): 64-bit XXH3. It catches truncation
/// and flipped bytes; it is not a defence against someone forging a cache in the target
/// directory.
fn hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: &str, parents: &[&str]) -> RevisionInfo {
        let mut i = RevisionInfo::new(id, parents)
            .with_labels(&["lbl"])
            .with_depends_on(&["dep"]);
        i.message = format!("create {id} ü");
        i.file = String::new();
        i
    }

    fn key(n: u64) -> Key {
        Key {
            size: n,
            mtime_ns: i128::from(n) * 7,
            ctime_ns: -3,
            ino: n + 1,
        }
    }

    fn stamp(version: &'static str) -> BinaryStamp {
        BinaryStamp {
            version: Cow::Borrowed(version),
            exe_size: 1,
            exe_mtime_ns: 2,
        }
    }

    fn encoded(binary: BinaryStamp, dir: &Path) -> Vec<u8> {
        let infos = [info("a", &[]), info("b", &["a"])];
        let names = ["a.rs", "b.rs"];
        encode(
            binary,
            dir,
            infos
                .iter()
                .enumerate()
                .map(|(i, inf)| (names[i], key(i as u64), inf)),
        )
    }

    #[test]
    fn round_trips_through_write_and_read() {
        let dir = tempfile::tempdir().unwrap();
        let versions = dir.path().join("src/versions");
        let file = path(dir.path(), "m", &versions);
        let infos = [info("a", &[]), info("b", &["a"])];
        write(
            &file,
            &versions,
            [("a.rs", key(1), &infos[0]), ("b.rs", key(2), &infos[1])].into_iter(),
        );
        let cache = read(&file, &versions).expect("a cache file");
        let back = entries(&cache).expect("a valid cache");
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].name, "b.rs");
        assert_eq!(back[1].key, key(2));
        assert_eq!(back[1].info, infos[1]);
        // another directory's cache is not used
        let other = read(&file, &dir.path().join("other")).expect("a cache file");
        assert!(entries(&other).is_none());
    }

    #[test]
    fn every_truncation_and_flipped_byte_is_rejected() {
        let dir = Path::new("/x/src/versions");
        let data = encoded(stamp("1"), dir);
        let dir_s = dir.as_os_str().to_owned();
        let back = decode(&data, &stamp("1"), &dir_s).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!((back[1].name, back[1].key), ("b.rs", key(1)));
        assert_eq!(back[1].info, info("b", &["a"]));
        let rejected = |d: &[u8]| decode(d, &stamp("1"), &dir_s).is_none();
        for n in 0..data.len() {
            assert!(rejected(&data[..n]), "truncated at {n}");
        }
        for i in 0..data.len() {
            let mut bad = data.clone();
            bad[i] ^= 0x20;
            assert!(rejected(&bad), "byte {i} flipped");
        }
        // another binary, another directory, another kind of cache
        assert!(decode(&data, &stamp("2"), &dir.as_os_str().to_owned()).is_none());
        assert!(decode(&data, &stamp("1"), &OsString::from("/y")).is_none());
        assert!(unseal(b"CMPROJ\0\x02", &data).is_none());
    }

    #[test]
    fn recent_files_are_not_settled() {
        let now = SystemTime::now();
        let ns = system_ns(now);
        let k = |t: i128| Key {
            size: 1,
            mtime_ns: t,
            ctime_ns: t,
            ino: 1,
        };
        assert!(k(ns - 10_000_000_000).is_settled(now));
        assert!(!k(ns - 1_000_000_000).is_settled(now));
        assert!(!k(ns + 1_000_000_000).is_settled(now));
    }
}
