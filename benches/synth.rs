//! Compile and synthesize generated environments of 1,000, 10,000 and
//! 100,000 resources, with references between them, to Terraform JSON and
//! Salt SLS.
//!
//! Run with `cargo bench --bench synth`; the book's performance chapter
//! records the figures.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

#[path = "../examples/scale/environment.rs"]
mod environment;

fn compile_and_synth(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile_and_synth");
    group.sample_size(10);
    for n in [1_000, 10_000, 100_000] {
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| {
                let env = environment::generate(n).compile().unwrap();
                let files = onioncloud::synth::render(&env).unwrap();
                assert!(!files.is_empty());
                files
            })
        });
    }
    group.finish();
}

criterion_group!(benches, compile_and_synth);
criterion_main!(benches);
