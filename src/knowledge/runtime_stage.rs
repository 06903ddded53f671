//! What `split-stages` knows about the runtime stage it writes: the programs runtime images
//! offer, the folders every base image has, and the words of static file servers that change
//! no response. The data is `transforms/runtime-stage.toml`, embedded and parsed once.

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
    }
}
