//! Transforms: each reads the immutable model of one file and reports findings, most with a fix
//! made of byte-range edits. A transform never prints the file; the engine applies the edits.
//!
//! One transform per file. Each transform's documentation (what it does, why, an example) is a
//! Markdown file under the top-level `transforms/docs/`, included here as its doc comment and
//! printed by `dfmigrate explain ID`.

mod apt_hygiene;
mod copy_over_add;
mod deps_first;
mod dockerignore;
mod exec_form;
mod non_root_user;
mod npm_ci;
mod platform;
mod reorder_layers;
mod slim_runtime;
pub mod split_stages;

use crate::context::BuildContext;
use crate::knowledge::KnowledgeBase;
use crate::model::Dockerfile;
use crate::syntax::TextRange;
use serde::Serialize;
use std::path::Path;
use std::sync::OnceLock;

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

/// A set of edits applied together, or not at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
    /// Applied in a round of its own: it restructures the file (a new stage), and other fixes
    /// should see the result rather than the text it replaces.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub isolated: bool,
}

impl Fix {
    pub fn new(applicability: Applicability, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability,
            edits,
            isolated: false,
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
            isolated: true,
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

/// What a transform may know beyond the file itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    /// The Dockerfile's path, when it has one (not for stdin without `--stdin-filename`).
    pub path: Option<&'a Path>,
    /// The build context folder, when known.
    pub build_context: Option<&'a Path>,
    /// This transform's options from `dfmigrate.toml` (`[transforms.ID]`).
    pub options: Option<&'a toml::Table>,
    /// The knowledge base with the configuration's `[ecosystems]`/`[[images]]`; `None` means
    /// the built-in one.
    pub knowledge: Option<&'a KnowledgeBase>,
    /// The build context's files, opened once for all transforms of a round (see
    /// [`Context::build_context_files`]).
    pub opened_context: Option<&'a OnceLock<Option<BuildContext>>>,
}

impl<'a> Context<'a> {
    /// The knowledge base in force.
    pub fn knowledge(&self) -> &'a KnowledgeBase {
        match self.knowledge {
            Some(knowledge) => knowledge,
            None => KnowledgeBase::builtin(),
        }
    }

    /// The build context's files and ignore rules, opened on first use and shared by the
    /// transforms; `None` without a build context folder or when it cannot be read.
    pub fn build_context_files(&self) -> Option<&'a BuildContext> {
        let root = self.build_context?;
        let path = self.path;
        self.opened_context?
            .get_or_init(|| BuildContext::open(root, path).ok())
            .as_ref()
    }
}

/// A rewrite rule.
pub trait Transform: Sync + Send {
    /// Stable kebab-case id used by `--select`, `--ignore`, config and inline comments.
    fn id(&self) -> &'static str;
    /// One line saying what it does.
    fn summary(&self) -> &'static str;
    /// The full documentation: what, why, example (Markdown).
    fn documentation(&self) -> &'static str;
    /// Whether it runs when nothing is selected.
    fn enabled_by_default(&self) -> bool {
        true
    }
    /// The most a fix of this transform can be (shown by `dfmigrate transforms`).
    fn max_applicability(&self) -> Applicability;
    /// Reports findings for one file.
    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>);
}

/// Every transform, in the order they run.
pub fn all() -> &'static [&'static dyn Transform] {
    &[
        &exec_form::ExecForm,
        &copy_over_add::CopyOverAdd,
        &apt_hygiene::AptHygiene,
        &reorder_layers::ReorderLayers,
        &deps_first::DepsFirst,
        &dockerignore::Dockerignore,
        &npm_ci::NpmCi,
        &split_stages::SplitStages,
        &slim_runtime::SlimRuntime,
        &non_root_user::NonRootUser,
    ]
}

/// Looks a transform up by id.
pub fn by_id(id: &str) -> Option<&'static dyn Transform> {
    all().iter().copied().find(|transform| transform.id() == id)
}
