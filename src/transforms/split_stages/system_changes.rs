//! What the stage's RUNs change in the image, for a runtime stage on the builder's own image
//! (`[runtime.same_image]` of the profile: PHP). The runtime stage receives the application
//! folder and the profile's `keep` folders and installs the runtime libraries of the packages
//! the build installed; every other change is lost. So every command of every RUN must be one
//! whose changes land there, or in a folder no application reads (temporary files, sources,
//! package lists, caches), or write a build tool the runtime does without (Composer): an
//! `a2enmod`, a `sed -i` of `/etc/apache2/…`, a `useradd` or a program dfmigrate does not know
//! makes the split decline, naming the RUN and what it changes.
//!
//! Commands are read from the shell syntax tree (heredoc scripts and `$(…)` bodies included),
//! in order, following `cd` outside subshells; paths are resolved against the working
//! directory, with the stage's variables and the image's own (`PHP_INI_DIR`) expanded.

use super::facts::{expand, Facts};
use super::Decline;
use crate::knowledge::runtime_stage::RuntimeStage;
use crate::knowledge::SameImage;
use crate::model::packages::package_managers;
use crate::model::paths::{is_within, normalize, resolve, DEFAULT_PATH};
use crate::model::script::{
    base_name, CommandNode, Compound, CompoundKind, Redirect, Script, SimpleCommand, Terminator,
    Word,
};
use crate::model::Instruction;
use crate::syntax::InstructionKind;

mod programs;

/// The folder a change lands in decides whether the runtime stage has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    Write,
    Remove,
    /// A change of owner or mode: of the application folder itself, a copy of its contents
    /// does not carry it.
    Metadata,
}

/// Declines when a RUN of the stage changes the image where the runtime stage would not have
/// the change; `app` is the application folder it receives.
pub(super) fn check(facts: &Facts, same: &SameImage, app: &str) -> Result<(), Decline> {
    for (index, run) in facts.instructions.iter().enumerate() {
        if run.kind() != Some(InstructionKind::Run) {
            continue;
        }
        let line = run.start_line();
        let script = facts
            .file
            .script(run)
            .ok_or(Decline::RunUnreadable { line })?;
        let tree = script.tree();
        // The line of a heredoc RUN holds its markers, not the bodies: one error each (read
        // below); any other error makes it unreadable.
        if tree.errors.len() > run.heredoc_count() {
            return Err(Decline::RunUnreadable { line });
        }
        let mut reader = RunReader::new(facts, same, app, index, run);
        let bodies = facts.file.heredoc_scripts(run);
        reader.reads_heredoc = !bodies.is_empty();
        reader.script(&tree.script)?;
        for body in bodies {
            if !body.errors.is_empty() {
                return Err(Decline::RunUnreadable { line });
            }
            let mut reader = RunReader::new(facts, same, app, index, run);
            reader.script(&body.script)?;
        }
    }
    Ok(())
}

/// One RUN read command by command, with the folder its commands run in.
struct RunReader<'r, 'a, 'p> {
    facts: &'r Facts<'a, 'p>,
    same: &'r SameImage,
    app: &'r str,
    line: usize,
    variables: Vec<(String, String)>,
    /// The working directory; `None` once it cannot be told.
    cwd: Option<String>,
    /// The home folder of the user the RUN runs as, when it is root's.
    home: Option<&'static str>,
    /// The RUN gives heredoc bodies to a shell (read on their own).
    reads_heredoc: bool,
}

impl<'r, 'a, 'p> RunReader<'r, 'a, 'p> {
    fn new(
        facts: &'r Facts<'a, 'p>,
        same: &'r SameImage,
        app: &'r str,
        index: usize,
        run: &Instruction,
    ) -> Self {
        // The image's own variables, then the stage's, which override them.
        let mut variables: Vec<(String, String)> = same
            .env
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        variables.extend(facts.variables_before(index));
        let root = facts.file.user_before(run).is_none_or(|user| {
            let value = user.string_arg().map(|w| w.value).unwrap_or_default();
            matches!(value.split(':').next(), Some("root" | "0"))
        });
        RunReader {
            facts,
            same,
            app,
            line: run.start_line(),
            variables,
            cwd: facts.cwd_at(index),
            home: root.then_some("/root"),
            reads_heredoc: false,
        }
    }

    fn script(&mut self, script: &Script) -> Result<(), Decline> {
        for item in &script.items {
            let background = matches!(item.terminator, Some((Terminator::Background, _)));
            let pipelines = std::iter::once(&item.first).chain(item.rest.iter().map(|(_, p)| p));
            for pipeline in pipelines {
                let alone = pipeline.commands.len() == 1 && !background;
                for command in &pipeline.commands {
                    self.node(command, alone)?;
                }
            }
        }
        Ok(())
    }

    fn node(&mut self, node: &CommandNode, alone: bool) -> Result<(), Decline> {
        match node {
            CommandNode::Simple(command) => self.simple(command, alone),
            CommandNode::Compound(compound) => self.compound(compound, alone),
            CommandNode::Function { body, .. } => self.compound(body, false),
        }
    }

    /// A compound command's bodies; a `cd` inside one leaves the folder unknown after it,
    /// except in a subshell, whose `cd` does not outlive it.
    fn compound(&mut self, compound: &Compound, alone: bool) -> Result<(), Decline> {
        for target in compound.redirects.iter().filter_map(Redirect::written_file) {
            self.path(target, Change::Write)?;
        }
        let before = self.cwd.clone();
        match &compound.kind {
            CompoundKind::Subshell(body) => {
                self.script(body)?;
                self.cwd = before;
                return Ok(());
            }
            CompoundKind::Group(body) => self.script(body)?,
            CompoundKind::If {
                branches,
                otherwise,
            } => {
                for (condition, body) in branches {
                    self.script(condition)?;
                    self.script(body)?;
                }
                if let Some(body) = otherwise {
                    self.script(body)?;
                }
            }
            CompoundKind::For { words, body, .. } => {
                for word in words.iter().flatten() {
                    self.substitutions(word)?;
                }
                self.script(body)?;
            }
            CompoundKind::While {
                condition, body, ..
            } => {
                self.script(condition)?;
                self.script(body)?;
            }
            CompoundKind::Case { word, arms } => {
                self.substitutions(word)?;
                for arm in arms {
                    self.script(&arm.body)?;
                }
            }
        }
        let plain_group = alone && matches!(compound.kind, CompoundKind::Group(_));
        if !plain_group && self.cwd != before {
            self.cwd = None;
        }
        Ok(())
    }

    /// The commands of the word's `$(…)` bodies, which run in a subshell.
    fn substitutions(&mut self, word: &Word) -> Result<(), Decline> {
        for body in word.substitutions() {
            let before = self.cwd.clone();
            self.script(body)?;
            self.cwd = before;
        }
        Ok(())
    }

    fn simple(&mut self, command: &SimpleCommand, alone: bool) -> Result<(), Decline> {
        for word in command.all_words() {
            self.substitutions(word)?;
        }
        for target in command.redirects.iter().filter_map(Redirect::written_file) {
            self.path(target, Change::Write)?;
        }
        let Some(line) = command.command_line(&[]) else {
            return Ok(());
        };
        let name = line.name();
        if line.program.has_expansion() {
            return Err(self.unknown_program(&line.program.value));
        }
        if name == "cd" {
            if alone {
                self.cd(line.arguments);
            }
            return Ok(());
        }
        let changes = &RuntimeStage::builtin().system_changes;
        // The program and its arguments, past the wrappers (`env`, `sudo`).
        let words = &command.words[command.words.len() - line.arguments.len() - 1..];
        if changes.is_inert(name) {
            return Ok(());
        }
        if package_managers().managers.iter().any(|m| m == name) {
            return self.package_command(&line);
        }
        if let Some(writer) = changes.writers.get(name) {
            return self.writer(name, writer, words);
        }
        if let Some(downloader) = changes.downloaders.get(name) {
            return self.downloader(downloader, words);
        }
        if self.same.is_extension_tool(name) {
            return Ok(());
        }
        if let Some(installer) = self.same.extension_installer(name) {
            let unaccounted = line
                .positionals
                .iter()
                .find(|word| !installer.accounts_for(&word.value));
            if let Some(extension) = unaccounted {
                return Err(Decline::ExtensionLibraries {
                    line: self.line,
                    program: name.to_owned(),
                    extension: extension.value.clone(),
                });
            }
            return Ok(());
        }
        if self.same.project_tool(name).is_some() {
            return self.project_tool(name, words);
        }
        if name == self.same.interpreter.program {
            return self.interpreter(words);
        }
        if self.facts.knowledge.is_shell(name)
            && self.reads_heredoc
            && line.positionals.is_empty()
            && !line.options.iter().any(|o| o.word.value.contains('c'))
        {
            // `RUN bash <<EOF`: the heredoc bodies are read on their own.
            return Ok(());
        }
        if line.program.value.contains('/') && self.is_app_program(&line.program.value) {
            // The application's own program (`bin/console cache:clear`): it writes into the
            // application folder, and into the absolute paths it is given.
            return self.named_paths(&words[1..]);
        }
        Err(self.unknown_program(&line.program.value))
    }

    /// Follows `cd FOLDER`; any other `cd` leaves the folder unknown.
    fn cd(&mut self, arguments: &[Word]) {
        self.cwd = match arguments {
            [] => self.home.map(str::to_owned),
            [folder] if !folder.value.starts_with('-') => {
                self.literal(folder).and_then(|folder| self.place(&folder))
            }
            _ => None,
        };
    }

    /// The absolute paths an application's program is given (`--output=/etc/app.conf`,
    /// `-l /usr/local/bin`), which it may write: each must land where the runtime stage has it.
    fn named_paths(&self, arguments: &[Word]) -> Result<(), Decline> {
        for word in arguments {
            let value = match word.value.split_once('=') {
                Some((option, value)) if option.starts_with('-') => value,
                _ => word.value.as_str(),
            };
            if !value.starts_with('/') {
                continue;
            }
            let path = self
                .literal_word(value)
                .ok_or_else(|| self.unknown_path(value))?;
            self.check(&normalize(&path), Change::Write)?;
        }
        Ok(())
    }

    /// A program run by its path that is the application's own.
    fn is_app_program(&self, program: &str) -> bool {
        self.place(program)
            .is_some_and(|path| is_within(self.app, &path))
    }

    /// The working directory itself receives files (`wget URL`, `php -r`).
    fn folder_written(&self) -> Result<(), Decline> {
        match &self.cwd {
            Some(cwd) => self.check(cwd, Change::Write),
            None => Err(self.unknown_path(".")),
        }
    }

    /// A changed path, with the owner a `chown`/`chgrp` gives.
    fn change(
        &self,
        word: &Word,
        change: Change,
        program: &str,
        owner: Option<&str>,
    ) -> Result<(), Decline> {
        if change != Change::Metadata {
            return self.path(word, change);
        }
        let path = self.resolved(word)?;
        if path == normalize(self.app) {
            let keeps_owner = program != "chmod"
                && owner.is_some_and(|owner| {
                    self.same
                        .image_folder_owner(&path)
                        .is_some_and(|image| same_owner(program, owner, image))
                });
            if !keeps_owner {
                return Err(Decline::AppFolderMetadata {
                    line: self.line,
                    program: program.to_owned(),
                    path,
                });
            }
            return Ok(());
        }
        self.check(&path, Change::Write)
    }

    fn path(&self, word: &Word, change: Change) -> Result<(), Decline> {
        let path = self.resolved(word)?;
        self.check(&path, change)
    }

    /// The absolute path a word names (a glob: the folder it matches in), or why it is not
    /// known.
    fn resolved(&self, word: &Word) -> Result<String, Decline> {
        let text = self
            .literal_word(&word.value)
            .ok_or_else(|| self.unknown_path(&word.value))?;
        let text = if word.has_glob() {
            let fixed = text.split(['*', '?', '[']).next().unwrap_or_default();
            match fixed.rsplit_once('/') {
                Some(("", _)) => "/".to_owned(),
                Some((folder, _)) => folder.to_owned(),
                None => ".".to_owned(),
            }
        } else {
            text
        };
        self.place(&text)
            .ok_or_else(|| self.unknown_path(&word.value))
    }

    /// Where a change lands: the application folder, a received folder (not a removal of the
    /// image's own files), a folder no application reads, a build tool's file; else the
    /// reason to decline.
    fn check(&self, path: &str, change: Change) -> Result<(), Decline> {
        let changes = &RuntimeStage::builtin().system_changes;
        let managers = package_managers();
        let within = |folders: &[String]| folders.iter().any(|folder| is_within(folder, path));
        if within(&changes.unstored)
            || within(&changes.scratch)
            || within(&self.same.scratch)
            || within(&managers.cache_folders)
            || is_within(self.app, path)
        {
            return Ok(());
        }
        let name = base_name(path);
        let folder = path.rsplit_once('/').map_or("/", |(folder, _)| folder);
        if self.same.is_build_tool(name) && DEFAULT_PATH.contains(&folder) {
            return Ok(());
        }
        if within(&self.facts.layout.keep) {
            return match change {
                Change::Remove if !self.same.unread.iter().any(|file| file == path) => {
                    Err(Decline::ImageFileRemoved {
                        line: self.line,
                        path: path.to_owned(),
                    })
                }
                _ => Ok(()),
            };
        }
        Err(Decline::SystemWrite {
            line: self.line,
            path: path.to_owned(),
        })
    }

    /// The word with variables expanded (a leading `~` is root's home); `None` when one has
    /// no literal value.
    fn literal(&self, word: &Word) -> Option<String> {
        self.literal_word(&word.value)
    }

    fn literal_word(&self, text: &str) -> Option<String> {
        let text = match text.strip_prefix('~') {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                format!("{}{rest}", self.home?)
            }
            Some(_) => return None,
            None => text.to_owned(),
        };
        if text.contains("$(") || text.contains('`') {
            return None;
        }
        expand(&text, &self.variables)
    }

    /// An absolute path, or one relative to the known working directory.
    fn place(&self, path: &str) -> Option<String> {
        if path.starts_with('/') {
            return Some(normalize(path));
        }
        self.cwd.as_deref().map(|cwd| resolve(cwd, path))
    }

    fn unknown_path(&self, path: &str) -> Decline {
        Decline::RunPathUnknown {
            line: self.line,
            path: path.to_owned(),
        }
    }

    fn unknown_program(&self, program: &str) -> Decline {
        let changes = &RuntimeStage::builtin().system_changes;
        Decline::SystemCommand {
            line: self.line,
            program: program.to_owned(),
            changes: changes.configures.get(base_name(program)).cloned(),
        }
    }
}

/// Whether `chown OWNER` (`user`, `user:group`, `user.group`) or `chgrp GROUP` gives the owner
/// `image` (`user:group`) already has.
fn same_owner(program: &str, owner: &str, image: &str) -> bool {
    let (user, group) = image.split_once(':').unwrap_or((image, image));
    if program == "chgrp" {
        return owner == group;
    }
    match owner.split_once([':', '.']) {
        Some((u, g)) => u == user && (g.is_empty() || g == group),
        None => owner == user,
    }
}

#[cfg(test)]
mod tests;
