//! The runner binary the bad-input tests (`tests/bad_inputs.rs`) drive: exactly what a
//! migrations crate's `src/main.rs` is (`migrate_core::cli::main`), over the registry named by
//! `BAD_INPUTS_REGISTRY`: `blog` (default, `examples/blog`), `branches`
//! (`examples/branches`: a merge point) or `forked` (`tests/fixtures/bad_inputs_forked`: two
//! labeled heads, an ambiguous prefix, a revision that can be made slow).

mod forked {
    migrate_macros::migrations!("../../tests/fixtures/bad_inputs_forked");
}

fn main() -> std::process::ExitCode {
    let migrations: &'static migrate_core::Migrations =
        match std::env::var("BAD_INPUTS_REGISTRY").as_deref() {
            Ok("branches") => &branches_migrations::MIGRATIONS,
            Ok("forked") => &forked::MIGRATIONS,
            _ => &blog_migrations::MIGRATIONS,
        };
    migrate_core::cli::main(migrations)
}
