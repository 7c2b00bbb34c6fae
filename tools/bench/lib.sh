# tools/bench/lib.sh — shared parts of the benches run by tools/bench.sh (sourced, not run).
# shellcheck shell=bash
#
#   b_*        output, settings, maths
#   bstack_*   a private bench stack: temporary data folder, free port block, STAMPEDE_BENCH=1
#   b_snapshot / b_cpu_split / b_wait_idle   CPU accounting from /proc (LIMITS.md's method)
#   b_wrk*     one wrk run with its CPU split, and the parsing of wrk's output
#   b_doc_*    machine description and the marked sections of docs/PERFORMANCE.md
#
# Expects ROOT (the repository) to be set by tools/bench.sh.

NCPU=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)

# ---------------------------------------------------------------------------------------------
# Output, settings, maths
# ---------------------------------------------------------------------------------------------
b_step() { printf '==> %s\n' "$*"; }
b_note() { printf '    %s\n' "$*"; }
b_die() { # b_die "first line" ["more lines"...]
    printf 'bench: error: %s\n' "$1" >&2
    shift
    local l
    for l in "$@"; do printf '       %s\n' "$l" >&2; done
    exit 1
}
# b_setting NAME DEFAULT MIN MAX: NAME=${NAME:-DEFAULT}, checked to be an integer in MIN..MAX.
b_setting() {
    local name=$1 def=$2 min=$3 max=$4 v
    v=${!name:-$def}
    [[ $v =~ ^[0-9]+$ ]] && ((10#$v >= min && 10#$v <= max)) ||
        b_die "$name=$v: must be a whole number from $min to $max"
    printf -v "$name" '%d' "$((10#$v))"
}
b_secs() { # seconds -> "3 min 25 s"
    local s=$1
    if ((s >= 60)); then printf '%d min %d s' $((s / 60)) $((s % 60)); else printf '%d s' "$s"; fi
}
# b_median NUMBERS...: the median (mean of the middle two for an even count); "" for none.
b_median() {
    (($#)) || return 0
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) printf "%.6g\n", v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
b_fmt_rps() { awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%.1fk", v / 1000; else printf "%.0f", v }'; }

# Idle-machine rule of LIMITS.md: a run counts only if processes that are not part of the test
# used at most BENCH_IDLE_MAX % of one core during it. Before each run wait up to
# BENCH_IDLE_WAIT s for that; a noisy run is repeated up to BENCH_RETRIES times.
b_common_settings() {
    b_setting BENCH_IDLE_MAX 5 0 200
    b_setting BENCH_IDLE_WAIT 60 0 3600
    b_setting BENCH_RETRIES 2 0 10
}

# ---------------------------------------------------------------------------------------------
# The private bench stack (never the developer's: own data folder, own ports)
# ---------------------------------------------------------------------------------------------
BSTACK_DATA=
BSTACK_BASE=
BSTACK_URL=
BSTACK_LOGS= # where bstack_down copies the stack's logs

b_ports_free() { # BASE: base..base+39 are free on loopback
    local listening
    listening=$(ss -Htln 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }') || return 1
    awk -v b="$1" '$1 >= b && $1 <= b + 39 { f = 1 } END { exit f }' <<<"$listening"
}
b_free_port_base() {
    local b i
    if [[ -n ${BENCH_PORT_BASE:-} ]]; then
        b_ports_free "$BENCH_PORT_BASE" || b_die "BENCH_PORT_BASE=$BENCH_PORT_BASE: a port of base..base+39 is in use"
        printf '%s\n' "$BENCH_PORT_BASE"
        return 0
    fi
    # Below Linux's ephemeral range (32768..60999): a port there can be taken at any moment by
    # the outgoing connection of some client, ours included.
    for ((i = 0; i < 100; i++)); do
        b=$(((RANDOM % 250) * 50 + 20000))
        if b_ports_free "$b"; then
            printf '%s\n' "$b"
            return 0
        fi
    done
    b_die "no free block of 40 loopback ports found in 20000..32489"
}

# bstack_up LOGDIR: starts the stack with STAMPEDE_BENCH=1; `./stampede up` builds Release if
# needed (STAMPEDE_NO_BUILD=1 skips that). Sets BSTACK_DATA, BSTACK_BASE, BSTACK_URL.
bstack_up() {
    local logdir=$1 t0=$SECONDS attempt
    unset STAMPEDE_HTTP_PORT STAMPEDE_NGINX_PORTS STAMPEDE_DB_PORTS STAMPEDE_MC_PORTS
    export STAMPEDE_BENCH=1
    # The shop alone on the two cores: Prometheus (scrapes every 5 s, rules), its exporters,
    # Alertmanager and the autoscaler would take their share in the middle of a measurement.
    # STAMPEDE_MONITORING=on / STAMPEDE_AUTOSCALE=on measure with them.
    export STAMPEDE_MONITORING=${STAMPEDE_MONITORING:-off}
    export STAMPEDE_AUTOSCALE=${STAMPEDE_AUTOSCALE:-off}
    # the load generators run here: not limited per address
    export STAMPEDE_RATE_LIMIT_EXEMPT=${STAMPEDE_RATE_LIMIT_EXEMPT:-127.0.0.1}
    export STAMPEDE_BUILD_DIR=${STAMPEDE_BUILD_DIR:-$ROOT/build/release}
    # The catalog is tiny: a smaller buffer pool and redo log start faster and change nothing
    # for reads (set them to measure the production sizes).
    export STAMPEDE_DB_BUFFER_POOL=${STAMPEDE_DB_BUFFER_POOL:-128M}
    export STAMPEDE_DB_REDO_LOG_SIZE=${STAMPEDE_DB_REDO_LOG_SIZE:-48M}
    # A port found free can be taken before our servers bind it: try up to three port blocks.
    for attempt in 1 2 3; do
        BSTACK_BASE=$(b_free_port_base)
        BSTACK_DATA=$(mktemp -d "${TMPDIR:-/tmp}/stampede-bench.XXXXXX")
        chmod 755 "$BSTACK_DATA"
        BSTACK_LOGS=$logdir/stack-logs
        BSTACK_URL=http://127.0.0.1:$BSTACK_BASE
        export STAMPEDE_DATA=$BSTACK_DATA STAMPEDE_PORT_BASE=$BSTACK_BASE
        b_step "starting a private bench stack: data $BSTACK_DATA, ports $BSTACK_BASE..$((BSTACK_BASE + 39)), build $STAMPEDE_BUILD_DIR"
        if "$ROOT/stampede" up >"$logdir/stack-up.log" 2>&1; then
            b_note "up in $(b_secs $((SECONDS - t0))) (log: $logdir/stack-up.log)"
            return 0
        fi
        tail -n 5 "$logdir/stack-up.log" >&2
        bstack_down
        [[ -z ${BENCH_PORT_BASE:-} ]] || break
        b_note "start failed (attempt $attempt); trying other ports"
    done
    b_die "./stampede up of the bench stack failed (log: $logdir/stack-up.log)"
}

# bstack_down: stops the stack and deletes its data folder (keeps a copy of its logs).
bstack_down() {
    [[ -n $BSTACK_DATA && -d $BSTACK_DATA ]] || return 0
    local d=$BSTACK_DATA
    BSTACK_DATA=
    b_step "stopping and deleting the bench stack $d"
    if [[ -n $BSTACK_LOGS && -d $d/log ]]; then
        mkdir -p "$BSTACK_LOGS"
        cp -r "$d/log/." "$BSTACK_LOGS/" 2>/dev/null || true
    fi
    if STAMPEDE_DATA=$d "$ROOT/stampede" reset >"$BSTACK_LOGS/../stack-down.log" 2>&1; then
        b_note "done"
    else
        tail -n 20 "$BSTACK_LOGS/../stack-down.log" >&2
        printf 'bench: warning: could not stop/delete %s; see the lines above\n' "$d" >&2
    fi
}

# bstack_roots: "pid group" for the stack's processes (their children are found by b_cpu_split).
bstack_roots() {
    local f base g pid
    for f in "$BSTACK_DATA"/run/*.pid; do
        [[ -r $f ]] || continue
        base=${f##*/}
        case $base in
        haproxy.pid) g=haproxy ;;
        nginx*.pid) g=nginx ;;
        web*-app.pid) g=stampede-web ;;
        hello*.pid) g=hello ;;
        mariadb-*.pid) g=mariadb ;;
        memcached*.pid) g=memcached ;;
        psp.pid) g=stampede-psp ;;
        batch.pid) g=stampede-batch ;;
        dbproxy.pid) g=dbproxy ;;
        *) continue ;;
        esac
        pid=$(head -n 1 "$f" | tr -dc 0-9)
        [[ -n $pid ]] && printf '%s %s\n' "$pid" "$g"
    done
    return 0
}

# ---------------------------------------------------------------------------------------------
# CPU accounting (LIMITS.md: utime+stime of all threads and child processes, from /proc)
# ---------------------------------------------------------------------------------------------
# b_snapshot FILE: "CPU total idle+iowait softirq" from /proc/stat, then one line per process:
# "pid ppid ticks comm" with ticks = utime+stime+cutime+cstime.
b_snapshot() {
    {
        awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print "CPU", t, $5 + $6, $8; exit }' /proc/stat
        cat /proc/[0-9]*/stat 2>/dev/null | awk '{
            line = $0; o = index(line, "("); pos = 0; rest = line
            while ((k = index(rest, ") ")) > 0) { pos += k; rest = substr(rest, k + 1) }
            if (!o || !pos) next
            comm = substr(line, o + 1, pos - o - 1); gsub(/[ \t]/, "_", comm)
            split(substr(line, pos + 2), f, " ")
            print $1, f[2], f[12] + f[13] + f[14] + f[15], comm
        }'
    } >"$1"
}

# b_cpu_split ROOTS START END: CPU use between two snapshots in % of one core (100 = one core,
# the machine has NCPU*100). A process belongs to the group of its nearest ancestor listed in
# ROOTS ("pid group"), kernel threads to "kernel", everything else to "other". Prints
# "key value" lines: each group, idle, softirq, secs, and top_other (the three busiest others).
b_cpu_split() {
    awk -v ncpu="$NCPU" '
        FNR == 1 { f++ }
        f == 1 { root[$1] = $2; next }
        f == 2 { if ($1 == "CPU") { t0 = $2; i0 = $3; s0 = $4 } else st[$1] = $3; next }
        f == 3 { if ($1 == "CPU") { t1 = $2; i1 = $3; s1 = $4 } else { pp[$1] = $2; tk[$1] = $3; cm[$1] = $4 }; next }
        END {
            el = (t1 - t0) / ncpu
            if (el <= 0) el = 1
            for (p in tk) {
                d = tk[p] - ((p in st) ? st[p] : 0)
                if (d <= 0) continue
                g = ""; q = p
                for (n = 0; n < 64 && q != "" && q > 0; n++) {
                    if (q in root) { g = root[q]; break }
                    if (q == 2 || pp[q] == 2) { g = "kernel"; break }
                    q = pp[q]
                }
                if (g == "") { g = "other"; od[p] = d }
                sum[g] += d
            }
            for (g in sum) printf "%s %.1f\n", g, sum[g] * 100 / el
            if (!("other" in sum)) print "other 0.0"
            printf "idle %.1f\nsoftirq %.1f\nsecs %.2f\n", (i1 - i0) * 100 / el, (s1 - s0) * 100 / el, el / 100
            top = ""
            for (k = 0; k < 3; k++) {
                best = ""; bv = 0
                for (p in od) if (od[p] > bv) { bv = od[p]; best = p }
                if (best == "") break
                top = top (top == "" ? "" : ",") cm[best] "(" best "):" sprintf("%.0f", bv * 100 / el)
                delete od[best]
            }
            print "top_other", (top == "" ? "-" : top)
        }' "$1" "$2" "$3"
}
b_split_get() { # SPLIT KEY -> value (0 if absent)
    awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' <<<"$1"
}

# b_wait_idle WORKDIR: waits (up to BENCH_IDLE_WAIT s) until processes outside the bench stack
# use at most BENCH_IDLE_MAX % of one core over 1 s. Sets B_IDLE_OTHER, B_IDLE_TOP and
# B_IDLE_WAITED; returns 1 if the machine stayed busy.
b_wait_idle() {
    local w=$1 t0=$SECONDS split last_msg=-100
    while :; do
        {
            bstack_roots
            printf '%s harness\n' "$$"
        } >"$w/idle.roots"
        b_snapshot "$w/idle.a"
        sleep 1
        b_snapshot "$w/idle.b"
        split=$(b_cpu_split "$w/idle.roots" "$w/idle.a" "$w/idle.b")
        B_IDLE_OTHER=$(b_split_get "$split" other)
        B_IDLE_TOP=$(b_split_get "$split" top_other)
        B_IDLE_WAITED=$((SECONDS - t0))
        rm -f "$w/idle.roots" "$w/idle.a" "$w/idle.b"
        awk -v o="$B_IDLE_OTHER" -v m="$BENCH_IDLE_MAX" 'BEGIN { exit !(o <= m) }' && return 0
        ((B_IDLE_WAITED >= BENCH_IDLE_WAIT)) && return 1
        if ((SECONDS - last_msg >= 10)); then
            b_note "machine busy: other processes use ${B_IDLE_OTHER}% of a core (${B_IDLE_TOP}); waiting (up to ${BENCH_IDLE_WAIT}s)"
            last_msg=$SECONDS
        fi
    done
}

# ---------------------------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------------------------
# b_wrk_parse FILE -> "rps p99_ms requests non2xx socket_errors timeouts" (p99 in ms).
b_wrk_parse() {
    awk '
        function ms(s,   v, u) {
            v = s + 0; u = s; sub(/^[0-9.]+/, "", u)
            if (u == "us") return v / 1000
            if (u == "ms") return v
            if (u == "s") return v * 1000
            if (u == "m") return v * 60000
            if (u == "h") return v * 3600000
            return -1
        }
        /^Requests\/sec:/ { rps = $2 }
        /^[ \t]+99(\.0+)?%/ { p99 = ms($2) }
        / requests in / { req = $1 }
        /Socket errors:/ { gsub(/,/, ""); se = $4 + $6 + $8; to = $10 }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        END {
            if (rps == "" || p99 == "") { print "parse-error"; exit 1 }
            printf "%s %.3f %d %d %d %d\n", rps, p99, req, bad + 0, se + 0, to + 0
        }' "$1"
}

# b_wrk_measure ROOTS OUTPREFIX WRK-ARGS...: runs wrk with a CPU snapshot just before and just
# after, both taken in a wrapper process whose children are only wrk (so wrk's time is in its
# cutime once reaped). Writes OUTPREFIX.txt (wrk's output) and OUTPREFIX.cpu (the split).
b_wrk_measure() {
    local roots=$1 out=$2
    shift 2
    (
        printf '%s wrk\n' "$BASHPID" >>"$roots"
        b_snapshot "$out.s0"
        rc=0
        wrk "$@" >"$out.txt" 2>&1 || rc=$?
        b_snapshot "$out.s1"
        exit "$rc"
    ) || return 1
    b_cpu_split "$roots" "$out.s0" "$out.s1" >"$out.cpu"
    rm -f "$out.s0" "$out.s1"
}

# b_cpu_text SPLIT [GROUPS...]: "haproxy 47, nginx 60, ..., idle 24 (softirq 27 incl.)"
b_cpu_text() {
    local split=$1 g v t=''
    shift
    for g in "$@"; do
        v=$(b_split_get "$split" "$g")
        awk -v v="$v" 'BEGIN { exit !(v >= 0.5) }' || continue
        t+="${t:+, }$g $(printf '%.0f' "$v")"
    done
    printf '%s, idle %.0f (softirq %.0f incl.)' "$t" "$(b_split_get "$split" idle)" \
        "$(b_split_get "$split" softirq)"
}

# ---------------------------------------------------------------------------------------------
# Machine and versions, docs/PERFORMANCE.md sections
# ---------------------------------------------------------------------------------------------
b_machine() {
    local model mem os
    model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    os=$(. /etc/os-release 2>/dev/null && printf '%s' "${PRETTY_NAME:-}") || os=
    printf '%s vCPU "%s", %s RAM, kernel %s%s' "$(nproc)" "${model:-unknown CPU}" "$mem" \
        "$(uname -r)" "${os:+, $os}"
}
b_versions() {
    local v=() s
    s=$(nginx -v 2>&1 | sed -n 's#.*nginx/\([0-9.]*\).*#\1#p') && [[ -n $s ]] && v+=("nginx $s")
    s=$(haproxy -v 2>/dev/null | sed -n '1s/.*version \([0-9.]*\).*/\1/p') && [[ -n $s ]] && v+=("HAProxy $s")
    s=$(mariadbd --version 2>/dev/null | grep -o '[0-9]*\.[0-9]*\.[0-9]*-MariaDB' | head -n 1) &&
        [[ -n $s ]] && v+=("MariaDB ${s%-MariaDB}")
    s=$(memcached -V 2>/dev/null | awk '{ print $2 }') && [[ -n $s ]] && v+=("memcached $s")
    s=$(dpkg-query -W -f='${Version}' libfcgi0ldbl 2>/dev/null | sed 's/-.*//') && [[ -n $s ]] && v+=("libfcgi $s")
    s=$({ wrk -v 2>&1 || true; } | sed -n '1s/^wrk \([^ ]*\).*/\1/p' | sed 's#^debian/##; s/-.*//') &&
        [[ -n $s ]] && v+=("wrk $s")
    local IFS=,
    printf '%s' "${v[*]}" | sed 's/,/, /g'
}
b_git() { # "abc123def456", or with " + uncommitted changes to FILES"
    local c
    c=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null) || {
        printf 'unknown (not a git checkout)'
        return 0
    }
    local -a changed
    mapfile -t changed < <(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | cut -c4-)
    if ((${#changed[@]} > 0 && ${#changed[@]} <= 6)); then
        c+=" + uncommitted changes to $(printf '%s, ' "${changed[@]}")"
        c=${c%, }
    elif ((${#changed[@]})); then
        c+=" + uncommitted changes to ${#changed[@]} files"
    fi
    printf '%s' "$c"
}

# b_doc_section DOC NAME CONTENTFILE: replaces the text between <!-- bench:NAME:start --> and
# <!-- bench:NAME:end --> in DOC (appends the section if the markers are missing; creates DOC
# with a short header if it does not exist). Everything else in DOC is kept.
b_doc_section() {
    local doc=$1 name=$2 content=$3 start end
    start="<!-- bench:$name:start -->"
    end="<!-- bench:$name:end -->"
    if [[ ! -e $doc ]]; then
        mkdir -p "$(dirname "$doc")"
        cat >"$doc" <<'EOF'
# Performance

Benchmarks, not tests: `./stampede bench NAME` (tools/bench.sh) starts a private stack, measures,
stops it, and rewrites its own section of this file (between the `bench:NAME` markers; the rest of
the file is kept). Speed figures are ratios to a baseline measured in the same run; absolute
numbers hold only for the machine named in each section. Tests never assert timings.
EOF
    fi
    if grep -qF -- "$start" "$doc" && grep -qF -- "$end" "$doc"; then
        awk -v s="$start" -v e="$end" -v f="$content" '
            $0 == s { print; while ((getline l < f) > 0) print l; skip = 1; next }
            $0 == e { skip = 0 }
            !skip { print }' "$doc" >"$doc.tmp.$$"
    else
        {
            cat "$doc"
            printf '\n%s\n' "$start"
            cat "$content"
            printf '%s\n' "$end"
        } >"$doc.tmp.$$"
    fi
    mv -f "$doc.tmp.$$" "$doc"
}
