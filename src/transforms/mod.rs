//! Transforms: each reads the immutable model of one file and reports findings, most with a fix
//! made of byte-range edits. A transform never prints the file; the engine applies the edits.
//!
//! One transform per file. Each transform's documentation (what it does, why, an example) is a
//! Markdown file under the top-level `transforms/docs/`, included here as its doc comment and
//! printed by `dfmigrate explain ID`.

mod apt_hygiene;
pub mod cache_mounts;
mod copy_over_add;
mod deps_first;
mod dockerignore;
mod exec_form;
pub mod narrow_copy;
mod non_root_user;
mod npm_ci;
mod platform;
mod reorder_layers;
mod secrets_in_args;
mod secrets_in_context;
mod slim_runtime;
pub mod split_stages;

use crate::context::{BuildContext, PendingFiles};
pub use crate::diagnostics::{Applicability, Edit, FileChange, Finding, Fix, Isolation};
use crate::knowledge::KnowledgeBase;
use crate::model::Dockerfile;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

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
    /// Files beside the Dockerfile (its ignore files) as earlier fixes of the run left them.
    pub pending: Option<&'a PendingFiles>,
    /// The other Dockerfiles that read the build context's `.dockerignore` (paths as given), as
    /// a run of the CLI knows them when it starts (its Dockerfiles of that context without an
    /// ignore file of their own, and the Dockerfiles beside this one that it does not process);
    /// `None` when no run tells: the Dockerfiles beside this one are looked at then.
    pub other_dockerfiles: Option<&'a [PathBuf]>,
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
        let no_pending = PendingFiles::new();
        let pending = self.pending.unwrap_or(&no_pending);
        self.opened_context?
            .get_or_init(|| BuildContext::open_with(root, path, pending).ok())
            .as_ref()
    }
}

/// A change a transform makes on purpose, which `dfmigrate verify` reports as intended rather
/// than as a difference when that transform's fix was applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IntendedChange {
    /// The image runs as another user (`USER`).
    User,
    /// The final stage starts from another image (a runtime image instead of the builder): what
    /// that image brings (ENV and LABEL names the Dockerfile does not set, the interpreter
    /// outside the application folders) may differ.
    BaseImage,
    /// Build files no application reads at run time (`unread_build_files` of `images.toml`:
    /// Dockerfiles, version control and CI files, READMEs, licences) are left out of the
    /// application folder.
    BuildFiles,
    /// The runtime stage sets the variables that run the application in production
    /// (`[runtime.production] env` of the ecosystem profiles: `NODE_ENV=production`) where the
    /// image left them unset.
    ProductionSettings,
    /// Installs go into a virtualenv the build stage creates: the image sets `VIRTUAL_ENV` and
    /// puts the virtualenv's `bin` first on `PATH`.
    Virtualenv,
    /// Paths of the build context that its new ignore file excludes are left out of the image.
    ExcludedPaths,
}

/// What a transform's fixes change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Changes {
    /// The Dockerfile's text.
    Dockerfile,
    /// The build context's ignore file: the engine settles these fixes first, so the other
    /// transforms see the context as the build will.
    IgnoreFile,
}

/// What a transform is, declared once: how it is named, documented and listed, how far its
/// fixes go, and what `verify` should expect it to change.
#[derive(Debug)]
pub struct Metadata {
    /// Stable kebab-case id used by `--select`, `--ignore`, config and inline comments.
    pub id: &'static str,
    /// One line saying what it does.
    pub summary: &'static str,
    /// The full documentation: what, why, example (Markdown).
    pub documentation: &'static str,
    /// Whether it runs when nothing is selected.
    pub enabled_by_default: bool,
    /// The most a fix of this transform can be (shown by `dfmigrate transforms`).
    pub max_applicability: Applicability,
    /// What its fixes change.
    pub changes: Changes,
    /// The changes its fixes make on purpose.
    pub intended_changes: &'static [IntendedChange],
}

/// A rewrite rule.
pub trait Transform: Sync + Send {
    /// What the transform is.
    fn metadata(&self) -> &'static Metadata;
    /// Reports findings for one file.
    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>);
    /// Its id (see [`Metadata::id`]).
    fn id(&self) -> &'static str {
        self.metadata().id
    }
}

/// Every transform, in the order they run.
pub fn all() -> &'static [&'static dyn Transform] {
    &[
        &exec_form::ExecForm,
        &copy_over_add::CopyOverAdd,
        &apt_hygiene::AptHygiene,
        &reorder_layers::ReorderLayers,
        &deps_first::DepsFirst,
        &cache_mounts::CacheMounts,
        &dockerignore::Dockerignore,
        &secrets_in_context::SecretsInContext,
        &secrets_in_args::SecretsInArgs,
        &npm_ci::NpmCi,
        &split_stages::SplitStages,
        &narrow_copy::NarrowCopy,
        &slim_runtime::SlimRuntime,
        &non_root_user::NonRootUser,
    ]
}

/// Looks a transform up by id.
pub fn by_id(id: &str) -> Option<&'static dyn Transform> {
    all().iter().copied().find(|transform| transform.id() == id)
}
