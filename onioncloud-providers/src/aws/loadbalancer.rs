//! Load balancing: application and network load balancers (ELBv2).

use std::collections::BTreeMap;

use super::*;

block! {
    /// Where a load balancer's access logs go (`aws_lb`'s `access_logs`).
    pub struct LbAccessLogs {
        required {
            /// The S3 bucket.
            bucket: String,
        }
        optional {
            /// Whether logging is on.
            enabled: bool,
            /// The key prefix in the bucket.
            prefix: String,
        }
        blocks {}
    }
}

block! {
    /// A subnet of a load balancer with its addresses (`aws_lb`'s
    /// `subnet_mapping`), for fixed addresses of network load balancers.
    pub struct LbSubnetMapping {
        required {
            /// The subnet.
            subnet_id: String,
        }
        optional {
            /// The Elastic IP to use (internet-facing network load
            /// balancers).
            allocation_id: String,
            /// The private IPv4 address to use (internal network load
            /// balancers).
            private_ipv4_address: String,
            /// The IPv6 address to use.
            ipv6_address: String,
        }
        blocks {}
    }
}

resource! {
    /// An application, network or gateway load balancer (`aws_lb`).
    pub struct Lb("aws_lb") -> LbOutputs {
        required {}
        optional {
            /// The name; Terraform picks one when unset.
            name: String,
            /// A prefix for a unique name Terraform picks.
            name_prefix: String,
            /// `application` (the default), `network` or `gateway`.
            load_balancer_type: String,
            /// Whether it is internal rather than internet-facing.
            internal: bool,
            /// The subnets, by id, in at least two availability zones.
            subnets: Vec<String>,
            /// The security groups, by id.
            security_groups: Vec<String>,
            /// `ipv4` or `dualstack`.
            ip_address_type: String,
            /// Whether deletion through the API is refused.
            enable_deletion_protection: bool,
            /// Whether invalid HTTP headers are dropped (application).
            drop_invalid_header_fields: bool,
            /// Idle connection timeout in seconds (application).
            idle_timeout: i64,
            /// Whether HTTP/2 is on (application).
            enable_http2: bool,
            /// Whether cross-zone load balancing is on (network).
            enable_cross_zone_load_balancing: bool,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {
            /// Where access logs go (at most one).
            access_logs: LbAccessLogs,
            /// A subnet with its addresses.
            subnet_mapping: LbSubnetMapping,
        }
        outputs {
            /// The load balancer's id, its ARN.
            id: String,
            /// The load balancer's ARN.
            arn: String,
            /// The ARN suffix, for CloudWatch metrics.
            arn_suffix: String,
            /// The DNS name clients connect to.
            dns_name: String,
            /// The Route 53 hosted zone id, for alias records.
            zone_id: String,
            /// The VPC.
            vpc_id: String,
        }
    }
}

block! {
    /// How a target group checks its targets (`aws_lb_target_group`'s
    /// `health_check`).
    pub struct LbTargetGroupHealthCheck {
        required {}
        optional {
            /// Whether checks are on.
            enabled: bool,
            /// `HTTP`, `HTTPS` or `TCP`.
            protocol: String,
            /// The port, or `traffic-port` (the default).
            port: String,
            /// The HTTP path, such as `/healthz`.
            path: String,
            /// The HTTP codes of a healthy response, such as `200-299`.
            matcher: String,
            /// Seconds between checks.
            interval: i64,
            /// Seconds before a check fails.
            timeout: i64,
            /// Successes before a target is healthy.
            healthy_threshold: i64,
            /// Failures before a target is unhealthy.
            unhealthy_threshold: i64,
        }
        blocks {}
    }
}

block! {
    /// Session stickiness of a target group (`aws_lb_target_group`'s
    /// `stickiness`).
    pub struct LbTargetGroupStickiness {
        required {
            /// `lb_cookie`, `app_cookie`, `source_ip`, ...
            r#type: String,
        }
        optional {
            /// Whether stickiness is on.
            enabled: bool,
            /// Seconds a `lb_cookie` lasts.
            cookie_duration: i64,
            /// The application's cookie, for `app_cookie`.
            cookie_name: String,
        }
        blocks {}
    }
}

resource! {
    /// A target group of a load balancer (`aws_lb_target_group`).
    pub struct LbTargetGroup("aws_lb_target_group") -> LbTargetGroupOutputs {
        required {}
        optional {
            /// The name; Terraform picks one when unset.
            name: String,
            /// A prefix for a unique name Terraform picks.
            name_prefix: String,
            /// The port targets receive traffic on.
            port: i64,
            /// `HTTP`, `HTTPS`, `TCP`, `TLS`, `UDP`, ...
            protocol: String,
            /// `HTTP1`, `HTTP2` or `GRPC`.
            protocol_version: String,
            /// The VPC of the targets.
            vpc_id: String,
            /// `instance` (the default), `ip`, `lambda` or `alb`.
            target_type: String,
            /// Seconds connections drain before a target is removed.
            deregistration_delay: String,
            /// Seconds of slow start for new targets (0: off).
            slow_start: i64,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {
            /// The health check (at most one).
            health_check: LbTargetGroupHealthCheck,
            /// Session stickiness (at most one).
            stickiness: LbTargetGroupStickiness,
        }
        outputs {
            /// The target group's id, its ARN.
            id: String,
            /// The target group's ARN.
            arn: String,
            /// The ARN suffix, for CloudWatch metrics.
            arn_suffix: String,
            /// The target group's name.
            name: String,
        }
    }
}

resource! {
    /// A target registered with a target group
    /// (`aws_lb_target_group_attachment`).
    pub struct LbTargetGroupAttachment("aws_lb_target_group_attachment")
        -> LbTargetGroupAttachmentOutputs
    {
        required {
            /// The target group.
            target_group_arn: String,
            /// The target: an instance id, an IP address, a Lambda ARN or
            /// a load balancer ARN, after the group's `target_type`.
            target_id: String,
        }
        optional {
            /// The port the target receives traffic on.
            port: i64,
            /// The availability zone of an IP target outside the VPC, or
            /// `all`.
            availability_zone: String,
        }
        blocks {}
        outputs {
            /// The attachment's id.
            id: String,
        }
    }
}

block! {
    /// A weighted target group of a forward action (`target_group` in
    /// `forward`).
    pub struct LbListenerForwardTargetGroup {
        required {
            /// The target group's ARN.
            arn: String,
        }
        optional {
            /// The weight, 0 to 999.
            weight: i64,
        }
        blocks {}
    }
}

required_block!(LbListenerForwardTargetGroup);

block! {
    /// Target group stickiness of a forward action (`stickiness` in
    /// `forward`).
    pub struct LbListenerForwardStickiness {
        required {
            /// Seconds requests stick to one target group.
            duration: i64,
        }
        optional {
            /// Whether stickiness is on.
            enabled: bool,
        }
        blocks {}
    }
}

block! {
    /// Forwarding to up to five weighted target groups (`forward` in a
    /// listener action).
    pub struct LbListenerForward {
        required {
            /// The first target group.
            target_group: LbListenerForwardTargetGroup,
        }
        optional {}
        blocks {
            /// Another target group.
            target_group: LbListenerForwardTargetGroup,
            /// Target group stickiness (at most one).
            stickiness: LbListenerForwardStickiness,
        }
    }
}

block! {
    /// A redirect (`redirect` in a listener action). Unset parts keep the
    /// request's: `#{host}`, `#{path}`, `#{port}`, ...
    pub struct LbListenerRedirect {
        required {
            /// `HTTP_301` (permanent) or `HTTP_302` (temporary).
            status_code: String,
        }
        optional {
            /// `HTTP`, `HTTPS` or `#{protocol}`.
            protocol: String,
            /// The port, 1 to 65535, or `#{port}`.
            port: String,
            /// The host name.
            host: String,
            /// The absolute path, starting with `/`.
            path: String,
            /// The query, without the leading `?`.
            query: String,
        }
        blocks {}
    }
}

block! {
    /// A fixed response (`fixed_response` in a listener action).
    pub struct LbListenerFixedResponse {
        required {
            /// `text/plain`, `text/css`, `text/html`,
            /// `application/javascript` or `application/json`.
            content_type: String,
        }
        optional {
            /// The body.
            message_body: String,
            /// The HTTP status code, such as `503`.
            status_code: String,
        }
        blocks {}
    }
}

block! {
    /// An action of a listener (`aws_lb_listener`'s `default_action`):
    /// its `type` and the matching block.
    pub struct LbListenerAction {
        required {
            /// `forward`, `redirect`, `fixed-response`,
            /// `authenticate-cognito` or `authenticate-oidc`.
            r#type: String,
        }
        optional {
            /// The target group, for a `forward` to a single group.
            target_group_arn: String,
            /// The action's order among the listener's actions.
            order: i64,
        }
        blocks {
            /// Forwarding to weighted target groups (at most one).
            forward: LbListenerForward,
            /// The redirect (at most one).
            redirect: LbListenerRedirect,
            /// The fixed response (at most one).
            fixed_response: LbListenerFixedResponse,
        }
    }
}

required_block!(LbListenerAction);

impl LbListenerAction {
    /// Forwards to one target group.
    pub fn forward_to(target_group_arn: impl Into<Input<String>>) -> Self {
        Self::new("forward").target_group_arn(target_group_arn)
    }

    /// Redirects to HTTPS on port 443, permanently.
    pub fn redirect_to_https() -> Self {
        Self::new("redirect").redirect(
            LbListenerRedirect::new("HTTP_301")
                .protocol("HTTPS")
                .port("443"),
        )
    }
}

resource! {
    /// A listener of a load balancer (`aws_lb_listener`).
    pub struct LbListener("aws_lb_listener") -> LbListenerOutputs {
        required {
            /// The load balancer.
            load_balancer_arn: String,
            /// The first default action.
            default_action: LbListenerAction,
        }
        optional {
            /// The port it listens on.
            port: i64,
            /// `HTTP`, `HTTPS`, `TCP`, `TLS`, `UDP`, ...
            protocol: String,
            /// The default server certificate (`HTTPS`, `TLS`).
            certificate_arn: String,
            /// The TLS policy (`HTTPS`, `TLS`), such as
            /// `ELBSecurityPolicy-TLS13-1-2-2021-06`.
            ssl_policy: String,
            /// The ALPN policy (`TLS`), such as `HTTP2Preferred`.
            alpn_policy: String,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {
            /// Another default action, such as an authentication before a
            /// forward.
            default_action: LbListenerAction,
        }
        outputs {
            /// The listener's id, its ARN.
            id: String,
            /// The listener's ARN.
            arn: String,
        }
    }
}
