//! The Rust sources of the copied folders: each must be readable and not empty (a placeholder
//! says nothing of what it includes), and every file it reads by name (`include_str!("…")`,
//! `#[path = "…"]`) must be in the copy. A name that is not a plain string literal declines.

use super::cargo_packages::relative;
use super::decline::Decline;
use super::packages::files_in;
use crate::context::BuildContext;
use crate::knowledge::narrow::CargoSources;

/// Checks every Rust source under `folders`; `files` are copied too.
pub(super) fn check_folders(
    cargo: &CargoSources,
    context: &BuildContext,
    folders: &[String],
    files: &[String],
) -> Result<(), Decline> {
    let is_copied = |path: &str| {
        files.iter().any(|file| file == path)
            || folders
                .iter()
                .any(|folder| path.starts_with(&format!("{folder}/")))
    };
    for folder in folders {
        for file in sources_under(cargo, context, folder) {
            check_source(cargo, context, &file, &is_copied)?;
        }
    }
    Ok(())
}

/// The source files anywhere under a folder.
fn sources_under(cargo: &CargoSources, context: &BuildContext, folder: &str) -> Vec<String> {
    let mut found: Vec<String> = files_in(context, folder)
        .into_iter()
        .filter(|(name, _)| cargo.source_files.matches(name))
        .map(|(_, path)| path)
        .collect();
    for sub in context.glob(&format!("{folder}/*")) {
        if context.is_dir(&sub) {
            if let Some(sub) = sub.to_str() {
                found.extend(sources_under(cargo, context, sub));
            }
        }
    }
    found
}

/// One source file: readable, not empty, and reading only copied files by name.
fn check_source(
    cargo: &CargoSources,
    context: &BuildContext,
    file: &str,
    is_copied: &dyn Fn(&str) -> bool,
) -> Result<(), Decline> {
    let named = || file.to_owned();
    let text = context
        .read_to_string(file)
        .map_err(|_| Decline::Unreadable { file: named() })?;
    if text.trim().is_empty() {
        return Err(Decline::EmptySource { file: named() });
    }
    let folder = relative(file, "..").unwrap_or_default();
    for pattern in &cargo.file_references {
        for end in pattern.match_ends(&text) {
            let literal =
                string_literal(&text[end..]).ok_or(Decline::UnknownReference { file: named() })?;
            let read = relative(&folder, literal).filter(|path| is_copied(path));
            if read.is_none() {
                return Err(Decline::FileReference {
                    file: named(),
                    path: literal.to_owned(),
                });
            }
        }
    }
    Ok(())
}

/// The plain string literal (`"…"` without escapes) a text starts with, after blanks.
fn string_literal(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('"')?;
    let end = rest.find('"')?;
    let literal = &rest[..end];
    (!literal.contains('\\')).then_some(literal)
}
