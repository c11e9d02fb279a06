//! The command line of an environment crate.
//!
//! An environment crate's `main` hands a function that declares the
//! environment to [`main`]:
//!
//! ```no_run
//! use onioncloud::prelude::*;
//!
//! fn build(env: &mut Env) -> Result<(), std::convert::Infallible> {
//!     env.add("main", aws::Vpc::new("10.0.0.0/16"));
//!     Ok(())
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     onioncloud::cli::main(build)
//! }
//! ```
//!
//! and then `cargo run -- validate`, `check`, `synth --out DIR`, `plan` and
//! `graph` work on it. Exit codes follow Terraform's: 0 on success, 1 on
//! error, and with `plan --detailed-exitcode`, 0 for no changes and 2 for
//! changes; `check` exits 1 when a mandatory policy rule fails.
//!
//! `check` runs the policy packs ([`policies::default_packs`], or those
//! given to [`main_with_packs`]) and prints the report; `synth`, `plan` and
//! `apply` run the same packs first and refuse while a mandatory rule has
//! a standing violation.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use onioncloud_core::policy::Pack;
use onioncloud_core::policy::report::Format;
use onioncloud_core::{CompiledEnv, Env, diagram};

use crate::engine_cli::{
    self, ApplyArgs, EngineArgs, EngineCliError, PlanArgs, StateCommand,
};
use crate::policies::{self, PolicyError};
use crate::synth::{self, SynthError};

/// Declares, checks, synthesizes and plans one environment.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Cli {
    /// The environment's name; by default the program's name.
    #[arg(long, global = true)]
    pub environment: Option<String>,

    /// Where state lives and which clouds the engine talks to.
    #[command(flatten)]
    pub engine: EngineArgs,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile the environment and check it: names, references, provider
    /// configurations, dependency cycles, and that it synthesizes.
    Validate,

    /// Check the environment against the policy packs and print the
    /// report. Exits 0 when no mandatory rule fails and 1 otherwise;
    /// suppressed violations are listed with their justifications.
    Check {
        /// The report's notation.
        #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
        format: ReportFormat,

        /// Write the report to FILE (atomically) instead of stdout.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },

    /// Write the Terraform JSON (one root module per cloud), the Salt
    /// state tree and the pillar tree to a directory. All or nothing: the
    /// files are written to a temporary directory that replaces DIR only
    /// once complete, so a failed synth leaves the previous output intact.
    Synth {
        /// The output directory.
        #[arg(long, default_value = "out")]
        out: PathBuf,

        /// Fill in the Salt pillar values and the salt-ssh roster's hosts
        /// that come from the infrastructure from the state an apply left
        /// (`--provider`, `--state-dir`, `--state-postgres` choose it).
        #[arg(long)]
        from_state: bool,
    },

    /// Show what applying would change: settles operations an
    /// interrupted apply left pending, refreshes from the clouds, and
    /// compares with the state.
    Plan {
        /// Save the plan to FILE, for `apply FILE`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,

        /// Plan the destruction of everything in the state.
        #[arg(long)]
        destroy: bool,

        /// Print the plan as JSON instead of text.
        #[arg(long)]
        json: bool,

        /// Exit 0 when nothing would change and 2 when something would.
        #[arg(long)]
        detailed_exitcode: bool,

        /// Planning options.
        #[command(flatten)]
        plan: PlanArgs,
    },

    /// Apply changes: a saved plan file exactly, or a fresh plan after
    /// confirmation.
    Apply {
        /// A plan saved by `plan --out`; refused if the state changed
        /// since.
        plan_file: Option<PathBuf>,

        /// Planning options (without a plan file).
        #[command(flatten)]
        plan: PlanArgs,

        /// Apply options.
        #[command(flatten)]
        apply: ApplyArgs,
    },

    /// Destroy everything in the state, after confirmation.
    Destroy {
        /// Planning options.
        #[command(flatten)]
        plan: PlanArgs,

        /// Apply options.
        #[command(flatten)]
        apply: ApplyArgs,
    },

    /// Read every resource from its cloud and record drift in the state.
    Refresh,

    /// Inspect or change the state.
    #[command(subcommand)]
    State(StateCommand),

    /// Adopt an existing cloud object as a declared resource.
    Import {
        /// The declared resource's address, such as `aws_vpc.main`.
        address: String,
        /// The object's id in the cloud.
        id: String,
    },

    /// Release a lock left by a process that cannot release it.
    ForceUnlock {
        /// The lock's id, as the "locked by" message shows it.
        lock_id: String,
    },

    /// Print the dependency graph: an edge points from a resource to what
    /// it depends on, labelled with the argument that makes it.
    Graph {
        /// The notation.
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
}

/// The notations of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Text for a terminal.
    Human,
    /// JSON in a documented, stable shape.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// JUnit XML, for CI test reports.
    Junit,
}

impl From<ReportFormat> for Format {
    fn from(format: ReportFormat) -> Self {
        match format {
            ReportFormat::Human => Format::Human,
            ReportFormat::Json => Format::Json,
            ReportFormat::Sarif => Format::Sarif,
            ReportFormat::Junit => Format::Junit,
        }
    }
}

/// The notations of `graph`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
}

/// Errors of the command line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The environment's name is not usable.
    #[error("invalid environment name {name:?}: {reason}")]
    Environment {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The build function failed.
    #[error("declaring the environment failed: {0}")]
    Build(String),
    /// The environment does not compile.
    #[error(transparent)]
    Compile(#[from] onioncloud_core::CompileErrors),
    /// Synthesis failed.
    #[error(transparent)]
    Synth(#[from] SynthError),
    /// An engine command failed.
    #[error(transparent)]
    Engine(#[from] EngineCliError),
    /// A policy refused the command, or its report could not be written.
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

/// Runs the command line on the environment `build` declares, with the
/// process's arguments and the [default packs](policies::default_packs),
/// and returns the exit code.
pub fn main<E: Display>(
    build: impl FnOnce(&mut Env) -> Result<(), E>,
) -> ExitCode {
    main_with_packs(build, policies::default_packs())
}

/// Like [`main`], with the policy packs to run.
pub fn main_with_packs<E: Display>(
    build: impl FnOnce(&mut Env) -> Result<(), E>,
    packs: Vec<Pack>,
) -> ExitCode {
    init_logging();
    let program = program_name();
    let about = format!(
        "Declares, checks, synthesizes and plans the {program} environment."
    );
    let matches = <Cli as clap::CommandFactory>::command()
        // Once per process: clap keeps its names for the program's life.
        .name(&*program.leak())
        .about(about)
        .get_matches();
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    match run_with_packs(cli, build, &packs, &mut std::io::stdout()) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(1)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ONIONCLOUD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn program_name() -> String {
    std::env::args()
        .next()
        .as_deref()
        .map(Path::new)
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "default".to_owned())
}

/// Declares and compiles the environment.
///
/// # Errors
///
/// Fails when `build` fails or the environment does not compile.
pub fn compile<E: Display>(
    name: &str,
    build: impl FnOnce(&mut Env) -> Result<(), E>,
) -> Result<CompiledEnv, CliError> {
    let mut env = Env::new(name);
    build(&mut env).map_err(|e| CliError::Build(e.to_string()))?;
    Ok(env.compile()?)
}

/// Runs one parsed command with the [default
/// packs](policies::default_packs), writing its report to `out`, and
/// returns the exit code.
///
/// # Errors
///
/// Fails when the environment does not compile or synthesize, a policy
/// refuses the command, or files cannot be read or written.
pub fn run<E: Display>(
    cli: Cli,
    build: impl FnOnce(&mut Env) -> Result<(), E>,
    out: &mut dyn std::io::Write,
) -> Result<u8, CliError> {
    run_with_packs(cli, build, &policies::default_packs(), out)
}

/// Like [`run`], with the policy packs that `check` reports on and that
/// `synth`, `plan` and `apply` must pass.
///
/// # Errors
///
/// Fails when the environment does not compile or synthesize, a
/// mandatory policy rule refuses `synth`, `plan` or `apply`, or files
/// cannot be read or written.
pub fn run_with_packs<E: Display>(
    cli: Cli,
    build: impl FnOnce(&mut Env) -> Result<(), E>,
    packs: &[Pack],
    out: &mut dyn std::io::Write,
) -> Result<u8, CliError> {
    let name = cli.environment.unwrap_or_else(program_name);
    if let Err(reason) = onioncloud_core::Name::new(name.clone()).check() {
        return Err(CliError::Environment { name, reason });
    }
    let span = tracing::info_span!("environment", environment = %name);
    let _entered = span.enter();
    let env = compile(&name, build)?;
    tracing::debug!(
        declarations = env.declarations().len(),
        outputs = env.outputs().len(),
        edges = env.graph().edge_count(),
        "compiled"
    );
    let write = |out: &mut dyn std::io::Write, text: &str| {
        out.write_all(text.as_bytes()).map_err(|source| {
            CliError::Synth(SynthError::Write {
                path: PathBuf::from("<stdout>"),
                source,
            })
        })
    };
    // The policy gate of the commands that produce infrastructure: refuse
    // on a mandatory violation, warn about advisory ones on standard
    // error, like a compiler, so that standard output stays the
    // command's own.
    let gate = |command: &str| -> Result<(), CliError> {
        let report = policies::check(&env, packs);
        for warning in policies::gate(command, &report)? {
            eprintln!("{warning}");
        }
        // The machines' configuration is checked too, before anything is
        // planned or applied: a pillar value that would carry a secret,
        // say, must not be found only once the infrastructure exists.
        onioncloud_salt::synth(&env)
            .map_err(|e| CliError::Synth(SynthError::Salt(e.into())))?;
        Ok(())
    };
    match cli.command {
        Command::Check { format, output } => {
            let report = policies::check(&env, packs);
            policies::write_report(
                &report,
                format.into(),
                output.as_deref(),
                out,
            )?;
            Ok(if report.is_clean() { 0 } else { 1 })
        }
        Command::Validate => {
            synth::render(&env)?;
            let (resources, data) = env.declarations().iter().fold(
                (0, 0),
                |(r, d), decl| match decl.address.mode {
                    onioncloud_core::Mode::Managed => (r + 1, d),
                    onioncloud_core::Mode::Data => (r, d + 1),
                },
            );
            let text = format!(
                "Environment {name} is valid: {resources} resources, {data} \
                 data sources, {} outputs.\n",
                env.outputs().len()
            );
            write(out, &text)?;
            Ok(0)
        }
        Command::Synth {
            out: dir,
            from_state,
        } => {
            gate("synth")?;
            let count = if from_state {
                let engine =
                    engine_cli::Engine::open(&cli.engine, &env, &[], false)?;
                let files = engine_cli::synth_from_state(&engine, &env)?;
                synth::write_files(&files, &dir)?
            } else {
                synth::write(&env, &dir)?
            };
            let noun = if count == 1 { "file" } else { "files" };
            let text = format!("Wrote {count} {noun} to {}.\n", dir.display());
            write(out, &text)?;
            Ok(0)
        }
        Command::Plan {
            out: save,
            destroy,
            json,
            detailed_exitcode,
            plan,
        } => {
            if !destroy {
                gate("plan")?;
            }
            let engine = engine_cli::Engine::open(
                &cli.engine,
                &env,
                &[],
                plan.refresh(),
            )?;
            let changes = engine_cli::plan(
                &engine,
                &env,
                &plan,
                destroy,
                json,
                save.as_deref(),
                out,
            )?;
            Ok(if detailed_exitcode && changes { 2 } else { 0 })
        }
        Command::Apply {
            plan_file,
            plan,
            apply,
        } => {
            gate("apply")?;
            let extra = match &plan_file {
                Some(path) => engine_cli::load_plan(path)?
                    .changes
                    .iter()
                    .map(|c| c.provider.clone())
                    .collect(),
                None => Vec::new(),
            };
            let engine =
                engine_cli::Engine::open(&cli.engine, &env, &extra, true)?;
            Ok(engine_cli::apply(
                &engine,
                &env,
                &plan,
                &apply,
                plan_file.as_deref(),
                false,
                out,
            )?)
        }
        Command::Destroy { plan, apply } => {
            let engine =
                engine_cli::Engine::open(&cli.engine, &env, &[], true)?;
            Ok(engine_cli::apply(
                &engine, &env, &plan, &apply, None, true, out,
            )?)
        }
        Command::Refresh => {
            let engine =
                engine_cli::Engine::open(&cli.engine, &env, &[], true)?;
            Ok(engine_cli::refresh(&engine, out)?)
        }
        Command::State(command) => {
            let engine =
                engine_cli::Engine::open(&cli.engine, &env, &[], false)?;
            Ok(engine_cli::state(&engine, &command, out)?)
        }
        Command::Import { address, id } => {
            let engine =
                engine_cli::Engine::open(&cli.engine, &env, &[], true)?;
            Ok(engine_cli::import(&engine, &env, &address, &id, out)?)
        }
        Command::ForceUnlock { lock_id } => {
            let engine =
                engine_cli::Engine::open(&cli.engine, &env, &[], false)?;
            Ok(engine_cli::force_unlock(&engine, &lock_id, out)?)
        }
        Command::Graph { format } => {
            let text = match format {
                GraphFormat::Dot => diagram::dot(&env),
                GraphFormat::Mermaid => diagram::mermaid(&env),
            };
            write(out, &text)?;
            Ok(0)
        }
    }
}
