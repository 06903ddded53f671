//! Model: a typed view over a parsed file for transforms to reason about: stages, instructions
//! with BuildKit's splitting of their arguments, and the shell commands inside RUN, each mapped
//! back to byte ranges in the source.

mod heredoc;
mod image;
mod instruction;
pub mod lineage;
pub mod mounts;
pub mod packages;
pub mod paths;
mod scope;
pub mod script;
pub mod shell;
mod workdir;

pub use image::ImageRef;
use instruction::ReadScript;
pub use instruction::{CopyArgs, Flag, FromArgs, Instruction, Located, Script};
pub use workdir::{Workdir, WorkdirUnknown};

use crate::style::Style;
use crate::syntax::{InstructionKind, Parse, TextRange};
use scope::Scope;
use shell::ShellScript;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The WORKDIR in force after these instructions, starting from `base` (the base image's, when
/// unknown a marker such as `@base`); `None` when a WORKDIR uses a variable. The model's own
/// rule, through the stages a stage builds on, is [`Dockerfile::workdir_before`].
pub fn workdir_after(instructions: &[Instruction], base: &str) -> Option<String> {
    let mut cwd = Workdir::Known(paths::normalize(base));
    for instruction in instructions {
        cwd = cwd.after(instruction);
        if cwd == Workdir::Unknown {
            return None;
        }
    }
    cwd.known().map(str::to_owned)
}

/// One build stage: a FROM and the instructions after it.
#[derive(Clone, Debug)]
pub struct Stage {
    pub index: usize,
    /// The `AS name`, if any.
    pub name: Option<String>,
    pub base: ImageRef,
    /// The earlier stage this one builds on (`FROM builder`), if any.
    pub base_stage: Option<usize>,
    pub platform: Option<String>,
    /// Index of its FROM instruction.
    pub from: usize,
    /// Instruction indices of the stage, FROM included: `from..end`.
    pub end: usize,
}

/// The typed view of one parsed Dockerfile.
pub struct Dockerfile<'p> {
    parse: &'p Parse,
    instructions: Vec<Instruction<'p>>,
    stages: Vec<Stage>,
    /// What is in force before each instruction.
    scopes: Vec<Scope>,
    /// What is in force after each stage's last instruction.
    stage_scopes: Vec<Scope>,
    style: OnceLock<Style>,
    /// What reading each instruction's shell-form script left, on first use.
    scripts: Vec<OnceLock<Option<ReadScript>>>,
    /// The programs each RUN runs ([`Dockerfile::run_programs`]), on first use.
    programs: Vec<OnceLock<Vec<String>>>,
}

impl<'p> Dockerfile<'p> {
    pub fn new(parse: &'p Parse) -> Self {
        let mut instructions = Vec::with_capacity(parse.instructions.len());
        let mut stages: Vec<Stage> = Vec::new();
        // The first stage of each name (ASCII case folded): `FROM name` builds on it.
        let mut named: HashMap<String, usize> = HashMap::new();
        for (index, parsed) in parse.instructions.iter().enumerate() {
            let mut instruction = Instruction {
                index,
                parsed,
                text: parse.text(),
                stage: None,
            };
            if let Some(from) = instruction.from_args() {
                if let Some(last) = stages.last_mut() {
                    last.end = index;
                }
                let base_stage = named
                    .get(&from.image.value.raw.to_ascii_lowercase())
                    .copied();
                if let Some(name) = &from.name {
                    named
                        .entry(name.value.to_ascii_lowercase())
                        .or_insert(stages.len());
                }
                stages.push(Stage {
                    index: stages.len(),
                    name: from.name.map(|name| name.value),
                    base: from.image.value,
                    base_stage,
                    platform: from.platform,
                    from: index,
                    end: index + 1,
                });
            }
            instruction.stage = stages.len().checked_sub(1);
            instructions.push(instruction);
        }
        if let Some(last) = stages.last_mut() {
            last.end = instructions.len();
        }
        let (scopes, stage_scopes) = scope::scopes(&instructions, &stages);
        let scripts = instructions.iter().map(|_| OnceLock::new()).collect();
        let programs = instructions.iter().map(|_| OnceLock::new()).collect();
        Dockerfile {
            parse,
            instructions,
            stages,
            scopes,
            stage_scopes,
            style: OnceLock::new(),
            scripts,
            programs,
        }
    }

    /// The instruction's shell-form script (RUN, CMD, ENTRYPOINT, HEALTHCHECK CMD), read once.
    pub fn script(&self, instruction: &Instruction<'p>) -> Option<Script<'p>> {
        let read = self.scripts[instruction.index]
            .get_or_init(|| instruction.script().map(|script| script.read()))
            .clone()?;
        instruction.script_with(|_| read)
    }

    /// The heredoc bodies of a RUN that a shell runs as scripts (`RUN <<EOF`, `RUN bash <<EOF`),
    /// parsed, in order; empty for other instructions.
    pub fn heredoc_scripts(&self, instruction: &Instruction<'p>) -> Vec<script::ParsedScript> {
        heredoc::shell_bodies(instruction)
    }

    /// The scripts a RUN gives to the shell, parsed: its shell-form script, then the heredoc
    /// bodies a shell runs ([`Dockerfile::heredoc_scripts`]); empty for an exec form.
    pub fn shell_scripts(&self, run: &Instruction<'p>) -> Vec<script::Script> {
        let own = self.script(run).map(|script| script.tree().script.clone());
        let heredocs = self.heredoc_scripts(run).into_iter().map(|p| p.script);
        own.into_iter().chain(heredocs).collect()
    }

    /// The file names of the programs a RUN runs (`npm` for `/usr/local/bin/npm`, wrappers such
    /// as `sudo -u app` and `env X=1` looked through): its exec form's, or those of every simple
    /// command of its shell-form script and heredoc scripts, in order; read once. A transform that
    /// acts on some programs only asks this first, so that a RUN that runs none costs nothing.
    pub fn run_programs(&self, run: &Instruction<'p>) -> &[String] {
        self.programs[run.index].get_or_init(|| {
            if let Some(words) = run.exec_form() {
                let line = script::CommandLine::read(&words, &[]);
                return line
                    .map(|line| line.name().to_owned())
                    .into_iter()
                    .collect();
            }
            // As `shell_scripts`, without copying the shell-form script's tree.
            let mut programs = Vec::new();
            let mut add = |tree: &script::Script| {
                let lines = tree.simple_commands().into_iter();
                let names = lines.filter_map(|command| command.command_line(&[]));
                programs.extend(names.map(|line| line.name().to_owned()));
            };
            if let Some(read) = self.script(run) {
                add(&read.tree().script);
            }
            for heredoc in self.heredoc_scripts(run) {
                add(&heredoc.script);
            }
            programs
        })
    }

    /// The text of the heredoc bodies a RUN gives to the shell ([`Dockerfile::heredoc_scripts`]
    /// before parsing), for the flat view ([`shell::lex`]).
    pub fn heredoc_script_texts(&self, instruction: &Instruction<'p>) -> Vec<String> {
        heredoc::shell_body_texts(instruction)
    }

    /// What a RUN is written with, comments and flags aside: the elements of its exec form, or
    /// the words and redirections (`>/etc/apt/sources.list`) of its shell-form script and of
    /// the heredoc bodies a shell runs (`RUN <<EOF`), in order.
    pub fn run_words(&self, run: &Instruction<'p>) -> Vec<String> {
        if let Some(words) = run.exec_form() {
            return words.into_iter().map(|word| word.value).collect();
        }
        let mut written = Vec::new();
        let mut add = |script: &ShellScript, text: &str| {
            let texts = script.commands.iter().flat_map(|c| c.texts(text));
            written.extend(texts.map(str::to_owned));
        };
        if let Some(script) = self.script(run) {
            add(&script.lexed, script.text);
        }
        for body in self.heredoc_script_texts(run) {
            add(&shell::lex(&body), &body);
        }
        written
    }

    /// The working directory `instruction` runs in (see [`Workdir`] for the rule).
    pub fn workdir_before(&self, instruction: &Instruction) -> &Workdir {
        &self.scopes[instruction.index].workdir
    }

    /// The working directory after the stage's last instruction: the one its container starts
    /// in.
    pub fn workdir_at_end(&self, stage: &Stage) -> &Workdir {
        &self.stage_scopes[stage.index].workdir
    }

    pub fn parse(&self) -> &'p Parse {
        self.parse
    }

    /// The file's own style (newline, keyword case, escape character, continuation indent),
    /// for inserted text.
    pub fn style(&self) -> &Style {
        self.style.get_or_init(|| Style::detect(self.parse))
    }

    /// The escape character (`\` unless an `escape` directive says `` ` ``).
    pub fn escape(&self) -> char {
        self.parse.escape
    }

    pub fn text(&self) -> &'p str {
        self.parse.text()
    }

    pub fn instructions(&self) -> &[Instruction<'p>] {
        &self.instructions
    }

    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The instructions of a stage, its FROM first.
    pub fn stage_instructions(&self, stage: &Stage) -> &[Instruction<'p>] {
        &self.instructions[stage.from..stage.end]
    }

    /// Instructions of a kind, in order (ONBUILD triggers excluded).
    pub fn of_kind(&self, kind: InstructionKind) -> impl Iterator<Item = &Instruction<'p>> {
        self.instructions
            .iter()
            .filter(move |instruction| instruction.kind() == Some(kind))
    }

    /// The instruction's node plus the comment lines directly above it (no blank line between,
    /// parser directives excluded): what moves when the instruction moves.
    pub fn block_range(&self, instruction: &Instruction) -> TextRange {
        let text = self.text();
        let mut start = instruction.range().start;
        let first_instruction = self
            .instructions
            .first()
            .map_or(0, |first| first.range().start);
        while start > 0 {
            let line_start = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
            let line = text[line_start..start].trim();
            let is_directive = line_start < first_instruction
                && self
                    .parse
                    .directives
                    .iter()
                    .any(|d| d.range.start >= line_start && d.range.start < start);
            if !line.starts_with('#') || is_directive {
                break;
            }
            start = line_start;
        }
        TextRange::new(start, instruction.range().end)
    }

    /// The final stage (the image that gets built by default).
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// `stage` and the earlier stages it builds on (`FROM builder`), nearest first; the last one
    /// starts from an image.
    pub fn stage_chain<'s>(&'s self, stage: &'s Stage) -> Vec<&'s Stage> {
        let mut chain = vec![stage];
        let mut current = stage.base_stage;
        while let Some(index) = current {
            // A base stage comes before the stage that names it, so the chain cannot loop.
            match self.stages.get(index) {
                Some(base) if chain.last().is_some_and(|last| base.index < last.index) => {
                    chain.push(base);
                    current = base.base_stage;
                }
                _ => break,
            }
        }
        chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{parse, Args};

    #[test]
    fn stage_chain_follows_base_stages_to_the_image() {
        let parse = parse("FROM node:20 AS base\nFROM alpine\nFROM base AS mid\nFROM mid\n");
        let file = Dockerfile::new(&parse);
        let last = file.final_stage().expect("a stage");
        let chain: Vec<usize> = file.stage_chain(last).iter().map(|s| s.index).collect();
        assert_eq!(chain, [3, 2, 0]);
    }

    #[test]
    fn run_programs_look_through_wrappers_paths_and_heredocs() {
        let text = "FROM a\n\
            RUN sudo -u app /usr/local/bin/npm ci && env X=1 pip install -r r.txt | tee log\n\
            RUN [\"/usr/bin/go\", \"build\"]\n\
            RUN <<EOF\napt-get update\nFOO=1 make\nEOF\n\
            COPY a b\n";
        let parse = parse(text);
        let file = Dockerfile::new(&parse);
        let programs: Vec<&[String]> = file
            .instructions()
            .iter()
            .map(|instruction| file.run_programs(instruction))
            .collect();
        assert_eq!(programs[1], ["npm", "pip", "tee"]);
        assert_eq!(programs[2], ["go"]);
        assert_eq!(programs[3], ["apt-get", "make"]);
        assert!(programs[4].is_empty() && programs[0].is_empty());
    }

    #[test]
    fn blocks_take_comments_directly_above() {
        let text = "# syntax=docker/dockerfile:1\nFROM a\n\n# about b\n  # more\nRUN b\n";
        let parse = parse(text);
        let file = Dockerfile::new(&parse);
        assert_eq!(
            file.block_range(&file.instructions()[1]).slice(text),
            "# about b\n  # more\nRUN b\n"
        );
        assert_eq!(
            file.block_range(&file.instructions()[0]).slice(text),
            "FROM a\n"
        );
    }

    #[test]
    fn stages_and_views() {
        let text = "ARG V=20\nFROM node:${V} AS build\nWORKDIR /app\nCOPY --chown=node:node package.json \\\n  ./\nRUN npm ci && npm run build\nFROM --platform=linux/amd64 build AS final\nENV A=1 B=\"x y\"\nEXPOSE 3000/tcp\nCMD [\"node\", \"app.js\"]\n";
        let parse = parse(text);
        assert!(parse.errors.is_empty());
        let file = Dockerfile::new(&parse);
        assert_eq!(file.stages().len(), 2);
        let build = &file.stages()[0];
        assert_eq!(build.name.as_deref(), Some("build"));
        assert_eq!(build.base.repository, "node");
        assert!(build.base.has_variables());
        assert_eq!((build.from, build.end), (1, 5));
        let last = &file.stages()[1];
        assert_eq!(last.base_stage, Some(0));
        assert_eq!(last.platform.as_deref(), Some("linux/amd64"));
        assert_eq!(file.instructions()[0].stage, None);

        let copy = file.instructions()[3];
        let args = copy.copy_args().unwrap();
        assert_eq!(args.sources[0].range.slice(text), "package.json");
        assert_eq!(args.destination.range.slice(text), "./");
        assert_eq!(
            copy.flag("chown").and_then(|f| f.value).as_deref(),
            Some("node:node")
        );
        assert_eq!(&text[copy.content_end()..copy.content_end() + 1], "\n");

        let run = file.instructions()[4];
        let script = run.script().unwrap();
        assert_eq!(script.lexed.commands.len(), 2);
        let second = script.source_range(script.lexed.commands[1].range);
        assert_eq!(second.slice(text), "npm run build");

        let env = file.instructions()[6];
        let pairs = env.pairs();
        assert_eq!(pairs[1].1.value, "\"x y\"");
        assert_eq!(file.instructions()[7].ports()[0].value, "3000/tcp");
        let cmd = file.instructions()[8].exec_form().unwrap();
        assert_eq!(file.block_range(&file.instructions()[0]).start, 0);
        assert_eq!(cmd[1].range.slice(text), "\"app.js\"");
    }

    #[test]
    fn heredoc_openers_and_what_runs_are_written_with() {
        let parse = parse(concat!(
            "FROM a\nCOPY <<EOF app.sh 2<<-\"B\" /app/\nx\nEOF\n\ty\n\tB\n",
            "RUN --mount=type=cache,target=/var/cache/apt pip install x > /tmp/log # apt\n",
            "RUN <<EOF\napt-get update\nEOF\nRUN [\"apt-get\", \"clean\"]\n",
        ));
        let file = Dockerfile::new(&parse);
        let [_, copy, pip, heredoc, exec] = file.instructions() else {
            panic!("five instructions")
        };
        let Args::Words(words) = copy.args() else {
            panic!("words")
        };
        let opens = words.iter().map(|word| copy.opens_heredoc(word));
        assert!(opens.eq([true, false, true, false]));
        // Comments and flags aside; a heredoc's opener is a redirection of the RUN's line.
        assert_eq!(file.run_words(pip), ["pip", "install", "x", "> /tmp/log"]);
        assert_eq!(file.run_words(heredoc), ["<<EOF", "apt-get", "update"]);
        assert_eq!(file.run_words(exec), ["apt-get", "clean"]);
    }
}
