#![doc = include_str!("../../transforms/docs/dockerignore.md")]

pub(super) mod survey;
pub(super) mod target;

use super::cache_mounts::hazards::{reach, text_words, unseen, Reach};
use super::{Applicability, Changes, Context, Finding, Fix, IntendedChange, Metadata, Transform};
use crate::context::{BuildContext, ContextEntry, ContextFiles};
use crate::knowledge::exclusions::{ExclusionGroup, Exclusions, ProducedFolders, Risk};
use crate::model::script::{CommandLine, CommandWord};
use crate::model::{Dockerfile, Instruction};
use crate::syntax::InstructionKind;
use std::collections::BTreeMap;
use survey::{first_whole_context_copy, run_commands, Copied, Named, RunCommand};
use target::{pattern_for_name, pattern_for_path, Action, Block, IgnoreTarget};

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
        let (groups, kept) = excluded_groups(file, build, entries);
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
            message: message(&groups, &kept, &target),
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
/// ignore file does not exclude yet and the Dockerfile does not name, in patterns that exclude
/// nothing the Dockerfile names or the ignore file re-includes.
fn excluded_groups(
    file: &Dockerfile,
    build: &BuildContext,
    entries: &[ContextEntry],
) -> (Vec<ExcludedGroup>, Vec<KeptGroup>) {
    let exclusions = Exclusions::builtin();
    let named = Named::of(file);
    let commands = run_commands(file);
    // Never excluded, nor a folder holding them: what the Dockerfile copies by name, and what
    // the ignore file's exceptions keep (listed, or maybe inside a folder not listed).
    let protected: Vec<&ContextEntry> = entries
        .iter()
        .filter(|entry| {
            named.copies(&entry.path)
                || build.is_reincluded(&entry.path)
                || (entry.is_dir && build.may_reinclude_within(&entry.path))
        })
        .collect();
    let candidates: Vec<&ContextEntry> = entries
        .iter()
        .filter(|entry| !entry.ignored && !exclusions.never_excluded(entry.name()))
        .filter(|entry| !protected.iter().any(|kept| holds(entry, kept)))
        .collect();
    let copies: Vec<(&Instruction, Copied)> = file
        .instructions()
        .iter()
        .filter_map(|instruction| Some((instruction, Copied::by(instruction, build)?)))
        .collect();
    let mut groups = Vec::new();
    let mut kept = Vec::new();
    for group in &exclusions.groups {
        let found: Vec<&ContextEntry> = candidates
            .iter()
            .copied()
            .filter(|entry| group.matches(entry.name()) && !named.mentions(entry.name()))
            .collect();
        if found.is_empty() {
            continue;
        }
        if let Some(why) = kept_by_build(group, file, &commands, build) {
            kept.push(KeptGroup {
                patterns: patterns(&found, &protected),
                why,
            });
            continue;
        }
        push_group(
            &mut groups,
            &group.title,
            patterns(&found, &protected),
            group_why(group),
            group.trigger,
        );
    }
    let files = FilesByFolder::of(entries);
    for produced in &exclusions.produced {
        let found: Vec<&ContextEntry> = candidates
            .iter()
            .copied()
            .filter(|entry| {
                entry.is_dir
                    && produced.folders.iter().any(|folder| folder == entry.name())
                    && (!produced.placed() || files.written_at(produced, &entry.path))
                    && filled_where_copied(file, produced, &commands, &copies, entry)
            })
            .collect();
        let why = Some(produced.why.clone());
        // An output folder is written as its own path: its name elsewhere may be a source
        // folder (`src/target/`, a Java package `build`).
        let patterns = match produced.placed() {
            true => found
                .iter()
                .map(|entry| pattern_for_path(&entry.path))
                .collect(),
            false => patterns(&found, &protected),
        };
        push_group(&mut groups, &produced.title, patterns, why, true);
    }
    (groups, kept)
}

/// A group's entries the build reads, which stay, and why.
#[derive(Clone, Debug)]
struct KeptGroup {
    patterns: Vec<String>,
    why: String,
}

/// The names of the context's files (not ignored) by the folder holding them, as the survey
/// listed them: where the manifests that place build outputs are.
struct FilesByFolder<'e>(BTreeMap<&'e str, Vec<&'e str>>);

impl<'e> FilesByFolder<'e> {
    fn of(entries: &'e [ContextEntry]) -> FilesByFolder<'e> {
        let mut by_folder: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for entry in entries
            .iter()
            .filter(|entry| !entry.is_dir && !entry.ignored)
        {
            let folder = entry.path.rsplit_once('/').map_or("", |(folder, _)| folder);
            by_folder.entry(folder).or_default().push(entry.name());
        }
        FilesByFolder(by_folder)
    }

    /// Whether the folder at `path` is where `produced`'s tool writes it: beside one of its
    /// manifests, and not in a source root of a folder holding one.
    fn written_at(&self, produced: &ProducedFolders, path: &str) -> bool {
        produced.written_at(path, |folder| {
            self.0
                .get(folder)
                .is_some_and(|names| names.iter().any(|name| produced.is_manifest(name)))
        })
    }
}

/// Whether `entry` is `other` or a folder holding it.
fn holds(entry: &ContextEntry, other: &ContextEntry) -> bool {
    other.path == entry.path || other.path.starts_with(&format!("{}/", entry.path))
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

/// Why the build reads what the group holds, when it does: a RUN runs one of its programs, a
/// file of the context that builds read mentions one of its words (as a whole word), or a RUN
/// runs a script or build file of the context that names one of its programs (or that cannot
/// be read), resolved as `cache-mounts` resolves them (`[scripts]` of `vocabulary.toml`).
fn kept_by_build(
    group: &ExclusionGroup,
    file: &Dockerfile,
    commands: &[RunCommand],
    build: &BuildContext,
) -> Option<String> {
    let programs = &group.kept_when_run;
    if let Some(command) = commands
        .iter()
        .find(|command| programs.contains(&command.program))
    {
        return Some(format!("a RUN runs `{}`", command.program));
    }
    if let Some(mentions) = &group.kept_when_files_mention {
        for name in &mentions.files {
            let Ok(text) = build.read_to_string(name) else {
                continue;
            };
            let word = mentions
                .words
                .iter()
                .find(|word| mentions_word(&text, word));
            if let Some(word) = word {
                return Some(format!("{name} mentions `{word}`"));
            }
        }
    }
    if programs.is_empty() {
        return None;
    }
    let (command, program) = script_naming(file, build, programs)?;
    Some(match program {
        Some(program) => format!(
            "`{command}` in a RUN runs a script or build file of the context that runs `{program}`"
        ),
        None => format!(
            "`{command}` in a RUN runs a script or build file that cannot be read, which may run `{}`",
            programs.join("`/`")
        ),
    })
}

/// The command as written, when it hands its commands to a text or files of the context that
/// name one of `programs` as a word (with the first one named), or that cannot be read (none).
fn handed_to<W: CommandWord>(
    build: &BuildContext,
    programs: &[String],
    line: &CommandLine<'_, W>,
) -> Option<(String, Option<String>)> {
    let named: std::cell::RefCell<Option<String>> = std::cell::RefCell::new(None);
    let text_reach = |text: &str| {
        let words = text_words(text);
        let found = programs
            .iter()
            .find(|program| words.contains(&program.as_str()));
        match found {
            Some(program) => {
                named.borrow_mut().get_or_insert_with(|| program.clone());
                Reach::Runs
            }
            None => Reach::None,
        }
    };
    let context: &dyn ContextFiles = build;
    if reach(Some(context), unseen(line)?, text_reach) == Reach::None {
        return None;
    }
    let mut written = vec![line.program.value()];
    written.extend(line.arguments.iter().map(CommandWord::value));
    Some((written.join(" "), named.into_inner()))
}

/// Whether `text` holds `word` with no letter or digit right before or after it (`built`, not
/// `prebuilt`).
fn mentions_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The first command of a RUN (as written) that hands its commands to a script, a build file
/// (`make` reading a `Makefile`) or a `-c` text that names one of `programs` as a word (with
/// that program), or that cannot be read.
fn script_naming(
    file: &Dockerfile,
    build: &BuildContext,
    programs: &[String],
) -> Option<(String, Option<String>)> {
    for run in file.of_kind(InstructionKind::Run) {
        if let Some(words) = run.exec_form() {
            let found =
                CommandLine::read(&words, &[]).and_then(|line| handed_to(build, programs, &line));
            if let Some(found) = found {
                return Some(found);
            }
            continue;
        }
        let trees = file.shell_scripts(run);
        for tree in &trees {
            for command in tree.simple_commands() {
                let found = CommandLine::read(command.program_words(), &[])
                    .and_then(|line| handed_to(build, programs, &line));
                if found.is_some() {
                    return found;
                }
            }
        }
    }
    None
}

/// Whether every COPY or ADD that takes the folder `entry` into an image does so in a stage
/// that fills it itself: a RUN of that stage, or of a stage it is built on, runs a command
/// that fills such folders. A stage that copies the host's folder and installs nothing relies
/// on it.
fn filled_where_copied(
    file: &Dockerfile,
    produced: &ProducedFolders,
    commands: &[RunCommand],
    copies: &[(&Instruction, Copied)],
    entry: &ContextEntry,
) -> bool {
    let filling: Vec<Option<usize>> = commands
        .iter()
        .filter(|command| {
            let words: Vec<&str> = command.positionals.iter().map(String::as_str).collect();
            produced.filled_by(&command.program, &words)
        })
        .map(|command| command.stage)
        .collect();
    let taking = copies
        .iter()
        .filter(|(_, copied)| copied.takes(&entry.path));
    let mut any = false;
    for (copy, _) in taking {
        any = true;
        let Some(stage) = copy.stage.and_then(|index| file.stages().get(index)) else {
            return false;
        };
        let chain = file.stage_chain(stage);
        let filled = filling
            .iter()
            .any(|filler| chain.iter().any(|link| Some(link.index) == *filler));
        if !filled {
            return false;
        }
    }
    any
}

/// One pattern per name: `NAME` when every entry of that name is at the root, else `**/NAME`;
/// when that pattern would also exclude a protected entry (or a folder holding one), each
/// entry's own path instead.
fn patterns(found: &[&ContextEntry], protected: &[&ContextEntry]) -> Vec<String> {
    let mut names: Vec<(String, bool)> = Vec::new();
    for entry in found {
        let deep = entry.depth() > 0;
        match names.iter_mut().find(|(name, _)| name == entry.name()) {
            Some((_, any_deep)) => *any_deep |= deep,
            None => names.push((entry.name().to_owned(), deep)),
        }
    }
    let mut out = Vec::new();
    for (name, deep) in names {
        let excludes_protected = protected.iter().any(|kept| {
            let components: Vec<&str> = kept.path.split('/').collect();
            match deep {
                // `**/NAME` excludes any path with a component NAME.
                true => components.contains(&name.as_str()),
                false => components.first() == Some(&name.as_str()),
            }
        });
        if !excludes_protected {
            out.push(match deep {
                true => format!("**/{}", pattern_for_name(&name)),
                false => pattern_for_name(&name),
            });
            continue;
        }
        out.extend(
            found
                .iter()
                .filter(|entry| entry.name() == name)
                .map(|entry| pattern_for_path(&entry.path)),
        );
    }
    out
}

/// `the build context holds .git, node_modules, … that the image does not need: …; ACTION`,
/// with why the fix is unsafe when it is.
fn message(groups: &[ExcludedGroup], kept: &[KeptGroup], target: &IgnoreTarget) -> String {
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
    for group in kept {
        message.push_str(&format!(
            "; {} stays: the build reads it ({})",
            group.patterns.join(", "),
            group.why
        ));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::mentions_word;

    #[test]
    fn words_are_matched_whole() {
        assert!(mentions_word(
            "[build-dependencies]\nbuilt = \"0.7\"\n",
            "built"
        ));
        assert!(mentions_word("setup_requires=['pbr'], pbr=True", "pbr"));
        assert!(mentions_word("x = $(git describe --tags)", "git describe"));
        assert!(mentions_word(
            "setuptools_scm_git_archive",
            "setuptools_scm"
        ));
        assert!(!mentions_word("description = \"prebuilt assets\"", "built"));
        assert!(!mentions_word("Built with love", "built"));
    }
}
