//! `cargo migrate completions SHELL` (clap_complete) and `cargo migrate man` (clap_mangen):
//! both generated from [`crate::Cli`], so they list exactly the commands and options that
//! parse, and print to stdout.
//!
//! The scripts complete the `cargo-migrate` binary. Typed as `cargo migrate …`:
//! - zsh: cargo's own zsh completion calls `_cargo-<subcommand>` for a subcommand it does not
//!   know, which is the function the zsh script defines;
//! - bash: cargo's bash completion has no such hook, so the bash script ends with a small
//!   dispatcher registered for `cargo`: `cargo migrate …` goes to our function, anything
//!   else to the completion `cargo` had before (loaded first through bash-completion's
//!   loader when it is installed but not loaded yet).

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, CommandFactory as _};
use clap_complete::Shell;

/// The binary name the scripts complete.
const BIN: &str = "cargo-migrate";

/// `completions` options.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The bash dispatcher appended to the bash script (see the module docs).
const BASH_CARGO_HOOK: &str = r#"
# `cargo migrate …`: cargo's bash completion has no hook for subcommands, so `cargo` is
# completed here: `cargo migrate …` by the function above, anything else by the completion
# `cargo` had (loaded first through bash-completion's loader when it is not loaded yet).
if ! complete -p cargo >/dev/null 2>&1 && declare -F _completion_loader >/dev/null 2>&1; then
    _completion_loader cargo >/dev/null 2>&1
fi
__cargo_migrate_cargo_fn="$(complete -p cargo 2>/dev/null | sed -n 's/.*-F \([^ ]*\).*/\1/p')"
if [[ "$__cargo_migrate_cargo_fn" == _cargo_migrate_dispatch ]]; then
    __cargo_migrate_cargo_fn="" # sourced twice
fi
_cargo_migrate_dispatch() {
    if [[ "${COMP_WORDS[1]}" == migrate ]]; then
        _cargo__migrate "$@"
    elif [[ -n "$__cargo_migrate_cargo_fn" ]]; then
        "$__cargo_migrate_cargo_fn" "$@"
    fi
}
complete -F _cargo_migrate_dispatch -o nosort -o bashdefault -o default cargo
"#;

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut cmd = crate::Cli::command().name(BIN).bin_name(BIN);
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN, &mut out);
    if shell == Shell::Bash {
        // clap_complete 4.6 names a subcommand's case from its bin name with every `-`
        // turned into a subcommand separator (`cargo__subcmd__migrate__subcmd__history`),
        // where the dispatch loop spells the binary `cargo__migrate`: no option of a
        // subcommand would complete. One spelling for both.
        let text = String::from_utf8_lossy(&out).replace(
            "cargo__subcmd__migrate__subcmd__",
            "cargo__migrate__subcmd__",
        );
        out = text.into_bytes();
        out.extend_from_slice(BASH_CARGO_HOOK.as_bytes());
    }
    out
}

/// The man page (roff), `cargo-migrate(1)`.
///
/// # Errors
/// Writing the roff text fails (cannot happen on a `Vec`).
pub fn man_page() -> anyhow::Result<Vec<u8>> {
    let cmd = crate::Cli::command().name(BIN);
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .context("cannot render the man page")?;
    Ok(out)
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to stdout")
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

pub(crate) fn run_completions(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    write_stdout(&script(args.shell))
}

pub(crate) fn run_man() -> anyhow::Result<ExitCode> {
    write_stdout(&man_page()?)
}
