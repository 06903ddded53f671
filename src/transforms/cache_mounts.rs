#![doc = include_str!("../../transforms/docs/cache-mounts.md")]

use super::{platform, Applicability, Changes, Context, Finding, Fix, Metadata, Transform};
use crate::diagnostics::Rewriter;
use crate::knowledge::vocabulary::vocabulary;
use crate::knowledge::{value_listed, KnowledgeBase, NamedCache, Setup};
use crate::model::{lineage, Dockerfile, ImageRef, Instruction, Stage};
use crate::syntax::InstructionKind;
use drops::{Drops, Mounted};
use environment::Environment;
use hazards::Hazards;
use readers::{already_mounted, Family};
use std::borrow::Cow;
use std::collections::BTreeMap;
use usage::{usage, Usage};
use user::{root_owned_parent, run_user, RunUser};

mod decline;
mod drops;
mod environment;
mod folders;
// Its reading of the scripts a RUN runs is shared with `dockerignore`.
pub(crate) mod hazards;
mod readers;
mod usage;
mod user;

pub use decline::Decline;

pub struct CacheMounts;

impl Transform for CacheMounts {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "cache-mounts",
            summary: "Package-manager caches go in BuildKit cache mounts instead of image layers",
            documentation: include_str!("../../transforms/docs/cache-mounts.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Safe,
            // The image runs the same: `verify` compares the folders the rewrite mounts anyway.
            changes: Changes::Dockerfile,
            intended_changes: &[],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        out.extend(outcomes(file, context).into_iter().map(|o| o.finding));
    }
}

/// What the transform found for one package manager in one family of stages.
#[derive(Debug)]
pub struct Outcome {
    /// The package manager (the profile id, or `apt`).
    pub cache: String,
    /// Why its caches are not mounted; `None` when the finding has a fix.
    pub decline: Option<Decline>,
    pub finding: Finding,
}

/// Every family's outcome for every package manager whose caches one of its RUNs fills.
pub fn outcomes(file: &Dockerfile, context: &Context) -> Vec<Outcome> {
    let knowledge = context.knowledge();
    let caches = knowledge.caches();
    let builder = builder(file);
    let mut out = Vec::new();
    for stages in families(file) {
        let family = Family {
            file,
            stages,
            knowledge,
            context: context
                .build_context_files()
                .map(|files| files as &dyn crate::context::ContextFiles),
        };
        for cache in caches {
            let plan = Plan {
                family: &family,
                context,
                cache,
                builder: &builder,
            };
            out.extend(plan.outcome());
        }
    }
    out
}

/// Variables and the values that mean something to a tool (`GOPROXY` = `off`).
type Settings = BTreeMap<String, Vec<String>>;

/// The reason a setting gives, for a RUN's line and the setting as written.
type MakeDecline = fn(usize, String) -> Decline;

/// What builds the file, as far as it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Builder {
    /// BuildKit: a `# syntax=` frontend that reads `RUN --mount`, or syntax only BuildKit reads.
    BuildKit,
    /// Nothing shows: Docker Engine 23.0 and later, Docker Desktop, buildah and podman read
    /// mounts; the legacy builder does not.
    Unknown,
    /// A `# syntax=` frontend not known to read `RUN --mount`.
    Frontend(String),
}

fn builder(file: &Dockerfile) -> Builder {
    let buildkit = &vocabulary().buildkit;
    let directives = &file.parse().directives;
    if let Some(syntax) = directives.iter().find(|d| d.name == "syntax") {
        let value = syntax.value.trim();
        return match buildkit.mount_frontends.is_match(value) {
            true => Builder::BuildKit,
            false => Builder::Frontend(value.to_owned()),
        };
    }
    let buildkit_only = file.instructions().iter().any(|instruction| {
        instruction.heredoc_count() > 0
            || instruction.flags().iter().any(|flag| {
                let known = buildkit.flags.iter();
                known
                    .clone()
                    .any(|name| flag.name.eq_ignore_ascii_case(name))
            })
    });
    match buildkit_only {
        true => Builder::BuildKit,
        false => Builder::Unknown,
    }
}

/// The stages grouped by the image their chain starts from: a stage and the stages built on it
/// share its filesystem, so its caches.
fn families<'f>(file: &'f Dockerfile) -> Vec<Vec<&'f Stage>> {
    let mut groups: Vec<(usize, Vec<&Stage>)> = Vec::new();
    for stage in file.stages() {
        let chain = file.stage_chain(stage);
        let root = chain.last().map_or(stage.index, |root| root.index);
        match groups.iter_mut().find(|(index, _)| *index == root) {
            Some((_, group)) => group.push(stage),
            None => groups.push((root, vec![stage])),
        }
    }
    groups.into_iter().map(|(_, group)| group).collect()
}

/// One package manager in one family.
struct Plan<'a, 'p> {
    family: &'a Family<'a, 'p>,
    context: &'a Context<'a>,
    cache: &'a NamedCache,
    builder: &'a Builder,
}

/// What one RUN gets.
struct RunPlan<'a, 'p> {
    run: &'a Instruction<'p>,
    user: RunUser,
    /// Every cache folder, and its `sharing`.
    folders: Vec<(String, Option<String>)>,
    /// Those not mounted yet.
    new: Vec<(String, Option<String>)>,
    drops: Drops,
}

impl<'a, 'p> Plan<'a, 'p> {
    fn file(&self) -> &'a Dockerfile<'p> {
        self.family.file
    }

    fn knowledge(&self) -> &'a KnowledgeBase {
        self.family.knowledge
    }

    /// The family's RUNs that run the tool, with what they do.
    fn runs(&self) -> Vec<(&'a Instruction<'p>, Usage)> {
        let file = self.file();
        self.family
            .stages
            .iter()
            .flat_map(|stage| file.stage_instructions(stage))
            .filter(|i| i.kind() == Some(InstructionKind::Run))
            .filter(|run| self.cache.spec.may_be_run_by(file.run_programs(run)))
            .map(|run| (run, usage(file, run, self.cache)))
            .filter(|(_, usage)| usage.uses)
            .collect()
    }

    fn outcome(&self) -> Option<Outcome> {
        let runs = self.runs();
        let first = runs.iter().find(|(_, usage)| usage.fills)?.0;
        if self.cache.spec.skip.is_some() && !self.detected() {
            return None;
        }
        match self.plans(&runs) {
            Ok(plans) => self.fix(first, &plans),
            Err(decline) => Some(self.declined(first, decline)),
        }
    }

    /// The finding that says why the caches stay in the image.
    fn declined(&self, first: &Instruction, decline: Decline) -> Outcome {
        let name = &self.cache.name;
        Outcome {
            cache: self.cache.id.clone(),
            finding: Finding {
                transform: "cache-mounts",
                message: format!("the {name} cache stays in the image: {decline}; not mounted"),
                range: first.range(),
                fix: None,
            },
            decline: Some(decline),
        }
    }

    /// What each RUN gets, or why the family's caches are not mounted.
    fn plans(
        &self,
        runs: &[(&'a Instruction<'p>, Usage)],
    ) -> Result<Vec<RunPlan<'a, 'p>>, Decline> {
        if let Some(blocker) = self.blocker(runs) {
            return Err(blocker);
        }
        let mut plans = runs
            .iter()
            .map(|(run, _)| self.run_plan(run))
            .collect::<Result<Vec<_>, _>>()?;
        let folders: Vec<String> = plans
            .iter()
            .flat_map(|plan| plan.folders.iter().map(|(folder, _)| folder.clone()))
            .collect();
        let family_problem = self
            .family
            .copied_into(&folders)
            .or_else(|| self.family.read_later(&folders))
            .or_else(|| self.family.read_at_run_time(self.cache));
        if let Some(problem) = family_problem {
            return Err(problem);
        }
        for plan in &mut plans {
            plan.drops = self.drops(plan)?;
        }
        let hazards = Hazards {
            family: self.family,
            cache: self.cache,
            runs,
            plans: &plans,
            folders: &folders,
        };
        if let Some(problem) = hazards.check() {
            return Err(problem);
        }
        Ok(plans)
    }

    /// What rules the mounts out before any folder is looked at: the data, the platform, the
    /// frontend, the RUNs' own commands.
    fn blocker(&self, runs: &[(&Instruction, Usage)]) -> Option<Decline> {
        if let Some(why) = &self.cache.spec.skip {
            return Some(Decline::NotMountable(why.clone()));
        }
        if let Some(why) = self.windows() {
            return Some(Decline::Windows(why));
        }
        if let Builder::Frontend(value) = self.builder {
            return Some(Decline::Frontend(value.clone()));
        }
        runs.iter().find_map(|(_, usage)| usage.problem.clone())
    }

    /// Whether the build context shows the profile's project (a `skip` note only then).
    fn detected(&self) -> bool {
        let profile = self.knowledge().profile(&self.cache.id);
        let context = self.context.build_context_files();
        profile.zip(context).is_some_and(|(p, c)| p.detects(c))
    }

    fn windows(&self) -> Option<String> {
        let stages = &self.family.stages;
        let knowledge = self.knowledge();
        let file = self.file();
        stages
            .iter()
            .find_map(|stage| platform::windows_reason(file, stage, knowledge))
    }

    /// The user, folders and environment checks of one RUN.
    fn run_plan(&self, run: &'a Instruction<'p>) -> Result<RunPlan<'a, 'p>, Decline> {
        let file = self.file();
        let line = run.start_line();
        let image = self.root_image(run);
        let image_env = image.as_deref().map_or_else(Vec::new, |image| {
            let pairs = self.cache.spec.image_env(image).into_iter();
            pairs.map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
        });
        let environment = Environment::of(file, run, image_env);
        let user = run_user(file, self.knowledge(), run, &environment)?;
        self.check_settings(&environment, line)?;
        let cwd = self.cwd(run);
        // An image the data does not describe (or one named by a variable without a default)
        // may run as another user or set the variables that move the folder.
        let unknown_image = image.as_deref().filter(|image| {
            file.user_before(run).is_none() && self.knowledge().image_info(image).is_none()
        });
        let mut folders = Vec::new();
        for folder in &self.cache.spec.folders {
            if let Some(image) =
                unknown_image.filter(|_| folders::placed_by_image(folder, &environment))
            {
                return Err(Decline::UnknownImage {
                    line,
                    image: image.raw.clone(),
                });
            }
            let path = folders::resolve(folder, &environment, &user.home)
                .map_err(|why| Decline::UnknownFolder { line, why })?;
            folders.push((path, folder.sharing.clone()));
        }
        let new: Vec<(String, Option<String>)> = folders
            .iter()
            .filter(|(folder, _)| !already_mounted(run, folder, cwd.as_deref()))
            .cloned()
            .collect();
        let locks = |(_, sharing): &(String, Option<String>)| sharing.as_deref() == Some("locked");
        let own_lock = || run.mounts().iter().flatten().any(|mount| mount.locks());
        if new.iter().any(locks) && own_lock() {
            return Err(Decline::SecondLock { line });
        }
        if let Some(problem) = new
            .iter()
            .find_map(|(folder, _)| root_owned_parent(file, run, &user, folder))
        {
            return Err(problem);
        }
        Ok(RunPlan {
            run,
            user,
            folders,
            new,
            drops: Drops::default(),
        })
    }

    /// The image the RUN's stage chain starts from, its FROM's variables replaced by the global
    /// ARGs' defaults.
    fn root_image(&self, run: &Instruction) -> Option<Cow<'a, ImageRef>> {
        let file = self.file();
        let stage = file.stages().get(run.stage?)?;
        Some(lineage::root_image_by_defaults(file, stage))
    }

    fn cwd(&self, run: &Instruction) -> Option<String> {
        let start = self
            .root_image(run)
            .and_then(|image| self.knowledge().image_workdir(&image));
        self.file().workdir_before(run).known_with(start)
    }

    /// The variables that turn the cache off, make the tool offline or make the cache hold what
    /// the image runs.
    fn check_settings(&self, environment: &Environment, line: usize) -> Result<(), Decline> {
        let spec = &self.cache.spec;
        let checks: [(&Settings, MakeDecline); 3] = [
            (&spec.off_env, |line, setting| Decline::CacheOff {
                line,
                setting,
            }),
            (&spec.offline_env, |line, setting| Decline::Offline {
                line,
                setting,
            }),
            (&spec.runtime_env, |line, setting| Decline::HoldsRuntime {
                line,
                setting,
            }),
        ];
        for (variables, problem) in checks {
            for (name, values) in variables {
                match environment.value(name) {
                    None => {}
                    Some(Ok(value)) if !value_listed(values, &value) => {}
                    Some(Ok(value)) => return Err(problem(line, format!("{name}={value}"))),
                    Some(Err(why)) => return Err(Decline::UnknownFolder { line, why }),
                }
            }
        }
        Ok(())
    }

    fn drops(&self, plan: &RunPlan) -> Result<Drops, Decline> {
        let targets: Vec<String> = plan.folders.iter().map(|(f, _)| f.clone()).collect();
        let cwd = self.cwd(plan.run);
        Mounted {
            file: self.file(),
            run: plan.run,
            cache: self.cache,
            targets: &targets,
            home: &plan.user.home,
            cwd: cwd.as_deref(),
        }
        .drops()
    }

    /// The finding with its fix; `None` when every RUN is mounted already and nothing is moot.
    fn fix(&self, first: &Instruction, plans: &[RunPlan]) -> Option<Outcome> {
        let mut rewriter = Rewriter::new(self.file());
        let set_up = self.write(plans, &mut rewriter);
        if rewriter.is_empty() {
            return None;
        }
        let risks = self.risks(set_up);
        let applicability = match risks.is_empty() {
            true => Applicability::Safe,
            false => Applicability::Unsafe,
        };
        let setup = self.cache.spec.setup.as_ref().filter(|_| set_up);
        let mut message = self.message(plans, setup);
        if !risks.is_empty() {
            message.push_str(&format!(" (unsafe: {})", risks.join("; ")));
        }
        Some(Outcome {
            cache: self.cache.id.clone(),
            decline: None,
            finding: Finding {
                transform: "cache-mounts",
                message,
                range: first.range(),
                fix: Some(Fix::new(applicability, rewriter.finish())),
            },
        })
    }

    /// Writes the mounts, the drops and the setups; whether a setup was written.
    fn write(&self, plans: &[RunPlan], rewriter: &mut Rewriter) -> bool {
        let file = self.file();
        let setup = self.cache.spec.setup.as_ref();
        let mut setups: Vec<usize> = Vec::new();
        for plan in plans {
            if plan.drops.empties_run {
                rewriter.delete(file.block_range(plan.run));
                continue;
            }
            if !plan.new.is_empty() {
                if let Some(setup) = setup.filter(|s| !self.set_up_before(plan.run, s, &setups)) {
                    let line = rewriter.instruction(InstructionKind::Run, &setup.run);
                    rewriter.insert_lines(file.block_range(plan.run).start, &[line]);
                    setups.push(plan.run.index);
                }
                insert_mounts(plan, rewriter);
            }
            for edit in &plan.drops.edits {
                rewriter.replace(edit.range(), edit.content.clone());
            }
        }
        !setups.is_empty()
    }

    /// Whether a RUN before `run` (or a setup planned before it or an earlier RUN of its
    /// history) removed what the setup removes.
    fn set_up_before(&self, run: &Instruction, setup: &Setup, planned: &[usize]) -> bool {
        let file = self.file();
        let history = lineage::history(file, run);
        history.iter().any(|earlier| {
            planned.contains(&earlier.index)
                || (earlier.kind() == Some(InstructionKind::Run) && removes(file, earlier, setup))
        })
    }

    /// Why the fix is unsafe, if it is.
    fn risks(&self, sets_up: bool) -> Vec<String> {
        let mut risks = Vec::new();
        if *self.builder == Builder::Unknown {
            risks.push("the file uses nothing only BuildKit reads yet, and the legacy builder (DOCKER_BUILDKIT=0, Docker Engine before 23.0 without BuildKit) rejects `RUN --mount`".to_owned());
        }
        let file = self.file();
        let final_stage = file.final_stage().map(|stage| stage.index);
        let holds_final = self
            .family
            .stages
            .iter()
            .any(|s| Some(s.index) == final_stage);
        if let (true, true, Some(setup)) = (sets_up, holds_final, &self.cache.spec.setup) {
            risks.push(format!(
                "the setup `{}` stays in the final image ({}), so images built on it keep what they download in their layers unless they clean up",
                setup.run, setup.why
            ));
        }
        risks
    }

    fn message(&self, plans: &[RunPlan], setup: Option<&Setup>) -> String {
        let name = &self.cache.name;
        let mounted: Vec<&RunPlan> = plans.iter().filter(|p| !p.new.is_empty()).collect();
        let folders = new_folders(&mounted).join(", ");
        let mut message = match mounted.as_slice() {
            [] => format!("the {name} cache is mounted already"),
            [one] => format!(
                "the RUN on line {} keeps the {name} cache ({folders}) in the image: mount it with `RUN --mount=type=cache`",
                one.run.start_line()
            ),
            several => format!(
                "the RUNs on lines {} keep the {name} cache ({folders}) in the image: mount it with `RUN --mount=type=cache` in each",
                lines(several)
            ),
        };
        message.push_str(&dropped(plans));
        if let Some(setup) = setup {
            message.push_str(&format!("; before it, `{}`: {}", setup.run, setup.why));
        }
        message
    }
}

/// The folders newly mounted, each once, in order.
fn new_folders<'p>(plans: &[&'p RunPlan]) -> Vec<&'p str> {
    let mut folders: Vec<&str> = Vec::new();
    for (folder, _) in plans.iter().flat_map(|p| &p.new) {
        if !folders.contains(&folder.as_str()) {
            folders.push(folder);
        }
    }
    folders
}

/// What the plans drop, for the message (empty when nothing).
fn dropped(plans: &[RunPlan]) -> String {
    let dropped: Vec<String> = plans
        .iter()
        .flat_map(|p| p.drops.dropped.iter().map(|d| format!("`{d}`")))
        .collect();
    let removed: Vec<String> = plans
        .iter()
        .filter(|p| p.drops.empties_run)
        .map(|p| p.run.start_line().to_string())
        .collect();
    let mut text = String::new();
    if !dropped.is_empty() {
        text.push_str(&format!(
            "; drop {}, which only empties the cache or keeps it out of the layer",
            dropped.join(", ")
        ));
    }
    if !removed.is_empty() {
        text.push_str(&format!(
            " (the RUN on line {} had nothing else)",
            removed.join(", ")
        ));
    }
    text
}

fn lines(plans: &[&RunPlan]) -> String {
    let numbers: Vec<String> = plans
        .iter()
        .map(|p| p.run.start_line().to_string())
        .collect();
    numbers.join(", ")
}

/// Whether a RUN removes the file a setup removes.
fn removes(file: &Dockerfile, run: &Instruction, setup: &Setup) -> bool {
    file.shell_scripts(run).iter().any(|script| {
        script
            .simple_commands()
            .iter()
            .any(|command| command.words.iter().any(|word| word.value == setup.removes))
    })
}

/// Writes the `--mount` flags for a RUN's new folders, each on its own line when there are
/// several. A `locked` mount goes after every other flag and the others before the RUN's own
/// flags, so a RUN's locked mount is its last cache mount: buildah before 1.29 releases only the
/// lock of the last cache mount of a RUN (containers/buildah#4349), and the next RUN locking the
/// folder would wait forever.
fn insert_mounts(plan: &RunPlan, rewriter: &mut Rewriter) {
    let line_break = rewriter.style().line_break();
    let separator = match plan.new.len() {
        1 => " ".to_owned(),
        _ => line_break,
    };
    let flag = |(target, sharing): &(String, Option<String>)| {
        let mut flag = format!("--mount=type=cache,target={target}");
        if let Some(sharing) = sharing {
            flag.push_str(&format!(",sharing={sharing}"));
        }
        if let Some(uid) = plan.user.uid {
            flag.push_str(&format!(",uid={uid}"));
        }
        format!("{flag}{separator}")
    };
    let locked = |(_, sharing): &&(String, Option<String>)| sharing.as_deref() == Some("locked");
    let first: String = plan.new.iter().filter(|m| !locked(m)).map(flag).collect();
    let last: String = plan.new.iter().filter(locked).map(flag).collect();
    let args = plan.run.args_range().start;
    let own_flags = plan.run.flags().first().map(|f| f.range.start);
    let (before_flags, at_args) = match own_flags {
        Some(start) => ((start, first), last),
        None => ((args, String::new()), first + &last),
    };
    for (offset, text) in [before_flags, (args, at_args)] {
        if !text.is_empty() {
            rewriter.insert(offset, text);
        }
    }
}
