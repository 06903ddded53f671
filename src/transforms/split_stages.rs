#![doc = include_str!("../../transforms/docs/split-stages.md")]
//!
//! ## How it is built
//!
//! `facts` gathers what the final stage builds, installs and launches, once; `layout`
//! chooses the ecosystem profile and what the runtime stage receives (an application folder
//! or the build's artifacts; `static_site` a folder served by nginx); `checks` holds the
//! reasons the runtime image could not stand in; `render` writes the edits. Every reason to
//! leave the stage as it is is a [`Decline`].

use super::{
    platform, Applicability, Changes, Context, Finding, Fix, IntendedChange, Metadata, Transform,
};
use crate::context::BuildContext;
use crate::knowledge::{Distro, RuntimeHints, RuntimeImage, Shape};
use crate::model::paths::is_within;
use crate::model::{Dockerfile, ImageRef};
use facts::Facts;
use production::Dependencies;
use render::{Plan, RuntimeStage};

mod build_env;
mod build_files;
mod checks;
mod context_files;
mod decline;
mod environments;
mod facts;
mod image_tools;
mod launch;
mod layout;
mod packages;
mod pins;
mod production;
mod render;
mod shell_form;
mod static_site;
mod system_changes;
mod virtualenv;

pub use decline::{Decline, Installs, NoVirtualenv, SiteDecline};

/// The `split-stages` transform.
pub struct SplitStages;

impl Transform for SplitStages {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "split-stages",
            summary:
                "A build on a full toolchain image becomes a build stage plus a slim runtime stage",
            documentation: include_str!("../../transforms/docs/split-stages.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Unsafe,
            changes: Changes::Dockerfile,
            intended_changes: &[
                IntendedChange::BaseImage,
                IntendedChange::BuildFiles,
                IntendedChange::ProductionSettings,
                IntendedChange::Virtualenv,
            ],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        let Some(outcome) = evaluate(file, context) else {
            return;
        };
        let Some(stage) = file.final_stage() else {
            return;
        };
        let finding = |message: String, fix: Option<Fix>| Finding {
            transform: self.id(),
            message,
            range: file.instructions()[stage.from].range(),
            fix,
        };
        out.push(match outcome {
            Ok(plan) => finding(plan.message, Some(Fix::unsafe_edits(plan.edits).isolated())),
            Err(decline) => finding(decline.finding_message(&stage.base.raw), None),
        });
    }
}

/// Why split-stages leaves the file's final stage as it is, when it reports that it does: the
/// reason behind each of its findings without a fix.
pub fn decline(file: &Dockerfile, context: &Context) -> Option<Decline> {
    evaluate(file, context)?.err()
}

/// Whether the split of the file's final stage installs into a virtualenv it creates (`Ok`),
/// or why it keeps the profile's install folder; `None` when the stage is not split or its
/// ecosystem has no virtualenv layout.
pub fn virtualenv(file: &Dockerfile, context: &Context) -> Option<Result<(), NoVirtualenv>> {
    evaluate(file, context)?.ok()?.virtualenv
}

/// The split of the file's final stage, or why it is declined; `None` when there is nothing
/// to report (no toolchain image with a runtime layout, a stage built on another, a runtime
/// image no slimmer than the stage's).
fn evaluate(file: &Dockerfile, context: &Context) -> Option<Result<Plan, Decline>> {
    let stage = file.final_stage()?;
    let instructions = file.stage_instructions(stage);
    let copies_from_stage = instructions
        .iter()
        .any(|i| image_tools::copies_from_stage(file, i));
    if stage.base_stage.is_some() || copies_from_stage {
        return None;
    }
    let knowledge = context.knowledge();
    if !knowledge
        .profiles_for_image(&stage.base)
        .iter()
        .any(|p| p.runtime.is_some())
    {
        return None;
    }
    if let Some(reason) = platform::windows_reason(file, stage, knowledge) {
        return Some(Err(Decline::Windows { reason }));
    }
    let without_files = BuildContext::without_files();
    let build_context = context.build_context_files().unwrap_or(&without_files);
    let (profile, layout, detected) = layout::choose_profile(knowledge, stage, build_context)?;
    // Copies from images are followed only where the profile knows the tools they bring.
    let copies_from_image = instructions.iter().any(|i| i.flag("from").is_some());
    if copies_from_image && layout.same_image.is_none() {
        return None;
    }
    let facts = Facts {
        file,
        stage,
        instructions,
        knowledge,
        profile,
        layout,
        detected,
        context: build_context,
        virtualenv: None,
    };
    match plan(&facts) {
        // Only a web server image would have been slimmer: that reason stays.
        Err(Decline::StaticSite(reason)) => Some(Err(Decline::StaticSite(reason))),
        Err(_) if is_own_runtime(&facts) => None,
        result => result.transpose(),
    }
}

/// The split: onto a web server image when the command only serves static files and that can
/// be done, else onto the ecosystem's runtime image.
fn plan(facts: &Facts) -> Result<Option<Plan>, Decline> {
    let command = match facts.command() {
        // On the builder's own image, the image's own command runs (php-fpm).
        Err(Decline::NoCommand) if facts.layout.same_image.is_some() => Vec::new(),
        command => command?,
    };
    let workdir = facts.workdir()?;
    // A command that only serves a built folder of static files gets a web server image;
    // when that cannot be done, the runtime image keeps running the command.
    let static_site = match static_site::plan(facts, &command, workdir.as_deref()) {
        Ok(Some(plan)) => return Ok(Some(plan)),
        Ok(None) => None,
        Err(reason) => Some(reason),
    };
    match (runtime_plan(facts, &command, workdir)?, static_site) {
        (Some(mut plan), Some(reason)) => {
            plan.message
                .push_str(&format!(" (not served by a web server image: {reason})"));
            Ok(Some(plan))
        }
        // The runtime image is the stage's own (`node:20-alpine`): only the web server
        // image would have been slimmer.
        (None, Some(reason)) => Err(Decline::StaticSite(reason)),
        (plan, None) => Ok(plan),
    }
}

/// What the stage tells about the runtime image it needs.
fn runtime_hints(facts: &Facts) -> RuntimeHints {
    RuntimeHints {
        static_binary: facts.sets_value("CGO_ENABLED", "0"),
        flavour: facts
            .profile
            .runtime_flavour(facts.context, &facts.run_texts()),
    }
}

/// The stage's image is already the runtime image of its ecosystem (`python:3.12-slim`): a split
/// would gain nothing, so a reason not to split is not worth a finding (a builder's own image
/// without what the build added, PHP's layout, is another matter).
fn is_own_runtime(facts: &Facts) -> bool {
    let base = &facts.stage.base;
    facts.layout.same_image.is_none()
        && facts
            .knowledge
            .runtime_for(base, &runtime_hints(facts))
            .is_some_and(|runtime| {
                let reference = ImageRef::parse(&runtime.reference);
                facts.knowledge.same_image(&reference, base)
            })
}

/// The runtime image of the builder image's ecosystem, receiving the artifacts the command
/// needs.
fn runtime_plan(
    facts: &Facts,
    command: &[String],
    workdir: Option<String>,
) -> Result<Option<Plan>, Decline> {
    // Installs go into a virtualenv the build stage creates, where the install allows it.
    let chosen = virtualenv::choose(facts, workdir.as_deref().filter(|w| *w != "/"));
    let with_virtualenv;
    let facts = match &chosen {
        Some(Ok(virtualenv)) => {
            with_virtualenv = Facts {
                virtualenv: Some(virtualenv),
                ..*facts
            };
            &with_virtualenv
        }
        _ => facts,
    };
    let hints = runtime_hints(facts);
    let runtime = facts
        .knowledge
        .runtime_for(&facts.stage.base, &hints)
        .ok_or_else(|| Decline::NoRuntimeImage {
            base: facts.stage.base.raw.clone(),
        })?;
    let shell_form::ShellFit {
        runtime,
        hints,
        exec_forms,
        note,
    } = shell_form::fit(facts, runtime, hints)?;
    // The same image (a slim or Alpine builder, also pinned by digest): nothing to gain,
    // unless the profile's runtime stage is the builder's own image without what the build
    // added (PHP), which keeps the builder's reference as written (its digest too).
    let same_image = facts
        .knowledge
        .same_image(&ImageRef::parse(&runtime.reference), &facts.stage.base);
    let runtime = match (same_image, &facts.layout.same_image) {
        (true, None) => return Ok(None),
        (true, Some(_)) => RuntimeImage {
            reference: facts.stage.base.raw.clone(),
            ..runtime
        },
        (false, _) => runtime,
    };
    checks::check_runtime_fit(facts, &runtime)?;
    if let Some(hook) = facts.profile.runtime_hooks_present(facts.context).first() {
        return Err(Decline::RuntimeHook {
            reason: hook.clone(),
        });
    }
    let packages = packages::runtime_packages(facts, &runtime, &hints);
    checks::check_release_live(facts, &runtime, packages.as_deref())?;
    let packages = packages?;
    let install = packages::install_command(&runtime, &packages)?;
    let has_userland = matches!(runtime.distro, Distro::Debian | Distro::Alpine);
    let workdir = workdir.as_deref();
    // On the builder's own image, what the RUNs changed must reach the runtime stage.
    if let (Some(same), Some(app)) = (&facts.layout.same_image, workdir.filter(|w| *w != "/")) {
        system_changes::check(facts, same, app)?;
    }
    let mut copies = match facts.layout.shape {
        Shape::AppFolder => layout::app_folder_copies(facts, workdir, command, has_userland)?,
        Shape::Artifact => layout::artifact_copies(facts, workdir, command, has_userland)?,
    };
    let context = context_files::context_copies(facts, &copies, &runtime)?;
    // A file the command names inside a folder copied whole is copied with it.
    copies.retain(|copy| !context.iter().any(|unit| is_within(&unit.path, copy)));
    let path = facts.builder_path_folders(&copies);
    let dropped_env = build_env::dropped(facts, command);
    let (dependencies, removal) = match (facts.layout.shape, workdir) {
        (Shape::AppFolder, Some(app)) => production_plan(facts, command, app),
        _ => (None, None),
    };
    let parts = RuntimeStage {
        runtime: &runtime,
        workdir: workdir.filter(|w| *w != "/"),
        copies: &copies,
        context: &context,
        install: install.as_deref(),
        path: &path,
        exec_forms: &exec_forms,
        dropped_env: &dropped_env,
        removal: removal.as_ref(),
        dependencies: dependencies.as_ref(),
        production_env: &production::environment(facts, dependencies.as_ref()),
        note: &note,
        same_image,
        virtualenv: chosen.as_ref().map(|chosen| chosen.as_ref().copied()),
    };
    Ok(Some(render::runtime_plan(facts, &parts, &packages)))
}

/// Where the production dependencies of the application folder `app` come from, and what the
/// build stage removes from it: its build files, and its dependency folder when a stage of
/// their own installs the runtime's (a prune instead when that removal cannot run as root).
fn production_plan<'a>(
    facts: &Facts<'a, '_>,
    command: &[String],
    app: &str,
) -> (Option<Dependencies<'a>>, Option<build_files::Removal>) {
    let Some(prune) = layout::prune(facts, command) else {
        return (None, build_files::removal(facts, app, command, None));
    };
    let dependencies = production::dependencies(facts, prune, app);
    let Dependencies::Stage(stage) = &dependencies else {
        return (
            Some(dependencies),
            build_files::removal(facts, app, command, None),
        );
    };
    match build_files::removal(facts, app, command, Some(&stage.relative)) {
        Some(removal) => (Some(dependencies), Some(removal)),
        None => (
            Some(Dependencies::Prune {
                command: prune,
                why: Some(format!(
                    "the build stage ends as a user that may not remove its {}",
                    stage.relative
                )),
            }),
            build_files::removal(facts, app, command, None),
        ),
    }
}
