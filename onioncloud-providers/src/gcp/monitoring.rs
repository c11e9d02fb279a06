//! Cloud Monitoring alert policies.

use std::collections::BTreeMap;

use super::*;

block! {
    /// How time series are aligned and combined (`aggregations`).
    pub struct Aggregation {
        required {}
        optional {
            /// The alignment period, such as `60s`.
            alignment_period: String,
            /// The per-series aligner, such as `ALIGN_MEAN`.
            per_series_aligner: String,
            /// The cross-series reducer, such as `REDUCE_MEAN`.
            cross_series_reducer: String,
            /// Labels kept when reducing.
            group_by_fields: Vec<String>,
        }
        blocks {}
    }
}

block! {
    /// How many series must violate a condition (`trigger`): set one
    /// field.
    pub struct Trigger {
        required {}
        optional {
            /// A number of series.
            count: i64,
            /// A percentage of series.
            percent: f64,
        }
        blocks {}
    }
}

block! {
    /// A metric threshold condition (`condition_threshold`).
    pub struct ConditionThreshold {
        required {
            /// `COMPARISON_GT`, `COMPARISON_LT`, ...
            comparison: String,
            /// How long the condition must hold, such as `300s`.
            duration: String,
        }
        optional {
            /// The monitoring filter selecting the time series.
            filter: String,
            /// The threshold.
            threshold_value: f64,
        }
        blocks {
            /// An aggregation.
            aggregations: Aggregation,
            /// The trigger.
            trigger: Trigger,
        }
    }
}

block! {
    /// A condition of an alert policy (`conditions`).
    pub struct AlertCondition {
        required {
            /// The condition's name in notifications.
            display_name: String,
        }
        optional {}
        blocks {
            /// A metric threshold.
            condition_threshold: ConditionThreshold,
        }
    }
}

block! {
    /// The text sent with notifications (`documentation`).
    pub struct AlertDocumentation {
        required {}
        optional {
            /// The text.
            content: String,
            /// `text/markdown`.
            mime_type: String,
            /// The subject line.
            subject: String,
        }
        blocks {}
    }
}

required_block!(AlertCondition);

resource! {
    /// An alert policy (`google_monitoring_alert_policy`).
    pub struct MonitoringAlertPolicy("google_monitoring_alert_policy")
        -> MonitoringAlertPolicyOutputs
    {
        required {
            /// The policy's name in the console.
            display_name: String,
            /// How conditions combine: `AND`, `OR` or
            /// `AND_WITH_MATCHING_RESOURCE`.
            combiner: String,
            /// The first condition.
            conditions: AlertCondition,
        }
        optional {
            /// Whether the policy is on.
            enabled: bool,
            /// Notification channels, by id.
            notification_channels: Vec<String>,
            /// `CRITICAL`, `ERROR` or `WARNING`.
            severity: String,
            /// Labels.
            user_labels: BTreeMap<String, String>,
            /// The project, when not the provider's.
            project: String,
        }
        blocks {
            /// Another condition.
            conditions: AlertCondition,
            /// Notification text.
            documentation: AlertDocumentation,
        }
        outputs {
            /// The policy's id.
            id: String,
            /// The policy's resource name.
            name: String,
        }
    }
}
