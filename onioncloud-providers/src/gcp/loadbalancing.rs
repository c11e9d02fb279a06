//! The global external HTTPS load balancer chain: a health check, instance
//! groups, a backend service, a URL map, a managed certificate, a target
//! HTTPS proxy, a global address and a global forwarding rule.
//!
//! ```
//! use onioncloud_core::Env;
//! use onioncloud_providers::gcp::*;
//!
//! let mut env = Env::new("lb");
//! let check = env.add(
//!     "web",
//!     ComputeHealthCheck::new("web")
//!         .http_health_check(HttpHealthCheck::new().port(80)),
//! );
//! let group = env.add(
//!     "web",
//!     ComputeInstanceGroup::new("web").zone("europe-west1-b"),
//! );
//! let backend = env.add(
//!     "web",
//!     ComputeBackendService::new("web")
//!         .protocol("HTTP")
//!         .load_balancing_scheme("EXTERNAL_MANAGED")
//!         .health_checks(vec![check.id()])
//!         .backend(Backend::new(group.self_link())),
//! );
//! let map = env.add(
//!     "web",
//!     ComputeUrlMap::new("web").default_service(backend.id()),
//! );
//! let cert = env.add(
//!     "web",
//!     ComputeManagedSslCertificate::new()
//!         .name("web")
//!         .managed(ManagedCertificate::new(["shop.example.com"])),
//! );
//! let proxy = env.add(
//!     "web",
//!     ComputeTargetHttpsProxy::new("web", map.id())
//!         .ssl_certificates(vec![cert.id()]),
//! );
//! let ip = env.add("web", ComputeGlobalAddress::new("web"));
//! env.add(
//!     "web",
//!     ComputeGlobalForwardingRule::new("web", proxy.id())
//!         .ip_address(ip.address())
//!         .port_range("443")
//!         .load_balancing_scheme("EXTERNAL_MANAGED"),
//! );
//! env.output::<String>("ip", ip.address());
//! assert!(env.compile().is_ok());
//! ```

use std::collections::BTreeMap;

use super::*;

block! {
    /// An HTTP probe (`http_health_check`); `https_health_check` takes
    /// the same fields.
    pub struct HttpHealthCheck {
        required {}
        optional {
            /// The port; 80 when neither it nor `port_name` is set.
            port: i64,
            /// A named port of the instance group.
            port_name: String,
            /// `USE_FIXED_PORT`, `USE_NAMED_PORT` or `USE_SERVING_PORT`.
            port_specification: String,
            /// The path requested; `/` when unset.
            request_path: String,
            /// The `Host` header.
            host: String,
            /// A string the response must start with.
            response: String,
        }
        blocks {}
    }
}

block! {
    /// A TCP probe (`tcp_health_check`).
    pub struct TcpHealthCheck {
        required {}
        optional {
            /// The port.
            port: i64,
            /// A named port of the instance group.
            port_name: String,
            /// `USE_FIXED_PORT`, `USE_NAMED_PORT` or `USE_SERVING_PORT`.
            port_specification: String,
        }
        blocks {}
    }
}

block! {
    /// Logging of health check results (`log_config`).
    pub struct HealthCheckLogConfig {
        required {}
        optional {
            /// Whether results are logged.
            enable: bool,
        }
        blocks {}
    }
}

resource! {
    /// A global health check (`google_compute_health_check`). Set exactly
    /// one probe block.
    pub struct ComputeHealthCheck("google_compute_health_check")
        -> ComputeHealthCheckOutputs
    {
        required {
            /// The health check's name.
            name: String,
        }
        optional {
            /// Seconds between probes.
            check_interval_sec: i64,
            /// Seconds a probe may take.
            timeout_sec: i64,
            /// Successes before an instance is healthy.
            healthy_threshold: i64,
            /// Failures before an instance is unhealthy.
            unhealthy_threshold: i64,
            /// A description.
            description: String,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {
            /// An HTTP probe.
            http_health_check: HttpHealthCheck,
            /// An HTTPS probe.
            https_health_check: HttpHealthCheck,
            /// A TCP probe.
            tcp_health_check: TcpHealthCheck,
            /// Result logging.
            log_config: HealthCheckLogConfig,
        }
        outputs {
            /// The health check's id.
            id: String,
            /// The health check's URI.
            self_link: String,
        }
    }
}

block! {
    /// A named port of an instance group (`named_port`).
    pub struct NamedPort {
        required {
            /// The name, which backend services refer to.
            name: String,
            /// The port.
            port: i64,
        }
        optional {}
        blocks {}
    }
}

resource! {
    /// An unmanaged group of instances in one zone
    /// (`google_compute_instance_group`).
    pub struct ComputeInstanceGroup("google_compute_instance_group")
        -> ComputeInstanceGroupOutputs
    {
        required {
            /// The group's name.
            name: String,
        }
        optional {
            /// The zone, when not the provider's.
            zone: String,
            /// The instances, by self link.
            instances: Vec<String>,
            /// The network, by self link.
            network: String,
            /// A description.
            description: String,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {
            /// A named port.
            named_port: NamedPort,
        }
        outputs {
            /// The group's id.
            id: String,
            /// The group's URI, which backends refer to.
            self_link: String,
            /// The number of instances.
            size: i64,
        }
    }
}

block! {
    /// A backend of a backend service (`backend`).
    pub struct Backend {
        required {
            /// The instance group or network endpoint group, by URI.
            group: String,
        }
        optional {
            /// `UTILIZATION`, `RATE` or `CONNECTION`.
            balancing_mode: String,
            /// A multiplier of the capacity, 0 to 1.
            capacity_scaler: f64,
            /// The target CPU utilization, 0 to 1.
            max_utilization: f64,
            /// The target requests per second.
            max_rate_per_instance: f64,
            /// A description.
            description: String,
        }
        blocks {}
    }
}

block! {
    /// Request logging of a backend service (`log_config`).
    pub struct BackendLogConfig {
        required {}
        optional {
            /// Whether requests are logged.
            enable: bool,
            /// The fraction of requests logged, 0 to 1.
            sample_rate: f64,
        }
        blocks {}
    }
}

block! {
    /// Identity-Aware Proxy in front of a backend service (`iap`).
    pub struct Iap {
        required {
            /// Whether IAP is on.
            enabled: bool,
        }
        optional {}
        blocks {}
    }
}

resource! {
    /// A global backend service (`google_compute_backend_service`).
    pub struct ComputeBackendService("google_compute_backend_service")
        -> ComputeBackendServiceOutputs
    {
        required {
            /// The service's name.
            name: String,
        }
        optional {
            /// The protocol to the backends: `HTTP`, `HTTPS`, `HTTP2`, ...
            protocol: String,
            /// The instance groups' named port.
            port_name: String,
            /// The health checks, by id or self link.
            health_checks: Vec<String>,
            /// `EXTERNAL`, `EXTERNAL_MANAGED`, `INTERNAL_MANAGED`, ...
            load_balancing_scheme: String,
            /// Seconds a request may take.
            timeout_sec: i64,
            /// Whether Cloud CDN is on.
            enable_cdn: bool,
            /// The Cloud Armor policy, by self link.
            security_policy: String,
            /// `NONE`, `CLIENT_IP`, `GENERATED_COOKIE`, ...
            session_affinity: String,
            /// Seconds connections drain when a backend leaves.
            connection_draining_timeout_sec: i64,
            /// A description.
            description: String,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {
            /// A backend.
            backend: Backend,
            /// Request logging.
            log_config: BackendLogConfig,
            /// Identity-Aware Proxy.
            iap: Iap,
        }
        outputs {
            /// The service's id.
            id: String,
            /// The service's URI.
            self_link: String,
        }
    }
}

block! {
    /// Which hosts go to which path matcher (`host_rule`).
    pub struct HostRule {
        required {
            /// Host patterns, such as `*.example.com`.
            hosts: Vec<String>,
            /// The path matcher's name.
            path_matcher: String,
        }
        optional {}
        blocks {}
    }
}

block! {
    /// Paths that go to one service (`path_rule`).
    pub struct PathRule {
        required {
            /// Path patterns, such as `/api/*`.
            paths: Vec<String>,
        }
        optional {
            /// The backend service, by id or self link.
            service: String,
        }
        blocks {}
    }
}

block! {
    /// A named set of path rules (`path_matcher`).
    pub struct PathMatcher {
        required {
            /// The matcher's name.
            name: String,
        }
        optional {
            /// The service for paths no rule matches.
            default_service: String,
        }
        blocks {
            /// A path rule.
            path_rule: PathRule,
        }
    }
}

resource! {
    /// A URL map routing requests to backend services
    /// (`google_compute_url_map`).
    pub struct ComputeUrlMap("google_compute_url_map")
        -> ComputeUrlMapOutputs
    {
        required {
            /// The map's name.
            name: String,
        }
        optional {
            /// The service for requests no rule matches.
            default_service: String,
            /// A description.
            description: String,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {
            /// A host rule.
            host_rule: HostRule,
            /// A path matcher.
            path_matcher: PathMatcher,
        }
        outputs {
            /// The map's id.
            id: String,
            /// The map's URI.
            self_link: String,
        }
    }
}

block! {
    /// The domains of a Google-managed certificate (`managed`).
    pub struct ManagedCertificate {
        required {
            /// The domains, at most 100.
            domains: Vec<String>,
        }
        optional {}
        blocks {}
    }
}

resource! {
    /// A Google-managed TLS certificate
    /// (`google_compute_managed_ssl_certificate`).
    pub struct ComputeManagedSslCertificate(
        "google_compute_managed_ssl_certificate"
    ) -> ComputeManagedSslCertificateOutputs {
        required {}
        optional {
            /// The certificate's name; generated when unset.
            name: String,
            /// `MANAGED` when unset.
            r#type: String,
            /// A description.
            description: String,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {
            /// The domains.
            managed: ManagedCertificate,
        }
        outputs {
            /// The certificate's id.
            id: String,
            /// The certificate's URI.
            self_link: String,
            /// When the certificate expires.
            expire_time: String,
        }
    }
}

resource! {
    /// A target HTTPS proxy terminating TLS in front of a URL map
    /// (`google_compute_target_https_proxy`).
    pub struct ComputeTargetHttpsProxy("google_compute_target_https_proxy")
        -> ComputeTargetHttpsProxyOutputs
    {
        required {
            /// The proxy's name.
            name: String,
            /// The URL map, by id or self link.
            url_map: String,
        }
        optional {
            /// Certificates, by id or self link.
            ssl_certificates: Vec<String>,
            /// The SSL policy, by self link.
            ssl_policy: String,
            /// `NONE`, `ENABLE` or `DISABLE`.
            quic_override: String,
            /// A description.
            description: String,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {}
        outputs {
            /// The proxy's id.
            id: String,
            /// The proxy's URI.
            self_link: String,
        }
    }
}

resource! {
    /// A global static IP address (`google_compute_global_address`).
    pub struct ComputeGlobalAddress("google_compute_global_address")
        -> ComputeGlobalAddressOutputs
    {
        required {
            /// The address's name.
            name: String,
        }
        optional {
            /// A specific address; allocated when unset.
            address: String,
            /// `EXTERNAL` (the default) or `INTERNAL`.
            address_type: String,
            /// `IPV4` or `IPV6`.
            ip_version: String,
            /// `VPC_PEERING` for a private services range.
            purpose: String,
            /// The prefix length, with `VPC_PEERING`.
            prefix_length: i64,
            /// The network, with `INTERNAL`.
            network: String,
            /// Labels.
            labels: BTreeMap<String, String>,
            /// A description.
            description: String,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {}
        outputs {
            /// The address's id.
            id: String,
            /// The IP address.
            address: String,
            /// The address's URI.
            self_link: String,
        }
    }
}

resource! {
    /// A global forwarding rule sending an address and port to a target
    /// proxy (`google_compute_global_forwarding_rule`).
    pub struct ComputeGlobalForwardingRule(
        "google_compute_global_forwarding_rule"
    ) -> ComputeGlobalForwardingRuleOutputs {
        required {
            /// The rule's name.
            name: String,
            /// The target proxy, by id or self link.
            target: String,
        }
        optional {
            /// The address, by IP or reference; ephemeral when unset.
            ip_address: String,
            /// `TCP` (the default for proxies), `UDP`, ...
            ip_protocol: String,
            /// A port or range, such as `443`.
            port_range: String,
            /// Must match the backend service's scheme.
            load_balancing_scheme: String,
            /// Labels.
            labels: BTreeMap<String, String>,
            /// A description.
            description: String,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {}
        outputs {
            /// The rule's id.
            id: String,
            /// The rule's URI.
            self_link: String,
        }
    }
}
