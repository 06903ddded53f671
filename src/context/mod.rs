//! The build context: the folder a Dockerfile is built from, seen the way Docker sees it.
//!
//! Paths are relative to the context root and `/`-separated, as in `COPY` sources. A path is
//! *available* when it exists and the context's ignore file does not exclude it; only available
//! paths reach the builder, so transforms only add paths that are available.
//!
//! The ignore file is `<Dockerfile name>.dockerignore` beside the Dockerfile when it exists,
//! else `.dockerignore` at the context root (BuildKit's rule). Its patterns follow
//! moby/patternmatcher; `COPY` globs follow Go's `filepath.Match` (see [`pattern`]). A fix of
//! the run may have rewritten or created the ignore file: such [`PendingFiles`] are seen
//! instead of the disk's.
//!
//! The knowledge base reads a context only through [`ContextFiles`]; the readers that walk a
//! context or read its files for it live here: [`go_packages`] (the folders of a Go build),
//! [`manifests`] (manifest and lock files, values of their keys) and [`head`] (the first bytes
//! of a file, for magic numbers).

mod bake;
pub mod compose;
pub mod go_packages;
pub mod head;
pub mod manifests;
pub mod pattern;

use pattern::{clean, ComponentGlob, IgnorePatterns, PatternError};
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use thiserror::Error;

/// Files beside a Dockerfile as fixes of the run left them (their new content), by path as the
/// Dockerfile and its context were given: seen instead of what the disk holds.
pub type PendingFiles = BTreeMap<PathBuf, String>;

/// The largest file [`BuildContext::read_to_string`] reads.
const MAX_READ_BYTES: u64 = 16 * 1024 * 1024;

/// Why a build context or one of its files could not be read.
#[derive(Debug, Error)]
pub enum ContextError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Pattern { path: PathBuf, source: PatternError },
    #[error("{path} is not available in the build context")]
    Unavailable { path: PathBuf },
    #[error("{path} is larger than {MAX_READ_BYTES} bytes")]
    TooLarge { path: PathBuf },
}

/// A build context folder and its ignore rules, or an unknown context (stdin) in which nothing
/// is known to exist.
#[derive(Clone, Debug, Default)]
pub struct BuildContext {
    root: Option<PathBuf>,
    ignore: IgnorePatterns,
    ignore_file: Option<PathBuf>,
    listings: Listings,
    /// The answers of [`BuildContext::glob`], each pattern walked once.
    globbed: Globbed,
    /// The ignore file's text, as read (or as a pending fix left it).
    ignore_text: Option<String>,
    /// The entries of the context, walked once for every caller (see [`BuildContext::survey`]).
    surveyed: std::sync::OnceLock<Option<Vec<ContextEntry>>>,
}

/// The folders a context's globs have listed, each read once: the transforms ask several globs
/// of the same folders (`*/gunicorn.conf.py`, `php-fpm.d/*.conf`, …) for every Dockerfile.
#[derive(Debug, Default)]
struct Listings(Mutex<HashMap<PathBuf, Option<Listing>>>);

/// A folder's entries: each UTF-8 name and whether it is a folder.
type Listing = Arc<[(String, bool)]>;

impl Clone for Listings {
    /// A copy starts with no listings of its own.
    fn clone(&self) -> Self {
        Listings::default()
    }
}

impl Listings {
    /// The entries of `dir` ([`list_entries`]), read the first time only; `None` when the
    /// folder cannot be read.
    fn get(&self, dir: &Path) -> Option<Listing> {
        let cached = self.0.lock().ok().and_then(|map| map.get(dir).cloned());
        if let Some(entries) = cached {
            return entries;
        }
        let entries: Option<Listing> = list_entries(dir).map(Into::into);
        if let Ok(mut map) = self.0.lock() {
            map.insert(dir.to_owned(), entries.clone());
        }
        entries
    }
}

/// What each glob of [`BuildContext::glob`] found: every transform asks the knowledge base's
/// configuration globs (`config/*.yml`, `*.ini`, …) of the same context, several times per
/// Dockerfile (each pass of the fixed-point loop) and once per Dockerfile of the context.
#[derive(Debug, Default)]
struct Globbed(Mutex<HashMap<String, Vec<PathBuf>>>);

impl Clone for Globbed {
    /// A copy starts with no answers of its own.
    fn clone(&self) -> Self {
        Globbed::default()
    }
}

impl Globbed {
    /// The answer for `pattern`, found by `find` the first time only.
    fn get(&self, pattern: &str, find: impl FnOnce() -> Vec<PathBuf>) -> Vec<PathBuf> {
        let cached = self.0.lock().ok().and_then(|map| map.get(pattern).cloned());
        if let Some(found) = cached {
            return found;
        }
        let found = find();
        if let Ok(mut map) = self.0.lock() {
            map.insert(pattern.to_owned(), found.clone());
        }
        found
    }
}

/// An entry of the context met by [`BuildContext::entries`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextEntry {
    /// Relative to the context root, `/`-separated.
    pub path: String,
    pub is_dir: bool,
    /// The size in bytes of a regular file (0 for folders and links).
    pub len: u64,
    /// Whether the ignore file excludes it.
    pub ignored: bool,
}

impl ContextEntry {
    /// The last component of its path.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// How many folders it is below the root (0 for an entry of the root).
    pub fn depth(&self) -> usize {
        self.path.matches('/').count()
    }
}

/// Where the ignore files of a Dockerfile's build may be: `<Dockerfile name>.dockerignore`
/// beside the Dockerfile, which BuildKit reads first, and `.dockerignore` at the context root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreFilePaths {
    /// `<Dockerfile name>.dockerignore`, when the Dockerfile has a path.
    pub own: Option<PathBuf>,
    /// `<context>/.dockerignore`.
    pub shared: PathBuf,
}

impl IgnoreFilePaths {
    /// The paths for a Dockerfile (as the caller has its path) built from `dir`.
    pub fn of(dir: &Path, dockerfile: Option<&Path>) -> IgnoreFilePaths {
        let own = dockerfile.and_then(|file| {
            let mut name = file.file_name()?.to_os_string();
            name.push(".dockerignore");
            Some(file.with_file_name(name))
        });
        IgnoreFilePaths {
            own,
            shared: dir.join(".dockerignore"),
        }
    }

    /// The one a build reads: the first that exists (pending or on disk).
    pub fn in_force(&self, pending: &PendingFiles) -> Option<&Path> {
        self.own
            .iter()
            .chain([&self.shared])
            .find(|candidate| pending.contains_key(*candidate) || candidate.is_file())
            .map(PathBuf::as_path)
    }
}

impl BuildContext {
    /// Opens the context folder `dir`. `dockerfile` is the Dockerfile's path as the caller has
    /// it (absolute, or relative to the current directory); it selects a
    /// `<name>.dockerignore` beside it in preference to `dir/.dockerignore`.
    pub fn open(dir: &Path, dockerfile: Option<&Path>) -> Result<BuildContext, ContextError> {
        BuildContext::open_with(dir, dockerfile, &PendingFiles::new())
    }

    /// Opens the context folder `dir` with the ignore files that fixes of the run created or
    /// rewrote (`pending`) in place of the disk's.
    pub fn open_with(
        dir: &Path,
        dockerfile: Option<&Path>,
        pending: &PendingFiles,
    ) -> Result<BuildContext, ContextError> {
        fs::metadata(dir).map_err(|source| ContextError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let ignore_file = IgnoreFilePaths::of(dir, dockerfile)
            .in_force(pending)
            .map(Path::to_owned);
        let (ignore, ignore_text) = match &ignore_file {
            Some(path) => {
                let text = match pending.get(path) {
                    Some(text) => text.clone(),
                    None => read_ignore_text(path)?,
                };
                (parse_ignore(path, &text)?, Some(text))
            }
            None => (IgnorePatterns::default(), None),
        };
        Ok(BuildContext {
            root: Some(dir.to_owned()),
            ignore,
            ignore_file,
            listings: Listings::default(),
            globbed: Globbed::default(),
            ignore_text,
            surveyed: std::sync::OnceLock::new(),
        })
    }

    /// A context whose files are unknown (Dockerfile read from stdin): nothing exists, nothing
    /// is available, and globs match nothing.
    pub fn without_files() -> BuildContext {
        BuildContext::default()
    }

    /// The context folder, when known.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// True when the context's files are known.
    pub fn has_files(&self) -> bool {
        self.root.is_some()
    }

    /// The ignore file in force, if any.
    pub fn ignore_file(&self) -> Option<&Path> {
        self.ignore_file.as_deref()
    }

    /// The text of the ignore file in force, if any.
    pub fn ignore_text(&self) -> Option<&str> {
        self.ignore_text.as_deref()
    }

    /// Whether the ignore file re-includes paths (`!pattern`): an ignored folder may then hold
    /// paths that are not ignored.
    fn ignore_has_exceptions(&self) -> bool {
        self.ignore.has_exceptions()
    }

    /// Whether `path` exists in the context folder (ignored or not). Paths leaving the context
    /// (`../x`) never exist.
    pub fn exists(&self, path: impl AsRef<Path>) -> bool {
        self.absolute(path.as_ref())
            .is_some_and(|full| fs::symlink_metadata(full).is_ok())
    }

    /// Whether `path` is a file in the context without an executable bit, so a `COPY` of it
    /// cannot be run as `./path` (always false off Unix, or when it does not exist).
    pub fn is_not_executable(&self, path: impl AsRef<Path>) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            self.absolute(path.as_ref()).is_some_and(|full| {
                fs::metadata(full).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 == 0)
            })
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            false
        }
    }

    /// Whether `path` is a folder in the context.
    pub fn is_dir(&self, path: impl AsRef<Path>) -> bool {
        self.absolute(path.as_ref())
            .is_some_and(|full| fs::symlink_metadata(full).is_ok_and(|m| m.is_dir()))
    }

    /// Whether the ignore file excludes `path` (or a folder above it). Says nothing about
    /// existence.
    pub fn is_ignored(&self, path: impl AsRef<Path>) -> bool {
        match relative(path.as_ref()) {
            Some(rel) if rel != "." => self.ignore.matches(&rel),
            _ => false,
        }
    }

    /// Whether `path` exists and is not ignored, so a `COPY` of it would find it.
    pub fn is_available(&self, path: impl AsRef<Path>) -> bool {
        let path = path.as_ref();
        self.exists(path) && !self.is_ignored(path)
    }

    /// The available paths (files and folders) a `COPY` source glob matches, relative to the
    /// context and sorted. A glob without wildcards gives itself when available. A matched
    /// folder is listed, not its contents. Invalid globs match nothing.
    pub fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        self.globbed.get(pattern, || self.glob_uncached(pattern))
    }

    fn glob_uncached(&self, pattern: &str) -> Vec<PathBuf> {
        let (Some(root), Some(rel)) = (&self.root, relative(Path::new(pattern))) else {
            return Vec::new();
        };
        let Ok(components) = rel
            .split('/')
            .map(ComponentGlob::new)
            .collect::<Result<Vec<_>, _>>()
        else {
            return Vec::new();
        };
        let mut found = Vec::new();
        walk_glob(&self.listings, root, String::new(), &components, &mut found);
        found.retain(|path| !self.ignore.matches(path));
        found.sort();
        found.into_iter().map(PathBuf::from).collect()
    }

    /// The available files anywhere in the context whose name `wanted` accepts, relative to the
    /// context and sorted; `None` when the files are unknown or the context holds more than
    /// `limit` entries (so the answer would be partial).
    pub fn find_files(&self, wanted: impl Fn(&str) -> bool, limit: usize) -> Option<Vec<String>> {
        let root = self.root.as_deref()?;
        let mut found = Vec::new();
        let walk = ignore::WalkBuilder::new(root)
            .standard_filters(false)
            .follow_links(false)
            .build();
        for (seen, entry) in walk.enumerate() {
            if seen > limit {
                return None;
            }
            let entry = entry.ok()?;
            let is_file = entry.file_type().is_some_and(|kind| kind.is_file());
            let name = entry.file_name().to_str().unwrap_or_default();
            if !is_file || !wanted(name) {
                continue;
            }
            let path = entry.path().strip_prefix(root).ok()?.to_str()?.to_owned();
            if !self.is_ignored(&path) {
                found.push(path);
            }
        }
        found.sort();
        Some(found)
    }

    /// Every entry of the context (files, folders and links, which are not followed), sorted
    /// by path, folders before what they hold. A folder is entered only when `enter` accepts
    /// it, and an ignored one only when the ignore file has exceptions. `None` when the files are
    /// unknown or there are more than `limit` entries (the answer would be partial).
    pub fn entries(
        &self,
        enter: &dyn Fn(&ContextEntry) -> bool,
        limit: usize,
    ) -> Option<Vec<ContextEntry>> {
        let root = self.root.as_deref()?;
        let mut found = Vec::new();
        self.walk_entries(root, "", enter, limit, &mut found)
            .then_some(found)
    }

    /// [`BuildContext::entries`], walked once for this opened context and shared by every
    /// caller: the first call's `enter` and `limit` decide, so callers must agree on them.
    pub fn survey(
        &self,
        enter: &dyn Fn(&ContextEntry) -> bool,
        limit: usize,
    ) -> Option<&[ContextEntry]> {
        self.surveyed
            .get_or_init(|| self.entries(enter, limit))
            .as_deref()
    }

    fn walk_entries(
        &self,
        folder: &Path,
        prefix: &str,
        enter: &dyn Fn(&ContextEntry) -> bool,
        limit: usize,
        found: &mut Vec<ContextEntry>,
    ) -> bool {
        let Ok(listing) = fs::read_dir(folder) else {
            return true;
        };
        let mut children: Vec<(String, fs::FileType, u64)> = listing
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let kind = entry.file_type().ok()?;
                let len = entry.metadata().map_or(0, |meta| meta.len());
                Some((entry.file_name().into_string().ok()?, kind, len))
            })
            .collect();
        children.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, kind, len) in children {
            if found.len() >= limit {
                return false;
            }
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let entry = ContextEntry {
                ignored: self.ignore.matches(&path),
                is_dir: kind.is_dir(),
                len: if kind.is_file() { len } else { 0 },
                path,
            };
            let descend =
                entry.is_dir && (!entry.ignored || self.ignore_has_exceptions()) && enter(&entry);
            let child_prefix = entry.path.clone();
            found.push(entry);
            if descend
                && !self.walk_entries(&folder.join(&name), &child_prefix, enter, limit, found)
            {
                return false;
            }
        }
        true
    }

    /// Whether the ignore file's exceptions (`!pattern`) re-include `path` (relative,
    /// `/`-separated) after an earlier pattern excluded it.
    pub fn is_reincluded(&self, path: &str) -> bool {
        self.ignore.reincludes(path)
    }

    /// Whether the ignore file's exceptions may re-include a path inside `folder`, whose
    /// entries were not listed (see [`IgnorePatterns::may_reinclude_within`]).
    pub fn may_reinclude_within(&self, folder: &str) -> bool {
        self.ignore.may_reinclude_within(folder)
    }

    /// The first `max` bytes of a regular file of the context (links are not followed), or
    /// `None` when it is not one or cannot be read.
    pub fn read_prefix(&self, path: &str, max: usize) -> Option<Vec<u8>> {
        let full = self.absolute(Path::new(path))?;
        if !fs::symlink_metadata(&full).ok()?.is_file() {
            return None;
        }
        let mut bytes = Vec::with_capacity(max.min(64 * 1024));
        fs::File::open(&full)
            .ok()?
            .take(max as u64)
            .read_to_end(&mut bytes)
            .ok()?;
        Some(bytes)
    }

    /// Reads an available file (a manifest, a lock file), up to 16 MiB.
    pub fn read_to_string(&self, path: impl AsRef<Path>) -> Result<String, ContextError> {
        let path = path.as_ref();
        let unavailable = || ContextError::Unavailable {
            path: path.to_owned(),
        };
        if !self.is_available(path) {
            return Err(unavailable());
        }
        let full = self.absolute(path).ok_or_else(unavailable)?;
        let io = |source| ContextError::Io {
            path: full.clone(),
            source,
        };
        if fs::metadata(&full).map_err(io)?.len() > MAX_READ_BYTES {
            return Err(ContextError::TooLarge { path: full });
        }
        fs::read_to_string(&full).map_err(io)
    }

    /// The file system path of a context path, or `None` when it leaves the context or the
    /// context is unknown.
    fn absolute(&self, path: &Path) -> Option<PathBuf> {
        let root = self.root.as_ref()?;
        let rel = relative(path)?;
        Some(if rel == "." {
            root.clone()
        } else {
            root.join(rel)
        })
    }
}

/// What the knowledge base sees of a build context: lookups and reads by context path, so its
/// rules are written against any set of files (a folder, or files in memory in tests).
pub trait ContextFiles {
    /// The available paths a `COPY` source glob matches (see [`BuildContext::glob`]).
    fn glob(&self, pattern: &str) -> Vec<PathBuf>;
    /// Whether `path` exists and is not ignored.
    fn is_available(&self, path: &Path) -> bool;
    /// Whether `path` is a folder.
    fn is_dir(&self, path: &Path) -> bool;
    /// The available files whose name `wanted` accepts (see [`BuildContext::find_files`]).
    fn find_files(&self, wanted: &dyn Fn(&str) -> bool, limit: usize) -> Option<Vec<String>>;
    /// The text of an available file.
    fn read_to_string(&self, path: &Path) -> Result<String, ContextError>;
}

impl ContextFiles for BuildContext {
    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        BuildContext::glob(self, pattern)
    }

    fn is_available(&self, path: &Path) -> bool {
        BuildContext::is_available(self, path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        BuildContext::is_dir(self, path)
    }

    fn find_files(&self, wanted: &dyn Fn(&str) -> bool, limit: usize) -> Option<Vec<String>> {
        BuildContext::find_files(self, wanted, limit)
    }

    fn read_to_string(&self, path: &Path) -> Result<String, ContextError> {
        BuildContext::read_to_string(self, path)
    }
}

/// A context path as a cleaned, `/`-separated relative path (`/a/./b` → `a/b`, `` → `.`), or
/// `None` when it leaves the context or is not UTF-8.
fn relative(path: &Path) -> Option<String> {
    let text = path.to_str()?.replace('\\', "/");
    let cleaned = clean(&text);
    let rel = cleaned.trim_start_matches('/');
    let rel = if rel.is_empty() { "." } else { rel };
    (rel != ".." && !rel.starts_with("../")).then(|| rel.to_owned())
}

/// True for the file names of Dockerfiles: `Dockerfile`, `Containerfile`, `Dockerfile.*`,
/// `Dockerfile-*`, `Containerfile.*`, `*.dockerfile`, `*.containerfile` (case-insensitive),
/// but never `*.dockerignore`.
pub fn is_dockerfile_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if name.ends_with(".dockerignore") {
        return false;
    }
    name == "dockerfile"
        || name == "containerfile"
        || name.starts_with("dockerfile.")
        || name.starts_with("dockerfile-")
        || name.starts_with("containerfile.")
        || name.ends_with(".dockerfile")
        || name.ends_with(".containerfile")
}

fn read_ignore_text(path: &Path) -> Result<String, ContextError> {
    let bytes = fs::read(path).map_err(|source| ContextError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn parse_ignore(path: &Path, text: &str) -> Result<IgnorePatterns, ContextError> {
    IgnorePatterns::parse(text).map_err(|source| ContextError::Pattern {
        path: path.to_owned(),
        source,
    })
}

/// Matches glob components against the folder `base` (relative path `prefix`), collecting the
/// relative paths of every entry that matches all components.
fn walk_glob(
    listings: &Listings,
    root: &Path,
    prefix: String,
    components: &[ComponentGlob],
    found: &mut Vec<String>,
) {
    let Some((first, rest)) = components.split_first() else {
        found.push(prefix);
        return;
    };
    let join = |name: &str| {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}/{name}")
        }
    };
    // Entries read from the folder exist already, and their type is in the listing. A literal
    // name is looked up in the folder's listing too, or on its own where the folder cannot be
    // listed (or for `.`).
    let listing = listings.get(&root.join(&prefix));
    let entries = match (first.literal(), listing) {
        (Some(name), Some(listing)) if name != "." => listing
            .iter()
            .find(|(listed, _)| listed == name)
            .map(|(listed, is_dir)| (listed.clone(), !rest.is_empty() && *is_dir))
            .into_iter()
            .collect(),
        (Some(name), _) => {
            let full = root.join(join(name));
            match fs::symlink_metadata(&full) {
                Ok(_) => vec![(name.to_owned(), !rest.is_empty() && full.is_dir())],
                Err(_) => Vec::new(),
            }
        }
        (None, listing) => listing
            .iter()
            .flat_map(|listing| listing.iter())
            .filter(|(name, _)| first.matches(name))
            .cloned()
            .collect(),
    };
    for (name, is_dir) in entries {
        if rest.is_empty() || is_dir {
            walk_glob(listings, root, join(&name), rest, found);
        }
    }
}

/// The UTF-8 names in a folder with whether each is a folder (a link counts as what it points
/// to); `None` when the folder cannot be read.
fn list_entries(dir: &Path) -> Option<Vec<(String, bool)>> {
    let entries = fs::read_dir(dir).ok()?;
    let entries = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let is_dir = match entry.file_type() {
                Ok(kind) if kind.is_symlink() => entry.path().is_dir(),
                Ok(kind) => kind.is_dir(),
                Err(_) => entry.path().is_dir(),
            };
            Some((entry.file_name().into_string().ok()?, is_dir))
        })
        .collect();
    Some(entries)
}
