//! The installation's licences and what they add up to.
//!
//! Several licences may be installed: their seats add up, the earliest
//! expiry counts, their features join. The status is computed from the
//! stored licences (each verified again, never trusted as stored), the seats
//! in use and the clock:
//!
//! - `none`: nothing installed; `invalid`: nothing installed verifies;
//! - `valid`, or `expiring` within [`LicensePolicy::warn_before`] of the expiry;
//! - `expired`, with a grace period ([`LicensePolicy::grace`]).
//!
//! More active internal users than licensed seats is a warning for the
//! grace period too. After either grace period the installation is
//! *restricted*: licensed features are read-only and new internal users are
//! refused. Nobody is deactivated and nothing is deleted.

use time::OffsetDateTime;
use uuid::Uuid;

use super::Feature;
use super::token::{Invalid, License};
use crate::clock::{from_db, to_db};

/// How long warnings last before restrictions apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LicensePolicy {
    /// After expiry, and after the seats are first exceeded.
    pub grace: time::Duration,
    /// How long before expiry the status turns `expiring`.
    pub warn_before: time::Duration,
}

impl Default for LicensePolicy {
    fn default() -> Self {
        LicensePolicy {
            grace: time::Duration::days(14),
            warn_before: time::Duration::days(30),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicenseState {
    None,
    Valid,
    Expiring { days_left: i64 },
    Expired { grace_until: OffsetDateTime },
    Invalid { reason: String },
}

impl LicenseState {
    pub fn as_str(&self) -> &'static str {
        match self {
            LicenseState::None => "none",
            LicenseState::Valid => "valid",
            LicenseState::Expiring { .. } => "expiring",
            LicenseState::Expired { .. } => "expired",
            LicenseState::Invalid { .. } => "invalid",
        }
    }
}

/// One installed licence and the verdict on it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstalledLicense {
    pub id: String,
    pub installed_at: OffsetDateTime,
    pub verdict: std::result::Result<License, Invalid>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LicenseStatus {
    pub installation_id: Uuid,
    pub state: LicenseState,
    /// Seats of the licences that verify; `None` without one.
    pub licensed_seats: Option<u64>,
    /// Active internal users of the whole installation.
    pub seats_used: u64,
    /// Since when more seats are used than licensed, and until when that is tolerated.
    pub over_seats_since: Option<OffsetDateTime>,
    pub seats_grace_until: Option<OffsetDateTime>,
    /// The earliest expiry of the licences that verify.
    pub expires_at: Option<OffsetDateTime>,
    /// What the licences add (known features only).
    pub features: Vec<Feature>,
    /// Past a grace period: licensed features read-only, no new internal users.
    pub restricted: bool,
    /// Warnings for operators, in words (empty when all is well).
    pub warnings: Vec<String>,
    pub licenses: Vec<InstalledLicense>,
}

impl LicenseStatus {
    /// Whether the licence's features apply at all (read-only when restricted).
    pub fn grants(&self, feature: Feature) -> bool {
        self.features.contains(&feature)
    }
}

/// Days from `now` to `then`, a started day counting as one (9 days and 2
/// hours are 10 days left); negative once `then` has passed.
pub fn days_until(now: OffsetDateTime, then: OffsetDateTime) -> i64 {
    let secs = (then - now).whole_seconds();
    secs.div_euclid(86_400) + i64::from(secs.rem_euclid(86_400) != 0)
}

/// A time as RFC 3339, for messages.
pub fn rfc3339_public(t: OffsetDateTime) -> String {
    rfc3339(t)
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// The status from the licences' verdicts, the seats and the clock.
pub fn evaluate(
    installation_id: Uuid,
    licenses: Vec<InstalledLicense>,
    seats_used: u64,
    over_seats_since: Option<OffsetDateTime>,
    now: OffsetDateTime,
    policy: LicensePolicy,
) -> LicenseStatus {
    let valid: Vec<&License> = licenses
        .iter()
        .filter_map(|l| l.verdict.as_ref().ok())
        .collect();
    let mut status = LicenseStatus {
        installation_id,
        state: LicenseState::None,
        licensed_seats: None,
        seats_used,
        over_seats_since: None,
        seats_grace_until: None,
        expires_at: None,
        features: vec![],
        restricted: false,
        warnings: vec![],
        licenses: vec![],
    };
    if valid.is_empty() {
        if let Some(first) = licenses.iter().find_map(|l| l.verdict.as_ref().err()) {
            status.state = LicenseState::Invalid {
                reason: first.to_string(),
            };
            status
                .warnings
                .push(format!("no installed licence is valid: {first}"));
        }
        status.licenses = licenses;
        return status;
    }
    let seats: u64 = valid.iter().map(|l| l.seats).fold(0, u64::saturating_add);
    let Some(expires_at) = valid.iter().map(|l| l.expires_at).min() else {
        status.licenses = licenses;
        return status;
    };
    status.licensed_seats = Some(seats);
    status.expires_at = Some(expires_at);
    status.features = joint_features(&valid);
    status.check_expiry(expires_at, now, policy);
    if seats_used > seats {
        status.check_seats(seats, over_seats_since, now, policy);
    }
    status.licenses = licenses;
    status
}

/// The known features any of the licences grants, sorted, each once.
fn joint_features(valid: &[&License]) -> Vec<Feature> {
    let mut features: Vec<Feature> = valid
        .iter()
        .flat_map(|l| l.features.iter())
        .filter_map(|f| f.parse().ok())
        .collect();
    features.sort();
    features.dedup();
    features
}

impl LicenseStatus {
    /// The state the earliest expiry gives: valid, expiring (a warning), or
    /// expired (a warning, and restricted once the grace period is over).
    fn check_expiry(
        &mut self,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
        policy: LicensePolicy,
    ) {
        self.state = if now >= expires_at {
            let grace_until = expires_at + policy.grace;
            if now >= grace_until {
                self.restricted = true;
                self.warnings.push(format!(
                    "the licence expired at {}; its grace period ended at {}: licensed features are read-only and new internal users are refused",
                    rfc3339(expires_at),
                    rfc3339(grace_until)
                ));
            } else {
                self.warnings.push(format!(
                    "the licence expired at {}; licensed features keep working until {}",
                    rfc3339(expires_at),
                    rfc3339(grace_until)
                ));
            }
            LicenseState::Expired { grace_until }
        } else if expires_at - now <= policy.warn_before {
            let days_left = days_until(now, expires_at);
            self.warnings.push(format!(
                "the licence expires in {days_left} day(s), at {}",
                rfc3339(expires_at)
            ));
            LicenseState::Expiring { days_left }
        } else {
            LicenseState::Valid
        };
    }

    /// More seats used than licensed: a warning for the grace period from
    /// when it was first seen, then restricted.
    fn check_seats(
        &mut self,
        seats: u64,
        over_seats_since: Option<OffsetDateTime>,
        now: OffsetDateTime,
        policy: LicensePolicy,
    ) {
        let seats_used = self.seats_used;
        // As stored (microseconds), so the first answer equals later ones.
        let since = over_seats_since.unwrap_or_else(|| from_db(to_db(now)));
        let until = since + policy.grace;
        self.over_seats_since = Some(since);
        self.seats_grace_until = Some(until);
        if now >= until {
            self.restricted = true;
            self.warnings.push(format!(
                "{seats_used} active internal users, {seats} licensed, since {}: new internal users are refused",
                rfc3339(since)
            ));
        } else {
            self.warnings.push(format!(
                "{seats_used} active internal users, {seats} licensed; new internal users will be refused from {} unless seats are added or users deactivated",
                rfc3339(until)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    fn license(id: &str, seats: u64, expires_in_days: i64, features: &[&str]) -> InstalledLicense {
        InstalledLicense {
            id: id.into(),
            installed_at: t0(),
            verdict: Ok(License {
                id: id.into(),
                licensee: "Acme".into(),
                issued_at: t0(),
                not_before: t0(),
                expires_at: t0() + time::Duration::days(expires_in_days),
                binding: super::super::token::Binding::Any,
                seats,
                features: features.iter().map(|f| (*f).to_owned()).collect(),
            }),
        }
    }

    fn eval(
        ls: Vec<InstalledLicense>,
        used: u64,
        over: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> LicenseStatus {
        evaluate(Uuid::nil(), ls, used, over, now, LicensePolicy::default())
    }

    #[test]
    fn nothing_installed_is_none_without_restrictions() {
        let s = eval(vec![], 10_000, None, t0());
        assert_eq!(s.state, LicenseState::None);
        assert!(!s.restricted && s.features.is_empty() && s.licensed_seats.is_none());
    }

    #[test]
    fn seats_add_up_and_the_earliest_expiry_counts() {
        let s = eval(
            vec![
                license("a", 10, 400, &["audit_export"]),
                license("b", 15, 100, &["scim_log_retention"]),
            ],
            3,
            None,
            t0(),
        );
        assert_eq!(s.state, LicenseState::Valid);
        assert_eq!(s.licensed_seats, Some(25));
        assert_eq!(s.expires_at, Some(t0() + time::Duration::days(100)));
        assert_eq!(
            s.features,
            vec![Feature::AuditExport, Feature::ScimLogRetention]
        );
    }

    #[test]
    fn a_licence_near_its_expiry_is_expiring_with_days_left() {
        let s = eval(vec![license("a", 10, 12, &[])], 0, None, t0());
        assert_eq!(s.state, LicenseState::Expiring { days_left: 12 });
        assert_eq!(s.warnings.len(), 1);
        assert!(!s.restricted);
    }

    #[test]
    fn an_expired_licence_keeps_its_features_for_the_grace_period_then_restricts() {
        let ls = || vec![license("a", 10, 1, &["audit_export"])];
        let within = eval(ls(), 0, None, t0() + time::Duration::days(5));
        let grace_until = t0() + time::Duration::days(15);
        assert_eq!(within.state, LicenseState::Expired { grace_until });
        assert!(!within.restricted && within.grants(Feature::AuditExport));
        let after = eval(ls(), 0, None, t0() + time::Duration::days(16));
        assert!(after.restricted);
    }

    #[test]
    fn over_the_seats_warns_for_the_grace_period_from_when_it_started_then_restricts() {
        let ls = || vec![license("a", 2, 400, &[])];
        let first = eval(ls(), 3, None, t0());
        assert_eq!(first.over_seats_since, Some(t0()));
        assert!(!first.restricted && !first.warnings.is_empty());
        let later = eval(ls(), 3, Some(t0()), t0() + time::Duration::days(14));
        assert!(later.restricted);
        let back_under = eval(ls(), 2, Some(t0()), t0() + time::Duration::days(20));
        assert!(!back_under.restricted && back_under.over_seats_since.is_none());
    }

    #[test]
    fn only_invalid_licences_make_the_state_invalid_with_the_reason() {
        let bad = InstalledLicense {
            id: "x".into(),
            installed_at: t0(),
            verdict: Err(Invalid::BadSignature),
        };
        let s = eval(vec![bad.clone()], 0, None, t0());
        assert_eq!(
            s.state,
            LicenseState::Invalid {
                reason: "the signature does not verify".into()
            }
        );
        let mixed = eval(vec![bad, license("a", 5, 400, &[])], 0, None, t0());
        assert_eq!(mixed.state, LicenseState::Valid);
    }
}
