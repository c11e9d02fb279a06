//! Compile and synthesize generated environments of 1,000, 10,000 and
//! 100,000 resources, with references between them, to Terraform JSON and
//! Salt SLS.
//!
//! Run with `cargo bench --bench synth`; the book's performance chapter
//! records the figures.

use criterion::{
    BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main,
};

#[path = "../examples/scale/environment.rs"]
mod environment;

fn compile_and_synth(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile_and_synth");
    group.sample_size(10);
    for n in [1_000, 10_000, 100_000] {
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            // Declaring is the user's code; compiling and synthesizing
            // are what is measured.
            b.iter_batched(
                || environment::generate(n),
                |env| {
                    let env = env.compile().unwrap();
                    let files = onioncloud::synth::render(&env).unwrap();
                    assert!(!files.is_empty());
                    files
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, compile_and_synth);
criterion_main!(benches);
