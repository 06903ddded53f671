//! Walk exclusions: gitignore-style pattern lists (`exclude`, `extend-exclude`, `--exclude`,
//! `--extend-exclude`) layered over the defaults, each read relative to its folder, and the
//! configuration that governs each walked path.

use super::{Config, Discovery};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// A list of gitignore-style patterns and the folder they are relative to.
#[derive(Clone, Debug)]
pub struct PatternList {
    /// Absolute.
    root: PathBuf,
    matcher: Gitignore,
}

/// What a pattern list says about a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No pattern matches.
    Silent,
    /// The last matching pattern excludes it.
    Exclude,
    /// The last matching pattern is a `!` pattern: it is re-included.
    Include,
}

impl PatternList {
    /// Compiles `patterns` relative to `root` (absolute). An invalid pattern is reported with
    /// its index and the reason. Empty patterns are skipped.
    pub fn new<'p>(
        root: &Path,
        patterns: impl IntoIterator<Item = &'p str>,
    ) -> Result<PatternList, (usize, String)> {
        let mut builder = GitignoreBuilder::new(root);
        for (index, pattern) in patterns.into_iter().enumerate() {
            if pattern.trim().is_empty() {
                continue;
            }
            builder
                .add_line(None, pattern)
                .map_err(|error| (index, format!("`{pattern}`: {}", glob_error(&error))))?;
        }
        let matcher = builder.build().map_err(|error| (0, glob_error(&error)))?;
        Ok(PatternList {
            root: root.to_owned(),
            matcher,
        })
    }

    /// The verdict on `path` (absolute; a folder when `is_dir`). A path outside the root is
    /// matched by the patterns without `/` only.
    pub fn verdict(&self, path: &Path, is_dir: bool) -> Verdict {
        let relative = match path.strip_prefix(&self.root) {
            Ok(relative) if relative.as_os_str().is_empty() => {
                path.file_name().map_or(path, Path::new)
            }
            Ok(relative) => relative,
            Err(_) => path,
        };
        match self.matcher.matched(relative, is_dir) {
            ignore::Match::None => Verdict::Silent,
            ignore::Match::Ignore(_) => Verdict::Exclude,
            ignore::Match::Whitelist(_) => Verdict::Include,
        }
    }
}

/// The reason of a pattern error, without the `ignore` crate's wrapping of the file name.
fn glob_error(error: &ignore::Error) -> String {
    match error {
        ignore::Error::Glob { err, .. } => err.clone(),
        other => other.to_string(),
    }
}

/// `--exclude` and `--extend-exclude`: patterns relative to the current folder.
#[derive(Clone, Debug, Default)]
pub struct CliExclusions {
    /// Replaces `exclude` of every configuration and the defaults.
    pub exclude: Option<PatternList>,
    /// Added after every configuration's `extend-exclude`.
    pub extend_exclude: Option<PatternList>,
}

impl CliExclusions {
    /// Compiles the command line's patterns, relative to the current folder.
    pub fn new(exclude: Option<&[String]>, extend_exclude: &[String]) -> Result<Self, String> {
        let root = crate::walk::absolute(Path::new("."));
        let compile = |flag: &str, patterns: &[String]| {
            PatternList::new(&root, patterns.iter().map(String::as_str))
                .map_err(|(_, message)| format!("invalid pattern in {flag}: {message}"))
        };
        Ok(CliExclusions {
            exclude: exclude.map(|list| compile("--exclude", list)).transpose()?,
            extend_exclude: match extend_exclude {
                [] => None,
                list => Some(compile("--extend-exclude", list)?),
            },
        })
    }
}

/// Whether `path` (absolute) is excluded under `config` and the command line's patterns.
pub(super) fn excluded_by(
    cli: &CliExclusions,
    config: Option<&Config>,
    path: &Path,
    is_dir: bool,
) -> bool {
    let base = cli
        .exclude
        .as_ref()
        .or_else(|| config.and_then(|config| config.exclude.as_ref()));
    let mut excluded = match base {
        Some(list) => list.verdict(path, is_dir) == Verdict::Exclude,
        None => path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| crate::walk::excluded_by_default(name, is_dir)),
    };
    let layers = config
        .and_then(|config| config.extend_exclude.as_ref())
        .into_iter()
        .chain(cli.extend_exclude.as_ref());
    for list in layers {
        match list.verdict(path, is_dir) {
            Verdict::Silent => {}
            Verdict::Exclude => excluded = true,
            Verdict::Include => excluded = false,
        }
    }
    excluded
}

/// Where the configuration of walked paths comes from.
enum ConfigSource {
    /// `--isolated`: none.
    Isolated,
    /// `--config FILE` (or a broken one: `None`).
    Fixed(Option<Arc<Config>>),
    /// The nearest `dfmigrate.toml` above each path.
    Discover(Mutex<Discovery>),
}

/// The exclusions of a run's folder walks: each path's configuration (`exclude`,
/// `extend-exclude`, or the defaults) with the command line's patterns.
pub struct WalkExclusions {
    source: ConfigSource,
    cli: CliExclusions,
}

impl WalkExclusions {
    /// Configuration discovered upward from each path.
    pub fn discover(cli: CliExclusions) -> WalkExclusions {
        WalkExclusions {
            source: ConfigSource::Discover(Mutex::new(Discovery::default())),
            cli,
        }
    }

    /// One configuration for every path (`--config`).
    pub fn fixed(config: Option<Arc<Config>>, cli: CliExclusions) -> WalkExclusions {
        WalkExclusions {
            source: ConfigSource::Fixed(config),
            cli,
        }
    }

    /// No configuration (`--isolated`): the defaults and the command line's patterns.
    pub fn isolated(cli: CliExclusions) -> WalkExclusions {
        WalkExclusions {
            source: ConfigSource::Isolated,
            cli,
        }
    }

    /// The discovery cache filled while walking, to look up the files' configurations again
    /// without reading anything twice.
    pub fn into_discovery(self) -> Option<Discovery> {
        match self.source {
            ConfigSource::Discover(discovery) => Some(
                discovery
                    .into_inner()
                    .unwrap_or_else(PoisonError::into_inner),
            ),
            _ => None,
        }
    }

    /// The valid configuration governing `path` (absolute), if any: a broken one excludes
    /// nothing beyond the defaults (its files are reported as not processed).
    fn config_for(&self, path: &Path) -> Option<Arc<Config>> {
        match &self.source {
            ConfigSource::Isolated => None,
            ConfigSource::Fixed(config) => config.clone(),
            ConfigSource::Discover(discovery) => {
                let folder = path.parent().unwrap_or(path);
                let mut discovery = discovery.lock().unwrap_or_else(PoisonError::into_inner);
                discovery.for_folder(folder).ok().flatten()
            }
        }
    }
}

impl crate::walk::Exclude for WalkExclusions {
    fn excluded(&self, path: &Path, is_dir: bool) -> bool {
        let config = self.config_for(path);
        excluded_by(&self.cli, config.as_deref(), path, is_dir)
    }

    /// The path, then each folder above it up to the folder its configuration lives in (the
    /// current folder without one), as ruff checks `--force-exclude` paths.
    fn excluded_explicit(&self, path: &Path, is_dir: bool) -> bool {
        let config = self.config_for(path);
        let root = match &config {
            Some(config) => crate::walk::absolute(&config.root),
            None => crate::walk::absolute(Path::new(".")),
        };
        for (depth, candidate) in path.ancestors().enumerate() {
            let candidate_is_dir = depth > 0 || is_dir;
            if excluded_by(&self.cli, config.as_deref(), candidate, candidate_is_dir) {
                return true;
            }
            if candidate == root || !candidate.starts_with(&root) {
                break;
            }
        }
        false
    }
}
