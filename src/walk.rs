//! Finding the Dockerfiles to process: explicit files are always taken; folders are walked in
//! parallel with the `ignore` crate, honouring `.gitignore` (even outside a git repository),
//! `.ignore` and `.git/info/exclude`. Hidden files and folders are walked, except the
//! version-control and tool folders in [`EXCLUDED_FOLDERS`] (as ruff does). Symbolic links met
//! while walking are not followed, so no file is processed twice.

use std::path::{Component, Path, PathBuf};
use std::sync::{mpsc, OnceLock};

/// Folders never walked into (unless given explicitly as a path).
pub const EXCLUDED_FOLDERS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    ".jj",
    ".direnv",
    ".venv",
    ".tox",
    "node_modules",
];

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

/// A path for messages and diff headers: as the user wrote it, without leading `./`, with `/`
/// separators; an absolute path under the current folder is made relative to it.
pub fn display_path(path: &Path) -> String {
    let relative = current_dir()
        .and_then(|cwd| path.strip_prefix(cwd).ok())
        .filter(|relative| path.is_absolute() && !relative.as_os_str().is_empty())
        .unwrap_or(path);
    let mut out = String::new();
    for component in relative.components() {
        let part = match component {
            Component::CurDir => continue,
            Component::RootDir => {
                out.push('/');
                continue;
            }
            Component::Prefix(prefix) => prefix.as_os_str().to_string_lossy(),
            Component::ParentDir => "..".into(),
            Component::Normal(name) => name.to_string_lossy(),
        };
        if !out.is_empty() && !out.ends_with('/') {
            out.push('/');
        }
        out.push_str(&part);
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// The current folder, read once per process.
fn current_dir() -> Option<&'static Path> {
    static CURRENT: OnceLock<Option<PathBuf>> = OnceLock::new();
    CURRENT
        .get_or_init(|| std::env::current_dir().ok())
        .as_deref()
}

/// A path that could not be walked or does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

/// The files to process under `paths`, sorted and without duplicates, plus what went wrong.
pub fn collect(paths: &[PathBuf], threads: usize) -> (Vec<PathBuf>, Vec<WalkError>) {
    let mut files = Vec::new();
    let mut folders = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => folders.push(path.clone()),
            Ok(_) => files.push(path.clone()),
            Err(error) => errors.push(WalkError {
                path: path.clone(),
                message: error.to_string(),
            }),
        }
    }
    let (found, walk_errors) = walk_folders(&folders, threads);
    files.extend(found);
    errors.extend(walk_errors);
    files.sort();
    files.dedup();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    (files, errors)
}

/// Walks folders in parallel, keeping the files with Dockerfile names.
fn walk_folders(folders: &[PathBuf], threads: usize) -> (Vec<PathBuf>, Vec<WalkError>) {
    let Some((first, rest)) = folders.split_first() else {
        return (Vec::new(), Vec::new());
    };
    let mut builder = ignore::WalkBuilder::new(first);
    for folder in rest {
        builder.add(folder);
    }
    builder
        .hidden(false)
        .require_git(false)
        .threads(threads)
        .filter_entry(|entry| entry.depth() == 0 || !is_excluded_folder(entry));
    let (sender, receiver) = mpsc::channel();
    builder.build_parallel().run(|| {
        let sender = sender.clone();
        Box::new(move |entry| {
            let found = match entry {
                Ok(entry) if is_dockerfile_entry(&entry) => Ok(entry.into_path()),
                Ok(_) => return ignore::WalkState::Continue,
                Err(error) => Err(walk_error(error)),
            };
            // The receiver outlives the walk, so sending cannot fail.
            let _ = sender.send(found);
            ignore::WalkState::Continue
        })
    });
    drop(sender);
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for found in receiver {
        match found {
            Ok(path) => files.push(path),
            Err(error) => errors.push(error),
        }
    }
    (files, errors)
}

fn is_excluded_folder(entry: &ignore::DirEntry) -> bool {
    entry.file_type().is_some_and(|kind| kind.is_dir())
        && EXCLUDED_FOLDERS
            .iter()
            .any(|name| entry.file_name() == std::ffi::OsStr::new(name))
}

fn is_dockerfile_entry(entry: &ignore::DirEntry) -> bool {
    entry.file_type().is_some_and(|kind| kind.is_file())
        && entry.file_name().to_str().is_some_and(is_dockerfile_name)
}

fn walk_error(error: ignore::Error) -> WalkError {
    let path = error_path(&error).unwrap_or_default();
    WalkError {
        path,
        message: error.to_string(),
    }
}

fn error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names() {
        for name in [
            "Dockerfile",
            "dockerfile",
            "Containerfile",
            "Dockerfile.prod",
            "Dockerfile-dev",
            "containerfile.arm64",
            "api.Dockerfile",
            "x.containerfile",
        ] {
            assert!(is_dockerfile_name(name), "{name}");
        }
        for name in [
            "Dockerfile.dockerignore",
            "api.Dockerfile.dockerignore",
            ".dockerignore",
            "Dockerfiles",
            "README.md",
            "Containerfile-x",
        ] {
            assert!(!is_dockerfile_name(name), "{name}");
        }
    }

    #[test]
    fn display_paths_use_slashes_without_dot_prefix() {
        assert_eq!(
            display_path(Path::new("./a/b/Dockerfile")),
            "a/b/Dockerfile"
        );
        assert_eq!(display_path(Path::new("a//b")), "a/b");
        assert_eq!(
            display_path(Path::new("../x/Dockerfile")),
            "../x/Dockerfile"
        );
        assert_eq!(display_path(Path::new("/nowhere/x")), "/nowhere/x");
        let cwd = std::env::current_dir().unwrap_or_default();
        assert_eq!(display_path(&cwd.join("sub/Dockerfile")), "sub/Dockerfile");
    }
}
