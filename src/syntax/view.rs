//! BuildKit's view of a parsed file: the fields and values BuildKit's parser reports for each
//! instruction (the format of `oracle/*.jsonl` and of `dfmigrate parse --format json`).

use super::{Args, Parse, ParsedInstruction};
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

fn view(parse: &Parse, instruction: &ParsedInstruction) -> BuildkitInstruction {
    let analysis = &instruction.analysis;
    let keyword = &analysis.keyword.value;
    let (sub_cmd, value) = match &analysis.args {
        Args::Trigger(inner) => (Some(inner.keyword.value.clone()), inner.args.values()),
        _ if analysis.kind.is_none() => (None, vec![String::new()]),
        args => (None, args.values()),
    };
    let heredocs = analysis
        .heredocs
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

impl Parse {
    /// Every instruction with BuildKit's fields and values.
    pub fn buildkit_instructions(&self) -> Vec<BuildkitInstruction> {
        self.instructions
            .iter()
            .map(|instruction| view(self, instruction))
            .collect()
    }
}
