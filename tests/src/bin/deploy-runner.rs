//! The blog example's runner binary, built inside this package so the deploy-recipe test
//! (`tests/tests/deploy.rs`) can run it: the same `main` as `examples/blog/src/main.rs`, which
//! the Dockerfile in `examples/deploy/` builds in release mode as the image's entrypoint.

fn main() -> std::process::ExitCode {
    migrate_core::cli::main(&blog_migrations::MIGRATIONS)
}
