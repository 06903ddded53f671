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
use crate::knowledge::runtime_stage::{Downloader, PathWriter, Positions, RuntimeStage};
use crate::knowledge::SameImage;
use crate::model::packages::package_managers;
use crate::model::paths::{is_within, normalize, resolve, DEFAULT_PATH};
use crate::model::script::{
    base_name, CommandLine, CommandNode, Compound, CompoundKind, Script, SimpleCommand, Terminator,
    Word,
};
use crate::model::Instruction;
use crate::syntax::InstructionKind;

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
        for redirect in &compound.redirects {
            if let Some(target) = redirect
                .target
                .as_ref()
                .filter(|_| redirect.op.writes_file())
            {
                self.path(target, Change::Write)?;
            }
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
        let targets = command.redirects.iter().filter_map(|r| r.target.as_ref());
        for word in command
            .assignments
            .iter()
            .chain(&command.words)
            .chain(targets)
        {
            self.substitutions(word)?;
        }
        for redirect in &command.redirects {
            if let Some(target) = redirect
                .target
                .as_ref()
                .filter(|_| redirect.op.writes_file())
            {
                self.path(target, Change::Write)?;
            }
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

    /// A package manager: installs and removals are the packages' concern; an upgrade of the
    /// image's own packages is lost.
    fn package_command(&self, line: &CommandLine<'_, Word>) -> Result<(), Decline> {
        let changes = &RuntimeStage::builtin().system_changes;
        match line.positionals.first() {
            Some(verb) if changes.is_upgrade(&verb.value) => Err(Decline::SystemUpgrade {
                line: self.line,
                program: format!("{} {}", line.name(), verb.value),
            }),
            _ => Ok(()),
        }
    }

    /// A program that writes or removes the paths it is given.
    fn writer(&self, name: &str, writer: &PathWriter, words: &[Word]) -> Result<(), Decline> {
        let value_options: Vec<&str> = writer.value_options.iter().map(String::as_str).collect();
        let Some(line) = CommandLine::read(words, &value_options) else {
            return Ok(());
        };
        if !writer.only_with.is_empty()
            && !line
                .options
                .iter()
                .any(|option| has_option(&writer.only_with, &option.word.value))
        {
            return Ok(());
        }
        let scripted = line
            .options
            .iter()
            .any(|option| writer.script_options.iter().any(|o| o == option.name()));
        let skip = if scripted { 0 } else { writer.skip };
        let positionals: Vec<&Word> = line.positionals.iter().skip(skip).copied().collect();
        let target = line
            .options
            .iter()
            .find(|option| writer.target_options.iter().any(|o| o == option.name()));
        let change = if name_changes_metadata(name) {
            Change::Metadata
        } else {
            Change::Write
        };
        let owner = line.positionals.first().map(|w| w.value.as_str());
        let mut written: Vec<&Word> = Vec::new();
        let mut removed: Vec<&Word> = Vec::new();
        match target {
            Some(option) => {
                // `-t DIR`, `--target-directory=DIR`: every positional goes into DIR.
                let folder = option_value(option.word, option.value)
                    .ok_or_else(|| self.unknown_path(&option.word.value))?;
                let folder = self
                    .literal_word(&folder)
                    .and_then(|folder| self.place(&folder))
                    .ok_or_else(|| self.unknown_path(&folder))?;
                self.check(&folder, Change::Write)?;
                if writer.removes != Positions::None {
                    removed.extend(&positionals);
                }
            }
            None => {
                written.extend(select(&positionals, writer.written));
                removed.extend(select(&positionals, writer.removes));
            }
        }
        for word in written {
            self.change(word, change, name, owner)?;
        }
        for word in removed {
            self.path(word, Change::Remove)?;
        }
        Ok(())
    }

    /// A download tool: the file it writes, if any.
    fn downloader(&self, downloader: &Downloader, words: &[Word]) -> Result<(), Decline> {
        let mut output: Option<&Word> = None;
        let mut folder: Option<&Word> = None;
        let mut remote = false;
        let takes = |list: &[String], option: &str| list.iter().any(|o| o == option);
        let mut rest = words.iter().skip(1);
        while let Some(word) = rest.next() {
            let value = word.value.as_str();
            if value == "--" {
                break;
            }
            if !value.starts_with('-') || value == "-" {
                continue;
            }
            // A long option, or a cluster of short ones whose value-taking last letter takes
            // the next word (`-fsSLo FILE`).
            let options: Vec<String> = if value.starts_with("--") {
                vec![value.split('=').next().unwrap_or(value).to_owned()]
            } else {
                value[1..].chars().map(|c| format!("-{c}")).collect()
            };
            for (at, option) in options.iter().enumerate() {
                let last = at + 1 == options.len();
                let valued = takes(&downloader.output_options, option)
                    || takes(&downloader.folder_options, option)
                    || takes(&downloader.value_options, option);
                if takes(&downloader.remote_name, option) {
                    remote = true;
                }
                if !valued {
                    continue;
                }
                let inline = value.contains('=') || (!value.starts_with("--") && !last);
                let taken = if inline { None } else { rest.next() };
                if takes(&downloader.output_options, option) {
                    output = taken;
                    if inline {
                        return Err(self.unknown_path(value));
                    }
                } else if takes(&downloader.folder_options, option) {
                    folder = taken;
                    if inline {
                        return Err(self.unknown_path(value));
                    }
                }
                break;
            }
        }
        match output {
            Some(file) if file.value == "-" => Ok(()),
            Some(file) => self.path(file, Change::Write),
            None if remote || downloader.default_writes => match folder {
                Some(folder) => self.path(folder, Change::Write),
                None => self.folder_written(),
            },
            None => Ok(()),
        }
    }

    /// Composer: a command that writes only into its project folder, which must be in the
    /// application folder.
    fn project_tool(&self, name: &str, words: &[Word]) -> Result<(), Decline> {
        let Some(tool) = self.same.project_tool(name) else {
            return Err(self.unknown_program(name));
        };
        let value_options: Vec<&str> = tool.folder_options.iter().map(String::as_str).collect();
        let Some(line) = CommandLine::read(words, &value_options) else {
            return Ok(());
        };
        if let Some(command) = line.positionals.first() {
            if !tool.commands.contains(&command.value) {
                return Err(self.unknown_program(&format!("{name} {}", command.value)));
            }
        }
        let named = line.options.iter().find_map(|option| {
            tool.folder_options
                .iter()
                .any(|o| o == option.name())
                .then(|| option_value(option.word, option.value))
                .flatten()
        });
        let folder = match named {
            Some(folder) => self.literal_word(&folder).and_then(|f| self.place(&f)),
            None => self.cwd.clone(),
        };
        match folder {
            Some(folder) if is_within(self.app, &folder) => Ok(()),
            Some(folder) => Err(Decline::ToolOutsideApplication {
                line: self.line,
                program: name.to_owned(),
                folder,
            }),
            None => Err(self.unknown_path(name)),
        }
    }

    /// The interpreter: printing options, the application's own scripts, code run in the
    /// working directory, a project tool's archive (`php composer.phar install`), or an
    /// installer whose output is named.
    fn interpreter(&self, words: &[Word]) -> Result<(), Decline> {
        let php = &self.same.interpreter;
        let value_options: Vec<&str> = php.value_options.iter().map(String::as_str).collect();
        let Some(line) = CommandLine::read(words, &value_options) else {
            return Ok(());
        };
        let installs = self.install_target(words);
        if line
            .options
            .iter()
            .any(|option| php.code_options.iter().any(|o| o == option.name()))
        {
            // Code from the command line (`php -r "copy(…);"`) writes into its folder.
            return self.folder_written();
        }
        // `-` reads the script from standard input, as no script does.
        let script = line.positionals.first().filter(|word| word.value != "-");
        let Some(script) = script else {
            let inert = line
                .options
                .iter()
                .all(|option| php.inert_options.iter().any(|o| o == option.name()));
            return match installs {
                // A script from standard input (`curl … | php -- --install-dir=…`).
                Some(target) => target,
                None if inert && !line.options.is_empty() => Ok(()),
                None => Err(self.unknown_program(&php.program)),
            };
        };
        let file = base_name(&script.value);
        if self.same.project_tool(file).is_some() {
            let at = words
                .iter()
                .position(|word| std::ptr::eq(word, *script))
                .unwrap_or(0);
            return self.project_tool(file, &words[at..]);
        }
        let path = self.literal(script).and_then(|path| self.place(&path));
        match (path, installs) {
            (_, Some(target)) => target,
            (Some(path), None) if is_within(self.app, &path) => {
                let at = words
                    .iter()
                    .position(|word| std::ptr::eq(word, *script))
                    .unwrap_or(0);
                self.named_paths(&words[at + 1..])
            }
            _ => Err(self.unknown_program(&format!("{} {}", php.program, script.value))),
        }
    }

    /// The file an installer run by the interpreter writes, when the command names it
    /// (`--install-dir`, `--filename`), checked; `None` when it names none.
    fn install_target(&self, words: &[Word]) -> Option<Result<(), Decline>> {
        let php = &self.same.interpreter;
        let mut folder = None;
        let mut name = None;
        let mut rest = words.iter().skip(1);
        while let Some(word) = rest.next() {
            for (option, slot) in [
                (&php.install_folder, &mut folder),
                (&php.install_name, &mut name),
            ] {
                if word.value == *option {
                    *slot = Some(rest.next().map(|w| (w.value.clone(), w)));
                } else if let Some(value) = word.value.strip_prefix(&format!("{option}=")) {
                    *slot = Some(Some((value.to_owned(), word)));
                }
            }
        }
        if folder.is_none() && name.is_none() {
            return None;
        }
        let text = |found: Option<Option<(String, &Word)>>| match found {
            None => Some(None),
            Some(Some((value, word))) if !word.has_expansion() => Some(Some(value)),
            Some(_) => None,
        };
        let (Some(folder), Some(name)) = (text(folder), text(name)) else {
            return Some(Err(self.unknown_path(&php.install_folder)));
        };
        let name = name.unwrap_or_else(|| php.install_default.clone());
        let folder = match folder {
            Some(folder) => self.place(&folder),
            None => self.cwd.clone(),
        };
        Some(match folder {
            Some(folder) => self.check(&resolve(&folder, &name), Change::Write),
            None => Err(self.unknown_path(&name)),
        })
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

/// The positional words a change applies to.
fn select<'w>(positionals: &[&'w Word], which: Positions) -> Vec<&'w Word> {
    match which {
        Positions::All => positionals.to_vec(),
        Positions::Last => positionals.last().copied().into_iter().collect(),
        Positions::Sources => positionals[..positionals.len().saturating_sub(1)].to_vec(),
        Positions::None => Vec::new(),
    }
}

/// Whether `word` gives one of `options`: a long one (`--in-place`, `--in-place=.bak`), a short
/// one with an attached value (`-i.bak`) or in a cluster of short ones (`-ri`).
fn has_option(options: &[String], word: &str) -> bool {
    options.iter().any(|option| {
        if option.starts_with("--") {
            return word == option || word.starts_with(&format!("{option}="));
        }
        let Some(letter) = option.strip_prefix('-') else {
            return false;
        };
        !word.starts_with("--")
            && word.strip_prefix('-').is_some_and(|cluster| {
                cluster
                    .chars()
                    .take_while(char::is_ascii_alphabetic)
                    .any(|c| letter.starts_with(c) && letter.len() == c.len_utf8())
            })
    })
}

/// The value of an option written `--name=value` or `--name value`.
fn option_value(word: &Word, value: Option<&Word>) -> Option<String> {
    match word.value.split_once('=') {
        Some((_, value)) => Some(value.to_owned()),
        None => value.map(|value| value.value.clone()),
    }
}

/// `chown`, `chgrp` and `chmod` change owners and modes rather than contents.
fn name_changes_metadata(program: &str) -> bool {
    matches!(program, "chown" | "chgrp" | "chmod")
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
mod tests {
    use super::*;
    use crate::context::BuildContext;
    use crate::knowledge::KnowledgeBase;
    use crate::model::Dockerfile;
    use crate::syntax::parse;

    /// The reason `check` gives for the final stage of `text` (a `php:8.3-cli` stage with
    /// `WORKDIR /app` before `runs`), if any.
    fn decline(runs: &str) -> Option<Decline> {
        let text = format!("FROM php:8.3-cli\nARG TOOLS=/opt/tools\nWORKDIR /app\n{runs}\nCMD [\"php\", \"index.php\"]\n");
        let parsed = parse(&text);
        let file = Dockerfile::new(&parsed);
        let stage = file.final_stage().expect("a stage");
        let knowledge = KnowledgeBase::builtin();
        let context = BuildContext::without_files();
        let profile = knowledge.profile("composer").expect("the Composer profile");
        let layout = profile.runtime.as_ref().expect("a runtime layout");
        let same = layout.same_image.as_ref().expect("a same-image layout");
        let facts = Facts {
            file: &file,
            stage,
            instructions: file.stage_instructions(stage),
            knowledge,
            profile,
            layout,
            detected: false,
            context: &context,
            virtualenv: None,
        };
        check(&facts, same, "/app").err()
    }

    #[test]
    fn accounts_for_changes_in_received_and_scratch_folders() {
        for runs in [
            "RUN echo 'opcache.enable=1' >> /usr/local/etc/php/conf.d/opcache.ini",
            "RUN docker-php-ext-install -j$(nproc) pdo_mysql && pecl install redis && docker-php-ext-enable redis && rm -rf /tmp/pear",
            "RUN apt-get update && apt-get install -y libpq-dev && rm -rf /var/lib/apt/lists/*",
            "RUN cd /tmp && curl -fsSLO https://example.org/x.tar.gz",
            "RUN curl -fsSLo /usr/local/bin/composer https://getcomposer.org/composer.phar && chmod +x /usr/local/bin/composer",
            "RUN curl -sS https://getcomposer.org/installer | php -- --install-dir=/usr/local/bin --filename=composer",
            "RUN php -r \"copy('https://getcomposer.org/installer', 'composer-setup.php');\" && php composer-setup.php && mv composer.phar /usr/local/bin/composer",
            "RUN composer install --no-dev && php artisan optimize && bin/console cache:clear",
            "RUN composer --working-dir=/app/tools install",
            "RUN cp --target-directory=/app/config defaults.ini && mv -t /tmp a.txt",
            "RUN sed 's/a/b/' /etc/hosts > hosts.txt",
            "RUN (cd /etc && cat hostname) && mkdir -p storage/logs && chmod -R 777 storage",
            "RUN mv \"$PHP_INI_DIR/php.ini-production\" \"$PHP_INI_DIR/php.ini\"",
            "RUN php -v && php -m | grep -i opcache && php --ri swoole",
            "RUN chown -R www-data:www-data /app/cache /app/var",
            "RUN <<EOF\nset -eux\nmkdir -p /app/var\nEOF",
        ] {
            assert_eq!(decline(runs), None, "{runs}");
        }
    }

    #[test]
    fn declines_changes_the_runtime_stage_would_lack() {
        let kind = |runs: &str| decline(runs).map(|reason| reason.kind());
        for (runs, expected) in [
            ("RUN a2enmod rewrite", "system-command"),
            (
                "RUN git clone https://example.org/x.git /opt/x",
                "system-command",
            ),
            (
                "RUN sed -i 's/80/8080/' /etc/apache2/ports.conf",
                "system-write",
            ),
            (
                "RUN sed -ri 's/80/8080/' /etc/apache2/ports.conf",
                "system-write",
            ),
            (
                "RUN echo 'ServerName x' >> /etc/apache2/apache2.conf",
                "system-write",
            ),
            (
                "RUN cd /opt && wget https://example.org/tool",
                "system-write",
            ),
            ("RUN mkdir -p $TOOLS/bin", "system-write"),
            ("RUN mkdir -p $UNKNOWN/bin", "run-path-unknown"),
            (
                "RUN if true; then cd /srv; fi && touch ready",
                "run-path-unknown",
            ),
            (
                "RUN rm /usr/local/etc/php/conf.d/docker-php-ext-sodium.ini",
                "image-file-removed",
            ),
            ("RUN apt-get update && apt-get upgrade -y", "system-upgrade"),
            (
                "RUN composer global require phpunit/phpunit",
                "system-command",
            ),
            (
                "RUN cd /srv && composer install",
                "tool-outside-application",
            ),
            ("RUN chmod 755 /app", "app-folder-metadata"),
            ("RUN chown www-data /app", "app-folder-metadata"),
            ("RUN install-php-extensions intl", "extension-libraries"),
            ("RUN php /tmp/setup.php", "system-command"),
            (
                "RUN curl -sS https://example.org/setup | php -",
                "system-command",
            ),
            (
                "RUN vendor/bin/rr get-binary --location /usr/local/bin",
                "system-write",
            ),
            (
                "RUN ln -s /app/bin/tool /usr/local/bin/tool",
                "system-write",
            ),
            ("RUN bash <<EOF\nmkdir -p /etc/app\nEOF", "system-write"),
            ("RUN [\"a2enmod\", \"rewrite\"]", "run-unreadable"),
        ] {
            assert_eq!(kind(runs), Some(expected), "{runs}");
        }
    }

    #[test]
    fn reads_options_in_clusters_and_owners() {
        let options = |list: &[&str]| list.iter().map(|o| (*o).to_owned()).collect::<Vec<_>>();
        assert!(has_option(&options(&["-i", "--in-place"]), "-ri"));
        assert!(has_option(&options(&["-i", "--in-place"]), "-i.bak"));
        assert!(has_option(
            &options(&["-i", "--in-place"]),
            "--in-place=.orig"
        ));
        assert!(!has_option(&options(&["-i", "--in-place"]), "-e"));
        assert!(!has_option(
            &options(&["-i", "--in-place"]),
            "--regexp-extended"
        ));
        assert!(same_owner(
            "chown",
            "www-data:www-data",
            "www-data:www-data"
        ));
        assert!(same_owner("chown", "www-data", "www-data:www-data"));
        assert!(same_owner("chgrp", "www-data", "www-data:www-data"));
        assert!(!same_owner("chown", "www-data:root", "www-data:www-data"));
        assert!(!same_owner("chown", "1000", "www-data:www-data"));
    }
}
