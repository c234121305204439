#!/usr/bin/env bash
# Until the first release, the schema lives in ONE initial migration that is
# regenerated from the models whenever they change. After the first release,
# write new migrations with `flask --app wsgi db migrate -m "..."` instead.
# Hand-written migrations after it (PostgreSQL-only indexes such as 0002) are
# kept aside while 0001 is regenerated, then put back.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
exec 9>/tmp/arjen-regen-migration.lock
flock 9
mkdir "$tmp/later"
find migrations/versions -maxdepth 1 -name '*.py' ! -name '*_0001_initial_schema.py' -exec mv {} "$tmp/later/" \;
restore() { mv "$tmp"/later/*.py migrations/versions/ 2>/dev/null || true; rm -rf "$tmp"; }
trap restore EXIT
rm -f migrations/versions/*_0001_initial_schema.py
DATABASE_URL="sqlite:///$tmp/regen.db" APP_ENV=development .venv/bin/flask --app wsgi db migrate --rev-id 0001 -m "initial schema" >/dev/null 2>&1
restore
trap - EXIT
ls migrations/versions/
