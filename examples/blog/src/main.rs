//! The runner behind `cargo migrate` for this crate.
fn main() -> std::process::ExitCode {
    migrate_core::cli::main(&blog_migrations::MIGRATIONS)
}
