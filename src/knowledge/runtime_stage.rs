//! What `split-stages` knows about the runtime stage it writes: the programs runtime images
//! offer, the folders every base image has, the words of static file servers that change
//! no response, and what the commands of a RUN change in the image (for a runtime stage on the
//! builder's own image). The data is `transforms/runtime-stage.toml`, embedded and parsed once.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const RUNTIME_STAGE: &str = include_str!("../../transforms/runtime-stage.toml");

/// The layout of `runtime-stage.toml`, checked when it is loaded.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeStage {
    pub runtime_images: RuntimeImages,
    pub base_images: BaseImages,
    pub static_servers: StaticServers,
    pub system_changes: SystemChanges,
}

/// What every runtime image of the ecosystems offers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeImages {
    /// Interpreters and launchers on the runtime images' PATH.
    pub programs: Vec<String>,
    /// Folders whose `bin` is on the runtime images' PATH.
    pub path_roots: Vec<String>,
    /// Download tools a HEALTHCHECK may call, installed in the runtime stage.
    pub download_tools: Vec<String>,
    /// Other programs and builtins of every base system with a shell.
    pub base_programs: Vec<String>,
    /// Variables naming the folders modules are looked up in.
    pub module_paths: Vec<String>,
}

/// What every base image has.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseImages {
    pub system_folders: Vec<String>,
}

/// Static file servers: npx's own options, and each server's options that change no response.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticServers {
    pub npx_flags: Vec<String>,
    /// Server name (`serve`, `http-server`) → its options that change no response body.
    pub inert_flags: BTreeMap<String, Vec<String>>,
}

/// What the commands of a RUN change in the image.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemChanges {
    /// Programs that change no file besides their redirections.
    pub inert: Vec<String>,
    /// Folders whose files are not image content (`/dev`, `/proc`).
    pub unstored: Vec<String>,
    /// Folders of scratch files no application reads (`/tmp`).
    pub scratch: Vec<String>,
    /// Package manager verbs that upgrade the image's own packages.
    pub upgrades: Vec<String>,
    /// Program → the folder it configures, for the reason given when it declines.
    pub configures: BTreeMap<String, String>,
    /// Programs that write or remove the paths they are given.
    pub writers: BTreeMap<String, PathWriter>,
    /// Download tools and what they write.
    pub downloaders: BTreeMap<String, Downloader>,
}

/// How a program that writes or removes paths reads its words.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathWriter {
    /// Leading positional words that are not paths (a mode, an owner, a script).
    #[serde(default)]
    pub skip: usize,
    #[serde(default)]
    pub value_options: Vec<String>,
    /// Which positionals it writes.
    #[serde(default)]
    pub written: Positions,
    /// Which positionals it removes.
    #[serde(default = "Positions::none")]
    pub removes: Positions,
    /// Options naming the destination folder: then every positional is a source.
    #[serde(default)]
    pub target_options: Vec<String>,
    /// Options that give the script `skip` would skip (`sed -e`).
    #[serde(default)]
    pub script_options: Vec<String>,
    /// The program changes files only with one of these options (`sed -i`).
    #[serde(default)]
    pub only_with: Vec<String>,
}

/// Which positional words of a path writer a change applies to.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Positions {
    #[default]
    All,
    /// The last one (the destination).
    Last,
    /// All but the last one (what a move takes away).
    Sources,
    None,
}

impl Positions {
    fn none() -> Positions {
        Positions::None
    }
}

/// What a download tool writes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Downloader {
    /// Options whose value is the file written (`-` is standard output).
    #[serde(default)]
    pub output_options: Vec<String>,
    /// Options that write the URL's file name into the working directory.
    #[serde(default)]
    pub remote_name: Vec<String>,
    /// Options naming the folder downloads go to instead.
    #[serde(default)]
    pub folder_options: Vec<String>,
    /// Without an output option, the tool writes the URL's file name (wget).
    #[serde(default)]
    pub default_writes: bool,
    /// Other options taking the next word.
    #[serde(default)]
    pub value_options: Vec<String>,
}

impl RuntimeStage {
    /// The embedded data, parsed on first use.
    pub fn builtin() -> &'static RuntimeStage {
        static BUILTIN: OnceLock<RuntimeStage> = OnceLock::new();
        BUILTIN.get_or_init(|| match toml::from_str(RUNTIME_STAGE) {
            Ok(data) => data,
            // The embedded data is checked by the test suite; failing here is a build defect.
            Err(error) => panic!("transforms/runtime-stage.toml is invalid: {error}"),
        })
    }

    /// Whether a runtime image provides the program on its PATH (`node`, `python3`).
    pub fn is_runtime_program(&self, name: &str) -> bool {
        contains(&self.runtime_images.programs, name)
    }

    /// Whether the folder's `bin` is on the runtime images' PATH (`/usr/local`).
    pub fn is_path_root(&self, folder: &str) -> bool {
        contains(&self.runtime_images.path_roots, folder)
    }

    /// Whether the program is a download tool the runtime stage can install (`curl`).
    pub fn is_download_tool(&self, name: &str) -> bool {
        contains(&self.runtime_images.download_tools, name)
    }

    /// Whether every base system with a shell answers the name (`true`, `[`).
    pub fn is_base_program(&self, name: &str) -> bool {
        contains(&self.runtime_images.base_programs, name)
    }

    /// The module search path variable named `name` (`PYTHONPATH`), if it is one.
    pub fn module_path(&self, name: &str) -> Option<&str> {
        let found = self.runtime_images.module_paths.iter();
        found.map(String::as_str).find(|known| *known == name)
    }

    /// Whether every base image has the folder (`/etc`, `/usr/local/bin`).
    pub fn is_system_folder(&self, path: &str) -> bool {
        contains(&self.base_images.system_folders, path)
    }

    /// Whether npx reads the word as one of its options that only answer or quiet it.
    pub fn is_npx_flag(&self, word: &str) -> bool {
        contains(&self.static_servers.npx_flags, word)
    }

    /// Whether the static file server's option changes no response body.
    pub fn is_inert_flag(&self, server: &str, flag: &str) -> bool {
        self.static_servers
            .inert_flags
            .get(server)
            .is_some_and(|flags| contains(flags, flag))
    }
}

impl SystemChanges {
    /// Whether the program changes no file (`echo`, `grep`).
    pub fn is_inert(&self, program: &str) -> bool {
        contains(&self.inert, program)
    }

    /// Whether the package manager verb upgrades installed packages.
    pub fn is_upgrade(&self, verb: &str) -> bool {
        contains(&self.upgrades, verb)
    }
}

fn contains(list: &[String], word: &str) -> bool {
    list.iter().any(|known| known == word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_data_loads() {
        let data = RuntimeStage::builtin();
        assert!(data.is_runtime_program("node") && !data.is_runtime_program("gunicorn"));
        assert!(data.is_path_root("/usr/local"));
        assert!(data.is_system_folder("/etc") && !data.is_system_folder("/app"));
        assert!(data.is_inert_flag("http-server", "--gzip"));
        assert!(data.is_inert_flag("serve", "--no-etag"));
        assert!(!data.is_inert_flag("serve", "--gzip"));
        assert_eq!(data.module_path("NODE_PATH"), Some("NODE_PATH"));
        let changes = &data.system_changes;
        assert!(changes.is_inert("echo") && !changes.is_inert("a2enmod"));
        assert_eq!(changes.writers["mv"].removes, Positions::Sources);
        assert_eq!(changes.writers["mkdir"].written, Positions::All);
        assert_eq!(changes.writers["rm"].written, Positions::None);
        assert!(changes.downloaders["wget"].default_writes);
    }
}
