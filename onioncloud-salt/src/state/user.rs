//! Builders for Salt's `user` state module.

use super::string_list;

typed_state!(
    /// `user.present`: a local user account.
    ///
    /// ```
    /// use onioncloud_salt::UserPresent;
    ///
    /// let deploy = UserPresent::new("deploy")
    ///     .home("/srv/deploy")
    ///     .shell("/bin/bash")
    ///     .groups(["www-data"]);
    /// assert_eq!(deploy.state().function(), "user.present");
    /// ```
    UserPresent,
    "user.present",
    "the user `name`"
);

impl UserPresent {
    /// The numeric user id.
    pub fn uid(self, uid: u32) -> Self {
        self.arg("uid", uid)
    }

    /// The primary group, by numeric id.
    pub fn gid(self, gid: u32) -> Self {
        self.arg("gid", gid)
    }

    /// The home directory.
    pub fn home(self, home: impl Into<String>) -> Self {
        self.arg("home", home.into())
    }

    /// The login shell.
    pub fn shell(self, shell: impl Into<String>) -> Self {
        self.arg("shell", shell.into())
    }

    /// The full name (the first field of the GECOS comment).
    pub fn fullname(self, fullname: impl Into<String>) -> Self {
        self.arg("fullname", fullname.into())
    }

    /// Supplementary groups; the user is removed from any others.
    pub fn groups<I, G>(self, groups: I) -> Self
    where
        I: IntoIterator<Item = G>,
        G: Into<String>,
    {
        self.arg("groups", string_list(groups))
    }

    /// Whether this is a system account.
    pub fn system(self, system: bool) -> Self {
        self.arg("system", system)
    }

    /// Whether to create the home directory.
    pub fn createhome(self, createhome: bool) -> Self {
        self.arg("createhome", createhome)
    }
}

typed_state!(
    /// `user.absent`: no local user account of that name.
    ///
    /// ```
    /// use onioncloud_salt::UserAbsent;
    ///
    /// let gone = UserAbsent::new("olduser").purge(true);
    /// assert_eq!(gone.state().function(), "user.absent");
    /// ```
    UserAbsent,
    "user.absent",
    "the user `name`"
);

impl UserAbsent {
    /// Whether to delete the home directory and mail spool too.
    pub fn purge(self, purge: bool) -> Self {
        self.arg("purge", purge)
    }

    /// Whether to delete the user even while they are logged in.
    pub fn force(self, force: bool) -> Self {
        self.arg("force", force)
    }
}
