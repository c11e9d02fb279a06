//! Synthesizing Salt trees of 10,000 states across 100 roles.
//!
//! Each role has 100 states of the common modules (packages, files with
//! contents and modes, services, commands, users), each requiring the one
//! before it and every tenth watching a file; 100 machines receive one
//! role each plus a shared base role, with pillar values.
//!
//! Measured: rendering the [`SaltTree`] alone (checks, cycles and YAML),
//! and synthesizing it from a compiled environment, where the machines,
//! their pillar and their roles come from `env.configure`. Run with
//! `cargo bench -p onioncloud-salt --bench salt`.

use criterion::{Criterion, criterion_group, criterion_main};
use onioncloud_core::{Env, GenericResource};
use onioncloud_salt::{
    CmdRun, FileManaged, Machine, PkgInstalled, Role, SaltTree, ServiceRunning,
    StateRef, UserPresent,
};

const ROLES: usize = 100;
const STATES_PER_ROLE: usize = 100;

/// Role `index` with its states, each requiring the one before.
fn role(index: usize) -> Role {
    let mut role = Role::new(format!("app-{index}"));
    let mut previous: Option<StateRef> = None;
    let mut last_file: Option<StateRef> = None;
    for state in 0..STATES_PER_ROLE {
        let id = format!("app-{index}-{state}");
        let handle = match state % 5 {
            0 => role.add(PkgInstalled::new(format!("pkg-{index}-{state}"))),
            1 => {
                let file =
                    FileManaged::new(format!("/srv/app-{index}/{state}"))
                        .id(&id)
                        .contents(format!("setting = {state}\nyes\n0644\n"))
                        .mode(0o640)
                        .makedirs(true);
                let file = match &previous {
                    Some(before) => file.require(before),
                    None => file,
                };
                let handle = role.add(file);
                last_file = Some(handle.clone());
                handle
            }
            2 => {
                let service =
                    ServiceRunning::new(format!("svc-{index}-{state}"))
                        .enable(true);
                let service = match &last_file {
                    Some(file) => service.watch(file),
                    None => service,
                };
                role.add(service)
            }
            3 => {
                let command = CmdRun::new(format!("echo {state}")).id(&id);
                let command = match &previous {
                    Some(before) => command.require(before),
                    None => command,
                };
                role.add(command)
            }
            _ => role.add(
                UserPresent::new(format!("user-{index}-{state}"))
                    .home(format!("/home/user-{index}-{state}"))
                    .system(true),
            ),
        };
        previous = Some(handle);
    }
    role
}

fn roles() -> Vec<Role> {
    (0..ROLES).map(role).collect()
}

fn render_tree(c: &mut Criterion) {
    let roles = roles();
    let states: usize = roles.iter().map(|r| r.states().len()).sum();
    assert_eq!(states, ROLES * STATES_PER_ROLE);
    let mut tree = SaltTree::new();
    for (index, role) in roles.iter().enumerate() {
        let minion = format!("web-{index}");
        tree.assign(&minion, role);
        tree.set_pillar(&minion, "db_host", "db.internal");
        tree.set_pillar(&minion, "index", index as i64);
    }
    c.bench_function("render 10,000 states in 100 roles", |b| {
        b.iter(|| {
            let files = tree.render().unwrap();
            assert_eq!(files.len(), ROLES * 2 + 2);
            files
        })
    });
}

fn synth_environment(c: &mut Criterion) {
    let roles = roles();
    let mut env = Env::new("bench");
    let db = env.add(
        "orders",
        GenericResource::new("aws_db_instance").set("engine", "postgres"),
    );
    for (index, role) in roles.iter().enumerate() {
        let vm = env.add(
            format!("web-{index}"),
            GenericResource::new("aws_instance")
                .set("instance_type", "t3.small"),
        );
        env.configure(
            &vm,
            Machine::new()
                .role(role)
                .pillar("db_host", db.attr::<String>("address"))
                .pillar::<i64>("index", index as i64),
        );
    }
    let env = env.compile().unwrap();
    c.bench_function("synth 10,000 states for 100 machines", |b| {
        b.iter(|| {
            let files = onioncloud_salt::synth(&env).unwrap();
            assert_eq!(files.len(), ROLES * 2 + 2);
            files
        })
    });
}

criterion_group!(benches, render_tree, synth_environment);
criterion_main!(benches);
