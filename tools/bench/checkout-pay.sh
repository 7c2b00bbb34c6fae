# tools/bench/checkout-pay.sh — `./stampede bench checkout-pay` (sourced by tools/bench.sh).
# shellcheck shell=bash disable=SC2016  # backquotes in the Markdown are literal
# summary: the whole checkout with payment (reserve, pay at the sandbox, confirm): orders/s and p99
#
# On a private stack (with its stampede-psp sandbox), stampede-paybench (tools/bench/paybench.c)
# runs BENCH_CONNS shoppers in a closed loop, each order:
#   reserve   POST /api/v1/cart/items + POST /api/v1/checkout      (stock held, order placed)
#   pay       POST the sandbox's hosted page with a test card       (authorized)
#   confirm   GET the shop's return URL                             (captured; held -> sold)
# and reports paid orders/s with p50/p99 of the whole order and, from the same orders, of the
# reserve part alone. Every order goes through HAProxy -> nginx -> stampede-web -> MariaDB and
# the sandbox (which has its own database on the same MariaDB). After the runs the bench checks
# that nothing was lost or double-charged: reconcile-payments, audit-stock, audit-payments.

bench_help() {
    cat <<'EOF'
./stampede bench checkout-pay — full checkout with payment against the sandbox, on a private stack.

settings (environment):
  BENCH_CONNS=16       concurrent shoppers (closed loop, one order at a time each)
  BENCH_SECONDS=15     measured seconds per run     BENCH_REPEAT=3   runs (median)
  BENCH_WARMUP=3       seconds of each run not counted
  BENCH_IDLE_MAX=5     a run counts as clean if other processes used <= this % of one core
  BENCH_IDLE_WAIT=60   seconds to wait for such an idle machine before each run
  BENCH_PORT_BASE=B    ports of the bench stack (default: a free block in 20000..32489)
  BENCH_OUT=DIR        raw output (default build/bench/checkout-pay-<UTC time>)
  BENCH_DOC=FILE       where the results section goes (default docs/PERFORMANCE.md; none = nowhere)
  STAMPEDE_WEB_PROCESSES / STAMPEDE_WEB_THREADS, STAMPEDE_NO_BUILD, STAMPEDE_BUILD_DIR are passed
  on to ./stampede up.
EOF
}

CP_OUT=
CP_T0=0
CP_WEB_NODES=0
cp_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    bstack_down
    if [[ -n $CP_OUT ]]; then
        printf '==> bench checkout-pay finished in %s (exit %s); raw output in %s\n' \
            "$(b_secs $((SECONDS - CP_T0)))" "$rc" "$CP_OUT"
    fi
    exit "$rc"
}

cp_sql() { # SQL -> rows, on the bench stack's primary
    mariadb --no-defaults -S "$BSTACK_DATA/run/mariadb-primary.sock" -u"$(id -un)" -N -B stampede \
        -e "$1"
}

# cp_product: a product with one size and enough pairs for every run; prints the SKU id.
cp_product() {
    local slug=bench-checkout-pay
    cp_sql "INSERT INTO products (slug, name, brand, description, price_krw, image)
            VALUES ('$slug', 'Bench Runner', 'Bench', 'checkout bench', 139000, 'img/favicon.svg');
        INSERT INTO skus (product_id, size_mm) SELECT id, 270 FROM products WHERE slug = '$slug';
        INSERT INTO stock (sku_id, bucket, available)
            SELECT k.id, 0, 1000000 FROM skus k JOIN products p ON p.id = k.product_id
             WHERE p.slug = '$slug';
        INSERT INTO inventory_ledger (sku_id, bucket, reason, d_available, ref_type, ref_id)
            SELECT k.id, 0, 'receive', 1000000, 'bench', 'checkout-pay'
              FROM skus k JOIN products p ON p.id = k.product_id WHERE p.slug = '$slug';
        SELECT k.id FROM skus k JOIN products p ON p.id = k.product_id WHERE p.slug = '$slug'"
}

cp_kv() { # LINE KEY -> value
    tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"
}

bench_main() {
    (($# == 0)) || b_die "bench checkout-pay takes no arguments; its settings are environment" \
        "variables (./stampede bench checkout-pay help)"
    b_setting BENCH_CONNS 16 1 1024
    b_setting BENCH_SECONDS 15 1 3600
    b_setting BENCH_REPEAT 3 1 50
    b_setting BENCH_WARMUP 3 0 600
    b_common_settings
    local doc=${BENCH_DOC:-$ROOT/docs/PERFORMANCE.md}
    [[ $doc == none || $doc == /* ]] || doc=$PWD/$doc

    CP_T0=$SECONDS
    local started
    started=$(date -u '+%Y-%m-%d %H:%M UTC')
    CP_OUT=${BENCH_OUT:-$ROOT/build/bench/checkout-pay-$(date -u +%Y%m%d-%H%M%S)}
    mkdir -p "$CP_OUT"
    CP_OUT=$(cd "$CP_OUT" && pwd -P)
    trap cp_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    b_step "bench checkout-pay: $BENCH_CONNS shoppers, $BENCH_REPEAT x ${BENCH_SECONDS}s (+${BENCH_WARMUP}s warm-up); raw output in $CP_OUT"
    bstack_up "$CP_OUT"
    local client=$STAMPEDE_BUILD_DIR/stampede-paybench
    [[ -x $client ]] || b_die "$client does not exist (tools/bench/paybench.c is built with the app)"
    local sku psp_url
    sku=$(cp_product) || b_die "could not create the bench product"
    CP_WEB_NODES=$(find "$BSTACK_DATA/run" -name 'web*-app.pid' | wc -l)
    psp_url=http://127.0.0.1:$((BSTACK_BASE + 30))

    local r line results=() clean pre
    for ((r = 1; r <= BENCH_REPEAT; r++)); do
        if ! b_wait_idle "$CP_OUT"; then
            b_note "machine still busy after ${BENCH_IDLE_WAIT}s (other ${B_IDLE_OTHER}%: $B_IDLE_TOP); running anyway"
        fi
        pre=$B_IDLE_OTHER
        clean=1
        awk -v o="$pre" -v m="$BENCH_IDLE_MAX" 'BEGIN { exit !(o > m) }' && clean=0
        line=$("$client" "$BSTACK_URL" "$psp_url" "$sku" "$BENCH_CONNS" "$BENCH_SECONDS" \
            "$BENCH_WARMUP" 2>"$CP_OUT/run-$r.err") ||
            b_die "stampede-paybench failed" "$(tail -n 5 "$CP_OUT/run-$r.err")"
        printf '%s other_before=%s clean=%s\n' "$line" "$pre" "$clean" >>"$CP_OUT/runs.txt"
        results+=("$line")
        b_note "run $r/$BENCH_REPEAT: $(cp_kv "$line" orders_per_s) orders/s, order p50 $(cp_kv "$line" full_p50_ms) ms p99 $(cp_kv "$line" full_p99_ms) ms, reserve p99 $(cp_kv "$line" reserve_p99_ms) ms, failures $(($(cp_kv "$line" fail_reserve) + $(cp_kv "$line" fail_pay) + $(cp_kv "$line" fail_confirm) + $(cp_kv "$line" not_paid)))$( ((clean)) || printf ' (machine busy before: %s%% of a core)' "$pre")"
    done

    b_step "checking the books: reconcile-payments, audit-stock, audit-payments"
    local job checks=()
    for job in "reconcile-payments --param min_age_s=0" audit-stock audit-payments; do
        # shellcheck disable=SC2086  # the job's arguments are words
        if "$ROOT/stampede" batch $job >"$CP_OUT/${job%% *}.txt" 2>&1; then
            checks+=("${job%% *} ok")
        else
            checks+=("${job%% *} FAILED")
            b_note "${job%% *} failed: $(tail -n 3 "$CP_OUT/${job%% *}.txt")"
        fi
    done
    local paid held sold captures refunds
    paid=$(cp_sql "SELECT COUNT(*) FROM orders o JOIN order_lines l ON l.order_id = o.id
                   WHERE l.sku_id = $sku AND o.status = 'paid'")
    sold=$(cp_sql "SELECT SUM(sold) FROM stock WHERE sku_id = $sku")
    held=$(cp_sql "SELECT SUM(held) FROM stock WHERE sku_id = $sku")
    captures=$(cp_sql "SELECT COUNT(*) FROM stampede_psp.psp_ledger WHERE kind = 'capture'")
    refunds=$(cp_sql "SELECT COUNT(*) FROM stampede_psp.psp_ledger WHERE kind = 'refund'")
    b_note "${checks[*]}; paid orders $paid, pairs sold $sold, held $held, captures $captures, refunds $refunds"

    local section=$CP_OUT/section.md
    cp_report "$started" "$paid" "$sold" "$held" "$captures" "$refunds" "${checks[*]}" \
        "${results[@]}" >"$section"
    printf '\n'
    cat "$section"
    printf '\n'
    if [[ $doc != none ]]; then
        b_doc_section "$doc" checkout-pay "$section"
        b_step "wrote the results into $doc (section bench:checkout-pay)"
    fi
}

# cp_report STARTED PAID SOLD HELD CAPTURES REFUNDS CHECKS RESULT-LINES...: the Markdown section.
cp_report() {
    local started=$1 paid=$2 sold=$3 held=$4 captures=$5 refunds=$6 checks=$7
    shift 7
    local line ops=() p99=() rp99=() i=0
    printf '## Checkout with payment\n\n'
    printf 'Measured %s by `./stampede bench checkout-pay` at %s on %s (%s).\n\n' "$started" \
        "$(b_git)" "$(b_machine)" "$(b_versions)"
    printf 'Each of %d shoppers places one order after another through HAProxy: cart + checkout\n' \
        "$BENCH_CONNS"
    printf '(stock held), the card form of the stampede-psp sandbox (authorized), the return URL\n'
    printf '(confirm: captured at the sandbox, held pair sold, in one transaction). Closed loop,\n'
    printf '%d web nodes x %s processes x %s threads, one sandbox process. "Reserve" is the cart and\n' \
        "$CP_WEB_NODES" "${STAMPEDE_WEB_PROCESSES:-2}" "${STAMPEDE_WEB_THREADS:-8}"
    printf 'checkout part of the same orders (the reserve-only bench measures it on its own).\n\n'
    printf '| run | paid orders/s | order p50 | order p99 | reserve p50 | reserve p99 | failures | machine |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|---|\n'
    for line in "$@"; do
        i=$((i + 1))
        ops+=("$(cp_kv "$line" orders_per_s)")
        p99+=("$(cp_kv "$line" full_p99_ms)")
        rp99+=("$(cp_kv "$line" reserve_p99_ms)")
        printf '| %d | %s | %s ms | %s ms | %s ms | %s ms | %d | %s |\n' "$i" \
            "$(cp_kv "$line" orders_per_s)" "$(cp_kv "$line" full_p50_ms)" \
            "$(cp_kv "$line" full_p99_ms)" "$(cp_kv "$line" reserve_p50_ms)" \
            "$(cp_kv "$line" reserve_p99_ms)" \
            $(($(cp_kv "$line" fail_reserve) + $(cp_kv "$line" fail_pay) + \
                $(cp_kv "$line" fail_confirm) + $(cp_kv "$line" not_paid))) \
            "$(sed -n "${i}p" "$CP_OUT/runs.txt" | tr ' ' '\n' | sed -n 's/^clean=//p' |
                sed 's/1/idle/; s/0/busy (other processes)/')"
    done
    printf '\n**Median: %s paid orders/s, order p99 %s ms, reserve p99 %s ms.**\n\n' \
        "$(b_median "${ops[@]}")" "$(b_median "${p99[@]}")" "$(b_median "${rp99[@]}")"
    printf 'Books after the runs: %s; %s paid orders = %s pairs sold, %s held; the sandbox\n' \
        "$checks" "$paid" "$sold" "$held"
    printf 'recorded %s captures and %s refunds (bench orders are never refunded).\n' "$captures" \
        "$refunds"
}
