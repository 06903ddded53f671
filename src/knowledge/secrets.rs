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
    /// Secret files the build's own tools read.
    #[serde(default)]
    pub read_by_build: Vec<BuildRead>,
}

/// Files of these names are read by the build when a RUN runs one of `programs`: handed to it as
/// the build secret `id`, mounted at `home_path` in the RUN user's home.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildRead {
    pub names: Vec<NameGlob>,
    pub programs: Vec<String>,
    pub id: String,
    pub home_path: String,
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

/// Variable names that hold secrets, the Dockerfile syntax versions that mount secrets, and
/// the commands that store what they are given.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretVariables {
    pub tokens: Vec<String>,
    pub allowed: Vec<String>,
    /// Frontend image names whose versions can be compared.
    pub syntax_images: Vec<String>,
    /// The first version (major, minor) with `RUN --mount=type=secret`.
    pub mount_minimum: Vec<u32>,
    /// The first version (major, minor) with `RUN --mount=type=secret,env=`.
    pub env_minimum: Vec<u32>,
    /// Programs of a SHELL instruction that are POSIX shells.
    pub shells: Vec<String>,
    /// Programs that print their arguments.
    pub printers: Vec<String>,
    /// Programs that print values of their environment (all, or those their words name).
    pub environment_printers: Vec<String>,
    /// Programs that print what a here-string gives them.
    pub input_printers: Vec<String>,
    /// Programs that write what they read into the files they name.
    pub file_writers: Vec<String>,
    /// Commands that keep their arguments in the image.
    pub stores: Vec<StoringCommand>,
    /// Commands that write their arguments into the files they edit in place.
    pub editors: Vec<EditingCommand>,
    /// Programs that copy or move files.
    pub copiers: Copiers,
}

/// A program that, given one of `options`, writes its script (which may hold the secret) into
/// the files it edits in place (`sed -i`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditingCommand {
    pub program: String,
    /// The options that edit in place; a short one also counts inside a group (`-Ei`) or with
    /// a suffix attached (`-i.bak`).
    pub options: Vec<String>,
    /// Options that take the next word, among them `script_options`.
    pub value_options: Vec<String>,
    /// Options whose value is the script: with one, every positional word is a file; without,
    /// the first positional word is the script.
    pub script_options: Vec<String>,
}

impl EditingCommand {
    /// Whether an option word (its name, without `=value`) asks for an in-place edit.
    pub fn edits_in_place(&self, option: &str) -> bool {
        self.options.iter().any(|wanted| {
            if option == wanted {
                return true;
            }
            let (Some(letter), false) = (wanted.strip_prefix('-'), wanted.starts_with("--")) else {
                return false;
            };
            let Some(group) = option.strip_prefix('-').filter(|g| !g.starts_with('-')) else {
                return false;
            };
            group.contains(letter)
        })
    }
}

/// Programs that copy (or move) files to a destination: the last positional word, or the
/// folder a `target_options` option names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Copiers {
    pub programs: Vec<String>,
    /// Those that remove their sources.
    pub moves: Vec<String>,
    pub value_options: Vec<String>,
    pub target_options: Vec<String>,
}

/// A command (program base name, then leading positional words) that keeps its arguments in
/// the image, and where.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoringCommand {
    pub command: Vec<String>,
    #[serde(rename = "where")]
    pub place: String,
}

/// How a Dockerfile's syntax lets a RUN receive a build secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretMounts {
    /// `--mount=type=secret,id=NAME,env=NAME`: the value in the RUN's environment.
    Env,
    /// `--mount=type=secret,id=NAME`: the value in the file `/run/secrets/NAME`.
    File,
    /// No secret mounts (an older syntax), or a frontend whose support is not known.
    None,
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

    /// The tools that read a secret file at `path` while the image builds, when some do.
    pub fn read_by_build(&self, path: &str) -> Option<&BuildRead> {
        let name = file_name(path);
        self.files
            .read_by_build
            .iter()
            .find(|rule| any_glob_matches(&rule.names, name))
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

    /// What a `# syntax=` value (`None`: the file has none, the builder's own frontend) offers:
    /// `env=` from `env_minimum` on (`1`, `1-labs`, `latest` included), file mounts from
    /// `mount_minimum` on or with an `-experimental` tag; nothing known of other frontends.
    pub fn secret_mounts(&self, syntax: Option<&str>) -> SecretMounts {
        let Some(syntax) = syntax else {
            return SecretMounts::File;
        };
        let syntax = syntax.split('@').next().unwrap_or(syntax);
        let (image, tag) = match syntax.rsplit_once(':') {
            Some((image, tag)) if !tag.contains('/') => (image, tag),
            _ => (syntax, "latest"),
        };
        if !self.syntax_images.iter().any(|known| known == image) {
            return SecretMounts::None;
        }
        let (version, suffix) = tag.split_once('-').unwrap_or((tag, ""));
        if matches!(version, "latest" | "labs") {
            return SecretMounts::Env;
        }
        let numbers: Option<Vec<u32>> = version.split('.').map(|part| part.parse().ok()).collect();
        let Some(numbers) = numbers else {
            return SecretMounts::None;
        };
        let at_least = |minimum: &[u32]| match numbers.as_slice() {
            // `1` is the newest 1.x.
            [major] => minimum.first().is_some_and(|min| major >= min),
            [major, minor, ..] => {
                let min = |index: usize| minimum.get(index).copied().unwrap_or(0);
                [*major, *minor] >= [min(0), min(1)]
            }
            [] => false,
        };
        if at_least(&self.env_minimum) {
            SecretMounts::Env
        } else if at_least(&self.mount_minimum) || suffix.contains("experimental") {
            SecretMounts::File
        } else {
            SecretMounts::None
        }
    }

    /// Whether a SHELL program (a path or a name) is a POSIX shell.
    pub fn is_posix_shell(&self, program: &str) -> bool {
        let name = program.rsplit('/').next().unwrap_or(program);
        self.shells.iter().any(|shell| shell == name)
    }

    /// Where a command (its program's base name and positional words) keeps its arguments in
    /// the image, when it is one that does.
    pub fn stores(&self, program: &str, positionals: &[&str]) -> Option<&str> {
        self.stores
            .iter()
            .find(|store| {
                store.command.split_first().is_some_and(|(name, words)| {
                    name == program
                        && words.len() <= positionals.len()
                        && words.iter().zip(positionals).all(|(a, b)| a == b)
                })
            })
            .map(|store| store.place.as_str())
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
        assert_eq!(
            secrets.classify("testdata/Dockerfile.env", sample("FROM x")),
            None
        );
        assert_eq!(secrets.classify(".env", sample("")), None, "empty");
        let token = sample("//registry.npmjs.org/:_authToken=npm_abc\n");
        assert!(matches!(
            secrets.classify(".npmrc", token),
            Some(SecretKind::Holds(_))
        ));
        assert!(secrets
            .read_by_build("web/.npmrc")
            .is_some_and(|rule| rule.programs.iter().any(|p| p == "npm")));
        assert!(secrets.read_by_build(".env").is_none());
        let index = sample("[global]\nindex-url = https://me:s3cret@pypi.acme.io/simple\n");
        assert!(secrets.classify("pip.conf", index).is_some());
        let plain = sample("[global]\nindex-url = https://pypi.acme.io/simple\n");
        assert_eq!(secrets.classify("pip.conf", plain), None);
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
    fn syntax_versions_that_mount_secrets() {
        let variables = &Secrets::builtin().variables;
        for syntax in [
            "docker/dockerfile:1",
            "docker/dockerfile:1.10",
            "docker/dockerfile:1.11.1",
            "docker/dockerfile:1-labs",
            "docker.io/docker/dockerfile:1.12",
            "docker/dockerfile",
            "docker/dockerfile:1.10@sha256:abc",
        ] {
            assert_eq!(
                variables.secret_mounts(Some(syntax)),
                SecretMounts::Env,
                "{syntax}"
            );
        }
        for syntax in [
            "docker/dockerfile:1.4",
            "docker/dockerfile:1.9.0",
            "docker/dockerfile:1.0-experimental",
        ] {
            assert_eq!(
                variables.secret_mounts(Some(syntax)),
                SecretMounts::File,
                "{syntax}"
            );
        }
        assert_eq!(variables.secret_mounts(None), SecretMounts::File);
        for syntax in [
            "docker/dockerfile:1.1",
            "example/frontend:2",
            "docker/dockerfile:x",
        ] {
            assert_eq!(
                variables.secret_mounts(Some(syntax)),
                SecretMounts::None,
                "{syntax}"
            );
        }
    }

    #[test]
    fn shells_and_storing_commands() {
        let variables = &Secrets::builtin().variables;
        assert!(variables.is_posix_shell("/bin/bash"));
        assert!(!variables.is_posix_shell("pwsh"));
        assert!(variables.stores("git", &["clone", "https://x"]).is_some());
        assert!(variables.stores("git", &["fetch"]).is_none());
    }
}
