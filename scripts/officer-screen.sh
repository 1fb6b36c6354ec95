#!/bin/sh
# The officer screen on the booth's display: Chromium in kiosk mode, started by the desktop's autostart as the
# desktop user (provision-kiosk.sh installs this as /usr/local/bin/chot-officer-screen). It waits for the
# kiosk's page first, so that Chromium does not open on an error page while the kiosk starts; after that the
# page reconnects by itself. Incognito: nothing of the officer's screen is kept in a browser profile.
url="${1:-http://127.0.0.1:8080/}"
browser=$(command -v chromium || command -v chromium-browser) || {
  echo "chot-officer-screen: Chromium is not installed: sudo apt-get install chromium (Trixie) or chromium-browser (Bookworm)" >&2
  exit 1
}
tries=0
until curl -fs -o /dev/null --max-time 2 "$url"; do
  tries=$((tries + 1))
  [ "$tries" -ge 120 ] && break # two minutes: open it anyway, the page shows the kiosk is down
  sleep 1
done
exec "$browser" --kiosk --incognito --noerrdialogs --disable-infobars --no-first-run --disable-translate \
  --password-store=basic --ozone-platform-hint=auto "$url"
