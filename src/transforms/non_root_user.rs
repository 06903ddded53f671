#![doc = include_str!("../../transforms/docs/non-root-user.md")]

use super::{platform, Applicability, Context, Finding, Fix, IntendedChange, Metadata, Transform};
use crate::context::BuildContext;
use crate::diagnostics::Rewriter;
use crate::knowledge::{Distro, KnowledgeBase, RuntimeWrite};
use crate::model::script;
use crate::model::{Dockerfile, Instruction, Stage};
use crate::style::Style;
use crate::syntax::InstructionKind;
pub(super) use scripts::shell_quote;
use scripts::{command_risk, script_risk, start_script, Severity};
use writes::{
    copy_destination, handover_script, is_inside, is_root_only, is_writable_by_all,
    resolve_written, set_workdir, Writable,
};

mod commands;
mod scripts;
mod writes;

pub struct NonRootUser;

/// The user this transform creates when the image has none.
const APP_USER: &str = "app";

impl Transform for NonRootUser {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "non-root-user",
            summary: "The final stage switches to a non-root user before it starts the application",
            documentation: include_str!("../../transforms/docs/non-root-user.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Unsafe,
            intended_changes: &[IntendedChange::User],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        let Some(stage) = file.final_stage() else {
            return;
        };
        let chain = file.stage_chain(stage);
        let on_windows = platform::windows_reason(file, stage, context.knowledge());
        let view = FinalStage {
            id: self.id(),
            file,
            stage,
            instructions: chain_instructions(file, &chain),
            root_base: chain.last().map_or(stage, |s| *s),
            style: file.style(),
            knowledge: context.knowledge(),
            context: context.build_context_files(),
        };
        if let Some(finding) = view.check() {
            out.push(match &on_windows {
                Some(why) => {
                    finding.declined(format!("the final stage's user is left as is: {why}"))
                }
                None => finding,
            });
        }
    }
}

/// Every instruction of the chain's stages in build order: the root ancestor's first.
fn chain_instructions<'a, 'p>(
    file: &'a Dockerfile<'p>,
    chain: &[&Stage],
) -> Vec<&'a Instruction<'p>> {
    chain
        .iter()
        .rev()
        .flat_map(|stage| file.stage_instructions(stage))
        .collect()
}

/// `root`, `0`, `root:root`, `0:0`: the user part names root.
fn is_root_user(value: &str) -> bool {
    let user = value.trim_matches('"').split(':').next().unwrap_or("");
    user.eq_ignore_ascii_case("root") || user == "0"
}

/// The user to switch to, and whether it must be created first.
struct Plan {
    user: String,
    create: Option<&'static str>,
    why: &'static str,
    /// Whether the image has a shell and `chown`: yes for Debian, Ubuntu and Alpine, no for
    /// distroless, unknown for other images. Only a known shell lets a RUN hand the working
    /// directory to the user.
    has_shell: Option<bool>,
}

/// The final stage with everything it inherits.
struct FinalStage<'a, 'p> {
    id: &'static str,
    file: &'a Dockerfile<'p>,
    stage: &'a Stage,
    /// The instructions of the final stage and its ancestors, in build order.
    instructions: Vec<&'a Instruction<'p>>,
    /// The chain's first stage: the one whose base is an image.
    root_base: &'a Stage,
    style: &'a Style,
    knowledge: &'a KnowledgeBase,
    /// The build context, when known: its configuration files say where the application writes.
    context: Option<&'a BuildContext>,
}

impl<'a, 'p> FinalStage<'a, 'p> {
    fn finding(&self, message: String, fix: Option<Fix>) -> Finding {
        Finding {
            transform: self.id,
            message,
            range: self.from().range(),
            fix,
        }
    }

    /// The working directory the container starts in, when a WORKDIR set it.
    fn workdir(&self) -> Option<String> {
        set_workdir(self.file.workdir_at_end(self.stage))
    }

    fn from(&self) -> &'a Instruction<'p> {
        &self.file.instructions()[self.stage.from]
    }

    fn own_instructions(&self) -> &'a [Instruction<'p>] {
        self.file.stage_instructions(self.stage)
    }

    fn of_kind(&self, kind: InstructionKind) -> impl Iterator<Item = &&'a Instruction<'p>> {
        self.instructions
            .iter()
            .filter(move |instruction| instruction.kind() == Some(kind))
    }

    fn check(&self) -> Option<Finding> {
        if let Some(user) = self.file.user_at_end(self.stage) {
            return self.check_explicit_user(user);
        }
        let base = &self.root_base.base;
        let info = self.knowledge.image_info(base);
        if info.as_ref().is_some_and(|info| info.non_root) {
            return None;
        }
        let blockers = self.root_blockers();
        if !blockers.is_empty() {
            return Some(self.finding(
                format!(
                    "the final stage runs as root; not switched to a non-root user because {}",
                    blockers.join("; ")
                ),
                None,
            ));
        }
        let plan = match self.plan(info.as_ref().map(|i| (i.distro, i.user.clone()))) {
            Ok(plan) => plan,
            Err(reason) => {
                return Some(self.finding(
                    format!("the final stage runs as root; {reason}, so add a non-root user and a USER instruction by hand"),
                    None,
                ))
            }
        };
        Some(self.fix(&plan))
    }

    /// The last USER decides: root is a deliberate choice (reported), anything else is fine.
    fn check_explicit_user(&self, user: &Instruction) -> Option<Finding> {
        let value = user.string_arg()?.value;
        is_root_user(&value).then(|| Finding {
            transform: self.id,
            message: format!(
                "`USER {value}` on line {} makes the container run as root; if only build steps need root, switch to a non-root user before CMD",
                user.start_line()
            ),
            range: user.range(),
            fix: None,
        })
    }

    /// The image's own user, or one created with the distro's tools; the reason otherwise.
    fn plan(&self, info: Option<(Distro, Option<String>)>) -> Result<Plan, String> {
        let image = &self.root_base.base.raw;
        let (distro, user) = info.ok_or_else(|| {
            format!("dfmigrate does not know the distro of `{image}` to create a user with")
        })?;
        let has_shell = match distro {
            Distro::Debian | Distro::Alpine => Some(true),
            Distro::Distroless => Some(false),
            Distro::Other => None,
        };
        if let Some(user) = user {
            return Ok(Plan {
                user,
                create: None,
                why: "the image's non-root user",
                has_shell,
            });
        }
        // The user gets a home: tools write their caches and configuration there. BusyBox
        // `adduser -S` creates `/home/app` unless told not to.
        let create = match distro {
            Distro::Debian => {
                "groupadd --system app && useradd --system --gid app --create-home --home-dir /home/app app"
            }
            Distro::Alpine => "addgroup -S app && adduser -S -G app app",
            Distro::Distroless | Distro::Other => {
                return Err(format!(
                    "`{image}` has no known non-root user and no known tools to create one"
                ))
            }
        };
        if self.file.shell_at_end(self.stage).is_some() {
            return Err("the stage sets its own SHELL".to_owned());
        }
        if let Some(run) = commands::creates_user(self.file, self.of_kind(InstructionKind::Run)) {
            return Err(format!(
                "the RUN on line {} creates a user but the stage never switches to it",
                run.start_line()
            ));
        }
        Ok(Plan {
            user: APP_USER.to_owned(),
            create: Some(create),
            why: "a new system user",
            has_shell,
        })
    }

    /// A RUN of the chain that adds users or groups.
    fn fix(&self, plan: &Plan) -> Finding {
        let mut risks = self.root_risks();
        let (chown_points, copy_risks) = self.chown_points();
        risks.extend(copy_risks);
        let keyword = |kind| self.style.keyword(kind);
        let (user_at, before) = self.user_position();
        let handed = self.writable_folders();
        let mut switch_lines = Vec::new();
        if !handed.is_empty() && plan.has_shell == Some(true) {
            switch_lines.push(format!(
                "{} {}",
                keyword(InstructionKind::Run),
                handover_script(&handed, &plan.user)
            ));
        } else if !handed.is_empty() {
            let why = match plan.has_shell {
                Some(_) => "the image has no shell to chown it".to_owned(),
                None => format!(
                    "dfmigrate does not know whether `{}` has a shell and chown",
                    self.root_base.base.raw
                ),
            };
            risks.extend(handed.iter().map(|folder| {
                format!(
                    "{} stays owned by root ({why}), so the application cannot create files there",
                    folder.describe()
                )
            }));
        }
        switch_lines.push(format!("{} {}", keyword(InstructionKind::User), plan.user));
        let mut rewriter = Rewriter::new(self.file);
        if let Some(create) = plan.create {
            let run_line = format!("{} {create}", keyword(InstructionKind::Run));
            let from_end = self.from().range().end;
            if rewriter.is_line_start(from_end) && from_end != user_at {
                rewriter.insert_lines(from_end, &[run_line]);
            } else {
                switch_lines.insert(0, run_line);
            }
        }
        rewriter.insert_lines(user_at, &switch_lines);
        let chowned = chown_points.len();
        for at in chown_points {
            rewriter.insert(at, format!(" --chown={0}:{0}", plan.user));
        }
        let mut edits = rewriter.finish();
        edits.sort_by_key(|edit| edit.start);
        let user = &plan.user;
        let mut message = format!(
            "the final stage runs as root; switch to {} `{user}` {before}",
            plan.why
        );
        if chowned > 0 {
            message.push_str(&format!(
                ", with --chown={user}:{user} on the {chowned} COPY/ADD into the WORKDIR"
            ));
        }
        if !handed.is_empty() && plan.has_shell == Some(true) {
            let folders: Vec<String> = handed.iter().map(Writable::describe).collect();
            message.push_str(&format!(
                ", and {} handed to {user} so it can create files there",
                folders.join(", ")
            ));
        }
        // Always unsafe: a process that ran as root may write where only root can (caches,
        // logs, files outside its WORKDIR), which nothing in the Dockerfile shows.
        if risks.is_empty() {
            risks.push(
                "the application may write where only root can, such as logs or caches outside its WORKDIR"
                    .to_owned(),
            );
        }
        message.push_str(&format!("; review: {}", risks.join("; ")));
        let applicability = Applicability::Unsafe;
        self.finding(message, Some(Fix::new(applicability, edits)))
    }

    /// The folders to hand to the user. `WORKDIR` creates the working directory owned by root,
    /// and a `COPY --chown` into it does not change the owner of a folder that exists, so a
    /// process that creates files in it (a pid file, a SQLite database, an upload) would fail.
    /// Folders outside it that the application's configuration files name (a log folder) are
    /// created and handed over too. `/` and root's own folders are never handed over (the
    /// configurations that write there are blockers, see [`Self::root_blockers`]).
    fn writable_folders(&self) -> Vec<Writable> {
        let workdir = self.workdir();
        let mut folders = Vec::new();
        if let Some(folder) = workdir.as_deref().filter(|f| !is_root_only(f)) {
            folders.push(Writable {
                path: folder.to_owned(),
                named_by: None,
            });
        }
        for write in self.runtime_writes() {
            let Some(folder) = resolve_written(&write, workdir.as_deref()) else {
                continue;
            };
            let covered = workdir.as_deref().is_some_and(|w| is_inside(&folder, w))
                || is_writable_by_all(&folder)
                || is_root_only(&folder)
                || folders.iter().any(|f| f.path == folder);
            if !covered {
                folders.push(Writable {
                    path: folder,
                    named_by: Some(format!("{} line {}", write.file, write.line)),
                });
            }
        }
        folders
    }

    /// What the build context's configuration files say the application writes.
    fn runtime_writes(&self) -> Vec<RuntimeWrite> {
        self.context
            .map(|context| self.knowledge.runtime_writes(context))
            .unwrap_or_default()
    }

    /// Where USER goes: before the first CMD/ENTRYPOINT/HEALTHCHECK after the stage's last
    /// RUN (with the comments above it), else at the end of the stage; and how to say so.
    fn user_position(&self) -> (usize, String) {
        let own = self.own_instructions();
        let last_run = own
            .iter()
            .rposition(|i| i.kind() == Some(InstructionKind::Run))
            .unwrap_or(0);
        let starts = own[last_run + 1..].iter().find(|i| {
            matches!(
                i.kind(),
                Some(
                    InstructionKind::Cmd
                        | InstructionKind::Entrypoint
                        | InstructionKind::Healthcheck
                )
            )
        });
        match starts {
            Some(instruction) => (
                self.file.block_range(instruction).start,
                format!(
                    "before the {} on line {}",
                    instruction.keyword().value.to_ascii_uppercase(),
                    instruction.start_line()
                ),
            ),
            None => {
                let last = own.last().map_or(self.from(), |i| i);
                (last.range().end, "at the end of the stage".to_owned())
            }
        }
    }

    /// Where `--chown` goes for the final stage's COPY/ADD into the final WORKDIR (after the
    /// keyword), and the reasons the user may still not own the application's files.
    fn chown_points(&self) -> (Vec<usize>, Vec<String>) {
        let (mut points, mut risks) = (Vec::new(), Vec::new());
        let Some(workdir) = self.workdir().filter(|w| w != "/") else {
            return (points, risks);
        };
        let own_start = self.stage.from;
        for copy in &self.instructions {
            if copy.flag("chown").is_some() {
                continue;
            }
            let Some(destination) = copy_destination(self.file, copy) else {
                continue;
            };
            if !is_inside(&destination, &workdir) {
                continue;
            }
            let line = copy.start_line();
            if copy.index < own_start {
                risks.push(format!(
                    "the {} on line {line}, in stage {}, leaves {destination} owned by root",
                    copy.keyword().value.to_ascii_uppercase(),
                    self.stage_name(copy)
                ));
            } else if let Some(image) = self.copies_from_image(copy) {
                risks.push(format!(
                    "the COPY --from={image} on line {line} keeps the image's file owners"
                ));
            } else if copy.flag("link").is_some() {
                // BuildKit cannot resolve a user name on a `--link` copy (it has no /etc/passwd
                // to read there): `--chown=app:app --link` fails the build.
                risks.push(format!(
                    "the {} --link on line {line} keeps root as the owner of {destination} (a --link copy cannot take a user name)",
                    copy.keyword().value.to_ascii_uppercase()
                ));
            } else {
                points.push(copy.keyword().range.end);
            }
        }
        (points, risks)
    }

    /// The name of an instruction's stage, or its index.
    fn stage_name(&self, instruction: &Instruction) -> String {
        let stage = instruction.stage.and_then(|s| self.file.stages().get(s));
        match stage {
            Some(Stage {
                name: Some(name), ..
            }) => name.clone(),
            Some(stage) => stage.index.to_string(),
            None => "?".to_owned(),
        }
    }

    /// The image a `COPY --from` names when it is not a stage of the file.
    fn copies_from_image(&self, copy: &Instruction) -> Option<String> {
        let from = copy.flag("from")?.value?;
        let stages = self.file.stages();
        let is_stage = stages.iter().take(self.stage.index).any(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&from))
        }) || from.parse::<usize>().is_ok_and(|i| i < self.stage.index);
        (!is_stage).then_some(from)
    }

    /// What shows the process needs root, so switching user would break it: a program that
    /// needs root or drops privileges itself, a write to a folder owned by root, or a command
    /// that comes from the base image, which dfmigrate cannot see (stock `nginx` binds port 80
    /// and writes its pid file as root).
    fn root_blockers(&self) -> Vec<String> {
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
        for write in self.runtime_writes() {
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
    fn root_risks(&self) -> Vec<String> {
        let mut risks = Vec::new();
        for expose in self.of_kind(InstructionKind::Expose) {
            for port in expose.ports() {
                if is_privileged_port(&port.value) {
                    risks.push(format!(
                        "EXPOSE {} may be a port below 1024, which only root binds",
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
                "the WORKDIR uses variables, so its files keep root as their owner".to_owned(),
            );
        }
        risks
    }
}

/// A port that only root may bind, or one only known at build time.
fn is_privileged_port(port: &str) -> bool {
    let number = port.split('/').next().unwrap_or(port);
    let first = number.split('-').next().unwrap_or(number);
    first.parse::<u32>().map_or(true, |n| n < 1024)
}

#[cfg(test)]
mod tests {
    use super::writes::is_root_path;
    use super::*;
    use crate::model::paths::normalize;

    #[test]
    fn reads_users_ports_and_paths() {
        assert!(is_root_user("root") && is_root_user("0:0") && is_root_user("\"root:app\""));
        assert!(!is_root_user("node") && !is_root_user("1000:0"));
        assert!(is_privileged_port("80/tcp") && is_privileged_port("443-445"));
        assert!(is_privileged_port("${PORT}") && !is_privileged_port("8080"));
        assert!(is_root_path("/var/run/app.pid") && !is_root_path("/var/runtime"));
        assert_eq!(normalize("/app/./src/../lib/"), "/app/lib");
        assert!(is_inside("/app/src", "/app") && !is_inside("/application", "/app"));
    }
}
