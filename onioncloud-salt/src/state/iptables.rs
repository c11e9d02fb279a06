//! Builders for Salt's `iptables` state module.

/// An iptables table (Salt's `table` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IptablesTable {
    /// `filter`, the default: accepting and dropping packets.
    Filter,
    /// `nat`: address translation.
    Nat,
    /// `mangle`: altering packets.
    Mangle,
    /// `raw`: exemptions from connection tracking.
    Raw,
    /// `security`: mandatory access control marks.
    Security,
}

impl IptablesTable {
    /// The word Salt takes, like `nat`.
    pub fn salt_word(self) -> &'static str {
        match self {
            IptablesTable::Filter => "filter",
            IptablesTable::Nat => "nat",
            IptablesTable::Mangle => "mangle",
            IptablesTable::Raw => "raw",
            IptablesTable::Security => "security",
        }
    }
}

/// The IP version a rule is for (Salt's `family` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpFamily {
    /// `ipv4`, the default: `iptables`.
    Ipv4,
    /// `ipv6`: `ip6tables`.
    Ipv6,
}

impl IpFamily {
    /// The word Salt takes, like `ipv6`.
    pub fn salt_word(self) -> &'static str {
        match self {
            IpFamily::Ipv4 => "ipv4",
            IpFamily::Ipv6 => "ipv6",
        }
    }
}

/// A protocol a rule matches (Salt's `proto` argument, iptables `-p`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `tcp`.
    Tcp,
    /// `udp`.
    Udp,
    /// `icmp`.
    Icmp,
    /// `icmpv6`.
    Icmpv6,
    /// `sctp`.
    Sctp,
    /// `all`: every protocol.
    All,
}

impl Protocol {
    /// The word Salt takes, like `tcp`.
    pub fn salt_word(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::Icmpv6 => "icmpv6",
            Protocol::Sctp => "sctp",
            Protocol::All => "all",
        }
    }
}

typed_state!(
    /// `iptables.append`: a rule at the end of a chain, added unless the
    /// chain already has it.
    ///
    /// ```
    /// use onioncloud_salt::{IptablesAppend, Protocol};
    ///
    /// let ssh = IptablesAppend::new("allow-ssh", "INPUT", "ACCEPT")
    ///     .proto(Protocol::Tcp)
    ///     .dport(22)
    ///     .source("10.0.0.0/8")
    ///     .save(true);
    /// assert_eq!(ssh.state().function(), "iptables.append");
    /// ```
    IptablesAppend,
    "iptables.append"
);

impl IptablesAppend {
    /// An `iptables.append` state named `name` (a label for the rule, also
    /// its id) appending to `chain` (like `INPUT`) a rule that jumps to
    /// `jump` (like `ACCEPT`, `DROP` or a user chain).
    pub fn new(
        name: impl Into<String>,
        chain: impl Into<String>,
        jump: impl Into<String>,
    ) -> Self {
        Self::wrap(name)
            .arg("chain", chain.into())
            .arg("jump", jump.into())
    }

    /// The table (default [`IptablesTable::Filter`]).
    pub fn table(self, table: IptablesTable) -> Self {
        self.arg("table", table.salt_word())
    }

    /// The IP version (default [`IpFamily::Ipv4`]).
    pub fn family(self, family: IpFamily) -> Self {
        self.arg("family", family.salt_word())
    }

    /// The protocol to match.
    pub fn proto(self, protocol: Protocol) -> Self {
        self.arg("proto", protocol.salt_word())
    }

    /// The destination port to match (needs [`proto`](Self::proto)).
    pub fn dport(self, port: u16) -> Self {
        self.arg("dport", port)
    }

    /// A range of destination ports to match, `first` to `last` inclusive
    /// (written `first:last`).
    pub fn dport_range(self, first: u16, last: u16) -> Self {
        self.arg("dport", format!("{first}:{last}"))
    }

    /// The source address or network to match, like `10.0.0.0/8`.
    pub fn source(self, source: impl Into<String>) -> Self {
        self.arg("source", source.into())
    }

    /// Whether to save the rules (to the distribution's rules file) after
    /// adding this one.
    pub fn save(self, save: bool) -> Self {
        self.arg("save", save)
    }

    /// A comment stored with the rule.
    pub fn comment(self, comment: impl Into<String>) -> Self {
        self.arg("comment", comment.into())
    }
}
