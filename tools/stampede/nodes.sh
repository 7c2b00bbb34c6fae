# shellcheck shell=bash
# tools/stampede/nodes.sh — web nodes that come and go: the node registry (which nodes exist,
# on which address and port), HAProxy's runtime API (dynamic servers, drain, seamless reload),
# and the commands `node add | remove | list`, `deploy` (a rolling restart of every node) and
# `reload haproxy`.
#
# A web node is nginx + its stampede-web pool. The first N_WEB (STAMPEDE_NGINX_PORTS or the
# port block) are the stack's own and start with `up`; more are added at run time, each
# recorded in etc/nodes/<name>.env (PORT, ADDR: the address it listens on and HAProxy and its
# peers reach it on, NETNS: the network namespace it runs in, if any). HAProxy's configuration
# is rendered from the same list, so a reload keeps every node. docs/OPERATIONS.md, "Nodes".

NODES_DIR=$ETC/nodes
NODE_SLOWSTART=${STAMPEDE_NODE_SLOWSTART:-10s}
[[ $NODE_SLOWSTART =~ ^[0-9]+s$ ]] || die "STAMPEDE_NODE_SLOWSTART=$NODE_SLOWSTART: seconds, e.g. 10s"
NODE_DRAIN_TIMEOUT=${STAMPEDE_NODE_DRAIN_TIMEOUT:-30}

# web_nodes: the names of every web node, the stack's own first, then the added ones in order.
web_nodes() {
    local i f n
    for ((i = 1; i <= N_WEB; i++)); do printf 'web%d\n' "$i"; done
    [[ -d $NODES_DIR ]] || return 0
    for f in "$NODES_DIR"/web*.env; do
        [[ -e $f ]] || continue
        n=${f##*/}
        n=${n%.env}
        [[ $n =~ ^web([0-9]+)$ ]] && ((BASH_REMATCH[1] > N_WEB)) && printf '%s\n' "$n"
    done | sort -V
}
node_is_added() { [[ $1 =~ ^web([0-9]+)$ ]] && ((BASH_REMATCH[1] > N_WEB)); }
node_get() { # NAME KEY: a value from the node's registry file ("" if none)
    local f=$NODES_DIR/$1.env k v
    [[ -r $f ]] || return 0
    while IFS='=' read -r k v; do
        [[ $k == "$2" ]] && printf '%s' "$v" && return 0
    done <"$f"
    return 0
}
node_port() { # webN -> its nginx port
    local n=${1#web} p
    n=${n#nginx}
    if ((n >= 1 && n <= N_WEB)); then
        printf '%s' "${NGINX_PORTS[n - 1]}"
        return 0
    fi
    p=$(node_get "web$n" PORT)
    printf '%s' "$p"
}
node_addr() { # webN -> the address it listens on (and is reached on)
    local n=${1#web} a
    n=${n#nginx}
    a=$(node_get "web$n" ADDR)
    if [[ -z $a ]] && ((n >= 1 && n <= N_WEB)); then a=$SERVICE_ADDR; fi
    printf '%s' "${a:-127.0.0.1}"
}
node_netns() { # webN -> its network namespace ("" for this host's own)
    local n=${1#web}
    node_get "web${n#nginx}" NETNS
}
node_url() { printf 'http://%s:%s' "$(node_addr "$1")" "$(node_port "$1")"; }
# node_run NODE CMD...: runs CMD where the node lives (inside its network namespace, if any).
node_run() {
    local ns
    ns=$(node_netns "$1")
    shift
    if [[ -n $ns ]]; then ip netns exec "$ns" "$@"; else "$@"; fi
}

# ---------------------------------------------------------------------------------------------
# HAProxy's runtime API
# ---------------------------------------------------------------------------------------------
# haproxy_api CMD: one runtime API command; prints the answer; fails on an error answer.
haproxy_api() {
    local out
    out=$(printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$RUN/haproxy.sock" 2>&1) || {
        printf '%s\n' "$out" >&2
        return 1
    }
    printf '%s' "$out"
    if grep -qiE '^(unknown|no such|.*(not found|cannot|can.t|error|refused|must be|invalid))' <<<"$out"; then
        return 1
    fi
}
# The options of every web node's server line: health checks on /readyz every second (faster
# while changing state), three failures to go down, two successes to come up; at most 512
# connections; passive checks on live traffic speed up the checks after errors (never mark a
# node down on their own: a request that makes a 5xx must not take a node out); after coming
# up, a node's share of traffic ramps up over the slowstart time.
haproxy_server_opts() {
    printf 'check inter 1s fastinter 500ms downinter 1s fall 3 rise 2 maxconn 512'
    printf ' observe layer7 error-limit 5 on-error fastinter slowstart %s' "$NODE_SLOWSTART"
}
haproxy_server_lines() {
    local n sep=''
    while read -r n; do
        printf '%s    server %s %s:%s %s' "$sep" "$n" "$(node_addr "$n")" "$(node_port "$n")" \
            "$(haproxy_server_opts)"
        sep=$'\n'
    done < <(web_nodes)
}
# haproxy_server_field NODE FIELD: one column of `show stat` for be_web/NODE (by the header).
haproxy_server_field() {
    haproxy_stat | awk -F, -v n="$1" -v f="$2" '
        NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
        $1 == "be_web" && $2 == n { print $(col[f]); exit }'
}
haproxy_server_up() { [[ $(haproxy_server_field "$1" status) == UP ]]; }
haproxy_has_server() { [[ -n $(haproxy_server_field "$1" status) ]]; }
# node_idle NODE: HAProxy has no request in flight or queued for it.
node_idle() {
    local s
    s=$(haproxy_stat | awk -F, -v n="$1" '
        NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
        $1 == "be_web" && $2 == n { print $(col["scur"]) + $(col["qcur"]); exit }')
    [[ -z $s || $s == 0 ]]
}
# node_drain NODE: no new requests; waits (NODE_DRAIN_TIMEOUT s) until those in flight are done.
node_drain() {
    local n=$1
    haproxy_has_server "$n" || return 0
    haproxy_api "set server be_web/$n state drain" >/dev/null
    wait_for "$NODE_DRAIN_TIMEOUT" node_idle "$n" ||
        warn "$n still had requests in flight after ${NODE_DRAIN_TIMEOUT}s of draining"
    haproxy_api "set server be_web/$n state maint" >/dev/null
}
# node_admit NODE: back into rotation once HAProxy's own checks see it UP (slowstart ramps it).
node_admit() {
    local n=$1
    haproxy_api "set server be_web/$n state ready" >/dev/null
    if ! wait_for 30 haproxy_server_up "$n"; then
        die "$n is not UP in haproxy after 30 s (status: $(haproxy_server_field "$n" status)," \
            "last check: $(haproxy_server_field "$n" check_status))"
    fi
}

# ---------------------------------------------------------------------------------------------
# Starting and stopping one node
# ---------------------------------------------------------------------------------------------
node_start() { # NODE: stampede-web, then nginx (which waits until /readyz answers 200)
    start_web "$1"
    [[ $BENCH == 1 ]] && start_hello "hello${1#web}"
    start_nginx "nginx${1#web}"
}
node_stop() { # NODE: nginx finishes what it has (QUIT), stampede-web drains and exits (TERM)
    local n=$1
    stop_group QUIT 30 "nginx${n#web}"
    stop_group TERM 30 "$n"
    [[ -e $RUN/hello${n#web}.pid ]] && stop_group KILL 10 "hello${n#web}"
    ((${#STOP_FAILED[@]} == 0)) || die "$n did not stop: ${STOP_FAILED[*]}"
}

# The next free name and port for an added node. Ports come from the stack's node range
# (NODE_PORTS: the rest of the port block, or 8083..8099), skipping any that is in use.
node_next_name() {
    local i=$((N_WEB + 1))
    while [[ -e $NODES_DIR/web$i.env ]]; do i=$((i + 1)); done
    printf 'web%d' "$i"
}
node_free_port() {
    local p n used=" ${NGINX_PORTS[*]} "
    while read -r n; do used+="$(node_port "$n") "; done < <(web_nodes)
    for p in "${NODE_PORTS[@]}"; do
        [[ $used == *" $p "* ]] && continue
        port_listening "$p" && continue
        printf '%s' "$p"
        return 0
    done
    return 1
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------
node_add() { # [--reason TEXT] [--addr A] [--netns NS] [--port P]
    local reason='' addr='' netns='' port='' name
    while (($#)); do
        case $1 in
        --reason) reason=${2:-} && shift 2 ;;
        --addr) addr=${2:-} && shift 2 ;;
        --netns) netns=${2:-} && shift 2 ;;
        --port) port=${2:-} && shift 2 ;;
        *) die "node add: unknown argument '$1'" "usage: ./stampede node add [--reason TEXT] [--addr ADDRESS --netns NAMESPACE] [--port PORT]" ;;
        esac
    done
    [[ -z $addr || $addr =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "node add: --addr '$addr' is not an IPv4 address"
    [[ -z $netns ]] || ip netns list | grep -q "^$netns\b" || die "node add: no network namespace '$netns'"
    comp_pid haproxy >/dev/null || die "haproxy does not run: start the stack first (./stampede up)"
    mkdir -p "$NODES_DIR"
    name=$(node_next_name)
    if [[ -z $port ]]; then
        port=$(node_free_port) || die "node add: no free port left in the node range (${NODE_PORTS[*]})"
    fi
    is_uint "$port" && ((port >= 1 && port <= 65535)) || die "node add: --port '$port' is not a port"
    say "==> adding $name on ${addr:-127.0.0.1}:$port${netns:+ (network namespace $netns)}${reason:+: $reason}"
    printf 'PORT=%s\nADDR=%s\nNETNS=%s\nADDED=%s\n' "$port" "${addr:-127.0.0.1}" "$netns" \
        "$(date -u +%FT%TZ)" >"$NODES_DIR/$name.env"
    node_start "$name"
    # in maintenance first: HAProxy takes it into rotation only after its own checks pass
    step "adding $name to haproxy (slowstart $NODE_SLOWSTART)"
    haproxy_api "add server be_web/$name $(node_addr "$name"):$port $(haproxy_server_opts) disabled" >/dev/null ||
        die "haproxy refused the new server $name"
    haproxy_api "enable health be_web/$name" >/dev/null
    node_admit "$name"
    ok "UP"
    printf '%s\n' "$name"
}

node_remove() { # [NAME] [--reason TEXT]
    local reason='' name=''
    while (($#)); do
        case $1 in
        --reason) reason=${2:-} && shift 2 ;;
        -*) die "node remove: unknown option '$1'" ;;
        *) name=$1 && shift ;;
        esac
    done
    if [[ -z $name ]]; then
        name=$(web_nodes | while read -r n; do node_is_added "$n" && printf '%s\n' "$n"; done | tail -n 1)
        [[ -n $name ]] || die "node remove: no added node to remove (the stack's own nodes stay; name one to remove it)"
    fi
    web_nodes | grep -qx "$name" || die "node remove: no node '$name' (./stampede node list)"
    (($(web_nodes | wc -l) > 1)) || die "node remove: $name is the last web node"
    if ! node_is_added "$name"; then
        local others=0 n
        while read -r n; do [[ $n != "$name" ]] && haproxy_server_up "$n" && others=$((others + 1)); done < <(web_nodes)
        ((others > 0)) || die "node remove: no other node is UP to take $name's traffic"
    fi
    say "==> removing $name${reason:+: $reason}"
    step "draining $name in haproxy (in-flight requests finish)"
    node_drain "$name"
    ok
    node_stop "$name"
    if haproxy_has_server "$name"; then
        step "deleting $name from haproxy"
        # possible once it holds no connection, idle ones included
        wait_for 10 haproxy_api "del server be_web/$name" >/dev/null ||
            die "haproxy did not let $name go: $(haproxy_api "del server be_web/$name" 2>&1 || true)"
        ok
    fi
    rm -f "$ETC/prometheus-sd/web-$name.json"
    if node_is_added "$name"; then
        rm -f "$NODES_DIR/$name.env" "$ETC/nginx${name#web}.conf"
    else
        warn "$name is one of the stack's own nodes: './stampede up' starts it again"
    fi
    printf '%s\n' "$name"
}

node_list() {
    local n pid state
    printf '%-8s %-22s %-8s %-10s %s\n' NODE ADDRESS APP HAPROXY NETNS
    while read -r n; do
        state=down
        pid=$(comp_pid "$n") && pid=$(comp_pid "nginx${n#web}") && state=up
        printf '%-8s %-22s %-8s %-10s %s\n' "$n" "$(node_addr "$n"):$(node_port "$n")" "$state" \
            "$(haproxy_server_field "$n" status || true)" "$(node_netns "$n")"
    done < <(web_nodes)
}

cmd_node() {
    load_stack_env
    local sub=${1:-list}
    (($#)) && shift
    case $sub in
    add) take_lock && node_add "$@" ;;
    remove | rm) take_lock && node_remove "$@" ;;
    list | ls) node_list ;;
    restart)
        [[ -n ${1:-} ]] && web_nodes | grep -qx "$1" || die "usage: ./stampede node restart NAME (./stampede node list)"
        take_lock && node_restart "$1"
        ;;
    *) die "unknown node command '$sub'" "usage: ./stampede node add|remove [NAME]|restart NAME|list" ;;
    esac
}

# ./stampede deploy: build, publish the static assets, rewrite the configuration, then restart
# every web node in turn (drain, stop, start, wait for /readyz and HAProxy's checks, slowstart)
# while the others serve. No request is dropped (tests/integration/test_elastic.c).
cmd_deploy() {
    local cdn=${STAMPEDE_CDN:-}
    load_stack_env
    # a deploy may switch the CDN edge off (the fallback when it is down) or on again
    # shellcheck disable=SC2034 # read by write_web_conf (cdn.sh)
    [[ -z $cdn ]] || CDN=$cdn
    validate_settings
    take_lock
    comp_pid haproxy >/dev/null || die "haproxy does not run: start the stack first (./stampede up)"
    local t0 n
    t0=$(now_us)
    do_build
    publish_static
    write_web_conf
    stack_env_text >"$ETC/stack.env"
    local -a nodes
    mapfile -t nodes < <(web_nodes)
    for n in "${nodes[@]}"; do
        node_restart "$n"
        # the next node leaves only once this one takes its full share again
        if [[ $n != "${nodes[-1]}" ]]; then
            step "waiting for $n's slowstart ($NODE_SLOWSTART)"
            sleep "${NODE_SLOWSTART%s}"
            ok
        fi
    done
    say "==> deployed: every web node restarted ($(fmt_secs $(($(now_us) - t0))))"
}

# node_restart NODE: drained, stopped, started, back into rotation; the others serve meanwhile.
node_restart() {
    local n=$1
    say "==> restarting $n"
    step "draining $n in haproxy"
    node_drain "$n"
    ok
    node_stop "$n"
    node_start "$n"
    step "back into rotation: $n (slowstart $NODE_SLOWSTART)"
    node_admit "$n"
    ok UP
}

# ./stampede reload haproxy: a new configuration without a refused connection. HAProxy runs in
# master-worker mode; on SIGUSR2 the master starts new workers that take the listening sockets
# over from the old ones (expose-fd listeners), and the old ones finish their connections.
# Server states (drained, in maintenance) carry over through the server-state file.
haproxy_worker_pid() { haproxy_api 'show info' 2>/dev/null | sed -n 's/^Pid: //p'; }
haproxy_reload() {
    local pid old cfg=$ETC/haproxy.cfg out
    pid=$(comp_pid haproxy) || die "haproxy does not run"
    old=$(haproxy_worker_pid)
    render_haproxy_cfg
    out=$(haproxy -c -q -f "$cfg" 2>&1) || die "haproxy rejects $cfg (the running one is kept):" "$out"
    step "reloading haproxy (pid $pid, seamless)"
    haproxy_api 'show servers state' >"$RUN/haproxy.state.tmp" && mv -f "$RUN/haproxy.state.tmp" "$RUN/haproxy.state"
    kill -USR2 "$pid"
    local new=''
    wait_for 15 eval 'new=$(haproxy_worker_pid); [[ -n $new && $new != "$old" ]]' ||
        die "haproxy did not start a new worker within 15 s (see $LOG/haproxy.log)"
    ok "worker $old -> $new"
}
cmd_reload() {
    load_stack_env
    case ${1:-} in
    haproxy) take_lock && haproxy_reload ;;
    *) die "usage: ./stampede reload haproxy" ;;
    esac
}
