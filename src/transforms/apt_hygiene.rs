#![doc = include_str!("../../transforms/docs/apt-hygiene.md")]

use super::{Applicability, Context, Edit, Finding, Fix, Transform};
use crate::model::mounts::{self, MountType};
use crate::model::packages::{apt_installs, is_apt_update, package_command, PackageCommand};
use crate::model::shell::{Operator, ShellScript};
use crate::model::{lineage, paths};
use crate::model::{Dockerfile, Instruction, Script};
use crate::style::Style;
use crate::syntax::{InstructionKind, TextRange};

pub struct AptHygiene;

const LISTS: &str = "/var/lib/apt/lists";
const CLEANUP: &str = "rm -rf /var/lib/apt/lists/*";

impl Transform for AptHygiene {
    fn id(&self) -> &'static str {
        "apt-hygiene"
    }
    fn summary(&self) -> &'static str {
        "apt-get install with update, -y and list cleanup in one RUN; apk add --no-cache"
    }
    fn documentation(&self) -> &'static str {
        include_str!("../../transforms/docs/apt-hygiene.md")
    }
    fn max_applicability(&self) -> Applicability {
        Applicability::Safe
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        let style = Style::detect(file.parse());
        for instruction in file.of_kind(InstructionKind::Run) {
            if instruction.heredoc_count() > 0 {
                continue;
            }
            let Some(script) = instruction.script() else {
                continue;
            };
            if script.lexed.incomplete {
                continue;
            }
            let checker = RunChecker {
                id: self.id(),
                context,
                file,
                instruction,
                script: &script,
                style: &style,
            };
            checker.check(out);
        }
    }
}

struct RunChecker<'a, 'p> {
    id: &'static str,
    context: &'a Context<'a>,
    file: &'a Dockerfile<'p>,
    instruction: &'a Instruction<'p>,
    script: &'a Script<'p>,
    style: &'a Style,
}

/// The first command of the RUN that mentions apt updates the lists, or is an install this
/// transform gives an update.
fn refreshes_lists_first(run: &Instruction) -> bool {
    let Some(script) = run.script() else {
        return false;
    };
    let lexed = &script.lexed;
    if lexed.incomplete || lexed.has_grouping || run.heredoc_count() > 0 {
        return false;
    }
    let first_apt = lexed
        .commands
        .iter()
        .position(|c| c.words.iter().any(|w| w.value.contains("apt")));
    first_apt.is_some_and(|index| {
        let command = &lexed.commands[index];
        is_apt_update(command)
            || (is_reached_plainly(lexed, index)
                && !apt_installs(std::slice::from_ref(command)).is_empty())
    })
}

/// A command that runs after `&&`, `;` or at the start, not inside `||`, a pipe or a group.
fn is_reached_plainly(lexed: &ShellScript, index: usize) -> bool {
    let commands = &lexed.commands;
    let before = index
        .checked_sub(1)
        .and_then(|i| commands[i].next)
        .map(|(op, _)| op);
    let after = commands[index].next.map(|(op, _)| op);
    matches!(before, None | Some(Operator::And | Operator::Semicolon))
        && !matches!(
            after,
            Some(Operator::Pipe | Operator::Or | Operator::Background)
        )
        && !lexed.has_grouping
}

impl RunChecker<'_, '_> {
    fn finding(&self, message: &str, applicability: Applicability, edits: Vec<Edit>) -> Finding {
        Finding {
            transform: self.id,
            message: message.to_owned(),
            range: self.instruction.range(),
            fix: Some(Fix::new(applicability, edits)),
        }
    }

    fn source(&self, range: TextRange) -> TextRange {
        self.script.source_range(range)
    }

    fn check(&self, out: &mut Vec<Finding>) {
        let commands = &self.script.lexed.commands;
        let installs = apt_installs(commands);
        for install in installs
            .iter()
            .filter(|install| self.reachable(install.index))
        {
            self.check_update(install, out);
            self.check_yes(install, out);
            self.check_recommends(install, out);
        }
        if installs.iter().any(|install| self.reachable(install.index)) {
            self.check_cleanup(out);
        }
        for (index, command) in commands.iter().enumerate() {
            if let Some(add) = package_command(index, command, &["apk"], &["add"]) {
                if self.reachable(index) {
                    self.check_apk(&add, out);
                }
            }
        }
    }

    fn reachable(&self, index: usize) -> bool {
        is_reached_plainly(&self.script.lexed, index)
    }

    fn check_update(&self, install: &PackageCommand, out: &mut Vec<Finding>) {
        let commands = &self.script.lexed.commands;
        if commands[..install.index].iter().any(is_apt_update) {
            return;
        }
        let at = self.source(install.command.range).start;
        match self.separate_update() {
            Some((update_run, update_text)) => out.push(self.finding(
                "apt-get update runs in its own cached layer; fold it into the RUN that installs",
                Applicability::Safe,
                vec![Edit::delete(update_run), Edit::insert(at, format!("{update_text} && "))],
            )),
            None => out.push(self.finding(
                "apt-get install without apt-get update in the same RUN installs from stale or missing package lists",
                Applicability::Safe,
                vec![Edit::insert(at, "apt-get update && ")],
            )),
        }
    }

    /// A `RUN apt-get update` alone, earlier in this stage with no RUN between: its node range and
    /// the update command as written.
    fn separate_update(&self) -> Option<(TextRange, String)> {
        let stage_start = self.file.stages().get(self.instruction.stage?)?.from;
        let previous_run = self.file.instructions()[stage_start..self.instruction.index]
            .iter()
            .rev()
            .find(|i| i.kind() == Some(InstructionKind::Run))?;
        let script = previous_run.script()?;
        let commands = &script.lexed.commands;
        let only_update =
            commands.len() == 1 && is_apt_update(&commands[0]) && commands[0].redirects.is_empty();
        (only_update && previous_run.heredoc_count() == 0 && previous_run.flags().is_empty()).then(
            || {
                (
                    previous_run.range(),
                    commands[0].range.slice(script.text).to_owned(),
                )
            },
        )
    }

    fn check_yes(&self, install: &PackageCommand, out: &mut Vec<Finding>) {
        let assumes_yes = install.command.words.iter().any(|w| {
            let v = w.value.as_str();
            matches!(v, "-y" | "--yes" | "--assume-yes" | "-qq")
                || (v.starts_with('-')
                    && !v.starts_with("--")
                    && (v.contains('y') || v.matches('q').count() >= 2))
                || v.contains("Assume-Yes")
        });
        if !assumes_yes {
            out.push(self.finding(
                "apt-get install without -y waits for a confirmation and aborts the build",
                Applicability::Safe,
                vec![Edit::insert(self.source(install.verb.range).end, " -y")],
            ));
        }
    }

    fn check_recommends(&self, install: &PackageCommand, out: &mut Vec<Finding>) {
        let has = install.command.words.iter().any(|w| {
            w.value == "--no-install-recommends" || w.value.contains("Install-Recommends")
        });
        if !has && !install.rest.is_empty() {
            out.push(self.finding(
                "apt-get install without --no-install-recommends also installs recommended packages",
                Applicability::Unsafe,
                vec![Edit::insert(self.source(install.verb.range).end, " --no-install-recommends")],
            ));
        }
    }

    fn check_cleanup(&self, out: &mut Vec<Finding>) {
        let lexed = &self.script.lexed;
        let cleans = lexed
            .commands
            .iter()
            .any(|c| c.name() == Some("rm") && c.arg_values().any(|arg| arg.starts_with(LISTS)));
        let last = lexed.commands.last();
        let ends_plainly = last.is_some_and(|c| c.next.is_none()) && !lexed.has_comment;
        if cleans || !ends_plainly || self.mounts_over(LISTS) || self.mounts_over("/var/cache/apt")
        {
            return;
        }
        let Some(last) = last else { return };
        let at = self.source(last.range).end;
        let applicability = if self.later_run_uses_apt() {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        };
        let message = match applicability {
            Applicability::Safe => "package lists stay in the layer: remove /var/lib/apt/lists/* in the same RUN",
            _ => "package lists stay in the layer; removing them is unsafe because a later RUN uses apt",
        };
        out.push(self.finding(
            message,
            applicability,
            vec![Edit::insert(at, self.appended_command(CLEANUP))],
        ));
    }

    fn check_apk(&self, add: &PackageCommand, out: &mut Vec<Finding>) {
        let has = add.command.words.iter().any(|w| w.value == "--no-cache");
        if has || self.mounts_over("/var/cache/apk") || self.mounts_over("/etc/apk/cache") {
            return;
        }
        out.push(self.finding(
            "apk add keeps its package index in the layer; use --no-cache",
            Applicability::Safe,
            vec![Edit::insert(self.source(add.verb.range).end, " --no-cache")],
        ));
    }

    /// A `--mount` of the RUN (cache, tmpfs, bind or any other) has its mount point at `path`,
    /// above it or inside it: what the RUN writes there does not stay in the layer, and `rm`
    /// would hit the mount point. A mount BuildKit would reject, or whose target depends on a
    /// variable or an unknown working directory, counts too.
    fn mounts_over(&self, path: &str) -> bool {
        let mounts = mounts::mounts(self.instruction);
        if mounts.is_empty() {
            return false;
        }
        let cwd = self.workdir();
        mounts.iter().any(|mount| match mount {
            Err(_) => true,
            Ok(mount) if mount.target.is_none() => {
                !matches!(mount.kind, MountType::Secret | MountType::Ssh)
            }
            Ok(mount) => mount.resolved_target(cwd.as_deref()).is_none_or(|target| {
                paths::is_within(&target, path) || paths::is_within(path, &target)
            }),
        })
    }

    /// The working directory the RUN runs in, through the stages it builds on; `None` when
    /// unknown.
    fn workdir(&self) -> Option<String> {
        let stage = self.file.stages().get(self.instruction.stage?)?;
        let image = lineage::root_image(self.file, stage);
        let start = self.context.knowledge().image_workdir(image);
        lineage::workdir_after(&lineage::history(self.file, self.instruction), start)
    }

    /// A later RUN in this stage, or in a stage built on it, uses apt without first refreshing
    /// the package lists itself (or getting the update this transform adds).
    fn later_run_uses_apt(&self) -> bool {
        let Some(stage) = self.instruction.stage else {
            return false;
        };
        self.file.instructions()[self.instruction.index + 1..]
            .iter()
            .any(|other| {
                let related = other.stage == Some(stage)
                    || other.stage.is_some_and(|s| self.builds_on(s, stage));
                related
                    && other.kind() == Some(InstructionKind::Run)
                    && other.logical_text().contains("apt")
                    && !refreshes_lists_first(other)
            })
    }

    fn builds_on(&self, stage: usize, ancestor: usize) -> bool {
        let stages = self.file.stages();
        let mut current = stages.get(stage).and_then(|s| s.base_stage);
        while let Some(index) = current {
            if index == ancestor {
                return true;
            }
            current = stages.get(index).and_then(|s| s.base_stage);
        }
        false
    }

    /// Text that appends `command` to the script in the RUN's own layout.
    fn appended_command(&self, command: &str) -> String {
        let source = self.instruction.source();
        let continuation = format!("{}{}", self.style.escape, self.style.newline);
        let Some(last_break) = source.rfind(&continuation) else {
            return format!(" && {command}");
        };
        let last_line = &source[last_break + continuation.len()..];
        let indent: String = last_line
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        let line_break = format!(" {}{}{}", self.style.escape, self.style.newline, indent);
        if last_line.trim_start().starts_with("&&") {
            format!("{line_break}&& {command}")
        } else {
            format!(" &&{line_break}{command}")
        }
    }
}
