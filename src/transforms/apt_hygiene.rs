#![doc = include_str!("../../transforms/docs/apt-hygiene.md")]

use super::{Applicability, Changes, Context, Finding, Fix, Metadata, Transform};
use crate::diagnostics::Rewriter;
use crate::model::mounts::MountType;
use crate::model::packages::{apt_installs, package_command, package_managers, PackageCommand};
use crate::model::script::is_assignment;
use crate::model::shell::{Command, Operator, ShellWord};
use crate::model::{lineage, paths};
use crate::model::{Dockerfile, Instruction, Script};
use crate::syntax::{InstructionKind, TextRange};
use std::cell::OnceCell;

pub struct AptHygiene;

const LISTS: &str = "/var/lib/apt/lists";
const CLEANUP: &str = "rm -rf /var/lib/apt/lists/*";

impl Transform for AptHygiene {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "apt-hygiene",
            summary:
                "apt-get install with update, -y and list cleanup in one RUN; apk add --no-cache",
            documentation: include_str!("../../transforms/docs/apt-hygiene.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Safe,
            changes: Changes::Dockerfile,
            intended_changes: &[],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        let updates: Vec<OnceCell<LastUpdate>> = file
            .instructions()
            .iter()
            .map(|_| OnceCell::new())
            .collect();
        let refreshes: Vec<OnceCell<bool>> = file
            .instructions()
            .iter()
            .map(|_| OnceCell::new())
            .collect();
        for instruction in file.of_kind(InstructionKind::Run) {
            if instruction.heredoc_count() > 0 {
                continue;
            }
            let Some(script) = file.script(instruction) else {
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
                refreshes: &refreshes,
                updates: &updates,
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
    /// [`RunChecker::refreshes_lists_first`] of each instruction (by index), computed once per
    /// file: every RUN asks it of every later RUN.
    refreshes: &'a [OnceCell<bool>],
    /// [`RunChecker::last_update`] of each instruction (by index), computed once per file.
    updates: &'a [OnceCell<LastUpdate>],
}

/// Where a RUN's last `apt-get update` is.
#[derive(Clone, Copy)]
enum LastUpdate {
    /// A heredoc, exec form or incomplete script: not read.
    Unreadable,
    None,
    /// The index of the command.
    At(usize),
}

impl RunChecker<'_, '_> {
    /// A finding whose fix `write` makes.
    fn finding(
        &self,
        message: &str,
        applicability: Applicability,
        write: impl FnOnce(&mut Rewriter),
    ) -> Finding {
        let mut rewriter = Rewriter::new(self.file);
        write(&mut rewriter);
        Finding {
            transform: self.id,
            message: message.to_owned(),
            range: self.instruction.range(),
            fix: Some(Fix::new(applicability, rewriter.finish())),
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
        self.script.lexed.is_reached_plainly(index)
    }

    fn check_update(&self, install: &PackageCommand, out: &mut Vec<Finding>) {
        let message = "apt-get install without apt-get update in the same RUN installs from stale or missing package lists";
        match self.update_plan(install) {
            UpdatePlan::Present => {}
            UpdatePlan::Fold { run, text, special } => {
                let at = self.source(install.command.range).start;
                let message = if !special {
                    "apt-get update runs in its own cached layer; fold it into the RUN that installs".to_owned()
                } else {
                    format!("apt-get update runs in its own cached layer; fold it into the RUN that installs, as the build writes it (`{text}`)")
                };
                out.push(self.finding(&message, Applicability::Safe, |rewriter| {
                    rewriter.delete(run);
                    rewriter.insert(at, format!("{text} && "));
                }));
            }
            UpdatePlan::Insert { text, line } => {
                let at = self.source(install.command.range).start;
                let message = match line {
                    None => message.to_owned(),
                    Some(line) => format!(
                        "{message}; it gets the build's own update from line {line} (`{text}`): a plain apt-get update lacks what it relies on (its options, or tolerating a failure)"
                    ),
                };
                out.push(self.finding(&message, Applicability::Safe, |rewriter| {
                    rewriter.insert(at, format!("{text} && "))
                }));
            }
            UpdatePlan::Decline(reason) => out.push(Finding {
                transform: self.id,
                message: reason,
                range: self.instruction.range(),
                fix: None,
            }),
        }
    }

    /// How the install gets an `apt-get update` in its own RUN.
    fn update_plan(&self, install: &PackageCommand) -> UpdatePlan {
        let commands = &self.script.lexed.commands;
        if commands[..install.index]
            .iter()
            .any(|c| apt_update(c).is_some())
        {
            return UpdatePlan::Present;
        }
        let lead = "apt-get install without apt-get update in the same RUN";
        if self
            .instruction
            .flag("network")
            .is_some_and(|flag| flag.value.as_deref() == Some("none"))
        {
            return UpdatePlan::Decline(
                "apt-get install in a RUN with --network=none: an apt-get update could not download the package lists there, so none is added".to_owned(),
            );
        }
        if let Some(files) = local_packages_only(install) {
            return UpdatePlan::Decline(format!(
                "apt-get install of local package files only ({files}): they need no package lists, so no apt-get update is added"
            ));
        }
        let update = match self.relied_update() {
            None => {
                return UpdatePlan::Insert {
                    text: "apt-get update".to_owned(),
                    line: None,
                }
            }
            Some(Err(line)) => {
                return UpdatePlan::Decline(format!(
                    "{lead} installs from stale or missing package lists, but the lists come from the RUN on line {line}, whose update dfmigrate cannot read (a heredoc or exec form), so which update would work is unknown; no change"
                ))
            }
            Some(Ok(update)) => update,
        };
        let line = update.line;
        let text = update.text;
        if update.guarded && install.index > 0 {
            let before = commands[0].range.slice(self.script.text).trim();
            return UpdatePlan::Decline(format!(
                "{lead} installs from stale or missing package lists, but the build's update on line {line} (`{text}`) tolerates a failure, and put after `{before}` its guard would hide that command's failure too; no change"
            ));
        }
        if let Some(run) = update.alone_in_previous_run {
            let special = !update.plain || update.guarded;
            return UpdatePlan::Fold { run, text, special };
        }
        if update.plain && !update.guarded {
            return UpdatePlan::Insert {
                text: "apt-get update".to_owned(),
                line: None,
            };
        }
        if update.has_expansion {
            return UpdatePlan::Decline(format!(
                "{lead} installs from stale or missing package lists, but the build's update on line {line} (`{text}`) uses a variable, which may not hold the same value here, and a plain apt-get update lacks its options; no change"
            ));
        }
        UpdatePlan::Insert {
            text,
            line: Some(line),
        }
    }

    /// Which command of `run` is its last `apt-get update`, if its script can be read.
    fn last_update(&self, run: &Instruction) -> LastUpdate {
        let readable = run.heredoc_count() == 0;
        let script = self
            .file
            .script(run)
            .filter(|s| readable && !s.lexed.incomplete);
        let Some(script) = script else {
            return LastUpdate::Unreadable;
        };
        let commands = &script.lexed.commands;
        match commands.iter().rposition(|c| apt_update(c).is_some()) {
            Some(index) => LastUpdate::At(index),
            None => LastUpdate::None,
        }
    }

    /// The last `apt-get update` the filesystem of this RUN comes from: in an earlier RUN of
    /// the stage or of the stages it builds on. An error with the line of a RUN that may update
    /// the lists in a way that cannot be read.
    fn relied_update(&self) -> Option<Result<ReliedUpdate, usize>> {
        let history = lineage::history(self.file, self.instruction);
        let runs: Vec<&Instruction> = history
            .into_iter()
            .filter(|i| i.kind() == Some(InstructionKind::Run))
            .collect();
        let stage_start = self
            .instruction
            .stage
            .and_then(|stage| self.file.stages().get(stage))
            .map(|stage| stage.from);
        for (position, run) in runs.iter().enumerate().rev() {
            let last_update = match self.updates.get(run.index) {
                Some(cell) => *cell.get_or_init(|| self.last_update(run)),
                None => self.last_update(run),
            };
            let index = match last_update {
                LastUpdate::Unreadable => {
                    let text = run.source();
                    if text.contains("apt") && text.contains("update") {
                        return Some(Err(run.start_line()));
                    }
                    continue;
                }
                LastUpdate::None => continue,
                LastUpdate::At(index) => index,
            };
            let Some(script) = self.file.script(run) else {
                continue;
            };
            let commands = &script.lexed.commands;
            let command = &commands[index];
            let plain = apt_update(command).is_some_and(|update| update.plain);
            let guard = match command.next {
                Some((Operator::Or, _)) => commands.get(index + 1),
                _ => None,
            };
            let end = guard.map_or(command.range.end, |guard| guard.range.end);
            let text = script.text[command.range.start..end].trim().to_owned();
            let whole = index == 0
                && commands.len() == 1 + usize::from(guard.is_some())
                && commands.last().is_some_and(|c| c.next.is_none())
                && command.redirects.is_empty()
                && guard.is_none_or(|g| g.redirects.is_empty());
            let adjacent =
                position + 1 == runs.len() && stage_start.is_some_and(|start| run.index > start);
            let alone = whole
                && adjacent
                && !script.lexed.has_grouping
                && !script.lexed.has_comment
                && run.flags().is_empty();
            let has_expansion = commands[index..=index + usize::from(guard.is_some())]
                .iter()
                .any(|c| c.words.iter().any(|w| w.has_expansion))
                || text.contains('$');
            return Some(Ok(ReliedUpdate {
                line: run.start_line(),
                text,
                plain,
                guarded: guard.is_some(),
                has_expansion,
                alone_in_previous_run: alone.then(|| run.range()),
            }));
        }
        None
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
                |rewriter| rewriter.insert(self.source(install.verb.range).end, " -y"),
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
                |rewriter| {
                    rewriter.insert(self.source(install.verb.range).end, " --no-install-recommends")
                },
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
        out.push(self.finding(message, applicability, |rewriter| {
            rewriter.append_command(self.instruction, at, CLEANUP)
        }));
    }

    fn check_apk(&self, add: &PackageCommand, out: &mut Vec<Finding>) {
        let has = add.command.words.iter().any(|w| w.value == "--no-cache");
        if has || self.mounts_over("/var/cache/apk") || self.mounts_over("/etc/apk/cache") {
            return;
        }
        out.push(self.finding(
            "apk add keeps its package index in the layer; use --no-cache",
            Applicability::Safe,
            |rewriter| rewriter.insert(self.source(add.verb.range).end, " --no-cache"),
        ));
    }

    /// A `--mount` of the RUN (cache, tmpfs, bind or any other) has its mount point at `path`,
    /// above it or inside it: what the RUN writes there does not stay in the layer, and `rm`
    /// would hit the mount point. A mount BuildKit would reject, or whose target depends on a
    /// variable or an unknown working directory, counts too.
    fn mounts_over(&self, path: &str) -> bool {
        let mounts = self.instruction.mounts();
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
        self.file.workdir_before(self.instruction).known_with(start)
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
                    && self.mentions_apt(other)
                    && !self.refreshes_lists_first(other)
            })
    }

    /// Whether the RUN is written with apt (`apt-get`, `apt`, `/etc/apt/…`), comments and
    /// flags aside: a word or redirection of its script or of the heredoc bodies a shell
    /// runs, or an element of its exec form.
    fn mentions_apt(&self, run: &Instruction) -> bool {
        let words = self.file.run_words(run);
        words.iter().any(|word| word.contains("apt"))
    }

    /// The first command of the RUN that mentions apt updates the lists, or is an install this
    /// transform gives an update.
    fn refreshes_lists_first(&self, run: &Instruction) -> bool {
        match self.refreshes.get(run.index) {
            Some(cell) => *cell.get_or_init(|| self.read_refreshes_lists_first(run)),
            None => self.read_refreshes_lists_first(run),
        }
    }

    fn read_refreshes_lists_first(&self, run: &Instruction) -> bool {
        let Some(script) = self.file.script(run) else {
            return false;
        };
        let lexed = &script.lexed;
        if lexed.incomplete || lexed.has_grouping || run.heredoc_count() > 0 {
            return false;
        }
        let Some(index) = lexed
            .commands
            .iter()
            .position(|c| c.words.iter().any(|w| w.value.contains("apt")))
        else {
            return false;
        };
        let command = &lexed.commands[index];
        if apt_update(command).is_some() {
            return true;
        }
        let installs = apt_installs(&lexed.commands[index..=index]);
        let Some(install) = installs.first() else {
            return false;
        };
        let install = PackageCommand { index, ..*install };
        let other = RunChecker {
            instruction: run,
            script: &script,
            ..*self
        };
        lexed.is_reached_plainly(index)
            && matches!(
                other.update_plan(&install),
                UpdatePlan::Fold { .. } | UpdatePlan::Insert { .. }
            )
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
}

/// How an install gets its `apt-get update`.
enum UpdatePlan {
    /// Its RUN updates the lists before it already.
    Present,
    /// The RUN right before holds only the update (as the build writes it): it moves here;
    /// `special` when it is not a plain update.
    Fold {
        run: TextRange,
        text: String,
        special: bool,
    },
    /// This update goes before the install; `line` is where the build runs it, when it is the
    /// build's own rather than a plain `apt-get update`.
    Insert { text: String, line: Option<usize> },
    /// No update is added, for this reason (the finding's message).
    Decline(String),
}

/// An `apt-get update` in an earlier RUN.
struct ReliedUpdate {
    line: usize,
    /// The command as written, with the `|| …` that guards it.
    text: String,
    /// No option beyond quietness and prompts (see [`apt_update`]).
    plain: bool,
    /// Followed by `||`: the build goes on when it fails.
    guarded: bool,
    has_expansion: bool,
    /// The RUN right before the install's, holding only this update (and its guard), with no
    /// flags: the range to delete when it is folded.
    alone_in_previous_run: Option<TextRange>,
}

/// What an `apt-get update` / `apt update` command is like.
struct AptUpdate {
    /// Only options that change output and prompts (`-q`, `-qq`, `-y`), no variable-setting
    /// prefix but `DEBIAN_FRONTEND`, no other word: any other `update` does what a plain one
    /// does.
    plain: bool,
}

/// `apt-get update`, also with options before the verb (`apt-get -o Acquire::X=false update`).
fn apt_update(command: &Command) -> Option<AptUpdate> {
    // Cheap necessary conditions first: this runs for every command of every earlier RUN.
    // Without wrappers the program is the first word that is not an assignment, and the verb
    // is one of the words.
    let program = command.words.iter().find(|w| !is_assignment(&w.value))?;
    if !matches!(program.value.as_str(), "apt-get" | "apt")
        || !command.words.iter().any(|w| w.value == "update")
    {
        return None;
    }
    let value_options: Vec<&str> = package_managers()
        .apt_update_value_options
        .iter()
        .map(String::as_str)
        .collect();
    let line = command.command_line(&value_options)?;
    let program = line.program.value.as_str();
    if !line.wrappers.is_empty() || !matches!(program, "apt-get" | "apt") {
        return None;
    }
    let (verb, others) = line.positionals.split_first()?;
    if verb.value != "update" {
        return None;
    }
    let prefixes_plain = line
        .assignments
        .iter()
        .all(|w| w.value.starts_with("DEBIAN_FRONTEND=") && !w.has_expansion);
    let is_static = |word: &ShellWord| !word.has_expansion && !word.has_glob;
    let options_plain = line
        .options
        .iter()
        .all(|option| is_static(option.word) && quiet_or_yes(&option.word.value));
    let plain = prefixes_plain && options_plain && is_static(verb) && others.is_empty();
    Some(AptUpdate { plain })
}

/// `-q`, `-qq`, `-y`, `-yqq`, `--quiet[=N]`, `--yes`, `--assume-yes`.
fn quiet_or_yes(option: &str) -> bool {
    match option.strip_prefix("--") {
        Some(long) => matches!(long, "quiet" | "yes" | "assume-yes") || long.starts_with("quiet="),
        None => option[1..].chars().all(|c| matches!(c, 'q' | 'y')),
    }
}

/// The install's package words when every one is a local package file (`./tool.deb`,
/// `/tmp/x.deb`), joined for messages.
fn local_packages_only(install: &PackageCommand) -> Option<String> {
    let packages: Vec<&str> = install
        .rest
        .iter()
        .map(|w| w.value.as_str())
        .filter(|v| !v.starts_with('-'))
        .collect();
    let local = |v: &&str| v.ends_with(".deb") && (v.contains('/') || v.starts_with('.'));
    (!packages.is_empty() && packages.iter().all(local)).then(|| packages.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::shell::lex;

    fn update(script: &str) -> Option<bool> {
        apt_update(&lex(script).commands[0]).map(|update| update.plain)
    }

    #[test]
    fn updates_with_and_without_options() {
        for plain in [
            "apt-get update",
            "apt update",
            "apt-get update -yqq",
            "apt-get -qq -y update",
            "apt-get update --quiet=2 > /dev/null",
            "DEBIAN_FRONTEND=noninteractive apt-get update",
        ] {
            assert_eq!(update(plain), Some(true), "{plain}");
        }
        for special in [
            "apt-get -o Acquire::Check-Valid-Until=false update",
            "apt-get update --allow-releaseinfo-change",
            "apt-get -oAcquire::Retries=3 update",
            "http_proxy=http://proxy:3128 apt-get update",
            "apt-get update $APT_OPTIONS",
        ] {
            assert_eq!(update(special), Some(false), "{special}");
        }
        for other in [
            "apt-get install -y curl",
            "apt-get -o Acquire::X=update install -y curl",
            "apt-cache update",
        ] {
            assert_eq!(update(other), None, "{other}");
        }
    }
}
