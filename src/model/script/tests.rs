use super::*;

fn tree(text: &str) -> Script {
    let parsed = parse(text);
    assert!(parsed.errors.is_empty(), "{text:?}: {:?}", parsed.errors);
    parsed.script
}

/// The simple commands of a script in order, nested ones included, as their word values.
fn commands(script: &Script) -> Vec<String> {
    let mut out = Vec::new();
    walk_script(script, &mut out);
    out
}

fn walk_script(script: &Script, out: &mut Vec<String>) {
    for item in &script.items {
        let pipelines = std::iter::once(&item.first).chain(item.rest.iter().map(|(_, p)| p));
        for pipeline in pipelines {
            for command in &pipeline.commands {
                walk_command(command, out);
            }
        }
    }
}

fn walk_command(command: &CommandNode, out: &mut Vec<String>) {
    match command {
        CommandNode::Simple(simple) => {
            let words: Vec<&str> = simple.words.iter().map(|w| w.value.as_str()).collect();
            out.push(words.join(" "));
            for word in simple.assignments.iter().chain(&simple.words) {
                for inner in word.substitutions() {
                    walk_script(inner, out);
                }
            }
        }
        CommandNode::Compound(compound) => match &compound.kind {
            CompoundKind::Subshell(body) | CompoundKind::Group(body) => walk_script(body, out),
            CompoundKind::If {
                branches,
                otherwise,
            } => {
                for (condition, body) in branches {
                    walk_script(condition, out);
                    walk_script(body, out);
                }
                if let Some(body) = otherwise {
                    walk_script(body, out);
                }
            }
            CompoundKind::For { body, .. } => walk_script(body, out),
            CompoundKind::While {
                condition, body, ..
            } => {
                walk_script(condition, out);
                walk_script(body, out);
            }
            CompoundKind::Case { arms, .. } => {
                for arm in arms {
                    walk_script(&arm.body, out);
                }
            }
        },
        CommandNode::Function { body, .. } => {
            walk_command(&CommandNode::Compound((**body).clone()), out)
        }
    }
}

#[test]
fn lists_and_or_lists_and_pipelines() {
    let text = "apt-get update && apt-get install -y curl || true; echo a | tee b &\nls";
    let script = tree(text);
    assert_eq!(script.items.len(), 3);
    let first = &script.items[0];
    assert_eq!(first.rest.len(), 2);
    assert!(first.rest[0].0.and && !first.rest[1].0.and);
    assert_eq!(first.terminator.map(|t| t.0), Some(Terminator::Semicolon));
    assert_eq!(script.items[1].first.commands.len(), 2);
    assert_eq!(
        script.items[1].terminator.map(|t| t.0),
        Some(Terminator::Background)
    );
    assert_eq!(
        commands(&script),
        [
            "apt-get update",
            "apt-get install -y curl",
            "true",
            "echo a",
            "tee b",
            "ls"
        ]
    );
}

#[test]
fn compound_commands_nest() {
    let text = "if [ -f a ]; then (cd x && make); elif true; then :; else { echo e; }; fi\n\
                for f in *.txt; do cat \"$f\"; done\n\
                while read l; do echo \"$l\"; done < in.txt\n\
                case \"$1\" in start|run) serve ;; *) exit 1 ;; esac";
    let script = tree(text);
    assert_eq!(script.items.len(), 4);
    assert_eq!(
        commands(&script),
        [
            "[ -f a ]", "cd x", "make", "true", ":", "echo e", "cat $f", "read l", "echo $l",
            "serve", "exit 1"
        ]
    );
    let CommandNode::Compound(while_loop) = &script.items[2].first.commands[0] else {
        panic!("a compound command");
    };
    assert_eq!(while_loop.redirects[0].op, RedirectOp::Read);
    assert_eq!(
        while_loop.range.slice(text),
        "while read l; do echo \"$l\"; done < in.txt"
    );
    let CommandNode::Compound(Compound {
        kind: CompoundKind::Case { arms, .. },
        ..
    }) = &script.items[3].first.commands[0]
    else {
        panic!("a case");
    };
    assert_eq!(arms[0].patterns.len(), 2);
    assert!(arms[1].patterns[0].has_glob());
}

#[test]
fn redirections_have_descriptor_operator_and_target() {
    let text = "node app.js 2>&1 >>/var/log/app.log </dev/null &>all";
    let script = tree(text);
    let CommandNode::Simple(command) = &script.items[0].first.commands[0] else {
        panic!("a simple command");
    };
    let read: Vec<(Option<u32>, RedirectOp, &str)> = command
        .redirects
        .iter()
        .map(|r| {
            (
                r.fd,
                r.op,
                r.target.as_ref().map_or("", |t| t.value.as_str()),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            (Some(2), RedirectOp::DuplicateOutput, "1"),
            (None, RedirectOp::Append, "/var/log/app.log"),
            (None, RedirectOp::Read, "/dev/null"),
            (None, RedirectOp::OutputAndError { append: false }, "all"),
        ]
    );
    assert_eq!(command.redirects[1].range.slice(text), ">>/var/log/app.log");
    assert!(command.redirects[1].op.writes_file());
}

#[test]
fn assignments_come_before_the_command_name() {
    let script = tree("CGO_ENABLED=0 GOOS=linux go build -o app . X=1");
    let CommandNode::Simple(command) = &script.items[0].first.commands[0] else {
        panic!("a simple command");
    };
    let assignments: Vec<&str> = command
        .assignments
        .iter()
        .map(|w| w.value.as_str())
        .collect();
    assert_eq!(assignments, ["CGO_ENABLED=0", "GOOS=linux"]);
    assert_eq!(command.words.last().map(|w| w.value.as_str()), Some("X=1"));
}

#[test]
fn words_are_made_of_parts() {
    let text = "echo pre\"$HOME/x ${A:-b}\"'lit'\\ post $(date +%s) `id -u` $((1+2))";
    let script = tree(text);
    let CommandNode::Simple(command) = &script.items[0].first.commands[0] else {
        panic!("a simple command");
    };
    let word = &command.words[1];
    assert_eq!(word.value, "pre$HOME/x ${A:-b}lit post");
    assert!(word.quoted && word.has_expansion());
    assert_eq!(word.parts.len(), 4, "{:?}", word.parts);
    let WordPart::DoubleQuoted { parts, .. } = &word.parts[1] else {
        panic!("double quotes");
    };
    let names: Vec<&str> = parts
        .iter()
        .filter_map(|p| match p {
            WordPart::Parameter { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["HOME", "A"]);
    let substituted: Vec<String> = command.words[2..4]
        .iter()
        .flat_map(|w| w.substitutions())
        .flat_map(commands)
        .collect();
    assert_eq!(substituted, ["date +%s", "id -u"]);
    assert!(matches!(
        command.words[4].parts[0],
        WordPart::Arithmetic { .. }
    ));
}

#[test]
fn substitution_ranges_point_into_the_whole_text() {
    let text = "export N=$(nproc) && exec gunicorn -w \"$N\" app:app";
    let script = tree(text);
    let CommandNode::Simple(export) = &script.items[0].first.commands[0] else {
        panic!("a simple command");
    };
    let inner = export.words[1].substitutions()[0];
    assert_eq!(inner.range.slice(text), "nproc");
}

#[test]
fn functions_and_negation() {
    let script = tree("main() { echo hi; }\n! grep -q x f && main");
    assert!(matches!(
        script.items[0].first.commands[0],
        CommandNode::Function { .. }
    ));
    assert!(script.items[1].first.negated);
}

#[test]
fn comments_and_heredocs_are_skipped() {
    let text = "cat <<EOF > /etc/x.conf # write it\nkey = value\nEOF\necho done # end";
    let script = tree(text);
    assert_eq!(commands(&script), ["cat", "echo done"]);
    let CommandNode::Simple(cat) = &script.items[0].first.commands[0] else {
        panic!("a simple command");
    };
    assert_eq!(
        cat.redirects[0].op,
        RedirectOp::HereDocument { strip_tabs: false }
    );
}

#[test]
fn errors_are_reported_and_parsing_goes_on() {
    for text in [
        "echo 'open",
        "echo \"open",
        "if true; then echo",
        "for x in a; do echo",
        "echo $(date",
        "echo `date",
        "( echo",
        "a &&",
        "echo ) ; ls",
        "done; ls",
        "cat <<EOF",
        "echo >",
    ] {
        let parsed = parse(text);
        assert!(!parsed.errors.is_empty(), "{text:?} should be an error");
    }
    let parsed = parse("echo ) ; ls");
    assert_eq!(commands(&parsed.script), ["echo", "ls"]);
}

#[test]
fn any_text_parses_without_panicking_and_ranges_stay_inside() {
    let samples = [
        "",
        ";",
        "&&",
        "|",
        "((",
        "))",
        "{",
        "}",
        "$",
        "${",
        "$((",
        "`",
        "\\",
        "'",
        "\"",
        "<<",
        "<<-",
        "2>",
        "&>",
        "case",
        "case x in",
        "case x in a",
        "for",
        "while",
        "if",
        "fi",
        "é$(é)`é`",
        "a=(1 2)",
        "f() ",
        "f()",
        "!",
        "! !",
        "x |& y",
        ";;",
        "a;;b",
        "$'\\n'",
        "\r\n",
    ];
    for text in samples {
        let parsed = parse(text);
        for error in &parsed.errors {
            assert!(error.range.end <= text.len(), "{text:?}: {error:?}");
        }
        assert!(parsed.script.range.end <= text.len(), "{text:?}");
    }
}

proptest::proptest! {
    #[test]
    fn arbitrary_text_parses_with_ranges_on_character_boundaries(
        text in "[a-z é$`'\"\\\\(){};&|<>#=*\\n\\t0-9-]{0,60}"
    ) {
        let parsed = parse(&text);
        let mut ranges = vec![parsed.script.range];
        ranges.extend(parsed.errors.iter().map(|e| e.range));
        collect_ranges(&parsed.script, &mut ranges);
        for range in ranges {
            proptest::prop_assert!(range.start <= range.end && range.end <= text.len());
            proptest::prop_assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
        }
    }
}

fn collect_ranges(script: &Script, out: &mut Vec<TextRange>) {
    for item in &script.items {
        out.push(item.range);
        for pipeline in std::iter::once(&item.first).chain(item.rest.iter().map(|(_, p)| p)) {
            out.push(pipeline.range);
            for command in &pipeline.commands {
                out.push(command.range());
                if let CommandNode::Simple(simple) = command {
                    for word in simple.assignments.iter().chain(&simple.words) {
                        out.push(word.range);
                        out.extend(word.parts.iter().map(WordPart::range));
                        for inner in word.substitutions() {
                            collect_ranges(inner, out);
                        }
                    }
                    out.extend(simple.redirects.iter().map(|r| r.range));
                }
            }
        }
    }
}

#[test]
fn tells_a_command_that_needs_no_shell() {
    let plain = |text: &str| parse(text).plain_command();
    assert_eq!(
        plain("/go/goravel/main"),
        Some(vec!["/go/goravel/main".to_owned()])
    );
    assert_eq!(
        plain("exec ./server --name 'a b' \"c\"\n"),
        Some(vec![
            "./server".to_owned(),
            "--name".to_owned(),
            "a b".to_owned(),
            "c".to_owned()
        ])
    );
    for needs_shell in [
        "server --port $PORT",
        "server \"${PORT}\"",
        "server $(nproc)",
        "server *.conf",
        "server > log",
        "server 2>&1",
        "A=1 server",
        "a && b",
        "a; b",
        "a | b",
        "server &",
        "! server",
        "(server)",
        "~/server",
        "server 'unterminated",
        "",
    ] {
        assert_eq!(plain(needs_shell), None, "{needs_shell:?}");
    }
}

#[test]
fn names_the_parameters_a_script_expands() {
    let names = |text: &str| tree(text).parameter_names();
    assert_eq!(
        names("A=$X server --arch \"${GOARCH}\" $(echo $INNER) > $LOG"),
        vec!["X", "GOARCH", "INNER", "LOG"]
    );
    assert!(names("server 'no $expansion'").is_empty());
}
