use super::*;

fn values(args: &Args) -> Vec<String> {
    args.values()
}

#[test]
fn flags_and_shell_form() {
    let a = analyze(
        "RUN --mount=type=cache,target=/x  --network=none echo hi",
        '\\',
    );
    assert_eq!(a.kind, Some(InstructionKind::Run));
    let flags: Vec<_> = a.flags.iter().map(|f| f.value.as_str()).collect();
    assert_eq!(flags, ["--mount=type=cache,target=/x", "--network=none"]);
    assert_eq!(values(&a.args), ["echo hi"]);
}

#[test]
fn flag_ending_inside_a_character_keeps_whole_characters() {
    // U+00A0 is C2 A0 in UTF-8; BuildKit's byte loop sees A0 as a blank and C2 as 'Â'.
    let line = "FROM --from=b\u{a0} --x y";
    let a = analyze(line, '\\');
    let flags: Vec<_> = a.flags.iter().map(|f| f.value.as_str()).collect();
    assert_eq!(flags, ["--from=b\u{c2}", "--x"]);
    assert_eq!(a.flags[0].range, TextRange::new(5, 15));
    assert!(a.flags.iter().all(|f| line.is_char_boundary(f.range.end)));
}

#[test]
fn json_fallback_and_errors() {
    assert_eq!(
        values(&analyze("CMD [\"a\", \"b c\"]", '\\').args),
        ["a", "b c"]
    );
    assert_eq!(values(&analyze("CMD [\"a\", ]", '\\').args), ["[\"a\", ]"]);
    let trailing = analyze("CMD [\"a\"] [\"b\"]", '\\');
    assert_eq!(values(&trailing.args), ["a"]);
    match &trailing.args {
        Args::Exec(exec) => assert_eq!(exec.range, TextRange::new(4, 9)),
        other => panic!("not exec form: {other:?}"),
    }
    assert_eq!(
        analyze("CMD [1]", '\\').error.as_deref(),
        Some(ERR_NOT_STRING_ARRAY)
    );
}

#[test]
fn env_forms() {
    assert_eq!(
        values(&analyze("ENV A=1 B=\"x y\"", '\\').args),
        ["A", "1", "B", "\"x y\""]
    );
    assert_eq!(values(&analyze("ENV A  x y", '\\').args), ["A", "x y"]);
    assert!(analyze("ENV A", '\\').error.is_some());
    assert!(analyze("ENV A=1 B", '\\').error.is_some());
}

#[test]
fn heredocs() {
    let a = analyze("RUN 3<<-\"E O\" cat <<EOF cat<<X", '\\');
    let names: Vec<_> = a
        .heredocs
        .iter()
        .map(|h| (h.name.as_str(), h.file_descriptor, h.chomp, h.expand))
        .collect();
    assert_eq!(names, [("E O", 3, true, false), ("EOF", 0, false, true)]);
}

#[test]
fn onbuild_and_unknown() {
    let a = analyze("ONBUILD RUN [\"a\"]", '\\');
    assert!(a.is_json());
    assert_eq!(values(&a.args), ["a"]);
    assert_eq!(
        analyze("FOO bar", '\\').error.as_deref(),
        Some("unknown instruction: FOO")
    );
}
