# tools/bench/scale.sh — `./stampede bench scale` (sourced by tools/bench.sh).
# shellcheck shell=bash disable=SC2016  # backquotes in the Markdown are literal
# summary: a step in load through HAProxy: time until the autoscaler's new node serves, failures, throughput
#
# On a private stack (two web nodes, stampede-autoscale between 2 and BENCH_MAX nodes),
# stampede-loadgen (tools/bench/loadgen.c) first measures the hello baseline (stampede-hello
# behind the same HAProxy and nginx) at the low and the high load, with the autoscaler paused.
# Then it reads a product page through HAProxy: BENCH_LOW connections for BENCH_BEFORE seconds,
# then a step to BENCH_HIGH connections for BENCH_AFTER seconds, with the autoscaler on. HAProxy
# is watched every 250 ms. Reported: seconds from the step until the autoscaler's `node add`
# finished, the new node was UP in HAProxy, and it served its first request; failed requests (every non-2xx,
# refused, reset or timed-out one); pages/s before the step, just after it, and at the end
# with the new nodes; each beside hello at the same load.

bench_help() {
    cat <<'EOF2'
./stampede bench scale — a step in load and the autoscaler's answer, on a private stack.

settings (environment):
  BENCH_LOW=4          connections before the step
  BENCH_HIGH=48        connections after it
  BENCH_BEFORE=15      seconds before the step
  BENCH_AFTER=45       seconds after it
  BENCH_MAX=4          the autoscaler's maximum (its minimum is the stack's 2 nodes)
  BENCH_TARGET=5       its target: requests in flight + queued per node
  BENCH_REPEAT=2       runs (median)
  BENCH_IDLE_MAX=5     a run counts as clean if other processes used <= this % of one core
  BENCH_IDLE_WAIT=60   seconds to wait for such an idle machine before each run
  BENCH_PORT_BASE=B    ports of the bench stack (default: a free block in 20000..32489)
  BENCH_OUT=DIR        raw output (default build/bench/scale-<UTC time>)
  BENCH_DOC=FILE       where the results section goes (default docs/PERFORMANCE.md; none = nowhere)
EOF2
}

SC_OUT=
SC_T0=0
sc_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ -n ${SC_WATCH:-} ]] && kill "$SC_WATCH" 2>/dev/null
    bstack_down
    if [[ -n $SC_OUT ]]; then
        printf '==> bench scale finished in %s (exit %s); raw output in %s\n' \
            "$(b_secs $((SECONDS - SC_T0)))" "$rc" "$SC_OUT"
    fi
    exit "$rc"
}

sc_kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
sc_sql() {
    mariadb --no-defaults -S "$BSTACK_DATA/run/mariadb-primary.sock" -u"$(id -un)" -N -B stampede \
        -e "$1"
}
now_ms() { printf '%s' "$(($(date +%s%N) / 1000000))"; }

# sc_autoscale on|off: the autoscaler's switch in the stack's configuration, re-read on SIGHUP
sc_autoscale() {
    sed -i "s/^autoscale.enabled = .*/autoscale.enabled = $1/" "$BSTACK_DATA/etc/stampede.conf"
    kill -HUP "$(head -n 1 "$BSTACK_DATA/run/autoscale.pid")"
    sleep 1
}

# sc_watch FILE: every 250 ms, "ms name status stot" of every web server in HAProxy
sc_watch() {
    local out=$1
    while :; do
        echo "show stat" | socat -t 2 - "UNIX-CONNECT:$BSTACK_DATA/run/haproxy.sock" 2>/dev/null |
            awk -F, -v t="$(now_ms)" '
                NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) c[$i] = i; next }
                $1 == "be_web" && $2 != "BACKEND" { print t, $2, $(c["status"]), $(c["stot"]) }' >>"$out"
        sleep 0.25
    done
}

# sc_rps FILE FROM TO: mean pages/s of loadgen's report lines with FROM <= t < TO
sc_rps() {
    awk -v a="$2" -v b="$3" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
        v["t"] > a && v["t"] <= b { s += v["rps"]; n++ } END { printf "%.0f", n ? s / n : 0 }' "$1"
}

# sc_hello CONNS SECONDS -> pages/s of the hello baseline through HAProxy
sc_hello() {
    local line
    line=$("$LOADGEN" "$BSTACK_URL/__bench/hello" --conns "$1" --seconds "$2" 2>/dev/null)
    sc_kv "$line" rps
}

sc_run() { # RUN -> one line of key=value
    local r=$1
    local dir=$SC_OUT/run-$r page=$SC_PAGE
    mkdir -p "$dir"
    sc_autoscale off
    # the nodes added by the last run go first (the autoscaler is paused now)
    local n
    while read -r n; do
        [[ $n =~ ^web[0-9]+$ && $n != web1 && $n != web2 ]] &&
            "$ROOT/stampede" node remove "$n" >>"$dir/nodes.log" 2>&1
    done < <(echo "show stat" | socat -t 2 - "UNIX-CONNECT:$BSTACK_DATA/run/haproxy.sock" |
        awk -F, '$1 == "be_web" { print $2 }')
    local hello_low hello_high
    hello_low=$(sc_hello "$BENCH_LOW" 8)
    hello_high=$(sc_hello "$BENCH_HIGH" 8)
    sleep 12 # the autoscaler's window forgets the hello load
    local last
    last=$(sc_sql "SELECT COALESCE(MAX(id), 0) FROM autoscale_events")
    sc_autoscale on
    : >"$dir/watch.txt"
    sc_watch "$dir/watch.txt" &
    SC_WATCH=$!
    local t0 step_ms line
    t0=$(now_ms)
    step_ms=$((t0 + BENCH_BEFORE * 1000))
    line=$("$LOADGEN" "$BSTACK_URL$page" --steps "$BENCH_LOW:$BENCH_BEFORE,$BENCH_HIGH:$BENCH_AFTER" \
        --report-ms 1000 2>"$dir/loadgen.txt")
    kill "$SC_WATCH" 2>/dev/null
    wait "$SC_WATCH" 2>/dev/null || true
    SC_WATCH=
    printf '%s\n' "$line" >"$dir/loadgen-total.txt"
    # from the step: the decision, the first new node UP, its first request served
    local added up served nodes_end
    added=$(sc_sql "SELECT COALESCE(MIN(UNIX_TIMESTAMP(at) * 1000), 0) FROM autoscale_events
                      WHERE id > $last AND action = 'out'")
    added=${added%.*}
    up=$(awk '$2 != "web1" && $2 != "web2" && $3 == "UP" { print $1; exit }' "$dir/watch.txt")
    served=$(awk '$2 != "web1" && $2 != "web2" && $4 > 0 { print $1; exit }' "$dir/watch.txt")
    nodes_end=$(tail -n 20 "$dir/watch.txt" | awk '$3 == "UP" { n[$2] = 1 } END { print length(n) }')
    local f=$dir/loadgen.txt before after_step after_end
    before=$(sc_rps "$f" $((BENCH_BEFORE - 8)) "$BENCH_BEFORE")
    after_step=$(sc_rps "$f" "$BENCH_BEFORE" $((BENCH_BEFORE + 3)))
    after_end=$(sc_rps "$f" $((BENCH_BEFORE + BENCH_AFTER - 15)) $((BENCH_BEFORE + BENCH_AFTER)))
    sec() { [[ -n $1 && $1 != 0 ]] && awk -v a="$1" -v b="$step_ms" 'BEGIN { printf "%.1f", (a - b) / 1000 }' || printf 'none'; }
    printf 'added_s=%s up_s=%s served_s=%s nodes_end=%s failed=%s refused=%s reset=%s requests=%s before_rps=%s step_rps=%s end_rps=%s hello_low_rps=%s hello_high_rps=%s\n' \
        "$(sec "$added")" "$(sec "$up")" "$(sec "$served")" "$nodes_end" "$(sc_kv "$line" failed)" \
        "$(sc_kv "$line" refused)" "$(sc_kv "$line" reset)" "$(sc_kv "$line" requests)" \
        "$before" "$after_step" "$after_end" "$hello_low" "$hello_high"
}

bench_main() {
    (($# == 0)) || b_die "bench scale takes no arguments; its settings are environment variables" \
        "(./stampede bench scale help)"
    b_setting BENCH_LOW 4 1 256
    b_setting BENCH_HIGH 48 2 512
    b_setting BENCH_BEFORE 15 10 600
    b_setting BENCH_AFTER 45 20 600
    b_setting BENCH_MAX 4 3 9
    b_setting BENCH_TARGET 5 1 1000
    b_setting BENCH_REPEAT 2 1 20
    b_common_settings
    local doc=${BENCH_DOC:-$ROOT/docs/PERFORMANCE.md}
    [[ $doc == none || $doc == /* ]] || doc=$PWD/$doc

    SC_T0=$SECONDS
    local started
    started=$(date -u '+%Y-%m-%d %H:%M UTC')
    SC_OUT=${BENCH_OUT:-$ROOT/build/bench/scale-$(date -u +%Y%m%d-%H%M%S)}
    mkdir -p "$SC_OUT"
    SC_OUT=$(cd "$SC_OUT" && pwd -P)
    trap sc_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    b_step "bench scale: $BENCH_LOW -> $BENCH_HIGH connections, autoscaler 2..$BENCH_MAX nodes (target $BENCH_TARGET), $BENCH_REPEAT runs; raw output in $SC_OUT"
    # the autoscaler reacts quickly here (one-second samples, a 5 s window); CPU is no signal:
    # on one machine every node shares the same cores
    export STAMPEDE_AUTOSCALE=off STAMPEDE_AUTOSCALE_MIN=2 STAMPEDE_AUTOSCALE_MAX=$BENCH_MAX
    export STAMPEDE_AUTOSCALE_TARGET=$BENCH_TARGET STAMPEDE_CFG_AUTOSCALE_CPU_TARGET=0
    export STAMPEDE_CFG_AUTOSCALE_INTERVAL=1s STAMPEDE_CFG_AUTOSCALE_WINDOW=5s
    export STAMPEDE_MONITORING=off
    bstack_up "$SC_OUT"
    LOADGEN=$STAMPEDE_BUILD_DIR/stampede-loadgen
    [[ -x $LOADGEN ]] || b_die "$LOADGEN does not exist (tools/bench/loadgen.c is built with the app)"
    SC_PAGE=/products/$(sc_sql "SELECT slug FROM products ORDER BY id LIMIT 1")

    local r line results=() clean
    for ((r = 1; r <= BENCH_REPEAT; r++)); do
        if ! b_wait_idle "$SC_OUT"; then
            b_note "machine still busy after ${BENCH_IDLE_WAIT}s (other ${B_IDLE_OTHER}%: $B_IDLE_TOP); running anyway"
        fi
        clean=1
        awk -v o="$B_IDLE_OTHER" -v m="$BENCH_IDLE_MAX" 'BEGIN { exit !(o > m) }' && clean=0
        line="$(sc_run "$r") clean=$clean"
        printf '%s\n' "$line" >>"$SC_OUT/runs.txt"
        results+=("$line")
        b_note "run $r/$BENCH_REPEAT: node add done $(sc_kv "$line" added_s) s, new node UP $(sc_kv "$line" up_s) s, serving $(sc_kv "$line" served_s) s after the step; $(sc_kv "$line" nodes_end) nodes at the end; failed $(sc_kv "$line" failed) of $(sc_kv "$line" requests); pages/s $(sc_kv "$line" before_rps) before, $(sc_kv "$line" step_rps) at the step, $(sc_kv "$line" end_rps) at the end (hello $(sc_kv "$line" hello_low_rps) / $(sc_kv "$line" hello_high_rps))"
    done

    local section=$SC_OUT/section.md
    sc_report "$started" "${results[@]}" >"$section"
    printf '\n'
    cat "$section"
    printf '\n'
    if [[ $doc != none ]]; then
        b_doc_section "$doc" scale "$section"
        b_step "wrote the results into $doc (section bench:scale)"
    fi
}

sc_report() {
    local started=$1
    shift
    local line i=0 up=() served=() fails=() end=() ratio_low=() ratio_end=()
    printf '## Scaling out under a step in load\n\n'
    printf 'Measured %s by `./stampede bench scale` at %s on %s (%s).\n\n' "$started" \
        "$(b_git)" "$(b_machine)" "$(b_versions)"
    printf 'A product page read through HAProxy by %d connections (closed loop), then a step to %d.\n' \
        "$BENCH_LOW" "$BENCH_HIGH"
    printf 'stampede-autoscale keeps 2..%d nodes at a target of %d requests in flight + queued per\n' \
        "$BENCH_MAX" "$BENCH_TARGET"
    printf 'node (samples every 1 s, a 5 s window, scale-out cooldown 20 s); a new node starts with\n'
    printf '`./stampede node add` (stampede-web + nginx, `/readyz`, HAProxy `add server`, slowstart\n'
    printf '10 s). Times are from the step. Hello: stampede-hello behind the same HAProxy and nginx,\n'
    printf 'measured in the same run at the same loads (autoscaler paused). Every node shares this\n'
    printf "machine's cores, so a new node adds isolation and queue room, not CPU. The target is\n"
    printf 'low because the load client shares the machine: of %d connections only about 10 per\n' "$BENCH_HIGH"
    printf 'node are at the servers at any moment, the rest are in the client and the kernel.\n\n'
    printf '| run | node add done | new node UP | serving | nodes at end | failed / requests | pages/s before (hello) | at the step | at the end (hello) | machine |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n'
    for line in "$@"; do
        i=$((i + 1))
        up+=("$(sc_kv "$line" up_s)")
        served+=("$(sc_kv "$line" served_s)")
        fails+=("$(sc_kv "$line" failed)")
        end+=("$(sc_kv "$line" end_rps)")
        ratio_low+=("$(awk -v a="$(sc_kv "$line" before_rps)" -v b="$(sc_kv "$line" hello_low_rps)" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')")
        ratio_end+=("$(awk -v a="$(sc_kv "$line" end_rps)" -v b="$(sc_kv "$line" hello_high_rps)" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')")
        printf '| %d | %s s | %s s | %s s | %s | %s / %s | %s (%s) | %s | %s (%s) | %s |\n' "$i" \
            "$(sc_kv "$line" added_s)" "$(sc_kv "$line" up_s)" "$(sc_kv "$line" served_s)" \
            "$(sc_kv "$line" nodes_end)" "$(sc_kv "$line" failed)" "$(sc_kv "$line" requests)" \
            "$(sc_kv "$line" before_rps)" "$(sc_kv "$line" hello_low_rps)" \
            "$(sc_kv "$line" step_rps)" "$(sc_kv "$line" end_rps)" \
            "$(sc_kv "$line" hello_high_rps)" \
            "$(sc_kv "$line" clean | sed 's/1/idle/; s/0/busy (other processes)/')"
    done
    printf '\n**Median: a new node serves %s s after the step (UP in HAProxy at %s s); failed\n' \
        "$(b_median "${served[@]}")" "$(b_median "${up[@]}")"
    printf 'requests %s (target: zero); pages/s %s at the end; page/hello %s before the step, %s at\n' \
        "$(b_median "${fails[@]}")" "$(b_median "${end[@]}")" "$(b_median "${ratio_low[@]}")" \
        "$(b_median "${ratio_end[@]}")"
    printf 'the end.**\n'
}
