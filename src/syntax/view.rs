//! BuildKit's view of a parsed file: the fields and values BuildKit's parser reports for each
//! instruction (the format of `oracle/*.jsonl` and of `dfmigrate parse --format json`).

use super::{Analysis, Args, Parse, ParsedInstruction};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BuildkitHeredoc {
    pub name: String,
    pub file_descriptor: u32,
    pub content: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BuildkitInstruction {
    /// The keyword as written (`null` for a line continuation with nothing after it).
    pub cmd: Option<String>,
    /// ONBUILD's wrapped keyword.
    pub sub_cmd: Option<String>,
    pub json: bool,
    pub flags: Vec<String>,
    pub value: Vec<String>,
    pub heredocs: Vec<BuildkitHeredoc>,
    pub start_line: usize,
    pub end_line: usize,
}

impl Args {
    /// BuildKit's value list for these arguments.
    pub fn values(&self) -> Vec<String> {
        match self {
            Args::Empty => Vec::new(),
            Args::Exec(exec) => exec.elements.iter().map(|w| w.value.clone()).collect(),
            Args::String(word) => vec![word.value.clone()],
            Args::Words(words) => words.iter().map(|w| w.value.clone()).collect(),
            Args::KeyValues(pairs) => pairs
                .iter()
                .flat_map(|pair| [pair.key.value.clone(), pair.value.value.clone()])
                .collect(),
            Args::Health { kind, command } => std::iter::once(kind.value.clone())
                .chain(command.values())
                .collect(),
            Args::Trigger(inner) => inner.args.values(),
        }
    }
}

/// The values BuildKit reports for ONBUILD's trigger. A nested ONBUILD's own trigger is held by
/// one empty-valued node, so its value list is `[""]`.
fn trigger_values(trigger: &Analysis) -> Vec<String> {
    match &trigger.args {
        Args::Trigger(_) => vec![String::new()],
        args => args.values(),
    }
}

fn view(parse: &Parse, instruction: &ParsedInstruction) -> BuildkitInstruction {
    let analysis = &instruction.analysis;
    let keyword = &analysis.keyword.value;
    let (sub_cmd, value) = match &analysis.args {
        Args::Trigger(inner) => (Some(inner.keyword.value.clone()), trigger_values(inner)),
        _ if analysis.kind.is_none() => (None, vec![String::new()]),
        args => (None, args.values()),
    };
    // BuildKit attaches an ONBUILD trigger's heredoc bodies to the ONBUILD node, not to the
    // trigger it reports, so the trigger's reading has none (its lines are still consumed).
    let reported_heredocs = match analysis.args {
        Args::Trigger(_) => &[][..],
        _ => &analysis.heredocs[..],
    };
    let heredocs = reported_heredocs
        .iter()
        .zip(&instruction.heredocs)
        .map(|(opener, body)| BuildkitHeredoc {
            name: opener.name.clone(),
            file_descriptor: opener.file_descriptor,
            content: body.body.slice(parse.text()).to_owned(),
        })
        .collect();
    BuildkitInstruction {
        cmd: (!keyword.is_empty()).then(|| keyword.clone()),
        sub_cmd,
        json: analysis.is_json(),
        flags: analysis
            .flags
            .iter()
            .map(|flag| flag.value.clone())
            .collect(),
        value,
        heredocs,
        start_line: instruction.start_line,
        end_line: instruction.end_line,
    }
}

/// Every instruction of `parse` with BuildKit's fields and values.
pub(super) fn buildkit_instructions(parse: &Parse) -> Vec<BuildkitInstruction> {
    parse
        .instructions
        .iter()
        .map(|instruction| view(parse, instruction))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::syntax::parse;

    #[test]
    fn nested_onbuild_trigger_has_one_empty_value() {
        let instructions = parse("ONBUILD ONBUILD RUN x\n").buildkit_instructions();
        assert_eq!(instructions[0].sub_cmd.as_deref(), Some("ONBUILD"));
        assert_eq!(instructions[0].value, [""]);
    }

    #[test]
    fn onbuild_trigger_reports_no_heredocs_but_consumes_their_lines() {
        let parse = parse("ONBUILD RUN <<EOF\nbody\nEOF\nRUN x\n");
        let instructions = parse.buildkit_instructions();
        assert_eq!(instructions.len(), 2);
        assert!(instructions[0].heredocs.is_empty());
        assert_eq!(
            (instructions[0].start_line, instructions[0].end_line),
            (1, 3)
        );
        assert_eq!(
            parse.instructions[0].heredocs.len(),
            1,
            "the body is still in the tree"
        );
    }
}
