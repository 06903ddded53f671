//! The layout of the runtime stage, chosen from the ecosystem profile: an application folder
//! (the working directory and the folders installs fill), or the artifacts the build made that
//! the command names. (A static site is planned by `static_site`.)

use super::facts::Facts;
use super::launch::{file_path, named_paths};
use super::{checks, environments, image_tools, Decline};
use crate::context::BuildContext;
use crate::knowledge::runtime_stage::RuntimeStage;
use crate::knowledge::{KnowledgeBase, Profile, RuntimeLayout};
use crate::model::paths::{self, is_within, normalize, resolve};
use crate::model::Stage;

/// The ecosystem of the stage: a profile for its base image with a runtime layout, preferring
/// the ones the build context shows; `true` when it was detected there.
pub(super) fn choose_profile<'k>(
    knowledge: &'k KnowledgeBase,
    stage: &Stage,
    context: &BuildContext,
) -> Option<(&'k Profile, &'k RuntimeLayout, bool)> {
    let candidates: Vec<&Profile> = knowledge
        .profiles_for_image(&stage.base)
        .into_iter()
        .filter(|p| p.runtime.is_some())
        .collect();
    let detected = candidates.iter().find(|p| p.detects(context));
    let profile = detected.or(candidates.first())?;
    Some((profile, profile.runtime.as_ref()?, detected.is_some()))
}

/// The application's folder and the folders holding its installed dependencies.
pub(super) fn app_folder_copies(
    facts: &Facts,
    workdir: Option<&str>,
    command: &[String],
    has_userland: bool,
) -> Result<Vec<String>, Decline> {
    let app = workdir
        .filter(|w| *w != "/")
        .ok_or(Decline::NoApplicationFolder)?;
    if facts.runs_with("--user") || facts.sets_variable("PIP_USER") {
        return Err(Decline::UserInstall);
    }
    let installed_into = facts
        .install_folders()
        .iter()
        .filter(|keep| !is_within(app, keep))
        .cloned();
    // A virtualenv goes first: it changes less often than the application, so the layer
    // that copies it stays cached longer.
    let mut copies: Vec<String> = match facts.virtualenv {
        Some(_) => installed_into.chain([app.to_owned()]).collect(),
        None => std::iter::once(app.to_owned())
            .chain(installed_into)
            .collect(),
    };
    // Programs copied from images that the application may run (RoadRunner's `rr`).
    if let Some(same) = &facts.layout.same_image {
        for tool in image_tools::runtime_tools(facts, same)? {
            if !copies.iter().any(|copy| is_within(copy, &tool)) {
                copies.push(tool);
            }
        }
    }
    for folder in environments::environment_folders(facts)? {
        if !copies.iter().any(|copy| is_within(copy, &folder)) {
            copies.push(folder);
        }
    }
    // Modules are looked up in the folders the stage's ENV adds.
    for (variable, folder) in facts.module_folders(app)? {
        if !copies.iter().any(|copy| is_within(copy, &folder)) {
            return Err(Decline::ModuleFolderNotReceived { variable, folder });
        }
    }
    for word in command
        .iter()
        .skip(1)
        .filter_map(|w| file_path(w))
        .filter(|w| w.starts_with('/'))
    {
        if !copies.iter().any(|folder| is_within(folder, word)) {
            return Err(Decline::PathNotReceived {
                path: word.to_owned(),
            });
        }
    }
    let Some(program) = command.first().map(String::as_str) else {
        // No command of the stage's own: the image's, on the same image (php-fpm).
        checks::check_healthcheck(facts, app, &copies, has_userland)?;
        return Ok(copies);
    };
    if let Some(same) = &facts.layout.same_image {
        let name = program.rsplit('/').next().unwrap_or(program);
        if same.is_build_tool(name) {
            return Err(Decline::BuildToolRun {
                program: program.to_owned(),
            });
        }
    }
    // A bare name is found on PATH: the runtime's own programs, or the console scripts the
    // installs put in a copied `bin` folder (`/usr/local/bin/gunicorn`, the virtualenv's,
    // which leads PATH).
    let installed = !program.contains('/')
        && (facts.virtualenv.is_some()
            || facts
                .install_folders()
                .iter()
                .any(|keep| RuntimeStage::builtin().is_path_root(keep)));
    let copied = |path: &str| copies.iter().any(|folder| is_within(folder, path));
    // Folders the stage put on PATH that the runtime stage would not receive may hold a
    // tool installed into the home folder.
    let search_path = facts.search_path();
    let unreceived =
        |folder: &&String| !copied(folder) && !paths::DEFAULT_PATH.contains(&folder.as_str());
    let found = if program.contains('/') {
        // A script may run any program on PATH.
        if let Some(folder) = search_path.iter().find(unreceived) {
            return Err(Decline::ScriptUsesPathFolder {
                program: program.to_owned(),
                folder: folder.clone(),
            });
        }
        copied(&resolve(app, program))
    } else if RuntimeStage::builtin().is_runtime_program(program) || image_program(facts, program) {
        true
    } else {
        // A bare program is found in the first folder that has it: one not received that
        // comes before every received one may be it.
        let first = search_path
            .iter()
            .find(|folder| copied(folder) || unreceived(folder));
        if let Some(folder) = first.filter(unreceived) {
            return Err(Decline::ProgramMayBeInPathFolder {
                program: program.to_owned(),
                folder: folder.clone(),
            });
        }
        installed
            || search_path
                .iter()
                .any(|dir| copied(&format!("{dir}/{program}")))
    };
    if !RuntimeStage::builtin().is_runtime_program(program)
        && !image_program(facts, program)
        && !found
    {
        return Err(Decline::ProgramMissing {
            program: program.to_owned(),
        });
    }
    checks::check_healthcheck(facts, app, &copies, has_userland)?;
    Ok(copies)
}

/// A program the runtime image has because it is the builder's own image (`php-fpm`).
fn image_program(facts: &Facts, program: &str) -> bool {
    facts
        .layout
        .same_image
        .as_ref()
        .is_some_and(|same| same.has_program(program))
}

/// The build output the command names, traced through the profile's build commands, and
/// the files it names that the stage copied from the build context.
pub(super) fn artifact_copies(
    facts: &Facts,
    workdir: Option<&str>,
    command: &[String],
    has_userland: bool,
) -> Result<Vec<String>, Decline> {
    let outputs = facts.build_outputs()?;
    let cwd = workdir.ok_or_else(|| Decline::NoArtifactWorkdir {
        base: facts.stage.base.raw.clone(),
    })?;
    let mut copies = Vec::new();
    // The HEALTHCHECK's programs from the build run in the runtime stage too.
    let health_programs = facts
        .healthcheck_programs()
        .into_iter()
        .filter(|program| program.contains('/') && !is_system_program(program))
        .map(|program| (0, program));
    // Paths the environment makes the launcher load (`JAVA_TOOL_OPTIONS=-javaagent:…`).
    let environment_paths = facts.environment_paths().into_iter().map(|path| (1, path));
    for (position, word) in named_paths(
        command,
        &facts.layout.path_lists,
        &facts.layout.path_prefixes,
    )
    .into_iter()
    .chain(health_programs)
    .chain(environment_paths)
    {
        // A program without a slash is looked up on PATH, not in the working directory.
        let candidates: Vec<String> = if position == 0 && facts.is_toolchain_program(&word) {
            Vec::new()
        } else if position == 0 && !word.contains('/') {
            facts
                .search_path()
                .iter()
                .map(|dir| format!("{dir}/{word}"))
                .collect()
        } else {
            vec![resolve(cwd, &word)]
        };
        let produced = candidates.iter().find_map(|path| {
            outputs.iter().find_map(|output| {
                let unit = produced_by(&output.path, path)?;
                let name = path.rsplit('/').next().unwrap_or(path);
                if output
                    .names
                    .as_ref()
                    .is_some_and(|names| !names.iter().any(|n| n == name))
                {
                    return None;
                }
                let unit = if output.exact { unit } else { normalize(path) };
                Some((&output.path, unit, output.exact))
            })
        });
        let path = candidates
            .first()
            .cloned()
            .unwrap_or_else(|| resolve(cwd, &word));
        match produced {
            // A build into a folder of system programs (`go build -o /usr/local/bin/`)
            // mixes its output with programs the build did not make.
            Some((output, _, true)) if facts.is_program_folder(output) => {
                return Err(Decline::BuildIntoProgramFolder {
                    output: output.clone(),
                })
            }
            Some((output, unit, true)) => copies.push(if is_glob(output) {
                unit
            } else {
                output.clone()
            }),
            Some((output, path, false)) => {
                copies.push(distribution_of(output, &path, position).unwrap_or(path))
            }
            None if position == 0 && RuntimeStage::builtin().is_runtime_program(&word) => {}
            // Data files the command names may come from the context; a program from
            // there (an entrypoint script) runs what cannot be traced.
            None if position > 0 && facts.copied_from_context(&path)? => copies.push(path),
            None if position == 0 => return Err(Decline::UntracedProgram { program: word }),
            None => return Err(Decline::UntracedPath { path: word }),
        }
    }
    copies.sort();
    copies.dedup();
    checks::check_healthcheck(facts, cwd, &copies, has_userland)?;
    let built = |copy: &String| {
        outputs
            .iter()
            .any(|output| produced_by(&output.path, copy).is_some())
    };
    if !copies.iter().any(built) {
        return Err(Decline::NoBuildOutput);
    }
    Ok(copies)
}

/// `npm prune --omit=dev` when the profile prunes, it is the project's own package manager,
/// and the command is a plain `node …` (npm scripts may call development tools).
pub(super) fn prune<'a>(facts: &Facts<'a, '_>, command: &[String]) -> Option<&'a str> {
    let runs_node = command.first().is_some_and(|program| program == "node");
    facts
        .layout
        .prune
        .as_deref()
        .filter(|_| facts.detected && runs_node)
}

/// The part of `path` a build output (a path, a folder, or a glob such as `/build/target/*.jar`
/// or `/src/**/build`) covers: `path` itself or the ancestor the output names.
pub(super) fn produced_by(output: &str, path: &str) -> Option<String> {
    let path = normalize(path);
    if !is_glob(output) {
        return is_within(output, &path).then_some(path);
    }
    let glob = globset::GlobBuilder::new(output)
        .literal_separator(true)
        .build()
        .ok()?
        .compile_matcher();
    // A glob naming files (`target/release/*`) covers only what it matches; one naming folders
    // (`**/build`) covers what is inside them too.
    let names_folders = !is_glob(output.rsplit('/').next().unwrap_or(output));
    if !names_folders {
        return glob.is_match(&path).then_some(path);
    }
    let mut candidate = path.as_str();
    loop {
        if glob.is_match(candidate) {
            return Some(candidate.to_owned());
        }
        candidate = &candidate[..candidate.rfind('/').filter(|&at| at > 0)?];
    }
}

pub(super) fn is_glob(output: &str) -> bool {
    output.contains(['*', '?', '['])
}

/// A program in one of the system's program folders (`/usr/bin/curl`).
pub(super) fn is_system_program(path: &str) -> bool {
    path.rsplit_once('/')
        .is_some_and(|(folder, _)| paths::DEFAULT_PATH.contains(&folder))
}

/// A program run from a `bin` folder inside a build output belongs to a distribution whose
/// other folders (`lib`) it loads: the folder above `bin`.
pub(super) fn distribution_of(output: &str, path: &str, position: usize) -> Option<String> {
    let (folder, _) = path.rsplit_once('/')?;
    let (distribution, bin) = folder.rsplit_once('/')?;
    (position == 0 && bin == "bin" && produced_by(output, distribution).is_some())
        .then(|| distribution.to_owned())
}
