//! System package manager commands (apt, apk, dnf, …) recognised inside lexed shell scripts.

use super::shell::{Command, ShellWord};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The package manager vocabulary: `transforms/package-managers.toml`, embedded here because the
/// model is below the knowledge base (see `ARCHITECTURE.md`).
const PACKAGE_MANAGERS: &str = include_str!("../../transforms/package-managers.toml");

/// The layout of `package-managers.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageManagers {
    /// Programs that install system packages.
    pub managers: Vec<String>,
    /// Words that add a package repository.
    pub repository_markers: Vec<String>,
    /// Options whose value is the next word, for every manager.
    value_options: Vec<String>,
    /// Value options of yum and dnf only.
    yum_value_options: Vec<String>,
    /// Options that install from another repository.
    other_repository: Vec<String>,
    /// Verbs that install and remove nothing.
    no_packages: Vec<String>,
    /// Value options of `apt-get update`.
    pub apt_update_value_options: Vec<String>,
    /// Folders holding package lists and downloads.
    pub cache_folders: Vec<String>,
    /// Folders of the system the managers read or write.
    pub system_folders: Vec<String>,
    /// Manager → the verbs that only touch system packages.
    pub system_verbs: BTreeMap<String, Vec<String>>,
    /// Manager → its caches, as the knowledge base reads them (`knowledge::CacheSpec`).
    #[serde(default)]
    pub caches: BTreeMap<String, toml::Value>,
}

impl PackageManagers {
    /// The value-taking options of `program`'s commands.
    fn value_options_of(&self, program: &str) -> Vec<&str> {
        let yum = (!program.starts_with("apt")).then_some(&self.yum_value_options);
        self.value_options
            .iter()
            .chain(yum.into_iter().flatten())
            .map(String::as_str)
            .collect()
    }
}

/// The embedded package manager vocabulary, parsed on first use.
pub fn package_managers() -> &'static PackageManagers {
    static MANAGERS: OnceLock<PackageManagers> = OnceLock::new();
    MANAGERS.get_or_init(|| match toml::from_str(PACKAGE_MANAGERS) {
        Ok(managers) => managers,
        // The embedded data is checked by the test suite; failing here is a build defect.
        Err(error) => panic!("transforms/package-managers.toml is invalid: {error}"),
    })
}

/// Whether `list` holds `word`.
pub fn has(list: &[String], word: &str) -> bool {
    list.iter().any(|item| item == word)
}

/// A package manager command: where its words start once `VAR=value` prefixes are skipped.
pub struct PackageCommand<'c> {
    pub index: usize,
    pub command: &'c Command,
    /// The word after the program (`install`, `add`, `update`).
    pub verb: &'c ShellWord,
    /// The words after the verb.
    pub rest: &'c [ShellWord],
}

/// Matches `programs verb …` (options before the verb and `VAR=x` prefixes allowed).
pub fn package_command<'c>(
    index: usize,
    command: &'c Command,
    programs: &[impl AsRef<str>],
    verbs: &[impl AsRef<str>],
) -> Option<PackageCommand<'c>> {
    // Without wrappers the program is the first word that is not an assignment: a command
    // running another program is rejected before it is read as a command line.
    let first = command.words.iter().find(|w| !is_assignment(&w.value))?;
    if !programs.iter().any(|p| p.as_ref() == first.value) {
        return None;
    }
    let line = command.command_line(&[])?;
    let program = line.program.value.as_str();
    if !line.wrappers.is_empty() || !programs.iter().any(|p| p.as_ref() == program) {
        return None;
    }
    let verb_at = line
        .arguments
        .iter()
        .position(|w| !w.value.starts_with('-'))?;
    let verb = &line.arguments[verb_at];
    verbs
        .iter()
        .any(|v| v.as_ref() == verb.value)
        .then(|| PackageCommand {
            index,
            command,
            verb,
            rest: &line.arguments[verb_at + 1..],
        })
}

/// What a system package manager command installs or removes.
pub struct PackageChange {
    /// `purge`, `remove`, `del`, `erase` rather than `install`/`add`.
    pub removes: bool,
    /// The `apk add --virtual NAME` group.
    pub group: Option<String>,
    /// `apk add -X URL`, `apt-get -t RELEASE`, `dnf --enablerepo`.
    pub other_repository: bool,
    /// The packages as written.
    pub names: Vec<String>,
}

impl PackageChange {
    /// `apt-get install …`, `apk add …`, `dnf install …` and their removals; option values
    /// (`-o Dpkg::Options::=…`, `-t bookworm-backports`) are not package names. `None` for
    /// other commands and verbs that install nothing (`update`, `clean`); an error for a
    /// package manager command it cannot read.
    pub fn read(command: &Command) -> Result<Option<PackageChange>, String> {
        let managers = package_managers();
        let Some(program) = plain_program(command) else {
            return Ok(None);
        };
        if !has(&managers.managers, program) {
            return Ok(None);
        }
        let value_options = managers.value_options_of(program);
        let Some(line) = command.command_line(&value_options) else {
            return Ok(None);
        };
        let unreadable = || format!("the build runs `{program}` in a way dfmigrate cannot read");
        let by_variables = || "the build installs system packages named by variables".to_owned();
        let dynamic = |word: &ShellWord| word.has_expansion || word.has_glob;
        if line.positionals.iter().any(|word| dynamic(word)) {
            return Err(by_variables());
        }
        let positionals: Vec<String> = line.positional_values().map(str::to_owned).collect();
        let mut group = None;
        let mut other_repository = false;
        for option in &line.options {
            if dynamic(option.word) {
                return Err(by_variables());
            }
            let value = option.word.value.as_str();
            let (name, inline) = match value.split_once('=') {
                Some((name, inline)) => (name, Some(inline.to_owned())),
                None => (value, None),
            };
            let apk_group = program == "apk" && matches!(name, "--virtual" | "-t");
            let apt_release = program != "apk" && name == "-t";
            other_repository |= has(&managers.other_repository, name) || apt_release;
            let option_value = inline.or_else(|| option.value.map(|word| word.value.clone()));
            if apk_group {
                group = Some(option_value.ok_or_else(unreadable)?);
            }
        }
        let Some((verb, names)) = positionals.split_first() else {
            return Ok(None);
        };
        let removes = matches!(verb.as_str(), "purge" | "remove" | "del" | "erase");
        let installs = matches!(verb.as_str(), "install" | "add" | "reinstall");
        if !removes && !installs {
            return if has(&managers.no_packages, verb) {
                Ok(None)
            } else {
                Err(unreadable())
            };
        }
        if installs
            && names
                .iter()
                .any(|name| name.contains('/') || name.contains("://"))
        {
            return Err(format!(
                "the build installs a package file or a package from a named release ({})",
                names.join(" ")
            ));
        }
        let mut names = names.to_vec();
        if let (true, Some(group)) = (installs, &group) {
            // `apk add --virtual NAME a b` installs a, b and the group NAME itself.
            names.retain(|name| name != group);
        }
        Ok(Some(PackageChange {
            removes,
            group,
            other_repository,
            names,
        }))
    }
}

/// The program of a command run directly (no `exec`, `env` or `sudo` in front of it), as
/// written.
fn plain_program(command: &Command) -> Option<&str> {
    let line = command.command_line(&[])?;
    line.wrappers
        .is_empty()
        .then_some(line.program.value.as_str())
}

/// `NAME=value`.
pub use super::script::is_assignment;

/// Every `apt-get install` / `apt install` command.
pub fn apt_installs(commands: &[Command]) -> Vec<PackageCommand<'_>> {
    commands
        .iter()
        .enumerate()
        .filter_map(|(i, c)| package_command(i, c, &["apt-get", "apt"], &["install"]))
        .collect()
}

/// Whether a command adds a package repository: one of its words or redirection targets holds
/// a marker of one (`add-apt-repository`, `… > /etc/apt/sources.list.d/x.list`, `dnf
/// config-manager --add-repo`). `script` is the text the command's ranges point into.
pub fn adds_repository(command: &Command, script: &str) -> bool {
    let markers = &package_managers().repository_markers;
    command
        .texts(script)
        .any(|text| markers.iter().any(|marker| text.contains(marker.as_str())))
}

/// `apt-get update` / `apt update`.
pub fn is_apt_update(command: &Command) -> bool {
    package_command(0, command, &["apt-get", "apt"], &["update"]).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::shell::lex;

    fn read(script: &str) -> Result<Option<PackageChange>, String> {
        PackageChange::read(&lex(script).commands[0])
    }

    #[test]
    fn repositories_are_added_by_words_that_name_one() {
        let adds = |script: &str| {
            lex(script)
                .commands
                .iter()
                .any(|c| adds_repository(c, script))
        };
        for script in [
            "add-apt-repository ppa:ondrej/php",
            "echo deb http://x/ y main > /etc/apt/sources.list.d/x.list",
            "dnf config-manager --add-repo https://x/y.repo",
        ] {
            assert!(adds(script), "{script}");
        }
        for script in ["# a sources.list comment", "apt-get install -y jq"] {
            assert!(!adds(script), "{script}");
        }
    }

    #[test]
    fn reads_installs_and_their_option_values() {
        let change = read("apt-get install -y -o Dpkg::Options::=--force-confold --no-install-recommends jq curl=8.5.0-2")
            .map(|c| c.map(|c| (c.removes, c.names)));
        assert_eq!(
            change,
            Ok(Some((
                false,
                vec!["jq".to_owned(), "curl=8.5.0-2".to_owned()]
            )))
        );
        let grouped = read("apk add --no-cache --virtual .build-deps gcc musl-dev")
            .ok()
            .flatten()
            .map(|c| (c.group, c.names));
        assert_eq!(
            grouped,
            Some((
                Some(".build-deps".to_owned()),
                vec!["gcc".to_owned(), "musl-dev".to_owned()]
            ))
        );
        assert_eq!(
            read("apt-get -d install -y jq").map(|c| c.is_some()),
            Ok(true)
        );
        assert_eq!(
            read("yum -d 0 install -y jq").map(|c| c.map(|c| c.names)),
            Ok(Some(vec!["jq".to_owned()]))
        );
        assert!(read("apt-get -t bookworm-backports install -y jq")
            .is_ok_and(|c| c.is_some_and(|c| c.other_repository)));
    }

    #[test]
    fn other_verbs_install_nothing_or_decline() {
        assert_eq!(read("apt-get update").map(|c| c.is_some()), Ok(false));
        assert_eq!(
            read("apk upgrade --no-cache").map(|c| c.is_some()),
            Ok(false)
        );
        assert_eq!(read("npm install").map(|c| c.is_some()), Ok(false));
        assert!(read("apt-get build-dep -y python3").is_err());
        assert!(read("apt-get install -y ./tool.deb").is_err());
        assert!(read("apt-get install -y $PACKAGES").is_err());
        assert_eq!(
            read("apt-get purge -y jq").map(|c| c.map(|c| c.removes)),
            Ok(Some(true))
        );
    }
}
