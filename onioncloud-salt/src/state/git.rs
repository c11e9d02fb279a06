//! Builders for Salt's `git` state module.

typed_state!(
    /// `git.latest`: a checkout of a repository, kept at the newest commit
    /// of a branch or at a given revision.
    ///
    /// ```
    /// use onioncloud_salt::GitLatest;
    ///
    /// let app = GitLatest::new("https://example.org/app.git", "/srv/app")
    ///     .id("app-checkout")
    ///     .branch("main")
    ///     .depth(1)
    ///     .force_reset(true);
    /// assert_eq!(app.state().function(), "git.latest");
    /// ```
    GitLatest,
    "git.latest"
);

impl GitLatest {
    /// A `git.latest` state checking out the repository at URL (or path)
    /// `repository`, its name and id, into the directory `target`.
    pub fn new(
        repository: impl Into<String>,
        target: impl Into<String>,
    ) -> Self {
        Self::wrap(repository).arg("target", target.into())
    }

    /// The revision to check out: a branch, tag or commit (default
    /// `HEAD`, the remote's default branch).
    pub fn rev(self, revision: impl Into<String>) -> Self {
        self.arg("rev", revision.into())
    }

    /// The local branch name to use for the checkout.
    pub fn branch(self, branch: impl Into<String>) -> Self {
        self.arg("branch", branch.into())
    }

    /// Clones only this many commits of history.
    pub fn depth(self, depth: u32) -> Self {
        self.arg("depth", depth)
    }

    /// The user to run git as, who owns the checkout.
    pub fn user(self, user: impl Into<String>) -> Self {
        self.arg("user", user.into())
    }

    /// Whether to discard local changes (a hard reset) when they stand in
    /// the way of the update.
    pub fn force_reset(self, force_reset: bool) -> Self {
        self.arg("force_reset", force_reset)
    }

    /// Whether to clone over an existing non-git directory at the target.
    pub fn force_clone(self, force_clone: bool) -> Self {
        self.arg("force_clone", force_clone)
    }
}
