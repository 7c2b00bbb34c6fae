#!/usr/bin/env bash
# fingerprint.sh SRC DEST — copy every file of SRC to DEST with its content hash in the name
# (css/site.css -> css/site.3f2a1b9c0d.css) and write DEST/manifest.txt, one
# "logical-path fingerprinted-path" line per file. The app resolves asset names through the
# manifest, so a changed file gets a new URL and every URL can be cached forever.
set -euo pipefail
src=$(cd "$1" && pwd)
mkdir -p "$(dirname "$2")"
dest=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
tmp="$dest.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
: > "$tmp/manifest.txt"
cd "$src"
find . -type f ! -name '.*' | sed 's#^\./##' | LC_ALL=C sort | while IFS= read -r f; do
  hash=$(sha256sum "$f" | cut -c1-12)
  dir=$(dirname "$f")
  base=$(basename "$f")
  case "$base" in
    *.*) out="${base%.*}.$hash.${base##*.}" ;;
    *) out="$base.$hash" ;;
  esac
  [ "$dir" = "." ] && rel="$out" || rel="$dir/$out"
  mkdir -p "$tmp/$(dirname "$rel")"
  cp "$f" "$tmp/$rel"
  printf '%s %s\n' "$f" "$rel" >> "$tmp/manifest.txt"
done
rm -rf "$dest"
mv "$tmp" "$dest"
