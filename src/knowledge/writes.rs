//! Where applications write at run time, read from their configuration files in the build
//! context (`transforms/runtime-writes.toml`): gunicorn's pid file, uWSGI's socket, logback's log
//! folder. `non-root-user` hands those folders to the user it switches to.

use super::TextPattern;
use crate::context::{manifests, ContextFiles};
use serde::Deserialize;

/// The `runtime-writes.toml` file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeWrites {
    configs: Vec<WriterConfig>,
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
        for config in &self.configs {
            for glob in &config.files {
                for (file, text) in manifests::read_files(context, [glob.as_str()]) {
                    let (Some(name), Ok(text)) = (file.to_str(), text) else {
                        continue;
                    };
                    found.extend(config.writes_in(name, &text));
                }
            }
        }
        found.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        found.dedup();
        found
    }
}

impl WriterConfig {
    fn writes_in(&self, file: &str, text: &str) -> Vec<RuntimeWrite> {
        if self.requires.as_ref().is_some_and(|r| !r.is_match(text)) {
            return Vec::new();
        }
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
