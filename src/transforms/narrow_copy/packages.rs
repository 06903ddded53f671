//! The package folders a Go build needs: from the packages it builds, every package of the
//! module they import, transitively, read from each folder's non-test Go files. Folders are
//! relative to the build context root (`""` for the root itself).

use super::commands::{context_folder, BuiltPackage};
use super::decline::Decline;
use super::go_source::imports;
use super::{Reads, StageView};
use crate::context::BuildContext;
use crate::knowledge::narrow::GoSources;
use std::collections::{BTreeSet, VecDeque};

/// What a Go build reads: the module files, the package at the context root as its files, and
/// every other package folder it needs; or why that cannot be told.
pub(super) fn reads(
    view: &StageView,
    go: &GoSources,
    built: &[BuiltPackage],
    target: &str,
) -> Result<Reads, Decline> {
    let context = view.context;
    if let Some(file) = view
        .spec
        .workspace_files
        .iter()
        .find(|file| context.is_available(file.as_str()))
    {
        return Err(Decline::Workspace { file: file.clone() });
    }
    let module = module_path(go, context)?;
    let mut roots: Vec<String> = Vec::new();
    for package in built {
        let folder = package_folder(go, package, target, &module)?;
        if !roots.contains(&folder) {
            roots.push(folder);
        }
    }
    let folders = needed_folders(go, context, &module, &roots)?;
    let mut files = view.module_files();
    if folders.contains("") {
        files.extend(
            files_in(context, "")
                .into_iter()
                .filter(|(name, _)| go.is_package_file(name) && !go.test_files.matches(name))
                .map(|(_, path)| path),
        );
    }
    Ok(Reads {
        files,
        folders: folders.into_iter().filter(|f| !f.is_empty()).collect(),
    })
}

/// The context folder of one package a build command names: a relative path (a folder, or a
/// `.go` file whose folder it is) resolved where the command runs, or an import path of the
/// module.
fn package_folder(
    go: &GoSources,
    built: &BuiltPackage,
    target: &str,
    module: &str,
) -> Result<String, Decline> {
    let package = built.package.as_str();
    let declined = |pattern: bool| {
        let (command, package) = (built.command.clone(), package.to_owned());
        match pattern {
            true => Decline::Pattern { command, package },
            false => Decline::OutsideModule { command, package },
        }
    };
    if package.contains("...") {
        return Err(declined(true));
    }
    let is_file = go
        .source_files
        .matches(package.rsplit('/').next().unwrap_or(package));
    let is_path = package.starts_with(['.', '/']) || is_file;
    if !is_path {
        return module_folder(module, package).ok_or_else(|| declined(false));
    }
    let folder = match is_file {
        true => format!("{package}/.."),
        false => package.to_owned(),
    };
    context_folder(&folder, &built.cwd, target).ok_or_else(|| declined(false))
}

/// The module path the module file declares, or why the module cannot be read.
fn module_path(spec: &GoSources, context: &BuildContext) -> Result<String, Decline> {
    let file = spec.module_file.clone();
    let text = context
        .read_to_string(&file)
        .map_err(|_| Decline::NoModule { file: file.clone() })?;
    if text.lines().any(|line| spec.local_replace.is_match(line)) {
        return Err(Decline::LocalReplace { file });
    }
    text.lines()
        .find_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("module"))
                .then(|| words.next())
                .flatten()
        })
        .map(|path| path.trim_matches('"').to_owned())
        .ok_or(Decline::NoModule { file })
}

/// Every folder of the module that building `roots` reads.
fn needed_folders(
    spec: &GoSources,
    context: &BuildContext,
    module: &str,
    roots: &[String],
) -> Result<BTreeSet<String>, Decline> {
    let mut seen: BTreeSet<String> = roots.iter().cloned().collect();
    let mut queue: VecDeque<String> = seen.iter().cloned().collect();
    while let Some(folder) = queue.pop_front() {
        for import in folder_imports(spec, context, &folder)? {
            let Some(found) = module_folder(module, &import) else {
                continue;
            };
            if seen.insert(found.clone()) {
                queue.push_back(found);
            }
        }
    }
    Ok(seen)
}

/// The folder of an import path of the module, `None` for other modules and the standard
/// library.
fn module_folder(module: &str, import: &str) -> Option<String> {
    if import == module {
        return Some(String::new());
    }
    import
        .strip_prefix(module)
        .and_then(|rest| rest.strip_prefix('/'))
        .map(str::to_owned)
}

/// `folder/name`, or `name` at the root.
pub(super) fn joined(folder: &str, name: &str) -> String {
    match folder {
        "" => name.to_owned(),
        folder => format!("{folder}/{name}"),
    }
}

/// The imports of the non-test Go files of one package folder.
fn folder_imports(
    spec: &GoSources,
    context: &BuildContext,
    folder: &str,
) -> Result<Vec<String>, Decline> {
    if !folder.is_empty() {
        if !context.is_available(folder) || !context.is_dir(folder) {
            return Err(Decline::MissingPackage {
                folder: folder.to_owned(),
            });
        }
        if context.is_available(joined(folder, &spec.module_file)) {
            return Err(Decline::NestedModule {
                folder: folder.to_owned(),
            });
        }
    }
    let sources = source_files(spec, context, folder);
    if sources.is_empty() {
        return Err(Decline::NoSources {
            folder: shown_folder(folder),
        });
    }
    let mut found = Vec::new();
    for file in sources {
        found.extend(file_imports(spec, context, &file)?);
    }
    for file in other_package_files(spec, context, folder) {
        // C and assembly files: only their includes matter, and a binary file says nothing.
        if let Ok(text) = context.read_to_string(&file) {
            if text.lines().any(|line| spec.outside_folder.is_match(line)) {
                return Err(Decline::OutsideFolder { file });
            }
        }
    }
    Ok(found)
}

/// The Go files of a folder the go command builds: not tests, not named `_x` or `.x`.
fn source_files(spec: &GoSources, context: &BuildContext, folder: &str) -> Vec<String> {
    files_in(context, folder)
        .into_iter()
        .filter(|(name, _)| {
            spec.source_files.matches(name)
                && !spec.test_files.matches(name)
                && !name.starts_with(['_', '.'])
        })
        .map(|(_, path)| path)
        .collect()
}

/// The package files of a folder that are not Go files.
fn other_package_files(spec: &GoSources, context: &BuildContext, folder: &str) -> Vec<String> {
    files_in(context, folder)
        .into_iter()
        .filter(|(name, _)| spec.is_package_file(name) && !spec.source_files.matches(name))
        .map(|(_, path)| path)
        .collect()
}

/// The available files directly in a folder: (name, context path).
pub(super) fn files_in(context: &BuildContext, folder: &str) -> Vec<(String, String)> {
    context
        .glob(&joined(folder, "*"))
        .into_iter()
        .filter(|path| !context.is_dir(path))
        .filter_map(|path| {
            let path = path.to_str()?.to_owned();
            let name = path.rsplit('/').next()?.to_owned();
            Some((name, path))
        })
        .collect()
}

/// What one Go file imports, or why it cannot be told.
fn file_imports(
    spec: &GoSources,
    context: &BuildContext,
    file: &str,
) -> Result<Vec<String>, Decline> {
    let named = || file.to_owned();
    let text = context
        .read_to_string(file)
        .map_err(|_| Decline::Unreadable { file: named() })?;
    if text.trim().is_empty() {
        return Err(Decline::EmptySource { file: named() });
    }
    if text.lines().any(|line| spec.embed.is_match(line)) {
        return Err(Decline::Embed { file: named() });
    }
    if text.lines().any(|line| spec.outside_folder.is_match(line)) {
        return Err(Decline::OutsideFolder { file: named() });
    }
    imports(&text).ok_or_else(|| Decline::Unparsable { file: named() })
}

/// A folder for messages: the root is `.`.
pub(super) fn shown_folder(folder: &str) -> String {
    match folder {
        "" => ".".to_owned(),
        folder => folder.to_owned(),
    }
}
