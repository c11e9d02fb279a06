//! Builders for Salt's `timezone` state module.

typed_state!(
    /// `timezone.system`: the machine's time zone.
    ///
    /// ```
    /// use onioncloud_salt::TimezoneSystem;
    ///
    /// let zone = TimezoneSystem::new("Europe/Berlin").utc(true);
    /// assert_eq!(zone.state().function(), "timezone.system");
    /// ```
    TimezoneSystem,
    "timezone.system",
    "the time zone `name`, like `Etc/UTC` or `Europe/Berlin`"
);

impl TimezoneSystem {
    /// Whether the hardware clock keeps UTC (true) or local time.
    pub fn utc(self, utc: bool) -> Self {
        self.arg("utc", utc)
    }
}
