//! What a container launches: the words of its `ENTRYPOINT` and `CMD`, and the paths they name.
//!
//! A shell-form command is traced when it is one command, optionally after commands that only
//! set variables (`export WORKERS=$(nproc) && bundle exec puma`). Command substitutions anywhere
//! in it may only call programs every runtime image with a shell has (`images.toml`
//! `shell_programs`): they run in the runtime stage.

use super::Decline;
use crate::knowledge::KnowledgeBase;
use crate::model::packages::is_assignment;
use crate::model::script::{self, WordPart};
use crate::model::shell::{lex, Command, Operator, ShellScript};
use crate::model::Instruction;

/// The words the instruction runs, in exec form or from a traceable shell-form command (leading
/// variable assignments and `exec` dropped).
pub(super) fn command_words(
    instruction: &Instruction,
    knowledge: &KnowledgeBase,
) -> Result<Vec<String>, Decline> {
    if let Some(words) = instruction.exec_form() {
        return Ok(words.into_iter().map(|w| w.value).collect());
    }
    let script = instruction.script().ok_or(Decline::UnreadableCommand)?;
    let keyword = instruction.keyword().value.to_ascii_uppercase();
    script_words(
        &keyword,
        script.text,
        &script.lexed,
        &script.tree().script,
        knowledge,
    )
}

/// The words a shell script runs when it is one command, optionally after commands that only
/// set variables; `keyword` names the instruction it comes from in the reason to decline.
fn script_words(
    keyword: &str,
    text: &str,
    lexed: &ShellScript,
    tree: &script::Script,
    knowledge: &KnowledgeBase,
) -> Result<Vec<String>, Decline> {
    let untraceable = || Decline::UntraceableScript {
        keyword: keyword.to_owned(),
    };
    let Some((last, setup)) = lexed.commands.split_last() else {
        return Err(untraceable());
    };
    if lexed.has_grouping || lexed.has_comment || lexed.incomplete {
        return Err(untraceable());
    }
    if last.next.is_some() || !last.redirects.is_empty() || !setup.iter().all(only_sets_variables) {
        return Err(untraceable());
    }
    check_substitutions(&substitutions(text, tree), knowledge)?;
    let words: Vec<&str> = last
        .words
        .iter()
        .map(|w| w.value.as_str())
        .skip_while(|w| is_assignment(w))
        .collect();
    let skip_exec = usize::from(words.first() == Some(&"exec"));
    let program = last
        .words
        .iter()
        .filter(|w| !is_assignment(&w.value))
        .nth(skip_exec)
        .ok_or_else(untraceable)?;
    if program.has_expansion || program.has_glob {
        return Err(Decline::ProgramIsVariable);
    }
    Ok(words
        .into_iter()
        .skip(skip_exec)
        .map(str::to_owned)
        .collect())
}

/// The words a container runs once the shell that an exec-form command starts is looked
/// through: `["sh", "-c", "S"]` runs what the shell-form `S` runs, traced the same way (one
/// command, after commands that only set variables), so every command of a chain is checked
/// or the split declines. `keywords` names the instruction each word comes from. A shell
/// behind another program (`tini -- sh -c …`), options that change what the shell reads
/// (`-l`: the login profile resets PATH) and words after the script (its `$0`, `$1`, …)
/// make the script untraceable. A shell given a script file (`sh start.sh`) is left as it is.
pub(super) fn through_shell(
    words: Vec<String>,
    keywords: &[String],
    knowledge: &KnowledgeBase,
) -> Result<Vec<String>, Decline> {
    let Some(at) = words.iter().position(|word| knowledge.is_shell(word)) else {
        return Ok(words);
    };
    let untraceable = || Decline::UntraceableScript {
        keyword: keywords.get(at).cloned().unwrap_or_default(),
    };
    let options: Vec<&str> = words[at + 1..]
        .iter()
        .map(String::as_str)
        .take_while(|word| word.starts_with('-'))
        .collect();
    // `-c` alone or in a cluster with options that do not change what runs (`-ec`, `-xc`).
    let is_script_option = |option: &str| {
        let letters = &option[1..];
        letters.contains('c') && letters.chars().all(|c| "ceuxv".contains(c))
    };
    let Some(last) = options.iter().rposition(|option| is_script_option(option)) else {
        if options
            .iter()
            .any(|option| option.contains('c') && !option.starts_with("--"))
        {
            return Err(untraceable());
        }
        return Ok(words);
    };
    let script_at = at + 1 + last + 1;
    let plain = options[..last].iter().all(|option| {
        is_script_option(option) || {
            let letters = &option[1..];
            !letters.is_empty() && letters.chars().all(|c| "euxv".contains(c))
        }
    });
    if at > 0 || !plain || script_at + 1 != words.len() {
        return Err(untraceable());
    }
    let text = words[script_at].as_str();
    let keyword = keywords.get(script_at).cloned().unwrap_or_default();
    let traced = script_words(
        &keyword,
        text,
        &lex(text),
        &script::parse(text).script,
        knowledge,
    )?;
    let keywords = vec![keyword; traced.len()];
    through_shell(traced, &keywords, knowledge)
}

/// `export NAME=value …` or `NAME=value …` followed by `&&`, `;` or a new line.
fn only_sets_variables(command: &Command) -> bool {
    let joined = matches!(
        command.next,
        Some((Operator::And | Operator::Semicolon | Operator::Newline, _))
    );
    let words: Vec<&str> = command.words.iter().map(|w| w.value.as_str()).collect();
    let assignments = match words.split_first() {
        Some((&"export", rest)) => rest,
        _ => &words[..],
    };
    joined
        && command.redirects.is_empty()
        && !assignments.is_empty()
        && assignments.iter().all(|w| is_assignment(w))
}

/// Every command substitution calls only programs all runtime images have.
fn check_substitutions(
    substitutions: &[Substitution],
    knowledge: &KnowledgeBase,
) -> Result<(), Decline> {
    for substitution in substitutions {
        let body = substitution.body;
        let inner = lex(body);
        let plain = !inner.has_grouping && !inner.incomplete && !inner.has_comment;
        for command in &inner.commands {
            let mut words = command
                .words
                .iter()
                .map(|w| w.value.as_str())
                .skip_while(|w| is_assignment(w));
            let program = words.next().unwrap_or_default();
            let arguments: Vec<&str> = words.collect();
            let known = knowledge.is_shell_program(program)
                || knowledge
                    .shell_reader(program)
                    .is_some_and(|skip| reads_only_system_files(&arguments, skip));
            if !plain || !known || !command.redirects.is_empty() {
                return Err(Decline::UnknownSubstitution {
                    body: body.trim().to_owned(),
                });
            }
        }
        check_substitutions(&substitution.nested, knowledge)?;
    }
    Ok(())
}

/// Every file argument (the positional ones after the first `skip`) is a kernel file the
/// runtime container has as well (`/proc/cpuinfo`).
fn reads_only_system_files(arguments: &[&str], skip: usize) -> bool {
    // Kernel files only: the image's own `/etc` may hold what the build stage wrote there.
    let kernel_file = |file: &&str| {
        ["/proc/", "/sys/"]
            .iter()
            .any(|root| file.starts_with(root))
            && !file.contains("..")
            && !file.contains("/root")
            && !file.contains('$')
    };
    // Options that name a file (`grep -f FILE`, `--file=FILE`) are not allowed.
    let file_option = |word: &&str| {
        (word.starts_with("-f") && !word.starts_with("--")) || word.starts_with("--file")
    };
    !arguments.iter().any(file_option)
        && arguments
            .iter()
            .filter(|word| !word.starts_with('-'))
            .skip(skip)
            .all(kernel_file)
}

/// A command substitution (`$(…)`, backquotes): the text of its body and the substitutions
/// inside it.
#[derive(Debug)]
struct Substitution<'t> {
    body: &'t str,
    nested: Vec<Substitution<'t>>,
}

/// The command substitutions in the words of a script's commands (`text` is the script's),
/// in order, including those inside arithmetic expansions (`$(($(nproc) * 2))`), which the
/// syntax tree keeps as text and are read as a script of their own.
fn substitutions<'t>(text: &'t str, tree: &script::Script) -> Vec<Substitution<'t>> {
    let mut found = Vec::new();
    for command in tree.simple_commands() {
        for word in command.assignments.iter().chain(&command.words) {
            collect_substitutions(text, &word.parts, &mut found);
        }
    }
    found
}

fn collect_substitutions<'t>(text: &'t str, parts: &[WordPart], found: &mut Vec<Substitution<'t>>) {
    for part in parts {
        match part {
            WordPart::CommandSubstitution { range, script } => {
                let written = range.slice(text);
                let body = match written.strip_prefix("$(") {
                    Some(body) => body.strip_suffix(')').unwrap_or(body),
                    None => written.trim_matches('`'),
                };
                found.push(Substitution {
                    body,
                    nested: substitutions(text, script),
                });
            }
            WordPart::Arithmetic { range } => {
                let written = range.slice(text);
                let expression = written.strip_prefix("$((").unwrap_or(written);
                let expression = expression.strip_suffix("))").unwrap_or(expression);
                found.extend(substitutions(expression, &script::parse(expression).script));
            }
            WordPart::DoubleQuoted { parts, .. } => collect_substitutions(text, parts, found),
            _ => {}
        }
    }
}

/// The paths a command names, with their position (0: the program): the program, words that
/// look like files, and each entry of a path-list option's value (`-cp a.jar:lib/*`; a
/// trailing `/*` names the folder).
pub(super) fn named_paths(
    command: &[String],
    path_lists: &[String],
    path_prefixes: &[String],
) -> Vec<(usize, String)> {
    let mut paths = Vec::new();
    let mut list_follows = false;
    for (position, word) in command.iter().enumerate() {
        if let Some(path) = prefixed_path(word, path_prefixes) {
            paths.push((position, path.to_owned()));
            continue;
        }
        let inline_list = path_lists.iter().find_map(|option| {
            word.strip_prefix(option.as_str())
                .and_then(|rest| rest.strip_prefix('='))
        });
        if position > 0 && (list_follows || inline_list.is_some()) {
            let value = inline_list.unwrap_or(word);
            paths.extend(
                value
                    .split(':')
                    .filter(|entry| !entry.is_empty() && !entry.contains('$'))
                    .map(|entry| (position, folder_of_wildcard(entry).to_owned())),
            );
        } else if position == 0 {
            paths.push((position, word.clone()));
        } else if let Some(path) = file_path(word) {
            paths.push((position, path.to_owned()));
        }
        list_follows = path_lists.contains(word);
    }
    paths
}

/// The path in an option that carries one after a prefix, up to its own options:
/// `-javaagent:/app/agent.jar=opts` → `/app/agent.jar`.
pub(super) fn prefixed_path<'w>(word: &'w str, path_prefixes: &[String]) -> Option<&'w str> {
    let rest = path_prefixes
        .iter()
        .find_map(|prefix| word.strip_prefix(prefix.as_str()))?;
    // A path from a variable is kept as written: it cannot be traced, so the split declines.
    let path = rest.split('=').next().unwrap_or(rest);
    (!path.is_empty()).then_some(path)
}

/// `lib/*` → `lib` (a class path wildcard names the folder's jars).
fn folder_of_wildcard(entry: &str) -> &str {
    entry
        .strip_suffix("/*")
        .or_else(|| entry.strip_suffix('*'))
        .map(|folder| if folder.is_empty() { "." } else { folder })
        .unwrap_or(entry)
}

/// The file a command word names, to trace: a path (with a `/`, or a `.jar`/`.dll`) that is
/// not an option, a variable or substitution, nor a network address; a `file:` URL names the
/// path after its scheme.
pub(super) fn file_path(word: &str) -> Option<&str> {
    if word.starts_with('-') || word.contains(['$', '`']) {
        return None;
    }
    if let Some(rest) = word.strip_prefix("file:") {
        // `file:///app/x` and `file:/app/x` name `/app/x`; `file://host/x` a remote file.
        let path = match rest.strip_prefix("//") {
            Some(after) => after.starts_with('/').then_some(after)?,
            None => rest,
        };
        return (!path.is_empty()).then_some(path);
    }
    if is_address(word) {
        return None;
    }
    let path_like = word.contains('/') || [".jar", ".dll"].iter().any(|ext| word.ends_with(ext));
    path_like.then_some(word)
}

/// A network address rather than a path: a URL (`postgres://u:p@db/x`, `redis://cache:6379/0`),
/// a `host:port/…` or `user:pass@…` whose first component holds a `:`, or a Go MySQL DSN
/// `user:pass@tcp(db:3306)/name` (a `proto(address)` before the first `/`).
fn is_address(word: &str) -> bool {
    let first = word.split('/').next().unwrap_or(word);
    word.contains("://") || first.contains(':') || (first.ends_with(')') && first.contains('('))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bodies of the command substitutions of a script, outermost first.
    fn bodies(text: &str) -> Vec<&str> {
        fn flatten<'t>(found: &[Substitution<'t>], out: &mut Vec<&'t str>) {
            for substitution in found {
                out.push(substitution.body);
                flatten(&substitution.nested, out);
            }
        }
        let mut out = Vec::new();
        flatten(&substitutions(text, &script::parse(text).script), &mut out);
        out
    }

    #[test]
    fn finds_substitutions_inside_arithmetic_and_backquotes() {
        assert_eq!(bodies("$(($(nproc)*5/4))"), vec!["nproc"]);
        assert_eq!(
            bodies("$((`grep -c ^processor /proc/cpuinfo`))"),
            vec!["grep -c ^processor /proc/cpuinfo"]
        );
        assert_eq!(
            bodies("a$(getent hosts db | awk '{ print $1 }')b$HOME"),
            vec!["getent hosts db | awk '{ print $1 }'"]
        );
        assert!(bodies("${HOME}/$PATH").is_empty());
        assert_eq!(
            bodies("W=$(( $(nproc) * 2 )) exec x \"$(cat $(ls /proc/x))\""),
            vec!["nproc", "cat $(ls /proc/x)", "ls /proc/x"]
        );
    }

    /// The words `through_shell` traces for an exec-form command, or the kind of its decline.
    fn traced(words: &[&str]) -> Result<Vec<String>, &'static str> {
        let words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        let keywords = vec!["CMD".to_owned(); words.len()];
        through_shell(words, &keywords, KnowledgeBase::builtin()).map_err(|d| d.kind())
    }

    #[test]
    fn a_shell_script_in_exec_form_is_traced_as_shell_form() {
        assert_eq!(
            traced(&["sh", "-c", "exec gunicorn app:app"]),
            Ok(vec!["gunicorn".to_owned(), "app:app".to_owned()])
        );
        assert_eq!(
            traced(&["/bin/bash", "-ec", "export W=$(nproc) && bin/server -w $W"]),
            Ok(vec![
                "bin/server".to_owned(),
                "-w".to_owned(),
                "$W".to_owned()
            ])
        );
        assert_eq!(
            traced(&["sh", "-c", "sh -c 'node app.js'"]),
            Ok(vec!["node".to_owned(), "app.js".to_owned()])
        );
        for untraceable in [
            &[
                "sh",
                "-c",
                "python manage.py migrate && /root/.local/bin/foo",
            ][..],
            &["sh", "-c", "a; b"],
            &["sh", "-c", "a || b"],
            &["sh", "-c", "a | b"],
            &["bash", "-lc", "node app.js"],
            &["bash", "-l", "-c", "node app.js"],
            &["tini", "--", "sh", "-c", "node app.js"],
            &["sh", "-c", "exec node \"$@\"", "app.js"],
            &["sh", "-c"],
        ] {
            assert_eq!(
                traced(untraceable),
                Err("untraceable-script"),
                "{untraceable:?}"
            );
        }
        assert_eq!(traced(&["sh", "-c", "$APP"]), Err("program-is-variable"));
        assert_eq!(
            traced(&["sh", "-c", "W=$(cat /app/n) exec x"]),
            Err("unknown-substitution")
        );
        // A script file, and commands without a shell, are left as they are.
        assert_eq!(
            traced(&["sh", "start.sh"]),
            Ok(vec!["sh".to_owned(), "start.sh".to_owned()])
        );
        assert_eq!(traced(&["/app/server"]), Ok(vec!["/app/server".to_owned()]));
    }

    #[test]
    fn addresses_are_not_paths() {
        for word in [
            "benchmarkdbuser:benchmarkdbpass@tcp(tfb-database:3306)/hello_world",
            "root@tcp(db)/hello",
            "tcp(db:3306)/hello",
            "postgres://u:p@db/x",
            "mysql://root@db:3306/app",
            "redis://cache:6379/0",
            "amqp://guest:guest@rabbit:5672/",
            "http://localhost:8080/health",
            "db:5432/metrics",
            "user:pass@db/x",
            "file://fileserver/share/x",
            "--config=/app/x.yml",
            "$HOME/x",
        ] {
            assert_eq!(file_path(word), None, "{word}");
        }
        for (word, path) in [
            ("/app/config.yml", "/app/config.yml"),
            ("conf/app.yml", "conf/app.yml"),
            ("app.jar", "app.jar"),
            ("./data/", "./data/"),
            ("file:///app/conf.yml", "/app/conf.yml"),
            ("file:/app/conf.yml", "/app/conf.yml"),
            ("user@example/x", "user@example/x"),
        ] {
            assert_eq!(file_path(word), Some(path), "{word}");
        }
    }

    #[test]
    fn path_lists_name_each_entry() {
        let words: Vec<String> = [
            "java",
            "-cp",
            "/a/classes:/a/lib/*",
            "Main",
            "-jar",
            "x.jar",
        ]
        .map(str::to_owned)
        .to_vec();
        let lists = vec!["-cp".to_owned()];
        assert_eq!(
            named_paths(&words, &lists, &[]),
            vec![
                (0, "java".to_owned()),
                (2, "/a/classes".to_owned()),
                (2, "/a/lib".to_owned()),
                (5, "x.jar".to_owned()),
            ]
        );
        let inline: Vec<String> = ["java", "--class-path=app.jar:$EXTRA", "Main"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(
            named_paths(&inline, &["--class-path".to_owned()], &[]),
            vec![(0, "java".to_owned()), (1, "app.jar".to_owned())]
        );
        let agent: Vec<String> = ["java", "-javaagent:/otel/agent.jar=x=1", "-jar", "a.jar"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(
            named_paths(&agent, &[], &["-javaagent:".to_owned()]),
            vec![
                (0, "java".to_owned()),
                (1, "/otel/agent.jar".to_owned()),
                (3, "a.jar".to_owned())
            ]
        );
    }
}
