use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cargo_migrate::normalize_args(std::env::args_os());
    let cli = cargo_migrate::Cli::parse_from(&args);
    cli.db.color.apply();
    match cargo_migrate::run(&cli) {
        Ok(code) => code,
        Err(err) => {
            migrate_core::cli::output::error(&cargo_migrate::error_line(&err));
            ExitCode::FAILURE
        }
    }
}
