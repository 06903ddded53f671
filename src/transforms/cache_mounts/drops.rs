//! What a RUN does that a cache mount makes moot or breaks: commands that only empty the cache
//! (`npm cache clean --force`, `rm -rf /root/.cache/pip`) and options that only keep it out of
//! the layer (`--no-cache-dir`) are dropped; a removal of a mount point or of a folder holding
//! one (the RUN would fail) that cannot be dropped makes the transform decline.

use super::decline::Decline;
use super::usage::runs;
use crate::diagnostics::Edit;
use crate::knowledge::NamedCache;
use crate::model::paths::{self, is_within};
use crate::model::script::{CommandLine, CommandNode, CommandWord, Pipeline, Word};
use crate::model::{Dockerfile, Instruction, Script};
use crate::syntax::TextRange;

/// The program that removes files.
const REMOVER: &str = "rm";

/// The edits that drop what the mounts make moot in one RUN.
#[derive(Debug, Default)]
pub(super) struct Drops {
    pub edits: Vec<Edit>,
    /// What is dropped, as written (`npm cache clean --force`, `--no-cache-dir`).
    pub dropped: Vec<String>,
    /// Every command of the RUN is dropped: the RUN goes.
    pub empties_run: bool,
    /// The paths the dropped `rm`s removed (in the original, from the layer).
    pub removed: Vec<String>,
}

/// Where an `rm` operand is.
enum Place {
    /// This path.
    Exact(String),
    /// Somewhere below this folder.
    Below(String),
}

/// What one command does to the folders being mounted.
enum Removal {
    /// It only empties them: dropped.
    Moot,
    /// It removes a mount point or a folder holding one (or a path that cannot be told).
    Breaks,
    /// Anything else.
    Keep,
}

/// Where a RUN's mounts go and how paths are read there.
pub(super) struct Mounted<'a> {
    pub file: &'a Dockerfile<'a>,
    pub run: &'a Instruction<'a>,
    pub cache: &'a NamedCache,
    /// The folders mounted (new and already mounted ones).
    pub targets: &'a [String],
    pub home: &'a str,
    pub cwd: Option<&'a str>,
}

impl Mounted<'_> {
    /// The drops, or why the RUN cannot keep its commands under the mounts.
    pub(super) fn drops(&self) -> Result<Drops, Decline> {
        for heredoc in self.file.heredoc_scripts(self.run) {
            for command in heredoc.script.simple_commands() {
                if !self.may_stay(command.command_line(&self.value_options())) {
                    return Err(self.breaks("a command of its heredoc".to_owned()));
                }
            }
        }
        let Some(script) = self.file.script(self.run) else {
            return Ok(Drops::default());
        };
        let tree = script.tree().script.clone();
        let commands = tree.simple_commands();
        if self.run.heredoc_count() > 0 || !is_flat(&script) {
            // Compound commands, heredocs: nothing is edited, and nothing may break.
            for command in commands {
                if !self.may_stay(command.command_line(&self.value_options())) {
                    return Err(self.breaks(command.range.slice(script.text).to_owned()));
                }
            }
            return Ok(Drops::default());
        }
        let mut dropped_commands = Vec::new();
        let mut drops = Drops::default();
        for (index, command) in commands.iter().enumerate() {
            let Some(line) = command.command_line(&self.value_options()) else {
                continue;
            };
            let text = command.range.slice(script.text);
            match self.removal(&line) {
                Removal::Moot if script.lexed.is_reached_plainly(index) => {
                    dropped_commands.push(index);
                    drops.dropped.push(text.to_owned());
                    drops.removed.extend(self.removed_paths(&line));
                }
                Removal::Moot | Removal::Breaks => return Err(self.breaks(text.to_owned())),
                Removal::Keep => {}
            }
            if runs(&self.cache.spec.uses, &line) && !dropped_commands.contains(&index) {
                self.drop_moot_options(&command.words, &script, &mut drops);
            }
        }
        self.drop_commands(&script, &dropped_commands, &mut drops);
        Ok(drops)
    }

    fn value_options(&self) -> Vec<&str> {
        self.cache
            .value_options
            .iter()
            .map(String::as_str)
            .collect()
    }

    /// Whether a command that cannot be edited may stay under the mounts: it neither empties
    /// nor removes one.
    fn may_stay<W: CommandWord>(&self, line: Option<CommandLine<W>>) -> bool {
        line.is_none_or(|line| matches!(self.removal(&line), Removal::Keep))
    }

    fn breaks(&self, what: String) -> Decline {
        Decline::RemovesMountPoint {
            line: self.run.start_line(),
            what,
        }
    }

    fn removal<W: CommandWord>(&self, line: &CommandLine<W>) -> Removal {
        if runs(&self.cache.spec.moot_commands, line) {
            return Removal::Moot;
        }
        if line.name() != REMOVER {
            return Removal::Keep;
        }
        let (mut equal, mut inside, mut elsewhere) = (0, 0, 0);
        for operand in line.positional_values() {
            match self.operand_place(operand) {
                None => return Removal::Breaks,
                Some(Place::Exact(path)) if self.targets.contains(&path) => equal += 1,
                Some(Place::Exact(path) | Place::Below(path)) => {
                    let targets = self.targets.iter();
                    if targets.clone().any(|target| is_within(target, &path)) {
                        inside += 1;
                    } else if targets.clone().any(|target| is_within(&path, target)) {
                        return Removal::Breaks;
                    } else {
                        elsewhere += 1;
                    }
                }
            }
        }
        match (equal, inside, elsewhere) {
            (0, 0, _) => Removal::Keep,
            (_, _, 0) => Removal::Moot,
            (0, _, _) => Removal::Keep,
            _ => Removal::Breaks,
        }
    }

    /// The paths an `rm` names (a folder for an operand with a variable below it).
    fn removed_paths<W: CommandWord>(&self, line: &CommandLine<W>) -> Vec<String> {
        if line.name() != REMOVER {
            return Vec::new();
        }
        let places = line
            .positional_values()
            .filter_map(|o| self.operand_place(o));
        places
            .map(|place| match place {
                Place::Exact(path) | Place::Below(path) => path,
            })
            .collect()
    }

    /// Where an `rm` operand is in the image: the path it names, or, when a variable that
    /// cannot be told follows a literal folder (`/tmp/$NAME`, `tool-$VERSION.deb`), somewhere
    /// below that folder; `None` when nothing can be told.
    fn operand_place(&self, operand: &str) -> Option<Place> {
        let home_relative = ["~", "$HOME", "${HOME}"].iter().find_map(|prefix| {
            let rest = operand.strip_prefix(prefix)?;
            (rest.is_empty() || rest.starts_with('/')).then(|| format!("{}{rest}", self.home))
        });
        let written = home_relative.unwrap_or_else(|| operand.to_owned());
        let (path, exact) = match written.find('$') {
            None => (written.clone(), true),
            Some(dollar) => match self.file.expand(self.run, &written) {
                Some(expanded) => (expanded, true),
                None if dollar == 0 || written[dollar..].contains("..") => return None,
                None => {
                    let literal = &written[..dollar];
                    let folder = literal.rfind('/').map_or("", |end| &literal[..end]);
                    (folder.to_owned(), false)
                }
            },
        };
        let absolute = match (path.starts_with('/'), self.cwd) {
            (true, _) => paths::normalize(&path),
            (false, Some(cwd)) => paths::resolve(cwd, &path),
            (false, None) => return None,
        };
        Some(match exact {
            true => Place::Exact(absolute),
            false => Place::Below(absolute),
        })
    }

    /// Deletes each option word of `words` that only keeps the cache out of the layer, with the
    /// blank (or line continuation) before it.
    fn drop_moot_options(&self, words: &[Word], script: &Script, drops: &mut Drops) {
        for pair in words.windows(2) {
            let [before, word] = pair else { continue };
            let name = word
                .value
                .split_once('=')
                .map_or(word.value.as_str(), |(n, _)| n);
            if self.cache.spec.moot_options.iter().any(|o| o == name) && !word.quoted {
                let range = TextRange::new(before.range.end, word.range.end);
                drops.edits.push(Edit::delete(script.source_range(range)));
                drops.dropped.push(word.value.clone());
            }
        }
    }

    /// Deletes the dropped commands with the operators that join them to the others; all of
    /// them: the RUN goes.
    fn drop_commands(&self, script: &Script, dropped: &[usize], drops: &mut Drops) {
        let commands = &script.lexed.commands;
        if dropped.is_empty() {
            return;
        }
        if dropped.len() == commands.len() {
            drops.empties_run = true;
            return;
        }
        let kept_after = |index: usize| (index + 1..commands.len()).any(|i| !dropped.contains(&i));
        for &index in dropped {
            let range = if kept_after(index) {
                TextRange::new(commands[index].range.start, commands[index + 1].range.start)
            } else {
                let Some(kept) = (0..index).rev().find(|i| !dropped.contains(i)) else {
                    continue;
                };
                let end = commands
                    .last()
                    .map_or(commands[index].range.end, |c| c.range.end);
                let range = TextRange::new(commands[kept].range.end, end);
                drops.edits.push(Edit::delete(script.source_range(range)));
                break;
            };
            drops.edits.push(Edit::delete(script.source_range(range)));
        }
    }
}

/// Whether the script is a list of pipelines of simple commands joined by operators, as its
/// flat view reads it: no compound commands, functions, negations, grouping, comments or
/// errors. A command in a pipe is never dropped ([`ShellScript::is_reached_plainly`]), but one
/// after `&&` is, whatever pipes the others are in: apt-hygiene's `rm -rf
/// /var/lib/apt/lists/*` after a piped command goes as it does elsewhere.
///
/// [`ShellScript::is_reached_plainly`]: crate::model::shell::ShellScript::is_reached_plainly
fn is_flat(script: &Script) -> bool {
    let lexed = &script.lexed;
    let parsed = script.tree();
    let simple_only = |pipeline: &Pipeline| {
        !pipeline.negated
            && !pipeline.commands.is_empty()
            && (pipeline.commands.iter()).all(|command| matches!(command, CommandNode::Simple(_)))
    };
    let flat = parsed.script.items.iter().all(|item| {
        simple_only(&item.first) && item.rest.iter().all(|(_, pipeline)| simple_only(pipeline))
    });
    flat && parsed.errors.is_empty()
        && !lexed.incomplete
        && !lexed.has_comment
        && !lexed.has_grouping
        && parsed.script.simple_commands().len() == lexed.commands.len()
}
