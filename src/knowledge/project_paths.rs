//! Words of an install or build command that name the project it reads (`[project_paths]` of
//! a profile): a manifest file or the folder holding it (`npm --prefix client ci`, `mvn -f
//! api/pom.xml package`), or dotnet's project and solution positionals (`dotnet publish
//! src/App/App.csproj`). Such a path is read relative to the folder the command runs in, so
//! it tells whether the build context is the one the Dockerfile is built from, and which of
//! the copied files the command reads.

use super::command::CommandMatch;
use serde::Deserialize;

/// A profile's `[project_paths]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectPaths {
    /// Options whose value is the manifest, or the folder holding it, that the command reads
    /// instead of the working directory's (`--prefix`, `-f`, `--manifest-path`). Each must be
    /// one of the profile's `value_options` when it takes the next word as its value.
    #[serde(default)]
    pub options: Vec<String>,
    /// The positional words after `match` are project files or folders (`dotnet restore
    /// App.csproj`).
    #[serde(default)]
    pub positionals: bool,
}

/// One word that names the project a command reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectPath {
    /// As written, with the option (`--prefix client`, `src/App/App.csproj`), for messages and
    /// to tell whether a rendered command still holds it.
    pub written: String,
    /// The path, quotes removed.
    pub path: String,
}

/// The words of `command` naming the project it reads; see [`CommandMatch::project_paths`].
pub(super) fn project_paths(command: &CommandMatch) -> Vec<ProjectPath> {
    let Some(spec) = command.profile.project_paths.as_ref() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut index = 0;
    while index < command.option_values.len() {
        let value = &command.option_values[index];
        let written = &command.options[index];
        for name in &spec.options {
            if value == name {
                if let (Some(path), Some(raw)) = (
                    command.option_values.get(index + 1),
                    command.options.get(index + 1),
                ) {
                    found.push(ProjectPath {
                        written: format!("{written} {raw}"),
                        path: path.clone(),
                    });
                    index += 1;
                }
                break;
            }
            if let Some(path) = value
                .strip_prefix(name.as_str())
                .and_then(|rest| rest.strip_prefix('='))
            {
                found.push(ProjectPath {
                    written: written.clone(),
                    path: path.to_owned(),
                });
                break;
            }
        }
        index += 1;
    }
    if spec.positionals {
        found.extend(
            command
                .positionals
                .iter()
                .zip(&command.positional_values)
                .map(|(written, path)| ProjectPath {
                    written: written.clone(),
                    path: path.clone(),
                }),
        );
    }
    found
}
