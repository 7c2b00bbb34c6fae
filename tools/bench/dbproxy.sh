# tools/bench/dbproxy.sh — `./stampede bench dbproxy` (sourced by tools/bench.sh).
# shellcheck shell=bash disable=SC2016  # backquotes in the Markdown are literal
# summary: sysbench point selects and read-only transactions straight to MariaDB vs through stampede-dbproxy, and pages with the cache off through the proxy vs the primary
#
# On a private stack, in one run:
#   ps-direct / ps-proxy   sysbench oltp_point_select straight to the replica (where the proxy
#                          sends these reads) / through the proxy
#   ro-direct / ro-proxy   sysbench oltp_read_only (BEGIN ... COMMIT, 14 statements) straight
#                          to the primary (where the proxy sends transactions) / through it
# each with BENCH_DB_THREADS connections (default 32: 2 nodes x 2 processes x 8 threads, the
# web nodes' connections), rounds interleaved; the proxy's CPU per query comes from its
# utime+stime over a run. Then the pages with the cache off (every page reads MariaDB) with
# the web nodes reading through the proxy (replica) and, on the same stack restarted with
# STAMPEDE_CFG_DB_PORT=<primary>, straight from the primary.

DBP_RUNS=(ps-direct ps-proxy ro-direct ro-proxy)
DBP_PAGES=(product home api)
declare -A DBP_LABEL=([ps-direct]="point select, straight to the replica"
    [ps-proxy]="point select, through the proxy (→ replica)"
    [ro-direct]="read-only transaction, straight to the primary"
    [ro-proxy]="read-only transaction, through the proxy (→ primary)")
DBP_GROUPS=(dbproxy mariadb sysbench wrk haproxy nginx stampede-web kernel other)
DBP_OUT=
DBP_T0=0

bench_help() {
    cat <<'EOF'
./stampede bench dbproxy — the read/write-split proxy against MariaDB straight, on a private stack.

settings (environment):
  BENCH_DB_THREADS=32   sysbench connections (the web nodes' database connections)
  BENCH_SECONDS=10      seconds per run            BENCH_REPEAT=3   runs per case (median)
  BENCH_ROWS=100000     rows in the sysbench table
  BENCH_CONNS=64        wrk connections for the pages    BENCH_THREADS=2  wrk threads
  BENCH_IDLE_MAX / BENCH_IDLE_WAIT / BENCH_RETRIES, BENCH_PORT_BASE, BENCH_OUT, BENCH_DOC as
  for ./stampede bench pages.
It takes about (4 + 6) x BENCH_REPEAT x (BENCH_SECONDS + 2) s plus ~1.5 min: ~8 min.
EOF
}

dbp_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    bstack_down
    [[ -n $DBP_OUT ]] && printf '==> bench dbproxy finished in %s (exit %s); raw output in %s\n' \
        "$(b_secs $((SECONDS - DBP_T0)))" "$rc" "$DBP_OUT"
    exit "$rc"
}

dbp_root() { # SQL on the primary as the admin account
    mariadb --no-defaults -S "$BSTACK_DATA/run/mariadb-primary.sock" -u"$(id -un)" -N -B -e "$1"
}

dbp_sysbench() { # CASE -> sysbench arguments without the command
    local port
    case $1 in
    ps-direct) port=$((BSTACK_BASE + 11)) ;;
    ro-direct) port=$((BSTACK_BASE + 10)) ;;
    *) port=$((BSTACK_BASE + 12)) ;;
    esac
    printf '%s\n' --db-driver=mysql --mysql-host=127.0.0.1 "--mysql-port=$port" \
        --mysql-user=sbtest --mysql-password=sbpass --mysql-db=sbtest --tables=1 \
        "--table-size=$BENCH_ROWS" "--threads=$BENCH_DB_THREADS" "--time=$BENCH_SECONDS" \
        --percentile=99 --mysql-ignore-errors=none
}

dbp_test_of() { [[ $1 == ps-* ]] && echo oltp_point_select || echo oltp_read_only; }

# dbp_measure ROOTS OUTPREFIX CMD...: like b_wrk_measure, for any load generator
dbp_measure() {
    local roots=$1 out=$2 group=$3
    shift 3
    (
        printf '%s %s\n' "$BASHPID" "$group" >>"$roots"
        b_snapshot "$out.s0"
        rc=0
        "$@" >"$out.txt" 2>&1 || rc=$?
        b_snapshot "$out.s1"
        exit "$rc"
    ) || return 1
    b_cpu_split "$roots" "$out.s0" "$out.s1" >"$out.cpu"
    rm -f "$out.s0" "$out.s1"
}

dbp_roots() {
    {
        bstack_roots
        printf '%s harness\n' "$$"
    } >"$1"
}

# one sysbench case, BENCH_REPEAT rounds interleaved by the caller; appends to DBP_TSV:
# case round qps p99 errors dbproxy_cpu mariadb_cpu sysbench_cpu other secs
dbp_run_case() {
    local c=$1 r=$2 base attempt=1 args rc
    mapfile -t args < <(dbp_sysbench "$c")
    while :; do
        b_wait_idle "$DBP_OUT" || b_note "machine still busy (other ${B_IDLE_OTHER}%); running anyway"
        base=$DBP_OUT/run-$c-$r-$attempt
        dbp_roots "$base.roots"
        rc=0
        dbp_measure "$base.roots" "$base" sysbench sysbench "${args[@]}" "$(dbp_test_of "$c")" run || rc=$?
        ((rc == 0)) || b_die "sysbench $c failed" "$(tail -n 5 "$base.txt")"
        local qps p99 err split other clean=1
        qps=$(awk '/queries:/ { gsub(/[()]/, "", $3); print $3; exit }' "$base.txt")
        p99=$(awk '/99th percentile:/ { print $3; exit }' "$base.txt")
        err=$(awk '/ignored errors:/ { print $3; exit }' "$base.txt")
        split=$(<"$base.cpu")
        other=$(b_split_get "$split" other)
        awk -v o="$other" -v m="$BENCH_IDLE_MAX" 'BEGIN { exit !(o > m) }' && clean=0
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$r" "$qps" "$p99" "$err" \
            "$(b_split_get "$split" dbproxy)" "$(b_split_get "$split" mariadb)" \
            "$(b_split_get "$split" sysbench)" "$other" "$(b_split_get "$split" secs)" "$clean" \
            >>"$DBP_TSV"
        b_note "$(printf 'round %d %-10s %9.0f queries/s  p99 %6s ms  errors %s  proxy CPU %5s%%  other %s%%' \
            "$r" "$c" "$qps" "$p99" "$err" "$(b_split_get "$split" dbproxy)" "$other")"
        ((clean || attempt > BENCH_RETRIES)) && break
        attempt=$((attempt + 1))
    done
}

# pages (cache off): wrk on each page; appends "phase page round rps p99 errors" to DBP_PAGES_TSV
dbp_pages_phase() {
    local phase=$1 p r base parsed rps p99 req bad se to slug
    slug=$(dbp_root "SELECT slug FROM stampede.products WHERE active = 1 ORDER BY id LIMIT 1")
    declare -A path=([product]="/products/$slug" [home]=/ [api]="/api/v1/products/$slug")
    for p in "${DBP_PAGES[@]}"; do
        [[ $(curl -s -o /dev/null -w '%{http_code}' -m 5 "$BSTACK_URL${path[$p]}") == 200 ]] ||
            b_die "GET ${path[$p]} did not answer 200 ($phase)"
        wrk -t"$BENCH_THREADS" -c"$BENCH_CONNS" -d2s "$BSTACK_URL${path[$p]}" >/dev/null 2>&1 || true
    done
    for ((r = 1; r <= BENCH_REPEAT; r++)); do
        for p in "${DBP_PAGES[@]}"; do
            b_wait_idle "$DBP_OUT" || true
            base=$DBP_OUT/page-$phase-$p-$r
            dbp_roots "$base.roots"
            b_wrk_measure "$base.roots" "$base" -t"$BENCH_THREADS" -c"$BENCH_CONNS" \
                -d"${BENCH_SECONDS}s" --latency "$BSTACK_URL${path[$p]}" ||
                b_die "wrk failed on ${path[$p]}"
            parsed=$(b_wrk_parse "$base.txt") || b_die "cannot read $base.txt"
            read -r rps p99 req bad se to <<<"$parsed"
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$phase" "$p" "$r" "$rps" "$p99" "$((bad + se))" \
                "$(b_split_get "$(<"$base.cpu")" dbproxy)" >>"$DBP_PAGES_TSV"
            b_note "$(printf 'pages %-6s round %d %-8s %9s req/s  p99 %7.2f ms  errors %s' "$phase" "$r" "$p" "$rps" "$p99" "$((bad + se))")"
        done
    done
}

dbp_restart() { # ENV...: the stack again with the cache off and the given settings
    local log=$DBP_OUT/stack-restart.log
    "$ROOT/stampede" down >>"$log" 2>&1 || b_die "./stampede down failed (log: $log)"
    env STAMPEDE_CFG_CACHE_ENABLED=off "$@" "$ROOT/stampede" up >>"$log" 2>&1 ||
        b_die "./stampede up failed (log: $log)"
}

bench_main() {
    (($# == 0)) || b_die "bench dbproxy takes no arguments (./stampede bench dbproxy help)"
    b_setting BENCH_DB_THREADS 32 1 1000
    b_setting BENCH_SECONDS 10 1 3600
    b_setting BENCH_REPEAT 3 1 50
    b_setting BENCH_ROWS 100000 1000 10000000
    b_setting BENCH_CONNS 64 1 20000
    b_setting BENCH_THREADS 2 1 64
    b_common_settings
    command -v sysbench >/dev/null || b_die "sysbench is not installed (apt-get install sysbench)"
    command -v wrk >/dev/null || b_die "wrk is not installed (apt-get install wrk)"
    local doc=${BENCH_DOC:-$ROOT/docs/PERFORMANCE.md}
    [[ $doc == none || $doc == /* ]] || doc=$PWD/$doc
    DBP_T0=$SECONDS
    local started
    started=$(date -u '+%Y-%m-%d %H:%M UTC')
    DBP_OUT=${BENCH_OUT:-$ROOT/build/bench/dbproxy-$(date -u +%Y%m%d-%H%M%S)}
    mkdir -p "$DBP_OUT"
    DBP_OUT=$(cd "$DBP_OUT" && pwd -P)
    trap dbp_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    bstack_up "$DBP_OUT"

    b_step "sysbench table: 1 x $BENCH_ROWS rows in database sbtest (account sbtest)"
    dbp_root "CREATE DATABASE IF NOT EXISTS sbtest; CREATE USER IF NOT EXISTS 'sbtest'@'127.0.0.1'
        IDENTIFIED BY 'sbpass'; GRANT ALL ON sbtest.* TO 'sbtest'@'127.0.0.1';" >/dev/null
    local prep
    mapfile -t prep < <(dbp_sysbench ro-direct)
    sysbench "${prep[@]}" --threads=4 oltp_read_only prepare >"$DBP_OUT/prepare.txt" 2>&1 ||
        b_die "sysbench prepare failed" "$(tail -n 5 "$DBP_OUT/prepare.txt")"
    local pos
    pos=$(dbp_root "SELECT @@gtid_binlog_pos")
    mariadb --no-defaults -S "$BSTACK_DATA/run/mariadb-replica.sock" -u"$(id -un)" -N -B \
        -e "SELECT MASTER_GTID_WAIT('$pos', 120)" >/dev/null

    DBP_TSV=$DBP_OUT/sysbench.tsv
    : >"$DBP_TSV"
    local r c
    b_step "sysbench: ${DBP_RUNS[*]}, $BENCH_REPEAT rounds interleaved, $BENCH_DB_THREADS connections, ${BENCH_SECONDS}s each"
    for c in "${DBP_RUNS[@]}"; do # warm-up (buffer pools, the proxy's pool and prepared statements)
        local w
        mapfile -t w < <(dbp_sysbench "$c")
        sysbench "${w[@]/--time=$BENCH_SECONDS/--time=3}" "$(dbp_test_of "$c")" run >/dev/null 2>&1 || true
    done
    for ((r = 1; r <= BENCH_REPEAT; r++)); do
        for c in "${DBP_RUNS[@]}"; do dbp_run_case "$c" "$r"; done
    done

    DBP_PAGES_TSV=$DBP_OUT/pages.tsv
    : >"$DBP_PAGES_TSV"
    b_step "pages with the cache off, the web nodes reading through the proxy"
    dbp_restart
    dbp_pages_phase proxy
    b_step "pages with the cache off, the web nodes reading the primary directly (STAMPEDE_CFG_DB_PORT=$((BSTACK_BASE + 10)))"
    dbp_restart STAMPEDE_CFG_DB_PORT=$((BSTACK_BASE + 10))
    dbp_pages_phase direct

    local section=$DBP_OUT/section.md
    dbp_report "$started" >"$section"
    printf '\n'
    cat "$section"
    if [[ $doc != none ]]; then
        b_doc_section "$doc" dbproxy "$section"
        b_step "wrote the results into $doc (section bench:dbproxy)"
    fi
}

dbp_med() { # TSV COLUMN FILTER-CASE -> median of column over clean rows of case (all if none clean)
    local rows
    rows=$(awk -F'\t' -v c="$3" '$1 == c && $11 == 1' "$1")
    [[ -n $rows ]] || rows=$(awk -F'\t' -v c="$3" '$1 == c' "$1")
    # shellcheck disable=SC2046
    b_median $(cut -f"$2" <<<"$rows")
}

dbp_report() {
    local started=$1 c
    declare -A qps=() p99=() cpu=() mdb=() rng=() errs=()
    for c in "${DBP_RUNS[@]}"; do
        qps[$c]=$(dbp_med "$DBP_TSV" 3 "$c")
        p99[$c]=$(dbp_med "$DBP_TSV" 4 "$c")
        cpu[$c]=$(dbp_med "$DBP_TSV" 6 "$c")
        mdb[$c]=$(dbp_med "$DBP_TSV" 7 "$c")
        rng[$c]=$(awk -F'\t' -v c="$c" '$1 == c { v[++n] = $3 } END { asort(v); printf "%.0f–%.0f ×%d", v[1], v[n], n }' "$DBP_TSV")
        errs[$c]=$(awk -F'\t' -v c="$c" '$1 == c { e += $5 } END { print e + 0 }' "$DBP_TSV")
    done
    printf '## Database proxy: `./stampede bench dbproxy`\n\n'
    printf 'Run of %s, commit %s (took %s including two stack restarts).\n\n' "$started" "$(b_git)" \
        "$(b_secs $((SECONDS - DBP_T0)))"
    printf -- '- **Machine:** %s. sysbench and wrk share these cores with the servers and the proxy.\n' "$(b_machine)"
    printf -- '- **Versions:** %s, sysbench %s.\n' "$(b_versions)" "$(sysbench --version | awk '{ print $2 }')"
    printf -- '- **Method:** sysbench 1.0 `oltp_point_select` and `oltp_read_only` (prepared statements, 1 table of %s rows, `--threads=%s`, the web nodes'"'"' connection count, `--time=%s`, no errors allowed), %s rounds with the cases interleaved; a cell is the median (min–max ×runs). Point selects go straight to the replica (where the proxy sends them) or through the proxy; read-only transactions (`BEGIN` … `COMMIT`: the proxy keeps a transaction on the primary, as MaxScale does) straight to the primary or through the proxy. The proxy'"'"'s CPU is its utime+stime over the run (`/proc`), per query = CPU seconds ÷ queries.\n\n' \
        "$BENCH_ROWS" "$BENCH_DB_THREADS" "$BENCH_SECONDS" "$BENCH_REPEAT"
    printf '| case | queries/s | p99 ms | errors | ÷ straight | proxy CPU (%% of a core) | proxy CPU per query | MariaDB CPU |\n'
    printf '|---|---|---:|---:|---:|---:|---:|---:|\n'
    for c in "${DBP_RUNS[@]}"; do
        local base=${c%-*}-direct ratio="" per=""
        [[ $c == *-proxy ]] && ratio=$(awk -v a="${qps[$c]}" -v b="${qps[$base]}" 'BEGIN { printf "%.2f", a / b }')
        [[ $c == *-proxy ]] && per=$(awk -v p="${cpu[$c]}" -v q="${qps[$c]}" 'BEGIN { if (q > 0) printf "%.1f µs", p / 100 / q * 1e6 }')
        printf '| %s | %s (%s) | %s | %s | %s | %s | %s | %s |\n' "${DBP_LABEL[$c]}" \
            "$(b_fmt_rps "${qps[$c]}")" "${rng[$c]}" "${p99[$c]}" "${errs[$c]}" "${ratio:-1}" \
            "$([[ $c == *-proxy ]] && printf '%.0f' "${cpu[$c]}" || echo -)" "${per:--}" \
            "$(printf '%.0f' "${mdb[$c]}")"
    done
    local ps_ratio
    ps_ratio=$(awk -v a="${qps[ps-proxy]}" -v b="${qps[ps-direct]}" 'BEGIN { printf "%.2f", a / b }')
    printf '\nTarget (issue 9): point selects through the proxy ≥ 0.80 × straight: **%s** (%s).\n\n' \
        "$(awk -v r="$ps_ratio" 'BEGIN { print (r >= 0.80 ? "met" : "not met") }')" "$ps_ratio"
    printf 'Pages with the cache off (every page reads MariaDB; `STAMPEDE_CFG_CACHE_ENABLED=off`), wrk `-t%s -c%s -d%ss` through HAProxy, median of %s rounds: the web nodes reading through the proxy (catalog reads on the replica) vs the same stack restarted with `STAMPEDE_CFG_DB_PORT` set to the primary.\n\n' \
        "$BENCH_THREADS" "$BENCH_CONNS" "$BENCH_SECONDS" "$BENCH_REPEAT"
    printf '| page | through the proxy (req/s, p99 ms) | primary directly (req/s, p99 ms) | ÷ directly |\n|---|---|---|---:|\n'
    local p a b pa pb
    for p in "${DBP_PAGES[@]}"; do
        # shellcheck disable=SC2046
        a=$(b_median $(awk -F'\t' -v p="$p" '$1 == "proxy" && $2 == p { print $4 }' "$DBP_PAGES_TSV"))
        # shellcheck disable=SC2046
        b=$(b_median $(awk -F'\t' -v p="$p" '$1 == "direct" && $2 == p { print $4 }' "$DBP_PAGES_TSV"))
        # shellcheck disable=SC2046
        pa=$(b_median $(awk -F'\t' -v p="$p" '$1 == "proxy" && $2 == p { print $5 }' "$DBP_PAGES_TSV"))
        # shellcheck disable=SC2046
        pb=$(b_median $(awk -F'\t' -v p="$p" '$1 == "direct" && $2 == p { print $5 }' "$DBP_PAGES_TSV"))
        printf '| %s | %s, %.2f | %s, %.2f | %s |\n' "$p" "$(b_fmt_rps "$a")" "$pa" "$(b_fmt_rps "$b")" \
            "$pb" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
    done
    printf '\nErrors in the page runs: %s.\n' "$(awk -F'\t' '{ e += $6 } END { print e + 0 }' "$DBP_PAGES_TSV")"
}
