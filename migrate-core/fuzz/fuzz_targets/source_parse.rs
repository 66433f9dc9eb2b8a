//! cargo-fuzz target: see `checks::source_parse` for the properties checked.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::source_parse(data));
