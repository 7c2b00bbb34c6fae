#!/usr/bin/env bash
# layers.sh SRC "LAYERS" — fails when an #include in app/ points up or sideways between layers.
#
# LAYERS is the layer order from CMakeLists.txt (STAMPEDE_LAYERS, written there once), lowest
# first, layers separated by '|', folders of one layer (peers) by spaces:
#   "core|http tpl db cache dbproxy|shop|conf|front batch psp autoscale|web admin ops|site|bin"
# A file in app/F may include headers of its own folder and of folders in lower layers; an
# include of a higher layer (up) or of another folder in the same layer (sideways) is an
# error naming file and line. A folder of app/ that is in no layer is an error too, so a new
# folder has to be placed in the order before it can be built.
#
# Before checking SRC it checks itself on a small tree with one upward and one sideways
# include, and fails if it does not find both (a check that cannot fail proves nothing).
set -uo pipefail
src=$1 layers=$2

check() { # check DIR: prints violations, returns 1 if any
    local dir=$1 bad=0 f from to lf lt line inc
    declare -A level=()
    local i=0 layer folder
    IFS='|' read -ra list <<<"$layers"
    for layer in "${list[@]}"; do
        for folder in $layer; do level[$folder]=$i; done
        i=$((i + 1))
    done
    for d in "$dir"/app/*/; do
        folder=$(basename "$d")
        if [[ -z ${level[$folder]+x} ]]; then
            echo "layers: app/$folder is in no layer (add it to STAMPEDE_LAYERS in CMakeLists.txt)"
            bad=1
        fi
    done
    while IFS= read -r line; do
        f=${line%%:*}
        from=${f#"$dir"/app/}
        from=${from%%/*}
        inc=${line#*#include \"}
        to=${inc%%/*}
        [[ $inc == */* ]] || continue # "buf.h": the folder's own header
        [[ $to == "$from" ]] && continue
        lf=${level[$from]:-}
        lt=${level[$to]:-}
        [[ -n $lf ]] || continue # reported above
        if [[ -z $lt ]]; then
            echo "layers: ${line%%#*} includes \"${inc%%\"*}\": app/$to is in no layer"
            bad=1
        elif ((lt > lf)); then
            echo "layers: ${line%%#*} includes \"${inc%%\"*}\": up from $from to $to"
            bad=1
        elif ((lt == lf)); then
            echo "layers: ${line%%#*} includes \"${inc%%\"*}\": sideways from $from to its peer $to"
            bad=1
        fi
    done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$dir/app" --include='*.[ch]' |
        sed -E 's/#[[:space:]]*include[[:space:]]*"/#include "/')
    return $bad
}

# self-check: an upward and a sideways include must both be found
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/app/core" "$tmp/app/shop" "$tmp/app/web" "$tmp/app/admin"
printf '#include "shop/cart.h"\n' >"$tmp/app/core/up.c"
printf '#include "admin/admin.h"\n#include "core/str.h"\n' >"$tmp/app/web/side.c"
printf '#include "core/str.h"\n#include "cart.h"\n' >"$tmp/app/shop/ok.c"
: >"$tmp/app/admin/admin.h"
out=$(check "$tmp")
if ! grep -q 'app/core/up.c:1: .*up from core to shop' <<<"$out" ||
   ! grep -q 'app/web/side.c:1: .*sideways from web to its peer admin' <<<"$out" ||
   grep -q 'ok.c' <<<"$out"; then
    echo "layers: the self-check did not find exactly the planted violations:"
    echo "$out"
    exit 2
fi

if out=$(check "$src"); then
    echo "layers: ok ($(grep -rl '#include' "$src/app" --include='*.[ch]' | wc -l) files, order: $layers)"
    exit 0
fi
echo "$out" | sed "s#$src/##"
exit 1
