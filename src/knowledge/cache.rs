//! Package-manager caches as data (`[cache]` of an ecosystem profile, `[caches.apt]` of
//! `package-managers.toml`): which commands use them, where they are (by user, by the variables
//! that move them, by image), and what only exists to keep them out of a layer. `cache-mounts`
//! holds the mechanics.

use super::{image_name, KnowledgeError, NameGlob};
use crate::model::script::{CommandLine, CommandWord};
use crate::model::ImageRef;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The caches of one package manager.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSpec {
    /// Why the caches are never mounted (pnpm's store, Yarn berry's archives): an install gets a
    /// note saying so instead.
    #[serde(default)]
    pub skip: Option<String>,
    /// Options of the programs whose value is the next word, besides the profile's.
    #[serde(default)]
    pub value_options: Vec<String>,
    /// Commands that read or fill the caches (program and leading positional words): every
    /// `RUN` of a build stage family running one gets the mounts, or none does.
    pub uses: Vec<CommandPattern>,
    /// Commands the caches pay off for (installs, builds): a family needs one to be mounted.
    pub fills: Vec<CommandPattern>,
    /// Commands that read the caches when a container runs (`npx`, `mvn spring-boot:run`): a
    /// stage whose command runs one keeps its caches in the image.
    #[serde(default)]
    pub runtime: Vec<CommandPattern>,
    /// Options under which a command reads only what is already in the cache (`--offline`):
    /// a cache mount may have lost what an earlier, layer-cached `RUN` put there.
    #[serde(default)]
    pub offline_options: Vec<String>,
    /// Variables and the values (any case; an empty list: any value) that make the tool offline.
    #[serde(default)]
    pub offline_env: BTreeMap<String, Vec<String>>,
    /// Variables and values that turn the cache off (`PIP_NO_CACHE_DIR`): nothing to mount.
    #[serde(default)]
    pub off_env: BTreeMap<String, Vec<String>>,
    /// Options naming the cache folder on the command line (`--cache-dir DIR`, option
    /// prefixes such as `-Dmaven.repo.local=`): not followed.
    #[serde(default)]
    pub folder_options: Vec<String>,
    /// Options whose values make the cache hold what the image runs (`--link-mode symlink`).
    #[serde(default)]
    pub runtime_options: BTreeMap<String, Vec<String>>,
    /// Variables and values that do the same (`UV_LINK_MODE=symlink`).
    #[serde(default)]
    pub runtime_env: BTreeMap<String, Vec<String>>,
    /// Options that only keep the cache out of the layer (`--no-cache-dir`): dropped.
    #[serde(default)]
    pub moot_options: Vec<String>,
    /// Commands that only empty the cache (`npm cache clean --force`): dropped.
    #[serde(default)]
    pub moot_commands: Vec<CommandPattern>,
    /// Every command of `fills` must come after one of these in its own `RUN` (`apt-get
    /// update`): otherwise it reads what an earlier `RUN` left in the cache.
    #[serde(default)]
    pub refreshed_by: Vec<CommandPattern>,
    /// The folders `refreshed_by` fills (apt's lists): a later `RUN` that may read them
    /// without running the tool (a script, `make`) reads them from the layer, where the mounts
    /// leave nothing, unless a mounted `RUN` removed them anyway.
    #[serde(default)]
    pub refreshes: Vec<String>,
    /// A `RUN` the stage needs once before its first mounted `RUN` (apt's `docker-clean`).
    #[serde(default)]
    pub setup: Option<Setup>,
    /// A record in the mounted folders that the mount shares with every build on the builder
    /// (apt's auto-installed marks), and the commands that act on it (`apt-get autoremove`):
    /// a family running one is not mounted.
    #[serde(default)]
    pub shared_state: Option<SharedState>,
    /// The folders to mount.
    pub folders: Vec<CacheFolder>,
    /// What images set that the Dockerfile does not show (`GOPATH=/go` in `golang`).
    #[serde(default)]
    pub image_env: Vec<ImageEnv>,
}

/// A command: a program (a glob over its file name) and the positional words that follow it
/// (globs); a word starting with `-` is an option the command must have (`go clean
/// -modcache`), and a last word `$` means no other positional word may follow (`yarn` alone).
#[derive(Clone, Debug, Deserialize)]
#[serde(transparent)]
pub struct CommandPattern(pub Vec<NameGlob>);

impl CommandPattern {
    /// Whether the command line runs this command: its program, then each positional word of
    /// the pattern against the command's in order (a last word `$`: no other may follow), and
    /// each option of the pattern among the command's. Called for every command of every RUN,
    /// so it allocates nothing and looks at the program first.
    pub fn matches<W: CommandWord>(&self, line: &CommandLine<W>) -> bool {
        let Some((program, rest)) = self.0.split_first() else {
            return false;
        };
        if !program.matches(line.name()) {
            return false;
        }
        let is_option = |glob: &NameGlob| glob.as_str().starts_with('-');
        let last_word = rest.iter().rposition(|glob| !is_option(glob));
        let exact = last_word.is_some_and(|index| rest[index].as_str() == "$");
        let mut positionals = line.positional_values();
        for (index, glob) in rest.iter().enumerate() {
            if is_option(glob) {
                if !line.has_option(glob.as_str()) {
                    return false;
                }
            } else if !(exact && Some(index) == last_word) {
                match positionals.next() {
                    Some(word) if glob.matches(word) => {}
                    _ => return false,
                }
            }
        }
        !exact || positionals.next().is_none()
    }

    /// The glob of the program the pattern runs.
    pub fn program(&self) -> Option<&NameGlob> {
        self.0.first()
    }

    /// The command as written in the data (`npm cache clean`).
    pub fn describe(&self) -> String {
        let words: Vec<&str> = self
            .0
            .iter()
            .map(NameGlob::as_str)
            .filter(|word| *word != "$")
            .collect();
        words.join(" ")
    }
}

/// A `RUN` that prepares the image for the mounts, once per stage family.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// The `RUN`'s command.
    pub run: String,
    /// A file the setup removes: a `RUN` removing it already did the setup.
    pub removes: String,
    /// Why it is needed, for messages.
    pub why: String,
}

/// A record the mounts share between unrelated builds, and the commands that act on it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedState {
    /// What the record is, for messages.
    pub what: String,
    /// The commands (patterns as in `uses`) that read it or act on it.
    pub commands: Vec<CommandPattern>,
}

/// One folder to mount: the first of `from` that is set, else `default` (`~` is the home
/// folder of the user the `RUN` runs as); without a default, the folder is known only from a
/// variable.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheFolder {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub from: Vec<FolderSource>,
    /// Variables that move the folder where it cannot be told (Bundler's `BUNDLE_PATH`
    /// adds the Ruby version), with why.
    #[serde(default)]
    pub unknown_env: BTreeMap<String, String>,
    /// Why the folder is unknown without `from` and `default`, for messages.
    #[serde(default)]
    pub unknown: Option<String>,
    /// BuildKit's `sharing=` for tools that cannot share the folder with a concurrent build
    /// (`locked`).
    #[serde(default)]
    pub sharing: Option<String>,
}

/// A variable that places the folder: its value, a `join`ed subfolder of it, or the value of a
/// `-Dproperty=` word in it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FolderSource {
    pub env: String,
    #[serde(default)]
    pub join: Option<String>,
    #[serde(default)]
    pub property: Option<String>,
}

/// Variables an image sets in its own configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageEnv {
    /// Image name globs (see `images.toml`).
    pub image: Vec<NameGlob>,
    pub env: BTreeMap<String, String>,
}

impl CacheSpec {
    /// Whether one of `programs` (base names) may be the tool: the program of a `uses` or
    /// `shared_state` command. A RUN that runs none of them leaves the caches alone.
    pub fn may_be_run_by(&self, programs: &[String]) -> bool {
        let shared = self.shared_state.iter().flat_map(|state| &state.commands);
        let mut tools = self
            .uses
            .iter()
            .chain(shared)
            .filter_map(CommandPattern::program);
        tools.any(|tool| programs.iter().any(|program| tool.matches(program)))
    }

    /// The variables `image` sets for this tool.
    pub fn image_env(&self, image: &ImageRef) -> Vec<(&str, &str)> {
        let name = image_name(image);
        self.image_env
            .iter()
            .filter(|entry| entry.image.iter().any(|glob| glob.matches(&name)))
            .flat_map(|entry| entry.env.iter())
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect()
    }

    /// Every variable name the spec reads, for commands and scripts that set one themselves.
    pub fn variables(&self) -> Vec<&str> {
        let sources = self.folders.iter().flat_map(|folder| &folder.from);
        let unknown = self
            .folders
            .iter()
            .flat_map(|folder| folder.unknown_env.keys());
        sources
            .map(|source| source.env.as_str())
            .chain(unknown.map(String::as_str))
            .chain(self.offline_env.keys().map(String::as_str))
            .chain(self.off_env.keys().map(String::as_str))
            .chain(self.runtime_env.keys().map(String::as_str))
            .collect()
    }
}

/// Whether `value` is one of `values` (any case), or `values` is empty.
pub fn value_listed(values: &[String], value: &str) -> bool {
    values.is_empty() || values.iter().any(|v| v.eq_ignore_ascii_case(value))
}

/// A package manager's caches, named.
#[derive(Clone, Debug)]
pub struct NamedCache {
    /// The profile id, or the system package manager's name (`apt`).
    pub id: String,
    /// For messages (`npm`, `Go modules`).
    pub name: String,
    pub spec: CacheSpec,
    /// The owning profile's options whose value is the next word, and the spec's own.
    pub value_options: Vec<String>,
}

/// Reads and checks a `[cache]` table.
pub(super) fn parse_spec(value: &toml::Value, key: &str) -> Result<CacheSpec, KnowledgeError> {
    let spec = CacheSpec::deserialize(value.clone()).map_err(|e| KnowledgeError::new(key, e))?;
    validate(&spec, key)?;
    Ok(spec)
}

/// Folders are absolute or start at the home folder, commands name a program, `sharing` is
/// one BuildKit knows, and a spec that mounts names a filling command.
pub(super) fn validate(spec: &CacheSpec, key: &str) -> Result<(), KnowledgeError> {
    let patterns = spec
        .uses
        .iter()
        .chain(&spec.fills)
        .chain(&spec.runtime)
        .chain(&spec.moot_commands)
        .chain(&spec.refreshed_by)
        .chain(spec.shared_state.iter().flat_map(|state| &state.commands));
    if patterns.into_iter().any(|pattern| pattern.0.is_empty()) {
        return Err(KnowledgeError::new(
            key,
            "a command needs at least its program",
        ));
    }
    if spec.skip.is_none() && (spec.fills.is_empty() || spec.folders.is_empty()) {
        return Err(KnowledgeError::new(
            key,
            "needs `fills` and `folders` (or `skip`)",
        ));
    }
    for (index, folder) in spec.folders.iter().enumerate() {
        let at = format!("{key}.folders[{index}]");
        if let Some(path) = &folder.default {
            let placed = path.starts_with('/') || path.starts_with("~/");
            if !placed || path.contains([',', '"', '$']) {
                return Err(KnowledgeError::new(
                    at,
                    format!(
                        "`{path}` must be absolute or start with `~/`, without `,`, `\"` or `$`"
                    ),
                ));
            }
        } else if folder.unknown.is_none() {
            return Err(KnowledgeError::new(
                at,
                "needs a `default` or an `unknown` reason",
            ));
        }
        if let Some(sharing) = folder.sharing.as_deref() {
            // buildah before 1.29 releases only the lock of a RUN's last cache mount
            // (containers/buildah#4349), and only one mount can be last: the next RUN locking
            // another one would wait forever.
            let locked = spec
                .folders
                .iter()
                .filter(|f| f.sharing.as_deref() == Some("locked"));
            if locked.count() > 1 {
                return Err(KnowledgeError::new(
                    at,
                    "at most one folder may be `locked` (buildah before 1.29 releases only the last cache mount of a RUN)",
                ));
            }
            if !matches!(sharing, "shared" | "private" | "locked") {
                return Err(KnowledgeError::new(
                    at,
                    format!("sharing `{sharing}` is not shared, private or locked"),
                ));
            }
        }
    }
    if let Some(folder) = spec.refreshes.iter().find(|f| !f.starts_with('/')) {
        return Err(KnowledgeError::new(
            format!("{key}.refreshes"),
            format!("`{folder}` must be absolute"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::shell::lex;

    fn pattern(words: &[&str]) -> CommandPattern {
        let globs = words
            .iter()
            .map(|word| NameGlob::try_from((*word).to_owned()));
        CommandPattern(globs.collect::<Result<_, _>>().expect("globs"))
    }

    fn runs(pattern: &CommandPattern, script: &str) -> bool {
        let lexed = lex(script);
        let line = lexed.commands[0]
            .command_line(&["--prefix"])
            .expect("a command");
        pattern.matches(&line)
    }

    #[test]
    fn patterns_match_programs_words_options_and_ends() {
        assert!(runs(&pattern(&["npm", "ci"]), "npm --prefix app ci"));
        assert!(runs(
            &pattern(&["pip[0-9]*", "install"]),
            "/usr/bin/pip3.11 install x"
        ));
        assert!(!runs(&pattern(&["pip[0-9]*"]), "pip install x"));
        assert!(runs(
            &pattern(&["go", "clean", "-modcache"]),
            "go clean -modcache"
        ));
        assert!(!runs(
            &pattern(&["go", "clean", "-modcache"]),
            "go clean -cache"
        ));
        assert!(runs(&pattern(&["yarn", "$"]), "yarn --frozen-lockfile"));
        assert!(!runs(&pattern(&["yarn", "$"]), "yarn build"));
        assert_eq!(pattern(&["yarn", "$"]).describe(), "yarn");
    }

    #[test]
    fn the_embedded_caches_load() {
        let caches = crate::knowledge::KnowledgeBase::builtin().caches();
        let ids: Vec<&str> = caches.iter().map(|cache| cache.id.as_str()).collect();
        for id in ["npm", "pip", "go", "cargo", "maven", "gradle", "apt"] {
            assert!(ids.contains(&id), "{id} in {ids:?}");
        }
    }
}
