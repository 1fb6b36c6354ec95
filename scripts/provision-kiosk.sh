#!/usr/bin/env bash
# From a bare 64-bit Raspberry Pi OS Trixie or Bookworm with its desktop (Pi 5, 4 or 3B+) to a working kiosk:
# Node.js 24 LTS (NodeSource, key fingerprint checked), libgpiod's tools, the chot user and its groups, the app
# under /opt/chot, /etc/chot/kiosk.json, the time zone, time from the hub, a keyboard-mode scanner kept from the
# desktop, the officer screen in Chromium on the desktop, the systemd unit. Run as root. Idempotent.
#   sudo scripts/provision-kiosk.sh --id hcm-q1-001 --area 79/26734 --hub-web https://hub.example.vn \
#        --root-key root.pub.pem [--hub mqtts://hub.example.vn:8883 --password-file kiosk.secret] [--ca hub-ca.pem] \
#        [--scanner /dev/ttyACM0] [--tz Asia/Ho_Chi_Minh] [--desktop-user pi | --no-screen] [--dry-run]
# --hub-web pins the hub whose enrolment codes this kiosk accepts when it scans one (kiosk/README.md, Enrolment).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/provision-lib.sh
. "$here/provision-lib.sh"

ROOT="" DRY_RUN=0 NO_NPM=0 ARCH="" ID="" AREA="VN" HUB="" HUB_WEB="" PASSWORD_FILE="" ROOT_KEY="" CA="" SCANNER="/dev/ttyACM0" SRC="$(dirname "$here")"
TZ_NAME="Asia/Ho_Chi_Minh" DESKTOP_USER="" SCREEN=1 SCREEN_URL="http://127.0.0.1:8080/"
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --id) ID="$2"; shift 2 ;;
    --area) AREA="$2"; shift 2 ;;
    --hub) HUB="$2"; shift 2 ;;
    --hub-web) HUB_WEB="${2%/}"; shift 2 ;;          # the hub's web address: the only place a scanned enrolment code is redeemed
    --password-file) PASSWORD_FILE="$2"; shift 2 ;;
    --root-key) ROOT_KEY="$2"; shift 2 ;;
    --ca) CA="$2"; shift 2 ;;
    --scanner) SCANNER="$2"; shift 2 ;;
    --desktop-user) DESKTOP_USER="$2"; shift 2 ;;   # who the desktop logs in as (default: lightdm's autologin user, else uid 1000)
    --no-screen) SCREEN=0; shift ;;                  # a booth without a display
    -h|--help) usage ;;
    *) common_opt "$1" "${2:-}" || { echo "provision-kiosk: unknown option $1" >&2; usage; }; shift "$SHIFT" ;;
  esac
done
[[ -n "$ID" ]] || die "--id is required (the kiosk id from chot device add)"
[[ "$ID" =~ ^[a-z0-9][a-z0-9-]{0,47}$ ]] || die "--id \"$ID\" must be 1-48 of a-z 0-9 -"
[[ -z "$HUB_WEB" || "$HUB_WEB" =~ ^https?://[^[:space:]#?@\"]+$ ]] || die "--hub-web \"$HUB_WEB\" must be the hub's web address, like https://hub.example.vn or http://10.0.0.2:8090"
[[ -n "$ROOT_KEY" && -r "$ROOT_KEY" ]] || die "--root-key must name the root authority's public key (root.pub.pem)"
[[ -n "$ROOT" || "$(id -u)" == 0 ]] || die "run as root (sudo)"
export ROOT DRY_RUN NO_NPM ARCH

# 64-bit only: Node.js 24 has no 32-bit ARM build (a Pi 3B+ runs the 64-bit OS too)
check_os "debian raspbian" "trixie bookworm" "arm64 aarch64" "64-bit Raspberry Pi OS Trixie or Bookworm"
check_pi
if [[ "$SCANNER" == /dev/input/* && "$SCANNER" != /dev/input/by-id/* && "$SCANNER" != /dev/input/by-path/* ]]; then
  die "--scanner $SCANNER: give the stable /dev/input/by-id/…-event-kbd path (event numbers change between boots): ls /dev/input/by-id/"
fi
ensure_timezone "$TZ_NAME"
ensure_node
ensure_package gpiod
ensure_user chot /var/lib/chot gpio dialout video input
install_app "$SRC"
install_release "$SRC"
install_file "$ROOT_KEY" /etc/chot/root.pub.pem 644
[[ -z "$CA" ]] || install_file "$CA" /etc/chot/hub-ca.pem 644
if [[ -n "$PASSWORD_FILE" ]]; then install_file "$PASSWORD_FILE" /etc/chot/kiosk.secret 640; fi
hub_json=""
if [[ -n "$HUB" || -n "$HUB_WEB" ]]; then
  hub_fields="${HUB_WEB:+\"web\": \"$HUB_WEB\"}"
  [[ -z "$HUB" ]] || hub_fields="${hub_fields:+$hub_fields, }\"url\": \"$HUB\"${PASSWORD_FILE:+, \"passwordFile\": \"/etc/chot/kiosk.secret\"}"
  hub_json=", \"hub\": { $hub_fields${CA:+, \"ca\": \"/etc/chot/hub-ca.pem\"} }"
fi
write_file /etc/chot/kiosk.json 640 "{
  \"kiosk\": { \"id\": \"$ID\", \"area\": \"$AREA\" },
  \"rootKey\": \"/etc/chot/root.pub.pem\",
  \"stateDir\": \"/var/lib/chot\",
  \"scanner\": { \"type\": \"$([[ "$SCANNER" == /dev/input/* ]] && echo hid || echo serial)\", \"path\": \"$SCANNER\" }$hub_json
}"
# the config and the secret: root writes them, the kiosk's group reads them, nobody else (0640 root:chot)
if [[ "${DRY_RUN:-0}" != 1 && "$(id -u)" == 0 ]]; then
  chot_gid=$(awk -F: '$1 == "chot" { print $3 }' "${ROOT}/etc/group")
  for f in /etc/chot/kiosk.json /etc/chot/kiosk.secret; do
    [[ -f "${ROOT}$f" ]] || continue
    chgrp "$chot_gid" "${ROOT}$f"; chmod 640 "${ROOT}$f"
  done
fi
if [[ -n "$HUB" || -n "$HUB_WEB" ]]; then
  host="${HUB:-$HUB_WEB}"; host="${host#*://}"; host="${host%%[:/]*}"
  write_file /etc/systemd/timesyncd.conf.d/chot.conf 644 "[Time]
# the hub is the booth's time source (it runs an NTP server), pool servers as a fallback
NTP=$host
FallbackNTP=0.debian.pool.ntp.org 1.debian.pool.ntp.org"
fi
if [[ "$SCANNER" == /dev/input/* ]]; then
  # A keyboard-mode scanner types into whatever has the focus. The desktop (labwc, wayfire and X all read input
  # through libinput) ignores a device marked LIBINPUT_IGNORE_DEVICE, while chot still reads its event node, so
  # no code is typed into the officer screen. Matched by the by-id link that 60-persistent-input.rules makes.
  write_file /etc/udev/rules.d/70-chot-scanner.rules 644 "# chot: the barcode scanner is read by the kiosk alone, never by the desktop (provision-kiosk.sh)
ACTION==\"add|change\", SUBSYSTEM==\"input\", KERNEL==\"event*\", SYMLINK==\"${SCANNER#/dev/}\", ENV{LIBINPUT_IGNORE_DEVICE}=\"1\""
fi
if [[ "$SCREEN" == 1 ]]; then
  # the officer screen: Chromium in kiosk mode, started by the desktop session of an auto-logged-in user
  if [[ -z "$DESKTOP_USER" ]]; then
    if [[ -f "${ROOT}/etc/lightdm/lightdm.conf" ]]; then DESKTOP_USER=$(sed -n 's/^autologin-user[ \t]*=[ \t]*//p' "${ROOT}/etc/lightdm/lightdm.conf" | tail -n 1); fi
    [[ -n "$DESKTOP_USER" ]] || DESKTOP_USER=$(awk -F: '$3 == 1000 { print $1; exit }' "${ROOT}/etc/passwd")
  fi
  home=$(awk -F: -v u="$DESKTOP_USER" '$1 == u { print $6 }' "${ROOT}/etc/passwd")
  [[ -n "$DESKTOP_USER" && -n "$home" ]] || die "no desktop user${DESKTOP_USER:+ \"$DESKTOP_USER\"} to show the officer screen: --desktop-user NAME (the user the desktop logs in as), or --no-screen"
  ensure_package "$([[ "$OS_CODENAME" == bookworm ]] && echo chromium-browser || echo chromium)"
  install_file "$SRC/scripts/officer-screen.sh" /usr/local/bin/chot-officer-screen 755
  ensure_ini /etc/lightdm/lightdm.conf "Seat:*" autologin-user "$DESKTOP_USER"
  start="/usr/local/bin/chot-officer-screen $SCREEN_URL"
  # labwc (Trixie, and Bookworm since late 2024) runs the user's autostart; blanking there is a swayidle line
  ensure_line "$home/.config/labwc/autostart" "$start &"
  no_line "$home/.config/labwc/autostart" swayidle
  give_to "$DESKTOP_USER" "$home" .config/labwc/autostart
  if [[ "$OS_CODENAME" == bookworm ]]; then
    # wayfire (Bookworm's first desktop on the Pi 4 and 5)
    ensure_ini "$home/.config/wayfire.ini" autostart chot "$start"
    ensure_ini "$home/.config/wayfire.ini" idle dpms_timeout -1
    ensure_ini "$home/.config/wayfire.ini" idle screensaver_timeout -1
    give_to "$DESKTOP_USER" "$home" .config/wayfire.ini
  fi
fi
install_file "$SRC/systemd/chot-kiosk.service" /etc/systemd/system/chot-kiosk.service 644
enable_unit chot-kiosk.service
finish
