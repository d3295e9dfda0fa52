//! Is CloudTrail itself recording? (`cloudtrail-trail-health`, daily.) The
//! real-time rules and any audit beyond the 90-day event history depend on
//! a trail that is multi-Region, includes the global services' events and
//! is logging. `DescribeTrails` (shadow trails of other Regions included)
//! and one `GetTrailStatus` per trail; the verdict is pure.

use aws_sdk_cloudtrail::Client;
use shared::{Error, FindingStatus};

/// One trail, as the verdict needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailState {
    /// Its name.
    pub name: String,
    /// `IsMultiRegionTrail`.
    pub multi_region: bool,
    /// `IncludeGlobalServiceEvents`.
    pub global_events: bool,
    /// `GetTrailStatus.IsLogging`.
    pub logging: bool,
    /// `GetTrailStatus.LatestDeliveryError`: the last delivery to its bucket failed.
    pub delivery_error: Option<String>,
}

impl TrailState {
    /// Whether it records everything the audit relies on.
    pub fn covers_the_account(&self) -> bool {
        self.multi_region && self.global_events && self.logging
    }
}

/// The verdict over the account's trails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrailHealth {
    /// A trail covers the account and delivers.
    Covered(String),
    /// A trail covers the account but its last delivery failed.
    DeliveryFailing {
        /// The trail.
        name: String,
        /// `LatestDeliveryError`.
        error: String,
    },
    /// No trail covers the account (none at all, or each lacks something).
    Uncovered,
}

impl TrailHealth {
    /// The runbook's verdict: critical when nothing covers the account, a
    /// warning when the covering trail cannot deliver.
    pub fn status(&self) -> FindingStatus {
        match self {
            TrailHealth::Covered(_) => FindingStatus::Ok,
            TrailHealth::DeliveryFailing { .. } => FindingStatus::Warning,
            TrailHealth::Uncovered => FindingStatus::Critical,
        }
    }
}

/// Judges `trails`: a covering trail that delivers wins over one that does not.
pub fn judge(trails: &[TrailState]) -> TrailHealth {
    let covering: Vec<&TrailState> = trails.iter().filter(|t| t.covers_the_account()).collect();
    if let Some(healthy) = covering.iter().find(|t| t.delivery_error.is_none()) {
        return TrailHealth::Covered(healthy.name.clone());
    }
    match covering.first() {
        Some(t) => TrailHealth::DeliveryFailing {
            name: t.name.clone(),
            error: t.delivery_error.clone().unwrap_or_default(),
        },
        None => TrailHealth::Uncovered,
    }
}

/// Every trail the Region sees and its status.
pub async fn read(client: &Client) -> Result<Vec<TrailState>, Error> {
    let described = client
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| Error::aws("DescribeTrails", e))?;
    let mut out = Vec::new();
    for trail in described.trail_list() {
        let Some(id) = trail.trail_arn().or(trail.name()) else {
            continue;
        };
        let status = client
            .get_trail_status()
            .name(id)
            .send()
            .await
            .map_err(|e| Error::aws("GetTrailStatus", e))?;
        out.push(TrailState {
            name: trail.name().unwrap_or(id).to_owned(),
            multi_region: trail.is_multi_region_trail().unwrap_or(false),
            global_events: trail.include_global_service_events().unwrap_or(false),
            logging: status.is_logging().unwrap_or(false),
            delivery_error: status
                .latest_delivery_error()
                .filter(|e| !e.is_empty())
                .map(str::to_owned),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trail(
        name: &str,
        multi: bool,
        global: bool,
        logging: bool,
        error: Option<&str>,
    ) -> TrailState {
        TrailState {
            name: name.into(),
            multi_region: multi,
            global_events: global,
            logging,
            delivery_error: error.map(str::to_owned),
        }
    }

    #[test]
    fn one_multi_region_logging_trail_with_global_events_covers_the_account() {
        let trails = [
            trail("regional", false, true, true, None),
            trail("stopped", true, true, false, None),
            trail("org", true, true, true, None),
        ];
        assert_eq!(judge(&trails), TrailHealth::Covered("org".into()));
        assert_eq!(judge(&trails).status(), FindingStatus::Ok);
    }

    #[test]
    fn no_covering_trail_is_critical_and_a_failing_delivery_a_warning() {
        assert_eq!(judge(&[]).status(), FindingStatus::Critical);
        let lacking = [
            trail("regional", false, true, true, None),
            trail("no-global", true, false, true, None),
            trail("stopped", true, true, false, None),
        ];
        assert_eq!(judge(&lacking), TrailHealth::Uncovered);
        let failing = [trail("org", true, true, true, Some("AccessDenied"))];
        assert_eq!(
            judge(&failing),
            TrailHealth::DeliveryFailing {
                name: "org".into(),
                error: "AccessDenied".into()
            }
        );
        assert_eq!(judge(&failing).status(), FindingStatus::Warning);
        let one_good = [
            trail("org", true, true, true, Some("AccessDenied")),
            trail("backup", true, true, true, None),
        ];
        assert_eq!(judge(&one_good), TrailHealth::Covered("backup".into()));
    }
}
