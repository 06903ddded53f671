//! What shows the process needs root (the fix is declined) or may (the fix names it): programs
//! that need root, writes into root-owned folders, system working directories, ports below
//! 1024, commands dfmigrate cannot see.

use super::scripts::{command_risk, script_risk, start_script, Severity};
use super::writes::{is_inside, is_root_only, resolve_written};
use super::{commands, FinalStage};
use crate::model::script;
use crate::model::Instruction;
use crate::syntax::InstructionKind;

impl FinalStage<'_, '_> {
    /// What shows the process needs root, so switching user would break it: a program that
    /// needs root or drops privileges itself, a write to a folder owned by root, or a command
    /// that comes from the base image, which dfmigrate cannot see (stock `nginx` binds port 80
    /// and writes its pid file as root).
    pub(super) fn root_blockers(&self) -> Vec<String> {
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

    /// What a `.sh` script the command runs needs, read from the build context when exactly one
    /// file there has its name (an entrypoint script copied into the image): a script that
    /// starts `nginx` or writes to `/run` needs root as much as a command that does.
    fn context_script_risk(&self, start: &Instruction) -> Option<String> {
        let context = self.context?;
        let text = start_script(start)?;
        let tree = script::parse(&text).script;
        let script = tree
            .simple_commands()
            .into_iter()
            .flat_map(|command| command.program_words().iter().take(2))
            .map(|word| word.value.clone())
            .find(|word| word.ends_with(".sh"))?;
        let name = script.rsplit('/').next()?.to_owned();
        let found = context.find_files(|file| file == name, 20_000)?;
        let [only] = found.as_slice() else {
            return None;
        };
        let content = context.read_to_string(only).ok()?;
        let (Severity::Blocks, risk) = script_risk(&content, true)? else {
            return None;
        };
        Some(format!(
            "the {} on line {} runs {script}, which {risk} ({only} in the build context)",
            start.keyword().value.to_ascii_uppercase(),
            start.start_line()
        ))
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
                risks.extend(command_risk(start, Severity::Risk));
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
