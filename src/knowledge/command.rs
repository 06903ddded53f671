//! Install and build commands of a profile, matched against the lexed commands of a `RUN`.
//!
//! A rule's `match` is a program and leading words: `["npm", "ci"]`. A command matches when,
//! after `VAR=value` prefixes, its program's file name equals the rule's (so `./gradlew` and
//! `/usr/bin/pip` match `gradlew` and `pip`) and its first positional words (words that are not
//! options nor values of the profile's `value_options`) equal the rest of `match`.

use super::profile::Profile;
use super::project_paths::{self, ProjectPath};
use super::NameGlob;
use crate::context::{manifests, ContextFiles};
use crate::model::packages::is_assignment;
use crate::model::paths::{is_within, normalize, resolve};
use crate::model::shell::Command;
use serde::Deserialize;
use std::path::Path;

/// What a command needs from the build context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Needs {
    /// Nothing from the context (e.g. installing named packages from a registry).
    Nothing,
    /// Only the profile's dependency files (manifests, locks, config).
    Manifests,
    /// The sources as well.
    Sources,
}

/// Whether a rule accepts positional arguments beyond its `match`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Positionals {
    /// Any number.
    #[default]
    Any,
    /// None: `npm install` but not `npm install left-pad`.
    None,
    /// At least one.
    Some,
    /// Any number of package names, none of them a local path, and no local path as the value
    /// of an option the profile's `[local_paths]` lists (`pip install -U pip`, but not `pip
    /// install ./pkg` or `pip install -f ./wheels x`).
    Names,
    /// Exactly the project in the working directory, as the profile's `[project_install]`
    /// names it (`pip install .`, `pip install -e .`, `pip install ".[dev]"`), and nothing else.
    Project,
}

/// How a profile's commands and manifests name local files and folders rather than packages
/// (`[local_paths]`): a word containing `/`, starting with `.` or `~`, a `file:` URL (also after
/// `name @`), or ending in one of the `archives` suffixes; not a URL of another scheme
/// (`https://…`, `git+https://…`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalPaths {
    /// File name endings of package files (`.whl`, `.tar.gz`), compared without case.
    #[serde(default)]
    pub archives: Vec<String>,
    /// Options whose value may be a local path the command reads (`-e`, `--find-links`).
    #[serde(default)]
    pub options: Vec<String>,
}

impl LocalPaths {
    /// The local file or folder a requirement or option value names, as a path (`./pkg`,
    /// `/wheels`; `file:///src/pkg` and `pkg @ file:///src/pkg` → `/src/pkg`); `None` for a
    /// package name or a URL of another scheme.
    pub fn local_path(&self, word: &str) -> Option<String> {
        let word = word.trim().trim_matches(|c| c == '"' || c == '\'');
        // PEP 508 `name @ url`: the URL decides.
        let location = match word.split_once('@') {
            Some((name, url)) if !name.contains(['/', ':']) => url.trim(),
            _ => word,
        };
        if let Some(rest) = location.strip_prefix("file:") {
            // `file:///x` and `file:/x` name `/x`; `file:x` a relative path.
            let path = rest.strip_prefix("//").unwrap_or(rest);
            return Some(path.to_owned());
        }
        if location.contains("://") {
            return None;
        }
        let lower = location.to_ascii_lowercase();
        let local = location.contains(['/', '\\'])
            || location.starts_with(['.', '~'])
            || self
                .archives
                .iter()
                .any(|suffix| lower.ends_with(&suffix.to_ascii_lowercase()));
        local.then(|| location.to_owned())
    }

    /// Whether a requirement or option value names a local file or folder.
    pub fn is_local(&self, word: &str) -> bool {
        self.local_path(word).is_some()
    }

    /// Whether it names a local path that is not absolute: relative to the working directory,
    /// so inside the build context's copy when the command runs there.
    fn is_relative_local(&self, word: &str) -> bool {
        self.local_path(word)
            .is_some_and(|path| !path.starts_with('/'))
    }

    /// The values of the listed options among a command's option words (`-e .`, `-e.`,
    /// `--find-links=./wheels`).
    pub(super) fn option_values<'w>(&self, options: &'w [String]) -> Vec<&'w str> {
        option_values(options, &self.options)
    }
}

/// The values of the options `names` among option words, where a value option's value is the
/// next word: `-r FILE`, `--requirement=FILE`, `-rFILE`.
pub fn option_values<'w>(options: &'w [String], names: &[String]) -> Vec<&'w str> {
    let mut values = Vec::new();
    let mut words = options.iter();
    while let Some(word) = words.next() {
        for name in names {
            if word == name {
                values.extend(words.next().map(String::as_str));
                break;
            }
            let attached = word.strip_prefix(name.as_str()).and_then(|rest| {
                if name.starts_with("--") {
                    rest.strip_prefix('=')
                } else {
                    Some(rest.strip_prefix('=').unwrap_or(rest))
                }
            });
            if let Some(value) = attached.filter(|v| !v.is_empty()) {
                values.push(value);
                break;
            }
        }
    }
    values
}

/// One recognised command.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandRule {
    /// Program and leading positional words.
    #[serde(rename = "match")]
    pub words: Vec<String>,
    /// `install` (fetches dependencies) or `build` (produces artifacts).
    #[serde(default = "default_role")]
    pub role: Role,
    /// What it reads from the context.
    pub needs: Needs,
    #[serde(default)]
    pub positionals: Positionals,
    /// When not empty, one of these positional words (globs: `*:shadowJar` for a Gradle
    /// subproject's task) must appear after `match` (Maven goals, Gradle tasks).
    #[serde(default)]
    pub with_positional: Vec<NameGlob>,
    /// When not empty, one of these options must be present.
    #[serde(default)]
    pub with_options: Vec<String>,
    /// None of these options may be present.
    #[serde(default)]
    pub without_options: Vec<String>,
    /// How to split a `needs = "sources"` command so dependencies are fetched first.
    #[serde(default)]
    pub split: Option<Split>,
    /// Where a build puts its output, relative to the working directory.
    #[serde(default)]
    pub artifacts: Option<Artifacts>,
    /// Why the rule is the way it is.
    #[serde(default)]
    pub note: Option<String>,
}

/// What a command is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Install,
    Build,
}

fn default_role() -> Role {
    Role::Install
}

/// The split technique: `before` runs with only the dependency files copied; after the sources
/// are copied, the original command runs (or `replace` when given). Templates: `{program}`,
/// `{command}`, `{options}`, `{positionals}`, `{option:NAME}` (`NAME value` when given).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    pub before: Vec<String>,
    #[serde(default)]
    pub replace: Option<String>,
    /// Globs that must match available paths for the technique to work (`src/main.rs`).
    #[serde(default)]
    pub requires: Vec<String>,
    /// Globs of the files `before` reads besides those the command names (`pyproject.toml`):
    /// copied first with the config files, instead of every manifest of the profile.
    #[serde(default)]
    pub reads: Vec<String>,
    /// True when `before` only fills caches the original command would fill anyway, so the split
    /// cannot change the build's result (`go mod download`); otherwise transforms call it unsafe.
    #[serde(default)]
    pub safe: bool,
}

/// Artifacts of a build: the value of an output option, else `paths`. Paths may use
/// `{toml:FILE:KEY}` and `{json:FILE:KEY}`, read from the build context.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifacts {
    #[serde(default)]
    pub option: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    /// True when every path is certain to exist after the command; false when `paths` are
    /// candidates of which at least one is expected.
    #[serde(default)]
    pub exact: bool,
    /// How the candidates a glob path matches are named, when the build names them itself.
    #[serde(default)]
    pub names: Option<ArtifactNames>,
    /// Variables that move the output elsewhere (`GOBIN`): when the stage or the command sets
    /// one, the output is not traced.
    #[serde(default)]
    pub unless_env: Vec<String>,
}

/// Where the names of a build's outputs come from.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactNames {
    /// `go install`: each main package's program is named after the last element of its
    /// import path: the positional's last folder (`./cmd/api` → `api`), the folders with Go
    /// files under a `./x/...` pattern in the build context, the module's last element for `.`.
    GoPackages,
}

/// A command a profile recognised, with its words classified.
#[derive(Clone, Debug)]
pub struct CommandMatch<'k> {
    pub profile: &'k Profile,
    pub rule: &'k CommandRule,
    /// The command as written (from its first word to its last).
    pub text: String,
    /// The program word as written (`./gradlew`).
    pub program: String,
    /// Option words as written, with the values of value options.
    pub options: Vec<String>,
    /// Positional words after those the rule matched, as written.
    pub positionals: Vec<String>,
    /// The option words' values (quotes removed), in the order of `options`.
    pub option_values: Vec<String>,
    /// The positional words' values, in the order of `positionals`.
    pub positional_values: Vec<String>,
    /// The `VAR=value` words before the program, as written.
    pub assignments: Vec<String>,
    /// Every word after the program, in order, as written.
    pub words: Vec<String>,
    /// Their values, in the same order.
    pub word_values: Vec<String>,
    /// Some word uses `$`-expansion or a glob, so its value is only known at build time.
    pub dynamic: bool,
}

/// Why a command has no split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoSplit {
    /// The rule has no technique, or the paths it requires are missing.
    NoTechnique,
    /// The project does not fit the technique's stand-in sources (the reason).
    Unfit(String),
}

/// Rendered split: commands to run before the sources are copied, and the command to run after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedSplit {
    pub before: Vec<String>,
    pub after: String,
    /// Context files the commands before read besides the profile's dependency files (a Cargo
    /// workspace's member manifests), copied first with them.
    pub files: Vec<String>,
}

/// Resolved artifacts of a build command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactPaths {
    pub paths: Vec<String>,
    pub exact: bool,
    /// The only file names the glob paths may stand for, when the build names its outputs.
    pub names: Option<Vec<String>>,
    /// The spec's `unless_env`.
    pub unless_env: Vec<String>,
}

/// The first rule of `profile` matching `command`; see [`Profile::match_command`].
pub(super) fn match_command<'k>(
    profile: &'k Profile,
    command: &Command,
    script: &str,
) -> Option<CommandMatch<'k>> {
    let words = Words::split(profile, command, script)?;
    profile
        .commands
        .iter()
        .find(|rule| rule.accepts(&words, profile))
        .map(|rule| words.into_match(profile, rule))
}

impl CommandRule {
    fn accepts(&self, words: &Words, profile: &Profile) -> bool {
        let Some((program, leading)) = self.words.split_first() else {
            return false;
        };
        let positionals: Vec<&str> = words.positionals.iter().map(|w| w.value.as_str()).collect();
        let extra = positionals.get(leading.len()..);
        base_name(&words.program.value) == base_name(program)
            && positionals.starts_with(&leading.iter().map(String::as_str).collect::<Vec<_>>())
            && extra.is_some_and(|extra| self.accepts_positionals(extra, words, profile))
            && (self.with_options.is_empty()
                || self.with_options.iter().any(|o| words.has_option(o)))
            && !self.without_options.iter().any(|o| words.has_option(o))
    }

    fn accepts_positionals(&self, extra: &[&str], words: &Words, profile: &Profile) -> bool {
        let local = profile.local_paths.as_ref();
        let count_ok = match self.positionals {
            Positionals::Any => true,
            Positionals::None => extra.is_empty(),
            Positionals::Some => !extra.is_empty(),
            Positionals::Names => {
                let local = local.cloned().unwrap_or_default();
                let options: Vec<String> = words.options.iter().map(|w| w.value.clone()).collect();
                // Absolute paths may lie outside the build context's copy (`--find-links
                // /wheels` from another stage): the caller checks them (`context_reads`).
                !extra.iter().any(|word| local.is_relative_local(word))
                    && !local
                        .option_values(&options)
                        .iter()
                        .any(|value| local.is_relative_local(value))
            }
            // The project word is the only positional, or an option's value with none.
            Positionals::Project => profile.project_install.as_ref().is_some_and(|spec| {
                let values: Vec<String> = words.sequence.iter().map(|w| w.value.clone()).collect();
                spec.find(&values).is_some_and(|project| {
                    extra.len() <= 1 && extra.iter().all(|word| **word == values[project.first])
                })
            }),
        };
        count_ok
            && (self.with_positional.is_empty()
                || extra
                    .iter()
                    .any(|word| self.with_positional.iter().any(|p| p.matches(word))))
    }
}

fn base_name(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

/// A word's value and its text as written.
#[derive(Clone, Debug)]
struct Word {
    value: String,
    raw: String,
}

/// A command's words split into program, options (with their values) and positionals.
struct Words {
    text: String,
    /// The `VAR=value` words before the program, as written.
    assignments: Vec<String>,
    program: Word,
    options: Vec<Word>,
    positionals: Vec<Word>,
    /// Every word after the program, in order.
    sequence: Vec<Word>,
    dynamic: bool,
}

impl Words {
    fn split(profile: &Profile, command: &Command, script: &str) -> Option<Words> {
        let start = command
            .words
            .iter()
            .position(|word| !is_assignment(&word.value))?;
        let raw = |word: &crate::model::shell::ShellWord| Word {
            value: word.value.clone(),
            raw: script
                .get(word.range.start..word.range.end)
                .unwrap_or(&word.value)
                .to_owned(),
        };
        let mut options = Vec::new();
        let mut positionals = Vec::new();
        let sequence = command.words[start + 1..].iter().map(raw).collect();
        let mut rest = command.words[start + 1..].iter();
        while let Some(word) = rest.next() {
            if word.value.starts_with('-') && word.value != "-" {
                options.push(raw(word));
                if profile.value_options.contains(&word.value) {
                    options.extend(rest.next().map(raw));
                }
            } else {
                positionals.push(raw(word));
            }
        }
        let first = &command.words[start];
        Some(Words {
            text: script
                .get(first.range.start..command.range.end)
                .unwrap_or_default()
                .to_owned(),
            assignments: command.words[..start].iter().map(|w| raw(w).raw).collect(),
            program: raw(first),
            options,
            positionals,
            sequence,
            dynamic: command.words[start..]
                .iter()
                .any(|w| w.has_expansion || w.has_glob),
        })
    }

    fn has_option(&self, name: &str) -> bool {
        self.options
            .iter()
            .any(|option| option_name(&option.value) == name)
    }

    fn into_match<'k>(self, profile: &'k Profile, rule: &'k CommandRule) -> CommandMatch<'k> {
        let raw = |words: &[Word]| words.iter().map(|w| w.raw.clone()).collect();
        let values = |words: &[Word]| words.iter().map(|w| w.value.clone()).collect();
        let leading = rule.words.len().saturating_sub(1);
        let positionals = self.positionals.get(leading..).unwrap_or_default();
        CommandMatch {
            profile,
            rule,
            text: self.text,
            program: self.program.raw,
            options: raw(&self.options),
            positionals: raw(positionals),
            option_values: values(&self.options),
            positional_values: values(positionals),
            assignments: self.assignments,
            words: raw(&self.sequence),
            word_values: values(&self.sequence),
            dynamic: self.dynamic,
        }
    }
}

/// `--output=x` → `--output`.
fn option_name(word: &str) -> &str {
    word.split_once('=').map_or(word, |(name, _)| name)
}

impl CommandMatch<'_> {
    /// The words naming the project the command reads, per the profile's `[project_paths]`:
    /// `NAME VALUE` and `NAME=VALUE` options (not `-fVALUE`: Maven's `-fae` is another
    /// option), then positionals when the profile says so.
    pub fn project_paths(&self) -> Vec<ProjectPath> {
        project_paths::project_paths(self)
    }

    /// What the command reads from the context.
    pub fn needs(&self) -> Needs {
        self.rule.needs
    }

    /// The value of an option (`-o out`, `--output=out`), as written.
    pub fn option_value(&self, name: &str) -> Option<&str> {
        let mut words = self.options.iter();
        while let Some(word) = words.next() {
            if word == name {
                return words.next().map(String::as_str);
            }
            if let Some(value) = word.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
                return Some(value);
            }
        }
        None
    }

    /// The words of a `positionals = "names"` rule that may read the build context's copy: an
    /// absolute local path (or `file:` URL, also as an option's value) inside `target`, the
    /// folder the context is copied to, and a package name that is an available path there
    /// (a folder `app` for `pip install app`, which the command may install rather than a
    /// package of the index). `cwd` is the folder the command runs in. Without `cwd` and
    /// `target`, every absolute path counts and names are looked up at the context's root.
    pub fn context_reads(
        &self,
        context: &dyn ContextFiles,
        cwd: Option<&str>,
        target: Option<&str>,
    ) -> Vec<&str> {
        if self.rule.positionals != Positionals::Names {
            return Vec::new();
        }
        let local = self.profile.local_paths.clone().unwrap_or_default();
        // The context path an image path is, when inside the copy.
        let in_copy = |path: &str| -> Option<Option<String>> {
            let (Some(cwd), Some(target)) = (cwd, target) else {
                return Some(None);
            };
            let image = resolve(cwd, path);
            is_within(target, &image).then(|| {
                Some(
                    image[normalize(target).len()..]
                        .trim_start_matches('/')
                        .to_owned(),
                )
            })
        };
        let mut reads = Vec::new();
        let values = local.option_values(&self.option_values);
        for word in self
            .positional_values
            .iter()
            .map(String::as_str)
            .chain(values)
        {
            match local.local_path(word) {
                Some(path) if in_copy(&path).is_some() => reads.push(word),
                Some(_) => {}
                None if self.positional_values.iter().any(|p| p == word) => {
                    let relative = match in_copy(word) {
                        Some(Some(relative)) => relative,
                        Some(None) => word.to_owned(),
                        None => continue,
                    };
                    if !relative.is_empty() && context.is_available(Path::new(&relative)) {
                        reads.push(word);
                    }
                }
                None => {}
            }
        }
        reads
    }

    /// The split technique rendered for this command, when the rule has one and the paths it
    /// requires are available; with `{stubs}` (the commands writing the profile's stand-in
    /// sources) and `{stub_paths}`, when the project fits them.
    pub fn split(&self, context: &dyn ContextFiles) -> Result<RenderedSplit, NoSplit> {
        let split = self.rule.split.as_ref().ok_or(NoSplit::NoTechnique)?;
        if split
            .requires
            .iter()
            .any(|glob| context.glob(glob).is_empty())
        {
            return Err(NoSplit::NoTechnique);
        }
        let uses_stubs = |template: &str| template.contains("{stub");
        let stubs = match &self.profile.stubs {
            Some(spec) if split.before.iter().any(|t| uses_stubs(t)) => {
                spec.stubs(context).map_err(NoSplit::Unfit)?
            }
            _ => super::stubs::Stubs::default(),
        };
        let templates = || split.before.iter().chain(&split.replace);
        let project = match &self.profile.project_install {
            Some(spec) if templates().any(|t| t.contains("project}")) => {
                Some(self.project_parts(spec, context)?)
            }
            _ => None,
        };
        let render = |template: &str| {
            self.render_with(template, |name| match name {
                "stubs" => Some(super::stubs::write_command(&stubs.stubs)),
                "stub_paths" => Some(super::stubs::path_words(&stubs.stubs)),
                "project" => project.as_ref().map(|p| p.1.clone()),
                "command_without_project" => project.as_ref().map(|p| p.0.clone()),
                _ => None,
            })
        };
        Ok(RenderedSplit {
            before: split.before.iter().map(|t| render(t)).collect(),
            after: split
                .replace
                .as_ref()
                .map_or_else(|| self.text.clone(), |t| render(t)),
            files: stubs.manifests,
        })
    }

    /// Where the build's output lands, when the rule says and every value is known.
    pub fn artifacts(&self, context: &dyn ContextFiles) -> Option<ArtifactPaths> {
        let spec = self.rule.artifacts.as_ref()?;
        if let Some(value) = spec.option.iter().find_map(|name| self.option_value(name)) {
            return Some(ArtifactPaths {
                paths: vec![value.to_owned()],
                exact: true,
                names: None,
                unless_env: spec.unless_env.clone(),
            });
        }
        let paths = spec
            .paths
            .iter()
            .map(|path| resolve_file_values(path, context))
            .collect::<Option<Vec<_>>>()?;
        let names = spec.names.map(|ArtifactNames::GoPackages| {
            super::go_names::go_program_names(&self.positionals, context)
        });
        (!paths.is_empty()).then_some(ArtifactPaths {
            paths,
            exact: spec.exact,
            names,
            unless_env: spec.unless_env.clone(),
        })
    }

    /// Fills a split template, `extra` giving the values the command does not know.
    fn render_with(&self, template: &str, extra: impl Fn(&str) -> Option<String>) -> String {
        let value = |name: &str| match name {
            "program" => Some(self.program.clone()),
            "command" => Some(self.text.clone()),
            "options" => Some(self.options.join(" ")),
            "positionals" => Some(self.positionals.join(" ")),
            _ => name
                .strip_prefix("option:")
                .map(|option| {
                    self.option_value(option)
                        .map_or_else(String::new, |value| format!("{option} {value}"))
                })
                .or_else(|| extra(name)),
        };
        // An empty value takes the space before it along, so no double spaces are left.
        super::fill_template(template, |name| {
            value(name).map(|v| v.replace('\0', "")).map(mark_empty)
        })
        .replace(" \0", "")
        .replace('\0', "")
    }
}

/// An empty expansion becomes a NUL mark that [`CommandMatch::render`] removes with the space
/// before it.
fn mark_empty(value: String) -> String {
    if value.is_empty() {
        "\0".to_owned()
    } else {
        value
    }
}

/// Replaces `{toml:FILE:KEY}` and `{json:FILE:KEY}` with string values read from the context;
/// `None` when one cannot be read.
fn resolve_file_values(template: &str, context: &dyn ContextFiles) -> Option<String> {
    let mut missing = false;
    let filled = super::fill_template(template, |name| {
        let value = file_value(name, context);
        missing |= value.is_none();
        value
    });
    (!missing).then_some(filled)
}

/// The string a `{toml:FILE:KEY}` or `{json:FILE:KEY}` placeholder names.
fn file_value(placeholder: &str, context: &dyn ContextFiles) -> Option<String> {
    let (format, rest) = placeholder.split_once(':')?;
    let (file, key) = rest.split_once(':')?;
    manifests::string_value(context, format, file, key)
}
