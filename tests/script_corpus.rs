//! The shell syntax tree (`model::script`) on every RUN, CMD, ENTRYPOINT and HEALTHCHECK script
//! of the public corpus: no panic, every range inside the script, and on scripts of plain
//! command lists the same commands and words as the flat view (`model::shell::lex`, which splits
//! at operators itself and reads words with the tree's reader); `! cmd` is the one difference
//! (the tree knows `!` negates).

mod common;

use dfmigrate::model::script::{self, CommandNode, Script};
use dfmigrate::model::{shell, Dockerfile};

/// The words of the top-level simple commands, or `None` when a compound command is there.
fn simple_commands(script: &Script) -> Option<Vec<Vec<String>>> {
    let mut out = Vec::new();
    for item in &script.items {
        for pipeline in std::iter::once(&item.first).chain(item.rest.iter().map(|(_, p)| p)) {
            let mut first = true;
            for command in &pipeline.commands {
                let CommandNode::Simple(simple) = command else {
                    return None;
                };
                let mut words: Vec<String> = Vec::new();
                if first && pipeline.negated {
                    words.push("!".to_owned());
                }
                first = false;
                let all = simple.assignments.iter().chain(&simple.words);
                words.extend(all.map(|word| word.value.clone()));
                out.push(words);
            }
        }
    }
    Some(out)
}

#[test]
fn corpus_scripts_parse_like_the_lexer_reads_them() {
    let Some(corpus) = common::corpus("corpus_scripts_parse_like_the_lexer_reads_them") else {
        return;
    };
    let (mut scripts, mut with_errors, mut compared) = (0, 0, 0);
    let mut differences = Vec::new();
    for path in common::files_under(&corpus.join("public")) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let parsed = dfmigrate::syntax::parse(&text);
        let file = Dockerfile::new(&parsed);
        for instruction in file.instructions() {
            let Some(source) = instruction.script() else {
                continue;
            };
            scripts += 1;
            let tree = script::parse(source.text);
            assert!(tree.script.range.end <= source.text.len());
            for error in &tree.errors {
                assert!(error.range.end <= source.text.len(), "{}", path.display());
            }
            if !tree.errors.is_empty() {
                with_errors += 1;
                continue;
            }
            let Some(tree_commands) = simple_commands(&tree.script) else {
                continue;
            };
            compared += 1;
            let lexed: Vec<Vec<String>> = shell::lex(source.text)
                .commands
                .iter()
                .map(|c| c.words.iter().map(|w| w.value.clone()).collect())
                .collect();
            if lexed != tree_commands {
                differences.push(format!("{}: {:?}", path.display(), source.text));
            }
        }
    }
    eprintln!("{scripts} scripts, {with_errors} with errors (PowerShell, heredoc openers), {compared} compared");
    assert!(compared > 5000, "only {compared} scripts compared");
    assert!(
        with_errors * 20 < scripts,
        "{with_errors} of {scripts} scripts have errors"
    );
    assert!(
        differences.is_empty(),
        "{} scripts read differently:\n{}",
        differences.len(),
        differences[..differences.len().min(10)].join("\n")
    );
}
