//! The command-line view of a simple command: its leading assignments, the wrappers that run
//! the real program (`exec`, `env`, `sudo`, `gosu`, `su-exec`) removed, the program's base name,
//! and its options and positionals read from an option spec (the options that take a value,
//! which the ecosystem profiles declare; the model does not know them itself).
//!
//! It reads the words of the syntax tree ([`Word`]) and of the flat view
//! ([`ShellWord`](crate::model::shell::ShellWord)) alike.

use super::Word;
use crate::model::shell::{Command, ShellWord};

/// A word the view can read: its value (quotes removed) and whether quoting was used.
pub trait CommandWord {
    fn value(&self) -> &str;
    fn is_quoted(&self) -> bool;
}

impl CommandWord for Word {
    fn value(&self) -> &str {
        &self.value
    }

    fn is_quoted(&self) -> bool {
        self.quoted
    }
}

impl CommandWord for crate::model::Located<String> {
    fn value(&self) -> &str {
        &self.value
    }

    fn is_quoted(&self) -> bool {
        false
    }
}

impl CommandWord for ShellWord {
    fn value(&self) -> &str {
        &self.value
    }

    fn is_quoted(&self) -> bool {
        self.quoted
    }
}

/// A command that runs the program named after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrapper {
    /// `exec`: the program replaces the shell.
    Exec,
    /// `env [options] [NAME=value…]`
    Env,
    /// `sudo [options] [NAME=value…]`
    Sudo,
    /// `gosu USER`
    Gosu,
    /// `su-exec USER`
    SuExec,
}

impl Wrapper {
    /// Whether the program runs as another user than the command.
    pub fn changes_user(self) -> bool {
        matches!(self, Wrapper::Sudo | Wrapper::Gosu | Wrapper::SuExec)
    }

    fn named(name: &str) -> Option<Wrapper> {
        Some(match name {
            "exec" => Wrapper::Exec,
            "env" => Wrapper::Env,
            "sudo" => Wrapper::Sudo,
            "gosu" => Wrapper::Gosu,
            "su-exec" => Wrapper::SuExec,
            _ => return None,
        })
    }

    /// The wrapper's own options that take a value.
    fn value_options(self) -> &'static [&'static str] {
        match self {
            Wrapper::Exec => &["-a"],
            Wrapper::Env => &["-u", "--unset", "-C", "--chdir", "-S", "--split-string"],
            Wrapper::Sudo => &[
                "-u",
                "--user",
                "-g",
                "--group",
                "-C",
                "-D",
                "--chdir",
                "-h",
                "--host",
                "-p",
                "--prompt",
                "-r",
                "--role",
                "-t",
                "--type",
                "-U",
                "--other-user",
                "-T",
                "--command-timeout",
            ],
            Wrapper::Gosu | Wrapper::SuExec => &[],
        }
    }

    /// How many positional words (the user) come before the program.
    fn positionals(self) -> usize {
        match self {
            Wrapper::Gosu | Wrapper::SuExec => 1,
            _ => 0,
        }
    }

    /// Whether `NAME=value` words may come before the program.
    fn takes_assignments(self) -> bool {
        matches!(self, Wrapper::Env | Wrapper::Sudo)
    }
}

/// An option and the value the spec says it takes (the next word), if any; a `--name=value`
/// option carries its value in its own word.
#[derive(Debug, PartialEq, Eq)]
pub struct CommandOption<'w, W> {
    pub word: &'w W,
    pub value: Option<&'w W>,
}

impl<W: CommandWord> CommandOption<'_, W> {
    /// The option without a `=value` (`--prefix=/x` → `--prefix`).
    pub fn name(&self) -> &str {
        let value = self.word.value();
        value.split_once('=').map_or(value, |(name, _)| name)
    }
}

/// A simple command read as a command line.
#[derive(Debug, PartialEq, Eq)]
pub struct CommandLine<'w, W> {
    /// The `NAME=value` words before the program: the command's own and those given to `env`
    /// or `sudo`.
    pub assignments: Vec<&'w W>,
    /// The wrappers removed before the program, in order.
    pub wrappers: Vec<Wrapper>,
    /// The program word as written (`./gradlew`, `/usr/bin/pip`).
    pub program: &'w W,
    /// The words after the program.
    pub arguments: &'w [W],
    /// Words starting with `-` (not `-` itself) before a `--`, with their values.
    pub options: Vec<CommandOption<'w, W>>,
    /// The other arguments, in order.
    pub positionals: Vec<&'w W>,
}

impl<'w, W: CommandWord> CommandLine<'w, W> {
    /// Reads `words` (leading `NAME=value` words included) with `value_options`, the options
    /// that take the next word as their value. `None` when there is no program word.
    pub fn read(words: &'w [W], value_options: &[&str]) -> Option<CommandLine<'w, W>> {
        let start = words.iter().position(|w| !is_assignment(w.value()))?;
        let mut line = CommandLine {
            assignments: words[..start].iter().collect(),
            wrappers: Vec::new(),
            program: &words[start],
            arguments: &words[start + 1..],
            options: Vec::new(),
            positionals: Vec::new(),
        };
        line.unwrap();
        line.split_arguments(value_options);
        Some(line)
    }

    /// The program's file name: `npm` for `/usr/local/bin/npm`.
    pub fn name(&self) -> &'w str {
        base_name(self.program.value())
    }

    /// Whether a wrapper runs the program as another user.
    pub fn changes_user(&self) -> bool {
        self.wrappers.iter().any(|wrapper| wrapper.changes_user())
    }

    /// Whether an option of this name (`-y`, `--prefix`, with or without `=value`) is given.
    pub fn has_option(&self, name: &str) -> bool {
        self.options.iter().any(|option| option.name() == name)
    }

    /// The positional values, for matching.
    pub fn positional_values(&self) -> impl Iterator<Item = &'w str> + '_ {
        self.positionals.iter().map(|word| word.value())
    }

    /// Removes the wrappers in front of the program, as long as a program follows them.
    fn unwrap(&mut self) {
        while let Some(wrapper) = self.wrapper() {
            let Some((assignments, program)) = self.wrapped(wrapper) else {
                return;
            };
            self.assignments.extend(&self.arguments[assignments]);
            self.wrappers.push(wrapper);
            self.program = &self.arguments[program];
            self.arguments = &self.arguments[program + 1..];
        }
    }

    fn wrapper(&self) -> Option<Wrapper> {
        let wrapper = Wrapper::named(self.name())?;
        let plain_exec = wrapper != Wrapper::Exec || self.program.value() == "exec";
        (plain_exec && !self.program.is_quoted()).then_some(wrapper)
    }

    /// Where the wrapped program is among the arguments, and how many of the arguments before
    /// it the wrapper's assignments start at: `(first assignment, program)`.
    fn wrapped(&self, wrapper: Wrapper) -> Option<(std::ops::Range<usize>, usize)> {
        let words = self.arguments;
        let mut index = 0;
        while let Some(word) = words.get(index) {
            let value = word.value();
            if value == "--" {
                index += 1;
                break;
            }
            if !value.starts_with('-') || value == "-" {
                break;
            }
            index += 1;
            if wrapper.value_options().contains(&value) {
                index += 1;
            }
        }
        index += wrapper.positionals();
        let assignments_start = index;
        if wrapper.takes_assignments() {
            while words.get(index).is_some_and(|w| is_assignment(w.value())) {
                index += 1;
            }
        }
        (index < words.len()).then_some((assignments_start..index, index))
    }

    fn split_arguments(&mut self, value_options: &[&str]) {
        let mut rest = self.arguments.iter();
        while let Some(word) = rest.next() {
            let value = word.value();
            if value == "--" {
                self.positionals.extend(rest.by_ref());
                break;
            }
            if value.starts_with('-') && value != "-" {
                let value = value_options
                    .contains(&value)
                    .then(|| rest.next())
                    .flatten();
                self.options.push(CommandOption { word, value });
            } else {
                self.positionals.push(word);
            }
        }
    }
}

impl Command {
    /// The command read as a command line with `value_options` (see [`CommandLine::read`]).
    pub fn command_line(&self, value_options: &[&str]) -> Option<CommandLine<'_, ShellWord>> {
        CommandLine::read(&self.words, value_options)
    }
}

impl super::SimpleCommand {
    /// The command read as a command line with `value_options` (see [`CommandLine::read`]).
    pub fn command_line(&self, value_options: &[&str]) -> Option<CommandLine<'_, Word>> {
        let mut line = CommandLine::read(&self.words, value_options)?;
        let own = self.assignments.iter().chain(line.assignments.drain(..));
        line.assignments = own.collect();
        Some(line)
    }
}

/// The file name of a program path: `npm` for `/usr/local/bin/npm`.
pub fn base_name(program: &str) -> &str {
    program
        .rfind('/')
        .map_or(program, |slash| &program[slash + 1..])
}

/// `NAME=value` with a valid name.
pub fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::script::parse;

    fn first_line(text: &str, spec: &[&str]) -> (Vec<String>, Vec<Wrapper>, String, Vec<String>) {
        let parsed = parse(text);
        let commands = parsed.script.simple_commands();
        let line = commands[0].command_line(spec).expect("a program");
        let values = |words: Vec<&Word>| words.iter().map(|w| w.value.clone()).collect();
        let options = line.options.iter().map(|o| {
            let value = o.value.map_or(String::new(), |v| format!(" {}", v.value));
            format!("{}{value}", o.word.value)
        });
        let mut arguments: Vec<String> = options.collect();
        arguments.extend(line.positional_values().map(|v| format!("<{v}>")));
        (
            values(line.assignments.clone()),
            line.wrappers.clone(),
            line.name().to_owned(),
            arguments,
        )
    }

    #[test]
    fn wrappers_and_assignments_are_removed() {
        let (assignments, wrappers, name, arguments) = first_line(
            "A=1 exec env -u X B=2 sudo -E -u app C=3 /usr/bin/npm --prefix /app ci -- -x",
            &["--prefix"],
        );
        assert_eq!(assignments, ["A=1", "B=2", "C=3"]);
        assert_eq!(wrappers, [Wrapper::Exec, Wrapper::Env, Wrapper::Sudo]);
        assert_eq!(name, "npm");
        assert_eq!(arguments, ["--prefix /app", "<ci>", "<-x>"]);
        let (_, wrappers, name, arguments) = first_line("exec gosu node:node node app.js", &[]);
        assert_eq!(wrappers, [Wrapper::Exec, Wrapper::Gosu]);
        assert!(wrappers.iter().any(|w| w.changes_user()));
        assert_eq!(
            (name.as_str(), arguments),
            ("node", vec!["<app.js>".to_owned()])
        );
    }

    #[test]
    fn a_wrapper_without_a_program_is_the_program() {
        let (_, wrappers, name, arguments) = first_line("env -i", &[]);
        assert!(wrappers.is_empty());
        assert_eq!((name.as_str(), arguments), ("env", vec!["-i".to_owned()]));
        let (_, wrappers, name, _) = first_line("'exec' ls", &[]);
        assert_eq!((wrappers, name.as_str()), (vec![], "exec"));
    }

    #[test]
    fn options_take_values_from_the_spec_only() {
        let (_, _, _, arguments) = first_line("pip install -r req.txt --no-cache-dir x", &["-r"]);
        assert_eq!(
            arguments,
            ["-r req.txt", "--no-cache-dir", "<install>", "<x>"]
        );
        let (_, _, _, arguments) = first_line("pip install -r req.txt", &[]);
        assert_eq!(arguments, ["-r", "<install>", "<req.txt>"]);
        let flat = crate::model::shell::lex("npm --prefix=/app ci");
        let line = flat.commands[0].command_line(&[]).expect("a program");
        assert!(line.has_option("--prefix"));
        assert_eq!(line.positional_values().collect::<Vec<_>>(), ["ci"]);
    }
}
