//! The real end-to-end suite of `dfmigrate verify` (`tests/e2e/real/run.sh`): real Debian
//! bookworm toolchain images, real applications with their lock files, real HTTP servers probed
//! with `--probe`. It needs root, buildah, debootstrap and the package registries, and takes
//! minutes (the base images are cached between runs), so it runs only when
//! `DFMIGRATE_REAL_E2E` is set (as `.ci/run` does); otherwise it prints `SKIPPED …` and passes.

mod common;

use std::path::Path;
use std::process::Command;

#[test]
fn real_apps_verify_equivalent_and_broken_rewrites_differ() {
    let test = "real_apps_verify_equivalent_and_broken_rewrites_differ";
    if std::env::var_os("DFMIGRATE_REAL_E2E").is_none() {
        common::skipped(
            test,
            "set DFMIGRATE_REAL_E2E=1 to run tests/e2e/real/run.sh (root, buildah, debootstrap, registries)",
        );
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/real/run.sh");
    let output = Command::new(&script)
        .env("DFMIGRATE_BIN", env!("CARGO_BIN_EXE_dfmigrate"))
        .output()
        .expect("run tests/e2e/real/run.sh");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprint!("{stderr}");
    print!("{stdout}");
    assert!(
        output.status.success() && stdout.contains(" passed, 0 failed"),
        "tests/e2e/real/run.sh failed ({:?}):\n{stdout}\n{stderr}",
        output.status.code()
    );
}
