//! The knowledge base: ecosystem profiles and image mappings, as data.
//!
//! The data lives in the top-level `transforms/` folder (`ecosystems/<id>.toml`, `images.toml`,
//! `base-users.toml`, `runtime-writes.toml`),
//! is embedded in the binary and parsed once. Users extend or replace it from `dfmigrate.toml`
//! (`[ecosystems.<id>]`, `[[images]]`, `[[runtimes]]`); see `transforms/README.md`.

mod command;
pub mod file_types;
mod image;
mod native;
mod profile;
mod project_paths;
mod users;
mod writes;

pub use command::{
    ArtifactPaths, Artifacts, CommandMatch, CommandRule, LocalPaths, Needs, Positionals,
    RenderedSplit, Role, Split,
};
pub use image::{
    Distribution, Distro, ImageInfo, ImageRelease, ImageRule, Pins, Platform, Platforms,
    ReleaseInfo, RuntimeHints, RuntimeImage, RuntimeInfo, TagRelease,
};
pub use native::{NativeNeed, NativePackages};
pub use profile::{
    any_pattern_matches, ContextPattern, Detect, EnvironmentCommand, Files, FlavourRule, Hook,
    Includes, PrivateEnvironment, Profile, ReadFiles, RuntimeLayout, Shape,
};
pub use project_paths::{ProjectPath, ProjectPaths};
pub use users::{AccountKind, BaseUsers};
pub use writes::{RuntimeWrite, RuntimeWrites};

use crate::context::pattern::{compile_match, ComponentGlob, PatternError};
use crate::context::ContextFiles;
use crate::model::shell::Command;
use crate::model::ImageRef;
use regex::Regex;
use serde::Deserialize;
use std::sync::OnceLock;
use thiserror::Error;

/// The embedded ecosystem files, by id (the file name without `.toml`): every file of
/// `transforms/ecosystems/`, listed by `build.rs`.
const ECOSYSTEMS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/ecosystems.rs"));

/// The embedded image mappings.
const IMAGES: &str = include_str!("../../transforms/images.toml");

/// Where applications write at run time, by configuration file.
const RUNTIME_WRITES: &str = include_str!("../../transforms/runtime-writes.toml");

/// Invalid knowledge data, naming the key (`ecosystems.npm.commands`, `images[2].tag`).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{key}: {message}")]
pub struct KnowledgeError {
    pub key: String,
    pub message: String,
}

impl KnowledgeError {
    fn new(key: impl Into<String>, message: impl std::fmt::Display) -> KnowledgeError {
        KnowledgeError {
            key: key.into(),
            message: message.to_string(),
        }
    }
}

/// Ecosystem profiles, image rules and build-only packages.
#[derive(Clone, Debug)]
pub struct KnowledgeBase {
    profiles: Vec<Profile>,
    images: Vec<ImageRule>,
    runtimes: Vec<RuntimeInfo>,
    build_packages: Vec<NameGlob>,
    build_files: Vec<ContextPattern>,
    runtime_packages: std::collections::BTreeMap<String, NativePackages>,
    releases: std::collections::BTreeMap<String, Distribution>,
    tag_releases: Vec<TagRelease>,
    pins: Pins,
    shell_programs: Vec<String>,
    shell_readers: std::collections::BTreeMap<String, usize>,
    image_workdirs: std::collections::BTreeMap<String, String>,
    image_paths: std::collections::BTreeMap<String, ImagePath>,
    platforms: Platforms,
    runtime_writes: RuntimeWrites,
}

/// The folders a builder image puts before the standard PATH (its own `ENV PATH`), and the
/// toolchain programs it ships there.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagePath {
    pub path: Vec<String>,
    #[serde(default)]
    pub programs: Vec<String>,
}

/// The layout of `images.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImagesFile {
    build_packages: Vec<NameGlob>,
    /// Build context files only builds read, for every ecosystem.
    #[serde(default)]
    build_files: Vec<ContextPattern>,
    images: Vec<ImageRule>,
    runtimes: Vec<RuntimeInfo>,
    /// Development package → the runtime library package it builds against.
    #[serde(default)]
    runtime_packages: std::collections::BTreeMap<String, NativePackages>,
    /// Distribution releases by family, and tags known to be built on one.
    #[serde(default)]
    releases: std::collections::BTreeMap<String, Distribution>,
    #[serde(default)]
    tag_releases: Vec<TagRelease>,
    /// Tags that pin one release of an image.
    #[serde(default)]
    pins: Pins,
    /// Programs every runtime image with a shell has.
    #[serde(default)]
    shell_programs: Vec<String>,
    /// Programs that read the files they name → leading arguments that are not files.
    #[serde(default)]
    shell_readers: std::collections::BTreeMap<String, usize>,
    /// Image name → the working directory it starts in.
    #[serde(default)]
    image_workdirs: std::collections::BTreeMap<String, String>,
    /// Image name → the folders it puts on PATH and the toolchain programs there.
    #[serde(default)]
    image_paths: std::collections::BTreeMap<String, ImagePath>,
    /// Which images are Windows and which Linux.
    platforms: Platforms,
}

impl KnowledgeBase {
    /// The embedded knowledge, parsed on first use.
    pub fn builtin() -> &'static KnowledgeBase {
        static BUILTIN: OnceLock<KnowledgeBase> = OnceLock::new();
        BUILTIN.get_or_init(|| match load_builtin() {
            Ok(knowledge) => knowledge,
            // The embedded data is checked by the test suite; failing here is a build defect.
            Err(error) => panic!("embedded knowledge data is invalid: {error}"),
        })
    }

    /// The embedded knowledge with a `dfmigrate.toml`'s `[ecosystems.<id>]` tables (each adds a
    /// profile or replaces the one with that id), `[[images]]` and `[[runtimes]]` entries (tried
    /// before the built-in ones). Other keys of `config` are ignored.
    pub fn with_overrides(config: &toml::Table) -> Result<KnowledgeBase, KnowledgeError> {
        let mut knowledge = KnowledgeBase::builtin().clone();
        if let Some(ecosystems) = config.get("ecosystems") {
            let table = ecosystems
                .as_table()
                .ok_or_else(|| KnowledgeError::new("ecosystems", "must be a table of tables"))?;
            for (id, value) in table {
                knowledge.put_profile(parse_profile(id, value, &format!("ecosystems.{id}"))?);
            }
        }
        let images: Vec<ImageRule> = parse_array(config, "images")?;
        for (index, rule) in images.iter().enumerate() {
            validate_image_rule(rule, &format!("images[{index}]"))?;
        }
        knowledge.images.splice(0..0, images);
        let runtimes: Vec<RuntimeInfo> = parse_array(config, "runtimes")?;
        knowledge.runtimes.splice(0..0, runtimes);
        Ok(knowledge)
    }

    fn put_profile(&mut self, profile: Profile) {
        match self.profiles.iter_mut().find(|p| p.id == profile.id) {
            Some(existing) => *existing = profile,
            None => self.profiles.push(profile),
        }
    }

    /// Every profile, in a stable order.
    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// A profile by id.
    pub fn profile(&self, id: &str) -> Option<&Profile> {
        self.profiles.iter().find(|profile| profile.id == id)
    }

    /// The profiles whose detection rules hold in `context`.
    pub fn detect(&self, context: &dyn ContextFiles) -> Vec<&Profile> {
        self.profiles
            .iter()
            .filter(|p| p.detects(context))
            .collect()
    }

    /// The profiles whose builder images include `image`.
    pub fn profiles_for_image(&self, image: &ImageRef) -> Vec<&Profile> {
        let name = image_name(image);
        self.profiles
            .iter()
            .filter(|profile| any_glob_matches(&profile.images, &name))
            .collect()
    }

    /// The first profile rule matching a lexed command; `script` is the text its ranges index.
    /// To prefer the profiles a context detects, call [`Profile::match_command`] on those.
    pub fn match_command<'k>(
        &'k self,
        command: &Command,
        script: &str,
    ) -> Option<CommandMatch<'k>> {
        self.profiles
            .iter()
            .find_map(|profile| profile.match_command(command, script))
    }

    /// Whether a system package (`gcc`, `libpq-dev`) is only needed to build: on the common list
    /// or on the given profile's list.
    pub fn is_build_only_package(&self, package: &str, profile: Option<&Profile>) -> bool {
        any_glob_matches(&self.build_packages, package)
            || profile.is_some_and(|p| p.lists_build_package(package))
    }

    /// The runtime library package a development package builds against (`libpq-dev` →
    /// `libpq5`), when known.
    pub fn runtime_package_for(&self, development: &str) -> Option<&NativePackages> {
        self.runtime_packages.get(development)
    }

    /// Whether every runtime image with a shell (Debian, Ubuntu and Alpine base systems) has
    /// this program, so a command substitution in a `CMD` may call it (`$(nproc)`).
    pub fn is_shell_program(&self, program: &str) -> bool {
        self.shell_programs.iter().any(|known| known == program)
    }

    /// For a program every runtime image has that reads the files it names (`grep`), how many
    /// leading arguments are not files.
    pub fn shell_reader(&self, program: &str) -> Option<usize> {
        self.shell_readers.get(program).copied()
    }

    /// The working directory an image starts in (its own `WORKDIR`), when known.
    pub fn image_workdir(&self, image: &ImageRef) -> Option<&str> {
        self.image_workdirs
            .get(&image_name(image))
            .map(String::as_str)
    }

    /// The folders an image puts before the standard PATH and the toolchain programs there.
    pub fn image_path(&self, image: &ImageRef) -> Option<&ImagePath> {
        self.image_paths.get(&image_name(image))
    }

    /// The runtime image for a builder image, keeping its version. `None` when no rule knows
    /// the image or tag, or the reference uses variables or only a digest.
    pub fn runtime_for(&self, image: &ImageRef, hints: &RuntimeHints) -> Option<RuntimeImage> {
        if image.has_variables()
            || image.is_scratch()
            || (image.tag.is_none() && image.digest.is_some())
        {
            return None;
        }
        let (rule, reference) = self
            .images
            .iter()
            .find_map(|rule| rule.apply(image, hints).map(|r| (rule, r)))?;
        let info = self.image_info(&ImageRef::parse(&reference));
        Some(RuntimeImage {
            user: rule.user.clone().or_else(|| info.as_ref()?.user.clone()),
            distro: rule
                .distro
                .or_else(|| info.as_ref().map(|i| i.distro))
                .unwrap_or(Distro::Other),
            packages: rule.packages.clone(),
            newer_release: rule.newer_release,
            reference,
        })
    }

    /// The operating system an image runs, when known: Windows for Microsoft's Windows-only
    /// repositories and tags that name a Windows base (also in references with variables:
    /// `$REPO:8.0-nanoserver-ltsc2022`), Linux for the repositories the data knows and images
    /// with a known Linux distro; `None` for other images and other references with variables.
    pub fn image_platform(&self, image: &ImageRef) -> Option<Platform> {
        let name = image_name(image);
        let platforms = &self.platforms;
        let tag = image.tag.as_deref().unwrap_or("latest");
        if any_glob_matches(&platforms.windows_images, &name)
            || platforms.windows_tags.regex().is_match(tag)
        {
            return Some(Platform::Windows);
        }
        if image.has_variables() {
            return None;
        }
        let known_linux = image.is_scratch()
            || any_glob_matches(&platforms.linux_images, &name)
            || self.images.iter().any(|rule| rule.image.matches(&name))
            || self
                .image_info(image)
                .is_some_and(|info| info.distro != Distro::Other);
        known_linux.then_some(Platform::Linux)
    }

    /// Where the configuration files of a build context say the application writes.
    pub fn runtime_writes(&self, context: &dyn ContextFiles) -> Vec<RuntimeWrite> {
        self.runtime_writes.find(context)
    }

    /// The distro family and existing non-root user of an image, when known.
    pub fn image_info(&self, image: &ImageRef) -> Option<ImageInfo> {
        if image.has_variables() {
            return None;
        }
        self.runtimes
            .iter()
            .find(|entry| entry.describes(image))
            .map(|entry| ImageInfo {
                distro: entry.distro,
                user: entry.user.clone(),
                non_root: entry.non_root,
            })
    }
}

fn load_builtin() -> Result<KnowledgeBase, KnowledgeError> {
    let mut profiles: Vec<Profile> = ECOSYSTEMS
        .iter()
        .map(|(id, text)| {
            let key = format!("transforms/ecosystems/{id}.toml");
            let table: toml::Table = text.parse().map_err(|e| KnowledgeError::new(&key, e))?;
            parse_profile(id, &toml::Value::Table(table), &key)
        })
        .collect::<Result<_, _>>()?;
    profiles.sort_by_key(|profile| profile.order);
    let images: ImagesFile =
        toml::from_str(IMAGES).map_err(|e| KnowledgeError::new("transforms/images.toml", e))?;
    for (index, rule) in images.images.iter().enumerate() {
        validate_image_rule(rule, &format!("transforms/images.toml: images[{index}]"))?;
    }
    Ok(KnowledgeBase {
        profiles,
        images: images.images,
        runtimes: images.runtimes,
        build_packages: images.build_packages,
        build_files: images.build_files,
        runtime_packages: images.runtime_packages,
        releases: images.releases,
        tag_releases: images.tag_releases,
        pins: images.pins,
        shell_programs: images.shell_programs,
        shell_readers: images.shell_readers,
        image_workdirs: images.image_workdirs,
        image_paths: images.image_paths,
        platforms: images.platforms,
        runtime_writes: toml::from_str(RUNTIME_WRITES)
            .map_err(|e| KnowledgeError::new("transforms/runtime-writes.toml", e))?,
    })
}

/// Reads one profile table; the id comes from its key or file name.
fn parse_profile(id: &str, value: &toml::Value, key: &str) -> Result<Profile, KnowledgeError> {
    let mut table = value
        .as_table()
        .cloned()
        .ok_or_else(|| KnowledgeError::new(key, "must be a table"))?;
    if table.contains_key("id") {
        return Err(KnowledgeError::new(
            format!("{key}.id"),
            "the id is the table's key; remove `id`",
        ));
    }
    table.insert("id".to_owned(), toml::Value::String(id.to_owned()));
    let profile =
        Profile::deserialize(toml::Value::Table(table)).map_err(|e| KnowledgeError::new(key, e))?;
    validate_profile(&profile, key)?;
    Ok(profile)
}

fn parse_array<T: serde::de::DeserializeOwned>(
    config: &toml::Table,
    name: &str,
) -> Result<Vec<T>, KnowledgeError> {
    let Some(value) = config.get(name) else {
        return Ok(Vec::new());
    };
    let array = value
        .as_array()
        .ok_or_else(|| KnowledgeError::new(name, "must be an array of tables ([[...]])"))?;
    array
        .iter()
        .enumerate()
        .map(|(index, item)| {
            T::deserialize(item.clone())
                .map_err(|e| KnowledgeError::new(format!("{name}[{index}]"), e))
        })
        .collect()
}

fn validate_profile(profile: &Profile, key: &str) -> Result<(), KnowledgeError> {
    if profile.id.is_empty()
        || !profile
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(KnowledgeError::new(
            key,
            "ids use letters, digits, `-` and `_`",
        ));
    }
    let files = &profile.files;
    let detect = &profile.detect;
    let globs = [
        ("files.manifests", &files.manifests),
        ("files.locks", &files.locks),
        ("files.config", &files.config),
        ("detect.all", &detect.all),
        ("detect.any", &detect.any),
        ("detect.none", &detect.none),
    ];
    for (field, list) in globs {
        list.iter()
            .try_for_each(|glob| validate_glob(glob, &format!("{key}.{field}")))?;
    }
    if detect.all.is_empty() && detect.any.is_empty() {
        return Err(KnowledgeError::new(
            format!("{key}.detect"),
            "needs `all` or `any` globs",
        ));
    }
    for (index, hook) in profile.hooks.iter().enumerate() {
        validate_glob(&hook.file, &format!("{key}.hooks[{index}].file"))?;
    }
    for (index, rule) in profile.commands.iter().enumerate() {
        validate_rule(rule, &format!("{key}.commands[{index}]"))?;
    }
    if let Some(runtime) = &profile.runtime {
        for (dependency, packages) in &runtime.native {
            validate_native(dependency, packages, &format!("{key}.runtime.native"))?;
        }
    }
    Ok(())
}

/// Dependency names are not empty, releases are codenames (`bookworm`) and package names follow
/// Debian policy (they end up in `apt-get install` lines).
fn validate_native(
    dependency: &str,
    packages: &NativePackages,
    key: &str,
) -> Result<(), KnowledgeError> {
    if dependency.trim().is_empty() {
        return Err(KnowledgeError::new(key, "a dependency name is empty"));
    }
    let key = format!("{key}.{dependency}");
    if let NativePackages::ByRelease(table) = packages {
        if table.is_empty() {
            return Err(KnowledgeError::new(
                key,
                "needs at least one Debian release",
            ));
        }
        if let Some(release) = table
            .keys()
            .find(|r| r.is_empty() || !r.chars().all(|c| c.is_ascii_lowercase()))
        {
            return Err(KnowledgeError::new(
                key,
                format!("`{release}` is not a Debian release codename (`bookworm`)"),
            ));
        }
    }
    let valid = |name: &str| {
        name.len() >= 2
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.')
            })
    };
    match packages.names().find(|name| !valid(name)) {
        Some(name) => Err(KnowledgeError::new(
            key,
            format!("`{name}` is not a Debian package name"),
        )),
        None => Ok(()),
    }
}

fn validate_rule(rule: &CommandRule, key: &str) -> Result<(), KnowledgeError> {
    if rule.words.is_empty() {
        return Err(KnowledgeError::new(
            format!("{key}.match"),
            "needs at least the program",
        ));
    }
    if let Some(split) = &rule.split {
        let templates = split.before.iter().chain(&split.replace);
        for template in templates {
            check_placeholders(template, &format!("{key}.split"), |name| {
                matches!(name, "program" | "command" | "options" | "positionals")
                    || name.starts_with("option:")
            })?;
        }
    }
    if let Some(artifacts) = &rule.artifacts {
        for path in &artifacts.paths {
            check_placeholders(path, &format!("{key}.artifacts.paths"), |name| {
                name.starts_with("toml:") || name.starts_with("json:")
            })?;
        }
    }
    Ok(())
}

fn validate_image_rule(rule: &ImageRule, key: &str) -> Result<(), KnowledgeError> {
    let names: Vec<&str> = rule.tag.regex().capture_names().flatten().collect();
    check_placeholders(&rule.runtime, &format!("{key}.runtime"), |name| {
        name == "tag" || names.contains(&name)
    })
}

fn validate_glob(glob: &str, key: &str) -> Result<(), KnowledgeError> {
    glob.split('/')
        .try_for_each(|component| ComponentGlob::new(component).map(drop))
        .map_err(|e| KnowledgeError::new(key, e))
}

fn check_placeholders(
    template: &str,
    key: &str,
    known: impl Fn(&str) -> bool,
) -> Result<(), KnowledgeError> {
    match placeholders(template).into_iter().find(|name| !known(name)) {
        Some(name) => Err(KnowledgeError::new(
            key,
            format!("unknown placeholder `{{{name}}}` in `{template}`"),
        )),
        None => Ok(()),
    }
}

/// The `{name}` placeholders of a template.
fn placeholders(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.is_empty())
        .collect()
}

/// Replaces each `{name}` for which `value` gives a string; other text is kept.
fn fill_template(template: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let filled = after
            .find('}')
            .filter(|close| *close > 0)
            .and_then(|close| Some((close, value(&after[..close])?)));
        match filled {
            Some((close, filled)) => {
                out.push_str(&filled);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The name image rules match: the repository for Docker Hub (`node`, `bitnami/node`), else
/// `registry/repository` (`mcr.microsoft.com/dotnet/sdk`).
pub fn image_name(image: &ImageRef) -> String {
    match image.registry.as_deref() {
        None | Some("docker.io" | "index.docker.io") => image.family().to_owned(),
        Some(registry) => format!("{registry}/{}", image.repository),
    }
}

/// Whether any glob matches `name`.
fn any_glob_matches(globs: &[NameGlob], name: &str) -> bool {
    globs.iter().any(|glob| glob.matches(name))
}

/// A `filepath.Match` glob over names (image names, package names), compiled when read.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub struct NameGlob {
    source: String,
    regex: Regex,
}

impl NameGlob {
    /// Whether the whole name matches.
    pub fn matches(&self, name: &str) -> bool {
        self.regex.is_match(name)
    }

    /// The glob as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl TryFrom<String> for NameGlob {
    type Error = PatternError;
    fn try_from(source: String) -> Result<Self, Self::Error> {
        let regex = compile_match(&source)?;
        Ok(NameGlob { source, regex })
    }
}

/// A regular expression read from data, matched anywhere in a line.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub struct TextPattern(Regex);

impl TextPattern {
    /// Whether the text contains a match.
    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

impl TryFrom<String> for TextPattern {
    type Error = regex::Error;
    fn try_from(source: String) -> Result<Self, Self::Error> {
        Regex::new(&source).map(TextPattern)
    }
}

/// A regular expression read from data that must match a whole tag; the default matches any.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub struct TagPattern(Regex);

impl TagPattern {
    /// The anchored expression.
    pub fn regex(&self) -> &Regex {
        &self.0
    }
}

impl TryFrom<String> for TagPattern {
    type Error = regex::Error;
    fn try_from(source: String) -> Result<Self, Self::Error> {
        Regex::new(&format!("^(?:{source})$")).map(TagPattern)
    }
}

impl Default for TagPattern {
    fn default() -> Self {
        TagPattern(Regex::new("^.*$").unwrap_or_else(|_| unreachable!("a constant expression")))
    }
}
