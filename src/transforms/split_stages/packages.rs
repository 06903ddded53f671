//! The system packages of the runtime stage: what the build stage's package commands leave
//! installed, mapped to what the program needs at run time (`libpq-dev` → `libpq5`), plus the
//! libraries its dependencies load, and the install command with the distro's hygiene.

use super::Split;
use crate::knowledge::{Distro, ImageRelease, RuntimeHints, RuntimeImage};
use crate::model::packages::PackageChange;
use crate::model::ImageRef;
use crate::syntax::InstructionKind;

impl Split<'_, '_> {
    /// The system packages the runtime stage must install: what the runtime image rule lists
    /// (CA certificates), the tools the `HEALTHCHECK` calls, the build's own runtime packages,
    /// and the libraries behind the `-dev` packages it compiled against. Build tools stay behind.
    pub(super) fn runtime_packages(
        &self,
        runtime: &RuntimeImage,
        hints: &RuntimeHints,
    ) -> Result<Vec<String>, String> {
        let mut needed = runtime.packages.clone();
        needed.extend(self.healthcheck_tools().into_iter().map(str::to_owned));
        let added_repository = self.of_kind(InstructionKind::Run).any(|run| {
            let text = run.logical_text();
            [
                "sources.list",
                "add-apt-repository",
                "/etc/apk/repositories",
                "--add-repo",
                "yum.repos.d",
            ]
            .iter()
            .any(|marker| text.contains(marker))
        });
        for installed in self.installed_packages()? {
            if runtime.packages.contains(&installed.name) {
                continue;
            }
            if installed.other_repository || added_repository {
                return Err(format!(
                    "the build installs {} from another repository than the runtime image's",
                    installed.name
                ));
            }
            for package in self.runtime_package(&installed.name, runtime, hints)? {
                if !needed.contains(&package) {
                    needed.push(package);
                }
            }
        }
        for package in self.native_packages(runtime, hints)? {
            if !needed.contains(&package) {
                needed.push(package);
            }
        }
        Ok(needed)
    }

    /// The system packages the stage's RUNs leave installed, in order: each install adds its
    /// packages, each removal (`apt-get purge`, `apk del`, also of an `apk --virtual` group)
    /// takes them away again.
    fn installed_packages(&self) -> Result<Vec<Installed>, String> {
        let mut installed: Vec<Installed> = Vec::new();
        for run in self.of_kind(InstructionKind::Run) {
            let Some(script) = run.script() else { continue };
            for command in &script.lexed.commands {
                let Some(packages) = PackageChange::read(command)? else {
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

    /// A runtime stage that installs packages (`packages`; an error: some whose names are not
    /// known, and why) needs its release's package repositories: on an archived release (Debian 9,
    /// an Ubuntu interim release past its end of life) `apt-get update` fails.
    pub(super) fn check_release_live(
        &self,
        runtime: &RuntimeImage,
        packages: Result<&[String], &str>,
    ) -> Result<(), String> {
        if packages.is_ok_and(<[String]>::is_empty) {
            return Ok(());
        }
        let Some(release) = self
            .knowledge
            .image_release(&ImageRef::parse(&runtime.reference), runtime.distro)
            .filter(|release| release.archived)
        else {
            return Ok(());
        };
        let (what, why) = match packages {
            Ok(packages) => (
                format!("would install {}", packages.join(" ")),
                String::new(),
            ),
            Err(reason) => (
                "would install system packages".to_owned(),
                format!(" ({reason})"),
            ),
        };
        let archive = self
            .knowledge
            .release_archive(&release.family)
            .map(|archive| format!(" (moved to {archive})"))
            .unwrap_or_default();
        Err(format!(
            "the runtime stage {what}, and {} is built on {}, whose package repositories are archived{archive}: `apt-get update` fails there{why}",
            runtime.reference,
            release.describe(self.knowledge),
        ))
    }

    /// The release whose package names the runtime stage uses: the runtime image's, unless
    /// it may be newer than the builder's (`newer_release`: then only names that are the same
    /// in every release can be chosen).
    pub(super) fn package_release(&self, runtime: &RuntimeImage) -> Option<ImageRelease> {
        let release = self
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
    fn native_packages(
        &self,
        runtime: &RuntimeImage,
        hints: &RuntimeHints,
    ) -> Result<Vec<String>, String> {
        if runtime.distro != Distro::Debian || hints.static_binary {
            return Ok(Vec::new());
        }
        let needs = self
            .profile
            .native_needs(self.context)
            .map_err(|error| format!("the project's dependency files cannot be read: {error}"))?;
        let release = self.package_release(runtime);
        let mut packages = Vec::new();
        for need in needs {
            packages.extend(need.packages(release.as_ref())?);
        }
        Ok(packages)
    }

    /// What the runtime needs for a package the build installed: the package itself unless it
    /// only serves builds; for a `-dev` package, the library it builds against (for the
    /// runtime's Debian release when the name depends on it).
    fn runtime_package(
        &self,
        written: &str,
        runtime: &RuntimeImage,
        hints: &RuntimeHints,
    ) -> Result<Vec<String>, String> {
        let name = written.split(['=', '>', '<']).next().unwrap_or(written);
        let headers = name.ends_with("-dev") || name.ends_with("-devel");
        if !headers {
            let tool = self
                .knowledge
                .is_build_only_package(name, Some(self.profile));
            if !tool && runtime.newer_release {
                return Err(format!(
                    "the build installs {name}, and whether {} has it is unknown: the Debian release {} was built on is not known",
                    runtime.reference, self.stage.base.raw
                ));
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
        match self.knowledge.runtime_package_for(name) {
            Some(libraries) => libraries.for_release(name, self.package_release(runtime).as_ref()),
            None => Err(format!("the build compiles against {name}, and the library the runtime then needs is not known")),
        }
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
) -> Result<Option<String>, String> {
    if packages.is_empty() {
        return Ok(None);
    }
    let list = packages.join(" ");
    match runtime.distro {
        Distro::Debian => Ok(Some(format!(
            "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {list} && rm -rf /var/lib/apt/lists/*"
        ))),
        Distro::Alpine => Ok(Some(format!("apk add --no-cache {list}"))),
        _ => Err(format!("the runtime needs the system packages {list}, and {} has no package manager dfmigrate knows", runtime.reference)),
    }
}
