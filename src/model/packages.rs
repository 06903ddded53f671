//! System package manager commands (apt, apk, dnf, …) recognised inside lexed shell scripts.

use super::shell::{Command, ShellWord};

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
    programs: &[&str],
    verbs: &[&str],
) -> Option<PackageCommand<'c>> {
    let line = command.command_line(&[])?;
    if !line.wrappers.is_empty() || !programs.contains(&line.program.value.as_str()) {
        return None;
    }
    let verb_at = line
        .arguments
        .iter()
        .position(|w| !w.value.starts_with('-'))?;
    let verb = &line.arguments[verb_at];
    verbs
        .contains(&verb.value.as_str())
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
        const MANAGERS: &[&str] = &["apt-get", "apt", "apk", "dnf", "yum", "microdnf"];
        const VALUE_OPTIONS: &[&str] = &[
            "-o",
            "--option",
            "-t",
            "--target-release",
            "-c",
            "--config-file",
            "--virtual",
            "-X",
            "--repository",
            "--repositories-file",
            "--root",
            "--cache-dir",
            "--arch",
            "-p",
            "--keys-dir",
            "--setopt",
            "--releasever",
            "--installroot",
            "--enablerepo",
            "--disablerepo",
        ];
        const OTHER_REPOSITORY: &[&str] = &[
            "-X",
            "--repository",
            "--repositories-file",
            "--enablerepo",
            "--target-release",
        ];
        const NO_PACKAGES: &[&str] = &[
            "update",
            "upgrade",
            "dist-upgrade",
            "full-upgrade",
            "clean",
            "autoclean",
            "autoremove",
            "makecache",
            "cache",
            "check",
            "list",
            "search",
            "info",
            "policy",
            "show",
            "fix",
            "config-manager",
            "repolist",
        ];
        // yum and dnf only: apt-get's `-d` is `--download-only`.
        const YUM_VALUE_OPTIONS: &[&str] = &[
            "-d",
            "--debuglevel",
            "-e",
            "--errorlevel",
            "-x",
            "--exclude",
        ];
        let Some(program) = plain_program(command) else {
            return Ok(None);
        };
        if !MANAGERS.contains(&program) {
            return Ok(None);
        }
        let value_options: Vec<&str> = match program.starts_with("apt") {
            true => VALUE_OPTIONS.to_vec(),
            false => [VALUE_OPTIONS, YUM_VALUE_OPTIONS].concat(),
        };
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
            other_repository |= OTHER_REPOSITORY.contains(&name) || apt_release;
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
            return if NO_PACKAGES.contains(&verb.as_str()) {
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
