# shellcheck shell=bash
# tools/stampede/components.sh — the components of a stack (primary, replica, dbproxy,
# memcachedN, psp, origin, edge, webN, helloN, nginxN, haproxy, batch) and, per name, its pid
# file, executable, port, port setting, address and log; whether it runs (comp_pid: through its
# pid file, never by name); who listens on a port; and the pre-flight port check of `up`.

# ---------------------------------------------------------------------------------------------
# Components: name -> pid file, executable, address
# ---------------------------------------------------------------------------------------------
components() {
    local i
    printf '%s\n' primary replica dbproxy
    for ((i = 1; i <= N_MC; i++)); do printf 'memcached%d\n' "$i"; done
    printf 'psp\n'
    # the web nodes: the stack's own and those added at run time (nodes.sh)
    cdn_components # origin, edge (tools/stampede/cdn.sh)
    local -a nodes
    mapfile -t nodes < <(web_nodes)
    printf '%s\n' "${nodes[@]}"
    # bench baseline pools: in bench mode, or when one still runs (so `down` stops it anyway)
    for i in "${nodes[@]#web}"; do
        [[ $BENCH == 1 || -e $RUN/hello$i.pid ]] && printf 'hello%d\n' "$i"
    done
    for i in "${nodes[@]#web}"; do printf 'nginx%d\n' "$i"; done
    printf 'haproxy\n'
    printf 'batch\n'
    printf 'autoscale\n' # autoscale.sh (STAMPEDE_AUTOSCALE=off runs it paused)
    # the monitoring stack: when on, or when one still runs (so `down` stops it anyway)
    local m
    for m in "${MON_COMPONENTS[@]}"; do
        [[ $MONITORING == on || -e $RUN/$m.pid ]] && printf '%s\n' "$m"
    done
    return 0
}
MON_COMPONENTS=(node-exporter mysqld-exp-primary mysqld-exp-replica alertmanager prometheus)
comp_pidfile() {
    case $1 in
    primary | replica) printf '%s/mariadb-%s.pid' "$RUN" "$1" ;;
    web*) printf '%s/%s-app.pid' "$RUN" "$1" ;;
    *) printf '%s/%s.pid' "$RUN" "$1" ;;
    esac
}
comp_exe() {
    case $1 in
    primary | replica) echo mariadbd ;;
    memcached*) echo memcached ;;
    web*) echo stampede-web ;;
    hello*) echo stampede-hello ;;
    batch) echo stampede-batch ;;
    autoscale) echo stampede-autoscale ;;
    psp) echo stampede-psp ;;
    dbproxy) echo stampede-dbproxy ;;
    nginx* | edge | origin) echo nginx ;;
    haproxy) echo haproxy ;;
    prometheus) echo prometheus ;;
    alertmanager) echo prometheus-alertmanager ;;
    node-exporter) echo prometheus-node-exporter ;;
    mysqld-exp-*) echo prometheus-mysqld-exporter ;;
    esac
}
comp_port() { # the TCP port a component listens on (none for web nodes)
    case $1 in
    primary) echo "${DB_PORTS[0]}" ;;
    replica) echo "${DB_PORTS[1]}" ;;
    memcached*) echo "${MC_PORTS[${1#memcached} - 1]}" ;;
    nginx*) node_port "$1" ;;
    haproxy) echo "$HTTP_PORT" ;;
    psp) echo "$PSP_PORT" ;;
    dbproxy) echo "${DBPROXY_PORTS[0]}" ;;
    edge) echo "${CDN_PORTS[0]}" ;;
    origin) echo "${CDN_PORTS[1]}" ;;
    autoscale) echo "$AUTOSCALE_PORT" ;;
    prometheus) echo "${MON_PORTS[0]}" ;;
    alertmanager) echo "${MON_PORTS[1]}" ;;
    node-exporter) echo "${MON_PORTS[2]}" ;;
    mysqld-exp-primary) echo "${MON_PORTS[3]}" ;;
    mysqld-exp-replica) echo "${MON_PORTS[4]}" ;;
    esac
}
comp_setting() {
    case $1 in
    primary | replica) echo "STAMPEDE_DB_PORTS" ;;
    memcached*) echo "STAMPEDE_MC_PORTS" ;;
    nginx*) echo "STAMPEDE_NGINX_PORTS" ;;
    haproxy) echo "STAMPEDE_HTTP_PORT" ;;
    psp) echo "STAMPEDE_PSP_PORT" ;;
    dbproxy) echo "STAMPEDE_DBPROXY_PORTS" ;;
    edge | origin) echo "STAMPEDE_CDN_PORTS" ;;
    autoscale) echo "STAMPEDE_AUTOSCALE_PORT" ;;
    prometheus | alertmanager | node-exporter | mysqld-exp-*) echo "STAMPEDE_MON_PORTS" ;;
    esac
}
comp_address() {
    case $1 in
    web* | hello*) printf 'unix:%s/%s.sock' "$RUN" "$1" ;;
    batch) printf 'scheduler (no port)' ;;
    autoscale) printf '127.0.0.1:%s (status)' "$AUTOSCALE_PORT" ;;
    dbproxy) printf '127.0.0.1:%s (status :%s)' "${DBPROXY_PORTS[0]}" "${DBPROXY_PORTS[1]}" ;;
    haproxy) printf '127.0.0.1:%s (metrics :%s)' "$HTTP_PORT" "${MON_PORTS[5]}" ;;
    nginx*)
        printf '%s:%s' "$(node_addr "$1")" "$(node_port "$1")"
        [[ -z $(node_netns "$1") ]] || printf ' (netns %s)' "$(node_netns "$1")"
        ;;
    *) printf '127.0.0.1:%s' "$(comp_port "$1")" ;;
    esac
}
comp_log() {
    case $1 in
    primary | replica) printf '%s/mariadb-%s.log' "$LOG" "$1" ;;
    web*) printf '%s/%s-app.log' "$LOG" "$1" ;;
    nginx* | edge | origin) printf '%s/%s-error.log' "$LOG" "$1" ;;
    *) printf '%s/%s.log' "$LOG" "$1" ;;
    esac
}

# pid_alive PID EXE: PID runs (not a zombie) and is an EXE (guards against reused pids).
pid_alive() {
    local pid=$1 exe=$2 path stat
    [[ $pid =~ ^[0-9]+$ ]] && ((pid > 1)) || return 1
    # not $(<file): a missing file there ends the whole script (stale pid file after a crash)
    [[ -e /proc/$pid/stat ]] || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]] || return 1
    path=$(readlink "/proc/$pid/exe" 2>/dev/null) || path=$(cat "/proc/$pid/comm" 2>/dev/null) ||
        return 1
    path=${path% (deleted)}
    [[ ${path##*/} == "$exe" ]]
}
# comp_pid NAME: prints the pid if the component runs (per its pid file), else returns 1.
comp_pid() {
    local f pid
    f=$(comp_pidfile "$1")
    [[ -r $f ]] || return 1
    pid=$(head -n 1 "$f" 2>/dev/null | tr -dc 0-9)
    [[ -n $pid ]] || return 1
    pid_alive "$pid" "$(comp_exe "$1")" || return 1
    printf '%s\n' "$pid"
}

# port_listening PORT: something listens on TCP PORT (any address) in this network namespace.
port_listening() {
    local hex
    printf -v hex '%04X' "$1"
    awk -v h=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
port_owner() { # "mariadbd pid 123" or "unknown process"
    local out
    out=$(ss -Hltnp "( sport = :$1 )" 2>/dev/null | grep -o 'users:(([^)]*' | head -n 1) || true
    if [[ $out =~ \"([^\"]+)\",pid=([0-9]+) ]]; then
        printf '%s (pid %s)' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    else
        printf 'another process'
    fi
}

# ---------------------------------------------------------------------------------------------
# Pre-flight: ports
# ---------------------------------------------------------------------------------------------
preflight_ports() {
    step "checking ports"
    local c port running=() conflicts=() old
    while read -r c; do
        if comp_pid "$c" >/dev/null; then
            running+=("$c")
            continue
        fi
        local -a ports=()
        port=$(comp_port "$c")
        [[ -n $port ]] || continue
        ports=("$port")
        [[ $c == dbproxy ]] && ports+=("${DBPROXY_PORTS[1]}") # and its status port
        [[ $c == haproxy ]] && ports+=("${MON_PORTS[5]}")     # and its metrics port
        for port in "${ports[@]}"; do
            if port_listening "$port"; then
                local setting
                setting=$(comp_setting "$c")
                [[ -n ${STAMPEDE_PORT_BASE:-} ]] && setting=STAMPEDE_PORT_BASE
                conflicts+=("port $port ($c) is in use by $(port_owner "$port"): change $setting")
            fi
        done
    done < <(components)
    if ((${#running[@]})) && [[ -r $ETC/stack.env ]]; then
        old=$(<"$ETC/stack.env")
        # every setting the running stack recorded must match (a stack started by an older
        # version lacks the newer ones: those are simply started now)
        # (but not STAMPEDE_CDN: `STAMPEDE_CDN=off` is the fallback when the edge fails)
        if grep -vxF -f <(stack_env_text) <<<"$old" | grep -v '^CDN=' | grep -q .; then
            die "the stack in $DATA runs (${running[*]}) with other ports:" \
                "$(tr '\n' ' ' <<<"$old")" \
                "run './stampede down' first, or use the same port settings"
        fi
    fi
    if ((${#conflicts[@]})); then
        die "cannot start: ${#conflicts[@]} port(s) taken by something that is not this stack" \
            "${conflicts[@]}" \
            "(another stack? its ./stampede status needs its STAMPEDE_DATA; nothing was started)"
    fi
    if ((${#running[@]})); then ok "${#running[@]} component(s) already running"; else ok; fi
}
