//! The working directory an instruction runs in, by one rule (BuildKit's): a relative WORKDIR
//! resolves against the one before it, a stage starts in its parent stage's, and a stage chain
//! that starts from an image starts in that image's own, which the model does not know (the
//! knowledge base may: [`Workdir::in_image`]).

use super::{paths, Instruction};
use crate::syntax::InstructionKind;

/// The working directory before (or after) an instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Workdir {
    /// A known absolute path, normalized.
    Known(String),
    /// The base image's own working directory (not known to the model), then the relative
    /// WORKDIRs given since, in order (none: the image's own).
    InImage(Vec<String>),
    /// Not known: a WORKDIR uses a variable (or cannot be read) and no absolute one came after.
    Unknown,
}

impl Workdir {
    /// Where a stage chain starting from an image starts: in the image's own directory.
    pub fn image() -> Workdir {
        Workdir::InImage(Vec::new())
    }

    /// The known path, if any.
    pub fn known(&self) -> Option<&str> {
        match self {
            Workdir::Known(path) => Some(path),
            _ => None,
        }
    }

    /// With the base image's working directory filled in when `image_workdir` knows it.
    pub fn in_image(self, image_workdir: Option<&str>) -> Workdir {
        match (self, image_workdir) {
            (Workdir::InImage(steps), Some(start)) => Workdir::Known(replay(start, &steps)),
            (other, _) => other,
        }
    }

    /// The known path once the base image's working directory is filled in from
    /// `image_workdir`; `None` when still not known.
    pub fn known_with(&self, image_workdir: Option<&str>) -> Option<String> {
        match (self, image_workdir) {
            (Workdir::Known(path), _) => Some(path.clone()),
            (Workdir::InImage(steps), Some(start)) => Some(replay(start, steps)),
            _ => None,
        }
    }

    /// The path with the unknown image directory written as `marker` (such as `/@base`), so
    /// two directories under it still compare; `None` when unknown.
    pub fn with_marker(&self, marker: &str) -> Option<String> {
        match self {
            Workdir::Known(path) => Some(path.clone()),
            Workdir::InImage(steps) => Some(replay(marker, steps)),
            Workdir::Unknown => None,
        }
    }

    /// The directory after `instruction` runs in this one: changed by a WORKDIR, else the same.
    pub fn after(self, instruction: &Instruction) -> Workdir {
        if instruction.kind() != Some(InstructionKind::Workdir) {
            return self;
        }
        let value = instruction
            .string_arg()
            .map(|arg| arg.value.trim_matches('"').to_owned())
            .filter(|value| !value.contains('$'));
        match (value, self) {
            (None, _) => Workdir::Unknown,
            (Some(value), _) if value.starts_with('/') => Workdir::Known(paths::normalize(&value)),
            (Some(value), Workdir::Known(cwd)) => Workdir::Known(paths::resolve(&cwd, &value)),
            (Some(value), Workdir::InImage(mut steps)) => {
                steps.push(value);
                Workdir::InImage(steps)
            }
            (Some(_), Workdir::Unknown) => Workdir::Unknown,
        }
    }

    /// The directory after `instructions` (in build order), starting from this one.
    pub fn after_all<'i, 'p: 'i>(
        self,
        instructions: impl IntoIterator<Item = &'i Instruction<'p>>,
    ) -> Workdir {
        instructions
            .into_iter()
            .fold(self, |cwd, instruction| cwd.after(instruction))
    }
}

/// `start` with each relative step resolved in turn.
fn replay(start: &str, steps: &[String]) -> String {
    steps.iter().fold(paths::normalize(start), |cwd, step| {
        paths::resolve(&cwd, step)
    })
}

/// Why [`Dockerfile::expanded_workdir_before`] cannot say where an instruction runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkdirUnknown {
    /// A WORKDIR names a variable without a literal value in force.
    Variable,
    /// A relative WORKDIR follows a directory that is not known (the base image's own).
    Relative,
}

impl super::Dockerfile<'_> {
    /// The working directory before `instruction` with the variables its stage's WORKDIRs name
    /// expanded ([`Dockerfile::expand_literal`](super::Dockerfile::expand_literal):
    /// `WORKDIR $APP_HOME` after `ARG APP_HOME=/app`), the stage's start filled in from
    /// `image_workdir`. `Ok(None)`: the start is not known and no WORKDIR came.
    pub fn expanded_workdir_before(
        &self,
        instruction: &Instruction,
        image_workdir: Option<&str>,
    ) -> Result<Option<String>, WorkdirUnknown> {
        self.expanded_workdir(instruction.stage, instruction.index, image_workdir)
    }

    /// The working directory the stage's container starts in, read as
    /// [`Dockerfile::expanded_workdir_before`] reads it.
    pub fn expanded_workdir_at_end(
        &self,
        stage: &super::Stage,
        image_workdir: Option<&str>,
    ) -> Result<Option<String>, WorkdirUnknown> {
        self.expanded_workdir(Some(stage.index), stage.end, image_workdir)
    }

    /// `text` with `$NAME` and `${NAME}` replaced by the variables in force for `instruction`
    /// whose values are literal (name no other variable); `None` when one is not.
    pub fn expand_literal(&self, instruction: &Instruction, text: &str) -> Option<String> {
        let mut last: Vec<(String, String)> = Vec::new();
        for (name, value) in self.variables_before(instruction) {
            last.retain(|(earlier, _)| *earlier != name);
            last.push((name, value));
        }
        last.retain(|(_, value)| !value.contains('$'));
        super::scope::expand(text, &last)
    }

    fn expanded_workdir(
        &self,
        stage: Option<usize>,
        end: usize,
        image_workdir: Option<&str>,
    ) -> Result<Option<String>, WorkdirUnknown> {
        let Some(stage) = stage.and_then(|index| self.stages.get(index)) else {
            return Ok(image_workdir.map(paths::normalize));
        };
        let start = &self.instructions[stage.from];
        let mut cwd = self.workdir_before(start).known_with(image_workdir);
        for workdir in &self.instructions[stage.from..end.min(stage.end)] {
            if workdir.kind() != Some(InstructionKind::Workdir) {
                continue;
            }
            let written = workdir.string_arg().map(|w| w.value).unwrap_or_default();
            let value = self
                .expand_literal(workdir, &written)
                .ok_or(WorkdirUnknown::Variable)?;
            cwd = Some(match cwd {
                _ if value.starts_with('/') => value,
                Some(previous) => format!("{}/{value}", previous.trim_end_matches('/')),
                None => return Err(WorkdirUnknown::Relative),
            });
        }
        Ok(cwd.map(|path| paths::normalize(&path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Dockerfile;
    use crate::syntax::parse;

    fn before_each(text: &str) -> Vec<Workdir> {
        let parse = parse(text);
        let file = Dockerfile::new(&parse);
        let all = file.instructions().iter();
        all.map(|i| file.workdir_before(i).clone()).collect()
    }

    #[test]
    fn relative_workdirs_resolve_against_the_one_before() {
        let cwd = before_each("FROM a\nWORKDIR app\nWORKDIR ../../x\nWORKDIR /opt\nRUN x\n");
        assert_eq!(cwd[1], Workdir::image());
        assert_eq!(cwd[2], Workdir::InImage(vec!["app".into()]));
        assert_eq!(cwd[3].with_marker("/@base").as_deref(), Some("/x"));
        assert_eq!(cwd[4], Workdir::Known("/opt".into()));
        assert_eq!(
            cwd[3].clone().in_image(Some("/home/me/")),
            Workdir::Known("/home/x".into())
        );
        assert_eq!(cwd[2].with_marker("/@base").as_deref(), Some("/@base/app"));
    }

    #[test]
    fn stages_start_in_their_parent_stage_directory() {
        let text = "FROM a AS base\nWORKDIR /app\nFROM b\nRUN x\nFROM base\nWORKDIR src\nRUN y\n";
        let cwd = before_each(text);
        assert_eq!(cwd[3], Workdir::image());
        assert_eq!(cwd[4], Workdir::Known("/app".into()));
        assert_eq!(cwd[5], Workdir::Known("/app".into()));
        assert_eq!(cwd[6], Workdir::Known("/app/src".into()));
    }

    #[test]
    fn variables_make_it_unknown_until_an_absolute_workdir() {
        let cwd = before_each("FROM a\nWORKDIR $HOME\nWORKDIR x\nWORKDIR /y\nRUN z\n");
        assert_eq!(cwd[2], Workdir::Unknown);
        assert_eq!(cwd[3], Workdir::Unknown);
        assert_eq!(cwd[4], Workdir::Known("/y".into()));
    }
}
