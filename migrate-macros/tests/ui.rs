//! Compile-time behaviour of `#[migration]` and `migrations!()`: one file per mistake in
//! `tests/ui/` (registry cases read the fixture directory of the same name), and passing
//! cases in `tests/ui/pass/`.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p migrate-macros --test
//! ui`, then review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
