//! A stage that switches to a user it created without a home folder (`useradd -M`, `useradd
//! -r` without `-m`, BusyBox `adduser -H`, a home of `/nonexistent`): the USER is fine, but
//! tools that write to `$HOME` (pip, npm, git, caches) fail. Only reported: which home the
//! application needs is not something dfmigrate can tell.

use super::FinalStage;
use crate::model::script::{CommandLine, Word};
use crate::model::Instruction;
use crate::syntax::InstructionKind;

impl FinalStage<'_, '_> {
    /// Why the user `USER` names has no home folder: the RUN that creates it without one.
    pub(super) fn homeless(&self, user: &Instruction, value: &str) -> Option<String> {
        let name = value.trim_matches('"').split(':').next()?;
        let mut found = None;
        for run in self.of_kind(InstructionKind::Run) {
            let scripts = self.file.shell_scripts(run);
            for script in &scripts {
                for command in script.simple_commands() {
                    if let Some(verdict) = self.home_of(command.program_words(), name) {
                        found = Some((run.start_line(), verdict));
                    }
                }
            }
        }
        let (line, Some(how)) = found? else {
            return None;
        };
        Some(format!(
            "`USER {value}` on line {}: the RUN on line {line} creates {name} without a home folder ({how}), so tools that write to $HOME (pip, npm, git, caches) fail; give it one (`useradd --create-home`, or `--home-dir` with `-m`)",
            user.start_line()
        ))
    }

    /// For a command creating the user `name`: `Some(Some(how))` when it gets no home,
    /// `Some(None)` when it gets one; `None` for other commands.
    fn home_of(&self, words: &[Word], name: &str) -> Option<Option<String>> {
        let program = CommandLine::read(words, &[])?;
        let rule = self.knowledge.no_home_rule(program.name())?;
        let value_options: Vec<&str> = rule.value_options.iter().map(String::as_str).collect();
        let start = words.len() - program.arguments.len() - 1;
        let line = CommandLine::read(&words[start..], &value_options)?;
        if line.positional_values().next()? != name {
            return None;
        }
        let given = |list: &[String]| {
            line.options
                .iter()
                .map(|o| o.name().to_owned())
                .find(|o| list.contains(o))
        };
        let program = line.name();
        if let Some(option) = given(&rule.options) {
            return Some(Some(format!("`{program} {option}`")));
        }
        let home = line.options.iter().find_map(|option| {
            if !rule.home_options.iter().any(|h| h == option.name()) {
                return None;
            }
            match option.word.value.split_once('=') {
                Some((_, value)) => Some(value.to_owned()),
                None => option.value.map(|v| v.value.clone()),
            }
        });
        match (home, given(&rule.system), given(&rule.unless)) {
            (Some(home), _, _) if self.knowledge.is_missing_home(&home) => {
                Some(Some(format!("its home is {home}")))
            }
            // A home folder the Dockerfile names may exist (a WORKDIR, a mkdir): not reported.
            (Some(_), _, _) => Some(None),
            (None, Some(option), None) => Some(Some(format!("`{program} {option}` without `-m`"))),
            _ => Some(None),
        }
    }
}
