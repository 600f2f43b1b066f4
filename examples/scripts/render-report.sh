#!/usr/bin/env bash
# Renders a `baton replay --html` page to a PNG in headless Chromium so a person can look at it, and fails if the page
# logs a script error or tries to reach the network. Not part of CI (it needs Debian's chromium package:
# apt-get install -y chromium).
#
#   examples/scripts/render-report.sh REPORT.html [OUT.png] [WIDTHxHEIGHT]
set -euo pipefail
html="${1:?usage: render-report.sh REPORT.html [OUT.png] [WIDTHxHEIGHT]}"
png="${2:-${html%.html}.png}"
size="${3:-1460x2000}"
chromium="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$chromium" ]; then
    echo "render-report: no chromium found; install Debian's package: apt-get install -y chromium" >&2
    exit 2
fi
[ -f "$html" ] || { echo "render-report: $html does not exist" >&2; exit 2; }
# The page must not need the network: refuse any reference to another origin before rendering.
if grep -Eq '<script|<link|src=|href=|@import|url\(' "$html"; then
    echo "render-report: $html references scripts or external resources" >&2
    exit 1
fi
profile="$(mktemp -d)"
log="$(mktemp)"
trap 'rm -rf "$profile" "$log"' EXIT
# Every host resolves to nowhere, so a request that slipped through fails loudly in the log.
"$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --user-data-dir="$profile" --enable-logging=stderr --v=0 \
    --host-resolver-rules="MAP * ~NOTFOUND" --window-size="${size/x/,}" --screenshot="$(realpath -m "$png")" \
    "file://$(realpath "$html")" 2>"$log" || { cat "$log" >&2; echo "render-report: chromium failed" >&2; exit 1; }
# Console messages of the page (errors, CSP refusals) and failed requests.
if grep -E 'CONSOLE|Uncaught|Refused to|net::ERR_' "$log" >&2; then
    echo "render-report: the page logged errors or tried to load something (above)" >&2
    exit 1
fi
[ -s "$png" ] || { cat "$log" >&2; echo "render-report: no screenshot written" >&2; exit 1; }
echo "render-report: wrote $png (no script errors, no network requests)"
