# tools/bench/pages.sh — `./stampede bench pages` (sourced by tools/bench.sh).
# shellcheck shell=bash disable=SC2016  # backquotes in the Markdown are literal
# summary: product, home and API pages with the cache on and off vs a static file and a libfcgi "hello", all through HAProxy (wrk)
#
# On a private stack started with STAMPEDE_BENCH=1, wrk measures through HAProxy, in one run:
#   static   a fingerprinted CSS file, served by nginx itself           (baseline: the proxies)
#   hello    /__bench/hello: stampede-hello, same nginx and FastCGI shape (baseline: the chain)
#   product  /products/{slug}        home  /        api  /api/v1/products/{slug}
# first with the memcached entity cache on, then on the same stack restarted with
# STAMPEDE_CFG_CACHE_ENABLED=off (hello-off, product-off, ...: hello is measured again in that
# phase, so each phase's ratios are to a baseline taken alongside). It prints req/s, p99,
# errors, each page's ratio to hello and to static, the CPU split and each phase's cache hit
# ratio (from the nodes' /metrics).

PAGES_ON=(static hello product home api)
PAGES_OFF=(hello-off product-off home-off api-off)
PAGES=("${PAGES_ON[@]}" "${PAGES_OFF[@]}")
declare -A PAGE_LABEL=([static]="static file (CSS)" [hello]="libfcgi hello (2 KB)"
    [product]="product page" [home]="home page" [api]="product API (JSON)"
    [hello-off]="libfcgi hello (2 KB), cache-off phase" [product-off]="product page, cache off"
    [home-off]="home page, cache off" [api-off]="product API (JSON), cache off")
declare -A PHASE_HITS=() PHASE_MISSES=() PHASE_LOADS=() PHASE_NEAR=()
declare -A PAGE_PATH=()
declare -A PAGE_BYTES=()
GROUPS_SHOWN=(haproxy nginx stampede-web hello mariadb memcached wrk kernel other)
TSV_COLS=(page round attempt rps p99 requests non2xx sockerr timeouts other clean top_other
    pre_other pre_waited "${GROUPS_SHOWN[@]}" idle softirq)

bench_help() {
    cat <<'EOF'
./stampede bench pages — page throughput against baselines, through HAProxy, on a private stack.

settings (environment):
  BENCH_CONNS=64       wrk connections (-c)           BENCH_THREADS=2   wrk threads (-t)
  BENCH_SECONDS=10     seconds per run (-d)           BENCH_REPEAT=3    runs per URL (median)
  BENCH_WARMUP=2       seconds of warm-up per URL
  BENCH_IDLE_MAX=5     a run counts only if processes outside the bench used <= this % of one core
  BENCH_IDLE_WAIT=60   seconds to wait for such an idle machine before each run
  BENCH_RETRIES=2      extra attempts for a noisy run
  BENCH_PORT_BASE=B    ports of the bench stack (default: a free block in 20000..32489)
  BENCH_OUT=DIR        raw output (default build/bench/pages-<UTC time>)
  BENCH_DOC=FILE       where the results section goes (default docs/PERFORMANCE.md; none = nowhere)
  STAMPEDE_WEB_PROCESSES / STAMPEDE_WEB_THREADS, STAMPEDE_NO_BUILD, STAMPEDE_BUILD_DIR and
  STAMPEDE_DB_BUFFER_POOL (default here 128M) are passed on to ./stampede up.
It takes about (9 x BENCH_REPEAT x (BENCH_SECONDS + 1)) s plus ~1.5 min (two stack starts): ~7 min with the defaults.
EOF
}

PAGES_OUT=
PAGES_T0=0
pages_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    bstack_down
    if [[ -n $PAGES_OUT ]]; then
        printf '==> bench pages finished in %s (exit %s); raw output in %s\n' \
            "$(b_secs $((SECONDS - PAGES_T0)))" "$rc" "$PAGES_OUT"
    fi
    exit "$rc"
}

pages_pick_urls() {
    local admin slug css
    admin=$(id -un)
    # A real, active product with several sizes and stock (the most sizes, then the lowest id).
    slug=$(mariadb --no-defaults -S "$BSTACK_DATA/run/mariadb-primary.sock" -u"$admin" -N -B stampede -e "
        SELECT p.slug FROM products p
          JOIN skus s ON s.product_id = p.id
          JOIN stock st ON st.sku_id = s.id
         WHERE p.active = 1
         GROUP BY p.id, p.slug
        HAVING COUNT(DISTINCT s.id) >= 3 AND SUM(st.available) > 0
         ORDER BY COUNT(DISTINCT s.id) DESC, p.id
         LIMIT 1") || b_die "could not query the bench stack's database for a product"
    [[ -n $slug ]] || b_die "the seeded catalog has no active product with 3+ sizes in stock"
    # the page links its assets on the CDN edge (an absolute URL) or, without one, on the shop
    # itself; either way the path is served by every node's nginx, which is what this measures
    css=$(curl -s -m 5 "$BSTACK_URL/" | grep -o 'href="[^"]*/static/css/[^"]*\.css"' |
        head -n 1) || true
    css=${css#href=\"}
    css=${css%\"}
    css=/static/${css#*/static/}
    [[ $css == /static/css/*.css ]] ||
        b_die "no fingerprinted CSS link (/static/css/*.css) on the home page"
    PAGE_PATH=([static]="$css" [hello]=/__bench/hello [product]="/products/$slug" [home]=/
        [api]="/api/v1/products/$slug")
    local p
    for p in "${PAGES_OFF[@]}"; do PAGE_PATH[$p]=${PAGE_PATH[${p%-off}]}; done
    PAGES_SLUG=$slug
}

# pages_check_urls PAGE...: each URL must answer 200 with the expected content before anything
# is measured.
pages_check_urls() {
    local p r code bytes ctype body
    for p in "$@"; do
        body=$PAGES_OUT/body-$p
        r=$(curl -s -m 5 -o "$body" -w '%{http_code} %{size_download} %{content_type}' \
            "$BSTACK_URL${PAGE_PATH[$p]}") || r="000 0 -"
        read -r code bytes ctype <<<"$r"
        [[ $code == 200 ]] || b_die "GET ${PAGE_PATH[$p]} ($p) answered $code, not 200" "$(head -c 300 "$body" 2>/dev/null)"
        case ${p%-off} in
        hello) grep -q '<title>hello</title>' "$body" ||
            b_die "/__bench/hello is not stampede-hello's page (is the bench location rendered?)" ;;
        static) [[ $ctype == text/css* ]] || b_die "${PAGE_PATH[$p]} has Content-Type $ctype" ;;
        api) grep -q "\"slug\":\"$PAGES_SLUG\"" "$body" || b_die "the API answer has no slug $PAGES_SLUG" ;;
        product) grep -q "$PAGES_SLUG" "$body" || b_die "the product page does not mention $PAGES_SLUG" ;;
        esac
        PAGE_BYTES[$p]=$bytes
        b_note "$(printf '%-11s %-52s 200, %6s bytes, %s' "$p" "${PAGE_PATH[$p]}" "$bytes" "$ctype")"
    done
}

# pages_cache_totals: "hits misses loads near-hits" of the catalog's cache regions, summed over both web
# nodes' /metrics (scraped on the nginx ports: /metrics is not served through HAProxy). hits are
# all lookups served by the cache (memcached + near copies: stampede_cache_hits_total no longer
# includes near hits), misses all lookups loaded from the database (misses + lookup errors).
pages_cache_totals() {
    local port out
    for port in $((BSTACK_BASE + 1)) $((BSTACK_BASE + 2)); do
        out=$(curl -s -m 5 "http://127.0.0.1:$port/metrics") || b_die "cannot scrape /metrics on :$port"
        printf '%s\n' "$out"
    done | awk '$1 ~ /^stampede_cache_(hits|misses|lookup_errors|loads|near_hits)_total\{/ {
            split($1, a, "{"); t[a[1]] += $2 }
        END { printf "%d %d %d %d\n", t["stampede_cache_hits_total"] + t["stampede_cache_near_hits_total"],
              t["stampede_cache_misses_total"] + t["stampede_cache_lookup_errors_total"],
              t["stampede_cache_loads_total"], t["stampede_cache_near_hits_total"] }'
}

# pages_restart_cache_off: the same stack, restarted with the web nodes' cache disabled.
pages_restart_cache_off() {
    b_step "restarting the bench stack with the cache off (STAMPEDE_CFG_CACHE_ENABLED=off)"
    local log=$PAGES_OUT/stack-restart.log
    "$ROOT/stampede" down >"$log" 2>&1 || { tail -n 20 "$log" >&2; b_die "./stampede down failed (log: $log)"; }
    STAMPEDE_CFG_CACHE_ENABLED=off "$ROOT/stampede" up >>"$log" 2>&1 ||
        { tail -n 20 "$log" >&2; b_die "./stampede up with the cache off failed (log: $log)"; }
    b_note "done (log: $log)"
}

# pages_phase NAME PAGE...: warm up, then BENCH_REPEAT rounds over the pages (interleaved),
# appending to $PAGES_TSV; records the cache counters' change over the phase.
pages_phase() {
    local phase=$1 p r
    shift
    local before after
    before=$(pages_cache_totals)
    if ((BENCH_WARMUP > 0)); then
        b_step "cache $phase: warming up each URL for ${BENCH_WARMUP}s"
        for p in "$@"; do
            wrk -t"$BENCH_THREADS" -c"$BENCH_CONNS" -d"${BENCH_WARMUP}s" --latency \
                "$BSTACK_URL${PAGE_PATH[$p]}" >"$PAGES_OUT/warmup-$p.txt" 2>&1 ||
                b_die "wrk failed on ${PAGE_PATH[$p]}" "$(tail -n 5 "$PAGES_OUT/warmup-$p.txt")"
        done
    fi
    b_step "cache $phase: $BENCH_REPEAT rounds, URLs interleaved; a run counts if other processes use <= ${BENCH_IDLE_MAX}% of a core"
    local attempt parsed split other clean roots base pre_other g vals
    local rps p99 req bad se to
    for ((r = 1; r <= BENCH_REPEAT; r++)); do
        for p in "$@"; do
            attempt=1
            while :; do
                if ! b_wait_idle "$PAGES_OUT"; then
                    b_note "machine still busy after ${BENCH_IDLE_WAIT}s (other ${B_IDLE_OTHER}%: $B_IDLE_TOP); running anyway"
                fi
                pre_other=$B_IDLE_OTHER
                base=$PAGES_OUT/run-$p-$r-$attempt
                roots=$base.roots
                {
                    bstack_roots
                    printf '%s harness\n' "$$"
                } >"$roots"
                b_wrk_measure "$roots" "$base" "${PAGES_WRK[@]}" "$BSTACK_URL${PAGE_PATH[$p]}" ||
                    b_die "wrk failed on ${PAGE_PATH[$p]}" "$(tail -n 5 "$base.txt")"
                parsed=$(b_wrk_parse "$base.txt") || b_die "cannot read wrk's output $base.txt"
                read -r rps p99 req bad se to <<<"$parsed"
                split=$(<"$base.cpu")
                other=$(b_split_get "$split" other)
                clean=1
                awk -v o="$other" -v m="$BENCH_IDLE_MAX" 'BEGIN { exit !(o > m) }' && clean=0
                vals=()
                for g in "${GROUPS_SHOWN[@]}" idle softirq; do vals+=("$(b_split_get "$split" "$g")"); done
                {
                    printf '%s\t' "$p" "$r" "$attempt" "$rps" "$p99" "$req" "$bad" "$se" "$to" \
                        "$other" "$clean" "$(b_split_get "$split" top_other)" "$pre_other" \
                        "$B_IDLE_WAITED" "${vals[@]}"
                    printf '\n'
                } | sed 's/\t$//' >>"$PAGES_TSV"
                b_note "$(printf 'round %d/%d %-11s %9s req/s  p99 %7.2f ms  non-2xx %s  socket errors %s  other %5s%%  %s' \
                    "$r" "$BENCH_REPEAT" "$p" "$rps" "$p99" "$bad" "$se" "$other" \
                    "$( ((clean)) && echo clean || echo "NOISY ($(b_split_get "$split" top_other))")")"
                ((clean || attempt > BENCH_RETRIES)) && break
                attempt=$((attempt + 1))
            done
        done
    done
    after=$(pages_cache_totals)
    local h0 m0 l0 n0 h1 m1 l1 n1
    read -r h0 m0 l0 n0 <<<"$before"
    read -r h1 m1 l1 n1 <<<"$after"
    PHASE_NEAR[$phase]=$((n1 - n0))
    PHASE_HITS[$phase]=$((h1 - h0))
    PHASE_MISSES[$phase]=$((m1 - m0))
    PHASE_LOADS[$phase]=$((l1 - l0))
    b_note "cache $phase: lookups $((h1 - h0 + m1 - m0)), hits $((h1 - h0)) (near $((n1 - n0))), misses $((m1 - m0)), database loads $((l1 - l0))"
}

bench_main() {
    (($# == 0)) || b_die "bench pages takes no arguments; its settings are environment variables" \
        "(./stampede bench pages help)"
    b_setting BENCH_CONNS 64 1 20000
    b_setting BENCH_THREADS 2 1 64
    b_setting BENCH_SECONDS 10 1 3600
    b_setting BENCH_REPEAT 3 1 50
    b_setting BENCH_WARMUP 2 0 600
    b_common_settings
    ((BENCH_THREADS <= BENCH_CONNS)) || b_die "BENCH_THREADS ($BENCH_THREADS) > BENCH_CONNS ($BENCH_CONNS)"
    local doc=${BENCH_DOC:-$ROOT/docs/PERFORMANCE.md}
    [[ $doc == none || $doc == /* ]] || doc=$PWD/$doc

    PAGES_T0=$SECONDS
    local started
    started=$(date -u '+%Y-%m-%d %H:%M UTC')
    PAGES_OUT=${BENCH_OUT:-$ROOT/build/bench/pages-$(date -u +%Y%m%d-%H%M%S)}
    mkdir -p "$PAGES_OUT"
    PAGES_OUT=$(cd "$PAGES_OUT" && pwd -P)
    trap pages_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    PAGES_WRK=(-t"$BENCH_THREADS" -c"$BENCH_CONNS" -d"${BENCH_SECONDS}s" --latency)
    b_step "bench pages: wrk ${PAGES_WRK[*]} x $BENCH_REPEAT rounds over ${PAGES_ON[*]} (cache on), then ${PAGES_OFF[*]} (cache off); raw output in $PAGES_OUT"
    bstack_up "$PAGES_OUT"
    command -v wrk >/dev/null || b_die "wrk is not installed (apt-get install wrk)"

    b_step "choosing the URLs (through HAProxy, $BSTACK_URL)"
    pages_pick_urls
    pages_check_urls "${PAGES_ON[@]}"

    PAGES_TSV=$PAGES_OUT/runs.tsv
    (
        IFS=$'\t'
        printf '%s\n' "${TSV_COLS[*]}"
    ) >"$PAGES_TSV"
    pages_phase on "${PAGES_ON[@]}"
    pages_restart_cache_off
    pages_check_urls "${PAGES_OFF[@]}"
    pages_phase off "${PAGES_OFF[@]}"
    local tsv=$PAGES_TSV

    local section=$PAGES_OUT/section.md
    pages_report "$tsv" "$started" >"$section"
    printf '\n'
    cat "$section"
    printf '\n'
    if [[ $doc != none ]]; then
        b_doc_section "$doc" pages "$section"
        b_step "wrote the results into $doc (section bench:pages)"
    fi
}

# pages_report TSV STARTED: the Markdown section.
pages_report() {
    local tsv=$1 started=$2 p
    declare -A med=() p99m=() cell=() errs=() cpu=() runs=()
    local n_total=0 n_counted=0 n_noisy_pages=() maxother=0 discarded=()
    for p in "${PAGES[@]}"; do
        local sel all clean_rows
        all=$(awk -F'\t' -v p="$p" 'NR > 1 && $1 == p' "$tsv")
        clean_rows=$(awk -F'\t' '$11 == 1' <<<"$all")
        n_total=$((n_total + $(grep -c . <<<"$all")))
        if [[ -n $clean_rows ]]; then
            sel=$clean_rows
        else
            sel=$all
            n_noisy_pages+=("$p")
        fi
        local n rps_list p99_list
        n=$(grep -c . <<<"$sel")
        n_counted=$((n_counted + n))
        mapfile -t rps_list < <(cut -f4 <<<"$sel")
        mapfile -t p99_list < <(cut -f5 <<<"$sel")
        med[$p]=$(b_median "${rps_list[@]}")
        p99m[$p]=$(b_median "${p99_list[@]}")
        local mn mx
        mn=$(printf '%s\n' "${rps_list[@]}" | sort -g | head -n 1)
        mx=$(printf '%s\n' "${rps_list[@]}" | sort -g | tail -n 1)
        if ((n > 1)); then
            cell[$p]="$(b_fmt_rps "${med[$p]}") ($(b_fmt_rps "$mn")–$(b_fmt_rps "$mx")) ×$n"
        else
            cell[$p]="$(b_fmt_rps "${med[$p]}") ×1"
        fi
        [[ -z $clean_rows ]] && cell[$p]+=" **noisy**"
        runs[$p]=$(printf '%s\n' "${rps_list[@]}" | awk '{ printf "%s%.0f", (NR > 1 ? " / " : ""), $1 }')
        errs[$p]=$(awk -F'\t' '{ b += $7; s += $8; t += $9 } END {
            if (b + s == 0) print "0"
            else { o = ""; if (b) o = "non-2xx " b; if (s) o = o (o == "" ? "" : ", ") "socket " s (t ? " (" t " t/o)" : ""); print o } }' <<<"$sel")
        # mean CPU split of the counted runs, in the "key value" form of b_cpu_split
        local split
        split=$(awk -F'\t' -v cols="${TSV_COLS[*]}" 'BEGIN { n = split(cols, c, " ") }
            { for (i = 15; i <= n; i++) s[i] += $i; k++ }
            END { for (i = 15; i <= n; i++) printf "%s %.1f\n", c[i], s[i] / k }' <<<"$sel")
        cpu[$p]=$(b_cpu_text "$split" "${GROUPS_SHOWN[@]}")
        local mo
        mo=$(awk -F'\t' 'BEGIN { m = 0 } $10 > m { m = $10 } END { print m }' <<<"$sel")
        awk -v a="$mo" -v b="$maxother" 'BEGIN { exit !(a > b) }' && maxother=$mo
        while IFS=$'\t' read -r -a row; do
            discarded+=("$p round ${row[1]}: other ${row[9]}% (${row[11]})")
        done < <(awk -F'\t' '$11 == 0' <<<"$all")
    done

    local hello=${med[hello]} static=${med[static]}
    local nodes=2 procs=${STAMPEDE_WEB_PROCESSES:-2} threads=${STAMPEDE_WEB_THREADS:-8}
    local cmd="./stampede bench pages" v
    local envs=()
    for v in BENCH_CONNS BENCH_THREADS BENCH_SECONDS BENCH_REPEAT BENCH_WARMUP STAMPEDE_WEB_PROCESSES STAMPEDE_WEB_THREADS; do
        case $v in
        BENCH_CONNS) [[ ${!v} == 64 ]] && continue ;;
        BENCH_THREADS) [[ ${!v} == 2 ]] && continue ;;
        BENCH_SECONDS) [[ ${!v} == 10 ]] && continue ;;
        BENCH_REPEAT) [[ ${!v} == 3 ]] && continue ;;
        BENCH_WARMUP) [[ ${!v} == 2 ]] && continue ;;
        *) [[ -z ${!v:-} ]] && continue ;;
        esac
        envs+=("$v=${!v}")
    done
    ((${#envs[@]})) && cmd="${envs[*]} $cmd"

    printf '## Pages: `./stampede bench pages`\n\n'
    printf 'Run of %s, commit %s, by `%s` (took %s including the stack start).\n\n' \
        "$started" "$(b_git)" "$cmd" "$(b_secs $((SECONDS - PAGES_T0)))"
    printf -- '- **Machine:** %s. The load generator (wrk) shares these cores with the servers.\n' "$(b_machine)"
    printf -- '- **Versions:** %s.\n' "$(b_versions)"
    printf -- '- **Stack** (private, `STAMPEDE_BENCH=1`, all on 127.0.0.1): HAProxy (1 thread) → %d web nodes, each nginx (1 worker) → stampede-web %s processes × %s threads over a unix socket (no `fastcgi_keep_conn`); per node a stampede-hello pool of the same %s × %s behind the same nginx at `/__bench/hello`; MariaDB primary + replica behind stampede-dbproxy (reads outside transactions on the replica; buffer pool %s); %d memcached. Pages read products through the entity cache (see docs/ARCHITECTURE.md, Cache): each web thread\x27s near copy, kept exact by invalidations every catalog write sends to every node, in front of memcached; the rows marked *cache off* come from the same stack restarted with `STAMPEDE_CFG_CACHE_ENABLED=off`, where every page reads MariaDB on every request, with their own hello baseline measured in that phase.\n' \
        "$nodes" "$procs" "$threads" "$procs" "$threads" "${STAMPEDE_DB_BUFFER_POOL:-128M}" 2
    printf -- '- **Method:** `wrk -t%s -c%s -d%ss --latency URL` through HAProxy. Each URL is warmed up for %ss, then %s rounds with the URLs interleaved (%s); a cell is the median req/s (min–max) ×runs and the median of wrk'"'"'s p99. A run counts only if processes outside the bench stack and wrk used ≤ %s %% of one core during it (utime+stime from `/proc/<pid>/stat`); before each run the bench waits up to %s s for that, and repeats a noisy run up to %s times.\n\n' \
        "$BENCH_THREADS" "$BENCH_CONNS" "$BENCH_SECONDS" "$BENCH_WARMUP" "$BENCH_REPEAT" \
        "${PAGES[*]}" "$BENCH_IDLE_MAX" "$BENCH_IDLE_WAIT" "$BENCH_RETRIES"

    printf '| page | cache | path | body bytes | req/s | p99 ms | errors | ÷ hello | ÷ static |\n'
    printf '|---|---|---|---:|---|---:|---|---:|---:|\n'
    local base phase
    for p in "${PAGES[@]}"; do
        base=$hello phase=on
        [[ $p == *-off ]] && base=${med[hello-off]} phase=off
        [[ $p == static || ${p%-off} == hello ]] && phase="($phase)"
        printf '| %s | %s | `%s` | %s | %s | %.2f | %s | %s | %s |\n' "${PAGE_LABEL[$p]}" "$phase" \
            "${PAGE_PATH[$p]}" "${PAGE_BYTES[$p]}" "${cell[$p]}" "${p99m[$p]}" "${errs[$p]}" \
            "$(awk -v a="${med[$p]}" -v b="$base" 'BEGIN { printf "%.2f", a / b }')" \
            "$(awk -v a="${med[$p]}" -v b="$static" 'BEGIN { printf "%.2f", a / b }')"
    done
    printf '\nTargets (issue 4), cached pages through the same chain as hello: product page ≥ 0.75 × hello: **%s** (%s); home page (the catalog) ≥ 0.60 × hello: **%s** (%s).\n' \
        "$(awk -v a="${med[product]}" -v b="$hello" 'BEGIN { print (a / b >= 0.75 ? "met" : "not met") }')" \
        "$(awk -v a="${med[product]}" -v b="$hello" 'BEGIN { printf "%.2f", a / b }')" \
        "$(awk -v a="${med[home]}" -v b="$hello" 'BEGIN { print (a / b >= 0.60 ? "met" : "not met") }')" \
        "$(awk -v a="${med[home]}" -v b="$hello" 'BEGIN { printf "%.2f", a / b }')"
    printf '\nCache counters over each phase (catalog regions, both nodes, from `/metrics`):'
    local h m l n
    for phase in on off; do
        h=${PHASE_HITS[$phase]:-0} m=${PHASE_MISSES[$phase]:-0} l=${PHASE_LOADS[$phase]:-0}
        n=${PHASE_NEAR[$phase]:-0}
        printf ' cache %s: %s lookups, %s hits (%s of them from the threads\x27 near copies, without a memcached round trip), %s misses (hit ratio %s), %s database loads.' "$phase" \
            "$((h + m))" "$h" "$n" "$m" \
            "$(awk -v h="$h" -v m="$m" 'BEGIN { if (h + m) printf "%.4f", h / (h + m); else print "n/a" }')" "$l"
    done
    printf '\n'
    printf '\nCPU split (mean of the counted runs; %% of one core, 100 = one core, the machine has %d; softirq is charged to whichever process ran and is already inside the figures):\n\n' "$((NCPU * 100))"
    printf '| page | CPU split | req/s of each run |\n|---|---|---|\n'
    for p in "${PAGES[@]}"; do
        printf '| %s | %s | %s |\n' "$p" "${cpu[$p]}" "${runs[$p]}"
    done
    printf '\nNoise: %d of %d runs counted; the most CPU used by processes outside the bench during a counted run: %s %% of one core.' \
        "$n_counted" "$n_total" "$maxother"
    if ((${#discarded[@]})); then
        printf ' Discarded as noisy:'
        printf ' %s;' "${discarded[@]}"
    fi
    ((${#n_noisy_pages[@]} == 0)) || printf ' **No clean run for: %s; their figures are from noisy runs.**' "${n_noisy_pages[*]}"
    printf '\n\nThe wrk commands (the port is the private stack'"'"'s, different each run):\n\n```sh\n'
    for p in "${PAGES[@]}"; do
        printf 'wrk -t%s -c%s -d%ss --latency %s%s\n' "$BENCH_THREADS" "$BENCH_CONNS" "$BENCH_SECONDS" "$BSTACK_URL" "${PAGE_PATH[$p]}"
    done
    printf '```\n'
}
