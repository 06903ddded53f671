#![doc = include_str!("../../transforms/docs/exec-form.md")]

mod program;

use super::{platform, Applicability, Changes, Context, Finding, Fix, Metadata, Transform};
use crate::diagnostics::Rewriter;
use crate::model::script::is_assignment;
use crate::model::shell::ShellWord;
use crate::model::{lineage, Dockerfile, Instruction, Stage};
use crate::syntax::InstructionKind;

pub struct ExecForm;

/// Shell builtins and keywords that exist as no program on PATH (or behave differently as one).
const SHELL_ONLY: &[&str] = &[
    ".", ":", "alias", "break", "case", "cd", "command", "continue", "eval", "exit", "export",
    "for", "function", "if", "local", "read", "readonly", "return", "select", "set", "shift",
    "source", "then", "trap", "ulimit", "umask", "unset", "until", "wait", "while", "[[", "!", "{",
    "}",
];

impl Transform for ExecForm {
    fn metadata(&self) -> &'static Metadata {
        &Metadata {
            id: "exec-form",
            summary: "Shell-form CMD/ENTRYPOINT that is a plain command becomes exec form",
            documentation: include_str!("../../transforms/docs/exec-form.md"),
            enabled_by_default: true,
            max_applicability: Applicability::Safe,
            changes: Changes::Dockerfile,
            intended_changes: &[],
        }
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        for stage in file.stages() {
            let without_posix_shell = shell_is_not_posix(file, stage)
                .or_else(|| platform::windows_reason(file, stage, context.knowledge()));
            let instructions = file.stage_instructions(stage);
            for instruction in instructions {
                let Some(finding) = self.check(file, context, stage, instruction) else {
                    continue;
                };
                out.push(match &without_posix_shell {
                    Some(why) => {
                        let keyword = instruction.keyword().value.to_ascii_uppercase();
                        finding.declined(format!("shell-form {keyword} left as is: {why}"))
                    }
                    None => finding,
                });
            }
        }
    }
}

impl ExecForm {
    fn check(
        &self,
        file: &Dockerfile,
        context: &Context,
        stage: &Stage,
        instruction: &Instruction,
    ) -> Option<Finding> {
        let kind = instruction
            .kind()
            .filter(|k| matches!(k, InstructionKind::Cmd | InstructionKind::Entrypoint))?;
        let script = file.script(instruction)?;
        if !script.lexed.is_plain_command() {
            return None;
        }
        let words = program_words(&script.lexed.commands[0].words)?;
        let finding = |message: String, fix: Option<Fix>| Finding {
            transform: self.id(),
            message,
            range: instruction.range(),
            fix,
        };
        let exec = exec_array(words);
        let mut rewriter = Rewriter::new(file);
        rewriter.replace_arguments(instruction, exec.clone());
        let edits = rewriter.finish();
        let instructions = file.stage_instructions(stage);
        let has = |k: InstructionKind| instructions.iter().any(|i| i.kind() == Some(k));
        let keyword = kind.keyword();
        match kind {
            InstructionKind::Entrypoint if has(InstructionKind::Cmd) => {
                return Some(finding(
                    format!("shell-form ENTRYPOINT ignores CMD and signals; exec form {exec} would start passing this stage's CMD as arguments, so review it by hand"),
                    None,
                ));
            }
            InstructionKind::Entrypoint => {
                if let Some((later, cmd)) = later_cmd(file, stage) {
                    let name = later.name.as_deref().map_or_else(
                        || {
                            format!(
                                "the stage on line {}",
                                file.instructions()[later.from].start_line()
                            )
                        },
                        |name| format!("stage `{name}`"),
                    );
                    return Some(finding(
                        format!("shell-form ENTRYPOINT ignores CMD and signals; {name} builds on this stage and sets CMD on line {}, which exec form {exec} would start passing as arguments, so review it by hand", cmd.start_line()),
                        None,
                    ));
                }
            }
            InstructionKind::Cmd => match entrypoint_for(file, stage) {
                Some(entrypoint) if entrypoint.exec_form().is_some_and(|e| !e.is_empty()) => {
                    let whose = match entrypoint.stage == Some(stage.index) {
                        true => "this stage's ENTRYPOINT".to_owned(),
                        false => format!(
                            "the ENTRYPOINT this stage inherits from line {}",
                            entrypoint.start_line()
                        ),
                    };
                    return Some(finding(
                        format!("shell-form CMD runs under /bin/sh; {exec} changes the arguments {whose} receives"),
                        Some(Fix::unsafe_edits(edits.clone())),
                    ));
                }
                // CMD is ignored by a shell-form ENTRYPOINT.
                Some(entrypoint) if entrypoint.exec_form().is_none() => return None,
                _ => {}
            },
            _ => {}
        }
        let program = &words[0].value;
        Some(match program::check(file, context, instruction, program) {
            Ok(()) => finding(
                format!("shell-form {keyword} runs under /bin/sh, which does not forward signals; use exec form {exec}"),
                Some(Fix::safe(edits.clone())),
            ),
            Err(why) => finding(
                format!("shell-form {keyword} runs under /bin/sh, which does not forward signals; exec form {exec} fails with \"exec format error\" if {program} is a script without a #! line (/bin/sh runs one anyway): {why}"),
                Some(Fix::unsafe_edits(edits)),
            ),
        })
    }
}

/// The ENTRYPOINT a CMD of `stage` is given to: the stage's last one, else the last one of the
/// nearest stage it builds on that sets one.
fn entrypoint_for<'f, 'p>(file: &'f Dockerfile<'p>, stage: &Stage) -> Option<&'f Instruction<'p>> {
    file.stage_chain(stage).into_iter().find_map(|stage| {
        file.stage_instructions(stage)
            .iter()
            .rev()
            .find(|i| i.kind() == Some(InstructionKind::Entrypoint))
    })
}

/// A later stage that builds on `stage`, keeps its ENTRYPOINT (neither it nor a stage between
/// sets one) and sets a CMD (itself or a stage between), with that CMD.
fn later_cmd<'f, 'p>(
    file: &'f Dockerfile<'p>,
    stage: &Stage,
) -> Option<(&'f Stage, &'f Instruction<'p>)> {
    let sets = |between: &[&Stage], kind: InstructionKind| {
        between.iter().find_map(|s| {
            file.stage_instructions(s)
                .iter()
                .rev()
                .find(|i| i.kind() == Some(kind))
        })
    };
    file.stages()
        .iter()
        .filter(|later| later.index > stage.index && lineage::builds_on(file, later, stage))
        .find_map(|later| {
            let between: Vec<&Stage> = file
                .stage_chain(later)
                .into_iter()
                .take_while(|s| s.index != stage.index)
                .collect();
            if sets(&between, InstructionKind::Entrypoint).is_some() {
                return None;
            }
            sets(&between, InstructionKind::Cmd).map(|cmd| (later, cmd))
        })
}

/// The words of a plain command, without a leading `exec`; `None` when it is not a program call.
fn program_words(words: &[ShellWord]) -> Option<&[ShellWord]> {
    let words = match words.first() {
        Some(first) if first.value == "exec" && !first.quoted => &words[1..],
        _ => words,
    };
    let first = words.first()?;
    let assignment = is_assignment(&first.value);
    let tilde = words.iter().any(|w| w.value.starts_with('~') && !w.quoted);
    let braces = words
        .iter()
        .any(|w| !w.quoted && w.value.contains(['{', '}']));
    let exec_option = first.value.starts_with('-');
    if assignment || tilde || braces || exec_option || SHELL_ONLY.contains(&first.value.as_str()) {
        return None;
    }
    Some(words)
}

fn exec_array(words: &[ShellWord]) -> String {
    let items: Vec<String> = words
        .iter()
        .map(|w| serde_json::Value::String(w.value.clone()).to_string())
        .collect();
    format!("[{}]", items.join(", "))
}

/// Why shell form is not run by `/bin/sh -c` in `stage`: a SHELL instruction in it or in a
/// stage it builds on.
fn shell_is_not_posix(file: &Dockerfile, stage: &Stage) -> Option<String> {
    file.shell_at_end(stage)
        .map(|_| String::from("a SHELL instruction sets the program that runs shell form"))
}
