# tools/bench/checkout.sh — `./stampede bench checkout` (sourced by tools/bench.sh).
# shellcheck shell=bash disable=SC2016  # backquotes in the Markdown are literal
# summary: checkout orders/s and p99 (many sizes, one hot size plain and bucketed) vs the raw database ceiling
#
# On a private stack, in one run and at the same concurrency:
#   raw        the lock-update-insert transaction of one checkout line, sent straight to MariaDB
#              by a C client (stampede-checkout-load raw) on one single-row SKU: the ceiling
#   raw-last   the same statements with the lock taken last (the order the application uses)
#   buy-*      signed-in shoppers through HAProxy, "buy now": one POST /api/v1/checkout naming
#              the size (stampede-checkout-load http ... buy)
#   cart-*     the same shoppers adding the size to the cart, then checking the cart out (two
#              requests per order)
#   *-many     a random size of the whole catalog per order
#   *-hot      everyone on one size whose stock is one row
#   *-bucketed everyone on one size whose stock is split over BENCH_BUCKETS rows
# Stock is topped up to 10 million per row first (with ledger rows), so nothing sells out; the
# stock audit (stampede-batch audit-stock) runs at the end and must be clean.

CO_OUT=
CO_T0=0
CO_RUNS=(raw raw-last buy-many buy-hot buy-bucketed cart-many cart-hot cart-bucketed)
declare -A CO_LABEL=([raw]="raw DB ceiling: lock, update, insert (C client, no HTTP)"
    [raw-last]="raw DB, lock taken last (the app's order)"
    [buy-many]="buy now, many sizes (random size per order)"
    [buy-hot]="buy now, one hot size, one stock row"
    [buy-bucketed]="buy now, one hot size, bucketed"
    [cart-many]="cart + checkout, many sizes"
    [cart-hot]="cart + checkout, one hot size, one stock row"
    [cart-bucketed]="cart + checkout, one hot size, bucketed")

# BENCH_RUNS="raw buy-hot ..." runs a subset (the ratios need raw)
if [[ -n ${BENCH_RUNS:-} ]]; then
    read -ra CO_RUNS <<<"$BENCH_RUNS"
    for _r in "${CO_RUNS[@]}"; do
        [[ -n ${CO_LABEL[$_r]:-} ]] || b_die "BENCH_RUNS: unknown run '$_r' (${!CO_LABEL[*]})"
    done
fi

bench_help() {
    cat <<'EOF'
./stampede bench checkout — orders/s through the whole stack against the raw database ceiling.

settings (environment):
  BENCH_CONC=64        concurrent shoppers (HTTP) and connections (raw)
  BENCH_SECONDS=15     seconds per run            BENCH_REPEAT=2   runs of each (median)
  BENCH_WARMUP=3       seconds of warm-up (many sizes)
  BENCH_BUCKETS=8      stock rows of the bucketed hot size
  BENCH_RUNS="..."     a subset of: raw raw-last buy-many buy-hot buy-bucketed cart-many
                       cart-hot cart-bucketed (all by default)
  BENCH_OUT=DIR        raw output (default build/bench/checkout-<UTC time>)
  BENCH_DOC=FILE       where the results section goes (default docs/PERFORMANCE.md; none = nowhere)
  STAMPEDE_WEB_PROCESSES / STAMPEDE_WEB_THREADS, STAMPEDE_NO_BUILD, STAMPEDE_BUILD_DIR are
  passed on to ./stampede up.
EOF
}

co_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    bstack_down
    [[ -z $CO_OUT ]] ||
        printf '==> bench checkout finished in %s (exit %s); raw output in %s\n' \
            "$(b_secs $((SECONDS - CO_T0)))" "$rc" "$CO_OUT"
    exit "$rc"
}

co_sql() { # SQL -> rows (tab-separated), as the database administrator over the socket
    mariadb --no-defaults -S "$BSTACK_DATA/run/mariadb-primary.sock" -u"$(id -un)" -N -B stampede \
        -e "$1"
}

# co_setup: picks the SKUs, lifts per-account limits, tops the stock up, creates the shoppers.
co_setup() {
    b_step "preparing the catalog: no per-account limits, 10 million pairs per stock row"
    CO_HOT=$(co_sql "SELECT sku_id FROM stock GROUP BY sku_id HAVING COUNT(*) = 1 ORDER BY sku_id LIMIT 1")
    CO_RAW=$(co_sql "SELECT sku_id FROM stock GROUP BY sku_id HAVING COUNT(*) = 1 ORDER BY sku_id LIMIT 1 OFFSET 1")
    CO_BUCKETED=$(co_sql "SELECT sku_id FROM stock GROUP BY sku_id ORDER BY COUNT(*) DESC, sku_id LIMIT 1")
    [[ -n $CO_HOT && -n $CO_RAW && -n $CO_BUCKETED ]] || b_die "the seeded catalog lacks the SKUs this bench needs"
    CO_MANY=$(co_sql "SELECT GROUP_CONCAT(id ORDER BY id) FROM skus WHERE id NOT IN ($CO_RAW)")
    local b
    for ((b = 0; b < BENCH_BUCKETS; b++)); do
        co_sql "INSERT IGNORE INTO stock (sku_id, bucket) VALUES ($CO_BUCKETED, $b)"
    done
    co_sql "UPDATE products SET max_per_account = NULL, active = 1;
        INSERT INTO inventory_ledger (sku_id, bucket, reason, d_available, ref_type, ref_id)
            SELECT sku_id, bucket, 'adjust', 10000000 - available, 'bench', 'checkout-setup'
              FROM stock WHERE available <> 10000000;
        UPDATE stock SET available = 10000000;
        INSERT INTO accounts (email, name, password_hash)
            VALUES ('raw@bench.stampede', 'raw bench', '!unusable');
        INSERT INTO account_addresses (account_id, recipient, phone, postcode, address, detail)
            SELECT id, 'Raw Bench', '010-0000-0000', '06236', '서울특별시 강남구 테헤란로 152', ''
              FROM accounts WHERE email = 'raw@bench.stampede';" ||
        b_die "could not prepare the bench catalog"
    CO_RAW_ACCOUNT=$(co_sql "SELECT id FROM accounts WHERE email = 'raw@bench.stampede'")
    CO_NBUCKETS=$(co_sql "SELECT COUNT(*) FROM stock WHERE sku_id = $CO_BUCKETED")
    b_note "hot size: SKU $CO_HOT (1 row); bucketed: SKU $CO_BUCKETED ($CO_NBUCKETS rows); raw: SKU $CO_RAW; many: $(tr -cd , <<<"$CO_MANY" | wc -c) other sizes"

    b_step "signing up $BENCH_CONC shoppers through the API (with a shipping address each)"
    local tokens=$CO_OUT/tokens.txt
    : >"$tokens"
    seq 1 "$BENCH_CONC" | xargs -P 4 -I{} sh -c '
        jar=$(mktemp)
        curl -s -o /dev/null -w "%{http_code}" -c "$jar" -m 30 \
            -H "X-Requested-With: stampede" -H "Content-Type: application/json" \
            -d "{\"email\":\"shopper{}@bench.stampede\",\"name\":\"Shopper {}\",\"password\":\"bench shopper password {}\"}" \
            "$1/api/v1/accounts" >"$jar.code"
        [ "$(cat "$jar.code")" = 201 ] &&
            curl -s -o /dev/null -w "%{http_code}" -b "$jar" -m 30 -X PUT \
                -H "X-Requested-With: stampede" -H "Content-Type: application/json" \
                -d "{\"recipient\":\"Shopper {}\",\"phone\":\"010-1234-5678\",\"postcode\":\"06236\",\"address\":\"Teheran-ro 152, Gangnam-gu, Seoul\"}" \
                "$1/api/v1/account/address" >"$jar.code" &&
            [ "$(cat "$jar.code")" = 200 ] && awk "\$6 == \"stampede_sid\" { print \$7 }" "$jar"
        rm -f "$jar" "$jar.code"' _ "$BSTACK_URL" >>"$tokens"
    local n
    n=$(grep -c . "$tokens")
    ((n == BENCH_CONC)) || b_die "only $n of $BENCH_CONC shoppers could sign up"
    b_note "$n sessions"
}

# co_run NAME SECONDS OUTFILE: one run of the load client.
co_run() {
    local name=$1 secs=$2 out=$3 load=$STAMPEDE_BUILD_DIR/stampede-checkout-load
    local pw port
    pw=$(sed -n 's/^STAMPEDE_DB_APP_PASSWORD=//p' "$BSTACK_DATA/etc/secrets.env")
    port=$((BSTACK_BASE + 10))
    case $name in
    raw | raw-last)
        local order=lock-first
        [[ $name == raw-last ]] && order=lock-last
        "$load" raw 127.0.0.1 "$port" stampede_app "$pw" stampede "$CO_RAW_ACCOUNT" "$CO_RAW" \
            "$BENCH_CONC" "$secs" "$order" >"$out" 2>"$out.err"
        ;;
    *)
        local flow=${name%%-*} skus
        case ${name#*-} in
        many) skus=$CO_MANY ;;
        hot) skus=$CO_HOT ;;
        bucketed) skus=$CO_BUCKETED ;;
        esac
        "$load" http "$BSTACK_URL" "$CO_OUT/tokens.txt" "$skus" "$BENCH_CONC" "$secs" "$flow" \
            >"$out" 2>"$out.err"
        ;;
    esac
}
# co_measure NAME SECONDS OUTFILE: co_run between two CPU snapshots; writes OUTFILE.cpu.
co_measure() {
    local out=$3 roots=$3.roots
    {
        bstack_roots
        printf '%s harness\n' "$$"
    } >"$roots"
    (
        printf '%s load\n' "$BASHPID" >>"$roots"
        b_snapshot "$out.s0"
        rc=0
        co_run "$@" || rc=$?
        b_snapshot "$out.s1"
        exit "$rc"
    ) || return 1
    b_cpu_split "$roots" "$out.s0" "$out.s1" >"$out.cpu"
    rm -f "$out.s0" "$out.s1"
}
CO_GROUPS=(haproxy nginx stampede-web mariadb memcached load kernel other)
co_field() { # FILE KEY -> value
    tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -n 1
}

bench_main() {
    (($# == 0)) || b_die "bench checkout takes no arguments; its settings are environment variables" \
        "(./stampede bench checkout help)"
    b_setting BENCH_CONC 64 1 1024
    b_setting BENCH_SECONDS 15 1 3600
    b_setting BENCH_REPEAT 2 1 50
    b_setting BENCH_WARMUP 3 0 600
    b_setting BENCH_BUCKETS 8 2 64
    local doc=${BENCH_DOC:-$ROOT/docs/PERFORMANCE.md}
    [[ $doc == none || $doc == /* ]] || doc=$PWD/$doc

    CO_T0=$SECONDS
    local started
    started=$(date -u '+%Y-%m-%d %H:%M UTC')
    CO_OUT=${BENCH_OUT:-$ROOT/build/bench/checkout-$(date -u +%Y%m%d-%H%M%S)}
    mkdir -p "$CO_OUT"
    CO_OUT=$(cd "$CO_OUT" && pwd -P)
    trap co_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    b_step "bench checkout: $BENCH_CONC concurrent, ${BENCH_SECONDS}s x $BENCH_REPEAT per run over ${CO_RUNS[*]}; raw output in $CO_OUT"
    bstack_up "$CO_OUT"
    [[ -x $STAMPEDE_BUILD_DIR/stampede-checkout-load ]] ||
        b_die "$STAMPEDE_BUILD_DIR/stampede-checkout-load is missing (built with the app)"
    co_setup

    if ((BENCH_WARMUP > 0)); then
        b_step "warming up (many sizes, ${BENCH_WARMUP}s)"
        co_run cart-many "$BENCH_WARMUP" "$CO_OUT/warmup.txt" || b_die "warm-up failed: $(cat "$CO_OUT/warmup.txt.err")"
    fi

    local r name out tsv=$CO_OUT/runs.tsv
    printf 'run\tround\trate\tp50_ms\tp99_ms\terrors\n' >"$tsv"
    for ((r = 1; r <= BENCH_REPEAT; r++)); do
        for name in "${CO_RUNS[@]}"; do
            out=$CO_OUT/run-$name-$r.txt
            co_measure "$name" "$BENCH_SECONDS" "$out" ||
                b_die "the $name run failed" "$(cat "$out" "$out.err" 2>/dev/null | tail -n 5)"
            local errs
            local e1 e2
            e1=$(co_field "$out" errors)
            e2=$(co_field "$out" cart_errors)
            errs=$((${e1:-0} + ${e2:-0}))
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$r" "$(co_field "$out" rate)" \
                "$(co_field "$out" p50_ms)" "$(co_field "$out" p99_ms)" "$errs" >>"$tsv"
            b_note "$(printf 'round %d/%d %-9s %8s orders/s  p50 %7s ms  p99 %7s ms  errors %s' "$r" \
                "$BENCH_REPEAT" "$name" "$(co_field "$out" rate)" "$(co_field "$out" p50_ms)" \
                "$(co_field "$out" p99_ms)" "$errs")"
            b_note "  CPU (% of one core): $(b_cpu_text "$(<"$out.cpu")" "${CO_GROUPS[@]}")"
            [[ -s $out.err ]] && b_note "  $(head -c 300 "$out.err")"
        done
    done

    b_step "auditing the stock after the bench (stampede-batch audit-stock)"
    local audit
    if audit=$("$ROOT/stampede" batch audit-stock 2>&1); then
        CO_AUDIT="clean"
    else
        CO_AUDIT="FAILED: $(tail -n 3 <<<"$audit" | tr '\n' ' ')"
    fi
    b_note "$CO_AUDIT"
    CO_SOLD=$(co_sql "SELECT COUNT(*) FROM orders WHERE account_id <> $CO_RAW_ACCOUNT")
    CO_HELD=$(co_sql "SELECT COALESCE(SUM(held), 0) FROM stock WHERE sku_id <> $CO_RAW")
    CO_LINES=$(co_sql "SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.account_id <> $CO_RAW_ACCOUNT AND o.status = 'pending_payment'")

    local section=$CO_OUT/section.md
    co_report "$tsv" "$started" >"$section"
    printf '\n'
    cat "$section"
    printf '\n'
    if [[ $doc != none ]]; then
        b_doc_section "$doc" checkout "$section"
        b_step "wrote the results into $doc (section bench:checkout)"
    fi
    [[ $CO_AUDIT == clean ]] || b_die "the stock audit failed after the bench"
}

# co_report TSV STARTED: the Markdown section.
co_report() {
    local tsv=$1 started=$2 name
    declare -A rate=() p50=() p99=() errs=()
    for name in "${CO_RUNS[@]}"; do
        rate[$name]=$(b_median $(awk -F'\t' -v n="$name" '$1 == n { print $3 }' "$tsv"))
        p50[$name]=$(b_median $(awk -F'\t' -v n="$name" '$1 == n { print $4 }' "$tsv"))
        p99[$name]=$(b_median $(awk -F'\t' -v n="$name" '$1 == n { print $5 }' "$tsv"))
        errs[$name]=$(awk -F'\t' -v n="$name" '$1 == n { s += $6 } END { print s + 0 }' "$tsv")
    done
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
    cat <<EOF
## Checkout (\`./stampede bench checkout\`)

Run $started on $(b_machine); commit $(b_git). $BENCH_CONC concurrent shoppers (HTTP) or
connections (raw), ${BENCH_SECONDS} s per run, median of $BENCH_REPEAT runs, runs interleaved.
Web nodes: ${STAMPEDE_WEB_PROCESSES:-2} processes x ${STAMPEDE_WEB_THREADS:-8} threads each.

| run | orders/s | p50 ms | p99 ms | errors | vs raw ceiling |
|---|---:|---:|---:|---:|---:|
EOF
    for name in "${CO_RUNS[@]}"; do
        printf '| %s | %s | %s | %s | %s | %s |\n' "${CO_LABEL[$name]}" "${rate[$name]}" \
            "${p50[$name]}" "${p99[$name]}" "${errs[$name]}" "$(ratio "${rate[$name]}" "${rate[raw]}")"
    done
    printf '\nCPU use in the last round (%% of one core; the machine has %s):\n\n' "$((NCPU * 100))"
    printf '| run | CPU split |\n|---|---|\n'
    for name in "${CO_RUNS[@]}"; do
        [[ -n ${rate[$name]:-} ]] || continue
        printf '| %s | %s |\n' "$name" "$(b_cpu_text "$(<"$CO_OUT/run-$name-$BENCH_REPEAT.txt.cpu")" "${CO_GROUPS[@]}")"
    done
    cat <<EOF

- **Plain hot size (buy now) / raw ceiling: $(ratio "${rate[buy-hot]}" "${rate[raw]}")** (target 0.70 or more);
  through the cart (two requests per order): $(ratio "${rate[cart-hot]}" "${rate[raw]}").
- **Bucketed hot size ($CO_NBUCKETS rows, buy now) / raw ceiling: $(ratio "${rate[buy-bucketed]}" "${rate[raw]}")** (target above 1, aim 3);
  through the cart: $(ratio "${rate[cart-bucketed]}" "${rate[raw]}").
- Bucketed / plain through the shop: $(ratio "${rate[buy-bucketed]}" "${rate[buy-hot]}") (buy now), $(ratio "${rate[cart-bucketed]}" "${rate[cart-hot]}") (cart).

Every HTTP order is placed by a really signed-in shopper through HAProxy -> nginx -> stampede-web
with a fresh Idempotency-Key: "buy now" is one request (\`POST /api/v1/checkout\` with
\`{"sku_id", "quantity": 1}\`), "cart + checkout" two (set the cart line, then check the cart out). The
checkout transaction locks the shopper's account, reads the cart, records the key, writes the
order and its lines and takes the stock row lock last, so the hot row is held only for its update,
the ledger row and the commit. The raw ceiling runs the transaction the issue defines (lock the
stock row, update it, insert the order, its line and the ledger row, commit) from a C client with
prepared statements, no HTTP; "lock taken last" is the same statements in the application's order.
Both commit durably (\`innodb_flush_log_at_trx_commit=1\`, binlog on, \`sync_binlog=1\`).

After the runs: stock audit $CO_AUDIT; $CO_SOLD orders placed through the shop, $CO_LINES pairs on
hold in them, $CO_HELD pairs held in stock (the two must match).
EOF
}
