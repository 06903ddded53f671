//! Why narrow-copy leaves a whole-context COPY as it is: one variant per reason. `Display` is
//! the reason as the finding says it; [`Decline::kind`] is a stable id to group findings by
//! (tests, benchmarks) without reading their text.

use thiserror::Error;

/// A reason not to narrow a build stage's whole-context COPY.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Decline {
    // The stage.
    #[error("the build context is not known")]
    NoContext,
    #[error("{reason}")]
    Windows { reason: String },
    #[error("it is the final image's stage, so what the image reads at run time from the copied files is unknown (a build stage of its own, such as split-stages makes with --unsafe, is narrowed)")]
    FinalStage,
    #[error("stage {stage} is built on it (FROM), so everything it copies reaches that stage")]
    BuiltOn { stage: String },
    #[error("the RUN on line {line} mounts it, so what that RUN reads from it is unknown")]
    Mounted { line: usize },
    #[error("the COPY --from on line {line} copies {path}, which holds the whole copy")]
    CopiedWhole { line: usize, path: String },
    #[error(
        "the COPY --from on line {line} uses a variable or a glob, so what it copies is unknown"
    )]
    CopiedUnknown { line: usize },

    // The ecosystem.
    #[error("builds with {ecosystem} are not narrowed: {why}")]
    UnknownReads { ecosystem: String, why: String },

    // The copy.
    #[error("the COPY uses {flag}")]
    CopyFlag { flag: String },
    #[error("the COPY or a WORKDIR before it uses a variable")]
    CopyVariable,
    #[error("the stage's working directory is not known (no WORKDIR, and the image's is unknown)")]
    WorkdirUnknown,

    // What the stage runs after the copy.
    #[error("the RUN on line {line} runs `{command}`, which may read any file")]
    OtherCommand { line: usize, command: String },
    #[error("the RUN on line {line} is not a plain shell script (exec form, heredoc, grouping or a substitution)")]
    UnreadableRun { line: usize },
    #[error("`{command}` uses a command substitution, which may read any file (`$(git describe)` reads .git)")]
    Substitution { command: String },
    #[error("`{command}` names {package}, a variable or glob, so the packages built are unknown")]
    PackageVariable { command: String, package: String },
    #[error("`{command}` uses {option}, which reads files the imports do not show")]
    DeclinedOption { command: String, option: String },
    #[error("`{command}` names {package}, a package pattern whose packages are not read")]
    Pattern { command: String, package: String },
    #[error("`{command}` builds {package}, which is not a package of the copied module")]
    OutsideModule { command: String, package: String },
    #[error("`{command}` runs in {cwd}, outside the folder the COPY fills ({target})")]
    RunsElsewhere {
        command: String,
        cwd: String,
        target: String,
    },

    // The module.
    #[error("the build context has no {file}, so the module's path is unknown")]
    NoModule { file: String },
    #[error("{file} makes a workspace, whose modules are in other folders")]
    Workspace { file: String },
    #[error("{file} replaces a module with a local folder")]
    LocalReplace { file: String },

    // The packages.
    #[error(
        "the package folder {folder} is not in the build context (or .dockerignore excludes it)"
    )]
    MissingPackage { folder: String },
    #[error("the package folder {folder} holds no Go file to read")]
    NoSources { folder: String },
    #[error("{file} cannot be read, so what the build reads from it is unknown")]
    Unreadable { file: String },
    #[error("{file} is empty (a placeholder?), so what the build reads from it is unknown")]
    EmptySource { file: String },
    #[error("{file} has no package clause and import list that can be read")]
    Unparsable { file: String },
    #[error("{file} embeds files (//go:embed), whose patterns are not resolved")]
    Embed { file: String },
    #[error(
        "{file} reads files outside its folder (cgo's ${{SRCDIR}} or an #include with a folder)"
    )]
    OutsideFolder { file: String },
    #[error("{folder} has its own go.mod: it is another module")]
    NestedModule { folder: String },

    // Cargo's packages.
    #[error("the build context has no readable {file}")]
    NoManifest { file: String },
    #[error("{file} is not a manifest that can be read")]
    UnparsableManifest { file: String },
    #[error("{manifest} belongs to a workspace whose root is elsewhere (package.workspace)")]
    WorkspaceElsewhere { manifest: String },
    #[error("{file} is a build script, which may read any file")]
    BuildScript { file: String },
    #[error("{manifest} depends on {dependency}, whose macros read the package's files when it compiles")]
    TreeReader {
        manifest: String,
        dependency: String,
    },
    #[error("{manifest} names {path}, which is outside the build context")]
    OutsideContext { manifest: String, path: String },
    #[error("the target {file} of {manifest} is at the context root, beside every other file")]
    RootTarget { manifest: String, file: String },
    #[error("{file} reads {path} (include!, include_str!, include_bytes! or #[path]), which is not in the copied folders")]
    FileReference { file: String, path: String },
    #[error("{file} reads a file (include!, include_str!, include_bytes! or #[path]) not named by a plain string")]
    UnknownReference { file: String },
    #[error("{file} names {path}, which is not copied")]
    ConfigNamesFile { file: String, path: String },
}

impl Decline {
    /// A stable id for the kind of reason.
    pub fn kind(&self) -> &'static str {
        match self {
            Decline::NoContext => "no-context",
            Decline::Windows { .. } => "windows",
            Decline::FinalStage => "final-stage",
            Decline::BuiltOn { .. } => "built-on",
            Decline::Mounted { .. } => "mounted",
            Decline::CopiedWhole { .. } => "copied-whole",
            Decline::CopiedUnknown { .. } => "copied-unknown",
            Decline::UnknownReads { .. } => "unknown-reads",
            Decline::CopyFlag { .. } => "copy-flag",
            Decline::CopyVariable => "copy-variable",
            Decline::WorkdirUnknown => "workdir-unknown",
            Decline::OtherCommand { .. } => "other-command",
            Decline::UnreadableRun { .. } => "unreadable-run",
            Decline::Substitution { .. } => "substitution",
            Decline::PackageVariable { .. } => "package-variable",
            Decline::DeclinedOption { .. } => "declined-option",
            Decline::Pattern { .. } => "pattern",
            Decline::OutsideModule { .. } => "outside-module",
            Decline::RunsElsewhere { .. } => "runs-elsewhere",
            Decline::NoModule { .. } => "no-module",
            Decline::Workspace { .. } => "workspace",
            Decline::LocalReplace { .. } => "local-replace",
            Decline::MissingPackage { .. } => "missing-package",
            Decline::NoSources { .. } => "no-sources",
            Decline::Unreadable { .. } => "unreadable",
            Decline::EmptySource { .. } => "empty-source",
            Decline::Unparsable { .. } => "unparsable",
            Decline::Embed { .. } => "embed",
            Decline::OutsideFolder { .. } => "outside-folder",
            Decline::NestedModule { .. } => "nested-module",
            Decline::NoManifest { .. } => "no-manifest",
            Decline::UnparsableManifest { .. } => "unparsable-manifest",
            Decline::WorkspaceElsewhere { .. } => "workspace-elsewhere",
            Decline::BuildScript { .. } => "build-script",
            Decline::TreeReader { .. } => "tree-reader",
            Decline::OutsideContext { .. } => "outside-context",
            Decline::RootTarget { .. } => "root-target",
            Decline::FileReference { .. } => "file-reference",
            Decline::UnknownReference { .. } => "unknown-reference",
            Decline::ConfigNamesFile { .. } => "config-names-file",
        }
    }
}
