//! Who a RUN that reads the secret's file runs as. BuildKit and buildah mount a build secret's
//! file owned by root with mode 0400 unless `uid=`/`gid=`/`mode=` say otherwise, so a RUN under
//! a non-root `USER` cannot read it: the mount must name the user's id, which comes from a
//! numeric `USER`, a user the base image ships (`transforms/base-users.toml`) or a `useradd -u`
//! / `adduser -u` of an earlier RUN.

use crate::knowledge::KnowledgeBase;
use crate::model::script::{CommandLine, Word};
use crate::model::{lineage, Dockerfile, Instruction};
use crate::syntax::InstructionKind;

/// The user id the secret's file must be owned by for `run` to read it: `None` for root, or
/// why it cannot be told.
pub fn owner_for(
    file: &Dockerfile,
    knowledge: &KnowledgeBase,
    run: &Instruction,
) -> Result<Option<u32>, String> {
    let line = run.start_line();
    let unknown = |user: &str| {
        format!(
            "the RUN on line {line} runs as {user}, whose user id dfmigrate cannot tell; a secret file only root can read (BuildKit's default) would be unreadable to it"
        )
    };
    let Some(user) = file.user_before(run) else {
        return image_user(file, knowledge, run).map_err(|user| unknown(&user));
    };
    let written = user.string_arg().map(|arg| arg.value).unwrap_or_default();
    let Some(value) = file.expand(user, &written) else {
        return Err(unknown(&format!("USER `{written}`")));
    };
    let name = value.split(':').next().unwrap_or_default().trim();
    if name == "root" || name == "0" {
        return Ok(None);
    }
    if let Ok(uid) = name.parse::<u32>() {
        return Ok(Some(uid));
    }
    if let Some(created) = created_uid(file, knowledge, run, name) {
        return created
            .map(Some)
            .map_err(|why| unknown(&format!("USER `{name}` ({why})")));
    }
    let image = run
        .stage
        .and_then(|index| file.stages().get(index))
        .map(|stage| lineage::root_image_by_defaults(file, stage));
    image
        .and_then(|image| knowledge.image_user_ids(&image, name))
        .map(|ids| Some(ids.uid))
        .ok_or_else(|| unknown(&format!("USER `{name}`")))
}

/// The image's own user when no `USER` is in force: root, unless the knowledge base says the
/// image runs as another one (then its id when known, else a description of it).
fn image_user(
    file: &Dockerfile,
    knowledge: &KnowledgeBase,
    run: &Instruction,
) -> Result<Option<u32>, String> {
    let Some(stage) = run.stage.and_then(|index| file.stages().get(index)) else {
        return Ok(None);
    };
    let image = lineage::root_image_by_defaults(file, stage);
    let Some(info) = knowledge.image_info(&image).filter(|info| info.non_root) else {
        return Ok(None);
    };
    info.user
        .as_deref()
        .and_then(|name| knowledge.image_user_ids(&image, name))
        .map(|ids| Some(ids.uid))
        .ok_or_else(|| format!("the default user of {}", image.raw))
}

/// The id an earlier RUN gives the user `name` when it creates it (`useradd -u 1001 app`), the
/// last such RUN winning; `Err` when one creates it without a numeric id, `None` when none
/// creates it.
fn created_uid(
    file: &Dockerfile,
    knowledge: &KnowledgeBase,
    run: &Instruction,
    name: &str,
) -> Option<Result<u32, String>> {
    let mut found = None;
    let runs = lineage::history(file, run)
        .into_iter()
        .filter(|instruction| instruction.kind() == Some(InstructionKind::Run));
    for earlier in runs {
        let scripts = file.shell_scripts(earlier);
        for script in &scripts {
            for command in script.simple_commands() {
                if let Some(uid) = creation(knowledge, command.program_words(), name) {
                    found =
                        Some(uid.map_err(|why| format!("{why}, line {}", earlier.start_line())));
                }
            }
        }
    }
    found
}

/// For a command creating the user `name`: its numeric id, or why there is none; `None` for
/// other commands.
fn creation(knowledge: &KnowledgeBase, words: &[Word], name: &str) -> Option<Result<u32, String>> {
    let program = CommandLine::read(words, &[])?;
    let rule = knowledge.no_home_rule(program.name())?;
    let value_options: Vec<&str> = rule.value_options.iter().map(String::as_str).collect();
    let start = words.len() - program.arguments.len() - 1;
    let line = CommandLine::read(&words[start..], &value_options)?;
    if line.positional_values().next()? != name {
        return None;
    }
    let uid = line.options.iter().find_map(|option| {
        if !rule.uid_options.iter().any(|n| n == option.name()) {
            return None;
        }
        match option.word.value.split_once('=') {
            Some((_, value)) => Some(value.to_owned()),
            None => option.value.map(|v| v.value.clone()),
        }
    });
    Some(
        uid.and_then(|uid| uid.parse().ok())
            .ok_or_else(|| "created without a numeric user id".to_owned()),
    )
}
