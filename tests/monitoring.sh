#!/usr/bin/env bash
# monitoring.sh REPO — the monitoring configuration is valid and every alert rule behaves:
# renders monitoring/*.yml.in with placeholder ports (as ./stampede up does), then
# promtool check config, promtool check rules, promtool test rules (monitoring/tests/*.yml)
# and amtool check-config.
set -euo pipefail
repo=$1
for t in promtool amtool; do
    command -v $t >/dev/null || { echo "monitoring.sh: $t missing (apt-get install prometheus prometheus-alertmanager)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/sd"
sed -e "s|@ROOT@|$repo|g" -e "s|@SD_DIR@|$tmp/sd|g" -e 's|@[A-Z_]*_PORT@|1|g' \
    "$repo/monitoring/prometheus.yml.in" >"$tmp/prometheus.yml"
printf 'x\n' >"$tmp/token"
hook="      - url: http://127.0.0.1:1/__internal/alerts
        send_resolved: true
        http_config:
          authorization: {type: Bearer, credentials_file: $tmp/token}"
python3 -c 'import sys; t=open(sys.argv[1]).read(); sys.stdout.write(t.replace("@WEBHOOKS@", sys.argv[2]))' \
    "$repo/monitoring/alertmanager.yml.in" "$hook" >"$tmp/alertmanager.yml"
if grep -n '@[A-Z_]*@' "$tmp/prometheus.yml" "$tmp/alertmanager.yml"; then
    echo "monitoring.sh: a placeholder has no value" >&2
    exit 1
fi
promtool check config "$tmp/prometheus.yml"
promtool check rules "$repo"/monitoring/rules/*.rules.yml
amtool check-config "$tmp/alertmanager.yml"
cd "$repo/monitoring/tests"
promtool test rules ./*.yml
# every rule has a unit test and a runbook paragraph
for a in $(sed -n 's/^ *- alert: //p' "$repo"/monitoring/rules/*.rules.yml); do
    grep -q "alertname: $a\$" ./*.yml || { echo "monitoring.sh: rule $a has no unit test" >&2; exit 1; }
    grep -q "^### $a\$" "$repo/docs/OPERATIONS.md" ||
        { echo "monitoring.sh: rule $a has no runbook (### $a in docs/OPERATIONS.md)" >&2; exit 1; }
done
echo "monitoring.sh: configuration valid, every rule tested and documented"
