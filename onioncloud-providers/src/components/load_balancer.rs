//! Load balancing: an HTTPS application load balancer on AWS, or Google
//! Cloud's global external HTTPS load balancer.

use onioncloud_core::{
    Component, Env, GenericResource, Handle, Input, Output, Value,
};

use super::{Common, cloud_name, common_methods, main_resource};
use crate::{aws, gcp};

/// The TLS policy of HTTPS listeners on AWS by default: TLS 1.3 and 1.2
/// with forward-secret ciphers only.
pub const AWS_TLS_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// An HTTPS load balancer, built for one cloud with
/// [`LoadBalancer::aws_https`] or [`LoadBalancer::gcp_https`].
///
/// By default it terminates TLS with a modern policy, redirects plain
/// HTTP to HTTPS, logs requests and is protected from deletion.
#[derive(Clone, Debug)]
pub struct LoadBalancer<C> {
    pub(super) cloud: C,
    pub(super) common: Common,
}

common_methods!(LoadBalancer);

// ---------------------------------------------------------------- ALB --

/// The application load balancer settings of a [`LoadBalancer`]; see
/// [`LoadBalancer::aws_https`].
#[derive(Clone, Debug)]
pub struct Alb {
    vpc_id: Input<String>,
    subnet_ids: Input<Vec<String>>,
    certificate_arn: Input<String>,
    lb_name: Option<String>,
    security_group_ids: Option<Input<Vec<String>>>,
    targets: Vec<Input<String>>,
    target_port: Input<i64>,
    health_check_path: Input<String>,
    ssl_policy: Input<String>,
    http_redirect: bool,
    access_logs: Option<(Input<String>, Input<String>)>,
    internal: bool,
    deletion_protection: bool,
}

impl LoadBalancer<Alb> {
    /// An internet-facing application load balancer in `subnet_ids` (in at
    /// least two availability zones) of `vpc_id`, terminating HTTPS on
    /// port 443 with the ACM certificate `certificate_arn` and forwarding
    /// to one target group of instances over HTTP.
    ///
    /// Defaults: TLS policy [`AWS_TLS_POLICY`], a listener on port 80
    /// that redirects to HTTPS, invalid header fields dropped, deletion
    /// protection, targets on port 80 checked at `/`. Access logs go to a
    /// bucket once [`access_logs`](Self::access_logs) names one.
    pub fn aws_https(
        vpc_id: impl Into<Input<String>>,
        subnet_ids: impl Into<Input<Vec<String>>>,
        certificate_arn: impl Into<Input<String>>,
    ) -> Self {
        Self {
            cloud: Alb {
                vpc_id: vpc_id.into(),
                subnet_ids: subnet_ids.into(),
                certificate_arn: certificate_arn.into(),
                lb_name: None,
                security_group_ids: None,
                targets: Vec::new(),
                target_port: Input::from(80_i64),
                health_check_path: "/".into(),
                ssl_policy: AWS_TLS_POLICY.into(),
                http_redirect: true,
                access_logs: None,
                internal: false,
                deletion_protection: true,
            },
            common: Common::default(),
        }
    }

    /// The load balancer's name in AWS; by default the component's name,
    /// lowercased, with other characters than letters and digits turned
    /// into hyphens, cut to 32 characters.
    pub fn lb_name(mut self, name: impl Into<String>) -> Self {
        self.cloud.lb_name = Some(name.into());
        self
    }

    /// The load balancer's security groups, by id.
    pub fn security_groups(
        mut self,
        ids: impl Into<Input<Vec<String>>>,
    ) -> Self {
        self.cloud.security_group_ids = Some(ids.into());
        self
    }

    /// Registers an instance, by id, with the target group.
    pub fn target(mut self, instance_id: impl Into<Input<String>>) -> Self {
        self.cloud.targets.push(instance_id.into());
        self
    }

    /// Registers instances, by id, with the target group.
    pub fn targets<I>(
        mut self,
        instance_ids: impl IntoIterator<Item = I>,
    ) -> Self
    where
        I: Into<Input<String>>,
    {
        self.cloud
            .targets
            .extend(instance_ids.into_iter().map(Into::into));
        self
    }

    /// The port the targets receive traffic on; 80 by default.
    pub fn target_port(mut self, port: impl Into<Input<i64>>) -> Self {
        self.cloud.target_port = port.into();
        self
    }

    /// The path of the targets' health check; `/` by default.
    pub fn health_check_path(mut self, path: impl Into<Input<String>>) -> Self {
        self.cloud.health_check_path = path.into();
        self
    }

    /// The TLS policy of the HTTPS listener; [`AWS_TLS_POLICY`] by
    /// default.
    pub fn ssl_policy(mut self, policy: impl Into<Input<String>>) -> Self {
        self.cloud.ssl_policy = policy.into();
        self
    }

    /// Whether a listener on port 80 redirects to HTTPS; `true` by
    /// default. With `false`, port 80 is not served at all.
    pub fn http_redirect(mut self, on: bool) -> Self {
        self.cloud.http_redirect = on;
        self
    }

    /// Writes access logs to the S3 bucket `bucket` (by name) under
    /// `prefix`. The bucket must use SSE-S3 and let the region's Elastic
    /// Load Balancing account write to it.
    pub fn access_logs(
        mut self,
        bucket: impl Into<Input<String>>,
        prefix: impl Into<Input<String>>,
    ) -> Self {
        self.cloud.access_logs = Some((bucket.into(), prefix.into()));
        self
    }

    /// Whether the load balancer is internal rather than internet-facing;
    /// `false` by default.
    pub fn internal(mut self, on: bool) -> Self {
        self.cloud.internal = on;
        self
    }

    /// Whether deletion through the API is refused; `true` by default.
    pub fn deletion_protection(mut self, on: bool) -> Self {
        self.cloud.deletion_protection = on;
        self
    }
}

/// What declaring a [`LoadBalancer<Alb>`] returns.
#[derive(Clone, Debug)]
pub struct AlbOutput {
    /// The load balancer, named after the component.
    pub lb: Handle<aws::Lb>,
    /// The target group, named after the component.
    pub target_group: Handle<aws::LbTargetGroup>,
    /// The targets' attachments, `{name}-target-{i}`.
    pub attachments: Vec<Handle<aws::LbTargetGroupAttachment>>,
    /// The HTTPS listener, `{name}-https`.
    pub https_listener: Handle<aws::LbListener>,
    /// The redirecting HTTP listener, `{name}-http`, unless turned off.
    pub http_listener: Option<Handle<aws::LbListener>>,
}

main_resource!(AlbOutput, lb);

impl AlbOutput {
    /// The DNS name clients connect to.
    pub fn dns_name(&self) -> Output<String> {
        self.lb.dns_name()
    }

    /// The Route 53 hosted zone id, for alias records.
    pub fn zone_id(&self) -> Output<String> {
        self.lb.zone_id()
    }

    /// The load balancer's ARN suffix, for CloudWatch metrics.
    pub fn arn_suffix(&self) -> Output<String> {
        self.lb.arn_suffix()
    }

    /// The target group's ARN.
    pub fn target_group_arn(&self) -> Output<String> {
        self.target_group.arn()
    }
}

impl Component for LoadBalancer<Alb> {
    type Output = AlbOutput;

    fn declare(self, env: &mut Env, name: &str) -> AlbOutput {
        let c = self.cloud;
        let other = self.common.other_meta();
        let tags = self.common.tags.clone();
        let lb_name = c.lb_name.unwrap_or_else(|| cloud_name(name, 32));

        let mut lb = aws::Lb::new()
            .name(lb_name)
            .load_balancer_type("application")
            .internal(c.internal)
            .subnets(c.subnet_ids)
            .drop_invalid_header_fields(true)
            .enable_deletion_protection(c.deletion_protection);
        if let Some(groups) = c.security_group_ids {
            lb = lb.security_groups(groups);
        }
        if let Some((bucket, prefix)) = c.access_logs {
            lb = lb.access_logs(
                aws::LbAccessLogs::new(bucket).prefix(prefix).enabled(true),
            );
        }
        if !tags.is_empty() {
            lb = lb.tags(tags.clone());
        }
        let lb = env.add_with(name, lb, self.common.main_meta());

        let mut group = aws::LbTargetGroup::new()
            .port(c.target_port.clone())
            .protocol("HTTP")
            .target_type("instance")
            .vpc_id(c.vpc_id)
            .health_check(
                aws::LbTargetGroupHealthCheck::new()
                    .enabled(true)
                    .protocol("HTTP")
                    .path(c.health_check_path)
                    .matcher("200-399"),
            );
        if !tags.is_empty() {
            group = group.tags(tags.clone());
        }
        let target_group = env.add_with(name, group, other.clone());

        let attachments = c
            .targets
            .into_iter()
            .enumerate()
            .map(|(i, target)| {
                env.add_with(
                    format!("{name}-target-{i}"),
                    aws::LbTargetGroupAttachment::new(
                        target_group.arn(),
                        target,
                    )
                    .port(c.target_port.clone()),
                    other.clone(),
                )
            })
            .collect();

        let mut https = aws::LbListener::new(
            lb.arn(),
            aws::LbListenerAction::forward_to(target_group.arn()),
        )
        .port(443)
        .protocol("HTTPS")
        .certificate_arn(c.certificate_arn)
        .ssl_policy(c.ssl_policy);
        if !tags.is_empty() {
            https = https.tags(tags.clone());
        }
        let https_listener =
            env.add_with(format!("{name}-https"), https, other.clone());

        let http_listener = c.http_redirect.then(|| {
            let mut http = aws::LbListener::new(
                lb.arn(),
                aws::LbListenerAction::redirect_to_https(),
            )
            .port(80)
            .protocol("HTTP");
            if !tags.is_empty() {
                http = http.tags(tags.clone());
            }
            env.add_with(format!("{name}-http"), http, other.clone())
        });

        AlbOutput {
            lb,
            target_group,
            attachments,
            https_listener,
            http_listener,
        }
    }
}

// ---------------------------------------------------- Google Cloud LB --

/// The settings of Google Cloud's global external HTTPS load balancer;
/// see [`LoadBalancer::gcp_https`].
#[derive(Clone, Debug)]
pub struct GcpHttps {
    domains: Input<Vec<String>>,
    lb_name: Option<String>,
    groups: Vec<(Input<String>, Input<Vec<String>>)>,
    target_port: Input<i64>,
    health_check_path: Input<String>,
    modern_tls: bool,
    http_redirect: bool,
    logging: bool,
    log_sample_rate: f64,
    security_policy: Option<Input<String>>,
}

impl LoadBalancer<GcpHttps> {
    /// A global external HTTPS load balancer (`EXTERNAL_MANAGED`) with a
    /// Google-managed certificate for `domains`, in front of instance
    /// groups added with [`instance_group`](Self::instance_group).
    ///
    /// Defaults: an SSL policy with the `MODERN` profile and TLS 1.2 at
    /// least, port 80 redirected to HTTPS, every request logged, instances
    /// served on port 80 over HTTP and checked at `/`.
    pub fn gcp_https(domains: impl Into<Input<Vec<String>>>) -> Self {
        Self {
            cloud: GcpHttps {
                domains: domains.into(),
                lb_name: None,
                groups: Vec::new(),
                target_port: Input::from(80_i64),
                health_check_path: "/".into(),
                modern_tls: true,
                http_redirect: true,
                logging: true,
                log_sample_rate: 1.0,
                security_policy: None,
            },
            common: Common::default(),
        }
    }

    /// The base of the names in Google Cloud; by default the component's
    /// name, lowercased, with other characters than letters and digits
    /// turned into hyphens.
    pub fn lb_name(mut self, name: impl Into<String>) -> Self {
        self.cloud.lb_name = Some(name.into());
        self
    }

    /// Adds a backend: an unmanaged instance group of `instances` (by self
    /// link), all in `zone`. Call once per zone.
    pub fn instance_group(
        mut self,
        zone: impl Into<Input<String>>,
        instances: impl Into<Input<Vec<String>>>,
    ) -> Self {
        self.cloud.groups.push((zone.into(), instances.into()));
        self
    }

    /// The port the instances serve on; 80 by default.
    pub fn target_port(mut self, port: impl Into<Input<i64>>) -> Self {
        self.cloud.target_port = port.into();
        self
    }

    /// The path of the instances' health check; `/` by default.
    pub fn health_check_path(mut self, path: impl Into<Input<String>>) -> Self {
        self.cloud.health_check_path = path.into();
        self
    }

    /// Whether an SSL policy (`MODERN`, TLS 1.2 at least) is attached;
    /// `true` by default. With `false`, Google's default policy applies,
    /// which allows TLS 1.0.
    pub fn modern_tls(mut self, on: bool) -> Self {
        self.cloud.modern_tls = on;
        self
    }

    /// Whether port 80 redirects to HTTPS; `true` by default. With
    /// `false`, port 80 is not served at all.
    pub fn http_redirect(mut self, on: bool) -> Self {
        self.cloud.http_redirect = on;
        self
    }

    /// Whether the backend service logs requests; `true` by default.
    pub fn logging(mut self, on: bool) -> Self {
        self.cloud.logging = on;
        self
    }

    /// The fraction of requests logged, 0 to 1; 1 by default.
    pub fn log_sample_rate(mut self, rate: f64) -> Self {
        self.cloud.log_sample_rate = rate;
        self
    }

    /// A Cloud Armor security policy, by self link.
    pub fn security_policy(mut self, policy: impl Into<Input<String>>) -> Self {
        self.cloud.security_policy = Some(policy.into());
        self
    }
}

/// What declaring a [`LoadBalancer<GcpHttps>`] returns. Every resource is
/// named after the component unless said otherwise.
#[derive(Clone, Debug)]
pub struct GcpHttpsOutput {
    /// The global address clients connect to.
    pub address: Handle<gcp::ComputeGlobalAddress>,
    /// The HTTPS forwarding rule, `{name}-https`.
    pub https_rule: Handle<gcp::ComputeGlobalForwardingRule>,
    /// The target HTTPS proxy.
    pub proxy: Handle<gcp::ComputeTargetHttpsProxy>,
    /// The managed certificate.
    pub certificate: Handle<gcp::ComputeManagedSslCertificate>,
    /// The SSL policy (`google_compute_ssl_policy`), unless turned off.
    pub ssl_policy: Option<Handle<GenericResource>>,
    /// The URL map.
    pub url_map: Handle<gcp::ComputeUrlMap>,
    /// The backend service.
    pub backend_service: Handle<gcp::ComputeBackendService>,
    /// The health check.
    pub health_check: Handle<gcp::ComputeHealthCheck>,
    /// The instance groups, `{name}-group-{i}`.
    pub instance_groups: Vec<Handle<gcp::ComputeInstanceGroup>>,
    /// The HTTP forwarding rule that redirects, `{name}-http`, unless
    /// turned off.
    pub http_rule: Option<Handle<gcp::ComputeGlobalForwardingRule>>,
}

main_resource!(GcpHttpsOutput, address);

impl GcpHttpsOutput {
    /// The load balancer's IP address.
    pub fn ip_address(&self) -> Output<String> {
        self.address.address()
    }
}

impl Component for LoadBalancer<GcpHttps> {
    type Output = GcpHttpsOutput;

    fn declare(self, env: &mut Env, name: &str) -> GcpHttpsOutput {
        let c = self.cloud;
        let main = self.common.main_meta();
        let other = self.common.other_meta();
        let base = c.lb_name.unwrap_or_else(|| cloud_name(name, 50));
        let labels = self.common.tags.clone();

        let health_check = env.add_with(
            name,
            gcp::ComputeHealthCheck::new(base.clone())
                .check_interval_sec(10)
                .timeout_sec(5)
                .http_health_check(
                    gcp::HttpHealthCheck::new()
                        .port(c.target_port.clone())
                        .request_path(c.health_check_path),
                )
                .log_config(gcp::HealthCheckLogConfig::new().enable(true)),
            other.clone(),
        );

        let instance_groups: Vec<_> = c
            .groups
            .into_iter()
            .enumerate()
            .map(|(i, (zone, instances))| {
                env.add_with(
                    format!("{name}-group-{i}"),
                    gcp::ComputeInstanceGroup::new(format!("{base}-{i}"))
                        .zone(zone)
                        .instances(instances)
                        .named_port(gcp::NamedPort::new(
                            "http",
                            c.target_port.clone(),
                        )),
                    other.clone(),
                )
            })
            .collect();

        let mut backend = gcp::ComputeBackendService::new(base.clone())
            .protocol("HTTP")
            .port_name("http")
            .load_balancing_scheme("EXTERNAL_MANAGED")
            .timeout_sec(30)
            .health_checks(vec![health_check.id()]);
        for group in &instance_groups {
            backend = backend.backend(
                gcp::Backend::new(group.self_link())
                    .balancing_mode("UTILIZATION")
                    .capacity_scaler(1.0),
            );
        }
        let mut log_config = gcp::BackendLogConfig::new().enable(c.logging);
        if c.logging {
            log_config = log_config.sample_rate(c.log_sample_rate);
        }
        backend = backend.log_config(log_config);
        if let Some(policy) = c.security_policy {
            backend = backend.security_policy(policy);
        }
        let backend_service = env.add_with(name, backend, other.clone());

        let url_map = env.add_with(
            name,
            gcp::ComputeUrlMap::new(base.clone())
                .default_service(backend_service.id()),
            other.clone(),
        );
        let certificate = env.add_with(
            name,
            gcp::ComputeManagedSslCertificate::new()
                .name(base.clone())
                .managed(gcp::ManagedCertificate::new(c.domains)),
            other.clone(),
        );
        let ssl_policy = c.modern_tls.then(|| {
            env.add_with(
                name,
                GenericResource::new("google_compute_ssl_policy")
                    .set("name", base.clone())
                    .set("profile", "MODERN")
                    .set("min_tls_version", "TLS_1_2"),
                other.clone(),
            )
        });
        let mut https_proxy =
            gcp::ComputeTargetHttpsProxy::new(base.clone(), url_map.id())
                .ssl_certificates(vec![certificate.id()]);
        if let Some(policy) = &ssl_policy {
            https_proxy = https_proxy.ssl_policy(policy.id());
        }
        let proxy = env.add_with(name, https_proxy, other.clone());

        let mut ip = gcp::ComputeGlobalAddress::new(base.clone())
            .address_type("EXTERNAL")
            .ip_version("IPV4");
        if !labels.is_empty() {
            ip = ip.labels(labels.clone());
        }
        let address = env.add_with(name, ip, main);

        let rule = |target: Output<String>, port: &str, label: &str| {
            let mut rule = gcp::ComputeGlobalForwardingRule::new(
                format!("{base}-{label}"),
                target,
            )
            .ip_address(address.address())
            .ip_protocol("TCP")
            .port_range(port.to_owned())
            .load_balancing_scheme("EXTERNAL_MANAGED");
            if !labels.is_empty() {
                rule = rule.labels(labels.clone());
            }
            rule
        };
        let https_rule = env.add_with(
            format!("{name}-https"),
            rule(proxy.id(), "443", "https"),
            other.clone(),
        );

        let http_rule = if c.http_redirect {
            let redirect = Value::List(vec![Value::Map(
                [
                    ("https_redirect".to_owned(), Value::Bool(true)),
                    (
                        "redirect_response_code".to_owned(),
                        Value::from("MOVED_PERMANENTLY_DEFAULT"),
                    ),
                    ("strip_query".to_owned(), Value::Bool(false)),
                ]
                .into(),
            )]);
            let redirect_map = env.add_with(
                format!("{name}-redirect"),
                gcp::ComputeUrlMap::new(format!("{base}-redirect"))
                    .set("default_url_redirect", redirect),
                other.clone(),
            );
            let http_proxy = env.add_with(
                format!("{name}-redirect"),
                GenericResource::new("google_compute_target_http_proxy")
                    .set("name", format!("{base}-redirect"))
                    .input::<String>("url_map", redirect_map.id()),
                other.clone(),
            );
            Some(env.add_with(
                format!("{name}-http"),
                rule(http_proxy.id(), "80", "http"),
                other,
            ))
        } else {
            None
        };

        GcpHttpsOutput {
            address,
            https_rule,
            proxy,
            certificate,
            ssl_policy,
            url_map,
            backend_service,
            health_check,
            instance_groups,
            http_rule,
        }
    }
}
