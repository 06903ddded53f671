#![doc = include_str!("../../transforms/docs/npm-ci.md")]

use super::{Applicability, Changes, Context, Finding, Fix, Metadata, Transform};
use crate::context::BuildContext;
use crate::diagnostics::Rewriter;
use crate::knowledge::image_name;
use crate::knowledge::vocabulary::{as_strs, lists, vocabulary};
use crate::model::paths::{normalize, resolve};
use crate::model::script::base_name;
use crate::model::shell::{Command, ShellWord};
use crate::model::{lineage, Dockerfile, ImageRef, Instruction, Script, Stage};
use crate::syntax::InstructionKind;
use serde_json::{Map, Value};
use std::path::Path;

pub struct NpmCi;

impl Transform for NpmCi {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "npm-ci",
            summary: "`npm install` with a lock file in the build context becomes `npm ci`",
            documentation: include_str!("../../transforms/docs/npm-ci.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Safe,
            changes: Changes::Dockerfile,
            intended_changes: &[],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        for run in file.of_kind(InstructionKind::Run) {
            let Some(script) = file.script(run).filter(|s| !s.lexed.incomplete) else {
                continue;
            };
            if run.heredoc_count() > 0 || runs_npm_ci(&script) {
                continue;
            }
            let installs = npm_installs(&script);
            if installs.is_empty() {
                continue;
            }
            let Some(build_context) = context.build_context_files() else {
                return;
            };
            let check = RunCheck {
                id: self.id(),
                file,
                run,
                script: &script,
                context: build_context,
            };
            out.extend(installs.iter().filter_map(|install| check.check(install)));
        }
    }
}

/// Whether a command of the script runs `npm ci` already.
fn runs_npm_ci(script: &Script) -> bool {
    let value_options = as_strs(&vocabulary().npm.value_options);
    script.lexed.commands.iter().any(|command| {
        // The program is one of the words: a command without a word naming npm is not read.
        let names_npm = command.words.iter().any(|w| base_name(&w.value) == "npm");
        names_npm
            && command.command_line(&value_options).is_some_and(|line| {
                line.name() == "npm"
                    && line
                        .positionals
                        .first()
                        .is_some_and(|verb| verb.value == "ci")
            })
    })
}

/// A plain `npm install` / `npm i`: no packages, no global install.
struct NpmInstall<'s> {
    command_index: usize,
    verb: &'s ShellWord,
    /// `--production`, `--only=prod`: become `--omit=dev`.
    production: Vec<&'s ShellWord>,
}

/// Every `npm install` without package arguments in the script.
fn npm_installs<'s>(script: &'s Script) -> Vec<NpmInstall<'s>> {
    let commands = &script.lexed.commands;
    let cd_at = commands.iter().position(|c| c.name() == Some("cd"));
    commands
        .iter()
        .enumerate()
        .filter(|(index, _)| cd_at.is_none_or(|cd| cd > *index))
        .filter(|(_, command)| command.words.iter().any(|w| w.value == "npm"))
        .filter_map(|(index, command)| npm_install(index, command))
        .collect()
}

fn npm_install(command_index: usize, command: &Command) -> Option<NpmInstall<'_>> {
    let npm = &vocabulary().npm;
    let line = command.command_line(&as_strs(&npm.value_options))?;
    let (verb, _) = line.arguments.split_first()?;
    let plain_npm = line.wrappers.is_empty() && line.program.value == "npm";
    if !plain_npm || !matches!(verb.value.as_str(), "install" | "i") || line.positionals.len() > 1 {
        return None;
    }
    let mut production = Vec::new();
    for option in &line.options {
        let word = option.word;
        if word.has_expansion || word.has_glob {
            return None;
        }
        let (name, value) = match word.value.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (word.value.as_str(), None),
        };
        if is_production(name, value) {
            production.push(word);
        } else if lists(&npm.declined_options, name) {
            return None;
        }
        if value.is_none() && option.value.is_none() && lists(&npm.value_options, name) {
            return None;
        }
    }
    Some(NpmInstall {
        command_index,
        verb,
        production,
    })
}

/// `--production`, `--production=true`, `--only=prod`, `--only=production`.
fn is_production(name: &str, value: Option<&str>) -> bool {
    match name {
        "--production" => matches!(value, None | Some("true")),
        "--only" => matches!(value, Some("prod" | "production")),
        _ => false,
    }
}

struct RunCheck<'a, 'p> {
    id: &'static str,
    file: &'a Dockerfile<'p>,
    run: &'a Instruction<'p>,
    script: &'a Script<'p>,
    context: &'a BuildContext,
}

impl RunCheck<'_, '_> {
    fn check(&self, install: &NpmInstall) -> Option<Finding> {
        let stage = self.file.stages().get(self.run.stage?)?;
        let before = lineage::history(self.file, self.run);
        let cwd = cwd_at(self.file, self.run)?;
        let project = project_folder(self.file, &before, &cwd, self.context)?;
        let locks = &vocabulary().npm;
        if locks
            .other_locks
            .iter()
            .any(|lock| self.context.exists(project.join(lock)) || self.context.exists(lock))
        {
            return None;
        }
        let npm = NpmVersion::of(&self.chain_base(stage));
        if npm == NpmVersion::WithoutCi {
            return None;
        }
        let mut rewriter = Rewriter::new(self.file);
        rewriter.replace(self.source(install.verb), "ci");
        if npm == NpmVersion::WithOmit {
            for word in &install.production {
                rewriter.replace(self.source(word), "--omit=dev");
            }
        }
        let lock = locks
            .locks
            .iter()
            .map(|lock| project.join(lock))
            .find(|lock| self.context.is_available(lock))?;
        let lock_name = lock.file_name()?.to_string_lossy().into_owned();
        let mut doubts = Vec::new();
        if let Err(why) = lock_agrees(self.context, &project, &lock) {
            doubts.push(format!(
                "npm ci fails when the lock file is out of date: {why}"
            ));
        }
        if self.context.is_available(project.join("node_modules")) {
            doubts.push(
                "npm ci first deletes node_modules, which the build context may bring in"
                    .to_owned(),
            );
        }
        if npm == NpmVersion::Unknown {
            doubts.push(format!(
                "npm ci needs npm 5.7 or newer and the npm of `{}` is not known",
                self.chain_base(stage).raw
            ));
        }
        let command = self.script.lexed.commands[install.command_index]
            .range
            .slice(self.script.text)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let mut message = format!("`{command}` may resolve other versions than {lock_name} and rewrite it; `npm ci` installs exactly the locked ones");
        if npm == NpmVersion::WithOmit && !install.production.is_empty() {
            message.push_str(" (--omit=dev replaces the deprecated --production/--only=prod)");
        }
        let applicability = if doubts.is_empty() {
            Applicability::Safe
        } else {
            message.push_str(&format!("; review: {}", doubts.join("; ")));
            Applicability::Unsafe
        };
        Some(Finding {
            transform: self.id,
            message,
            range: self.run.range(),
            fix: Some(Fix::new(applicability, rewriter.finish())),
        })
    }

    fn source(&self, word: &ShellWord) -> crate::syntax::TextRange {
        self.script.source_range(word.range)
    }

    /// The image the RUN's stage chain starts from.
    fn chain_base(&self, stage: &Stage) -> ImageRef {
        lineage::root_image(self.file, stage).clone()
    }
}

/// The folder an instruction runs in, the base image's own written `/@base`; `None` when a
/// WORKDIR uses a variable.
fn cwd_at(file: &Dockerfile, instruction: &Instruction) -> Option<String> {
    file.workdir_before(instruction).with_marker("/@base")
}

/// The context folder whose package.json and lock file the COPYs before the RUN put in `cwd`;
/// `None` when they come from different places, from another stage or image, or are unknown.
fn project_folder(
    file: &Dockerfile,
    instructions: &[&Instruction],
    cwd: &str,
    context: &BuildContext,
) -> Option<std::path::PathBuf> {
    let mut manifest = None;
    let mut lock = None;
    for copy in instructions {
        if !matches!(
            copy.kind(),
            Some(InstructionKind::Copy | InstructionKind::Add)
        ) {
            continue;
        }
        let args = copy.copy_args()?;
        let destination = args.destination.value.trim_matches('"');
        if destination.contains('$') {
            return None;
        }
        let workdir = cwd_at(file, copy)?;
        let target = normalize(&resolve(&workdir, destination));
        let into_dir = destination.ends_with('/')
            || matches!(destination, "." | "./")
            || args.sources.len() > 1
            || target == cwd;
        if !(target == cwd || is_file_in(&target, cwd)) {
            continue;
        }
        let from_context = copy.flag("from").is_none();
        for source in &args.sources {
            let source = source.value.trim_matches('"');
            if !from_context || source.contains('$') {
                return None;
            }
            for found in sources(context, source) {
                let landed = |name: &str| lands(context, &found, name, into_dir, &target, cwd);
                if landed("package.json") {
                    manifest = Some(folder_of(&found, context));
                }
                if vocabulary().npm.locks.iter().any(|name| landed(name)) {
                    lock = Some(folder_of(&found, context));
                }
            }
        }
    }
    let (manifest, lock) = (manifest?, lock?);
    (manifest == lock).then_some(manifest)
}

/// The available context paths a COPY source names (`.` is the context folder).
fn sources(context: &BuildContext, source: &str) -> Vec<std::path::PathBuf> {
    let trimmed = source.trim_start_matches("./").trim_end_matches('/');
    if matches!(trimmed, "" | ".") {
        return vec![std::path::PathBuf::new()];
    }
    context.glob(trimmed)
}

/// The context folder a found source contributes files from: itself when it is a folder.
fn folder_of(found: &Path, context: &BuildContext) -> std::path::PathBuf {
    if found.as_os_str().is_empty() || context.is_dir(found) {
        found.to_owned()
    } else {
        found.parent().map(Path::to_owned).unwrap_or_default()
    }
}

/// Whether copying `found` to `target` puts an available file `name` in `cwd`.
fn lands(
    context: &BuildContext,
    found: &Path,
    name: &str,
    into_dir: bool,
    target: &str,
    cwd: &str,
) -> bool {
    if found.as_os_str().is_empty() || context.is_dir(found) {
        return target == cwd && context.is_available(found.join(name));
    }
    let is_named = found.file_name().is_some_and(|file| file == name);
    is_named
        && if into_dir {
            target == cwd
        } else {
            target == format!("{}/{name}", cwd.trim_end_matches('/'))
        }
}

/// `path` is a file directly in `folder`.
fn is_file_in(path: &str, folder: &str) -> bool {
    path.rsplit_once('/')
        .is_some_and(|(parent, _)| parent == folder || (parent.is_empty() && folder == "/"))
}

/// What the npm of the base image can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NpmVersion {
    /// Node.js before 10: npm may lack `ci`.
    WithoutCi,
    /// npm 5.7 to 6: `ci`, but `--omit` is not known.
    WithCi,
    /// npm 7 or newer: `--omit=dev`.
    WithOmit,
    /// Not a `node` image, or a tag without a version.
    Unknown,
}

impl NpmVersion {
    fn of(image: &ImageRef) -> NpmVersion {
        if image_name(image) != "node" {
            return NpmVersion::Unknown;
        }
        let tag = image.tag.as_deref().unwrap_or("latest");
        let major: String = tag.chars().take_while(char::is_ascii_digit).collect();
        match major.parse::<u32>() {
            Ok(major) if major < 10 => NpmVersion::WithoutCi,
            Ok(major) if major < 15 => NpmVersion::WithCi,
            Ok(_) => NpmVersion::WithOmit,
            Err(_) => NpmVersion::of_codename(tag),
        }
    }

    /// Tags without a number: `lts`, `current`, `alpine`, `bookworm-slim`, LTS code names.
    fn of_codename(tag: &str) -> NpmVersion {
        let first = tag.split('-').next().unwrap_or(tag);
        match first {
            "argon" | "boron" | "carbon" => NpmVersion::WithoutCi,
            "dubnium" | "erbium" | "fermium" => NpmVersion::WithCi,
            "latest" | "lts" | "current" | "alpine" | "slim" | "bookworm" | "bullseye"
            | "trixie" | "gallium" | "hydrogen" | "iron" | "jod" | "krypton" => {
                NpmVersion::WithOmit
            }
            _ => NpmVersion::Unknown,
        }
    }
}

/// Whether the lock file's root entry lists the same dependencies as package.json.
fn lock_agrees(context: &BuildContext, project: &Path, lock: &Path) -> Result<(), String> {
    let lock_name = lock
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let read = |path: &Path| -> Result<Value, String> {
        let text = context
            .read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
    };
    let manifest = read(&project.join("package.json"))?;
    let lock_json = read(lock)?;
    let version = lock_json.get("lockfileVersion").and_then(Value::as_u64);
    if version.is_none_or(|v| v < 2) {
        return Err(format!(
            "{lock_name} is lockfileVersion {}, whose root dependencies are not recorded",
            version.map_or_else(|| "1 or older".to_owned(), |v| v.to_string())
        ));
    }
    if manifest.get("workspaces").is_some() {
        return Err(
            "package.json declares workspaces, whose lock entries are not checked".to_owned(),
        );
    }
    let root = lock_json
        .get("packages")
        .and_then(|packages| packages.get(""))
        .ok_or_else(|| format!("{lock_name} has no root package entry"))?;
    compare_dependencies(&manifest, root, &lock_name)
}

/// Compares each dependency field; optional dependencies may also be listed as dependencies.
fn compare_dependencies(manifest: &Value, root: &Value, lock_name: &str) -> Result<(), String> {
    let field = |value: &Value, name: &str| -> Result<Map<String, Value>, String> {
        match value.get(name) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(map)) => Ok(map.clone()),
            Some(_) => Err(format!("`{name}` is not an object")),
        }
    };
    for name in &vocabulary().npm.dependency_fields {
        let mut wanted = field(manifest, name)?;
        let mut locked = field(root, name)?;
        if name == "dependencies" {
            wanted.extend(field(manifest, "optionalDependencies")?);
            locked.extend(field(root, "optionalDependencies")?);
        }
        if let Some(why) = first_difference(&wanted, &locked, name, lock_name) {
            return Err(why);
        }
    }
    Ok(())
}

fn first_difference(
    wanted: &Map<String, Value>,
    locked: &Map<String, Value>,
    field: &str,
    lock_name: &str,
) -> Option<String> {
    let missing = wanted
        .iter()
        .find(|(name, range)| locked.get(*name) != Some(range));
    if let Some((name, range)) = missing {
        return Some(match locked.get(name) {
            Some(other) => {
                format!("`{name}` is {range} in package.json {field} but {other} in {lock_name}")
            }
            None => format!("`{name}` in package.json {field} is not in {lock_name}"),
        });
    }
    locked
        .keys()
        .find(|name| !wanted.contains_key(*name))
        .map(|name| format!("`{name}` in {lock_name} is no longer in package.json {field}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn npm_versions_from_node_tags() {
        let of = |image: &str| NpmVersion::of(&ImageRef::parse(image));
        assert_eq!(of("node:8.17-alpine"), NpmVersion::WithoutCi);
        assert_eq!(of("node:14"), NpmVersion::WithCi);
        assert_eq!(of("node:20-slim"), NpmVersion::WithOmit);
        assert_eq!(of("node:lts-alpine"), NpmVersion::WithOmit);
        assert_eq!(of("node"), NpmVersion::WithOmit);
        assert_eq!(of("node:boron"), NpmVersion::WithoutCi);
        assert_eq!(of("ubuntu:24.04"), NpmVersion::Unknown);
        assert_eq!(of("registry.example.com/node:20"), NpmVersion::Unknown);
    }

    #[test]
    fn optional_dependencies_may_be_listed_as_dependencies() {
        let manifest = json!({"dependencies": {"a": "^1"}, "optionalDependencies": {"b": "^2"}});
        let merged =
            json!({"dependencies": {"a": "^1", "b": "^2"}, "optionalDependencies": {"b": "^2"}});
        assert_eq!(compare_dependencies(&manifest, &merged, "lock"), Ok(()));
        let stale = json!({"dependencies": {"a": "^1"}});
        assert!(compare_dependencies(&manifest, &stale, "lock").is_err());
    }
}
