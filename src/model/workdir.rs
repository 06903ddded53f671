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
