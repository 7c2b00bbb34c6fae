#!/usr/bin/env bash
# bench.sh — Stampede's benchmarks (not tests: nothing here asserts a timing).
#
#   ./stampede bench            list the benches (also: help, list)
#   ./stampede bench NAME       run one, e.g. ./stampede bench pages
#
# Each bench is a file tools/bench/NAME.sh that defines bench_main (and bench_help), with a
# "# summary: ..." line that this list shows; tools/bench/lib.sh holds what they share. A bench
# starts its own private stack (temporary data folder, free ports, STAMPEDE_BENCH=1), never
# touches the developer's, reports speed as ratios to a baseline measured in the same run and
# writes its section of docs/PERFORMANCE.md.
set -Eeuo pipefail
shopt -u patsub_replacement 2>/dev/null || true

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BENCH_DIR=$ROOT/tools/bench
# shellcheck source=tools/bench/lib.sh
. "$BENCH_DIR/lib.sh"

bench_names() {
    local f n
    for f in "$BENCH_DIR"/*.sh; do
        n=${f##*/}
        n=${n%.sh}
        [[ $n == lib ]] && continue
        printf '%s\n' "$n"
    done
}

usage() {
    local n s
    printf 'usage: ./stampede bench NAME   (or tools/bench.sh NAME)\n\nbenches:\n'
    while read -r n; do
        s=$(sed -n 's/^# summary: //p' "$BENCH_DIR/$n.sh" | head -n 1)
        printf '  %-10s %s\n' "$n" "$s"
    done < <(bench_names)
    cat <<'EOF'

./stampede bench NAME help   shows a bench's settings. Every bench starts its own private stack
(temporary STAMPEDE_DATA, free STAMPEDE_PORT_BASE, STAMPEDE_BENCH=1; monitoring and the autoscaler
off unless STAMPEDE_MONITORING=on / STAMPEDE_AUTOSCALE=on), deletes it at the end and writes its
section of docs/PERFORMANCE.md (BENCH_DOC=FILE writes elsewhere, BENCH_DOC=none not at all).
EOF
}

main() {
    local name=${1:-help}
    (($#)) && shift
    case $name in
    help | -h | --help | list)
        usage
        return 0
        ;;
    esac
    if [[ ! $name =~ ^[a-z0-9_-]+$ || $name == lib || ! -f $BENCH_DIR/$name.sh ]]; then
        usage >&2
        b_die "unknown bench '$name'"
    fi
    # shellcheck source=/dev/null
    . "$BENCH_DIR/$name.sh"
    case ${1:-} in
    help | -h | --help)
        bench_help
        return 0
        ;;
    esac
    bench_main "$@"
}
main "$@"
