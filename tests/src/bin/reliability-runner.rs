//! The runner binary of the reliability tests (`tests/tests/reliability.rs`): the runner CLI
//! every migrations crate has (`migrate_core::cli::main`), over one of the fixture registries
//! in `tests/tests/fixtures/reliability_*`, chosen by `MIGRATE_FIXTURE`. One binary for all of
//! them keeps the tests' build to a single link.

use std::process::ExitCode;

// paths are relative to this file
mod storm {
    migrate_macros::migrations!("../../tests/fixtures/reliability_storm");
}
mod storm_cic {
    migrate_macros::migrations!("../../tests/fixtures/reliability_storm_cic");
}
mod slow {
    migrate_macros::migrations!("../../tests/fixtures/reliability_slow");
}
mod fail_third {
    migrate_macros::migrations!("../../tests/fixtures/reliability_fail_third");
}
mod panics {
    migrate_macros::migrations!("../../tests/fixtures/reliability_panics");
}
mod batch {
    migrate_macros::migrations!("../../tests/fixtures/reliability_batch");
}

fn main() -> ExitCode {
    let fixture = std::env::var("MIGRATE_FIXTURE").unwrap_or_default();
    let migrations = match fixture.as_str() {
        "storm" => &storm::MIGRATIONS,
        "storm_cic" => &storm_cic::MIGRATIONS,
        "slow" => &slow::MIGRATIONS,
        "fail_third" => &fail_third::MIGRATIONS,
        "panics" => &panics::MIGRATIONS,
        "batch" => &batch::MIGRATIONS,
        other => {
            eprintln!(
                "error: MIGRATE_FIXTURE must be storm, storm_cic, slow, fail_third, panics or batch, not `{other}`"
            );
            return ExitCode::from(2);
        }
    };
    migrate_core::cli::main(migrations)
}
