#!/bin/sh
# Refresh the vendored front-end libraries in app/static/vendor/ from the npm
# registry, at the exact versions in assets/package-lock.json.
# Needs node and npm only when you run it; the copied files are committed, so
# the app and its tests never need node.
#
#   make vendor                  # same versions again (npm ci)
#   cd assets && npm install --package-lock-only --save-exact chart.js@X leaflet@Y && cd .. && make vendor   # upgrade
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
VENDOR="$ROOT/app/static/vendor"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cp "$HERE/package.json" "$HERE/package-lock.json" "$WORK/"
(cd "$WORK" && npm ci --ignore-scripts --no-audit --no-fund --silent)
NM="$WORK/node_modules"

rm -rf "$VENDOR/chartjs" "$VENDOR/leaflet"
mkdir -p "$VENDOR/chartjs" "$VENDOR/leaflet/images"
cp "$NM/chart.js/dist/chart.umd.min.js" "$VENDOR/chartjs/"
cp "$NM/chart.js/LICENSE.md" "$VENDOR/chartjs/LICENSE.md"
cp "$NM/@kurkle/color/LICENSE.md" "$VENDOR/chartjs/LICENSE-kurkle-color.md"
cp "$NM/leaflet/dist/leaflet.js" "$NM/leaflet/dist/leaflet.css" "$VENDOR/leaflet/"
cp "$NM/leaflet/dist/images/"*.png "$VENDOR/leaflet/images/"
cp "$NM/leaflet/LICENSE" "$VENDOR/leaflet/LICENSE"

# Leave a record of what was copied.
node -e '
const lock = require(process.argv[1]);
const p = lock.packages;
const line = (n) => `${n} ${p["node_modules/" + n].version} ${p["node_modules/" + n].integrity}`;
console.log(["chart.js", "@kurkle/color", "leaflet"].map(line).join("\n"));
' "$HERE/package-lock.json" > "$VENDOR/VERSIONS.txt"
echo "Vendored into $VENDOR:"
cat "$VENDOR/VERSIONS.txt"
