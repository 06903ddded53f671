//! Why split-stages leaves a stage as it is: one variant per reason, with the data its message
//! needs. `Display` is the reason as the finding says it; [`Decline::kind`] is a stable id to
//! group findings by (tests, statistics) without reading their text.

use crate::knowledge::AccountKind;
use thiserror::Error;

/// A reason not to split the final stage into a build stage and a runtime stage.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Decline {
    // The stage and its image.
    /// The stage runs on Windows (`platform::windows_reason`).
    #[error("{reason}")]
    Windows { reason: String },
    #[error("no runtime image is known for {base}")]
    NoRuntimeImage { base: String },
    /// A `[[runtime.hooks]]` of the profile found in the build context, with its reason.
    #[error("{reason}")]
    RuntimeHook { reason: String },
    /// The command serves static files, and the web server image cannot serve them.
    #[error("a web server image cannot serve the files: {0}")]
    StaticSite(SiteDecline),
    #[error("the stage uses SHELL or ONBUILD")]
    ShellOrOnbuild,
    #[error("{runtime} has no shell for the shell-form CMD/ENTRYPOINT/HEALTHCHECK or the command that starts a shell")]
    NoShell { runtime: String },
    #[error("HEALTHCHECK uses {tool}, which {runtime} does not have")]
    HealthcheckTool { tool: &'static str, runtime: String },
    #[error("USER {user} uses a variable, so whether {runtime} has that user is unknown")]
    UserVariable { user: String, runtime: String },
    #[error("USER {user}: the {} {account} is created in the build stage, not in {runtime}", account_word(.kind))]
    AccountCreatedInBuild {
        user: String,
        kind: AccountKind,
        account: String,
        runtime: String,
    },
    #[error("USER {user}: the {} {account} is not one {runtime} is known to have", account_word(.kind))]
    AccountUnknown {
        user: String,
        kind: AccountKind,
        account: String,
        runtime: String,
    },

    // What the container launches.
    #[error("the stage has no CMD or ENTRYPOINT, so what the image runs cannot be traced")]
    NoCommand,
    #[error("the command cannot be read")]
    UnreadableCommand,
    #[error("the {keyword} is a shell script that cannot be traced")]
    UntraceableScript { keyword: String },
    #[error("the program to run is a variable")]
    ProgramIsVariable,
    #[error("the command uses `{body}`, which the runtime image may not be able to run")]
    UnknownSubstitution { body: String },

    // The working directory.
    #[error("WORKDIR uses a variable with no literal value")]
    WorkdirVariable,
    #[error("a relative WORKDIR builds on the base image's, which is not known")]
    RelativeWorkdir,

    // An application folder.
    #[error("the stage has no WORKDIR, so the application's folder is unknown")]
    NoApplicationFolder,
    #[error("a `--user` install puts dependencies in the home folder")]
    UserInstall,
    #[error("the stage's {variable} names {folder}, which the runtime stage would not receive")]
    ModuleFolderNotReceived {
        variable: &'static str,
        folder: String,
    },
    #[error("the stage's {variable} names {entry}, a variable without a literal value")]
    ModuleFolderVariable {
        variable: &'static str,
        entry: String,
    },
    #[error("the command uses {path}, outside the folders the runtime stage would receive")]
    PathNotReceived { path: String },
    #[error("the command runs {program}, which may run programs from {folder}, a folder on PATH the runtime stage would not receive")]
    ScriptUsesPathFolder { program: String, folder: String },
    #[error("the command runs {program}, which may be in {folder}, a folder on PATH the runtime stage would not receive")]
    ProgramMayBeInPathFolder { program: String, folder: String },
    #[error("the command runs {program}, which the runtime image may not have")]
    ProgramMissing { program: String },
    #[error("the HEALTHCHECK runs {program}, which the runtime stage would not have")]
    HealthcheckProgramMissing { program: String },

    // A build artifact.
    #[error("the stage sets no WORKDIR, and the one {base} starts in is not known")]
    NoArtifactWorkdir { base: String },
    #[error("the build writes into {output}, so which of its programs it made is unknown")]
    BuildIntoProgramFolder { output: String },
    #[error("the command runs {program}, which is not a build output dfmigrate can trace")]
    UntracedProgram { program: String },
    #[error("the command uses {path}, which is not a build output dfmigrate can trace")]
    UntracedPath { path: String },
    #[error("the command names no build output")]
    NoBuildOutput,
    #[error("a build runs in a folder that depends on a variable or on the base image's own working directory")]
    BuildFolderUnknown,

    // Files from the build context.
    #[error("the build stage copied {path} from the build context, and a COPY of a name holding glob characters is not written")]
    GlobCharactersInName { path: String },
    #[error("{keyword} --{flag} on line {line}: which files it copies is not traced")]
    CopyFlag {
        keyword: String,
        flag: &'static str,
        line: usize,
    },
    #[error("{keyword} on line {line} uses a variable with no literal value, so what it copies is not known")]
    CopyVariable { keyword: String, line: usize },
    #[error("{keyword} on line {line} copies into a folder that depends on a variable or on the base image's own working directory")]
    CopyIntoUnknownFolder { keyword: String, line: usize },
    #[error("the build context is unknown, so the files {keyword} {copied} brings, which the application may read at run time, cannot be listed")]
    UnknownBuildContext { keyword: String, copied: String },
    #[error("ADD on line {line} unpacks {archive}, and which of its files the application reads is not known")]
    AddUnpacksArchive { line: usize, archive: String },
    #[error("the build context's files are not known")]
    ContextFilesUnknown,
    #[error("{} cannot be read ({error})", folder_name(.folder))]
    ContextUnreadable { folder: String, error: String },
    #[error("the build context holds more than {limit} files, too many to tell which the application reads")]
    TooManyContextFiles { limit: usize },
    #[error("the RUN on line {line} moves {path}, which the build stage copied from the build context, to where it is not traced")]
    RunMovesCopy { line: usize, path: String },
    #[error("COPY --chown={owner} uses a variable, so whether {runtime} has that user is unknown")]
    OwnerVariable { owner: String, runtime: String },
    #[error("COPY --chown={owner}: {account} is not an account {runtime} is known to have, so the runtime stage cannot give the files it copies the same owner")]
    OwnerUnknown {
        owner: String,
        account: String,
        runtime: String,
    },

    // Environments installs fill.
    /// An install fills a tool's private environment (the profile's reason).
    #[error("{reason}")]
    PrivateEnvironment { reason: String },
    #[error("`{program}` chooses its Python with {chosen}, which it may download into a folder of its own")]
    ForeignInterpreter { program: String, chosen: String },
    #[error("{file} asks `{program}` for Python {wanted}, which {base} may not be, so it may download its own")]
    VersionFileMismatch {
        file: String,
        program: String,
        wanted: String,
        base: String,
    },
    #[error("the project requires Python {}.{} or newer, which {base} may not be, so `{program}` may download its own", .minimum.0, .minimum.1)]
    InterpreterTooOld {
        minimum: (u32, u32),
        base: String,
        program: String,
    },
    #[error("an environment is created in {folder}, a variable without a literal value")]
    EnvironmentVariable { folder: String },
    #[error(
        "an environment is created in {folder}, relative to a working directory that is not known"
    )]
    EnvironmentRelative { folder: String },

    // System packages.
    #[error("the build installs {package} from another repository than the runtime image's")]
    OtherRepository { package: String },
    /// A package command that cannot be read (the model's reason).
    #[error("{reason}")]
    PackageCommand { reason: String },
    #[error("the runtime stage {}, and {runtime} is built on {release}, whose package repositories are archived{}: `apt-get update` fails there{}", .installs.what(), archive_note(.archive), .installs.why())]
    ArchivedRelease {
        installs: Installs,
        runtime: String,
        /// The release, described.
        release: String,
        /// Where its packages moved, when known.
        archive: Option<String>,
    },
    #[error("the project's dependency files cannot be read: {error}")]
    DependencyFiles { error: String },
    /// The library a native dependency or a `-dev` package needs is named differently in the
    /// releases the runtime may be on (the knowledge base's reason).
    #[error("{reason}")]
    LibraryForRelease { reason: String },
    #[error("the build installs {package}, and whether {runtime} has it is unknown: the Debian release {base} was built on is not known")]
    UnknownRelease {
        package: String,
        runtime: String,
        base: String,
    },
    #[error(
        "the build compiles against {package}, and the library the runtime then needs is not known"
    )]
    UnknownLibrary { package: String },
    #[error("the runtime needs the system packages {}, and {runtime} has no package manager dfmigrate knows", .packages.join(" "))]
    NoPackageManager {
        packages: Vec<String>,
        runtime: String,
    },

    // A runtime stage on the builder's own image: what the build changed must reach it.
    #[error("COPY --from={image} on line {line} copies {file}, which is not a program dfmigrate knows the use of")]
    ImageCopy {
        line: usize,
        image: String,
        file: String,
    },
    #[error("the command runs {program}, a build tool the runtime stage does not receive")]
    BuildToolRun { program: String },
    #[error("the RUN on line {line} cannot be read, so what it changes in the image is not known")]
    RunUnreadable { line: usize },
    #[error(
        "the RUN on line {line} writes {path}, outside the folders the runtime stage receives"
    )]
    SystemWrite { line: usize, path: String },
    #[error("the RUN on line {line} removes {path}, which the runtime image has (copying its folder does not remove it)")]
    ImageFileRemoved { line: usize, path: String },
    #[error("the RUN on line {line} writes {path}, whose folder is not known (a variable without a literal value, or a relative path after a `cd` that cannot be followed)")]
    RunPathUnknown { line: usize, path: String },
    #[error("the RUN on line {line} runs {program}, {}", changes_note(.changes))]
    SystemCommand {
        line: usize,
        program: String,
        changes: Option<String>,
    },
    #[error("the RUN on line {line} upgrades the image's system packages ({program}), which the runtime stage would not have")]
    SystemUpgrade { line: usize, program: String },
    #[error("the RUN on line {line} runs {program} {extension}, which also installs the system libraries the extension loads, and which those are is not known")]
    ExtensionLibraries {
        line: usize,
        program: String,
        extension: String,
    },
    #[error("the RUN on line {line} runs {program} on the application folder {path} itself, whose owner and mode a copy of its contents does not carry")]
    AppFolderMetadata {
        line: usize,
        program: String,
        path: String,
    },
    #[error("the RUN on line {line} runs {program} in {folder}, outside the application folder the runtime stage receives")]
    ToolOutsideApplication {
        line: usize,
        program: String,
        folder: String,
    },
}

/// What the runtime stage would install on an archived release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Installs {
    /// These packages.
    Packages(Vec<String>),
    /// System packages whose names are not known, and why.
    Unknown(Box<Decline>),
}

impl Installs {
    fn what(&self) -> String {
        match self {
            Installs::Packages(packages) => format!("would install {}", packages.join(" ")),
            Installs::Unknown(_) => "would install system packages".to_owned(),
        }
    }

    fn why(&self) -> String {
        match self {
            Installs::Packages(_) => String::new(),
            Installs::Unknown(reason) => format!(" ({reason})"),
        }
    }
}

/// Why a static file server's folder is not served by a web server image.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SiteDecline {
    // The server command.
    #[error("{server} serves {folder}, a folder named by a variable or a pattern")]
    FolderPattern {
        server: &'static str,
        folder: String,
    },
    #[error("{server} is given no port, so it listens on $PORT when set at run time, else on its version's default")]
    NoPort { server: &'static str },
    #[error("{server} listens on port {port}, which only root may bind and the web server runs as its own user")]
    PrivilegedPort { server: &'static str, port: u16 },
    #[error("{server} proxies to {target}")]
    Proxy {
        server: &'static str,
        target: String,
    },
    #[error("serve listens on more than one endpoint")]
    SeveralEndpoints,
    #[error("{server}'s {option} has no value")]
    MissingValue {
        server: &'static str,
        option: String,
    },
    #[error("{server}'s option {option} has no known nginx equivalent")]
    UnknownOption {
        server: &'static str,
        option: String,
    },
    #[error("http-server takes the word after {flag} as its value, not as the folder")]
    FlagTakesWord { flag: String },
    #[error("{server} listens on {address} only, which nginx would not copy")]
    OneAddress {
        server: &'static str,
        address: String,
    },
    #[error("serve listens on {endpoint}, which names no port")]
    EndpointWithoutPort { endpoint: String },
    #[error("http-server's -c {seconds} is not a number of seconds")]
    CacheTime { seconds: String },
    #[error("the port {value} is not a literal port number")]
    NotAPort { value: String },
    #[error("{server} is given more than one folder")]
    SeveralFolders { server: &'static str },

    // The stage around it.
    #[error("{server} serves {folder} and the stage sets no WORKDIR, so whether the build made it is unknown")]
    NoWorkdir {
        server: &'static str,
        folder: String,
    },
    #[error("{server} serves {folder}, outside the application folder, which may be mounted at run time")]
    OutsideApplication {
        server: &'static str,
        folder: String,
    },
    #[error("the static-site image {image} is not nginx-unprivileged, whose configuration dfmigrate writes")]
    NotNginxUnprivileged { image: String },
    #[error("the build context is not known, so whether a configuration file changes what {server} serves is unknown")]
    UnknownContext { server: &'static str },
    #[error("the build context has too many files to look for serve.json")]
    TooManyFiles,
    #[error("{file} may configure serve in ways the generated nginx site would not follow")]
    ServeConfiguration { file: String },
    #[error("http-server asks for a password, which nginx would not")]
    Password,
    #[error("the {keyword} on line {line} does not carry over to the web server image")]
    NotCarried { keyword: String, line: usize },
}

/// Why a split's runtime stage receives the install folder (`/usr/local`) rather than a
/// virtualenv the build stage would create: the install does not allow one, or it is not known
/// to. The split itself goes ahead with the profile's layout; the finding's message says why.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum NoVirtualenv {
    // The image.
    #[error("the image's installs fill {folder}, its interpreter's own prefix")]
    OtherInstallFolder { folder: String },
    #[error("{base} runs a Python older than {since}, whose images add setuptools and wheel to {folder}: a virtualenv would not have them")]
    OlderPython {
        base: String,
        since: String,
        folder: String,
    },
    #[error("which Python {base} runs is not known from its tag")]
    UnknownPython { base: String },

    // The stage.
    #[error("the stage installs into {folder}, an environment of its own")]
    OwnEnvironment { folder: String },
    #[error("the application folder {app} and the virtualenv's {folder} overlap")]
    FolderOverlap { app: String, folder: String },
    #[error("the stage sets {variable}, which changes where packages are installed or found")]
    ConflictingVariable { variable: String },
    #[error("{place} names {path}")]
    NamesFolder { place: String, path: String },
    #[error("{place} runs `{command}`, which writes into {folder}")]
    Writer {
        place: String,
        command: String,
        folder: String,
    },
    #[error("{place} pipes a download into `{program}`, an installer whose writes are not known")]
    PipedInstaller { place: String, program: String },
    #[error("{place} runs {script}, a script that cannot be read to check it")]
    UnreadScript { place: String, script: String },
    #[error("{place} runs {program}, which installs packages its own way")]
    OtherInstaller { place: String, program: String },
    #[error("{place} installs another Python: {what}")]
    OtherInterpreter { place: String, what: String },
    #[error("{place} installs with `{program}`, which is not the virtualenv's")]
    InstallerNotInVirtualenv { place: String, program: String },
    #[error("{place} installs with {option}, outside the active environment")]
    InstallsElsewhere { place: String, option: String },
    #[error("{place} installs as {user}, who could not write the virtualenv root creates")]
    NotRoot { place: String, user: String },
    #[error("{place} configures pip with {file}, which may install elsewhere")]
    PipConfiguration { place: String, file: String },
    #[error("{place} runs with a PATH on which {bin} does not come first")]
    PathOrder { place: String, bin: String },
}

impl NoVirtualenv {
    /// A stable id of the reason, for grouping (`names-folder`).
    pub fn kind(&self) -> &'static str {
        match self {
            NoVirtualenv::OtherInstallFolder { .. } => "other-install-folder",
            NoVirtualenv::OlderPython { .. } => "older-python",
            NoVirtualenv::UnknownPython { .. } => "unknown-python",
            NoVirtualenv::OwnEnvironment { .. } => "own-environment",
            NoVirtualenv::FolderOverlap { .. } => "folder-overlap",
            NoVirtualenv::ConflictingVariable { .. } => "conflicting-variable",
            NoVirtualenv::NamesFolder { .. } => "names-folder",
            NoVirtualenv::Writer { .. } => "writer",
            NoVirtualenv::PipedInstaller { .. } => "piped-installer",
            NoVirtualenv::UnreadScript { .. } => "unread-script",
            NoVirtualenv::OtherInstaller { .. } => "other-installer",
            NoVirtualenv::OtherInterpreter { .. } => "other-interpreter",
            NoVirtualenv::InstallerNotInVirtualenv { .. } => "installer-not-in-virtualenv",
            NoVirtualenv::InstallsElsewhere { .. } => "installs-elsewhere",
            NoVirtualenv::NotRoot { .. } => "not-root",
            NoVirtualenv::PipConfiguration { .. } => "pip-configuration",
            NoVirtualenv::PathOrder { .. } => "path-order",
        }
    }
}

impl Decline {
    /// A stable id of the reason, for grouping (`no-runtime-image`); a static site's reasons
    /// start with `static-site-`.
    pub fn kind(&self) -> &'static str {
        match self {
            Decline::Windows { .. } => "windows",
            Decline::NoRuntimeImage { .. } => "no-runtime-image",
            Decline::RuntimeHook { .. } => "runtime-hook",
            Decline::StaticSite(site) => site.kind(),
            Decline::ShellOrOnbuild => "shell-or-onbuild",
            Decline::NoShell { .. } => "no-shell",
            Decline::HealthcheckTool { .. } => "healthcheck-tool",
            Decline::UserVariable { .. } => "user-variable",
            Decline::AccountCreatedInBuild { .. } => "account-created-in-build",
            Decline::AccountUnknown { .. } => "account-unknown",
            Decline::NoCommand => "no-command",
            Decline::UnreadableCommand => "unreadable-command",
            Decline::UntraceableScript { .. } => "untraceable-script",
            Decline::ProgramIsVariable => "program-is-variable",
            Decline::UnknownSubstitution { .. } => "unknown-substitution",
            Decline::WorkdirVariable => "workdir-variable",
            Decline::RelativeWorkdir => "relative-workdir",
            Decline::NoApplicationFolder => "no-application-folder",
            Decline::UserInstall => "user-install",
            Decline::ModuleFolderNotReceived { .. } => "module-folder-not-received",
            Decline::ModuleFolderVariable { .. } => "module-folder-variable",
            Decline::PathNotReceived { .. } => "path-not-received",
            Decline::ScriptUsesPathFolder { .. } => "script-uses-path-folder",
            Decline::ProgramMayBeInPathFolder { .. } => "program-may-be-in-path-folder",
            Decline::ProgramMissing { .. } => "program-missing",
            Decline::HealthcheckProgramMissing { .. } => "healthcheck-program-missing",
            Decline::NoArtifactWorkdir { .. } => "no-artifact-workdir",
            Decline::BuildIntoProgramFolder { .. } => "build-into-program-folder",
            Decline::UntracedProgram { .. } => "untraced-program",
            Decline::UntracedPath { .. } => "untraced-path",
            Decline::NoBuildOutput => "no-build-output",
            Decline::BuildFolderUnknown => "build-folder-unknown",
            Decline::GlobCharactersInName { .. } => "glob-characters-in-name",
            Decline::CopyFlag { .. } => "copy-flag",
            Decline::CopyVariable { .. } => "copy-variable",
            Decline::CopyIntoUnknownFolder { .. } => "copy-into-unknown-folder",
            Decline::UnknownBuildContext { .. } => "unknown-build-context",
            Decline::AddUnpacksArchive { .. } => "add-unpacks-archive",
            Decline::ContextFilesUnknown => "context-files-unknown",
            Decline::ContextUnreadable { .. } => "context-unreadable",
            Decline::TooManyContextFiles { .. } => "too-many-context-files",
            Decline::RunMovesCopy { .. } => "run-moves-copy",
            Decline::OwnerVariable { .. } => "owner-variable",
            Decline::OwnerUnknown { .. } => "owner-unknown",
            Decline::PrivateEnvironment { .. } => "private-environment",
            Decline::ForeignInterpreter { .. } => "foreign-interpreter",
            Decline::VersionFileMismatch { .. } => "version-file-mismatch",
            Decline::InterpreterTooOld { .. } => "interpreter-too-old",
            Decline::EnvironmentVariable { .. } => "environment-variable",
            Decline::EnvironmentRelative { .. } => "environment-relative",
            Decline::OtherRepository { .. } => "other-repository",
            Decline::PackageCommand { .. } => "package-command",
            Decline::ArchivedRelease { .. } => "archived-release",
            Decline::DependencyFiles { .. } => "dependency-files",
            Decline::LibraryForRelease { .. } => "library-for-release",
            Decline::UnknownRelease { .. } => "unknown-release",
            Decline::UnknownLibrary { .. } => "unknown-library",
            Decline::NoPackageManager { .. } => "no-package-manager",
            Decline::ImageCopy { .. } => "image-copy",
            Decline::BuildToolRun { .. } => "build-tool-run",
            Decline::RunUnreadable { .. } => "run-unreadable",
            Decline::SystemWrite { .. } => "system-write",
            Decline::ImageFileRemoved { .. } => "image-file-removed",
            Decline::RunPathUnknown { .. } => "run-path-unknown",
            Decline::SystemCommand { .. } => "system-command",
            Decline::SystemUpgrade { .. } => "system-upgrade",
            Decline::ExtensionLibraries { .. } => "extension-libraries",
            Decline::AppFolderMetadata { .. } => "app-folder-metadata",
            Decline::ToolOutsideApplication { .. } => "tool-outside-application",
        }
    }

    /// The message of the finding that reports the decline for a stage on `base`.
    pub fn finding_message(&self, base: &str) -> String {
        match self {
            Decline::Windows { .. } => format!("single-stage build on `{base}` not split: {self}"),
            _ => format!("{base} ships its whole toolchain, but splitting off a runtime stage is not safe to automate: {self}"),
        }
    }
}

impl SiteDecline {
    /// A stable id of the reason, starting with `static-site-`.
    pub fn kind(&self) -> &'static str {
        match self {
            SiteDecline::FolderPattern { .. } => "static-site-folder-pattern",
            SiteDecline::NoPort { .. } => "static-site-no-port",
            SiteDecline::PrivilegedPort { .. } => "static-site-privileged-port",
            SiteDecline::Proxy { .. } => "static-site-proxy",
            SiteDecline::SeveralEndpoints => "static-site-several-endpoints",
            SiteDecline::MissingValue { .. } => "static-site-missing-value",
            SiteDecline::UnknownOption { .. } => "static-site-unknown-option",
            SiteDecline::FlagTakesWord { .. } => "static-site-flag-takes-word",
            SiteDecline::OneAddress { .. } => "static-site-one-address",
            SiteDecline::EndpointWithoutPort { .. } => "static-site-endpoint-without-port",
            SiteDecline::CacheTime { .. } => "static-site-cache-time",
            SiteDecline::NotAPort { .. } => "static-site-not-a-port",
            SiteDecline::SeveralFolders { .. } => "static-site-several-folders",
            SiteDecline::NoWorkdir { .. } => "static-site-no-workdir",
            SiteDecline::OutsideApplication { .. } => "static-site-outside-application",
            SiteDecline::NotNginxUnprivileged { .. } => "static-site-not-nginx-unprivileged",
            SiteDecline::UnknownContext { .. } => "static-site-unknown-context",
            SiteDecline::TooManyFiles => "static-site-too-many-files",
            SiteDecline::ServeConfiguration { .. } => "static-site-serve-configuration",
            SiteDecline::Password => "static-site-password",
            SiteDecline::NotCarried { .. } => "static-site-not-carried",
        }
    }
}

fn account_word(kind: &AccountKind) -> &'static str {
    match kind {
        AccountKind::User => "user",
        AccountKind::Group => "group",
    }
}

/// A folder of the build context, or the context itself (the empty path).
fn folder_name(folder: &str) -> &str {
    if folder.is_empty() {
        "the build context"
    } else {
        folder
    }
}

/// What a system command changes, as the reason says it.
fn changes_note(changes: &Option<String>) -> String {
    match changes {
        Some(folder) => {
            format!("which changes {folder}, and the runtime stage would not receive that")
        }
        None => "and what it changes in the image, which the runtime stage would not receive, is not known".to_owned(),
    }
}

fn archive_note(archive: &Option<String>) -> String {
    archive
        .as_ref()
        .map(|archive| format!(" (moved to {archive})"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_each_reason_as_the_finding_did() {
        let runtime = "node:20-slim".to_owned();
        assert_eq!(
            Decline::AccountCreatedInBuild {
                user: "app:app".to_owned(),
                kind: AccountKind::Group,
                account: "app".to_owned(),
                runtime: runtime.clone(),
            }
            .to_string(),
            "USER app:app: the group app is created in the build stage, not in node:20-slim"
        );
        assert_eq!(
            Decline::ContextUnreadable {
                folder: String::new(),
                error: "denied".to_owned()
            }
            .to_string(),
            "the build context cannot be read (denied)"
        );
        assert_eq!(
            Decline::InterpreterTooOld {
                minimum: (3, 11),
                base: "python:3.9".to_owned(),
                program: "uv sync".to_owned(),
            }
            .to_string(),
            "the project requires Python 3.11 or newer, which python:3.9 may not be, so `uv sync` may download its own"
        );
        assert_eq!(
            Decline::StaticSite(SiteDecline::NoPort { server: "serve" }).to_string(),
            "a web server image cannot serve the files: serve is given no port, so it listens on $PORT when set at run time, else on its version's default"
        );
    }

    #[test]
    fn says_what_an_archived_release_would_install() {
        let archived = |installs| Decline::ArchivedRelease {
            installs,
            runtime: "python:3.6-slim".to_owned(),
            release: "Debian 10 (buster)".to_owned(),
            archive: Some("archive.debian.org".to_owned()),
        };
        assert_eq!(
            archived(Installs::Packages(vec!["libpq5".to_owned(), "curl".to_owned()])).to_string(),
            "the runtime stage would install libpq5 curl, and python:3.6-slim is built on Debian 10 (buster), whose package repositories are archived (moved to archive.debian.org): `apt-get update` fails there"
        );
        let unknown = Decline::UnknownLibrary {
            package: "libfoo-dev".to_owned(),
        };
        assert_eq!(
            archived(Installs::Unknown(Box::new(unknown))).to_string(),
            "the runtime stage would install system packages, and python:3.6-slim is built on Debian 10 (buster), whose package repositories are archived (moved to archive.debian.org): `apt-get update` fails there (the build compiles against libfoo-dev, and the library the runtime then needs is not known)"
        );
    }

    #[test]
    fn tells_a_windows_stage_from_the_others() {
        let windows = Decline::Windows {
            reason: "its base image runs on Windows".to_owned(),
        };
        assert_eq!(windows.kind(), "windows");
        assert_eq!(
            windows.finding_message("mcr.microsoft.com/dotnet/sdk:8.0"),
            "single-stage build on `mcr.microsoft.com/dotnet/sdk:8.0` not split: its base image runs on Windows"
        );
        assert_eq!(
            Decline::NoCommand.finding_message("golang:1.22"),
            "golang:1.22 ships its whole toolchain, but splitting off a runtime stage is not safe to automate: the stage has no CMD or ENTRYPOINT, so what the image runs cannot be traced"
        );
        assert_eq!(
            Decline::StaticSite(SiteDecline::Password).kind(),
            "static-site-password"
        );
    }
}
