//! Whether the program a shell-form CMD/ENTRYPOINT names starts without a shell. Exec form hands
//! it to `execve`, which runs a file that starts with `#!` or is an ELF binary and fails with
//! "exec format error" on anything else, where `/bin/sh -c` would have run it as a shell script.
//!
//! The program is traced to what put it in the image: a file of the build context (whose first
//! bytes are read), a heredoc, another stage (followed), an image, a RUN, or nothing in this
//! file (the base image's program). Only the first two can be checked.

use crate::context::pattern::has_meta;
use crate::context::BuildContext;
use crate::knowledge::file_types::{read_head, FileTypes};
use crate::model::shell::{self, Command, ShellScript};
use crate::model::{lineage, paths, Dockerfile, Instruction, Stage};
use crate::syntax::InstructionKind;
use crate::transforms::Context;
use copy::Copy;
use std::path::{Path, PathBuf};

mod copy;

/// Stands for the working directory of a base image whose own is not known.
const IMAGE_WORKDIR: &str = "/<working directory of the base image>";
/// How many `COPY --from` hops are followed.
const MAX_HOPS: usize = 8;

/// What made a path of the image.
enum Found {
    /// Nothing this file does: the base image's (or nothing: then both forms fail alike).
    Image,
    /// Content that `execve` runs.
    Runs,
}

/// What a RUN does to a path, from the least to the most doubtful.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Written {
    /// It does not name it.
    No,
    /// Only a compiler of native executables names it: a binary.
    Binary,
    /// Some other command names it or writes into it.
    Unknown,
}

/// What a COPY/ADD does to a path.
enum Copied {
    /// It writes the path.
    Writes(Found),
    /// It does not.
    Not,
    /// It copies a folder of the build context over the path's folder without the file: what
    /// made the file is not in sight (a RUN, most likely), unless an earlier instruction did.
    Around(String),
}

/// The instructions that built a file system, and the working directory they started in.
struct Frame<'f, 'p> {
    history: Vec<&'f Instruction<'p>>,
    start: String,
}

/// Whether `program` (the first word of `instruction`'s command) starts without a shell;
/// `Err` says why that is not known.
pub(super) fn check(
    file: &Dockerfile,
    context: &Context,
    instruction: &Instruction,
    program: &str,
) -> Result<(), String> {
    let Some(stage) = instruction.stage.and_then(|i| file.stages().get(i)) else {
        return Ok(());
    };
    let tracer = Tracer {
        file,
        context,
        files: context.build_context_files().filter(|c| c.has_files()),
        types: FileTypes::builtin(),
    };
    let frame = Frame {
        history: lineage::history(file, instruction),
        start: tracer.image_workdir(stage),
    };
    let cwd = file
        .workdir_before(instruction)
        .known_with(Some(&frame.start));
    if program.contains('/') {
        let Some(path) = resolve(cwd.as_deref(), program) else {
            return Err(format!(
                "{program} is relative to a WORKDIR that uses a variable"
            ));
        };
        return match tracer.origin(&frame, &path, false, 0)? {
            Found::Image if paths::is_within(IMAGE_WORKDIR, &path) => Err(format!(
                "{program} is relative to the base image's working directory, which is not known"
            )),
            Found::Image | Found::Runs => Ok(()),
        };
    }
    for folder in tracer.search_path(instruction, stage, cwd.as_deref()) {
        let candidate = paths::resolve(&folder, program);
        match tracer.origin(&frame, &candidate, true, 0)? {
            Found::Image => continue,
            Found::Runs => return Ok(()),
        }
    }
    Ok(())
}

struct Tracer<'a, 'f, 'p> {
    file: &'f Dockerfile<'p>,
    context: &'a Context<'a>,
    files: Option<&'a BuildContext>,
    types: &'static FileTypes,
}

impl<'f, 'p> Tracer<'_, 'f, 'p> {
    /// The working directory the stage's first image starts in, or a stand-in when unknown.
    fn image_workdir(&self, stage: &Stage) -> String {
        let image = lineage::root_image(self.file, stage);
        self.context
            .knowledge()
            .image_workdir(image)
            .unwrap_or(IMAGE_WORKDIR)
            .to_owned()
    }

    /// The working directory `instruction` of the frame's history runs in.
    fn cwd_before(&self, frame: &Frame, instruction: &Instruction) -> Option<String> {
        self.file
            .workdir_before(instruction)
            .known_with(Some(&frame.start))
    }

    /// The folders a bare program name is looked up in, in order: the image's own PATH folders
    /// when known, the default PATH, as changed by `ENV PATH=…:$PATH`.
    fn search_path(
        &self,
        instruction: &Instruction,
        stage: &Stage,
        cwd: Option<&str>,
    ) -> Vec<String> {
        let image = lineage::root_image(self.file, stage);
        let mut path: Vec<String> = self
            .context
            .knowledge()
            .image_path(image)
            .map(|known| known.path.clone())
            .unwrap_or_default();
        path.extend(paths::DEFAULT_PATH.iter().map(|folder| folder.to_string()));
        self.file.path_before(instruction, path, cwd)
    }

    /// What made `path` in the file system `frame` builds, looking back from its end. With
    /// `by_name` (a program found through PATH), only instructions that name the path count:
    /// a folder copied over a PATH folder is taken not to hold it.
    fn origin(
        &self,
        frame: &Frame<'f, 'p>,
        path: &str,
        by_name: bool,
        hops: usize,
    ) -> Result<Found, String> {
        let mut around: Option<String> = None;
        for instruction in frame.history.iter().rev() {
            match instruction.kind() {
                Some(InstructionKind::Run) => {
                    let cwd = self.cwd_before(frame, instruction);
                    match self.run_writes(instruction, cwd.as_deref(), path, by_name) {
                        Written::No => {}
                        Written::Binary => return Ok(Found::Runs),
                        Written::Unknown => {
                            return Err(format!(
                                "the RUN on line {} may make or change {}",
                                instruction.start_line(),
                                shown(path)
                            ))
                        }
                    }
                }
                Some(InstructionKind::Copy | InstructionKind::Add) => {
                    let cwd = self.cwd_before(frame, instruction);
                    let copy = Copy::read(instruction, cwd.as_deref());
                    match self.copied(&copy, path, by_name, hops)? {
                        Copied::Writes(found) => return Ok(found),
                        Copied::Not => {}
                        Copied::Around(why) => {
                            around.get_or_insert(why);
                        }
                    }
                }
                _ => {}
            }
        }
        match around {
            Some(why) if !by_name => Err(why),
            _ => Ok(Found::Image),
        }
    }

    /// Whether a RUN names `path`: as an argument (by file name, or by resolved path for
    /// `by_name`) or a redirection target, in its script, its exec form or its heredocs.
    /// Programs that keep the content of their arguments (`chmod`) do not count, nor the
    /// program a command runs; a compiler of native executables (`go build -o app`) makes a
    /// binary.
    fn run_writes(
        &self,
        run: &Instruction,
        cwd: Option<&str>,
        path: &str,
        by_name: bool,
    ) -> Written {
        let names = |value: &str| -> bool {
            let value = value.rsplit('=').next().unwrap_or(value);
            if by_name {
                value.contains('/') && resolve(cwd, value).is_some_and(|found| found == path)
            } else {
                let name = value.trim_end_matches('/').rsplit('/').next().unwrap_or("");
                !name.is_empty() && name == file_name(path)
            }
        };
        let mut written = Written::No;
        if let Some(elements) = run.exec_form() {
            if elements.iter().skip(1).any(|element| names(&element.value)) {
                let words: Vec<&str> = elements.iter().map(|e| e.value.as_str()).collect();
                written = written.max(match self.types.builds_native(&words) {
                    true => Written::Binary,
                    false => Written::Unknown,
                });
            }
        }
        let mut scripts: Vec<(String, ShellScript)> = Vec::new();
        if let Some(script) = self.file.script(run) {
            scripts.push((script.text.to_owned(), ShellScript::clone(&script.lexed)));
        }
        for body in &run.parsed().heredocs {
            let text = body.body.slice(self.file.text()).to_owned();
            let lexed = shell::lex(&text);
            scripts.push((text, lexed));
        }
        // A compiler of native executables whose output the knowledge base places at the path
        // (`cargo build --release` → `target/release/*`).
        let empty = BuildContext::without_files();
        let produces = |command: &Command, text: &str| -> bool {
            let words: Vec<&str> = command.words.iter().map(|w| w.value.as_str()).collect();
            if !self.types.builds_native(&words) {
                return false;
            }
            let knowledge = self.context.knowledge();
            let Some(artifacts) = knowledge
                .match_command(command, text)
                .and_then(|found| found.artifacts(self.files.unwrap_or(&empty)))
            else {
                return false;
            };
            let named = artifacts
                .names
                .as_ref()
                .is_none_or(|names| names.iter().any(|name| name == file_name(path)));
            named
                && artifacts.paths.iter().any(|artifact| {
                    resolve(cwd, artifact).is_some_and(|artifact| {
                        artifact == path
                            || (file_name(&artifact) == "*" && parent(&artifact) == parent(path))
                    })
                })
        };
        for (text, script) in &scripts {
            written = written.max(match script.incomplete {
                true => Written::Unknown,
                false => script_writes(text, script, &names, &produces, self.types, 1),
            });
        }
        written
    }

    /// What a COPY/ADD does to `path`.
    fn copied(
        &self,
        copy: &Copy,
        path: &str,
        by_name: bool,
        hops: usize,
    ) -> Result<Copied, String> {
        let line = copy.instruction.start_line();
        let keyword = copy.keyword();
        let Some(destination) = &copy.destination else {
            let named = copy
                .sources
                .iter()
                .any(|source| file_name(source) == file_name(path))
                || (!by_name && !copy.sources.is_empty());
            return match named {
                true => Err(format!(
                    "the {keyword} on line {line} copies to a destination that is not known (a variable or an unknown WORKDIR)"
                )),
                false => Ok(Copied::Not),
            };
        };
        if !paths::is_within(destination, path) {
            return Ok(Copied::Not);
        }
        for (name, body) in copy.heredocs(self.file) {
            let target = match copy.into_folder {
                true => paths::resolve(destination, &name),
                false => destination.clone(),
            };
            if target == path {
                return match self.types.executable_content(body.as_bytes()) {
                    Some(_) => Ok(Copied::Writes(Found::Runs)),
                    None => Err(format!(
                        "the heredoc of the {keyword} on line {line} writes {} without a #! line",
                        shown(path)
                    )),
                };
            }
        }
        // The last source that writes the path wins.
        let mut result = Copied::Not;
        for source in copy.sources.iter().rev() {
            let copied = match &copy.from {
                Some(from) => {
                    self.copied_from(copy, from, source, destination, path, by_name, hops)?
                }
                None if copy.is_add && paths::is_remote(source) => {
                    return Err(format!(
                        "the ADD on line {line} downloads into {destination}"
                    ));
                }
                None => self.copied_from_context(copy, source, destination, path, by_name)?,
            };
            match copied {
                Copied::Writes(found) => return Ok(Copied::Writes(found)),
                Copied::Around(why) if matches!(result, Copied::Not) => {
                    result = Copied::Around(why)
                }
                _ => {}
            }
        }
        Ok(result)
    }

    /// A source of the build context: the file it puts at `path`, checked.
    fn copied_from_context(
        &self,
        copy: &Copy,
        source: &str,
        destination: &str,
        path: &str,
        by_name: bool,
    ) -> Result<Copied, String> {
        let line = copy.instruction.start_line();
        let keyword = copy.keyword();
        let as_file = match copy.into_folder {
            true => paths::resolve(destination, file_name(source)),
            false => destination.to_owned(),
        };
        // Without knowing whether the source is a file or a folder: it may write the path.
        let may_write = match by_name {
            true => path == as_file,
            false => path == as_file || path != destination,
        };
        let Some(files) = self.files else {
            return match may_write {
                true => Err(format!(
                    "{} may come from the build context (the {keyword} on line {line}), which is not at hand to check",
                    shown(path)
                )),
                false => Ok(Copied::Not),
            };
        };
        let root = files.root().unwrap_or(Path::new("."));
        let matches = files.glob(source);
        if matches.is_empty() {
            let missing = format!(
                "{} would come from `{source}` (the {keyword} on line {line}), which is not in the build context",
                shown(path)
            );
            return match may_write {
                // The COPY names the program itself.
                true if path == as_file => Err(missing),
                true => Ok(Copied::Around(missing)),
                false => Ok(Copied::Not),
            };
        }
        let mut result = Copied::Not;
        for found in matches.iter().rev() {
            let full = root.join(found);
            if full.is_dir() {
                if path == destination || by_name {
                    continue;
                }
                let inside =
                    path[destination.trim_end_matches('/').len()..].trim_start_matches('/');
                let candidate = match found.as_os_str() == "." {
                    true => PathBuf::from(inside),
                    false => found.join(inside),
                };
                if files.is_available(&candidate) {
                    return self.context_file(&candidate).map(Copied::Writes);
                }
                result = Copied::Around(format!(
                    "{} is not among the files the {keyword} on line {line} copies from the build context, so a RUN or the base image makes it",
                    shown(path)
                ));
                continue;
            }
            if copy.is_add && self.is_archive(found, &full) {
                return Err(format!(
                    "the ADD on line {line} may unpack {} from the archive `{}`",
                    shown(path),
                    found.display()
                ));
            }
            let target = match copy.into_folder {
                true => paths::resolve(destination, &file_name_of(found)),
                false => destination.to_owned(),
            };
            // A destination without a trailing slash that is an existing folder receives the
            // file under its own name.
            let into_existing =
                !copy.into_folder && path == paths::resolve(destination, &file_name_of(found));
            if path == target || into_existing {
                return self.context_file(found).map(Copied::Writes);
            }
        }
        Ok(result)
    }

    /// A source of another stage or image (`COPY --from`): the stage is followed.
    #[allow(clippy::too_many_arguments)]
    fn copied_from(
        &self,
        copy: &Copy,
        from: &str,
        source: &str,
        destination: &str,
        path: &str,
        by_name: bool,
        hops: usize,
    ) -> Result<Copied, String> {
        let line = copy.instruction.start_line();
        let keyword = copy.keyword();
        let source_path = paths::normalize(source);
        let as_file = match copy.into_folder {
            true => paths::resolve(destination, file_name(&source_path)),
            false => destination.to_owned(),
        };
        // The path in the source stage: the file itself, or one inside a copied folder.
        let origin = if path == as_file
            || (!copy.into_folder && path == paths::resolve(destination, file_name(&source_path)))
        {
            source_path.clone()
        } else if path != destination && !by_name {
            let inside = path[destination.trim_end_matches('/').len()..].trim_start_matches('/');
            paths::resolve(&source_path, inside)
        } else {
            return Ok(Copied::Not);
        };
        let stage = self.stage_named(from, copy.instruction);
        let unknown = |what: String| -> Result<Copied, String> {
            Err(format!(
                "{} is copied from {what} (the {keyword} on line {line}), whose files are not known here",
                shown(path)
            ))
        };
        let Some(stage) = stage else {
            return unknown(format!("`{from}`"));
        };
        if has_meta(source) || source.contains('$') {
            return unknown(format!("stage `{from}` with a pattern"));
        }
        if hops >= MAX_HOPS {
            return unknown(format!("stage `{from}`"));
        }
        let mut history = Vec::new();
        for base in self.file.stage_chain(stage).iter().rev() {
            history.extend(self.file.stage_instructions(base));
        }
        let frame = Frame {
            history,
            start: self.image_workdir(stage),
        };
        match self.origin(&frame, &origin, false, hops + 1) {
            // A file of the stage's base image (`/usr/local/bin/tini` of a builder).
            Ok(Found::Image) | Ok(Found::Runs) => Ok(Copied::Writes(Found::Runs)),
            Err(why) => Err(format!(
                "{why} in stage `{from}`, which the {keyword} on line {line} copies"
            )),
        }
    }

    /// The earlier stage a `--from` names (by name, or by index), if it is one.
    fn stage_named(&self, from: &str, copy: &Instruction) -> Option<&'f Stage> {
        let current = copy.stage?;
        let stages = &self.file.stages()[..current];
        stages
            .iter()
            .find(|stage| {
                stage
                    .name
                    .as_deref()
                    .is_some_and(|name| name.eq_ignore_ascii_case(from))
            })
            .or_else(|| from.parse::<usize>().ok().and_then(|i| stages.get(i)))
    }

    fn is_archive(&self, relative: &Path, full: &Path) -> bool {
        self.types
            .archive_name(&relative.to_string_lossy())
            .is_some()
            || read_head(full).is_some_and(|head| self.types.archive_content(&head).is_some())
    }

    /// A file of the build context: runs when it starts with `#!` or is a binary.
    fn context_file(&self, relative: &Path) -> Result<Found, String> {
        let full = self
            .files
            .and_then(BuildContext::root)
            .map_or_else(|| PathBuf::from(relative), |root| root.join(relative));
        let shown = relative.display();
        match read_head(&full) {
            Some(head) if self.types.executable_content(&head).is_some() => Ok(Found::Runs),
            Some(_) => Err(format!(
                "{shown} has no #! line in the build context and is not a binary"
            )),
            None => Err(format!("{shown} cannot be read in the build context")),
        }
    }
}

/// What the commands of a script do to the path (see [`Tracer::run_writes`]); words holding a
/// script of their own (`sh -c "…"`) are read too, `depth` levels down.
fn script_writes(
    text: &str,
    script: &ShellScript,
    names: &dyn Fn(&str) -> bool,
    produces: &dyn Fn(&Command, &str) -> bool,
    types: &FileTypes,
    depth: usize,
) -> Written {
    let mut written = Written::No;
    for command in &script.commands {
        if produces(command, text) {
            written = written.max(Written::Binary);
            continue;
        }
        let keeps = command.name().is_some_and(|name| types.keeps_content(name));
        let in_redirects = command.redirects.iter().any(|range| {
            let target = range
                .slice(text)
                .trim_start_matches(|c: char| {
                    c.is_ascii_digit() || matches!(c, '>' | '<' | '&' | '|')
                })
                .trim_start();
            shell::lex(target)
                .commands
                .first()
                .and_then(|c| c.words.first())
                .is_some_and(|word| names(&word.value))
        });
        if in_redirects {
            return Written::Unknown;
        }
        if keeps {
            continue;
        }
        for word in command.args() {
            if names(&word.value) {
                let words: Vec<&str> = command.words.iter().map(|w| w.value.as_str()).collect();
                written = written.max(match types.builds_native(&words) {
                    true => Written::Binary,
                    false => Written::Unknown,
                });
            } else if depth > 0 && word.value.contains(char::is_whitespace) {
                let inner = shell::lex(&word.value);
                written = written.max(script_writes(
                    &word.value,
                    &inner,
                    names,
                    produces,
                    types,
                    depth - 1,
                ));
            }
        }
    }
    written
}

/// `path` resolved against `cwd`; `None` when it is relative and `cwd` is not known.
fn resolve(cwd: Option<&str>, path: &str) -> Option<String> {
    match (path.starts_with('/'), cwd) {
        (true, _) => Some(paths::normalize(path)),
        (false, Some(cwd)) => Some(paths::resolve(cwd, path)),
        (false, None) => None,
    }
}

/// A path for messages: one relative to the base image's unknown working directory is shown as
/// such.
fn shown(path: &str) -> String {
    match path.strip_prefix(IMAGE_WORKDIR) {
        Some(rest) => format!(
            "{} in the base image's working directory",
            rest.trim_start_matches('/')
        ),
        None => path.to_owned(),
    }
}

fn parent(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit_once('/')
        .map_or("", |(parent, _)| parent)
}

fn file_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |name| name.to_string_lossy().into_owned())
}
