//! Builders for Salt's `firewalld` state module.

use super::string_list;

typed_state!(
    /// `firewalld.present`: a firewalld zone with the given services and
    /// ports open.
    ///
    /// ```
    /// use onioncloud_salt::FirewalldPresent;
    ///
    /// let public = FirewalldPresent::new("public")
    ///     .services(["ssh", "https"])
    ///     .ports(["8080/tcp", "60000-61000/udp"]);
    /// assert_eq!(public.state().function(), "firewalld.present");
    /// ```
    FirewalldPresent,
    "firewalld.present",
    "the zone `name`, like `public`"
);

impl FirewalldPresent {
    /// Services to allow, by firewalld service name, like `ssh`.
    pub fn services<I, S>(self, services: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.arg("services", string_list(services))
    }

    /// Ports to open, each `port/protocol` or `first-last/protocol`, like
    /// `8080/tcp`.
    pub fn ports<I, P>(self, ports: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.arg("ports", string_list(ports))
    }

    /// Whether to close services not listed.
    pub fn prune_services(self, prune: bool) -> Self {
        self.arg("prune_services", prune)
    }

    /// Whether to close ports not listed.
    pub fn prune_ports(self, prune: bool) -> Self {
        self.arg("prune_ports", prune)
    }

    /// Network interfaces bound to the zone, like `eth0`.
    pub fn interfaces<I, S>(self, interfaces: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.arg("interfaces", string_list(interfaces))
    }

    /// Source networks bound to the zone, like `10.0.0.0/8`.
    pub fn sources<I, S>(self, sources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.arg("sources", string_list(sources))
    }

    /// Whether the zone masquerades (NATs) outgoing traffic.
    pub fn masquerade(self, masquerade: bool) -> Self {
        self.arg("masquerade", masquerade)
    }

    /// Whether this is the default zone.
    pub fn default_zone(self, default: bool) -> Self {
        self.arg("default", default)
    }
}
