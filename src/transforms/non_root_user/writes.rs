//! The folders the user must be able to write (its working directory, the folders its
//! configuration writes) and the paths COPY/ADD and WORKDIR put files at.

use super::scripts::shell_word;
use crate::knowledge::vocabulary::{lists, vocabulary};
use crate::knowledge::RuntimeWrite;
use crate::model::paths::{normalize, resolve};
use crate::model::{Dockerfile, Instruction, Workdir};
use crate::syntax::InstructionKind;

/// A folder handed to the user, and the configuration line that names it (none for the
/// working directory).
pub(super) struct Writable {
    pub(super) path: String,
    pub(super) named_by: Option<String>,
}

impl Writable {
    pub(super) fn describe(&self) -> String {
        match &self.named_by {
            Some(place) => format!("{} (written per {place})", self.path),
            None => format!("its working directory {}", self.path),
        }
    }
}

/// `RUN` text that creates the folders a configuration names and hands every folder to `user`
/// (the folders themselves, not what they hold).
pub(super) fn handover_script(folders: &[Writable], user: &str) -> String {
    let words = |list: &mut dyn Iterator<Item = &Writable>| {
        list.map(|f| shell_word(&f.path))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let created = words(&mut folders.iter().filter(|f| f.named_by.is_some()));
    let chown = format!("chown {user}:{user} {}", words(&mut folders.iter()));
    if created.is_empty() {
        chown
    } else {
        format!("mkdir -p {created} && {chown}")
    }
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

/// The folder or file a COPY/ADD writes, resolved against the WORKDIR before it.
pub(super) fn copy_destination(file: &Dockerfile, copy: &Instruction) -> Option<String> {
    if !matches!(
        copy.kind(),
        Some(InstructionKind::Copy | InstructionKind::Add)
    ) {
        return None;
    }
    let destination = copy.copy_args()?.destination.value;
    let destination = destination.trim_matches('"');
    if destination.contains('$') {
        return None;
    }
    let cwd = if destination.starts_with('/') {
        "/".to_owned()
    } else {
        set_workdir(file.workdir_before(copy))?
    };
    Some(normalize(&resolve(&cwd, destination)))
}

pub(super) fn is_inside(path: &str, folder: &str) -> bool {
    path == folder
        || path
            .strip_prefix(folder)
            .is_some_and(|rest| rest.starts_with('/'))
}
