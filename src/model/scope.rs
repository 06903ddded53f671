//! What is in force before each instruction, through the stages its stage builds on: the
//! working directory, the USER, the SHELL, the variables (ARG and ENV) and PATH. Computed once
//! by [`Dockerfile::new`](super::Dockerfile::new) (variables and PATH on request).

use super::{paths, Dockerfile, ImageRef, Instruction, Stage, Workdir};
use crate::syntax::InstructionKind;

/// The state an instruction runs in.
#[derive(Clone, Debug)]
pub(super) struct Scope {
    pub(super) workdir: Workdir,
    /// The index of the USER instruction in force.
    pub(super) user: Option<usize>,
    /// The index of the SHELL instruction in force.
    pub(super) shell: Option<usize>,
}

impl Scope {
    fn image() -> Scope {
        Scope {
            workdir: Workdir::image(),
            user: None,
            shell: None,
        }
    }

    fn after(mut self, instruction: &Instruction) -> Scope {
        match instruction.kind() {
            Some(InstructionKind::User) => self.user = Some(instruction.index),
            Some(InstructionKind::Shell) => self.shell = Some(instruction.index),
            _ => self.workdir = self.workdir.after(instruction),
        }
        self
    }
}

/// The scope before each instruction, and after each stage: a stage starts in its parent
/// stage's final scope, or in its image's.
pub(super) fn scopes(instructions: &[Instruction], stages: &[Stage]) -> (Vec<Scope>, Vec<Scope>) {
    let mut before = Vec::with_capacity(instructions.len());
    let mut stage_ends: Vec<Scope> = Vec::with_capacity(stages.len());
    let global = stages
        .first()
        .map_or(instructions.len(), |stage| stage.from);
    before.resize(global, Scope::image());
    for stage in stages {
        let start = stage
            .base_stage
            .and_then(|parent| stage_ends.get(parent).cloned())
            .unwrap_or_else(Scope::image);
        let mut scope = start;
        for instruction in &instructions[stage.from..stage.end] {
            before.push(scope.clone());
            scope = scope.after(instruction);
        }
        stage_ends.push(scope);
    }
    (before, stage_ends)
}

impl<'p> Dockerfile<'p> {
    /// The USER instruction in force for `instruction` (`None`: the image's own user).
    pub fn user_before(&self, instruction: &Instruction) -> Option<&Instruction<'p>> {
        self.instruction_at(self.scopes[instruction.index].user)
    }

    /// The USER instruction in force at the end of the stage: the user its container runs as.
    pub fn user_at_end(&self, stage: &Stage) -> Option<&Instruction<'p>> {
        self.instruction_at(self.stage_scopes[stage.index].user)
    }

    /// The SHELL instruction in force for `instruction` (`None`: `/bin/sh -c`).
    pub fn shell_before(&self, instruction: &Instruction) -> Option<&Instruction<'p>> {
        self.instruction_at(self.scopes[instruction.index].shell)
    }

    /// The SHELL instruction in force at the end of the stage (any SHELL of its stage chain).
    pub fn shell_at_end(&self, stage: &Stage) -> Option<&Instruction<'p>> {
        self.instruction_at(self.stage_scopes[stage.index].shell)
    }

    fn instruction_at(&self, index: Option<usize>) -> Option<&Instruction<'p>> {
        index.and_then(|index| self.instructions.get(index))
    }

    /// The variables with literal values in force for `instruction`, in the order they were
    /// set (a later one shadows an earlier one): the ENVs of its stage chain, and the ARGs of
    /// its own stage (a global ARG's default when the stage declares it again without one).
    /// Quotes around ENV values are removed; values are not expanded.
    pub fn variables_before(&self, instruction: &Instruction) -> Vec<(String, String)> {
        let Some(stage) = instruction.stage.and_then(|index| self.stages.get(index)) else {
            return Vec::new();
        };
        let mut variables = Vec::new();
        for link in self.stage_chain(stage).iter().rev() {
            let end = if link.index == stage.index {
                instruction.index
            } else {
                link.end
            };
            for earlier in &self.instructions[link.from..end] {
                match earlier.kind() {
                    Some(InstructionKind::Arg) if link.index == stage.index => {
                        variables.extend(self.arg_values(earlier));
                    }
                    Some(InstructionKind::Env) => {
                        let pairs = earlier.pairs().into_iter();
                        variables.extend(
                            pairs.map(|(key, value, _)| (key.value, unquote(&value.value))),
                        );
                    }
                    _ => {}
                }
            }
        }
        variables
    }

    /// `text` with `$NAME` and `${NAME}` replaced by the variables in force for `instruction`;
    /// `None` when one has no known value or uses a `${NAME:-…}` form.
    pub fn expand(&self, instruction: &Instruction, text: &str) -> Option<String> {
        let variables = self.variables_before(instruction);
        expand(text, &variables)
    }

    /// The folders a program name is looked up in before `instruction`: `image_path` (the
    /// base image's PATH, when known, then the default), as changed by the `ENV PATH=…` of the
    /// stage chain (`$PATH` stands for the folders before; folders named by other variables
    /// are skipped; relative ones are resolved against `cwd`, or skipped when it is unknown).
    /// Each folder once, first place kept.
    pub fn path_before(
        &self,
        instruction: &Instruction,
        image_path: Vec<String>,
        cwd: Option<&str>,
    ) -> Vec<String> {
        path_after(super::lineage::history(self, instruction), image_path, cwd)
    }

    /// The folders a program name is looked up in once the stage's last instruction ran (the
    /// container's PATH), as [`Dockerfile::path_before`] tells them.
    pub fn path_at_end(
        &self,
        stage: &Stage,
        image_path: Vec<String>,
        cwd: Option<&str>,
    ) -> Vec<String> {
        let history = self
            .stage_chain(stage)
            .iter()
            .rev()
            .flat_map(|link| self.stage_instructions(link))
            .collect();
        path_after(history, image_path, cwd)
    }

    /// The stage's base image with the variables of its FROM replaced by the defaults of the
    /// global ARGs (`ARG GOLANG_IMAGE=golang:1.22` before `FROM ${GOLANG_IMAGE}`), as a build
    /// without `--build-arg` sees it; `None` when it has no variables or one has no default.
    pub fn base_by_defaults(&self, stage: &Stage) -> Option<ImageRef> {
        if !stage.base.has_variables() {
            return None;
        }
        let globals: Vec<(String, String)> = self
            .instructions
            .iter()
            .take_while(|i| i.stage.is_none())
            .flat_map(|i| i.arg_definitions())
            .filter_map(|(name, value)| Some((name, value?)))
            .collect();
        let raw = expand(&stage.base.raw, &globals)?;
        Some(ImageRef::parse(&raw))
    }

    /// An ARG's definitions with a value: its own default or the global one.
    fn arg_values(&self, arg: &Instruction) -> Vec<(String, String)> {
        let globals: Vec<(String, Option<String>)> = self
            .instructions
            .iter()
            .take_while(|i| i.stage.is_none())
            .flat_map(|i| i.arg_definitions())
            .collect();
        let global = |name: &str| {
            let definition = globals.iter().rev().find(|(global, _)| global == name);
            definition.and_then(|(_, value)| value.clone())
        };
        arg.arg_definitions()
            .into_iter()
            .filter_map(|(name, value)| {
                let value = value.or_else(|| global(&name))?;
                Some((name, value))
            })
            .collect()
    }
}

/// The PATH after the `ENV PATH=…` of `history`, from `path`; each folder once, first place
/// kept.
fn path_after(history: Vec<&Instruction>, mut path: Vec<String>, cwd: Option<&str>) -> Vec<String> {
    for env in history
        .into_iter()
        .filter(|i| i.kind() == Some(InstructionKind::Env))
    {
        for (key, value, _) in env.pairs() {
            if key.value == "PATH" {
                path = changed_path(&path, &unquote(&value.value), cwd);
            }
        }
    }
    let mut seen = Vec::new();
    path.retain(|folder| {
        let new = !seen.contains(folder);
        seen.push(folder.clone());
        new
    });
    path
}

/// The PATH after `PATH=written`, given the folders before it.
fn changed_path(before: &[String], written: &str, cwd: Option<&str>) -> Vec<String> {
    let mut next = Vec::new();
    for element in written.split(':') {
        match element {
            "$PATH" | "${PATH}" => next.extend(before.iter().cloned()),
            // A folder named by another variable is not known: skipped.
            _ if element.contains('$') || element.is_empty() => {}
            _ if element.starts_with('/') => next.push(paths::normalize(element)),
            _ => next.extend(cwd.map(|cwd| paths::resolve(cwd, element))),
        }
    }
    next
}

/// A value as the shell reads one word of it: quotes and escapes removed.
fn unquote(value: &str) -> String {
    let lexed = super::shell::lex(value);
    let first = lexed.commands.first().and_then(|c| c.words.first());
    first.map_or(String::new(), |word| word.value.clone())
}

/// `text` with `$NAME`/`${NAME}` replaced from `variables` (the last definition wins).
pub(super) fn expand(text: &str, variables: &[(String, String)]) -> Option<String> {
    let lookup = |name: &str| {
        let found = variables.iter().rev().find(|(key, _)| key == name);
        found.map(|(_, value)| value.clone())
    };
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, len) = match after.strip_prefix('{') {
            Some(braced) => {
                let end = braced.find('}')?;
                (&braced[..end], end + 2)
            }
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            }
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        out.push_str(&lookup(name)?);
        rest = &after[len..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::model::Dockerfile;
    use crate::syntax::parse;

    #[test]
    fn users_and_shells_follow_the_stage_chain() {
        let text = "FROM a AS base\nUSER app\nSHELL [\"bash\", \"-c\"]\nFROM base\nRUN x\nUSER root\nFROM b\nRUN y\n";
        let parse = parse(text);
        let file = Dockerfile::new(&parse);
        let line = |i: Option<&crate::model::Instruction>| i.map(|i| i.start_line());
        let run = &file.instructions()[4];
        assert_eq!(line(file.user_before(run)), Some(2));
        assert_eq!(line(file.shell_before(run)), Some(3));
        assert_eq!(line(file.user_at_end(&file.stages()[1])), Some(6));
        assert_eq!(line(file.shell_at_end(&file.stages()[2])), None);
        assert_eq!(line(file.user_before(&file.instructions()[7])), None);
    }

    #[test]
    fn variables_paths_and_expansion() {
        let text = "ARG V=1\nARG W\nFROM a AS base\nENV HOME=\"/home/app\" PATH=/opt/bin:$PATH\nARG X=2\nFROM base\nARG V\nENV PATH=bin:$PATH\nRUN $HOME $V $X\n";
        let parse = parse(text);
        let file = Dockerfile::new(&parse);
        let run = &file.instructions()[8];
        let variables = file.variables_before(run);
        let names: Vec<&str> = variables.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["HOME", "PATH", "V", "PATH"]);
        assert_eq!(
            file.expand(run, "${HOME}/x-$V").as_deref(),
            Some("/home/app/x-1")
        );
        assert_eq!(file.expand(run, "$X"), None);
        let path = file.path_before(run, vec!["/usr/bin".into()], Some("/app"));
        assert_eq!(path, ["/app/bin", "/opt/bin", "/usr/bin"]);
    }

    #[test]
    fn the_path_at_the_end_of_a_stage() {
        let text =
            "FROM a AS base\nENV PATH=/opt/bin:$PATH\nFROM base\nRUN x\nENV PATH=/app/bin:$PATH\n";
        let parse = parse(text);
        let file = Dockerfile::new(&parse);
        let image = vec!["/usr/bin".to_owned()];
        let stage = &file.stages()[1];
        assert_eq!(
            file.path_at_end(stage, image.clone(), None),
            ["/app/bin", "/opt/bin", "/usr/bin"]
        );
        let run = &file.instructions()[3];
        assert_eq!(file.path_before(run, image, None), ["/opt/bin", "/usr/bin"]);
    }
}
