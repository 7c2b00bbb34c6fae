#!/usr/bin/env bash
# run.sh FUZZER CORPUS SECONDS — run a libFuzzer target for a fixed time over a scratch copy
# of its seed corpus (new inputs stay out of the source tree). Any crash, leak, timeout or
# sanitizer report fails the test and leaves the reproducer in the scratch folder's crashes/.
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/stampede-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/crashes"
cp -r "$corpus"/. "$work/corpus/" 2>/dev/null || true
if ! "$fuzzer" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=8192 \
      -print_final_stats=1 -artifact_prefix="$work/crashes/" "$work/corpus" 2>"$work/log"; then
  tail -60 "$work/log"
  echo "fuzzer $(basename "$fuzzer") failed; reproducers:"; ls -l "$work/crashes"
  trap - EXIT
  exit 1
fi
grep -E 'stat::number_of_executed_units|cov:' "$work/log" | tail -2
