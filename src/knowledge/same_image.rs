//! A runtime stage on the builder's own image (`[runtime.same_image]` of a profile): PHP has no
//! slimmer image, so the runtime stage is the same `php:*` image without what the build added
//! for itself. What it knows: the image's own programs and variables, the folders builds leave
//! files in that no application reads, the files of the received folders nothing reads, the
//! programs that write only into those folders, the tools that write into a project folder
//! (`composer install`), how the interpreter runs code, and the programs builds copy from
//! images (`COPY --from=composer:2 …`).

use super::patterns::any_glob_matches;
use super::NameGlob;
use serde::Deserialize;
use std::collections::BTreeMap;

/// What a profile knows about a runtime stage on the builder's own image.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SameImage {
    /// Programs the image has: a command may run them.
    pub programs: Vec<String>,
    /// The image's own `ENV` that RUNs use (`PHP_INI_DIR`).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Folders builds leave files in that no application reads (sources, headers, caches).
    #[serde(default)]
    pub scratch: Vec<String>,
    /// Files of the received folders that nothing reads: a RUN may remove or move them.
    #[serde(default)]
    pub unread: Vec<String>,
    /// Folders the image has, by path, with their owner (`user:group`): a `chown` of the
    /// application folder itself to that owner changes nothing the runtime stage lacks.
    #[serde(default)]
    pub image_folders: BTreeMap<String, String>,
    /// Programs that write only into the received folders and `scratch`.
    #[serde(default)]
    pub extension_tools: Vec<String>,
    /// Installers that also install the system libraries of what they install.
    #[serde(default)]
    pub extension_installers: Vec<ExtensionInstaller>,
    /// Tools that write into the project folder they run in.
    #[serde(default)]
    pub project_tools: Vec<ProjectTool>,
    /// How the image's interpreter runs code.
    pub interpreter: Interpreter,
    /// Programs builds copy from images.
    #[serde(default)]
    pub tools: Vec<ImageTool>,
}

/// An installer of extensions that installs the system libraries they load too
/// (`install-php-extensions`): only `extensions`, which load none the image lacks, are
/// accounted for.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionInstaller {
    pub program: String,
    pub extensions: Vec<String>,
    /// Words that install a build tool instead (`@composer`; globs).
    #[serde(default)]
    pub tools: Vec<NameGlob>,
}

impl ExtensionInstaller {
    /// Whether the word names an extension accounted for (`pcntl`, `xdebug-3.3.1`,
    /// `apcu@5.1.23`) or a build tool.
    pub fn accounts_for(&self, word: &str) -> bool {
        if any_glob_matches(&self.tools, word) {
            return true;
        }
        let name = word.split('@').next().unwrap_or(word);
        self.extensions.iter().any(|extension| {
            name == extension
                || name
                    .strip_prefix(extension.as_str())
                    .is_some_and(|version| {
                        version.len() > 1
                            && version.starts_with('-')
                            && version[1..].chars().all(|c| c.is_ascii_digit() || c == '.')
                    })
        })
    }
}

/// A tool that writes into its project folder (`composer install`: `vendor/`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectTool {
    /// Its program names.
    pub programs: Vec<String>,
    /// Options naming the project folder instead of the working directory.
    #[serde(default)]
    pub folder_options: Vec<String>,
    /// The commands (first positional) that write only into the project folder.
    pub commands: Vec<String>,
}

/// How the image's interpreter runs code.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interpreter {
    pub program: String,
    /// Its options taking the next word.
    #[serde(default)]
    pub value_options: Vec<String>,
    /// Options that only print (`-v`, `--ri NAME`).
    #[serde(default)]
    pub inert_options: Vec<String>,
    /// Options giving the code to run (`-r CODE`): it writes into the working directory.
    #[serde(default)]
    pub code_options: Vec<String>,
    /// An installer script's option naming the folder it writes into, and the file's name
    /// (the Composer installer's `--install-dir`, `--filename`), and that name by default.
    pub install_folder: String,
    pub install_name: String,
    pub install_default: String,
}

/// A program builds copy from images (`COPY --from=composer:2 /usr/bin/composer …`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageTool {
    /// The file names it has (the copied file's name).
    pub names: Vec<String>,
    /// The images it is copied from (globs over image names).
    pub images: Vec<NameGlob>,
    /// Only builds run it: the runtime stage does not receive it.
    pub build_only: bool,
}

impl SameImage {
    /// The tool a `COPY --from=IMAGE` of a file of that name is, when known.
    pub fn image_tool(&self, image: &str, file: &str) -> Option<&ImageTool> {
        self.tools.iter().find(|tool| {
            any_glob_matches(&tool.images, image) && tool.names.iter().any(|name| name == file)
        })
    }

    /// Whether a file of that name is a build-only tool (`composer`).
    pub fn is_build_tool(&self, file: &str) -> bool {
        self.tools
            .iter()
            .any(|tool| tool.build_only && tool.names.iter().any(|name| name == file))
    }

    /// The owner (`user:group`) the image gives one of its folders.
    pub fn image_folder_owner(&self, path: &str) -> Option<&str> {
        self.image_folders.get(path).map(String::as_str)
    }

    /// Whether the program is one the image has.
    pub fn has_program(&self, program: &str) -> bool {
        self.programs.iter().any(|known| known == program)
    }

    /// Whether the program writes only into the received folders and scratch ones.
    pub fn is_extension_tool(&self, program: &str) -> bool {
        self.extension_tools.iter().any(|known| known == program)
    }

    /// The installer of extensions that the program is, if it is one.
    pub fn extension_installer(&self, program: &str) -> Option<&ExtensionInstaller> {
        self.extension_installers
            .iter()
            .find(|installer| installer.program == program)
    }

    /// The project tool that the program is, if it is one.
    pub fn project_tool(&self, program: &str) -> Option<&ProjectTool> {
        self.project_tools
            .iter()
            .find(|tool| tool.programs.iter().any(|name| name == program))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_accounted_extensions_by_name_and_version() {
        let installer = ExtensionInstaller {
            program: "install-php-extensions".to_owned(),
            extensions: vec!["pcntl".to_owned(), "xdebug".to_owned()],
            tools: vec![NameGlob::try_from("@composer*".to_owned()).expect("a glob")],
        };
        for word in [
            "pcntl",
            "xdebug-3.3.1",
            "xdebug@3.3",
            "@composer",
            "@composer-2.7",
        ] {
            assert!(installer.accounts_for(word), "{word}");
        }
        for word in ["intl", "pcntlx", "xdebug-beta", "mlocati/ext@abc", "gd"] {
            assert!(!installer.accounts_for(word), "{word}");
        }
    }
}
