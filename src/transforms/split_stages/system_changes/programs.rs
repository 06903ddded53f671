//! What the programs `runtime-stage.toml`'s `[system_changes]` and the profile's
//! `[runtime.same_image]` know change in the image: package managers, path writers (`cp`,
//! `sed -i`, `chown`), download tools, project tools (Composer) and the interpreter (`php`),
//! each read from its command line.

use super::{Change, Decline, RunReader};
use crate::knowledge::runtime_stage::{Downloader, PathWriter, Positions, RuntimeStage};
use crate::model::paths::{is_within, resolve};
use crate::model::script::{base_name, CommandLine, Word};

impl RunReader<'_, '_, '_> {
    /// A package manager: installs and removals are the packages' concern; an upgrade of the
    /// image's own packages is lost.
    pub(super) fn package_command(&self, line: &CommandLine<'_, Word>) -> Result<(), Decline> {
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
    pub(super) fn writer(
        &self,
        name: &str,
        writer: &PathWriter,
        words: &[Word],
    ) -> Result<(), Decline> {
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
    pub(super) fn downloader(
        &self,
        downloader: &Downloader,
        words: &[Word],
    ) -> Result<(), Decline> {
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
    pub(super) fn project_tool(&self, name: &str, words: &[Word]) -> Result<(), Decline> {
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
    pub(super) fn interpreter(&self, words: &[Word]) -> Result<(), Decline> {
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
pub(super) fn has_option(options: &[String], word: &str) -> bool {
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
