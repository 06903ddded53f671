//! The folders the user must be able to write (its working directory, the folders its
//! configuration writes) and the working directory WORKDIR sets.

use crate::knowledge::vocabulary::{lists, vocabulary};
use crate::knowledge::RuntimeWrite;
use crate::model::paths::{normalize, resolve};
use crate::model::shell::quote_word;
use crate::model::Workdir;

/// A folder handed to the user: the working directory itself (`recursive` false: the code in it
/// stays root's), or a folder the application writes, created and handed over with what it
/// holds; and what names it (none for the working directory).
pub(super) struct Writable {
    pub(super) path: String,
    pub(super) named_by: Option<String>,
    pub(super) recursive: bool,
}

impl Writable {
    pub(super) fn describe(&self) -> String {
        match &self.named_by {
            Some(place) => format!("{} ({place})", self.path),
            None => format!("its working directory {} (the folder itself)", self.path),
        }
    }
}

/// `RUN` text that hands the folders to `user`: the working directory itself (`chown`), the
/// folders the application writes created and handed over with their contents (`mkdir -p …
/// && chown -R …`).
pub(super) fn handover_script(folders: &[Writable], user: &str) -> String {
    let words = |recursive: bool| {
        folders
            .iter()
            .filter(|f| f.recursive == recursive)
            .map(|f| quote_word(&f.path))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut commands = Vec::new();
    let itself = words(false);
    if !itself.is_empty() {
        commands.push(format!("chown {user}:{user} {itself}"));
    }
    let written = words(true);
    if !written.is_empty() {
        commands.push(format!("mkdir -p {written}"));
        commands.push(format!("chown -R {user}:{user} {written}"));
    }
    commands.join(" && ")
}

/// The absolute folder a configured write needs, or `None` when a relative path has no known
/// working directory.
pub(super) fn resolve_written(write: &RuntimeWrite, workdir: Option<&str>) -> Option<String> {
    let folder = write.folder();
    if folder.starts_with('/') {
        return Some(normalize(folder));
    }
    Some(normalize(&resolve(workdir?, folder)))
}

/// `/` and the system folders only root may write.
pub(super) fn is_root_only(folder: &str) -> bool {
    folder == "/" || lists(&vocabulary().users.root_paths, folder)
}

/// Folders every user may write (`/tmp`).
pub(super) fn is_writable_by_all(folder: &str) -> bool {
    vocabulary()
        .users
        .writable_by_all
        .iter()
        .any(|shared| is_inside(folder, shared))
}

pub(super) fn is_root_path(path: &str) -> bool {
    vocabulary()
        .users
        .root_paths
        .iter()
        .any(|root| path == *root || path.starts_with(&format!("{root}/")))
}

/// A working directory some WORKDIR set: a relative one given on the base image's own is
/// taken as relative to `/`; `None` when no WORKDIR was given or one uses a variable.
pub(super) fn set_workdir(cwd: &Workdir) -> Option<String> {
    match cwd {
        Workdir::InImage(steps) if steps.is_empty() => None,
        other => other.with_marker("/"),
    }
}

pub(super) fn is_inside(path: &str, folder: &str) -> bool {
    path == folder
        || path
            .strip_prefix(folder)
            .is_some_and(|rest| rest.starts_with('/'))
}
