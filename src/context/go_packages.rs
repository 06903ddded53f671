//! The Go packages of a build context, for the programs `go install` makes: the folders that
//! hold Go files and the module path `go.mod` declares.

use super::ContextFiles;
use std::collections::BTreeSet;
use std::path::Path;

/// The most entries walked to list the folders holding Go files.
const MAX_ENTRIES: usize = 20_000;

/// The folders holding `.go` files, relative to the context root (`""` for the root itself);
/// empty when the context's files are unknown or more than [`MAX_ENTRIES`].
pub fn folders_with_go_files(files: &dyn ContextFiles) -> BTreeSet<String> {
    files
        .find_files(&|name| name.ends_with(".go"), MAX_ENTRIES)
        .unwrap_or_default()
        .iter()
        .map(|file| {
            file.rsplit_once('/')
                .map_or("", |(folder, _)| folder)
                .to_owned()
        })
        .collect()
}

/// The module path the `go.mod` at the context root declares (`example.com/tool/v2`).
pub fn module_path(files: &dyn ContextFiles) -> Option<String> {
    let text = files.read_to_string(Path::new("go.mod")).ok()?;
    let path = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("module "))?
        .trim()
        .trim_matches('"');
    Some(path.to_owned())
}
