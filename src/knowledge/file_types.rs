//! What a file is, from its name or its first bytes: archives `ADD` unpacks, programs the kernel
//! runs by itself. The data is `transforms/file-types.toml`, embedded and parsed once.

pub use crate::context::head::{read_head, HEAD_LEN};
use serde::Deserialize;
use std::sync::OnceLock;

const FILE_TYPES: &str = include_str!("../../transforms/file-types.toml");

/// The layout of `file-types.toml`, checked when it is loaded.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTypesFile {
    archives: ArchivesFile,
    executables: Vec<MagicFile>,
    commands: CommandsFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArchivesFile {
    suffixes: Vec<String>,
    formats: Vec<String>,
    compressed: Vec<MagicFile>,
    headers: Vec<MagicFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MagicFile {
    name: String,
    magic: String,
    #[serde(default)]
    mask: Option<String>,
    #[serde(default)]
    offset: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandsFile {
    keep_content: Vec<String>,
    native_builds: Vec<Vec<String>>,
}

/// A byte signature at `offset` in a file.
#[derive(Clone, Debug)]
struct Magic {
    name: String,
    bytes: Vec<u8>,
    mask: Vec<u8>,
    offset: usize,
}

impl Magic {
    fn read(file: MagicFile, key: &str) -> Result<Magic, String> {
        let bytes = hex(&file.magic).ok_or_else(|| format!("{key}.magic: not hex"))?;
        let mask = match &file.mask {
            Some(mask) => hex(mask).ok_or_else(|| format!("{key}.mask: not hex"))?,
            None => vec![0xff; bytes.len()],
        };
        if bytes.is_empty() || mask.len() != bytes.len() {
            return Err(format!(
                "{key}: magic and mask must be non-empty and of one length"
            ));
        }
        if file.offset + bytes.len() > HEAD_LEN {
            return Err(format!("{key}: only the first {HEAD_LEN} bytes are read"));
        }
        Ok(Magic {
            name: file.name,
            bytes,
            mask,
            offset: file.offset,
        })
    }

    fn matches(&self, head: &[u8]) -> bool {
        let Some(head) = head.get(self.offset..) else {
            return false;
        };
        head.len() >= self.bytes.len()
            && self
                .bytes
                .iter()
                .zip(&self.mask)
                .zip(head)
                .all(|((byte, mask), seen)| seen & mask == *byte)
    }
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The file type knowledge.
#[derive(Clone, Debug)]
pub struct FileTypes {
    archive_suffixes: Vec<String>,
    archive_formats: Vec<String>,
    compressed: Vec<Magic>,
    headers: Vec<Magic>,
    executables: Vec<Magic>,
    keep_content: Vec<String>,
    native_builds: Vec<Vec<String>>,
}

impl FileTypes {
    /// The embedded data, parsed on first use.
    pub fn builtin() -> &'static FileTypes {
        static BUILTIN: OnceLock<FileTypes> = OnceLock::new();
        BUILTIN.get_or_init(|| match FileTypes::parse(FILE_TYPES) {
            Ok(types) => types,
            // The embedded data is checked by the test suite; failing here is a build defect.
            Err(error) => panic!("transforms/file-types.toml is invalid: {error}"),
        })
    }

    fn parse(text: &str) -> Result<FileTypes, String> {
        let file: FileTypesFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let lower = |list: Vec<String>| -> Vec<String> {
            list.into_iter().map(|s| s.to_ascii_lowercase()).collect()
        };
        let magic = |list: Vec<MagicFile>, key: &str| -> Result<Vec<Magic>, String> {
            list.into_iter()
                .enumerate()
                .map(|(index, item)| Magic::read(item, &format!("{key}[{index}]")))
                .collect()
        };
        Ok(FileTypes {
            archive_suffixes: lower(file.archives.suffixes),
            archive_formats: lower(file.archives.formats),
            compressed: magic(file.archives.compressed, "archives.compressed")?,
            headers: magic(file.archives.headers, "archives.headers")?,
            executables: magic(file.executables, "executables")?,
            keep_content: file.commands.keep_content,
            native_builds: file.commands.native_builds,
        })
    }

    /// The archive kind a file name announces (`.tar.gz`, `.gem`), compared case-insensitively;
    /// `None` for other names.
    pub fn archive_name(&self, name: &str) -> Option<&str> {
        let name = name.trim_end_matches('/').to_ascii_lowercase();
        self.archive_suffixes
            .iter()
            .chain(&self.archive_formats)
            .find(|suffix| name.ends_with(suffix.as_str()))
            .map(String::as_str)
    }

    /// What ADD may unpack, from a file's first bytes: a tar archive (`tar`) or a compressed
    /// stream that may hold one (`gzip`, …); `None` when ADD copies it as it is.
    pub fn archive_content(&self, head: &[u8]) -> Option<&str> {
        if let Some(magic) = self.compressed.iter().find(|magic| magic.matches(head)) {
            return Some(&magic.name);
        }
        if is_tar_header(head) {
            return Some("tar");
        }
        self.headers
            .iter()
            .find(|magic| magic.matches(head))
            .map(|magic| magic.name.as_str())
    }

    /// What makes a file runnable by `execve` as it stands, from its first bytes (`a #! line`,
    /// `an ELF binary`); `None` when exec form would fail with "exec format error".
    pub fn executable_content(&self, head: &[u8]) -> Option<&str> {
        self.executables
            .iter()
            .find(|magic| magic.matches(head))
            .map(|magic| magic.name.as_str())
    }

    /// Whether the program leaves the content of the files it names as it is (`chmod`).
    pub fn keeps_content(&self, program: &str) -> bool {
        let name = program.rsplit('/').next().unwrap_or(program);
        self.keep_content.iter().any(|known| known == name)
    }
}

impl FileTypes {
    /// Whether a command (its words, `VAR=value` prefixes skipped) is a compiler whose output is
    /// a native executable (`go build`, `gcc`); the program matches by file name.
    pub fn builds_native(&self, words: &[&str]) -> bool {
        let words: Vec<&str> = words
            .iter()
            .copied()
            .skip_while(|word| crate::model::packages::is_assignment(word))
            .collect();
        let Some((program, rest)) = words.split_first() else {
            return false;
        };
        let program = program.rsplit('/').next().unwrap_or(program);
        self.native_builds.iter().any(|rule| {
            rule.first().is_some_and(|name| name == program)
                && rule.len() - 1 <= rest.len()
                && rule[1..].iter().zip(rest).all(|(want, word)| want == word)
        })
    }
}

/// Whether the first 512 bytes are a tar header as Go's `archive/tar` reads one: not all zero,
/// with a checksum field (octal) equal to the unsigned or signed sum of the header bytes, the
/// field itself counted as spaces.
fn is_tar_header(head: &[u8]) -> bool {
    let Some(block) = head.get(..HEAD_LEN) else {
        return false;
    };
    if block.iter().all(|byte| *byte == 0) {
        return false;
    }
    let field = &block[148..156];
    let trimmed = trim(field, b" \0");
    let digits = trimmed
        .iter()
        .position(|byte| *byte == 0)
        .map_or(trimmed, |nul| &trimmed[..nul]);
    let Some(value) = std::str::from_utf8(digits)
        .ok()
        .filter(|text| !text.is_empty())
        .and_then(|text| i64::from_str_radix(text, 8).ok())
    else {
        return false;
    };
    let (mut unsigned, mut signed) = (0i64, 0i64);
    for (index, byte) in block.iter().enumerate() {
        let byte = if (148..156).contains(&index) {
            b' '
        } else {
            *byte
        };
        unsigned += i64::from(byte);
        signed += i64::from(byte as i8);
    }
    value == unsigned || value == signed
}

fn trim<'a>(bytes: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = bytes.iter().position(|b| !set.contains(b));
    let end = bytes.iter().rposition(|b| !set.contains(b));
    match (start, end) {
        (Some(start), Some(end)) => &bytes[start..=end],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_block(name: &str) -> Vec<u8> {
        let mut block = vec![0u8; HEAD_LEN];
        block[..name.len()].copy_from_slice(name.as_bytes());
        block[100..107].copy_from_slice(b"0000644");
        block[124..135].copy_from_slice(b"00000000000");
        block[148..156].copy_from_slice(b"        ");
        let sum: u32 = block.iter().map(|b| u32::from(*b)).sum();
        let field = format!("{sum:06o}\0 ");
        block[148..156].copy_from_slice(field.as_bytes());
        block
    }

    #[test]
    fn embedded_data_loads() {
        let types = FileTypes::builtin();
        assert_eq!(types.archive_name("app.TAR.GZ"), Some(".gz"));
        assert_eq!(types.archive_name("serde-1.0.0.crate"), Some(".crate"));
        assert_eq!(types.archive_name("vendor/rails.gem"), Some(".gem"));
        assert_eq!(types.archive_name("app.jar"), None);
        assert_eq!(types.archive_name("requirements.txt"), None);
        assert!(types.keeps_content("chmod") && types.keeps_content("/bin/chown"));
        assert!(!types.keeps_content("sed"));
        assert!(types.builds_native(&["GOAMD64=v3", "go", "build", "-o", "app"]));
        assert!(types.builds_native(&["/usr/bin/gcc", "-O2", "main.c"]));
        assert!(!types.builds_native(&["go", "test"]));
        assert!(!types.builds_native(&["cargo"]));
    }

    #[test]
    fn archives_by_content() {
        let types = FileTypes::builtin();
        assert_eq!(types.archive_content(b"\x1f\x8b\x08\0rest"), Some("gzip"));
        assert_eq!(types.archive_content(b"BZh91AY"), Some("bzip2"));
        assert_eq!(types.archive_content(b"\xfd7zXZ\0\0"), Some("xz"));
        assert_eq!(types.archive_content(b"\x28\xb5\x2f\xfd\0"), Some("zstd"));
        assert_eq!(
            types.archive_content(b"\x5a\x2a\x4d\x18\0\0\0\0"),
            Some("zstd")
        );
        assert_eq!(
            types.archive_content(b"\x1f\x8b"),
            None,
            "too short for gzip"
        );
        assert_eq!(types.archive_content(&tar_block("app/run.sh")), Some("tar"));
        // A V7 header (no ustar magic) is a tar archive for Go's reader too.
        let mut v7 = tar_block("x");
        assert_eq!(&v7[257..262], b"\0\0\0\0\0");
        assert_eq!(types.archive_content(&v7), Some("tar"));
        v7[0] = b'y';
        assert_eq!(types.archive_content(&v7), None, "bad checksum");
        let mut ustar = vec![0u8; HEAD_LEN];
        ustar[257..262].copy_from_slice(b"ustar");
        assert_eq!(
            types.archive_content(&ustar),
            Some("tar"),
            "magic, bad checksum"
        );
        assert_eq!(types.archive_content(&[0u8; HEAD_LEN]), None);
        assert_eq!(types.archive_content(b"#!/bin/sh\necho hi\n"), None);
        assert_eq!(
            types.archive_content(b"PK\x03\x04"),
            None,
            "zip is copied as is"
        );
    }

    #[test]
    fn executables_by_content() {
        let types = FileTypes::builtin();
        assert_eq!(types.executable_content(b"#!/bin/sh\n"), Some("a #! line"));
        assert_eq!(
            types.executable_content(b"\x7fELF\x02\x01"),
            Some("an ELF binary")
        );
        assert_eq!(types.executable_content(b"\xef\xbb\xbf#!/bin/sh\n"), None);
        assert_eq!(types.executable_content(b"node app.js\n"), None);
        assert_eq!(types.executable_content(b""), None);
    }

    #[test]
    fn bad_data_is_reported() {
        let text = FILE_TYPES.replace("magic = \"1f8b08\"", "magic = \"1f8\"");
        assert!(FileTypes::parse(&text)
            .unwrap_err()
            .contains("archives.compressed[0]"));
        let text = FILE_TYPES.replace("[commands]", "[commands]\nunknown = 1");
        assert!(FileTypes::parse(&text).is_err());
    }
}
