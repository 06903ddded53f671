//! Frameworks that write under their project folder at run time (`[[frameworks]]` of
//! `transforms/runtime-writes.toml`): Rails' `tmp/` and `log/`, Laravel's `storage/`, Next.js'
//! `.next/cache`. A framework is found by its manifest and lock files (read with the context's
//! manifest readers) and, for some, by the command that starts it.

use super::TextPattern;
use crate::context::{manifests, ContextFiles};
use serde::Deserialize;
use std::path::Path;

/// One framework and where it writes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// What the message calls it.
    pub name: String,
    /// What in the build context shows the project uses it; any one suffices. None: the command
    /// alone tells.
    #[serde(default)]
    detect: Vec<FrameworkDetect>,
    /// The commands that start it; none: any command.
    #[serde(default)]
    commands: Vec<FrameworkCommand>,
    /// Folders it writes, relative to its project folder (the working directory, or the folder
    /// of the script a command runs, see [`FrameworkCommand::beside_script`]).
    pub writes: Vec<String>,
}

/// A manifest or lock file that names the framework.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameworkDetect {
    /// A file of the build context, relative to its root.
    file: String,
    /// A dotted key (`require.laravel/framework`) that must hold a string; the format is the
    /// file's extension (`json`, `toml`).
    #[serde(default)]
    key: Option<String>,
    /// A regular expression the file must match.
    #[serde(default)]
    contains: Option<TextPattern>,
}

/// A command that starts the framework: the program's base name, then its first positional
/// words. A word starting with `*` matches any word ending with the rest.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameworkCommand {
    words: Vec<String>,
    /// The writes are relative to the folder of the last matched word (a script:
    /// `node .next/standalone/server.js` changes into its own folder).
    #[serde(default)]
    beside_script: bool,
}

/// How a command starts a framework.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Started {
    /// Relative to the working directory.
    InWorkdir,
    /// Relative to the folder of this script path (as written in the command).
    BesideScript(String),
}

impl Framework {
    /// Whether the build context shows the project uses it (true when nothing is to be read).
    pub fn is_used(&self, context: &dyn ContextFiles) -> bool {
        self.detect.is_empty() || self.detect.iter().any(|detect| detect.holds(context))
    }

    /// Whether it needs a command to tell.
    pub fn needs_command(&self) -> bool {
        !self.commands.is_empty()
    }

    /// How the command (`program` base name and its positional words) starts the framework, if
    /// it is one of its commands.
    pub fn started_by(&self, program: &str, positionals: &[&str]) -> Option<Started> {
        self.commands.iter().find_map(|command| {
            let (first, rest) = command.words.split_first()?;
            if first != program || positionals.len() < rest.len() {
                return None;
            }
            let matched = rest.iter().zip(positionals).all(|(pattern, word)| {
                match pattern.strip_prefix('*') {
                    Some(end) => word.ends_with(end),
                    None => pattern == word,
                }
            });
            match (matched, command.beside_script, rest.len()) {
                (false, _, _) => None,
                (true, true, n) if n > 0 => {
                    Some(Started::BesideScript(positionals[n - 1].to_owned()))
                }
                (true, _, _) => Some(Started::InWorkdir),
            }
        })
    }
}

impl FrameworkDetect {
    fn holds(&self, context: &dyn ContextFiles) -> bool {
        if let Some(key) = &self.key {
            let format = Path::new(&self.file)
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("");
            if manifests::string_value(context, format, &self.file, key).is_none() {
                return false;
            }
        }
        if let Some(pattern) = &self.contains {
            let matched = manifests::read_files(context, [self.file.as_str()])
                .any(|(_, text)| text.is_ok_and(|text| pattern.is_match(&text)));
            if !matched {
                return false;
            }
        }
        self.key.is_some() || self.contains.is_some() || context.is_available(Path::new(&self.file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_match_program_and_first_words() {
        let toml = r#"
            name = "Next.js"
            commands = [{ words = ["next", "start"] }, { words = ["node", "*.next/standalone/server.js"], beside_script = true }]
            writes = [".next/cache"]
        "#;
        let next: Framework = toml::from_str(toml).expect("valid");
        assert_eq!(
            next.started_by("next", &["start", "-p", "3000"]),
            Some(Started::InWorkdir)
        );
        assert_eq!(next.started_by("next", &["dev"]), None);
        assert_eq!(
            next.started_by("node", &[".next/standalone/server.js"]),
            Some(Started::BesideScript(
                ".next/standalone/server.js".to_owned()
            ))
        );
        assert_eq!(next.started_by("node", &["server.js"]), None);
    }
}
