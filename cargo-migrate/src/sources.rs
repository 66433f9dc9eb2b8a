//! The revision files of a migrations crate, read as text (no compiling):
//! `migrate_core::source::parse_file` on every `*.rs` of its versions directories
//! (`versions-dir`, default `src/versions`; several are read directory by directory, in the
//! configured order, as `migrations!()` reads them).
//!
//! The graph they form is built lenient about unmerged heads ([`Graph::lenient`]): a fork
//! nobody merged yet is exactly when you need `heads`, `history` and `merge`.

use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::ffi::OsString;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context as _;
use migrate_core::graph::{Graph, GraphError, GraphErrors, RevisionInfo};
use migrate_core::source;

use crate::cache;

/// Below this many files the files are read on one thread.
const PARALLEL_THRESHOLD: usize = 512;

/// Every revision of the versions directories.
#[derive(Debug)]
pub(crate) struct Sources {
    /// The revisions, directory by directory, ordered by file name within each; `file` is
    /// relative to the crate root.
    pub revisions: Vec<RevisionInfo>,
    /// Id to position in `revisions` (the first file declaring it), built on first use.
    index: OnceCell<HashMap<String, usize>>,
    /// Where they were read from (the crate, its versions directories).
    crate_dir: PathBuf,
    versions_dirs: Vec<PathBuf>,
    /// Where each directory's revisions end in `revisions` (one per directory).
    ends: Vec<usize>,
}

/// One file to look at: its directory entry and name, and what the header cache holds for it.
struct Job<'c> {
    entry: std::fs::DirEntry,
    name: OsString,
    cached: Option<cache::Entry<'c>>,
}

impl Sources {
    /// The revision files of `project`'s migrations crate, through its header cache:
    /// [`Sources::load`] with the project's directories.
    ///
    /// # Errors
    /// As [`Sources::load`].
    pub fn of_project(project: &crate::workspace::Project) -> anyhow::Result<Sources> {
        let dirs = project.versions_dirs()?;
        Sources::load(&project.crate_dir, &dirs, |d| Some(project.header_cache(d)))
    }

    /// Reads every `*.rs` file directly in each of `versions_dirs` ([`Sources::load_dir`]),
    /// directory by directory in the order given; `cache` gives each directory's header
    /// cache file (its own: a cache is of one directory).
    ///
    /// # Errors
    /// As [`Sources::load_dir`], for the first directory that fails.
    pub fn load(
        crate_dir: &Path,
        versions_dirs: &[PathBuf],
        cache: impl Fn(&Path) -> Option<PathBuf>,
    ) -> anyhow::Result<Sources> {
        let mut revisions = Vec::new();
        let mut ends = Vec::with_capacity(versions_dirs.len());
        // (cache hits, whether a directory exists)
        let mut hits = (0, false);
        for dir in versions_dirs {
            let (mut found, hit) = Sources::load_dir(crate_dir, dir, cache(dir).as_deref())?;
            if let Some(hit) = hit {
                hits = (hits.0 + hit, true);
            }
            if revisions.is_empty() {
                revisions = found;
            } else {
                revisions.append(&mut found);
            }
            ends.push(revisions.len());
        }
        if hits.1 && cache::stats_wanted() {
            eprintln!(
                "cache: {} of {} revision files from the header cache",
                hits.0,
                revisions.len()
            );
        }
        Ok(Sources {
            revisions,
            index: OnceCell::new(),
            crate_dir: crate_dir.to_owned(),
            versions_dirs: versions_dirs.to_vec(),
            ends,
        })
    }

    /// Reads every `*.rs` file directly in `versions_dir` (names starting with `.` skipped; a
    /// missing directory has no revisions), in file-name order. `crate_dir` makes the
    /// reported file names relative (`src/versions/…`). With `cache` (a header cache file,
    /// see [`cache`]), files whose size, timestamps and inode are the ones recorded there are
    /// not read again, and the cache is rewritten (best effort) when it was missing or out of
    /// date. Returns the revisions and how many came from the cache (`None`: no directory).
    ///
    /// # Errors
    /// A directory or file that cannot be read, a file that is not a valid revision file
    /// ([`source::parse_file`]); with the file's path.
    fn load_dir(
        crate_dir: &Path,
        versions_dir: &Path,
        cache: Option<&Path>,
    ) -> anyhow::Result<(Vec<RevisionInfo>, Option<usize>)> {
        let started = SystemTime::now();
        let entries = match std::fs::read_dir(versions_dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), None));
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot read directory `{}`", versions_dir.display())
                });
            }
        };
        let mut files: Vec<(OsString, std::fs::DirEntry)> = Vec::new();
        for entry in entries {
            let entry = entry
                .with_context(|| format!("cannot read directory `{}`", versions_dir.display()))?;
            let name = entry.file_name();
            // as `migrations!()`: `*.rs`, not hidden, directly in the directory
            if Path::new(&name).extension().is_some_and(|e| e == "rs")
                && !name.as_encoded_bytes().starts_with(b".")
                && entry
                    .file_type()
                    .with_context(|| {
                        format!("cannot read the type of `{}`", entry.path().display())
                    })?
                    .is_file()
            {
                files.push((name, entry));
            }
        }
        files.sort_unstable_by(|a, b| a.0.cmp(&b.0));

        // pair each file with its cache entry: both are in file-name order
        let cache_data = cache.and_then(|c| cache::read(c, versions_dir));
        let cached = cache_data
            .as_ref()
            .and_then(cache::entries)
            .unwrap_or_default();
        let cached_len = cached.len();
        let mut cached_iter = cached.into_iter().peekable();
        let mut jobs: Vec<Job> = Vec::with_capacity(files.len());
        for (name, entry) in files {
            let mut hit = None;
            if let Some(n) = name.to_str() {
                while cached_iter.next_if(|e| e.name < n).is_some() {}
                hit = cached_iter.next_if(|e| e.name == n);
            }
            jobs.push(Job {
                entry,
                name,
                cached: hit,
            });
        }
        drop(cached_iter);

        // `src/versions/` once; each file's name is appended
        let rel_dir = {
            let r = versions_dir.strip_prefix(crate_dir).unwrap_or(versions_dir);
            let mut s = r
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if !s.is_empty() {
                s.push('/');
            }
            s
        };
        // each file's revision and cache key are written in place: no per-thread vectors
        // copied together afterwards
        let empty = || RevisionInfo {
            id: String::new(),
            down_revisions: Vec::new(),
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
            message: String::new(),
            file: String::new(),
        };
        let mut revisions: Vec<RevisionInfo> =
            std::iter::repeat_with(empty).take(jobs.len()).collect();
        let mut keys: Vec<Option<cache::Key>> = vec![None; jobs.len()];
        let load_chunk = |jobs: &mut [Job],
                          revisions: &mut [RevisionInfo],
                          keys: &mut [Option<cache::Key>]|
         -> anyhow::Result<usize> {
            let mut buf = Vec::with_capacity(16 * 1024);
            let mut hits = 0;
            for ((job, info), key) in jobs.iter_mut().zip(revisions).zip(keys) {
                hits += usize::from(load_one(&rel_dir, job, started, &mut buf, info, key)?);
            }
            Ok(hits)
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(8);
        let hits = if jobs.len() < PARALLEL_THRESHOLD || threads < 2 {
            load_chunk(&mut jobs, &mut revisions, &mut keys)?
        } else {
            let chunk = jobs.len().div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = jobs
                    .chunks_mut(chunk)
                    .zip(revisions.chunks_mut(chunk))
                    .zip(keys.chunks_mut(chunk))
                    .map(|((j, r), k)| s.spawn(|| load_chunk(j, r, k)))
                    .collect();
                let mut hits = 0;
                for h in handles {
                    hits += h.join().expect("a reader thread panicked")?;
                }
                anyhow::Ok(hits)
            })?
        };

        // rewrite the cache when an entry is out of date, missing or no longer needed
        let recordable = keys.iter().filter(|k| k.is_some()).count();
        if let Some(cache) = cache
            && (hits != cached_len || recordable != hits)
        {
            let entries = jobs
                .iter()
                .zip(&keys)
                .zip(&revisions)
                .filter_map(|((job, key), info)| Some((job.name.to_str()?, (*key)?, info)));
            let entries: Vec<_> = entries.collect();
            cache::write(cache, versions_dir, entries.into_iter());
        }
        Ok((revisions, Some(hits)))
    }

    /// The versions directory the revision `id` was read from (the first file declaring it).
    pub fn dir_of(&self, id: &str) -> Option<&Path> {
        let at = *self.index().get(id)?;
        let dir = self.ends.iter().position(|&end| at < end)?;
        Some(&self.versions_dirs[dir])
    }

    fn index(&self) -> &HashMap<String, usize> {
        self.index.get_or_init(|| {
            let mut index = HashMap::with_capacity(self.revisions.len());
            for (i, r) in self.revisions.iter().enumerate() {
                index.entry(r.id.clone()).or_insert(i);
            }
            index
        })
    }

    /// Checks the graph (`migrate_core::graph::check`, without building a [`Graph`]) as
    /// [`Sources::graph`] would: unmerged heads are fine.
    ///
    /// # Errors
    /// As [`Sources::graph`].
    pub fn check_allowing_heads(&self) -> anyhow::Result<()> {
        let errors: Vec<GraphError> = migrate_core::graph::check(&self.revisions)
            .into_iter()
            .filter(|e| !matches!(e, GraphError::MultipleHeads { .. }))
            .collect();
        if errors.is_empty() {
            return Ok(());
        }
        Err(invalid(GraphErrors(errors)).with_heads(self))
    }

    /// The graph of these revisions (a copy), lenient about unmerged heads
    /// ([`Graph::lenient`]): what `revision` and `merge` resolve specs on, so a fork nobody
    /// merged yet can still be merged.
    ///
    /// # Errors
    /// Every other problem of the graph; when a `down_revision` names a revision no file
    /// declares, a note first names the revisions nothing builds on (where it most likely
    /// meant to point: `heads` cannot answer until the graph is valid).
    pub fn graph(&self) -> anyhow::Result<Graph> {
        lenient(self.revisions.clone(), false)
            .map(|(graph, _)| graph)
            .map_err(|e| e.with_heads(self))
    }

    /// [`Sources::graph`] without a copy, for the read-only commands (large histories): the
    /// revisions move into the graph. Warns on stderr when there are unmerged heads (the
    /// migrations crate does not compile until they are merged). On a dangling
    /// `down_revision` the files are read again for the list of revisions nothing builds on.
    ///
    /// # Errors
    /// As [`Sources::graph`].
    pub fn into_graph(mut self) -> anyhow::Result<(Graph, bool)> {
        let revisions = std::mem::take(&mut self.revisions);
        lenient(revisions, true).map_err(|e| match e {
            Invalid::Other(e) => e,
            dangling => match Sources::load(&self.crate_dir, &self.versions_dirs, |_| None) {
                Ok(again) => dangling.with_heads(&again),
                Err(_) => dangling.into_error(),
            },
        })
    }

    /// The revision declaring `id`.
    pub fn get(&self, id: &str) -> Option<&RevisionInfo> {
        self.index().get(id).map(|&i| &self.revisions[i])
    }

    /// Head ids (revisions no other revision names as down_revision), in file order.
    pub fn heads(&self) -> Vec<&str> {
        let parents: HashSet<&str> = self
            .revisions
            .iter()
            .flat_map(|r| r.down_revisions.iter().map(String::as_str))
            .collect();
        self.revisions
            .iter()
            .map(|r| r.id.as_str())
            .filter(|id| !parents.contains(id))
            .collect()
    }
}

/// One file into `info`: its cache entry when the file's key matches, else its text (read
/// into `buf`) parsed. `key` is set when the file may be recorded in the cache. Returns
/// whether the cache entry was used.
fn load_one(
    rel_dir: &str,
    job: &mut Job,
    started: SystemTime,
    buf: &mut Vec<u8>,
    info: &mut RevisionInfo,
    key: &mut Option<cache::Key>,
) -> anyhow::Result<bool> {
    let file = format!("{rel_dir}{}", job.name.to_string_lossy());
    // the key is taken before the text is read: an edit after it changes the key. Through the
    // directory entry: a lookup relative to the open directory, not a walk of the whole path
    // (the entry is a regular file, not a symbolic link, so nothing is left unfollowed)
    let meta = job
        .entry
        .metadata()
        .with_context(|| format!("cannot read `{}`", job.entry.path().display()))?;
    let now = cache::Key::of(&meta);
    *key = now.is_settled(started).then_some(now);
    if let Some(entry) = job.cached.take()
        && *key == Some(entry.key)
    {
        *info = entry.info;
        info.file = file;
        return Ok(true);
    }
    let path = job.entry.path();
    buf.clear();
    std::fs::File::open(&path)
        .and_then(|mut f| f.read_to_end(buf))
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    let text = std::str::from_utf8(buf).map_err(|_| {
        anyhow::Error::from(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
        .context(format!("cannot read `{}`", path.display()))
    })?;
    let parsed =
        source::parse_file(text).with_context(|| format!("invalid revision file `{file}`"))?;
    *info = parsed.into_info(file);
    Ok(false)
}

/// A graph that [`lenient`] refused.
enum Invalid {
    /// A `down_revision` names a revision no file declares (with the other problems).
    Dangling(anyhow::Error),
    /// Anything else.
    Other(anyhow::Error),
}

impl Invalid {
    fn into_error(self) -> anyhow::Error {
        match self {
            Invalid::Dangling(e) | Invalid::Other(e) => e,
        }
    }

    /// The error; for a dangling `down_revision`, first a note on stderr naming the
    /// revisions of `sources` that no other revision names as down_revision (the error is
    /// the last line, as always).
    fn with_heads(self, sources: &Sources) -> anyhow::Error {
        match self {
            Invalid::Other(e) => e,
            Invalid::Dangling(e) => {
                // not the revisions whose down_revision dangles: they are what to fix
                let broken: HashSet<&str> = sources
                    .revisions
                    .iter()
                    .filter(|r| r.down_revisions.iter().any(|p| sources.get(p).is_none()))
                    .map(|r| r.id.as_str())
                    .collect();
                let heads: Vec<String> = sources
                    .heads()
                    .iter()
                    .filter(|id| !broken.contains(*id))
                    .map(|id| {
                        let file = sources.get(id).map_or("", |r| r.file.as_str());
                        format!("`{id}` (in `{file}`)")
                    })
                    .collect();
                if !heads.is_empty() {
                    crate::note(format_args!(
                        "the revisions no other revision builds on (a down_revision usually \
                         names one of them): {}",
                        heads.join(", ")
                    ));
                }
                e
            }
        }
    }
}

/// [`Graph::lenient`] and whether it has unmerged heads; with `warn`, a warning on stderr
/// about them.
fn lenient(revisions: Vec<RevisionInfo>, warn: bool) -> Result<(Graph, bool), Invalid> {
    match Graph::lenient(revisions) {
        Ok((graph, unmerged)) => {
            for e in unmerged.iter().filter(|_| warn) {
                if let GraphError::MultipleHeads { ids, .. } = e {
                    crate::warning(format_args!(
                        "several heads ({}): the migrations crate will not compile until they \
                         are merged (`cargo migrate merge heads -m \"merge\"`)",
                        ids.join(", ")
                    ));
                }
            }
            Ok((graph, !unmerged.is_empty()))
        }
        Err(errors) => Err(invalid(errors)),
    }
}

fn invalid(errors: GraphErrors) -> Invalid {
    let dangling = errors
        .0
        .iter()
        .any(|e| matches!(e, GraphError::MissingParent { .. }));
    let e = anyhow::Error::from(errors).context("the revision graph is invalid");
    if dangling {
        Invalid::Dangling(e)
    } else {
        Invalid::Other(e)
    }
}

/// Resolves `spec` to revision ids on `graph` ([`migrate_core::spec::resolve`], nothing
/// applied).
pub(crate) fn resolve(graph: &Graph, spec: &str) -> anyhow::Result<Vec<String>> {
    let mut ids = migrate_core::spec::resolve(graph, &BTreeSet::new(), spec)?;
    // in file order, as Alembic's get_revisions lists them (e.g. `merge heads`)
    ids.sort_by_key(|&i| graph.input_position(i));
    Ok(ids.into_iter().map(|i| graph.at(i).id.clone()).collect())
}

/// The docstring of a revision file (its leading `//!` lines, each without the `//!` and one
/// space, trimmed as a whole), as Alembic prints a revision's docstring in `history
/// --verbose` and `show`: message, `Revision ID:`, `Revises:`, `Create Date:`. `file` is
/// relative to `crate_dir`. `None` when the file cannot be read or has no docstring.
pub(crate) fn docstring(crate_dir: &Path, file: &str) -> Option<String> {
    let text = std::fs::read_to_string(crate_dir.join(file)).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut doc = String::new();
    for line in text.lines() {
        let line = line.trim_start();
        let Some(rest) = line.strip_prefix("//!") else {
            if line.is_empty() && doc.is_empty() {
                continue;
            }
            break;
        };
        doc.push_str(rest.strip_prefix(" ").unwrap_or(rest));
        doc.push('\n');
    }
    let doc = doc.trim();
    (!doc.is_empty()).then(|| doc.to_owned())
}

/// Writes a new file, refusing to overwrite one.
pub(crate) fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write `{}`", path.display()))
}

/// `path` relative to the current directory when it is below it, for messages and stdout.
pub(crate) fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let shown = cwd
        .as_deref()
        .and_then(|c| path.strip_prefix(c).ok())
        .unwrap_or(path);
    shown.display().to_string()
}
