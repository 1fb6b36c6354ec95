#!/usr/bin/env bash
# Shared steps for provision-kiosk.sh and provision-hub.sh. Every step compares before it changes, so a second
# run changes nothing and says so; with DRY_RUN=1 each change is printed and not made. ROOT is an install prefix
# ("" on a real Pi; a folder in the tests).
# shellcheck disable=SC2034  # SRC, SHIFT, DRY_RUN… are set here and read by the scripts that source this file
set -euo pipefail

CHANGES=0
SHIFT=0

# common_opt OPTION VALUE: the options every provisioning script takes. Sets SHIFT to how many arguments it used;
# returns 1 for an option it does not know.
common_opt() {
  case "$1" in
    --dry-run) DRY_RUN=1; SHIFT=1 ;;
    --prefix) ROOT="$2"; SHIFT=2 ;;   # install into this folder instead of / (tests, image builds)
    --arch) ARCH="$2"; SHIFT=2 ;;     # the target's architecture, when it is not this machine's
    --no-npm) NO_NPM=1; SHIFT=1 ;;    # do not run npm ci in /opt/chot (tests)
    --source) SRC="$2"; SHIFT=2 ;;    # the built app to install (default: this repository)
    --tz) TZ_NAME="$2"; SHIFT=2 ;;    # the time zone (default Asia/Ho_Chi_Minh): verdict times and the screen's clock
    *) return 1 ;;
  esac
}
say() { printf '%s\n' "$*"; }
die() { printf 'provision: %s\n' "$*" >&2; exit 1; }
change() { CHANGES=$((CHANGES + 1)); if [[ "${DRY_RUN:-0}" == 1 ]]; then say "would: $*"; else say "change: $*"; fi; }
apply() { [[ "${DRY_RUN:-0}" == 1 ]] || "$@"; }

# check_os "IDS" "RELEASES" "ARCHITECTURES": refuses anything else with one line saying what is required. Raspberry
# Pi OS says ID=debian on 64-bit and ID=raspbian on 32-bit. Sets OS_CODENAME and OS_ARCH for the steps after it.
check_os() {
  local release="${ROOT}/etc/os-release" id
  OS_ARCH="${ARCH:-$(dpkg --print-architecture 2>/dev/null || uname -m)}"
  [[ -r "$release" ]] || die "cannot read $release: is this Raspberry Pi OS or Debian?"
  id=$(sed -n 's/^ID=//p' "$release" | tr -d '"')
  OS_CODENAME=$(sed -n 's/^VERSION_CODENAME=//p' "$release" | tr -d '"')
  [[ " $1 " == *" $id "* ]] || die "unsupported OS \"$id\": $4 is required"
  [[ " $2 " == *" $OS_CODENAME "* ]] || die "unsupported release \"$OS_CODENAME\": $4 is required"
  [[ " $3 " == *" $OS_ARCH "* ]] || die "unsupported architecture \"$OS_ARCH\": one of $3 is required (Node.js 24 has no 32-bit ARM build: use the 64-bit OS)"
  say "ok: $id $OS_CODENAME on $OS_ARCH"
}

# check_pi: a Raspberry Pi 5, 4 (or 400/500, CM4/CM5) or 3B+, read from the device tree
check_pi() {
  local f="${ROOT}/proc/device-tree/model" model
  [[ -r "$f" ]] || die "cannot read /proc/device-tree/model: a kiosk is a Raspberry Pi 5, 4 or 3B+"
  model=$(tr -d '\0' < "$f")
  case "$model" in
    # "Raspberry Pi 5" and "4" include the 500 and 400 keyboards
    "Raspberry Pi 5"*|"Raspberry Pi Compute Module 5"*|"Raspberry Pi 4"*|"Raspberry Pi Compute Module 4"*|"Raspberry Pi 3 Model B Plus"*) say "ok: $model" ;;
    *) die "unsupported board \"$model\": a Raspberry Pi 5, 4 or 3B+ is required" ;;
  esac
}

ensure_group() {
  if grep -q "^$1:" "${ROOT}/etc/group" 2>/dev/null; then return; fi
  change "create group $1"
  apply groupadd ${ROOT:+--root "$ROOT"} --system "$1"
}

# ensure_user NAME HOME GROUP...
ensure_user() {
  local name="$1" home="$2"; shift 2
  if ! grep -q "^${name}:" "${ROOT}/etc/passwd" 2>/dev/null; then
    change "create system user $name"
    apply useradd ${ROOT:+--root "$ROOT"} --system --home-dir "$home" --no-create-home --shell /usr/sbin/nologin --user-group "$name"
  fi
  local g
  for g in "$@"; do
    ensure_group "$g"
    if ! grep -qE "^${g}:[^:]*:[^:]*:(.*,)?${name}(,|$)" "${ROOT}/etc/group" 2>/dev/null; then
      change "add $name to group $g"
      apply usermod ${ROOT:+--root "$ROOT"} -a -G "$g" "$name"
    fi
  done
}

# install_file SRC DEST MODE: copies when the content or mode differs
install_file() {
  local src="$1" dest="${ROOT}$2" mode="$3"
  if [[ -f "$dest" ]] && cmp -s "$src" "$dest" && [[ "$(stat -c %a "$dest")" == "$mode" ]]; then return; fi
  change "install $2 (mode $mode)"
  apply install -D -m "$mode" "$src" "$dest"
}

# write_file DEST MODE CONTENT: writes when the content differs
write_file() {
  local dest="${ROOT}$1" mode="$2" content="$3"
  if [[ -f "$dest" ]] && [[ "$(cat "$dest")" == "$content" ]]; then return; fi
  change "write $1"
  if [[ "${DRY_RUN:-0}" != 1 ]]; then mkdir -p "$(dirname "$dest")"; printf '%s\n' "$content" > "$dest"; chmod "$mode" "$dest"; fi
}

# install_app SRC: the built app under /opt/chot, production dependencies only
install_app() {
  local src="$1" dest="${ROOT}/opt/chot" f
  [[ -f "$src/dist/scripts/chot.js" ]] || die "$src has no dist/: run npm ci && npm run build there first"
  while IFS= read -r f; do install_file "$src/$f" "/opt/chot/$f" 644; done < <(cd "$src" && find package.json package-lock.json dist kiosk/config.schema.json hub/config.schema.json hub/web systemd README.md kiosk/README.md hub/README.md protocol/README.md -type f -not -name '*.map' | grep -v '/test/' | sort)
  if [[ "${NO_NPM:-0}" == 1 ]]; then say "skip: npm ci --omit=dev (--no-npm)"; return; fi
  if [[ -d "$dest/node_modules" ]] && cmp -s "$src/package-lock.json" "$dest/node_modules/.package-lock.json.chot" 2>/dev/null; then return; fi
  change "npm ci --omit=dev in /opt/chot"
  if [[ "${DRY_RUN:-0}" != 1 ]]; then (cd "$dest" && npm ci --omit=dev --no-audit --no-fund) && cp "$src/package-lock.json" "$dest/node_modules/.package-lock.json.chot"; fi
}

# install_release SRC: the kiosk's first release, as software updates keep them (kiosk/README.md, Software updates):
# the app's files in /opt/chot/releases/VERSION with its release.json, `current` and `good` pointing at it, the
# dependencies shared from /opt/chot/node_modules (install_app). /opt/chot and its releases belong to the chot user,
# which unpacks later releases and moves the links; nothing there runs as root.
install_release() {
  local src="$1" version f rel
  version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$src/package.json" | head -n 1)
  [[ -n "$version" ]] || die "$src/package.json has no version"
  rel="/opt/chot/releases/$version"
  while IFS= read -r f; do install_file "$src/$f" "$rel/$f" 644; done < <(cd "$src" && find package.json package-lock.json dist kiosk/config.schema.json hub/config.schema.json kiosk/web systemd -type f -not -name '*.map' 2>/dev/null | grep -v '/test/' | sort)
  [[ -f "${ROOT}$rel/release.json" ]] || write_file "$rel/release.json" 644 "{\"format\": 1, \"version\": \"$version\", \"arch\": \"arm64\", \"deps\": \"shared\", \"createdAt\": 0}"
  for link in current good; do
    if [[ "$(readlink "${ROOT}/opt/chot/$link" 2>/dev/null)" != releases/* ]]; then
      change "link /opt/chot/$link -> releases/$version"
      apply ln -sfn "releases/$version" "${ROOT}/opt/chot/$link"
    fi
  done
  if [[ "${DRY_RUN:-0}" != 1 && "$(id -u)" == 0 ]] && awk -F: '$1 == "chot" { f = 1 } END { exit !f }' "${ROOT}/etc/passwd"; then
    local ids
    ids=$(awk -F: '$1 == "chot" { print $3 ":" $4 }' "${ROOT}/etc/passwd")
    chown "$ids" "${ROOT}/opt/chot" "${ROOT}/opt/chot/releases"
    chown -hR "$ids" "${ROOT}$rel" "${ROOT}/opt/chot/current" "${ROOT}/opt/chot/good"
  fi
}

# Node.js 24 LTS from NodeSource's apt repository (https://deb.nodesource.com/node_24.x), so that apt upgrade brings
# its security releases. The repository's signing key is fetched and used only if its fingerprint is this one;
# apt then checks every package against it. No setup script is piped into a shell.
NODE_MAJOR=24
NODESOURCE_KEY_URL=https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key
NODESOURCE_FPR=6F71F525282841EEDAF851B42F59B5F99B1BE0B4

# key_fingerprint FILE: the fingerprint of the one primary key in an armoured key file; fails if there is not exactly one
key_fingerprint() {
  local home out
  home=$(mktemp -d)
  out=$(GNUPGHOME="$home" gpg --batch --quiet --show-keys --with-colons "$1" 2>/dev/null) || { rm -rf "$home"; return 1; }
  rm -rf "$home"
  [[ $(grep -c '^pub:' <<< "$out") == 1 ]] || return 1
  awk -F: '$1 == "fpr" { print $10; exit }' <<< "$out"
}

ensure_node() {
  write_file /etc/apt/sources.list.d/nodesource.sources 644 "Types: deb
URIs: https://deb.nodesource.com/node_${NODE_MAJOR}.x
Suites: nodistro
Components: main
Signed-By: /etc/apt/keyrings/nodesource.gpg"
  # Debian's own nodejs (20 on Trixie, 18 on Bookworm) must never win over NodeSource's
  write_file /etc/apt/preferences.d/nodesource 644 "Package: nodejs
Pin: origin deb.nodesource.com
Pin-Priority: 600"
  if [[ -n "$ROOT" ]]; then say "skip: NodeSource key and apt-get install nodejs (installing into $ROOT)"; return; fi
  local v
  v=$(node --version 2>/dev/null | sed 's/^v//; s/\..*//') || v=0
  if [[ -x /usr/bin/node && "${v:-0}" -ge "$NODE_MAJOR" ]]; then say "ok: Node.js $(node --version)"; return; fi
  if [[ ! -s /etc/apt/keyrings/nodesource.gpg ]]; then
    change "fetch NodeSource's signing key, check its fingerprint is $NODESOURCE_FPR"
    if [[ "${DRY_RUN:-0}" != 1 ]]; then
      local tmp fpr
      tmp=$(mktemp)
      curl -fsSL --proto '=https' "$NODESOURCE_KEY_URL" -o "$tmp" || { rm -f "$tmp"; die "cannot download $NODESOURCE_KEY_URL: check the network"; }
      fpr=$(key_fingerprint "$tmp") || fpr="(not one key)"
      [[ "$fpr" == "$NODESOURCE_FPR" ]] || { rm -f "$tmp"; die "NodeSource's key has fingerprint $fpr, expected $NODESOURCE_FPR: not installing it"; }
      install -d -m 755 /etc/apt/keyrings
      gpg --batch --yes --dearmor -o /etc/apt/keyrings/nodesource.gpg "$tmp"
      chmod 644 /etc/apt/keyrings/nodesource.gpg
      rm -f "$tmp"
    fi
  fi
  change "apt-get install nodejs ${NODE_MAJOR}.x from NodeSource (found ${v:-none})"
  apply bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs'
  if [[ "${DRY_RUN:-0}" != 1 ]]; then
    v=$(/usr/bin/node --version 2>/dev/null | sed 's/^v//; s/\..*//') || v=0
    [[ "${v:-0}" -ge "$NODE_MAJOR" ]] || die "/usr/bin/node is $(/usr/bin/node --version 2>/dev/null || echo missing) after installing, not ${NODE_MAJOR}: check apt-cache policy nodejs"
  fi
}

# ensure_timezone NAME: /etc/localtime and /etc/timezone (what timedatectl set-timezone writes)
ensure_timezone() {
  local tz="$1" zones="${ROOT}/usr/share/zoneinfo"
  [[ -d "$zones" ]] || zones=/usr/share/zoneinfo
  [[ "$tz" =~ ^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$ && -f "$zones/$tz" ]] || die "--tz \"$tz\" is not a time zone in $zones (e.g. Asia/Ho_Chi_Minh)"
  if [[ "$(readlink "${ROOT}/etc/localtime" 2>/dev/null)" != "/usr/share/zoneinfo/$tz" ]]; then
    change "set the time zone to $tz"
    if [[ "${DRY_RUN:-0}" != 1 ]]; then mkdir -p "${ROOT}/etc"; ln -sfn "/usr/share/zoneinfo/$tz" "${ROOT}/etc/localtime"; fi
  fi
  write_file /etc/timezone 644 "$tz"
}

# ensure_line FILE LINE: appends LINE to a file owned by someone else (a desktop autostart) unless it is there
ensure_line() {
  local dest="${ROOT}$1"
  if [[ -f "$dest" ]] && grep -qxF -- "$2" "$dest"; then return; fi
  change "add to $1: $2"
  if [[ "${DRY_RUN:-0}" != 1 ]]; then mkdir -p "$(dirname "$dest")"; printf '%s\n' "$2" >> "$dest"; fi
}

# no_line FILE PATTERN: removes the lines containing PATTERN (a fixed string)
no_line() {
  local dest="${ROOT}$1"
  [[ -f "$dest" ]] && grep -qF -- "$2" "$dest" || return 0
  change "remove the $2 line(s) from $1"
  [[ "${DRY_RUN:-0}" == 1 ]] && return
  local tmp; tmp=$(mktemp)
  grep -vF -- "$2" "$dest" > "$tmp" || true
  cat "$tmp" > "$dest"; rm -f "$tmp"
}

# give_to USER HOME RELATIVE-PATH: a file written into a user's home, and the folders made for it, belong to the user
give_to() {
  [[ "${DRY_RUN:-0}" == 1 || "$(id -u)" != 0 ]] && return
  local ids p="$3"
  ids=$(awk -F: -v u="$1" '$1 == u { print $3 ":" $4 }' "${ROOT}/etc/passwd")
  while [[ -n "$p" && "$p" != . ]]; do
    if [[ -e "${ROOT}$2/$p" && "$(stat -c %u "${ROOT}$2/$p")" == 0 ]]; then chown -h "$ids" "${ROOT}$2/$p"; fi
    p=$(dirname "$p")
  done
}

# ensure_ini FILE SECTION KEY VALUE: sets one key of an ini file (wayfire.ini, lightdm.conf), keeping the rest
ensure_ini() {
  local dest="${ROOT}$1" section="$2" key="$3" value="$4"
  if [[ -f "$dest" ]] && awk -v s="[$section]" -v k="$key" -v v="$value" '
      $0 == s { in_s = 1; next } /^\[/ { in_s = 0 }
      in_s { line = $0; sub(/[ \t]*=.*/, "", line); if (line == k) { val = $0; sub(/^[^=]*=[ \t]*/, "", val); if (val == v) found = 1 } }
      END { exit found ? 0 : 1 }' "$dest"; then return; fi
  change "set $key = $value in [$section] of $1"
  [[ "${DRY_RUN:-0}" == 1 ]] && return
  mkdir -p "$(dirname "$dest")"; touch "$dest"
  local tmp; tmp=$(mktemp)
  # a new key goes at the end of its section, before the blank lines that separate it from the next
  awk -v s="[$section]" -v k="$key" -v v="$value" '
    function put() { if (!done) { print k " = " v; done = 1 } }
    function blanks() { for (; held > 0; held--) print "" }
    $0 == s { blanks(); print; in_s = 1; seen = 1; next }
    /^\[/ { if (in_s) put(); in_s = 0 }
    /^[ \t]*$/ { held++; next }
    { blanks() }
    in_s { line = $0; sub(/[ \t]*=.*/, "", line); if (line == k) { put(); next } }
    { print }
    END { if (in_s) put(); else if (!seen) { if (NR) print ""; print s; put() } blanks() }' "$dest" > "$tmp"
  cat "$tmp" > "$dest"; rm -f "$tmp"
}

ensure_package() {
  if [[ -n "$ROOT" ]]; then say "skip: apt-get install $1 (installing into $ROOT)"; return; fi
  if dpkg -s "$1" >/dev/null 2>&1; then return; fi
  change "apt-get install $1"
  apply bash -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $1"
}

enable_unit() {
  local unit="$1"
  if [[ -L "${ROOT}/etc/systemd/system/multi-user.target.wants/$unit" ]]; then return; fi
  change "enable $unit"
  apply systemctl ${ROOT:+--root="$ROOT"} enable "$unit"
}

finish() {
  if [[ "$CHANGES" == 0 ]]; then say "nothing changed: this machine is already provisioned"
  elif [[ "${DRY_RUN:-0}" == 1 ]]; then say "dry run: $CHANGES change(s) would be made"
  else say "done: $CHANGES change(s)"; fi
}
