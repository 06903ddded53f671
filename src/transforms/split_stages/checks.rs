//! Every reason the runtime stage could not stand in for the build stage, checked before
//! anything is written: what the runtime image lacks (a shell, a download tool, an account),
//! the programs the `HEALTHCHECK` runs, an archived release to install packages from, and what
//! a web server image cannot carry over.

use super::facts::Facts;
use super::layout::is_system_program;
use super::static_site::StaticSite;
use super::{Decline, Installs, SiteDecline};
use crate::knowledge::runtime_stage::RuntimeStage;
use crate::knowledge::{image_name, AccountKind, Distro, RuntimeImage};
use crate::model::packages::is_assignment;
use crate::model::paths::{is_within, resolve};
use crate::model::{ImageRef, Instruction};
use crate::syntax::InstructionKind;

/// What the runtime image cannot offer that the stage relies on.
pub(super) fn check_runtime_fit(facts: &Facts, runtime: &RuntimeImage) -> Result<(), Decline> {
    if facts.of_kind(InstructionKind::Shell).next().is_some()
        || facts.of_kind(InstructionKind::Onbuild).next().is_some()
    {
        return Err(Decline::ShellOrOnbuild);
    }
    let installs = matches!(runtime.distro, Distro::Debian | Distro::Alpine);
    if let Some(tool) = facts.healthcheck_tools().first().filter(|_| !installs) {
        return Err(Decline::HealthcheckTool {
            tool,
            runtime: runtime.reference.clone(),
        });
    }
    for user in facts.of_kind(InstructionKind::User) {
        check_user(facts, user, runtime)?;
    }
    Ok(())
}

/// The runtime image has the user and group a `USER` names: numeric ids, `root`, the
/// runtime's own user, or accounts its base ships (`transforms/base-users.toml`). The
/// runtime stage is on another base than the build stage, so an account the build stage
/// has (its own `useradd`, or its base image's) may be missing there.
pub(super) fn check_user(
    facts: &Facts,
    user: &Instruction,
    runtime: &RuntimeImage,
) -> Result<(), Decline> {
    let value = user.string_arg().map(|w| w.value).unwrap_or_default();
    if value.contains('$') {
        return Err(Decline::UserVariable {
            user: value,
            runtime: runtime.reference.clone(),
        });
    }
    let (name, group) = match value.split_once(':') {
        Some((name, group)) => (name, Some(group)),
        None => (value.as_str(), None),
    };
    let image = ImageRef::parse(&runtime.reference);
    let accounts = [(AccountKind::User, name)]
        .into_iter()
        .chain(group.map(|group| (AccountKind::Group, group)));
    for (kind, account) in accounts {
        if has_account(facts, runtime, &image, kind, account) {
            continue;
        }
        let (user, account, runtime) =
            (value.clone(), account.to_owned(), runtime.reference.clone());
        return Err(if creates_account(facts, kind, &account) {
            Decline::AccountCreatedInBuild {
                user,
                kind,
                account,
                runtime,
            }
        } else {
            Decline::AccountUnknown {
                user,
                kind,
                account,
                runtime,
            }
        });
    }
    Ok(())
}

/// Whether the runtime image has the account: a numeric id, `root`, its own user (which
/// comes with a group of the same name) or one its base ships.
pub(super) fn has_account(
    facts: &Facts,
    runtime: &RuntimeImage,
    image: &ImageRef,
    kind: AccountKind,
    account: &str,
) -> bool {
    account.chars().all(|c| c.is_ascii_digit())
        || account == "root"
        || runtime.user.as_deref() == Some(account)
        || facts
            .knowledge
            .image_has_account(image, runtime.distro, kind, account)
}

/// A `RUN` of the stage runs a program that creates the account (`useradd -r app`).
pub(super) fn creates_account(facts: &Facts, kind: AccountKind, account: &str) -> bool {
    facts
        .of_kind(InstructionKind::Run)
        .filter_map(|run| run.script())
        .any(|script| {
            script.lexed.commands.iter().any(|command| {
                let mut words = command.words.iter().skip_while(|w| is_assignment(&w.value));
                words
                    .next()
                    .is_some_and(|program| facts.knowledge.creates_accounts(kind, &program.value))
                    && words.any(|word| word.value == account)
            })
        })
}

/// The programs the `HEALTHCHECK` runs exist in the runtime stage: a copied path, the
/// download tool installed for it, a runtime or base-system program, or a shell builtin.
pub(super) fn check_healthcheck(
    facts: &Facts,
    cwd: &str,
    copies: &[String],
    has_userland: bool,
) -> Result<(), Decline> {
    for program in facts.healthcheck_programs() {
        let copied = |path: &str| copies.iter().any(|copy| is_within(copy, path));
        let name = program.rsplit('/').next().unwrap_or(&program);
        let available = if !program.contains('/') {
            bare_program_available(facts, name, copies, has_userland)
        } else if is_system_program(&program) {
            // Only that path: the download tool the runtime stage installs, or a copy.
            copied(&program)
                || (RuntimeStage::builtin().is_download_tool(name)
                    && program.starts_with("/usr/bin/")
                    && has_userland)
        } else {
            copied(&resolve(cwd, &program))
        };
        if !available {
            return Err(Decline::HealthcheckProgramMissing { program });
        }
    }
    Ok(())
}

/// A program found on PATH in the runtime stage: copied into a PATH folder, the runtime's
/// own, or a base-system program or download tool where the runtime has a userland.
pub(super) fn bare_program_available(
    facts: &Facts,
    name: &str,
    copies: &[String],
    has_userland: bool,
) -> bool {
    let copied = |path: &str| copies.iter().any(|copy| is_within(copy, path));
    let data = RuntimeStage::builtin();
    let base_system = data.is_download_tool(name)
        || data.is_base_program(name)
        || facts.knowledge.is_shell_program(name);
    facts
        .search_path()
        .iter()
        .any(|dir| copied(&format!("{dir}/{name}")))
        || data.is_runtime_program(name)
        || (base_system && has_userland)
}

/// What the web server stage cannot carry over or check: an image other than
/// nginx-unprivileged (whose configuration is written), an unknown build context or a
/// serve configuration file in it (headers, rewrites), http-server's basic auth,
/// SHELL/ONBUILD, a VOLUME or a HEALTHCHECK.
pub(super) fn check_static_site(
    facts: &Facts,
    web: &RuntimeImage,
    site: &StaticSite,
) -> Result<(), SiteDecline> {
    if !image_name(&ImageRef::parse(&web.reference)).ends_with("nginx-unprivileged") {
        return Err(SiteDecline::NotNginxUnprivileged {
            image: web.reference.clone(),
        });
    }
    if !facts.context.has_files() {
        return Err(SiteDecline::UnknownContext {
            server: site.server,
        });
    }
    // serve reads rewrites, headers and redirects from serve.json or now.json in the served
    // folder, where front-end builds copy them from anywhere in the sources.
    let configs = ["serve.json", "now.json"];
    let in_context = facts
        .context
        .find_files(|name| configs.contains(&name), 20_000)
        .ok_or(SiteDecline::TooManyFiles)?;
    let in_runs = facts
        .of_kind(InstructionKind::Run)
        .flat_map(|run| facts.file.run_words(run))
        .any(|word| configs.iter().any(|config| word.contains(config)));
    if site.server == "serve" && (!in_context.is_empty() || in_runs) {
        let named = in_context.first().map_or("serve.json", String::as_str);
        return Err(SiteDecline::ServeConfiguration {
            file: named.to_owned(),
        });
    }
    let auth = ["NODE_HTTP_SERVER_USERNAME", "NODE_HTTP_SERVER_PASSWORD"];
    if site.server == "http-server" && auth.iter().any(|name| facts.sets_variable(name)) {
        return Err(SiteDecline::Password);
    }
    for kind in [
        InstructionKind::Shell,
        InstructionKind::Onbuild,
        InstructionKind::Volume,
        InstructionKind::Healthcheck,
    ] {
        if let Some(instruction) = facts.of_kind(kind).next() {
            return Err(SiteDecline::NotCarried {
                keyword: instruction.keyword().value.to_ascii_uppercase(),
                line: instruction.start_line(),
            });
        }
    }
    Ok(())
}

/// A runtime stage that installs packages (`packages`; an error: some whose names are not
/// known, and why) needs its release's package repositories: on an archived release (Debian 9,
/// an Ubuntu interim release past its end of life) `apt-get update` fails.
pub(super) fn check_release_live(
    facts: &Facts,
    runtime: &RuntimeImage,
    packages: Result<&[String], &Decline>,
) -> Result<(), Decline> {
    if packages.is_ok_and(<[String]>::is_empty) {
        return Ok(());
    }
    let Some(release) = facts
        .knowledge
        .image_release(&ImageRef::parse(&runtime.reference), runtime.distro)
        .filter(|release| release.archived)
    else {
        return Ok(());
    };
    let installs = match packages {
        Ok(packages) => Installs::Packages(packages.to_vec()),
        Err(reason) => Installs::Unknown(Box::new(reason.clone())),
    };
    Err(Decline::ArchivedRelease {
        installs,
        runtime: runtime.reference.clone(),
        release: release.describe(facts.knowledge),
        archive: facts
            .knowledge
            .release_archive(&release.family)
            .map(str::to_owned),
    })
}

/// The user and group a `COPY --chown` names exist in the runtime image, so the runtime
/// stage's copy can give its files the same owner.
pub(super) fn check_owner(
    facts: &Facts,
    chown: &str,
    runtime: &RuntimeImage,
) -> Result<(), Decline> {
    if chown.contains('$') {
        return Err(Decline::OwnerVariable {
            owner: chown.to_owned(),
            runtime: runtime.reference.clone(),
        });
    }
    let (user, group) = match chown.split_once(':') {
        Some((user, group)) => (user, Some(group)),
        None => (chown, None),
    };
    let image = ImageRef::parse(&runtime.reference);
    let accounts = [(AccountKind::User, user)]
        .into_iter()
        .chain(group.map(|group| (AccountKind::Group, group)));
    for (kind, account) in accounts {
        if !has_account(facts, runtime, &image, kind, account) {
            return Err(Decline::OwnerUnknown {
                owner: chown.to_owned(),
                account: account.to_owned(),
                runtime: runtime.reference.clone(),
            });
        }
    }
    Ok(())
}
