//! The engine's commands: plan, apply, destroy, refresh, state, import
//! and force-unlock, against a state store and the clouds (or the
//! simulated cloud).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use onioncloud_core::CompiledEnv;
use onioncloud_core::engine::diff::{self, PlanOptions};
use onioncloud_core::engine::exec::{
    Event, ExecOptions, Observer, RetryPolicy, Shutdown, Step, Summary,
};
use onioncloud_core::engine::plan::{Action, PLAN_FORMAT, Plan};
use onioncloud_core::engine::provider::{Providers, provider_config_of};
use onioncloud_core::engine::session::{Session, SessionError};
use onioncloud_core::engine::sim::{SimCloud, SimConfig};
use onioncloud_core::engine::state::{JournalEntry, StateDoc};
use onioncloud_core::engine::store::StateStore;
use onioncloud_core::engine::store::local::LocalStore;
use onioncloud_core::sensitive::SensitiveValue;
use onioncloud_salt::runner::{LocalRunner, locate_salt_call};
use onioncloud_salt::ssh::locate_salt_ssh;

use crate::configure::{SaltVia, SshSettings};
use serde_json::Value as Json;

/// Where the engine keeps state and which clouds it talks to; shared by
/// every engine command.
#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// Which clouds to use: the real ones, or the simulated cloud (kept
    /// in a local directory) for every provider configuration.
    #[arg(long, value_enum, global = true, default_value_t = ProviderKind::Cloud)]
    pub provider: ProviderKind,

    /// The state directory; by default `.onioncloud/ENVIRONMENT/state`,
    /// or `.onioncloud/sim/ENVIRONMENT/state` with `--provider sim`.
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// Keep the state in PostgreSQL instead, given as a connection string
    /// (`host=... user=... dbname=...` or `postgresql://...`). Also read
    /// from `ONIONCLOUD_STATE_POSTGRES`.
    #[arg(long, global = true, value_name = "CONNINFO")]
    pub state_postgres: Option<String>,

    /// The simulated cloud's directory; by default
    /// `.onioncloud/sim/ENVIRONMENT/cloud`.
    #[arg(long, global = true, value_name = "DIR")]
    pub sim_dir: Option<PathBuf>,
}

/// Which clouds the engine talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderKind {
    /// The real clouds, through their providers.
    Cloud,
    /// The simulated cloud: no account needed.
    Sim,
}

/// Options of commands that apply changes.
#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// Skip the confirmation prompt.
    #[arg(long)]
    pub auto_approve: bool,

    /// At most this many operations at once; 0 for no limit beyond the
    /// providers' own.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,

    /// Start nothing new after the first failure.
    #[arg(long)]
    pub fail_fast: bool,

    /// The longest one attempt of one operation may take, in seconds.
    #[arg(long, default_value_t = 1800)]
    pub timeout: u64,

    /// How many times a throttled or transient failure is tried.
    #[arg(long, default_value_t = 5)]
    pub attempts: u32,

    /// Print events as JSON lines on standard output instead of a
    /// progress bar.
    #[arg(long)]
    pub json: bool,

    /// How to configure the machines with Salt once the infrastructure
    /// is applied: `ssh` (salt-ssh, with the roster of the machines the
    /// environment created), `local` (a masterless salt-call on this
    /// machine, for sandboxes and tests) or `off`. By default `off` with
    /// `--provider sim`, whose machines do not exist, else `ssh`.
    #[arg(long, value_enum, value_name = "RUNNER")]
    pub salt: Option<SaltMode>,

    /// Run Salt in test mode only (`state.apply test=True`): report what
    /// it would change, change nothing.
    #[arg(long)]
    pub salt_test: bool,

    /// The private key salt-ssh logs in to the machines with.
    #[arg(long, value_name = "FILE")]
    pub ssh_key: Option<PathBuf>,

    /// The known_hosts file holding the machines' host keys; no other key
    /// is accepted. By default `~/.ssh/known_hosts`.
    #[arg(long, value_name = "FILE")]
    pub ssh_known_hosts: Option<PathBuf>,

    /// The user salt-ssh logs in as, where a machine names none.
    #[arg(long, value_name = "USER", default_value = "root")]
    pub ssh_user: String,
}

/// How `apply` runs Salt on the machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SaltMode {
    /// Do not run Salt.
    Off,
    /// A masterless `salt-call --local` on this machine, once per
    /// machine of the environment.
    Local,
    /// `salt-ssh`, reaching each machine over SSH.
    Ssh,
}

/// Options of commands that plan.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// Set a variable: `NAME=VALUE`, the value as JSON or else a string.
    /// A sensitive variable can be given in the environment variable
    /// `ONIONCLOUD_VAR_NAME` instead, out of process listings.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// Read every resource from its cloud before planning (the default);
    /// `--refresh=false` compares with the state alone.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub refresh: Option<bool>,
}

impl PlanArgs {
    /// Whether to refresh before planning.
    pub fn refresh(&self) -> bool {
        self.refresh.unwrap_or(true)
    }
}

/// The `state` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum StateCommand {
    /// List the addresses in the state.
    List,
    /// Show one resource's recorded attributes (secret-looking values
    /// hidden).
    Show {
        /// The address.
        address: String,
    },
    /// Move a resource to a new address in the state; nothing changes in
    /// the cloud.
    Mv {
        /// The current address.
        from: String,
        /// The new address.
        to: String,
    },
    /// Forget a resource: remove it from the state, leave the object in
    /// the cloud.
    Rm {
        /// The address.
        address: String,
    },
}

/// Errors of the engine's commands.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineCliError {
    /// The session failed.
    #[error(transparent)]
    Session(Box<SessionError>),
    /// The simulated cloud failed to open.
    #[error("{0}")]
    Sim(String),
    /// No provider is available for a configuration.
    #[error(
        "no built-in provider manages {0:?} yet: run with --provider sim \
         to use the simulated cloud, or plan with --refresh=false against \
         the state alone"
    )]
    NoProvider(String),
    /// A plan file is unusable.
    #[error("plan file {path}: {reason}")]
    PlanFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Bad input on the command line.
    #[error("{0}")]
    Usage(String),
    /// The Salt trees cannot be synthesized from the deployed state.
    #[error("cannot configure the machines")]
    Salt(#[source] Box<onioncloud_salt::MachineError>),
    /// The user did not confirm.
    #[error("{0} cancelled")]
    Cancelled(&'static str),
    /// Writing output failed.
    #[error("cannot write {what}")]
    Io {
        /// What was written.
        what: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl From<SessionError> for EngineCliError {
    fn from(error: SessionError) -> Self {
        EngineCliError::Session(Box::new(error))
    }
}

/// Everything a command needs: the store, the providers, a runtime.
pub(crate) struct Engine {
    store: Box<dyn StateStore>,
    providers: Providers,
    runtime: tokio::runtime::Runtime,
    sim: Option<Arc<SimCloud>>,
}

impl Engine {
    /// Opens the store and the providers for `env`, plus any provider
    /// configurations the state or `extra` mention.
    pub(crate) fn open(
        args: &EngineArgs,
        env: &CompiledEnv,
        extra: &[String],
        need_providers: bool,
    ) -> Result<Self, EngineCliError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|source| EngineCliError::Io {
                what: "the async runtime".to_owned(),
                source,
            })?;
        let name = env.name();
        let base = match args.provider {
            ProviderKind::Cloud => PathBuf::from(".onioncloud").join(name),
            ProviderKind::Sim => {
                PathBuf::from(".onioncloud").join("sim").join(name)
            }
        };
        let store = open_store(args, &base, name, &runtime)?;
        let stored =
            runtime.block_on(store.read()).map_err(SessionError::from)?;
        let mut configs: BTreeSet<String> =
            env.declarations().iter().map(provider_config_of).collect();
        if let Some(state) = &stored {
            configs
                .extend(state.resources.values().map(|r| r.provider.clone()));
            configs.extend(state.pending.values().map(|p| p.provider.clone()));
        }
        configs.extend(extra.iter().cloned());
        let mut providers = Providers::new();
        let mut sim = None;
        match args.provider {
            ProviderKind::Sim => {
                let dir =
                    args.sim_dir.clone().unwrap_or_else(|| base.join("cloud"));
                let config = SimConfig::load(&dir)
                    .map_err(|e| EngineCliError::Sim(e.to_string()))?;
                let cloud = SimCloud::open(&dir, config)
                    .map_err(|e| EngineCliError::Sim(e.to_string()))?;
                for config in &configs {
                    providers.insert(config.clone(), cloud.provider(config));
                }
                sim = Some(cloud);
            }
            ProviderKind::Cloud => {
                if let Some(config) =
                    configs.into_iter().next().filter(|_| need_providers)
                {
                    return Err(EngineCliError::NoProvider(config));
                }
            }
        }
        Ok(Self {
            store,
            providers,
            runtime,
            sim,
        })
    }

    /// The simulated cloud, when in use.
    #[allow(dead_code)]
    pub(crate) fn sim(&self) -> Option<&Arc<SimCloud>> {
        self.sim.as_ref()
    }
}

fn open_store(
    args: &EngineArgs,
    base: &Path,
    name: &str,
    runtime: &tokio::runtime::Runtime,
) -> Result<Box<dyn StateStore>, EngineCliError> {
    let postgres = args
        .state_postgres
        .clone()
        .or_else(|| std::env::var("ONIONCLOUD_STATE_POSTGRES").ok());
    if let Some(conninfo) = postgres {
        #[cfg(feature = "postgres")]
        {
            let store = runtime
                .block_on(
                    onioncloud_core::engine::store::postgres::PostgresStore::connect(
                        &conninfo, name,
                    ),
                )
                .map_err(SessionError::from)?;
            return Ok(Box::new(store));
        }
        #[cfg(not(feature = "postgres"))]
        {
            let _ = conninfo;
            return Err(EngineCliError::Usage(
                "this build has no PostgreSQL state store (feature \
                 `postgres`)"
                    .to_owned(),
            ));
        }
    }
    let _ = runtime;
    let dir = args.state_dir.clone().unwrap_or_else(|| base.join("state"));
    Ok(Box::new(LocalStore::new(dir)))
}

/// Parses `--var NAME=VALUE` arguments by each variable's declared type:
/// a string is taken as written, a number or a bool must be one, and
/// other types are JSON.
fn variables(
    env: &CompiledEnv,
    vars: &[String],
) -> Result<BTreeMap<String, Json>, EngineCliError> {
    variables_from(env, vars, &|key| std::env::var(key).ok())
}

/// [`variables`], with the process environment read through `lookup`.
fn variables_from(
    env: &CompiledEnv,
    vars: &[String],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, Json>, EngineCliError> {
    let mut given = given_variables(env, vars)?;
    // A sensitive variable may come from the environment instead, so that
    // it stays out of process listings and shell histories.
    for decl in env.variables().iter().filter(|v| v.sensitive) {
        let name = decl.name.as_str();
        if given.contains_key(name) {
            continue;
        }
        let key = format!("{SENSITIVE_VAR_PREFIX}{name}");
        if let Some(raw) = lookup(&key) {
            let assignment = format!("{name}={raw}");
            let parsed = given_variables(env, &[assignment]).map_err(|_| {
                EngineCliError::Usage(format!(
                    "{key}: the value is not a {}",
                    decl.constraint
                ))
            })?;
            given.extend(parsed);
        }
    }
    Ok(given)
}

/// The environment variable prefix that gives a sensitive variable's
/// value, as `ONIONCLOUD_VAR_<name>`.
pub const SENSITIVE_VAR_PREFIX: &str = "ONIONCLOUD_VAR_";

/// The values given with `--var`, parsed by each variable's type.
fn given_variables(
    env: &CompiledEnv,
    vars: &[String],
) -> Result<BTreeMap<String, Json>, EngineCliError> {
    vars.iter()
        .map(|var| {
            let (name, raw) = var.split_once('=').ok_or_else(|| {
                EngineCliError::Usage(format!(
                    "--var {var:?} is not NAME=VALUE"
                ))
            })?;
            let Some(decl) =
                env.variables().iter().find(|v| v.name.as_str() == name)
            else {
                return Err(EngineCliError::Usage(format!(
                    "--var {name}: the environment declares no variable \
                     {name}"
                )));
            };
            let wrong = |what: &str| {
                // A sensitive value is never repeated, not even in an error.
                let shown = if decl.sensitive {
                    "the value".to_owned()
                } else {
                    format!("{raw:?}")
                };
                EngineCliError::Usage(format!(
                    "--var {name}: the variable is a {}, and {shown} is not \
                     {what}",
                    decl.constraint
                ))
            };
            let value = match decl.constraint.as_str() {
                "string" => Json::String(raw.to_owned()),
                "number" => match serde_json::from_str::<Json>(raw) {
                    Ok(n @ Json::Number(_)) => n,
                    _ => return Err(wrong("a number")),
                },
                "bool" => match raw {
                    "true" => Json::Bool(true),
                    "false" => Json::Bool(false),
                    _ => return Err(wrong("true or false")),
                },
                "list(string)" => match serde_json::from_str::<Json>(raw) {
                    Ok(Json::Array(items))
                        if items.iter().all(Json::is_string) =>
                    {
                        Json::Array(items)
                    }
                    _ => {
                        return Err(wrong(
                            "a JSON list of strings, such as [\"a\", \"b\"]",
                        ));
                    }
                },
                _ => serde_json::from_str(raw)
                    .map_err(|_| wrong("valid JSON"))?,
            };
            Ok((name.to_owned(), value))
        })
        .collect()
}

/// The plan options of the command line: `--var` values of sensitive
/// variables are held as [`SensitiveValue`]s from here on.
fn plan_options(
    env: &CompiledEnv,
    args: &PlanArgs,
    destroy: bool,
) -> Result<PlanOptions, EngineCliError> {
    let (sensitive, public): (BTreeMap<_, _>, BTreeMap<_, _>) =
        variables(env, &args.vars)?
            .into_iter()
            .partition(|(name, _)| is_sensitive_variable(env, name));
    Ok(PlanOptions {
        destroy,
        variables: public,
        sensitive_variables: sensitive
            .into_iter()
            .map(|(name, value)| (name, SensitiveValue::new(value)))
            .collect(),
    })
}

fn is_sensitive_variable(env: &CompiledEnv, name: &str) -> bool {
    env.variables()
        .iter()
        .any(|v| v.sensitive && v.name.as_str() == name)
}

fn write(
    out: &mut dyn std::io::Write,
    text: &str,
) -> Result<(), EngineCliError> {
    out.write_all(text.as_bytes())
        .map_err(|source| EngineCliError::Io {
            what: "standard output".to_owned(),
            source,
        })
}

/// `plan`: prints the plan, optionally saves it; returns whether it has
/// changes.
pub(crate) fn plan(
    engine: &Engine,
    env: &CompiledEnv,
    args: &PlanArgs,
    destroy: bool,
    json: bool,
    save: Option<&Path>,
    out: &mut dyn std::io::Write,
) -> Result<bool, EngineCliError> {
    let options = plan_options(env, args, destroy)?;
    let plan = engine.runtime.block_on(async {
        let session =
            Session::open(&*engine.store, &engine.providers, "plan").await?;
        let result = session.plan(env, &options, args.refresh()).await;
        session.close().await?;
        result
    })?;
    if json {
        let mut text =
            serde_json::to_string_pretty(&plan).expect("a plan serialises");
        text.push('\n');
        write(out, &text)?;
    } else {
        write(out, &diff::render(&plan))?;
    }
    if let Some(path) = save {
        save_plan(&plan, path)?;
        if !json {
            write(
                out,
                &format!(
                    "\nSaved the plan to {}. Apply exactly this plan with \
                     `apply {}`.\n",
                    path.display(),
                    path.display()
                ),
            )?;
        }
    }
    Ok(plan.has_changes())
}

fn save_plan(plan: &Plan, path: &Path) -> Result<(), EngineCliError> {
    let error = |reason: String| EngineCliError::PlanFile {
        path: path.to_owned(),
        reason,
    };
    let mut text =
        serde_json::to_string_pretty(plan).expect("a plan serialises");
    text.push('\n');
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| error(format!("cannot create it: {e}")))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| error(format!("cannot write it: {e}")))?;
    file.persist(path)
        .map_err(|e| error(format!("cannot write it: {}", e.error)))?;
    Ok(())
}

/// Reads a saved plan.
pub(crate) fn load_plan(path: &Path) -> Result<Plan, EngineCliError> {
    let error = |reason: String| EngineCliError::PlanFile {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| error(format!("cannot read it: {e}")))?;
    let json: Json = serde_json::from_str(&text).map_err(|e| {
        error(format!(
            "not JSON: line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    match json.get("format").and_then(Json::as_u64) {
        Some(f) if f == u64::from(PLAN_FORMAT) => {}
        Some(f) => {
            return Err(error(format!(
                "format {f}, but this build reads plan format {PLAN_FORMAT}"
            )));
        }
        None => {
            return Err(error(
                "not an OnionCloud plan (no \"format\" number)".to_owned(),
            ));
        }
    }
    serde_json::from_value(json).map_err(|e| error(format!("invalid: {e}")))
}

/// Prints events: a progress bar on a terminal, plain lines otherwise,
/// or JSON lines.
struct Progress {
    json: bool,
    bar: Option<indicatif::ProgressBar>,
    lines: Mutex<()>,
}

impl Progress {
    fn new(json: bool, operations: u64) -> Self {
        let bar = (!json && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(operations);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} \
                     {wide_msg}",
                )
                .expect("a valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self {
            json,
            bar,
            lines: Mutex::new(()),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    fn event(&self, event: &Event) {
        if self.json {
            let line = serde_json::to_string(event).expect("events serialise");
            let _guard = self.lines.lock();
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{line}");
            let _ = stdout.flush();
            return;
        }
        let text = match event {
            Event::Started { address, step, .. } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(step.describe(address));
                }
                return;
            }
            Event::Finished {
                address,
                step,
                elapsed,
                ..
            } => {
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
                format!(
                    "{address}: {} ({:.1}s)",
                    done_verb(*step),
                    elapsed.as_secs_f64()
                )
            }
            Event::Retrying {
                address,
                step,
                attempt,
                delay,
                error,
            } => format!(
                "{}: {error}; attempt {attempt} in {:.1}s",
                step.describe(address),
                delay.as_secs_f64()
            ),
            Event::Failed { address, error, .. } => {
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
                format!("{address}: FAILED: {error}")
            }
            Event::Skipped { address, because } => {
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
                format!("{address}: skipped, because {because} failed")
            }
            Event::Interrupted => "Interrupted: starting nothing new; \
                                   waiting for operations in flight"
                .to_owned(),
        };
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }
}

fn done_verb(step: Step) -> &'static str {
    match step {
        Step::Create => "created",
        Step::Update => "updated",
        Step::Read => "read",
        Step::Import => "imported",
        Step::Forget => "forgotten",
        Step::Delete => "destroyed",
        Step::CreateReplacement => "replacement created",
        Step::DestroyReplaced => "replaced object destroyed",
    }
}

/// Asks for confirmation on the terminal; `yes` proceeds.
fn confirm(what: &'static str) -> Result<(), EngineCliError> {
    eprint!(
        "\nDo you want to perform these actions? OnionCloud will {what} as \
         shown above.\n  Only 'yes' will be accepted to approve.\n\n  Enter \
         a value: "
    );
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|source| EngineCliError::Io {
            what: "the answer from standard input".to_owned(),
            source,
        })?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(EngineCliError::Cancelled(if what == "destroy" {
            "destroy"
        } else {
            "apply"
        }))
    }
}

/// Installs the signal handling of an apply: the first SIGINT or
/// SIGTERM asks the executor to start nothing new; the second exits at
/// once (the journal keeps the state whole).
fn watch_signals(
    runtime: &tokio::runtime::Runtime,
    shutdown: &Shutdown,
    executing: &Arc<AtomicBool>,
) {
    let shutdown = shutdown.clone();
    let executing = Arc::clone(executing);
    runtime.spawn(async move {
        let mut signals = Signals::new();
        let mut seen = 0;
        while signals.next().await {
            seen += 1;
            if !executing.load(Ordering::SeqCst) {
                // Planning or waiting for confirmation: nothing has been
                // changed, so there is nothing to finish.
                eprintln!("\nInterrupted before any change was made.");
                std::process::exit(130);
            }
            if seen == 1 {
                eprintln!(
                    "\nInterrupt received: finishing the operations in \
                     flight and saving the state. Interrupt again to exit at \
                     once."
                );
                shutdown.request();
            } else {
                eprintln!(
                    "\nSecond interrupt: exiting now. The state is whole; \
                     the next plan settles operations that were in flight."
                );
                std::process::exit(130);
            }
        }
    });
}

/// SIGINT and SIGTERM (Ctrl-C elsewhere), watched from the runtime that
/// creates it.
struct Signals {
    #[cfg(unix)]
    both: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let both = signal(SignalKind::interrupt())
                .ok()
                .zip(signal(SignalKind::terminate()).ok());
            Self { both }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// Waits for the next one; `false` when signals cannot be watched.
    async fn next(&mut self) -> bool {
        #[cfg(unix)]
        {
            let Some((int, term)) = &mut self.both else {
                return false;
            };
            tokio::select! {
                got = int.recv() => got.is_some(),
                got = term.recv() => got.is_some(),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await.is_ok()
        }
    }
}

/// `apply` and `destroy`: plans (or loads a saved plan), confirms,
/// executes, and prints the summary. Returns the exit code.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply(
    engine: &Engine,
    env: &CompiledEnv,
    plan_args: &PlanArgs,
    args: &ApplyArgs,
    saved: Option<&Path>,
    destroy: bool,
    out: &mut dyn std::io::Write,
) -> Result<u8, EngineCliError> {
    let mut saved = saved.map(load_plan).transpose()?;
    let options = plan_options(env, plan_args, destroy)?;
    if let Some(plan) = &mut saved {
        if plan.environment != env.name() {
            return Err(EngineCliError::Usage(format!(
                "the plan is for environment {:?}, not {:?}",
                plan.environment,
                env.name()
            )));
        }
        if plan_args.refresh.is_some() {
            return Err(EngineCliError::Usage(
                "--refresh applies when planning; a saved plan was already \
                 made"
                    .to_owned(),
            ));
        }
        supply_sensitive_values(plan, env, &options)?;
    }
    if args.json && saved.is_none() && !args.auto_approve {
        return Err(EngineCliError::Usage(
            "--json needs --auto-approve or a saved plan: a JSON stream has \
             no prompt"
                .to_owned(),
        ));
    }
    let destroy = destroy || saved.as_ref().is_some_and(|p| p.destroy);
    let salt = if destroy {
        None
    } else {
        salt_setup(engine, env, args)?
    };
    let exec = ExecOptions {
        parallelism: args.parallelism,
        fail_fast: args.fail_fast,
        op_timeout: Duration::from_secs(args.timeout.max(1)),
        retry: RetryPolicy {
            max_attempts: args.attempts.max(1),
            ..RetryPolicy::default()
        },
    };
    let shutdown = Shutdown::new();
    let executing = Arc::new(AtomicBool::new(false));
    watch_signals(&engine.runtime, &shutdown, &executing);
    let operation = if destroy { "destroy" } else { "apply" };
    let result: Result<Option<Summary>, EngineCliError> =
        engine.runtime.block_on(async {
            let session =
                Session::open(&*engine.store, &engine.providers, operation)
                    .await?;
            let outcome = async {
                let plan = match &saved {
                    Some(plan) => {
                        session.verify(env, plan).await?;
                        plan.clone()
                    }
                    None => {
                        let plan = session
                            .plan(env, &options, plan_args.refresh())
                            .await?;
                        if !args.json {
                            write(out, &diff::render(&plan))?;
                        }
                        if !plan.has_changes() {
                            return Ok(None);
                        }
                        if !args.auto_approve {
                            confirm(operation)?;
                        }
                        plan
                    }
                };
                let operations = plan
                    .changes
                    .iter()
                    .map(|c| match c.action {
                        Action::NoOp => 0,
                        Action::Replace => 2,
                        _ => 1,
                    })
                    .sum();
                let progress = Progress::new(args.json, operations);
                executing.store(true, Ordering::SeqCst);
                let summary =
                    session.apply(&plan, &exec, &progress, &shutdown).await;
                progress.finish();
                Ok(Some(summary?))
            }
            .await;
            session.close().await?;
            outcome
        });
    let summary = result?;
    if args.json {
        write(out, &format!("{}\n", summary_json(summary.as_ref())))?;
    } else if let Some(summary) = &summary {
        write(out, &render_summary(summary, destroy))?;
    }
    let complete = summary
        .as_ref()
        .is_none_or(|s| s.failed.is_empty() && !s.interrupted);
    if !complete {
        return Ok(1);
    }
    if destroy {
        return Ok(0);
    }

    // The machines are configured once their infrastructure is whole:
    // only then are the pillar values that come from it known.
    let mut variables = default_variables(env);
    match &saved {
        Some(plan) => variables.extend(plan.variables.clone()),
        None => variables.extend(options.variables.clone()),
    }
    let state = match summary {
        Some(summary) => summary.state,
        None => engine
            .runtime
            .block_on(engine.store.read())
            .map_err(SessionError::from)?
            .unwrap_or_else(|| StateDoc::new(StateDoc::new_lineage())),
    };
    let configured =
        configure_machines(salt.as_ref(), env, &state, &variables, args, out)?;
    Ok(if configured { 0 } else { 1 })
}

/// `synth --from-state`: every file, with the values that come from the
/// infrastructure taken from the stored state and the variables'
/// defaults.
pub(crate) fn synth_from_state(
    engine: &Engine,
    env: &CompiledEnv,
) -> Result<BTreeMap<PathBuf, String>, crate::cli::CliError> {
    let state = engine
        .runtime
        .block_on(engine.store.read())
        .map_err(SessionError::from)
        .map_err(EngineCliError::from)?
        .ok_or_else(|| {
            let hint = if engine.sim().is_some() {
                ""
            } else {
                " (the simulated cloud's state is read with --provider sim)"
            };
            EngineCliError::Usage(format!(
                "--from-state: there is no state yet at {}; apply \
                 first{hint}",
                engine.store.describe()
            ))
        })?;
    let variables = default_variables(env);
    let deployed = onioncloud_salt::Deployed {
        state: &state,
        variables: &variables,
    };
    Ok(crate::synth::render_deployed(env, deployed)?)
}

/// The defaults of the environment's variables, by name.
fn default_variables(env: &CompiledEnv) -> BTreeMap<String, Json> {
    env.variables()
        .iter()
        .filter_map(|v| Some((v.name.to_string(), v.default.clone()?)))
        .collect()
}

/// How `apply` will configure the machines, worked out before anything
/// is applied, so that a missing tool or key stops the apply before the
/// infrastructure changes.
pub(crate) enum SaltSetup {
    /// With a runner for every machine.
    Local(LocalRunner),
    /// With `salt-ssh`.
    Ssh(SshSettings),
}

/// The Salt runner `--salt` asks for, or `None` when the environment
/// configures no machine or Salt is off. Checks that the tools, the key
/// and the known hosts are there.
fn salt_setup(
    engine: &Engine,
    env: &CompiledEnv,
    args: &ApplyArgs,
) -> Result<Option<SaltSetup>, EngineCliError> {
    let machines = env
        .configurations()
        .iter()
        .filter(|decl| decl.configuration.system() == "salt")
        .count();
    if machines == 0 {
        return Ok(None);
    }
    let default = if engine.sim().is_some() {
        SaltMode::Off
    } else {
        SaltMode::Ssh
    };
    Ok(match args.salt.unwrap_or(default) {
        SaltMode::Off => None,
        SaltMode::Local => {
            let program = locate_salt_call().ok_or_else(|| {
                EngineCliError::Usage(
                    "--salt local needs salt-call: set ONIONCLOUD_SALT_CALL, \
                     run scripts/install-tools.sh, or put salt-call on PATH"
                        .to_owned(),
                )
            })?;
            Some(SaltSetup::Local(LocalRunner::new(program)))
        }
        SaltMode::Ssh => Some(SaltSetup::Ssh(ssh_settings(args)?)),
    })
}

/// Runs Salt on the machines of `env` after an apply, as `--salt` and
/// `--salt-test` ask, and prints the report. Returns whether every
/// machine was configured.
fn configure_machines(
    setup: Option<&SaltSetup>,
    env: &CompiledEnv,
    state: &StateDoc,
    variables: &BTreeMap<String, Json>,
    args: &ApplyArgs,
    out: &mut dyn std::io::Write,
) -> Result<bool, EngineCliError> {
    let Some(setup) = setup else {
        let configures = env
            .configurations()
            .iter()
            .any(|decl| decl.configuration.system() == "salt");
        if configures && args.salt.is_none() && !args.json {
            eprintln!(
                "note: Salt was not run: the simulated cloud's machines do \
                 not exist (`--salt local` applies their roles to this \
                 machine instead)"
            );
        }
        return Ok(true);
    };
    let via = match setup {
        SaltSetup::Local(runner) => SaltVia::Runner(runner),
        SaltSetup::Ssh(settings) => SaltVia::Ssh(settings),
    };
    let report = crate::configure::configure(
        env,
        state,
        variables,
        &via,
        args.salt_test,
    )
    .map_err(|source| EngineCliError::Salt(Box::new(source)))?;
    if args.json {
        let event = crate::configure::report_json(&report);
        write(out, &format!("{event}\n"))?;
    } else {
        write(out, &crate::configure::render_report(&report))?;
    }
    Ok(report.succeeded())
}

/// What `--salt ssh` needs, from the command line: the program, the key
/// and the known hosts.
fn ssh_settings(args: &ApplyArgs) -> Result<SshSettings, EngineCliError> {
    let usage = |text: &str| EngineCliError::Usage(text.to_owned());
    let program = locate_salt_ssh().ok_or_else(|| {
        usage(
            "--salt ssh needs salt-ssh: set ONIONCLOUD_SALT_SSH, run \
             scripts/install-tools.sh, or put salt-ssh on PATH",
        )
    })?;
    let private_key = args.ssh_key.clone().ok_or_else(|| {
        usage(
            "--salt ssh needs the private key to log in with: give it with \
             --ssh-key FILE (or --salt off to leave the machines alone)",
        )
    })?;
    let known_hosts = match &args.ssh_known_hosts {
        Some(path) => path.clone(),
        None => std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(".ssh/known_hosts"))
            .ok_or_else(|| usage("--salt ssh needs --ssh-known-hosts FILE"))?,
    };
    // Relative paths would change meaning in salt-ssh's own directory.
    let absolute = |path: PathBuf| {
        std::path::absolute(&path).map_err(|source| EngineCliError::Io {
            what: path.display().to_string(),
            source,
        })
    };
    for (flag, path) in [
        ("--ssh-key", &private_key),
        ("--ssh-known-hosts", &known_hosts),
    ] {
        if !path.is_file() {
            return Err(EngineCliError::Usage(format!(
                "{flag} {}: no such file",
                path.display()
            )));
        }
    }
    Ok(SshSettings {
        program,
        private_key: absolute(private_key)?,
        known_hosts: absolute(known_hosts)?,
        user: args.ssh_user.clone(),
    })
}

/// Gives a saved plan the values of its sensitive variables, which plan
/// files never hold: from `--var`, or the variable's default. Other
/// variables are fixed by the plan, and `--var` for them is refused.
fn supply_sensitive_values(
    plan: &mut Plan,
    env: &CompiledEnv,
    options: &PlanOptions,
) -> Result<(), EngineCliError> {
    let given = &options.sensitive_variables;
    for name in options.variables.keys().chain(given.keys()) {
        if !plan.sensitive_variables.contains(name) {
            return Err(EngineCliError::Usage(format!(
                "--var {name}: a saved plan keeps the values it was made \
                 with; only sensitive variables, which plan files never \
                 hold, are given again when it is applied"
            )));
        }
    }
    for name in plan.sensitive_variables.clone() {
        let value = given.get(&name).cloned().or_else(|| {
            env.variables()
                .iter()
                .find(|v| v.name.as_str() == name)
                .and_then(|v| v.default_sensitive())
        });
        match value {
            Some(value) => {
                plan.sensitive_values.insert(name, value);
            }
            None => {
                return Err(EngineCliError::Usage(format!(
                    "variable {name} is sensitive, so the plan file does \
                     not hold its value: give it again with --var \
                     {name}=VALUE or {SENSITIVE_VAR_PREFIX}{name}"
                )));
            }
        }
    }
    Ok(())
}

/// The closing summary of an apply as one JSON event; `None` when there
/// was nothing to do.
fn summary_json(summary: Option<&Summary>) -> Json {
    let Some(summary) = summary else {
        return serde_json::json!({
            "event": "summary",
            "complete": true,
            "changes": false,
        });
    };
    serde_json::json!({
        "event": "summary",
        "complete": summary.failed.is_empty() && !summary.interrupted,
        "changes": true,
        "interrupted": summary.interrupted,
        "done": summary
            .done
            .iter()
            .map(|(address, action)| {
                serde_json::json!({"address": address, "action": action})
            })
            .collect::<Vec<_>>(),
        "failed": summary
            .failed
            .iter()
            .map(|(address, error)| {
                serde_json::json!({"address": address, "error": error})
            })
            .collect::<Vec<_>>(),
        "skipped": summary.skipped,
        "not_started": summary.not_started,
    })
}

/// The closing summary of an apply.
pub fn render_summary(summary: &Summary, destroy: bool) -> String {
    let count = |actions: &[Action]| {
        summary
            .done
            .iter()
            .filter(|(_, a)| actions.contains(a))
            .count()
    };
    let added = count(&[Action::Create, Action::Replace, Action::Import]);
    let changed = count(&[Action::Update]);
    let destroyed = count(&[Action::Delete, Action::Replace]);
    let mut text = String::new();
    let verb = if destroy { "Destroy" } else { "Apply" };
    if summary.failed.is_empty() && !summary.interrupted {
        text.push_str(&format!(
            "\n{verb} complete! Resources: {added} added, {changed} changed, \
             {destroyed} destroyed.\n"
        ));
        return text;
    }
    let how = if summary.interrupted {
        "interrupted"
    } else {
        "failed"
    };
    text.push_str(&format!(
        "\n{verb} {how}. Done: {added} added, {changed} changed, {destroyed} \
         destroyed.\n"
    ));
    for (address, error) in &summary.failed {
        text.push_str(&format!("  failed:      {address}: {error}\n"));
    }
    for address in &summary.skipped {
        text.push_str(&format!("  skipped:     {address}\n"));
    }
    for address in &summary.not_started {
        text.push_str(&format!("  not started: {address}\n"));
    }
    text.push_str(
        "The state records everything that was done; run the command again \
         to continue.\n",
    );
    text
}

/// `refresh`.
pub(crate) fn refresh(
    engine: &Engine,
    out: &mut dyn std::io::Write,
) -> Result<u8, EngineCliError> {
    let entries = engine.runtime.block_on(async {
        let session =
            Session::open(&*engine.store, &engine.providers, "refresh").await?;
        let result = session.refresh().await;
        session.close().await?;
        result
    })?;
    let mut text = String::new();
    for entry in &entries {
        match entry {
            JournalEntry::Done {
                address,
                resource: Some(_),
            } => text.push_str(&format!("{address}: refreshed (drifted)\n")),
            JournalEntry::Done {
                address,
                resource: None,
            } => text.push_str(&format!(
                "{address}: no longer exists; removed from the state\n"
            )),
            JournalEntry::Abandoned { address } => text.push_str(&format!(
                "{address}: an interrupted operation had not reached the \
                 cloud\n"
            )),
            _ => {}
        }
    }
    text.push_str(&format!(
        "Refresh complete: {} change(s) recorded.\n",
        entries.len()
    ));
    write(out, &text)?;
    Ok(0)
}

/// `state list|show|mv|rm`.
pub(crate) fn state(
    engine: &Engine,
    command: &StateCommand,
    out: &mut dyn std::io::Write,
) -> Result<u8, EngineCliError> {
    let text = engine.runtime.block_on(async {
        let operation = match command {
            StateCommand::List | StateCommand::Show { .. } => "state read",
            StateCommand::Mv { .. } => "state mv",
            StateCommand::Rm { .. } => "state rm",
        };
        let session =
            Session::open(&*engine.store, &engine.providers, operation).await?;
        let result = state_inner(&session, command).await;
        session.close().await?;
        result
    })?;
    write(out, &text)?;
    Ok(0)
}

async fn state_inner(
    session: &Session<'_>,
    command: &StateCommand,
) -> Result<String, EngineCliError> {
    let (mut state, _) = session.state().await?;
    let missing = |address: &str| {
        EngineCliError::Usage(format!("{address} is not in the state"))
    };
    Ok(match command {
        StateCommand::List => {
            state.resources.keys().map(|a| format!("{a}\n")).collect()
        }
        StateCommand::Show { address } => {
            let resource = state
                .resources
                .get(address)
                .ok_or_else(|| missing(address))?;
            show_resource(address, resource)
        }
        StateCommand::Mv { from, to } => {
            check_address(to)?;
            if !state.resources.contains_key(from) {
                return Err(missing(from));
            }
            if state.resources.contains_key(to) {
                return Err(EngineCliError::Usage(format!(
                    "{to} is already in the state"
                )));
            }
            let (from_kind, to_kind) = (kind_of(from), kind_of(to));
            if from_kind != to_kind {
                return Err(EngineCliError::Usage(format!(
                    "cannot move {from} to {to}: the types differ"
                )));
            }
            if from.starts_with("data.") != to.starts_with("data.") {
                return Err(EngineCliError::Usage(format!(
                    "cannot move {from} to {to}: a managed resource and a \
                     data source are different things"
                )));
            }
            state.apply_entry(&JournalEntry::Moved {
                from: from.clone(),
                to: to.clone(),
            });
            session.commit(state).await?;
            format!("Moved {from} to {to}.\n")
        }
        StateCommand::Rm { address } => {
            if state.resources.remove(address).is_none() {
                return Err(missing(address));
            }
            session.commit(state).await?;
            format!(
                "Removed {address} from the state; the object still exists \
                 in the cloud.\n"
            )
        }
    })
}

fn kind_of(address: &str) -> Option<String> {
    onioncloud_core::Address::parse(address)
        .ok()
        .map(|a| a.kind.to_string())
}

fn check_address(address: &str) -> Result<(), EngineCliError> {
    onioncloud_core::Address::parse(address)
        .map(|_| ())
        .map_err(|reason| {
            EngineCliError::Usage(format!(
                "{address:?} is not a resource address: {reason}"
            ))
        })
}

fn show_resource(
    address: &str,
    resource: &onioncloud_core::engine::state::ResourceState,
) -> String {
    let mut text = format!(
        "# {address}\nid       = {:?}\ntype     = {:?}\nprovider = {:?}\n",
        resource.id, resource.kind, resource.provider
    );
    for (key, value) in &resource.attributes {
        let sensitive = resource.sensitive_attributes.contains(key);
        let shown = diff::shown_attribute(key, value, sensitive);
        text.push_str(&format!("{key} = {shown}\n"));
    }
    text
}

/// `import ADDRESS ID`: adopts an existing object into the state.
pub(crate) fn import(
    engine: &Engine,
    env: &CompiledEnv,
    address: &str,
    id: &str,
    out: &mut dyn std::io::Write,
) -> Result<u8, EngineCliError> {
    check_address(address)?;
    let decl = env
        .declarations()
        .iter()
        .find(|d| d.address.to_string() == address)
        .ok_or_else(|| {
            EngineCliError::Usage(format!(
                "{address} is not declared in the environment; declare it \
                 first, then import the object into it"
            ))
        })?;
    let config = provider_config_of(decl);
    let kind = decl.address.kind.to_string();
    let provider = engine
        .providers
        .get(&config)
        .map_err(|_| EngineCliError::NoProvider(config.clone()))?
        .clone();
    engine.runtime.block_on(async {
        let session =
            Session::open(&*engine.store, &engine.providers, "import").await?;
        let result = async {
            let (mut state, _) = session.state().await?;
            if state.resources.contains_key(address) {
                return Err(EngineCliError::Usage(format!(
                    "{address} is already in the state; `state rm` it first \
                     to import another object"
                )));
            }
            if let Some((other, _)) = state.resources.iter().find(|(_, r)| {
                r.id == id && r.kind == kind && r.provider == config
            }) {
                return Err(EngineCliError::Usage(format!(
                    "{kind} {id:?} is already in the state as {other}; an \
                     object is managed at one address only (`state mv` \
                     renames it)"
                )));
            }
            let attributes = provider
                .read(&kind, id)
                .await
                .map_err(|error| SessionError::Provider {
                    address: address.to_owned(),
                    error,
                })?
                .ok_or_else(|| {
                    EngineCliError::Usage(format!(
                        "{address}: no {kind} with id {id:?} exists"
                    ))
                })?;
            state.apply_entry(&JournalEntry::Done {
                address: address.to_owned(),
                resource: Some(onioncloud_core::engine::state::ResourceState {
                    kind: kind.clone(),
                    provider: config.clone(),
                    id: id.to_owned(),
                    attributes,
                    dependencies: Vec::new(),
                    create_before_destroy: false,
                    sensitive_attributes: Vec::new(),
                }),
            });
            session.commit(state).await?;
            Ok(())
        }
        .await;
        session.close().await?;
        result
    })?;
    write(
        out,
        &format!(
            "Imported {id} as {address}. Run plan to see how it differs from \
             the configuration.\n"
        ),
    )?;
    Ok(0)
}

/// `force-unlock ID`.
pub(crate) fn force_unlock(
    engine: &Engine,
    id: &str,
    out: &mut dyn std::io::Write,
) -> Result<u8, EngineCliError> {
    engine
        .runtime
        .block_on(engine.store.force_unlock(id))
        .map_err(SessionError::from)?;
    write(out, &format!("Released lock {id}.\n"))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use onioncloud_core::{Env, Variable};

    use super::*;

    fn env() -> CompiledEnv {
        let mut env = Env::new("t");
        env.variable("token", Variable::<String>::new().sensitive());
        env.variable("port", Variable::<i64>::new().sensitive());
        env.variable("region", Variable::<String>::new());
        env.compile().unwrap()
    }

    #[test]
    fn sensitive_variables_come_from_the_environment_too() {
        let lookup = |key: &str| match key {
            "ONIONCLOUD_VAR_token" => Some("canary-9".to_owned()),
            "ONIONCLOUD_VAR_region" => Some("eu-west-1".to_owned()),
            _ => None,
        };
        let values = variables_from(&env(), &[], &lookup).unwrap();
        assert_eq!(values["token"], "canary-9");
        // Only sensitive variables are read from the environment.
        assert!(!values.contains_key("region"));
        // --var wins.
        let given = ["token=from-flag".to_owned()];
        let values = variables_from(&env(), &given, &lookup).unwrap();
        assert_eq!(values["token"], "from-flag");
    }

    #[test]
    fn a_bad_sensitive_value_is_never_repeated() {
        let lookup = |key: &str| {
            (key == "ONIONCLOUD_VAR_port").then(|| "canary-7".to_owned())
        };
        let error = variables_from(&env(), &[], &lookup).unwrap_err();
        assert_eq!(
            error.to_string(),
            "ONIONCLOUD_VAR_port: the value is not a number"
        );
        let given = ["port=canary-8".to_owned()];
        let error = variables_from(&env(), &given, &|_| None).unwrap_err();
        assert!(!error.to_string().contains("canary-8"), "{error}");
    }
}
