# shellcheck shell=bash
# tools/stampede/build.sh — do_build: the Release build of `up` (cmake configure and build into
# $BUILD, logged to log/build.log, compiler errors shown on failure; STAMPEDE_NO_BUILD=1 skips).
# The test build (build/test) is in test.sh.

# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------
do_build() {
    if [[ ${STAMPEDE_NO_BUILD:-} == 1 ]]; then
        step "building (Release) in $BUILD"
        step_end "skipped (STAMPEDE_NO_BUILD=1)"
        return 0
    fi
    local blog=$LOG/build.log
    step "configuring $BUILD (Release)"
    if ! cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSTAMPEDE_TESTS=OFF >"$blog" 2>&1; then
        close_step
        show_log "$blog" 40
        die "cmake configure failed (log: $blog)"
    fi
    ok
    step "building with $(nproc) jobs"
    if ! cmake --build "$BUILD" -j"$(nproc)" >>"$blog" 2>&1; then
        close_step
        if grep -q -E 'error:|Error [0-9]' "$blog"; then
            printf -- '----- errors from %s -----\n' "$blog" >&2
            grep -E -A4 -m 10 'error:' "$blog" >&2 || grep -E -m 10 'Error [0-9]' "$blog" >&2 || true
            printf -- '-----\n' >&2
        else
            show_log "$blog" 40
        fi
        die "build failed (log: $blog)"
    fi
    ok
}
