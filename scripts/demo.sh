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
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
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
echo "endpoint $AWS_ENDPOINT_URL, cluster goal-mandala-production, topic $topic"

say "Building the report renderer and starting the Lambda Runtime API (cargo lambda watch)"
cargo build -q -p integration-tests --bin report-text
lambda_port=$(free_port)
PATH="$root/.venv/bin:$PATH" cargo lambda watch --ignore-changes \
  --invoke-address 127.0.0.1 --invoke-port "$lambda_port" >"$work/watch.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
  "$py" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$lambda_port" 2>/dev/null && break
  sleep 0.2
done

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
  "$py" -c 'import json,sys; r=json.load(sys.stdin); print("JSON:", json.dumps({k: r[k] for k in ("severity","snapshot_id","created","pruned","quota_used") if k in r}, ensure_ascii=False))' <"$out"
}

invoke nightly-snapshot events/nightly-snapshot/scheduler-input.json "04:30 JST の定時実行: スナップショットを作成"
invoke nightly-snapshot events/nightly-snapshot/scheduler-input.json "同じイベントの再試行: 2 つ目は作らない"
invoke nightly-snapshot events/nightly-snapshot/dry-run.json "デプロイ前の手動実行（ドライラン）"
invoke nightly-snapshot events/nightly-snapshot/invalid.json "不正な入力: InvalidInput で何も変更しない"

say "Notifications received by the topic's SQS subscriber"
"$py" - "$inbox" <<'PY'
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
print(f"{seen} notifications")
PY
