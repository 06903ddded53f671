//! Comparing the files of two images: everything the entrypoint and command reference (the
//! program found on `PATH`, its interpreter, and path arguments) must be there with the same
//! content; the application folders must hold the same files, except for expected drops
//! (caches, compiled-language sources, build files, build outputs, dev dependencies), which
//! are listed rather than failed.

mod drops;
mod tree;

pub use drops::{drop_reason, DropReason, Exclusion};

use super::image::{as_exec_form, env_map, ImageConfig};
use super::rootfs::{self, Entry, DEFAULT_PATH};
use crate::model::shell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tree::{compare_tree, entry_difference, TreeWalk};
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
    /// Build files no application reads were left out on purpose (`Intent::BuildFiles`).
    pub build_files_dropped: bool,
    /// Folders the rewrite's final stages mount as BuildKit caches and the original's do not.
    pub cache_folders: &'a [PathBuf],
    /// What the build context's new ignore file leaves out (`Intent::ExcludedPaths`).
    pub excluded: Option<&'a Exclusion>,
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
    for folder in images.cache_folders {
        compare_cache(images, folder, &mut out);
    }
    out
}

/// A folder the rewrite mounts as a cache: the original's files there that the rewrite lacks are
/// expected drops; a note says how many there were, or that the rewrite still holds some.
fn compare_cache(images: &Images, folder: &Path, out: &mut FileComparison) {
    let mut files = Vec::new();
    if let Some(host) = rootfs::resolve(images.before_root, folder, true) {
        files_below(&host, folder, &mut files);
    }
    let (kept, dropped): (Vec<PathBuf>, Vec<PathBuf>) = files.into_iter().partition(|path| {
        rootfs::resolve(images.after_root, path, false)
            .and_then(|host| rootfs::entry(&host))
            .is_some()
    });
    let shown = folder.display();
    out.notes.push(match (dropped.len(), kept.len()) {
        (0, 0) => format!("package cache {shown}: empty in both images"),
        (gone, 0) => format!("package cache {shown}: {gone} files in the original, none in the rewrite"),
        (gone, left) => format!(
            "package cache {shown}: {gone} of the original's files are gone, {left} are still in the rewrite (the base image's, or written by a RUN without the mount)"
        ),
    });
    out.dropped.extend(
        dropped
            .into_iter()
            .map(|path| (path, DropReason::PackageCache)),
    );
}

/// The files (not folders) below a host folder, as image paths under `image_path`.
fn files_below(host: &Path, image_path: &Path, out: &mut Vec<PathBuf>) {
    match rootfs::entry(host) {
        Some(Entry::Dir) => {
            for name in rootfs::children(host) {
                files_below(&host.join(&name), &image_path.join(&name), out);
            }
        }
        Some(_) => out.push(image_path.to_path_buf()),
        None => {}
    }
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
            let checked = BTreeSet::new();
            TreeWalk {
                images,
                checked: &checked,
            }
            .walk(image_path, &before, &after, out);
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

#[cfg(test)]
mod tests;
