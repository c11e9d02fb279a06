//! Builders for Salt's `archive` state module.

/// The kind of archive (Salt's `archive_format` argument of
/// `archive.extracted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArchiveFormat {
    /// `tar`, compressed or not.
    Tar,
    /// `zip`.
    Zip,
    /// `rar`.
    Rar,
}

impl ArchiveFormat {
    /// The word Salt takes, like `tar`.
    pub fn salt_word(self) -> &'static str {
        match self {
            ArchiveFormat::Tar => "tar",
            ArchiveFormat::Zip => "zip",
            ArchiveFormat::Rar => "rar",
        }
    }
}

typed_state!(
    /// `archive.extracted`: the contents of an archive extracted into a
    /// directory.
    ///
    /// ```
    /// use onioncloud_salt::{ArchiveExtracted, ArchiveFormat};
    ///
    /// let release = ArchiveExtracted::new(
    ///     "/opt/app",
    ///     "https://example.org/app-1.2.tar.gz",
    /// )
    /// .source_hash("sha256=…")
    /// .archive_format(ArchiveFormat::Tar)
    /// .user("app");
    /// assert_eq!(release.state().function(), "archive.extracted");
    /// ```
    ArchiveExtracted,
    "archive.extracted"
);

impl ArchiveExtracted {
    /// An `archive.extracted` state extracting the archive at `source`
    /// (a `salt://`, `https://` or local path) into the directory `name`,
    /// which is also its id.
    pub fn new(name: impl Into<String>, source: impl Into<String>) -> Self {
        Self::wrap(name).arg("source", source.into())
    }

    /// The hash of a remote `source`, like `sha256=…`, or the URL of a
    /// hash file.
    pub fn source_hash(self, hash: impl Into<String>) -> Self {
        self.arg("source_hash", hash.into())
    }

    /// Whether to skip checking the hash of a remote `source`.
    pub fn skip_verify(self, skip: bool) -> Self {
        self.arg("skip_verify", skip)
    }

    /// The kind of archive, when Salt cannot tell from the name.
    pub fn archive_format(self, format: ArchiveFormat) -> Self {
        self.arg("archive_format", format.salt_word())
    }

    /// Whether to refuse archives that do not hold a single top-level
    /// directory (default true).
    pub fn enforce_toplevel(self, enforce: bool) -> Self {
        self.arg("enforce_toplevel", enforce)
    }

    /// The user owning the extracted files.
    pub fn user(self, user: impl Into<String>) -> Self {
        self.arg("user", user.into())
    }

    /// The group owning the extracted files.
    pub fn group(self, group: impl Into<String>) -> Self {
        self.arg("group", group.into())
    }

    /// Skips extraction when this path exists.
    pub fn if_missing(self, path: impl Into<String>) -> Self {
        self.arg("if_missing", path.into())
    }
}
