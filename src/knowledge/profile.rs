//! Ecosystem profiles: one package manager's files, commands, hooks and build-only packages, as
//! read from `transforms/ecosystems/<id>.toml`.

use super::cache::{value_listed, CommandPattern};
use super::command::{self, CommandMatch, CommandRule, LocalPaths};
use super::native::{self, NativeNeed, NativePackages};
use super::{NameGlob, TextPattern};
use crate::context::manifests;
use crate::context::pattern::{ComponentGlob, PatternError};
use crate::context::{ContextError, ContextFiles};
use crate::model::script::{CommandLine, CommandWord};
use crate::model::shell::Command;
use hooks::{hook_findings, hook_findings_explained};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

mod hooks;
mod includes;

/// One ecosystem (package manager) as data.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Stable id, the file name without `.toml` (`npm`, `yarn-berry`, `go`).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Where an embedded profile stands among the others (ascending): the first detected
    /// profile and the first matching command win, so a profile comes before the ones it must
    /// be preferred to (`pip` before `uv`, which both match `uv pip install`). Profiles from
    /// `dfmigrate.toml` come after the embedded ones, or take the place of the one they replace.
    #[serde(default)]
    pub order: u32,
    /// Builder image names (globs over [`super::image_name`]) this ecosystem builds in.
    #[serde(default)]
    pub images: Vec<NameGlob>,
    /// The files its installs read.
    pub files: Files,
    /// When the profile applies to a build context.
    pub detect: Detect,
    /// Options of its programs that take their value as the next word (`-f pom.xml`).
    #[serde(default)]
    pub value_options: Vec<String>,
    /// Install and build commands it recognises, first match wins.
    #[serde(default)]
    pub commands: Vec<CommandRule>,
    /// Commands that build the dependencies on their own, from what another stage prepared
    /// (cargo-chef's `cargo chef cook` from its recipe): a stage that runs one before its
    /// whole-context copy installs its dependencies first already.
    #[serde(default)]
    pub dependencies_first: Vec<super::CommandPattern>,
    /// Content of the context that makes a dependency-only install read sources.
    #[serde(default)]
    pub hooks: Vec<Hook>,
    /// Stand-in sources for a dependency-only build (Cargo's targets): see
    /// [`super::stubs::StubSpec`].
    #[serde(default)]
    pub stubs: Option<super::stubs::StubSpec>,
    /// How its installs name the project in the working directory and where the manifest
    /// lists its dependencies (pip's `pip install .`): see
    /// [`super::project_install::ProjectInstallSpec`].
    #[serde(default)]
    pub project_install: Option<super::project_install::ProjectInstallSpec>,
    /// System packages only its builds need (globs over package names, e.g. `*-dev`), in
    /// addition to the common list in `images.toml`.
    #[serde(default)]
    pub build_packages: Vec<NameGlob>,
    /// How its commands and manifests name local paths rather than packages.
    #[serde(default)]
    pub local_paths: Option<LocalPaths>,
    /// Manifests that name other files the install reads (`-r`, `-c` in requirements files).
    #[serde(default)]
    pub includes: Option<Includes>,
    /// Command words that name the project the command reads (`--prefix DIR`, `-f pom.xml`).
    #[serde(default)]
    pub project_paths: Option<super::project_paths::ProjectPaths>,
    /// What a runtime stage must receive from the build stage (`split-stages`); without it the
    /// ecosystem is not split.
    #[serde(default)]
    pub runtime: Option<RuntimeLayout>,
    /// Its caches, for BuildKit cache mounts (`cache-mounts`).
    #[serde(default)]
    pub cache: Option<super::cache::CacheSpec>,
    /// What a build stage needs from the build context (`narrow-copy`).
    #[serde(default)]
    pub narrow: Option<super::narrow::NarrowSpec>,
}

/// Options naming the files an install reads, in its command and on the lines of those files
/// (`-r FILE`, `--constraint=FILE`; relative to the naming file's folder).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Includes {
    pub options: Vec<String>,
}

/// What an install reads, following the files its command names (see [`Profile::files_read`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadFiles {
    /// The context paths of the files read, in the order they are named.
    pub files: Vec<String>,
    /// Lines that install from local paths, so the install needs the sources too:
    /// ``requirements.txt line 3 (`-e ./lib`)``.
    pub local: Vec<String>,
    /// Files named that the build context does not provide: `base.txt (named by
    /// requirements.txt line 1)`.
    pub missing: Vec<String>,
    /// Names that cannot be followed, each with why.
    pub unknown: Vec<String>,
}

/// How a built application runs, for splitting a build stage from a runtime stage.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeLayout {
    pub shape: Shape,
    /// Folders outside the application's folder where installed dependencies live
    /// (`/usr/local` for pip installs into the image's Python).
    #[serde(default)]
    pub keep: Vec<String>,
    /// A command run at the end of the build stage to drop development dependencies
    /// (`npm prune --omit=dev`).
    #[serde(default)]
    pub prune: Option<String>,
    /// Options of the runtime's launcher whose value is a `:`-separated list of paths the
    /// application loads (`java -cp app.jar:lib/*`).
    #[serde(default)]
    pub path_lists: Vec<String>,
    /// Option prefixes followed by a path the application loads (`-javaagent:agent.jar`), in
    /// the command or in the environment the stage sets.
    #[serde(default)]
    pub path_prefixes: Vec<String>,
    /// Content of the context that makes copying only the named artifact unsafe (a jar whose
    /// manifest loads a folder of dependencies next to it).
    #[serde(default)]
    pub hooks: Vec<Hook>,
    /// Dependencies that link (or load) a system library the full build image has and a slim
    /// Debian runtime lacks, by name → the Debian packages the runtime must install
    /// (`psycopg2` → `libpq5`). See [`Profile::native_needs`].
    #[serde(default)]
    pub native: BTreeMap<String, NativePackages>,
    /// A smaller runtime image flavour the build context may allow (.NET console apps:
    /// `runtime` rather than `aspnet`).
    #[serde(default)]
    pub flavour: Option<FlavourRule>,
    /// Commands that create an environment folder installs then fill (`python -m venv DIR`):
    /// the runtime stage receives that folder too.
    #[serde(default)]
    pub environments: Vec<EnvironmentCommand>,
    /// Installs that fill a folder of the tool's own the runtime stage does not receive (a
    /// virtualenv in the home or cache folder), unless the stage says otherwise.
    #[serde(default)]
    pub private_environment: Option<PrivateEnvironment>,
    /// Installs into the home folder of the user who runs them, when asked to (`pip install
    /// --user`): non-root-user declines when root runs them in the final image.
    #[serde(default)]
    pub user_install: Option<UserInstall>,
    /// A virtualenv the build stage creates before the installs, which the runtime stage
    /// receives instead of the install folder it stands for (`/usr/local`), where the install
    /// allows it.
    #[serde(default)]
    pub virtualenv: Option<VirtualenvLayout>,
    /// Files and folders of the build context only the build reads (sources, build files,
    /// caches, tests): the runtime stage does not receive them when the build stage copied
    /// them, besides the common `build_files` of `images.toml`. Every other file the build
    /// stage copied from the context goes to the runtime stage too.
    #[serde(default)]
    pub build_files: Vec<ContextPattern>,
    /// Variables only the build reads (`CGO_ENABLED`, `RUSTFLAGS`; globs): the runtime stage
    /// does not repeat the `ENV` that sets them.
    #[serde(default)]
    pub build_only_env: Vec<NameGlob>,
    /// Globs of context root files that read build files at run time (a `*.gemspec` a Gemfile
    /// loads): the build stage then keeps its `unread_build_files`.
    #[serde(default)]
    pub build_files_read_by: Vec<String>,
    /// The runtime stage is on the builder's own image (PHP): what it must account for.
    #[serde(default)]
    pub same_image: Option<super::same_image::SameImage>,
    /// Production dependencies installed in a stage of their own from the manifests only,
    /// instead of pruning the build's after it, and the settings that run the application in
    /// production (npm).
    #[serde(default)]
    pub production: Option<Production>,
}

/// How a runtime gets only its production dependencies from a stage of their own
/// (`npm ci --omit=dev` on the manifests, which source edits do not redo), and the variables
/// that put the application in production mode (`NODE_ENV=production`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Production {
    /// The stage's name (a variant when a stage has it already).
    pub stage: String,
    /// The option the build's install command gets there (`--omit=dev`).
    pub install_option: String,
    /// Options of the install that already leave development dependencies out.
    pub omitting_options: Vec<String>,
    /// The folder the install fills, relative to its working directory (`node_modules`).
    pub folder: String,
    /// The command words that run a script of the manifest (`npm run NAME`).
    pub script_runners: Vec<Vec<String>>,
    /// The manifest holding the scripts, and the JSON object of scripts in it.
    pub scripts_file: String,
    pub scripts_key: String,
    /// Prefixes of the scripts the runner runs before and after the one named (`prebuild`).
    pub script_hooks: Vec<String>,
    /// Programs a build script may run that write only their own outputs, never into the
    /// dependency folder (compilers and bundlers).
    pub build_programs: Vec<String>,
    /// Programs that run the program named after them (`npx tsc`).
    #[serde(default)]
    pub launchers: Vec<String>,
    /// Variables the runtime stage sets when the Dockerfile sets none of them.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Context files whose presence means those variables change what the application reads
    /// (configuration keyed by environment: `config/development.json`, `knexfile.js`).
    #[serde(default)]
    pub env_readers: Vec<String>,
}

/// A pattern over build context paths: without a `/` it matches a file or folder name at any
/// depth (`*.go`, `testdata`); with one (a leading `/` allowed) it matches a path from the
/// context root (`/vendor`, `src/test`), and everything inside it. Components are
/// `filepath.Match` globs.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub struct ContextPattern {
    source: String,
    anchored: bool,
    components: Vec<ComponentGlob>,
}

impl ContextPattern {
    /// Whether the context path (relative, `/`-separated) or a folder above it matches.
    pub fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').filter(|part| !part.is_empty()).collect();
        if self.anchored {
            parts.len() >= self.components.len()
                && self
                    .components
                    .iter()
                    .zip(&parts)
                    .all(|(glob, part)| glob.matches(part))
        } else {
            parts
                .iter()
                .any(|part| self.components.iter().all(|glob| glob.matches(part)))
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl TryFrom<String> for ContextPattern {
    type Error = PatternError;
    fn try_from(source: String) -> Result<Self, Self::Error> {
        let anchored = source.contains('/');
        let components = source
            .trim_matches('/')
            .split('/')
            .map(ComponentGlob::new)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ContextPattern {
            source,
            anchored,
            components,
        })
    }
}

/// Whether any of the patterns matches the context path.
pub fn any_pattern_matches(patterns: &[ContextPattern], path: &str) -> bool {
    patterns.iter().any(|pattern| pattern.matches(path))
}

/// A command that creates an environment folder (a Python virtualenv).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentCommand {
    /// The program (a glob over its file name: `python*`) and the words after it.
    #[serde(rename = "match")]
    pub words: Vec<NameGlob>,
    /// Options whose value is the next word.
    #[serde(default)]
    pub value_options: Vec<String>,
    /// The folder when the command names none (`uv venv` → `.venv`).
    #[serde(default)]
    pub default: Option<String>,
    /// A variable that names the folder instead when set (`UV_PROJECT_ENVIRONMENT`).
    #[serde(default)]
    pub env: Option<String>,
    /// Options whose value is the folder (`pip install --target DIR`); when given, the command
    /// creates a folder only with one of them.
    #[serde(default)]
    pub option: Vec<String>,
    /// The command takes no positional words (`uv sync`): the folder is the default.
    #[serde(default)]
    pub no_positional: bool,
    /// Options and variables that choose an interpreter the tool may download into its own
    /// folder (`uv venv --python 3.13`, `UV_PYTHON`): the split declines.
    #[serde(default)]
    pub foreign_options: Vec<String>,
    #[serde(default)]
    pub foreign_env: Vec<String>,
    /// A context file naming the interpreter version the tool uses (`.python-version`): the
    /// split declines unless it names the builder image's version.
    #[serde(default)]
    pub version_file: Option<String>,
    /// A TOML key of a context file holding the versions the project accepts
    /// (`pyproject.toml:project.requires-python`): the split declines when its lower bound is
    /// above the builder image's version.
    #[serde(default)]
    pub version_requirement: Option<String>,
    /// Text in any `RUN` of the stage that installs an interpreter of the tool's own
    /// (`uv python install`): the split declines.
    #[serde(default)]
    pub foreign_runs: Vec<TextPattern>,
}

/// Installs that put dependencies where the runtime stage does not look.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateEnvironment {
    /// Why the split declines, for messages.
    pub why: String,
    /// The install commands: program and leading words (`["pipenv", "install"]`).
    pub commands: Vec<Vec<String>>,
    /// Options that install elsewhere (`--system`).
    #[serde(default)]
    pub unless_options: Vec<String>,
    /// Variables set by `ENV` before the install (so the running container has them too, for
    /// `poetry run`) and their values (compared without case) that install elsewhere; an empty
    /// list accepts any value.
    #[serde(default)]
    pub unless_env: BTreeMap<String, Vec<String>>,
    /// Text in the stage's RUNs before the install that configures it elsewhere (`poetry config
    /// virtualenvs.create false`). The configuration stays in the build stage's home folder,
    /// so it counts only when the container's command does not run the tool itself.
    #[serde(default)]
    pub unless_config: Vec<TextPattern>,
    /// Where the environments are when nothing moves them (`~/…`: the home folder of the user
    /// the install runs as), for messages (non-root-user: root's home, which no other user may
    /// enter).
    #[serde(default)]
    pub folder: Option<String>,
    /// Variables that move the folder (to their value or a folder under it).
    #[serde(default)]
    pub moved_by: Vec<String>,
}

impl PrivateEnvironment {
    /// Whether a command line (the tool's own, past `python -m`) is one of the installs: its
    /// program is the command's and its first positional words are the command's others.
    pub fn is_install<W: CommandWord>(&self, line: &CommandLine<W>) -> bool {
        self.commands.iter().any(|command| {
            let Some((program, words)) = command.split_first() else {
                return false;
            };
            let positionals: Vec<&str> = line.positional_values().take(words.len()).collect();
            line.name() == program && positionals == *words
        })
    }
}

/// Installs into the home folder of the user who runs them when asked to (`pip install
/// --user`, `PIP_USER`): only that user reads them.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserInstall {
    /// The install commands (program glob and the positional words after it).
    pub commands: Vec<CommandPattern>,
    /// Options that ask for the home folder.
    #[serde(default)]
    pub options: Vec<String>,
    /// Variables and the values (any case) that ask for it, on the command or set before.
    #[serde(default)]
    pub env: BTreeMap<String, Vec<String>>,
    /// Where the installs go (`~/…`), for messages.
    pub folder: String,
    /// Variables that move the folder (to their value or a folder under it).
    #[serde(default)]
    pub moved_by: Vec<String>,
}

impl UserInstall {
    /// What makes `line` install into the home folder: the option as written, or the
    /// `NAME=value` asking for it (the command's own assignments first, then `variables`, the
    /// last one set winning); `None` for other commands.
    pub fn asked_by<W: CommandWord>(
        &self,
        line: &CommandLine<W>,
        variables: &[(String, String)],
    ) -> Option<String> {
        if !self.commands.iter().any(|command| command.matches(line)) {
            return None;
        }
        if let Some(option) = line
            .options
            .iter()
            .find(|option| self.options.iter().any(|o| o == option.name()))
        {
            return Some(option.word.value().to_owned());
        }
        let own = line.assignments.iter().rev().filter_map(|word| {
            let (name, value) = word.value().split_once('=')?;
            Some((name.to_owned(), value.to_owned()))
        });
        let set = own.chain(variables.iter().rev().cloned());
        let mut seen: Vec<String> = Vec::new();
        for (name, value) in set {
            if seen.contains(&name) {
                continue;
            }
            if let Some(values) = self.env.get(&name) {
                if value_listed(values, &value) {
                    return Some(format!("{name}={value}"));
                }
            }
            seen.push(name);
        }
        None
    }
}

/// A virtualenv split-stages creates in the build stage (`python -m venv /opt/venv`, then
/// its `bin` first on `PATH`), so the installs fill it rather than the image's own prefix; the
/// runtime stage receives it and sets the same variables. What makes an install unfit for it
/// is listed here too.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VirtualenvLayout {
    /// The virtualenv's folder (absolute).
    pub folder: String,
    /// The command the build stage runs right after its `FROM`.
    pub create: String,
    /// `NAME=value` pairs both stages set in one `ENV`; one is `PATH={folder}/bin:$PATH`.
    pub env: Vec<String>,
    /// The install folder it stands for (the profile's `keep`): an image whose installs fill
    /// another one (PyPy's `/opt/pypy`) keeps its own layout.
    pub replaces: String,
    /// The oldest interpreter version (`3.12`, from the image's tag) the virtualenv is made
    /// for; a tag naming no version (`latest`) is the newest.
    pub since: String,
    /// Install commands (program glob and the words after it, options before them skipped):
    /// each must run one of `programs`, as the image's user, with the virtualenv first on
    /// `PATH`, and none of `elsewhere_options`.
    pub installs: Vec<Vec<NameGlob>>,
    /// Bare program names that install into the virtualenv once its `bin` leads `PATH`
    /// (globs; a version in the name, `python3.12`, must be the image's own).
    pub programs: Vec<NameGlob>,
    /// Options of an install that put packages outside the active environment.
    #[serde(default)]
    pub elsewhere_options: Vec<String>,
    /// Variables that make installs go elsewhere or change where the interpreter finds its
    /// modules.
    #[serde(default)]
    pub conflicting_env: Vec<String>,
    /// Files that configure the installer (`pip.conf`), which may name another target.
    #[serde(default)]
    pub config_files: Vec<NameGlob>,
    /// Keys of those files that make it install elsewhere.
    #[serde(default)]
    pub config_keys: Vec<String>,
    /// Commands that set a configuration key (`pip config set global.target DIR`): one of
    /// `config_keys` (after its section) declines.
    #[serde(default)]
    pub config_commands: Vec<Vec<NameGlob>>,
    /// Commands that write into the replaced folder without naming it (`make install`).
    #[serde(default)]
    pub writers: Vec<WriterCommand>,
    /// Programs that, fed a download through a pipe (`curl … | sh`), run an installer.
    #[serde(default)]
    pub piped_installers: Vec<NameGlob>,
    /// Programs of other installers whose installs are not moved into the virtualenv
    /// (`poetry`, `conda`).
    #[serde(default)]
    pub other_installers: Vec<NameGlob>,
    /// System packages that bring another interpreter (`python3.11`, `python3-pip`), and
    /// commands that install one (`pyenv install`).
    #[serde(default)]
    pub other_interpreters: Vec<NameGlob>,
    #[serde(default)]
    pub interpreter_installs: Vec<Vec<NameGlob>>,
}

impl VirtualenvLayout {
    /// The folder of its programs, which leads `PATH`.
    pub fn bin(&self) -> String {
        format!("{}/bin", self.folder.trim_end_matches('/'))
    }
}

/// A command that writes into a system prefix without naming it: its program (and words after
/// it), and when given, one of `any` among its other words (`make … install`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriterCommand {
    #[serde(rename = "match")]
    pub words: Vec<NameGlob>,
    #[serde(default)]
    pub any: Vec<String>,
}

/// A flavour of runtime image rules (`flavour` in `transforms/images.toml`), chosen when every
/// project file of the build context shows it suffices.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlavourRule {
    /// The flavour (`runtime`).
    pub name: String,
    /// Project files, by name anywhere in the context (`*.csproj`): at least one must exist, and
    /// each must match one of `require`.
    pub files: Vec<NameGlob>,
    pub require: Vec<TextPattern>,
    /// Other files that may change what the projects need (`Directory.Build.props`).
    #[serde(default)]
    pub also: Vec<NameGlob>,
    /// Text that rules the flavour out, in any of those files (`AspNetCore`).
    #[serde(default)]
    pub unless: Vec<TextPattern>,
}

/// What the runtime stage copies from the build stage.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// The application's folder (the final WORKDIR: sources, installed dependencies, build
    /// output), run by the runtime image's interpreter (`node`, `python`).
    AppFolder,
    /// The build output the command names (a binary, a jar, a publish folder), found through the
    /// profile's build commands and their `artifacts`.
    Artifact,
}

/// File globs, written as `COPY` sources relative to the context root.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Files {
    /// Files declaring dependencies (`package.json`, `*.csproj`).
    #[serde(default)]
    pub manifests: Vec<String>,
    /// Lock files (`package-lock.json`).
    #[serde(default)]
    pub locks: Vec<String>,
    /// Optional files and folders installs read when present (`.npmrc`, `.mvn`, `gradlew`).
    #[serde(default)]
    pub config: Vec<String>,
}

/// Detection rule: globs evaluated against the available files of the context.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detect {
    /// Every glob must match an available path.
    #[serde(default)]
    pub all: Vec<String>,
    /// When not empty, at least one glob must match.
    #[serde(default)]
    pub any: Vec<String>,
    /// No glob may match.
    #[serde(default)]
    pub none: Vec<String>,
}

/// Something in the context that makes an install read more than the manifests. With no
/// `json`, `toml` or `line`, the file's presence is the hook.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hook {
    /// A `COPY` glob naming the file(s) to inspect.
    pub file: String,
    /// Dotted keys of a JSON file (`scripts.postinstall`); any present is a hook.
    #[serde(default)]
    pub json: Vec<String>,
    /// Dotted keys of a TOML file (`workspace`, `package.build`).
    #[serde(default)]
    pub toml: Vec<String>,
    /// A regular expression; any matching line is a hook.
    #[serde(default)]
    pub line: Option<TextPattern>,
    /// Why it matters, for messages.
    #[serde(default)]
    pub why: Option<String>,
}

impl Profile {
    /// Whether the profile applies: its detection globs hold over the available files.
    pub fn detects(&self, context: &dyn ContextFiles) -> bool {
        let found = |glob: &String| !context.glob(glob).is_empty();
        let detect = &self.detect;
        detect.all.iter().all(found)
            && (detect.any.is_empty() || detect.any.iter().any(found))
            && !detect.none.iter().any(found)
    }

    /// Every manifest, lock and config glob, in that order.
    pub fn dependency_globs(&self) -> impl Iterator<Item = &str> {
        let files = &self.files;
        files
            .manifests
            .iter()
            .chain(&files.locks)
            .chain(&files.config)
            .map(String::as_str)
    }

    /// The available paths (files or folders) a dependency-only install reads, in the order of
    /// [`Profile::dependency_globs`], without duplicates.
    pub fn dependency_files(&self, context: &dyn ContextFiles) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = Vec::new();
        for path in self.dependency_globs().flat_map(|glob| context.glob(glob)) {
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
        paths
    }

    /// The hooks present in the context, each as `file: detail`. A file that cannot be read or
    /// parsed counts as a hook (its content is unknown). Empty means a dependency-only install
    /// reads only the dependency files.
    pub fn hooks_present(&self, context: &dyn ContextFiles) -> Vec<String> {
        self.hooks
            .iter()
            .flat_map(|hook| hook_findings(hook, context))
            .collect()
    }

    /// The hooks present in the context, each as `why (file: detail)` when the hook says why:
    /// for messages that decline.
    pub fn hooks_explained(&self, context: &dyn ContextFiles) -> Vec<String> {
        self.hooks
            .iter()
            .flat_map(|hook| hook_findings_explained(hook, context))
            .collect()
    }

    /// What the context holds that the runtime layout cannot follow (`[[runtime.hooks]]`), one
    /// line each.
    pub fn runtime_hooks_present(&self, context: &dyn ContextFiles) -> Vec<String> {
        self.runtime
            .iter()
            .flat_map(|layout| &layout.hooks)
            .flat_map(|hook| hook_findings_explained(hook, context))
            .collect()
    }

    /// The runtime image flavour the build context allows, when the layout has one, every
    /// project file of the context says so, and neither they, the other files nor the stage's
    /// `scripts` (its RUNs) rule it out. `None` when the context's files are unknown or too many
    /// to read.
    pub fn runtime_flavour(&self, context: &dyn ContextFiles, scripts: &[&str]) -> Option<String> {
        let rule = self.runtime.as_ref()?.flavour.as_ref()?;
        let ruled_out = |text: &str| rule.unless.iter().any(|pattern| pattern.is_match(text));
        if scripts.iter().any(|script| ruled_out(script)) {
            return None;
        }
        let is_project = |name: &str| rule.files.iter().any(|glob| glob.matches(name));
        let is_other = |name: &str| rule.also.iter().any(|glob| glob.matches(name));
        let files = manifests::read_found(context, &|name| is_project(name) || is_other(name))?;
        let mut projects = 0;
        for (path, text) in files {
            let text = text.ok()?;
            if ruled_out(&text) {
                return None;
            }
            let name = path.rsplit('/').next().unwrap_or(&path);
            if is_project(name) {
                projects += 1;
                if !rule.require.iter().any(|pattern| pattern.is_match(&text)) {
                    return None;
                }
            }
        }
        (projects > 0).then(|| rule.name.clone())
    }

    /// The files an install reads when the profile has `[includes]` and the command names files
    /// with them: those files and the files they name in turn (each once), as context paths.
    /// `cwd` is the folder the install runs in and `target` the folder the whole build context
    /// is copied to, both absolute image paths; a file outside `target` is not followed.
    /// `None` when the command names no file this way.
    pub fn files_read(
        &self,
        found: &CommandMatch,
        context: &dyn ContextFiles,
        cwd: &str,
        target: &str,
    ) -> Option<ReadFiles> {
        includes::files_read(self, found, context, cwd, target)
    }

    /// The first rule of this profile matching `command`; `script` is the text the command's
    /// ranges index (`Script::text`).
    pub fn match_command<'k>(
        &'k self,
        command: &Command,
        script: &str,
    ) -> Option<CommandMatch<'k>> {
        command::match_command(self, command, script)
    }

    /// The `[runtime.native]` dependencies the project uses, found in the available manifest
    /// and lock files (`files.manifests`, then `files.locks`), each once, with the first file
    /// naming it. Empty without the table or when the context's files are unknown. An error
    /// when a file cannot be read or is not valid in its format (what it declares is unknown).
    pub fn native_needs(
        &self,
        context: &dyn ContextFiles,
    ) -> Result<Vec<NativeNeed>, ContextError> {
        native::native_needs(self, context)
    }

    /// Whether this profile lists a system package as build-only.
    pub fn lists_build_package(&self, package: &str) -> bool {
        super::any_glob_matches(&self.build_packages, package)
    }
}
