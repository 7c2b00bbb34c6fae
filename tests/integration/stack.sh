#!/usr/bin/env bash
# stack.sh up DIR BUILD — start a private stack for the test suite: free loopback ports, a
#   temporary data folder, this build's binaries; writes DIR/stack.env for the tests.
# stack.sh down DIR     — stop it, keep its logs in DIR/logs, delete its data folder.
set -euo pipefail
cmd=$1 dir=$2
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir"

port_free() { ! ss -Htln "( sport = :$1 )" 2>/dev/null | grep -q .; }

case "$cmd" in
up)
  build=$(cd "$3" && pwd)
  if [ -f "$dir/stack.env" ]; then "$0" down "$dir" || true; fi
  # A port found free can be taken by someone else before our servers bind it: on a failed
  # start, stop what started, wipe it and try again on another block (three attempts).
  for attempt in 1 2 3; do
    base=
    for _ in $(seq 200); do
      # below Linux's ephemeral range (32768..60999), where outgoing connections take ports
      b=$(( (RANDOM % 250) * 50 + 20000 ))
      ok=1
      for off in $(seq 0 39); do port_free $((b + off)) || { ok=0; break; }; done
      [ $ok = 1 ] && { base=$b; break; }
    done
    [ -n "$base" ] || { echo "stack.sh: no free block of 40 loopback ports" >&2; exit 1; }
    data=$(mktemp -d "${TMPDIR:-/tmp}/stampede-test.XXXXXX")
    chmod 755 "$data"
    # The suite's settings, in stack.env too: every later `./stampede` of a test (harness
    # stack_run, e2e stampede()) runs with them, so an `up` that restarts a component writes the
    # same configuration. The suite's own traffic (127.0.0.1) is exempt from HAProxy's
    # per-address limit; the rate limit test comes from 127.0.0.2 against a low limit. The
    # autoscaler runs paused (the load of other tests must not add nodes under them);
    # test_elastic.c's ramp switches it on for its own length.
    {
      echo "STAMPEDE_REPO=$repo"
      echo "STAMPEDE_DATA=$data"
      echo "STAMPEDE_BUILD_DIR=$build"
      echo "STAMPEDE_PORT_BASE=$base"
      echo "STAMPEDE_RATE_LIMIT=200"
      echo "STAMPEDE_RATE_LIMIT_EXEMPT=127.0.0.1"
      echo "STAMPEDE_MONITORING=on"
      echo "STAMPEDE_AUTOSCALE=${STAMPEDE_AUTOSCALE:-off}"
      echo "STAMPEDE_CFG_THROTTLE_IP_LIMIT=30"
      echo "STAMPEDE_CFG_DROPS_EXEMPT_ADDRESSES=127.0.0.1"
      [ -z "${STAMPEDE_SERVICE_ADDRESS:-}" ] || echo "STAMPEDE_SERVICE_ADDRESS=$STAMPEDE_SERVICE_ADDRESS"
      [ -z "${STAMPEDE_APP_DB_HOSTS:-}" ] || echo "STAMPEDE_APP_DB_HOSTS=$STAMPEDE_APP_DB_HOSTS"
    } > "$dir/stack.env"
    echo "stack.sh: starting a private stack in $data on ports $base..$((base + 39)) (attempt $attempt)"
    if (cd "$repo" && set -a && . "$dir/stack.env" && set +a &&
        STAMPEDE_NO_INSTALL=1 STAMPEDE_NO_BUILD=1 ./stampede up); then
      exit 0
    fi
    # a sanitizer report or a refused configuration is not a port race: do not hide it
    if grep -q -E 'AddressSanitizer|LeakSanitizer|runtime error:|refused the configuration' \
         "$data"/log/*.log 2>/dev/null || [ $attempt = 3 ]; then
      "$0" down "$dir" || true
      exit 1
    fi
    echo "stack.sh: start failed; trying again on other ports" >&2
    "$0" down "$dir" || true
  done
  exit 1
  ;;
down)
  [ -f "$dir/stack.env" ] || exit 0
  set -a; . "$dir/stack.env"; set +a
  cd "$STAMPEDE_REPO"
  STAMPEDE_NO_INSTALL=1 STAMPEDE_NO_BUILD=1 ./stampede down || true
  rm -rf "$dir/logs"
  cp -r "$STAMPEDE_DATA/log" "$dir/logs" 2>/dev/null || true
  rm -rf "$STAMPEDE_DATA"
  rm -f "$dir/stack.env"
  # the servers ran with ASan/UBSan: a report in any log fails the suite
  if grep -l -E 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' \
       "$dir/logs"/*.log 2>/dev/null; then
    echo "stack.sh: sanitizer reports in the server logs above (kept in $dir/logs)" >&2
    grep -h -B2 -A12 -E 'AddressSanitizer|runtime error:' "$dir/logs"/*.log | head -80 >&2
    exit 1
  fi
  ;;
*)
  echo "usage: stack.sh up DIR BUILD | down DIR" >&2; exit 2 ;;
esac
