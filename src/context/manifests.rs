//! Manifest and lock files of a build context, read for the knowledge base: the files a list of
//! globs names, and string values under dotted keys of TOML and JSON files.

use super::{ContextError, ContextFiles};
use std::path::{Path, PathBuf};

/// The most entries walked to find files by name.
const MAX_ENTRIES: usize = 20_000;

/// The files (not folders) the globs match, each once, in glob order, each with its text, read
/// when the iterator reaches it.
pub fn read_files<'f>(
    files: &'f dyn ContextFiles,
    globs: impl IntoIterator<Item = &'f str>,
) -> impl Iterator<Item = (PathBuf, Result<String, ContextError>)> + 'f {
    let mut paths: Vec<PathBuf> = Vec::new();
    for path in globs.into_iter().flat_map(|glob| files.glob(glob)) {
        if !paths.contains(&path) && !files.is_dir(&path) {
            paths.push(path);
        }
    }
    paths.into_iter().map(move |path| {
        let text = files.read_to_string(&path);
        (path, text)
    })
}

/// The available files anywhere in the context whose name `wanted` accepts (see
/// [`ContextFiles::find_files`]), each with its text, read when the iterator reaches it; `None`
/// when the context's files are unknown or more than 20,000.
pub fn read_found<'f>(
    files: &'f dyn ContextFiles,
    wanted: &dyn Fn(&str) -> bool,
) -> Option<impl Iterator<Item = (String, Result<String, ContextError>)> + 'f> {
    let found = files.find_files(wanted, MAX_ENTRIES)?;
    Some(found.into_iter().map(move |path| {
        let text = files.read_to_string(Path::new(&path));
        (path, text)
    }))
}

/// The string under a dotted `key` (`package.name`) of the context file `file`, read as
/// `format` (`toml` or `json`); `None` when the file cannot be read or parsed, or the key does
/// not hold a string.
pub fn string_value(
    files: &dyn ContextFiles,
    format: &str,
    file: &str,
    key: &str,
) -> Option<String> {
    let text = files.read_to_string(Path::new(file)).ok()?;
    match format {
        "toml" => toml_lookup(&text.parse().ok()?, key)?
            .as_str()
            .map(str::to_owned),
        "json" => json_lookup(&serde_json::from_str(&text).ok()?, key)?
            .as_str()
            .map(str::to_owned),
        _ => None,
    }
}

/// A dotted key in a TOML table (`package.name`).
pub fn toml_lookup<'t>(table: &'t toml::Table, key: &str) -> Option<&'t toml::Value> {
    let mut parts = key.split('.');
    let first = table.get(parts.next()?)?;
    parts.try_fold(first, |value, part| value.get(part))
}

/// A dotted key in a JSON value (`scripts.build`).
pub fn json_lookup<'v>(value: &'v serde_json::Value, key: &str) -> Option<&'v serde_json::Value> {
    key.split('.')
        .try_fold(value, |value, part| value.get(part))
}
