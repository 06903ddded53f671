//! What a Cargo build reads, from its manifests: the root manifest and the files beside it, then
//! for every package cargo loads (the root package, the workspace members, the local path
//! dependencies) its manifest, the folders of the targets it builds and the files of the targets
//! cargo checks on load. A build script, a dependency whose macros read the package's files, a
//! path outside the context and a configuration naming a file not copied decline. Paths are
//! relative to the build context root (`""` for the root itself).

use super::commands::{context_folder, BuiltPackage};
use super::decline::Decline;
use super::packages::joined;
use super::rust_source;
use super::{Reads, StageView};
use crate::context::BuildContext;
use crate::knowledge::narrow::CargoSources;
use crate::knowledge::stubs::workspace;
pub(super) use crate::knowledge::stubs::workspace::relative;
use std::collections::VecDeque;
use toml::{Table, Value};

/// What the Cargo build reads, or why that cannot be told.
pub(super) fn reads(
    view: &StageView,
    cargo: &CargoSources,
    built: &[BuiltPackage],
    target: &str,
) -> Result<Reads, Decline> {
    let context = view.context;
    let root = manifest(cargo, context, "")?;
    if root
        .get("package")
        .and_then(|package| package.get("workspace"))
        .is_some()
    {
        return Err(Decline::WorkspaceElsewhere {
            manifest: cargo.manifest.clone(),
        });
    }
    let members = members(cargo, context, &root)?;
    let mut workspace = Workspace::default();
    let mut queue: VecDeque<String> = std::iter::once(String::new()).chain(members).collect();
    let mut seen: Vec<String> = queue.iter().cloned().collect();
    while let Some(folder) = queue.pop_front() {
        for dependency in workspace.add_package(cargo, context, &folder)? {
            if !seen.contains(&dependency) {
                seen.push(dependency.clone());
                queue.push_back(dependency);
            }
        }
    }
    let mut local_files = Vec::new();
    for package in built {
        let folder = match package.package.starts_with(['.', '/']) {
            true => context_folder(&package.package, &package.cwd, target),
            false => None,
        };
        let Some(folder) = folder.filter(|folder| seen.contains(folder)) else {
            return Err(Decline::OutsideModule {
                command: package.command.clone(),
                package: package.package.clone(),
            });
        };
        local_files.extend(files_above(view, &package.cwd, target, &folder));
    }
    rust_source::check_folders(cargo, context, &workspace.folders, &workspace.files)?;
    let mut files = workspace.manifests;
    files.splice(1..1, view.module_files());
    files.extend(local_files);
    files.extend(workspace.files);
    let copied: Vec<String> = files
        .iter()
        .chain(&workspace.folders)
        .chain(&view.spec.folders)
        .cloned()
        .collect();
    let configs = files.iter().filter(|file| {
        cargo
            .config_files
            .iter()
            .any(|c| file.ends_with(c.as_str()))
    });
    for config in configs {
        check_config(context, config, &copied)?;
    }
    Ok(Reads {
        files,
        folders: workspace.folders,
    })
}

/// The `module_files` (configuration, toolchain) cargo and rustup read in the folders between
/// the root and where a build runs or the package it builds, below the root.
fn files_above(view: &StageView, cwd: &str, target: &str, package: &str) -> Vec<String> {
    let mut folders: Vec<String> = Vec::new();
    for start in [context_folder(".", cwd, target), Some(package.to_owned())]
        .into_iter()
        .flatten()
    {
        let mut folder = start;
        while !folder.is_empty() {
            if !folders.contains(&folder) {
                folders.push(folder.clone());
            }
            folder = relative(&folder, "..").unwrap_or_default();
        }
    }
    folders
        .iter()
        .flat_map(|folder| {
            view.spec
                .module_files
                .iter()
                .map(move |file| joined(folder, file))
        })
        .filter(|file| view.context.is_available(file.as_str()))
        .collect()
}

/// The packages' paths found so far.
#[derive(Default)]
struct Workspace {
    /// The manifests, the root's first.
    manifests: Vec<String>,
    /// The target folders copied whole.
    folders: Vec<String>,
    /// The target files copied (targets cargo checks on load).
    files: Vec<String>,
}

impl Workspace {
    /// Adds the package (or virtual manifest) in `folder`; gives the folders of its local path
    /// dependencies.
    fn add_package(
        &mut self,
        cargo: &CargoSources,
        context: &BuildContext,
        folder: &str,
    ) -> Result<Vec<String>, Decline> {
        let path = joined(folder, &cargo.manifest);
        let table = manifest(cargo, context, folder)?;
        self.manifests.push(path.clone());
        if let Some(dependency) = tree_reader(cargo, &table) {
            return Err(Decline::TreeReader {
                manifest: path,
                dependency,
            });
        }
        let dependencies = path_dependencies(cargo, &table, folder, &path)?;
        let Some(package) = table.get("package") else {
            return Ok(dependencies);
        };
        if let Some(file) = build_script(cargo, context, folder, package) {
            return Err(Decline::BuildScript { file });
        }
        let source = joined(folder, &cargo.source_folder);
        if context.is_available(&source) && context.is_dir(&source) {
            self.add_folder(source);
        }
        for key in &cargo.built_targets {
            for target_path in target_tables(&table, key).filter_map(|t| string(t, "path")) {
                let file =
                    relative(folder, target_path).ok_or_else(|| outside(&path, target_path))?;
                let parent = relative(&file, "..").unwrap_or_default();
                if parent.is_empty() {
                    return Err(Decline::RootTarget {
                        manifest: path,
                        file,
                    });
                }
                self.add_folder(parent);
            }
        }
        for declared in &cargo.declared_targets {
            for target in target_tables(&table, &declared.key) {
                let candidates: Vec<String> = match (string(target, "path"), string(target, "name"))
                {
                    (Some(given), _) => vec![given.to_owned()],
                    (None, Some(name)) => declared
                        .defaults
                        .iter()
                        .map(|default| default.replace("{name}", name))
                        .collect(),
                    (None, None) => Vec::new(),
                };
                let found = candidates
                    .iter()
                    .filter_map(|candidate| relative(folder, candidate))
                    .find(|file| context.is_available(file));
                if let Some(file) = found {
                    self.add_file(file);
                }
            }
        }
        Ok(dependencies)
    }

    fn add_folder(&mut self, folder: String) {
        if !self.folders.contains(&folder) {
            self.folders.push(folder);
        }
    }

    fn add_file(&mut self, file: String) {
        if !self.files.contains(&file) {
            self.files.push(file);
        }
    }
}

/// The manifest in `folder`, read.
fn manifest(cargo: &CargoSources, context: &BuildContext, folder: &str) -> Result<Table, Decline> {
    let file = joined(folder, &cargo.manifest);
    let is_folder = folder.is_empty() || (context.is_available(folder) && context.is_dir(folder));
    if !is_folder {
        return Err(Decline::MissingPackage {
            folder: folder.to_owned(),
        });
    }
    let text = context
        .read_to_string(&file)
        .map_err(|_| match folder.is_empty() {
            true => Decline::NoManifest { file: file.clone() },
            false => Decline::MissingPackage {
                folder: folder.to_owned(),
            },
        })?;
    text.parse::<Table>()
        .map_err(|_| Decline::UnparsableManifest { file })
}

/// The workspace members the root manifest names (globs matched in the context), without the
/// excluded ones.
fn members(
    cargo: &CargoSources,
    context: &BuildContext,
    root: &Table,
) -> Result<Vec<String>, Decline> {
    let patterns =
        workspace::members(root, context).map_err(|pattern| outside(&cargo.manifest, &pattern))?;
    Ok(patterns
        .into_iter()
        .flat_map(|pattern| pattern.folders)
        .collect())
}

/// The first dependency (by its crate name) of the manifest whose macros read files.
fn tree_reader(cargo: &CargoSources, table: &Table) -> Option<String> {
    dependency_entries(cargo, table)
        .map(|(key, value)| string(value, "package").unwrap_or(key).to_owned())
        .find(|name| cargo.tree_readers.contains(name))
}

/// The folders of the manifest's local path dependencies.
fn path_dependencies(
    cargo: &CargoSources,
    table: &Table,
    folder: &str,
    manifest: &str,
) -> Result<Vec<String>, Decline> {
    dependency_entries(cargo, table)
        .filter_map(|(_, value)| string(value, "path"))
        .map(|path| relative(folder, path).ok_or_else(|| outside(manifest, path)))
        .collect()
}

/// Every entry (name, value) of the manifest's dependency tables.
fn dependency_entries<'t>(
    cargo: &'t CargoSources,
    table: &'t Table,
) -> impl Iterator<Item = (&'t str, &'t Value)> + 't {
    cargo
        .dependency_tables
        .iter()
        .flat_map(move |key| tables_at(table, key))
        .flat_map(|dependencies| {
            dependencies
                .iter()
                .map(|(name, value)| (name.as_str(), value))
        })
}

/// The tables at a dotted key, `*` standing for every key of a table.
fn tables_at<'t>(table: &'t Table, key: &str) -> Vec<&'t Table> {
    let mut found = vec![table];
    for part in key.split('.') {
        found = found
            .into_iter()
            .flat_map(|table| -> Vec<&Table> {
                match part {
                    "*" => table.values().filter_map(Value::as_table).collect(),
                    part => table
                        .get(part)
                        .and_then(Value::as_table)
                        .into_iter()
                        .collect(),
                }
            })
            .collect();
    }
    found
}

/// The tables of a target key: `[lib]` is one, `[[bin]]` an array of them.
fn target_tables<'t>(table: &'t Table, key: &str) -> impl Iterator<Item = &'t Value> + 't {
    let value = table.get(key);
    let one = value.filter(|value| value.is_table());
    let many = value.and_then(Value::as_array).into_iter().flatten();
    one.into_iter().chain(many)
}

/// The package's build script, when it has one.
fn build_script(
    cargo: &CargoSources,
    context: &BuildContext,
    folder: &str,
    package: &Value,
) -> Option<String> {
    match package.get("build") {
        Some(Value::String(file)) => Some(joined(folder, file)),
        Some(Value::Boolean(false)) => None,
        _ => {
            let file = joined(folder, &cargo.build_script);
            context.is_available(&file).then_some(file)
        }
    }
}

/// A configuration file (`.cargo/config.toml`) must name no context path that is not copied: a
/// source directory, a linker, a path override.
fn check_config(context: &BuildContext, file: &str, copied: &[String]) -> Result<(), Decline> {
    let Ok(text) = context.read_to_string(file) else {
        return Err(Decline::Unreadable {
            file: file.to_owned(),
        });
    };
    let table = text
        .parse::<Table>()
        .map_err(|_| Decline::UnparsableManifest {
            file: file.to_owned(),
        })?;
    let config = Value::Table(table);
    let mut strings = Vec::new();
    collect_strings(&config, &mut strings);
    let is_copied = |path: &str| {
        copied
            .iter()
            .any(|c| c == path || path.starts_with(&format!("{c}/")))
    };
    for word in strings
        .iter()
        .flat_map(|text| text.split(|c: char| c.is_whitespace() || c == '='))
    {
        let Some(path) = relative("", word.trim_start_matches("./")) else {
            continue;
        };
        if !path.is_empty() && context.is_available(&path) && !is_copied(&path) {
            return Err(Decline::ConfigNamesFile {
                file: file.to_owned(),
                path,
            });
        }
    }
    Ok(())
}

fn collect_strings<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::String(text) => out.push(text),
        Value::Array(items) => items.iter().for_each(|item| collect_strings(item, out)),
        Value::Table(table) => table.values().for_each(|item| collect_strings(item, out)),
        _ => {}
    }
}

/// A string entry of a table.
fn string<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

fn outside(manifest: &str, path: &str) -> Decline {
    Decline::OutsideContext {
        manifest: manifest.to_owned(),
        path: path.to_owned(),
    }
}
