//! Finding the Dockerfiles to process, as ruff finds Python files.
//!
//! - A path named on the command line is always processed (a file) or walked (a folder), even
//!   when an exclusion matches it, unless `--force-exclude` asks for exclusions to apply to it.
//! - Folders are walked in parallel with the `ignore` crate, honouring `.gitignore` (even outside
//!   a git repository), `.ignore` and `.git/info/exclude`. Hidden files and folders are walked.
//!   Symbolic links met while walking are not followed, so no file is processed twice.
//! - A walked file is processed when its name is a Dockerfile's ([`is_dockerfile_name`]) and no
//!   exclusion matches it or a folder above it ([`Exclude`]). The default exclusions
//!   ([`excluded_by_default`]) are the version-control and tool folders in [`EXCLUDED_FOLDERS`]
//!   and files whose last extension says they are source code, documentation, data or a
//!   template ([`NOT_DOCKERFILE_EXTENSIONS`]): `dockerfile.go`, `Dockerfile.5.md`,
//!   `dockerfile-llb.md`, `Dockerfile.template`. `dfmigrate.toml`'s `exclude` replaces them,
//!   `extend-exclude` adds to them (see `config`).

use std::path::{Component, Path, PathBuf};
use std::sync::{mpsc, OnceLock};

/// Folders never walked into by default (unless given explicitly as a path).
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

/// Last extensions (compared case-insensitively) of files that are not Dockerfiles even when
/// their names look like one: source code (`dockerfile.go` in moby/buildkit), documentation
/// (`Dockerfile.5.md` in docker/cli), data and configuration, patches and backups (`patch`
/// leaves `Dockerfile.orig` and `Dockerfile.rej`), images and archives, and templates.
///
/// Templates (`Dockerfile.template`, `.tmpl`, `.j2`, `.in`, …) are Dockerfiles only once
/// rendered: their template syntax (`{{ if … }}` lines, `CMD {{ .Cmd }}`) either does not parse
/// or would be rewritten as if it were Dockerfile syntax (exec form would split `{{ .Cmd }}`
/// into three words). Name one explicitly, or re-include them with a `!` pattern in
/// `extend-exclude`, to process them anyway.
///
/// Variant suffixes (`Dockerfile.prod`, `.dev`, `.ltsc2019`, `.alpine`, `.python`, `.node`,
/// `.windows`) are not in the list.
pub const NOT_DOCKERFILE_EXTENSIONS: &[&str] = &[
    // source code
    "go",
    "rs",
    "py",
    "pyi",
    "js",
    "mjs",
    "cjs",
    "jsx",
    "ts",
    "tsx",
    "java",
    "kt",
    "kts",
    "scala",
    "groovy",
    "rb",
    "php",
    "pl",
    "pm",
    "c",
    "h",
    "cc",
    "cpp",
    "hpp",
    "cs",
    "swift",
    "lua",
    "sh",
    "bash",
    "zsh",
    "fish",
    "ps1",
    "psm1",
    "bat",
    "cmd",
    "nix",
    "bzl",
    "vim",
    "el",
    // documentation
    "md",
    "markdown",
    "mdx",
    "rst",
    "adoc",
    "asciidoc",
    "txt",
    "html",
    "htm",
    "tex",
    "pdf",
    // data and configuration
    "json",
    "jsonc",
    "yaml",
    "yml",
    "toml",
    "xml",
    "ini",
    "cfg",
    "csv",
    "lock",
    "sum",
    "snap",
    // patches and backups
    "patch",
    "diff",
    "orig",
    "rej",
    "bak",
    "swp",
    "swo",
    // images and archives
    "png",
    "jpg",
    "jpeg",
    "gif",
    "svg",
    "ico",
    "webp",
    "zip",
    "tar",
    "gz",
    "tgz",
    "bz2",
    "xz",
    "zst",
    // templates
    "template",
    "tmpl",
    "tpl",
    "gotmpl",
    "j2",
    "jinja",
    "jinja2",
    "erb",
    "ejs",
    "mustache",
    "hbs",
    "handlebars",
    "m4",
    "in",
];

/// True for the file names of Dockerfiles (see [`crate::context::is_dockerfile_name`]).
pub use crate::context::is_dockerfile_name;

/// The default exclusion: a folder named in [`EXCLUDED_FOLDERS`], or a file whose last
/// extension is in [`NOT_DOCKERFILE_EXTENSIONS`].
pub fn excluded_by_default(name: &str, is_dir: bool) -> bool {
    if is_dir {
        return EXCLUDED_FOLDERS.contains(&name);
    }
    name.rsplit_once('.').is_some_and(|(stem, extension)| {
        !stem.is_empty()
            && NOT_DOCKERFILE_EXTENSIONS
                .iter()
                .any(|known| known.eq_ignore_ascii_case(extension))
    })
}

/// Decides which paths walks leave out.
pub trait Exclude: Sync {
    /// True when `path` (absolute; a folder when `is_dir`) is excluded. Only the path itself is
    /// asked about: a walk never enters an excluded folder, so what is below it is never seen.
    fn excluded(&self, path: &Path, is_dir: bool) -> bool;

    /// For `--force-exclude`: true when a path named on the command line is excluded, by
    /// itself or by a folder above it.
    fn excluded_explicit(&self, path: &Path, is_dir: bool) -> bool {
        self.excluded(path, is_dir)
    }
}

/// The default exclusions only ([`excluded_by_default`]).
pub struct DefaultExclusions;

impl Exclude for DefaultExclusions {
    fn excluded(&self, path: &Path, is_dir: bool) -> bool {
        path.file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| excluded_by_default(name, is_dir))
    }
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

/// The files to process under `paths`, sorted and without duplicates, plus what went wrong,
/// with the exclusions of `dfmigrate.toml` files (discovered) and the defaults.
pub fn collect(paths: &[PathBuf], threads: usize) -> (Vec<PathBuf>, Vec<WalkError>) {
    let exclusions =
        crate::config::WalkExclusions::discover(crate::config::CliExclusions::default());
    collect_with(paths, threads, &exclusions, false)
}

/// The files to process under `paths`, sorted and without duplicates, plus what went wrong.
///
/// Files named in `paths` are always kept and folders in `paths` always walked, unless
/// `force_exclude` is set and `exclude` excludes them (or a folder above them). Below a named
/// folder, `exclude` decides.
pub fn collect_with(
    paths: &[PathBuf],
    threads: usize,
    exclude: &dyn Exclude,
    force_exclude: bool,
) -> (Vec<PathBuf>, Vec<WalkError>) {
    let mut files = Vec::new();
    let mut folders = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) => {
                let is_dir = meta.is_dir();
                if force_exclude && exclude.excluded_explicit(&absolute(path), is_dir) {
                    continue;
                }
                if is_dir {
                    folders.push(path.clone());
                } else {
                    files.push(path.clone());
                }
            }
            Err(error) => errors.push(WalkError {
                path: path.clone(),
                message: error.to_string(),
            }),
        }
    }
    let (found, walk_errors) = walk_folders(&folders, threads, exclude);
    files.extend(found);
    errors.extend(walk_errors);
    files.sort();
    files.dedup();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    (files, errors)
}

/// The path made absolute against the current folder (without touching the file system).
pub fn absolute(path: &Path) -> PathBuf {
    match current_dir() {
        Some(cwd) if path.is_relative() => normalize(&cwd.join(path)),
        _ => normalize(path),
    }
}

/// Removes `.` components (and `..` after a normal component), lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Walks folders in parallel, keeping the files with Dockerfile names that are not excluded;
/// excluded folders are not entered.
fn walk_folders(
    folders: &[PathBuf],
    threads: usize,
    exclude: &dyn Exclude,
) -> (Vec<PathBuf>, Vec<WalkError>) {
    let Some((first, rest)) = folders.split_first() else {
        return (Vec::new(), Vec::new());
    };
    let mut builder = ignore::WalkBuilder::new(first);
    for folder in rest {
        builder.add(folder);
    }
    builder.hidden(false).require_git(false).threads(threads);
    let (sender, receiver) = mpsc::channel();
    builder.build_parallel().run(|| {
        let sender = sender.clone();
        Box::new(move |entry| {
            let found = match entry {
                Ok(entry) => match visit(&entry, exclude) {
                    Visit::Take => Ok(entry.into_path()),
                    Visit::Pass => return ignore::WalkState::Continue,
                    Visit::Prune => return ignore::WalkState::Skip,
                },
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

/// What the walk does with one entry.
enum Visit {
    /// A Dockerfile to process.
    Take,
    /// Neither processed nor pruned (other files; folders to enter).
    Pass,
    /// An excluded folder: not entered.
    Prune,
}

/// Folders given as paths (depth 0) are always entered. The name is checked before the
/// exclusions, so only Dockerfile names and folders cost an exclusion lookup.
fn visit(entry: &ignore::DirEntry, exclude: &dyn Exclude) -> Visit {
    let Some(kind) = entry.file_type() else {
        return Visit::Pass;
    };
    if kind.is_dir() {
        let excluded = entry.depth() > 0 && exclude.excluded(&absolute(entry.path()), true);
        return if excluded { Visit::Prune } else { Visit::Pass };
    }
    let dockerfile = kind.is_file() && entry.file_name().to_str().is_some_and(is_dockerfile_name);
    if dockerfile && !exclude.excluded(&absolute(entry.path()), false) {
        Visit::Take
    } else {
        Visit::Pass
    }
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
    fn default_exclusions_leave_out_source_documents_and_templates_only() {
        for name in [
            "dockerfile.go",
            "Dockerfile.5.md",
            "dockerfile-llb.md",
            "Dockerfile.template",
            "Dockerfile.TMPL",
            "Dockerfile.j2",
            "Dockerfile.in",
            "Dockerfile.orig",
            "dockerfile.vim",
        ] {
            assert!(excluded_by_default(name, false), "{name}");
        }
        for name in [
            "Dockerfile",
            "Dockerfile.prod",
            "Dockerfile.dev",
            "Dockerfile.ltsc2019",
            "Dockerfile.python",
            "api.Dockerfile",
            "Containerfile",
            ".md",
        ] {
            assert!(!excluded_by_default(name, false), "{name}");
        }
        // Folders are excluded by name only: `next.js/` is walked.
        assert!(excluded_by_default("node_modules", true));
        assert!(!excluded_by_default("next.js", true));
    }

    /// Excludes any path containing `skip`, and counts the questions.
    struct Skip(std::sync::atomic::AtomicUsize);

    impl Exclude for Skip {
        fn excluded(&self, path: &Path, _is_dir: bool) -> bool {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().contains("skip"))
        }
    }

    #[test]
    fn excluded_folders_are_not_entered_and_named_paths_are_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for file in [
            "a/Dockerfile",
            "skip/Dockerfile",
            "skip/deep/Dockerfile",
            "b/Dockerfile.skip",
            "b/notes.txt",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, "FROM a\n").expect("write");
        }
        let exclude = Skip(0.into());
        let (files, errors) = collect_with(&[root.to_owned()], 2, &exclude, false);
        assert_eq!(files, [root.join("a/Dockerfile")]);
        assert!(errors.is_empty(), "{errors:?}");
        // Asked about a, b, skip and the two Dockerfile names; never about notes.txt or what
        // is inside skip/.
        assert_eq!(exclude.0.load(std::sync::atomic::Ordering::Relaxed), 5);
        let named = [root.join("skip"), root.join("b/Dockerfile.skip")];
        let (files, _) = collect_with(&named, 1, &exclude, false);
        assert_eq!(
            files,
            [
                root.join("b/Dockerfile.skip"),
                root.join("skip/Dockerfile"),
                root.join("skip/deep/Dockerfile")
            ]
        );
        let (files, _) = collect_with(&named, 1, &exclude, true);
        assert!(files.is_empty(), "{files:?}");
    }

    #[test]
    fn absolute_paths_are_normalized() {
        let cwd = std::env::current_dir().unwrap_or_default();
        assert_eq!(absolute(Path::new("./a/../b/./c")), cwd.join("b/c"));
        assert_eq!(absolute(Path::new("/x/./y/../z")), PathBuf::from("/x/z"));
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
