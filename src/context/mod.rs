//! The build context: the folder a Dockerfile is built from, seen the way Docker sees it.
//!
//! Paths are relative to the context root and `/`-separated, as in `COPY` sources. A path is
//! *available* when it exists and the context's ignore file does not exclude it; only available
//! paths reach the builder, so transforms only add paths that are available.
//!
//! The ignore file is `<Dockerfile name>.dockerignore` beside the Dockerfile when it exists,
//! else `.dockerignore` at the context root (BuildKit's rule). Its patterns follow
//! moby/patternmatcher; `COPY` globs follow Go's `filepath.Match` (see [`pattern`]).
//!
//! The knowledge base reads a context only through [`ContextFiles`]; the readers that walk a
//! context or read its files for it live here: [`go_packages`] (the folders of a Go build),
//! [`manifests`] (manifest and lock files, values of their keys) and [`head`] (the first bytes
//! of a file, for magic numbers).

pub mod compose;
pub mod go_packages;
pub mod head;
pub mod manifests;
pub mod pattern;

use pattern::{clean, ComponentGlob, IgnorePatterns, PatternError};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use thiserror::Error;

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

impl BuildContext {
    /// Opens the context folder `dir`. `dockerfile` is the Dockerfile's path as the caller has
    /// it (absolute, or relative to the current directory); it selects a
    /// `<name>.dockerignore` beside it in preference to `dir/.dockerignore`.
    pub fn open(dir: &Path, dockerfile: Option<&Path>) -> Result<BuildContext, ContextError> {
        fs::metadata(dir).map_err(|source| ContextError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let ignore_file = ignore_file_for(dir, dockerfile);
        let ignore = match &ignore_file {
            Some(path) => read_ignore_file(path)?,
            None => IgnorePatterns::default(),
        };
        Ok(BuildContext {
            root: Some(dir.to_owned()),
            ignore,
            ignore_file,
            listings: Listings::default(),
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

/// `<Dockerfile name>.dockerignore` beside the Dockerfile if it exists, else `dir/.dockerignore`
/// if it exists.
fn ignore_file_for(dir: &Path, dockerfile: Option<&Path>) -> Option<PathBuf> {
    let specific = dockerfile.and_then(|file| {
        let mut name = file.file_name()?.to_os_string();
        name.push(".dockerignore");
        Some(file.with_file_name(name))
    });
    specific
        .into_iter()
        .chain([dir.join(".dockerignore")])
        .find(|candidate| candidate.is_file())
}

fn read_ignore_file(path: &Path) -> Result<IgnorePatterns, ContextError> {
    let bytes = fs::read(path).map_err(|source| ContextError::Io {
        path: path.to_owned(),
        source,
    })?;
    IgnorePatterns::parse(&String::from_utf8_lossy(&bytes)).map_err(|source| {
        ContextError::Pattern {
            path: path.to_owned(),
            source,
        }
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
