#![doc = include_str!("../../transforms/docs/copy-over-add.md")]

use super::{Applicability, Context, Edit, Finding, Fix, Transform};
use crate::model::{Dockerfile, Instruction};
use crate::syntax::InstructionKind;
use std::path::Path;

pub struct CopyOverAdd;

const ARCHIVE_SUFFIXES: &[&str] = &[
    ".tar", ".tgz", ".taz", ".tbz", ".tbz2", ".tb2", ".txz", ".tlz", ".tzst", ".gz", ".bz2", ".xz",
    ".lz", ".lzma", ".z", ".zst", ".zstd",
];
const ADD_ONLY_FLAGS: &[&str] = &["checksum", "keep-git-dir", "unpack"];

/// What is known about one ADD source.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    /// A local path that is not an archive.
    Plain,
    /// A glob or variable whose matches are unknown.
    Unknown,
    /// A URL, git source or archive: ADD does something COPY cannot.
    NeedsAdd,
}

impl Transform for CopyOverAdd {
    fn id(&self) -> &'static str {
        "copy-over-add"
    }
    fn summary(&self) -> &'static str {
        "ADD of local files and folders becomes COPY"
    }
    fn documentation(&self) -> &'static str {
        include_str!("../../transforms/docs/copy-over-add.md")
    }
    fn max_applicability(&self) -> Applicability {
        Applicability::Safe
    }

    fn run(&self, file: &Dockerfile, context: &Context, out: &mut Vec<Finding>) {
        for instruction in file.of_kind(InstructionKind::Add) {
            if let Some(finding) = self.check(instruction, context) {
                out.push(finding);
            }
        }
    }
}

impl CopyOverAdd {
    fn check(&self, instruction: &Instruction, context: &Context) -> Option<Finding> {
        if instruction
            .flags()
            .iter()
            .any(|flag| ADD_ONLY_FLAGS.contains(&flag.name.to_ascii_lowercase().as_str()))
        {
            return None;
        }
        let worst = if instruction.heredoc_count() > 0 {
            Source::Plain
        } else {
            let args = instruction.copy_args()?;
            args.sources
                .iter()
                .map(|source| classify(&source.value, context.build_context))
                .max()?
        };
        let applicability = match worst {
            Source::Plain => Applicability::Safe,
            Source::Unknown => Applicability::Unsafe,
            Source::NeedsAdd => return None,
        };
        let keyword = instruction.keyword();
        let edit = Edit::replace(keyword.range, copy_keyword(&keyword.value));
        let message = match applicability {
            Applicability::Safe => "ADD of local files: use COPY, which does not unpack archives or fetch URLs".to_owned(),
            _ => "ADD of a glob or variable: use COPY unless it may match a tar archive ADD would unpack".to_owned(),
        };
        Some(Finding {
            transform: self.id(),
            message,
            range: instruction.range(),
            fix: Some(Fix::new(applicability, vec![edit])),
        })
    }
}

/// `COPY` in the case `ADD` was written in.
fn copy_keyword(add: &str) -> &'static str {
    if add.chars().all(|c| c.is_ascii_lowercase()) {
        "copy"
    } else if add.chars().all(|c| c.is_ascii_uppercase()) {
        "COPY"
    } else {
        "Copy"
    }
}

fn classify(source: &str, build_context: Option<&Path>) -> Source {
    let source = source.trim_matches('"');
    let lower = source.to_ascii_lowercase();
    let remote = lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("git@")
        || lower.starts_with("git://")
        || lower.contains(".git#")
        || lower.ends_with(".git");
    if remote || is_archive_name(&lower) {
        return Source::NeedsAdd;
    }
    if source.contains('$') {
        return Source::Unknown;
    }
    if source.contains(['*', '?', '[']) {
        return match build_context {
            Some(root) => glob_matches_archive(root, source).unwrap_or(Source::Unknown),
            None => Source::Unknown,
        };
    }
    match build_context {
        Some(root) if looks_like_archive(&root.join(source.trim_start_matches('/'))) => {
            Source::NeedsAdd
        }
        _ => Source::Plain,
    }
}

/// A file whose first bytes are those of a tar archive or of a compression format ADD unpacks.
fn looks_like_archive(path: &Path) -> bool {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut header = [0u8; 262];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
    }
    let header = &header[..read];
    const MAGIC: [&[u8]; 4] = [b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd"];
    MAGIC.iter().any(|magic| header.starts_with(magic)) || header.get(257..262) == Some(b"ustar")
}

fn is_archive_name(lower: &str) -> bool {
    let name = lower.trim_end_matches('/');
    ARCHIVE_SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
}

/// Matches a glob source against the build context (Docker's rules: `*` stays within one path
/// component); `None` when the pattern or the context cannot be read.
fn glob_matches_archive(root: &Path, pattern: &str) -> Option<Source> {
    let pattern = pattern.trim_start_matches("./").trim_start_matches('/');
    let matcher = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .ok()?
        .compile_matcher();
    let depth = (!pattern.contains("**")).then(|| pattern.split('/').count());
    let walker = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .max_depth(depth)
        .build();
    for entry in walker {
        let entry = entry.ok()?;
        let Ok(relative) = entry.path().strip_prefix(root) else {
            continue;
        };
        if !matcher.is_match(relative) {
            continue;
        }
        let is_file = entry.file_type().is_some_and(|t| !t.is_dir());
        let archive = is_archive_name(&relative.to_string_lossy().to_ascii_lowercase())
            || looks_like_archive(entry.path());
        if is_file && archive {
            return Some(Source::NeedsAdd);
        }
    }
    Some(Source::Plain)
}
