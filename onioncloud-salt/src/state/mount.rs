//! Builders for Salt's `mount` state module.

use super::string_list;

typed_state!(
    /// `mount.mounted`: a file system mounted at a directory, and by default
    /// recorded in `/etc/fstab`.
    ///
    /// ```
    /// use onioncloud_salt::MountMounted;
    ///
    /// let data = MountMounted::new("/srv/data", "/dev/vdb1", "ext4")
    ///     .opts(["noatime", "nodev"])
    ///     .mkmnt(true);
    /// assert_eq!(data.state().function(), "mount.mounted");
    /// ```
    MountMounted,
    "mount.mounted"
);

impl MountMounted {
    /// A `mount.mounted` state mounting `device` (like `/dev/vdb1`,
    /// `UUID=…` or `server:/export`) of type `fstype` (like `ext4` or
    /// `nfs`) at the directory `name`, which is also its id.
    pub fn new(
        name: impl Into<String>,
        device: impl Into<String>,
        fstype: impl Into<String>,
    ) -> Self {
        Self::wrap(name)
            .arg("device", device.into())
            .arg("fstype", fstype.into())
    }

    /// Mount options, like `noatime` (default `defaults`).
    pub fn opts<I, O>(self, options: I) -> Self
    where
        I: IntoIterator<Item = O>,
        O: Into<String>,
    {
        self.arg("opts", string_list(options))
    }

    /// Whether to record the mount in the fstab (default true).
    pub fn persist(self, persist: bool) -> Self {
        self.arg("persist", persist)
    }

    /// Whether to create the mount point if it is missing.
    pub fn mkmnt(self, mkmnt: bool) -> Self {
        self.arg("mkmnt", mkmnt)
    }

    /// The fstab `dump` field.
    pub fn dump(self, dump: u32) -> Self {
        self.arg("dump", dump)
    }

    /// The fstab `pass` field (the order of boot-time checks; 0 skips).
    pub fn pass_num(self, pass: u32) -> Self {
        self.arg("pass_num", pass)
    }

    /// The fstab file to record the mount in (default `/etc/fstab`).
    pub fn config(self, path: impl Into<String>) -> Self {
        self.arg("config", path.into())
    }
}
