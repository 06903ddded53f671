//! The `dfmigrate` binary: everything lives in the library; see `cli`.

/// mimalloc: the parser and engine allocate many small objects per file; it is about a third
/// faster than the system allocator on the corpus benchmark (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(dfmigrate::cli::main());
}
