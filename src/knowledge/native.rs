//! Dependencies that link system libraries: which entries of a profile's `[runtime.native]`
//! table a build context's manifests and lock files name, and the Debian packages a slim
//! runtime needs for them.
//!
//! Full toolchain images (buildpack-deps) come with many `-dev` libraries, so a dependency
//! compiled during the install links against them; a slim runtime image lacks the matching
//! runtime library. Each file format has a small reader that lists the dependency names it
//! declares or locks; files of unknown formats are read as words.

use super::image::ImageRelease;
use super::profile::Profile;
use crate::context::{manifests, ContextError, ContextFiles};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The Debian packages a dependency needs at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NativePackages {
    /// Space-separated package names that are the same on every Debian release; empty when
    /// the dependency needs nothing beyond the slim image.
    Any(String),
    /// Space-separated package names by Debian release codename (`bookworm`), for libraries
    /// renamed between releases (`libssl3` → `libssl3t64`).
    ByRelease(BTreeMap<String, String>),
}

impl<'de> Deserialize<'de> for NativePackages {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Any(String),
            ByRelease(BTreeMap<String, String>),
        }
        match Raw::deserialize(deserializer) {
            Ok(Raw::Any(names)) => Ok(NativePackages::Any(names)),
            Ok(Raw::ByRelease(table)) => Ok(NativePackages::ByRelease(table)),
            Err(_) => Err(serde::de::Error::custom(
                "expected Debian package names (a string) or a table of them by Debian release",
            )),
        }
    }
}

impl NativePackages {
    /// Every package name written, whatever the release (for validation).
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        let lists: Vec<&String> = match self {
            NativePackages::Any(names) => vec![names],
            NativePackages::ByRelease(table) => table.values().collect(),
        };
        lists.into_iter().flat_map(|names| names.split_whitespace())
    }
}

/// A dependency of the project that needs system packages in a slim Debian runtime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NativeNeed {
    /// The dependency as the profile names it (`psycopg2`, `openssl-sys`).
    pub dependency: String,
    /// The context-relative manifest or lock file that names it.
    pub file: PathBuf,
    /// What it needs, as written in the profile.
    pub needs: NativePackages,
}

impl NativeNeed {
    /// The packages to install on a runtime built on `release` (`None` when its distribution
    /// is unknown). Empty when the dependency needs nothing. An error, with the reason, when
    /// the names depend on a release that is unknown or not listed.
    pub fn packages(&self, release: Option<&ImageRelease>) -> Result<Vec<String>, String> {
        self.needs.for_release(&self.dependency, release)
    }
}

impl NativePackages {
    /// The package names on a runtime built on `release` (`None` when its distribution is
    /// unknown): the release's own entry of a table, else a plain name or the table's entry
    /// for the distribution (`debian`, `ubuntu`), which hold on the releases `images.toml`
    /// marks `plain` and on a distribution's current release. An error naming `what` needs
    /// them otherwise.
    pub fn for_release(
        &self,
        what: &str,
        release: Option<&ImageRelease>,
    ) -> Result<Vec<String>, String> {
        let words = |names: &str| names.split_whitespace().map(str::to_owned).collect();
        let dependency = what;
        // Plain names and a distribution's entry hold on its current and `plain` releases.
        let usual = release.is_none_or(|r| r.name.is_none() || r.plain);
        let table = match self {
            // Nothing to install holds everywhere.
            NativePackages::Any(names) if usual || names.trim().is_empty() => {
                return Ok(words(names))
            }
            NativePackages::Any(names) => {
                let release = release.map(release_name).unwrap_or_default();
                return Err(format!(
                    "{dependency} needs {names}, a package name dfmigrate knows for other releases than {release}"
                ));
            }
            NativePackages::ByRelease(table) => table,
        };
        let listed = table
            .iter()
            .map(|(release, names)| format!("{release}: {names}"))
            .collect::<Vec<_>>()
            .join(", ");
        let Some(release) = release else {
            return Err(format!(
                "{dependency} links a system library whose package name depends on the \
                 release ({listed}), and which release the program was built on is not known"
            ));
        };
        if let Some(names) = release.name.as_ref().and_then(|name| table.get(name)) {
            return Ok(words(names));
        }
        if let Some(names) = table.get(&release.family).filter(|_| usual) {
            return Ok(words(names));
        }
        match &release.name {
            None => Err(format!(
                "{dependency} links a system library whose package name depends on the \
                 release ({listed}), and which release the program was built on is not known"
            )),
            Some(name) => Err(format!(
                "{dependency} links a system library whose package name is known \
                 only for {listed}, not for {name}"
            )),
        }
    }
}

/// `debian stretch`, or the distribution's current release.
fn release_name(release: &ImageRelease) -> String {
    match &release.name {
        Some(name) => format!("{} {name}", release.family),
        None => format!("the current {} release", release.family),
    }
}

/// The `[runtime.native]` dependencies of `profile` the context's files name; see
/// [`Profile::native_needs`].
pub(super) fn native_needs(
    profile: &Profile,
    context: &dyn ContextFiles,
) -> Result<Vec<NativeNeed>, ContextError> {
    let Some(native) = profile.runtime.as_ref().map(|runtime| &runtime.native) else {
        return Ok(Vec::new());
    };
    if native.is_empty() {
        return Ok(Vec::new());
    }
    let files = &profile.files;
    let globs = files
        .manifests
        .iter()
        .chain(&files.locks)
        .map(String::as_str);
    let mut needs: Vec<NativeNeed> = Vec::new();
    for (path, text) in manifests::read_files(context, globs) {
        let text = text?;
        let format = Format::of(&path);
        let names = format
            .dependencies(&text)
            .map_err(|message| ContextError::Io {
                path: path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, message),
            })?;
        for (dependency, packages) in native {
            let known = needs.iter().any(|need| &need.dependency == dependency);
            if !known && names.iter().any(|name| format.same_name(name, dependency)) {
                needs.push(NativeNeed {
                    dependency: dependency.clone(),
                    file: path.clone(),
                    needs: packages.clone(),
                });
            }
        }
    }
    Ok(needs)
}

/// A manifest or lock file format, told by the file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// pip requirements and constraints files: one requirement per line.
    Requirements,
    /// `Pipfile`: package tables.
    Pipfile,
    /// `Pipfile.lock`: JSON objects of packages.
    PipfileLock,
    /// `pyproject.toml`: PEP 621, dependency groups, Poetry and uv tables.
    Pyproject,
    /// `Cargo.toml`: dependency tables.
    CargoManifest,
    /// `Cargo.lock`, `poetry.lock`, `uv.lock`, `pdm.lock`: `[[package]]` names.
    TomlLock,
    /// `Gemfile`: `gem "name"` lines.
    Gemfile,
    /// `Gemfile.lock`: the resolved specs.
    GemfileLock,
    /// `package.json`: dependency objects.
    PackageJson,
    /// `package-lock.json`, `npm-shrinkwrap.json`.
    PackageLock,
    /// `yarn.lock` (classic and berry).
    YarnLock,
    /// `pnpm-lock.yaml`.
    PnpmLock,
    /// Anything else: every word outside comment lines.
    Words,
}

impl Format {
    fn of(path: &Path) -> Format {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        match name {
            "Pipfile" => Format::Pipfile,
            "Pipfile.lock" => Format::PipfileLock,
            "pyproject.toml" => Format::Pyproject,
            "Cargo.toml" => Format::CargoManifest,
            "Cargo.lock" | "poetry.lock" | "uv.lock" | "pdm.lock" => Format::TomlLock,
            "Gemfile" | "gems.rb" => Format::Gemfile,
            "Gemfile.lock" | "gems.locked" => Format::GemfileLock,
            "package.json" => Format::PackageJson,
            "package-lock.json" | "npm-shrinkwrap.json" => Format::PackageLock,
            "yarn.lock" => Format::YarnLock,
            "pnpm-lock.yaml" => Format::PnpmLock,
            _ if name.ends_with(".txt") || name.ends_with(".in") => Format::Requirements,
            _ => Format::Words,
        }
    }

    /// Whether names compare loosely: case-insensitive with `-`, `_` and `.` equivalent (PyPI's
    /// normalization, PEP 503; crates.io names compare the same way).
    fn loose_names(self) -> bool {
        matches!(
            self,
            Format::Requirements
                | Format::Pipfile
                | Format::PipfileLock
                | Format::Pyproject
                | Format::CargoManifest
                | Format::TomlLock
        )
    }

    fn same_name(self, found: &str, dependency: &str) -> bool {
        if self.loose_names() {
            loose(found) == loose(dependency)
        } else {
            found == dependency
        }
    }

    /// The dependency names the file declares or locks, or why it cannot be read.
    fn dependencies(self, text: &str) -> Result<Vec<String>, String> {
        Ok(match self {
            Format::Requirements => text.lines().filter_map(requirement_line).collect(),
            Format::Pipfile => pipfile(&parse_toml(text)?),
            Format::PipfileLock => pipfile_lock(&parse_json(text)?),
            Format::Pyproject => pyproject(&parse_toml(text)?),
            Format::CargoManifest => cargo_manifest(&parse_toml(text)?),
            Format::TomlLock => toml_lock(&parse_toml(text)?),
            Format::Gemfile => text.lines().filter_map(gem_line).collect(),
            Format::GemfileLock => text.lines().filter_map(gem_spec_line).collect(),
            Format::PackageJson => package_json(&parse_json(text)?),
            Format::PackageLock => package_lock(&parse_json(text)?),
            Format::YarnLock => text.lines().flat_map(yarn_entry_names).collect(),
            Format::PnpmLock => pnpm_lock(text),
            Format::Words => words(text),
        })
    }
}

/// A name lowercased with runs of `-`, `_` and `.` as one `-`.
fn loose(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

fn parse_toml(text: &str) -> Result<toml::Table, String> {
    text.parse::<toml::Table>()
        .map_err(|error| format!("invalid TOML ({})", error.message()))
}

fn parse_json(text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|error| format!("invalid JSON ({error})"))
}

/// The project name a PEP 508 requirement starts with (`psycopg2>=2.9; …` → `psycopg2`).
fn requirement_name(requirement: &str) -> Option<String> {
    let text = requirement.trim_start();
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(text.len());
    let name = &text[..end];
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        .then(|| name.to_owned())
}

/// A requirements-file line's project; comments and options (`-r`, `--hash`) name none.
fn requirement_line(line: &str) -> Option<String> {
    let line = line.trim_start();
    if line.starts_with('#') || line.starts_with('-') {
        return None;
    }
    requirement_name(line)
}

/// The keys of the tables named by `keys` (dotted paths) that exist.
fn toml_keys(table: &toml::Table, paths: &[&str]) -> Vec<String> {
    paths
        .iter()
        .filter_map(|path| manifests::toml_lookup(table, path)?.as_table())
        .flat_map(|table| table.keys().cloned())
        .collect()
}

/// The project names in arrays of PEP 508 strings: `[project] dependencies`, or every array of
/// a table such as `[project.optional-dependencies]`.
fn requirement_strings(value: Option<&toml::Value>) -> Vec<String> {
    let arrays: Vec<&Vec<toml::Value>> = match value {
        Some(toml::Value::Array(array)) => vec![array],
        Some(toml::Value::Table(table)) => table.values().filter_map(|v| v.as_array()).collect(),
        _ => Vec::new(),
    };
    arrays
        .into_iter()
        .flatten()
        .filter_map(|item| requirement_name(item.as_str()?))
        .collect()
}

/// Every package table but the settings ones (`[packages]`, `[dev-packages]`, categories).
fn pipfile(table: &toml::Table) -> Vec<String> {
    table
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "source" | "requires" | "scripts" | "pipenv"))
        .filter_map(|(_, value)| value.as_table())
        .flat_map(|packages| packages.keys().cloned())
        .collect()
}

/// Every package object but `_meta` (`default`, `develop`, categories).
fn pipfile_lock(value: &serde_json::Value) -> Vec<String> {
    let Some(object) = value.as_object() else {
        return Vec::new();
    };
    object
        .iter()
        .filter(|(name, _)| name.as_str() != "_meta")
        .filter_map(|(_, packages)| packages.as_object())
        .flat_map(|packages| packages.keys().cloned())
        .collect()
}

fn pyproject(table: &toml::Table) -> Vec<String> {
    let mut names = requirement_strings(manifests::toml_lookup(table, "project.dependencies"));
    for key in [
        "project.optional-dependencies",
        "dependency-groups",
        "tool.uv.dev-dependencies",
    ] {
        names.extend(requirement_strings(manifests::toml_lookup(table, key)));
    }
    names.extend(toml_keys(
        table,
        &["tool.poetry.dependencies", "tool.poetry.dev-dependencies"],
    ));
    if let Some(groups) =
        manifests::toml_lookup(table, "tool.poetry.group").and_then(|g| g.as_table())
    {
        for group in groups.values().filter_map(|g| g.as_table()) {
            names.extend(toml_keys(group, &["dependencies"]));
        }
    }
    names
}

/// `[dependencies]`, `[workspace.dependencies]` and `[target.*.dependencies]`, under the
/// crate's own name when renamed (`ssl = { package = "openssl-sys" }`), each followed by a
/// `CRATE/FEATURE` entry for every feature the project may enable on it: its `features`,
/// `default` unless `default-features = false` (for a `workspace = true` dependency, the
/// workspace's entry decides), and the package's own `[features]` that name `CRATE/FEATURE`
/// (or `CRATE?/FEATURE`), enabled by default or not. Development and build dependencies are not
/// linked into what runs.
fn cargo_manifest(table: &toml::Table) -> Vec<String> {
    let workspace =
        manifests::toml_lookup(table, "workspace.dependencies").and_then(|w| w.as_table());
    let mut tables: Vec<&toml::Table> = ["dependencies", "workspace.dependencies"]
        .iter()
        .filter_map(|key| manifests::toml_lookup(table, key)?.as_table())
        .collect();
    if let Some(targets) = table.get("target").and_then(|t| t.as_table()) {
        tables.extend(
            targets
                .values()
                .filter_map(|target| target.get("dependencies")?.as_table()),
        );
    }
    let default_off = |spec: &toml::Value| {
        ["default-features", "default_features"]
            .iter()
            .any(|key| spec.get(key).and_then(|v| v.as_bool()) == Some(false))
    };
    let features = |spec: Option<&toml::Value>| -> Vec<String> {
        spec.and_then(|s| s.get("features"))
            .and_then(|f| f.as_array())
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str().map(str::to_owned))
            .collect()
    };
    let mut names = Vec::new();
    // Dependency keys (renamed or not) → crate names, for `[features]`.
    let mut crates: BTreeMap<String, String> = BTreeMap::new();
    for (key, spec) in tables.into_iter().flat_map(|deps| deps.iter()) {
        let inherited = spec
            .get("workspace")
            .and_then(|w| w.as_bool())
            .filter(|inherits| *inherits)
            .and_then(|_| workspace?.get(key));
        let name = spec
            .get("package")
            .or_else(|| inherited?.get("package"))
            .and_then(|p| p.as_str())
            .unwrap_or(key)
            .to_owned();
        let off = default_off(inherited.unwrap_or(spec));
        if !off {
            names.push(format!("{name}/default"));
        }
        for feature in features(Some(spec)).into_iter().chain(features(inherited)) {
            names.push(format!("{name}/{feature}"));
        }
        crates.insert(key.clone(), name.clone());
        names.push(name);
    }
    let own = table.get("features").and_then(|f| f.as_table());
    for item in own
        .into_iter()
        .flat_map(|features| features.values())
        .filter_map(|list| list.as_array())
        .flatten()
        .filter_map(|item| item.as_str())
    {
        if let Some((dependency, feature)) = item.split_once('/') {
            let dependency = dependency.trim_end_matches('?');
            let name = crates.get(dependency).map_or(dependency, String::as_str);
            names.push(format!("{name}/{feature}"));
        }
    }
    names
}

/// The `name` of every `[[package]]`.
fn toml_lock(table: &toml::Table) -> Vec<String> {
    let packages = table.get("package").and_then(|p| p.as_array());
    packages
        .into_iter()
        .flatten()
        .filter_map(|package| Some(package.get("name")?.as_str()?.to_owned()))
        .collect()
}

/// `gem "name", …` or `gem("name", …)`.
fn gem_line(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("gem")?;
    if !rest.starts_with(|c: char| c == '(' || c.is_whitespace()) {
        return None;
    }
    let rest = rest.trim_start().trim_start_matches('(').trim_start();
    let quote = rest.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let (name, _) = rest[1..].split_once(quote)?;
    Some(name.to_owned())
}

/// A resolved spec: four spaces, the name, then ` (version)` (`    pg (1.5.4)`). Deeper lines
/// are the specs' own requirements, listed again as specs.
fn gem_spec_line(line: &str) -> Option<String> {
    let rest = line.strip_prefix("    ")?;
    if rest.starts_with(char::is_whitespace) {
        return None;
    }
    let name = rest
        .split_once(" (")
        .map_or(rest, |(name, _)| name)
        .trim_end();
    (!name.is_empty()).then(|| name.to_owned())
}

/// The keys of `dependencies`, `devDependencies` and `optionalDependencies`.
fn package_json(value: &serde_json::Value) -> Vec<String> {
    ["dependencies", "devDependencies", "optionalDependencies"]
        .iter()
        .filter_map(|key| value.get(key)?.as_object())
        .flat_map(|deps| deps.keys().cloned())
        .collect()
}

/// Lock file versions 2 and 3: the installed folders under `packages`
/// (`node_modules/a/node_modules/@s/b` → `@s/b`); version 1: nested `dependencies`.
fn package_lock(value: &serde_json::Value) -> Vec<String> {
    if let Some(packages) = value.get("packages").and_then(|p| p.as_object()) {
        return packages
            .keys()
            .filter_map(|key| Some(key.rsplit_once("node_modules/")?.1.to_owned()))
            .collect();
    }
    let mut names = Vec::new();
    let mut pending = vec![value];
    while let Some(entry) = pending.pop() {
        if let Some(deps) = entry.get("dependencies").and_then(|d| d.as_object()) {
            names.extend(deps.keys().cloned());
            pending.extend(deps.values());
        }
    }
    names
}

/// An entry header at the start of a line: `"a@^1", a@^1.2:` or `"@s/b@npm:^2":`.
fn yarn_entry_names(line: &str) -> Vec<String> {
    let Some(header) = line.strip_suffix(':') else {
        return Vec::new();
    };
    if header.starts_with(|c: char| c.is_whitespace() || c == '#') {
        return Vec::new();
    }
    header
        .split(',')
        .map(|spec| spec.trim().trim_matches('"'))
        .map(|spec| match spec.get(1..).and_then(|rest| rest.find('@')) {
            Some(at) => spec[..at + 1].to_owned(),
            None => spec.to_owned(),
        })
        .collect()
}

/// The two-space keys of the `packages:` and `snapshots:` sections: `/a/1.0.0` (lock file
/// version 5), `/a@1.0.0` (6), `a@1.0.0(peer@2.0.0)` (9), scoped names included.
fn pnpm_lock(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_packages = false;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_packages = matches!(line.trim_end(), "packages:" | "snapshots:");
            continue;
        }
        let Some(key) = line.strip_prefix("  ") else {
            continue;
        };
        if !in_packages || key.starts_with(' ') {
            continue;
        }
        let Some(key) = key.trim_end().strip_suffix(':') else {
            continue;
        };
        let key = key
            .trim_matches(|c| c == '\'' || c == '"')
            .trim_start_matches('/');
        let start = if key.starts_with('@') {
            key.find('/').map_or(key.len(), |slash| slash + 1)
        } else {
            0
        };
        let end = key[start..]
            .find(['@', '/'])
            .map_or(key.len(), |at| start + at);
        names.push(key[..end].to_owned());
    }
    names
}

/// Every run of name characters (letters, digits, `-`, `_`, `.`) outside lines starting with
/// `#` or `//`.
fn words(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| {
            let line = line.trim_start();
            !line.starts_with('#') && !line.starts_with("//")
        })
        .flat_map(|line| {
            line.split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .map(|word| word.trim_matches('.'))
                .filter(|word| !word.is_empty())
                .map(str::to_owned)
        })
        .collect()
}
