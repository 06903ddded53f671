//! The knowledge base: ecosystem profiles and image mappings, as data.
//!
//! The data lives in the top-level `transforms/` folder (`ecosystems/<id>.toml`, `images.toml`,
//! `base-users.toml`, `runtime-writes.toml`),
//! is embedded in the binary and parsed once. Users extend or replace it from `dfmigrate.toml`
//! (`[ecosystems.<id>]`, `[[images]]`, `[[runtimes]]`); see `transforms/README.md`.

mod cache;
mod command;
pub mod exclusions;
pub mod file_types;
mod frameworks;
mod go_names;
mod image;
pub mod narrow;
mod native;
mod patterns;
mod profile;
pub mod project_install;
mod project_paths;
pub mod runtime_stage;
mod same_image;
pub mod secrets;
pub mod stubs;
mod template;
mod users;
mod validate;
pub mod vocabulary;
mod writes;

pub use cache::{
    value_listed, CacheFolder, CacheSpec, CommandPattern, FolderSource, NamedCache, Setup,
    SharedState,
};
pub use command::{
    ArtifactPaths, Artifacts, CommandMatch, CommandRule, LocalPaths, Needs, NoSplit, Positionals,
    RenderedSplit, Role, Split,
};
pub use frameworks::{Framework, Started};
pub use image::{
    Distribution, Distro, ImageInfo, ImageRelease, ImageRule, Pins, Platform, Platforms,
    ReleaseInfo, RuntimeHints, RuntimeImage, RuntimeInfo, TagRelease,
};
pub use native::{NativeNeed, NativePackages};
pub use patterns::{NameGlob, TagPattern, TextPattern};
pub use profile::{
    any_pattern_matches, ContextPattern, Detect, EnvironmentCommand, Files, FlavourRule, Hook,
    Includes, PrivateEnvironment, Production, Profile, ReadFiles, RuntimeLayout, Shape,
    UserInstall, VirtualenvLayout, WriterCommand,
};
pub use project_paths::{ProjectPath, ProjectPaths};
pub use same_image::{ExtensionInstaller, ImageTool, Interpreter, ProjectTool, SameImage};
pub use users::{AccountKind, BaseUsers, NoHome, UserIds};
pub use writes::{address_port, ConfiguredPort, RuntimeWrite, RuntimeWrites};

use crate::context::ContextFiles;
use crate::model::shell::Command;
use crate::model::ImageRef;
use patterns::any_glob_matches;
use serde::Deserialize;
use std::sync::OnceLock;
use template::fill_template;
use thiserror::Error;
use validate::{parse_array, parse_profile, validate_image_rule};

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
    unread_build_files: Vec<ContextPattern>,
    runtime_packages: std::collections::BTreeMap<String, NativePackages>,
    releases: std::collections::BTreeMap<String, Distribution>,
    tag_releases: Vec<TagRelease>,
    pins: Pins,
    shell_programs: Vec<String>,
    shells: Vec<String>,
    shell_readers: std::collections::BTreeMap<String, usize>,
    toolchain_programs: Vec<String>,
    full_image_tools: Vec<String>,
    image_workdirs: std::collections::BTreeMap<String, String>,
    tag_workdirs: Vec<TagWorkdir>,
    image_paths: std::collections::BTreeMap<String, ImagePath>,
    platforms: Platforms,
    runtime_writes: RuntimeWrites,
    /// The caches of the system package managers (`[caches]` of `package-managers.toml`).
    system_caches: Vec<NamedCache>,
    /// Every package manager's caches: the profiles' `[cache]` tables, then the system
    /// package managers'. Named once when the knowledge is built, not per file.
    caches: Vec<NamedCache>,
}

/// The working directory the tags of an image that match `tag` start in, when they differ from
/// the image's other tags (`php:*-fpm`, `php:*-apache`: `/var/www/html`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagWorkdir {
    pub image: NameGlob,
    pub tag: TagPattern,
    pub workdir: String,
}

/// The folders a builder image puts before the standard PATH (its own `ENV PATH`), and the
/// toolchain programs it ships there.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagePath {
    pub path: Vec<String>,
    #[serde(default)]
    pub programs: Vec<String>,
    /// The folders installs fill outside the application in this image (its interpreter's
    /// prefix: `/opt/pypy`), received by a runtime stage instead of the profile's `keep`.
    #[serde(default)]
    pub keep: Option<Vec<String>>,
}

/// The layout of `images.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImagesFile {
    build_packages: Vec<NameGlob>,
    /// Build context files only builds read, for every ecosystem.
    #[serde(default)]
    build_files: Vec<ContextPattern>,
    /// The build files no application reads at run time, whatever it is.
    #[serde(default)]
    unread_build_files: Vec<ContextPattern>,
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
    /// Shells a command may start a script with (`sh -c "…"`).
    #[serde(default)]
    shells: Vec<String>,
    /// Programs that read the files they name → leading arguments that are not files.
    #[serde(default)]
    shell_readers: std::collections::BTreeMap<String, usize>,
    /// Programs of a toolchain that runtime images of another family lack.
    toolchain_programs: Vec<String>,
    /// Tools full images ship and slim images lack.
    full_image_tools: Vec<String>,
    /// Image name → the working directory it starts in.
    #[serde(default)]
    image_workdirs: std::collections::BTreeMap<String, String>,
    /// Tags of an image that start in another working directory than its others.
    #[serde(default)]
    tag_workdirs: Vec<TagWorkdir>,
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
        knowledge.caches = named_caches(&knowledge.profiles, &knowledge.system_caches);
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

    /// Every package manager's caches: the profiles' (in their order), then the system package
    /// managers'.
    pub fn caches(&self) -> &[NamedCache] {
        &self.caches
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

    /// Whether the program (a base name or a path) is a shell that runs the script given with
    /// `-c` (`sh`, `/bin/bash`).
    pub fn is_shell(&self, program: &str) -> bool {
        let name = program.rsplit('/').next().unwrap_or(program);
        self.shells.iter().any(|known| known == name)
    }

    /// For a program every runtime image has that reads the files it names (`grep`), how many
    /// leading arguments are not files.
    pub fn shell_reader(&self, program: &str) -> Option<usize> {
        self.shell_readers.get(program).copied()
    }

    /// The working directory an image starts in (its own `WORKDIR`), when known: its tag's
    /// (`[[tag_workdirs]]`), else its name's.
    pub fn image_workdir(&self, image: &ImageRef) -> Option<&str> {
        let name = image_name(image);
        let tag = image::tag_of(image);
        self.tag_workdirs
            .iter()
            .find(|entry| entry.image.matches(&name) && entry.tag.regex().is_match(tag))
            .map(|entry| entry.workdir.as_str())
            .or_else(|| self.image_workdirs.get(&name).map(String::as_str))
    }

    /// The folders an image puts before the standard PATH and the toolchain programs there.
    pub fn image_path(&self, image: &ImageRef) -> Option<&ImagePath> {
        self.image_paths.get(&image_name(image))
    }

    /// Whether `program` belongs to a toolchain that runtime images of another family lack.
    pub fn is_toolchain_program(&self, program: &str) -> bool {
        self.toolchain_programs.iter().any(|p| p == program)
    }

    /// Whether `program` is a tool full images ship and slim images lack.
    pub fn is_full_image_tool(&self, program: &str) -> bool {
        self.full_image_tools.iter().any(|p| p == program)
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

    /// Where applications write and listen: system folders, frameworks, bind options
    /// (`transforms/runtime-writes.toml`).
    pub fn writes(&self) -> &RuntimeWrites {
        &self.runtime_writes
    }

    /// The frameworks whose manifests the build context holds (those that need a command to
    /// tell included).
    pub fn frameworks_in<'k>(&'k self, context: &dyn ContextFiles) -> Vec<&'k Framework> {
        self.runtime_writes
            .frameworks
            .iter()
            .filter(|framework| framework.is_used(context))
            .collect()
    }

    /// The distribution release an image of the distro `distro` is built on: a codename in its
    /// tag (`python:3.12-slim-bookworm`, `eclipse-temurin:21-jre-noble`), the version of the
    /// distribution's own image (`debian:12-slim`, `ubuntu:24.04`, `alpine:3.20`,
    /// `node:22-alpine3.20`), a `[[tag_releases]]` entry (`python:2.7.15-slim` is Debian 10 or
    /// older), else the family's current release. `None` for images without a package
    /// manager dfmigrate knows.
    pub fn image_release(&self, image: &ImageRef, distro: Distro) -> Option<ImageRelease> {
        image::image_release(self, image, distro)
    }

    /// Where the archived releases of a distribution went (`archive.debian.org`).
    pub fn release_archive(&self, family: &str) -> Option<&str> {
        self.releases.get(family)?.archive.as_deref()
    }

    /// The version a tag pins the image to (`1.22.5` in `golang:1.22.5-alpine`), when it names
    /// one release that is never updated.
    pub fn pinned_version(&self, image: &ImageRef) -> Option<String> {
        let tag = image.tag.as_deref()?;
        let captures = self.pins.tag.regex().captures(tag)?;
        Some(captures.name("v")?.as_str().to_owned())
    }

    /// Whether two references name the same image (name and tag; `latest` when none).
    pub fn same_image(&self, a: &ImageRef, b: &ImageRef) -> bool {
        image_name(a) == image_name(b) && image::tag_of(a) == image::tag_of(b)
    }

    /// Whether the image `image` (of the distro family `distro`) is known to have the user or
    /// group `name` without the Dockerfile creating it (`transforms/base-users.toml`).
    pub fn image_has_account(
        &self,
        image: &ImageRef,
        distro: Distro,
        kind: AccountKind,
        name: &str,
    ) -> bool {
        BaseUsers::builtin().has(image, distro, kind, name)
    }

    /// The numeric id and home folder of a user the image ships (`node` in `node`), when known.
    pub fn image_user_ids(&self, image: &ImageRef, name: &str) -> Option<&'static UserIds> {
        BaseUsers::builtin().ids(image, name)
    }

    /// How the user-creating `program` (a base name) says it creates no home folder.
    pub fn no_home_rule(&self, program: &str) -> Option<&'static NoHome> {
        BaseUsers::builtin().no_home(program)
    }

    /// Whether a home folder is one that does not exist (`/nonexistent`).
    pub fn is_missing_home(&self, folder: &str) -> bool {
        BaseUsers::builtin()
            .missing_homes
            .iter()
            .any(|f| f == folder)
    }

    /// Whether a program run in a `RUN` creates accounts of this kind (`useradd`, `addgroup`).
    pub fn creates_accounts(&self, kind: AccountKind, program: &str) -> bool {
        BaseUsers::builtin().creates(kind, program)
    }

    /// Whether a file or folder name (`README.md`, `.github`) is a build file no application
    /// reads at run time (`unread_build_files` of `images.toml`).
    pub fn is_unread_build_file(&self, name: &str) -> bool {
        !name.contains('/') && any_pattern_matches(&self.unread_build_files, name)
    }

    /// Whether a build context path is only read by builds: the common `build_files` of
    /// `images.toml`, the profile's runtime layout's, or one of its manifests and lock files
    /// (which the installs read; each glob read as a [`ContextPattern`]).
    pub fn is_build_file(&self, path: &str, profile: Option<&Profile>) -> bool {
        let dependency_file = |glob: &String| {
            ContextPattern::try_from(glob.clone()).is_ok_and(|pattern| pattern.matches(path))
        };
        any_pattern_matches(&self.build_files, path)
            || profile.is_some_and(|profile| {
                profile
                    .runtime
                    .as_ref()
                    .is_some_and(|layout| any_pattern_matches(&layout.build_files, path))
                    || profile
                        .files
                        .manifests
                        .iter()
                        .chain(&profile.files.locks)
                        .any(dependency_file)
            })
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
    if let Some(stray) = images.unread_build_files.iter().find(|unread| {
        !images
            .build_files
            .iter()
            .any(|build| build.as_str() == unread.as_str())
    }) {
        return Err(KnowledgeError::new(
            "transforms/images.toml",
            format!(
                "unread_build_files: {} is not one of build_files",
                stray.as_str()
            ),
        ));
    }
    let system_caches = system_caches()?;
    Ok(KnowledgeBase {
        images: images.images,
        runtimes: images.runtimes,
        build_packages: images.build_packages,
        build_files: images.build_files,
        unread_build_files: images.unread_build_files,
        runtime_packages: images.runtime_packages,
        releases: images.releases,
        tag_releases: images.tag_releases,
        pins: images.pins,
        shell_programs: images.shell_programs,
        shells: images.shells,
        shell_readers: images.shell_readers,
        toolchain_programs: images.toolchain_programs,
        full_image_tools: images.full_image_tools,
        image_workdirs: images.image_workdirs,
        tag_workdirs: images.tag_workdirs,
        image_paths: images.image_paths,
        platforms: images.platforms,
        runtime_writes: toml::from_str(RUNTIME_WRITES)
            .map_err(|e| KnowledgeError::new("transforms/runtime-writes.toml", e))?,
        caches: named_caches(&profiles, &system_caches),
        profiles,
        system_caches,
    })
}

/// Every package manager's caches, named: each profile's `[cache]` with the profile's options
/// whose value is the next word, then the system package managers' (`apt`).
fn named_caches(profiles: &[Profile], system_caches: &[NamedCache]) -> Vec<NamedCache> {
    let profiles = profiles.iter().filter_map(|profile| {
        let spec = profile.cache.clone()?;
        let value_options = profile.value_options.iter().chain(&spec.value_options);
        Some(NamedCache {
            id: profile.id.clone(),
            name: profile.name.clone(),
            value_options: value_options.cloned().collect(),
            spec,
        })
    });
    profiles.chain(system_caches.iter().cloned()).collect()
}

/// The `[caches.NAME]` tables of `package-managers.toml`.
fn system_caches() -> Result<Vec<NamedCache>, KnowledgeError> {
    let tables = &crate::model::packages::package_managers().caches;
    tables
        .iter()
        .map(|(name, table)| {
            let key = format!("transforms/package-managers.toml: caches.{name}");
            let spec = cache::parse_spec(table, &key)?;
            Ok(NamedCache {
                id: name.clone(),
                name: name.clone(),
                value_options: spec.value_options.clone(),
                spec,
            })
        })
        .collect()
}

/// The name image rules match: the repository for Docker Hub (`node`, `bitnami/node`), else
/// `registry/repository` (`mcr.microsoft.com/dotnet/sdk`).
pub fn image_name(image: &ImageRef) -> String {
    match image.registry.as_deref() {
        None | Some("docker.io" | "index.docker.io") => image.family().to_owned(),
        Some(registry) => format!("{registry}/{}", image.repository),
    }
}
