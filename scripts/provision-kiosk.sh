#!/usr/bin/env bash
# From a bare Raspberry Pi OS Bookworm (Pi 3B+/4/5) to a working kiosk: Node.js 20, the chot user and its
# groups, the app under /opt/chot, /etc/chot/kiosk.json, time from the hub, the systemd unit. Run as root.
# Idempotent: a second run changes nothing and says so.
#
#   sudo scripts/provision-kiosk.sh --id hcm-q1-001 --area 79/26734 --hub mqtts://hub.example.vn:8883 \
#        --password-file kiosk.secret --root-key root.pub.pem [--ca hub-ca.pem] [--scanner /dev/ttyACM0] [--dry-run]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/provision-lib.sh
. "$here/provision-lib.sh"

ROOT="" DRY_RUN=0 NO_NPM=0 ARCH="" ID="" AREA="VN" HUB="" PASSWORD_FILE="" ROOT_KEY="" CA="" SCANNER="/dev/ttyACM0" SRC="$(dirname "$here")"
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --id) ID="$2"; shift 2 ;;
    --area) AREA="$2"; shift 2 ;;
    --hub) HUB="$2"; shift 2 ;;
    --password-file) PASSWORD_FILE="$2"; shift 2 ;;
    --root-key) ROOT_KEY="$2"; shift 2 ;;
    --ca) CA="$2"; shift 2 ;;
    --scanner) SCANNER="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) common_opt "$1" "${2:-}" || { echo "provision-kiosk: unknown option $1" >&2; usage; }; shift "$SHIFT" ;;
  esac
done
[[ -n "$ID" ]] || die "--id is required (the kiosk id from chot device add)"
[[ "$ID" =~ ^[a-z0-9][a-z0-9-]{0,47}$ ]] || die "--id \"$ID\" must be 1-48 of a-z 0-9 -"
[[ -n "$ROOT_KEY" && -r "$ROOT_KEY" ]] || die "--root-key must name the root authority's public key (root.pub.pem)"
[[ -n "$ROOT" || "$(id -u)" == 0 ]] || die "run as root (sudo)"
export ROOT DRY_RUN NO_NPM ARCH

check_os "arm64 armhf aarch64 armv7l"
ensure_node
ensure_user chot /var/lib/chot gpio dialout video input
install_app "$SRC"
install_file "$ROOT_KEY" /etc/chot/root.pub.pem 644
[[ -z "$CA" ]] || install_file "$CA" /etc/chot/hub-ca.pem 644
if [[ -n "$PASSWORD_FILE" ]]; then install_file "$PASSWORD_FILE" /etc/chot/kiosk.secret 640; fi
hub_json=""
if [[ -n "$HUB" ]]; then
  hub_json=", \"hub\": { \"url\": \"$HUB\"${PASSWORD_FILE:+, \"passwordFile\": \"/etc/chot/kiosk.secret\"}${CA:+, \"ca\": \"/etc/chot/hub-ca.pem\"} }"
fi
write_file /etc/chot/kiosk.json 644 "{
  \"kiosk\": { \"id\": \"$ID\", \"area\": \"$AREA\" },
  \"rootKey\": \"/etc/chot/root.pub.pem\",
  \"stateDir\": \"/var/lib/chot\",
  \"scanner\": { \"type\": \"$([[ "$SCANNER" == /dev/input/* ]] && echo hid || echo serial)\", \"path\": \"$SCANNER\" }$hub_json
}"
if [[ -n "$HUB" ]]; then
  host="${HUB#*://}"; host="${host%%[:/]*}"
  write_file /etc/systemd/timesyncd.conf.d/chot.conf 644 "[Time]
# the hub is the booth's time source (it runs an NTP server), pool servers as a fallback
NTP=$host
FallbackNTP=0.debian.pool.ntp.org 1.debian.pool.ntp.org"
fi
install_file "$SRC/systemd/chot-kiosk.service" /etc/systemd/system/chot-kiosk.service 644
enable_unit chot-kiosk.service
finish
