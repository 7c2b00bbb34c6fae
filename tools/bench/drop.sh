# tools/bench/drop.sh — `./stampede bench drop` (sourced by tools/bench.sh).
# shellcheck shell=bash disable=SC2016  # backquotes in the Markdown are literal
# summary: a queue drop: a crowd of signed-in shoppers joins, polls, buys and pays; polls vs hello
#
# On a private stack: BENCH_SHOPPERS accounts with addresses and sessions are made in SQL (the
# crowd is signed in beforehand), a product with BENCH_STOCK pairs over 5 sizes, and a queue
# drop that starts a few seconds later at BENCH_RATE admissions a second. stampede-dropbench
# (tools/bench/dropbench.c, one libcurl event loop) brings the crowd within BENCH_ARRIVE seconds
# of the start: join, poll at the pace the answers ask, buy when admitted, pay at the sandbox.
# Then, with the same stack, wrk measures the queue poll (a waiting shopper's ticket) beside
# the libcurl-FastCGI hello through the same chain, and the database's query counters over the
# poll phase. Reported: start to sold out, pairs sold vs stock, 5xx and timeouts, the crowd's
# poll p99, poll and hello throughput and p99 (ratio), the time from the last pair held to the
# last waiting shopper told sold out, and database reads per poll.

bench_help() {
    cat <<'EOF2'
./stampede bench drop — a queue drop with a crowd, on a private stack.

settings (environment):
  BENCH_SHOPPERS=5000  shoppers in the crowd (signed in beforehand)
  BENCH_STOCK=300      pairs in the drop (5 sizes)
  BENCH_RATE=100       admissions per second
  BENCH_ARRIVE=5       seconds over which the crowd arrives (from 2 s before the start)
  BENCH_MAX=240        longest the crowd runs (seconds after the start)
  BENCH_WRK_SECONDS=10 seconds of each wrk phase (poll, hello), 2 connections each per core
  BENCH_PORT_BASE=B    ports of the bench stack (default: a free block in 20000..32489)
  BENCH_OUT=DIR        raw output (default build/bench/drop-<UTC time>)
  BENCH_DOC=FILE       where the results section goes (default docs/PERFORMANCE.md; none = nowhere)
EOF2
}

DR_OUT=
DR_T0=0
dr_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    bstack_down
    if [[ -n $DR_OUT ]]; then
        printf '==> bench drop finished in %s (exit %s); raw output in %s\n' \
            "$(b_secs $((SECONDS - DR_T0)))" "$rc" "$DR_OUT"
    fi
    exit "$rc"
}

dr_sql() { # SQL -> rows, on the bench stack's primary
    mariadb --no-defaults -S "$BSTACK_DATA/run/mariadb-primary.sock" -u"$(id -un)" -N -B stampede \
        -e "$1"
}

dr_kv() { # LINE KEY -> value
    tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"
}

dr_questions() { # total statements run by both database servers
    local s total=0 n
    for s in primary replica; do
        n=$(mariadb --no-defaults -S "$BSTACK_DATA/run/mariadb-$s.sock" -u"$(id -un)" -N -B \
            -e "SHOW GLOBAL STATUS LIKE 'Questions'" | awk '{ print $2 }')
        total=$((total + n))
    done
    printf '%s\n' "$total"
}

dr_metric() { # NAME: the sum of a counter over both web nodes' /metrics
    local port
    for port in $((BSTACK_BASE + 1)) $((BSTACK_BASE + 2)); do
        curl -s -m 5 "http://127.0.0.1:$port/metrics"
    done | awk -v n="$1" '$1 == n { t += $2 } END { printf "%d\n", t }'
}

dr_wrk() { # NAME PATH [HEADER]: wrk through HAProxy -> "rps p99_ms errors"
    local name=$1 path=$2 hdr=${3:-}
    local args=(-t 2 -c 64 -d "${BENCH_WRK_SECONDS}s" --latency)
    [[ -n $hdr ]] && args+=(-H "$hdr")
    wrk "${args[@]}" "$BSTACK_URL$path" >"$DR_OUT/wrk-$name.txt" 2>&1 ||
        b_die "wrk $name failed" "$(tail -n 5 "$DR_OUT/wrk-$name.txt")"
    b_wrk_parse "$DR_OUT/wrk-$name.txt"
}

bench_main() {
    (($# == 0)) || b_die "bench drop takes no arguments; its settings are environment variables" \
        "(./stampede bench drop help)"
    b_setting BENCH_SHOPPERS 5000 10 50000
    b_setting BENCH_STOCK 300 5 100000
    b_setting BENCH_RATE 100 1 10000
    b_setting BENCH_ARRIVE 5 1 600
    b_setting BENCH_MAX 240 10 3600
    b_setting BENCH_WRK_SECONDS 10 2 600
    b_common_settings
    local doc=${BENCH_DOC:-$ROOT/docs/PERFORMANCE.md}
    [[ $doc == none || $doc == /* ]] || doc=$PWD/$doc

    DR_T0=$SECONDS
    local started
    started=$(date -u '+%Y-%m-%d %H:%M UTC')
    DR_OUT=${BENCH_OUT:-$ROOT/build/bench/drop-$(date -u +%Y%m%d-%H%M%S)}
    mkdir -p "$DR_OUT"
    DR_OUT=$(cd "$DR_OUT" && pwd -P)
    trap dr_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    b_step "bench drop: $BENCH_SHOPPERS shoppers for $BENCH_STOCK pairs at $BENCH_RATE admissions/s; raw output in $DR_OUT"
    # the crowd comes from one address: not counted per address
    export STAMPEDE_CFG_DROPS_EXEMPT_ADDRESSES=127.0.0.1
    bstack_up "$DR_OUT"
    local client=$STAMPEDE_BUILD_DIR/stampede-dropbench
    [[ -x $client ]] || b_die "$client does not exist (tools/bench/dropbench.c is built with the app)"

    b_step "making $BENCH_SHOPPERS shoppers (accounts, addresses, sessions) and the product"
    local n1=$((BENCH_SHOPPERS - 1)) slug=drop-bench-$$ per=$((BENCH_STOCK / 5)) k
    dr_sql "INSERT INTO accounts (email, name, password_hash)
            SELECT CONCAT('drop-', seq, '@bench.stampede'), 'Crowd', 'x' FROM seq_0_to_$n1;
            INSERT INTO account_addresses (account_id, recipient, phone, postcode, address)
            SELECT id, 'Crowd', '010-1234-5678', '06236', 'Teheran-ro 152, Gangnam-gu, Seoul'
              FROM accounts WHERE email LIKE 'drop-%@bench.stampede';
            INSERT INTO products (slug, name, brand, description, price_krw, image)
            VALUES ('$slug', 'Bench Drop', 'Bench', 'bench', 219000, 'img/favicon.svg')" ||
        b_die "could not create the shoppers"
    "$client" sessions "$BENCH_SHOPPERS" "$DR_OUT/tokens" >"$DR_OUT/sessions.sql" ||
        b_die "could not make the session tokens"
    mariadb --no-defaults -S "$BSTACK_DATA/run/mariadb-primary.sock" -u"$(id -un)" stampede \
        <"$DR_OUT/sessions.sql" || b_die "could not store the sessions"
    local product skus=
    product=$(dr_sql "SELECT id FROM products WHERE slug = '$slug'")
    for k in 0 1 2 3 4; do
        local q=$per
        ((k == 4)) && q=$((BENCH_STOCK - 4 * per))
        dr_sql "INSERT INTO skus (product_id, size_mm) VALUES ($product, $((250 + 10 * k)));
                SET @s = LAST_INSERT_ID();
                INSERT INTO stock (sku_id, bucket, available) VALUES (@s, 0, $q);
                INSERT INTO inventory_ledger (sku_id, bucket, reason, d_available, ref_type, ref_id)
                VALUES (@s, 0, 'receive', $q, 'bench', 'drop')" || b_die "could not stock the sizes"
    done
    skus=$(dr_sql "SELECT GROUP_CONCAT(id ORDER BY id) FROM skus WHERE product_id = $product")

    local created drop_id starts_iso starts_ms
    created=$("$ROOT/stampede" drop create --product "$slug" --kind queue --starts-in 15 \
        --closes-in 3600 --admit-per-second "$BENCH_RATE" --window 600) ||
        b_die "could not schedule the drop"
    printf '%s\n' "$created" >"$DR_OUT/drop.json"
    drop_id=$(jq -r .id <<<"$created")
    starts_iso=$(jq -r .starts_at <<<"$created")
    starts_ms=$(($(date -d "$starts_iso" +%s%N) / 1000000))
    b_note "drop #$drop_id starts at $starts_iso"

    b_step "the crowd: $BENCH_SHOPPERS shoppers within ${BENCH_ARRIVE}s of the start"
    local psp_url=http://127.0.0.1:$((BSTACK_BASE + 30)) line
    line=$("$client" run "$BSTACK_URL" "$psp_url" "$drop_id" "$starts_ms" "$DR_OUT/tokens" \
        "$BENCH_SHOPPERS" "$skus" "$BENCH_ARRIVE" "$BENCH_MAX" 2>"$DR_OUT/crowd.err") ||
        b_die "stampede-dropbench failed" "$(tail -n 5 "$DR_OUT/crowd.err")"
    printf '%s\n' "$line" >"$DR_OUT/crowd.txt"
    local sold sold_out_s ticket
    sold=$(dr_sql "SELECT COALESCE(SUM(l.quantity), 0) FROM orders o JOIN order_lines l ON
                   l.order_id = o.id WHERE o.drop_id = $drop_id AND o.status IN
                   ('pending_payment', 'paid', 'payment_unknown')")
    sold_out_s=$(dr_sql "SELECT ROUND(TIMESTAMPDIFF(MICROSECOND, starts_at, sold_out_at) / 1e6, 2)
                         FROM drops WHERE id = $drop_id")
    b_note "crowd: $line"
    b_note "sold $sold of $BENCH_STOCK; the drop marked sold out ${sold_out_s}s after the start"

    b_step "queue polls vs hello (wrk, ${BENCH_WRK_SECONDS}s each)"
    ticket=$(sed -n 's/^ticket=//p' "$DR_OUT/crowd.err" | head -n 1)
    [[ -n $ticket ]] || b_die "no waiting shopper's ticket to poll with"
    # three rounds, hello and poll interleaved; the medians
    local r h p a b hr=() hp=() pr=() pp=() q0 q1 p0 p1 d0 d1 wrk_polls=0 poll_db=0 questions=0
    for r in 1 2 3; do
        h=$(dr_wrk "hello-$r" /__bench/hello)
        p0=$(dr_metric stampede_drop_polls_total)
        d0=$(dr_metric stampede_drop_poll_db_reads_total)
        q0=$(dr_questions)
        p=$(dr_wrk "poll-$r" "/api/v1/drops/$drop_id/queue" "Queue-Ticket: $ticket")
        q1=$(dr_questions)
        p1=$(dr_metric stampede_drop_polls_total)
        d1=$(dr_metric stampede_drop_poll_db_reads_total)
        wrk_polls=$((wrk_polls + p1 - p0))
        poll_db=$((poll_db + d1 - d0))
        questions=$((questions + q1 - q0))
        read -r a b _ <<<"$h"
        hr+=("$a") hp+=("$b")
        read -r a b _ <<<"$p"
        pr+=("$a") pp+=("$b")
        b_note "round $r: hello $h; poll $p"
    done
    local hello poll
    hello="$(b_median "${hr[@]}") $(b_median "${hp[@]}")"
    poll="$(b_median "${pr[@]}") $(b_median "${pp[@]}")"
    b_note "medians: hello $hello; poll $poll; polls counted $wrk_polls, of which read the database $poll_db; database statements meanwhile $questions"

    local section=$DR_OUT/section.md
    dr_report "$started" "$line" "$sold" "$sold_out_s" "$hello" "$poll" "$wrk_polls" "$poll_db" \
        "$questions" >"$section"
    printf '\n'
    cat "$section"
    printf '\n'
    if [[ $doc != none ]]; then
        b_doc_section "$doc" drop "$section"
        b_step "wrote the results into $doc (section bench:drop)"
    fi
}

# dr_report STARTED CROWD SOLD SOLD_OUT_S HELLO POLL POLLS POLL_DB QUESTIONS: the section.
dr_report() {
    local started=$1 line=$2 sold=$3 so=$4 hello=$5 poll=$6 polls=$7 pdb=$8 qs=$9
    local hr hp pr pp ratio per_poll
    read -r hr hp _ <<<"$hello"
    read -r pr pp _ <<<"$poll"
    ratio=$(awk -v a="$pr" -v b="$hr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    per_poll=$(awk -v a="$pdb" -v b="$polls" 'BEGIN { printf "%.4f", (b > 0 ? a / b : 0) }')
    printf '## Drop (waiting room)\n\n'
    printf 'Measured %s by `./stampede bench drop` at %s on %s (%s).\n\n' "$started" \
        "$(b_git)" "$(b_machine)" "$(b_versions)"
    printf '%s shoppers, signed in beforehand, arrive within %s s of the start of a queue drop of\n' \
        "$(dr_kv "$line" shoppers)" "$BENCH_ARRIVE"
    printf '%s pairs (5 sizes, %s admissions/s) and join, poll at the pace the answers ask, buy\n' \
        "$BENCH_STOCK" "$BENCH_RATE"
    printf 'when admitted and pay at the sandbox (stampede-dropbench, one libcurl event loop on this\n'
    printf 'same machine). Then wrk (-t2 -c64, %s s, 3 rounds interleaved, medians) measures the\n' \
        "$BENCH_WRK_SECONDS"
    printf 'queue poll with a waiting shopper'"'"'s ticket beside the libfcgi hello through the same\n'
    printf 'chain.\n\n'
    printf '| figure | measured | target |\n|---|---:|---|\n'
    printf '| pairs sold / stock | %s / %s | equal |\n' "$sold" "$BENCH_STOCK"
    printf '| paid at the sandbox | %s |  |\n' "$(dr_kv "$line" paid)"
    printf '| start to sold out (the drop'"'"'s sold_out_at) | %s s |  |\n' "$so"
    printf '| start to last pair held (client) | %s s |  |\n' "$(dr_kv "$line" start_to_last_held_s)"
    printf '| last pair held to last waiting shopper told sold out | %s s | < 2 s |\n' \
        "$(dr_kv "$line" last_held_to_last_told_s)"
    printf '| 5xx / timeouts | %s / %s | 0 / 0 |\n' "$(dr_kv "$line" http_5xx)" "$(dr_kv "$line" timeouts)"
    printf '| crowd polls, p50 / p99 | %s, %s / %s ms |  |\n' "$(dr_kv "$line" polls)" \
        "$(dr_kv "$line" poll_p50_ms)" "$(dr_kv "$line" poll_p99_ms)"
    printf '| queue poll (wrk) | %s/s, p99 %s ms |  |\n' "$pr" "$pp"
    printf '| hello (wrk) | %s/s, p99 %s ms |  |\n' "$hr" "$hp"
    printf '| poll / hello throughput | %s | >= 0.90 |\n' "$ratio"
    printf '| database reads per poll (stampede_drop_poll_db_reads_total) | %s (%s of %s) | 0 |\n' \
        "$per_poll" "$pdb" "$polls"
    printf '| database statements during the poll phase (both servers, all sources) | %s |  |\n\n' "$qs"
    printf 'The statements during the poll phase are the batch tick (every 250 ms), the monitor of\n'
    printf 'stampede-dbproxy and replication, not polls: the poll counter above says how many polls\n'
    printf 'read the database. Sold out is declared when the last pair is *promised* (admitted\n'
    printf 'shoppers who have not bought count against the stock), so waiting shoppers hear it while\n'
    printf 'the last buyers are still checking out; the row "last pair held to last waiting shopper\n'
    printf 'told" is measured by the crowd client from its own clock. The crowd'"'"'s poll latencies\n'
    printf 'include its own queueing (one event loop, at most 400 connections) while 5,000 joins land\n'
    printf 'in 5 s on the same two cores as every server; the poll itself is measured by wrk.\n'
}
