//! The deploy recipes of `examples/deploy/`, exercised without a container engine: the
//! Dockerfile's entrypoint command line (ENTRYPOINT + CMD of its final stage) is run, with the
//! environment the recipe documents (`DATABASE_URL` only), against a fresh database of every
//! backend; a second start is a no-op.

use std::path::Path;
use std::process::Command;

use migrate_tests::backend_test;

/// The runner binary: the blog example's `main`, built in this package (see the binary's
/// docs).
const RUNNER: &str = env!("CARGO_BIN_EXE_deploy-runner");

/// What the Dockerfile says about the image: the binary the build stage builds, where the
/// final stage copies it, and the command line the container starts with.
#[derive(Debug)]
struct Recipe {
    built_bin: String,
    copied_from: String,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
}

/// A JSON-array ("exec form") instruction argument: `["a", "b"]`.
fn exec_form(arg: &str) -> Vec<String> {
    let inner = arg
        .trim()
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or_else(|| panic!("not in exec form: {arg}"));
    inner
        .split(',')
        .map(|s| {
            let s = s.trim();
            s.strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or_else(|| panic!("not a JSON string: {s}"))
                .to_owned()
        })
        .collect()
}

fn recipe() -> Recipe {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/deploy/Dockerfile");
    let text = std::fs::read_to_string(&path).expect("read the Dockerfile");
    // instructions, with `\` continuations joined and comments dropped
    let mut lines = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') || (t.is_empty() && cur.is_empty()) {
            continue;
        }
        if let Some(head) = t.strip_suffix('\\') {
            cur.push_str(head);
            cur.push(' ');
        } else {
            cur.push_str(t);
            lines.push(std::mem::take(&mut cur));
        }
    }
    let (mut built_bin, mut copied_from) = (None, None);
    let (mut entrypoint, mut cmd) = (None, None);
    for l in &lines {
        let (op, arg) = l.split_once(' ').unwrap_or((l, ""));
        match op {
            // a new stage resets what the final image starts with
            "FROM" => (entrypoint, cmd) = (None, None),
            "RUN" if arg.contains("cargo build") => {
                let words: Vec<&str> = arg.split_whitespace().collect();
                let at = words.iter().position(|w| *w == "--bin").expect("--bin");
                built_bin = Some(words[at + 1].to_owned());
            }
            "COPY" if arg.starts_with("--from=") => {
                copied_from = Some(arg.split_whitespace().nth(1).unwrap().to_owned());
            }
            "ENTRYPOINT" => entrypoint = Some(exec_form(arg)),
            "CMD" => cmd = Some(exec_form(arg)),
            _ => {}
        }
    }
    Recipe {
        built_bin: built_bin.expect("a RUN cargo build --bin line"),
        copied_from: copied_from.expect("a COPY --from line"),
        entrypoint: entrypoint.expect("an ENTRYPOINT in the final stage"),
        cmd: cmd.unwrap_or_default(),
    }
}

#[test]
fn the_image_starts_the_release_runner_of_the_example() {
    let r = recipe();
    assert_eq!(r.built_bin, "blog-migrations", "{r:?}");
    assert!(
        r.copied_from.ends_with("target/release/blog-migrations"),
        "the final stage copies the release runner: {r:?}"
    );
    assert_eq!(r.cmd, ["upgrade", "head"], "{r:?}");
}

/// Starts the container's command line with `DATABASE_URL` as the only configuration, in
/// an empty working directory (no `.env`).
fn start(url: &str) -> std::process::Output {
    let r = recipe();
    let dir = tempfile::tempdir().unwrap();
    Command::new(RUNNER)
        .args(r.entrypoint.iter().skip(1).chain(&r.cmd))
        .current_dir(dir.path())
        .env("DATABASE_URL", url)
        .output()
        .expect("the runner starts")
}

backend_test!(
    the_entrypoint_migrates_and_a_restart_is_a_no_op,
    |db| async move {
        let out = start(&db.url);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let at_head = db.versions().await;
        assert_eq!(
            at_head.len(),
            4,
            "every revision of the blog applied: {at_head:?}"
        );
        assert_eq!(
            db.tables().await,
            ["migrate_version", "post_tags", "posts", "tags", "users"]
        );
        // the container restarts: nothing to do, exit 0, nothing changes
        let again = start(&db.url);
        assert!(
            again.status.success(),
            "{}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert_eq!(db.versions().await, at_head);
        assert!(
            !String::from_utf8_lossy(&again.stderr).contains("Upgrading"),
            "a restart applies nothing: {}",
            String::from_utf8_lossy(&again.stderr)
        );
    }
);
