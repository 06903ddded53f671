//! Embeds every ecosystem profile of `transforms/ecosystems/` in the binary: writes
//! `$OUT_DIR/ecosystems.rs`, a table of `(id, include_str!(file))` sorted by id, so adding a
//! profile is adding its file.

use std::fs;
use std::path::Path;

const ECOSYSTEMS_DIR: &str = "transforms/ecosystems";

fn main() {
    println!("cargo:rerun-if-changed={ECOSYSTEMS_DIR}");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let folder = Path::new(&manifest_dir).join(ECOSYSTEMS_DIR);
    let table = ecosystem_table(&folder);
    fs::write(Path::new(&out_dir).join("ecosystems.rs"), table).expect("write ecosystems.rs");
}

/// The Rust source of the table: one `(id, include_str!(absolute path))` row per `<id>.toml`.
fn ecosystem_table(folder: &Path) -> String {
    let mut files: Vec<(String, String)> = fs::read_dir(folder)
        .expect("read transforms/ecosystems")
        .map(|entry| entry.expect("read transforms/ecosystems").path())
        .filter_map(|path| {
            let id = path
                .file_name()?
                .to_str()?
                .strip_suffix(".toml")?
                .to_owned();
            Some((id, path.to_str()?.to_owned()))
        })
        .collect();
    files.sort();
    let rows: String = files
        .iter()
        .map(|(id, path)| format!("    ({id:?}, include_str!({path:?})),\n"))
        .collect();
    format!("&[\n{rows}]\n")
}
