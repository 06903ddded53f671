//! Changes some transforms make on purpose (their [`Metadata::intended_changes`]). A
//! difference of such a kind, when a transform that intends it was applied, is reported as
//! intended instead of as a difference.
//!
//! [`Metadata::intended_changes`]: crate::transforms::Metadata::intended_changes

use crate::transforms;
pub use crate::transforms::IntendedChange as Intent;
use std::collections::BTreeSet;

/// The intended changes of the transforms that were applied.
pub fn intents_of<'a>(applied: impl IntoIterator<Item = &'a str>) -> BTreeSet<Intent> {
    applied
        .into_iter()
        .filter_map(transforms::by_id)
        .flat_map(|transform| transform.metadata().intended_changes.iter().copied())
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
            [
                Intent::User,
                Intent::BaseImage,
                Intent::BuildFiles,
                Intent::ProductionSettings,
                Intent::Virtualenv
            ]
        );
        assert!(intents_of(["exec-form", "apt-hygiene"]).is_empty());
    }
}
