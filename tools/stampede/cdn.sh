# shellcheck shell=bash
# tools/stampede/cdn.sh — static assets on their way to the browser: the static origin (nginx
# serving only www/static, nginx/origin.conf.in), the CDN edge in front of it (nginx with
# proxy_cache, nginx/edge.conf.in, standing in for a CDN point of presence), the static.base_url
# the web nodes are given (the edge, or with STAMPEDE_CDN=off their own nginx), and
# publish-static (a build's fingerprinted assets into www/static, atomically, as a release).
# docs/OPERATIONS.md, "CDN edge", has the picture and the fallback.

# ---------------------------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------------------------
cdn_components() { # origin and edge: when on, or when one still runs (so `down` stops it anyway)
    local c
    for c in origin edge; do
        [[ $CDN == on || -e $RUN/$c.pid ]] && printf '%s\n' "$c"
    done
    return 0
}

# What every page's asset URLs start with: the edge, or each node's own /static/ location.
cdn_static_base_url() {
    if [[ $CDN == on ]]; then
        printf 'http://127.0.0.1:%s/static' "${CDN_PORTS[0]}"
    else
        printf '/static'
    fi
}

# A file every published release has (the stylesheet), to ask the origin and the edge for.
cdn_probe_path() {
    awk '$1 == "css/site.css" { print $2; exit }' "$BUILD/static-dist/manifest.txt"
}
cdn_answers() { # PORT PATH: GET /static/PATH answers 200
    [[ $(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$1/static/$2") == 200 ]]
}

start_cdn() {
    [[ $CDN == on ]] || return 0
    start_cdn_server origin
    start_cdn_server edge ORIGIN_PORT="${CDN_PORTS[1]}" CACHE="$DATA/cache/edge"
}
# start_cdn_server origin|edge KEY=VALUE...: renders nginx/NAME.conf.in (plus the KEY=VALUE
# placeholders of that template), starts it and waits until it serves the stylesheet.
start_cdn_server() {
    local c=$1 port pid out cfg=$ETC/$1.conf probe
    shift
    port=$(comp_port "$c")
    step "starting $c (nginx, 127.0.0.1:$port)"
    mkdir -p "$TMP/$c" "$DATA/cache"
    render "$ROOT/nginx/$c.conf.in" "$cfg" PORT="$port" RUN="$RUN" LOG="$LOG" TMP="$TMP/$c" \
        DATA="$DATA" ROOT="$ROOT" "$@"
    if pid=$(comp_pid "$c"); then
        step_end "already running (pid $pid)"
        return 0
    fi
    rm -f "$(comp_pidfile "$c")"
    if ! out=$(nginx -t -q -p "$DATA/" -c "$cfg" -e "$(comp_log "$c")" 2>&1); then
        die "nginx rejects $cfg:" "$out"
    fi
    if ! out=$(nginx -p "$DATA/" -c "$cfg" -e "$(comp_log "$c")" </dev/null 2>&1 9>&-); then
        die "nginx $c failed to start:" "$out"
    fi
    probe=$(cdn_probe_path)
    if ! wait_for 10 comp_pid "$c" || ! wait_for 10 cdn_answers "$port" "$probe"; then
        close_step
        show_log "$(comp_log "$c")" 20
        die "$c does not serve /static/$probe on 127.0.0.1:$port"
    fi
    ok "pid $(comp_pid "$c"), /static/ 200"
}

# ./stampede status: the edge's hit ratio so far (from its access log), the origin's release.
cdn_status_detail() {
    case $1 in
    edge)
        awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^cache=/) { n++; if ($i == "cache=HIT") h++ } }
            END { if (n) printf "%d requests, %d hits (%.0f%%)", n, h, 100 * h / n;
                  else printf "no requests yet" }' "$LOG/edge-access.log" 2>/dev/null || true
        ;;
    origin)
        local r
        r=$(cdn_releases "$WWW/static" | tail -n 1)
        printf 'release %s' "${r:-none}"
        ;;
    esac
}

# ---------------------------------------------------------------------------------------------
# publish-static
# ---------------------------------------------------------------------------------------------
# Each publish is a release: its manifest is kept as DEST/releases/<UTC time>-<hash>.txt (the
# hash is the manifest's, so the same build is the same release). The files of the newest
# CDN_KEEP_RELEASES releases are kept, so a page rendered by an older node (or open in a
# browser, or cached by a CDN) keeps its assets through a deploy; fingerprinted files no kept
# release names are deleted.
CDN_KEEP_RELEASES=5
cdn_releases() { # DEST: the release names, oldest first
    local f
    for f in "$1"/releases/*.txt; do
        [[ -e $f ]] && printf '%s\n' "$(basename "$f" .txt)"
    done
    return 0
}

publish_static() { # publish_static [DEST]
    local src=$BUILD/static-dist dest=${1:-$WWW/static} hash latest logical fp n=0 new=0
    [[ -s $src/manifest.txt ]] ||
        die "no fingerprinted assets in $src (manifest.txt missing)" \
            "build first (./stampede up builds; or cmake --build $BUILD)"
    dest=$(realpath -m -- "$dest")
    step "publishing static assets to $dest"
    mkdir -p "$dest/releases"
    local lock
    exec {lock}>>"$dest/releases/.lock"
    flock -w 60 "$lock" || die "another publish-static to $dest holds $dest/releases/.lock"
    hash=$(sha256sum <"$src/manifest.txt" | cut -c1-12)
    latest=$(cdn_releases "$dest" | tail -n 1)
    # Every file goes in under a temporary dot-name (never served) and is renamed into place,
    # so a browser never gets half a file. A fingerprinted name never changes content: a file
    # that is there already stays as it is.
    while read -r logical fp; do
        [[ -n $fp && $fp != */.* && $fp != .* && $fp != releases/* && $fp != *..* ]] ||
            die "$src/manifest.txt: bad line '$logical $fp'"
        n=$((n + 1))
        [[ -e $dest/$fp ]] && cmp -s "$src/$fp" "$dest/$fp" && continue
        local tmp
        tmp=$(dirname "$dest/$fp")/.$(basename "$fp").tmp.$$
        install -D -m 0644 "$src/$fp" "$tmp"
        mv -f "$tmp" "$dest/$fp"
        new=$((new + 1))
    done <"$src/manifest.txt"
    if ((new == 0)) && [[ $latest == *-"$hash" ]]; then
        exec {lock}>&-
        ok "$n files, release $latest already published: nothing to do"
        return 0
    fi
    # the release: last, once all its files are in place (a rollback to an older build makes
    # that release the newest again)
    local name first=
    name=$(date -u +%Y%m%dT%H%M%SZ)-$hash
    [[ -z $latest ]] && first=1
    rm -f "$dest"/releases/*-"$hash".txt
    cp "$src/manifest.txt" "$dest/releases/.$name.tmp.$$"
    chmod 0644 "$dest/releases/.$name.tmp.$$"
    mv -f "$dest/releases/.$name.tmp.$$" "$dest/releases/$name.txt"
    local pruned=0 dropped=0
    if [[ -z $first ]]; then
        read -r dropped pruned < <(prune_static "$dest")
    fi
    exec {lock}>&-
    ok "$n files, $new new, release releases/$name.txt; $(cdn_releases "$dest" | wc -l) release(s) kept, $dropped dropped, $pruned old file(s) deleted${first:+ (first release: nothing deleted)}"
}
# prune_static DEST: drops the releases older than the newest CDN_KEEP_RELEASES and deletes
# every fingerprinted file (name.<12 hex>.ext) that no kept release names, and what an
# interrupted publish left (it holds the lock, so no other publish is writing). Prints "DROPPED
# DELETED". Files without a fingerprint (put there by hand) are never deleted.
prune_static() {
    local dest=$1 r f dropped=0 deleted=0
    local -a releases
    local -A keep=()
    mapfile -t releases < <(cdn_releases "$dest")
    while ((${#releases[@]} > CDN_KEEP_RELEASES)); do
        rm -f "$dest/releases/${releases[0]}.txt"
        releases=("${releases[@]:1}")
        dropped=$((dropped + 1))
    done
    for r in "${releases[@]}"; do
        while read -r _ f; do keep[$f]=1; done <"$dest/releases/$r.txt"
    done
    while IFS= read -r -d '' f; do
        f=${f#"$dest"/}
        [[ ${f##*/} == .*.tmp.* ]] ||
            [[ ${f##*/} =~ \.[0-9a-f]{12}(\.[^./]+)?$ && -z ${keep[$f]:-} ]] || continue
        rm -f -- "${dest:?}/$f"
        deleted=$((deleted + 1))
    done < <(find "$dest" -path "$dest/releases" -prune -o -type f -print0)
    find "$dest" -mindepth 1 -type d -empty ! -name releases -delete 2>/dev/null || true
    printf '%s %s\n' "$dropped" "$deleted"
}

# ./stampede publish-static [DEST]
cmd_publish_static() {
    publish_static "$@"
}
