//! Build contexts declared by Compose files, and by Bake files (`bake.rs`): which folder each
//! Dockerfile is really built from.
//!
//! In a monorepo the Dockerfile of a service often lives apart from its build context
//! (`build: {context: ., dockerfile: services/api/Dockerfile}`), so its own folder is the wrong
//! context for the transforms that read manifests, lock files and ignore rules. The Compose files
//! (`compose*.y[a]ml`, `docker-compose*.y[a]ml`) of the Dockerfile's folder and of every folder
//! above it are read, once per folder, and each service's `build` is resolved as Compose resolves
//! it: `context` relative to the Compose file (default `.`), `dockerfile` relative to the context
//! (default `Dockerfile`); `build: DIR` is a context with the default Dockerfile.
//!
//! Stated limitations: values with variables (`${CONTEXT}`), remote contexts (Git or HTTP URLs),
//! `dockerfile_inline`, `extends` and `include` are not followed; `<<` merge keys are. A
//! Dockerfile that services build from different contexts keeps its own folder, and the caller
//! is told why ([`ComposeMapping::Conflicting`]); so is a Compose file that cannot be read.

use super::bake;
use std::collections::HashMap;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use yaml_rust2::{Yaml, YamlLoader};

/// One service's build, as a Compose file declares it (or one target's, as a Bake file does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComposeBuild {
    /// The Dockerfile it builds (absolute, normalized).
    pub dockerfile: PathBuf,
    /// Its build context folder (absolute, normalized).
    pub context: PathBuf,
    /// The service's name (the Bake target's).
    pub service: String,
    /// The Compose (or Bake) file that declares it.
    pub compose_file: PathBuf,
}

/// What the Compose files say about one Dockerfile.
#[derive(Debug, PartialEq, Eq)]
pub enum ComposeMapping {
    /// No service builds it.
    None,
    /// Services build it from one context (the first service declaring it).
    One(ComposeBuild),
    /// Services build it from different contexts; each context's first service.
    Conflicting(Vec<ComposeBuild>),
}

/// The Compose files found so far, by folder; safe to share between worker threads.
#[derive(Default)]
pub struct ComposeIndex {
    folders: Mutex<HashMap<PathBuf, Arc<Vec<ComposeBuild>>>>,
    problems: Mutex<Vec<String>>,
}

impl ComposeIndex {
    /// The services that build `dockerfile` (a path as the caller has it), from the Compose
    /// files of its folder and of every folder above it.
    pub fn mapping_of(&self, dockerfile: &Path) -> ComposeMapping {
        let Some(dockerfile) = absolute(dockerfile) else {
            return ComposeMapping::None;
        };
        let mut found: Vec<ComposeBuild> = Vec::new();
        for folder in dockerfile.ancestors().skip(1) {
            for build in self.builds_in(folder).iter() {
                let new_context = found.iter().all(|seen| seen.context != build.context);
                if build.dockerfile == dockerfile && new_context {
                    found.push(build.clone());
                }
            }
        }
        match found.len() {
            0 => ComposeMapping::None,
            1 => ComposeMapping::One(found.remove(0)),
            _ => ComposeMapping::Conflicting(found),
        }
    }

    /// The build context the Compose files give `dockerfile`, if they agree on one. When
    /// they do not, the disagreement is noted among the [problems](Self::problems).
    pub fn context_of(&self, dockerfile: &Path) -> Option<PathBuf> {
        match self.mapping_of(dockerfile) {
            ComposeMapping::None => None,
            ComposeMapping::One(build) => Some(build.context),
            ComposeMapping::Conflicting(builds) => {
                self.note(conflict_message(dockerfile, &builds));
                None
            }
        }
    }

    /// The Compose files that could not be read and the Dockerfiles built from several
    /// contexts, each once, in the order met.
    pub fn problems(&self) -> Vec<String> {
        let problems = self.problems.lock().unwrap_or_else(PoisonError::into_inner);
        let mut seen = std::collections::HashSet::new();
        problems
            .iter()
            .filter(|problem| seen.insert(problem.as_str()))
            .cloned()
            .collect()
    }

    fn note(&self, problem: String) {
        self.problems
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(problem);
    }

    fn builds_in(&self, folder: &Path) -> Arc<Vec<ComposeBuild>> {
        let cached = self
            .folders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(folder)
            .cloned();
        if let Some(builds) = cached {
            return builds;
        }
        let mut builds = Vec::new();
        for file in compose_files(folder) {
            match read_compose_file(&file) {
                Ok(declared) => builds.extend(declared),
                Err(problem) => self.note(problem),
            }
        }
        let (baked, problems) = bake::read_bake_files(&bake::bake_files(folder));
        builds.extend(baked);
        problems.into_iter().for_each(|problem| self.note(problem));
        let builds = Arc::new(builds);
        self.folders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(folder.to_owned())
            .or_insert(builds)
            .clone()
    }
}

/// Why a Dockerfile keeps its own folder as its build context.
fn conflict_message(dockerfile: &Path, builds: &[ComposeBuild]) -> String {
    let services: Vec<String> = builds
        .iter()
        .map(|build| {
            format!(
                "`{}` ({}) from {}",
                build.service,
                build.compose_file.display(),
                build.context.display()
            )
        })
        .collect();
    format!(
        "{}: Compose services or Bake targets build it from different contexts ({}); its own folder is used \
         as its build context (set `build-context` in an `[[overrides]]` of dfmigrate.toml to \
         choose)",
        dockerfile.display(),
        services.join(", ")
    )
}

/// The Compose files of a folder, sorted by name.
fn compose_files(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| is_compose_file_name(&entry.file_name().to_string_lossy()))
        .filter(|entry| entry.file_type().is_ok_and(|kind| !kind.is_dir()))
        .map(|entry| entry.path())
        .collect();
    files.sort();
    files
}

/// `compose.yaml`, `docker-compose.prod.yml`, … : the names Compose reads and the variants
/// projects keep beside them.
fn is_compose_file_name(name: &str) -> bool {
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"));
    stem.is_some_and(|stem| {
        ["compose", "docker-compose"].iter().any(|base| {
            stem == *base
                || stem
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    })
}

/// The builds one Compose file declares, or why it cannot be read.
fn read_compose_file(file: &Path) -> Result<Vec<ComposeBuild>, String> {
    let text = fs::read_to_string(file)
        .map_err(|error| format!("{}: cannot read: {error}", file.display()))?;
    let documents = YamlLoader::load_from_str(&text).map_err(|error| {
        format!(
            "{}:{}: not valid YAML ({}); its build contexts are not used",
            file.display(),
            error.marker().line(),
            error.info()
        )
    })?;
    let folder = file.parent().unwrap_or(Path::new("."));
    let Some(services) = documents.first().map(|document| &document["services"]) else {
        return Ok(Vec::new());
    };
    let Yaml::Hash(services) = services else {
        return Ok(Vec::new());
    };
    Ok(services
        .iter()
        .filter_map(|(name, service)| {
            let build = service_build(service)?;
            let (context, dockerfile) = build_paths(build)?;
            let context = normalize(&folder.join(context));
            Some(ComposeBuild {
                dockerfile: normalize(&context.join(dockerfile)),
                context,
                service: name.as_str().unwrap_or_default().to_owned(),
                compose_file: file.to_owned(),
            })
        })
        .collect())
}

/// A service's `build`, also when a `<<` merge key brings it.
fn service_build(service: &Yaml) -> Option<&Yaml> {
    let own = &service["build"];
    if !own.is_badvalue() {
        return Some(own);
    }
    match &service["<<"] {
        Yaml::Hash(_) => service_build(&service["<<"]),
        Yaml::Array(merged) => merged.iter().find_map(service_build),
        _ => None,
    }
}

/// The context and Dockerfile a `build` names, when both are literal local paths.
fn build_paths(build: &Yaml) -> Option<(&str, &str)> {
    let (context, dockerfile) = match build {
        Yaml::String(context) => (context.as_str(), "Dockerfile"),
        Yaml::Hash(_) => {
            if !build["dockerfile_inline"].is_badvalue() {
                return None;
            }
            let context = build["context"].as_str().unwrap_or(".");
            let dockerfile = build["dockerfile"].as_str().unwrap_or("Dockerfile");
            (context, dockerfile)
        }
        _ => return None,
    };
    let literal = |path: &str| !path.contains('$') && !path.contains("://") && !path.is_empty();
    let remote = context.starts_with("git@") || context.starts_with("github.com/");
    (literal(context) && literal(dockerfile) && !remote).then_some((context, dockerfile))
}

/// An absolute, normalized form of a path as the caller has it.
fn absolute(path: &Path) -> Option<PathBuf> {
    let joined = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    Some(normalize(&joined))
}

/// Removes `.` and resolves `..` lexically, as Compose does with its paths.
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normalized.pop();
            }
            other => normalized.push(other),
        }
    }
    normalized
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn compose_file_names() {
        for name in [
            "compose.yaml",
            "docker-compose.yml",
            "docker-compose.prod.yml",
        ] {
            assert!(is_compose_file_name(name), "{name}");
        }
        for name in ["composer.yaml", "compose.json", "my-compose.yml", "compose"] {
            assert!(!is_compose_file_name(name), "{name}");
        }
    }

    #[test]
    fn context_and_dockerfile_resolve_as_compose_resolves_them() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path().canonicalize().unwrap();
        write(
            &root,
            "compose.yaml",
            "x-api: &api\n  build:\n    context: .\n    dockerfile: services/api/Dockerfile\n\
             services:\n  api:\n    <<: *api\n  web:\n    build: ./web\n  \
             vars:\n    build:\n      context: ${CTX}\n",
        );
        let index = ComposeIndex::default();
        let ComposeMapping::One(api) = index.mapping_of(&root.join("services/api/Dockerfile"))
        else {
            panic!("api is not mapped");
        };
        assert_eq!(
            (api.service.as_str(), api.context.as_path()),
            ("api", &*root)
        );
        let ComposeMapping::One(web) = index.mapping_of(&root.join("web/Dockerfile")) else {
            panic!("web is not mapped");
        };
        assert_eq!(web.context, root.join("web"));
        assert_eq!(
            index.mapping_of(&root.join("Dockerfile")),
            ComposeMapping::None
        );
        assert!(index.problems().is_empty());
    }

    #[test]
    fn different_contexts_conflict_and_bad_yaml_is_a_problem() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path().canonicalize().unwrap();
        write(&root, "app/compose.yml", "services:\n  a:\n    build: .\n");
        write(
            &root,
            "docker-compose.yml",
            "services:\n  b:\n    build:\n      context: .\n      dockerfile: app/Dockerfile\n",
        );
        write(&root, "docker-compose.ci.yml", "services: [\n");
        let index = ComposeIndex::default();
        let ComposeMapping::Conflicting(builds) = index.mapping_of(&root.join("app/Dockerfile"))
        else {
            panic!("not a conflict");
        };
        assert_eq!(builds.len(), 2);
        let problems = index.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("docker-compose.ci.yml:"),
            "{problems:?}"
        );
    }
}
