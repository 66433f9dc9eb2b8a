//! The runner binary of the `cargo migrate test` end-to-end tests (`tests/stairway.rs`):
//! `migrate_core::cli::main` over `tests/fixtures/stairway_leaky` (a downgrade that leaves a
//! column behind, a downgrade that fails, an irreversible revision), or over the blog example
//! when `STAIRWAY_REGISTRY=blog`.

mod leaky {
    migrate_macros::migrations!("../../tests/fixtures/stairway_leaky");
}

fn main() -> std::process::ExitCode {
    let migrations: &'static migrate_core::Migrations =
        match std::env::var("STAIRWAY_REGISTRY").as_deref() {
            Ok("blog") => &blog_migrations::MIGRATIONS,
            _ => &leaky::MIGRATIONS,
        };
    migrate_core::cli::main(migrations)
}
