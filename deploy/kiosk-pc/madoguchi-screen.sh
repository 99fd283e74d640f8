#!/bin/sh
# ${title} on ${host}: Chromium in kiosk mode, started at login (madoguchi-screen.desktop).
# The screen never blanks; sound plays without a click; a crashed or closed browser comes back;
# the page itself reconnects after a network loss.
xset s off 2>/dev/null; xset s noblank 2>/dev/null; xset -dpms 2>/dev/null
URL="${url}"
TOKEN_FILE="$$HOME/.config/madoguchi/display-token"
if [ -n "${needs_token}" ]; then
  # The board's token stays in a file readable by this user only, not in this script.
  URL="$$URL?token=$$(cat "$$TOKEN_FILE")"
fi
PROFILE="$$HOME/.config/madoguchi/chromium"
while true; do
  # At boot (or after the network came back) wait until the page answers, not on an error page.
  if command -v curl >/dev/null; then
    until curl -fsS -o /dev/null --max-time 5 "${wait_url}"; do sleep 3; done
  fi
  # A crash leaves "exited_cleanly": false behind, which would show a restore bubble.
  sed -i 's/"exited_cleanly":false/"exited_cleanly":true/; s/"exit_type":"[A-Za-z]*"/"exit_type":"Normal"/' \
    "$$PROFILE/Default/Preferences" 2>/dev/null
  chromium --kiosk --user-data-dir="$$PROFILE" --no-first-run --noerrdialogs --disable-infobars \
    --disable-session-crashed-bubble --disable-features=Translate,TranslateUI \
    --autoplay-policy=no-user-gesture-required --overscroll-history-navigation=0 \
    --disable-pinch --check-for-update-interval=31536000 --password-store=basic \
    "$$URL"
  sleep 3
done
