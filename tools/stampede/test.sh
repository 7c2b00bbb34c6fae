# shellcheck shell=bash
# tools/stampede/test.sh — `./stampede test` (test packages, tests/e2e node packages, the
# build/test configuration: clang, Debug, ASan+UBSan, fuzzers; then ctest) and `./stampede bench`
# (hands over to tools/bench.sh, which starts its own private stacks).

# ---------------------------------------------------------------------------------------------
# test, bench
# ---------------------------------------------------------------------------------------------
cmd_test() {
    local -a pk=("${RUNTIME_PACKAGES[@]}" "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}")
    command -v node >/dev/null || pk+=(nodejs npm)
    ensure_packages "${pk[@]}"
    if [[ -f $ROOT/tests/e2e/package.json ]]; then
        command -v npm >/dev/null || die "tests/e2e needs npm, which is not installed"
        step "installing tests/e2e node packages"
        local nlog
        nlog=$(mktemp "${TMPDIR:-/tmp}/stampede-npm.XXXXXX")
        if [[ -f $ROOT/tests/e2e/package-lock.json ]]; then
            (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund) >"$nlog" 2>&1 || {
                close_step
                show_log "$nlog" 30
                die "npm ci failed in tests/e2e"
            }
        else
            (cd "$ROOT/tests/e2e" && npm install --no-audit --no-fund) >"$nlog" 2>&1 || {
                close_step
                show_log "$nlog" 30
                die "npm install failed in tests/e2e"
            }
        fi
        rm -f "$nlog"
        ok
    fi
    say "==> configuring build/test (clang, Debug, ASan+UBSan, fuzzers)"
    CC=clang cmake -S "$ROOT" -B "$ROOT/build/test" -DCMAKE_BUILD_TYPE=Debug \
        -DSTAMPEDE_SANITIZE=ON -DSTAMPEDE_FUZZ=ON || die "cmake configure of build/test failed"
    say "==> building build/test"
    cmake --build "$ROOT/build/test" -j"$(nproc)" || die "build of build/test failed"
    say "==> ctest --test-dir build/test --output-on-failure -j1 $*"
    local rc=0
    ctest --test-dir "$ROOT/build/test" --output-on-failure -j1 "$@" || rc=$?
    exit "$rc"
}

cmd_bench() {
    # The benchmark driver; each bench starts its own private stack (never this data folder's).
    if [[ -x $ROOT/tools/bench.sh ]]; then
        export STAMPEDE_DATA=$DATA STAMPEDE_BUILD_DIR=$BUILD
        exec "$ROOT/tools/bench.sh" "$@"
    fi
    printf 'bench: not available yet\n' >&2
    exit 2
}
