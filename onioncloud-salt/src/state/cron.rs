//! Builders for Salt's `cron` state module.

/// What a cron time field accepts here: one crontab word such as `*`,
/// `*/5`, `1-5` or `0,30` (or Salt's `random`). A space would shift the
/// fields of the crontab line.
fn valid_field(field: &str) -> bool {
    !field.is_empty() && !field.chars().any(char::is_whitespace)
}

const FIELD_EXPECTED: &str = "one crontab word without spaces, like `*/5`";

fn valid_command(command: &str) -> bool {
    !command.is_empty() && !command.contains(['\n', '\r'])
}

const COMMAND_EXPECTED: &str = "a command on one line";

/// A `@` schedule that replaces the five time fields (Salt's `special`
/// argument of `cron.present` and `cron.absent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CronSpecial {
    /// `@reboot`: once, at startup.
    Reboot,
    /// `@yearly`: once a year.
    Yearly,
    /// `@monthly`: once a month.
    Monthly,
    /// `@weekly`: once a week.
    Weekly,
    /// `@daily`: once a day.
    Daily,
    /// `@hourly`: once an hour.
    Hourly,
}

impl CronSpecial {
    /// The word Salt takes, like `@daily`.
    pub fn salt_word(self) -> &'static str {
        match self {
            CronSpecial::Reboot => "@reboot",
            CronSpecial::Yearly => "@yearly",
            CronSpecial::Monthly => "@monthly",
            CronSpecial::Weekly => "@weekly",
            CronSpecial::Daily => "@daily",
            CronSpecial::Hourly => "@hourly",
        }
    }
}

typed_state!(
    /// `cron.present`: a line in a user's crontab running a command.
    ///
    /// Time fields are crontab words and default to `*`. Give the entry an
    /// [`identifier`](CronPresent::identifier) so a changed command
    /// replaces the line instead of adding another one.
    ///
    /// ```
    /// use onioncloud_salt::CronPresent;
    ///
    /// let backup = CronPresent::new("/usr/local/bin/backup")
    ///     .id("nightly-backup")
    ///     .user("backup")
    ///     .minute("*/5")
    ///     .hour("2")
    ///     .identifier("nightly-backup");
    /// assert_eq!(backup.state().function(), "cron.present");
    /// ```
    CronPresent,
    "cron.present"
);

impl CronPresent {
    /// A `cron.present` state running the shell command `command`, which is
    /// its name and id. The command must fit on one line.
    pub fn new(command: impl Into<String>) -> Self {
        let command = command.into();
        let mut builder = Self::wrap(command.clone());
        builder.state.set_checked(
            "name",
            command,
            valid_command,
            COMMAND_EXPECTED,
        );
        builder
    }

    fn field(mut self, name: &str, value: String) -> Self {
        self.state
            .set_checked(name, value, valid_field, FIELD_EXPECTED);
        self
    }

    /// Whose crontab (default `root`).
    pub fn user(self, user: impl Into<String>) -> Self {
        self.arg("user", user.into())
    }

    /// The minute field, like `*/5` or `0,30`.
    pub fn minute(self, minute: impl Into<String>) -> Self {
        self.field("minute", minute.into())
    }

    /// The hour field, like `2` or `8-18`.
    pub fn hour(self, hour: impl Into<String>) -> Self {
        self.field("hour", hour.into())
    }

    /// The day-of-month field, like `1` or `*/2`.
    pub fn daymonth(self, daymonth: impl Into<String>) -> Self {
        self.field("daymonth", daymonth.into())
    }

    /// The month field, like `1-6` or `jan`.
    pub fn month(self, month: impl Into<String>) -> Self {
        self.field("month", month.into())
    }

    /// The day-of-week field, like `1-5` or `sun`.
    pub fn dayweek(self, dayweek: impl Into<String>) -> Self {
        self.field("dayweek", dayweek.into())
    }

    /// A `@` schedule instead of the time fields.
    pub fn special(self, special: CronSpecial) -> Self {
        self.arg("special", special.salt_word())
    }

    /// A stable name for the entry, written in a comment above it, so that
    /// changing the command edits the entry in place.
    pub fn identifier(self, identifier: impl Into<String>) -> Self {
        self.arg("identifier", identifier.into())
    }

    /// A comment written above the entry.
    pub fn comment(self, comment: impl Into<String>) -> Self {
        self.arg("comment", comment.into())
    }

    /// Whether the entry is present but commented out.
    pub fn commented(self, commented: bool) -> Self {
        self.arg("commented", commented)
    }
}

typed_state!(
    /// `cron.absent`: no crontab line running the command (or carrying the
    /// [`identifier`](CronAbsent::identifier)).
    CronAbsent,
    "cron.absent",
    "the shell command `name`"
);

impl CronAbsent {
    /// Whose crontab (default `root`).
    pub fn user(self, user: impl Into<String>) -> Self {
        self.arg("user", user.into())
    }

    /// The identifier the entry was given in [`CronPresent::identifier`].
    pub fn identifier(self, identifier: impl Into<String>) -> Self {
        self.arg("identifier", identifier.into())
    }

    /// The `@` schedule of the entry, if it has one.
    pub fn special(self, special: CronSpecial) -> Self {
        self.arg("special", special.salt_word())
    }
}
