//! Builders for Salt's `cmd` state module.

typed_state!(
    /// `cmd.run`: a command. Give it an [`id`](CmdRun::id) when the command
    /// is long, and a guard ([`creates`](CmdRun::creates),
    /// [`unless`](CmdRun::unless), [`onlyif`](CmdRun::onlyif) or a
    /// requisite) so it does not run every time.
    ///
    /// ```
    /// use onioncloud_salt::CmdRun;
    ///
    /// let migrate = CmdRun::new("./manage.py migrate")
    ///     .id("migrate")
    ///     .cwd("/srv/app")
    ///     .unless("./manage.py migrate --check");
    /// assert_eq!(migrate.state().id(), "migrate");
    /// ```
    CmdRun,
    "cmd.run",
    "the shell command `name`"
);

impl CmdRun {
    /// Skips the command when this path exists.
    pub fn creates(self, path: impl Into<String>) -> Self {
        self.arg("creates", path.into())
    }

    /// Skips the command when this shell command succeeds.
    pub fn unless(self, command: impl Into<String>) -> Self {
        self.arg("unless", command.into())
    }

    /// Runs the command only when this shell command succeeds.
    pub fn onlyif(self, command: impl Into<String>) -> Self {
        self.arg("onlyif", command.into())
    }

    /// The working directory.
    pub fn cwd(self, directory: impl Into<String>) -> Self {
        self.arg("cwd", directory.into())
    }

    /// The user to run as.
    pub fn runas(self, user: impl Into<String>) -> Self {
        self.arg("runas", user.into())
    }
}
