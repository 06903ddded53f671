//! Changes some transforms make on purpose. A difference of such a kind, when a transform that
//! intends it was applied, is reported as intended instead of as a difference.

use std::collections::BTreeSet;

/// A kind of change a transform may make on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Intent {
    /// The image runs as another user (`USER`).
    User,
    /// The final stage starts from another image (a runtime image instead of the builder): what
    /// that image brings (ENV and LABEL names the Dockerfile does not set, the interpreter
    /// outside the application folders) may differ.
    BaseImage,
}

/// Which transform intends which changes.
const INTENDED: &[(&str, &[Intent])] = &[
    ("non-root-user", &[Intent::User]),
    ("split-stages", &[Intent::BaseImage]),
];

/// The intended changes of the transforms that were applied.
pub fn intents_of<'a>(applied: impl IntoIterator<Item = &'a str>) -> BTreeSet<Intent> {
    applied
        .into_iter()
        .flat_map(|id| {
            INTENDED
                .iter()
                .filter(move |(transform, _)| *transform == id)
                .flat_map(|(_, intents)| intents.iter().copied())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_transforms_intend_their_changes() {
        let intents = intents_of(["exec-form", "non-root-user", "split-stages"]);
        assert_eq!(
            intents.into_iter().collect::<Vec<_>>(),
            [Intent::User, Intent::BaseImage]
        );
        assert!(intents_of(["exec-form", "apt-hygiene"]).is_empty());
    }
}
