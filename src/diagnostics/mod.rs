//! Diagnostics: what a transform reports and how its fixes are written, below the transforms,
//! the engine and the emitters. A [`Finding`] is a message about a range of the file with an
//! optional [`Fix`]: byte-range [`Edit`]s applied together, with an [`Applicability`] (ruff's
//! safe / unsafe / display-only) and an [`Isolation`] level. The [`Rewriter`] makes the edits
//! transforms need in the file's own style.

mod rewrite;

pub use rewrite::Rewriter;

use crate::syntax::TextRange;
use serde::Serialize;

/// How confident a fix is, in ruff's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Only shown: no edit is made.
    DisplayOnly,
    /// Applied only with `--unsafe`: it may change behaviour in ways the tool cannot prove safe.
    Unsafe,
    /// Applied by `--write`: the image behaves the same.
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::DisplayOnly => "display-only",
            Applicability::Unsafe => "unsafe",
            Applicability::Safe => "safe",
        }
    }
}

/// Replace `range` of the file with `content` (an insertion when the range is empty).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    #[serde(rename = "start")]
    pub start: usize,
    #[serde(rename = "end")]
    pub end: usize,
    pub content: String,
}

impl Edit {
    pub fn replace(range: TextRange, content: impl Into<String>) -> Edit {
        Edit {
            start: range.start,
            end: range.end,
            content: content.into(),
        }
    }
    pub fn insert(at: usize, content: impl Into<String>) -> Edit {
        Edit {
            start: at,
            end: at,
            content: content.into(),
        }
    }
    pub fn delete(range: TextRange) -> Edit {
        Edit::replace(range, "")
    }
    pub fn range(&self) -> TextRange {
        TextRange::new(self.start, self.end)
    }
}

/// Whether a fix may share its round of the engine with other fixes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Isolation {
    /// Applied with every other fix it does not overlap.
    #[default]
    Shared,
    /// Applied in a round of its own: it restructures the file (a new stage), and the other
    /// fixes should be computed again on the result rather than on the text it replaces.
    Alone,
    /// Applied with the other such fixes before any fix that is `Alone`: it reshapes a stage
    /// in a way a restructuring fix plans on (deps-first installs from the manifests before
    /// the sources are copied; split-stages' dependencies stage repeats that install).
    BeforeAlone,
}

impl Isolation {
    pub fn is_shared(&self) -> bool {
        *self == Isolation::Shared
    }
}

/// A set of edits applied together, or not at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
    /// Whether it shares its round with other fixes.
    #[serde(skip_serializing_if = "Isolation::is_shared")]
    pub isolation: Isolation,
}

impl Fix {
    pub fn new(applicability: Applicability, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability,
            edits,
            isolation: Isolation::Shared,
        }
    }
    pub fn safe(edits: Vec<Edit>) -> Fix {
        Fix::new(Applicability::Safe, edits)
    }
    pub fn unsafe_edits(edits: Vec<Edit>) -> Fix {
        Fix::new(Applicability::Unsafe, edits)
    }
    /// The same fix, applied in a round of its own.
    pub fn isolated(self) -> Fix {
        Fix {
            isolation: Isolation::Alone,
            ..self
        }
    }
    /// The same fix, applied before the fixes that are applied alone.
    pub fn before_isolated(self) -> Fix {
        Fix {
            isolation: Isolation::BeforeAlone,
            ..self
        }
    }
    /// The smallest range covering every edit.
    pub fn range(&self) -> Option<TextRange> {
        self.edits.iter().map(Edit::range).reduce(TextRange::cover)
    }
}

/// What a transform found: where, why, and optionally how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub transform: &'static str,
    pub message: String,
    /// The bytes the finding is about (usually the instruction).
    pub range: TextRange,
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn applicability(&self) -> Applicability {
        self.fix
            .as_ref()
            .map_or(Applicability::DisplayOnly, |fix| fix.applicability)
    }

    /// The same place with no fix and a message that says why it is left as is.
    pub fn declined(self, message: String) -> Finding {
        Finding {
            message,
            fix: None,
            ..self
        }
    }
}
