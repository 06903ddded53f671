//! What shows the process needs root (the fix is declined) or may (the fix names it): programs
//! that need root, writes into root-owned folders, system working directories, ports below
//! 1024, commands dfmigrate cannot see.

use super::scripts::{command_risk, script_risk, start_script, Severity};
use super::writes::{is_inside, is_root_only, resolve_written, set_workdir};
use super::{commands, FinalStage};
use crate::model::paths::resolve;
use crate::model::script;
use crate::model::Instruction;
use crate::syntax::InstructionKind;

impl FinalStage<'_, '_> {
    /// What shows the process needs root, so switching user would break it: a program that
    /// needs root or drops privileges itself, a write to a folder owned by root, or a command
    /// that comes from the base image, which dfmigrate cannot see (stock `nginx` binds port 80
    /// and writes its pid file as root).
    /// `user` is the one the fix would switch to.
    pub(super) fn root_blockers(&self, user: &str) -> Vec<String> {
        let mut blockers = Vec::new();
        let mut starts = 0;
        for kind in [InstructionKind::Entrypoint, InstructionKind::Cmd] {
            if let Some(start) = self.of_kind(kind).last() {
                starts += 1;
                blockers.extend(command_risk(start, Severity::Blocks));
                blockers.extend(self.context_script_risk(start));
            }
        }
        if let Some(run) = commands::uses_sudo(self.file, self.of_kind(InstructionKind::Run)) {
            blockers.push(format!(
                "the RUN on line {} uses sudo, so `{}` probably runs as a non-root user already",
                run.start_line(),
                self.root_base.base.raw
            ));
        }
        blockers.extend(self.lives_under_root_home());
        blockers.extend(self.home_install_blocker(user));
        let workdir = self.workdir();
        if let Some(folder) = workdir.as_deref().filter(|w| self.is_system_workdir(w)) {
            blockers.push(format!(
                "working directory {folder} is a system folder: it is not handed to the user nor copied into with --chown"
            ));
        }
        blockers.extend(self.port_blockers());
        blockers.extend(self.framework_blockers());
        for write in self.runtime_writes() {
            if self.is_stream(&write.path) {
                continue;
            }
            match resolve_written(&write, workdir.as_deref()) {
                Some(folder) if is_root_only(&folder) => blockers.push(format!(
                    "{} ({} line {}) writes {} in {folder}, which only root may write",
                    write.config, write.file, write.line, write.path
                )),
                _ => {}
            }
        }
        if starts == 0 {
            blockers.push(format!(
                "the stage has no CMD or ENTRYPOINT of its own: it starts `{}`'s command, which dfmigrate cannot see (many such servers need root or drop privileges themselves; an image's unprivileged variant, such as nginxinc/nginx-unprivileged, is the way to run them as another user)",
                self.root_base.base.raw
            ));
        }
        blockers
    }

    /// The `.sh` script a start instruction runs, read from the build context when exactly one
    /// file there has its name (an entrypoint script copied into the image): the name as the
    /// command writes it, the file in the context and its text.
    fn context_script(&self, start: &Instruction) -> Option<ContextScript> {
        let context = self.context?;
        let text = start_script(start)?;
        let tree = script::parse(&text).script;
        let named = tree
            .simple_commands()
            .into_iter()
            .flat_map(|command| command.program_words().iter().take(2))
            .map(|word| word.value.clone())
            .find(|word| word.ends_with(".sh"))?;
        let name = named.rsplit('/').next()?.to_owned();
        let found = context.find_files(|file| file == name, 20_000)?;
        let [only] = found.as_slice() else {
            return None;
        };
        let text = context.read_to_string(only).ok()?;
        Some(ContextScript {
            named,
            file: only.clone(),
            text,
        })
    }

    /// What a `.sh` script the command runs needs, read from the build context: a script that
    /// starts `nginx` or writes to `/run` needs root as much as a command that does.
    fn context_script_risk(&self, start: &Instruction) -> Option<String> {
        let read = self.context_script(start)?;
        let (Severity::Blocks, risk) = script_risk(&read.text, true)? else {
            return None;
        };
        Some(format!(
            "the {} on line {} runs {}, which {risk} ({} in the build context)",
            start.keyword().value.to_ascii_uppercase(),
            start.start_line(),
            read.named,
            read.file
        ))
    }

    /// What the start instruction's `.sh` script may need: unseen (not in the build context,
    /// or an empty file there), a script it runs in turn that is unseen, or nothing known
    /// (the script was read).
    fn script_check(&self, start: &Instruction) -> ScriptCheck {
        let Some(unseen) = command_risk(start, Severity::Risk) else {
            return ScriptCheck::Nothing;
        };
        let Some(read) = self
            .context_script(start)
            .filter(|read| !read.text.trim().is_empty())
        else {
            return ScriptCheck::Risk(unseen);
        };
        let keyword = start.keyword().value.to_ascii_uppercase();
        let line = start.start_line();
        match script_risk(&read.text, true) {
            Some((Severity::Risk, risk)) => ScriptCheck::Risk(format!(
                "the {keyword} on line {line} runs {} ({} in the build context), which {risk}",
                read.named, read.file
            )),
            // A script that needs root is a blocker (`context_script_risk`).
            Some((Severity::Blocks, _)) => ScriptCheck::Nothing,
            None => ScriptCheck::Read(format!(
                "the {keyword} on line {line} runs {}, which dfmigrate read ({} in the build context): none of its commands is known to need root",
                read.named, read.file
            )),
        }
    }

    /// What the scripts the container starts were read to hold, for the message.
    pub(super) fn read_scripts(&self) -> Vec<String> {
        [InstructionKind::Entrypoint, InstructionKind::Cmd]
            .into_iter()
            .filter_map(|kind| self.of_kind(kind).last())
            .filter_map(|start| match self.script_check(start) {
                ScriptCheck::Read(note) => Some(note),
                _ => None,
            })
            .collect()
    }

    /// Why the application lives where only root may enter: its working directory, a PATH
    /// folder or its program under `/root`, which is mode 0700 on Debian and Ubuntu.
    fn lives_under_root_home(&self) -> Option<String> {
        let under_root = |path: &str| is_inside(path, "/root");
        if let Some(workdir) = self.workdir().filter(|w| under_root(w)) {
            return Some(format!(
                "its working directory {workdir} is under /root, which only root may enter"
            ));
        }
        let path_entries = self
            .of_kind(InstructionKind::Env)
            .flat_map(|env| env.pairs())
            .filter(|(key, _, _)| key.value == "PATH")
            .flat_map(|(_, value, _)| {
                value
                    .value
                    .trim_matches('"')
                    .split(':')
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .find(|entry| under_root(entry));
        if let Some(entry) = path_entries {
            return Some(format!(
                "its PATH holds {entry}, under /root, which only root may enter"
            ));
        }
        // Files the image puts in root's home (`COPY --from=build /root/.local /root/.local`):
        // only root reads them.
        let copied = [InstructionKind::Copy, InstructionKind::Add]
            .into_iter()
            .flat_map(|kind| self.of_kind(kind))
            .find_map(|copy| {
                let destination = copy.copy_args()?.destination.value;
                let folder = match destination.starts_with('/') {
                    true => destination,
                    false => resolve(&set_workdir(self.file.workdir_before(copy))?, &destination),
                };
                (!folder.contains('$') && under_root(&folder)).then_some((copy, folder))
            });
        if let Some((copy, folder)) = copied {
            return Some(format!(
                "the {} on line {} puts files in {folder}, under /root, which only root may enter",
                copy.keyword().value.to_ascii_uppercase(),
                copy.start_line()
            ));
        }
        let program = [InstructionKind::Entrypoint, InstructionKind::Cmd]
            .into_iter()
            .filter_map(|kind| self.of_kind(kind).last())
            .filter_map(|start| start_script(start))
            .flat_map(|text| {
                script::parse(&text)
                    .script
                    .simple_commands()
                    .iter()
                    .flat_map(|command| command.program_words().first())
                    .map(|word| word.value.clone())
                    .collect::<Vec<_>>()
            })
            .find(|program| under_root(program))?;
        Some(format!(
            "it runs {program}, under /root, which only root may enter"
        ))
    }

    /// What in the stage suggests the process may need root, short of proof.
    pub(super) fn root_risks(&self) -> Vec<String> {
        let mut risks = Vec::new();
        for expose in self.of_kind(InstructionKind::Expose) {
            for port in expose.ports() {
                if literal_port(&port.value).is_none() {
                    risks.push(format!(
                        "EXPOSE {} is only known at build time and may be a port below 1024, which only root binds in Kubernetes and most runtimes",
                        port.value
                    ));
                }
            }
        }
        if let Some(volume) = self.of_kind(InstructionKind::Volume).next() {
            risks.push(format!(
                "the VOLUME on line {} may be owned by root and not writable",
                volume.start_line()
            ));
        }
        for kind in [InstructionKind::Entrypoint, InstructionKind::Cmd] {
            if let Some(start) = self.of_kind(kind).last() {
                if let ScriptCheck::Risk(risk) = self.script_check(start) {
                    risks.push(risk);
                }
            }
        }
        if self.workdir().is_none() && self.of_kind(InstructionKind::Workdir).next().is_some() {
            risks.push(
                "the WORKDIR uses variables, so the working directory is not handed over and stays owned by root".to_owned(),
            );
        }
        risks
    }
}

/// The first port of an EXPOSE word given literally (`80/tcp`, `443-445`); `None` when it uses a
/// variable.
pub(super) fn literal_port(port: &str) -> Option<u32> {
    let number = port.split('/').next().unwrap_or(port);
    let first = number.split('-').next().unwrap_or(number);
    first.parse::<u32>().ok()
}

/// A script of the build context a CMD/ENTRYPOINT runs.
struct ContextScript {
    /// As the command names it (`./run.sh`).
    named: String,
    /// The file in the build context.
    file: String,
    text: String,
}

/// What reading the script a CMD/ENTRYPOINT runs told.
enum ScriptCheck {
    /// It runs no `.sh` script, or one that needs root (a blocker).
    Nothing,
    /// A script dfmigrate cannot see may need root.
    Risk(String),
    /// The script was read and nothing in it is known to need root.
    Read(String),
}
