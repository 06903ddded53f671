//! What may need a cache folder's content from the layer besides the RUNs that get the mounts:
//! an instruction naming a path in the folder (an `ENV` value, a `WORKDIR`, a word of a RUN that
//! does not run the tool), a later RUN that may run the tool unseen (a script, `make`) where the
//! original leaves what it reads in the layer or where it has no network, and a later download
//! without the credentials an earlier one had.

use super::decline::{Decline, UnseenWhy};
use super::environment::Environment;
use super::readers::Family;
use super::usage::{offline_network, Usage};
use super::user::run_user;
use super::RunPlan;
use crate::context::ContextFiles;
use crate::knowledge::vocabulary::vocabulary;
use crate::knowledge::{CommandPattern, NamedCache};
use crate::model::mounts::MountType;
use crate::model::paths::{self, is_within};
use crate::model::script::{base_name, CommandLine, CommandWord, Word};
use crate::model::{lineage, Dockerfile, Instruction};
use crate::syntax::InstructionKind;
use std::path::Path;

/// The checks of one package manager's mounts in one family.
pub(super) struct Hazards<'a, 'p> {
    pub family: &'a Family<'a, 'p>,
    pub cache: &'a NamedCache,
    /// The RUNs that run the tool, with what they do, in build order.
    pub runs: &'a [(&'a Instruction<'p>, Usage)],
    /// What each of them gets (same order).
    pub plans: &'a [RunPlan<'a, 'p>],
    /// Every folder mounted.
    pub folders: &'a [String],
}

impl Hazards<'_, '_> {
    /// The first reason the mounts would take away what something else needs.
    pub(super) fn check(&self) -> Option<Decline> {
        self.named_elsewhere()
            .or_else(|| self.unseen_or_without_credentials())
    }

    fn file(&self) -> &Dockerfile<'_> {
        self.family.file
    }

    fn is_tool_run(&self, instruction: &Instruction) -> bool {
        let index = instruction.index;
        self.runs.iter().any(|(run, _)| run.index == index)
    }

    /// The mounted folder `path` is in (or is), if any.
    fn folder_of(&self, path: &str) -> Option<&String> {
        self.folders.iter().find(|folder| is_within(folder, path))
    }

    /// An `ENV` (other than the variables that place the caches), a `WORKDIR` or a word of a
    /// RUN without the mounts (other than `rm`, which then removes nothing) naming a path in a
    /// mounted folder.
    fn named_elsewhere(&self) -> Option<Decline> {
        let file = self.file();
        let own = self.cache.spec.variables();
        for instruction in self.family.instructions() {
            let line = instruction.start_line();
            let found = match instruction.kind() {
                Some(InstructionKind::Env) => instruction.pairs().into_iter().find_map(|pair| {
                    let (key, value, _) = pair;
                    if own.contains(&key.value.as_str()) {
                        return None;
                    }
                    let value = file.expand(instruction, &value.value)?;
                    let pieces = value.split(|c: char| c == ':' || c.is_whitespace());
                    let mut absolute = pieces.map(|p| p.trim_matches(|c| c == '"' || c == '\''));
                    let folder = absolute.find_map(|p| {
                        p.starts_with('/')
                            .then(|| self.folder_of(&paths::normalize(p)))
                            .flatten()
                    })?;
                    Some((format!("`ENV {}`", key.value), folder.clone()))
                }),
                Some(InstructionKind::Workdir) => {
                    let written = instruction.string_arg()?.value;
                    let value = file.expand(instruction, &written)?;
                    let folder = value
                        .starts_with('/')
                        .then(|| self.folder_of(&paths::normalize(&value)))
                        .flatten();
                    folder.map(|folder| ("the WORKDIR".to_owned(), folder.clone()))
                }
                Some(InstructionKind::Run) if !self.is_tool_run(instruction) => {
                    self.named_by_run(instruction)
                }
                _ => None,
            };
            if let Some((what, folder)) = found {
                return Some(Decline::NamedElsewhere { line, what, folder });
            }
        }
        None
    }

    /// A command of a RUN without the mounts whose word names a path in a mounted folder.
    fn named_by_run(&self, run: &Instruction) -> Option<(String, String)> {
        let file = self.file();
        let knowledge = self.family.knowledge;
        let image = run
            .stage
            .and_then(|index| file.stages().get(index))
            .map(|stage| lineage::root_image_by_defaults(file, stage));
        let image_env = image.map_or_else(Vec::new, |image| {
            let pairs = self.cache.spec.image_env(&image).into_iter();
            pairs.map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
        });
        let environment = Environment::of(file, run, image_env);
        let home = run_user(file, knowledge, run, &environment)
            .ok()
            .map(|user| user.home);
        for script in file.shell_scripts(run) {
            for command in script.simple_commands() {
                let Some(line) = CommandLine::read(command.program_words(), &[]) else {
                    continue;
                };
                if line.name() == "rm" {
                    continue;
                }
                let targets = command.redirects.iter().filter_map(|r| r.target.as_ref());
                let words = command.words.iter().chain(targets);
                for word in words {
                    let found = candidates(word).into_iter().find_map(|written| {
                        let path = resolve(file, run, &environment, home.as_deref(), written)?;
                        self.folder_of(&path)
                    });
                    if let Some(folder) = found {
                        return Some((format!("`{}` in a RUN", line.name()), folder.clone()));
                    }
                }
            }
        }
        None
    }

    /// A later RUN of the family that may run the tool unseen (and so gets no mount) where the
    /// original leaves the refreshed state in the layer or it has no network; or a later RUN
    /// that may read the cache without the credentials an earlier download had.
    fn unseen_or_without_credentials(&self) -> Option<Decline> {
        let spec = &self.cache.spec;
        let mut last_fill: Option<(usize, bool)> = None;
        let mut credentials: Option<usize> = None;
        for run in self.family.instructions() {
            if run.kind() != Some(InstructionKind::Run) {
                continue;
            }
            let line = run.start_line();
            let tool = self.runs.iter().position(|(r, _)| r.index == run.index);
            let (reads, unseen) = match tool {
                Some(position) => (self.runs[position].1.fills, None),
                None => {
                    let unseen = self.unseen_command(run);
                    (unseen.is_some(), unseen)
                }
            };
            if let (Some(with), true, false) = (credentials, reads, has_credentials(run)) {
                return Some(Decline::Credentials {
                    line: with,
                    later: line,
                });
            }
            if let (Some((command, refreshes)), Some((fill, removed))) = (unseen, last_fill) {
                let why = match offline_network(run) {
                    true => Some(UnseenWhy::Offline),
                    false => (!spec.refreshes.is_empty() && !removed && !refreshes)
                        .then_some(UnseenWhy::Refreshed { fill }),
                };
                if let Some(why) = why {
                    return Some(Decline::UnseenReader { line, command, why });
                }
            }
            if let Some(position) = tool.filter(|&p| self.runs[p].1.fills) {
                let removed = self.plans[position].drops.removed.iter().any(|path| {
                    let refreshes = spec.refreshes.iter();
                    refreshes.clone().any(|folder| is_within(folder, path))
                });
                last_fill = Some((line, removed));
                if has_credentials(run) {
                    credentials.get_or_insert(line);
                }
            }
        }
        None
    }
}

/// Whether a RUN mounts a secret or an ssh agent (credentials for private packages).
fn has_credentials(run: &Instruction) -> bool {
    run.mounts()
        .into_iter()
        .flatten()
        .any(|mount| matches!(mount.kind, MountType::Secret | MountType::Ssh))
}

/// How many entries of a build context are looked through for a script.
const CONTEXT_LIMIT: usize = 50_000;

/// What a command hands its commands to: text to read, or build context files by name.
pub(crate) enum Unseen<'w> {
    Text(String),
    /// Files of these names; `script` when the command runs one of them (a shell's operand),
    /// so that one the context lacks cannot be read, rather than being a program the build
    /// installed or made.
    Files {
        names: Vec<&'w str>,
        script: bool,
    },
}

/// What an unseen script does with the tool, as far as it can be read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// It does not name the tool's programs.
    None,
    /// It names them (or cannot be read).
    Runs,
    /// It names them and their refresh (`apt-get update`).
    RunsRefreshed,
}

impl Hazards<'_, '_> {
    /// The first command of a RUN that may run the tool unseen (a script or build file naming
    /// one of its programs, or one that cannot be read), as written, and whether all it runs
    /// refreshes first.
    fn unseen_command(&self, run: &Instruction) -> Option<(String, bool)> {
        let found = |reach: Reach, value: String| match reach {
            Reach::None => None,
            reach => Some((value, reach == Reach::RunsRefreshed)),
        };
        if let Some(words) = run.exec_form() {
            let line = CommandLine::read(&words, &[])?;
            let value = line.program.value.clone();
            return found(self.reach(unseen(&line)?), value);
        }
        self.file().shell_scripts(run).iter().find_map(|script| {
            script.simple_commands().iter().find_map(|command| {
                let line = CommandLine::read(command.program_words(), &[])?;
                let program: &Word = line.program;
                found(self.reach(unseen(&line)?), program.value.clone())
            })
        })
    }

    /// What the text or files a command hands its commands to do with the tool.
    fn reach(&self, unseen: Unseen) -> Reach {
        reach(self.family.context, unseen, |text| self.text_reach(text))
    }

    /// Whether a text names one of the tool's programs (as a word), and their refresh.
    fn text_reach(&self, text: &str) -> Reach {
        let spec = &self.cache.spec;
        let words = text_words(text);
        let programs: Vec<_> = spec.uses.iter().filter_map(|p| p.0.first()).collect();
        if !words
            .iter()
            .any(|w| programs.iter().any(|glob| glob.matches(w)))
        {
            return Reach::None;
        }
        match names_command(&words, &spec.refreshed_by) {
            true => Reach::RunsRefreshed,
            false => Reach::Runs,
        }
    }
}

/// The words of a script or build file, as [`names_command`] reads them.
pub(crate) fn text_words(text: &str) -> Vec<&str> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || "._+-".contains(c);
    text.split(|c: char| !is_word(c)).collect()
}

/// Whether consecutive words run one of the commands (each word of a pattern against one word).
pub(super) fn names_command(words: &[&str], patterns: &[CommandPattern]) -> bool {
    patterns.iter().any(|pattern| {
        words.windows(pattern.0.len()).any(|window| {
            let pairs = pattern.0.iter().zip(window);
            pairs.into_iter().all(|(glob, word)| glob.matches(word))
        })
    })
}

/// What the text or files a command hands its commands to do, each text read by `text_reach`:
/// without the build context, or when it cannot be looked through, they may run anything; a
/// script (a shell's operand) the context lacks cannot be read; a program named by a path the
/// context lacks is one the build installed or made.
pub(crate) fn reach(
    context: Option<&dyn ContextFiles>,
    unseen: Unseen,
    text_reach: impl Fn(&str) -> Reach,
) -> Reach {
    let (names, script) = match unseen {
        Unseen::Text(text) => return text_reach(&text),
        Unseen::Files { names, script } => (names, script),
    };
    let Some(context) = context else {
        return Reach::Runs;
    };
    let found = context.find_files(&|name| names.contains(&name), CONTEXT_LIMIT);
    let Some(found) = found else {
        return Reach::Runs;
    };
    if found.is_empty() {
        return match script {
            true => Reach::Runs,
            false => Reach::None,
        };
    }
    let reaches = found.iter().map(|path| {
        context
            .read_to_string(Path::new(path))
            .map_or(Reach::Runs, |text| text_reach(&text))
    });
    let reaches: Vec<Reach> = reaches.filter(|r| *r != Reach::None).collect();
    match reaches.as_slice() {
        [] => Reach::None,
        found if found.iter().all(|r| *r == Reach::RunsRefreshed) => Reach::RunsRefreshed,
        _ => Reach::Runs,
    }
}

/// What a command line hands other commands to, when it does.
pub(crate) fn unseen<'w>(line: &CommandLine<'w, impl CommandWord>) -> Option<Unseen<'w>> {
    let scripts = &vocabulary().scripts;
    let name = line.name();
    let positionals: Vec<&'w str> = line.positional_values().collect();
    if scripts.shells.iter().any(|shell| shell == name) {
        return match (line.has_option("-c"), positionals.first()) {
            (true, Some(text)) => Some(Unseen::Text((*text).to_owned())),
            (false, Some(path)) => Some(Unseen::Files {
                names: vec![base_name(path)],
                script: true,
            }),
            (_, None) => None,
        };
    }
    if let Some(files) = scripts.drivers.get(name) {
        let names = files.iter().map(String::as_str).collect();
        return Some(Unseen::Files {
            names,
            script: false,
        });
    }
    if scripts.runners.iter().any(|runner| runner == name) {
        return Some(Unseen::Text(positionals.join(" ")));
    }
    let program = line.program.value();
    program.contains('/').then(|| Unseen::Files {
        names: vec![base_name(program)],
        script: false,
    })
}

/// The values a word may name a path with: itself, and what follows `=` in an option or an
/// assignment (`--cache-dir=/root/.cache/pip`).
fn candidates(word: &Word) -> Vec<&str> {
    let mut values = vec![word.value.as_str()];
    if let Some((_, value)) = word.value.split_once('=') {
        values.push(value);
    }
    values
}

/// A word as an absolute path, normalized: `~` and `$HOME` are the user's home, a leading
/// variable is looked up (the image's own included), others expanded when the Dockerfile
/// tells; `None` when it is not an absolute path or cannot be told.
fn resolve(
    file: &Dockerfile,
    run: &Instruction,
    environment: &Environment,
    home: Option<&str>,
    written: &str,
) -> Option<String> {
    let mut text = written.to_owned();
    for prefix in ["~", "$HOME", "${HOME}"] {
        if let Some(rest) = written.strip_prefix(prefix) {
            if rest.is_empty() || rest.starts_with('/') {
                text = format!("{}{rest}", home?);
            }
        }
    }
    if let Some(rest) = text.strip_prefix('$') {
        let braced = rest.strip_prefix('{').and_then(|r| r.split_once('}'));
        let (name, tail) = match braced {
            Some((name, tail)) => (name, tail),
            None => {
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                rest.split_at(end)
            }
        };
        if let Some(Ok(value)) = environment.value(name) {
            text = format!("{value}{tail}");
        }
    }
    if text.contains('$') {
        text = file.expand(run, &text)?;
    }
    text.starts_with('/').then(|| paths::normalize(&text))
}
