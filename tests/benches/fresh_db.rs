//! BENCHMARKS.md "Fresh database per test": a database at head per test, cloned from a
//! template (`migrate_core::testing`), against replaying every migration from empty as
//! `#[sqlx::test]` does, in the same run (interleaved rounds).
//!
//! ```sh
//! cargo bench -p migrate-tests --bench fresh_db -- blog          # the blog example, 3 backends
//! MIGRATE_CRATES_IO_DATA=… cargo bench -p migrate-tests --bench fresh_db -- crates-io
//! ```
//!
//! `ROUNDS` (default 15) rounds; servers from `MIGRATE_TEST_POSTGRES_URL` /
//! `MIGRATE_TEST_MYSQL_URL` (README.md, Testing). `crates-io` generates the 285-revision
//! crates.io migrations crate with a bench binary (including `fresh_db/measure.rs`), builds
//! it (debug, the profile `cargo test` runs) and runs it on PostgreSQL.

#[path = "fresh_db/measure.rs"]
mod measure;

use migrate_core::Backend;
use migrate_core::testing::TestServer;
use migrate_tests::{admin_url, crates_io, nested};

fn rounds() -> usize {
    std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15)
}

fn server(backend: Backend) -> TestServer {
    match backend {
        Backend::Sqlite => TestServer::from_env(backend).unwrap(),
        _ => TestServer::new(&admin_url(backend)).unwrap(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let all = args.is_empty();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "| workload | step | median (min–max), {} rounds |",
        rounds()
    );
    println!("|---|---|---|");
    if all || args.iter().any(|a| a == "blog") {
        for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
            let r = rt.block_on(measure::measure(
                &server(backend),
                &blog_migrations::MIGRATIONS,
                rounds(),
            ));
            measure::print(&format!("blog (4 revisions), {backend}"), &r);
        }
    }
    if all || args.iter().any(|a| a == "crates-io") {
        crates_io_bench();
    }
}

const BENCH_MAIN: &str = r#"#[path = "MEASURE"]
mod measure;

fn main() {
    let url = std::env::args().nth(1).expect("admin URL");
    let rounds: usize = std::env::args().nth(2).expect("rounds").parse().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = migrate_core::testing::TestServer::new(&url).unwrap();
    let r = rt.block_on(measure::measure(&server, &crates_io_fresh::MIGRATIONS, rounds));
    measure::print("crates.io (285 revisions), postgres", &r);
}
"#;

fn crates_io_bench() {
    let data = crates_io::data_dir();
    let ms = crates_io::migrations(&data);
    let root = crates_io::generate(&data, &ms, "crates-io-fresh");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let manifest = manifest
        .replace(r#"features = ["cli"]"#, r#"features = ["cli", "testing"]"#)
        .replace(
            "[workspace]",
            "tokio = { version = \"1\", features = [\"rt-multi-thread\"] }\n\n[workspace]",
        );
    std::fs::write(root.join("Cargo.toml"), manifest).unwrap();
    let measure = nested::workspace().join("tests/benches/fresh_db/measure.rs");
    std::fs::write(
        root.join("src/main.rs"),
        BENCH_MAIN.replace("MEASURE", &measure.display().to_string()),
    )
    .unwrap();
    let bin = nested::build_runner(&root, "crates-io-fresh");
    let out = std::process::Command::new(bin)
        .arg(admin_url(Backend::Postgres))
        .arg(rounds().to_string())
        .output()
        .expect("bench binary runs");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "crates.io bench: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
