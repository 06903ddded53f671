//! Diagnostics: what a transform reports and how its fixes are written, below the transforms,
//! the engine and the emitters. A [`Finding`] is a message about a range of the file with an
//! optional [`Fix`]: byte-range [`Edit`]s of the Dockerfile and [`FileChange`]s of files beside
//! it (its build context's `.dockerignore`), applied together, with an [`Applicability`]
//! (ruff's safe / unsafe / display-only) and an [`Isolation`] level. The [`Rewriter`] makes the
//! edits transforms need in the file's own style.

mod rewrite;

pub use rewrite::Rewriter;

use crate::syntax::TextRange;
use serde::Serialize;
use std::path::PathBuf;

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

/// The new content of a file beside the Dockerfile (the build context's ignore file): created
/// when `replaces` is `None`, else the file that held `replaces` is rewritten.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileChange {
    /// The file, as the Dockerfile's path and build context were given (relative to the current
    /// folder, or absolute).
    pub path: PathBuf,
    /// What the file holds now, as the transform read it; `None` when it does not exist.
    #[serde(skip)]
    pub replaces: Option<String>,
    /// Its whole new content.
    pub content: String,
}

impl FileChange {
    /// Whether the change creates the file.
    pub fn creates(&self) -> bool {
        self.replaces.is_none()
    }
}

/// A set of edits applied together, or not at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
    /// Files beside the Dockerfile that the fix creates or rewrites, with its edits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileChange>,
    /// Whether it shares its round with other fixes.
    #[serde(skip_serializing_if = "Isolation::is_shared")]
    pub isolation: Isolation,
}

impl Fix {
    pub fn new(applicability: Applicability, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability,
            edits,
            files: Vec::new(),
            isolation: Isolation::Shared,
        }
    }
    /// A fix that only creates or rewrites files beside the Dockerfile.
    pub fn of_files(applicability: Applicability, files: Vec<FileChange>) -> Fix {
        Fix {
            files,
            ..Fix::new(applicability, Vec::new())
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
