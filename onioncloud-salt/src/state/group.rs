//! Builders for Salt's `group` state module.

use super::string_list;

typed_state!(
    /// `group.present`: a local group.
    ///
    /// ```
    /// use onioncloud_salt::GroupPresent;
    ///
    /// let admins = GroupPresent::new("admins")
    ///     .gid(2000)
    ///     .members(["alice", "bob"]);
    /// assert_eq!(admins.state().function(), "group.present");
    /// ```
    GroupPresent,
    "group.present",
    "the group `name`"
);

impl GroupPresent {
    /// The numeric group id.
    pub fn gid(self, gid: u32) -> Self {
        self.arg("gid", gid)
    }

    /// Whether this is a system group (its id taken from the system range).
    pub fn system(self, system: bool) -> Self {
        self.arg("system", system)
    }

    /// The complete member list: users not in it are removed from the
    /// group. Salt does not allow it together with
    /// [`addusers`](GroupPresent::addusers) or
    /// [`delusers`](GroupPresent::delusers).
    pub fn members<I, U>(self, users: I) -> Self
    where
        I: IntoIterator<Item = U>,
        U: Into<String>,
    {
        self.arg("members", string_list(users))
    }

    /// Users to add to the group, leaving other members alone.
    pub fn addusers<I, U>(self, users: I) -> Self
    where
        I: IntoIterator<Item = U>,
        U: Into<String>,
    {
        self.arg("addusers", string_list(users))
    }

    /// Users to remove from the group.
    pub fn delusers<I, U>(self, users: I) -> Self
    where
        I: IntoIterator<Item = U>,
        U: Into<String>,
    {
        self.arg("delusers", string_list(users))
    }
}

typed_state!(
    /// `group.absent`: no local group of that name.
    GroupAbsent,
    "group.absent",
    "the group `name`"
);
