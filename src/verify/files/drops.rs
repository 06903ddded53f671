//! Files of the original image that the rewrite may lack on purpose: caches, compiled-language
//! sources, build files, build outputs and npm dev dependencies.

use crate::context::pattern::IgnorePatterns;
use crate::knowledge::KnowledgeBase;
use crate::verify::{dockerfile, rootfs};
use std::fmt;
use std::path::{Path, PathBuf};

/// Folders whose content is a cache: rebuilt on demand, never needed at run time.
const CACHE_DIRS: &[&str] = &[
    ".cache",
    "__pycache__",
    ".npm",
    ".yarn",
    ".gradle",
    ".m2",
    ".pytest_cache",
    ".mypy_cache",
    ".git",
];
/// Extensions of sources that are compiled before they run.
const SOURCE_EXTENSIONS: &[&str] = &[
    "go", "rs", "java", "kt", "kts", "scala", "c", "h", "cc", "cpp", "hpp", "cs", "fs", "csproj",
    "fsproj", "sln",
];
/// Files only the build reads.
const BUILD_FILES: &[&str] = &[
    "go.mod",
    "go.sum",
    "Cargo.toml",
    "Cargo.lock",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "settings.gradle",
    "settings.gradle.kts",
    "gradlew",
    "mvnw",
    "Makefile",
    "Dockerfile",
    ".dockerignore",
];
/// Folders holding intermediate build outputs (a referenced artifact inside is checked anyway).
const BUILD_OUTPUT_DIRS: &[&str] = &["target", "obj"];

/// Why a file present in the original image may be missing from the rewritten one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DropReason {
    /// In a folder the rewrite mounts as a BuildKit cache.
    PackageCache,
    Cache,
    Source,
    BuildFile,
    BuildOutput,
    DevDependency,
    /// The build context's new ignore file excludes it.
    Excluded,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DropReason::PackageCache => "package cache",
            DropReason::Cache => "cache",
            DropReason::Source => "source",
            DropReason::BuildFile => "build file",
            DropReason::BuildOutput => "build output",
            DropReason::DevDependency => "dev dependency",
            DropReason::Excluded => "excluded by the new ignore file",
        })
    }
}

/// What a new ignore file of the build context leaves out that the one before did not.
#[derive(Clone, Debug)]
pub struct Exclusion {
    now: IgnorePatterns,
    before: IgnorePatterns,
}

impl Exclusion {
    /// The patterns of the ignore file before the fixes (`None`: there was none) and after;
    /// `None` when one does not parse.
    pub fn new(before: Option<&str>, now: &str) -> Option<Exclusion> {
        Some(Exclusion {
            now: IgnorePatterns::parse(now).ok()?,
            before: IgnorePatterns::parse(before.unwrap_or_default()).ok()?,
        })
    }

    /// Whether an image path may come from a context path the new file excludes: some tail of
    /// it (`.git/HEAD` of `/app/.git/HEAD`) is excluded now and was not before.
    pub fn excludes(&self, image_path: &Path) -> bool {
        let parts: Vec<String> = image_path
            .iter()
            .filter(|part| *part != "/")
            .map(|part| part.to_string_lossy().into_owned())
            .collect();
        (0..parts.len()).any(|start| {
            let tail = parts[start..].join("/");
            self.now.matches(&tail) && !self.before.matches(&tail)
        })
    }
}

/// Why a path of the original may be missing from the rewrite, if it may; with
/// `build_files_dropped`, the knowledge base's build files no application reads too (README,
/// LICENSE, `.github`).
pub fn drop_reason(
    before_root: &Path,
    image_path: &Path,
    build_files_dropped: bool,
) -> Option<DropReason> {
    let parts: Vec<String> = image_path
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    let name = parts.last()?;
    if parts.iter().any(|part| CACHE_DIRS.contains(&part.as_str()))
        || name.ends_with(".pyc")
        || is_npm_hidden_lock(&parts)
    {
        return Some(DropReason::Cache);
    }
    if is_dev_dependency(before_root, &parts) {
        return Some(DropReason::DevDependency);
    }
    let unread = || KnowledgeBase::builtin().is_unread_build_file(name);
    if BUILD_FILES.contains(&name.as_str()) || (build_files_dropped && unread()) {
        return Some(DropReason::BuildFile);
    }
    let extension = Path::new(name).extension().and_then(|ext| ext.to_str());
    if extension.is_some_and(|ext| SOURCE_EXTENSIONS.contains(&ext)) {
        return Some(DropReason::Source);
    }
    if parts
        .iter()
        .any(|part| BUILD_OUTPUT_DIRS.contains(&part.as_str()))
    {
        return Some(DropReason::BuildOutput);
    }
    None
}

/// `…/node_modules/NAME/…` (or `@scope/NAME`) where NAME is a devDependency of the
/// `package.json` beside that `node_modules`, or a package npm's lock file marks `"dev": true`
/// (installed only for development: the dependencies of dev dependencies too, which
/// `npm prune --omit=dev` and `npm ci --omit=dev` leave out).
fn is_dev_dependency(before_root: &Path, parts: &[String]) -> bool {
    let Some(at) = parts.iter().rposition(|part| part == "node_modules") else {
        return false;
    };
    if let Some([bin, _]) = parts.get(at + 1..) {
        if bin == ".bin" {
            return bin_of_dev_dependency(before_root, parts);
        }
    }
    let (package, end) = match parts.get(at + 1..) {
        Some([scope, name, ..]) if scope.starts_with('@') => (format!("{scope}/{name}"), at + 3),
        Some([name, ..]) => (name.clone(), at + 2),
        _ => return false,
    };
    let manifest: PathBuf = parts[..at].iter().collect::<PathBuf>().join("package.json");
    if read_json(before_root, &manifest)
        .is_some_and(|json| json["devDependencies"].get(&package).is_some())
    {
        return true;
    }
    let Some(first) = parts.iter().position(|part| part == "node_modules") else {
        return false;
    };
    let project: PathBuf = parts[..first].iter().collect();
    let key = parts[first..end].join("/");
    NPM_LOCKS
        .iter()
        .find_map(|lock| {
            let json = read_json(before_root, &project.join(lock))?;
            json["packages"]
                .get(&key)
                .map(|entry| entry["dev"] == serde_json::Value::Bool(true))
        })
        .unwrap_or(false)
}

/// `node_modules/.bin/NAME`: a link npm makes to a package's program; a dev dependency's when
/// the package it points into is one.
fn bin_of_dev_dependency(before_root: &Path, parts: &[String]) -> bool {
    let link: PathBuf = parts.iter().collect();
    let Some(host) = rootfs::resolve(before_root, &link, false) else {
        return false;
    };
    let Ok(target) = std::fs::read_link(host) else {
        return false;
    };
    let folder = link.parent().unwrap_or(Path::new("/"));
    let resolved = dockerfile::absolute(folder, &target.to_string_lossy());
    let target_parts: Vec<String> = resolved
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    target_parts.iter().all(|part| part != ".bin") && is_dev_dependency(before_root, &target_parts)
}

/// `…/node_modules/.package-lock.json`: npm's record of what it installed, rewritten by every
/// install and prune and ignored when stale (npm's documentation calls it a cache).
fn is_npm_hidden_lock(parts: &[String]) -> bool {
    matches!(parts, [.., folder, name] if folder == "node_modules" && name == ".package-lock.json")
}

/// npm's lock files, most exact first: the hidden lock file npm 7+ writes for what it installed,
/// then the project's own.
const NPM_LOCKS: &[&str] = &[
    "node_modules/.package-lock.json",
    "npm-shrinkwrap.json",
    "package-lock.json",
];

/// A JSON file of the image, if it is there and parses.
fn read_json(before_root: &Path, image_path: &Path) -> Option<serde_json::Value> {
    let host = rootfs::resolve(before_root, image_path, true)?;
    let text = std::fs::read_to_string(host).ok()?;
    serde_json::from_str(&text).ok()
}
