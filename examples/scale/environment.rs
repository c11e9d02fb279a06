//! A generated environment of any size, for benchmarks: networks of
//! subnets and machines, each machine referring to its subnet and security
//! group, one in ten with a Salt role.

use onioncloud::prelude::*;
use onioncloud::salt::{FileManaged, Machine, PkgInstalled, Role};

/// An environment with about `n` resources.
pub fn generate(n: usize) -> Env {
    let mut env = Env::new("scale");
    env.provider(aws::Provider::region("eu-west-1"));
    let mut role = Role::new("web");
    let pkg = role.add(PkgInstalled::new("nginx"));
    role.add(
        FileManaged::new("/etc/nginx/conf.d/app.conf")
            .contents("server { listen 80; }\n")
            .require(&pkg),
    );

    // Per block of 100: a VPC, a security group, 9 subnets and 89
    // instances spread over them.
    let mut made = 0;
    let mut block = 0;
    while made < n {
        let vpc = env.add(format!("vpc-{block}"), aws::Vpc::new("10.0.0.0/16"));
        let sg =
            env.add(format!("sg-{block}"), aws::SecurityGroup::new(vpc.id()));
        let subnets: Vec<_> = (0..9)
            .map(|s| {
                env.add(
                    format!("subnet-{block}-{s}"),
                    aws::Subnet::new(vpc.id(), format!("10.0.{s}.0/24")),
                )
            })
            .collect();
        made += 11;
        for i in 0..89 {
            if made >= n {
                break;
            }
            let vm = env.add(
                format!("vm-{block}-{i}"),
                aws::Instance::new("ami-0123456789abcdef0", "t3.small")
                    .subnet_id(subnets[i % subnets.len()].id())
                    .vpc_security_group_ids(vec![sg.id()]),
            );
            if i % 10 == 0 {
                env.configure(
                    &vm,
                    Machine::new()
                        .role(&role)
                        .pillar("subnet", subnets[i % 9].id()),
                );
            }
            made += 1;
        }
        block += 1;
    }
    env
}
