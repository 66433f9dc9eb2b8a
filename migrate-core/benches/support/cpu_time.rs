//! A criterion measurement of the benchmark thread's CPU time (user + system), read from
//! `/proc/thread-self/schedstat` (nanoseconds on CPU). The benchmark machine is shared and
//! loaded: wall time counts the time other processes hold the CPU, CPU time does not. Set
//! `BENCH_WALL=1` to measure wall time instead (criterion's default).

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};

/// CPU time of the calling thread, in nanoseconds (wall time with `BENCH_WALL=1`).
pub struct ThreadCpu {
    wall: bool,
    origin: std::time::Instant,
}

impl ThreadCpu {
    pub fn new() -> ThreadCpu {
        let wall = std::env::var_os("BENCH_WALL").is_some_and(|v| v == "1");
        if !wall {
            assert!(
                read_schedstat().is_some(),
                "/proc/thread-self/schedstat is unreadable; run with BENCH_WALL=1"
            );
        }
        ThreadCpu {
            wall,
            origin: std::time::Instant::now(),
        }
    }

    fn now(&self) -> u64 {
        if self.wall {
            self.origin.elapsed().as_nanos() as u64
        } else {
            read_schedstat().expect("schedstat")
        }
    }
}

fn read_schedstat() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

impl Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        self.now()
    }
    fn end(&self, start: u64) -> u64 {
        self.now().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanos
    }
}

struct Nanos;

impl ValueFormatter for Nanos {
    fn scale_values(&self, ns: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if ns < 1e3 {
            (1.0, "ns")
        } else if ns < 1e6 {
            (1e-3, "µs")
        } else if ns < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        for v in values {
            *v *= factor;
        }
        unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let per = match *throughput {
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => n as f64,
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => n as f64,
            Throughput::Bits(n) => n as f64,
        };
        // nanoseconds per element: the figure that shows linearity directly
        for v in values {
            *v /= per;
        }
        "ns/elem"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
