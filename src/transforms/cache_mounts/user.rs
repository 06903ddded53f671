//! Who a RUN runs as, for the caches in its home folder: root, a user the Dockerfile creates
//! with a user id, or a user the image ships (`transforms/base-users.toml`).

use super::decline::Decline;
use super::environment::Environment;
use crate::knowledge::KnowledgeBase;
use crate::model::script::{CommandLine, Word};
use crate::model::{lineage, paths, Dockerfile, Instruction};
use crate::syntax::InstructionKind;

/// Root's home folder, and the name and id BuildKit's `USER` takes for it.
const ROOT_HOME: &str = "/root";

/// The user a RUN runs as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RunUser {
    /// `$HOME`: `ENV HOME` when set, else the user's home folder.
    pub home: String,
    /// The user id a mount must be owned by; `None` for root.
    pub uid: Option<u32>,
}

/// The user `run` runs as.
pub(super) fn run_user(
    file: &Dockerfile,
    knowledge: &KnowledgeBase,
    run: &Instruction,
    environment: &Environment,
) -> Result<RunUser, Decline> {
    let line = run.start_line();
    let mut user = match file.user_before(run) {
        None => image_user(file, knowledge, run)?,
        Some(instruction) => named_user(file, knowledge, run, instruction)?,
    };
    match environment.value("HOME") {
        Some(Ok(home)) if home.starts_with('/') => user.home = home,
        Some(_) => {
            return Err(Decline::UnknownFolder {
                line,
                why: "HOME is set to a value that cannot be told".to_owned(),
            })
        }
        None => {}
    }
    Ok(user)
}

fn root() -> RunUser {
    RunUser {
        home: ROOT_HOME.to_owned(),
        uid: None,
    }
}

/// The image's own user: root, unless the knowledge base says the image runs as another one.
fn image_user(
    file: &Dockerfile,
    knowledge: &KnowledgeBase,
    run: &Instruction,
) -> Result<RunUser, Decline> {
    let Some(stage) = run.stage.and_then(|index| file.stages().get(index)) else {
        return Ok(root());
    };
    let image = lineage::root_image_by_defaults(file, stage);
    if knowledge
        .image_info(&image)
        .is_some_and(|info| info.non_root)
    {
        return Err(Decline::UnknownUser {
            line: run.start_line(),
            user: format!("the default user of {}", image.raw),
        });
    }
    Ok(root())
}

/// The user a `USER` instruction names.
fn named_user(
    file: &Dockerfile,
    knowledge: &KnowledgeBase,
    run: &Instruction,
    user: &Instruction,
) -> Result<RunUser, Decline> {
    let unknown = |name: &str| Decline::UnknownUser {
        line: run.start_line(),
        user: format!("`{name}`"),
    };
    let written = user.string_arg().map(|arg| arg.value).unwrap_or_default();
    let value = file
        .expand(user, &written)
        .ok_or_else(|| unknown(&written))?;
    let name = value.split(':').next().unwrap_or_default().trim();
    if name == "root" || name == "0" {
        return Ok(root());
    }
    if let Some(created) = created_user(file, knowledge, run, name) {
        return created;
    }
    let stage = run.stage.and_then(|index| file.stages().get(index));
    let image = stage.map(|stage| lineage::root_image_by_defaults(file, stage));
    let ids = image.and_then(|image| knowledge.image_user_ids(&image, name));
    ids.map(|ids| RunUser {
        home: ids.home.clone(),
        uid: Some(ids.uid),
    })
    .ok_or_else(|| unknown(name))
}

/// The user `name` (or the user with id `name`) as a RUN before `run` creates it, the last such
/// RUN winning; `None` when no RUN creates it.
fn created_user(
    file: &Dockerfile,
    knowledge: &KnowledgeBase,
    run: &Instruction,
    name: &str,
) -> Option<Result<RunUser, Decline>> {
    let mut found = None;
    let runs = lineage::history(file, run)
        .into_iter()
        .filter(|instruction| instruction.kind() == Some(InstructionKind::Run));
    for earlier in runs {
        let scripts = file.shell_scripts(earlier);
        for script in &scripts {
            for command in script.simple_commands() {
                if let Some(user) = creation(knowledge, command.program_words(), name) {
                    found = Some(user.map_err(|why| Decline::UnknownUser {
                        line: run.start_line(),
                        user: format!("`{name}` ({why}, line {})", earlier.start_line()),
                    }));
                }
            }
        }
    }
    found.map(|user| {
        user.and_then(|user| match knowledge.is_missing_home(&user.home) {
            true => Err(Decline::Homeless {
                line: run.start_line(),
                user: format!("`{name}`"),
            }),
            false => Ok(user),
        })
    })
}

/// For a command creating the user `name` (by name, or by id when `name` is a number): its id
/// and home, or why they are not known; `None` for other commands.
fn creation(
    knowledge: &KnowledgeBase,
    words: &[Word],
    name: &str,
) -> Option<Result<RunUser, String>> {
    let program = CommandLine::read(words, &[])?;
    let rule = knowledge.no_home_rule(program.name())?;
    let value_options: Vec<&str> = rule.value_options.iter().map(String::as_str).collect();
    let start = words.len() - program.arguments.len() - 1;
    let line = CommandLine::read(&words[start..], &value_options)?;
    let option_value = |names: &[String]| {
        line.options.iter().find_map(|option| {
            if !names.iter().any(|n| n == option.name()) {
                return None;
            }
            match option.word.value.split_once('=') {
                Some((_, value)) => Some(value.to_owned()),
                None => option.value.map(|v| v.value.clone()),
            }
        })
    };
    let user = line.positional_values().next()?;
    let uid = option_value(&rule.uid_options);
    if user != name && uid.as_deref() != Some(name) {
        return None;
    }
    let home = option_value(&rule.home_options);
    let asked = rule.unless.iter().find(|option| line.has_option(option));
    let mut refusing = rule.options.iter().chain(&rule.system);
    let refused = refusing.find(|option| line.has_option(option));
    let without_home = match (asked, refused) {
        (Some(_), _) => None,
        (None, Some(option)) if home.is_none() || !rule.creates_home => {
            Some(format!("created with `{option}`, without a home"))
        }
        (None, None) if !rule.creates_home => Some(format!(
            "created without `{}`, so without a home",
            rule.unless.join("`/`")
        )),
        _ => None,
    };
    Some(match (uid.and_then(|uid| uid.parse().ok()), without_home) {
        (None, _) => Err("created without a numeric user id".to_owned()),
        (Some(_), Some(why)) => Err(why),
        (Some(uid), None) => Ok(RunUser {
            home: home.unwrap_or_else(|| format!("/home/{user}")),
            uid: Some(uid),
        }),
    })
}

/// Folders that exist in every image whatever the user, so a mount right in them creates
/// nothing above itself.
const ALWAYS_THERE: [&str; 3] = ["/", "/tmp", "/var/tmp"];

/// Why a mount at `folder` cannot go in for a non-root user: a mount is made by root, so a
/// missing folder above it (`~/.cache` for `~/.cache/pip`) is created owned by root, and the
/// user can write neither there nor, once buildah keeps it, in the image. `None` for root, for
/// a folder right in the user's home (or in `/tmp`), and when a RUN of the same user creates
/// the folder above it first (`mkdir -p ~/.cache`).
pub(super) fn root_owned_parent(
    file: &Dockerfile,
    run: &Instruction,
    user: &RunUser,
    folder: &str,
) -> Option<Decline> {
    user.uid?;
    let parent = match folder.rsplit_once('/') {
        Some(("", _)) | None => return None,
        Some((parent, _)) => parent,
    };
    if parent == user.home || ALWAYS_THERE.contains(&parent) {
        return None;
    }
    let name = user_name(file, run);
    let created = lineage::history(file, run).into_iter().any(|earlier| {
        earlier.kind() == Some(InstructionKind::Run)
            && user_name(file, earlier) == name
            && creates(file, earlier, parent, &user.home)
    });
    if created {
        return None;
    }
    Some(Decline::RootOwnedParent {
        line: run.start_line(),
        user: name.map_or_else(|| "its user".to_owned(), |name| format!("`{name}`")),
        parent: parent.to_owned(),
    })
}

/// The user name (or id) the `USER` in force before `instruction` names, expanded.
fn user_name(file: &Dockerfile, instruction: &Instruction) -> Option<String> {
    let user = file.user_before(instruction)?;
    let written = user.string_arg()?.value;
    let value = file.expand(user, &written)?;
    let name = value.split(':').next().unwrap_or_default().trim();
    Some(name.to_owned())
}

/// Whether a RUN creates `folder` with `mkdir` (a path at it or below it).
fn creates(file: &Dockerfile, run: &Instruction, folder: &str, home: &str) -> bool {
    let scripts = file.shell_scripts(run);
    scripts.iter().any(|script| {
        script.simple_commands().iter().any(|command| {
            let Some(line) = CommandLine::read(command.program_words(), &["-m", "--mode"]) else {
                return false;
            };
            line.name() == "mkdir"
                && line.positional_values().any(|operand| {
                    let path = ["~", "$HOME", "${HOME}"]
                        .iter()
                        .find_map(|prefix| operand.strip_prefix(prefix))
                        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
                        .map_or_else(|| operand.to_owned(), |rest| format!("{home}{rest}"));
                    path.starts_with('/') && paths::is_within(folder, &path)
                })
        })
    })
}
