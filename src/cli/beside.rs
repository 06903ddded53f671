//! The files beside Dockerfiles (their build contexts' ignore files) in a run: which
//! Dockerfiles of the run read each build context, and writing the files that fixes create or
//! rewrite, once per run, before their Dockerfile, put back when it cannot be written.

use super::run::{build_context_of, is_stdin, RunOptions};
use crate::config::{self, Lookup};
use crate::emit::{self, BesideFile};
use crate::walk;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::PoisonError;

/// The Dockerfiles of the run (not stdin) grouped by their build context, as absolute paths.
pub(super) fn readers_by_context(
    files: &[PathBuf],
    lookups: &[Lookup],
    options: &RunOptions,
) -> HashMap<PathBuf, Vec<PathBuf>> {
    let mut readers: HashMap<PathBuf, Vec<PathBuf>> = HashMap::new();
    for (file, lookup) in files.iter().zip(lookups) {
        if is_stdin(file) {
            continue;
        }
        let config = lookup.as_ref().ok().and_then(|config| config.as_deref());
        let settings = config::settings_for(file, config, &options.command_line);
        let context = build_context_of(file, &settings, &options.compose);
        readers
            .entry(walk::absolute(&context))
            .or_default()
            .push(file.clone());
    }
    readers
}

/// The other Dockerfiles of the run built from `context`.
pub(super) fn other_readers(options: &RunOptions, file: &Path, context: &Path) -> Vec<PathBuf> {
    options
        .readers
        .get(&walk::absolute(context))
        .map(|files| {
            files
                .iter()
                .filter(|other| other.as_path() != file)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
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
