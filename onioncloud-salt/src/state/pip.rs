//! Builders for Salt's `pip` state module.

use super::string_list;

typed_state!(
    /// `pip.installed`: Python packages installed with pip.
    ///
    /// ```
    /// use onioncloud_salt::PipInstalled;
    ///
    /// let one = PipInstalled::new("requests==2.32.3")
    ///     .bin_env("/srv/app/venv");
    /// let many =
    ///     PipInstalled::pkgs("app-packages", ["flask", "gunicorn"])
    ///         .bin_env("/srv/app/venv")
    ///         .upgrade(true);
    /// assert_eq!(many.state().id(), "app-packages");
    /// # let _ = one;
    /// ```
    PipInstalled,
    "pip.installed",
    "the requirement `name`, like `requests` or `requests==2.32.3`"
);

impl PipInstalled {
    /// A `pip.installed` state with id `id` installing several
    /// requirements at once (Salt's `pkgs`).
    pub fn pkgs<I, P>(id: impl Into<String>, packages: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        Self::wrap(id).arg("pkgs", string_list(packages))
    }

    /// The virtual environment (or the `pip` program) to install with.
    pub fn bin_env(self, path: impl Into<String>) -> Self {
        self.arg("bin_env", path.into())
    }

    /// A requirements file to install from, like
    /// `/srv/app/requirements.txt` or `salt://app/requirements.txt`.
    pub fn requirements(self, path: impl Into<String>) -> Self {
        self.arg("requirements", path.into())
    }

    /// Whether to upgrade packages that are already installed.
    pub fn upgrade(self, upgrade: bool) -> Self {
        self.arg("upgrade", upgrade)
    }

    /// The user to run pip as.
    pub fn user(self, user: impl Into<String>) -> Self {
        self.arg("user", user.into())
    }

    /// The package index to install from, instead of PyPI.
    pub fn index_url(self, url: impl Into<String>) -> Self {
        self.arg("index_url", url.into())
    }
}
