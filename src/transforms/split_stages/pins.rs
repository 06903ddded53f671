//! Pinned base images: a build stage on a digest (`python:3.14-slim@sha256:…`) or on a tag that
//! names one release (`golang:1.22.5`) gets a runtime stage pinned at least as precisely. A
//! runtime whose tag carries the same version (`python:3.12.4` → `python:3.12.4-slim`), or a pin
//! of its own, is fine. Otherwise the runtime image would follow new releases where the build
//! stage does not: the message says so and a comment above the runtime's `FROM` asks the user
//! to pin it (a digest cannot be looked up offline).

use super::facts::Facts;
use crate::model::ImageRef;

/// How the runtime reference is less precise than the build stage's.
pub(super) enum PinGap {
    /// The build stage is pinned by this digest.
    Digest(String),
    /// The build stage's tag names this version, which the runtime's does not.
    Version(String),
}

/// How `reference` (the runtime image) is less precise than the build stage's base image,
/// if it is.
pub(super) fn pin_gap(facts: &Facts, reference: &str) -> Option<PinGap> {
    let runtime = ImageRef::parse(reference);
    if runtime.digest.is_some() {
        return None;
    }
    if let Some(digest) = &facts.stage.base.digest {
        return Some(PinGap::Digest(digest.clone()));
    }
    let version = facts.knowledge.pinned_version(&facts.stage.base)?;
    let tag = runtime.tag.as_deref().unwrap_or("latest");
    let carried = tag == version
        || tag.starts_with(&format!("{version}-"))
        || tag.ends_with(&format!("-{version}"))
        || tag.contains(&format!("-{version}-"));
    if carried || facts.knowledge.pinned_version(&runtime).is_some() {
        return None;
    }
    Some(PinGap::Version(version))
}

/// The comment line above the runtime stage's `FROM` that asks for a pin.
pub(super) fn pin_comment(facts: &Facts, reference: &str) -> Option<String> {
    Some(match pin_gap(facts, reference)? {
        PinGap::Digest(digest) => {
            format!("# dfmigrate: pin this image by digest, as the builder is ({digest})")
        }
        PinGap::Version(version) => format!(
            "# dfmigrate: pin this image by digest or an exact tag, as the builder names one release ({version})"
        ),
    })
}

/// What the message says about the pin, starting with `; `, or nothing.
pub(super) fn pin_note(facts: &Facts, reference: &str) -> String {
    let base = &facts.stage.base;
    match pin_gap(facts, reference) {
        None => String::new(),
        Some(PinGap::Digest(_)) => format!(
            "; {} is pinned by digest, and the digest of {reference} cannot be looked up offline: pin it (see the comment above its FROM)",
            base.raw
        ),
        Some(PinGap::Version(version)) => format!(
            "; {} names one release ({version}), and {reference}, another image, follows new releases under its tag: pin it by digest (see the comment above its FROM)",
            base.raw
        ),
    }
}
