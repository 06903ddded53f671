//! The variables a RUN's tools see, as far as the Dockerfile and the knowledge base tell: the
//! `ENV`s of its stage chain (expanded), the `ARG`s of its stage (whose values a build argument
//! may change) and what the image sets for the tool.

use crate::model::{lineage, Dockerfile, Instruction};
use crate::syntax::InstructionKind;

/// The variables in force for one RUN.
pub(super) struct Environment {
    /// `ENV` values in build order; `None` when a value uses a variable that cannot be told.
    env: Vec<(String, Option<String>)>,
    /// Names the stage declares with `ARG` before the RUN.
    args: Vec<String>,
    /// What the image sets (`GOPATH=/go` in `golang`).
    image: Vec<(String, String)>,
}

impl Environment {
    /// The variables in force for `run`, with `image` the ones its image sets.
    pub(super) fn of(file: &Dockerfile, run: &Instruction, image: Vec<(String, String)>) -> Self {
        let mut env = Vec::new();
        let mut args = Vec::new();
        for earlier in lineage::history(file, run) {
            match earlier.kind() {
                Some(InstructionKind::Env) => {
                    for (key, value, _) in earlier.pairs() {
                        let value = unquoted(&value.value);
                        env.push((key.value, file.expand(earlier, &value)));
                    }
                }
                Some(InstructionKind::Arg) if earlier.stage == run.stage => {
                    args.extend(earlier.arg_definitions().into_iter().map(|(name, _)| name));
                }
                _ => {}
            }
        }
        Environment { env, args, image }
    }

    /// The value of `name`: `Ok` when known, `Err` with why when only the build knows it;
    /// `None` when it is not set.
    pub(super) fn value(&self, name: &str) -> Option<Result<String, String>> {
        if let Some((_, value)) = self.env.iter().rev().find(|(key, _)| key == name) {
            return Some(
                value
                    .clone()
                    .ok_or_else(|| format!("the ENV that sets {name} uses a variable")),
            );
        }
        if self.args.iter().any(|arg| arg == name) {
            return Some(Err(format!(
                "{name} is an ARG, which a build argument may change"
            )));
        }
        let image = self.image.iter().find(|(key, _)| key == name);
        image.map(|(_, value)| Ok(value.clone()))
    }
}

/// An ENV value as the shell reads one word of it: quotes removed.
fn unquoted(value: &str) -> String {
    let trimmed = value.trim();
    let quoted = trimmed.len() >= 2
        && ((trimmed.starts_with('"') && trimmed.ends_with('"'))
            || (trimmed.starts_with('\'') && trimmed.ends_with('\'')));
    match quoted {
        true => trimmed[1..trimmed.len() - 1].to_owned(),
        false => trimmed.to_owned(),
    }
}
