//! The files beside Dockerfiles (their build contexts' ignore files) in a run: which
//! Dockerfiles of the run read each build context, and writing the files that fixes create or
//! rewrite, once per run, before their Dockerfile, put back when it cannot be written.

use super::run::{build_context_of, is_stdin, RunOptions};
use crate::config::{self, Lookup};
use crate::context::{is_dockerfile_name, IgnoreFilePaths};
use crate::emit::{self, BesideFile};
use crate::walk;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::PoisonError;

/// Which Dockerfiles read each build context's `.dockerignore`, as a run sees them when it
/// starts: its Dockerfiles (not stdin) without an ignore file of their own, by build context
/// (absolute). Taken before any file is written, so what one Dockerfile's fix writes (its own
/// `<Dockerfile>.dockerignore`) never changes another's choice of file: the choice is the same
/// in every mode and whatever order the workers run in.
#[derive(Debug, Default)]
pub(super) struct Readers {
    by_context: HashMap<PathBuf, Vec<PathBuf>>,
    /// Every Dockerfile of the run, absolute.
    run: HashSet<PathBuf>,
}

pub(super) fn readers_by_context(
    files: &[PathBuf],
    lookups: &[Lookup],
    options: &RunOptions,
) -> Readers {
    let mut readers = Readers::default();
    for (file, lookup) in files.iter().zip(lookups) {
        if is_stdin(file) {
            continue;
        }
        readers.run.insert(walk::absolute(file));
        let config = lookup.as_ref().ok().and_then(|config| config.as_deref());
        let settings = config::settings_for(file, config, &options.command_line);
        let context = build_context_of(file, &settings, &options.compose);
        if has_own_ignore_file(&context, file) {
            continue;
        }
        readers
            .by_context
            .entry(walk::absolute(&context))
            .or_default()
            .push(file.clone());
    }
    readers
}

fn has_own_ignore_file(context: &Path, file: &Path) -> bool {
    IgnoreFilePaths::of(context, Some(file))
        .own
        .is_some_and(|own| own.is_file())
}

/// The other Dockerfiles that read the `.dockerignore` of `file`'s build context `context`:
/// those of the run, and, when `file` is in the context's root folder, the Dockerfiles beside
/// it that the run does not process and that have no ignore file of their own (this run never
/// writes one for them).
pub(super) fn other_readers(options: &RunOptions, file: &Path, context: &Path) -> Vec<PathBuf> {
    let mut others: Vec<PathBuf> = options
        .readers
        .by_context
        .get(&walk::absolute(context))
        .map(|files| {
            files
                .iter()
                .filter(|other| other.as_path() != file)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let folder = super::run::folder_of(file);
    if walk::absolute(&folder) != walk::absolute(context) {
        return others;
    }
    let Ok(listing) = std::fs::read_dir(&folder) else {
        return others;
    };
    let siblings = listing
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| is_dockerfile_name(name))
        .map(|name| folder.join(name))
        .filter(|sibling| !options.readers.run.contains(&walk::absolute(sibling)))
        .filter(|sibling| !has_own_ignore_file(context, sibling));
    others.extend(siblings);
    others
}

/// Writes the files beside the Dockerfile, then the Dockerfile; when the Dockerfile cannot be
/// written, the files beside it are put back as they were (its fixes assumed them).
pub(super) fn write_all(
    file: &Path,
    bytes: &[u8],
    fixed: Option<&str>,
    beside: &[BesideFile],
    options: &RunOptions,
) -> Result<(), String> {
    let mut written = Vec::new();
    for change in beside {
        match write_beside(change, options) {
            Ok(true) => written.push(change),
            Ok(false) => {}
            Err(message) => {
                undo_beside(&written, options);
                return Err(message);
            }
        }
    }
    let Some(fixed) = fixed else {
        return Ok(());
    };
    emit::write_atomically(file, bytes, fixed).map_err(|error| {
        undo_beside(&written, options);
        error.to_string()
    })
}

/// Writes one file beside a Dockerfile unless another Dockerfile of the run wrote it already
/// (false then); a different content for the same file is an error.
fn write_beside(change: &BesideFile, options: &RunOptions) -> Result<bool, String> {
    let key = walk::absolute(&change.location);
    let mut written = options
        .written_beside
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    match written.get(&key) {
        Some(content) if *content == change.content => return Ok(false),
        Some(_) => {
            return Err(format!(
                "{}: another Dockerfile of this run wrote it with other content; this Dockerfile and its change of it are not written",
                change.path
            ))
        }
        None => {}
    }
    write_one(change)?;
    written.insert(key, change.content.clone());
    Ok(true)
}

/// Writes one file beside a Dockerfile atomically: created (mode 0644, never replacing a file
/// that appeared), or rewritten keeping its permissions and owner when it still holds what the
/// fix read.
pub(super) fn write_one(change: &BesideFile) -> Result<(), String> {
    let result = match &change.original {
        None => emit::create_atomically(&change.location, &change.content),
        Some(original) => {
            emit::write_atomically(&change.location, original.as_bytes(), &change.content)
        }
    };
    result.map_err(|error| format!("{}: {error}", change.path))
}

/// Puts files beside a Dockerfile back as they were: a created one is removed.
fn undo_beside(written: &[&BesideFile], options: &RunOptions) {
    let mut claimed = options
        .written_beside
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    for change in written {
        claimed.remove(&walk::absolute(&change.location));
        let _ = match &change.original {
            None => std::fs::remove_file(&change.location).map_err(emit::WriteError::from),
            Some(original) => {
                emit::write_atomically(&change.location, change.content.as_bytes(), original)
            }
        };
    }
}
