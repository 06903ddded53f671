//! What `verify` reads from a Dockerfile itself: the final image's base, the ENV and LABEL names
//! it sets, and its application paths (WORKDIR and COPY/ADD destinations of the final stage and
//! the stages it builds on); the build arguments it declares and the secrets its RUNs mount.

use crate::model::mounts::MountType;
use crate::model::{Dockerfile, Stage};
use crate::syntax::{parse, InstructionKind};
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// Facts about the image a Dockerfile builds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// The external image the final stage starts from (through `FROM stage` chains).
    pub final_base: Option<String>,
    /// ENV names set by the final stage's chain.
    pub env_names: BTreeSet<String>,
    /// LABEL names set by the final stage's chain.
    pub label_names: BTreeSet<String>,
    /// Absolute WORKDIR and COPY/ADD destinations, outermost only, `/` excluded.
    pub app_paths: Vec<PathBuf>,
    /// The targets of the cache mounts (`RUN --mount=type=cache`) of the final stage's chain:
    /// what the RUNs put there is not in the image.
    pub cache_mounts: Vec<PathBuf>,
}

/// Reads the facts of a Dockerfile's text.
pub fn facts(text: &str) -> Facts {
    let parsed = parse(text);
    let file = Dockerfile::new(&parsed);
    let chain = final_chain(&file);
    let Some(root) = chain.first() else {
        return Facts::default();
    };
    let mut facts = Facts {
        final_base: Some(root.base.raw.clone()),
        ..Facts::default()
    };
    let mut workdir = PathBuf::from("/");
    let mut paths = Vec::new();
    for stage in &chain {
        for instruction in file.stage_instructions(stage) {
            match instruction.kind() {
                Some(InstructionKind::Env) => facts
                    .env_names
                    .extend(instruction.pairs().into_iter().map(|(key, _, _)| key.value)),
                Some(InstructionKind::Label) => facts
                    .label_names
                    .extend(instruction.pairs().into_iter().map(|(key, _, _)| key.value)),
                Some(InstructionKind::Workdir) => {
                    if let Some(dir) = instruction.string_arg() {
                        workdir = absolute(&workdir, &dir.value);
                        paths.push(workdir.clone());
                    }
                }
                Some(InstructionKind::Copy | InstructionKind::Add) => {
                    if let Some(copy) = instruction.copy_args() {
                        paths.push(absolute(&workdir, &copy.destination.value));
                    }
                }
                Some(InstructionKind::Run) => {
                    let mounts = instruction.mounts().into_iter().flatten();
                    let caches = mounts.filter(|mount| mount.kind == MountType::Cache);
                    for target in caches.filter_map(|mount| mount.target) {
                        let target = absolute(&workdir, &target);
                        if !facts.cache_mounts.contains(&target)
                            && !target.to_string_lossy().contains('$')
                        {
                            facts.cache_mounts.push(target);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    facts.app_paths = outermost(paths);
    facts
}

/// The names the file's `ARG`s declare, and the ids of the secrets its RUNs mount
/// (`--mount=type=secret,id=NAME`; a secret without an id is named by its target's file name).
pub fn arguments_and_secrets(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let parsed = parse(text);
    let file = Dockerfile::new(&parsed);
    let arguments = file
        .of_kind(InstructionKind::Arg)
        .flat_map(|arg| arg.arg_definitions())
        .map(|(name, _)| name)
        .collect();
    let secrets = file
        .of_kind(InstructionKind::Run)
        .flat_map(|run| run.mounts())
        .filter_map(Result::ok)
        .filter(|mount| mount.kind == crate::model::mounts::MountType::Secret)
        .filter_map(|mount| {
            mount.id.or_else(|| {
                let target = mount.target?;
                Some(target.rsplit('/').next().unwrap_or(&target).to_owned())
            })
        })
        .collect();
    (arguments, secrets)
}

/// The final stage and the stages it builds on, root first.
fn final_chain<'f>(file: &'f Dockerfile) -> Vec<&'f Stage> {
    let mut chain = Vec::new();
    let mut next = file.final_stage();
    while let Some(stage) = next {
        if chain.len() > file.stages().len() {
            break;
        }
        chain.push(stage);
        next = stage
            .base_stage
            .and_then(|index| file.stages().get(index))
            .filter(|base| base.index < stage.index);
    }
    chain.reverse();
    chain
}

/// `path` made absolute against `dir` and normalized (`.` and `..` resolved lexically).
pub fn absolute(dir: &Path, path: &str) -> PathBuf {
    let mut out = if path.starts_with('/') {
        PathBuf::from("/")
    } else {
        dir.to_path_buf()
    };
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// The paths not inside another one, without `/`, paths with variables, or duplicates.
fn outermost(mut paths: Vec<PathBuf>) -> Vec<PathBuf> {
    paths.retain(|path| path != Path::new("/") && !path.to_string_lossy().contains('$'));
    paths.sort();
    paths.dedup();
    let all = paths.clone();
    paths.retain(|path| {
        !all.iter()
            .any(|other| other != path && path.starts_with(other))
    });
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_and_secret_mounts() {
        let (arguments, secrets) = arguments_and_secrets(
            "ARG BASE=x\nFROM alpine\nARG NPM_TOKEN\n\
             RUN --mount=type=secret,id=NPM_TOKEN export NPM_TOKEN=\"$(cat /run/secrets/NPM_TOKEN)\"; true\n\
             RUN --mount=type=secret,target=/root/.aws/credentials true\n\
             RUN --mount=type=cache,id=npm,target=/root/.npm true\n",
        );
        assert_eq!(arguments.iter().collect::<Vec<_>>(), ["BASE", "NPM_TOKEN"]);
        assert_eq!(
            secrets.iter().collect::<Vec<_>>(),
            ["NPM_TOKEN", "credentials"]
        );
    }

    #[test]
    fn follows_the_final_stage_chain() {
        let text = "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nENV CGO=0\n\
                    FROM debian:bookworm-slim AS base\nENV A=1\nLABEL team=x\n\
                    FROM base\nWORKDIR /app\nCOPY --from=build /src/app ./bin/app\nENV B=2\n";
        let facts = facts(text);
        assert_eq!(facts.final_base.as_deref(), Some("debian:bookworm-slim"));
        assert_eq!(facts.env_names.iter().collect::<Vec<_>>(), ["A", "B"]);
        assert!(facts.label_names.contains("team"));
        assert_eq!(facts.app_paths, [PathBuf::from("/app")]);
        assert!(facts.cache_mounts.is_empty());
    }

    #[test]
    fn cache_mount_targets_of_the_final_chain() {
        let text = "FROM golang:1.22 AS build\nRUN --mount=type=cache,target=/go/pkg/mod go build\n\
                    FROM node:20\nWORKDIR /app\nRUN --mount=type=cache,target=.npm,uid=1000 \\\n  --mount=type=bind,target=/x npm ci\n";
        assert_eq!(facts(text).cache_mounts, [PathBuf::from("/app/.npm")]);
    }

    #[test]
    fn relative_destinations_and_workdirs() {
        let text = "FROM node:20\nWORKDIR srv\nWORKDIR api\nCOPY app.js ../web/\nCOPY x /opt/x\n";
        assert_eq!(
            facts(text).app_paths,
            [PathBuf::from("/opt/x"), PathBuf::from("/srv")]
        );
    }

    #[test]
    fn root_and_variables_are_not_app_paths() {
        let text = "FROM alpine\nWORKDIR /\nCOPY a $HOME/a\n";
        assert!(facts(text).app_paths.is_empty());
    }

    #[test]
    fn empty_text_has_no_facts() {
        assert_eq!(facts(""), Facts::default());
    }
}
