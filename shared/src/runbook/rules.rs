//! Each runbook rule, judged once, beside its number: a value in, the status
//! and the limit it was judged against out. Every function that applies a
//! rule calls its judge here; the wording code only words the verdict it is
//! given, so two reports never disagree about the same value.

use serde::Serialize;

use super::Runbook;
use crate::report::FindingStatus;

/// A rule's verdict on one value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Verdict {
    /// ok / warning / critical.
    pub status: FindingStatus,
    /// The limit the value was judged against (the one it crossed, if any).
    pub threshold: f64,
}

impl Verdict {
    /// The runbook's "must stay under": ok strictly below `limit`, warning
    /// from the limit on (the runbook writes these ranges as `< limit`).
    pub fn under(value: f64, limit: f64) -> Self {
        Verdict {
            status: if value < limit {
                FindingStatus::Ok
            } else {
                FindingStatus::Warning
            },
            threshold: limit,
        }
    }
}

/// The two daily counts with a normal range and the surge rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DailyCount {
    /// Lambda invocations per day (0–10,000).
    LambdaInvocations,
    /// API Gateway requests per day (0–10,000).
    ApiRequests,
}

/// A daily count's verdict: the range and the surge rule together.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CountVerdict {
    /// ok when within the range and no surge, else warning.
    pub verdict: Verdict,
    /// Whether the day was a sudden increase over the 7-day average.
    pub surge: bool,
}

impl Runbook {
    /// 「Lambda 平均実行時間 < 1 s」: the average duration in milliseconds.
    pub fn judge_lambda_duration(&self, average_ms: f64) -> Verdict {
        Verdict::under(average_ms, millis(self.lambda_duration_avg_max))
    }

    /// 「API Gateway レイテンシ p95 < 2 s」 (the `high-latency` alarm's limit), in milliseconds.
    pub fn judge_api_latency(&self, latency_ms: f64) -> Verdict {
        Verdict::under(latency_ms, millis(self.api_latency_p95_max))
    }

    /// 「Aurora 接続数 < 50」.
    pub fn judge_db_connections(&self, connections: f64) -> Verdict {
        Verdict::under(connections, f64::from(self.db_connections_max))
    }

    /// 「Aurora CPU < 70 %」.
    pub fn judge_db_cpu(&self, percent: f64) -> Verdict {
        Verdict::under(percent, self.db_cpu_max.value())
    }

    /// 「Lambda エラー率 < 1 %」 and its alarm at > 5 %: ok below the normal
    /// rate, critical above the alarm's, warning between (threshold: the
    /// limit that decided).
    pub fn judge_error_rate(&self, percent: f64) -> Verdict {
        let normal = self.lambda_error_rate_max.value();
        let alarm = self.lambda_error_rate_alarm.value();
        if percent > alarm {
            Verdict {
                status: FindingStatus::Critical,
                threshold: alarm,
            }
        } else {
            Verdict::under(percent, normal)
        }
    }

    /// A daily count against its range (`0 … max` inclusive) and the surge
    /// rule: more than `SURGE_FACTOR` × the 7-day average is a sudden
    /// increase, never without a baseline (an average of 0).
    pub fn judge_daily_count(
        &self,
        count: DailyCount,
        value: f64,
        average_7d: f64,
    ) -> CountVerdict {
        let max = match count {
            DailyCount::LambdaInvocations => self.lambda_invocations_max_per_day,
            DailyCount::ApiRequests => self.api_requests_max_per_day,
        } as f64;
        let surge = self.is_surge(value, average_7d);
        CountVerdict {
            verdict: Verdict {
                status: if value <= max && !surge {
                    FindingStatus::Ok
                } else {
                    FindingStatus::Warning
                },
                threshold: max,
            },
            surge,
        }
    }

    /// 「急増 → 調査」: strictly more than `SURGE_FACTOR` times the 7-day
    /// average; never without a baseline.
    pub fn is_surge(&self, value: f64, average_7d: f64) -> bool {
        average_7d > 0.0 && value > self.surge_factor * average_7d
    }

    /// 「DB シークレット 90 日ごと（最長 180 日）」: whole days since the last
    /// rotation — ok to the recommended interval, warning past it, critical
    /// past the latest (threshold: the limit that decided).
    pub fn judge_secret_age(&self, days: f64) -> Verdict {
        let recommended = f64::from(self.secret_rotation_recommended.0);
        let latest = f64::from(self.secret_rotation_max.0);
        if days > latest {
            Verdict {
                status: FindingStatus::Critical,
                threshold: latest,
            }
        } else if days > recommended {
            Verdict {
                status: FindingStatus::Warning,
                threshold: recommended,
            }
        } else {
            Verdict {
                status: FindingStatus::Ok,
                threshold: recommended,
            }
        }
    }
}

/// What the runbook states production is set up as, judged against what it is
/// (daily-health's conformance, ops-action's `runbook-value`).
impl Runbook {
    /// 「予約同時実行数 10、プロビジョンド 0」: ok only when both are the runbook's.
    pub fn judge_lambda_concurrency(
        &self,
        reserved: Option<i64>,
        provisioned: i64,
    ) -> FindingStatus {
        let as_stated = reserved == Some(i64::from(self.lambda_reserved_concurrency))
            && provisioned == i64::from(self.lambda_provisioned_concurrency);
        ok_if(as_stated)
    }

    /// 「0.5–2 ACU」: ok only at exactly the runbook's range.
    pub fn judge_db_capacity(&self, min: f64, max: f64) -> FindingStatus {
        ok_if(min == self.db_min_capacity.value() && max == self.db_max_capacity.value())
    }

    /// 「自動バックアップ 7 日間保持」: ok at the runbook's days; fewer is
    /// critical (restore points are being lost), more a warning (drift).
    pub fn judge_backup_retention(&self, days: f64) -> Verdict {
        let stated = f64::from(self.db_backup_retention.0);
        Verdict {
            status: if days < stated {
                FindingStatus::Critical
            } else if days > stated {
                FindingStatus::Warning
            } else {
                FindingStatus::Ok
            },
            threshold: stated,
        }
    }

    /// 「バックアップウィンドウ 03:00–04:00」: whether RDS's window
    /// (`PreferredBackupWindow`, UTC `hh24:mi-hh24:mi`) is the runbook's in
    /// `tz` on the day of `on`; `None` when RDS's window does not read.
    pub fn backup_window_is_stated(
        &self,
        window_utc: &str,
        tz: chrono_tz::Tz,
        on: chrono::DateTime<chrono::Utc>,
    ) -> Option<bool> {
        let utc: super::DailyWindow = window_utc.parse().ok()?;
        let local = |t: chrono::NaiveTime| {
            on.date_naive()
                .and_time(t)
                .and_utc()
                .with_timezone(&tz)
                .time()
        };
        Some(
            local(utc.start) == self.db_backup_window.start
                && local(utc.end) == self.db_backup_window.end,
        )
    }

    /// 「TTL 86,400 秒」.
    pub fn judge_cloudfront_ttl(&self, seconds: i64) -> FindingStatus {
        ok_if(u64::try_from(seconds).ok() == Some(self.cloudfront_ttl.as_secs()))
    }

    /// 「90 日ごとにローテーション」: rotation on, at most every
    /// `SECRET_ROTATION_DAYS` (`None`: an interval that cannot be read).
    pub fn judge_secret_rotation(
        &self,
        enabled: bool,
        interval_days: Option<i64>,
    ) -> FindingStatus {
        let recommended = i64::from(self.secret_rotation_recommended.0);
        ok_if(enabled && interval_days.is_some_and(|d| d <= recommended))
    }

    /// The threshold the runbook gives the alarm `<system>-<suffix>`: 5 (%)
    /// for the error rate, 2,000 (ms) for the latency; `None` for an alarm
    /// the runbook gives no number (database connection errors).
    pub fn alarm_threshold(&self, suffix: &str) -> Option<f64> {
        match suffix {
            "high-error-rate" => Some(self.lambda_error_rate_alarm.value()),
            "high-latency" => Some(millis(self.api_latency_p95_max)),
            _ => None,
        }
    }
}

fn ok_if(as_stated: bool) -> FindingStatus {
    FindingStatus::ok_if(as_stated, FindingStatus::Warning)
}

fn millis(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runbook() -> Runbook {
        Runbook::default()
    }

    #[test]
    fn the_under_limits_warn_from_the_limit_on() {
        let r = runbook();
        for (verdict, limit) in [
            (r.judge_lambda_duration(1_000.0), 1_000.0),
            (r.judge_api_latency(2_000.0), 2_000.0),
            (r.judge_db_connections(50.0), 50.0),
            (r.judge_db_cpu(70.0), 70.0),
        ] {
            assert_eq!(verdict.status, FindingStatus::Warning, "at {limit}");
            assert_eq!(verdict.threshold, limit);
        }
        for verdict in [
            r.judge_lambda_duration(999.9),
            r.judge_api_latency(1_999.9),
            r.judge_db_connections(49.0),
            r.judge_db_cpu(69.9),
        ] {
            assert_eq!(verdict.status, FindingStatus::Ok);
        }
    }

    #[test]
    fn the_error_rate_is_ok_below_one_warning_to_five_critical_above() {
        let r = runbook();
        let judge = |p| {
            let v = r.judge_error_rate(p);
            (v.status, v.threshold)
        };
        assert_eq!(judge(0.99), (FindingStatus::Ok, 1.0));
        assert_eq!(judge(1.0), (FindingStatus::Warning, 1.0));
        assert_eq!(judge(5.0), (FindingStatus::Warning, 1.0));
        assert_eq!(judge(5.01), (FindingStatus::Critical, 5.0));
    }

    #[test]
    fn a_daily_count_is_ok_up_to_its_max_and_without_a_surge() {
        let r = runbook();
        let status = |v, avg| {
            r.judge_daily_count(DailyCount::ApiRequests, v, avg)
                .verdict
                .status
        };
        assert_eq!(status(10_000.0, 5_000.0), FindingStatus::Ok);
        assert_eq!(status(10_001.0, 5_000.0), FindingStatus::Warning);
        // Three times the average is not yet a surge; more is.
        assert_eq!(status(300.0, 100.0), FindingStatus::Ok);
        assert_eq!(status(300.1, 100.0), FindingStatus::Warning);
        assert!(!r.is_surge(50.0, 0.0), "no baseline, no surge");
    }

    #[test]
    fn production_is_as_stated_only_at_the_runbooks_values() {
        let r = runbook();
        assert_eq!(r.judge_lambda_concurrency(Some(10), 0), FindingStatus::Ok);
        assert_eq!(
            r.judge_lambda_concurrency(Some(11), 0),
            FindingStatus::Warning
        );
        assert_eq!(r.judge_lambda_concurrency(None, 0), FindingStatus::Warning);
        assert_eq!(
            r.judge_lambda_concurrency(Some(10), 1),
            FindingStatus::Warning
        );
        assert_eq!(r.judge_db_capacity(0.5, 2.0), FindingStatus::Ok);
        assert_eq!(r.judge_db_capacity(1.0, 4.0), FindingStatus::Warning);
        let retention = |d| r.judge_backup_retention(d).status;
        assert_eq!(retention(7.0), FindingStatus::Ok);
        assert_eq!(retention(6.0), FindingStatus::Critical);
        assert_eq!(retention(8.0), FindingStatus::Warning);
        assert_eq!(r.judge_cloudfront_ttl(86_400), FindingStatus::Ok);
        assert_eq!(r.judge_cloudfront_ttl(3_600), FindingStatus::Warning);
        assert_eq!(r.judge_secret_rotation(true, Some(90)), FindingStatus::Ok);
        assert_eq!(
            r.judge_secret_rotation(true, Some(120)),
            FindingStatus::Warning
        );
        assert_eq!(
            r.judge_secret_rotation(false, Some(30)),
            FindingStatus::Warning
        );
        assert_eq!(r.alarm_threshold("high-latency"), Some(2_000.0));
        assert_eq!(r.alarm_threshold("high-error-rate"), Some(5.0));
    }

    #[test]
    fn the_backup_window_is_read_in_the_report_time_zone() {
        let r = runbook();
        let on = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let tokyo = chrono_tz::Asia::Tokyo;
        assert_eq!(
            r.backup_window_is_stated("18:00-19:00", tokyo, on),
            Some(true)
        );
        assert_eq!(
            r.backup_window_is_stated("19:00-20:00", tokyo, on),
            Some(false)
        );
        assert_eq!(
            r.backup_window_is_stated("03:00-04:00", tokyo, on),
            Some(false)
        );
        assert_eq!(r.backup_window_is_stated("soon", tokyo, on), None);
    }

    #[test]
    fn the_secret_is_ok_to_ninety_days_warning_to_one_eighty_critical_after() {
        let r = runbook();
        let judge = |d| {
            let v = r.judge_secret_age(d);
            (v.status, v.threshold)
        };
        assert_eq!(judge(90.0), (FindingStatus::Ok, 90.0));
        assert_eq!(judge(91.0), (FindingStatus::Warning, 90.0));
        assert_eq!(judge(180.0), (FindingStatus::Warning, 90.0));
        assert_eq!(judge(181.0), (FindingStatus::Critical, 180.0));
    }
}
