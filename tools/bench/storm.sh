# tools/bench/storm.sh — `./stampede bench storm` (sourced by tools/bench.sh).
# shellcheck shell=bash disable=SC2016  # backquotes in the Markdown are literal
# summary: a sign-in storm while shoppers read pages: sign-ins/s, page p99 before and during
#
# On a private stack, stampede-stormload (tools/bench/stormload.c) has BENCH_READERS shoppers
# read a product page through HAProxy for BENCH_BEFORE seconds (the page's p99 before), then
# BENCH_SHOPPERS others (accounts made in SQL beforehand) all sign in at once: argon2id each,
# through the password bulkhead (core/gate.h), retrying after Retry-After when told "busy",
# while the readers go on (p99 during). Reported: sign-ins/s achieved, busy answers, page
# throughput and p99 before and during, page errors, and whether HAProxy marked a node down.

bench_help() {
    cat <<'EOF2'
./stampede bench storm — a sign-in storm against page readers, on a private stack.

settings (environment):
  BENCH_SHOPPERS=500   shoppers signing in at once (each retries after "busy" until in)
  BENCH_READERS=8      page readers (closed loop, one request at a time each)
  BENCH_BEFORE=5       seconds of reading before the storm
  BENCH_REPEAT=3       runs (median)
  BENCH_IDLE_MAX=5     a run counts as clean if other processes used <= this % of one core
  BENCH_IDLE_WAIT=60   seconds to wait for such an idle machine before each run
  BENCH_PORT_BASE=B    ports of the bench stack (default: a free block in 20000..32489)
  BENCH_OUT=DIR        raw output (default build/bench/storm-<UTC time>)
  BENCH_DOC=FILE       where the results section goes (default docs/PERFORMANCE.md; none = nowhere)
EOF2
}

ST_OUT=
ST_T0=0
st_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    bstack_down
    if [[ -n $ST_OUT ]]; then
        printf '==> bench storm finished in %s (exit %s); raw output in %s\n' \
            "$(b_secs $((SECONDS - ST_T0)))" "$rc" "$ST_OUT"
    fi
    exit "$rc"
}

st_sql() { # SQL -> rows, on the bench stack's primary
    mariadb --no-defaults -S "$BSTACK_DATA/run/mariadb-primary.sock" -u"$(id -un)" -N -B stampede \
        -e "$1"
}

st_kv() { # LINE KEY -> value
    tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"
}

st_chkdown() { # total UP->DOWN transitions of the web nodes in HAProxy
    echo "show stat" | socat -t 2 - "UNIX-CONNECT:$BSTACK_DATA/run/haproxy.sock" 2>/dev/null |
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "chkdown") c = i; next }
                 $1 == "be_web" && $2 ~ /^web/ { n += $c } END { print n + 0 }'
}

bench_main() {
    (($# == 0)) || b_die "bench storm takes no arguments; its settings are environment variables" \
        "(./stampede bench storm help)"
    b_setting BENCH_SHOPPERS 500 1 5000
    b_setting BENCH_READERS 8 1 256
    b_setting BENCH_BEFORE 5 1 600
    b_setting BENCH_REPEAT 3 1 50
    b_common_settings
    local doc=${BENCH_DOC:-$ROOT/docs/PERFORMANCE.md}
    [[ $doc == none || $doc == /* ]] || doc=$PWD/$doc

    ST_T0=$SECONDS
    local started
    started=$(date -u '+%Y-%m-%d %H:%M UTC')
    ST_OUT=${BENCH_OUT:-$ROOT/build/bench/storm-$(date -u +%Y%m%d-%H%M%S)}
    mkdir -p "$ST_OUT"
    ST_OUT=$(cd "$ST_OUT" && pwd -P)
    trap st_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    b_step "bench storm: $BENCH_SHOPPERS shoppers sign in at once, $BENCH_READERS page readers, $BENCH_REPEAT runs; raw output in $ST_OUT"
    bstack_up "$ST_OUT"
    local client=$STAMPEDE_BUILD_DIR/stampede-stormload password="storm bench passphrase 2026"
    [[ -x $client ]] || b_die "$client does not exist (tools/bench/stormload.c is built with the app)"
    local hash
    hash=$("$client" hash "$password") || b_die "could not hash the bench password"
    local page=/products/arcline-halo-1-panda nodes
    nodes=$(find "$BSTACK_DATA/run" -name 'web*-app.pid' | wc -l)

    local r line results=() clean pre down0 down1 tag
    for ((r = 1; r <= BENCH_REPEAT; r++)); do
        tag=storm$r
        st_sql "INSERT INTO accounts (email, name, password_hash)
                SELECT CONCAT('$tag-', seq, '@bench.stampede'), 'Storm', '$hash'
                  FROM seq_0_to_$((BENCH_SHOPPERS - 1));
                INSERT INTO account_addresses (account_id, recipient, phone, postcode, address)
                SELECT id, 'Storm', '010-1234-5678', '06236', 'Teheran-ro 152, Gangnam-gu, Seoul'
                  FROM accounts WHERE email LIKE '$tag-%@bench.stampede'" ||
            b_die "could not create the shoppers"
        if ! b_wait_idle "$ST_OUT"; then
            b_note "machine still busy after ${BENCH_IDLE_WAIT}s (other ${B_IDLE_OTHER}%: $B_IDLE_TOP); running anyway"
        fi
        pre=$B_IDLE_OTHER
        clean=1
        awk -v o="$pre" -v m="$BENCH_IDLE_MAX" 'BEGIN { exit !(o > m) }' && clean=0
        down0=$(st_chkdown)
        line=$("$client" run "$BSTACK_URL" "$tag-%d@bench.stampede" "$BENCH_SHOPPERS" \
            "$BENCH_READERS" "$BENCH_BEFORE" "$page" "$password" 2>"$ST_OUT/run-$r.err") ||
            b_note "stampede-stormload: not every shopper got in ($(tail -n 2 "$ST_OUT/run-$r.err"))"
        [[ -n $line ]] || b_die "stampede-stormload printed nothing" "$(tail -n 5 "$ST_OUT/run-$r.err")"
        down1=$(st_chkdown)
        line+=" nodes_marked_down=$((down1 - down0)) other_before=$pre clean=$clean"
        printf '%s\n' "$line" >>"$ST_OUT/runs.txt"
        results+=("$line")
        b_note "run $r/$BENCH_REPEAT: $(st_kv "$line" signed_in)/$BENCH_SHOPPERS in $(st_kv "$line" storm_s) s = $(st_kv "$line" signins_per_s) sign-ins/s ($(st_kv "$line" busy_answers) busy answers); page p99 $(st_kv "$line" page_before_p99_ms) ms before, $(st_kv "$line" page_during_p99_ms) ms during; page errors $(st_kv "$line" page_errors); nodes marked down $((down1 - down0))"
    done

    local section=$ST_OUT/section.md
    st_report "$started" "$nodes" "${results[@]}" >"$section"
    printf '\n'
    cat "$section"
    printf '\n'
    if [[ $doc != none ]]; then
        b_doc_section "$doc" storm "$section"
        b_step "wrote the results into $doc (section bench:storm)"
    fi
}

# st_report STARTED NODES RESULT-LINES...: the Markdown section.
st_report() {
    local started=$1 nodes=$2
    shift 2
    local line i=0 sps=() bp=() dp=() ratio=() br=() dr=()
    printf '## Sign-in storm\n\n'
    printf 'Measured %s by `./stampede bench storm` at %s on %s (%s).\n\n' "$started" \
        "$(b_git)" "$(b_machine)" "$(b_versions)"
    printf '%d readers read a product page through HAProxy in a closed loop; after %d s, %d\n' \
        "$BENCH_READERS" "$BENCH_BEFORE" "$BENCH_SHOPPERS"
    printf 'shoppers (accounts made beforehand) sign in at once through the API: argon2id (19 MiB,\n'
    printf 't=2) each, behind the password bulkhead (`auth.hash_concurrency` per node, a queue of\n'
    printf '`auth.hash_queue`, `auth.hash_wait`); a shopper told "busy" (503 `auth_busy`) waits its\n'
    printf 'Retry-After and tries again until in. %d web nodes x %s processes x %s threads.\n\n' \
        "$nodes" "${STAMPEDE_WEB_PROCESSES:-2}" "${STAMPEDE_WEB_THREADS:-8}"
    printf '| run | signed in | storm | sign-ins/s | busy answers | page/s before | page p99 before | page/s during | page p99 during | page errors | nodes marked down | machine |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n'
    for line in "$@"; do
        i=$((i + 1))
        sps+=("$(st_kv "$line" signins_per_s)")
        bp+=("$(st_kv "$line" page_before_p99_ms)")
        dp+=("$(st_kv "$line" page_during_p99_ms)")
        br+=("$(st_kv "$line" page_before_rps)")
        dr+=("$(st_kv "$line" page_during_rps)")
        ratio+=("$(awk -v a="$(st_kv "$line" page_during_p99_ms)" -v b="$(st_kv "$line" page_before_p99_ms)" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')")
        printf '| %d | %s/%s | %s s | %s | %s | %s | %s ms | %s | %s ms | %s | %s | %s |\n' "$i" \
            "$(st_kv "$line" signed_in)" "$(st_kv "$line" shoppers)" "$(st_kv "$line" storm_s)" \
            "$(st_kv "$line" signins_per_s)" "$(st_kv "$line" busy_answers)" \
            "$(st_kv "$line" page_before_rps)" "$(st_kv "$line" page_before_p99_ms)" \
            "$(st_kv "$line" page_during_rps)" "$(st_kv "$line" page_during_p99_ms)" \
            "$(st_kv "$line" page_errors)" "$(st_kv "$line" nodes_marked_down)" \
            "$(st_kv "$line" clean | sed 's/1/idle/; s/0/busy (other processes)/')"
    done
    printf '\n**Median: %s sign-ins/s; page p99 %s ms before, %s ms during the storm (%s x);\n' \
        "$(b_median "${sps[@]}")" "$(b_median "${bp[@]}")" "$(b_median "${dp[@]}")" \
        "$(b_median "${ratio[@]}")"
    printf 'pages/s %s before, %s during.**\n' "$(b_median "${br[@]}")" "$(b_median "${dr[@]}")"
}
