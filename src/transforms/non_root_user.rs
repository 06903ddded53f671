#![doc = include_str!("../../transforms/docs/non-root-user.md")]

use super::{
    platform, Applicability, Changes, Context, Finding, Fix, IntendedChange, Metadata, Transform,
};
use crate::context::BuildContext;
use crate::diagnostics::Rewriter;
use crate::knowledge::{Distro, KnowledgeBase};
use crate::model::{Dockerfile, Instruction, Stage};
use crate::style::Style;
use crate::syntax::InstructionKind;
use writes::{handover_script, set_workdir, Writable};

mod blockers;
mod commands;
mod handover;
mod home_installs;
mod homes;
mod ports;
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
            changes: Changes::Dockerfile,
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
        let user = info
            .as_ref()
            .and_then(|info| info.user.clone())
            .unwrap_or_else(|| APP_USER.to_owned());
        let blockers = self.root_blockers(&user);
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

    /// The last USER decides: root is a deliberate choice (reported), a user created without
    /// a home folder is reported, anything else is fine.
    fn check_explicit_user(&self, user: &Instruction) -> Option<Finding> {
        let value = user.string_arg()?.value;
        let message = match is_root_user(&value) {
            true => format!(
                "`USER {value}` on line {} makes the container run as root; if only build steps need root, switch to a non-root user before CMD",
                user.start_line()
            ),
            false => self.homeless(user, &value)?,
        };
        Some(Finding {
            transform: self.id,
            message,
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
        // A user the stage creates (in a RUN, or a heredoc script a RUN runs) is the one the
        // author meant: neither the image's user nor a second one replaces it.
        if let Some(run) = commands::creates_user(self.file, self.of_kind(InstructionKind::Run)) {
            return Err(format!(
                "the RUN on line {} creates a user but the stage never switches to it",
                run.start_line()
            ));
        }
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
        let mut edits = rewriter.finish();
        edits.sort_by_key(|edit| edit.start);
        let user = &plan.user;
        let mut message = format!(
            "the final stage runs as root; switch to {} `{user}` {before}; the application's code stays owned by root (readable, not writable, by {user})",
            plan.why
        );
        if !handed.is_empty() && plan.has_shell == Some(true) {
            let list = |recursive: bool| {
                let folders: Vec<String> = handed
                    .iter()
                    .filter(|f| f.recursive == recursive)
                    .map(Writable::describe)
                    .collect();
                folders.join(", ")
            };
            let given = match (list(false), list(true)) {
                (itself, written) if written.is_empty() => itself,
                (itself, written) if itself.is_empty() => {
                    format!("the folders it writes, created with their contents: {written}")
                }
                (itself, written) => format!(
                    "{itself} and the folders it writes, created with their contents: {written}"
                ),
            };
            message.push_str(&format!(
                "; {user} is given {given}, so it can create files there"
            ));
        }
        // Always unsafe: a process that ran as root may write where only root can (its own
        // files, caches, logs), which nothing in the Dockerfile shows.
        if risks.is_empty() {
            risks.push(
                "the application may write where only root can, such as its own files, or logs and caches outside its WORKDIR"
                    .to_owned(),
            );
        }
        for note in self.read_scripts() {
            message.push_str(&format!("; {note}"));
        }
        message.push_str(&format!("; review: {}", risks.join("; ")));
        let applicability = Applicability::Unsafe;
        self.finding(message, Some(Fix::new(applicability, edits)))
    }

    /// Where USER goes: before the first CMD/ENTRYPOINT/HEALTHCHECK after the stage's last
    /// RUN (with the comments above it), else at the end of the stage; and how to say so.
    fn user_position(&self) -> (usize, String) {
        let own = self.own_instructions();
        let last_run = own
            .iter()
            .rposition(|i| i.kind() == Some(InstructionKind::Run))
            .unwrap_or(0);
        let starts = own[last_run + 1..]
            .iter()
            .find(|i| i.kind().is_some_and(InstructionKind::runs_in_container));
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
}

#[cfg(test)]
mod tests {
    use super::blockers::literal_port;
    use super::writes::{is_inside, is_root_path};
    use super::*;
    use crate::model::paths::normalize;

    #[test]
    fn reads_users_ports_and_paths() {
        assert!(is_root_user("root") && is_root_user("0:0") && is_root_user("\"root:app\""));
        assert!(!is_root_user("node") && !is_root_user("1000:0"));
        assert_eq!(
            (literal_port("80/tcp"), literal_port("443-445")),
            (Some(80), Some(443))
        );
        assert_eq!(
            (literal_port("${PORT}"), literal_port("8080")),
            (None, Some(8080))
        );
        assert!(is_root_path("/var/run/app.pid") && !is_root_path("/var/runtime"));
        assert_eq!(normalize("/app/./src/../lib/"), "/app/lib");
        assert!(is_inside("/app/src", "/app") && !is_inside("/application", "/app"));
    }
}
