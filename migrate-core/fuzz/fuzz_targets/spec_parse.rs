//! cargo-fuzz target: see `checks::spec_parse` for the properties checked.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::spec_parse(data));
