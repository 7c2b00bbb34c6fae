# shellcheck shell=bash disable=SC2034 # the lists are used by stack.sh (up) and test.sh
# tools/stampede/packages.sh — the Debian packages for running, building and testing, and
# ensure_packages: dpkg-query checks them; apt-get installs the missing ones (as root only,
# skipped with STAMPEDE_NO_INSTALL=1), then warns about stock services apt may have started.

# ---------------------------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------------------------
# Packages for running and building (Debian 12). iproute2 provides ss (port owners).
RUNTIME_PACKAGES=(mariadb-server mariadb-client memcached libmemcached-tools nginx haproxy socat
    curl iproute2 libmicrohttpd12 libzxcvbn0 jq libjwt0 openssl
    prometheus prometheus-alertmanager prometheus-node-exporter prometheus-mysqld-exporter)
BUILD_PACKAGES=(build-essential cmake pkg-config libfcgi-dev libmariadb-dev libmemcached-dev
    libcjson-dev libsodium-dev libcurl4-openssl-dev liburiparser-dev libcmocka-dev clang
    libclang-rt-14-dev clang-format wrk libmicrohttpd-dev libzxcvbn-dev libssl-dev libjwt-dev)
TEST_PACKAGES=(chromium sysbench iproute2)

missing_packages() {
    local p st
    for p in "$@"; do
        st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || st=
        [[ $st == installed ]] || printf '%s\n' "$p"
    done
}
ensure_packages() { # ensure_packages PKG...
    if [[ ${STAMPEDE_NO_INSTALL:-} == 1 ]]; then
        step "checking Debian packages"
        step_end "skipped (STAMPEDE_NO_INSTALL=1)"
        return 0
    fi
    command -v dpkg-query >/dev/null ||
        die "dpkg-query not found: this script installs packages on Debian/Ubuntu only" \
            "install the packages yourself and set STAMPEDE_NO_INSTALL=1"
    step "checking Debian packages"
    local -a missing
    mapfile -t missing < <(missing_packages "$@")
    if ((${#missing[@]} == 0)); then
        ok "all ${#} installed"
        return 0
    fi
    step_end "missing: ${missing[*]}"
    [[ -n $IS_ROOT ]] ||
        die "packages missing and not running as root; install them with:" \
            "sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" \
            "or set STAMPEDE_NO_INSTALL=1 to skip this step"
    step "installing ${#missing[@]} package(s) with apt-get"
    local alog
    alog=$(mktemp "${TMPDIR:-/tmp}/stampede-apt.XXXXXX")
    if ! DEBIAN_FRONTEND=noninteractive apt-get update >"$alog" 2>&1 ||
        ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            "${missing[@]}" >>"$alog" 2>&1; then
        close_step
        show_log "$alog" 40
        die "apt-get failed (full log: $alog)"
    fi
    rm -f "$alog"
    ok
    mapfile -t missing < <(missing_packages "$@")
    ((${#missing[@]} == 0)) || die "still not installed after apt-get: ${missing[*]}"
    check_stock_services
}
# apt may start the distribution's own services (where policy-rc.d allows it).
check_stock_services() {
    local port line found=
    for port in 3306 80 11211 9090 9093 9100 9104; do
        line=$(ss -Hltnp "( sport = :$port )" 2>/dev/null | head -n 1) || true
        [[ -n $line ]] || continue
        found=1
        warn "port $port is in use after the install: $(port_owner "$port")" \
            "  apt probably started the stock service; this stack does not need it." \
            "  stop it with 'service mariadb stop' / 'service nginx stop' / 'service memcached stop' (or prometheus, prometheus-alertmanager, prometheus-node-exporter, prometheus-mysqld-exporter)"
    done
    [[ -z $found ]] || true
}
