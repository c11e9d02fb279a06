//! The multi-cloud example: the seed's architecture as a real
//! environment. An AWS web tier in eu-west-1 (VPC, HTTPS load balancer,
//! two web servers, PostgreSQL on RDS, encrypted buckets, CloudWatch and
//! Secrets Manager), its disaster-recovery copy on Google Cloud, and a
//! private cloud of Proxmox VE, Ceph and OpenStack, with Salt roles for
//! every machine.
//!
//! Check it, write the Terraform JSON and the Salt and pillar trees, and
//! deploy it to the simulated cloud:
//!
//! ```text
//! cargo run --example multicloud -- validate
//! cargo run --example multicloud -- synth --out out/
//! V='--var certificate_arn=arn:aws:acm:eu-west-1:123456789012:certificate/demo'
//! cargo run --example multicloud -- --provider sim plan $V
//! cargo run --example multicloud -- --provider sim apply $V --auto-approve
//! ```
//!
//! `synth` writes one Terraform root module per provider under
//! `out/terraform/` (`aws`, `google`, `proxmox`, `openstack`; the Ceph
//! bucket sits in `aws` under the aliased `aws.ceph` configuration) and the
//! Salt tree under `out/salt/` and `out/pillar/`. The declarations are in
//! `environment.rs`.

mod environment;

fn main() -> std::process::ExitCode {
    onioncloud::cli::main(environment::build)
}
