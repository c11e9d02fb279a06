//! The sandbox environment's declarations.

use std::convert::Infallible;

use onioncloud::prelude::*;
use onioncloud::salt::{CmdRun, FileDirectory, FileManaged};

/// The sandbox directory every file the role manages lives in.
pub fn sandbox() -> String {
    std::env::var("ONIONCLOUD_SANDBOX")
        .unwrap_or_else(|_| "/tmp/onioncloud-sandbox".to_owned())
}

/// The application role: its configuration from the pillar key
/// `app_conf`, and a reload marker appended to whenever it changes.
pub fn app_role(root: &str) -> Role {
    let mut app = Role::new("app");
    let etc = app.add(
        FileDirectory::new(format!("{root}/etc"))
            .id("app-etc")
            .mode(0o755)
            .makedirs(true),
    );
    let config = app.add(
        FileManaged::new(format!("{root}/etc/app.conf"))
            .id("app-config")
            .arg("contents_pillar", "app_conf")
            .mode(0o640)
            .require(&etc),
    );
    app.add(
        CmdRun::new(format!("echo reloaded >> {root}/reloads"))
            .id("app-reload")
            .onchanges(&config),
    );
    app
}

/// The environment, with its sandbox from `ONIONCLOUD_SANDBOX`.
pub fn build(env: &mut Env) -> Result<(), Infallible> {
    build_in(env, &sandbox())
}

/// The environment, with its sandbox at `root`: a database and the
/// instance it configures, both encrypted, so that every mandatory policy
/// rule holds.
pub fn build_in(env: &mut Env, root: &str) -> Result<(), Infallible> {
    env.provider(aws::Provider::region("eu-west-1"));
    let password = SecretRef::aws("sandbox/orders-db");
    let db = env.add(
        "orders",
        aws::DbInstance::new("postgres", "db.t3.micro")
            .password(&password)
            .storage_encrypted(true)
            .backup_retention_period(7),
    );
    let app = env.add(
        "app",
        aws::Instance::new("ami-0abc1234", "t3.micro").root_block_device(
            aws::RootBlockDevice::new().encrypted(true).volume_size(8),
        ),
    );

    let conf = concat([
        Input::from("db_host = "),
        db.address().into(),
        "\nlisten = ".into(),
        app.private_ip().into(),
        "\n".into(),
    ]);
    env.configure(
        &app,
        Machine::new()
            .role(&app_role(root))
            .pillar("app_conf", conf)
            .pillar("db_password", password),
    );
    env.output::<String>("db_address", db.address());
    Ok(())
}
