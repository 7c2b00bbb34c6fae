#!/usr/bin/env bash
# lint.sh SRC — house rules that the compiler does not check:
#  1. banned functions: sprintf, strcpy, strcat, atoi, sscanf, strtok, gets (and vsprintf);
#  2. raw malloc/calloc/realloc/free only in the allocation seam (app/core/mem.c);
#  3. every C file formatted with the committed .clang-format.
set -uo pipefail
src=${1:-.}
cd "$src"
fail=0
files=$(git ls-files -co --exclude-standard -- 'app/*.c' 'app/*.h' 'tests/*.c' 'tests/*.h' 'tools/*.c' 2>/dev/null || find app tests tools -name '*.[ch]')

banned='(^|[^_[:alnum:]])(v?sprintf|strcpy|strcat|atoi|sscanf|strtok|gets)[[:space:]]*\('
if hits=$(grep -nE "$banned" $files | grep -v 'lint: allow'); then
  echo "lint: banned function used:"; echo "$hits"; fail=1
fi

rawalloc='(^|[^_[:alnum:]])(malloc|calloc|realloc|free)[[:space:]]*\('
if hits=$(grep -nE "$rawalloc" $(echo "$files" | tr ' ' '\n' | grep '^app/' | grep -v '^app/core/mem.c$') | grep -v 'lint: allow'); then
  echo "lint: raw allocation outside app/core/mem.c (use mem_* or the arena):"; echo "$hits"; fail=1
fi

if command -v clang-format >/dev/null; then
  if ! out=$(clang-format --dry-run --Werror $files 2>&1); then
    echo "lint: files not formatted with .clang-format (run: clang-format -i <file>):"
    echo "$out" | grep -E '^[^ ].*(warning|error)' | cut -d: -f1 | sort -u
    fail=1
  fi
else
  echo "lint: clang-format missing"; fail=1
fi
[ $fail = 0 ] && echo "lint: ok ($(echo $files | wc -w) files)"
exit $fail
