#!/usr/bin/env bash
# Fetches the external test corpora (ZXing's QR photos, the EU DCC conformance cases) from their public
# repositories at the commits pinned in scripts/corpora.sha256, checks every file against its SHA-256 there, and
# lays them out where the tests look: $CHOT_CORPORA, else ../shared beside the clone. Idempotent: files already
# present and correct are not fetched again; a file that fails its check is never put in place.
#
#   scripts/get-corpora.sh [--dest DIR] [--check] [--manifest FILE] [CORPUS...]
#
# CORPUS: qr-corpus, dcc-testdata (default: all). --check only verifies what is there (no network), exit 1 if
# anything is missing or wrong. Files come from $CHOT_CORPORA_BASE/OWNER/REPO/COMMIT/PATH, by default
# https://raw.githubusercontent.com; a file:// base serves them from a local copy. Needs curl and sha256sum.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
clone=$(dirname "$here")
dest=${CHOT_CORPORA:-$(dirname "$clone")/shared}
base=${CHOT_CORPORA_BASE:-https://raw.githubusercontent.com}
manifest=$here/corpora.sha256
check_only=0
wanted=()

die() { printf 'get-corpora: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

while [ $# -gt 0 ]; do
  case $1 in
    --dest) [ $# -ge 2 ] || die "--dest needs a folder"; dest=$2; shift 2 ;;
    --manifest) [ $# -ge 2 ] || die "--manifest needs a file"; manifest=$2; shift 2 ;;
    --check) check_only=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) wanted+=("$1"); shift ;;
  esac
done

[ -r "$manifest" ] || die "cannot read the manifest $manifest"
if command -v sha256sum >/dev/null 2>&1; then sha() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then sha() { shasum -a 256 "$1" | cut -d' ' -f1; }
else die "neither sha256sum nor shasum is installed: install coreutils"; fi
[ "$check_only" = 1 ] || command -v curl >/dev/null 2>&1 || die "curl is not installed: run \"sudo apt-get install curl\""

known=$(awk '$1 == "corpus" { print $2 }' "$manifest")
[ -n "$known" ] || die "$manifest names no corpus"
for w in "${wanted[@]+"${wanted[@]}"}"; do
  printf '%s\n' "$known" | grep -qx -- "$w" || die "unknown corpus \"$w\" (known: $(printf '%s' "$known" | tr '\n' ' '))"
done
is_wanted() {
  [ ${#wanted[@]} -eq 0 ] && return 0
  local w
  for w in "${wanted[@]}"; do [ "$w" = "$1" ] && return 0; done
  return 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"
failed=0

# One corpus: see what is missing or wrong, fetch those in one curl run, check each, then move it into place.
sync_corpus() {
  local name=$1 repo=$2 commit=$3 upstream=$4 list=$5
  local total=0 fetch=0 placed=0 sum path target url got prefix=
  [ "$upstream" = . ] || prefix=${upstream%/}/
  : >"$work/curl.cfg"
  : >"$work/todo"
  while read -r sum path; do
    total=$((total + 1))
    target=$dest/$path
    if [ -f "$target" ] && [ "$(sha "$target")" = "$sum" ]; then continue; fi
    if [ "$check_only" = 1 ]; then
      if [ -f "$target" ]; then printf 'get-corpora: %s has the wrong checksum\n' "$target" >&2
      else printf 'get-corpora: %s is missing\n' "$target" >&2; fi
      failed=1
      continue
    fi
    url=$base/$repo/$commit/$prefix${path#"$name"/}
    printf 'url = "%s"\noutput = "%s.part"\n' "$url" "$target" >>"$work/curl.cfg"
    printf '%s %s %s\n' "$sum" "$path" "$url" >>"$work/todo"
    fetch=$((fetch + 1))
  done <"$list"

  if [ "$fetch" -gt 0 ]; then
    printf 'get-corpora: %s: fetching %d of %d files from %s/%s at %s\n' "$name" "$fetch" "$total" "$base" "$repo" "$commit"
    # curl goes on after a failed file; each .part is checked below, so a partial run leaves nothing wrong in place
    curl --fail --silent --show-error --location --retry 3 --create-dirs --config "$work/curl.cfg" || true
    while read -r sum path url; do
      target=$dest/$path
      if [ ! -f "$target.part" ]; then
        printf 'get-corpora: could not fetch %s\n' "$url" >&2
        failed=1
        continue
      fi
      got=$(sha "$target.part")
      if [ "$got" != "$sum" ]; then
        printf 'get-corpora: %s has SHA-256 %s, expected %s: not put in place (is the commit right?)\n' "$url" "$got" "$sum" >&2
        rm -f "$target.part"
        failed=1
        continue
      fi
      mv -f "$target.part" "$target"
      placed=$((placed + 1))
    done <"$work/todo"
  fi
  if [ "$check_only" = 1 ]; then
    printf 'get-corpora: %s: checked %d files in %s\n' "$name" "$total" "$dest/$name"
  else
    printf 'get-corpora: %s: %d of %d files in place in %s (%d fetched now)\n' "$name" "$((total - fetch + placed))" "$total" "$dest/$name" "$placed"
  fi
}

# split the manifest into one list per corpus, then sync the wanted ones
current=
while read -r first second third fourth fifth; do
  case $first in
    ''|'#'*) continue ;;
    corpus)
      current=$second
      printf '%s %s %s %s\n' "$second" "$third" "$fourth" "$fifth" >>"$work/corpora"
      : >"$work/list.$current" ;;
    *)
      [ -n "$current" ] || die "$manifest: a file line before any corpus line"
      case $second in "$current"/*) ;; *) die "$manifest: $second is not inside corpus $current" ;; esac
      printf '%s %s\n' "$first" "$second" >>"$work/list.$current" ;;
  esac
done <"$manifest"

while read -r name repo commit upstream; do
  is_wanted "$name" || continue
  sync_corpus "$name" "$repo" "$commit" "$upstream" "$work/list.$name"
done <"$work/corpora"

if [ "$failed" != 0 ]; then
  if [ "$check_only" = 1 ]; then die "some files are missing or wrong: run scripts/get-corpora.sh to fetch them"; fi
  die "some files could not be fetched or failed their checksum: see above; run again to retry"
fi
