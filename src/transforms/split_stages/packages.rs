//! The system packages of the runtime stage: what the build stage's package commands leave
//! installed, mapped to what the program needs at run time (`libpq-dev` → `libpq5`), plus the
//! libraries its dependencies load, and the install command with the distro's hygiene.

use super::facts::Facts;
use super::Decline;
use crate::knowledge::{Distro, ImageRelease, RuntimeHints, RuntimeImage};
use crate::model::packages::{self, PackageChange};
use crate::model::ImageRef;
use crate::model::Instruction;
use crate::syntax::InstructionKind;

/// The system packages the runtime stage must install: what the runtime image rule lists
/// (CA certificates), the tools the `HEALTHCHECK` calls, the build's own runtime packages,
/// and the libraries behind the `-dev` packages it compiled against. Build tools stay behind.
pub(super) fn runtime_packages(
    facts: &Facts,
    runtime: &RuntimeImage,
    hints: &RuntimeHints,
) -> Result<Vec<String>, Decline> {
    let mut needed = runtime.packages.clone();
    needed.extend(facts.healthcheck_tools().into_iter().map(str::to_owned));
    let added_repository = facts
        .of_kind(InstructionKind::Run)
        .any(|run| adds_repository(facts, run));
    for installed in installed_packages(facts)? {
        if runtime.packages.contains(&installed.name) {
            continue;
        }
        if installed.other_repository || added_repository {
            return Err(Decline::OtherRepository {
                package: installed.name,
            });
        }
        for package in runtime_package(facts, &installed.name, runtime, hints)? {
            if !needed.contains(&package) {
                needed.push(package);
            }
        }
    }
    for package in native_packages(facts, runtime, hints)? {
        if !needed.contains(&package) {
            needed.push(package);
        }
    }
    Ok(needed)
}

/// The system packages the stage's RUNs leave installed, in order: each install adds its
/// packages, each removal (`apt-get purge`, `apk del`, also of an `apk --virtual` group)
/// takes them away again.
fn installed_packages(facts: &Facts) -> Result<Vec<Installed>, Decline> {
    let mut installed: Vec<Installed> = Vec::new();
    for run in facts.of_kind(InstructionKind::Run) {
        let Some(script) = run.script() else { continue };
        for command in &script.lexed.commands {
            let Some(packages) = PackageChange::read(command)
                .map_err(|reason| Decline::PackageCommand { reason })?
            else {
                continue;
            };
            if packages.removes {
                installed.retain(|entry| {
                    !packages
                        .names
                        .iter()
                        .any(|name| *name == entry.name || Some(name) == entry.group.as_ref())
                });
                continue;
            }
            for name in packages.names {
                // A package installed on its own stays when a group installs it again
                // (apk keeps it in its world file).
                if installed
                    .iter()
                    .any(|e| e.name == name && e.group.is_none())
                {
                    continue;
                }
                installed.retain(|entry| entry.name != name);
                installed.push(Installed {
                    name,
                    group: packages.group.clone(),
                    other_repository: packages.other_repository,
                });
            }
        }
    }
    Ok(installed)
}

/// The release whose package names the runtime stage uses: the runtime image's, unless
/// it may be newer than the builder's (`newer_release`: then only names that are the same
/// in every release can be chosen).
pub(super) fn package_release(facts: &Facts, runtime: &RuntimeImage) -> Option<ImageRelease> {
    let release = facts
        .knowledge
        .image_release(&ImageRef::parse(&runtime.reference), runtime.distro)?;
    Some(if runtime.newer_release {
        ImageRelease {
            name: None,
            ..release
        }
    } else {
        release
    })
}

/// The libraries the project's dependencies compiled against on the full Debian build
/// image (whose `-dev` packages the slim runtime lacks): `psycopg2` needs `libpq5`.
pub(super) fn native_packages(
    facts: &Facts,
    runtime: &RuntimeImage,
    hints: &RuntimeHints,
) -> Result<Vec<String>, Decline> {
    if runtime.distro != Distro::Debian || hints.static_binary {
        return Ok(Vec::new());
    }
    let needs =
        facts
            .profile
            .native_needs(facts.context)
            .map_err(|error| Decline::DependencyFiles {
                error: error.to_string(),
            })?;
    let release = package_release(facts, runtime);
    let mut packages = Vec::new();
    for need in needs {
        packages.extend(
            need.packages(release.as_ref())
                .map_err(|reason| Decline::LibraryForRelease { reason })?,
        );
    }
    Ok(packages)
}

/// What the runtime needs for a package the build installed: the package itself unless it
/// only serves builds; for a `-dev` package, the library it builds against (for the
/// runtime's Debian release when the name depends on it).
pub(super) fn runtime_package(
    facts: &Facts,
    written: &str,
    runtime: &RuntimeImage,
    hints: &RuntimeHints,
) -> Result<Vec<String>, Decline> {
    let name = written.split(['=', '>', '<']).next().unwrap_or(written);
    let headers = name.ends_with("-dev") || name.ends_with("-devel");
    if !headers {
        let tool = facts
            .knowledge
            .is_build_only_package(name, Some(facts.profile));
        if !tool && runtime.newer_release {
            return Err(Decline::UnknownRelease {
                package: name.to_owned(),
                runtime: runtime.reference.clone(),
                base: facts.stage.base.raw.clone(),
            });
        }
        return Ok(if tool {
            Vec::new()
        } else {
            vec![written.to_owned()]
        });
    }
    if hints.static_binary {
        return Ok(Vec::new());
    }
    match facts.knowledge.runtime_package_for(name) {
        Some(libraries) => libraries
            .for_release(name, package_release(facts, runtime).as_ref())
            .map_err(|reason| Decline::LibraryForRelease { reason }),
        None => Err(Decline::UnknownLibrary {
            package: name.to_owned(),
        }),
    }
}

/// A package the build stage installed: its name as written, the `apk --virtual` group it
/// belongs to, and whether it came from another repository (`apk add -X URL`, `apt-get -t`).
struct Installed {
    name: String,
    group: Option<String>,
    other_repository: bool,
}

/// The command that installs the runtime's system packages, with the distro's hygiene.
pub(super) fn install_command(
    runtime: &RuntimeImage,
    packages: &[String],
) -> Result<Option<String>, Decline> {
    if packages.is_empty() {
        return Ok(None);
    }
    let list = packages.join(" ");
    match runtime.distro {
        Distro::Debian => Ok(Some(format!(
            "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {list} && rm -rf /var/lib/apt/lists/*"
        ))),
        Distro::Alpine => Ok(Some(format!("apk add --no-cache {list}"))),
        _ => Err(Decline::NoPackageManager {
            packages: packages.to_vec(),
            runtime: runtime.reference.clone(),
        }),
    }
}

/// Whether a RUN adds a package repository; one whose script cannot be read is judged by its
/// text.
fn adds_repository(facts: &Facts, run: &Instruction) -> bool {
    match facts.file.script(run) {
        Some(script) if !script.lexed.incomplete && run.heredoc_count() == 0 => script
            .lexed
            .commands
            .iter()
            .any(|command| packages::adds_repository(command, script.text)),
        _ => {
            let text = run.source();
            packages::package_managers()
                .repository_markers
                .iter()
                .any(|marker| text.contains(marker.as_str()))
        }
    }
}
