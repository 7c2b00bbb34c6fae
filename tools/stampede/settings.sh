# shellcheck shell=bash disable=SC2034 # the settings are used by the files sourced after this one
# tools/stampede/settings.sh — sourced by ./stampede after common.sh. Reads every setting from
# the environment (STAMPEDE_DATA and the paths under it, STAMPEDE_BUILD_DIR, web processes and
# threads, MariaDB and memcached sizes, the rate limit, the ports or STAMPEDE_PORT_BASE) and
# changes to the repository directory. This runs when the file is sourced, so a malformed port
# setting stops ./stampede before any command. Also: validate_settings (the rest of the checks,
# run by up and migrate) and the ports a stack was started with (etc/stack.env).

# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

DATA=$(realpath -m -- "${STAMPEDE_DATA:-$ROOT/var}")
BUILD=$(realpath -m -- "${STAMPEDE_BUILD_DIR:-$ROOT/build/release}")
# shellcheck disable=SC2164 # ./stampede runs with set -e and the ERR trap
cd "$ROOT"

ETC=$DATA/etc
RUN=$DATA/run
LOG=$DATA/log
TMP=$DATA/tmp
WWW=$DATA/www
MARKER=$DATA/.stampede-data

WEB_PROCESSES=${STAMPEDE_WEB_PROCESSES:-2}
WEB_THREADS=${STAMPEDE_WEB_THREADS:-8}
# Bench mode (tools/bench.sh): each web node also gets a stampede-hello pool, served by nginx at
# /__bench/hello. Never set for a real stack.
BENCH=${STAMPEDE_BENCH:-}
DB_BUFFER_POOL=${STAMPEDE_DB_BUFFER_POOL:-512M}
DB_REDO_LOG_SIZE=${STAMPEDE_DB_REDO_LOG_SIZE:-256M}
MC_MEMORY_MB=${STAMPEDE_MC_MEMORY:-128}
# Per client address at HAProxy: requests per 10 s (0: no limit), and addresses or networks
# that are never limited (load generators, monitoring), separated by spaces or commas.
RATE_LIMIT=${STAMPEDE_RATE_LIMIT:-1000}
RATE_LIMIT_EXEMPT=${STAMPEDE_RATE_LIMIT_EXEMPT:-}
# The monitoring stack (Prometheus, Alertmanager, node and mysqld exporters; tools/stampede/
# monitoring.sh): on by default, STAMPEDE_MONITORING=off leaves it out.
MONITORING=${STAMPEDE_MONITORING:-on}
# The address other hosts reach this host's shared services on (the database proxy,
# memcached, the web nodes): with another address than 127.0.0.1 they listen on it as well as
# on loopback, and the configuration names it, so a web node on another host can join
# (docs/OPERATIONS.md, "Several hosts"). HAProxy's public port stays on 127.0.0.1.
SERVICE_ADDR=${STAMPEDE_SERVICE_ADDRESS:-127.0.0.1}
# The CDN edge in front of the static origin (tools/stampede/cdn.sh): on by default,
# STAMPEDE_CDN=off has each web node's nginx serve /static/ itself (the fallback).
CDN=${STAMPEDE_CDN:-on}

IGNORED_PORT_VARS=()
parse_ports() { # NAME VALUE ARRAY: the ports of VALUE (spaces or commas) into ARRAY
    local name=$1 p
    local -n into=$3
    local -a list
    read -ra list <<<"${2//,/ }"
    into=()
    for p in "${list[@]}"; do
        is_uint "$p" && ((10#$p >= 1 && 10#$p <= 65535)) ||
            die "$name: '$p' is not a TCP port (1-65535)"
        into+=("$((10#$p))")
    done
}
if [[ -n ${STAMPEDE_PORT_BASE:-} ]]; then
    b=$STAMPEDE_PORT_BASE
    is_uint "$b" && ((b >= 1024 && b + 39 <= 65535)) ||
        die "STAMPEDE_PORT_BASE=$b: must be a number from 1024 to 65496 (it uses base..base+39)"
    b=$((10#$b))
    HTTP_PORT=$b
    NGINX_PORTS=($((b + 1)) $((b + 2)))
    # the ports of nodes added at run time (./stampede node add)
    mapfile -t NODE_PORTS < <(seq $((b + 3)) $((b + 9)))
    DB_PORTS=($((b + 10)) $((b + 11)))
    MC_PORTS=($((b + 20)) $((b + 21)))
    PSP_PORT=$((b + 30))
    DBPROXY_PORTS=($((b + 12)) $((b + 13)))
    # prometheus alertmanager node-exporter mysqld-exporter(primary replica) haproxy-metrics
    MON_PORTS=($((b + 33)) $((b + 34)) $((b + 35)) $((b + 36)) $((b + 37)) $((b + 38)))
    CDN_PORTS=($((b + 31)) $((b + 32))) # edge origin
    for v in STAMPEDE_HTTP_PORT STAMPEDE_NGINX_PORTS STAMPEDE_DB_PORTS STAMPEDE_MC_PORTS \
        STAMPEDE_PSP_PORT STAMPEDE_DBPROXY_PORTS STAMPEDE_MON_PORTS STAMPEDE_CDN_PORTS; do
        [[ -n ${!v:-} ]] && IGNORED_PORT_VARS+=("$v")
    done
    unset b v
else
    HTTP_PORTS=()
    parse_ports STAMPEDE_HTTP_PORT "${STAMPEDE_HTTP_PORT:-8080}" HTTP_PORTS
    ((${#HTTP_PORTS[@]} == 1)) || die "STAMPEDE_HTTP_PORT: give exactly one port"
    HTTP_PORT=${HTTP_PORTS[0]}
    parse_ports STAMPEDE_NGINX_PORTS "${STAMPEDE_NGINX_PORTS:-8081 8082}" NGINX_PORTS
    # the ports of nodes added at run time (./stampede node add): the first free ones
    parse_ports STAMPEDE_NODE_PORTS "${STAMPEDE_NODE_PORTS:-$(seq -s ' ' 8083 8089)}" NODE_PORTS
    parse_ports STAMPEDE_DB_PORTS "${STAMPEDE_DB_PORTS:-3307 3308}" DB_PORTS
    parse_ports STAMPEDE_MC_PORTS "${STAMPEDE_MC_PORTS:-11211 11212}" MC_PORTS
    PSP_PORTS=()
    parse_ports STAMPEDE_PSP_PORT "${STAMPEDE_PSP_PORT:-8090}" PSP_PORTS
    ((${#PSP_PORTS[@]} == 1)) || die "STAMPEDE_PSP_PORT: give exactly one port"
    PSP_PORT=${PSP_PORTS[0]}
    # stampede-dbproxy: the MySQL port the shop uses, then its status port (/metrics, /status)
    parse_ports STAMPEDE_DBPROXY_PORTS "${STAMPEDE_DBPROXY_PORTS:-3309 3310}" DBPROXY_PORTS
    # prometheus alertmanager node-exporter mysqld-exporter(primary replica) haproxy-metrics
    parse_ports STAMPEDE_MON_PORTS "${STAMPEDE_MON_PORTS:-9090 9093 9100 9104 9105 8404}" MON_PORTS
    # the CDN edge, then the static origin behind it
    parse_ports STAMPEDE_CDN_PORTS "${STAMPEDE_CDN_PORTS:-8181 8182}" CDN_PORTS
fi

validate_settings() {
    ((${#NGINX_PORTS[@]} >= 1 && ${#NGINX_PORTS[@]} <= 9)) ||
        die "STAMPEDE_NGINX_PORTS: give 1 to 9 ports (one web node each), got '${NGINX_PORTS[*]}'"
    ((${#DB_PORTS[@]} == 2)) ||
        die "STAMPEDE_DB_PORTS: give exactly two ports (primary replica), got '${DB_PORTS[*]}'"
    ((${#MC_PORTS[@]} >= 1)) || die "STAMPEDE_MC_PORTS: give at least one port"
    ((${#DBPROXY_PORTS[@]} == 2)) ||
        die "STAMPEDE_DBPROXY_PORTS: give exactly two ports (proxy status), got '${DBPROXY_PORTS[*]}'"
    ((${#MON_PORTS[@]} == 6)) ||
        die "STAMPEDE_MON_PORTS: give six ports (prometheus alertmanager node-exporter" \
            "mysqld-exporter-primary mysqld-exporter-replica haproxy-metrics), got '${MON_PORTS[*]}'"
    [[ $SERVICE_ADDR =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] ||
        die "STAMPEDE_SERVICE_ADDRESS=$SERVICE_ADDR: an IPv4 address of this host"
    [[ $MONITORING == on || $MONITORING == off ]] ||
        die "STAMPEDE_MONITORING=$MONITORING: must be on or off"
    ((${#CDN_PORTS[@]} == 2)) ||
        die "STAMPEDE_CDN_PORTS: give exactly two ports (edge origin), got '${CDN_PORTS[*]}'"
    [[ $CDN == on || $CDN == off ]] || die "STAMPEDE_CDN=$CDN: must be on or off"
    local all dup
    all=$(printf '%s\n' "$HTTP_PORT" "${NGINX_PORTS[@]}" "${DB_PORTS[@]}" "${MC_PORTS[@]}" \
        "$PSP_PORT" "${DBPROXY_PORTS[@]}" "${MON_PORTS[@]}" "${CDN_PORTS[@]}")
    dup=$(sort -n <<<"$all" | uniq -d | tr '\n' ' ')
    [[ -z $dup ]] || die "port(s) ${dup% } used twice in the port settings"
    is_uint "$WEB_PROCESSES" && ((WEB_PROCESSES >= 1 && WEB_PROCESSES <= 64)) ||
        die "STAMPEDE_WEB_PROCESSES=$WEB_PROCESSES: must be 1..64"
    is_uint "$WEB_THREADS" && ((WEB_THREADS >= 1 && WEB_THREADS <= 256)) ||
        die "STAMPEDE_WEB_THREADS=$WEB_THREADS: must be 1..256"
    [[ -z $BENCH || $BENCH == [01] ]] || die "STAMPEDE_BENCH=$BENCH: must be 1 or unset"
    is_uint "$MC_MEMORY_MB" || die "STAMPEDE_MC_MEMORY=$MC_MEMORY_MB: megabytes, a number"
    is_uint "$RATE_LIMIT" || die "STAMPEDE_RATE_LIMIT=$RATE_LIMIT: requests per 10 s, a number (0: off)"
    local a
    for a in ${RATE_LIMIT_EXEMPT//,/ }; do
        [[ $a =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}(/[0-9]{1,2})?$ ]] ||
            die "STAMPEDE_RATE_LIMIT_EXEMPT: '$a' is not an IPv4 address or network"
    done
    [[ $DB_BUFFER_POOL =~ ^[0-9]+[KMG]?$ ]] || die "STAMPEDE_DB_BUFFER_POOL=$DB_BUFFER_POOL: e.g. 512M"
    [[ $DB_REDO_LOG_SIZE =~ ^[0-9]+[KMG]?$ ]] ||
        die "STAMPEDE_DB_REDO_LOG_SIZE=$DB_REDO_LOG_SIZE: e.g. 256M"
    local s
    for s in "$RUN/mariadb-primary.sock" "$RUN/haproxy.sock" "$RUN/web${#NGINX_PORTS[@]}-ops.sock"; do
        ((${#s} < 108)) ||
            die "STAMPEDE_DATA is too deep: unix socket path $s is ${#s} bytes (limit 107)" \
                "choose a shorter STAMPEDE_DATA"
    done
}

IS_ROOT=
[[ $EUID -eq 0 ]] && IS_ROOT=1
DB_ADMIN=$(id -un) # the OS account mariadb-install-db gives a unix_socket login (root as root)

N_WEB=${#NGINX_PORTS[@]}
N_MC=${#MC_PORTS[@]}

# The ports a running stack was started with (so status works without the same env).
load_stack_env() {
    local f=$ETC/stack.env k v
    [[ -r $f ]] || return 0
    while IFS='=' read -r k v; do
        case $k in
        HTTP_PORT) HTTP_PORT=$v ;;
        NGINX_PORTS) read -ra NGINX_PORTS <<<"$v" ;;
        DB_PORTS) read -ra DB_PORTS <<<"$v" ;;
        MC_PORTS) read -ra MC_PORTS <<<"$v" ;;
        PSP_PORT) PSP_PORT=$v ;;
        DBPROXY_PORTS) read -ra DBPROXY_PORTS <<<"$v" ;;
        MON_PORTS) read -ra MON_PORTS <<<"$v" ;;
        MONITORING) MONITORING=$v ;;
        NODE_PORTS) read -ra NODE_PORTS <<<"$v" ;;
        SERVICE_ADDR) SERVICE_ADDR=$v ;;
        CDN_PORTS) read -ra CDN_PORTS <<<"$v" ;;
        CDN) CDN=$v ;;
        esac
    done <"$f"
    N_WEB=${#NGINX_PORTS[@]}
    N_MC=${#MC_PORTS[@]}
}
stack_env_text() {
    printf 'HTTP_PORT=%s\nNGINX_PORTS=%s\nDB_PORTS=%s\nMC_PORTS=%s\nPSP_PORT=%s\nDBPROXY_PORTS=%s\n' \
        "$HTTP_PORT" "${NGINX_PORTS[*]}" "${DB_PORTS[*]}" "${MC_PORTS[*]}" "$PSP_PORT" \
        "${DBPROXY_PORTS[*]}"
    printf 'MON_PORTS=%s\nMONITORING=%s\n' "${MON_PORTS[*]}" "$MONITORING"
    printf 'NODE_PORTS=%s\nSERVICE_ADDR=%s\n' "${NODE_PORTS[*]}" "$SERVICE_ADDR"
    printf 'CDN_PORTS=%s\nCDN=%s\n' "${CDN_PORTS[*]}" "$CDN"
}
