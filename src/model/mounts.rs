//! `RUN --mount=…` options, read the way BuildKit reads them (`parseMount` in
//! `frontend/dockerfile/instructions/commands_runmount.go`): the value is one CSV record
//! (Go's `encoding/csv`: `"…"` quotes a field, `""` is a quote inside one), each field a
//! `key=value` pair with a case-insensitive key, `type` defaulting to `bind`.

use super::{paths, Instruction};

/// What is mounted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountType {
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
}

impl MountType {
    /// The name `type=` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            MountType::Bind => "bind",
            MountType::Cache => "cache",
            MountType::Tmpfs => "tmpfs",
            MountType::Secret => "secret",
            MountType::Ssh => "ssh",
        }
    }
}

/// One `--mount` option of a RUN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub kind: MountType,
    /// `target=`, `dst=` or `destination=`, as written (BuildKit resolves a relative one
    /// against the working directory); `None` when not given (secret and ssh mounts have
    /// defaults under `/run`).
    pub target: Option<String>,
    /// `source=` or `src=`.
    pub source: Option<String>,
    /// `from=`: the stage, image or context the source is read from.
    pub from: Option<String>,
    /// `id=`: a secret's or cache's id.
    pub id: Option<String>,
    /// `sharing=` of a cache mount (`shared`, `private`, `locked`), lower-cased.
    pub sharing: Option<String>,
}

impl Mount {
    /// Whether it is a cache mount that locks its cache for the whole RUN (`sharing=locked`).
    pub fn locks(&self) -> bool {
        self.kind == MountType::Cache && self.sharing.as_deref() == Some("locked")
    }

    /// The mount point resolved against the working directory `cwd`; `None` when there is no
    /// target, when it uses a variable, or when it is relative and `cwd` is unknown.
    pub fn resolved_target(&self, cwd: Option<&str>) -> Option<String> {
        let target = self.target.as_deref()?;
        if target.contains('$') {
            return None;
        }
        match (target.starts_with('/'), cwd) {
            (true, _) => Some(paths::normalize(target)),
            (false, Some(cwd)) => Some(paths::resolve(cwd, target)),
            (false, None) => None,
        }
    }
}

/// The `--mount` options of an instruction, each read or the reason BuildKit rejects it.
pub fn mounts(instruction: &Instruction) -> Vec<Result<Mount, String>> {
    instruction.mounts()
}

impl Instruction<'_> {
    /// The `--mount` options, each read or the reason BuildKit rejects it.
    pub fn mounts(&self) -> Vec<Result<Mount, String>> {
        self.flags()
            .into_iter()
            .filter(|flag| flag.name.eq_ignore_ascii_case("mount"))
            .map(|flag| parse(flag.value.as_deref().unwrap_or("")))
            .collect()
    }
}

/// Reads one `--mount` value.
pub fn parse(value: &str) -> Result<Mount, String> {
    let mut mount = Mount {
        kind: MountType::Bind,
        target: None,
        source: None,
        from: None,
        id: None,
        sharing: None,
    };
    for field in csv_record(value)? {
        let Some((key, value)) = field.split_once('=') else {
            match field.to_ascii_lowercase().as_str() {
                "readonly" | "ro" | "readwrite" | "rw" | "required" => continue,
                _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
            }
        };
        match key.to_ascii_lowercase().as_str() {
            "type" => {
                mount.kind = match value.to_ascii_lowercase().as_str() {
                    "bind" => MountType::Bind,
                    "cache" => MountType::Cache,
                    "tmpfs" => MountType::Tmpfs,
                    "secret" => MountType::Secret,
                    "ssh" => MountType::Ssh,
                    _ => return Err(format!("unsupported mount type {value:?}")),
                }
            }
            "target" | "dst" | "destination" => mount.target = Some(value.to_owned()),
            "source" | "src" => mount.source = Some(value.to_owned()),
            "from" => mount.from = Some(value.to_owned()),
            "id" => mount.id = Some(value.to_owned()),
            "sharing" => mount.sharing = Some(value.to_ascii_lowercase()),
            "readonly" | "ro" | "readwrite" | "rw" | "required" | "mode" | "uid" | "gid"
            | "size" | "env" => {}
            other => return Err(format!("unexpected key '{other}' in '{field}'")),
        }
    }
    Ok(mount)
}

/// One record of Go's `encoding/csv` with its defaults: fields split at `,`; a field starting
/// with `"` is quoted up to the next lone `"` (`""` stands for a quote) and must end there; a
/// quote anywhere else is an error.
fn csv_record(text: &str) -> Result<Vec<String>, String> {
    if text.is_empty() {
        return Err("empty mount".to_owned());
    }
    let mut fields = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("extraneous or missing \" in quoted-field".to_owned()),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return Err("extraneous or missing \" in quoted-field".to_owned()),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') => return Err("bare \" in non-quoted-field".to_owned()),
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mounts_like_buildkit() {
        let mount = parse("type=cache,target=/var/lib/apt/lists,sharing=locked").unwrap();
        assert_eq!(mount.kind, MountType::Cache);
        assert_eq!(mount.target.as_deref(), Some("/var/lib/apt/lists"));
        assert!(mount.locks());
        assert!(!parse("type=cache,target=/x,sharing=shared")
            .unwrap()
            .locks());
        let mount = parse("Type=TMPFS,DST=/var/lib/apt/").unwrap();
        assert_eq!(mount.kind, MountType::Tmpfs);
        assert_eq!(mount.resolved_target(None).as_deref(), Some("/var/lib/apt"));
        let mount = parse("from=builder,source=/out,destination=lists,ro").unwrap();
        assert_eq!(mount.kind, MountType::Bind);
        assert_eq!(mount.from.as_deref(), Some("builder"));
        assert_eq!(mount.resolved_target(None), None);
        assert_eq!(
            mount.resolved_target(Some("/var/lib/apt")).as_deref(),
            Some("/var/lib/apt/lists")
        );
        let mount = parse(r#""target=/a,b",type=cache,"id=x""y""#).unwrap();
        assert_eq!(mount.target.as_deref(), Some("/a,b"));
        assert!(parse("type=cache,target=/x\"y").is_err());
        assert!(parse("type=volume,target=/x").is_err());
        assert!(parse("type=cache,tragte=/x").is_err());
        assert!(parse("type=cache,/x").is_err());
        assert!(parse("").is_err());
        let mount = parse("type=secret,id=npmrc").unwrap();
        assert_eq!((mount.kind, mount.target), (MountType::Secret, None));
        assert_eq!(
            parse("type=cache,target=$HOME/.cache")
                .unwrap()
                .resolved_target(Some("/")),
            None
        );
    }
}
