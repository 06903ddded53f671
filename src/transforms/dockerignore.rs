#![doc = include_str!("../../transforms/docs/dockerignore.md")]

use super::{Applicability, Context, Finding, Metadata, Transform};
use crate::knowledge::vocabulary::vocabulary;
use crate::model::{Dockerfile, Instruction};
use crate::syntax::InstructionKind;

pub struct Dockerignore;

impl Transform for Dockerignore {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "dockerignore",
            summary: "A build context without .dockerignore that holds .git, node_modules, … (proposes one)",
            documentation: include_str!("../../transforms/docs/dockerignore.md"),
            enabled_by_default: true,
            max_applicability: Applicability::DisplayOnly,
            intended_changes: &[],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        let Some(copy) = file.instructions().iter().find(|i| copies_whole_context(i)) else {
            return;
        };
        let Some(build_context) = context.build_context_files() else {
            return;
        };
        if build_context.ignore_file().is_some() {
            return;
        }
        let named = copied_by_name(file);
        let found: Vec<&str> = vocabulary()
            .checkout
            .never_needed
            .iter()
            .map(String::as_str)
            .filter(|name| build_context.exists(name) && !named.iter().any(|source| source == name))
            .collect();
        if found.is_empty() {
            return;
        }
        out.push(Finding {
            transform: self.id(),
            message: format!(
                "the build context has no .dockerignore but holds {}: every build sends them and this COPY copies them into the image; add a .dockerignore containing: {}",
                found.join(", "),
                found.join(" ")
            ),
            range: copy.range(),
            fix: None,
        });
    }
}

fn copies_whole_context(instruction: &Instruction) -> bool {
    instruction.flag("from").is_none()
        && instruction.copy_args().is_some_and(|args| {
            args.sources
                .iter()
                .any(|source| matches!(source.value.trim_matches('"'), "." | "./" | "./." | "*"))
        })
}

/// The first path component of every COPY/ADD source from the build context.
fn copied_by_name(file: &Dockerfile) -> Vec<String> {
    file.instructions()
        .iter()
        .filter(|i| {
            matches!(i.kind(), Some(InstructionKind::Copy | InstructionKind::Add))
                && i.flag("from").is_none()
        })
        .filter_map(|i| i.copy_args())
        .flat_map(|args| args.sources)
        .filter_map(|source| {
            let path = source
                .value
                .trim_matches('"')
                .trim_start_matches("./")
                .trim_start_matches('/');
            path.split('/').next().map(str::to_owned)
        })
        .collect()
}
