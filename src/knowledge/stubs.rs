//! Stand-in sources for a dependency-only build (Cargo): the root file of every target the
//! manifest declares or the build tool would find (a library, programs, examples, a build
//! script), written as a stub before the dependencies are built with only the manifests copied,
//! and touched once the real sources are copied so the tool rebuilds the package.

use crate::context::manifests::toml_lookup;
use crate::context::ContextFiles;
use crate::model::shell::quote_word;
use serde::Deserialize;
use std::path::Path;

/// The targets of a manifest and where their root files are.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StubSpec {
    /// The manifest declaring the targets (`Cargo.toml`).
    pub manifest: String,
    /// Dotted keys that make the project unfit for stubs (`workspace`).
    #[serde(default)]
    pub unsupported: Vec<String>,
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

impl StubSpec {
    /// The stubs the project needs, or why stubs cannot stand in for its sources.
    pub fn stubs(&self, context: &dyn ContextFiles) -> Result<Vec<Stub>, String> {
        let manifest = &self.manifest;
        let text = context
            .read_to_string(Path::new(manifest))
            .map_err(|_| format!("{manifest} cannot be read"))?;
        let table: toml::Table = text
            .parse()
            .map_err(|_| format!("{manifest} is not valid TOML"))?;
        if let Some(key) = self
            .unsupported
            .iter()
            .find(|key| toml_lookup(&table, key).is_some())
        {
            return Err(format!("{manifest}: {key}"));
        }
        if let Some(path) = self.local_path_outside_targets(&table) {
            return Err(format!("{manifest}: {path} is a local path dependency"));
        }
        let package = toml_lookup(&table, "package.name").and_then(toml::Value::as_str);
        let mut stubs: Vec<Stub> = Vec::new();
        for target in &self.targets {
            for path in target.root_files(&table, package, context, manifest)? {
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
    /// The dotted key of a `path` outside the target declarations and `[package]` (a local
    /// path dependency or patch, whose sources the stub build would need).
    fn local_path_outside_targets(&self, table: &toml::Table) -> Option<String> {
        let targets: Vec<&str> = self
            .targets
            .iter()
            .map(|target| target.key.split('.').next().unwrap_or(&target.key))
            .collect();
        table
            .iter()
            .filter(|(key, _)| !targets.contains(&key.as_str()))
            .find_map(|(key, value)| path_key(key, value))
    }
}

/// The dotted key of the first `path` key inside `value` (named `key`).
fn path_key(key: &str, value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::Table(table) => table.iter().find_map(|(name, inner)| {
            if name == "path" {
                Some(format!("{key}.path"))
            } else {
                path_key(&format!("{key}.{name}"), inner)
            }
        }),
        toml::Value::Array(items) => items.iter().find_map(|item| path_key(key, item)),
        _ => None,
    }
}

impl StubTarget {
    /// The root files of the declared (or discovered) targets of this kind.
    fn root_files(
        &self,
        table: &toml::Table,
        package: Option<&str>,
        context: &dyn ContextFiles,
        manifest: &str,
    ) -> Result<Vec<String>, String> {
        let available = |path: &str| context.is_available(Path::new(path));
        let declarations: Vec<&toml::Value> = match toml_lookup(table, &self.key) {
            None if self.discovered => {
                return Ok(self
                    .defaults
                    .iter()
                    .filter(|path| !path.contains("{name}") && available(path))
                    .cloned()
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
                .and_then(toml::Value::as_str)
                .map(|path| path.trim_start_matches("./").to_owned());
            let name = declaration
                .get("name")
                .and_then(toml::Value::as_str)
                .or(package);
            let path = named.or_else(|| {
                self.defaults
                    .iter()
                    .map(|default| default.replace("{name}", name.unwrap_or_default()))
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
