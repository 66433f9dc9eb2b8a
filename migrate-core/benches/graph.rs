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

/// NOT the product: a sketch of the fix proposed in BENCHMARKS.md (W6), to measure what it
/// would gain. The same work `graph::check` does on a label-free graph — unique ids,
/// dangling parents and dependencies, cycles (Kahn), bases and heads — but borrowing the
/// input (`&str` keys, no `to_vec`), with flat edge arrays instead of a `Vec` per revision,
/// an FNV hasher instead of SipHash, and no re-indexed `Graph` built and dropped.
fn proposed_check(revs: &[RevisionInfo]) -> usize {
    #[derive(Default)]
    struct Fnv(u64);
    impl std::hash::Hasher for Fnv {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            let mut h = if self.0 == 0 {
                0xcbf2_9ce4_8422_2325
            } else {
                self.0
            };
            for &b in bytes {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            self.0 = h;
        }
    }
    type Fast = std::hash::BuildHasherDefault<Fnv>;
    let n = revs.len();
    let mut errors = 0;
    let mut index: std::collections::HashMap<&str, u32, Fast> =
        std::collections::HashMap::with_capacity_and_hasher(n, Fast::default());
    for (i, r) in revs.iter().enumerate() {
        if index.insert(r.id.as_str(), i as u32).is_some() {
            errors += 1;
        }
    }
    // flat child lists (CSR): edges parent -> child, dependency -> dependent
    let mut indegree = vec![0u32; n];
    let mut out_count = vec![0u32; n + 1];
    let mut edges: Vec<(u32, u32)> = Vec::with_capacity(n + n / 8);
    for (i, r) in revs.iter().enumerate() {
        for p in r.down_revisions.iter().chain(&r.depends_on) {
            match index.get(p.as_str()) {
                Some(&pi) => {
                    edges.push((pi, i as u32));
                    indegree[i] += 1;
                    out_count[pi as usize + 1] += 1;
                }
                None => errors += 1,
            }
        }
    }
    for i in 0..n {
        out_count[i + 1] += out_count[i];
    }
    let mut fill = out_count.clone();
    let mut targets = vec![0u32; edges.len()];
    for &(from, to) in &edges {
        targets[fill[from as usize] as usize] = to;
        fill[from as usize] += 1;
    }
    let has_children: Vec<bool> = (0..n).map(|i| out_count[i + 1] > out_count[i]).collect();
    let mut stack: Vec<u32> = (0..n as u32)
        .filter(|&i| indegree[i as usize] == 0)
        .collect();
    let bases = revs.iter().filter(|r| r.down_revisions.is_empty()).count();
    let mut ordered = 0;
    while let Some(i) = stack.pop() {
        ordered += 1;
        for &c in &targets[out_count[i as usize] as usize..out_count[i as usize + 1] as usize] {
            indegree[c as usize] -= 1;
            if indegree[c as usize] == 0 {
                stack.push(c);
            }
        }
    }
    let heads = has_children.iter().filter(|&&h| !h).count();
    errors + usize::from(ordered < n) + usize::from(bases > 1) + usize::from(heads > 1)
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
            // the chain check as the macro and the CLI call it (clones its input)
            g.bench_with_input(
                BenchmarkId::new(format!("check/{shape}"), n),
                &revs,
                |b, revs| b.iter(|| black_box(graph::check(black_box(revs)))),
            );
            // the allocation profile of check without the graph it builds and drops
            g.bench_with_input(
                BenchmarkId::new(format!("clone_and_drop_input/{shape}"), n),
                &revs,
                |b, revs| b.iter(|| black_box(black_box(revs).to_vec())),
            );
            assert_eq!(proposed_check(&revs), 0);
            g.bench_with_input(
                BenchmarkId::new(format!("proposed_check_sketch/{shape}"), n),
                &revs,
                |b, revs| b.iter(|| black_box(proposed_check(black_box(revs)))),
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
