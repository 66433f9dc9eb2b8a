//! `cargo migrate completions SHELL` and `cargo migrate man`: the scripts load in the real
//! shells and complete our commands, the man page renders with groff. The shells and groff
//! must be installed (`.ci/run` installs bash, zsh, fish and groff): a missing one fails the
//! test rather than skipping it.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Runs `program args…`, which must exist; returns (success, stdout, stderr).
#[track_caller]
fn run(program: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{program}` ({e}); install it (.ci/run does: apt-get install {program})"
            )
        });
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The script for `shell`, written to a file in `dir`.
fn script(dir: &Path, shell: &str) -> std::path::PathBuf {
    let run = cm(dir, &["migrate", "completions", shell]).ok();
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let path = dir.join(format!("cargo-migrate.{shell}"));
    std::fs::write(&path, &run.stdout).unwrap();
    path
}

/// What bash completes for the command line `words` (the cursor on the last word), with the
/// script sourced: through the function registered for `words[0]`, as bash calls it.
fn bash_complete(script: &Path, words: &[&str]) -> Vec<String> {
    let array: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let code = format!(
        "set -e; source '{}'; COMP_WORDS=({}); COMP_CWORD={}; \
         fn=$(complete -p {} | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p'); \
         \"$fn\" '{}' '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        array.join(" "),
        words.len() - 1,
        words[0],
        words[0],
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let (ok, out, err) = run("bash", &["--norc", "--noprofile", "-c", &code]);
    assert!(ok && err.is_empty(), "bash failed for {words:?}: {err}");
    out.lines().map(str::to_owned).collect()
}

#[test]
fn bash_completion_sources_and_completes_commands_and_options() {
    let tmp = tempfile::tempdir().unwrap();
    let script = script(tmp.path(), "bash");
    let text = read(&script);
    for cmd in [
        "upgrade",
        "downgrade",
        "history",
        "completions",
        "man",
        "revision",
    ] {
        assert!(
            text.contains(cmd),
            "the bash script does not mention `{cmd}`"
        );
    }

    // `cargo-migrate up<TAB>`
    assert_eq!(
        bash_complete(&script, &["cargo-migrate", "up"]),
        ["upgrade"]
    );
    // `cargo migrate up<TAB>`: through the dispatcher registered for `cargo`
    assert_eq!(
        bash_complete(&script, &["cargo", "migrate", "up"]),
        ["upgrade"]
    );
    // a subcommand's options (clap_complete's spelling of `cargo-migrate` fixed up)
    assert_eq!(
        bash_complete(&script, &["cargo", "migrate", "history", "--rev"]),
        ["--rev-range"]
    );
    assert_eq!(
        bash_complete(&script, &["cargo-migrate", "upgrade", "--sq"]),
        ["--sql"]
    );
    let shells = bash_complete(&script, &["cargo", "migrate", "completions", ""]);
    for s in ["bash", "zsh", "fish", "powershell", "elvish"] {
        assert!(shells.contains(&s.to_owned()), "{shells:?}");
    }
}

#[test]
fn bash_keeps_cargos_own_completion_for_other_subcommands() {
    let tmp = tempfile::tempdir().unwrap();
    let script = script(tmp.path(), "bash");
    // a stand-in for cargo's completion, registered before ours
    let code = format!(
        "_cargo() {{ COMPREPLY=(from-cargo); }}; complete -F _cargo cargo; source '{}'; \
         COMP_WORDS=(cargo bu); COMP_CWORD=1; _cargo_migrate_dispatch cargo bu cargo; \
         echo \"${{COMPREPLY[@]}}\"; source '{}'; \
         COMP_WORDS=(cargo bu); COMP_CWORD=1; _cargo_migrate_dispatch cargo bu cargo; \
         echo \"${{COMPREPLY[@]}}\"",
        script.display(),
        script.display()
    );
    let (ok, out, err) = run("bash", &["--norc", "--noprofile", "-c", &code]);
    assert!(ok && err.is_empty(), "{err}");
    // sourced twice: still cargo's (not a dispatcher calling itself)
    assert_eq!(out, "from-cargo\nfrom-cargo\n");
}

#[test]
fn zsh_completion_parses_and_defines_the_function_cargo_calls() {
    let tmp = tempfile::tempdir().unwrap();
    let script = script(tmp.path(), "zsh");
    let path = script.to_str().unwrap();
    let (ok, _, err) = run("zsh", &["-n", path]);
    assert!(ok, "zsh -n: {err}");
    // loaded under compinit, it defines `_cargo-migrate`: the function cargo's own zsh
    // completion calls for `cargo migrate …`, and registers it for `cargo-migrate`
    let code = format!(
        "autoload -U compinit && compinit -u -D && source '{path}' && whence -w _cargo-migrate \
         && print -r -- ${{_comps[cargo-migrate]}}"
    );
    let (ok, out, err) = run("zsh", &["-f", "-c", &code]);
    assert!(ok, "zsh: {err}");
    assert_eq!(out, "_cargo-migrate: function\n_cargo-migrate\n", "{err}");
    let text = read(&script);
    for cmd in ["upgrade", "history", "'--rev-range=[", "completions"] {
        assert!(
            text.contains(cmd),
            "the zsh script does not mention `{cmd}`"
        );
    }
}

#[test]
fn fish_completion_parses() {
    let tmp = tempfile::tempdir().unwrap();
    let script = script(tmp.path(), "fish");
    let (ok, _, err) = run("fish", &["--no-execute", script.to_str().unwrap()]);
    assert!(ok, "fish --no-execute: {err}");
    assert!(read(&script).contains("-a \"upgrade\""));
}

#[test]
fn powershell_and_elvish_scripts_are_printed() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["powershell", "elvish"] {
        let text = read(&script(tmp.path(), shell));
        assert!(
            text.contains("cargo-migrate") && text.contains("upgrade"),
            "{shell}"
        );
    }
    // an unknown shell is a usage error
    cm(tmp.path(), &["migrate", "completions", "tcsh"]).fails(2);
}

#[test]
fn man_page_renders_with_groff() {
    let tmp = tempfile::tempdir().unwrap();
    let run = cm(tmp.path(), &["migrate", "man"]).ok();
    assert!(run.stdout.starts_with(".ie") || run.stdout.contains("\n.TH cargo-migrate 1"));
    let page = tmp.path().join("cargo-migrate.1");
    std::fs::write(&page, &run.stdout).unwrap();
    // -ww: every warning; -z: no output, only the parse
    let (ok, _, err) = run_groff(&page, &["-ww", "-z"]);
    assert!(ok && err.is_empty(), "groff warns: {err}");
    let (ok, text, err) = run_groff(&page, &[]);
    assert!(ok, "{err}");
    for want in [
        "NAME",
        "SYNOPSIS",
        "cargo-migrate",
        "--database-url",
        "upgrade",
        "history",
    ] {
        assert!(
            text.contains(want),
            "the rendered page lacks `{want}`:\n{text}"
        );
    }
}

fn run_groff(page: &Path, extra: &[&str]) -> (bool, String, String) {
    // -k: preconv, as `man` runs it (the page is UTF-8: `postgres://…`)
    let mut args = vec!["-k", "-man", "-Tutf8", "-P", "-cbou"];
    args.extend_from_slice(extra);
    args.push(page.to_str().unwrap());
    run("groff", &args)
}
