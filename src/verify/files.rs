//! Comparing the files of two images: everything the entrypoint and command reference (the
//! program found on `PATH`, its interpreter, and path arguments) must be there with the same
//! content; the application folders must hold the same files, except for expected drops
//! (caches, compiled-language sources, build files, build outputs, dev dependencies), which
//! are listed rather than failed.

use super::image::{as_exec_form, env_map, ImageConfig};
use super::rootfs::{self, Entry, DEFAULT_PATH};
use crate::model::shell;
use std::collections::BTreeSet;
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
    Cache,
    Source,
    BuildFile,
    BuildOutput,
    DevDependency,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DropReason::Cache => "cache",
            DropReason::Source => "source",
            DropReason::BuildFile => "build file",
            DropReason::BuildOutput => "build output",
            DropReason::DevDependency => "dev dependency",
        })
    }
}

/// The two images' files and what is known about them.
pub struct Images<'a> {
    pub before_root: &'a Path,
    pub after_root: &'a Path,
    pub before: &'a ImageConfig,
    pub after: &'a ImageConfig,
    /// Application folders and files of the original (WORKDIR, COPY destinations).
    pub app_paths: &'a [PathBuf],
    /// The final base image changed on purpose: the interpreter may come from the new image.
    pub base_changed: bool,
}

/// What the comparison found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileComparison {
    /// Differences that make the images not equivalent.
    pub problems: Vec<String>,
    /// Files of the original missing (or changed) in the rewrite, and why that is expected.
    pub dropped: Vec<(PathBuf, DropReason)>,
    /// Facts worth showing that are not differences.
    pub notes: Vec<String>,
}

/// A path the entrypoint or command needs.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Reference {
    /// A program named in the command, looked up on `PATH` in each image.
    Program(String),
    /// A path argument, or an interpreter named by a `#!` line.
    Path(PathBuf),
}

/// Compares the referenced files, then the application folders.
pub fn compare(images: &Images) -> FileComparison {
    let mut out = FileComparison::default();
    let mut checked = BTreeSet::new();
    for reference in references(images.before_root, images.before) {
        compare_reference(images, &reference, &mut checked, &mut out);
    }
    for app_path in images.app_paths {
        compare_tree(images, app_path, &checked, &mut out);
    }
    out
}

/// The command the image runs: ENTRYPOINT then CMD, shell form read as exec form when plain.
fn command_of(config: &ImageConfig) -> Vec<String> {
    let mut argv = as_exec_form(config.entrypoint.as_deref().unwrap_or_default());
    argv.extend(as_exec_form(config.cmd.as_deref().unwrap_or_default()));
    argv
}

/// Programs and paths the command references, as the original image sees them.
fn references(root: &Path, config: &ImageConfig) -> Vec<Reference> {
    let workdir = workdir_of(config);
    let mut out = Vec::new();
    for words in command_groups(&command_of(config)) {
        let Some((program, args)) = words.split_first() else {
            continue;
        };
        out.push(Reference::Program(program.clone()));
        for arg in args {
            let value = arg.split_once('=').map_or(arg.as_str(), |(_, value)| value);
            if value.is_empty() || value.starts_with('-') {
                continue;
            }
            let image_path = workdir.join(value);
            if rootfs::resolve(root, &image_path, false)
                .and_then(|host| rootfs::entry(&host))
                .is_some()
            {
                out.push(Reference::Path(image_path));
            }
        }
    }
    out
}

/// The simple commands to check: the argv itself, or each command of a `sh -c` script.
fn command_groups(argv: &[String]) -> Vec<Vec<String>> {
    match argv {
        [shell_program, flag, script] if shell_program.ends_with("sh") && flag == "-c" => {
            let mut groups = vec![vec![shell_program.clone()]];
            groups.extend(shell::lex(script).commands.iter().map(|command| {
                command
                    .words
                    .iter()
                    .filter(|word| !word.has_expansion)
                    .map(|word| word.value.clone())
                    .collect()
            }));
            groups
        }
        _ => vec![argv.to_vec()],
    }
}

fn workdir_of(config: &ImageConfig) -> PathBuf {
    PathBuf::from(
        config
            .working_dir
            .as_deref()
            .filter(|dir| !dir.is_empty())
            .unwrap_or("/"),
    )
}

fn path_of(config: &ImageConfig) -> String {
    env_map(config)
        .remove("PATH")
        .unwrap_or_else(|| DEFAULT_PATH.to_owned())
}

fn compare_reference(
    images: &Images,
    reference: &Reference,
    checked: &mut BTreeSet<PathBuf>,
    out: &mut FileComparison,
) {
    match reference {
        Reference::Program(name) => compare_program(images, name, checked, out),
        Reference::Path(image_path) => {
            if checked.insert(image_path.clone()) {
                compare_referenced_path(images, image_path, out);
            }
        }
    }
}

/// The program must be found on each image's `PATH`, with the same content (or, when the base
/// image changed on purpose and it is not an application file, any content).
fn compare_program(
    images: &Images,
    name: &str,
    checked: &mut BTreeSet<PathBuf>,
    out: &mut FileComparison,
) {
    let find = |root: &Path, config: &ImageConfig| {
        rootfs::find_program(root, name, &path_of(config), &workdir_of(config))
    };
    let Some(before) = find(images.before_root, images.before) else {
        out.notes.push(format!(
            "program `{name}` is not found in the original image either"
        ));
        return;
    };
    let Some(after) = find(images.after_root, images.after) else {
        out.problems
            .push(format!("program `{name}` ({}) not found", before.display()));
        return;
    };
    checked.insert(before.clone());
    let before_host = rootfs::resolve(images.before_root, &before, true);
    let after_host = rootfs::resolve(images.after_root, &after, true);
    let same = match (&before_host, &after_host) {
        (Some(a), Some(b)) => rootfs::same_content(a, b).unwrap_or(false),
        _ => false,
    };
    if !same {
        if images.base_changed && !inside_app_paths(images, &before) {
            out.notes.push(format!(
                "program `{name}` comes from the new base image ({} → {})",
                before.display(),
                after.display()
            ));
        } else {
            out.problems.push(format!(
                "program `{name}` differs ({} → {})",
                before.display(),
                after.display()
            ));
        }
    }
    if let Some(interpreter) = before_host.as_deref().and_then(rootfs::shebang) {
        let reference = match interpreter.as_slice() {
            [env, program, ..] if env.ends_with("/env") => Reference::Program(program.clone()),
            [path, ..] => Reference::Path(PathBuf::from(path)),
            [] => return,
        };
        if reference != Reference::Program(name.to_owned()) {
            compare_reference(images, &reference, checked, out);
        }
    }
}

fn inside_app_paths(images: &Images, image_path: &Path) -> bool {
    images
        .app_paths
        .iter()
        .any(|app| image_path.starts_with(app))
}

/// A referenced path: present, same kind, same content; a folder is compared as a tree.
fn compare_referenced_path(images: &Images, image_path: &Path, out: &mut FileComparison) {
    let before = rootfs::resolve(images.before_root, image_path, true);
    let after = rootfs::resolve(images.after_root, image_path, true);
    let (Some(before), Some(after)) = (before, after) else {
        out.problems
            .push(format!("{}: symbolic link loop", image_path.display()));
        return;
    };
    match (rootfs::entry(&before), rootfs::entry(&after)) {
        (_, None) => out.problems.push(format!(
            "missing {} (referenced by the command)",
            image_path.display()
        )),
        (Some(Entry::Dir), Some(Entry::Dir)) => {
            walk(images, image_path, &before, &after, &BTreeSet::new(), out);
        }
        (Some(a), Some(b)) => {
            if let Some(problem) = entry_difference(image_path, &before, &after, &a, &b) {
                if images.base_changed && !inside_app_paths(images, image_path) {
                    out.notes
                        .push(format!("{problem} (from the new base image)"));
                } else {
                    out.problems.push(problem);
                }
            }
        }
        (None, Some(_)) => {}
    }
}

/// An application folder (or file) of the original, compared with the rewrite's.
fn compare_tree(
    images: &Images,
    image_path: &Path,
    checked: &BTreeSet<PathBuf>,
    out: &mut FileComparison,
) {
    let before = rootfs::resolve(images.before_root, image_path, true);
    let after = rootfs::resolve(images.after_root, image_path, true);
    let (Some(before), Some(after)) = (before, after) else {
        return;
    };
    if rootfs::entry(&before).is_some() {
        compare_entry(images, image_path, &before, &after, checked, out);
    }
}

/// Compares one entry (recursing into folders) and records what differs.
fn compare_entry(
    images: &Images,
    image_path: &Path,
    before: &Path,
    after: &Path,
    checked: &BTreeSet<PathBuf>,
    out: &mut FileComparison,
) {
    if checked.contains(image_path) {
        return;
    }
    let Some(a) = rootfs::entry(before) else {
        return;
    };
    let Some(b) = rootfs::entry(after) else {
        missing(images, image_path, before, &a, checked, out);
        return;
    };
    if a == Entry::Dir && b == Entry::Dir {
        walk(images, image_path, before, after, checked, out);
        return;
    }
    if let Some(problem) = entry_difference(image_path, before, after, &a, &b) {
        match drop_reason(images.before_root, image_path) {
            Some(DropReason::Cache) => out.dropped.push((image_path.into(), DropReason::Cache)),
            _ => out.problems.push(problem),
        }
    }
}

fn walk(
    images: &Images,
    image_path: &Path,
    before: &Path,
    after: &Path,
    checked: &BTreeSet<PathBuf>,
    out: &mut FileComparison,
) {
    for name in rootfs::children(before) {
        compare_entry(
            images,
            &image_path.join(&name),
            &before.join(&name),
            &after.join(&name),
            checked,
            out,
        );
    }
}

/// A file or folder of the original missing in the rewrite: an expected drop, or a problem.
fn missing(
    images: &Images,
    image_path: &Path,
    before: &Path,
    entry: &Entry,
    checked: &BTreeSet<PathBuf>,
    out: &mut FileComparison,
) {
    if checked.contains(image_path) {
        return;
    }
    if let Some(reason) = drop_reason(images.before_root, image_path) {
        out.dropped.push((image_path.to_path_buf(), reason));
        return;
    }
    if *entry != Entry::Dir {
        out.problems
            .push(format!("missing {}", image_path.display()));
        return;
    }
    let children = rootfs::children(before);
    if children.is_empty() {
        out.problems
            .push(format!("missing {}/", image_path.display()));
    }
    for name in children {
        let child = before.join(&name);
        if let Some(child_entry) = rootfs::entry(&child) {
            missing(
                images,
                &image_path.join(&name),
                &child,
                &child_entry,
                checked,
                out,
            );
        }
    }
}

/// How two entries at the same path differ, if they do.
fn entry_difference(
    image_path: &Path,
    before: &Path,
    after: &Path,
    a: &Entry,
    b: &Entry,
) -> Option<String> {
    let path = image_path.display();
    match (a, b) {
        (
            Entry::File {
                executable: exec_a, ..
            },
            Entry::File {
                executable: exec_b, ..
            },
        ) => {
            if !rootfs::same_content(before, after).unwrap_or(false) {
                Some(format!("changed {path} (content)"))
            } else if exec_a != exec_b {
                Some(format!("changed {path} (executable bit)"))
            } else {
                None
            }
        }
        (Entry::Symlink(x), Entry::Symlink(y)) if x != y => Some(format!(
            "changed {path} (link to {} → {})",
            x.display(),
            y.display()
        )),
        _ if std::mem::discriminant(a) != std::mem::discriminant(b) => Some(format!(
            "changed {path} ({} → {})",
            a.kind_name(),
            b.kind_name()
        )),
        _ => None,
    }
}

/// Why a path of the original may be missing from the rewrite, if it may.
pub fn drop_reason(before_root: &Path, image_path: &Path) -> Option<DropReason> {
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
    if BUILD_FILES.contains(&name.as_str()) {
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
    let resolved = super::dockerfile::absolute(folder, &target.to_string_lossy());
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn write(root: &Path, path: &str, text: &str) {
        let host = root.join(path.trim_start_matches('/'));
        fs::create_dir_all(host.parent().unwrap()).unwrap();
        fs::write(&host, text).unwrap();
    }

    fn executable(root: &Path, path: &str, text: &str) {
        write(root, path, text);
        let host = root.join(path.trim_start_matches('/'));
        fs::set_permissions(host, fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn config(cmd: &[&str], workdir: &str) -> ImageConfig {
        ImageConfig {
            cmd: Some(cmd.iter().map(|s| (*s).to_owned()).collect()),
            working_dir: Some(workdir.to_owned()),
            env: Some(vec!["PATH=/usr/local/bin:/bin".to_owned()]),
            ..ImageConfig::default()
        }
    }

    struct Pair {
        before: tempfile::TempDir,
        after: tempfile::TempDir,
    }

    impl Pair {
        fn new() -> Pair {
            let pair = Pair {
                before: tempfile::tempdir().unwrap(),
                after: tempfile::tempdir().unwrap(),
            };
            for root in [pair.before.path(), pair.after.path()] {
                executable(root, "/usr/local/bin/node", "#!/bin/sh\necho node\n");
                executable(root, "/bin/sh", "binary");
            }
            pair
        }

        fn compare(
            &self,
            before: &ImageConfig,
            after: &ImageConfig,
            base_changed: bool,
        ) -> FileComparison {
            compare(&Images {
                before_root: self.before.path(),
                after_root: self.after.path(),
                before,
                after,
                app_paths: &[PathBuf::from("/app")],
                base_changed,
            })
        }
    }

    #[test]
    fn identical_images_have_no_problems() {
        let pair = Pair::new();
        for root in [pair.before.path(), pair.after.path()] {
            write(root, "/app/app.js", "console.log(1)");
        }
        let cmd = config(&["node", "app.js"], "/app");
        assert_eq!(pair.compare(&cmd, &cmd, false), FileComparison::default());
    }

    #[test]
    fn missing_script_and_changed_file_are_problems() {
        let pair = Pair::new();
        write(pair.before.path(), "/app/app.js", "a");
        write(pair.before.path(), "/app/lib.js", "a");
        write(pair.after.path(), "/app/lib.js", "b");
        let cmd = config(&["node", "app.js"], "/app");
        let found = pair.compare(&cmd, &cmd, false);
        assert_eq!(
            found.problems,
            [
                "missing /app/app.js (referenced by the command)",
                "changed /app/lib.js (content)"
            ]
        );
    }

    #[test]
    fn sources_caches_and_dev_dependencies_are_expected_drops() {
        let pair = Pair::new();
        let before = pair.before.path();
        write(before, "/app/main.go", "package main");
        write(before, "/app/go.mod", "module x");
        write(before, "/app/__pycache__/x.pyc", "");
        write(
            before,
            "/app/package.json",
            r#"{"dependencies":{"express":"1"},"devDependencies":{"jest":"1"}}"#,
        );
        write(before, "/app/node_modules/jest/index.js", "");
        write(before, "/app/node_modules/express/index.js", "");
        for path in ["/app/package.json", "/app/node_modules/express/index.js"] {
            write(
                pair.after.path(),
                path,
                &fs::read_to_string(before.join(&path[1..])).unwrap(),
            );
        }
        let cmd = config(&["node", "--version"], "/app");
        let found = pair.compare(&cmd, &cmd, false);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        let reasons: Vec<DropReason> = found.dropped.iter().map(|(_, reason)| *reason).collect();
        assert_eq!(
            reasons,
            [
                DropReason::Cache,
                DropReason::BuildFile,
                DropReason::Source,
                DropReason::DevDependency
            ]
        );
    }

    #[test]
    fn packages_the_npm_lock_marks_dev_are_expected_drops() {
        let before = tempfile::tempdir().unwrap();
        let root = before.path();
        write(
            root,
            "/app/package.json",
            r#"{"dependencies":{"express":"4"},"devDependencies":{"nodemon":"3"}}"#,
        );
        write(
            root,
            "/app/node_modules/.package-lock.json",
            r#"{"lockfileVersion":3,"packages":{
                "node_modules/express":{"version":"4.22.3"},
                "node_modules/undefsafe":{"version":"2.0.5","dev":true},
                "node_modules/@types/node":{"version":"20.0.0","dev":true},
                "node_modules/chokidar/node_modules/glob-parent":{"version":"5.1.2","dev":true},
                "node_modules/fsevents":{"version":"2.3.3","devOptional":true}}}"#,
        );
        let reason = |path: &str| drop_reason(root, Path::new(path));
        for dev in [
            "/app/node_modules/nodemon/lib/nodemon.js",
            "/app/node_modules/undefsafe/package.json",
            "/app/node_modules/@types/node/index.d.ts",
            "/app/node_modules/chokidar/node_modules/glob-parent/index.js",
        ] {
            assert_eq!(reason(dev), Some(DropReason::DevDependency), "{dev}");
        }
        for kept in [
            "/app/node_modules/express/index.js",
            "/app/node_modules/fsevents/fsevents.js",
            "/app/node_modules/unknown/index.js",
        ] {
            assert_eq!(reason(kept), None, "{kept}");
        }
        // npm's links to the programs of packages: dev when the package is.
        let bin = root.join("app/node_modules/.bin");
        fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink("../undefsafe/lib/cli.js", bin.join("undefsafe")).unwrap();
        std::os::unix::fs::symlink("../express/bin/x.js", bin.join("x")).unwrap();
        std::os::unix::fs::symlink("/usr/bin/env", bin.join("abs")).unwrap();
        assert_eq!(
            reason("/app/node_modules/.bin/undefsafe"),
            Some(DropReason::DevDependency)
        );
        assert_eq!(reason("/app/node_modules/.bin/x"), None);
        assert_eq!(reason("/app/node_modules/.bin/abs"), None);
        assert_eq!(reason("/app/node_modules/.bin/missing"), None);
        // npm's hidden lock file changes with every prune: a cache.
        assert_eq!(
            reason("/app/node_modules/.package-lock.json"),
            Some(DropReason::Cache)
        );
        assert_eq!(reason("/app/.package-lock.json"), None);
        // Without the hidden lock file, the project's package-lock.json says the same.
        let lock = root.join("app/node_modules/.package-lock.json");
        fs::rename(&lock, root.join("app/package-lock.json")).unwrap();
        assert_eq!(
            reason("/app/node_modules/undefsafe/package.json"),
            Some(DropReason::DevDependency)
        );
    }

    #[test]
    fn missing_program_and_changed_interpreter() {
        let pair = Pair::new();
        fs::remove_file(pair.after.path().join("usr/local/bin/node")).unwrap();
        let cmd = config(&["node", "x"], "/");
        assert_eq!(
            pair.compare(&cmd, &cmd, false).problems,
            ["program `node` (/usr/local/bin/node) not found"]
        );
        executable(
            pair.after.path(),
            "/usr/local/bin/node",
            "#!/bin/sh\necho other\n",
        );
        assert_eq!(
            pair.compare(&cmd, &cmd, false).problems,
            ["program `node` differs (/usr/local/bin/node → /usr/local/bin/node)"]
        );
        let intended = pair.compare(&cmd, &cmd, true);
        assert!(intended.problems.is_empty());
        assert_eq!(intended.notes.len(), 1);
    }

    #[test]
    fn shell_form_scripts_are_checked_command_by_command() {
        let pair = Pair::new();
        write(pair.before.path(), "/app/run.js", "x");
        let cmd = config(
            &["/bin/sh", "-c", "node run.js > /dev/null && echo $X"],
            "/app",
        );
        let found = pair.compare(&cmd, &cmd, false);
        assert_eq!(
            found.problems,
            ["missing /app/run.js (referenced by the command)"]
        );
    }

    #[test]
    fn build_outputs_may_go_but_referenced_artifacts_may_not() {
        let pair = Pair::new();
        write(pair.before.path(), "/app/target/classes/Main.class", "x");
        write(pair.before.path(), "/app/target/app.jar", "jar");
        let cmd = config(&["java", "-jar", "target/app.jar"], "/app");
        executable(pair.before.path(), "/usr/local/bin/java", "j");
        executable(pair.after.path(), "/usr/local/bin/java", "j");
        let found = pair.compare(&cmd, &cmd, false);
        assert_eq!(
            found.problems,
            ["missing /app/target/app.jar (referenced by the command)"]
        );
        assert_eq!(
            found.dropped,
            [(PathBuf::from("/app/target"), DropReason::BuildOutput)]
        );
    }
}
