# shellcheck shell=bash
# tools/stampede/monitoring.sh — the monitoring stack: Prometheus, Alertmanager, the node
# exporter and one mysqld exporter per database server (Debian's packages, run as plain
# processes with their configuration rendered into etc/ and their data under the data folder;
# never the packages' systemd units). STAMPEDE_MONITORING=off leaves all of it out. Also the
# web nodes' service-discovery files (written by start_nginx) and the alerts webhook token.

MON_DB_USER=stampede_monitor

# mon_web_sd NODE ADDRESS:PORT: the file-based service discovery entry for a web node's
# /metrics (nodes.sh deletes it when the node is removed).
mon_web_sd() {
    local node=$1 target=$2 dir=$ETC/prometheus-sd
    mkdir -p "$dir"
    printf '[{"targets": ["%s"], "labels": {"node": "%s"}}]\n' "$target" "$node" \
        >"$dir/web-$node.json.tmp"
    mv -f "$dir/web-$node.json.tmp" "$dir/web-$node.json"
}

# The bearer token Alertmanager sends to /__internal/alerts: hex HMAC-SHA256 of
# "alerts-webhook" under security.secret (the web nodes derive the same; app/ops/alerts.c).
alerts_token() {
    printf '%s' alerts-webhook | openssl dgst -sha256 -hmac "$(secret STAMPEDE_SECURITY_SECRET)" |
        sed 's/^.*= //'
}

# The exporter's account: reads status, process list and replication state, nothing else.
ensure_monitor_account() {
    local pw n out
    pw=$(secret STAMPEDE_DB_MONITOR_PASSWORD)
    [[ -n $pw ]] || die "no STAMPEDE_DB_MONITOR_PASSWORD in $ETC/secrets.env"
    step "monitoring account $MON_DB_USER"
    n=$(dbq primary "SELECT COUNT(*) FROM mysql.user WHERE User='$MON_DB_USER' AND Host='127.0.0.1'")
    if [[ $n == 0 ]]; then
        out=$(db primary -e "CREATE USER '$MON_DB_USER'@'127.0.0.1' IDENTIFIED BY '$pw'
            WITH MAX_USER_CONNECTIONS 3;
            GRANT PROCESS, SLAVE MONITOR, BINLOG MONITOR ON *.* TO '$MON_DB_USER'@'127.0.0.1';" 2>&1) ||
            die "could not create $MON_DB_USER:" "$out"
        ok "created"
        return 0
    fi
    if ! mariadb --no-defaults -h127.0.0.1 -P"${DB_PORTS[0]}" -u"$MON_DB_USER" -p"$pw" -N -B \
        -e 'SELECT 1' >/dev/null 2>&1; then
        out=$(dbq primary "ALTER USER '$MON_DB_USER'@'127.0.0.1' IDENTIFIED BY '$pw'" 2>&1) ||
            die "could not reset the password of $MON_DB_USER:" "$out"
        ok "password reset to secrets.env"
        return 0
    fi
    ok
}

write_monitoring_conf() {
    local hooks='' i
    mkdir -p "$ETC/prometheus-sd" "$DATA/prometheus" "$DATA/alertmanager"
    render "$ROOT/monitoring/prometheus.yml.in" "$ETC/prometheus.yml" ROOT="$ROOT" \
        SD_DIR="$ETC/prometheus-sd" PROM_PORT="${MON_PORTS[0]}" AM_PORT="${MON_PORTS[1]}" \
        NODE_PORT="${MON_PORTS[2]}" MYSQLD_PRIMARY_PORT="${MON_PORTS[3]}" \
        MYSQLD_REPLICA_PORT="${MON_PORTS[4]}" HAPROXY_METRICS_PORT="${MON_PORTS[5]}" \
        DBPROXY_STATUS_PORT="${DBPROXY_PORTS[1]}" AUTOSCALE_PORT="$AUTOSCALE_PORT"
    (umask 077 && alerts_token >"$ETC/alerts-token")
    for ((i = 1; i <= N_WEB; i++)); do
        hooks+="      - url: http://127.0.0.1:${NGINX_PORTS[i - 1]}/__internal/alerts
        send_resolved: true
        http_config:
          authorization: {type: Bearer, credentials_file: $ETC/alerts-token}"
        ((i < N_WEB)) && hooks+=$'\n'
    done
    render "$ROOT/monitoring/alertmanager.yml.in" "$ETC/alertmanager.yml" WEBHOOKS="$hooks"
    local role port
    for role in primary replica; do
        port=${DB_PORTS[0]}
        [[ $role == replica ]] && port=${DB_PORTS[1]}
        (umask 077 && printf '[client]\nuser=%s\npassword=%s\nhost=127.0.0.1\nport=%s\n' \
            "$MON_DB_USER" "$(secret STAMPEDE_DB_MONITOR_PASSWORD)" "$port" \
            >"$ETC/mysqld-exporter-$role.cnf")
    done
}

# mon_start NAME URL CMD...: start one monitoring process (session leader, pid file written
# here), then wait until URL answers.
mon_start() {
    local c=$1 url=$2 pid
    shift 2
    step "starting $c ($(comp_address "$c"))"
    if pid=$(comp_pid "$c"); then
        step_end "already running (pid $pid)"
        return 0
    fi
    rm -f "$(comp_pidfile "$c")"
    (cd "$DATA" && exec setsid nohup "$@" </dev/null >>"$(comp_log "$c")" 2>&1 9>&-) &
    printf '%s\n' "$!" >"$(comp_pidfile "$c")"
    if ! wait_for 20 curl -fs -o /dev/null -m 1 "$url"; then
        close_step
        show_log "$(comp_log "$c")" 20
        die "$c does not answer on $url (log: $(comp_log "$c"))"
    fi
    ok "pid $(comp_pid "$c" || echo "?")"
}

start_monitoring() {
    if [[ $MONITORING != on ]]; then
        step "monitoring (prometheus, alertmanager, exporters)"
        step_end "off (STAMPEDE_MONITORING=off)"
        return 0
    fi
    ensure_monitor_account
    write_monitoring_conf
    local out
    out=$(promtool check config "$ETC/prometheus.yml" 2>&1) ||
        die "promtool rejects $ETC/prometheus.yml:" "$out"
    mon_start node-exporter "http://127.0.0.1:${MON_PORTS[2]}/metrics" prometheus-node-exporter \
        --web.listen-address="127.0.0.1:${MON_PORTS[2]}" --collector.disable-defaults \
        --collector.cpu --collector.meminfo --collector.loadavg --collector.filesystem \
        --collector.diskstats --collector.netdev
    local role
    for role in primary replica; do
        local p=${MON_PORTS[3]}
        [[ $role == replica ]] && p=${MON_PORTS[4]}
        mon_start "mysqld-exp-$role" "http://127.0.0.1:$p/metrics" prometheus-mysqld-exporter \
            --config.my-cnf="$ETC/mysqld-exporter-$role.cnf" --web.listen-address="127.0.0.1:$p"
    done
    mon_start alertmanager "http://127.0.0.1:${MON_PORTS[1]}/-/ready" prometheus-alertmanager \
        --config.file="$ETC/alertmanager.yml" --storage.path="$DATA/alertmanager" \
        --web.listen-address="127.0.0.1:${MON_PORTS[1]}" --cluster.listen-address=
    mon_start prometheus "http://127.0.0.1:${MON_PORTS[0]}/-/ready" prometheus \
        --config.file="$ETC/prometheus.yml" --storage.tsdb.path="$DATA/prometheus" \
        --storage.tsdb.retention.time=15d --web.listen-address="127.0.0.1:${MON_PORTS[0]}" \
        --web.enable-lifecycle
}

stop_monitoring() {
    stop_group TERM 30 "${MON_COMPONENTS[@]}"
}
