//! Builders for Salt's `sysctl` state module.

use crate::SaltValue;

typed_state!(
    /// `sysctl.present`: a kernel parameter set now and persisted in a
    /// sysctl configuration file.
    ///
    /// ```
    /// use onioncloud_salt::SysctlPresent;
    ///
    /// let forwarding = SysctlPresent::new("net.ipv4.ip_forward", 1);
    /// let buffers =
    ///     SysctlPresent::new("net.ipv4.tcp_rmem", "4096 87380 6291456");
    /// assert_eq!(forwarding.state().function(), "sysctl.present");
    /// # let _ = buffers;
    /// ```
    SysctlPresent,
    "sysctl.present"
);

impl SysctlPresent {
    /// A `sysctl.present` state setting the parameter `name` (also its id),
    /// like `vm.swappiness`, to `value` (a number or the text `sysctl`
    /// prints, like `4096 87380 6291456`).
    pub fn new(name: impl Into<String>, value: impl Into<SaltValue>) -> Self {
        Self::wrap(name).arg("value", value)
    }

    /// The configuration file to persist the value in (default
    /// `/etc/sysctl.d/99-salt.conf` on systemd machines).
    pub fn config(self, path: impl Into<String>) -> Self {
        self.arg("config", path.into())
    }
}
