//! Plans and the features they include. Every tenant has a plan (`free` by
//! default; billing may set another); what each plan includes comes from
//! configuration, with the defaults below.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A feature that needs a licence or a paid plan. Everything people need to
/// sign in and provision (SCIM, the REST API, tokens, JWKS) is never gated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Feature {
    /// `GET …/events/export`: the audit log over a date range, as NDJSON.
    AuditExport,
    /// Keeping more SCIM requests in the tenant's request log.
    ScimLogRetention,
    /// Rotating the tenant's signing keys on a schedule.
    ScheduledKeyRotation,
    /// Streaming the audit log to an HTTPS webhook, signed with HMAC-SHA256.
    AuditStreaming,
}

impl Feature {
    pub const ALL: [Feature; 4] = [
        Feature::AuditExport,
        Feature::ScimLogRetention,
        Feature::ScheduledKeyRotation,
        Feature::AuditStreaming,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Feature::AuditExport => "audit_export",
            Feature::ScimLogRetention => "scim_log_retention",
            Feature::ScheduledKeyRotation => "scheduled_key_rotation",
            Feature::AuditStreaming => "audit_streaming",
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Feature {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Feature::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Feature::ALL.iter().map(Feature::as_str).collect();
                Error::invalid(
                    "features",
                    format!("unknown feature `{s}` (known: {})", known.join(", ")),
                )
            })
    }
}

/// What one plan includes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Feature names, e.g. `["audit_export"]`.
    #[serde(default)]
    pub features: Vec<String>,
    /// Active internal users a tenant on this plan may have; none = no limit.
    #[serde(default)]
    pub max_internal_users: Option<u64>,
}

/// The plans, by name. Exactly `free`, `team` and `enterprise`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plans {
    plans: BTreeMap<String, Plan>,
}

pub const PLAN_NAMES: [&str; 3] = ["free", "team", "enterprise"];

impl Plans {
    /// The defaults: `free` has no gated feature and no user limit (a
    /// self-hosted installation gets its features from a licence); `team`
    /// adds audit export and the longer SCIM request log; `enterprise` has
    /// every feature.
    pub fn defaults() -> BTreeMap<String, Plan> {
        let names = |fs: &[Feature]| fs.iter().map(|f| f.as_str().to_owned()).collect();
        BTreeMap::from([
            (
                "free".to_owned(),
                Plan {
                    features: vec![],
                    max_internal_users: None,
                },
            ),
            (
                "team".to_owned(),
                Plan {
                    features: names(&[Feature::AuditExport, Feature::ScimLogRetention]),
                    max_internal_users: None,
                },
            ),
            (
                "enterprise".to_owned(),
                Plan {
                    features: names(&Feature::ALL),
                    max_internal_users: None,
                },
            ),
        ])
    }

    /// Checks a configuration: the three plans, known features only.
    pub fn new(plans: BTreeMap<String, Plan>) -> Result<Plans> {
        for name in plans.keys() {
            if !PLAN_NAMES.contains(&name.as_str()) {
                return Err(Error::Config(format!(
                    "plans: unknown plan `{name}` (the plans are free, team and enterprise)"
                )));
            }
        }
        for name in PLAN_NAMES {
            let plan = plans
                .get(name)
                .ok_or_else(|| Error::Config(format!("plans: the plan `{name}` is missing")))?;
            for f in &plan.features {
                f.parse::<Feature>()
                    .map_err(|e| Error::Config(format!("plans.{name}.{e}")))?;
            }
        }
        Ok(Plans { plans })
    }

    /// The plan of that name; an unknown stored name counts as `free`.
    pub fn get(&self, name: &str) -> &Plan {
        self.plans
            .get(name)
            .or_else(|| self.plans.get("free"))
            .unwrap_or(&FREE)
    }

    pub fn includes(&self, plan: &str, feature: Feature) -> bool {
        self.get(plan)
            .features
            .iter()
            .any(|f| f == feature.as_str())
    }

    /// The plans that include `feature`, cheapest first.
    pub fn including(&self, feature: Feature) -> Vec<&'static str> {
        PLAN_NAMES
            .into_iter()
            .filter(|p| self.includes(p, feature))
            .collect()
    }
}

static FREE: Plan = Plan {
    features: Vec::new(),
    max_internal_users: None,
};

impl Default for Plans {
    fn default() -> Self {
        Plans {
            plans: Plans::defaults(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_plans_are_valid_and_enterprise_has_everything() {
        let plans = Plans::new(Plans::defaults()).unwrap();
        for f in Feature::ALL {
            assert!(plans.includes("enterprise", f), "{f}");
            assert!(!plans.includes("free", f), "{f}");
        }
    }

    #[test]
    fn a_plan_with_an_unknown_feature_is_refused_naming_it() {
        let mut p = Plans::defaults();
        p.get_mut("team").unwrap().features.push("teleport".into());
        let err = Plans::new(p).unwrap_err().to_string();
        assert!(
            err.contains("teleport") && err.contains("plans.team"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_plan_name_is_refused() {
        let mut p = Plans::defaults();
        p.insert(
            "gold".into(),
            Plan {
                features: vec![],
                max_internal_users: None,
            },
        );
        assert!(Plans::new(p).unwrap_err().to_string().contains("gold"));
    }
}
