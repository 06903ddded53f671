//! Checks of knowledge data as it is read (embedded files and `dfmigrate.toml` overrides): ids,
//! globs, command rules, templates' placeholders, `[runtime.native]` package names. Errors
//! name the key.

use super::template::placeholders;
use super::{
    CommandRule, ImageRule, KnowledgeError, NativePackages, Positionals, Profile, VirtualenvLayout,
};
use crate::context::pattern::ComponentGlob;
use crate::model::packages::is_assignment;
use serde::Deserialize;

/// Reads one profile table; the id comes from its key or file name.
pub(super) fn parse_profile(
    id: &str,
    value: &toml::Value,
    key: &str,
) -> Result<Profile, KnowledgeError> {
    let mut table = value
        .as_table()
        .cloned()
        .ok_or_else(|| KnowledgeError::new(key, "must be a table"))?;
    if table.contains_key("id") {
        return Err(KnowledgeError::new(
            format!("{key}.id"),
            "the id is the table's key; remove `id`",
        ));
    }
    table.insert("id".to_owned(), toml::Value::String(id.to_owned()));
    let profile =
        Profile::deserialize(toml::Value::Table(table)).map_err(|e| KnowledgeError::new(key, e))?;
    validate_profile(&profile, key)?;
    Ok(profile)
}

pub(super) fn parse_array<T: serde::de::DeserializeOwned>(
    config: &toml::Table,
    name: &str,
) -> Result<Vec<T>, KnowledgeError> {
    let Some(value) = config.get(name) else {
        return Ok(Vec::new());
    };
    let array = value
        .as_array()
        .ok_or_else(|| KnowledgeError::new(name, "must be an array of tables ([[...]])"))?;
    array
        .iter()
        .enumerate()
        .map(|(index, item)| {
            T::deserialize(item.clone())
                .map_err(|e| KnowledgeError::new(format!("{name}[{index}]"), e))
        })
        .collect()
}

fn validate_profile(profile: &Profile, key: &str) -> Result<(), KnowledgeError> {
    if profile.id.is_empty()
        || !profile
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(KnowledgeError::new(
            key,
            "ids use letters, digits, `-` and `_`",
        ));
    }
    let files = &profile.files;
    let detect = &profile.detect;
    let globs = [
        ("files.manifests", &files.manifests),
        ("files.locks", &files.locks),
        ("files.config", &files.config),
        ("detect.all", &detect.all),
        ("detect.any", &detect.any),
        ("detect.none", &detect.none),
    ];
    for (field, list) in globs {
        list.iter()
            .try_for_each(|glob| validate_glob(glob, &format!("{key}.{field}")))?;
    }
    if detect.all.is_empty() && detect.any.is_empty() {
        return Err(KnowledgeError::new(
            format!("{key}.detect"),
            "needs `all` or `any` globs",
        ));
    }
    for (index, hook) in profile.hooks.iter().enumerate() {
        validate_glob(&hook.file, &format!("{key}.hooks[{index}].file"))?;
    }
    for (index, rule) in profile.commands.iter().enumerate() {
        validate_rule(
            rule,
            &format!("{key}.commands[{index}]"),
            profile.stubs.is_some(),
            profile.project_install.is_some(),
        )?;
    }
    if let Some(cache) = &profile.cache {
        super::cache::validate(cache, &format!("{key}.cache"))?;
    }
    if let Some(narrow) = &profile.narrow {
        let readers = [
            narrow.go.is_some(),
            narrow.cargo.is_some(),
            narrow.unknown_reads.is_some(),
        ];
        if readers.iter().filter(|given| **given).count() != 1 {
            return Err(KnowledgeError::new(
                format!("{key}.narrow"),
                "needs exactly one of `go`, `cargo` and `unknown_reads`",
            ));
        }
    }
    if let Some(runtime) = &profile.runtime {
        for (dependency, packages) in &runtime.native {
            validate_native(dependency, packages, &format!("{key}.runtime.native"))?;
        }
        if let Some(virtualenv) = &runtime.virtualenv {
            validate_virtualenv(virtualenv, &format!("{key}.runtime.virtualenv"))?;
        }
    }
    Ok(())
}

/// The virtualenv's folder is absolute, its `ENV` puts its `bin` first on `PATH`, its command
/// and installs are not empty, and `since` is a version (`3.12`).
fn validate_virtualenv(virtualenv: &VirtualenvLayout, key: &str) -> Result<(), KnowledgeError> {
    let error = |field: &str, message: &str| KnowledgeError::new(format!("{key}.{field}"), message);
    if !virtualenv.folder.starts_with('/') || virtualenv.folder.contains('$') {
        return Err(error(
            "folder",
            "must be an absolute path without variables",
        ));
    }
    if !virtualenv.replaces.starts_with('/') {
        return Err(error("replaces", "must be an absolute path"));
    }
    if virtualenv.create.trim().is_empty() || virtualenv.installs.iter().any(Vec::is_empty) {
        return Err(error(
            "create",
            "`create` and each of `installs` must not be empty",
        ));
    }
    let path = format!("PATH={}:$PATH", virtualenv.bin());
    if !virtualenv.env.contains(&path) {
        return Err(error("env", &format!("must set {path}")));
    }
    if let Some(pair) = virtualenv.env.iter().find(|pair| !is_assignment(pair)) {
        return Err(error("env", &format!("`{pair}` is not NAME=value")));
    }
    let numbers: Vec<&str> = virtualenv.since.split('.').collect();
    if numbers.len() != 2 || numbers.iter().any(|n| n.parse::<u32>().is_err()) {
        return Err(error("since", "must be MAJOR.MINOR"));
    }
    if virtualenv
        .writers
        .iter()
        .any(|writer| writer.words.is_empty())
    {
        return Err(error("writers", "each `match` names a program"));
    }
    Ok(())
}

/// Dependency names are not empty, releases are codenames (`bookworm`) and package names follow
/// Debian policy (they end up in `apt-get install` lines).
fn validate_native(
    dependency: &str,
    packages: &NativePackages,
    key: &str,
) -> Result<(), KnowledgeError> {
    if dependency.trim().is_empty() {
        return Err(KnowledgeError::new(key, "a dependency name is empty"));
    }
    let key = format!("{key}.{dependency}");
    if let NativePackages::ByRelease(table) = packages {
        if table.is_empty() {
            return Err(KnowledgeError::new(
                key,
                "needs at least one Debian release",
            ));
        }
        if let Some(release) = table
            .keys()
            .find(|r| r.is_empty() || !r.chars().all(|c| c.is_ascii_lowercase()))
        {
            return Err(KnowledgeError::new(
                key,
                format!("`{release}` is not a Debian release codename (`bookworm`)"),
            ));
        }
    }
    let valid = |name: &str| {
        name.len() >= 2
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.')
            })
    };
    match packages.names().find(|name| !valid(name)) {
        Some(name) => Err(KnowledgeError::new(
            key,
            format!("`{name}` is not a Debian package name"),
        )),
        None => Ok(()),
    }
}

/// `has_stubs`: the profile has `[stubs]`, so split templates may use `{stubs}` and
/// `{stub_paths}`; `has_project`: it has `[project_install]`, so they may use `{project}` and
/// `{command_without_project}`.
fn validate_rule(
    rule: &CommandRule,
    key: &str,
    has_stubs: bool,
    has_project: bool,
) -> Result<(), KnowledgeError> {
    if rule.words.is_empty() {
        return Err(KnowledgeError::new(
            format!("{key}.match"),
            "needs at least the program",
        ));
    }
    if let Some(split) = &rule.split {
        let templates = split.before.iter().chain(&split.replace);
        for template in templates {
            check_placeholders(template, &format!("{key}.split"), |name| {
                matches!(name, "program" | "command" | "options" | "positionals")
                    || name.starts_with("option:")
                    || (has_stubs && matches!(name, "stubs" | "stub_paths"))
                    || (has_project && matches!(name, "project" | "command_without_project"))
            })?;
        }
    }
    if rule.positionals == Positionals::Project && !has_project {
        return Err(KnowledgeError::new(
            format!("{key}.positionals"),
            "`project` needs the profile's [project_install]",
        ));
    }
    if let Some(artifacts) = &rule.artifacts {
        for path in &artifacts.paths {
            check_placeholders(path, &format!("{key}.artifacts.paths"), |name| {
                name.starts_with("toml:") || name.starts_with("json:")
            })?;
        }
    }
    Ok(())
}

pub(super) fn validate_image_rule(rule: &ImageRule, key: &str) -> Result<(), KnowledgeError> {
    let names: Vec<&str> = rule.tag.regex().capture_names().flatten().collect();
    check_placeholders(&rule.runtime, &format!("{key}.runtime"), |name| {
        name == "tag" || names.contains(&name)
    })
}

fn validate_glob(glob: &str, key: &str) -> Result<(), KnowledgeError> {
    glob.split('/')
        .try_for_each(|component| ComponentGlob::new(component).map(drop))
        .map_err(|e| KnowledgeError::new(key, e))
}

fn check_placeholders(
    template: &str,
    key: &str,
    known: impl Fn(&str) -> bool,
) -> Result<(), KnowledgeError> {
    match placeholders(template).into_iter().find(|name| !known(name)) {
        Some(name) => Err(KnowledgeError::new(
            key,
            format!("unknown placeholder `{{{name}}}` in `{template}`"),
        )),
        None => Ok(()),
    }
}
