//! The text of the split: ` AS builder` on the build stage, the prune command, and the new
//! final stage (its `FROM`, copies, installs and the instructions carried over), in the
//! file's own style.

use super::build_env;
use super::build_files::Removal;
use super::context_files::ContextCopy;
use super::facts::Facts;
use super::pins;
use super::production::{Dependencies, DependencyStage, ProductionEnv};
use super::shell_form::ExecForm;
use super::static_site::{nginx_config, StaticSite, SITE_CONFIG, SITE_ROOT};
use super::NoVirtualenv;
use crate::diagnostics::Rewriter;
use crate::knowledge::{RuntimeImage, VirtualenvLayout};
use crate::model::paths::copy_arguments;
use crate::model::shell::quote_word;
use crate::model::{Flag, Instruction};
use crate::style::Style;
use crate::syntax::InstructionKind;
use crate::transforms::Edit;

/// Instructions of the build stage that configure the running container, copied in order.
pub(super) const RUNTIME_CONFIG: &[InstructionKind] = &[
    InstructionKind::Label,
    InstructionKind::Expose,
    InstructionKind::Volume,
    InstructionKind::Healthcheck,
    InstructionKind::Stopsignal,
    InstructionKind::User,
    InstructionKind::Entrypoint,
    InstructionKind::Cmd,
];

/// Instructions of the build stage that only configure a container started from it: the
/// runtime stage has them, and nobody runs the build stage.
const LAUNCH_CONFIG: &[InstructionKind] = &[
    InstructionKind::Expose,
    InstructionKind::Healthcheck,
    InstructionKind::Stopsignal,
    InstructionKind::Entrypoint,
    InstructionKind::Cmd,
];

/// A split: the message of its finding and its edits.
pub(super) struct Plan {
    pub message: String,
    pub edits: Vec<Edit>,
    /// Whether the installs go into a virtualenv the build stage creates, or why not (`None`:
    /// the ecosystem has no virtualenv layout).
    pub virtualenv: Option<Result<(), NoVirtualenv>>,
}

/// What the new final stage is made of.
pub(super) struct RuntimeStage<'s> {
    pub runtime: &'s RuntimeImage,
    pub workdir: Option<&'s str>,
    pub copies: &'s [String],
    /// Files and folders the build stage copied from the build context.
    pub context: &'s [ContextCopy],
    pub install: Option<&'s str>,
    /// Folders of the builder's PATH the copied programs are in, put on the runtime's PATH.
    pub path: &'s [String],
    /// Shell-form instructions written in exec form (a runtime without a shell).
    pub exec_forms: &'s [ExecForm],
    /// Variables only the build reads, whose `ENV` is not repeated.
    pub dropped_env: &'s [String],
    /// Build files the build stage removes from the application folder.
    pub removal: Option<&'s Removal>,
    /// Where the production dependencies come from (a prune or a stage of their own).
    pub dependencies: Option<&'s Dependencies<'s>>,
    /// The variables that run the application in production.
    pub production_env: &'s ProductionEnv,
    /// What the message says about the runtime image's shell.
    pub note: &'s str,
    /// The runtime image is the builder's own (PHP): a fresh stage without what the build
    /// added.
    pub same_image: bool,
    /// The virtualenv the build stage creates for the installs, or why it does not.
    pub virtualenv: Option<Result<&'s VirtualenvLayout, &'s NoVirtualenv>>,
}

/// What a new final stage takes over from the build stage besides its ARGs.
struct Carried<'c> {
    kinds: &'c [InstructionKind],
    with_environment: bool,
    exec_forms: &'c [ExecForm],
    dropped_env: &'c [String],
}

/// The split onto a runtime image: the build stage named, the prune after its last RUN, and
/// the runtime stage appended, with the message that says what the runtime stage receives.
pub(super) fn runtime_plan(facts: &Facts, parts: &RuntimeStage, packages: &[String]) -> Plan {
    let mut rewriter = Rewriter::new(facts.file);
    let builder = facts.builder_name();
    name_builder(facts, &builder, &mut rewriter);
    if let Some(Ok(virtualenv)) = parts.virtualenv {
        create_virtualenv(facts, virtualenv, &mut rewriter);
    }
    if let Some(Dependencies::Prune { command, .. }) = parts.dependencies {
        add_prune(facts, command, &mut rewriter);
    }
    if let Some(removal) = parts.removal {
        add_removal(facts, removal, &mut rewriter);
    }
    drop_launch_config(facts, &mut rewriter);
    let mut new_stages = String::new();
    if let Some(Dependencies::Stage(stage)) = parts.dependencies {
        new_stages.push_str(&dependency_stage_text(facts, stage, rewriter.style()));
    }
    new_stages.push_str(&runtime_stage(facts, parts, &builder, rewriter.style()));
    // The prune may land at the very end too (a last RUN after CMD): the rewriter joins the
    // two insertions, in order.
    append_stage(facts, &new_stages, &mut rewriter);
    let edits = rewriter.finish();
    let mut installs = if packages.is_empty() {
        String::new()
    } else {
        format!(" and installs {}", packages.join(" "))
    };
    if !parts.path.is_empty() {
        installs.push_str(&format!(", with {} on its PATH", parts.path.join(":")));
    }
    let received: Vec<&str> = parts
        .copies
        .iter()
        .map(String::as_str)
        .chain(parts.context.iter().map(|copy| copy.path.as_str()))
        .collect();
    if !parts.dropped_env.is_empty() {
        installs.push_str(&format!(
            ", without the build-only ENV {}",
            parts.dropped_env.join(" ")
        ));
    }
    if let Some(removal) = parts.removal {
        let replaced = match parts.dependencies {
            Some(Dependencies::Stage(stage)) => Some(stage.relative.as_str()),
            _ => None,
        };
        let build_files: Vec<&str> = removal
            .paths
            .iter()
            .map(String::as_str)
            .filter(|path| {
                Some(*path) != replaced
                    && !replaced.is_some_and(|r| path.ends_with(&format!("/{r}")))
            })
            .collect();
        if !build_files.is_empty() {
            installs.push_str(&format!(
                "; the build stage first removes {} (build files the application folder would carry)",
                build_files.join(" ")
            ));
        }
    }
    let env = &parts.production_env;
    if !env.set.is_empty() {
        let settings: Vec<String> = env.set.iter().map(|(k, v)| format!("{k}={v}")).collect();
        installs.push_str(&format!(
            "; it sets {}, as it now has only production dependencies (check the application does not expect development mode)",
            settings.join(" ")
        ));
    }
    if let Some(skipped) = &env.skipped {
        installs.push_str(&format!("; {skipped}"));
    }
    let reference = &parts.runtime.reference;
    let (ships, target) = if parts.same_image {
        (
            "keeps what only the build needs (package managers, compilers, -dev packages)",
            format!("a new {reference} stage"),
        )
    } else {
        ("ships its whole toolchain", reference.clone())
    };
    let (into, kept) = match parts.virtualenv {
        Some(Ok(virtualenv)) => (
            format!(" into a virtualenv ({})", virtualenv.folder),
            String::new(),
        ),
        Some(Err(reason)) => (
            String::new(),
            format!(
                " (the whole {} rather than a new virtualenv: {reason})",
                facts.install_folders().join(", ")
            ),
        ),
        None => (String::new(), String::new()),
    };
    let message = format!(
        "{} {ships}: build there{into} and run on {target}, which receives only {}{kept}{}{installs}{}; review what the application reads at run time",
        facts.stage.base.raw,
        received.join(", "),
        parts.dependencies.map(Dependencies::describe).unwrap_or_default(),
        parts.note,
    ) + &pins::pin_note(facts, reference);
    let virtualenv = parts
        .virtualenv
        .map(|chosen| chosen.map(|_| ()).map_err(Clone::clone));
    Plan {
        message,
        edits,
        virtualenv,
    }
}

/// The split onto the web server image: the built `folder` copied to the site root, and an
/// nginx site configured to serve it as the stage's server did.
pub(super) fn static_site_plan(
    facts: &Facts,
    web: &RuntimeImage,
    site: &StaticSite,
    folder: &str,
) -> Plan {
    let mut rewriter = Rewriter::new(facts.file);
    let builder = facts.builder_name();
    name_builder(facts, &builder, &mut rewriter);
    let style = rewriter.style();
    let keyword = |kind| style.keyword(kind);
    let config: Vec<String> = nginx_config(site)
        .iter()
        .map(|line| format!("'{line}'"))
        .collect();
    let body = [
        format!(
            "{} --from={builder} {}",
            keyword(InstructionKind::Copy),
            copy_arguments(&[folder.to_owned()], SITE_ROOT)
        ),
        format!(
            "{} printf '%s\\n'{}{} > {}",
            keyword(InstructionKind::Run),
            style.line_break(),
            config.join(&style.line_break()),
            SITE_CONFIG
        ),
        format!("{} {}", keyword(InstructionKind::Expose), site.port),
    ];
    // Labels only; the environment too when they use variables.
    let labels_use_variables = facts
        .of_kind(InstructionKind::Label)
        .any(|label| label.mentions_variable());
    let carried = Carried {
        kinds: &[InstructionKind::Label],
        with_environment: labels_use_variables,
        exec_forms: &[],
        dropped_env: &[],
    };
    let stage = stage_text(facts, &web.reference, &body, &carried, style);
    drop_launch_config(facts, &mut rewriter);
    append_stage(facts, &stage, &mut rewriter);
    let edits = rewriter.finish();
    let fallback = if site.single_page {
        ", unknown paths answered with index.html"
    } else {
        ""
    };
    let message = format!(
        "{} ships Node.js to serve static files: build there and serve {folder} with nginx on {} (port {}{fallback}); nginx's own CMD, user and STOPSIGNAL replace the stage's, and its EXPOSE 8080 stays; review the generated site configuration",
        facts.stage.base.raw, web.reference, site.port
    ) + &pins::pin_note(facts, &web.reference);
    Plan {
        message,
        edits,
        virtualenv: None,
    }
}

/// The virtualenv created right after the build stage's `FROM`, and its `ENV` (its `bin`
/// first on PATH), so every install of the stage fills it.
fn create_virtualenv(facts: &Facts, virtualenv: &VirtualenvLayout, rewriter: &mut Rewriter) {
    let lines = [
        rewriter.instruction(InstructionKind::Run, &virtualenv.create),
        rewriter.instruction(InstructionKind::Env, &virtualenv.env.join(" ")),
    ];
    rewriter.insert_after(&facts.instructions[0], &lines);
}

/// ` AS builder` after the stage's `FROM`; a stage that has a name is renamed (the runtime
/// stage takes its name).
fn name_builder(facts: &Facts, builder: &str, rewriter: &mut Rewriter) {
    let from = &facts.instructions[0];
    if let Some(name) = from.from_args().and_then(|args| args.name) {
        rewriter.replace(name.range, builder);
        return;
    }
    let as_word = as_word(rewriter.style());
    rewriter.insert(from.content_end(), format!(" {as_word} {builder}"));
}

fn as_word(style: &Style) -> &'static str {
    if style.uppercase_keywords {
        "AS"
    } else {
        "as"
    }
}

/// Appends the new final stage; when the file's last line has no newline and is deleted (a
/// `CMD` the runtime stage carries), after the line break that stays before it.
fn append_stage(facts: &Facts, stage: &str, rewriter: &mut Rewriter) {
    let text = facts.file.text();
    let last_line_deleted = !text.ends_with('\n')
        && facts.instructions.last().is_some_and(|last| {
            last.kind()
                .is_some_and(|kind| LAUNCH_CONFIG.contains(&kind))
                && text[..facts.file.block_range(last).start].ends_with('\n')
        });
    if last_line_deleted {
        rewriter.insert(text.len(), stage);
    } else {
        rewriter.append_stage(stage);
    }
}

/// Deletes the build stage's `EXPOSE`, `HEALTHCHECK`, `STOPSIGNAL`, `ENTRYPOINT` and `CMD`
/// (with the comment lines directly above each), which the runtime stage carries.
fn drop_launch_config(facts: &Facts, rewriter: &mut Rewriter) {
    for instruction in facts
        .instructions
        .iter()
        .filter(|i| i.kind().is_some_and(|kind| LAUNCH_CONFIG.contains(&kind)))
    {
        rewriter.delete(facts.file.block_range(instruction));
    }
}

/// `RUN rm -rf -- PATHS` right after the instruction the removal follows.
fn add_removal(facts: &Facts, removal: &Removal, rewriter: &mut Rewriter) {
    let words: Vec<String> = removal.paths.iter().map(|path| quote_word(path)).collect();
    let line = rewriter.instruction(
        InstructionKind::Run,
        &format!("rm -rf -- {}", words.join(" ")),
    );
    rewriter.insert_after(&facts.instructions[removal.after], &[line]);
}

/// The prune command right after the stage's last RUN, so it runs as the same user, before
/// any USER, CMD or metadata that follows.
fn add_prune(facts: &Facts, prune: &str, rewriter: &mut Rewriter) {
    let last_run = facts
        .of_kind(InstructionKind::Run)
        .last()
        .unwrap_or(&facts.instructions[0]);
    let line = rewriter.instruction(InstructionKind::Run, prune);
    rewriter.insert_after(last_run, &[line]);
}

/// The runtime stage: its system packages, working directory, copies from `builder` and PATH,
/// then the instructions that configure the running container.
fn runtime_stage(facts: &Facts, parts: &RuntimeStage, builder: &str, style: &Style) -> String {
    let RuntimeStage {
        runtime,
        workdir,
        copies,
        context,
        install,
        path,
        exec_forms,
        dropped_env,
        removal: _,
        dependencies,
        production_env,
        note: _,
        same_image: _,
        virtualenv,
    } = parts;
    let keyword = |kind| style.keyword(kind);
    let mut body = Vec::new();
    // System packages first, as the build stage installed them before setting up the
    // application (an `ENV LD_PRELOAD` of a library the install brings must follow it);
    // the copies use literal paths, so no variable of the stage is needed before them.
    if let Some(install) = install {
        body.push(format!("{} {install}", keyword(InstructionKind::Run)));
    }
    if let Some(workdir) = workdir {
        body.push(format!("{} {workdir}", keyword(InstructionKind::Workdir)));
    }
    for path in copies.iter() {
        body.push(format!(
            "{} --from={builder} {}",
            keyword(InstructionKind::Copy),
            copy_arguments(std::slice::from_ref(path), path)
        ));
    }
    if let Some(Dependencies::Stage(stage)) = dependencies {
        body.push(format!(
            "{} --from={} {}",
            keyword(InstructionKind::Copy),
            stage.name,
            copy_arguments(std::slice::from_ref(&stage.folder), &stage.folder)
        ));
    }
    for copy in context.iter() {
        let chown = match &copy.chown {
            Some(owner) => format!(" --chown={owner}"),
            None => String::new(),
        };
        body.push(format!(
            "{} --from={builder}{chown} {}",
            keyword(InstructionKind::Copy),
            copy_arguments(std::slice::from_ref(&copy.path), &copy.path)
        ));
    }
    if !path.is_empty() {
        body.push(format!(
            "{} PATH={}:$PATH",
            keyword(InstructionKind::Env),
            path.join(":")
        ));
    }
    if let Some(Ok(virtualenv)) = virtualenv {
        body.push(format!(
            "{} {}",
            keyword(InstructionKind::Env),
            virtualenv.env.join(" ")
        ));
    }
    if !production_env.set.is_empty() {
        let settings: Vec<String> = production_env
            .set
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        body.push(format!(
            "{} {}",
            keyword(InstructionKind::Env),
            settings.join(" ")
        ));
    }
    let carried = Carried {
        kinds: RUNTIME_CONFIG,
        with_environment: true,
        exec_forms,
        dropped_env,
    };
    stage_text(facts, &runtime.reference, &body, &carried, style)
}

/// A new final stage: `FROM reference`, `body`, then the stage's ARG, ENV
/// (`with_environment`, without the build-only variables) and `carried` instructions in their
/// original order, so each sees the variables it saw before (`EXPOSE $PORT`; a global ARG only
/// where the stage declared it); those in `exec_forms` as written there.
fn stage_text(
    facts: &Facts,
    reference: &str,
    body: &[String],
    carried: &Carried,
    style: &Style,
) -> String {
    let keyword = |kind| style.keyword(kind);
    let newline = style.newline;
    let mut text = String::new();
    text.push_str(newline);
    if let Some(comment) = pins::pin_comment(facts, reference) {
        text.push_str(&format!("{comment}{newline}"));
    }
    // The runtime stage is for the platform the build stage names, as the image was.
    let platform = match facts.instructions[0].flag("platform") {
        Some(Flag {
            value: Some(value), ..
        }) => format!("--platform={value} "),
        _ => String::new(),
    };
    // The runtime stage is the image: it takes the name the stage had.
    let name = match facts.instructions[0].from_args().and_then(|args| args.name) {
        Some(name) => format!(" {} {}", as_word(style), name.value),
        None => String::new(),
    };
    text.push_str(&format!(
        "{} {platform}{reference}{name}{newline}",
        keyword(InstructionKind::From)
    ));
    for line in body {
        text.push_str(&format!("{line}{newline}"));
    }
    for (index, instruction) in facts.instructions.iter().enumerate().filter(|(_, i)| {
        i.kind().is_some_and(|k| {
            k == InstructionKind::Arg
                || (k == InstructionKind::Env && carried.with_environment)
                || carried.kinds.contains(&k)
        })
    }) {
        let exec_form = carried.exec_forms.iter().find(|exec| exec.index == index);
        let rewritten = match (exec_form, instruction.kind()) {
            (Some(exec), _) => Some(Some(exec.text.clone())),
            (None, Some(InstructionKind::Env)) => {
                build_env::without(facts, instruction, carried.dropped_env)
            }
            _ => Some(None),
        };
        match rewritten {
            None => {}
            Some(Some(line)) => text.push_str(&format!("{line}{newline}")),
            Some(None) => text.push_str(&verbatim(instruction, newline)),
        }
    }
    if !facts.file.text().ends_with('\n') {
        text.truncate(text.len() - newline.len());
    }
    text
}

/// An instruction's own text (indentation, continuations and heredocs included), ending in a
/// newline.
fn verbatim(instruction: &Instruction, newline: &str) -> String {
    let mut text = instruction.source().to_owned();
    if !text.ends_with('\n') {
        text.push_str(newline);
    }
    text
}

/// The stage installing the production dependencies: `FROM` the build stage's image, its
/// setup instructions as written, then its install with the production option.
fn dependency_stage_text(facts: &Facts, stage: &DependencyStage, style: &Style) -> String {
    let keyword = |kind| style.keyword(kind);
    let newline = style.newline;
    let platform = match facts.instructions[0].flag("platform") {
        Some(Flag {
            value: Some(value), ..
        }) => format!("--platform={value} "),
        _ => String::new(),
    };
    let image = facts.instructions[0]
        .from_args()
        .map_or_else(|| facts.stage.base.raw.clone(), |args| args.image.value.raw);
    let mut text = format!(
        "{newline}{} {platform}{image} {} {}{newline}",
        keyword(InstructionKind::From),
        as_word(style),
        stage.name
    );
    for &index in &stage.setup {
        text.push_str(&verbatim(&facts.instructions[index], newline));
    }
    text.push_str(&format!(
        "{} {}{}{newline}",
        keyword(InstructionKind::Run),
        stage.flags,
        stage.install
    ));
    text
}
