#!/usr/bin/env bash
# make demo: an emulated goal-mandala-production on this machine, and every
# function that exists run through the Lambda Runtime API (cargo lambda
# watch/invoke), each report printed as the team would read it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py=.venv/bin/python
work=$(mktemp -d)
pids=()
cleanup() {
  declare -F stop_pg >/dev/null && stop_pg
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work" "${pg_dir:-}"
}
trap cleanup EXIT

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Starting the emulated AWS (moto + CloudWatch bridge)"
"$py" tests/bed/moto_bed.py --port 0 >"$work/bed.out" 2>"$work/bed.err" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^ready' "$work/bed.out" 2>/dev/null && break; sleep 0.1; done
port=$(awk '/^ready/{print $2}' "$work/bed.out")
[ -n "$port" ] || { cat "$work/bed.err"; echo "emulator did not start" >&2; exit 1; }

export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_REGION=ap-northeast-1 AWS_DEFAULT_REGION=ap-northeast-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
{ read -r topic; read -r inbox; } < <("$py" tests/bed/seed_demo.py)
export NOTIFY_TOPIC_ARN="$topic" REPORT_LANG="${REPORT_LANG:-ja}" REPORT_TIMEZONE="${REPORT_TIMEZONE:-Asia/Tokyo}"
export FRONTEND_BUCKET=goal-mandala-production-frontend BACKUP_BUCKET=goal-mandala-production-frontend-backup
export AUDIT_ALLOWED_CIDRS="203.0.113.0/24"
# alarm-triage: reminders in the stack's schedule group, OpsItems on.
export SCHEDULE_GROUP=goal-mandala-production-ops SCHEDULER_ROLE_ARN=arn:aws:iam::123456789012:role/goal-mandala-ops-SchedulerRole
export TRIAGE_OPSITEMS=true
# restore-drill: what the restored copy must hold.
export DRILL_VERIFY_QUERIES='[{"name": "goals", "sql": "SELECT count(*) FROM goals", "min": 1}, {"name": "mandala_cells", "sql": "SELECT count(*) FROM mandala_cells", "min": 81}]'
# daily-health: the stack's failure queue and the frontend's cache policy.
export FAILURE_QUEUE_URL="$AWS_ENDPOINT_URL/123456789012/goal-mandala-production-ops-failures"
export CLOUDFRONT_CACHE_POLICY_ID=658327ea-f89d-4fab-a63d-7e88639e58f6
echo "endpoint $AWS_ENDPOINT_URL, cluster goal-mandala-production, topic $topic"

say "Starting PostgreSQL with TLS (a throwaway CA) as the emulated Aurora endpoint"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_dir=$(mktemp -d)  # beside $work: the postgres user must reach it
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres:postgres "$pg_dir"
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
(cd "$pg_dir" && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj "/CN=demo CA" 2>/dev/null \
  && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null \
  && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext \
  && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 -extfile san.ext 2>/dev/null \
  && chmod 600 server.key && { [ "$(id -u)" != 0 ] || chown postgres:postgres server.key server.crt; })
pg_port=$(free_port)
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w start \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c ssl=on -c ssl_cert_file=$pg_dir/server.crt -c ssl_key_file=$pg_dir/server.key -c log_statement=all" >/dev/null
stop_pg() { as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true; }
DEMO_DB_PASSWORD="demo-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export DEMO_DB_PASSWORD
PGOPTIONS="-c log_statement=none" psql -q -h "$pg_dir" -p "$pg_port" -U postgres -c "CREATE ROLE goal_mandala_user LOGIN PASSWORD '$DEMO_DB_PASSWORD'"
psql -q -h "$pg_dir" -p "$pg_port" -U postgres -c "CREATE DATABASE goal_mandala OWNER goal_mandala_user"
# The app's data (what tonight's snapshot holds, and a restore drill checks).
psql -q -h "$pg_dir" -p "$pg_port" -U postgres -d goal_mandala -c "
  CREATE TABLE goals (id serial PRIMARY KEY, title text NOT NULL);
  CREATE TABLE mandala_cells (goal_id int REFERENCES goals(id), position int, text text);
  INSERT INTO goals (title) SELECT '目標 ' || n FROM generate_series(1, 9) n;
  INSERT INTO mandala_cells SELECT g, p, 'セル' FROM generate_series(1, 9) g, generate_series(1, 9) p;
  ALTER TABLE goals OWNER TO goal_mandala_user; ALTER TABLE mandala_cells OWNER TO goal_mandala_user;"
"$py" tests/bed/seed_demo.py drill-bed "$pg_port"
"$py" tests/bed/seed_demo.py db-secret "$pg_port"
export DB_CA_BUNDLE="$pg_dir/ca.crt"
echo "postgresql://goal_mandala_user@127.0.0.1:$pg_port/goal_mandala (TLS, verify-full against the demo CA)"

say "Building the report renderer and gmops, starting the Lambda Runtime API (cargo lambda watch)"
cargo build -q -p integration-tests --bin report-text
cargo build -q -p gmops
lambda_port=$(free_port)
PATH="$root/.venv/bin:$PATH" cargo lambda watch --ignore-changes \
  --invoke-address 127.0.0.1 --invoke-port "$lambda_port" >"$work/watch.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
  "$py" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$lambda_port" 2>/dev/null && break
  sleep 0.2
done

# gmops against the local invoke endpoint (cargo lambda watch), where a
# function answers to its own name; its exit status shown, never fatal here.
gm() { # what it shows, gmops arguments…
  say "gmops ${*:2} — $1"
  local status=0
  target/debug/gmops --endpoint "http://127.0.0.1:$lambda_port" "${@:2}" </dev/null || status=$?
  echo "(gmops exit status $status)"
}

invoke() { # name, event file, what it shows
  say "$1 — $3"
  echo "event: $2"
  local out="$work/$1-$(basename "$2")"
  if ! PATH="$root/.venv/bin:$PATH" cargo lambda invoke "$1" --invoke-address 127.0.0.1 \
      --invoke-port "$lambda_port" --data-file "$2" >"$out" 2>"$out.err"; then
    # The function's error as the caller sees it (errorType and message).
    cat "$out"; sed '/Was this behavior unexpected/,$d' "$out.err"
    return 0
  fi
  target/debug/report-text <"$out"
  "$py" -c 'import json,sys; r=json.load(sys.stdin); print("JSON:", json.dumps({k: r[k] for k in ("severity","snapshot_id","created","pruned","quota_used","ce_requests","notify","playbook","episode","reminder","reminders_sent","ops_item","classes","failed_requests","bottleneck","cause","date","metric_requests","lookup_requests","events_scanned","action","target","confirmed","current","proposed","changed","endpoint","step","drill_id","snapshot","rto_minutes","cleaned_up") if k in r}, ensure_ascii=False))' <"$out"
}

invoke nightly-snapshot events/nightly-snapshot/scheduler-input.json "04:30 JST の定時実行: スナップショットを作成"
invoke nightly-snapshot events/nightly-snapshot/scheduler-input.json "同じイベントの再試行: 2 つ目は作らない"
invoke nightly-snapshot events/nightly-snapshot/dry-run.json "デプロイ前の手動実行（ドライラン）"
invoke nightly-snapshot events/nightly-snapshot/invalid.json "不正な入力: InvalidInput で何も変更しない"

"$py" tests/bed/seed_demo.py days-ahead 91 '{"dry_run": true}' >"$work/day91-dry.json"
"$py" tests/bed/seed_demo.py days-ahead 0 '{"force_rotate": true}' >"$work/force.json"
"$py" tests/bed/seed_demo.py days-ahead 8 >"$work/day8.json"
invoke rotate-access-keys events/rotate-access-keys/scheduler-input.json "10:00 JST の定時実行（今日）: キーはまだ新しい"
invoke rotate-access-keys "$work/day91-dry.json" "91 日後を想定したドライラン: ローテーションの計画だけを表示"
invoke rotate-access-keys "$work/force.json" "手動で今すぐローテーション（force_rotate）: 新しいキーを Secrets Manager に保存"
invoke rotate-access-keys "$work/force.json" "同じイベントの再試行: 2 つ目のキーは作らない"
echo "デプロイパイプラインが新しいキー …$("$py" tests/bed/seed_demo.py use-deploy-key) に切り替えて 1 回デプロイ"
invoke rotate-access-keys "$work/day8.json" "8 日後の定時実行: 新しいキーが使われたので旧キーを無効化（14 日後に削除）"
invoke rotate-access-keys events/rotate-access-keys/invalid.json "不正な入力: InvalidInput で何も変更しない"

"$py" tests/bed/seed_demo.py api-errors
"$py" tests/bed/seed_demo.py recent-deploy
for sample in eventbridge-high-error-rate lambda-action-database-connection-error; do
  "$py" tests/bed/seed_demo.py alarm-event "$sample.json" >"$work/$sample.json"
done
"$py" tests/bed/seed_demo.py incident "$work/eventbridge-high-error-rate.json"
invoke alarm-triage "$work/eventbridge-high-error-rate.json" "エラー率アラーム: API のエラーログを分類（DB接続・タイムアウト…）と、8 分前のデプロイ（CloudTrail）。30 分後のリマインダーを予約し、OpsItem を作成"
invoke alarm-triage "$work/lambda-action-database-connection-error.json" "DB接続エラーのアラーム: クラスター・メトリクス・実際のログインで原因を判定"
"$py" tests/bed/seed_demo.py fire-reminder >"$work/reminder-1.json"
invoke alarm-triage "$work/reminder-1.json" "リマインダーの時刻（EventBridge Scheduler の一回限りのスケジュール。デモでは 30 分待たずに起動）: まだ ALARM なので再トリアージして通知（reminder 1）、次のリマインダーを予約"
"$py" tests/bed/seed_demo.py recovery "$work/eventbridge-high-error-rate.json" >"$work/recovered.json"
invoke alarm-triage "$work/recovered.json" "エラー率アラームの回復（OK）: 継続時間と送ったリマインダーの数、予約済みのリマインダーを削除し OpsItem を解決"
echo "OpsCenter の OpsItem:"
"$py" tests/bed/seed_demo.py ops-items
invoke alarm-triage "$work/reminder-1.json" "回復後に届いた古いリマインダー: 何も通知しない（notify: false）"
invoke alarm-triage events/alarm-triage/invalid.json "アラームではない入力: InvalidInput"

"$py" tests/bed/seed_demo.py costs
invoke budget-alert events/budget-alert/scheduler-input.json "月曜 09:00 JST の定時コスト確認（2026-11-16 時点、Cost Explorer）"
invoke budget-alert events/budget-alert/first-run-of-month.json "月初の定時実行: 先月の確定値つき（リクエスト 3 回）"
invoke budget-alert events/budget-alert/month.json "手動: 過去の月（2026-10）の確定値"
invoke budget-alert events/budget-alert/invalid.json "不正な月: InvalidInput で Cost Explorer を呼ばない"

"$py" tests/bed/seed_demo.py health >/dev/null
gm "日次ヘルスチェックを手動で: 昨日のダッシュボード（API リクエスト急増・p95 悪化）とアラーム 1 件、運用手順との差分（ACU 1–4 のまま、アラームのアクション無効）、20 日後に期限切れの CA 証明書" health
"$py" tests/bed/seed_demo.py health-revert
echo "運用者がダイジェストの次の対応どおり ACU を 0.5–2 に戻した"
invoke daily-health events/daily-health/invalid.json "存在しない日付: InvalidInput で何も読まない"

"$py" tests/bed/seed_demo.py audit >"$work/audit.json"
invoke security-audit "$work/audit.json" "08:00 JST の日次監査（東京と us-east-1 の 2 リージョン）: 管理者権限・MFA なし・夜間の呼び出し・削除の集中・許可外のアドレス・root のサインイン・ログイン失敗の集中・デプロイユーザーへの AdministratorAccess・記録を止めた証跡"
invoke security-audit events/security-audit/realtime-delete-db-cluster.json "リアルタイム: DeleteDBCluster の呼び出しを即座に判定（キーの無効化は推奨のみ）"
invoke security-audit events/security-audit/realtime-root-console-login.json "リアルタイム: us-east-1 から転送された root のコンソールサインイン（MFA なし）"
invoke security-audit events/security-audit/invalid.json "CloudTrail の記録ではない detail: InvalidInput"

gm "スケーリング（計画だけ）: 端末がないので確認せず、計画を表示して終了（何も変更しない）" ops set-db-capacity --min 1 --max 4
gm "スケーリング（計画 → --yes で確認）: 計画を表示し、同じペイロードに \"confirm\": true を付けて実行" ops set-db-capacity --min 1 --max 4 --yes
gm "同じ操作の再実行: すでにその値なので確認も変更も通知もなし" ops set-db-capacity --min 1 --max 4 --yes
snapshot=$("$py" -c 'import json,sys; print(json.load(sys.stdin)["snapshot"])' < <("$py" tests/bed/seed_demo.py restore-event))
gm "スナップショットから復元: クラスター・db.serverless インスタンス・エンドポイント" ops restore-db-snapshot --snapshot "$snapshot" --yes
gm "フロントエンドのバックアップ同期: 差分だけコピー、コピー先だけのものは残す" ops s3-backup-sync --direction backup --yes
gm "範囲外の ACU: 関数が InvalidInput で拒否し、何も変更しない（終了コード 3）" ops set-db-capacity --max 512 --yes
gm "フラグの打ち間違い: gmops が送る前に拒否し、似たフラグを示す（終了コード 64）" ops set-db-capacity --maax 4

gm "復元訓練の計画（ドライラン）: 今夜のスナップショット・復元先・期限だけを表示し、何も作らない" drill --dry-run
invoke restore-drill events/restore-drill/manual.json "復元訓練の開始（毎週日曜 05:00 JST と同じ）: 期限の後片付けを予約し、今夜のスナップショットを goal-mandala-production-drill に復元、1 分後の続きを予約（通知はまだしない）"
say "restore-drill — 続きの呼び出し（EventBridge Scheduler の一回限りのスケジュール。デモでは 1 分待たずに起動）"
for n in $(seq 1 40); do
  "$py" tests/bed/seed_demo.py drill-next >"$work/drill-$n.json" 2>"$work/drill-$n.err"
  [ -s "$work/drill-$n.json" ] || break
  PATH="$root/.venv/bin:$PATH" cargo lambda invoke restore-drill --invoke-address 127.0.0.1 \
    --invoke-port "$lambda_port" --data-file "$work/drill-$n.json" >"$work/drill-$n.out" 2>>"$work/drill-$n.err" || { cat "$work/drill-$n.out" "$work/drill-$n.err"; break; }
  "$py" -c 'import json,sys; r=json.load(sys.stdin); print("  %-8s [%s] %s" % (r["step"], r["severity"], r["title"]))' <"$work/drill-$n.out"
  last="$work/drill-$n.out"
done
if [ -n "${last:-}" ]; then
  say "restore-drill — 最後の呼び出しの報告（この訓練で唯一の通知）: RTO・RPO・テーブル数・確認クエリ・後片付け"
  target/debug/report-text <"$last"
  "$py" -c 'import json,sys; r=json.load(sys.stdin); print("JSON:", json.dumps({k: r.get(k) for k in ("drill_id","snapshot","snapshot_age_hours","rto_minutes","credentials","tables","queries","cleaned_up","step")}, ensure_ascii=False))' <"$last"
fi
invoke restore-drill events/restore-drill/invalid.json "不正な入力: InvalidInput で何も読まない・作らない"

say "rotate-db-secret — Secrets Manager のローテーション（90 日ごと）を 4 ステップで実行"
token=$("$py" tests/bed/seed_demo.py begin-rotation)
echo "rotation token (AWSPENDING): $token"
for step in createSecret setSecret testSecret finishSecret; do
  printf '{"SecretId": "goal-mandala/production/database", "ClientRequestToken": "%s", "Step": "%s"}' "$token" "$step" >"$work/$step.json"
  if PATH="$root/.venv/bin:$PATH" cargo lambda invoke rotate-db-secret --invoke-address 127.0.0.1 \
      --invoke-port "$lambda_port" --data-file "$work/$step.json" >"$work/$step.out" 2>"$work/$step.err"; then
    echo "  $step: ok"
  else
    echo "  $step: FAILED"; cat "$work/$step.out"; sed '/Was this behavior unexpected/,$d' "$work/$step.err"
  fi
done
login() { PGPASSWORD="$1" psql -h 127.0.0.1 -p "$pg_port" -U goal_mandala_user -d goal_mandala \
  "sslmode=verify-full sslrootcert=$pg_dir/ca.crt" -tAc "SELECT 1" >/dev/null 2>&1; }
new_password=$("$py" tests/bed/seed_demo.py current-password)
login "$new_password" && echo "  AWSCURRENT（新しいパスワード）でログインできます" || echo "  AWSCURRENT でログインできません!"
login "$DEMO_DB_PASSWORD" && echo "  旧パスワードでもログインできてしまいます!" || echo "  旧パスワードは拒否されます"
if grep -qF -e "$new_password" -e "$DEMO_DB_PASSWORD" "$pg_dir/server.log"; then
  echo "  サーバーログにパスワードが出ています!"
else
  echo "  サーバーログ（log_statement=all）には平文のパスワードが出ていません（SCRAM 検証子のみ）"
fi

say "Notifications received by the topic's SQS subscriber"
ROTATION_REPORT="$work/rotation-report.json" "$py" - "$inbox" <<'PY'
import json, os, sys
import boto3
sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
seen = 0
while True:
    msgs = sqs.receive_message(QueueUrl=sys.argv[1], MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    if not msgs:
        break
    for m in msgs:
        r = json.loads(m["Body"])
        seen += 1
        print(f"- [{r['severity']}] {r['title']}")
        if r["function"] == "rotate-db-secret":
            with open(os.environ["ROTATION_REPORT"], "w") as f:
                json.dump(r, f, ensure_ascii=False)
print(f"{seen} notifications")
PY

if [ -s "$work/rotation-report.json" ]; then
  say "rotate-db-secret の通知（メール本文）"
  target/debug/report-text <"$work/rotation-report.json"
fi
