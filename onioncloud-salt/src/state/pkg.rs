//! Builders for Salt's `pkg` state module.

typed_state!(
    /// `pkg.installed`: an installed package.
    ///
    /// ```
    /// use onioncloud_salt::PkgInstalled;
    ///
    /// let nginx = PkgInstalled::new("nginx").refresh(false);
    /// assert_eq!(nginx.state().function(), "pkg.installed");
    /// ```
    PkgInstalled,
    "pkg.installed",
    "the package `name`"
);

impl PkgInstalled {
    /// The version to install, as the package manager spells it.
    pub fn version(self, version: impl Into<String>) -> Self {
        self.arg("version", version.into())
    }

    /// Whether to refresh the package database first.
    pub fn refresh(self, refresh: bool) -> Self {
        self.arg("refresh", refresh)
    }

    /// The repository to install from.
    pub fn fromrepo(self, repository: impl Into<String>) -> Self {
        self.arg("fromrepo", repository.into())
    }
}

typed_state!(
    /// `pkg.removed`: a package that is not installed (its configuration
    /// files may stay; `pkg.purged` removes them too).
    ///
    /// ```
    /// use onioncloud_salt::PkgRemoved;
    ///
    /// let telnet = PkgRemoved::new("telnet");
    /// assert_eq!(telnet.state().function(), "pkg.removed");
    /// ```
    PkgRemoved,
    "pkg.removed",
    "the package `name`"
);

impl PkgRemoved {
    /// Removes the package only if this version is installed.
    pub fn version(self, version: impl Into<String>) -> Self {
        self.arg("version", version.into())
    }
}

typed_state!(
    /// `pkg.latest`: a package installed and upgraded to the newest version
    /// the repositories offer.
    PkgLatest,
    "pkg.latest",
    "the package `name`"
);

impl PkgLatest {
    /// Whether to refresh the package database first.
    pub fn refresh(self, refresh: bool) -> Self {
        self.arg("refresh", refresh)
    }

    /// The repository to install from.
    pub fn fromrepo(self, repository: impl Into<String>) -> Self {
        self.arg("fromrepo", repository.into())
    }
}
