//! The revision files of a migrations crate, read as text (no compiling):
//! `migrate_core::source::parse_file` on every `*.rs` of `src/versions`.
//!
//! Also the few graph questions `revision` and `merge` must answer when the graph is not
//! valid *only* because a fork was not merged yet (several heads): that is exactly when you
//! need `merge`, and `migrate_core::graph::Graph::new` refuses such a graph.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use migrate_core::graph::{Graph, GraphError, GraphErrors, RevisionInfo};
use migrate_core::source;

/// Below this many files the files are read on one thread.
const PARALLEL_THRESHOLD: usize = 512;

/// Every revision of a versions directory.
#[derive(Debug)]
pub(crate) struct Sources {
    /// The revisions, ordered by file name; `file` is relative to the crate root.
    pub revisions: Vec<RevisionInfo>,
    /// Id to position in `revisions` (the first file declaring it).
    index: HashMap<String, usize>,
}

impl Sources {
    /// Reads every `*.rs` file directly in `versions_dir` (names starting with `.` skipped) (a missing directory has no
    /// revisions). `crate_dir` makes the reported file names relative (`src/versions/…`).
    pub fn load(crate_dir: &Path, versions_dir: &Path) -> anyhow::Result<Sources> {
        let entries = match std::fs::read_dir(versions_dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Sources::new(Vec::new()));
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot read directory `{}`", versions_dir.display())
                });
            }
        };
        let mut names: Vec<std::ffi::OsString> = Vec::new();
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
                names.push(name);
            }
        }
        names.sort_unstable();
        let files: Vec<PathBuf> = names.iter().map(|n| versions_dir.join(n)).collect();
        let rel = |p: &Path| -> String {
            let r = p.strip_prefix(crate_dir).unwrap_or(p);
            r.components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/")
        };
        let read_one = |p: &PathBuf| -> anyhow::Result<RevisionInfo> {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read `{}`", p.display()))?;
            let file = rel(p);
            let parsed = source::parse_file(&text)
                .with_context(|| format!("invalid revision file `{file}`"))?;
            Ok(parsed.to_info(&file))
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(8);
        let revisions = if files.len() < PARALLEL_THRESHOLD || threads < 2 {
            files
                .iter()
                .map(read_one)
                .collect::<anyhow::Result<Vec<_>>>()?
        } else {
            let chunk = files.len().div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = files
                    .chunks(chunk)
                    .map(|c| {
                        s.spawn(move || c.iter().map(read_one).collect::<anyhow::Result<Vec<_>>>())
                    })
                    .collect();
                let mut all = Vec::with_capacity(files.len());
                for h in handles {
                    all.extend(h.join().expect("a reader thread panicked")?);
                }
                anyhow::Ok(all)
            })?
        };
        Ok(Sources::new(revisions))
    }

    fn new(revisions: Vec<RevisionInfo>) -> Sources {
        let mut index = HashMap::with_capacity(revisions.len());
        for (i, r) in revisions.iter().enumerate() {
            index.entry(r.id.clone()).or_insert(i);
        }
        Sources { revisions, index }
    }

    /// The checked graph.
    pub fn graph(&self) -> Result<Graph, GraphErrors> {
        Graph::new(self.revisions.clone())
    }

    /// The graph when it is valid; `Ok(None)` when its only problem is several unmerged
    /// heads; an error for anything else.
    pub fn graph_allowing_heads(&self) -> anyhow::Result<Option<Graph>> {
        match self.graph() {
            Ok(g) => Ok(Some(g)),
            Err(e)
                if e.0
                    .iter()
                    .all(|e| matches!(e, GraphError::MultipleHeads { .. })) =>
            {
                Ok(None)
            }
            Err(e) => Err(e).context("the revision graph is invalid"),
        }
    }

    /// The revision declaring `id`.
    pub fn get(&self, id: &str) -> Option<&RevisionInfo> {
        self.index.get(id).map(|&i| &self.revisions[i])
    }

    /// Head ids (revisions no other revision names as down_revision), in file order.
    pub fn heads(&self) -> Vec<&str> {
        let parents: BTreeSet<&str> = self
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

    /// Resolves `spec` without a valid graph: `heads`, `head` (only when there is one head),
    /// an exact id, a branch label, or a unique id prefix.
    pub fn resolve_plain(&self, spec: &str) -> anyhow::Result<Vec<String>> {
        let heads = self.heads();
        match spec {
            "heads" => return Ok(heads.iter().map(|s| (*s).to_owned()).collect()),
            "head" => {
                return match heads.as_slice() {
                    [one] => Ok(vec![(*one).to_owned()]),
                    _ => bail!(
                        "Multiple head revisions are present for given argument 'head'; please \
                         specify a specific target revision or 'heads' for all heads (heads: {})",
                        heads.join(", ")
                    ),
                };
            }
            _ => {}
        }
        if let Some(r) = self.get(spec) {
            return Ok(vec![r.id.clone()]);
        }
        if let Some(r) = self
            .revisions
            .iter()
            .find(|r| r.branch_labels.iter().any(|l| l == spec))
        {
            return Ok(vec![r.id.clone()]);
        }
        let matches: Vec<&str> = self
            .revisions
            .iter()
            .map(|r| r.id.as_str())
            .filter(|id| id.starts_with(spec))
            .collect();
        match matches.as_slice() {
            [one] => Ok(vec![(*one).to_owned()]),
            [] => bail!("Can't locate revision identified by '{spec}'"),
            many => bail!(
                "Revision prefix '{spec}' is ambiguous: it matches {}; give more characters",
                many.join(", ")
            ),
        }
    }
}

/// Resolves `spec` to revision ids: with `migrate_core::spec::resolve` when the graph is
/// valid, else with [`Sources::resolve_plain`].
pub(crate) fn resolve(
    sources: &Sources,
    graph: Option<&Graph>,
    spec: &str,
) -> anyhow::Result<Vec<String>> {
    match graph {
        Some(g) => {
            let ids = migrate_core::spec::resolve(g, &BTreeSet::new(), spec)?;
            Ok(ids.into_iter().map(|i| g.at(i).id.clone()).collect())
        }
        None => sources.resolve_plain(spec),
    }
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
