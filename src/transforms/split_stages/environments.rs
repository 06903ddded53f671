//! Folders installs fill outside the application folder: environments the stage creates
//! (`python -m venv /opt/venv`), which the runtime stage receives too, and environments a tool
//! keeps in its own home or cache folder (Pipenv, Poetry), which make the split decline.

use super::facts::Facts;
use super::facts::{expand, unquote};
use super::Decline;
use crate::knowledge::{EnvironmentCommand, PrivateEnvironment};
use crate::model::packages::is_assignment;
use crate::model::paths::{normalize, resolve};
use crate::syntax::InstructionKind;

/// The environment folders the stage's RUNs create, absolute; the reason to decline when
/// one cannot be placed, may use an interpreter of its own, or an install fills a tool's
/// private environment.
pub(super) fn environment_folders(facts: &Facts) -> Result<Vec<String>, Decline> {
    let profiles = facts.knowledge.profiles_for_image(&facts.stage.base);
    let mut folders = Vec::new();
    for (index, run) in facts.instructions.iter().enumerate() {
        if run.kind() != Some(InstructionKind::Run) {
            continue;
        }
        let Some(script) = run.script() else { continue };
        let variables = facts.variables_before(index);
        // The folder the script's commands run in once a `cd` changed it (`None` inside:
        // named by a variable).
        let mut moved: Option<Option<String>> = None;
        for command in &script.lexed.commands {
            let all: Vec<&str> = command.words.iter().map(|w| w.value.as_str()).collect();
            let assigned = all.iter().take_while(|w| is_assignment(w)).count();
            let (assignments, words) = all.split_at(assigned);
            // Only a plain `cd FOLDER` outside subshells is followed.
            if matches!(words.first(), Some(&("cd" | "pushd" | "popd"))) {
                let from = moved.clone().unwrap_or_else(|| facts.cwd_at(index));
                let plain = !script.lexed.has_grouping;
                moved = Some(match (from, words) {
                    (Some(from), ["cd", folder])
                        if plain && !folder.starts_with('-') && !folder.contains('$') =>
                    {
                        Some(resolve(&from, folder))
                    }
                    _ => None,
                });
                continue;
            }
            let cwd = moved.clone().unwrap_or_else(|| facts.cwd_at(index));
            let mut set = variables.clone();
            set.extend(assignments.iter().filter_map(|assignment| {
                let (name, value) = assignment.split_once('=')?;
                Some((name.to_owned(), unquote(value).to_owned()))
            }));
            let words = without_module_runner(words);
            for layout in profiles
                .iter()
                .filter_map(|profile| profile.runtime.as_ref())
            {
                for rule in &layout.environments {
                    let Some(folder) = created_folder(rule, words, &set) else {
                        continue;
                    };
                    check_interpreter(facts, rule, words, &set)?;
                    folders.push(place_environment(cwd.as_deref(), &folder, &set)?);
                }
                if let Some(private) = &layout.private_environment {
                    let before = &script.text[..command.range.start.min(script.text.len())];
                    if fills_private(facts, private, words, index, before) {
                        return Err(Decline::PrivateEnvironment {
                            reason: private.why.clone(),
                        });
                    }
                }
            }
        }
    }
    folders.sort();
    folders.dedup();
    Ok(folders)
}

/// Declines an environment whose interpreter may not be the image's: one chosen by option,
/// variable, or a version file naming another version than the builder image's tag.
pub(super) fn check_interpreter(
    facts: &Facts,
    rule: &EnvironmentCommand,
    words: &[&str],
    variables: &[(String, String)],
) -> Result<(), Decline> {
    let program = words.iter().take(2).copied().collect::<Vec<_>>().join(" ");
    let foreign_option = words.iter().find(|word| {
        let name = word.split('=').next().unwrap_or(word);
        rule.foreign_options.iter().any(|option| option == name)
    });
    let foreign_env = rule
        .foreign_env
        .iter()
        .find(|name| variables.iter().any(|(key, _)| key == *name));
    let installs = facts.run_texts().into_iter().any(|text| {
        rule.foreign_runs
            .iter()
            .any(|pattern| pattern.is_match(text))
    });
    let chosen = foreign_option
        .map(|w| (*w).to_owned())
        .or(foreign_env.cloned())
        .or(installs.then(|| "an interpreter it installs".to_owned()));
    if let Some(chosen) = chosen {
        return Err(Decline::ForeignInterpreter { program, chosen });
    }
    let tag = facts.stage.base.tag.as_deref().unwrap_or_default();
    let image_version = tag.split('-').next().unwrap_or_default();
    if let Some(file) = &rule.version_file {
        if let Ok(text) = facts.context.read_to_string(file) {
            let wanted = text.lines().next().unwrap_or_default().trim();
            if !names_version(image_version, wanted) {
                return Err(Decline::VersionFileMismatch {
                    file: file.clone(),
                    program,
                    wanted: wanted.to_owned(),
                    base: facts.stage.base.raw.clone(),
                });
            }
        }
    }
    if let Some(minimum) = rule
        .version_requirement
        .as_deref()
        .and_then(|key| required_minimum(facts, key))
    {
        if version_numbers(image_version).is_none_or(|have| have < minimum) {
            return Err(Decline::InterpreterTooOld {
                minimum,
                base: facts.stage.base.raw.clone(),
                program,
            });
        }
    }
    Ok(())
}

/// The lowest version a `FILE:KEY` requirement (`>=3.11,<4`) accepts.
pub(super) fn required_minimum(facts: &Facts, key: &str) -> Option<(u32, u32)> {
    let (file, key) = key.split_once(':')?;
    let table: toml::Table = facts.context.read_to_string(file).ok()?.parse().ok()?;
    let mut parts = key.split('.');
    let first = table.get(parts.next()?)?;
    let requirement = parts
        .try_fold(first, |value, part| value.get(part))?
        .as_str()?;
    requirement
        .split(',')
        .filter_map(|clause| {
            let clause = clause.trim();
            let version = ["==", "~=", ">=", ">"]
                .iter()
                .find_map(|operator| clause.strip_prefix(operator))?;
            version_numbers(version.trim())
        })
        .max()
}

/// Whether `words` is one of the private environment's installs (run by the RUN at
/// `index`, after `before` in its script), and neither its options, an `ENV` before it
/// (which the running container keeps too, for `poetry run`), nor a configuration command
/// before it (when the container does not run the tool) puts it elsewhere.
pub(super) fn fills_private(
    facts: &Facts,
    private: &PrivateEnvironment,
    words: &[&str],
    index: usize,
    before: &str,
) -> bool {
    let installs = private.commands.iter().any(|command| {
        command.len() <= words.len()
            && words[0].rsplit('/').next() == command.first().map(String::as_str)
            && command[1..]
                .iter()
                .zip(&words[1..])
                .all(|(expected, word)| expected == word)
    });
    if !installs {
        return false;
    }
    let option = words.iter().any(|word| {
        private
            .unless_options
            .iter()
            .any(|option| word.split('=').next() == Some(option.as_str()))
    });
    let environment = environment_before(facts, index);
    let variable = private.unless_env.iter().any(|(name, values)| {
        environment
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .is_some_and(|(_, value)| {
                values.is_empty() || values.iter().any(|v| v.eq_ignore_ascii_case(value))
            })
    });
    let tool = words[0].rsplit('/').next().unwrap_or(words[0]);
    let runs_tool = facts.command().ok().is_some_and(|command| {
        command
            .first()
            .is_some_and(|program| program.rsplit('/').next() == Some(tool))
    });
    let earlier = facts.instructions[..index]
        .iter()
        .filter(|i| i.kind() == Some(InstructionKind::Run))
        .map(|run| run.logical_text())
        .chain([before]);
    let configured = !runs_tool
        && earlier
            .into_iter()
            .any(|text| private.unless_config.iter().any(|p| p.is_match(text)));
    !(option || variable || configured)
}

/// The `ENV` variables set before the stage's instruction `index`.
pub(super) fn environment_before(facts: &Facts, index: usize) -> Vec<(String, String)> {
    facts.instructions[..index]
        .iter()
        .filter(|i| i.kind() == Some(InstructionKind::Env))
        .flat_map(|env| env.pairs())
        .map(|(key, value, _)| (key.value, unquote(&value.value).to_owned()))
        .collect()
}

/// Major and minor of a version (`3.12.4` → (3, 12)).
fn version_numbers(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.trim_end_matches('*').parse().ok()?;
    Some((major, minor))
}

/// Whether an image whose tag starts with `image_version` (`3.12`, `3.12.8`) is the version
/// a version file names (`3.12`: any patch; `3.12.4`: exactly that one).
fn names_version(image_version: &str, wanted: &str) -> bool {
    let image: Vec<&str> = image_version.split('.').collect();
    let wanted_parts: Vec<&str> = wanted.split('.').collect();
    !wanted.is_empty()
        && wanted.chars().all(|c| c.is_ascii_digit() || c == '.')
        && image.len() >= wanted_parts.len()
        && image[..wanted_parts.len()] == wanted_parts[..]
}

/// The absolute folder of an environment created from `cwd`.
fn place_environment(
    cwd: Option<&str>,
    folder: &str,
    variables: &[(String, String)],
) -> Result<String, Decline> {
    let value = expand(folder, variables).ok_or_else(|| Decline::EnvironmentVariable {
        folder: folder.to_owned(),
    })?;
    if value.starts_with('/') {
        return Ok(normalize(&value));
    }
    let Some(cwd) = cwd else {
        return Err(Decline::EnvironmentRelative { folder: value });
    };
    Ok(resolve(cwd, &value))
}

/// `python -m pipenv install` → `pipenv install`: a tool run as a module of the interpreter
/// (`venv`, `virtualenv` and `pip` are matched with their interpreter).
fn without_module_runner<'w>(words: &'w [&'w str]) -> &'w [&'w str] {
    match words {
        [python, "-m", module, ..]
            if python
                .rsplit('/')
                .next()
                .is_some_and(|name| name.starts_with("python"))
                && !matches!(*module, "venv" | "virtualenv" | "pip") =>
        {
            &words[2..]
        }
        _ => words,
    }
}

/// The folder a command creates when it is `rule`'s (`python3 -m venv /opt/venv`): a variable
/// naming it (`UV_PROJECT_ENVIRONMENT`), else the value of the rule's option, else its first
/// positional word after the matched ones, else the rule's default.
fn created_folder(
    rule: &EnvironmentCommand,
    words: &[&str],
    variables: &[(String, String)],
) -> Option<String> {
    let (program, rest) = words.split_first()?;
    let (first, expected) = rule.words.split_first()?;
    let name = program.rsplit('/').next().unwrap_or(program);
    if !first.matches(name)
        || rest.len() < expected.len()
        || !expected
            .iter()
            .zip(rest)
            .all(|(glob, word)| glob.matches(word))
    {
        return None;
    }
    if let Some((_, named)) = rule
        .env
        .as_ref()
        .and_then(|env| variables.iter().rev().find(|(key, _)| key == env))
    {
        return Some(named.clone());
    }
    let mut arguments = rest[expected.len()..].iter();
    if !rule.option.is_empty() {
        while let Some(word) = arguments.next() {
            let (name, attached): (&str, Option<&str>) = match word.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (word, None),
            };
            if rule.option.iter().any(|option| option == name) {
                return attached.or(arguments.next().copied()).map(str::to_owned);
            }
        }
        return None;
    }
    while let Some(word) = arguments.next().filter(|_| !rule.no_positional) {
        if rule.value_options.iter().any(|option| option == word) {
            arguments.next();
        } else if !word.starts_with('-') {
            return Some((*word).to_owned());
        }
    }
    rule.default.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> EnvironmentCommand {
        toml::from_str(text).expect("an environment rule")
    }

    #[test]
    fn finds_the_folder_a_command_creates() {
        let venv = rule("match = [\"python*\", \"-m\", \"venv\"]\nvalue_options = [\"--prompt\"]");
        let none: &[(String, String)] = &[];
        assert_eq!(
            created_folder(
                &venv,
                &["python3.12", "-m", "venv", "--prompt", "x", "/opt/venv"],
                none
            ),
            Some("/opt/venv".to_owned())
        );
        assert_eq!(
            created_folder(&venv, &["python", "-m", "pip", "install"], none),
            None
        );
        let sync = rule("match = [\"uv\", \"sync\"]\nno_positional = true\ndefault = \".venv\"\nenv = \"UV_PROJECT_ENVIRONMENT\"");
        assert_eq!(
            created_folder(&sync, &["uv", "sync", "frozen"], none),
            Some(".venv".to_owned())
        );
        let named = [("UV_PROJECT_ENVIRONMENT".to_owned(), "/opt/env".to_owned())];
        assert_eq!(
            created_folder(&sync, &["uv", "sync"], &named),
            Some("/opt/env".to_owned())
        );
        let target = rule("match = [\"pip*\", \"install\"]\noption = [\"-t\", \"--target\"]");
        assert_eq!(
            created_folder(
                &target,
                &["pip", "install", "--target=/deps", "flask"],
                none
            ),
            Some("/deps".to_owned())
        );
        assert_eq!(
            created_folder(&target, &["pip", "install", "flask"], none),
            None
        );
    }

    #[test]
    fn reads_module_runners_and_versions() {
        assert_eq!(
            without_module_runner(&["python3", "-m", "pipenv", "install"]),
            &["pipenv", "install"]
        );
        assert_eq!(
            without_module_runner(&["python", "-m", "venv", "x"]).len(),
            4
        );
        assert_eq!(version_numbers("3.12.4"), Some((3, 12)));
        assert_eq!(version_numbers("3"), None);
        assert!(names_version("3.12", "3.12") && names_version("3.12.8", "3.12"));
        assert!(!names_version("3.12", "3.12.4") && !names_version("3.12.8", "3.12.4"));
        assert!(!names_version("latest", "3.12") && !names_version("3.12", "pypy3.10"));
        assert_eq!(
            place_environment(
                Some("/app"),
                "$VENV",
                &[("VENV".to_owned(), ".venv".to_owned())]
            ),
            Ok("/app/.venv".to_owned())
        );
        assert!(place_environment(None, ".venv", &[]).is_err());
    }
}
