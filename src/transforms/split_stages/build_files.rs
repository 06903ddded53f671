//! Build files a copy of the whole build context brings into the application folder that the
//! runtime stage receives whole: the Dockerfile, `.dockerignore`, version control and CI
//! files, READMEs and licences (`unread_build_files` of `images.toml`). The build stage
//! removes them with one last `RUN rm -rf -- …`, so `COPY --from=builder /app /app` does not
//! carry them.

use super::facts::Facts;
use crate::model::paths::{normalize, resolve};
use crate::syntax::InstructionKind;

/// The removal: the stage instruction it follows and the paths it removes (relative to the
/// working directory there when that is the application folder).
pub(super) struct Removal {
    pub after: usize,
    pub paths: Vec<String>,
}

/// What the build stage removes from the application folder `app`: the build files at the
/// root of a known build context that a `COPY .` (or `ADD .`) into `app` brought, that are
/// available (not excluded by `.dockerignore`) and that the command does not name. `None`
/// when there are none or when it is uncertain: an unknown context, a copy of the context into
/// a folder named by a variable or relative to an unknown working directory, a file of the context that reads build files at run time
/// (a `*.gemspec` a Gemfile loads: the profile's `build_files_read_by`), or a user other than
/// root in force where the removal would run (it may not be allowed to delete them).
///
/// `also` is a folder of `app` to remove as well (the dependency folder a stage of its own
/// replaces); `None` when the removal cannot run as root.
pub(super) fn removal(
    facts: &Facts,
    app: &str,
    command: &[String],
    also: Option<&str>,
) -> Option<Removal> {
    let mut names = unread_build_files(facts, app, command).unwrap_or_default();
    names.extend(also.map(str::to_owned));
    if names.is_empty() {
        return None;
    }
    let after = facts.instructions.iter().rposition(|i| {
        matches!(
            i.kind(),
            Some(InstructionKind::Run | InstructionKind::Copy | InstructionKind::Add)
        )
    })?;
    if !runs_as_root(facts, after) {
        return None;
    }
    let relative = facts.workdir_before(after + 1).ok().flatten().as_deref() == Some(app);
    let paths = names
        .into_iter()
        .map(|name| if relative { name } else { resolve(app, &name) })
        .collect();
    Some(Removal { after, paths })
}

/// The unread build files a copy of the whole context brought into `app` (see [`removal`]).
fn unread_build_files(facts: &Facts, app: &str, command: &[String]) -> Option<Vec<String>> {
    if !facts.context.has_files() {
        return None;
    }
    let read_by = &facts.layout.build_files_read_by;
    if read_by
        .iter()
        .any(|pattern| !facts.context.glob(pattern).is_empty())
    {
        return None;
    }
    let mut whole_context = false;
    for (index, instruction) in facts.instructions.iter().enumerate() {
        let kind = instruction.kind();
        if !matches!(kind, Some(InstructionKind::Copy | InstructionKind::Add))
            || instruction.flag("from").is_some()
        {
            continue;
        }
        let Some(args) = instruction.copy_args() else {
            continue;
        };
        if !args
            .sources
            .iter()
            .any(|s| matches!(s.value.as_str(), "." | "./"))
        {
            continue;
        }
        // Where the whole context went must be known.
        let cwd = facts.cwd_at(index)?;
        if args.destination.value.contains('$') {
            return None;
        }
        if normalize(&resolve(&cwd, &args.destination.value)) == app {
            whole_context = true;
        }
    }
    if !whole_context {
        return None;
    }
    let named = |name: &str| {
        let path = resolve(app, name);
        command
            .iter()
            .any(|word| word == name || resolve(app, word) == path)
    };
    let names: Vec<String> = facts
        .context
        .glob("*")
        .into_iter()
        .filter_map(|path| path.to_str().map(str::to_owned))
        .filter(|name| facts.knowledge.is_unread_build_file(name) && !named(name))
        .collect();
    Some(names)
}

/// Whether the stage's instruction `index` runs as root: no `USER` before it in the stage, or
/// one naming `root` or 0.
fn runs_as_root(facts: &Facts, index: usize) -> bool {
    let Some(user) = facts.instructions.get(..=index).and_then(|before| {
        before
            .iter()
            .rev()
            .find(|i| i.kind() == Some(InstructionKind::User))
    }) else {
        return true;
    };
    let value = user.string_arg().map(|word| word.value).unwrap_or_default();
    let name = value.split(':').next().unwrap_or_default();
    matches!(name, "root" | "0")
}
