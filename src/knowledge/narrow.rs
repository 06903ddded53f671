//! What a build stage needs from the build context (`[narrow]` of a profile), for
//! `narrow-copy`: the commands it may run after the whole-context copy, the files and folders
//! always copied, and how the ecosystem's sources tell what else the build reads (`[narrow.go]`:
//! Go's imports; `[narrow.cargo]`: Cargo's manifests), or why they cannot (`unknown_reads`).

use super::{NameGlob, TextPattern};
use serde::Deserialize;

/// A profile's `[narrow]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NarrowSpec {
    /// Why what the ecosystem's build reads cannot be told from the build context: its stages are
    /// never narrowed, and the finding says this.
    #[serde(default)]
    pub unknown_reads: Option<String>,
    /// Commands (program and leading positionals) that build: their positional words and the
    /// values of `package_options` name the packages built (none: the working directory's).
    pub builds: Vec<Vec<String>>,
    /// Options whose value names a package built (`cargo install --path`).
    #[serde(default)]
    pub package_options: Vec<String>,
    /// Commands that read only the files and folders always copied.
    #[serde(default)]
    pub others: Vec<Vec<String>>,
    /// Options that make a command read files the sources do not show.
    #[serde(default)]
    pub declined_options: Vec<String>,
    /// Files copied when available (`go.mod`, `go.sum`).
    #[serde(default)]
    pub module_files: Vec<String>,
    /// Folders at the context root copied whole when available (`vendor`).
    #[serde(default)]
    pub folders: Vec<String>,
    /// Files at the context root whose presence makes the build read other folders.
    #[serde(default)]
    pub workspace_files: Vec<String>,
    /// How Go's sources tell the packages built.
    #[serde(default)]
    pub go: Option<GoSources>,
    /// How Cargo's manifests tell the packages built.
    #[serde(default)]
    pub cargo: Option<CargoSources>,
}

/// `[narrow.go]`: a Go module's packages, followed through their imports.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoSources {
    /// The file whose `module` line names the module.
    pub module_file: String,
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

impl GoSources {
    /// Whether a file name is one the build reads in a package folder.
    pub fn is_package_file(&self, name: &str) -> bool {
        self.package_files.iter().any(|glob| glob.matches(name))
    }
}

/// `[narrow.cargo]`: a Cargo workspace's packages, read from their manifests.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CargoSources {
    /// A package's manifest file.
    pub manifest: String,
    /// The build script a package has unless its manifest says otherwise.
    pub build_script: String,
    /// The folder of a package's default library and program targets.
    pub source_folder: String,
    /// The target tables whose roots the manifest names (`lib`, `bin`: built), with the default
    /// root files of a named target (`{name}`).
    pub built_targets: Vec<String>,
    /// The target tables cargo checks when it loads the manifest but does not build
    /// (`example`, `test`, `bench`), with their default roots.
    pub declared_targets: Vec<DeclaredTarget>,
    /// The manifest tables holding dependencies (a `path` in one is a package to copy); a
    /// `*` stands for any key (`target.*.dependencies`).
    pub dependency_tables: Vec<String>,
    /// Crates whose macros read the package's files when it compiles (templates, migrations,
    /// embedded folders, SQL checked against `.sqlx/`): a package depending on one declines.
    pub tree_readers: Vec<String>,
    /// Cargo's configuration files at the context root: every context path they name must be
    /// copied.
    pub config_files: Vec<String>,
    /// Source files scanned for file references.
    pub source_files: NameGlob,
    /// A source text that reads the file named by the string literal after it
    /// (`include_str!(`, `#[path =`).
    pub file_references: Vec<TextPattern>,
}

/// A target table cargo checks on load, and where a target named `{name}` is by default.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredTarget {
    pub key: String,
    pub defaults: Vec<String>,
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

    /// Whether `words` is one of the commands reading only the files always copied.
    pub fn is_other(&self, words: &[&str]) -> bool {
        Self::matches(&self.others, words)
    }
}
