//! Monitoring: CloudWatch log groups and metric alarms.

use std::collections::BTreeMap;

use super::*;

resource! {
    /// A CloudWatch Logs log group (`aws_cloudwatch_log_group`).
    pub struct CloudwatchLogGroup("aws_cloudwatch_log_group")
        -> CloudwatchLogGroupOutputs
    {
        required {}
        optional {
            /// The group's name; Terraform picks one when unset.
            name: String,
            /// A prefix for a unique name Terraform picks.
            name_prefix: String,
            /// Days events are kept: 1, 3, 5, 7, 14, 30, ... 3653, or 0
            /// to keep them forever.
            retention_in_days: i64,
            /// The KMS key (ARN) that encrypts the events.
            kms_key_id: String,
            /// `STANDARD` or `INFREQUENT_ACCESS`.
            log_group_class: String,
            /// Whether destroying leaves the group in AWS.
            skip_destroy: bool,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {}
        outputs {
            /// The group's id, its name.
            id: String,
            /// The group's ARN.
            arn: String,
            /// The group's name.
            name: String,
        }
    }
}

resource! {
    /// A CloudWatch metric alarm (`aws_cloudwatch_metric_alarm`) on one
    /// metric (`namespace`, `metric_name`, `dimensions`, `statistic`,
    /// `period`) against `threshold`.
    pub struct CloudwatchMetricAlarm("aws_cloudwatch_metric_alarm")
        -> CloudwatchMetricAlarmOutputs
    {
        required {
            /// The alarm's name, unique in the account and region.
            alarm_name: String,
            /// `GreaterThanOrEqualToThreshold`, `GreaterThanThreshold`,
            /// `LessThanThreshold`, `LessThanOrEqualToThreshold`, ...
            comparison_operator: String,
            /// How many periods are compared with the threshold.
            evaluation_periods: i64,
        }
        optional {
            /// The metric's namespace, such as `AWS/EC2`.
            namespace: String,
            /// The metric's name, such as `CPUUtilization`.
            metric_name: String,
            /// The metric's dimensions, such as `InstanceId`.
            dimensions: BTreeMap<String, String>,
            /// `SampleCount`, `Average`, `Sum`, `Minimum` or `Maximum`.
            statistic: String,
            /// A percentile statistic, such as `p99`.
            extended_statistic: String,
            /// Seconds per period.
            period: i64,
            /// The threshold.
            threshold: f64,
            /// The unit of the metric.
            unit: String,
            /// How many of the evaluated periods must breach.
            datapoints_to_alarm: i64,
            /// `missing`, `ignore`, `breaching` or `notBreaching`.
            treat_missing_data: String,
            /// A description.
            alarm_description: String,
            /// Whether the actions run.
            actions_enabled: bool,
            /// ARNs notified on entering `ALARM`, such as SNS topics.
            alarm_actions: Vec<String>,
            /// ARNs notified on entering `OK`.
            ok_actions: Vec<String>,
            /// ARNs notified on entering `INSUFFICIENT_DATA`.
            insufficient_data_actions: Vec<String>,
            /// Tags.
            tags: BTreeMap<String, String>,
        }
        blocks {}
        outputs {
            /// The alarm's id, its name.
            id: String,
            /// The alarm's ARN.
            arn: String,
        }
    }
}
