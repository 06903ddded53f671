//! `dfmigrate verify`: builds each Dockerfile and its rewrite from the same build context and
//! compares the final images (configuration, referenced and application files, an optional
//! smoke command, optional HTTP probes of each image's own server, size and build time). Nothing is written to the user's files; the images are
//! removed afterwards unless `--keep`.
//!
//! Exit codes: 0 when every file is equivalent or unchanged, 1 when some rewrite differs,
//! 2 on errors (unreadable file, failed build of the original, engine failure).

mod buildah;
mod docker;
mod dockerfile;
mod engines;
mod files;
mod image;
mod intent;
mod probe;
mod process;
mod report;
mod rootfs;

pub use engines::EngineChoice;

use crate::config::{self, CommandLine, Discovery};
use crate::context::compose::ComposeIndex;
use crate::context::IgnoreFilePaths;
use crate::diagnostics::Applicability;
use crate::engine::{self, ChangedFile, Job, TransformOptions};
use crate::model::shell;
use crate::walk::{self, display_path};
use anyhow::{bail, Context as _, Result};
use engines::{BuildRequest, ContainerEngine};
use intent::Intent;
use report::{Measure, Outcome, Verdict};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Exit code: every file is equivalent or unchanged.
const EXIT_EQUIVALENT: i32 = 0;
/// Exit code: some rewrite is different.
const EXIT_DIFFERENT: i32 = 1;
/// Exit code: an error.
const EXIT_ERROR: i32 = 2;

/// `dfmigrate verify` options.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    selection: CommandLine,
    /// Container engine (default: the first installed of buildah, podman, docker).
    #[arg(long, value_enum)]
    engine: Option<EngineChoice>,
    /// Keep the built images (their names are printed).
    #[arg(long)]
    keep: bool,
    /// A command to run in both images; its output and exit code must match.
    #[arg(long, value_name = "CMD")]
    smoke: Option<String>,
    /// Run each image's own command (as its USER, in its WORKDIR, on this machine's network) and
    /// compare the status, Content-Type and body of an HTTP GET of PATH on PORT (repeatable).
    #[arg(long, value_name = "PORT[/PATH]")]
    probe: Vec<probe::Probe>,
    /// How long a probed server may take to answer, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, requires = "probe")]
    probe_timeout: u64,
    /// Compare with this rewritten Dockerfile instead of running the transforms (one PATH).
    #[arg(long, value_name = "NEW_DOCKERFILE")]
    against: Option<PathBuf>,
    /// Dockerfiles, or folders to search for them.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
}

/// One Dockerfile and the rewrite to check.
struct Candidate {
    path: PathBuf,
    original: String,
    rewrite: String,
    context: PathBuf,
    /// Transforms whose fixes were applied (empty with `--against`).
    applied: BTreeSet<&'static str>,
    /// The files beside the Dockerfile the fixes create or rewrite (its ignore file); built
    /// with, never written to the build context.
    beside: Vec<ChangedFile>,
}

/// What planning found for one file.
enum Plan {
    Unchanged,
    Verify(Box<Candidate>),
}

/// Runs `dfmigrate verify` and returns the exit code.
pub fn run(args: VerifyArgs) -> i32 {
    match run_all(&args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            EXIT_ERROR
        }
    }
}

fn run_all(args: &VerifyArgs) -> Result<i32> {
    check_arguments(args)?;
    let (files, walk_errors) = walk::collect(&args.paths, 1);
    let mut code = EXIT_EQUIVALENT;
    for error in &walk_errors {
        eprintln!("{}: error: {}", display_path(&error.path), error.message);
        code = EXIT_ERROR;
    }
    let mut plans = Vec::new();
    for file in &files {
        match plan(file, args) {
            Ok(plan) => plans.push((file, plan)),
            Err(error) => {
                eprintln!("{}: error: {error:#}", display_path(file));
                code = EXIT_ERROR;
            }
        }
    }
    let mut engine: Option<Box<dyn ContainerEngine>> = None;
    for (index, (file, plan)) in plans.into_iter().enumerate() {
        let candidate = match plan {
            Plan::Unchanged => {
                println!("{}: unchanged (nothing to verify)", display_path(file));
                continue;
            }
            Plan::Verify(candidate) => candidate,
        };
        let engine = match &engine {
            Some(engine) => engine,
            None => engine.insert(start_engine(args.engine)?),
        };
        let outcome = verify(engine.as_ref(), &candidate, index, args);
        code = code.max(print_outcome(&candidate.path, &outcome));
    }
    Ok(code)
}

fn check_arguments(args: &VerifyArgs) -> Result<()> {
    args.selection.check_ids().map_err(anyhow::Error::msg)?;
    if args.against.is_some() && args.paths.len() != 1 {
        bail!("--against compares with one Dockerfile: give exactly one PATH");
    }
    if let Some(against) = &args.against {
        if args.paths.iter().any(|path| path.is_dir()) {
            bail!(
                "--against {}: PATH must be a Dockerfile, not a folder",
                display_path(against)
            );
        }
    }
    Ok(())
}

fn start_engine(choice: Option<EngineChoice>) -> Result<Box<dyn ContainerEngine>> {
    let engine = engines::select(choice)?;
    eprintln!("engine: {}", engine.description());
    Ok(engine)
}

/// Reads a file and works out its rewrite: the transforms' output, or the `--against` file.
fn plan(file: &Path, args: &VerifyArgs) -> Result<Plan> {
    let original = std::fs::read_to_string(file).context("cannot read")?;
    let folder = folder_of(file);
    let lookup = Discovery::default().for_folder(&config::absolute(&folder));
    let config = lookup.map_err(|error| anyhow::anyhow!("{error}"))?;
    let settings = config::settings_for(file, config.as_deref(), &args.selection);
    let compose = ComposeIndex::default();
    let context = settings
        .build_context
        .clone()
        .or_else(|| compose.context_of(file))
        .unwrap_or(folder);
    for problem in compose.problems() {
        eprintln!("warning: {problem}");
    }
    if let Some(against) = &args.against {
        let rewrite = std::fs::read_to_string(against)
            .with_context(|| format!("cannot read {}", display_path(against)))?;
        if rewrite == original {
            return Ok(Plan::Unchanged);
        }
        return Ok(Plan::Verify(Box::new(Candidate {
            path: file.to_owned(),
            original,
            rewrite,
            context,
            applied: BTreeSet::new(),
            beside: Vec::new(),
        })));
    }
    let no_options = TransformOptions::new();
    let outcome = engine::run(&Job {
        text: &original,
        transforms: &settings.transforms,
        path: Some(file),
        build_context: Some(&context),
        other_dockerfiles: None,
        change_files: true,
        options: config
            .as_deref()
            .map_or(&no_options, config::Config::options),
        apply_unsafe: settings.apply_unsafe,
        knowledge: config.as_deref().and_then(config::Config::knowledge),
    });
    if let Some(error) = outcome.errors.first() {
        bail!("line {}: {}", error.line, error.message);
    }
    if !outcome.changes() {
        return Ok(Plan::Unchanged);
    }
    let rewrite = outcome.fixed.unwrap_or_else(|| original.clone());
    let applied = outcome
        .findings
        .iter()
        .filter(|reported| match reported.finding.applicability() {
            Applicability::Safe => true,
            Applicability::Unsafe => settings.apply_unsafe,
            Applicability::DisplayOnly => false,
        })
        .map(|reported| reported.finding.transform)
        .collect();
    Ok(Plan::Verify(Box::new(Candidate {
        path: file.to_owned(),
        original,
        rewrite,
        context,
        applied,
        beside: outcome.files,
    })))
}

/// The folder holding a file (`.` for a bare file name).
fn folder_of(file: &Path) -> PathBuf {
    file.parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

/// Builds, compares and cleans up one file.
fn verify(
    engine: &dyn ContainerEngine,
    candidate: &Candidate,
    index: usize,
    args: &VerifyArgs,
) -> Outcome {
    let mut images = ImageSet {
        engine,
        tags: Vec::new(),
        keep: args.keep,
    };
    let result = build_and_compare(engine, candidate, index, args, &mut images);
    drop(images);
    result.unwrap_or_else(|error| Outcome::Error(format!("{error:#}")))
}

/// The images built for one file; removed when dropped unless kept.
struct ImageSet<'e> {
    engine: &'e dyn ContainerEngine,
    tags: Vec<String>,
    keep: bool,
}

impl Drop for ImageSet<'_> {
    fn drop(&mut self) {
        if self.keep {
            if !self.tags.is_empty() {
                eprintln!("kept images: {}", self.tags.join(", "));
            }
            return;
        }
        for tag in &self.tags {
            if let Err(error) = self.engine.remove_image(tag) {
                eprintln!("warning: cannot remove image {tag}: {error:#}");
            }
        }
    }
}

fn build_and_compare(
    engine: &dyn ContainerEngine,
    candidate: &Candidate,
    index: usize,
    args: &VerifyArgs,
    images: &mut ImageSet,
) -> Result<Outcome> {
    let workspace = tempfile::tempdir()?;
    let rewrite = write_rewrite(candidate, workspace.path())?;
    let tag = |side: &str| format!("dfmigrate-verify-{}-{index}-{side}", std::process::id());
    let (before_tag, after_tag) = (tag("original"), tag("rewrite"));
    let own_ignore = IgnoreFilePaths::of(&candidate.context, Some(&candidate.path))
        .own
        .filter(|own| own.is_file());
    let secrets = SecretsGiven::of(candidate);
    let before_build = engine.build(&BuildRequest {
        dockerfile: &candidate.path,
        context: &candidate.context,
        tag: &before_tag,
        ignore_file: own_ignore.as_deref(),
        build_args: &secrets.given,
        secrets: &[],
    })?;
    if before_build.code != Some(0) {
        bail!(
            "build of the original failed ({}):\n{}",
            process::exit_description(before_build.code),
            before_build.tail()
        );
    }
    images.tags.push(before_tag.clone());
    let after_build = engine.build(&BuildRequest {
        dockerfile: &rewrite.dockerfile,
        context: &candidate.context,
        tag: &after_tag,
        ignore_file: rewrite.ignore_file.as_deref(),
        build_args: &[],
        secrets: &secrets.given,
    })?;
    if after_build.code != Some(0) {
        return Ok(Outcome::Different(Verdict::not_built(
            format!(
                "the rewrite does not build ({}): {}",
                process::exit_description(after_build.code),
                after_build.tail().lines().last().unwrap_or_default()
            ),
            after_build.failure_output(),
        )));
    }
    images.tags.push(after_tag.clone());
    let before = engine.inspect(&before_tag)?;
    let after = engine.inspect(&after_tag)?;
    let mut verdict = Verdict {
        size: Measure::new(before.size, after.size),
        seconds: Measure::new(before_build.elapsed, after_build.elapsed),
        ..Verdict::default()
    };
    let intents = intent::intents_of(candidate.applied.iter().copied());
    let before_facts = dockerfile::facts(&candidate.original);
    let after_facts = dockerfile::facts(&candidate.rewrite);
    let base_changed =
        intents.contains(&Intent::BaseImage) && before_facts.final_base != after_facts.final_base;
    report::judge_config(
        &mut verdict,
        image::compare(&before.config, &after.config),
        &intents,
        base_changed,
        &[&before_facts, &after_facts],
    );
    let before_root = engine.filesystem(&before_tag)?;
    let after_root = engine.filesystem(&after_tag)?;
    let exclusion = rewrite
        .exclusion
        .as_ref()
        .filter(|_| intents.contains(&Intent::ExcludedPaths));
    verdict.files = files::compare(&files::Images {
        before_root: &before_root.path,
        after_root: &after_root.path,
        before: &before.config,
        after: &after.config,
        app_paths: &before_facts.app_paths,
        base_changed,
        build_files_dropped: intents.contains(&Intent::BuildFiles),
        cache_folders: &new_cache_mounts(&before_facts, &after_facts),
        excluded: exclusion,
    });
    if let Some(note) = rewrite.note {
        verdict.notes.push(note);
    }
    verdict.notes.extend(secrets.notes());
    if let Some(smoke) = &args.smoke {
        smoke_test(engine, smoke, &before_tag, &after_tag, &mut verdict)?;
    }
    if !args.probe.is_empty() {
        // What the servers answered leads the verdict: it is what users of the image see.
        let found_before = std::mem::take(&mut verdict.differences);
        probe::probe_both(
            engine,
            &args.probe,
            std::time::Duration::from_secs(args.probe_timeout),
            (&before_tag, &before.config),
            (&after_tag, &after.config),
            &mut verdict,
        )?;
        verdict.differences.extend(found_before);
    }
    Ok(verdict.into_outcome())
}

/// The cache mounts of the rewrite's final stages that the original's lack: what the RUNs put
/// there (package caches) is no longer in the image, whichever transform (or `--against` file)
/// mounted them.
fn new_cache_mounts(before: &dockerfile::Facts, after: &dockerfile::Facts) -> Vec<PathBuf> {
    let mounted_before = |folder: &&PathBuf| before.cache_mounts.contains(folder);
    after
        .cache_mounts
        .iter()
        .filter(|folder| !mounted_before(folder))
        .cloned()
        .collect()
}

/// The build arguments the rewrite receives as build secrets instead (it mounts a secret of
/// that name the original does not, and the original declares an `ARG` of it): those set in
/// this process's environment are given to both builds from there (`--build-arg NAME` to the
/// original, `--secret id=NAME,env=NAME` to the rewrite), so both see the value; the others
/// are built without it.
struct SecretsGiven {
    given: Vec<String>,
    unset: Vec<String>,
}

impl SecretsGiven {
    fn of(candidate: &Candidate) -> SecretsGiven {
        let (arguments, before) = dockerfile::arguments_and_secrets(&candidate.original);
        let (_, after) = dockerfile::arguments_and_secrets(&candidate.rewrite);
        let (given, unset) = after
            .difference(&before)
            .filter(|name| arguments.contains(*name))
            .cloned()
            .partition(|name| std::env::var_os(name).is_some());
        SecretsGiven { given, unset }
    }

    fn notes(&self) -> Vec<String> {
        let given = self.given.iter().map(|name| {
            format!("build argument {name} given from the environment: `--build-arg {name}` to the original, `--secret id={name},env={name}` to the rewrite")
        });
        let unset = self.unset.iter().map(|name| {
            format!("build argument {name}, a build secret in the rewrite, is not set in the environment: both built without it")
        });
        given.chain(unset).collect()
    }
}

/// The rewrite as it is built: its Dockerfile in the workspace, the ignore file its build reads
/// there (when it has one of its own), and what the fixes' ignore file leaves out.
struct Rewrite {
    dockerfile: PathBuf,
    ignore_file: Option<PathBuf>,
    exclusion: Option<files::Exclusion>,
    /// Which ignore file the fixes changed, for the verdict.
    note: Option<String>,
}

/// Writes the rewrite under the original's file name in `folder`, with the ignore file its build
/// reads beside it as `NAME.dockerignore` (BuildKit reads that one first; buildah and podman
/// are given it): the one the fixes create or rewrite, else a copy of the original's own. The
/// build context itself is never written.
fn write_rewrite(candidate: &Candidate, folder: &Path) -> Result<Rewrite> {
    let name = candidate
        .path
        .file_name()
        .context("the Dockerfile path has no file name")?;
    let dockerfile = folder.join(name);
    std::fs::write(&dockerfile, &candidate.rewrite)?;
    let paths = IgnoreFilePaths::of(&candidate.context, Some(&candidate.path));
    let changed = |path: &Path| candidate.beside.iter().find(|file| file.path == path);
    let own = paths.own.as_deref();
    let (text, changed_file) = match (own.and_then(changed), changed(&paths.shared)) {
        (Some(file), _) => (Some(file.content.clone()), Some(file)),
        _ if own.is_some_and(Path::is_file) => {
            (own.map(std::fs::read_to_string).transpose()?, None)
        }
        (None, Some(file)) => (Some(file.content.clone()), Some(file)),
        (None, None) => (None, None),
    };
    let mut ignore_name = name.to_os_string();
    ignore_name.push(".dockerignore");
    let ignore_file = match &text {
        Some(text) => {
            let path = folder.join(&ignore_name);
            std::fs::write(&path, text)?;
            Some(path)
        }
        None => None,
    };
    let before = |file: &ChangedFile| match &file.original {
        Some(original) => Some(original.clone()),
        None if file.path == paths.shared => None,
        None => std::fs::read_to_string(&paths.shared).ok(),
    };
    let exclusion =
        changed_file.and_then(|file| files::Exclusion::new(before(file).as_deref(), &file.content));
    let note = changed_file.map(|file| {
        let verb = if file.original.is_some() {
            "rewritten"
        } else {
            "created"
        };
        format!(
            "built with the {verb} ignore file {}",
            display_path(&file.path)
        )
    });
    Ok(Rewrite {
        dockerfile,
        ignore_file,
        exclusion,
        note,
    })
}

/// Runs the smoke command in both images and compares exit code and output.
fn smoke_test(
    engine: &dyn ContainerEngine,
    smoke: &str,
    before_tag: &str,
    after_tag: &str,
    verdict: &mut Verdict,
) -> Result<()> {
    let argv = smoke_argv(smoke);
    let mut before = engine.run(before_tag, &argv)?;
    let mut after = engine.run(after_tag, &argv)?;
    // A container run that fails with no output at all is retried once: a transient engine
    // failure (seen with buildah's chroot isolation under load) must not read as a difference.
    if before.code != after.code || before.stdout != after.stdout {
        if before.code != Some(0) && before.stdout.is_empty() {
            before = engine.run(before_tag, &argv)?;
        }
        if after.code != Some(0) && after.stdout.is_empty() {
            after = engine.run(after_tag, &argv)?;
        }
    }
    if before.code != after.code {
        verdict.differences.push(format!(
            "smoke `{smoke}`: {} → {}",
            process::exit_description(before.code),
            process::exit_description(after.code)
        ));
    }
    if before.stdout != after.stdout {
        verdict.differences.push(format!(
            "smoke `{smoke}`: output {:?} → {:?}",
            report::excerpt(&before.stdout),
            report::excerpt(&after.stdout)
        ));
    }
    if before.code == after.code && before.stdout == after.stdout {
        verdict.notes.push(format!(
            "smoke `{smoke}`: same output, {}",
            process::exit_description(before.code)
        ));
    }
    Ok(())
}

/// The smoke command as words when it is one plain command, else run by `/bin/sh -c`.
fn smoke_argv(smoke: &str) -> Vec<String> {
    let lexed = shell::lex(smoke);
    match lexed.commands.first() {
        Some(command) if lexed.is_plain_command() => command
            .words
            .iter()
            .map(|word| word.value.clone())
            .collect(),
        _ => vec!["/bin/sh".to_owned(), "-c".to_owned(), smoke.to_owned()],
    }
}

/// Prints a file's verdict and returns its exit code.
fn print_outcome(path: &Path, outcome: &Outcome) -> i32 {
    let name = display_path(path);
    match outcome {
        Outcome::Error(message) => {
            eprintln!("{name}: error: {message}");
            EXIT_ERROR
        }
        Outcome::Equivalent(verdict) => {
            print!("{}", verdict.render(&name, true));
            EXIT_EQUIVALENT
        }
        Outcome::Different(verdict) => {
            print!("{}", verdict.render(&name, false));
            EXIT_DIFFERENT
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoke_commands_run_without_a_shell_when_plain() {
        assert_eq!(
            smoke_argv("node app.js --check"),
            ["node", "app.js", "--check"]
        );
        assert_eq!(smoke_argv("'a b' c"), ["a b", "c"]);
        assert_eq!(
            smoke_argv("cat /x | wc -l"),
            ["/bin/sh", "-c", "cat /x | wc -l"]
        );
    }

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        verify: VerifyArgs,
    }

    fn parse(args: &[&str]) -> Result<VerifyArgs, clap::Error> {
        use clap::Parser as _;
        Cli::try_parse_from(std::iter::once("verify").chain(args.iter().copied()))
            .map(|cli| cli.verify)
    }

    #[test]
    fn probes_and_their_timeout_are_parsed() {
        let args = parse(&[
            "--probe",
            "3000",
            "--probe",
            "8000/health?x=1",
            "Dockerfile",
        ])
        .unwrap();
        let shown: Vec<String> = args.probe.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["3000/", "8000/health?x=1"]);
        assert_eq!(args.probe_timeout, 30);
        let args = parse(&["--probe", "80", "--probe-timeout", "5", "D"]).unwrap();
        assert_eq!(args.probe_timeout, 5);
        let error = parse(&["--probe", "http://localhost:3000/", "D"]).unwrap_err();
        assert!(error.to_string().contains("PORT[/PATH]"), "{error}");
        assert!(parse(&["--probe", "0", "D"]).is_err());
        assert!(
            parse(&["--probe-timeout", "5", "D"]).is_err(),
            "a timeout needs a probe"
        );
    }

    #[test]
    fn folder_of_a_bare_name_is_dot() {
        assert_eq!(folder_of(Path::new("Dockerfile")), PathBuf::from("."));
        assert_eq!(folder_of(Path::new("a/Dockerfile")), PathBuf::from("a"));
    }
}
