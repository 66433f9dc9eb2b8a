//! The measurement of BENCHMARKS.md "Fresh database per test", shared by the bench target
//! (`tests/benches/fresh_db.rs`, the blog example) and the crates.io bench binary it generates
//! (which includes this file with `#[path]`). Uses migrate-core only.

use std::time::{Duration, Instant};

use migrate_core::Migrations;
use migrate_core::testing::TestServer;

/// Wall times of each round, in ms.
#[derive(Default)]
pub struct Report {
    /// The template's first build (one `upgrade head` into the template), once.
    pub template_build: f64,
    /// `TestServer::at(head)`: a clone of the template, ready to connect to.
    pub clone: Vec<f64>,
    /// Dropping the clone.
    pub clone_drop: Vec<f64>,
    /// `#[sqlx::test]`-style: an empty database, then every migration replayed.
    pub replay: Vec<f64>,
    /// The empty database alone (the first part of `replay`): the floor of any database per
    /// test (on PostgreSQL `CREATE DATABASE` copies `template1`).
    pub empty: Vec<f64>,
    /// Dropping the replayed database.
    pub replay_drop: Vec<f64>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `rounds` interleaved rounds of a clone at head and a replay from empty (the order
/// alternates), after one untimed warm-up of each; the template is built (timed) first.
pub async fn measure(server: &TestServer, migrations: &Migrations, rounds: usize) -> Report {
    let mut r = Report::default();
    let t = Instant::now();
    drop(server.at(migrations, "head").await.expect("template build"));
    r.template_build = ms(t.elapsed());
    drop(replay(server, migrations).await);
    for i in 0..rounds {
        for first in [i % 2 == 0, i % 2 != 0] {
            if first {
                let t = Instant::now();
                let db = server.at(migrations, "head").await.expect("clone");
                r.clone.push(ms(t.elapsed()));
                let t = Instant::now();
                drop(db);
                r.clone_drop.push(ms(t.elapsed()));
            } else {
                let t = Instant::now();
                let db = server.empty().await.expect("empty database");
                r.empty.push(ms(t.elapsed()));
                let mut c = db.connect().await.expect("connect");
                migrations.upgrade(&mut c, "head").await.expect("replay");
                c.close().await;
                r.replay.push(ms(t.elapsed()));
                let t = Instant::now();
                drop(db);
                r.replay_drop.push(ms(t.elapsed()));
            }
        }
    }
    r
}

async fn replay(server: &TestServer, migrations: &Migrations) -> migrate_core::testing::TestDb {
    let db = server.empty().await.expect("empty database");
    let mut c = db.connect().await.expect("connect");
    migrations.upgrade(&mut c, "head").await.expect("replay");
    c.close().await;
    db
}

fn median(v: &[f64]) -> (f64, f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    (s[s.len() / 2], s[0], s[s.len() - 1])
}

/// Prints the report as markdown table rows.
pub fn print(label: &str, r: &Report) {
    let row = |what: &str, v: &[f64]| {
        let (m, lo, hi) = median(v);
        println!("| {label} | {what} | {m:.1} ms ({lo:.1}–{hi:.1}) |");
    };
    println!(
        "| {label} | template build, once per history | {:.1} ms |",
        r.template_build
    );
    row("**clone at head** (`TestServer::at`)", &r.clone);
    row("drop the clone", &r.clone_drop);
    row("replay from empty (`#[sqlx::test]`-style)", &r.replay);
    row("… of which the empty database", &r.empty);
    row("drop the replayed database", &r.replay_drop);
    let (c, _, _) = median(&r.clone);
    let (p, _, _) = median(&r.replay);
    println!("| {label} | replay / clone | {:.1}x |", p / c);
}
