//! W5/W4 (BENCHMARKS.md): the shared revision-file parser and the compile-time chain check.
//! Run: `cargo bench -p migrate-core --no-default-features --features source --bench source`
//! (criterion; thread CPU time, see support/cpu_time.rs).
//!
//! `chain_check/N` is what `migrations!()` does at compile time after reading the files, and
//! what `cargo migrate heads` does after reading them: `source::parse_file` on every file's
//! text, `to_info`, then `graph::check`. Target: 10,000 revisions in 50 ms or less.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Throughput, criterion_group, criterion_main};

#[path = "support/cpu_time.rs"]
mod cpu_time;
use cpu_time::ThreadCpu;

type Criterion = criterion::Criterion<ThreadCpu>;
use migrate_core::graph::{self, RevisionInfo};
use migrate_core::source;

fn rid(i: usize) -> String {
    format!("{:012x}", 0xA000_0000_0000_usize + i * 7919)
}

/// The same revision file bench/gen.py writes (a table with 5 columns and an index).
fn revision_text(i: usize) -> String {
    let down = if i == 0 {
        String::new()
    } else {
        format!(", down_revision = \"{}\"", rid(i - 1))
    };
    let prev = if i == 0 { String::new() } else { rid(i - 1) };
    let id = rid(i);
    let t = format!("t{i:06}");
    format!(
        r#"//! create {t}
//!
//! Revision ID: {id}
//! Revises: {prev}
//! Create Date: 2026-11-21 12:00:00.000

#[migrate_macros::migration(revision = "{id}"{down})]
mod revision {{
    use migrate_core::prelude::*;

    pub async fn upgrade(db: &mut Db) -> Result<()> {{
        db.create_table(
            Table::create()
                .table("{t}")
                .col(ColumnDef::new("id").integer().not_null().primary_key())
                .col(ColumnDef::new("name").string_len(100).not_null())
                .col(ColumnDef::new("email").string_len(255))
                .col(ColumnDef::new("score").big_integer().not_null().default(0))
                .col(ColumnDef::new("created_at").text().not_null())
                .to_owned(),
        )
        .await?;
        db.create_index(Index::create().name("ix_{t}_name").table("{t}").col("name").to_owned()).await?;
        Ok(())
    }}

    pub async fn downgrade(db: &mut Db) -> Result<()> {{
        db.drop_index(Index::drop().name("ix_{t}_name").table("{t}").to_owned()).await?;
        db.drop_table(Table::drop().table("{t}").to_owned()).await?;
        Ok(())
    }}
}}
"#
    )
}

fn config() -> Criterion {
    criterion::Criterion::default()
        .with_measurement(ThreadCpu::new())
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("source");
    let text = revision_text(42);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("parse_file/one_revision", |b| {
        b.iter(|| black_box(source::parse_file(black_box(&text)).unwrap()))
    });
    g.finish();

    let mut g = c.benchmark_group("chain_check");
    for n in [1_000usize, 10_000, 100_000] {
        let files: Vec<(String, String)> = (0..n)
            .map(|i| {
                (
                    format!("src/versions/{}_create_t{i:06}.rs", rid(i)),
                    revision_text(i),
                )
            })
            .collect();
        g.throughput(Throughput::Elements(n as u64));
        if n == 100_000 {
            g.sample_size(10);
        }
        g.bench_with_input(
            BenchmarkId::new("parse_and_check", n),
            &files,
            |b, files| {
                b.iter(|| {
                    let infos: Vec<RevisionInfo> = files
                        .iter()
                        .map(|(f, t)| source::parse_file(t).unwrap().to_info(f))
                        .collect();
                    let errors = graph::check(&infos);
                    assert!(errors.is_empty());
                    black_box(infos)
                })
            },
        );
        let infos: Vec<RevisionInfo> = files
            .iter()
            .map(|(f, t)| source::parse_file(t).unwrap().to_info(f))
            .collect();
        g.bench_with_input(BenchmarkId::new("check_only", n), &infos, |b, infos| {
            b.iter(|| black_box(graph::check(black_box(infos))))
        });
    }
    g.finish();
}

criterion_group! { name = benches; config = config(); targets = bench_parse }
criterion_main!(benches);
