//! Outputs for CI review widgets: `--format github` (workflow commands that annotate the changed
//! lines of a pull request) and `--format gitlab` (a Code Quality report, a JSON array of
//! issues, for merge request widgets).

use super::FileReport;
use crate::diagnostics::Applicability;
use crate::engine::FileError;
use serde::Serialize;

/// `::warning file=PATH,line=L,endLine=E,col=C,title=dfmigrate (ID)::message` per finding (a
/// `notice` for findings without a fix) and `::error` per file error.
pub fn github_annotations(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for report in reports {
        let file = github_property(&report.path);
        for error in &report.errors {
            out.push_str(&github_error(&file, error));
        }
        for reported in &report.findings {
            let finding = &reported.finding;
            let command = match finding.applicability() {
                Applicability::DisplayOnly => "notice",
                Applicability::Safe | Applicability::Unsafe => "warning",
            };
            out.push_str(&format!(
                "::{command} file={file},line={},endLine={},col={},title={}::{}\n",
                reported.line,
                reported.end_line,
                reported.column,
                github_property(&format!("dfmigrate ({})", finding.transform)),
                github_data(&format!(
                    "{} ({})",
                    finding.message,
                    finding.applicability().as_str()
                )),
            ));
        }
    }
    out
}

fn github_error(file: &str, error: &FileError) -> String {
    let line = match error.line {
        0 => String::new(),
        line => format!(",line={line}"),
    };
    format!(
        "::error file={file}{line},title=dfmigrate::{}\n",
        github_data(&error.message)
    )
}

/// A workflow command's message, escaped as the runner reads it.
fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value, escaped as the runner reads it.
fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One issue of a GitLab Code Quality report.
#[derive(Serialize)]
struct CodeQualityIssue<'r> {
    description: String,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: CodeQualityLocation<'r>,
}

#[derive(Serialize)]
struct CodeQualityLocation<'r> {
    path: &'r str,
    lines: CodeQualityLines,
}

#[derive(Serialize)]
struct CodeQualityLines {
    begin: usize,
    end: usize,
}

/// The GitLab Code Quality report written piece by piece: a JSON array of issues.
#[derive(Debug, Default)]
pub struct GitlabStream {
    started: bool,
}

impl GitlabStream {
    /// The issues of these reports (the array's opening before the first one).
    pub fn entries(&mut self, reports: &[FileReport]) -> String {
        let mut out = String::new();
        for report in reports {
            let path = report.path.strip_prefix("./").unwrap_or(&report.path);
            for reported in &report.findings {
                let finding = &reported.finding;
                let issue = CodeQualityIssue {
                    description: format!(
                        "[{}] {} ({})",
                        finding.transform,
                        finding.message,
                        finding.applicability().as_str()
                    ),
                    check_name: finding.transform,
                    fingerprint: fingerprint(&[
                        path,
                        finding.transform,
                        &reported.line.to_string(),
                        &finding.message,
                    ]),
                    severity: match finding.applicability() {
                        Applicability::DisplayOnly => "info",
                        Applicability::Safe | Applicability::Unsafe => "minor",
                    },
                    location: CodeQualityLocation {
                        path,
                        lines: CodeQualityLines {
                            begin: reported.line,
                            end: reported.end_line,
                        },
                    },
                };
                out.push_str(if self.started { ",\n" } else { "[\n" });
                self.started = true;
                let json = serde_json::to_string_pretty(&issue).unwrap_or_default();
                out.push_str(&super::indented(&json, "  "));
            }
        }
        out
    }

    /// The end of the array (the whole, empty array when there was no issue).
    pub fn finish(self) -> String {
        if self.started {
            "\n]\n".to_owned()
        } else {
            "[]\n".to_owned()
        }
    }
}

/// A stable identifier of an issue across runs: 64-bit FNV-1a of its parts, in hex.
fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Finding;
    use crate::emit::Status;
    use crate::engine::ReportedFinding;
    use crate::syntax::TextRange;

    fn report() -> FileReport {
        let mut report = FileReport::new("./svc, a/Dockerfile".to_owned(), Status::Unchanged);
        report.findings.push(ReportedFinding {
            finding: Finding {
                transform: "apt-hygiene",
                message: "100% of lists:\nkept".to_owned(),
                range: TextRange::new(0, 3),
                fix: None,
            },
            line: 3,
            column: 1,
            end_line: 4,
            applied: false,
        });
        report
    }

    #[test]
    fn github_annotations_escape_messages_and_properties() {
        assert_eq!(
            github_annotations(&[report()]),
            "::notice file=./svc%2C a/Dockerfile,line=3,endLine=4,col=1,title=dfmigrate (apt-hygiene)::100%25 of lists:%0Akept (display-only)\n"
        );
    }

    #[test]
    fn gitlab_report_is_a_json_array_with_stable_fingerprints() {
        let mut stream = GitlabStream::default();
        let text = stream.entries(&[report()]) + &stream.finish();
        let issues: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(issues[0]["location"]["path"], "svc, a/Dockerfile");
        assert_eq!(issues[0]["severity"], "info");
        assert_eq!(issues[0]["location"]["lines"]["end"], 4);
        let again = GitlabStream::default().entries(&[report()]);
        assert!(again.contains(issues[0]["fingerprint"].as_str().unwrap()));
        assert_eq!(GitlabStream::default().finish(), "[]\n");
    }
}
