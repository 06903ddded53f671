//! Secrets that must not reach an image: which files of a build context hold them (by name, by
//! path, by a line they hold, by how they start), and which build argument and environment
//! variable names hold them. The data is `transforms/secrets.toml`, embedded and parsed once.
//! No file I/O: callers pass what they read.

use super::patterns::{any_glob_matches, NameGlob, TextPattern};
use serde::Deserialize;
use std::sync::OnceLock;

const SECRETS: &str = include_str!("../../transforms/secrets.toml");

/// The layout of `secrets.toml`, checked when it is loaded.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    pub files: SecretFiles,
    pub content: SecretContent,
    pub variables: SecretVariables,
}

/// Secret files by name and path, and those whose lines hold a written secret.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretFiles {
    pub names: Vec<NameGlob>,
    pub except: Vec<NameGlob>,
    /// The last components of a path (`.aws/credentials`).
    pub paths: Vec<String>,
    pub with_line: Vec<LineRule>,
}

/// Files of these names are secrets when a line matches.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineRule {
    pub names: Vec<NameGlob>,
    pub line: TextPattern,
    pub why: String,
}

/// Small files are read from their start, whatever their name.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretContent {
    /// The largest file read, in bytes.
    pub max_bytes: u64,
    /// Private key headers a secret starts with (after blank space).
    pub headers: Vec<String>,
    pub starts: Vec<StartRule>,
}

/// A file whose start matches `pattern` is a secret.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRule {
    pub pattern: TextPattern,
    pub why: String,
}

/// Variable names that hold secrets, and the Dockerfile syntax that mounts secrets as variables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretVariables {
    pub tokens: Vec<String>,
    pub allowed: Vec<String>,
    /// The `# syntax=` value written when a file has none.
    pub syntax: String,
    /// Frontend image names whose versions can be compared with `syntax_minimum`.
    pub syntax_images: Vec<String>,
    /// The first version (major, minor) with `RUN --mount=type=secret,env=`.
    pub syntax_minimum: Vec<u32>,
}

/// How a file was found to be a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretKind {
    /// Its name or path says so.
    Named,
    /// What it holds says so; the reason is a short description (`a private key`).
    Holds(String),
}

/// What a caller read of a file for [`Secrets::classify`].
#[derive(Clone, Copy, Debug)]
pub struct FileSample<'a> {
    /// The file's size in bytes.
    pub len: u64,
    /// Its first bytes (up to `content.max_bytes`), when it was read.
    pub start: Option<&'a [u8]>,
}

impl Secrets {
    /// The embedded data, parsed on first use.
    pub fn builtin() -> &'static Secrets {
        static BUILTIN: OnceLock<Secrets> = OnceLock::new();
        BUILTIN.get_or_init(|| match toml::from_str(SECRETS) {
            Ok(data) => data,
            // The embedded data is checked by the test suite; failing here is a build defect.
            Err(error) => panic!("transforms/secrets.toml is invalid: {error}"),
        })
    }

    /// Whether the start of a file at `path` (relative, `/`-separated) of `len` bytes is read to
    /// classify it: it is not empty, small enough, and not an example or template.
    pub fn wants_content(&self, path: &str, len: u64) -> bool {
        len > 0 && len <= self.content.max_bytes && !self.excepted(path)
    }

    /// Whether a file of the context is a secret, and how that shows. An empty file holds
    /// nothing to leak; examples and templates (`.env.example`) hold none by convention.
    pub fn classify(&self, path: &str, sample: FileSample) -> Option<SecretKind> {
        if sample.len == 0 || self.excepted(path) {
            return None;
        }
        let name = file_name(path);
        let by_path = self
            .files
            .paths
            .iter()
            .any(|suffix| path == suffix || path.ends_with(&format!("/{suffix}")));
        if by_path || any_glob_matches(&self.files.names, name) {
            return Some(SecretKind::Named);
        }
        let text = String::from_utf8_lossy(sample.start?);
        self.holds_line(name, &text)
            .or_else(|| self.starts_like_a_secret(&text))
            .map(SecretKind::Holds)
    }

    fn excepted(&self, path: &str) -> bool {
        any_glob_matches(&self.files.except, file_name(path))
    }

    fn holds_line(&self, name: &str, text: &str) -> Option<String> {
        self.files
            .with_line
            .iter()
            .filter(|rule| any_glob_matches(&rule.names, name))
            .find(|rule| text.lines().any(|line| rule.line.is_match(line)))
            .map(|rule| rule.why.clone())
    }

    fn starts_like_a_secret(&self, text: &str) -> Option<String> {
        let start = text.trim_start_matches('\u{feff}').trim_start();
        if self
            .content
            .headers
            .iter()
            .any(|header| start.starts_with(header.as_str()))
        {
            return Some("a private key".to_owned());
        }
        self.content
            .starts
            .iter()
            .find(|rule| rule.pattern.is_match(text))
            .map(|rule| rule.why.clone())
    }
}

impl SecretVariables {
    /// Whether a variable name holds a secret, as BuildKit's SecretsUsedInArgOrEnv reads it:
    /// one of the tokens is a whole `_`-separated word of the name, and no allowed word is.
    pub fn is_secret(&self, name: &str) -> bool {
        let words: Vec<String> = name.split('_').map(str::to_ascii_lowercase).collect();
        let has = |list: &[String]| list.iter().any(|token| words.contains(token));
        has(&self.tokens) && !has(&self.allowed)
    }

    /// Whether a `# syntax=` value reads `RUN --mount=type=secret,env=`: one of the frontend
    /// images at `syntax_minimum` or later (`1`, `1.10`, `1.11.2`, `1-labs`).
    pub fn syntax_supports_env(&self, syntax: &str) -> bool {
        let (image, tag) = syntax.split_once(':').unwrap_or((syntax, "latest"));
        if !self.syntax_images.iter().any(|known| known == image) {
            return false;
        }
        let tag = tag.split('@').next().unwrap_or(tag);
        let version = tag.split('-').next().unwrap_or(tag);
        if version == "latest" {
            return true;
        }
        let numbers: Option<Vec<u32>> = version.split('.').map(|part| part.parse().ok()).collect();
        let Some(numbers) = numbers else {
            return false;
        };
        // `1` means the newest 1.x; `1.4` and `1.4.3` are pinned.
        match numbers.as_slice() {
            [major] => self.syntax_minimum.first().is_some_and(|min| major >= min),
            [major, minor, ..] => [*major, *minor] >= [self.minimum(0), self.minimum(1)],
            [] => false,
        }
    }

    fn minimum(&self, index: usize) -> u32 {
        self.syntax_minimum.get(index).copied().unwrap_or(0)
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(text: &str) -> FileSample<'_> {
        FileSample {
            len: text.len() as u64,
            start: Some(text.as_bytes()),
        }
    }

    #[test]
    fn secret_files_by_name_path_line_and_start() {
        let secrets = Secrets::builtin();
        let named = Some(SecretKind::Named);
        assert_eq!(secrets.classify(".env", sample("A=1\n")), named);
        assert_eq!(secrets.classify("config/.env.local", sample("A=1")), named);
        assert_eq!(
            secrets.classify("home/.aws/credentials", sample("x")),
            named
        );
        assert_eq!(secrets.classify(".env.example", sample("A=1")), None);
        assert_eq!(secrets.classify(".env", sample("")), None, "empty");
        let token = sample("//registry.npmjs.org/:_authToken=npm_abc\n");
        assert!(matches!(
            secrets.classify(".npmrc", token),
            Some(SecretKind::Holds(_))
        ));
        let from_env = sample("//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n");
        assert_eq!(secrets.classify(".npmrc", from_env), None);
        let key = sample("\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n");
        assert_eq!(
            secrets.classify("deploy/robot", key),
            Some(SecretKind::Holds("a private key".to_owned()))
        );
        let certificate = sample("-----BEGIN CERTIFICATE-----\nMIIB\n");
        assert_eq!(secrets.classify("ca.pem", certificate), None);
        let account = sample("{\n  \"type\": \"service_account\",\n  \"project_id\": \"p\"");
        assert!(secrets.classify("sa.json", account).is_some());
    }

    #[test]
    fn secret_variable_names_as_buildkit_reads_them() {
        let variables = &Secrets::builtin().variables;
        for name in [
            "NPM_TOKEN",
            "api_key",
            "AWS_SECRET_ACCESS_KEY",
            "DB_PASSWORD",
            "AUTH",
        ] {
            assert!(variables.is_secret(name), "{name}");
        }
        for name in [
            "TOKENIZER",
            "PUBLIC_KEY",
            "KEY_FILE",
            "NODE_VERSION",
            "MONKEY",
        ] {
            assert!(!variables.is_secret(name), "{name}");
        }
    }

    #[test]
    fn syntax_versions_that_mount_secrets_as_variables() {
        let variables = &Secrets::builtin().variables;
        for syntax in [
            "docker/dockerfile:1",
            "docker/dockerfile:1.10",
            "docker/dockerfile:1.11.1",
            "docker/dockerfile:1-labs",
            "docker.io/docker/dockerfile:1.12",
        ] {
            assert!(variables.syntax_supports_env(syntax), "{syntax}");
        }
        for syntax in [
            "docker/dockerfile:1.4",
            "docker/dockerfile:1.9.0",
            "example/frontend:2",
        ] {
            assert!(!variables.syntax_supports_env(syntax), "{syntax}");
        }
    }
}
