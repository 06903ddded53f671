//! How the runtime stage gets only the production dependencies of an application-folder
//! ecosystem that has a prune command (npm): from a stage of their own, installed from the
//! manifests with the build's own install command plus the production option (`npm ci
//! --omit=dev`), so an edit of the sources does not redo it; or, when that is not sure to give
//! the same folder, by pruning in the build stage after its last `RUN`, with the reason. Also
//! the variables that run the application in production (`NODE_ENV=production`), unless the
//! Dockerfile sets them or the build context has configuration they would switch.

use super::facts::Facts;
use crate::knowledge::{Needs, Production, Role};
use crate::model::script::{base_name, parse};
use crate::model::Instruction;
use crate::syntax::InstructionKind;
use std::collections::BTreeSet;

/// How deep `npm run` may call other scripts before the trace gives up.
const SCRIPT_DEPTH: usize = 8;

/// Where the runtime's dependencies come from.
pub(super) enum Dependencies<'a> {
    /// The build stage prunes its own after its last `RUN`; `why` says why no stage of their
    /// own installs them (`None` when the prune already runs before the sources are copied).
    Prune {
        command: &'a str,
        why: Option<String>,
    },
    /// A stage of their own.
    Stage(DependencyStage),
}

/// The stage installing the production dependencies.
pub(super) struct DependencyStage {
    pub name: String,
    /// The build stage's instructions before its install that the install may depend on
    /// (`WORKDIR`, `ARG`, `ENV`, `USER`, `SHELL`, the manifests' `COPY`, `RUN`s), by index.
    pub setup: Vec<usize>,
    /// The install's `RUN` flags (`--mount=…`, each followed by a space).
    pub flags: String,
    /// The install command, with the production option.
    pub install: String,
    /// The folder the install fills, absolute.
    pub folder: String,
    /// The folder relative to the application folder (what the build stage removes).
    pub relative: String,
}

impl Dependencies<'_> {
    /// What the message says about the production dependencies.
    pub(super) fn describe(&self) -> String {
        match self {
            Dependencies::Prune { why: None, .. } => " (development dependencies pruned)".into(),
            Dependencies::Prune { why: Some(why), .. } => {
                format!(" (development dependencies pruned after the build, not installed in a stage of their own: {why})")
            }
            Dependencies::Stage(stage) => format!(
                " (its {} from a `{}` stage that runs `{}` on the manifests only, which source edits do not redo)",
                stage.relative, stage.name, stage.install
            ),
        }
    }
}

/// The production dependencies of the application folder `app`, when the layout prunes and
/// `prune` (the command) applies.
pub(super) fn dependencies<'a>(
    facts: &Facts<'a, '_>,
    prune: &'a str,
    app: &str,
) -> Dependencies<'a> {
    let Some(production) = facts.layout.production.as_ref() else {
        return Dependencies::Prune {
            command: prune,
            why: None,
        };
    };
    match dependency_stage(facts, production, app) {
        Ok(stage) => Dependencies::Stage(stage),
        Err(why) => Dependencies::Prune {
            command: prune,
            why,
        },
    }
}

/// The stage of their own, or why not (`None`: nothing would be gained).
fn dependency_stage(
    facts: &Facts,
    production: &Production,
    app: &str,
) -> Result<DependencyStage, Option<String>> {
    let Install { index, text, omits } = the_install(facts, production)?;
    if omits {
        return Err(None);
    }
    let later_runs: Vec<&Instruction> = facts.instructions[index + 1..]
        .iter()
        .filter(|i| i.kind() == Some(InstructionKind::Run))
        .collect();
    if later_runs.is_empty() {
        return Err(None);
    }
    if facts.cwd_at(index).as_deref() != Some(app) {
        return Err(Some(format!(
            "`{text}` runs outside the application folder {app}"
        )));
    }
    check_only_manifests_before(facts, index)?;
    if let Some(hook) = facts.profile.hooks_present(facts.context).first() {
        return Err(Some(format!(
            "the install runs lifecycle scripts or reads more than the manifests ({hook}), which may need development dependencies"
        )));
    }
    let scripts = Scripts::read(facts, production)?;
    for run in later_runs {
        check_build_step(production, &scripts, run)?;
    }
    let flags: Vec<&str> = facts.instructions[index]
        .flags()
        .iter()
        .map(|flag| flag.range.slice(facts.file.text()))
        .collect();
    Ok(DependencyStage {
        name: facts.unused_stage_name(&production.stage),
        setup: setup_instructions(facts, index),
        flags: flags.iter().map(|flag| format!("{flag} ")).collect(),
        install: format!("{text} {}", production.install_option),
        folder: format!("{}/{}", app.trim_end_matches('/'), production.folder),
        relative: production.folder.clone(),
    })
}

/// The stage's one install of the profile.
struct Install {
    index: usize,
    /// The command as written.
    text: String,
    /// It already leaves development dependencies out.
    omits: bool,
}

/// The stage's one install of the profile, which must be its `RUN`'s only command (the stage
/// of their own repeats it alone) and need only the manifests.
fn the_install(facts: &Facts, production: &Production) -> Result<Install, Option<String>> {
    let value_options: Vec<&str> = facts
        .profile
        .value_options
        .iter()
        .map(String::as_str)
        .collect();
    let mut found = None;
    for (index, run) in facts.instructions.iter().enumerate() {
        let Some(script) = run
            .script()
            .filter(|_| run.kind() == Some(InstructionKind::Run))
        else {
            continue;
        };
        for command in &script.lexed.commands {
            let Some(matched) = facts.profile.match_command(command, script.text) else {
                continue;
            };
            if matched.rule.role != Role::Install {
                continue;
            }
            if found.is_some() {
                return Err(Some(
                    "the build installs dependencies more than once".into(),
                ));
            }
            if matched.rule.needs != Needs::Manifests || matched.dynamic {
                return Err(Some(format!(
                    "`{}` may read more than the manifests",
                    matched.text
                )));
            }
            if script.lexed.commands.len() != 1 || run.heredoc_count() > 0 {
                return Err(Some(format!(
                    "`{}` runs with other commands in one RUN",
                    matched.text
                )));
            }
            let omits = command.command_line(&value_options).is_some_and(|line| {
                production
                    .omitting_options
                    .iter()
                    .any(|option| line.has_option(option))
            });
            found = Some(Install {
                index,
                text: command.range.slice(script.text).to_owned(),
                omits,
            });
        }
    }
    found.ok_or(None)
}

/// Every `COPY`/`ADD` from the build context before the install brings only dependency files
/// (manifests, lock files, configuration): the stage of their own then installs the same.
/// A lock file must be among them: a second install without one may resolve other versions
/// than the build's.
fn check_only_manifests_before(facts: &Facts, install: usize) -> Result<(), Option<String>> {
    if !facts.context.has_files() {
        return Err(Some("the build context is unknown".into()));
    }
    let dependency_files = facts.profile.dependency_files(facts.context);
    let mut copied = Vec::new();
    for copy in facts.instructions[..install]
        .iter()
        .filter(|i| matches!(i.kind(), Some(InstructionKind::Copy | InstructionKind::Add)))
    {
        let mut reads_sources = || {
            let Some(args) = copy.copy_args() else {
                return true;
            };
            args.sources.iter().any(|source| {
                let matched = facts.context.glob(source.value.trim_start_matches("./"));
                let reads = matched.is_empty()
                    || matched.iter().any(|path| !dependency_files.contains(path));
                copied.extend(matched);
                reads
            })
        };
        if copy.flag("from").is_some() || reads_sources() {
            return Err(Some(format!(
                "the install reads more than the manifests (`{}` comes before it)",
                copy.logical_text().trim()
            )));
        }
    }
    let locked = facts
        .profile
        .files
        .locks
        .iter()
        .flat_map(|glob| facts.context.glob(glob))
        .any(|lock| copied.contains(&lock));
    if !locked {
        return Err(Some(
            "no lock file is copied before the install, so a second install may resolve other versions than the build's".into(),
        ));
    }
    Ok(())
}

/// The build stage's instructions before the install that the stage of their own repeats:
/// all but `FROM` and those that only configure a container started from the image.
fn setup_instructions(facts: &Facts, install: usize) -> Vec<usize> {
    (1..install)
        .filter(|&index| {
            matches!(
                facts.instructions[index].kind(),
                Some(
                    InstructionKind::Workdir
                        | InstructionKind::Arg
                        | InstructionKind::Env
                        | InstructionKind::User
                        | InstructionKind::Shell
                        | InstructionKind::Copy
                        | InstructionKind::Add
                        | InstructionKind::Run
                )
            )
        })
        .collect()
}

/// The manifest's scripts, by name.
struct Scripts(serde_json::Map<String, serde_json::Value>);

impl Scripts {
    fn read(facts: &Facts, production: &Production) -> Result<Scripts, Option<String>> {
        let file = &production.scripts_file;
        let unreadable = || Some(format!("{file} cannot be read"));
        let text = facts
            .context
            .read_to_string(file)
            .map_err(|_| unreadable())?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| unreadable())?;
        let scripts = value
            .get(&production.scripts_key)
            .and_then(serde_json::Value::as_object)
            .cloned()
            .unwrap_or_default();
        Ok(Scripts(scripts))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(serde_json::Value::as_str)
    }
}

/// A build step after the install must only run scripts of the manifest made of build
/// programs, which cannot change the dependency folder the stage of their own replaces.
fn check_build_step(
    production: &Production,
    scripts: &Scripts,
    run: &Instruction,
) -> Result<(), Option<String>> {
    let Some(script) = run.script().filter(|_| run.heredoc_count() == 0) else {
        return Err(Some(format!(
            "`{}` may write into {}",
            run.logical_text().trim(),
            production.folder
        )));
    };
    let mut visited = BTreeSet::new();
    for command in &script.lexed.commands {
        let words: Vec<&str> = command
            .words
            .iter()
            .map(|word| word.value.as_str())
            .collect();
        check_words(production, scripts, &words, &mut visited, 0).map_err(|what| {
            Some(format!(
                "`{}` may write into {} ({what})",
                command.range.slice(script.text),
                production.folder
            ))
        })?;
    }
    Ok(())
}

/// Whether a command (its words) only runs build programs, following `npm run NAME` into the
/// manifest's scripts (with their `pre`/`post` scripts); the offending part otherwise.
fn check_words(
    production: &Production,
    scripts: &Scripts,
    words: &[&str],
    visited: &mut BTreeSet<String>,
    depth: usize,
) -> Result<(), String> {
    let launched = words
        .first()
        .filter(|program| production.launchers.iter().any(|l| l == base_name(program)))
        .map_or(0, |_| {
            1 + words[1..].iter().take_while(|w| w.starts_with('-')).count()
        });
    let words = &words[launched.min(words.len())..];
    let Some(program) = words.first() else {
        return Ok(());
    };
    if words
        .iter()
        .any(|word| word.contains(production.folder.as_str()))
    {
        return Err(format!("it names {}", production.folder));
    }
    let runner = production.script_runners.iter().find(|runner| {
        runner.len() < words.len()
            && runner
                .iter()
                .zip(words)
                .all(|(expected, word)| expected == word)
    });
    let Some(runner) = runner else {
        return if production
            .build_programs
            .iter()
            .any(|p| p == base_name(program))
        {
            Ok(())
        } else {
            Err(format!("`{program}` is not a known build program"))
        };
    };
    let name = words[runner.len()];
    if depth >= SCRIPT_DEPTH || !visited.insert(name.to_owned()) {
        return Ok(());
    }
    let named = production
        .script_hooks
        .iter()
        .map(|prefix| format!("{prefix}{name}"))
        .chain(std::iter::once(name.to_owned()));
    let mut found = false;
    for script_name in named {
        let Some(text) = scripts.get(&script_name) else {
            continue;
        };
        found |= script_name == name;
        check_script(production, scripts, text, visited, depth + 1)
            .map_err(|what| format!("script `{script_name}`: {what}"))?;
    }
    if found {
        Ok(())
    } else {
        Err(format!("no script `{name}` in {}", production.scripts_file))
    }
}

/// A script of the manifest: every command it runs must pass [`check_words`].
fn check_script(
    production: &Production,
    scripts: &Scripts,
    text: &str,
    visited: &mut BTreeSet<String>,
    depth: usize,
) -> Result<(), String> {
    let parsed = parse(text);
    if !parsed.errors.is_empty() {
        return Err(format!("`{text}` cannot be read"));
    }
    for command in parsed.script.simple_commands() {
        let words: Vec<&str> = command
            .words
            .iter()
            .map(|word| word.value.as_str())
            .collect();
        if !command.assignments.is_empty() && words.is_empty() {
            continue;
        }
        check_words(production, scripts, &words, visited, depth)?;
    }
    Ok(())
}

/// The variables that run the application in production, which the runtime stage sets.
#[derive(Default)]
pub(super) struct ProductionEnv {
    pub set: Vec<(String, String)>,
    /// Why they are not set, when the Dockerfile does not set them itself.
    pub skipped: Option<String>,
}

/// The profile's production variables (`NODE_ENV=production`) for a runtime that receives only
/// production dependencies: none when the Dockerfile sets one itself (in the stage, a global
/// `ARG` or the command), with the reason when the build context is unknown or holds
/// configuration they would switch.
pub(super) fn environment(facts: &Facts, dependencies: Option<&Dependencies>) -> ProductionEnv {
    let Some(production) = facts
        .layout
        .production
        .as_ref()
        .filter(|_| dependencies.is_some())
    else {
        return ProductionEnv::default();
    };
    let set_by_dockerfile = production
        .env
        .keys()
        .any(|name| facts.sets_variable(name) || launch_assigns(facts, name));
    if production.env.is_empty() || set_by_dockerfile {
        return ProductionEnv::default();
    }
    let names: Vec<&str> = production.env.keys().map(String::as_str).collect();
    let skipped = |why: String| ProductionEnv {
        set: Vec::new(),
        skipped: Some(format!("{} is left unset: {why}", names.join(", "))),
    };
    if !facts.context.has_files() {
        return skipped("the build context is unknown".into());
    }
    let readers: Vec<String> = production
        .env_readers
        .iter()
        .flat_map(|glob| facts.context.glob(glob))
        .map(|path| path.display().to_string())
        .collect();
    if !readers.is_empty() {
        return skipped(format!(
            "the application's configuration depends on it ({})",
            readers.join(", ")
        ));
    }
    ProductionEnv {
        set: production
            .env
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
        skipped: None,
    }
}

/// Whether the `ENTRYPOINT` or `CMD` assigns the variable `name` (`NODE_ENV=test node app.js`,
/// `export NODE_ENV=…`; in exec form, in any element, which a shell may run).
fn launch_assigns(facts: &Facts, name: &str) -> bool {
    let assigns = |word: &str| {
        word.split_whitespace().any(|part| {
            part.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('='))
        })
    };
    let (entrypoint, cmd) = facts.launch_instructions();
    [entrypoint, cmd].into_iter().flatten().any(|instruction| {
        match (instruction.script(), instruction.exec_form()) {
            (Some(script), _) => script
                .lexed
                .commands
                .iter()
                .any(|command| command.words.iter().any(|word| assigns(&word.value))),
            (None, Some(elements)) => elements.iter().any(|element| assigns(&element.value)),
            (None, None) => false,
        }
    })
}
