//! Stand-in sources for a dependency-only build (Cargo): the root file of every target the
//! manifest declares or the build tool would find (a library, programs, examples, a build
//! script), written as a stub before the dependencies are built with only the manifests copied,
//! and touched once the real sources are copied so the tool rebuilds the package. In a
//! workspace, every member's targets are stubbed and the members' manifests copied first.

use crate::context::manifests::toml_lookup;
use crate::context::ContextFiles;
use crate::model::shell::quote_word;
use serde::Deserialize;
use std::path::Path;

pub mod workspace;

/// The targets of a manifest and where their root files are.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StubSpec {
    /// The manifest declaring the targets (`Cargo.toml`).
    pub manifest: String,
    /// Dotted keys that make the project unfit for stubs (`package.workspace`).
    #[serde(default)]
    pub unsupported: Vec<String>,
    /// The root manifest's table declaring a workspace (`workspace`): every member's manifest
    /// is copied first and every member's targets are stubbed. Without it, such a table makes
    /// the project unfit.
    #[serde(default)]
    pub workspace: Option<String>,
    /// Tables whose local `path` entries replace sources (`patch`, `replace`): unfit.
    #[serde(default)]
    pub patches: Vec<String>,
    pub targets: Vec<StubTarget>,
}

/// One kind of target.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StubTarget {
    /// The dotted key declaring targets of this kind: a table (`lib`), an array of tables
    /// (`bin`), or a path string or `false` (`package.build`).
    pub key: String,
    /// Where a target's root file is when its declaration names no `path`, first available
    /// first; `{name}` is the target's `name` (or the package's).
    pub defaults: Vec<String>,
    /// Whether the tool finds the `defaults` (without `{name}`) that exist even when the key is
    /// absent (`src/main.rs`, `src/lib.rs`, `build.rs`).
    #[serde(default)]
    pub discovered: bool,
    /// What the stub holds (`fn main() {}`; empty for a library).
    #[serde(default)]
    pub content: String,
}

/// A stub: the root file's path in the build context and its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stub {
    pub path: String,
    pub content: String,
}

/// What the stand-in build needs: the stubs, and the manifests copied first besides the
/// profile's dependency files (a workspace's members').
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stubs {
    pub stubs: Vec<Stub>,
    pub manifests: Vec<String>,
}

impl StubSpec {
    /// The stubs the project needs, or why stubs cannot stand in for its sources.
    pub fn stubs(&self, context: &dyn ContextFiles) -> Result<Stubs, String> {
        let manifest = &self.manifest;
        let root = self.read(context, manifest)?;
        self.check_unsupported(&root, manifest)?;
        let declared = self
            .workspace
            .as_deref()
            .filter(|key| toml_lookup(&root, key).is_some());
        let Some(key) = declared else {
            if let Some(path) = self.local_path_outside_targets(&root) {
                return Err(format!("{manifest}: {} is a local path dependency", path.0));
            }
            return Ok(Stubs {
                stubs: self.package_stubs(&root, "", context, manifest)?,
                manifests: Vec::new(),
            });
        };
        let members = self.members(&root, key, context)?;
        let mut stubs: Vec<Stub> = Vec::new();
        let mut manifests = Vec::new();
        for folder in &members {
            let path = workspace::joined(folder, manifest);
            let table = match folder.is_empty() {
                true => root.clone(),
                false => {
                    let table = self.read(context, &path)?;
                    self.check_unsupported(&table, &path)?;
                    if toml_lookup(&table, key).is_some() {
                        return Err(format!(
                            "{path}: {key} (a workspace member declaring its own workspace)"
                        ));
                    }
                    manifests.push(path.clone());
                    table
                }
            };
            self.check_member_paths(&table, folder, &path, &members)?;
            for stub in self.package_stubs(&table, folder, context, &path)? {
                if !stubs.iter().any(|known| known.path == stub.path) {
                    stubs.push(stub);
                }
            }
        }
        if !root.contains_key("package") {
            // A virtual manifest: its own `[patch]` and `[workspace.dependencies]` paths.
            self.check_member_paths(&root, "", manifest, &members)?;
        }
        Ok(Stubs { stubs, manifests })
    }

    /// A manifest of the context, parsed.
    fn read(&self, context: &dyn ContextFiles, manifest: &str) -> Result<toml::Table, String> {
        let text = context
            .read_to_string(Path::new(manifest))
            .map_err(|_| format!("{manifest} cannot be read"))?;
        text.parse()
            .map_err(|_| format!("{manifest} is not valid TOML"))
    }

    fn check_unsupported(&self, table: &toml::Table, manifest: &str) -> Result<(), String> {
        match self
            .unsupported
            .iter()
            .find(|key| toml_lookup(table, key).is_some())
        {
            Some(key) => Err(format!("{manifest}: {key}")),
            None => Ok(()),
        }
    }

    /// The workspace members' folders: the root when it is a package, then those `members`
    /// names, each once. A `members` entry naming no folder is unfit.
    fn members(
        &self,
        root: &toml::Table,
        key: &str,
        context: &dyn ContextFiles,
    ) -> Result<Vec<String>, String> {
        let manifest = &self.manifest;
        let patterns = workspace::members(root, context).map_err(|pattern| {
            format!("{manifest}: the {key} member {pattern} is outside the build context")
        })?;
        let mut members: Vec<String> = Vec::new();
        if root.contains_key("package") {
            members.push(String::new());
        }
        for pattern in patterns {
            if pattern.pattern.contains("**") {
                // Cargo's `**` crosses folders; the context's globs match one folder each.
                return Err(format!(
                    "{manifest}: the {key} member {} uses `**`",
                    pattern.pattern
                ));
            }
            if pattern.folders.is_empty() {
                return Err(format!(
                    "{manifest}: the {key} member {} names no folder of the build context (after `exclude`)",
                    pattern.pattern
                ));
            }
            for folder in pattern.folders {
                if !members.contains(&folder) {
                    members.push(folder);
                }
            }
        }
        if members.is_empty() {
            return Err(format!("{manifest}: {key} has no members"));
        }
        Ok(members)
    }

    /// A local `path` of a member's manifest outside its targets and `[package]` must be a
    /// dependency on another member: a patch, or a package the stubs do not cover, is unfit.
    fn check_member_paths(
        &self,
        table: &toml::Table,
        folder: &str,
        manifest: &str,
        members: &[String],
    ) -> Result<(), String> {
        for (key, path) in self.local_paths_outside_targets(table) {
            let top = key.split('.').next().unwrap_or_default();
            if self.patches.iter().any(|patch| patch == top) {
                return Err(format!("{manifest}: {key} is a local path patch"));
            }
            // `workspace.dependencies` paths are read from the root.
            let base = match top {
                "workspace" => "",
                _ => folder,
            };
            let member = (!path.is_empty())
                .then(|| workspace::relative(base, path.trim_end_matches('/')))
                .flatten();
            if !member.is_some_and(|member| members.contains(&member)) {
                return Err(format!(
                    "{manifest}: {key} is a local path dependency outside the workspace members"
                ));
            }
        }
        Ok(())
    }

    /// The stubs of one package's targets, its folder being `folder` (`""` for the root).
    fn package_stubs(
        &self,
        table: &toml::Table,
        folder: &str,
        context: &dyn ContextFiles,
        manifest: &str,
    ) -> Result<Vec<Stub>, String> {
        let package = toml_lookup(table, "package.name").and_then(toml::Value::as_str);
        let mut stubs: Vec<Stub> = Vec::new();
        for target in &self.targets {
            for path in target.root_files(table, package, folder, context, manifest)? {
                if !stubs.iter().any(|stub| stub.path == path) {
                    stubs.push(Stub {
                        path,
                        content: target.content.clone(),
                    });
                }
            }
        }
        if stubs.is_empty() {
            return Err(format!(
                "{manifest} declares no target the build context has"
            ));
        }
        Ok(stubs)
    }
}

impl StubSpec {
    /// The first local `path` outside the target declarations and `[package]` (a local path
    /// dependency or patch, whose sources the stub build would need): its dotted key and value.
    fn local_path_outside_targets<'t>(&self, table: &'t toml::Table) -> Option<(String, &'t str)> {
        self.local_paths_outside_targets(table).into_iter().next()
    }

    /// Every `path` outside the target declarations and `[package]`: dotted key and value.
    fn local_paths_outside_targets<'t>(&self, table: &'t toml::Table) -> Vec<(String, &'t str)> {
        let targets: Vec<&str> = self
            .targets
            .iter()
            .map(|target| target.key.split('.').next().unwrap_or(&target.key))
            .collect();
        let mut found = Vec::new();
        for (key, value) in table
            .iter()
            .filter(|(key, _)| !targets.contains(&key.as_str()))
        {
            path_keys(key, value, &mut found);
        }
        found
    }
}

/// The dotted keys and values of the `path` keys inside `value` (named `key`).
fn path_keys<'t>(key: &str, value: &'t toml::Value, found: &mut Vec<(String, &'t str)>) {
    match value {
        toml::Value::Table(table) => {
            for (name, inner) in table {
                match (name.as_str(), inner) {
                    ("path", toml::Value::String(path)) => {
                        found.push((format!("{key}.path"), path.as_str()))
                    }
                    ("path", _) => found.push((format!("{key}.path"), "")),
                    _ => path_keys(&format!("{key}.{name}"), inner, found),
                }
            }
        }
        toml::Value::Array(items) => items.iter().for_each(|item| path_keys(key, item, found)),
        _ => {}
    }
}

impl StubTarget {
    /// The root files (context paths) of the declared (or discovered) targets of this kind in
    /// the package whose folder is `folder`.
    fn root_files(
        &self,
        table: &toml::Table,
        package: Option<&str>,
        folder: &str,
        context: &dyn ContextFiles,
        manifest: &str,
    ) -> Result<Vec<String>, String> {
        let available = |path: &str| context.is_available(Path::new(path));
        let in_folder = |path: &str| workspace::joined(folder, path);
        let declarations: Vec<&toml::Value> = match toml_lookup(table, &self.key) {
            None if self.discovered => {
                return Ok(self
                    .defaults
                    .iter()
                    .filter(|path| !path.contains("{name}"))
                    .map(|path| in_folder(path))
                    .filter(|path| available(path))
                    .collect())
            }
            None | Some(toml::Value::Boolean(false)) => return Ok(Vec::new()),
            Some(toml::Value::Array(items)) => items.iter().collect(),
            Some(value) => vec![value],
        };
        let mut paths = Vec::new();
        for declaration in declarations {
            let named = declaration
                .get("path")
                .or(Some(declaration).filter(|v| v.is_str()))
                .and_then(toml::Value::as_str);
            let named = match named {
                Some(path) => Some(workspace::relative(folder, path).ok_or_else(|| {
                    format!(
                        "{manifest}: {} root file {path} is outside the build context",
                        self.key
                    )
                })?),
                None => None,
            };
            let name = declaration
                .get("name")
                .and_then(toml::Value::as_str)
                .or(package);
            let path = named.or_else(|| {
                self.defaults
                    .iter()
                    .map(|default| in_folder(&default.replace("{name}", name.unwrap_or_default())))
                    .find(|path| available(path))
            });
            match path {
                Some(path) if available(&path) => paths.push(path),
                Some(path) => {
                    return Err(format!(
                        "{manifest}: {} root file {path} is not in the build context",
                        self.key
                    ))
                }
                None => {
                    return Err(format!(
                        "{manifest}: where the {} target {} is cannot be told",
                        self.key,
                        name.unwrap_or("?")
                    ))
                }
            }
        }
        Ok(paths)
    }
}

/// The shell commands that write `stubs` (creating their folders).
pub fn write_command(stubs: &[Stub]) -> String {
    let mut folders: Vec<&str> = stubs
        .iter()
        .filter_map(|stub| stub.path.rsplit_once('/').map(|(folder, _)| folder))
        .collect();
    folders.sort_unstable();
    folders.dedup();
    let mut commands = Vec::new();
    if !folders.is_empty() {
        let words: Vec<String> = folders.iter().map(|f| quote_word(f)).collect();
        commands.push(format!("mkdir -p {}", words.join(" ")));
    }
    // One command per content: `: > a` for empty files, `echo CONTENT > a`, or through `tee`
    // for several.
    let mut contents: Vec<&str> = stubs.iter().map(|stub| stub.content.as_str()).collect();
    contents.dedup();
    contents.sort_unstable();
    contents.dedup();
    for content in contents {
        let paths: Vec<String> = stubs
            .iter()
            .filter(|stub| stub.content == content)
            .map(|stub| quote_word(&stub.path))
            .collect();
        commands.push(match (content.is_empty(), paths.as_slice()) {
            (true, _) => paths
                .iter()
                .map(|path| format!(": > {path}"))
                .collect::<Vec<_>>()
                .join(" && "),
            (false, [path]) => format!("echo {} > {path}", quote_word(content)),
            (false, _) => format!(
                "echo {} | tee {} > /dev/null",
                quote_word(content),
                paths.join(" ")
            ),
        });
    }
    commands.join(" && ")
}

/// The stubs' paths as shell words, separated by spaces.
pub fn path_words(stubs: &[Stub]) -> String {
    stubs
        .iter()
        .map(|stub| quote_word(&stub.path))
        .collect::<Vec<_>>()
        .join(" ")
}
