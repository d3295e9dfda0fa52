//! The words of the digest, in Japanese and English: one line per dashboard
//! row (value, normal range, status, a 7-day sparkline on the count rows),
//! the alarms with their reason and since when, hygiene, the runbook's next
//! step for every line that is not ok, and console links.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use shared::console;
use shared::render::number;
use shared::runbook::Runbook;
use shared::time::format_local;
use shared::{Finding, FindingStatus, Lang};

use crate::alarms::AlarmFacts;
use crate::event::Day;
use crate::hygiene::{Judged, Versioning};
use crate::rows::{Row, RowResult};

/// Texts in the report language, times in the report zone.
#[derive(Debug, Clone)]
pub(crate) struct Texts {
    lang: Lang,
    tz: Tz,
}

/// Eight levels, lowest to highest.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `values` as bars scaled to their maximum (all ▁ when all are 0).
pub fn sparkline(values: &[f64]) -> String {
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    values
        .iter()
        .map(|v| {
            if max <= 0.0 {
                BARS[0]
            } else {
                let level = ((v / max) * (BARS.len() - 1) as f64).round() as usize;
                BARS[level.min(BARS.len() - 1)]
            }
        })
        .collect()
}

/// `12345.0` → `12,345`; fractions keep up to two decimals.
pub fn grouped(value: f64) -> String {
    let text = number(value);
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

impl Texts {
    pub(crate) fn new(lang: Lang, tz: Tz) -> Self {
        Texts { lang, tz }
    }

    pub(crate) fn ja_en(&self, ja: String, en: String) -> String {
        self.lang.choose(ja, en)
    }

    pub(crate) fn lang(&self) -> Lang {
        self.lang
    }

    pub(crate) fn tz(&self) -> Tz {
        self.tz
    }

    /// The report zone's name (`Asia/Tokyo`).
    pub(crate) fn zone(&self) -> &'static str {
        self.tz.name()
    }

    fn time(&self, at: DateTime<Utc>) -> String {
        format_local(at, self.tz)
    }

    fn row_name(&self, row: Row) -> &'static str {
        let (ja, en) = match row {
            Row::LambdaInvocations => ("Lambda 呼び出し回数", "Lambda invocations"),
            Row::LambdaDuration => ("Lambda 平均実行時間", "Lambda average duration"),
            Row::LambdaErrorRate => ("Lambda エラー率", "Lambda error rate"),
            Row::ApiRequests => ("API Gateway リクエスト数", "API Gateway requests"),
            Row::ApiLatencyP95 => ("API Gateway レイテンシ p95", "API Gateway latency p95"),
            Row::DbConnections => ("Aurora 接続数（最大）", "Aurora connections (max)"),
            Row::DbCpu => ("Aurora CPU（最大）", "Aurora CPU (max)"),
        };
        self.lang.pick(ja, en)
    }

    /// The runbook's wording of a row's normal range.
    pub(crate) fn range(&self, row: Row, runbook: &Runbook) -> String {
        let ms = |d: std::time::Duration| grouped(d.as_secs_f64() * 1000.0);
        match row {
            Row::LambdaInvocations | Row::ApiRequests => {
                let max = if row == Row::ApiRequests {
                    runbook.api_requests_max_per_day
                } else {
                    runbook.lambda_invocations_max_per_day
                };
                self.ja_en(
                    format!("0〜{}/日・急増は要調査", grouped(max as f64)),
                    format!(
                        "0–{} / day; a sudden increase → investigate",
                        grouped(max as f64)
                    ),
                )
            }
            Row::LambdaDuration => self.ja_en(
                format!("平均 {} ms 未満", ms(runbook.lambda_duration_avg_max)),
                format!("average < {} ms", ms(runbook.lambda_duration_avg_max)),
            ),
            Row::LambdaErrorRate => self.ja_en(
                format!(
                    "{} % 未満・アラームは {} % 超",
                    number(runbook.lambda_error_rate_max.value()),
                    number(runbook.lambda_error_rate_alarm.value())
                ),
                format!(
                    "< {} % (the alarm fires above {} %)",
                    number(runbook.lambda_error_rate_max.value()),
                    number(runbook.lambda_error_rate_alarm.value())
                ),
            ),
            Row::ApiLatencyP95 => self.ja_en(
                format!("p95 {} ms 未満", ms(runbook.api_latency_p95_max)),
                format!("p95 < {} ms", ms(runbook.api_latency_p95_max)),
            ),
            Row::DbConnections => self.ja_en(
                format!("{} 未満", runbook.db_connections_max),
                format!("< {}", runbook.db_connections_max),
            ),
            Row::DbCpu => self.ja_en(
                format!("{} % 未満", number(runbook.db_cpu_max.value())),
                format!("< {} %", number(runbook.db_cpu_max.value())),
            ),
        }
    }

    fn value(&self, r: &RowResult) -> String {
        match (r.value, r.unit) {
            (None, _) => self.lang.pick("データなし", "no data").to_owned(),
            (Some(v), "ms") => format!("{} ms", grouped((v * 10.0).round() / 10.0)),
            (Some(v), "percent") => format!("{} %", grouped((v * 100.0).round() / 100.0)),
            (Some(v), _) => grouped(v),
        }
    }

    /// One dashboard line: name, value, normal range, surge and sparkline.
    pub(crate) fn row_finding(&self, r: &RowResult) -> Finding {
        let mut detail = format!(
            "{} {}（{}: {}）",
            self.row_name(r.row),
            self.value(r),
            self.lang.pick("通常", "normal"),
            r.range
        );
        if self.lang == Lang::En {
            detail = format!(
                "{} {} (normal: {})",
                self.row_name(r.row),
                self.value(r),
                r.range
            );
        }
        if let (Some(average), Some(history)) = (r.average_7d, &r.history) {
            let times = r.value.filter(|_| average > 0.0).map(|v| v / average);
            let surge = match (r.surge, times) {
                (Some(true), Some(t)) => self.ja_en(
                    format!(" 急増: 7日平均 {} の {:.1} 倍", grouped(average.round()), t),
                    format!(
                        " SURGE: {:.1}× the 7-day average {}",
                        t,
                        grouped(average.round())
                    ),
                ),
                _ => self.ja_en(
                    format!(" 7日平均 {}", grouped(average.round())),
                    format!(" 7-day average {}", grouped(average.round())),
                ),
            };
            detail.push_str(&surge);
            detail.push_str(&format!(" {}", sparkline(history)));
        }
        if r.status == FindingStatus::Skipped {
            detail.push_str(self.lang.pick(
                "（この日のデータポイントがありません）",
                " (no datapoints on this day)",
            ));
        }
        let finding = Finding::new(r.check, r.status, detail);
        match r.value {
            Some(v) => finding.measured(v, r.threshold),
            None => Finding {
                threshold: Some(r.threshold),
                ..finding
            },
        }
    }

    /// The runbook's next step for a row that is not ok.
    pub(crate) fn row_remedy(
        &self,
        r: &RowResult,
        function_name: &str,
        cluster: &str,
    ) -> Option<String> {
        if matches!(r.status, FindingStatus::Ok | FindingStatus::Skipped) {
            return None;
        }
        let name = self.row_name(r.row);
        Some(match r.row {
            Row::LambdaInvocations | Row::ApiRequests => self.ja_en(
                format!("{name}: 急増・上限超えの原因（アクセス集中、ボット、クライアントのリトライ）を API Gateway のアクセスログと {function_name} のログで確認し、必要なら ops-action の set-lambda-concurrency で同時実行数を調整してください。"),
                format!("{name}: find what drove the increase (a traffic spike, bots, client retry loops) in the API Gateway access log and {function_name}'s log; if needed adjust concurrency with ops-action set-lambda-concurrency."),
            ),
            Row::LambdaDuration => self.ja_en(
                format!("{name}: X-Ray のトレースで遅い処理（DB クエリ・外部 API）を特定してください。"),
                format!("{name}: find the slow part (database queries, external calls) in the X-Ray traces."),
            ),
            Row::LambdaErrorRate => self.ja_en(
                format!("{name}: {function_name} のエラーログを分類してください（alarm-triage の high-error-rate と同じ手順: DB 接続・外部 API・入力エラー・タイムアウト）。"),
                format!("{name}: classify {function_name}'s error log (alarm-triage's high-error-rate playbook: database connection, external API, validation, timeout)."),
            ),
            Row::ApiLatencyP95 => self.ja_en(
                format!("{name}: X-Ray で遅いトレースを確認し、Latency と IntegrationLatency の差（API Gateway か Lambda か）を見てください。DB が原因なら ACU の上限を確認します。"),
                format!("{name}: look at the slowest X-Ray traces and at Latency vs IntegrationLatency (API Gateway or Lambda); if the database is the cause, check the ACU ceiling."),
            ),
            Row::DbConnections => self.ja_en(
                format!("{name}: アプリの接続プール（Prisma の connection_limit 等）とリーク、{cluster} の ACU を確認し、必要なら ops-action の set-db-capacity で上限を上げてください。"),
                format!("{name}: check the app's connection pool (e.g. Prisma connection_limit) and leaks, and {cluster}'s ACUs; if needed raise the ceiling with ops-action set-db-capacity."),
            ),
            Row::DbCpu => self.ja_en(
                format!("{name}: Performance Insights で重いクエリを確認し、必要なら ops-action の set-db-capacity で {cluster} の ACU 上限を上げてください。"),
                format!("{name}: find the heavy queries in Performance Insights; if needed raise {cluster}'s ACU ceiling with ops-action set-db-capacity."),
            ),
        })
    }

    /// A metric source that could not be read: every row it feeds is skipped.
    pub(crate) fn alarm_finding(&self, check: String, a: &AlarmFacts, region: &str) -> Finding {
        let link = console::alarm(region, &a.alarm);
        let since = a.since.map(|t| self.time(t)).unwrap_or_default();
        let reason = a.reason.clone().unwrap_or_default();
        let detail = match a.state.as_deref() {
            None => self.ja_en(
                format!("{} が見つかりません（CreateRunbookAlarms は有効ですか？）", a.alarm),
                format!("{} not found: is CreateRunbookAlarms on?", a.alarm),
            ),
            Some("INSUFFICIENT_DATA") => self.ja_en(
                format!("{}: INSUFFICIENT_DATA（{since} から）— 評価するデータポイントがなく（通信がない、またはメトリクスが送信されていない）、発報できません。runbook のアラームは欠損データを「しきい値超えではない」と扱うため、この状態は正常ではありません。理由: {reason} {link}", a.alarm),
                format!("{}: INSUFFICIENT_DATA since {since} — the alarm has no datapoints to evaluate (no traffic, or the metric is not being sent), so it cannot fire; the runbook alarms treat missing data as not breaching, so this state is not normal. Reason: {reason} {link}", a.alarm),
            ),
            Some(state) => self.ja_en(
                format!("{}: {state}（{since} から）理由: {reason} {link}", a.alarm),
                format!("{}: {state} since {since}. Reason: {reason} {link}", a.alarm),
            ),
        };
        Finding::new(check, a.status(), detail)
    }

    pub(crate) fn alarm_remedy(&self, a: &AlarmFacts) -> Option<String> {
        match a.state.as_deref() {
            Some("OK") => None,
            Some("ALARM") => Some(self.ja_en(
                format!("{}: 発報中です。alarm-triage のレポート（通知）を確認し、runbook のアラート対応を行ってください。", a.alarm),
                format!("{}: firing. Read alarm-triage's report (notification) and follow the runbook's alert response.", a.alarm),
            )),
            Some(_) => Some(self.ja_en(
                format!("{}: メトリクスが届いているか（API の呼び出し、関数名・API 名・クラスター名のディメンション）を確認してください。", a.alarm),
                format!("{}: check that its metric arrives (API traffic, and the function / API / cluster dimension names).", a.alarm),
            )),
            None => Some(self.ja_en(
                format!("{}: CreateRunbookAlarms=true でスタックをデプロイし、runbook の 3 つのアラームを作成してください。", a.alarm),
                format!("{}: deploy the stack with CreateRunbookAlarms=true to create the runbook's three alarms.", a.alarm),
            )),
        }
    }

    pub(crate) fn secret_finding(&self, secret: &str, j: &Judged, rotated: bool) -> Finding {
        let since = self.lang.pick(
            if rotated {
                "最後のローテーション"
            } else {
                "作成（未ローテーション）"
            },
            if rotated {
                "the last rotation"
            } else {
                "creation (never rotated)"
            },
        );
        let detail = match j.value {
            Some(days) => self.ja_en(
                format!("{secret}: {since}から {} 日（推奨 90 日ごと、最長 180 日）", number(days)),
                format!("{secret}: {} days since {since} (recommended every 90 days, at the latest 180)", number(days)),
            ),
            None => self.ja_en(
                format!("{secret}: 作成日・ローテーション日がわかりません"),
                format!("{secret}: no creation or rotation date"),
            ),
        };
        judged("secret-age", j, detail)
    }

    pub(crate) fn secret_remedy(&self, secret: &str) -> String {
        self.ja_en(
            format!("{secret}: rotate-db-secret のローテーションスケジュールと失敗キューを確認し、`aws secretsmanager rotate-secret --secret-id {secret}` で今すぐローテーションしてください。"),
            format!("{secret}: check rotate-db-secret's rotation schedule and the failure queue, then rotate now: `aws secretsmanager rotate-secret --secret-id {secret}`."),
        )
    }

    pub(crate) fn snapshot_finding(&self, cluster: &str, id: Option<&str>, j: &Judged) -> Finding {
        let detail = match (id, j.value) {
            (Some(id), Some(hours)) => self.ja_en(
                format!(
                    "{cluster} の最新の手動スナップショット {id}: {} 時間前（上限 {} 時間）",
                    number(hours),
                    number(j.threshold.unwrap_or_default())
                ),
                format!(
                    "{cluster}'s newest manual snapshot {id}: {} hours old (limit {} hours)",
                    number(hours),
                    number(j.threshold.unwrap_or_default())
                ),
            ),
            _ => self.ja_en(
                format!("{cluster} に利用可能な手動スナップショットがありません"),
                format!("{cluster} has no available manual snapshot"),
            ),
        };
        judged("snapshot-age", j, detail)
    }

    pub(crate) fn snapshot_remedy(&self, system: &str) -> String {
        self.ja_en(
            format!("スナップショット: nightly-snapshot の実行結果と失敗キュー（{system}-ops-failures）を確認し、今すぐ取得してください: `aws lambda invoke --function-name {system}-nightly-snapshot --cli-binary-format raw-in-base64-out --payload '{{\"reason\": \"manual\"}}' out.json`"),
            format!("Snapshot: check nightly-snapshot's last runs and the failure queue ({system}-ops-failures), then take one now: `aws lambda invoke --function-name {system}-nightly-snapshot --cli-binary-format raw-in-base64-out --payload '{{\"reason\": \"manual\"}}' out.json`"),
        )
    }

    pub(crate) fn drill_age_finding(&self, found: Option<(&str, &str)>, j: &Judged) -> Finding {
        let limit = number(j.threshold.unwrap_or_default());
        let detail = match (found, j.value) {
            (Some((id, day)), Some(days)) => self.ja_en(
                format!("最後に復元訓練で確認したスナップショット {id}（{day}）: {} 日前（上限 {limit} 日）", number(days)),
                format!("the last snapshot a restore drill proved, {id} ({day}): {} days ago (limit {limit} days)", number(days)),
            ),
            _ => self.ja_en(
                "復元訓練で確認したスナップショットがまだありません（restore-verified タグなし）".to_owned(),
                "no snapshot has been proven by a restore drill yet (no restore-verified tag)".to_owned(),
            ),
        };
        judged("restore-drill-age", j, detail)
    }

    pub(crate) fn drill_age_remedy(&self, system: &str) -> String {
        self.ja_en(
            format!("復元訓練: restore-drill の直近の通知と失敗キュー（{system}-ops-failures）を確認し、今すぐ訓練してください: `aws lambda invoke --function-name {system}-restore-drill --cli-binary-format raw-in-base64-out --payload '{{}}' out.json`（結果は数十分後に通知されます）"),
            format!("Restore drill: check restore-drill's last report and the failure queue ({system}-ops-failures), then run one now: `aws lambda invoke --function-name {system}-restore-drill --cli-binary-format raw-in-base64-out --payload '{{}}' out.json` (its report follows in tens of minutes)"),
        )
    }

    pub(crate) fn drill_leftover_finding(
        &self,
        cluster: &str,
        hours: Option<f64>,
        limit: i64,
    ) -> Finding {
        match hours {
            Some(h) if h > limit as f64 => Finding::new(
                "restore-drill-leftover",
                FindingStatus::Warning,
                self.ja_en(
                    format!("復元訓練のクラスター {cluster} が {} 時間残っています（{limit} 時間を超えた訓練用クラスターは削除漏れです。課金が続きます）", number(h)),
                    format!("restore drill cluster {cluster} has been there {} hours (past {limit} hours a drill cluster is a leftover; it keeps billing)", number(h)),
                ),
            )
            .measured(h, limit as f64),
            Some(h) => Finding::new(
                "restore-drill-leftover",
                FindingStatus::Ok,
                self.ja_en(
                    format!("復元訓練のクラスター {cluster} は訓練中です（{} 時間前に作成）", number(h)),
                    format!("restore drill cluster {cluster} is in a drill (created {} hours ago)", number(h)),
                ),
            ),
            None => Finding::new(
                "restore-drill-leftover",
                FindingStatus::Ok,
                self.ja_en(
                    "残っている復元訓練のクラスターはありません".to_owned(),
                    "no restore drill cluster is left over".to_owned(),
                ),
            ),
        }
    }

    pub(crate) fn drill_leftover_remedy(&self, cluster: &str) -> String {
        self.ja_en(
            format!("{cluster} を削除してください: `aws rds delete-db-instance --db-instance-identifier {cluster}-instance-1` → 完了後 `aws rds delete-db-cluster --db-cluster-identifier {cluster} --skip-final-snapshot`"),
            format!("Delete {cluster}: `aws rds delete-db-instance --db-instance-identifier {cluster}-instance-1`, then `aws rds delete-db-cluster --db-cluster-identifier {cluster} --skip-final-snapshot`"),
        )
    }

    pub(crate) fn versioning_finding(&self, bucket: &str, v: Versioning) -> Finding {
        let status = crate::hygiene::judge_versioning(v);
        let detail = match v {
            Versioning::Enabled => self.ja_en(
                format!("{bucket}: バージョニング有効"),
                format!("{bucket}: versioning enabled"),
            ),
            Versioning::Suspended => self.ja_en(
                format!("{bucket}: バージョニングが停止（Suspended）されています — 上書き・削除したファイルを戻せません"),
                format!("{bucket}: versioning is suspended — an overwritten or deleted file cannot be restored"),
            ),
            Versioning::Never => self.ja_en(
                format!("{bucket}: バージョニングが一度も有効になっていません — 上書き・削除したファイルを戻せません"),
                format!("{bucket}: versioning was never enabled — an overwritten or deleted file cannot be restored"),
            ),
        };
        Finding::new("frontend-versioning", status, detail)
    }

    pub(crate) fn versioning_remedy(&self, bucket: &str) -> String {
        self.ja_en(
            format!("{bucket}: `aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled` でバージョニングを有効にしてください。"),
            format!("{bucket}: enable versioning: `aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled`."),
        )
    }

    pub(crate) fn versioning_unset(&self) -> Finding {
        Finding::new(
            "frontend-versioning",
            FindingStatus::Skipped,
            self.lang.pick(
                "FRONTEND_BUCKET が未設定のため確認していません",
                "not checked: FRONTEND_BUCKET is not set",
            ),
        )
    }

    pub(crate) fn key_finding(&self, user: &str, j: &Judged) -> Finding {
        let detail = match j.value {
            Some(days) => self.ja_en(
                format!("{user}: 有効なアクセスキーのうち最新のものが {} 日前に作成（ローテーション {} 日ごと）", number(days), number(j.threshold.unwrap_or_default())),
                format!("{user}: the newest active access key was created {} days ago (rotated every {} days)", number(days), number(j.threshold.unwrap_or_default())),
            ),
            None => self.ja_en(
                format!("{user}: 有効なアクセスキーがありません（デプロイできません）"),
                format!("{user}: no active access key (deploys cannot run)"),
            ),
        };
        judged(&format!("key-age-{user}"), j, detail)
    }

    pub(crate) fn key_missing_user(&self, user: &str) -> Finding {
        Finding::new(
            format!("key-age-{user}"),
            FindingStatus::Skipped,
            self.ja_en(
                format!("IAM ユーザー {user} が存在しません（ROTATE_USERS を確認してください）"),
                format!("IAM user {user} does not exist (check ROTATE_USERS)"),
            ),
        )
    }

    pub(crate) fn key_remedy(&self, user: &str, system: &str) -> String {
        self.ja_en(
            format!("{user}: rotate-access-keys の結果を確認し、必要なら今すぐローテーションしてください: `aws lambda invoke --function-name {system}-rotate-access-keys --cli-binary-format raw-in-base64-out --payload '{{\"users\": [\"{user}\"], \"force_rotate\": true}}' out.json`"),
            format!("{user}: check rotate-access-keys' reports; if needed rotate now: `aws lambda invoke --function-name {system}-rotate-access-keys --cli-binary-format raw-in-base64-out --payload '{{\"users\": [\"{user}\"], \"force_rotate\": true}}' out.json`"),
        )
    }

    pub(crate) fn title(&self, day: &Day, counts: (usize, usize)) -> String {
        let (critical, warning) = counts;
        match (critical, warning) {
            (0, 0) => self.ja_en(
                format!("日次ヘルスチェック {}: すべて正常", day.date),
                format!("Daily health {}: all normal", day.date),
            ),
            _ => self.ja_en(
                format!(
                    "日次ヘルスチェック {}: 重大 {critical} 件・警告 {warning} 件",
                    day.date
                ),
                format!(
                    "Daily health {}: {critical} critical, {warning} warnings",
                    day.date
                ),
            ),
        }
    }

    pub(crate) fn summary(
        &self,
        day: &Day,
        system: &str,
        region: &str,
        counts: (usize, usize, usize),
    ) -> String {
        let (critical, warning, skipped) = counts;
        let window = format!("{} – {}", self.time(day.start), self.time(day.end));
        let dashboard = console::dashboard(region, system);
        self.ja_en(
            format!("{system} の {}（{window}）の状態です。重大 {critical} 件・警告 {warning} 件・未確認 {skipped} 件。\nダッシュボード: {dashboard}", day.date),
            format!("{system} on {} ({window}): {critical} critical, {warning} warnings, {skipped} not checked.\nDashboard: {dashboard}", day.date),
        )
    }

    pub(crate) fn all_clear(&self) -> String {
        self.lang
            .pick(
                "対応は不要です。ダッシュボードの数値はすべて通常の範囲です。",
                "Nothing to do: every number is within its normal range.",
            )
            .to_owned()
    }
}

fn judged(check: &str, j: &Judged, detail: String) -> Finding {
    Finding {
        check: check.to_owned(),
        status: j.status,
        detail,
        value: j.value,
        threshold: j.threshold,
        section: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_the_week_and_a_surge_stands_out() {
        assert_eq!(
            sparkline(&[100.0, 120.0, 90.0, 110.0, 100.0, 95.0, 105.0, 800.0]),
            "▂▂▂▂▂▂▂█"
        );
        assert_eq!(sparkline(&[0.0; 8]), "▁▁▁▁▁▁▁▁");
        assert_eq!(
            sparkline(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
            "▁▂▃▄▅▆▇█"
        );
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(12_345.0), "12,345");
        assert_eq!(grouped(999.0), "999");
        assert_eq!(grouped(1_000_000.0), "1,000,000");
        assert_eq!(grouped(1234.5), "1,234.50");
        assert_eq!(grouped(-4_000.0), "-4,000");
    }
}
