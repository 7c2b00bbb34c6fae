# shellcheck shell=bash
# tools/stampede/stack.sh — the commands on a whole stack: up (every step in order, then waits
# until HAProxy serves), down (stops in reverse order), reset, status, logs, and batch (one
# batch job by hand against the running database).

# ---------------------------------------------------------------------------------------------
# Waiting for the stack, stopping all of it
# ---------------------------------------------------------------------------------------------
wait_stack_ready() {
    step "waiting until haproxy sees every web node UP"
    if ! wait_for 30 haproxy_all_up; then
        close_step
        haproxy_stat | cut -d, -f1,2,18,37 | grep '^be_web' >&2 || true
        die "not every web node is UP in haproxy after 30 s (check_status is the last column)"
    fi
    ok
    step "checking http://127.0.0.1:$HTTP_PORT/readyz and /"
    local code path note='' p
    for path in /readyz /; do
        code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 "http://127.0.0.1:$HTTP_PORT$path") || true
        # a page (never a health check) can be rate-limited for this address after a burst:
        # then each node is asked directly, so `up` on a running stack stays harmless
        if [[ $code == 429 && $path == / ]]; then
            for p in "${NGINX_PORTS[@]}"; do
                code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 "http://127.0.0.1:$p/") || true
                [[ $code == 200 ]] || die "GET / on nginx port $p answered $code, not 200"
            done
            note="/ asked of each node: this address is rate-limited at haproxy just now"
            continue
        fi
        [[ $code == 200 ]] || die "GET $path through haproxy answered $code, not 200"
    done
    ok "$note"
}

do_down() {
    local c webs=() nginxs=() mcs=() hellos=()
    STOP_FAILED=()
    while read -r c; do
        case $c in
        web*) webs+=("$c") ;;
        hello*) hellos+=("$c") ;;
        nginx*) nginxs+=("$c") ;;
        memcached*) mcs+=("$c") ;;
        esac
    done < <(components)
    stop_group TERM 30 autoscale # first: it must not replace nodes that are stopping
    stop_monitoring              # no alerts about the stack going down on purpose
    stop_group TERM 30 batch # finishes its current chunk, then exits
    stop_group TERM 30 haproxy
    stop_group QUIT 30 "${nginxs[@]}"
    stop_group QUIT 30 edge origin
    stop_group TERM 30 "${webs[@]}" # each drains for web.drain, then finishes in-flight requests
    stop_group TERM 30 psp           # after the shop: confirms in flight get their answers
    stop_group TERM 30 dbproxy       # after every database client of the shop
    # stampede-hello has no graceful stop (libfcgi's TERM handler ends one thread's accept only)
    ((${#hellos[@]} == 0)) || stop_group KILL 10 "${hellos[@]}"
    stop_group TERM 30 "${mcs[@]}"
    if comp_pid replica >/dev/null; then db replica -e 'STOP SLAVE' >/dev/null 2>&1 || true; fi
    stop_group TERM 120 replica
    stop_group TERM 120 primary
    # nodes added at run time do not outlive the stack: the next `up` starts the stack's own
    local n
    while read -r n; do
        node_is_added "$n" || continue
        { comp_pid "$n" || comp_pid "nginx${n#web}"; } >/dev/null && continue
        rm -f "$NODES_DIR/$n.env" "$ETC/prometheus-sd/web-$n.json"
    done < <(web_nodes)
    if ((${#STOP_FAILED[@]})); then
        die "some processes did not stop: ${STOP_FAILED[*]}" \
            "look at ./stampede logs <component>; stop them by pid (kill <pid>), not by name"
    fi
}

# ---------------------------------------------------------------------------------------------
# Commands: up, down, reset, status, logs, batch
# ---------------------------------------------------------------------------------------------
cmd_up() {
    local t0
    t0=$(now_us)
    validate_settings
    validate_autoscale
    printf '==> Stampede stack: data %s, build %s\n' "$DATA" "$BUILD"
    printf '    ports: http %s, nginx %s, mariadb %s, memcached %s, psp sandbox %s\n' "$HTTP_PORT" \
        "${NGINX_PORTS[*]}" "${DB_PORTS[*]}" "${MC_PORTS[*]}" "$PSP_PORT"
    ((${#IGNORED_PORT_VARS[@]} == 0)) ||
        warn "STAMPEDE_PORT_BASE is set, so ${IGNORED_PORT_VARS[*]} is ignored"
    ensure_packages "${RUNTIME_PACKAGES[@]}" "${BUILD_PACKAGES[@]}"
    take_lock
    preflight_ports
    prepare_data
    do_build
    [[ -x $BUILD/stampede-web ]] ||
        die "$BUILD/stampede-web does not exist; the build did not produce it" \
            "(is app/bin/stampede-web.c written? with STAMPEDE_NO_BUILD=1, build it first)"
    publish_static
    stack_env_text >"$ETC/stack.env"
    start_cdn # the static origin and the CDN edge in front of it (STAMPEDE_CDN=on)

    write_db_cnf primary
    write_db_cnf replica
    init_db
    start_db primary
    start_db replica
    bootstrap_db
    setup_replication
    migrate
    seed
    wait_replica
    write_dbproxy_conf
    start_dbproxy

    local i
    for ((i = 1; i <= N_MC; i++)); do start_memcached "memcached$i"; done
    write_web_conf
    write_psp_conf
    start_psp
    ensure_admin
    local -a nodes
    mapfile -t nodes < <(web_nodes) # the stack's own, and any added one still running
    for i in "${nodes[@]#web}"; do start_web "web$i"; done
    if [[ $BENCH == 1 ]]; then
        for i in "${nodes[@]#web}"; do start_hello "hello$i"; done
    fi
    for i in "${nodes[@]#web}"; do start_nginx "nginx$i"; done
    start_haproxy
    start_batch
    start_monitoring
    wait_stack_ready
    start_autoscale # after every node is UP: it never sees the stack's own start as missing nodes
    printf 'Stampede is up: http://127.0.0.1:%s/   (%s; ./stampede status, ./stampede down)\n' \
        "$HTTP_PORT" "$(fmt_secs $(($(now_us) - t0)))"
    printf '    admin: http://127.0.0.1:%s/admin/stock as %s (password: STAMPEDE_ADMIN_PASSWORD in %s)\n' \
        "$HTTP_PORT" "$ADMIN_EMAIL" "$ETC/secrets.env"
}

cmd_down() {
    if [[ ! -d $DATA ]]; then
        say "==> nothing to stop: $DATA does not exist"
        return 0
    fi
    local t0
    t0=$(now_us)
    take_lock
    do_down
    printf '==> stopped (%s); data kept in %s\n' "$(fmt_secs $(($(now_us) - t0)))" "$DATA"
}

cmd_reset() {
    case $DATA in
    / | "$HOME" | "$ROOT" | "$ROOT"/app* | "$ROOT"/sql* | /usr* | /etc* | /var | /tmp)
        die "refusing to delete $DATA" ;;
    esac
    if [[ "$ROOT/" == "$DATA/"* ]]; then die "refusing to delete $DATA: it contains the repository"; fi
    if [[ ! -e $DATA ]]; then
        say "==> nothing to reset: $DATA does not exist"
        return 0
    fi
    if [[ ! -e $MARKER ]] && [[ -n $(ls -A "$DATA" | grep -v '^\.lock$') ]]; then
        die "refusing to delete $DATA: it is not a Stampede data folder (no .stampede-data)"
    fi
    take_lock
    do_down
    say "==> deleting $DATA:"
    (cd "$DATA" && du -sh -- * .[!.]* 2>/dev/null | sed 's/^/      /') || true
    rm -rf -- "$DATA"
    say "==> reset done"
}

status_detail() { # component -> short extra information
    local c=$1 s
    case $c in
    primary)
        s=$(dbq primary 'SELECT @@gtid_binlog_pos' 2>/dev/null) && printf 'gtid %s' "${s:-none}"
        ;;
    replica)
        s=$(db replica -e 'SHOW SLAVE STATUS\G' 2>/dev/null) || return 0
        [[ -n $s ]] || {
            printf 'replication not configured'
            return 0
        }
        printf 'io=%s sql=%s behind=%ss' "$(sed -n 's/^ *Slave_IO_Running: //p' <<<"$s")" \
            "$(sed -n 's/^ *Slave_SQL_Running: //p' <<<"$s")" \
            "$(sed -n 's/^ *Seconds_Behind_Master: //p' <<<"$s")"
        ;;
    nginx*)
        s=$(curl -s -o /dev/null -w '%{http_code}' -m 1 "$(node_url "web${c#nginx}")/readyz") || true
        printf '/readyz %s' "${s:-none}"
        ;;
    psp)
        s=$(curl -s -o /dev/null -w '%{http_code}' -m 1 "http://127.0.0.1:$PSP_PORT/healthz") || true
        printf 'SANDBOX /healthz %s' "${s:-none}"
        ;;
    dbproxy)
        # each server as the proxy sees it: name=state (writable, readable, not in use, down)
        s=$(curl -s -m 1 "http://127.0.0.1:${DBPROXY_PORTS[1]}/status" | jq -r \
            '[.servers[] | "\(.name)=\(.state)" + (if .role == "replica" then " lag \(.lag_seconds)s" else "" end)] | join(", ")' 2>/dev/null) || true
        printf '%s' "${s:-status port not answering}"
        ;;
    edge | origin) cdn_status_detail "$c" ;;
    autoscale) autoscale_detail ;;
    haproxy)
        s=$(haproxy_stat | awk -F, '$1 == "be_web" && $2 != "BACKEND" { printf "%s%s %s", sep, $2, $18; sep = ", " }') || true
        printf '%s' "$s"
        ;;
    esac
}
cmd_status() {
    load_stack_env
    local c pid state addr all=0
    printf '%-18s %-5s %-8s %-46s %s\n' COMPONENT STATE PID ADDRESS DETAIL
    while read -r c; do
        if pid=$(comp_pid "$c"); then
            state=up
        else
            state=down pid=-
            all=3
        fi
        addr=$(comp_address "$c")
        [[ $c == haproxy ]] && addr+=" (api: run/haproxy.sock)"
        local detail=
        [[ $state == up ]] && detail=$(status_detail "$c" || true)
        printf '%-18s %-5s %-8s %-46s %s\n' "$c" "$state" "$pid" "$addr" "$detail"
    done < <(components)
    printf 'data: %s\n' "$DATA"
    return $all
}

cmd_logs() {
    load_stack_env
    [[ -d $LOG ]] || die "no logs: $LOG does not exist"
    if (($# == 0)); then
        printf 'Logs in %s (./stampede logs COMPONENT follows one):\n' "$LOG"
        local f
        for f in "$LOG"/*; do
            [[ -f $f ]] || continue
            printf '  %-28s %8s  %s\n' "${f##*/}" "$(du -h -- "$f" | cut -f1)" \
                "$(date -r "$f" '+%F %T')"
        done
        printf "components: %s, build, all\n" "$(components | paste -sd, - | sed "s/,/, /g")"
        printf 'haproxy logs only its start-up (no syslog); use ./stampede status for its view.\n'
        return 0
    fi
    local -a files=()
    local a c
    for a in "$@"; do
        case $a in
        all) mapfile -t files < <(find "$LOG" -maxdepth 1 -type f -name '*.log' | sort) ;;
        web | nginx | memcached)
            while read -r c; do [[ $c == "$a"[0-9]* ]] && files+=("$(comp_log "$c")"); done < <(components) ;;
        mariadb | db) files+=("$(comp_log primary)" "$(comp_log replica)") ;;
        mc[0-9]*) files+=("$(comp_log "memcached${a#mc}")") ;;
        build) files+=("$LOG/build.log") ;;
        *)
            components | grep -qx -- "$a" ||
                die "unknown component '$a'; one of: $(components | tr '\n' ' ')build all"
            files+=("$(comp_log "$a")")
            ;;
        esac
    done
    exec tail -n 100 -F -- "${files[@]}"
}

cmd_batch() {
    # One job by hand, against this data folder's running database; prints its summary.
    [[ -r $ETC/stampede.conf ]] || die "no $ETC/stampede.conf: run ./stampede up first"
    [[ -x $BUILD/stampede-batch ]] || die "$BUILD/stampede-batch does not exist: run ./stampede up"
    if (($# == 0)); then
        printf 'usage: ./stampede batch JOB [--param K=V ...] | history [JOB] | jobs\n\njobs:\n'
        "$BUILD/stampede-batch" --config "$ETC/stampede.conf" jobs | sed 's/^/  /'
        return 2
    fi
    STAMPEDE_CFG_LOG_FILE=${STAMPEDE_CFG_LOG_FILE:-$LOG/batch.log} \
        exec "$BUILD/stampede-batch" --config "$ETC/stampede.conf" "$@"
}

cmd_drop() {
    # Drops by hand (docs/OPERATIONS.md, Drops): create one (printed as JSON) or cancel one.
    [[ -r $ETC/stampede.conf ]] || die "no $ETC/stampede.conf: run ./stampede up first"
    [[ -x $BUILD/stampede-admin ]] || die "$BUILD/stampede-admin does not exist: run ./stampede up"
    local sub=${1:-}
    (($#)) && shift
    case $sub in
    create | edit | cancel)
        STAMPEDE_CFG_LOG_FILE=- exec "$BUILD/stampede-admin" --config "$ETC/stampede.conf" \
            "drop-$sub" "$@"
        ;;
    *)
        printf '%s\n' "usage: ./stampede drop create --product SLUG --kind queue|draw [--opens-in S]" \
            "           [--starts-in S] [--closes-in S] [--admit-per-second N] [--limit N] [--window S]" \
            "           [--announce-in S]   (shoppers see the drop from then on; default: now)" \
            "       ./stampede drop edit ID [the same options: they replace the drop's] (until it opens)" \
            "       ./stampede drop cancel ID" >&2
        return 2
        ;;
    esac
}
