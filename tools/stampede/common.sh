# shellcheck shell=bash
# tools/stampede/common.sh — sourced first by ./stampede. Output helpers (step, ok, step_end,
# close_step, say, warn, die, show_log: the "==> ... ok (1.2s)" lines and error messages), the
# ERR trap (set when this file is sourced), wait_for, and two small tools every part uses: render
# (templates) and take_lock (one ./stampede command at a time per data folder).

# ---------------------------------------------------------------------------------------------
# Output helpers
# ---------------------------------------------------------------------------------------------
STEP_OPEN=
STEP_T0=0
now_us() { printf '%s' "${EPOCHREALTIME//[!0-9]/}"; }
fmt_secs() { # microseconds -> "1.2s"
    local ds=$((($1 + 50000) / 100000))
    printf '%d.%ds' $((ds / 10)) $((ds % 10))
}
step() {
    STEP_T0=$(now_us)
    STEP_OPEN=1
    printf '==> %s ... ' "$*"
}
ok() { # ok [note]
    local t=$(($(now_us) - STEP_T0))
    printf 'ok (%s)%s\n' "$(fmt_secs $t)" "${1:+: $1}"
    STEP_OPEN=
}
step_end() { # finish the open step with another word ("skipped", "already running ...")
    printf '%s\n' "$*"
    STEP_OPEN=
}
close_step() { # close_step [WORD]: ends an open step line (default: FAILED)
    if [[ -n $STEP_OPEN ]]; then
        printf '%s\n' "${1:-FAILED}"
        STEP_OPEN=
    fi
}
say() { close_step; printf '%s\n' "$*"; }
warn() {
    close_step "warning:"
    local l
    for l in "$@"; do printf 'warning: %s\n' "$l" >&2; done
}
die() { # die "first line" ["more lines"...]; exits 1
    close_step
    printf 'error: %s\n' "$1" >&2
    shift
    local l
    for l in "$@"; do printf '       %s\n' "$l" >&2; done
    exit 1
}
show_log() { # show_log FILE [LINES]
    local f=$1 n=${2:-30}
    [[ -s $f ]] || return 0
    printf -- '----- last %s lines of %s -----\n' "$n" "$f" >&2
    tail -n "$n" -- "$f" >&2 || true
    printf -- '-----\n' >&2
}
on_err() {
    local rc=$? line=$1 cmd=$2
    close_step
    # the file of the failing line: ./stampede itself or one of the tools/stampede/*.sh it sources
    printf 'error: unexpected failure (exit %s) at %s line %s: %s\n' "$rc" "${BASH_SOURCE[1]:-$0}" \
        "$line" "$cmd" >&2
    exit "$rc"
}
trap 'on_err $LINENO "$BASH_COMMAND"' ERR

# wait_for SECONDS COMMAND...: polls every 0.1 s until COMMAND succeeds; 1 on timeout.
wait_for() {
    local end=$(($(now_us) + $1 * 1000000))
    shift
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        (($(now_us) < end)) || return 1
        sleep 0.1
    done
}

# ---------------------------------------------------------------------------------------------
# Small tools
# ---------------------------------------------------------------------------------------------
# render TEMPLATE OUT KEY=VALUE...: replaces every @KEY@; refuses to leave one unreplaced.
render() {
    local tpl=$1 out=$2 kv content
    shift 2
    [[ -r $tpl ]] || die "template $tpl is missing"
    content=$(<"$tpl")
    for kv in "$@"; do
        content=${content//@${kv%%=*}@/${kv#*=}}
    done
    if [[ $content =~ @[A-Z0-9_]+@ ]]; then
        die "template $tpl: placeholder ${BASH_REMATCH[0]} has no value"
    fi
    printf '%s\n' "$content" >"$out.tmp.$$"
    mv -f "$out.tmp.$$" "$out"
}

# Every daemon is started with fd 9 (our lock) closed, so it does not keep the lock.
take_lock() {
    mkdir -p "$DATA"
    exec 9>>"$DATA/.lock"
    if ! flock -n 9; then
        say "==> another ./stampede command is working on $DATA; waiting (up to 5 min) ..."
        flock -w 300 9 || die "$DATA is still locked by another ./stampede command"
    fi
}
