//! An image's configuration as engines report it, and the comparison of two of them.
//!
//! Both Docker's `docker image inspect` (`Config`) and buildah's `buildah inspect` (`Docker.config`
//! or `OCIv1.config`) use the same PascalCase field names, so one type reads all of them.

use crate::model::shell;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The parts of an image configuration that define what a container does.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageConfig {
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub env: Option<Vec<String>>,
    pub working_dir: Option<String>,
    pub exposed_ports: Option<BTreeMap<String, Value>>,
    pub volumes: Option<BTreeMap<String, Value>>,
    pub labels: Option<BTreeMap<String, String>>,
    pub stop_signal: Option<String>,
    pub healthcheck: Option<Value>,
    pub user: Option<String>,
}

/// What an engine knows about a built image.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageInfo {
    pub config: ImageConfig,
    /// Uncompressed size of its layers, in bytes.
    pub size: u64,
}

/// A configuration field that is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Entrypoint,
    Cmd,
    Env,
    WorkingDir,
    ExposedPorts,
    Volumes,
    Labels,
    StopSignal,
    Healthcheck,
    User,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Entrypoint => "ENTRYPOINT",
            Field::Cmd => "CMD",
            Field::Env => "ENV",
            Field::WorkingDir => "WORKDIR",
            Field::ExposedPorts => "EXPOSE",
            Field::Volumes => "VOLUME",
            Field::Labels => "LABEL",
            Field::StopSignal => "STOPSIGNAL",
            Field::Healthcheck => "HEALTHCHECK",
            Field::User => "USER",
        })
    }
}

/// One field that differs, with both values as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigChange {
    pub field: Field,
    /// For ENV and LABEL: the variable or label name.
    pub key: Option<String>,
    pub before: String,
    pub after: String,
}

impl fmt::Display for ConfigChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(key) => write!(f, "{} {key}: {} → {}", self.field, self.before, self.after),
            None => write!(f, "{}: {} → {}", self.field, self.before, self.after),
        }
    }
}

/// The result of comparing two configurations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigComparison {
    pub changes: Vec<ConfigChange>,
    /// Equal after reading shell form as exec form, e.g. `CMD: shell form → exec form`.
    pub notes: Vec<String>,
}

/// Compares every field of two configurations.
pub fn compare(before: &ImageConfig, after: &ImageConfig) -> ConfigComparison {
    let mut out = ConfigComparison::default();
    compare_command(
        Field::Entrypoint,
        &before.entrypoint,
        &after.entrypoint,
        &mut out,
    );
    compare_command(Field::Cmd, &before.cmd, &after.cmd, &mut out);
    compare_keyed(Field::Env, &env_map(before), &env_map(after), &mut out);
    compare_text(
        Field::WorkingDir,
        before.working_dir.as_deref(),
        after.working_dir.as_deref(),
        &mut out,
    );
    compare_set(
        Field::ExposedPorts,
        &before.exposed_ports,
        &after.exposed_ports,
        &mut out,
    );
    compare_set(Field::Volumes, &before.volumes, &after.volumes, &mut out);
    let no_labels = BTreeMap::new();
    compare_keyed(
        Field::Labels,
        before.labels.as_ref().unwrap_or(&no_labels),
        after.labels.as_ref().unwrap_or(&no_labels),
        &mut out,
    );
    compare_text(
        Field::StopSignal,
        before.stop_signal.as_deref(),
        after.stop_signal.as_deref(),
        &mut out,
    );
    compare_text(
        Field::Healthcheck,
        healthcheck_text(before).as_deref(),
        healthcheck_text(after).as_deref(),
        &mut out,
    );
    compare_text(
        Field::User,
        before.user.as_deref(),
        after.user.as_deref(),
        &mut out,
    );
    out
}

/// ENTRYPOINT/CMD: equal as given, or equal once a plain shell-form command is read as the exec
/// form it is equivalent to (what the `exec-form` transform does).
fn compare_command(
    field: Field,
    before: &Option<Vec<String>>,
    after: &Option<Vec<String>>,
    out: &mut ConfigComparison,
) {
    let before = before.clone().unwrap_or_default();
    let after = after.clone().unwrap_or_default();
    if before == after {
        return;
    }
    if as_exec_form(&before) == as_exec_form(&after) {
        out.notes.push(format!(
            "{field}: {} → {} (same command)",
            form_name(&before),
            form_name(&after)
        ));
        return;
    }
    out.changes.push(ConfigChange {
        field,
        key: None,
        before: json_list(&before),
        after: json_list(&after),
    });
}

/// `["/bin/sh", "-c", "node app.js"]` → `["node", "app.js"]` when the script is one plain
/// command; anything else unchanged.
pub fn as_exec_form(command: &[String]) -> Vec<String> {
    if let [shell, flag, script] = command {
        if shell == "/bin/sh" && flag == "-c" {
            let lexed = shell::lex(script);
            if lexed.is_plain_command() {
                if let Some(first) = lexed.commands.first() {
                    return first.words.iter().map(|word| word.value.clone()).collect();
                }
            }
        }
    }
    command.to_vec()
}

fn form_name(command: &[String]) -> &'static str {
    if as_exec_form(command) == command {
        "exec form"
    } else {
        "shell form"
    }
}

/// A command as a JSON array, the way a Dockerfile writes its exec form.
pub fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_default()
}

/// ENV as a map from name to value (the last definition of a name wins, as in Docker).
pub fn env_map(config: &ImageConfig) -> BTreeMap<String, String> {
    config
        .env
        .iter()
        .flatten()
        .map(|entry| match entry.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => (entry.clone(), String::new()),
        })
        .collect()
}

fn compare_keyed(
    field: Field,
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    out: &mut ConfigComparison,
) {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let (old, new) = (before.get(key), after.get(key));
        if old != new {
            out.changes.push(ConfigChange {
                field,
                key: Some(key.clone()),
                before: shown(old.map(String::as_str)),
                after: shown(new.map(String::as_str)),
            });
        }
    }
}

fn compare_set(
    field: Field,
    before: &Option<BTreeMap<String, Value>>,
    after: &Option<BTreeMap<String, Value>>,
    out: &mut ConfigComparison,
) {
    let names = |map: &Option<BTreeMap<String, Value>>| -> Vec<String> {
        map.iter().flat_map(|map| map.keys().cloned()).collect()
    };
    let (before, after) = (names(before), names(after));
    if before != after {
        out.changes.push(ConfigChange {
            field,
            key: None,
            before: set_text(&before),
            after: set_text(&after),
        });
    }
}

fn set_text(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(" ")
    }
}

fn compare_text(
    field: Field,
    before: Option<&str>,
    after: Option<&str>,
    out: &mut ConfigComparison,
) {
    let (before, after) = (before.unwrap_or_default(), after.unwrap_or_default());
    if before != after {
        out.changes.push(ConfigChange {
            field,
            key: None,
            before: shown(Some(before)),
            after: shown(Some(after)),
        });
    }
}

fn healthcheck_text(config: &ImageConfig) -> Option<String> {
    config
        .healthcheck
        .as_ref()
        .filter(|value| !value.is_null())
        .map(Value::to_string)
}

/// A value for messages: `(unset)` for nothing or the empty string.
fn shown(value: Option<&str>) -> String {
    match value {
        None | Some("") => "(unset)".to_owned(),
        Some(value) => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn reads_docker_style_config() {
        let config: ImageConfig = serde_json::from_str(
            r#"{"Env":["PATH=/bin","A=1"],"Cmd":["node","app.js"],"Entrypoint":null,
                "ExposedPorts":{"3000/tcp":{}},"WorkingDir":"/app","Labels":null,
                "Healthcheck":{"Test":["CMD-SHELL","true"]},"User":"node","Hostname":"x"}"#,
        )
        .unwrap();
        assert_eq!(config.cmd, Some(strings(&["node", "app.js"])));
        assert_eq!(config.entrypoint, None);
        assert_eq!(config.working_dir.as_deref(), Some("/app"));
        assert_eq!(env_map(&config)["A"], "1");
        assert_eq!(config.user.as_deref(), Some("node"));
    }

    #[test]
    fn shell_form_equals_its_exec_form() {
        let before = ImageConfig {
            cmd: Some(strings(&["/bin/sh", "-c", "node app.js"])),
            ..ImageConfig::default()
        };
        let after = ImageConfig {
            cmd: Some(strings(&["node", "app.js"])),
            ..ImageConfig::default()
        };
        let comparison = compare(&before, &after);
        assert!(comparison.changes.is_empty());
        assert_eq!(
            comparison.notes,
            ["CMD: shell form → exec form (same command)"]
        );
    }

    #[test]
    fn shell_features_keep_shell_form_distinct() {
        let command = strings(&["/bin/sh", "-c", "node $APP"]);
        assert_eq!(as_exec_form(&command), command);
    }

    #[test]
    fn reports_each_changed_field() {
        let before = ImageConfig {
            cmd: Some(strings(&["node", "app.js"])),
            env: Some(strings(&["A=1", "B=2"])),
            exposed_ports: Some(BTreeMap::from([("80/tcp".to_owned(), Value::Null)])),
            ..ImageConfig::default()
        };
        let after = ImageConfig {
            cmd: Some(strings(&["node", "server.js"])),
            env: Some(strings(&["A=1"])),
            ..ImageConfig::default()
        };
        let text: Vec<String> = compare(&before, &after)
            .changes
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            [
                r#"CMD: ["node","app.js"] → ["node","server.js"]"#,
                "ENV B: 2 → (unset)",
                "EXPOSE: 80/tcp → (none)",
            ]
        );
    }

    #[test]
    fn empty_and_missing_are_the_same() {
        let before = ImageConfig {
            entrypoint: Some(Vec::new()),
            labels: Some(BTreeMap::new()),
            healthcheck: Some(Value::Null),
            ..ImageConfig::default()
        };
        assert_eq!(
            compare(&before, &ImageConfig::default()),
            ConfigComparison::default()
        );
    }
}
