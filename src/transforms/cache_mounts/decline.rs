//! Why a package manager's caches stay in the image: each reason typed, its message its
//! `Display`, grouped by [`Decline::kind`] in the figures of `BENCHMARKS.md`.

use std::fmt;

/// Why a stage family's caches of one package manager are not mounted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decline {
    /// The ecosystem's caches are never mounted (the data says why).
    NotMountable(String),
    /// A stage of the family may run on Windows.
    Windows(String),
    /// The `# syntax=` directive names a frontend not known to read `RUN --mount`.
    Frontend(String),
    /// A RUN that runs the tool cannot be read (exec form).
    UnreadableRun { line: usize },
    /// A command runs the tool as another user (`sudo -u`, `gosu`).
    OtherUser { line: usize, command: String },
    /// The user the RUN runs as, or its id, is not known.
    UnknownUser { line: usize, user: String },
    /// The image is not one the data describes (or is named by a variable without a default):
    /// its user, and the variables it sets that move the folder, cannot be told.
    UnknownImage { line: usize, image: String },
    /// The user the RUN runs as has no home folder.
    Homeless { line: usize, user: String },
    /// Where the cache is cannot be told.
    UnknownFolder { line: usize, why: String },
    /// The command names its own cache folder.
    FolderOption { line: usize, option: String },
    /// The script sets a variable the tool reads.
    ScriptVariable { line: usize, variable: String },
    /// The cache is turned off.
    CacheOff { line: usize, setting: String },
    /// The command reads only what is already in the cache.
    Offline { line: usize, setting: String },
    /// A command acts on a record the mount would share with every build on the builder (apt's
    /// auto-installed marks).
    SharedState {
        line: usize,
        command: String,
        what: String,
    },
    /// The RUN locks a cache mount of its own (`sharing=locked`): buildah before 1.29 releases
    /// only the lock of a RUN's last cache mount, so a second locked mount keeps one locked.
    SecondLock { line: usize },
    /// The cache would hold what the image runs.
    HoldsRuntime { line: usize, setting: String },
    /// A command reads what an earlier RUN left in the cache.
    NotRefreshed { line: usize, command: String },
    /// A COPY or ADD puts files in the folder, which a mount would hide.
    CopiedInto { line: usize, folder: String },
    /// A later instruction reads the folder from the layer.
    ReadLater { line: usize, folder: String },
    /// The container's command reads the cache at run time.
    ReadAtRunTime { line: usize, command: String },
    /// The container's command hands its commands to a script or build file that may run the
    /// tool at run time (or cannot be read).
    UnseenAtRunTime { line: usize, command: String },
    /// A command removes a folder the mount would be in, or the mount itself, and cannot be
    /// dropped.
    RemovesMountPoint { line: usize, what: String },
    /// A mount for a non-root user would create a folder above it owned by root, which the user
    /// could then not write (buildah keeps it in the image).
    RootOwnedParent {
        line: usize,
        user: String,
        parent: String,
    },
    /// An instruction that gets no mount names a path in the folder: it reads or writes what
    /// the mount takes out of the layer.
    NamedElsewhere {
        line: usize,
        what: String,
        folder: String,
    },
    /// A RUN downloads with credentials (a secret or ssh mount) and a later one that may read
    /// the cache has none.
    Credentials { line: usize, later: usize },
    /// A later RUN may run the tool unseen (a script, `make`) and read from the layer what the
    /// mounted RUNs no longer leave there.
    UnseenReader {
        line: usize,
        command: String,
        why: UnseenWhy,
    },
}

/// Why a RUN that may run the tool unseen needs the cache in the layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnseenWhy {
    /// The cache's refreshed state (apt's lists) that an earlier RUN left in the layer.
    Refreshed { fill: usize },
    /// It runs without network (`--network=none`).
    Offline,
}

impl Decline {
    /// A stable name for the reason, for statistics.
    pub fn kind(&self) -> &'static str {
        match self {
            Decline::NotMountable(_) => "not-mountable",
            Decline::Windows(_) => "windows",
            Decline::Frontend(_) => "frontend",
            Decline::UnreadableRun { .. } => "unreadable-run",
            Decline::OtherUser { .. } => "other-user",
            Decline::UnknownUser { .. } => "unknown-user",
            Decline::UnknownImage { .. } => "unknown-image",
            Decline::Homeless { .. } => "homeless-user",
            Decline::UnknownFolder { .. } => "unknown-folder",
            Decline::FolderOption { .. } => "folder-option",
            Decline::ScriptVariable { .. } => "script-variable",
            Decline::CacheOff { .. } => "cache-off",
            Decline::Offline { .. } => "offline",
            Decline::SharedState { .. } => "shared-state",
            Decline::SecondLock { .. } => "second-lock",
            Decline::HoldsRuntime { .. } => "holds-runtime",
            Decline::NotRefreshed { .. } => "not-refreshed",
            Decline::CopiedInto { .. } => "copied-into",
            Decline::ReadLater { .. } => "read-later",
            Decline::ReadAtRunTime { .. } => "read-at-run-time",
            Decline::UnseenAtRunTime { .. } => "unseen-at-run-time",
            Decline::RemovesMountPoint { .. } => "removes-mount-point",
            Decline::RootOwnedParent { .. } => "root-owned-parent",
            Decline::NamedElsewhere { .. } => "named-elsewhere",
            Decline::Credentials { .. } => "credentials",
            Decline::UnseenReader { .. } => "unseen-reader",
        }
    }
}

impl fmt::Display for Decline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decline::NotMountable(why) => f.write_str(why),
            Decline::Windows(why) => write!(f, "{why}, whose caches and mounts differ"),
            Decline::Frontend(value) => write!(
                f,
                "`# syntax={value}` names a frontend not known to read `RUN --mount`"
            ),
            Decline::UnreadableRun { line } => write!(
                f,
                "the exec-form RUN on line {line} runs it, and dfmigrate does not rewrite exec-form RUNs"
            ),
            Decline::OtherUser { line, command } => write!(
                f,
                "`{command}` on line {line} runs it as another user, whose cache folder is not known"
            ),
            Decline::UnknownUser { line, user } => write!(
                f,
                "the RUN on line {line} runs as {user}, whose home folder or user id is not known (a mount for a non-root user needs its `uid=`)"
            ),
            Decline::UnknownImage { line, image } => write!(
                f,
                "the RUN on line {line} runs in `{image}`, an image whose user and settings are not known, so neither is where the cache is (a non-root user's home, a variable the image sets)"
            ),
            Decline::Homeless { line, user } => write!(
                f,
                "the RUN on line {line} runs as {user}, which has no home folder"
            ),
            Decline::UnknownFolder { line, why } => {
                write!(f, "for the RUN on line {line}, {why}")
            }
            Decline::FolderOption { line, option } => write!(
                f,
                "the command on line {line} names its cache folder itself (`{option}`)"
            ),
            Decline::ScriptVariable { line, variable } => write!(
                f,
                "the RUN on line {line} sets {variable} itself, which moves or changes the cache"
            ),
            Decline::CacheOff { line, setting } => write!(
                f,
                "`{setting}` turns the cache off for the RUN on line {line}, so there is nothing to mount"
            ),
            Decline::Offline { line, setting } => write!(
                f,
                "with `{setting}` the RUN on line {line} reads only what is already in the cache, and a cache mount may have lost what an earlier step (cached as a layer) put there"
            ),
            Decline::SharedState {
                line,
                command,
                what,
            } => write!(
                f,
                "the RUN on line {line} runs `{command}`, which acts on {what}: a cache mount shares that record with every other build on the builder, so packages would be removed or kept by what other images installed"
            ),
            Decline::SecondLock { line } => write!(
                f,
                "the RUN on line {line} already locks a cache mount of its own (`sharing=locked`), and buildah before 1.29 releases only the lock of a RUN's last cache mount: with a second locked mount one stays locked, and the next RUN locking it waits forever"
            ),
            Decline::HoldsRuntime { line, setting } => write!(
                f,
                "with `{setting}` the RUN on line {line} leaves links into the cache in the image"
            ),
            Decline::NotRefreshed { line, command } => write!(
                f,
                "the RUN on line {line} runs `{command}` without refreshing what it reads in the same RUN, and a cache mount may have lost what an earlier step (cached as a layer) put there"
            ),
            Decline::CopiedInto { line, folder } => write!(
                f,
                "the instruction on line {line} copies files into {folder}, which a mount there would hide"
            ),
            Decline::ReadLater { line, folder } => write!(
                f,
                "the instruction on line {line} reads {folder} from the image, where a mount leaves nothing"
            ),
            Decline::ReadAtRunTime { line, command } => write!(
                f,
                "the container runs `{command}` (line {line}), which reads the cache at run time"
            ),
            Decline::UnseenAtRunTime { line, command } => write!(
                f,
                "the container runs `{command}` (line {line}), which may run the tool unseen (a script or build file naming it, or one that cannot be read) and read the cache at run time"
            ),
            Decline::RemovesMountPoint { line, what } => write!(
                f,
                "the RUN on line {line} runs `{what}`, which empties the cache or removes a mount point or a folder holding one (where the RUN would fail), and dfmigrate cannot drop it there"
            ),
            Decline::RootOwnedParent { line, user, parent } => write!(
                f,
                "the RUN on line {line} runs as {user}, and the mount would create {parent} owned by root (mounts are made by root; only the mount itself gets `uid=`), which {user} could then not write, in this RUN, later ones and the image; a `RUN mkdir -p {parent}` as {user} before it lets the mount go in"
            ),
            Decline::NamedElsewhere { line, what, folder } => write!(
                f,
                "{what} on line {line} names a path in {folder}: a mount there takes the folder's content out of the layer, so what it reads there would be missing, and what it writes there would not reach the image"
            ),
            Decline::Credentials { line, later } => write!(
                f,
                "the RUN on line {line} downloads with credentials (a secret or ssh mount) and the RUN on line {later}, which may read the same cache, has none: when the mount has lost what the first downloaded (a fresh builder, layers from `--cache-from`), the second would have to download it without them"
            ),
            Decline::UnseenReader { line, command, why } => match why {
                UnseenWhy::Refreshed { fill } => write!(
                    f,
                    "the RUN on line {line} runs `{command}`, which may run the tool unseen and read what the RUN on line {fill} leaves in the layer (its lists), where a mount would leave nothing"
                ),
                UnseenWhy::Offline => write!(
                    f,
                    "the RUN on line {line} runs `{command}` without network (`--network=none`), so what it may build with the tool unseen must come from the layer, where a mount would leave nothing"
                ),
            },
        }
    }
}
