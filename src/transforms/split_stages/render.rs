//! The text of the split: ` AS builder` on the build stage, the prune command, and the new
//! final stage (its `FROM`, copies, installs and the instructions carried over), in the
//! file's own style.

use super::context_files::ContextCopy;
use super::facts::Facts;
use super::pins;
use super::static_site::{nginx_config, StaticSite, SITE_CONFIG, SITE_ROOT};
use crate::diagnostics::Rewriter;
use crate::knowledge::RuntimeImage;
use crate::model::paths::copy_arguments;
use crate::model::{Flag, Instruction};
use crate::style::Style;
use crate::syntax::InstructionKind;
use crate::transforms::Edit;

/// Instructions of the build stage that configure the running container, copied in order.
const RUNTIME_CONFIG: &[InstructionKind] = &[
    InstructionKind::Label,
    InstructionKind::Expose,
    InstructionKind::Volume,
    InstructionKind::Healthcheck,
    InstructionKind::Stopsignal,
    InstructionKind::User,
    InstructionKind::Entrypoint,
    InstructionKind::Cmd,
];

/// A split: the message of its finding and its edits.
pub(super) struct Plan {
    pub message: String,
    pub edits: Vec<Edit>,
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
}

/// The split onto a runtime image: the build stage named, the prune after its last RUN, and
/// the runtime stage appended, with the message that says what the runtime stage receives.
pub(super) fn runtime_plan(
    facts: &Facts,
    parts: &RuntimeStage,
    packages: &[String],
    prune: Option<&str>,
) -> Plan {
    let mut rewriter = Rewriter::new(facts.file);
    let builder = facts.builder_name();
    name_builder(facts, &builder, &mut rewriter);
    if let Some(prune) = prune {
        add_prune(facts, prune, &mut rewriter);
    }
    let runtime_stage = runtime_stage(facts, parts, &builder, rewriter.style());
    // The prune may land at the very end too (a last RUN after CMD): the rewriter joins the
    // two insertions, in order.
    rewriter.append_stage(&runtime_stage);
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
    let reference = &parts.runtime.reference;
    let message = format!(
        "{} ships its whole toolchain: build there and run on {reference}, which receives only {}{}{installs}; review what the application reads at run time",
        facts.stage.base.raw,
        received.join(", "),
        if prune.is_some() { " (development dependencies pruned)" } else { "" },
    ) + &pins::pin_note(facts, reference);
    Plan { message, edits }
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
        .any(|label| label.logical_text().contains('$'));
    let stage = stage_text(
        facts,
        &web.reference,
        &body,
        &[InstructionKind::Label],
        labels_use_variables,
        style,
    );
    rewriter.append_stage(&stage);
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
    Plan { message, edits }
}

/// ` AS builder` after the stage's `FROM`, unless the stage has a name already.
fn name_builder(facts: &Facts, builder: &str, rewriter: &mut Rewriter) {
    if facts.stage.name.is_some() {
        return;
    }
    let as_word = if rewriter.style().uppercase_keywords {
        "AS"
    } else {
        "as"
    };
    let at = facts.instructions[0].content_end();
    rewriter.insert(at, format!(" {as_word} {builder}"));
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
    stage_text(
        facts,
        &runtime.reference,
        &body,
        RUNTIME_CONFIG,
        true,
        style,
    )
}

/// A new final stage: `FROM reference`, `body`, then the stage's ARG, ENV
/// (`with_environment`) and `carried` instructions in their original order, so each sees the
/// variables it saw before (`EXPOSE $PORT`; a global ARG only where the stage declared it).
fn stage_text(
    facts: &Facts,
    reference: &str,
    body: &[String],
    carried: &[InstructionKind],
    with_environment: bool,
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
    text.push_str(&format!(
        "{} {platform}{reference}{newline}",
        keyword(InstructionKind::From)
    ));
    for line in body {
        text.push_str(&format!("{line}{newline}"));
    }
    for instruction in facts.instructions.iter().filter(|i| {
        i.kind().is_some_and(|k| {
            k == InstructionKind::Arg
                || (k == InstructionKind::Env && with_environment)
                || carried.contains(&k)
        })
    }) {
        text.push_str(&verbatim(instruction, newline));
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
