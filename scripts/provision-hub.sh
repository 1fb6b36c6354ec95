#!/usr/bin/env bash
# A Debian 13 (Trixie) or 12 (Bookworm) machine, or a 64-bit Pi, to a working hub: Node.js 24 LTS (NodeSource,
# key fingerprint checked), the chot-hub user, the app under /opt/chot, /etc/chot/hub.json, the time zone, an NTP
# server for the booths, the systemd unit. Run as root. Idempotent: a second run changes nothing and says so.
#
#   sudo scripts/provision-hub.sh [--cert hub.pem --key hub.key] [--tz Asia/Ho_Chi_Minh] [--dry-run]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/provision-lib.sh
. "$here/provision-lib.sh"

ROOT="" DRY_RUN=0 NO_NPM=0 ARCH="" CERT="" KEY="" SRC="$(dirname "$here")" TZ_NAME="Asia/Ho_Chi_Minh"
usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cert) CERT="$2"; shift 2 ;;
    --key) KEY="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) common_opt "$1" "${2:-}" || { echo "provision-hub: unknown option $1" >&2; usage; }; shift "$SHIFT" ;;
  esac
done
[[ -n "$ROOT" || "$(id -u)" == 0 ]] || die "run as root (sudo)"
[[ -z "$CERT$KEY" || ( -r "$CERT" && -r "$KEY" ) ]] || die "--cert and --key go together and must be readable"
export ROOT DRY_RUN NO_NPM ARCH
# a hub runs on a Debian 12 or 13 server or a 64-bit Pi (Node.js 24 has no 32-bit ARM build)
check_os "debian raspbian" "trixie bookworm" "amd64 x86_64 arm64 aarch64" "Debian 13 (Trixie) or 12 (Bookworm)"
ensure_timezone "$TZ_NAME"
ensure_node
ensure_user chot-hub /var/lib/chot-hub
install_app "$SRC"
tls=""
if [[ -n "$CERT" ]]; then
  install_file "$CERT" /etc/chot/hub.pem 644
  install_file "$KEY" /etc/chot/hub.key 640
  tls=", \"cert\": \"/etc/chot/hub.pem\", \"key\": \"/etc/chot/hub.key\""
fi
write_file /etc/chot/hub.json 644 "{
  \"dataDir\": \"/var/lib/chot-hub\",
  \"mqtt\": { \"host\": \"0.0.0.0\", \"port\": 1883$tls },
  \"http\": { \"host\": \"127.0.0.1\", \"port\": 8090 }
}"
# the booths take their time from the hub (provision-kiosk.sh points timesyncd at it): chrony serves it, and keeps
# serving from the local clock when the hub itself has lost its upstream servers
ensure_package chrony
write_file /etc/chrony/conf.d/chot.conf 644 "# chot: serve time to the checkpoint kiosks
allow all
local stratum 10"
install_file "$SRC/systemd/chot-hub.service" /etc/systemd/system/chot-hub.service 644
enable_unit chot-hub.service
finish
