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
    *) return 1 ;;
  esac
}
say() { printf '%s\n' "$*"; }
die() { printf 'provision: %s\n' "$*" >&2; exit 1; }
change() { CHANGES=$((CHANGES + 1)); if [[ "${DRY_RUN:-0}" == 1 ]]; then say "would: $*"; else say "change: $*"; fi; }
apply() { [[ "${DRY_RUN:-0}" == 1 ]] || "$@"; }

# check_os "ALLOWED ARCHITECTURES": Debian or Raspberry Pi OS Bookworm on one of them
check_os() {
  local release="${ROOT}/etc/os-release" arch="${ARCH:-$(dpkg --print-architecture 2>/dev/null || uname -m)}" id codename
  [[ -r "$release" ]] || die "cannot read $release: is this Raspberry Pi OS?"
  id=$(sed -n 's/^ID=//p' "$release" | tr -d '"')
  codename=$(sed -n 's/^VERSION_CODENAME=//p' "$release" | tr -d '"')
  [[ "$id" == raspbian || "$id" == debian ]] || die "unsupported OS \"$id\": Raspberry Pi OS (Debian) Bookworm is required"
  [[ "$codename" == bookworm ]] || die "unsupported release \"$codename\": Raspberry Pi OS Bookworm is required (Pi 3B+/4/5)"
  [[ " $1 " == *" $arch "* ]] || die "unsupported architecture \"$arch\": one of $1 is required"
  say "ok: $id $codename on $arch"
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

ensure_node() {
  if [[ -n "$ROOT" ]]; then say "skip: Node.js check (installing into $ROOT)"; return; fi
  local v
  v=$(node --version 2>/dev/null | sed 's/^v//; s/\..*//') || v=0
  if [[ "${v:-0}" -ge 20 ]]; then say "ok: Node.js $(node --version)"; return; fi
  change "install Node.js 20 from Debian backports or NodeSource (found ${v:-none})"
  apply bash -c 'apt-get update -qq && (apt-get install -y -qq -t bookworm-backports nodejs npm || { curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y -qq nodejs; })'
  [[ -x /usr/bin/node || "${DRY_RUN:-0}" == 1 ]] || die "Node.js 20 is not at /usr/bin/node after installing: the service units start /usr/bin/node"
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
