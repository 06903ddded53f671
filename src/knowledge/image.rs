//! Builder → runtime image mappings and what runtime images offer (distro family, non-root
//! user), as read from `transforms/images.toml`.

use super::{fill_template, image_name, NameGlob, TagPattern};
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
fn tag_of(image: &ImageRef) -> &str {
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
