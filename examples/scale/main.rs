//! Compiles and synthesizes a generated environment once and prints the
//! time taken and the peak memory (Linux), for the performance chapter.
//!
//! `cargo run --release --example scale -- 100000`

mod environment;

use std::time::Instant;

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let start = Instant::now();
    let env = environment::generate(n);
    let declared = start.elapsed();
    let env = env.compile()?;
    let compiled = start.elapsed();
    let t = Instant::now();
    let tf = onioncloud::core::terraform::synth(&env)?;
    let tf_time = t.elapsed();
    let t = Instant::now();
    let salt = onioncloud::salt::synth(&env)?;
    eprintln!(
        "terraform {:.3} s ({} files), salt {:.3} s ({} files)",
        tf_time.as_secs_f64(),
        tf.len(),
        t.elapsed().as_secs_f64(),
        salt.len()
    );
    let files = onioncloud::synth::render(&env)?;
    let total = start.elapsed();
    let bytes: usize = files.values().map(|f| f.len()).sum();
    println!(
        "{n} resources: declare {:.3} s, compile {:.3} s, synth {:.3} s, \
         total {:.3} s; {} files, {:.1} MB; peak memory {} MiB",
        declared.as_secs_f64(),
        (compiled - declared).as_secs_f64(),
        (total - compiled).as_secs_f64(),
        total.as_secs_f64(),
        files.len(),
        bytes as f64 / 1e6,
        peak_memory_kib().map_or("unknown".into(), |k| (k / 1024).to_string()),
    );
    Ok(())
}
