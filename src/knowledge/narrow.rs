//! What a build stage needs from the build context (`[narrow]` of a profile), for
//! `narrow-copy`: the commands it may run after the whole-context copy, the module's own files
//! and folders, which files of a package folder the build reads, and the lines that make it read
//! files the imports do not show.

use super::{NameGlob, TextPattern};
use serde::Deserialize;

/// A profile's `[narrow]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NarrowSpec {
    /// Commands (program and leading positionals) whose positional words name the packages
    /// built; none means the package in the working directory.
    pub builds: Vec<Vec<String>>,
    /// Commands that read only the module files and `folders`.
    #[serde(default)]
    pub others: Vec<Vec<String>>,
    /// Options that make a command read files the imports do not show.
    #[serde(default)]
    pub declined_options: Vec<String>,
    /// Files at the context root copied when available (`go.mod`, `go.sum`).
    pub module_files: Vec<String>,
    /// Folders at the context root copied whole when available (`vendor`).
    #[serde(default)]
    pub folders: Vec<String>,
    /// The file whose `module` line names the module.
    pub module_file: String,
    /// Files at the context root whose presence makes the build read other folders.
    #[serde(default)]
    pub workspace_files: Vec<String>,
    /// Globs (over names) of the files of a package folder the build reads.
    pub package_files: Vec<NameGlob>,
    /// The source files read for imports and directives.
    pub source_files: NameGlob,
    /// The source files that are not built (tests).
    pub test_files: NameGlob,
    /// A source line that embeds files.
    pub embed: TextPattern,
    /// A source line that reads files outside the package's folder.
    pub outside_folder: TextPattern,
    /// A line of the module file that replaces a module with a local folder.
    pub local_replace: TextPattern,
}

impl NarrowSpec {
    /// Whether `words` (program name, then positionals) start with one of `rules`.
    fn matches(rules: &[Vec<String>], words: &[&str]) -> bool {
        rules.iter().any(|rule| {
            rule.len() <= words.len() && rule.iter().zip(words).all(|(want, word)| want == word)
        })
    }

    /// How many leading words a build command's rule spans, when `words` is one.
    pub fn build_rule_len(&self, words: &[&str]) -> Option<usize> {
        self.builds
            .iter()
            .find(|rule| Self::matches(std::slice::from_ref(rule), words))
            .map(Vec::len)
    }

    /// Whether `words` is one of the commands reading only the module's files.
    pub fn is_other(&self, words: &[&str]) -> bool {
        Self::matches(&self.others, words)
    }

    /// Whether a file name is one the build reads in a package folder.
    pub fn is_package_file(&self, name: &str) -> bool {
        self.package_files.iter().any(|glob| glob.matches(name))
    }
}
