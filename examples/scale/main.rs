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
    let declare = start.elapsed();

    let t = Instant::now();
    let env = env.compile()?;
    let compile = t.elapsed();

    let t = Instant::now();
    let terraform = onioncloud::core::terraform::synth(&env)?;
    let terraform_time = t.elapsed();

    let t = Instant::now();
    let salt = onioncloud::salt::synth(&env)?;
    let salt_time = t.elapsed();

    let files = terraform.len() + salt.len();
    let bytes: usize = terraform.values().map(String::len).sum::<usize>()
        + salt.values().map(String::len).sum::<usize>();
    let work = compile + terraform_time + salt_time;
    println!(
        "{n} resources: declare {:.3} s | compile {:.3} s, terraform \
         {:.3} s, salt {:.3} s, together {:.3} s | {files} files, \
         {:.1} MB | peak memory {} MiB",
        declare.as_secs_f64(),
        compile.as_secs_f64(),
        terraform_time.as_secs_f64(),
        salt_time.as_secs_f64(),
        work.as_secs_f64(),
        bytes as f64 / 1e6,
        peak_memory_kib().map_or("unknown".into(), |k| (k / 1024).to_string()),
    );
    Ok(())
}
