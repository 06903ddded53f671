//! Where applications write at run time, read from their configuration files in the build
//! context (`transforms/runtime-writes.toml`): gunicorn's pid file, uWSGI's socket, logback's log
//! folder. `non-root-user` hands those folders to the user it switches to.

use super::frameworks::Framework;
use super::TextPattern;
use crate::context::{manifests, ContextFiles};
use serde::Deserialize;

/// The `runtime-writes.toml` file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeWrites {
    configs: Vec<WriterConfig>,
    /// Folders of the system and folders every user may write.
    #[serde(default)]
    folders: Folders,
    /// Frameworks and the folders they write under their project.
    #[serde(default)]
    pub(super) frameworks: Vec<Framework>,
    /// Programs and their options that take an address to listen on.
    #[serde(default)]
    binds: Vec<BindOptions>,
}

/// `[folders]`: what the image's file system holds that an application user must not own, and
/// what every user may write already.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Folders {
    /// Folders that, with everything under them, belong to the system.
    #[serde(default)]
    system_trees: Vec<String>,
    /// Folders that belong to the system themselves (their subfolders may be an application's:
    /// `/opt/app`).
    #[serde(default)]
    system: Vec<String>,
    /// Paths that are streams or kernel files, not files the application creates
    /// (`/proc/self/fd/2`, `/dev/stderr`).
    #[serde(default)]
    streams: Vec<String>,
}

/// `[[binds]]`: programs whose options name the address they listen on.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BindOptions {
    programs: Vec<String>,
    /// Options whose value is `HOST:PORT`, `:PORT` or `PORT`.
    options: Vec<String>,
}

/// A port a configuration file says the application listens on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfiguredPort {
    pub config: String,
    pub file: String,
    pub line: usize,
    pub port: u32,
}

/// One kind of configuration file and how it names what the application writes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WriterConfig {
    name: String,
    files: Vec<String>,
    #[serde(default)]
    requires: Option<TextPattern>,
    #[serde(default)]
    writes_files: Vec<TextPattern>,
    #[serde(default)]
    writes_folders: Vec<TextPattern>,
    /// Regular expressions whose `address` group is an address the application listens on.
    #[serde(default)]
    binds: Vec<TextPattern>,
}

/// One place a configuration file says the application writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeWrite {
    /// What kind of file said so (`gunicorn`, `logback`).
    pub config: String,
    /// The configuration file, relative to the build context.
    pub file: String,
    /// Its 1-based line.
    pub line: usize,
    /// The path as written: absolute, or relative to the working directory.
    pub path: String,
    /// The path is a folder the application writes into; otherwise a file it creates.
    pub is_folder: bool,
}

impl RuntimeWrite {
    /// The folder that must be writable: the path itself for a folder, else the file's folder
    /// (`.` for a bare file name).
    pub fn folder(&self) -> &str {
        if self.is_folder {
            return self.path.trim_end_matches('/');
        }
        match self.path.rfind('/') {
            Some(0) => "/",
            Some(slash) => &self.path[..slash],
            None => ".",
        }
    }
}

impl RuntimeWrites {
    /// Every write the configuration files of `context` name, in file order.
    pub fn find(&self, context: &dyn ContextFiles) -> Vec<RuntimeWrite> {
        let mut found = Vec::new();
        self.each_config(context, |config, name, text| {
            found.extend(config.writes_in(name, text))
        });
        found.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        found.dedup();
        found
    }

    /// Every port the configuration files of `context` say the application listens on (those
    /// given literally), in file order.
    pub fn ports(&self, context: &dyn ContextFiles) -> Vec<ConfiguredPort> {
        let mut found = Vec::new();
        self.each_config(context, |config, name, text| {
            for pattern in &config.binds {
                for captures in pattern.0.captures_iter(text) {
                    let Some(address) = captures.name("address") else {
                        continue;
                    };
                    if let Some(port) = address_port(address.as_str()) {
                        found.push(ConfiguredPort {
                            config: config.name.clone(),
                            file: name.to_owned(),
                            line: text[..address.start()].matches('\n').count() + 1,
                            port,
                        });
                    }
                }
            }
        });
        found.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        found.dedup();
        found
    }

    fn each_config(
        &self,
        context: &dyn ContextFiles,
        mut each: impl FnMut(&WriterConfig, &str, &str),
    ) {
        for config in &self.configs {
            for glob in &config.files {
                for (file, text) in manifests::read_files(context, [glob.as_str()]) {
                    let (Some(name), Ok(text)) = (file.to_str(), text) else {
                        continue;
                    };
                    if config.requires.as_ref().is_some_and(|r| !r.is_match(&text)) {
                        continue;
                    }
                    each(config, name, &text);
                }
            }
        }
    }

    /// Whether `folder` (absolute, normalized) is a folder of the system: one of the system
    /// trees or under one, or exactly one of the system folders.
    pub fn is_system_folder(&self, folder: &str) -> bool {
        self.folders.system.iter().any(|f| f == folder)
            || self
                .folders
                .system_trees
                .iter()
                .any(|tree| is_inside(folder, tree))
    }

    /// Whether `path` is a stream or kernel file (`/proc/self/fd/2`, `/dev/stdout`).
    pub fn is_stream(&self, path: &str) -> bool {
        self.folders
            .streams
            .iter()
            .any(|stream| is_inside(path, stream))
    }

    /// The options of `program` (a base name) that name an address it listens on.
    pub fn bind_options(&self, program: &str) -> Vec<&str> {
        self.binds
            .iter()
            .filter(|bind| bind.programs.iter().any(|p| p == program))
            .flat_map(|bind| bind.options.iter().map(String::as_str))
            .collect()
    }
}

/// The port of a listening address given literally: `0.0.0.0:80`, `:80`, `80`, `[::]:80`,
/// `tcp://0.0.0.0:80`; `None` for Unix sockets, variables and anything else.
pub fn address_port(address: &str) -> Option<u32> {
    let address = address.trim().trim_matches(|c| c == '"' || c == '\'');
    let address = address.split_once("://").map_or(address, |(_, rest)| rest);
    let address = address.trim_end_matches('/');
    if address.starts_with("unix:") || address.starts_with('/') || address.contains('$') {
        return None;
    }
    let port = address.rsplit_once(':').map_or(address, |(_, port)| port);
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) || port.len() > 5 {
        return None;
    }
    port.parse().ok()
}

/// Whether `path` is `folder` or lies under it.
fn is_inside(path: &str, folder: &str) -> bool {
    let folder = folder.trim_end_matches('/');
    path == folder
        || path
            .strip_prefix(folder)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl WriterConfig {
    fn writes_in(&self, file: &str, text: &str) -> Vec<RuntimeWrite> {
        let patterns = self
            .writes_files
            .iter()
            .map(|p| (p, false))
            .chain(self.writes_folders.iter().map(|p| (p, true)));
        let mut found = Vec::new();
        for (pattern, is_folder) in patterns {
            for captures in pattern.0.captures_iter(text) {
                let Some(path) = captures.name("path") else {
                    continue;
                };
                found.push(RuntimeWrite {
                    config: self.name.clone(),
                    file: file.to_owned(),
                    line: text[..path.start()].matches('\n').count() + 1,
                    path: path.as_str().trim().to_owned(),
                    is_folder,
                });
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gunicorn() -> WriterConfig {
        let toml = r#"
            name = "gunicorn"
            files = ["gunicorn.conf.py"]
            writes_files = ["(?m)^\\s*(?:pidfile|errorlog)\\s*=\\s*['\"](?P<path>[^'\"$%\\-][^'\"$%]*)['\"]"]
        "#;
        toml::from_str(toml).expect("valid config")
    }

    #[test]
    fn reads_paths_with_their_lines() {
        let text = "bind = '0.0.0.0:8000'\npidfile = 'gunicorn.pid'\nerrorlog = '-'\n";
        let writes = gunicorn().writes_in("gunicorn.conf.py", text);
        assert_eq!(writes.len(), 1, "{writes:?}");
        assert_eq!((writes[0].line, writes[0].folder()), (2, "."));
    }

    #[test]
    fn folder_of_a_file_and_of_a_folder() {
        let write = |path: &str, is_folder| RuntimeWrite {
            config: String::new(),
            file: String::new(),
            line: 1,
            path: path.to_owned(),
            is_folder,
        };
        assert_eq!(write("/var/run/app.pid", false).folder(), "/var/run");
        assert_eq!(write("/app.pid", false).folder(), "/");
        assert_eq!(write("/logs/app/", true).folder(), "/logs/app");
    }
}
