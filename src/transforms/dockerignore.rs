#![doc = include_str!("../../transforms/docs/dockerignore.md")]

pub(super) mod survey;
pub(super) mod target;

use super::{Applicability, Changes, Context, Finding, Fix, IntendedChange, Metadata, Transform};
use crate::context::{BuildContext, ContextEntry};
use crate::knowledge::exclusions::{ExclusionGroup, Exclusions, ProducedFolders, Risk};
use crate::model::Dockerfile;
use survey::{first_whole_context_copy, run_commands, Named};
use target::{pattern_for_name, Action, Block, IgnoreTarget};

pub struct Dockerignore;

impl Transform for Dockerignore {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "dockerignore",
            summary: "A build context that holds .git, node_modules, build outputs, … gets them excluded in its .dockerignore",
            documentation: include_str!("../../transforms/docs/dockerignore.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Safe,
            changes: Changes::IgnoreFile,
            intended_changes: &[IntendedChange::ExcludedPaths],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        let Some(build) = context.build_context_files() else {
            return;
        };
        let Some(copy) = first_whole_context_copy(file, build) else {
            return;
        };
        let Some(entries) = survey::entries(build) else {
            return;
        };
        let groups = excluded_groups(file, build, entries);
        if !groups.iter().any(|group| group.trigger) {
            return;
        }
        let Some(target) = IgnoreTarget::of(context, build) else {
            return;
        };
        let blocks: Vec<Block> = groups.iter().map(ExcludedGroup::block).collect();
        let applicability = match groups.iter().any(|group| group.why.is_some()) {
            true => Applicability::Unsafe,
            false => Applicability::Safe,
        };
        out.push(Finding {
            transform: self.id(),
            message: message(&groups, &target),
            range: copy.range(),
            fix: Some(Fix::of_files(applicability, vec![target.change(&blocks)])),
        });
    }
}

/// Entries of one group that the ignore file will exclude.
#[derive(Clone, Debug)]
struct ExcludedGroup {
    title: String,
    /// Patterns: `NAME` for an entry at the root only, `**/NAME` when one is deeper.
    patterns: Vec<String>,
    /// Why excluding them may change the image, when it may.
    why: Option<String>,
    trigger: bool,
}

impl ExcludedGroup {
    fn block(&self) -> Block {
        Block {
            title: self.title.clone(),
            entries: self.patterns.clone(),
        }
    }
}

/// What the ignore file should exclude, group by group, in the data's order: the entries the
/// ignore file does not exclude yet and the Dockerfile does not name.
fn excluded_groups(
    file: &Dockerfile,
    build: &BuildContext,
    entries: &[ContextEntry],
) -> Vec<ExcludedGroup> {
    let exclusions = Exclusions::builtin();
    let named = Named::of(file);
    let commands = run_commands(file);
    let candidates: Vec<&ContextEntry> = entries
        .iter()
        .filter(|entry| !entry.ignored && !named.copies(&entry.path))
        .collect();
    let mut groups = Vec::new();
    for group in &exclusions.groups {
        if kept_by_build(group, &commands, build) {
            continue;
        }
        let found = candidates
            .iter()
            .copied()
            .filter(|entry| group.matches(entry.name()) && !named.mentions(entry.name()));
        push_group(
            &mut groups,
            &group.title,
            patterns(found),
            group_why(group),
            group.trigger,
        );
    }
    for produced in &exclusions.produced {
        if !filled_by_build(produced, &commands) {
            continue;
        }
        let found = candidates.iter().copied().filter(|entry| {
            entry.is_dir && produced.folders.iter().any(|folder| folder == entry.name())
        });
        let why = Some(produced.why.clone());
        push_group(&mut groups, &produced.title, patterns(found), why, true);
    }
    groups
}

/// Adds a group's patterns, under the title of an earlier group with the same title.
fn push_group(
    groups: &mut Vec<ExcludedGroup>,
    title: &str,
    patterns: Vec<String>,
    why: Option<String>,
    trigger: bool,
) {
    if patterns.is_empty() {
        return;
    }
    if let Some(same) = groups.iter_mut().find(|group| group.title == title) {
        same.patterns.extend(patterns);
        return;
    }
    groups.push(ExcludedGroup {
        title: title.to_owned(),
        patterns,
        why,
        trigger,
    });
}

fn group_why(group: &ExclusionGroup) -> Option<String> {
    match group.applicability {
        Risk::Safe => None,
        Risk::Unsafe => Some(group.why.clone().unwrap_or_default()),
    }
}

/// Whether the build reads what the group holds: a RUN runs one of its programs, or a file of
/// the context that builds read mentions one of its words.
fn kept_by_build(
    group: &ExclusionGroup,
    commands: &[(String, Vec<String>)],
    build: &BuildContext,
) -> bool {
    let runs = commands
        .iter()
        .any(|(program, _)| group.kept_when_run.contains(program));
    runs || group
        .kept_when_files_mention
        .as_ref()
        .is_some_and(|mentions| {
            mentions.files.iter().any(|name| {
                build.read_to_string(name).is_ok_and(|text| {
                    mentions
                        .words
                        .iter()
                        .any(|word| text.contains(word.as_str()))
                })
            })
        })
}

/// Whether a RUN runs a command that fills the folders.
fn filled_by_build(produced: &ProducedFolders, commands: &[(String, Vec<String>)]) -> bool {
    commands.iter().any(|(program, positionals)| {
        let words: Vec<&str> = positionals.iter().map(String::as_str).collect();
        produced.filled_by(program, &words)
    })
}

/// One pattern per name: `NAME` when every entry of that name is at the root, else `**/NAME`.
fn patterns<'e>(found: impl Iterator<Item = &'e ContextEntry>) -> Vec<String> {
    let mut names: Vec<(String, bool)> = Vec::new();
    for entry in found {
        let deep = entry.depth() > 0;
        match names.iter_mut().find(|(name, _)| name == entry.name()) {
            Some((_, any_deep)) => *any_deep |= deep,
            None => names.push((entry.name().to_owned(), deep)),
        }
    }
    names
        .into_iter()
        .map(|(name, deep)| match deep {
            true => format!("**/{}", pattern_for_name(&name)),
            false => pattern_for_name(&name),
        })
        .collect()
}

/// `the build context holds .git, node_modules, … that the image does not need: …; ACTION`,
/// with why the fix is unsafe when it is.
fn message(groups: &[ExcludedGroup], target: &IgnoreTarget) -> String {
    let listed: Vec<&str> = groups
        .iter()
        .flat_map(|group| group.patterns.iter().map(String::as_str))
        .collect();
    let action = match &target.action {
        Action::Append(name) => format!("add them to {name}"),
        Action::CreateShared => "create .dockerignore excluding them".to_owned(),
        Action::CreateOwn {
            name,
            copies_shared,
        } => format!(
            "create {name}, which BuildKit reads instead of .dockerignore for this Dockerfile only (other Dockerfiles build from this context), excluding them{}",
            if *copies_shared { " after .dockerignore's patterns" } else { "" }
        ),
    };
    let mut message = format!(
        "the build context holds {} that the image does not need: every build sends them and this COPY copies them into the image; {action}",
        listed.join(", ")
    );
    let reasons: Vec<String> = groups
        .iter()
        .filter_map(|group| {
            let why = group.why.as_ref()?;
            Some(format!("{}: {why}", group.patterns.join(", ")))
        })
        .collect();
    if !reasons.is_empty() {
        message.push_str(&format!(" (unsafe: {})", reasons.join("; ")));
    }
    message
}
