#!/usr/bin/env bash
# Until the first release, the schema lives in ONE initial migration that is
# regenerated from the models whenever they change. After the first release,
# write new migrations with `flask --app wsgi db migrate -m "..."` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
exec 9>/tmp/arjen-regen-migration.lock
flock 9
rm -f migrations/versions/*.py
DATABASE_URL="sqlite:///$tmp/regen.db" APP_ENV=development .venv/bin/flask --app wsgi db migrate --rev-id 0001 -m "initial schema" >/dev/null 2>&1
ls migrations/versions/
