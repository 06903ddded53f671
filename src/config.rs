//! Configuration: `dfmigrate.toml`, found by walking upward from each file's folder (the nearest
//! wins), or one file given with `--config`. Lookups are cached per folder, so a monorepo's
//! configuration is read once per config file, not once per Dockerfile.
//!
//! ```toml
//! select = ["exec-form", "copy-over-add"]   # default: every transform enabled by default
//! ignore = ["apt-hygiene"]
//! unsafe = false                            # apply unsafe fixes (same as --unsafe)
//! exclude = ["generated/"]                  # replaces the default exclusions of folder walks
//! extend-exclude = ["*.gen.Dockerfile"]     # adds to them (or to `exclude`)
//!
//! [transforms.copy-over-add]                # options for one transform (Context.options)
//! some-option = true
//!
//! [[overrides]]
//! paths = ["legacy/**"]                     # globs relative to this file's folder; a glob
//!                                           # without `/` matches file names at any depth
//! ignore = ["exec-form"]
//! build-context = "legacy"                  # relative to this file's folder
//! ```
//!
//! Exclusions ([`WalkExclusions`]) are gitignore-style patterns relative to the file's folder
//! (the current folder for `--exclude`/`--extend-exclude`): a pattern without `/` matches a
//! name at any depth, one with `/` is anchored, a trailing `/` matches folders only, `!`
//! re-includes. The lists are layered in order — the base (`--exclude`, else `exclude`, else
//! the defaults of [`crate::walk::excluded_by_default`]), then `extend-exclude`, then
//! `--extend-exclude` — and the last list with a matching pattern decides, so
//! `extend-exclude = ["!Dockerfile.template"]` re-includes what the defaults leave out. The
//! configuration that governs a path is the same as for files: the nearest `dfmigrate.toml`
//! above it, or `--config`.

mod exclusions;

pub use exclusions::{CliExclusions, PatternList, Verdict, WalkExclusions};

use crate::engine::TransformOptions;
use crate::knowledge::KnowledgeBase;
use crate::transforms::{self, Transform};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Builds the knowledge base when the configuration extends it.
fn knowledge_overrides(raw: &RawConfig) -> Result<Option<KnowledgeBase>, String> {
    let mut table = toml::Table::new();
    if let Some(ecosystems) = &raw.ecosystems {
        table.insert(
            "ecosystems".to_owned(),
            toml::Value::Table(ecosystems.clone()),
        );
    }
    for (key, entries) in [("images", &raw.images), ("runtimes", &raw.runtimes)] {
        if let Some(entries) = entries {
            table.insert(key.to_owned(), toml::Value::Array(entries.clone()));
        }
    }
    if table.is_empty() {
        return Ok(None);
    }
    KnowledgeBase::with_overrides(&table)
        .map(Some)
        .map_err(|error| error.to_string())
}

/// The name of the configuration file looked for in each folder.
pub const CONFIG_FILE_NAME: &str = "dfmigrate.toml";

/// The configuration file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    select: Option<Vec<String>>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(rename = "unsafe")]
    apply_unsafe: Option<bool>,
    #[serde(default)]
    transforms: TransformOptions,
    #[serde(default)]
    overrides: Vec<RawOverride>,
    /// Knowledge-base additions (`[ecosystems.ID]`, `[[images]]`, `[[runtimes]]`), validated by
    /// `KnowledgeBase::with_overrides`.
    ecosystems: Option<toml::Table>,
    images: Option<toml::value::Array>,
    runtimes: Option<toml::value::Array>,
    /// Replaces the default exclusions of folder walks.
    exclude: Option<Vec<toml::Spanned<String>>>,
    /// Adds to the exclusions of folder walks.
    #[serde(rename = "extend-exclude")]
    extend_exclude: Option<Vec<toml::Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawOverride {
    paths: Vec<String>,
    select: Option<Vec<String>>,
    #[serde(default)]
    ignore: Vec<String>,
    build_context: Option<PathBuf>,
}

/// A loaded, validated configuration file.
#[derive(Debug)]
pub struct Config {
    /// The configuration file itself.
    pub path: PathBuf,
    /// The folder it lives in: override globs and build contexts are relative to it.
    pub root: PathBuf,
    select: Option<Vec<String>>,
    ignore: Vec<String>,
    apply_unsafe: Option<bool>,
    options: TransformOptions,
    overrides: Vec<Override>,
    knowledge: Option<KnowledgeBase>,
    exclude: Option<PatternList>,
    extend_exclude: Option<PatternList>,
}

/// `[[overrides]]`: settings for the files matching some globs.
#[derive(Debug)]
struct Override {
    globs: GlobSet,
    select: Option<Vec<String>>,
    ignore: Vec<String>,
    build_context: Option<PathBuf>,
}

/// A configuration file that could not be read or is invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line of the problem, or 0 when unknown.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = crate::walk::display_path(&self.path);
        match self.line {
            0 => write!(f, "{path}: error: {}", self.message),
            line => write!(f, "{path}:{line}: error: {}", self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
            path: path.to_owned(),
            line: 0,
            message: format!("cannot read configuration: {error}"),
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates configuration text read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let error = |line: usize, message: String| ConfigError {
            path: path.to_owned(),
            line,
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |span| line_of(text, span.start));
            error(line, e.message().to_owned())
        })?;
        validate_ids(&raw).map_err(|message| error(0, message))?;
        let knowledge = knowledge_overrides(&raw).map_err(|message| error(0, message))?;
        let root = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_owned);
        let overrides = raw
            .overrides
            .into_iter()
            .map(|raw| Override::new(raw, &root))
            .collect::<Result<_, _>>()
            .map_err(|message| error(0, message))?;
        let patterns_root = crate::walk::absolute(&root);
        let patterns = |key: &str, list: Option<Vec<toml::Spanned<String>>>| {
            list.map(|list| {
                PatternList::new(
                    &patterns_root,
                    list.iter().map(|pattern| pattern.get_ref().as_str()),
                )
                .map_err(|(index, message)| {
                    let line = list
                        .get(index)
                        .map_or(0, |pattern| line_of(text, pattern.span().start));
                    error(line, format!("invalid pattern in {key}: {message}"))
                })
            })
            .transpose()
        };
        let exclude = patterns("exclude", raw.exclude)?;
        let extend_exclude = patterns("extend-exclude", raw.extend_exclude)?;
        Ok(Config {
            path: path.to_owned(),
            root,
            select: raw.select,
            ignore: raw.ignore,
            apply_unsafe: raw.apply_unsafe,
            options: raw.transforms,
            overrides,
            knowledge,
            exclude,
            extend_exclude,
        })
    }

    /// The knowledge base with this file's `[ecosystems]`, `[[images]]` and `[[runtimes]]`, if
    /// it has any.
    pub fn knowledge(&self) -> Option<&KnowledgeBase> {
        self.knowledge.as_ref()
    }

    /// The options for each transform (`[transforms.ID]`).
    pub fn options(&self) -> &TransformOptions {
        &self.options
    }

    /// The overrides whose globs match `file` (a path under [`Config::root`]).
    fn matching_overrides<'c>(&'c self, file: &Path) -> impl Iterator<Item = &'c Override> {
        let relative = absolute(file)
            .strip_prefix(absolute(&self.root))
            .map(Path::to_owned)
            .unwrap_or_else(|_| file.to_owned());
        self.overrides
            .iter()
            .filter(move |entry| entry.globs.is_match(&relative))
    }
}

impl Override {
    fn new(raw: RawOverride, root: &Path) -> Result<Override, String> {
        let mut globs = GlobSetBuilder::new();
        for pattern in &raw.paths {
            let anchored = if pattern.contains('/') {
                pattern.clone()
            } else {
                format!("**/{pattern}")
            };
            let glob = GlobBuilder::new(&anchored)
                .literal_separator(true)
                .build()
                .map_err(|error| format!("invalid glob in overrides: {error}"))?;
            globs.add(glob);
        }
        let globs = globs
            .build()
            .map_err(|error| format!("invalid glob in overrides: {error}"))?;
        Ok(Override {
            globs,
            select: raw.select,
            ignore: raw.ignore,
            build_context: raw.build_context.map(|context| root.join(context)),
        })
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Checks every transform id named anywhere in the file exists.
fn validate_ids(raw: &RawConfig) -> Result<(), String> {
    let named = raw
        .select
        .iter()
        .flatten()
        .chain(&raw.ignore)
        .chain(raw.transforms.keys())
        .chain(
            raw.overrides
                .iter()
                .flat_map(|entry| entry.select.iter().flatten().chain(&entry.ignore)),
        );
    for id in named {
        check_transform_id(id)?;
    }
    Ok(())
}

/// `Ok` when `id` names a transform, else a message listing the known ids.
pub fn check_transform_id(id: &str) -> Result<(), String> {
    if transforms::by_id(id).is_some() {
        return Ok(());
    }
    Err(format!(
        "unknown transform `{id}` (known: {})",
        known_transform_ids()
    ))
}

/// Every transform id, comma-separated.
pub fn known_transform_ids() -> String {
    transforms::all()
        .iter()
        .map(|transform| transform.id())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The path made absolute against the current folder (without touching the file system).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// Choices made on the command line; they take precedence over configuration files. Shared by
/// the main command and `verify`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct CommandLine {
    /// Run only these transforms (comma-separated ids); configured selections are disregarded.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub select: Option<Vec<String>>,
    /// Do not run these transforms (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub ignore: Vec<String>,
    /// Also apply fixes marked unsafe.
    #[arg(long = "unsafe")]
    pub apply_unsafe: bool,
}

impl CommandLine {
    /// Rejects unknown ids in `--select` and `--ignore`.
    pub fn check_ids(&self) -> Result<(), String> {
        self.select
            .iter()
            .flatten()
            .chain(&self.ignore)
            .try_for_each(|id| check_transform_id(id))
    }
}

/// The settings for one file.
pub struct FileSettings {
    pub transforms: Vec<&'static dyn Transform>,
    pub apply_unsafe: bool,
    /// From a matching override's `build-context`; `None` means the Dockerfile's folder.
    pub build_context: Option<PathBuf>,
}

/// Combines the file's configuration (if any) with the command line.
pub fn settings_for(file: &Path, config: Option<&Config>, cli: &CommandLine) -> FileSettings {
    let overrides: Vec<&Override> = config
        .map(|config| config.matching_overrides(file).collect())
        .unwrap_or_default();
    let mut ignore: Vec<&str> = cli.ignore.iter().map(String::as_str).collect();
    let select: Option<Vec<&str>> = match &cli.select {
        Some(ids) => Some(ids.iter().map(String::as_str).collect()),
        None => {
            let mut select = config.and_then(|config| config.select.as_deref());
            ignore.extend(
                config
                    .iter()
                    .flat_map(|c| c.ignore.iter().map(String::as_str)),
            );
            for entry in &overrides {
                select = entry.select.as_deref().or(select);
                ignore.extend(entry.ignore.iter().map(String::as_str));
            }
            select.map(|ids| ids.iter().map(String::as_str).collect())
        }
    };
    let transforms = transforms::all()
        .iter()
        .copied()
        .filter(|transform| {
            let id = transform.id();
            let selected = select
                .as_ref()
                .map_or(transform.metadata().enabled_by_default, |ids| {
                    ids.contains(&id)
                });
            selected && !ignore.contains(&id)
        })
        .collect();
    FileSettings {
        transforms,
        apply_unsafe: cli.apply_unsafe
            || config
                .and_then(|config| config.apply_unsafe)
                .unwrap_or(false),
        build_context: overrides
            .iter()
            .rev()
            .find_map(|entry| entry.build_context.clone()),
    }
}

/// The configuration governing a file: none, a broken one, or a valid one.
pub type Lookup = Result<Option<Arc<Config>>, Arc<ConfigError>>;

/// Finds each folder's nearest `dfmigrate.toml`, reading every configuration file once.
#[derive(Default)]
pub struct Discovery {
    by_folder: HashMap<PathBuf, Lookup>,
}

impl Discovery {
    /// The configuration for a file in `folder` (an absolute path).
    pub fn for_folder(&mut self, folder: &Path) -> Lookup {
        if let Some(found) = self.by_folder.get(folder) {
            return found.clone();
        }
        let candidate = folder.join(CONFIG_FILE_NAME);
        let found = if candidate.is_file() {
            Config::load(&candidate)
                .map(|config| Some(Arc::new(config)))
                .map_err(Arc::new)
        } else {
            match folder.parent() {
                Some(parent) => self.for_folder(parent),
                None => Ok(None),
            }
        };
        self.by_folder.insert(folder.to_owned(), found.clone());
        found
    }
}

#[cfg(test)]
mod tests;
