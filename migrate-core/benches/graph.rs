//! W6 (BENCHMARKS.md): graph check, spec resolution and plan building at 1k, 10k and 100k
//! revisions; target linear, 100k under 200 ms. Run:
//! `cargo bench -p migrate-core --no-default-features --features source --bench graph`
//! (criterion; thread CPU time, see support/cpu_time.rs; reports in target/criterion).
//!
//! Two shapes: `linear` (one chain, the common case) and `merges` (blocks of a fork into two
//! branches and a merge: one revision in four is a merge, one in four a branch point).

use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Throughput, criterion_group, criterion_main};

#[path = "support/cpu_time.rs"]
mod cpu_time;
use cpu_time::ThreadCpu;

type Criterion = criterion::Criterion<ThreadCpu>;
use migrate_core::graph::{self, Graph, RevisionInfo};
use migrate_core::{plan, spec};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

/// 12 hex characters, as `cargo migrate revision` writes them (same as bench/gen.py).
fn rid(i: usize) -> String {
    format!("{:012x}", 0xA000_0000_0000_usize + i * 7919)
}

fn rev(i: usize, parents: &[usize]) -> RevisionInfo {
    let id = rid(i);
    RevisionInfo {
        down_revisions: parents.iter().map(|&p| rid(p)).collect(),
        branch_labels: Vec::new(),
        depends_on: Vec::new(),
        message: format!("create t{i:06}"),
        file: format!("src/versions/{id}_create_t{i:06}.rs"),
        id,
    }
}

fn linear(n: usize) -> Vec<RevisionInfo> {
    (0..n)
        .map(|i| {
            if i == 0 {
                rev(0, &[])
            } else {
                rev(i, &[i - 1])
            }
        })
        .collect()
}

/// `a <- b, a <- c, (b, c) <- d`, repeated; the next block's `a` revises the last `d`.
fn merges(n: usize) -> Vec<RevisionInfo> {
    (0..n)
        .map(|i| match i % 4 {
            0 if i == 0 => rev(0, &[]),
            0 => rev(i, &[i - 1]),
            1 | 2 => rev(i, &[i - (i % 4)]),
            _ => rev(i, &[i - 2, i - 1]),
        })
        .collect()
}

fn shuffled(mut v: Vec<RevisionInfo>) -> Vec<RevisionInfo> {
    // files are read in name order, not topological order: a fixed pseudo-random order
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

fn config() -> Criterion {
    criterion::Criterion::default()
        .with_measurement(ThreadCpu::new())
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

fn bench_check(c: &mut Criterion) {
    let mut g = c.benchmark_group("graph_check");
    for &n in &SIZES {
        g.throughput(Throughput::Elements(n as u64));
        for (shape, revs) in [
            ("linear", shuffled(linear(n))),
            ("merges", shuffled(merges(n))),
        ] {
            assert!(graph::check(&revs).is_empty());
            // the chain check as the macro and the CLI call it
            g.bench_with_input(
                BenchmarkId::new(format!("check/{shape}"), n),
                &revs,
                |b, revs| b.iter(|| black_box(graph::check(black_box(revs)))),
            );
        }
    }
    g.finish();
}

fn bench_spec(c: &mut Criterion) {
    let mut g = c.benchmark_group("spec_resolve");
    for &n in &SIZES {
        g.throughput(Throughput::Elements(n as u64));
        let graph = Graph::new(linear(n)).unwrap();
        let none = BTreeSet::new();
        let all: BTreeSet<usize> = (0..n).collect();
        let prefix = rid(n / 2)[..9].to_owned();
        for (name, applied, text) in [
            ("head", &none, "head".to_owned()),
            ("prefix", &none, prefix),
            ("minus3_at_head", &all, "-3".to_owned()),
            ("head-10", &none, "head-10".to_owned()),
        ] {
            g.bench_with_input(BenchmarkId::new(name, n), &text, |b, text| {
                b.iter(|| black_box(spec::resolve(&graph, applied, black_box(text)).unwrap()))
            });
        }
    }
    g.finish();
}

fn bench_plan(c: &mut Criterion) {
    let mut g = c.benchmark_group("plan");
    for &n in &SIZES {
        g.throughput(Throughput::Elements(n as u64));
        for (shape, revs) in [("linear", linear(n)), ("merges", merges(n))] {
            let graph = Graph::new(revs).unwrap();
            let none = BTreeSet::new();
            let all: BTreeSet<usize> = (0..n).collect();
            let half: BTreeSet<usize> = graph
                .ancestors_mask(&[n / 2])
                .iter()
                .enumerate()
                .filter(|(_, m)| **m)
                .map(|(i, _)| i)
                .collect();
            g.bench_function(
                BenchmarkId::new(format!("upgrade_head_from_empty/{shape}"), n),
                |b| b.iter(|| black_box(plan::upgrade(&graph, &none, "head").unwrap())),
            );
            g.bench_function(
                BenchmarkId::new(format!("upgrade_head_from_half/{shape}"), n),
                |b| b.iter(|| black_box(plan::upgrade(&graph, &half, "head").unwrap())),
            );
            g.bench_function(
                BenchmarkId::new(format!("downgrade_base_from_head/{shape}"), n),
                |b| b.iter(|| black_box(plan::downgrade(&graph, &all, "base").unwrap())),
            );
        }
    }
    g.finish();
}

/// What every database command does before planning: build the graph, then turn the version
/// table's rows into the applied set (graph index lookups) and derive the current heads.
fn bench_status(c: &mut Criterion) {
    let mut g = c.benchmark_group("status");
    for &n in &SIZES {
        g.throughput(Throughput::Elements(n as u64));
        let revs = linear(n);
        g.bench_function(BenchmarkId::new("graph_new/linear", n), |b| {
            b.iter_batched(
                || revs.clone(),
                |r| black_box(Graph::new(r).unwrap()),
                criterion::BatchSize::LargeInput,
            )
        });
        let graph = Graph::new(revs.clone()).unwrap();
        let ids: Vec<String> = revs.iter().map(|r| r.id.clone()).collect();
        g.bench_function(BenchmarkId::new("applied_set_and_heads/linear", n), |b| {
            b.iter(|| {
                let applied: BTreeSet<usize> =
                    ids.iter().map(|id| graph.index_of(id).unwrap()).collect();
                black_box(plan::current_heads(&graph, &applied))
            })
        });
    }
    g.finish();
}

criterion_group! { name = benches; config = config(); targets = bench_check, bench_spec, bench_plan, bench_status }
criterion_main!(benches);
