# shellcheck shell=bash disable=SC2034 # AUTOSCALE_* are used by components.sh and stack.sh
# tools/stampede/autoscale.sh — stampede-autoscale (app/autoscale): its settings from the
# environment, its lines of etc/stampede.conf (autoscale_conf, printed by write_web_conf), and
# starting it (start_autoscale, at the end of `up`). docs/OPERATIONS.md "The autoscaler".
#
#   STAMPEDE_AUTOSCALE=on        off: paused (autoscale.enabled = off): it runs, samples and
#                                reports (/metrics, /status, /admin/autoscale) but never adds or
#                                removes a node; dry-run: it decides and logs as if it acted
#   STAMPEDE_AUTOSCALE_MIN=N     fewest UP web nodes (default: the static nodes of `up`)
#   STAMPEDE_AUTOSCALE_MAX=4     most web nodes (at least MIN)
#   STAMPEDE_AUTOSCALE_TARGET=T  requests in flight + queued per node to keep (default: half of
#                                a node's FastCGI threads, processes x threads / 2: the other
#                                half is headroom for a burst while a new node starts)
#   STAMPEDE_AUTOSCALE_PORT=8190 its status port (/metrics, /status); with STAMPEDE_PORT_BASE: B+39
# Nothing secret is written here: the autoscaler reads db.* from the same stampede.conf.

AUTOSCALE=${STAMPEDE_AUTOSCALE:-on}
AUTOSCALE_MIN=${STAMPEDE_AUTOSCALE_MIN:-$N_WEB}
AUTOSCALE_MAX=${STAMPEDE_AUTOSCALE_MAX:-4}
AUTOSCALE_TARGET=${STAMPEDE_AUTOSCALE_TARGET:-$(((WEB_PROCESSES * WEB_THREADS + 1) / 2))}
if [[ -n ${STAMPEDE_PORT_BASE:-} ]]; then
    AUTOSCALE_PORT=$((10#$STAMPEDE_PORT_BASE + 39))
else
    AUTOSCALE_PORT=${STAMPEDE_AUTOSCALE_PORT:-8190}
fi

validate_autoscale() {
    [[ $AUTOSCALE == on || $AUTOSCALE == off || $AUTOSCALE == dry-run ]] ||
        die "STAMPEDE_AUTOSCALE=$AUTOSCALE: must be on, off or dry-run"
    is_uint "$AUTOSCALE_MIN" && ((AUTOSCALE_MIN >= 1 && AUTOSCALE_MIN <= 64)) ||
        die "STAMPEDE_AUTOSCALE_MIN=$AUTOSCALE_MIN: must be 1..64"
    is_uint "$AUTOSCALE_MAX" && ((AUTOSCALE_MAX >= 1 && AUTOSCALE_MAX <= 64)) ||
        die "STAMPEDE_AUTOSCALE_MAX=$AUTOSCALE_MAX: must be 1..64"
    ((AUTOSCALE_MAX >= AUTOSCALE_MIN)) ||
        die "STAMPEDE_AUTOSCALE_MAX=$AUTOSCALE_MAX is below STAMPEDE_AUTOSCALE_MIN=$AUTOSCALE_MIN" \
            "(the minimum defaults to the $N_WEB static web nodes)"
    is_uint "$AUTOSCALE_TARGET" && ((AUTOSCALE_TARGET >= 1)) ||
        die "STAMPEDE_AUTOSCALE_TARGET=$AUTOSCALE_TARGET: requests per node, a number >= 1"
    is_uint "$AUTOSCALE_PORT" && ((AUTOSCALE_PORT >= 1 && AUTOSCALE_PORT <= 65535)) ||
        die "STAMPEDE_AUTOSCALE_PORT=$AUTOSCALE_PORT: not a TCP port"
    local p
    for p in "$HTTP_PORT" "${NGINX_PORTS[@]}" "${DB_PORTS[@]}" "${MC_PORTS[@]}" "$PSP_PORT" \
        "${DBPROXY_PORTS[@]}" "${MON_PORTS[@]}"; do
        ((p != AUTOSCALE_PORT)) ||
            die "STAMPEDE_AUTOSCALE_PORT=$AUTOSCALE_PORT is another component's port"
    done
}

# autoscale_conf: the autoscale.* lines of etc/stampede.conf (write_web_conf prints them: the
# web nodes' /admin/autoscale reads autoscale.status_url from the same file).
autoscale_conf() {
    printf '# stampede-autoscale (tools/stampede/autoscale.sh; docs/OPERATIONS.md "The autoscaler")\n'
    printf 'autoscale.enabled = %s\n' "$([[ $AUTOSCALE == off ]] && echo off || echo on)"
    printf 'autoscale.dry_run = %s\n' "$([[ $AUTOSCALE == dry-run ]] && echo on || echo off)"
    printf 'autoscale.min = %s\n' "$AUTOSCALE_MIN"
    printf 'autoscale.max = %s\n' "$AUTOSCALE_MAX"
    printf 'autoscale.target = %s\n' "$AUTOSCALE_TARGET"
    printf 'autoscale.haproxy = %s\n' "$RUN/haproxy.sock"
    printf 'autoscale.listen_port = %s\n' "$AUTOSCALE_PORT"
    printf 'autoscale.status_url = http://127.0.0.1:%s\n' "$AUTOSCALE_PORT"
    printf 'autoscale.add_command = %s node add\n' "$ROOT/stampede"
    printf 'autoscale.remove_command = %s node remove\n' "$ROOT/stampede"
}

start_autoscale() {
    local pid bin=$BUILD/stampede-autoscale
    local note=
    [[ $AUTOSCALE == dry-run ]] && note=", dry run"
    [[ $AUTOSCALE == off ]] && note=", PAUSED: STAMPEDE_AUTOSCALE=off"
    step "starting autoscale (stampede-autoscale: $AUTOSCALE_MIN..$AUTOSCALE_MAX nodes," \
        "target $AUTOSCALE_TARGET per node$note)"
    if pid=$(comp_pid autoscale); then
        step_end "already running (pid $pid)"
        return 0
    fi
    [[ -x $bin ]] || die "$bin does not exist (app/bin/stampede-autoscale.c is built with the app)"
    rm -f "$(comp_pidfile autoscale)"
    # fd 9 (the stack lock) is closed: its node add/remove commands take the lock themselves
    (cd "$DATA" && STAMPEDE_DATA=$DATA STAMPEDE_BUILD_DIR=$BUILD \
        STAMPEDE_CFG_LOG_FILE=$LOG/autoscale.log exec setsid nohup "$bin" \
        --config "$ETC/stampede.conf" </dev/null >>"$LOG/autoscale.out" 2>&1 9>&-) &
    printf '%s\n' "$!" >"$(comp_pidfile autoscale)"
    sleep 0.2
    if ! wait_for 5 autoscale_answers; then
        close_step
        show_log "$LOG/autoscale.out" 20
        show_log "$LOG/autoscale.log" 20
        die "autoscale did not start (see $LOG/autoscale.log)"
    fi
    ok "pid $(comp_pid autoscale), status http://127.0.0.1:$AUTOSCALE_PORT/status, log $LOG/autoscale.log"
}
autoscale_answers() {
    comp_pid autoscale >/dev/null &&
        curl -sf -o /dev/null -m 1 "http://127.0.0.1:$AUTOSCALE_PORT/healthz"
}

# autoscale_detail: one line for `status` from its /status (the port from stampede.conf, so it
# works without the environment `up` had).
autoscale_detail() {
    local port
    port=$(sed -n 's/^autoscale\.listen_port = //p' "$ETC/stampede.conf" 2>/dev/null)
    curl -s -m 1 "http://127.0.0.1:${port:-$AUTOSCALE_PORT}/status" | jq -r \
        '"\(.nodes) nodes (desired \(.desired), \(.settings.min)..\(.settings.max)), load \(.load * 10 | round / 10)/\(.settings.target)" + (if .paused then ", PAUSED" elif .dry_run then ", dry run" else "" end) + ", last: \(.last_decision.action)"' \
        2>/dev/null || printf 'status port not answering'
}
