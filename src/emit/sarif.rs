//! `--format sarif`: one SARIF 2.1.0 log with a rule per transform (its summary and its
//! documentation as help), a result per finding with its precise region, and each fix as
//! `fixes[].artifactChanges[].replacements`, so code scanning tools show and apply them.
//!
//! Columns count Unicode code points (`columnKind: unicodeCodePoints`), 1-based, the end column
//! one past the last character, as SARIF defines regions. A file's results are computed inside
//! the worker that read it (they need its text), then streamed like the JSON document.

use super::FileReport;
use crate::diagnostics::{Applicability, Edit, Fix};
use crate::engine::ReportedFinding;
use crate::syntax::TextRange;
use serde::Serialize;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// What SARIF says of a transform.
#[derive(Clone, Copy, Debug)]
pub struct SarifRule {
    pub id: &'static str,
    pub summary: &'static str,
    pub documentation: &'static str,
}

/// One result of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
    properties: ResultProperties,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct Message {
    text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Message,
    artifact_changes: Vec<ArtifactChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    #[serde(skip_serializing_if = "Option::is_none")]
    inserted_content: Option<Content>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct Content {
    text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct ResultProperties {
    applicability: &'static str,
}

/// Line and column of byte offsets in one text.
struct Positions<'t> {
    text: &'t str,
    line_starts: Vec<usize>,
}

impl<'t> Positions<'t> {
    fn new(text: &'t str) -> Positions<'t> {
        let breaks = text.match_indices('\n').map(|(at, _)| at + 1);
        Positions {
            text,
            line_starts: std::iter::once(0).chain(breaks).collect(),
        }
    }

    /// 1-based line and code-point column of a byte offset.
    fn at(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (line, column + 1)
    }

    fn region(&self, range: TextRange) -> Region {
        let (start_line, start_column) = self.at(range.start);
        let (end_line, end_column) = self.at(range.end);
        Region {
            start_line,
            start_column,
            end_line,
            end_column,
        }
    }
}

/// The results of one file, from its original text and its findings.
pub fn sarif_results(
    path: &str,
    text: &str,
    findings: &[ReportedFinding],
    rules: &[SarifRule],
) -> Vec<SarifResult> {
    let positions = Positions::new(text);
    let uri = file_uri(path);
    findings
        .iter()
        .map(|reported| {
            let finding = &reported.finding;
            let rule_index = rules
                .iter()
                .position(|rule| rule.id == finding.transform)
                .unwrap_or(0);
            SarifResult {
                rule_id: finding.transform,
                rule_index,
                level: level(finding.applicability()),
                message: Message {
                    text: sentence(&finding.message),
                },
                locations: vec![Location {
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation { uri: uri.clone() },
                        region: positions.region(finding.range),
                    },
                }],
                // A fix that only changes files beside the Dockerfile is described by the
                // message: a SARIF fix replaces regions of the artifact the result is in.
                fixes: finding
                    .fix
                    .iter()
                    .filter(|fix| !fix.edits.is_empty())
                    .map(|fix| sarif_fix(fix, finding.transform, &uri, &positions))
                    .collect(),
                properties: ResultProperties {
                    applicability: finding.applicability().as_str(),
                },
            }
        })
        .collect()
}

fn sarif_fix(fix: &Fix, transform: &str, uri: &str, positions: &Positions) -> SarifFix {
    let kind = match fix.applicability {
        Applicability::Safe => "safe",
        _ => "unsafe: review it before applying",
    };
    SarifFix {
        description: Message {
            text: format!("Apply the {transform} fix ({kind})."),
        },
        artifact_changes: vec![ArtifactChange {
            artifact_location: ArtifactLocation {
                uri: uri.to_owned(),
            },
            replacements: fix
                .edits
                .iter()
                .map(|edit| replacement(edit, positions))
                .collect(),
        }],
    }
}

fn replacement(edit: &Edit, positions: &Positions) -> Replacement {
    Replacement {
        deleted_region: positions.region(edit.range()),
        inserted_content: (!edit.content.is_empty()).then(|| Content {
            text: edit.content.clone(),
        }),
    }
}

/// Fixable findings are warnings; the others, which only inform, are notes.
fn level(applicability: Applicability) -> &'static str {
    match applicability {
        Applicability::DisplayOnly => "note",
        Applicability::Safe | Applicability::Unsafe => "warning",
    }
}

/// The message as a sentence: SARIF messages end with a period.
fn sentence(message: &str) -> String {
    let trimmed = message.trim_end();
    if trimmed.ends_with(['.', '!', '?']) {
        trimmed.to_owned()
    } else {
        format!("{trimmed}.")
    }
}

/// A relative URI reference for a path as shown to the user (`./` dropped, reserved and
/// non-ASCII bytes percent-encoded).
fn file_uri(path: &str) -> String {
    let path = path.strip_prefix("./").unwrap_or(path);
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(byte as char)
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri
}

/// The SARIF log written piece by piece: the run's tool and rules, then each chunk's results.
#[derive(Debug)]
pub struct SarifStream {
    rules: Vec<SarifRule>,
    started: bool,
}

impl SarifStream {
    pub fn new(rules: Vec<SarifRule>) -> SarifStream {
        SarifStream {
            rules,
            started: false,
        }
    }

    /// The results of these reports (the log's opening before the first one).
    pub fn entries(&mut self, reports: &[FileReport]) -> String {
        let mut out = String::new();
        for result in reports.iter().flat_map(|report| &report.sarif_results) {
            out.push_str(if self.started { ",\n" } else { "" });
            if !self.started {
                out.push_str(&self.opening());
                self.started = true;
            }
            out.push_str(&super::indented(&to_json(result), "        "));
        }
        out
    }

    /// The end of the log (the whole log when there was no result).
    pub fn finish(self) -> String {
        let opening = if self.started {
            "\n".to_owned()
        } else {
            self.opening()
        };
        format!("{opening}      ]\n    }}\n  ]\n}}\n")
    }

    fn opening(&self) -> String {
        let rules: Vec<serde_json::Value> = self.rules.iter().map(rule_json).collect();
        let tool = serde_json::json!({
            "driver": {
                "name": "dfmigrate",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }
        });
        format!(
            "{{\n  \"$schema\": \"{SCHEMA}\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {{\n      \"tool\": {},\n      \"columnKind\": \"unicodeCodePoints\",\n      \"results\": [\n",
            super::indented(&to_json(&tool), "      ").trim_start()
        )
    }
}

/// A rule: its id, a friendly name where one differs from the id by more than case
/// (`ExecForm`), its summary and its documentation as help.
fn rule_json(rule: &SarifRule) -> serde_json::Value {
    let mut json = serde_json::json!({
        "id": rule.id,
        "shortDescription": { "text": sentence(rule.summary) },
        "fullDescription": { "text": sentence(rule.summary) },
        "help": { "text": rule.documentation, "markdown": rule.documentation },
    });
    let name = pascal_case(rule.id);
    if !name.eq_ignore_ascii_case(rule.id) {
        json["name"] = serde_json::Value::String(name);
    }
    json
}

/// `exec-form` → `ExecForm`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Finding;

    #[test]
    fn regions_count_code_points_and_end_one_past_the_last_character() {
        let positions = Positions::new("FROM x\nRUN é b\n");
        let b = "FROM x\nRUN é ".len();
        assert_eq!(positions.at(b), (2, 7));
        assert_eq!(
            positions.region(TextRange::new(7, 16)),
            Region {
                start_line: 2,
                start_column: 1,
                end_line: 3,
                end_column: 1
            }
        );
    }

    #[test]
    fn fixes_become_replacements_and_messages_sentences() {
        let text = "FROM x\nCMD node a.js\n";
        let finding = Finding {
            transform: "exec-form",
            message: "exec form".to_owned(),
            range: TextRange::new(7, 20),
            fix: Some(Fix::safe(vec![Edit::replace(
                TextRange::new(11, 20),
                "[\"node\", \"a.js\"]",
            )])),
        };
        let reported = ReportedFinding {
            finding,
            line: 2,
            column: 1,
            end_line: 2,
            applied: false,
        };
        let rules = [SarifRule {
            id: "exec-form",
            summary: "s",
            documentation: "d",
        }];
        let results = sarif_results("./a b/Dockerfile", text, &[reported], &rules);
        let json = to_json(&results[0]);
        assert!(json.contains("\"uri\": \"a%20b/Dockerfile\""), "{json}");
        assert!(json.contains("\"text\": \"exec form.\""), "{json}");
        assert!(json.contains("\"startColumn\": 5"), "{json}");
        assert!(
            json.contains("\"text\": \"[\\\"node\\\", \\\"a.js\\\"]\""),
            "{json}"
        );
        assert_eq!(pascal_case("non-root-user"), "NonRootUser");
    }
}
