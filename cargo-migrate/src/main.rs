use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cargo_migrate::normalize_args(std::env::args_os());
    let cli = cargo_migrate::Cli::parse_from(&args);
    match cargo_migrate::run(&cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", cargo_migrate::error_line(&err));
            ExitCode::FAILURE
        }
    }
}
