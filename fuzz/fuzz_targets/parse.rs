//! Fuzzes `dfmigrate::syntax::parse` with the invariants of `tests/syntax_properties.rs`: no panic,
//! print(parse(x)) == x, contiguous tokens on char boundaries, node ranges spanning their
//! children, line numbers within the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/syntax_support/mod.rs"]
mod syntax_support;

fuzz_target!(|data: &[u8]| {
    match std::str::from_utf8(data) {
        Ok(text) => syntax_support::check_invariants(text),
        Err(_) => syntax_support::check_invariants(&String::from_utf8_lossy(data)),
    }
});
