//! What a build context holds that an image does not need: version control, editor files, tool
//! caches, CI configuration and container build files, and the folders an image fills itself
//! (dependencies it installs, outputs it builds). The data is `transforms/dockerignore.toml`,
//! embedded and parsed once.

use super::patterns::{any_glob_matches, NameGlob};
use serde::Deserialize;
use std::sync::OnceLock;

const EXCLUSIONS: &str = include_str!("../../transforms/dockerignore.toml");

/// The layout of `dockerignore.toml`, checked when it is loaded.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusions {
    /// Folders a walk of the context does not enter.
    pub walk: Walk,
    /// Groups of names found anywhere in a context, in the order they are written.
    pub groups: Vec<ExclusionGroup>,
    /// Folders an image fills itself, when it runs the commands that fill them.
    pub produced: Vec<ProducedFolders>,
}

/// How the context is walked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Walk {
    /// Names (globs) of entries never excluded.
    pub never: Vec<NameGlob>,
    /// Names of folders not entered.
    pub skip: Vec<String>,
}

/// Whether leaving a group's entries out of the image may change what the image does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    /// Nothing the image runs reads them.
    Safe,
    /// A build step or the application may read them (`why` says how).
    Unsafe,
}

/// Names a context may hold that no image needs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExclusionGroup {
    /// The comment written above its entries.
    pub title: String,
    /// Globs over one path component.
    pub names: Vec<NameGlob>,
    pub applicability: Risk,
    /// What excluding them may change, for an unsafe group.
    #[serde(default)]
    pub why: Option<String>,
    /// Whether finding them is a reason to report on its own.
    #[serde(default = "yes")]
    pub trigger: bool,
    /// Programs whose run in a RUN keeps the group.
    #[serde(default)]
    pub kept_when_run: Vec<String>,
    /// Context files whose mention of a word keeps the group.
    #[serde(default)]
    pub kept_when_files_mention: Option<Mentions>,
}

/// Files of the context and words that, when one of the files mentions one of them, keep a
/// group (a tool reads the repository while it builds).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mentions {
    pub files: Vec<String>,
    pub words: Vec<String>,
}

/// Folders an image fills itself: excluded when a RUN runs one of `commands`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducedFolders {
    pub title: String,
    /// What excluding them may change (they are unsafe).
    pub why: String,
    /// Folder names.
    pub folders: Vec<String>,
    /// Program and leading positional words.
    pub commands: Vec<Vec<String>>,
    /// The manifests (globs over file names) the folders sit beside when the tool writes them;
    /// empty: anywhere.
    #[serde(default)]
    pub beside: Vec<NameGlob>,
    /// Folders, relative to one holding such a manifest, whose content is sources.
    #[serde(default)]
    pub source_roots: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Exclusions {
    /// The embedded data, parsed on first use.
    pub fn builtin() -> &'static Exclusions {
        static BUILTIN: OnceLock<Exclusions> = OnceLock::new();
        BUILTIN.get_or_init(|| match toml::from_str(EXCLUSIONS) {
            Ok(data) => data,
            // The embedded data is checked by the test suite; failing here is a build defect.
            Err(error) => panic!("transforms/dockerignore.toml is invalid: {error}"),
        })
    }

    /// Whether an entry of this name is never excluded (an ignore file).
    pub fn never_excluded(&self, name: &str) -> bool {
        any_glob_matches(&self.walk.never, name)
    }

    /// Whether a walk of the context leaves a folder of this name unentered.
    pub fn skips(&self, name: &str) -> bool {
        self.walk.skip.iter().any(|skipped| skipped == name)
    }
}

impl ExclusionGroup {
    /// Whether an entry of this name belongs to the group.
    pub fn matches(&self, name: &str) -> bool {
        any_glob_matches(&self.names, name)
    }
}

impl ProducedFolders {
    /// Whether the folders are found by where their tool writes them (beside a manifest).
    pub fn placed(&self) -> bool {
        !self.beside.is_empty()
    }

    /// Whether a file of this name is one of the manifests the folders sit beside.
    pub fn is_manifest(&self, name: &str) -> bool {
        any_glob_matches(&self.beside, name)
    }

    /// Whether the output folder at `path` (relative, `/`-separated) sits in a folder for which
    /// `holds_manifest` is true, and in no source root of such a folder above it.
    pub fn written_at(&self, path: &str, holds_manifest: impl Fn(&str) -> bool) -> bool {
        let parent = path.rsplit_once('/').map_or("", |(parent, _)| parent);
        if !holds_manifest(parent) {
            return false;
        }
        let mut above = Some(parent);
        while let Some(folder) = above {
            let in_root = self.source_roots.iter().any(|root| {
                let root = match folder {
                    "" => root.clone(),
                    folder => format!("{folder}/{root}"),
                };
                path.starts_with(&format!("{root}/"))
            });
            if in_root && holds_manifest(folder) {
                return false;
            }
            above = match folder {
                "" => None,
                folder => Some(folder.rsplit_once('/').map_or("", |(parent, _)| parent)),
            };
        }
        true
    }

    /// Whether a command, as its program's base name and positional words, fills the folders.
    pub fn filled_by(&self, program: &str, positionals: &[&str]) -> bool {
        self.commands.iter().any(|command| {
            let Some((name, words)) = command.split_first() else {
                return false;
            };
            name == program
                && words.len() <= positionals.len()
                && words.iter().zip(positionals).all(|(a, b)| a == b)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_exclusions_parse() {
        let exclusions = Exclusions::builtin();
        assert!(exclusions.groups[0].matches(".git"));
        assert!(exclusions.skips("node_modules"));
        assert!(!exclusions.skips("src"));
        assert!(exclusions.never_excluded("Dockerfile.dockerignore"));
        assert!(!exclusions.never_excluded("Dockerfile.dev"));
        let node = &exclusions.produced[0];
        assert!(node.filled_by("npm", &["ci"]));
        assert!(node.filled_by("yarn", &[]));
        assert!(!node.filled_by("npm", &["run", "build"]));
        let cargo = exclusions
            .produced
            .iter()
            .find(|produced| produced.is_manifest("Cargo.toml"))
            .expect("cargo outputs");
        let holds = |folder: &str| ["", "crates/x", "src/fixture"].contains(&folder);
        assert!(cargo.written_at("target", holds));
        assert!(cargo.written_at("crates/x/target", holds));
        assert!(!cargo.written_at("src/target", holds), "no manifest beside");
        assert!(
            !cargo.written_at("src/fixture/target", holds),
            "a source root"
        );
        let dotnet = exclusions
            .produced
            .iter()
            .find(|p| p.is_manifest("Api.csproj"));
        assert!(dotnet.is_some_and(|p| p.written_at("src/Api/bin", |f| f == "src/Api")));
    }
}
