//! The harness shared by `cargo-migrate`'s integration tests (`cli.rs`, `bad_inputs.rs`):
//! running the real binary in an isolated environment, `cargo new`, revision files.
//!
//! Every process's output goes through [`Run::from`], which fails the test when the canary
//! password [`CANARY`] appears in it: the bad-input tests put it in every database URL.
#![allow(dead_code)] // each test binary uses a part of it

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use migrate_core::Db;

/// A password that must never be printed (the bad-input tests put it in every URL).
pub const CANARY: &str = "CANARY-7f3a9c";

/// The outcome of one command.
#[derive(Debug)]
pub struct Run {
    pub what: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The outcome of a finished process. Fails the test when its output holds [`CANARY`].
    #[track_caller]
    pub fn from(what: String, out: Output) -> Run {
        let run = Run {
            what,
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(
            !run.stdout.contains(CANARY) && !run.stderr.contains(CANARY),
            "`{}` printed the canary password\n--- stdout\n{}--- stderr\n{}",
            run.what,
            run.stdout,
            run.stderr
        );
        run
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "`{}` failed\n--- stdout\n{}--- stderr\n{}",
            self.what, self.stdout, self.stderr
        );
        self
    }

    /// Asserts the exit code and that the error is one `error: ` line (the last line of
    /// stderr; compiler output may come before it). Returns that line without `error: `.
    #[track_caller]
    pub fn fails(self, code: i32) -> String {
        assert_eq!(
            self.code, code,
            "`{}`: wrong exit code\n--- stdout\n{}--- stderr\n{}",
            self.what, self.stdout, self.stderr
        );
        if code == 2 {
            return self.stderr; // clap's usage error
        }
        let last = self.stderr.lines().last().unwrap_or_default();
        let line = last.strip_prefix("error: ").unwrap_or_else(|| {
            panic!(
                "`{}`: the last stderr line is not an error line\n--- stderr\n{}",
                self.what, self.stderr
            )
        });
        line.to_owned()
    }

    pub fn stdout_lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    isolate(&mut cmd);
    cmd
}

/// The environment of every command: the shared target directory, the path dependencies on
/// this checkout, no database configuration from the outside.
pub fn isolate(cmd: &mut Command) {
    cmd.env(
        "CARGO_TARGET_DIR",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-target"),
    )
    .env("CARGO_MIGRATE_DEP_PATH", repo_root())
    // the project cache goes to the user's cache directory: not the real one
    .env(
        "XDG_CACHE_HOME",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("cache-home"),
    )
    .env_remove("CARGO_MIGRATE_NO_CACHE")
    .env_remove("CARGO_MIGRATE_CACHE_STATS")
    .env("CARGO_TERM_COLOR", "never")
    .env_remove("DATABASE_URL")
    .env_remove("CARGO_MIGRATE_PROJECT_DIR")
    .env_remove("RUSTFLAGS");
}

/// Runs `cargo-migrate` with `args` (as cargo does: `migrate` first) in `dir`.
pub fn cm(dir: &Path, args: &[&str]) -> Run {
    cm_env(dir, args, &[])
}

/// [`cm`] with extra environment variables.
pub fn cm_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    // CARGO_MIGRATE_TEST_BIN: a copy of the binary under test, for checkouts that share a
    // target directory (each build overwrites `target/debug/cargo-migrate`)
    let bin = std::env::var_os("CARGO_MIGRATE_TEST_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_cargo-migrate").into());
    let mut cmd = Command::new(bin);
    isolate(&mut cmd);
    let out = cmd
        .envs(env.iter().copied())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("cargo-migrate runs");
    Run::from(format!("cargo-migrate {}", args.join(" ")), out)
}

/// `cargo new --vcs none <name>` in `dir`; returns the package directory.
pub fn cargo_new(dir: &Path, name: &str) -> PathBuf {
    let out = cargo()
        .args(["new", "--quiet", "--vcs", "none", name])
        .current_dir(dir)
        .output()
        .unwrap();
    Run::from(format!("cargo new {name}"), out).ok();
    dir.join(name)
}

/// A new application with a migrations crate named `crate_name` (created by `init`, for all
/// three backends: the tests give it SQLite, PostgreSQL and MySQL URLs).
pub fn app_with_migrations(tmp: &Path, crate_name: &str) -> PathBuf {
    let app = cargo_new(tmp, "app");
    cm(
        &app,
        &[
            "migrate",
            "init",
            crate_name,
            "--backend",
            "sqlite,postgres,mysql",
        ],
    )
    .ok();
    app
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The id of a revision file, from its `Revision ID:` header line.
pub fn id_of(file: &Path) -> String {
    let text = read(file);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("//! Revision ID: "));
    line.unwrap_or_else(|| panic!("no `Revision ID:` in\n{text}"))
        .to_owned()
}

/// `revision -m msg` (plus `extra`); returns (path relative to `app`, id).
pub fn revision(app: &Path, msg: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["migrate", "revision", "-m", msg];
    args.extend_from_slice(extra);
    let run = cm(app, &args).ok();
    let path = run.stdout.trim().to_owned();
    assert!(
        run.stderr.contains(&format!("     Created {path}")),
        "{}",
        run.stderr
    );
    let id = id_of(&app.join(&path));
    (path, id)
}

pub const EMPTY_UPGRADE: &str =
    "    pub async fn upgrade(_db: &mut Db) -> Result<()> {\n        Ok(())\n    }\n";
pub const EMPTY_DOWNGRADE: &str =
    "    pub async fn downgrade(_db: &mut Db) -> Result<()> {\n        Ok(())\n    }\n";

/// Revision bodies running `up` and `down` (SQL), for [`fill`].
pub fn bodies(up: &str, down: &str) -> (String, String) {
    (
        format!(
            "    pub async fn upgrade(db: &mut Db) -> Result<()> {{\n        db.sql(\"{up}\").await?;\n        Ok(())\n    }}\n"
        ),
        format!(
            "    pub async fn downgrade(db: &mut Db) -> Result<()> {{\n        db.sql(\"{down}\").await?;\n        Ok(())\n    }}\n"
        ),
    )
}

/// Replaces the template's empty bodies.
pub fn fill(file: &Path, upgrade: &str, downgrade: &str) {
    let text = read(file);
    assert!(
        text.contains(EMPTY_UPGRADE) && text.contains(EMPTY_DOWNGRADE),
        "unexpected template:\n{text}"
    );
    let text = text
        .replace(EMPTY_UPGRADE, upgrade)
        .replace(EMPTY_DOWNGRADE, downgrade);
    std::fs::write(file, text).unwrap();
}

/// Whether `sql` runs on the SQLite database `db`.
pub fn sql_ok(db: &Path, sql: &str) -> bool {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut conn = Db::connect(&format!("sqlite:{}", db.display()))
            .await
            .expect("connects");
        let ok = conn.sql(sql).await.is_ok();
        conn.close().await;
        ok
    })
}

/// The cache log's line for a command that ran the runner without `cargo build`.
pub const SKIPPED: &str = "cache: runner up to date (runner stamp), `cargo build` skipped";

/// The latest change (mtime or ctime) of `path` or anything in it.
pub fn newest(path: &Path) -> SystemTime {
    let meta = std::fs::symlink_metadata(path).unwrap();
    let mut t = meta.modified().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let ctime = UNIX_EPOCH
            + Duration::from_secs(meta.ctime().try_into().unwrap())
            + Duration::from_nanos(meta.ctime_nsec() as u64);
        t = t.max(ctime);
    }
    if meta.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            t = t.max(newest(&e.unwrap().path()));
        }
    }
    t
}

/// `cargo-migrate migrate <args>` in `app` with the cache log on (`CARGO_MIGRATE_CACHE_STATS`),
/// the caches' clock (`CARGO_MIGRATE_CACHE_NOW`) past the young-file window for everything in
/// `app`, so no file is too young to be recorded and no test sleeps, and `env`.
pub fn stamped(app: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let now = newest(app) + Duration::from_millis(3300);
    let now = now
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        .to_string();
    let mut all = vec!["migrate"];
    all.extend_from_slice(args);
    let mut vars = vec![
        ("CARGO_MIGRATE_CACHE_STATS", "1"),
        ("CARGO_MIGRATE_CACHE_NOW", now.as_str()),
    ];
    vars.extend_from_slice(env);
    cm_env(app, &all, &vars).ok()
}
