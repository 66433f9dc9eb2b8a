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
//! Reading is all or nothing: a cache that is missing, truncated, corrupt (checksum), of
//! another format or binary, or of another directory is ignored. Writing is best effort and
//! atomic (a temporary file renamed over the old one); it never fails a command.

use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use migrate_core::graph::RevisionInfo;

pub(crate) mod project;

/// The first bytes of a cache file.
const MAGIC: &[u8; 8] = b"CMHDRC\0\x01";

/// Files whose mtime or ctime is less than this old when they are read are not recorded
/// (they are read again by the next command): longer than the coarsest timestamp granularity
/// of common file systems (1 s on ext3/HFS+, 2 s on FAT).
pub(crate) const RACY_WINDOW: Duration = Duration::from_secs(3);

/// What identifies one version of a file: if any of it changed, the entry is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    let hash = fnv1a(versions_dir.as_os_str().as_encoded_bytes());
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
fn binary_stamp() -> Vec<u8> {
    let mut w = Writer(Vec::new());
    w.str(env!("CARGO_PKG_VERSION"));
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| Key::of(&m));
    match exe {
        Ok(k) => {
            w.u64(k.size);
            w.i128(k.mtime_ns);
        }
        // no executable to tie to: a random stamp, so no cache is ever read back
        Err(_) => w.u64(rand_u64()),
    }
    w.0
}

fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    let _ = getrandom::fill(&mut b);
    u64::from_le_bytes(b) | 1
}

/// What ties a header cache to the binary and the directory: written after the magic bytes.
fn stamp(versions_dir: &Path) -> Vec<u8> {
    let mut w = Writer(binary_stamp());
    w.bytes(versions_dir.as_os_str().as_encoded_bytes());
    w.0
}

/// The bytes of a header cache file, read by [`read`]; [`entries`] decodes them.
#[derive(Debug)]
pub(crate) struct Cache {
    data: Vec<u8>,
    stamp: Vec<u8>,
}

/// Reads the cache file at `path` for `versions_dir`; `None` when there is none or caching is
/// off.
pub(crate) fn read(path: &Path, versions_dir: &Path) -> Option<Cache> {
    if disabled() {
        return None;
    }
    let data = std::fs::read(path).ok()?;
    Some(Cache {
        data,
        stamp: stamp(versions_dir),
    })
}

/// The entries of a cache, in the order they were written, or `None` when it is not usable
/// (truncated, corrupt, written by another binary or for another directory).
pub(crate) fn entries(cache: &Cache) -> Option<Vec<Entry<'_>>> {
    decode(&cache.data, &cache.stamp)
}

fn decode<'a>(data: &'a [u8], stamp: &[u8]) -> Option<Vec<Entry<'a>>> {
    let body_len = data.len().checked_sub(8)?;
    let (body, sum) = data.split_at(body_len);
    if u64::from_le_bytes(sum.try_into().ok()?) != checksum(body) {
        return None;
    }
    let mut r = Reader(body);
    if r.take(MAGIC.len())? != MAGIC {
        return None;
    }
    if r.take(stamp.len())? != stamp {
        return None;
    }
    let n = r.len()?;
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.str()?;
        let key = Key {
            size: r.u64()?,
            mtime_ns: r.i128()?,
            ctime_ns: r.i128()?,
            ino: r.u64()?,
        };
        let info = RevisionInfo {
            id: r.string()?,
            down_revisions: r.strings()?,
            branch_labels: r.strings()?,
            depends_on: r.strings()?,
            message: r.string()?,
            file: String::new(),
        };
        entries.push(Entry { name, key, info });
    }
    r.0.is_empty().then_some(entries)
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
    let mut w = Writer(Vec::with_capacity(128 * entries.len() + 256));
    w.0.extend_from_slice(MAGIC);
    w.0.extend_from_slice(&stamp(versions_dir));
    w.u64(entries.len() as u64);
    for (name, key, info) in entries {
        w.str(name);
        w.u64(key.size);
        w.i128(key.mtime_ns);
        w.i128(key.ctime_ns);
        w.u64(key.ino);
        w.str(&info.id);
        w.strs(&info.down_revisions);
        w.strs(&info.branch_labels);
        w.strs(&info.depends_on);
        w.str(&info.message);
    }
    let sum = checksum(&w.0);
    w.u64(sum);
    let _ = write_atomic(path, &w.0);
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

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A fast checksum (8 bytes at a time) that catches truncation and flipped bytes; not a
/// defence against someone forging a cache in the target directory.
fn checksum(data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(8);
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15 ^ data.len() as u64;
    let mut mix = |w: u64| {
        h = (h ^ w).wrapping_mul(0xff51_afd7_ed55_8ccd).rotate_left(29);
    };
    for c in &mut chunks {
        mix(u64::from_le_bytes(c.try_into().expect("8 bytes")));
    }
    let mut last = [0u8; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    mix(u64::from_le_bytes(last));
    h ^ (h >> 31)
}

struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i128(&mut self, v: i128) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(&(b.len() as u32).to_le_bytes());
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn strs(&mut self, v: &[String]) {
        self.0.extend_from_slice(&(v.len() as u32).to_le_bytes());
        for s in v {
            self.str(s);
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn i128(&mut self) -> Option<i128> {
        Some(i128::from_le_bytes(self.take(16)?.try_into().ok()?))
    }
    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        // every entry takes more than one byte: a length beyond the data is corrupt
        (n <= self.0.len()).then_some(n)
    }
    fn u32_len(&mut self) -> Option<usize> {
        let n = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        (n <= self.0.len()).then_some(n)
    }
    fn str(&mut self) -> Option<&'a str> {
        let n = self.u32_len()?;
        std::str::from_utf8(self.take(n)?).ok()
    }
    fn string(&mut self) -> Option<String> {
        self.str().map(str::to_owned)
    }
    fn path(&mut self) -> Option<PathBuf> {
        let n = self.u32_len()?;
        let b = self.take(n)?;
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt as _;
            Some(PathBuf::from(std::ffi::OsStr::from_bytes(b)))
        }
        #[cfg(not(unix))]
        {
            std::str::from_utf8(b).ok().map(PathBuf::from)
        }
    }
    fn strings(&mut self) -> Option<Vec<String>> {
        let n = self.u32_len()?;
        (0..n).map(|_| self.string()).collect()
    }
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

    fn encoded(stamp: &[u8]) -> Vec<u8> {
        let infos = [info("a", &[]), info("b", &["a"])];
        let mut w = Writer(Vec::new());
        w.0.extend_from_slice(MAGIC);
        w.0.extend_from_slice(stamp);
        w.u64(2);
        for (i, inf) in infos.iter().enumerate() {
            w.str(&format!("{}.rs", inf.id));
            let k = key(i as u64);
            w.u64(k.size);
            w.i128(k.mtime_ns);
            w.i128(k.ctime_ns);
            w.u64(k.ino);
            w.str(&inf.id);
            w.strs(&inf.down_revisions);
            w.strs(&inf.branch_labels);
            w.strs(&inf.depends_on);
            w.str(&inf.message);
        }
        let sum = checksum(&w.0);
        w.u64(sum);
        w.0
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
        let stamp = b"stamp".to_vec();
        let data = encoded(&stamp);
        assert_eq!(decode(&data, &stamp).unwrap().len(), 2);
        for n in 0..data.len() {
            assert!(decode(&data[..n], &stamp).is_none(), "truncated at {n}");
        }
        for i in 0..data.len() {
            let mut bad = data.clone();
            bad[i] ^= 0x20;
            assert!(decode(&bad, &stamp).is_none(), "byte {i} flipped");
        }
        assert!(decode(&data, b"other").is_none());
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
