//! Builders for Salt's `file` state module.

/// The ownership and placement methods file states share: `mode`,
/// `user`, `group` and `makedirs`.
macro_rules! file_ownership {
    ($builder:ident) => {
        impl $builder {
            /// The permission bits, written as a quoted octal string
            /// (`0o644` becomes `'0644'`).
            pub fn mode(mut self, mode: u32) -> Self {
                self.state.set_mode(mode);
                self
            }

            /// The owning user.
            pub fn user(self, user: impl Into<String>) -> Self {
                self.arg("user", user.into())
            }

            /// The owning group.
            pub fn group(self, group: impl Into<String>) -> Self {
                self.arg("group", group.into())
            }

            /// Whether to create missing parent directories.
            pub fn makedirs(self, makedirs: bool) -> Self {
                self.arg("makedirs", makedirs)
            }
        }
    };
}

typed_state!(
    /// `file.managed`: a file with given contents or source.
    ///
    /// ```
    /// use onioncloud_salt::FileManaged;
    ///
    /// let config = FileManaged::new("/etc/motd")
    ///     .contents("welcome\n")
    ///     .mode(0o644)
    ///     .user("root")
    ///     .group("root");
    /// assert_eq!(config.state().id(), "/etc/motd");
    /// ```
    FileManaged,
    "file.managed",
    "the file at path `name`"
);

impl FileManaged {
    /// The exact contents of the file.
    pub fn contents(self, contents: impl Into<String>) -> Self {
        self.arg("contents", contents.into())
    }

    /// Where to copy the file from, like `salt://files/nginx.conf`.
    pub fn source(self, source: impl Into<String>) -> Self {
        self.arg("source", source.into())
    }

    /// The hash of a remote `source`, like `sha256=…`.
    pub fn source_hash(self, hash: impl Into<String>) -> Self {
        self.arg("source_hash", hash.into())
    }

    /// Whether to replace an existing file whose contents differ (default
    /// true); with false, only a missing file is created.
    pub fn replace(self, replace: bool) -> Self {
        self.arg("replace", replace)
    }
}

typed_state!(
    /// `file.directory`: a directory.
    ///
    /// ```
    /// use onioncloud_salt::FileDirectory;
    ///
    /// let data = FileDirectory::new("/srv/data")
    ///     .mode(0o750)
    ///     .makedirs(true);
    /// assert_eq!(data.state().function(), "file.directory");
    /// ```
    FileDirectory,
    "file.directory",
    "the directory at path `name`"
);

file_ownership!(FileManaged);
file_ownership!(FileDirectory);

impl FileDirectory {
    /// Whether to delete files in the directory that no state manages.
    pub fn clean(self, clean: bool) -> Self {
        self.arg("clean", clean)
    }
}

typed_state!(
    /// `file.symlink`: a symbolic link at `name` pointing to `target`.
    ///
    /// ```
    /// use onioncloud_salt::FileSymlink;
    ///
    /// let link = FileSymlink::new("/etc/nginx/sites-enabled/site", "../site")
    ///     .force(true);
    /// assert_eq!(link.state().function(), "file.symlink");
    /// ```
    FileSymlink,
    "file.symlink"
);

impl FileSymlink {
    /// A `file.symlink` state for the link at path `name` (also its id)
    /// pointing to `target`, which is written into the link as given
    /// (relative targets stay relative).
    pub fn new(name: impl Into<String>, target: impl Into<String>) -> Self {
        Self::wrap(name).arg("target", target.into())
    }

    /// Whether to replace a file or directory (or another link) that is in
    /// the way.
    pub fn force(self, force: bool) -> Self {
        self.arg("force", force)
    }

    /// Whether to create missing parent directories.
    pub fn makedirs(self, makedirs: bool) -> Self {
        self.arg("makedirs", makedirs)
    }

    /// The user owning the link.
    pub fn user(self, user: impl Into<String>) -> Self {
        self.arg("user", user.into())
    }

    /// The group owning the link.
    pub fn group(self, group: impl Into<String>) -> Self {
        self.arg("group", group.into())
    }
}

typed_state!(
    /// `file.absent`: no file, link or directory (with its contents) at
    /// the path.
    ///
    /// ```
    /// use onioncloud_salt::FileAbsent;
    ///
    /// let gone = FileAbsent::new("/etc/nginx/sites-enabled/default");
    /// assert_eq!(gone.state().function(), "file.absent");
    /// ```
    FileAbsent,
    "file.absent",
    "the path `name`"
);

typed_state!(
    /// `file.touch`: a file that exists, created empty if missing; each run
    /// updates its access and modification times, so it always reports a
    /// change.
    FileTouch,
    "file.touch",
    "the file at path `name`"
);

impl FileTouch {
    /// Whether to create missing parent directories.
    pub fn makedirs(self, makedirs: bool) -> Self {
        self.arg("makedirs", makedirs)
    }
}

/// What [`FileLine`] does with its line (Salt's `mode` argument of
/// `file.line`).
///
/// Only these four words can reach Salt; a misspelt mode does not compile:
///
/// ```compile_fail
/// use onioncloud_salt::FileLine;
///
/// let line = FileLine::new("/etc/hosts", "127.0.0.1 web", "insret");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineMode {
    /// `replace`: replaces the lines matching `match` (or the content)
    /// with the content.
    Replace,
    /// `insert`: inserts the content at a [`LineLocation`] or before or
    /// after a line, unless it is already there.
    Insert,
    /// `delete`: removes the lines matching `match` (or equal to the
    /// content).
    Delete,
    /// `ensure`: makes sure the content sits between (or right before or
    /// after) the given lines, replacing what is there.
    Ensure,
}

impl LineMode {
    /// The word Salt takes, like `insert`.
    pub fn salt_word(self) -> &'static str {
        match self {
            LineMode::Replace => "replace",
            LineMode::Insert => "insert",
            LineMode::Delete => "delete",
            LineMode::Ensure => "ensure",
        }
    }
}

/// Where [`LineMode::Insert`] puts a line that has no `before` or `after`
/// (Salt's `location` argument of `file.line`).
///
/// Salt 3007 inserts a line placed by location on every run, even when it
/// is already there; for a line that should appear once, anchor it with
/// [`FileLine::before`] or [`FileLine::after`] instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineLocation {
    /// `start`: as the first line.
    Start,
    /// `end`: as the last line.
    End,
}

impl LineLocation {
    /// The word Salt takes, like `end`.
    pub fn salt_word(self) -> &'static str {
        match self {
            LineLocation::Start => "start",
            LineLocation::End => "end",
        }
    }
}

typed_state!(
    /// `file.line`: one line of an existing file, edited in place.
    ///
    /// ```
    /// use onioncloud_salt::{FileLine, LineMode};
    ///
    /// let line = FileLine::new(
    ///     "/etc/ssh/sshd_config",
    ///     "PermitRootLogin no",
    ///     LineMode::Replace,
    /// )
    /// .matching("^#?PermitRootLogin ");
    /// assert_eq!(line.state().function(), "file.line");
    /// ```
    FileLine,
    "file.line"
);

impl FileLine {
    /// A `file.line` state editing the file at path `name` (also its id):
    /// `content` is the line to write (or, with [`LineMode::Delete`], to
    /// remove) and `mode` what to do with it.
    pub fn new(
        name: impl Into<String>,
        content: impl Into<String>,
        mode: LineMode,
    ) -> Self {
        Self::wrap(name)
            .arg("content", content.into())
            .arg("mode", mode.salt_word())
    }

    /// Where [`LineMode::Insert`] puts the line when neither
    /// [`before`](FileLine::before) nor [`after`](FileLine::after) is
    /// given. Salt then inserts it on every run (see [`LineLocation`]).
    pub fn location(self, location: LineLocation) -> Self {
        self.arg("location", location.salt_word())
    }

    /// A regular expression for the line that the content goes (or is)
    /// right before.
    pub fn before(self, pattern: impl Into<String>) -> Self {
        self.arg("before", pattern.into())
    }

    /// A regular expression for the line that the content goes (or is)
    /// right after.
    pub fn after(self, pattern: impl Into<String>) -> Self {
        self.arg("after", pattern.into())
    }

    /// A regular expression for the lines [`LineMode::Replace`] and
    /// [`LineMode::Delete`] act on (instead of the content itself). Writes
    /// `match` (a Rust keyword, hence the name).
    pub fn matching(self, pattern: impl Into<String>) -> Self {
        self.arg("match", pattern.into())
    }

    /// Whether to create the file when it is missing.
    pub fn create(self, create: bool) -> Self {
        self.arg("create", create)
    }

    /// Whether to indent the line like the line it goes before or after.
    pub fn indent(self, indent: bool) -> Self {
        self.arg("indent", indent)
    }

    /// The permission bits of a file [`create`](FileLine::create) makes,
    /// written as a quoted octal string. Writes `file_mode` (in `file.line`,
    /// `mode` is the [`LineMode`]).
    pub fn file_mode(mut self, mode: u32) -> Self {
        self.state.set_octal_mode("file_mode", mode);
        self
    }

    /// The user owning a file [`create`](FileLine::create) makes.
    pub fn user(self, user: impl Into<String>) -> Self {
        self.arg("user", user.into())
    }

    /// The group owning a file [`create`](FileLine::create) makes.
    pub fn group(self, group: impl Into<String>) -> Self {
        self.arg("group", group.into())
    }
}
