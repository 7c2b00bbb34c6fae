# shellcheck shell=bash
# tools/stampede/services.sh — starting and stopping the processes of a stack: the database
# proxy (stampede-dbproxy), memcached, the payment sandbox (psp), the admin account, the batch scheduler, the web nodes (stampede-web)
# and their bench baseline pools (stampede-hello), nginx and HAProxy, with the configuration
# files they are given (etc/stampede.conf, etc/psp.conf, nginx and haproxy configs); stop_group
# stops a group of components by pid and cleans up their pid files and sockets.

# ---------------------------------------------------------------------------------------------
# memcached, web nodes, nginx, HAProxy
# ---------------------------------------------------------------------------------------------
mc_ping() { # PORT: answers "version"
    local port=$1 line
    exec 8<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf 'version\r\n' >&8
    IFS= read -r -t 1 line <&8 || line=
    exec 8>&-
    [[ $line == VERSION* ]]
}
start_memcached() { # memcachedN
    local c=$1 port pid
    port=$(comp_port "$c")
    step "starting $c (127.0.0.1:$port)"
    if pid=$(comp_pid "$c"); then
        step_end "already running (pid $pid)"
        return 0
    fi
    rm -f "$(comp_pidfile "$c")"
    local -a user=()
    [[ -n $IS_ROOT ]] && user=(-u root)
    local listen=127.0.0.1
    [[ $SERVICE_ADDR == 127.0.0.1 ]] || listen+=",$SERVICE_ADDR"
    if ! memcached -d "${user[@]}" -l "$listen" -p "$port" -U 0 -m "$MC_MEMORY_MB" -c 4096 -t 2 \
        -P "$(comp_pidfile "$c")" </dev/null >>"$(comp_log "$c")" 2>&1 9>&-; then
        close_step
        show_log "$(comp_log "$c")" 20
        die "memcached $c failed to start"
    fi
    if ! wait_for 10 mc_ping "$port"; then
        close_step
        show_log "$(comp_log "$c")" 20
        die "$c does not answer on 127.0.0.1:$port"
    fi
    ok "pid $(comp_pid "$c" || echo "?")"
}

# stampede-dbproxy: the read/write-split proxy every database client of the shop goes through.
write_dbproxy_conf() {
    (
        umask 077
        {
            printf '# stampede-dbproxy configuration, written by ./stampede up on every start.\n'
            printf 'listen.host = %s\n' "$SERVICE_ADDR"
            printf 'listen.port = %s\n' "${DBPROXY_PORTS[0]}"
            printf 'status.host = 127.0.0.1\n'
            printf 'status.port = %s\n' "${DBPROXY_PORTS[1]}"
            printf 'servers = primary=127.0.0.1:%s,replica=127.0.0.1:%s\n' "${DB_PORTS[0]}" \
                "${DB_PORTS[1]}"
            printf 'user = %s\n' "$PROXY_DB_USER"
            printf 'password = %s\n' "$(secret STAMPEDE_DB_PROXY_PASSWORD)"
            printf 'pid_file = %s\n' "$(comp_pidfile dbproxy)"
            printf 'log.file = %s\n' "$(comp_log dbproxy)"
        } >"$ETC/dbproxy.conf.tmp"
        mv -f "$ETC/dbproxy.conf.tmp" "$ETC/dbproxy.conf"
    )
}
dbproxy_ready() { # the status port says a server takes work and the MySQL port accepts
    [[ $(curl -s -o /dev/null -w '%{http_code}' -m 1 \
        "http://127.0.0.1:${DBPROXY_PORTS[1]}/readyz") == 200 ]] &&
        (exec 8<>"/dev/tcp/$SERVICE_ADDR/${DBPROXY_PORTS[0]}") 2>/dev/null
}
start_dbproxy() {
    local pid bin=$BUILD/stampede-dbproxy out
    step "starting dbproxy (stampede-dbproxy, 127.0.0.1:${DBPROXY_PORTS[0]}, status :${DBPROXY_PORTS[1]})"
    if pid=$(comp_pid dbproxy); then
        step_end "already running (pid $pid)"
        return 0
    fi
    [[ -x $bin ]] || die "$bin does not exist (app/bin/stampede-dbproxy.c is built with the app)"
    if ! out=$("$bin" --config "$ETC/dbproxy.conf" --check 2>&1); then
        die "stampede-dbproxy --check refused $ETC/dbproxy.conf:" "$out"
    fi
    rm -f "$(comp_pidfile dbproxy)"
    (cd "$DATA" && exec setsid nohup "$bin" --config "$ETC/dbproxy.conf" \
        </dev/null >>"$LOG/dbproxy.out" 2>&1 9>&-) &
    local spid=$!
    if wait_for 30 dbproxy_ready && pid=$(comp_pid dbproxy); then
        ok "pid $pid, log $(comp_log dbproxy)"
        return 0
    fi
    kill -0 "$spid" 2>/dev/null || true
    close_step
    show_log "$LOG/dbproxy.out" 20
    show_log "$(comp_log dbproxy)" 20
    die "dbproxy did not start (see $(comp_log dbproxy))"
}

write_web_conf() {
    local app_pw servers=() p
    app_pw=$(secret STAMPEDE_DB_APP_PASSWORD)
    for p in "${MC_PORTS[@]}"; do servers+=("$SERVICE_ADDR:$p"); done
    (
        umask 077
        {
            printf '# stampede-web configuration, written by ./stampede up on every start.\n'
            printf '# Per-node settings (node.name, listen, pid_file, log.file, listen.owner) come\n'
            printf '# from STAMPEDE_CFG_* environment variables; see docs/OPERATIONS.md.\n'
            # the shop reaches MariaDB only through stampede-dbproxy (read/write split)
            printf 'db.host = %s\n' "$SERVICE_ADDR"
            printf 'db.port = %s\n' "${DBPROXY_PORTS[0]}"
            printf 'db.user = %s\n' "$APP_DB_USER"
            printf 'db.password = %s\n' "$app_pw"
            printf 'db.name = %s\n' "$DB_NAME"
            printf 'cache.servers = %s\n' "$(
                IFS=,
                echo "${servers[*]}"
            )"
            # no cache.near_peers: each node registers itself (node.url, below) and catalog
            # writes tell every registered node (app/shop/nodes.h)
            printf 'templates.dir = %s\n' "$ROOT/templates"
            printf 'uploads.dir = %s\n' "$DATA/www/uploads"
            printf 'static.manifest = %s\n' "$BUILD/static-dist/manifest.txt"
            # the CDN edge (STAMPEDE_CDN=on) or this node's own nginx (tools/stampede/cdn.sh)
            printf 'static.base_url = %s\n' "$(cdn_static_base_url)"
            printf 'web.processes = %s\n' "$WEB_PROCESSES"
            printf 'web.threads = %s\n' "$WEB_THREADS"
            # the node's password-hashing bulkhead: about one hash per core of this machine,
            # shared out over the web nodes on it
            printf 'auth.hash_concurrency = %s\n' "$(($(nproc) / N_WEB > 0 ? $(nproc) / N_WEB : 1))"
            printf 'security.secret = %s\n' "$(secret STAMPEDE_SECURITY_SECRET)"
            # the admin dashboard reads Prometheus's HTTP API (monitoring.sh)
            [[ $MONITORING == on ]] &&
                printf 'monitoring.prometheus_url = http://127.0.0.1:%s\n' "${MON_PORTS[0]}"
            printf '# payments: the gateway (here the stampede-psp sandbox) and where it sends shoppers back\n'
            printf 'shop.public_url = http://127.0.0.1:%s\n' "$HTTP_PORT"
            printf 'gateway.api_url = http://127.0.0.1:%s\n' "$PSP_PORT"
            printf 'gateway.checkout_url = http://127.0.0.1:%s/checkout\n' "$PSP_PORT"
            printf 'gateway.secret_key = %s\n' "$(secret STAMPEDE_PSP_SECRET_KEY)"
            printf 'gateway.client_key = %s\n' "$(secret STAMPEDE_PSP_CLIENT_KEY)"
            printf 'gateway.webhook_secret = %s\n' "$(secret STAMPEDE_PSP_WEBHOOK_SECRET)"
            autoscale_conf # autoscale.sh
        } >"$ETC/stampede.conf.tmp"
        mv -f "$ETC/stampede.conf.tmp" "$ETC/stampede.conf"
    )
}
# The payment-gateway sandbox: its own configuration (it shares no settings with the shop).
write_psp_conf() {
    (
        umask 077
        {
            printf '# stampede-psp (payment-gateway SANDBOX) configuration, written by ./stampede up.\n'
            printf 'listen.host = 127.0.0.1\n'
            printf 'listen.port = %s\n' "$PSP_PORT"
            printf 'pid_file = %s\n' "$(comp_pidfile psp)"
            printf 'log.file = %s\n' "$(comp_log psp)"
            printf 'db.port = %s\n' "${DB_PORTS[0]}"
            printf 'db.user = %s\n' "$PSP_DB_USER"
            printf 'db.password = %s\n' "$(secret STAMPEDE_DB_PSP_PASSWORD)"
            printf 'db.name = %s\n' "$PSP_DB_NAME"
            printf 'psp.secret_key = %s\n' "$(secret STAMPEDE_PSP_SECRET_KEY)"
            printf 'psp.client_key = %s\n' "$(secret STAMPEDE_PSP_CLIENT_KEY)"
            printf 'webhook.url = http://127.0.0.1:%s/webhooks/psp\n' "$HTTP_PORT"
            printf 'webhook.secret = %s\n' "$(secret STAMPEDE_PSP_WEBHOOK_SECRET)"
            printf 'templates.dir = %s\n' "$ROOT/templates"
        } >"$ETC/psp.conf.tmp"
        mv -f "$ETC/psp.conf.tmp" "$ETC/psp.conf"
    )
}
start_psp() {
    local pid bin=$BUILD/stampede-psp out
    step "starting psp (stampede-psp payment SANDBOX, 127.0.0.1:$PSP_PORT)"
    if pid=$(comp_pid psp); then
        step_end "already running (pid $pid)"
        return 0
    fi
    [[ -x $bin ]] || die "$bin does not exist (app/bin/stampede-psp.c is built with the app)"
    if ! out=$("$bin" --config "$ETC/psp.conf" --check 2>&1); then
        die "stampede-psp --check refused $ETC/psp.conf:" "$out"
    fi
    rm -f "$(comp_pidfile psp)"
    (cd "$DATA" && exec setsid nohup "$bin" --config "$ETC/psp.conf" \
        </dev/null >>"$LOG/psp.out" 2>&1 9>&-) &
    local spid=$! code end=$(($(now_us) + 30000000))
    while (($(now_us) < end)); do
        code=$(curl -s -o /dev/null -w '%{http_code}' -m 1 "http://127.0.0.1:$PSP_PORT/healthz") || true
        if [[ $code == 200 ]] && pid=$(comp_pid psp); then
            ok "pid $pid, log $(comp_log psp)"
            return 0
        fi
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.1
    done
    close_step
    show_log "$LOG/psp.out" 20
    show_log "$(comp_log psp)" 20
    die "psp did not start (see $(comp_log psp))"
}

# The admin account of the demo shop (/admin); its password lives in etc/secrets.env.
ADMIN_EMAIL=${STAMPEDE_ADMIN_EMAIL:-admin@stampede.local}
ensure_admin() {
    step "admin account $ADMIN_EMAIL"
    local out
    if ! out=$(STAMPEDE_ADMIN_PASSWORD=$(secret STAMPEDE_ADMIN_PASSWORD) \
        STAMPEDE_CFG_LOG_FILE=- "$BUILD/stampede-admin" --config "$ETC/stampede.conf" \
        create-admin "$ADMIN_EMAIL" "Stampede admin" 2>&1); then
        die "stampede-admin could not create $ADMIN_EMAIL:" "$out"
    fi
    ok "password in $ETC/secrets.env (STAMPEDE_ADMIN_PASSWORD)"
}

# The batch scheduler: runs expire-holds and audit-stock on their intervals (batch.* settings).
start_batch() {
    local pid bin=$BUILD/stampede-batch
    step "starting batch (stampede-batch schedule: expire-holds, reconcile-payments, audit-stock)"
    if pid=$(comp_pid batch); then
        step_end "already running (pid $pid)"
        return 0
    fi
    [[ -x $bin ]] || die "$bin does not exist (app/bin/stampede-batch.c is built with the app)"
    rm -f "$(comp_pidfile batch)"
    (cd "$DATA" && STAMPEDE_CFG_LOG_FILE=$LOG/batch.log exec setsid nohup "$bin" \
        --config "$ETC/stampede.conf" schedule </dev/null >>"$LOG/batch.out" 2>&1 9>&-) &
    printf '%s\n' "$!" >"$(comp_pidfile batch)"
    sleep 0.2
    if ! wait_for 5 comp_pid batch; then
        close_step
        show_log "$LOG/batch.out" 20
        show_log "$LOG/batch.log" 20
        die "batch did not start (see $LOG/batch.log)"
    fi
    ok "pid $(comp_pid batch), log $LOG/batch.log"
}

# web_env NODE: the per-node environment overrides, as NAME=VALUE words.
web_env() {
    local n=$1
    printf '%s\n' "STAMPEDE_CFG_NODE_NAME=$n" "STAMPEDE_CFG_LISTEN=$RUN/$n.sock" \
        "STAMPEDE_CFG_OPS_LISTEN=$RUN/$n-ops.sock" \
        "STAMPEDE_CFG_PID_FILE=$RUN/$n-app.pid" "STAMPEDE_CFG_LOG_FILE=$LOG/$n-app.log" \
        "STAMPEDE_CFG_NODE_URL=$(node_url "$n")"
    [[ -n $IS_ROOT ]] && printf '%s\n' "STAMPEDE_CFG_LISTEN_OWNER=nobody"
    return 0
}
start_web() { # webN
    local n=$1 pid bin=$BUILD/stampede-web out ns
    ns=$(node_netns "$n")
    local -a NETNS_RUN=()
    [[ -z $ns ]] || NETNS_RUN=(ip netns exec "$ns")
    step "starting $n (stampede-web, $WEB_PROCESSES x $WEB_THREADS threads)"
    if pid=$(comp_pid "$n"); then
        step_end "already running (pid $pid; configuration changes need a restart)"
        return 0
    fi
    [[ -x $bin ]] || die "$bin does not exist (is app/bin/stampede-web.c built?)"
    local -a envs
    mapfile -t envs < <(web_env "$n")
    if ! out=$(env "${envs[@]}" "$bin" --config "$ETC/stampede.conf" --check 2>&1); then
        die "stampede-web --check refused the configuration for $n:" "$out" \
            "config: $ETC/stampede.conf (plus ${envs[*]})"
    fi
    rm -f "$RUN/$n-app.pid" "$RUN/$n.sock" "$RUN/$n-ops.sock"
    (cd "$DATA" && exec setsid nohup "${NETNS_RUN[@]}" env "${envs[@]}" "$bin" \
        --config "$ETC/stampede.conf" </dev/null >>"$LOG/$n-app.log" 2>&1 9>&-) &
    local spid=$! end=$(($(now_us) + 30000000))
    while (($(now_us) < end)); do
        if [[ -S $RUN/$n.sock ]] && pid=$(comp_pid "$n"); then
            ok "pid $pid, $RUN/$n.sock"
            return 0
        fi
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.1
    done
    close_step
    show_log "$LOG/$n-app.log" 30
    die "$n did not start: no live pid in $RUN/$n-app.pid or no socket $RUN/$n.sock"
}

# Bench mode: the stampede-hello baseline pool of web node N, same processes x threads as the app.
start_hello() { # helloN
    local n=$1 pid bin=$BUILD/stampede-hello sock=$RUN/$1.sock
    step "starting $n (stampede-hello bench baseline, $WEB_PROCESSES x $WEB_THREADS threads)"
    if pid=$(comp_pid "$n"); then
        step_end "already running (pid $pid)"
        return 0
    fi
    [[ -x $bin ]] || die "$bin does not exist (app/bin/stampede-hello.c is built with the app)"
    rm -f "$(comp_pidfile "$n")" "$sock"
    # not a process group leader here, so setsid execs in place: $! is stampede-hello's pid
    (cd "$DATA" && exec setsid nohup "$bin" "$sock" "$WEB_PROCESSES" "$WEB_THREADS" \
        </dev/null >>"$(comp_log "$n")" 2>&1 9>&-) &
    printf '%s\n' "$!" >"$(comp_pidfile "$n")"
    if ! wait_for 10 test -S "$sock" || ! wait_for 5 comp_pid "$n"; then
        close_step
        show_log "$(comp_log "$n")" 20
        die "$n did not start: no socket $sock or no live stampede-hello with pid $!"
    fi
    ok "pid $(comp_pid "$n"), $sock"
}
bench_location() { # helloN -> the nginx location block for /__bench/hello (bench mode only)
    cat <<EOF
        # Bench mode only (STAMPEDE_BENCH=1): the stampede-hello baseline, with the same
        # FastCGI settings as the application below.
        location = /__bench/hello {
            fastcgi_pass unix:$RUN/$1.sock;
            include /etc/nginx/fastcgi_params;
            fastcgi_param HTTP_X_REQUEST_ID \$http_x_request_id;
            fastcgi_read_timeout 30s;
            fastcgi_buffer_size 16k;
            fastcgi_buffers 16 16k;
        }
EOF
}

# write_error_pages: www/errors/CODE.{json,html}, the bodies of nginx's own error answers
# (nginx/nginx.conf.in: error_page), in the shop's JSON error shape and as a small page.
write_error_pages() {
    local dir=$DATA/www/errors code key title text
    mkdir -p "$dir"
    while IFS='|' read -r code key title text; do
        printf '{"error":{"code":"%s","message":"%s"}}\n' "$key" "$text" >"$dir/$code.json"
        printf '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>%s</title></head>\n<body><h1>%s</h1><p>%s</p><p><a href="/">Back to the shop</a></p></body></html>\n' \
            "$title" "$title" "$text" >"$dir/$code.html"
    done <<'PAGES'
400|bad_request|That did not work|The request is malformed.
404|not_found|Not found|There is nothing at this address.
405|method_not_allowed|Method not allowed|This address does not accept that method.
408|request_timeout|That took too long|The request did not arrive in time. Please try again.
413|payload_too_large|That did not work|The request body is too large.
414|uri_too_long|That did not work|The address is too long.
431|headers_too_large|That did not work|The request headers are too large.
500|internal_error|Something went wrong|Something went wrong on our side.
503|service_unavailable|Something went wrong|The shop is very busy right now. Please try again in a moment.
PAGES
}
start_nginx() { # nginxN
    local c=$1 node=web${1#nginx} port addr pid out cfg listen
    port=$(comp_port "$c")
    addr=$(node_addr "$node")
    cfg=$ETC/$c.conf
    step "starting $c ($addr:$port -> $node)"
    mkdir -p "$TMP/$c"
    local bench_loc=
    [[ $BENCH == 1 ]] && bench_loc=$(bench_location "hello${1#nginx}")
    write_error_pages
    mon_web_sd "$node" "$addr:$port" # Prometheus finds the node's /metrics through this file
    # a node of this host also answers on loopback (./stampede and the tests reach it there)
    listen="        listen $addr:$port backlog=4096;"
    if [[ $addr != 127.0.0.1 && -z $(node_netns "$node") ]]; then
        listen+=$'\n'"        listen 127.0.0.1:$port backlog=4096;"
    fi
    render "$ROOT/nginx/nginx.conf.in" "$cfg" NODE="$node" NGINX="$c" LISTEN="$listen" RUN="$RUN" \
        LOG="$LOG" TMP="$TMP/$c" DATA="$DATA" SOCKET="$RUN/$node.sock" \
        OPS_SOCKET="$RUN/$node-ops.sock" BENCH_LOCATIONS="$bench_loc" \
        PROXY_ADDRS="$(printf '    set_real_ip_from %s;\n' 127.0.0.1 "$SERVICE_ADDR" | sort -u)"
    if pid=$(comp_pid "$c"); then
        step_end "already running (pid $pid)"
        return 0
    fi
    rm -f "$(comp_pidfile "$c")"
    if ! out=$(node_run "$node" nginx -t -q -p "$DATA/" -c "$cfg" -e "$LOG/$c-error.log" 2>&1); then
        die "nginx rejects $cfg:" "$out"
    fi
    if ! out=$(node_run "$node" nginx -p "$DATA/" -c "$cfg" -e "$LOG/$c-error.log" </dev/null 2>&1 9>&-); then
        die "nginx $c failed to start:" "$out"
    fi
    if ! wait_for 10 comp_pid "$c"; then
        close_step
        show_log "$LOG/$c-error.log" 20
        die "$c did not start"
    fi
    # The node is ready when the app behind it says so.
    local code end=$(($(now_us) + 30000000))
    while (($(now_us) < end)); do
        code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://$addr:$port/readyz") || true
        [[ $code == 200 ]] && break
        sleep 0.1
    done
    if [[ $code != 200 ]]; then
        close_step
        local body
        body=$(curl -s -m 2 "http://$addr:$port/readyz" 2>&1 | head -c 500) || true
        show_log "$LOG/$node-app.log" 20
        show_log "$LOG/$c-error.log" 10
        die "$c: /readyz answers $code, not 200, after 30 s: $body"
    fi
    ok "pid $(comp_pid "$c"), /readyz 200"
}

haproxy_stat() { echo "show stat" | socat -t 2 - "UNIX-CONNECT:$RUN/haproxy.sock" 2>/dev/null; }
haproxy_all_up() {
    local n
    while read -r n; do haproxy_server_up "$n" || return 1; done < <(web_nodes)
}
# The per-address rate limit of the public frontend (STAMPEDE_RATE_LIMIT requests per 10 s):
# a stick table counts each client address's request rate; past the limit the answer is 429
# with Retry-After, as JSON under /api and as a small page elsewhere.
haproxy_rate_limit() {
    if ((RATE_LIMIT == 0)); then
        printf '    # no per-address rate limit (STAMPEDE_RATE_LIMIT=0)'
        return 0
    fi
    local exempt=${RATE_LIMIT_EXEMPT//,/ } acl='always_false'
    [[ -n ${exempt// /} ]] && acl="src $exempt"
    cat <<EOF
    # Per client address: at most $RATE_LIMIT requests per 10 s (STAMPEDE_RATE_LIMIT).
    stick-table type ip size 1m expire 60s store http_req_rate(10s)
    acl rate_exempt $acl
    # gateway webhooks come from one address in bursts and are authenticated by their signature
    http-request track-sc0 src if !rate_exempt !health_check !{ path_beg /webhooks/ }
    acl rate_over sc_http_req_rate(0) gt $RATE_LIMIT
    http-request return status 429 content-type application/json hdr Retry-After 10 string '{"error":{"code":"rate_limited","message":"Too many requests from your address; wait a few seconds."}}' if rate_over !health_check { path_beg /api/ }
    http-request return status 429 content-type "text/html; charset=utf-8" hdr Retry-After 10 string '<!doctype html><title>Slow down</title><h1>Too many requests</h1><p>Wait a few seconds, then reload the page.</p>' if rate_over !health_check
EOF
}

# With a service address (STAMPEDE_SERVICE_ADDRESS), the shop is also served there: shoppers
# and nodes on other hosts reach it.
haproxy_extra_bind() {
    if [[ $SERVICE_ADDR == 127.0.0.1 ]]; then
        printf '    # (STAMPEDE_SERVICE_ADDRESS: also bound on that address)'
    else
        printf '    bind %s:%s' "$SERVICE_ADDR" "$HTTP_PORT"
    fi
}
# render_haproxy_cfg: etc/haproxy.cfg from the template and the node list (nodes.sh), so that a
# reload keeps the nodes added at run time.
render_haproxy_cfg() {
    local mc_lines='' i
    for ((i = 1; i <= N_MC; i++)); do
        mc_lines+="    server memcached$i 127.0.0.1:${MC_PORTS[i - 1]} check inter 2s fall 2 rise 1"
        ((i < N_MC)) && mc_lines+=$'\n'
    done
    render "$ROOT/haproxy/haproxy.cfg.in" "$ETC/haproxy.cfg" ROOT="$ROOT" RUN="$RUN" \
        HTTP_PORT="$HTTP_PORT" WEB_SERVERS="$(haproxy_server_lines)" \
        RATE_LIMIT="$(haproxy_rate_limit)" METRICS_PORT="${MON_PORTS[5]}" MC_SERVERS="$mc_lines" \
        EXTRA_BIND="$(haproxy_extra_bind)"
}
# HAProxy runs in master-worker mode (the pid file holds the master): `./stampede reload
# haproxy` (nodes.sh) replaces the workers without closing the listening sockets.
start_haproxy() {
    local pid out cfg=$ETC/haproxy.cfg
    step "starting haproxy (127.0.0.1:$HTTP_PORT)"
    render_haproxy_cfg
    if pid=$(comp_pid haproxy); then
        step_end "already running (pid $pid; ./stampede reload haproxy applies a new configuration)"
        return 0
    fi
    rm -f "$RUN/haproxy.pid" "$RUN/haproxy.sock" "$RUN/haproxy.state"
    if ! out=$(haproxy -c -q -f "$cfg" 2>&1); then
        die "haproxy rejects $cfg:" "$out"
    fi
    if ! haproxy -W -f "$cfg" </dev/null >>"$LOG/haproxy.log" 2>&1 9>&-; then
        close_step
        show_log "$LOG/haproxy.log" 20
        die "haproxy failed to start"
    fi
    if ! wait_for 10 comp_pid haproxy || ! wait_for 10 test -S "$RUN/haproxy.sock"; then
        close_step
        show_log "$LOG/haproxy.log" 20
        die "haproxy did not start"
    fi
    ok "pid $(comp_pid haproxy)"
}

# ---------------------------------------------------------------------------------------------
# Stopping
# ---------------------------------------------------------------------------------------------
# stop_group SIGNAL TIMEOUT COMPONENT...: signal the running ones, wait until all are gone.
STOP_FAILED=()
stop_group() {
    local sig=$1 secs=$2 c pid
    shift 2
    local -a names=() pids=() targets=()
    for c in "$@"; do
        if pid=$(comp_pid "$c"); then
            names+=("$c")
            pids+=("$pid")
            # stampede-hello's master does not pass signals on to its workers: signal the group
            if [[ $c == hello* && $(awk '{print $5}' "/proc/$pid/stat" 2>/dev/null) == "$pid" ]]; then
                targets+=("-$pid")
            else
                targets+=("$pid")
            fi
        fi
    done
    step "stopping $*"
    if ((${#pids[@]} == 0)); then
        step_end "not running"
        cleanup_after_stop "$@"
        return 0
    fi
    kill -"$sig" -- "${targets[@]}" 2>/dev/null || true
    local j left end=$(($(now_us) + secs * 1000000))
    while (($(now_us) < end)); do
        left=0
        for j in "${!pids[@]}"; do
            pid_alive "${pids[$j]}" "$(comp_exe "${names[$j]}")" && left=1
        done
        ((left)) || break
        sleep 0.1
    done
    local still=() killed=()
    for j in "${!pids[@]}"; do
        pid_alive "${pids[$j]}" "$(comp_exe "${names[$j]}")" || continue
        # Stateless components (never MariaDB) are killed with their whole process group (they
        # run as session leaders: setsid / daemonised), so no worker is left holding a socket.
        if [[ ${names[$j]} != primary && ${names[$j]} != replica ]] &&
            [[ $(awk '{print $5}' "/proc/${pids[$j]}/stat" 2>/dev/null) == "${pids[$j]}" ]]; then
            kill -KILL -- "-${pids[$j]}" 2>/dev/null || true
            killed+=("${names[$j]}")
            wait_for 5 eval "! pid_alive ${pids[$j]} $(comp_exe "${names[$j]}")" && continue
        fi
        still+=("${names[$j]} (pid ${pids[$j]})")
    done
    if ((${#still[@]})); then
        step_end "TIMEOUT after ${secs}s: still running: ${still[*]}"
        STOP_FAILED+=("${still[@]}")
        return 0
    fi
    cleanup_after_stop "$@"
    if ((${#killed[@]})); then
        step_end "KILLED ${killed[*]} (process group) after ${secs}s without exiting on SIG$sig; pid ${pids[*]}"
        warn "${killed[*]} did not stop within ${secs}s; see ./stampede logs ${killed[0]}"
        return 0
    fi
    ok "pid ${pids[*]}"
}
cleanup_after_stop() {
    local c
    for c in "$@"; do
        comp_pid "$c" >/dev/null && continue
        rm -f "$(comp_pidfile "$c")"
        case $c in
        web* | hello*) rm -f "$RUN/$c.sock" "$RUN/$c-ops.sock" ;;
        haproxy) rm -f "$RUN/haproxy.sock" ;;
        esac
    done
}
