//! Words the transforms recognise in commands: npm's lock files and options, programs that need
//! root or write where they are told. The data is `transforms/vocabulary.toml`, embedded and
//! parsed once.

use super::TextPattern;
use serde::Deserialize;
use std::sync::OnceLock;

const VOCABULARY: &str = include_str!("../../transforms/vocabulary.toml");

/// The layout of `vocabulary.toml`, checked when it is loaded.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    pub npm: Npm,
    pub users: Users,
    pub buildkit: Buildkit,
    pub scripts: Scripts,
}

/// What npm-ci reads of npm.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Npm {
    /// Lock files `npm ci` installs from, in npm's order of preference.
    pub locks: Vec<String>,
    /// Lock files of other package managers.
    pub other_locks: Vec<String>,
    /// Options whose value is the next word.
    pub value_options: Vec<String>,
    /// Options that make `npm install` something `npm ci` is not.
    pub declined_options: Vec<String>,
    /// The fields of package.json that must agree with the lock file's root entry.
    pub dependency_fields: Vec<String>,
}

/// What commands need of the user they run as.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Users {
    /// Programs that need root to start or that drop privileges themselves.
    pub root_programs: Vec<String>,
    /// Programs that write to the paths they are given.
    pub writers: Vec<String>,
    /// Folders owned by root that a non-root user cannot write to.
    pub root_paths: Vec<String>,
    /// Folders every user may write.
    pub writable_by_all: Vec<String>,
    /// Programs that create users or groups.
    pub creators: Vec<String>,
}

/// What tells that a Dockerfile is built with BuildKit (cache-mounts).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buildkit {
    /// `# syntax=` values naming a frontend that reads `RUN --mount`.
    pub mount_frontends: TextPattern,
    /// Instruction flags only BuildKit reads.
    pub flags: Vec<String>,
}

/// Commands that may run other commands the Dockerfile does not show (cache-mounts).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scripts {
    /// Shells: the script is their first operand (a file) or their `-c` text.
    pub shells: Vec<String>,
    /// Build drivers and the build context files they read their commands from.
    pub drivers: std::collections::BTreeMap<String, Vec<String>>,
    /// Programs whose operands are the command they run.
    pub runners: Vec<String>,
}

/// The embedded vocabulary, parsed on first use.
pub fn vocabulary() -> &'static Vocabulary {
    static VOCABULARY_DATA: OnceLock<Vocabulary> = OnceLock::new();
    VOCABULARY_DATA.get_or_init(|| match toml::from_str(VOCABULARY) {
        Ok(vocabulary) => vocabulary,
        // The embedded data is checked by the test suite; failing here is a build defect.
        Err(error) => panic!("transforms/vocabulary.toml is invalid: {error}"),
    })
}

/// Whether `list` holds `word`.
pub fn lists(list: &[String], word: &str) -> bool {
    list.iter().any(|item| item == word)
}

/// `list` as string slices, for APIs that take `&[&str]`.
pub fn as_strs(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_vocabulary_parses() {
        assert_eq!(vocabulary().npm.locks[0], "npm-shrinkwrap.json");
        assert!(lists(&vocabulary().users.creators, "useradd"));
        let frontends = &vocabulary().buildkit.mount_frontends;
        for reads in [
            "docker/dockerfile:1",
            "docker/dockerfile:1.4",
            "docker/dockerfile:1.7-labs",
        ] {
            assert!(frontends.is_match(reads), "{reads}");
        }
        for other in [
            "docker/dockerfile:1.1",
            "docker/dockerfile:1.0-experimental",
            "x/y:1",
        ] {
            assert!(!frontends.is_match(other), "{other}");
        }
    }
}
