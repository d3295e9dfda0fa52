//! The words of the change scan: what changed before the alarm, the
//! nearest change in one line, and how to roll each kind back.

use chrono::{DateTime, Utc};
use shared::{Finding, FindingStatus};

use crate::changes::{Change, Touched, minutes_before};
use crate::text::Texts;

impl Texts {
    /// `8 分前: github-actions-deploy が goal-mandala-production-api のコードを更新`.
    pub(crate) fn change_line(&self, c: &Change, changed_at: DateTime<Utc>) -> String {
        let minutes = minutes_before(c, changed_at);
        let (who, what) = (&c.principal, &c.resource);
        let name = c.event_name.as_str();
        let (ja, en) = match c.touched {
            Touched::Function if name.starts_with("UpdateFunctionCode") => {
                ("のコードを更新", "updated the code of")
            }
            Touched::Function if name.starts_with("UpdateFunctionConfiguration") => {
                ("の設定を変更", "changed the configuration of")
            }
            Touched::Function if name.starts_with("PublishVersion") => {
                ("の新しいバージョンを発行", "published a version of")
            }
            Touched::Function if name.starts_with("UpdateAlias") => {
                ("のエイリアスを切り替え", "switched an alias of")
            }
            Touched::Function => ("の同時実行数を変更", "changed the concurrency of"),
            Touched::ApiDeployment if name == "UpdateStage" => {
                ("のステージを変更", "updated a stage of API")
            }
            Touched::ApiDeployment => ("をデプロイ", "deployed API"),
            Touched::Cluster if name == "RebootDBInstance" => ("を再起動", "rebooted"),
            Touched::Cluster if name == "FailoverDBCluster" => {
                ("をフェイルオーバー", "failed over")
            }
            Touched::Cluster if name == "StopDBCluster" => ("を停止", "stopped"),
            Touched::Cluster => ("の設定を変更", "modified"),
            Touched::SecurityGroup => {
                ("のインバウンドルールを変更", "changed the inbound rules of")
            }
            Touched::Secret if name == "RotateSecret" => ("をローテーション", "rotated"),
            Touched::Secret => ("の値・ステージを変更", "changed the value or stages of"),
        };
        self.ja_en(
            format!("{minutes} 分前: {who} が {what} {ja}（{name}）"),
            format!("{minutes} min before: {who} {en} {what} ({name})"),
        )
    }

    pub(crate) fn recent_changes(
        &self,
        status: FindingStatus,
        changes: &[Change],
        changed_at: DateTime<Utc>,
        lookback_minutes: i64,
    ) -> Finding {
        let detail = if changes.is_empty() {
            self.ja_en(
                format!("状態変化の前 {lookback_minutes} 分に、運用対象（API 関数・API のデプロイ・クラスター・セキュリティグループ・DB シークレット）への変更はありません"),
                format!("no write to the operated system (API function, API deployments, cluster, security groups, DB secret) in the {lookback_minutes} minutes before the state change"),
            )
        } else {
            {
                let lines: Vec<String> = changes
                    .iter()
                    .take(3)
                    .map(|c| self.change_line(c, changed_at))
                    .collect();
                let more = changes.len().saturating_sub(3);
                let rest = if more > 0 {
                    self.ja_en(format!("（ほか {more} 件）"), format!(" (and {more} more)"))
                } else {
                    String::new()
                };
                let verdict = if status == FindingStatus::Warning {
                    self.ja_en(
                        "このアラームに関わるリソースが直前に変更されています: ".to_owned(),
                        "a resource this alarm depends on changed just before: ".to_owned(),
                    )
                } else {
                    String::new()
                };
                format!("{verdict}{}{rest}", lines.join(" / "))
            }
        };
        let mut finding = Finding::new("recent-changes", status, detail);
        finding.value = Some(changes.len() as f64);
        finding
    }

    /// How to take `c` back.
    pub(crate) fn rollback(&self, c: &Change) -> String {
        let what = &c.resource;
        match c.touched {
            Touched::Function => self.ja_en(
                format!("{what} の変更（{}）が原因なら戻す: エイリアスを前のバージョンへ `aws lambda update-alias --function-name {what} --name <エイリアス> --function-version <前のバージョン>`、または前のバージョンを再デプロイしてください。", c.event_name),
                format!("if {what}'s change ({}) is the cause, take it back: point the alias at the previous version (`aws lambda update-alias --function-name {what} --name <alias> --function-version <previous version>`) or redeploy the previous version.", c.event_name),
            ),
            Touched::ApiDeployment => self.ja_en(
                format!("API {what} のデプロイが原因なら戻す: `aws apigateway update-stage --rest-api-id {what} --stage-name <ステージ> --patch-operations op=replace,path=/deploymentId,value=<前のデプロイ ID>`"),
                format!("if API {what}'s deployment is the cause, take it back: `aws apigateway update-stage --rest-api-id {what} --stage-name <stage> --patch-operations op=replace,path=/deploymentId,value=<previous deployment id>`"),
            ),
            Touched::Cluster => self.ja_en(
                format!("{what} の変更（{}）が原因なら CloudTrail で変更前の値を確認し、`aws rds modify-db-cluster` / `modify-db-instance` で戻してください（容量なら ops-action set-db-capacity）。", c.event_name),
                format!("if {what}'s change ({}) is the cause, read the previous values in CloudTrail and set them back (`aws rds modify-db-cluster` / `modify-db-instance`; capacity: ops-action set-db-capacity).", c.event_name),
            ),
            Touched::SecurityGroup => self.ja_en(
                format!("{what} のルール変更（{}）が原因なら、CloudTrail の requestParameters のとおりに逆の操作（authorize ⇔ revoke-security-group-ingress）で戻してください。", c.event_name),
                format!("if {what}'s rule change ({}) is the cause, undo it with the opposite call (authorize ⇔ revoke-security-group-ingress) using the request in CloudTrail.", c.event_name),
            ),
            Touched::Secret => self.ja_en(
                format!("{what} の変更（{}）が原因なら、前のパスワード（AWSPREVIOUS）を AWSCURRENT に戻す: `aws secretsmanager update-secret-version-stage --secret-id {what} --version-stage AWSCURRENT --move-to-version-id <AWSPREVIOUS の版> --remove-from-version-id <現在の版>`", c.event_name),
                format!("if {what}'s change ({}) is the cause, make the previous password (AWSPREVIOUS) current again: `aws secretsmanager update-secret-version-stage --secret-id {what} --version-stage AWSCURRENT --move-to-version-id <AWSPREVIOUS version> --remove-from-version-id <current version>`", c.event_name),
            ),
        }
    }
}
