//! Builders for Salt's `service` state module.

typed_state!(
    /// `service.running`: a running service. A [`watch`](Self::watch) on
    /// it restarts the service (or reloads it, with
    /// [`reload`](Self::reload)) when the watched state changes.
    ///
    /// ```
    /// use onioncloud_salt::ServiceRunning;
    ///
    /// let nginx = ServiceRunning::new("nginx").enable(true).reload(true);
    /// assert_eq!(nginx.state().function(), "service.running");
    /// ```
    ServiceRunning,
    "service.running",
    "the service `name`"
);

impl ServiceRunning {
    /// Whether the service starts at boot.
    pub fn enable(self, enable: bool) -> Self {
        self.arg("enable", enable)
    }

    /// Whether a watch reloads instead of restarting the service.
    pub fn reload(self, reload: bool) -> Self {
        self.arg("reload", reload)
    }
}

typed_state!(
    /// `service.dead`: a stopped service.
    ///
    /// ```
    /// use onioncloud_salt::ServiceDead;
    ///
    /// let cups = ServiceDead::new("cups").enable(false);
    /// assert_eq!(cups.state().function(), "service.dead");
    /// ```
    ServiceDead,
    "service.dead",
    "the service `name`"
);

impl ServiceDead {
    /// Whether the service starts at boot (false disables it too).
    pub fn enable(self, enable: bool) -> Self {
        self.arg("enable", enable)
    }
}

typed_state!(
    /// `service.enabled`: a service that starts at boot, whether or not it
    /// runs now.
    ServiceEnabled,
    "service.enabled",
    "the service `name`"
);
