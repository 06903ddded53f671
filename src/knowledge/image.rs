//! Builder → runtime image mappings and what runtime images offer (distro family, non-root
//! user), as read from `transforms/images.toml`.

use super::{fill_template, image_name, KnowledgeBase, NameGlob, TagPattern};
use crate::model::ImageRef;
use serde::Deserialize;

/// The family of a base image, which decides how users and packages are added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Distro {
    /// Debian or Ubuntu: `apt-get`, `useradd`/`groupadd`.
    Debian,
    /// Alpine: `apk`, BusyBox `adduser -D`/`addgroup`.
    Alpine,
    /// Distroless: no shell and no package manager.
    Distroless,
    /// Anything else (Azure Linux, Windows, …): transforms should not add users or packages.
    Other,
}

/// The operating system of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Linux,
    Windows,
}

/// The `[platforms]` table: which images are Windows, which Linux.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Platforms {
    /// Repositories every tag of which is a Windows image.
    pub windows_images: Vec<NameGlob>,
    /// Tags that name a Windows base in any repository.
    pub windows_tags: TagPattern,
    /// Repositories whose other tags are Linux images.
    pub linux_images: Vec<NameGlob>,
}

/// One builder → runtime rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageRule {
    /// Glob over the image name (see [`image_name`]): `node`, `mcr.microsoft.com/dotnet/sdk`.
    pub image: NameGlob,
    /// Regular expression the whole tag must match (`latest` when the reference has none);
    /// named groups become template values.
    #[serde(default)]
    pub tag: TagPattern,
    /// The runtime reference; `{tag}` and the tag's named groups are replaced.
    pub runtime: String,
    /// Applies only when the binary is known to be static (`CGO_ENABLED=0`).
    #[serde(default, rename = "static")]
    pub static_only: bool,
    /// Applies only when the caller asks for this flavour (`aspnet`, `runtime`).
    #[serde(default)]
    pub flavour: Option<String>,
    /// The runtime's non-root user, overriding the `[[runtimes]]` table.
    #[serde(default)]
    pub user: Option<String>,
    /// The runtime's distro, overriding the `[[runtimes]]` table.
    #[serde(default)]
    pub distro: Option<Distro>,
    /// System packages the runtime stage installs because the builder image had them and the
    /// programs built there commonly rely on them (CA certificates, time zone data).
    #[serde(default)]
    pub packages: Vec<String>,
    /// The builder's tag names no Debian release and the runtime is the newest one it may have
    /// been built on: binaries run there, but package names of the builder's release are
    /// unknown.
    #[serde(default)]
    pub newer_release: bool,
}

/// What an image offers: its distro family and an existing non-root user, if any.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeInfo {
    pub image: NameGlob,
    #[serde(default)]
    pub tag: TagPattern,
    pub distro: Distro,
    #[serde(default)]
    pub user: Option<String>,
    /// The image already runs as `user` by default (distroless `:nonroot` tags).
    #[serde(default)]
    pub non_root: bool,
    /// The distribution whose releases and package names a `debian` image follows, when not
    /// Debian's (`ubuntu`).
    #[serde(default)]
    pub family: Option<String>,
}

/// What the caller knows about the build output, to choose among rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuntimeHints {
    /// The binary is statically linked (Go with `CGO_ENABLED=0`).
    pub static_binary: bool,
    /// A flavour such as `aspnet` or `runtime` for .NET.
    pub flavour: Option<String>,
}

/// A runtime image chosen for a builder image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeImage {
    /// The reference to write in `FROM` (no digest: the builder's digest does not carry over).
    pub reference: String,
    /// A non-root user that exists in the image.
    pub user: Option<String>,
    pub distro: Distro,
    /// System packages the runtime stage installs (the rule's `packages`).
    pub packages: Vec<String>,
    /// The runtime's Debian release may be newer than the builder's (the rule's
    /// `newer_release`).
    pub newer_release: bool,
}

/// The distro and user of an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    pub distro: Distro,
    pub user: Option<String>,
    /// The image's default user is not root.
    pub non_root: bool,
}

/// The tag an image rule sees: the written tag, else `latest`.
pub(super) fn tag_of(image: &ImageRef) -> &str {
    image.tag.as_deref().unwrap_or("latest")
}

impl ImageRule {
    /// The runtime reference for `image`, when this rule applies.
    pub fn apply(&self, image: &ImageRef, hints: &RuntimeHints) -> Option<String> {
        if (self.static_only && !hints.static_binary)
            || self
                .flavour
                .as_ref()
                .is_some_and(|f| hints.flavour.as_ref() != Some(f))
            || !self.image.matches(&image_name(image))
        {
            return None;
        }
        let tag = tag_of(image);
        let captures = self.tag.regex().captures(tag)?;
        let regex = self.tag.regex();
        Some(fill_template(&self.runtime, |name| match name {
            "tag" => Some(tag.to_owned()),
            // A group that took no part in the match (an optional suffix) is empty.
            _ => regex
                .capture_names()
                .any(|group| group == Some(name))
                .then(|| captures.name(name).map_or("", |m| m.as_str()).to_owned()),
        }))
    }
}

impl RuntimeInfo {
    /// Whether this entry describes `image`.
    pub fn describes(&self, image: &ImageRef) -> bool {
        self.image.matches(&image_name(image)) && self.tag.regex().is_match(tag_of(image))
    }
}

/// `[releases.FAMILY]`: the releases of a distribution runtime images are built on.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    /// The distribution's name in messages (`Debian`).
    pub name: String,
    /// Where its archived releases went, for messages (`archive.debian.org`).
    #[serde(default)]
    pub archive: Option<String>,
    /// Its releases, oldest first.
    pub releases: Vec<ReleaseInfo>,
}

/// One release of a distribution.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseInfo {
    /// As image tags name it: a codename (`bookworm`) or, for Alpine, `3.20`.
    pub name: String,
    /// Its version number as the distribution's own image tags it (`12`, `22.04`).
    #[serde(default)]
    pub version: Option<String>,
    /// Its package repositories are gone from the mirrors its images' package sources name:
    /// `apt-get update` fails there.
    #[serde(default)]
    pub archived: bool,
    /// A plain package name of `[runtime_packages]` and `[runtime.native]` is valid here.
    #[serde(default)]
    pub plain: bool,
}

/// `[[tag_releases]]`: tags that name no release whose images are known to be built on one
/// (or an older one).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagRelease {
    pub image: NameGlob,
    #[serde(default)]
    pub tag: TagPattern,
    /// The distribution (`debian`).
    pub family: String,
    /// The newest release such an image may be built on.
    pub release: String,
}

/// The distribution release an image is built on, as far as known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRelease {
    /// The distribution (`debian`, `ubuntu`, `alpine`).
    pub family: String,
    /// The release (`stretch`, `3.20`); `None`: the distribution's current release, whichever
    /// it is when the image is pulled.
    pub name: Option<String>,
    /// The image may be built on an older release than `name`.
    pub or_older: bool,
    /// Its package repositories are archived: `apt-get update` fails there.
    pub archived: bool,
    /// Plain package names of the knowledge base are valid there.
    pub plain: bool,
}

impl ImageRelease {
    /// `Debian 9 (stretch)`, `Alpine 3.20`, `the current Ubuntu release`, for messages.
    pub fn describe(&self, knowledge: &super::KnowledgeBase) -> String {
        let distribution = knowledge.releases.get(&self.family);
        let family = distribution.map_or(self.family.as_str(), |d| d.name.as_str());
        let Some(name) = &self.name else {
            return format!("the current {family} release");
        };
        let version = distribution
            .and_then(|d| d.releases.iter().find(|r| &r.name == name))
            .and_then(|r| r.version.as_deref());
        let release = match version {
            Some(version) => format!("{family} {version} ({name})"),
            None => format!("{family} {name}"),
        };
        if self.or_older {
            format!("{release} or an older release")
        } else {
            release
        }
    }
}

/// `3.20` → (3, 20).
fn version_number(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// The distribution release an image is built on; see [`KnowledgeBase::image_release`].
pub(super) fn image_release(
    knowledge: &KnowledgeBase,
    image: &ImageRef,
    distro: Distro,
) -> Option<ImageRelease> {
    let default_family = match distro {
        Distro::Debian => knowledge
            .runtimes
            .iter()
            .find(|entry| entry.describes(image))
            .and_then(|entry| entry.family.clone())
            .unwrap_or_else(|| "debian".to_owned()),
        Distro::Alpine => "alpine".to_owned(),
        Distro::Distroless | Distro::Other => return None,
    };
    let tag = tag_of(image);
    let name = image_name(image);
    let known = |family: &str, release: &ReleaseInfo, or_older: bool| ImageRelease {
        family: family.to_owned(),
        name: Some(release.name.clone()),
        or_older,
        archived: release.archived,
        plain: release.plain,
    };
    let parts: Vec<&str> = tag.split('-').collect();
    if distro == Distro::Debian {
        for (family, distribution) in &knowledge.releases {
            if family == "alpine" {
                continue;
            }
            let by_version = |release: &&ReleaseInfo| {
                name == *family
                    && release.version.as_deref().is_some_and(|version| {
                        parts[0] == version || parts[0].starts_with(&format!("{version}."))
                    })
            };
            if let Some(release) = distribution
                .releases
                .iter()
                .find(|release| parts.contains(&release.name.as_str()))
                .or_else(|| distribution.releases.iter().find(by_version))
            {
                return Some(known(family, release, false));
            }
        }
    }
    if distro == Distro::Alpine {
        let version = parts
            .iter()
            .find_map(|part| part.strip_prefix("alpine").filter(|v| !v.is_empty()))
            .or_else(|| (name == "alpine").then_some(parts[0]))
            .and_then(version_number);
        if let (Some(version), Some(alpine)) = (version, knowledge.releases.get("alpine")) {
            let listed = alpine
                .releases
                .iter()
                .find(|release| version_number(&release.name) == Some(version));
            // A release newer than every listed one is like the newest.
            let newest = alpine
                .releases
                .last()
                .filter(|newest| version_number(&newest.name) < Some(version));
            if let Some(release) = listed.or(newest) {
                return Some(ImageRelease {
                    name: Some(format!("{}.{}", version.0, version.1)),
                    ..known("alpine", release, false)
                });
            }
            return Some(ImageRelease {
                family: "alpine".to_owned(),
                name: Some(format!("{}.{}", version.0, version.1)),
                or_older: false,
                archived: false,
                plain: false,
            });
        }
    }
    if let Some(entry) = knowledge.tag_releases.iter().find(|entry| {
        entry.family == default_family
            && entry.image.matches(&name)
            && entry.tag.regex().is_match(tag)
    }) {
        if let Some(release) = knowledge
            .releases
            .get(&entry.family)
            .and_then(|d| d.releases.iter().find(|r| r.name == entry.release))
        {
            return Some(known(&entry.family, release, true));
        }
    }
    Some(ImageRelease {
        family: default_family,
        name: None,
        or_older: false,
        archived: false,
        plain: true,
    })
}

/// `[pins]`: tags that name one release of an image.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pins {
    /// A whole-tag expression whose group `v` is the pinned version.
    pub tag: TagPattern,
}
