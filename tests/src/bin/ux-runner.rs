//! The runner binary of the output and signal tests (`tests/tests/output.rs`): the runner CLI
//! every migrations crate has (`migrate_core::cli::main`), over `tests/fixtures/ux_gate`
//! (three revisions, the second waits on a file the test creates when `UX_GATE_DIR` is set),
//! `ux_many` (twelve revisions: enough for a progress bar), `branches`
//! (`examples/branches`) or `forked` (`tests/fixtures/bad_inputs_forked`: a branch point),
//! chosen by `UX_FIXTURE`.

use std::process::ExitCode;

// paths are relative to this file
mod gate {
    migrate_macros::migrations!("../../tests/fixtures/ux_gate");
}
mod many {
    migrate_macros::migrations!("../../tests/fixtures/ux_many");
}
mod forked {
    migrate_macros::migrations!("../../tests/fixtures/bad_inputs_forked");
}

fn main() -> ExitCode {
    let migrations: &'static migrate_core::Migrations = match std::env::var("UX_FIXTURE").as_deref()
    {
        Ok("gate") => &gate::MIGRATIONS,
        Ok("many") => &many::MIGRATIONS,
        Ok("branches") => &branches_migrations::MIGRATIONS,
        Ok("forked") => &forked::MIGRATIONS,
        other => {
            eprintln!("error: UX_FIXTURE must be gate, many, branches or forked, not {other:?}");
            return ExitCode::from(2);
        }
    };
    migrate_core::cli::main(migrations)
}
