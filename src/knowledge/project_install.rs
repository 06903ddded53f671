//! An install of the project in the working directory (`pip install .`, `pip install -e .`)
//! whose dependencies its manifest lists statically (PEP 621 `[project] dependencies`): a step
//! that reads them from the copied manifest installs them before the sources are copied, and
//! the project itself is installed without its dependencies afterwards (`[project_install]`).

use super::command::{CommandMatch, NoSplit};
use super::{image_name, NameGlob};
use crate::context::manifests::toml_lookup;
use crate::context::ContextFiles;
use crate::model::ImageRef;
use serde::Deserialize;
use std::path::Path;

/// How a profile's installs name the project and where its dependencies are declared.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectInstallSpec {
    /// The words naming the project in the working directory (`.`, `./`).
    pub words: Vec<String>,
    /// Options whose value may be such a word (`-e .`, `--editable=.`).
    #[serde(default)]
    pub options: Vec<String>,
    /// The manifest declaring the dependencies (`pyproject.toml`).
    pub manifest: String,
    /// The dotted key of the table declaring the project (`project`).
    pub table: String,
    /// The key of that table listing the dependencies, an array of strings (`dependencies`).
    pub dependencies: String,
    /// The key of that table listing the fields the build backend computes (`dynamic`).
    pub dynamic: String,
    /// The version of the builder image's interpreter the reading step needs, at least.
    pub interpreter_since: String,
    /// Context files that may declare dependencies the manifest does not show.
    #[serde(default)]
    pub unfit_files: Vec<Unfit>,
    /// Dotted keys of the manifest that may add to or change the dependencies.
    #[serde(default)]
    pub unfit_keys: Vec<Unfit>,
}

/// A file or key that makes the manifest's list incomplete, and why.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unfit {
    pub name: String,
    pub why: String,
}

/// Where the words naming the project are among a command's words, as indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectWords {
    pub first: usize,
    pub last: usize,
    /// The extras the project is installed with (`.[dev]`), as written.
    pub extras: Option<String>,
}

/// Why the manifest's dependency list cannot stand for what the install installs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProjectUnfit {
    #[error("{manifest} is not in the build context (or .dockerignore excludes it), so the build backend's own files declare the dependencies and they cannot be read without running it")]
    NoManifest { manifest: String },
    #[error("{manifest} is not valid TOML")]
    InvalidManifest { manifest: String },
    #[error("{manifest} has no [{table}] table, so the build backend's own metadata declares the dependencies (PEP 621 is not used) and they cannot be read statically")]
    NoTable { manifest: String, table: String },
    #[error("{manifest} lists `{key}` in {table}.{dynamic}: the build backend computes the dependencies (from files, a hook or setup.py), so they cannot be read statically")]
    Dynamic {
        manifest: String,
        table: String,
        dynamic: String,
        key: String,
    },
    #[error("{manifest}: {table}.{key} is not a list of strings")]
    NotAList {
        manifest: String,
        table: String,
        key: String,
    },
    #[error("{manifest} declares no dependencies in {table}.{key}, so there is nothing to install first")]
    NoDependencies {
        manifest: String,
        table: String,
        key: String,
    },
    #[error("{manifest} depends on `{dependency}`, a local path, which needs the sources")]
    LocalDependency {
        manifest: String,
        dependency: String,
    },
    #[error(
        "the command installs the project with extras ({extras}), whose dependencies are not read"
    )]
    Extras { extras: String },
    #[error("{name} is in the build context: {why}")]
    File { name: String, why: String },
    #[error(
        "the step reading {manifest} needs Python {since} or newer, and {image} runs an older one"
    )]
    OldInterpreter {
        manifest: String,
        image: String,
        since: String,
    },
    #[error("the step reading {manifest} needs Python {since} or newer, and which Python {image} runs is unknown (not an official Python image tag)")]
    UnknownInterpreter {
        manifest: String,
        image: String,
        since: String,
    },
    #[error("{manifest} has {name}: {why}")]
    Key {
        manifest: String,
        name: String,
        why: String,
    },
}

impl ProjectInstallSpec {
    /// The words naming the project among a command's word values (after the program), when
    /// exactly one word or option value does: `.`, `-e .`, `--editable=.`, `.[dev]`.
    pub fn find(&self, values: &[String]) -> Option<ProjectWords> {
        let mut found: Vec<ProjectWords> = Vec::new();
        let mut index = 0;
        while index < values.len() {
            let value = &values[index];
            let attached = self.options.iter().find_map(|option| {
                value
                    .strip_prefix(option.as_str())
                    .and_then(|rest| rest.strip_prefix('='))
            });
            if let Some(rest) = attached {
                found.extend(self.project_word(rest, index, index));
            } else if self.options.contains(value) {
                if let Some(next) = values.get(index + 1) {
                    found.extend(self.project_word(next, index, index + 1));
                }
                index += 1;
            } else {
                found.extend(self.project_word(value, index, index));
            }
            index += 1;
        }
        match found.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        }
    }

    fn project_word(&self, word: &str, first: usize, last: usize) -> Option<ProjectWords> {
        self.words.iter().find_map(|name| {
            let rest = word.strip_prefix(name.as_str())?;
            let extras = match rest {
                "" => None,
                _ if rest.starts_with('[') && rest.ends_with(']') => Some(rest.to_owned()),
                _ => return None,
            };
            Some(ProjectWords {
                first,
                last,
                extras,
            })
        })
    }

    /// Whether the manifest lists the project's dependencies statically, so that the step
    /// reading them installs what the install of the project would; `extras` as found by
    /// [`ProjectInstallSpec::find`].
    pub fn check(
        &self,
        context: &dyn ContextFiles,
        extras: Option<&str>,
        is_local: impl Fn(&str) -> bool,
    ) -> Result<(), ProjectUnfit> {
        let manifest = self.manifest.clone();
        if let Some(extras) = extras {
            return Err(ProjectUnfit::Extras {
                extras: extras.to_owned(),
            });
        }
        let path = Path::new(&self.manifest);
        if !context.is_available(path) {
            return Err(ProjectUnfit::NoManifest { manifest });
        }
        let table: toml::Table = context
            .read_to_string(path)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| ProjectUnfit::InvalidManifest {
                manifest: manifest.clone(),
            })?;
        let project = toml_lookup(&table, &self.table).ok_or_else(|| ProjectUnfit::NoTable {
            manifest: manifest.clone(),
            table: self.table.clone(),
        })?;
        let dynamic = project
            .get(&self.dynamic)
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten();
        if dynamic
            .filter_map(toml::Value::as_str)
            .any(|key| key == self.dependencies)
        {
            return Err(ProjectUnfit::Dynamic {
                manifest,
                table: self.table.clone(),
                dynamic: self.dynamic.clone(),
                key: self.dependencies.clone(),
            });
        }
        let not_a_list = || ProjectUnfit::NotAList {
            manifest: manifest.clone(),
            table: self.table.clone(),
            key: self.dependencies.clone(),
        };
        let dependencies: Vec<&str> = match project.get(&self.dependencies) {
            None => Vec::new(),
            Some(value) => value
                .as_array()
                .ok_or_else(not_a_list)?
                .iter()
                .map(|item| item.as_str().ok_or_else(not_a_list))
                .collect::<Result<_, _>>()?,
        };
        if dependencies.is_empty() {
            return Err(ProjectUnfit::NoDependencies {
                manifest,
                table: self.table.clone(),
                key: self.dependencies.clone(),
            });
        }
        if let Some(local) = dependencies.iter().find(|d| is_local(d)) {
            return Err(ProjectUnfit::LocalDependency {
                manifest,
                dependency: (*local).to_owned(),
            });
        }
        if let Some(file) = self
            .unfit_files
            .iter()
            .find(|file| context.is_available(Path::new(&file.name)))
        {
            return Err(ProjectUnfit::File {
                name: file.name.clone(),
                why: file.why.clone(),
            });
        }
        if let Some(key) = self
            .unfit_keys
            .iter()
            .find(|key| toml_lookup(&table, &key.name).is_some())
        {
            return Err(ProjectUnfit::Key {
                manifest,
                name: key.name.clone(),
                why: key.why.clone(),
            });
        }
        Ok(())
    }
}

impl ProjectInstallSpec {
    /// Whether the stage's base image runs an interpreter the reading step can use: one of the
    /// profile's `images` whose tag names version `interpreter_since` or newer (`3.12-slim`,
    /// `3`, no tag or `latest`: the newest).
    pub fn interpreter_fits(
        &self,
        base: &ImageRef,
        images: &[NameGlob],
    ) -> Result<(), ProjectUnfit> {
        let manifest = self.manifest.clone();
        let since = self.interpreter_since.clone();
        let name = image_name(base);
        let unknown = || ProjectUnfit::UnknownInterpreter {
            manifest: manifest.clone(),
            image: base.raw.clone(),
            since: since.clone(),
        };
        if !images.iter().any(|glob| glob.matches(&name)) {
            return Err(unknown());
        }
        let tag = base.tag.as_deref().unwrap_or("latest");
        if tag == "latest" {
            return Ok(());
        }
        let version = tag.split('-').next().unwrap_or_default();
        let numbers = |text: &str| -> Option<(u32, u32)> {
            let mut parts = text.split('.');
            let major = parts.next()?.parse().ok()?;
            let minor = match parts.next() {
                Some(minor) => minor.parse().ok()?,
                None => u32::MAX,
            };
            Some((major, minor))
        };
        match (numbers(version), numbers(&self.interpreter_since)) {
            (Some(have), Some(wanted)) if have >= wanted => Ok(()),
            (Some(_), Some(_)) => Err(ProjectUnfit::OldInterpreter {
                manifest,
                image: base.raw.clone(),
                since,
            }),
            _ => Err(unknown()),
        }
    }
}

impl CommandMatch<'_> {
    /// For a split using `{project}` and `{command_without_project}`: the command without the
    /// words naming the project (its `VAR=value` prefix kept), and those words, as written;
    /// or why the manifest's dependency list does not fit.
    pub(super) fn project_parts(
        &self,
        spec: &ProjectInstallSpec,
        context: &dyn ContextFiles,
    ) -> Result<(String, String), NoSplit> {
        let project = spec.find(&self.word_values).ok_or(NoSplit::NoTechnique)?;
        let local = self.profile.local_paths.clone().unwrap_or_default();
        spec.check(context, project.extras.as_deref(), |word| {
            local.is_local(word)
        })
        .map_err(|unfit| NoSplit::Unfit(unfit.to_string()))?;
        let mut without: Vec<&str> = self.assignments.iter().map(String::as_str).collect();
        without.push(&self.program);
        let mut named: Vec<&str> = Vec::new();
        for (index, word) in self.words.iter().enumerate() {
            match (project.first..=project.last).contains(&index) {
                true => named.push(word),
                false => without.push(word),
            }
        }
        Ok((without.join(" "), named.join(" ")))
    }
}
