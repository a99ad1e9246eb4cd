#!/usr/bin/env bash
# Sets everything up and runs the five-minute tour (examples/demo.sql), then a
# hiring team of one company (examples/team.sql, in a database of its own), on
# a throwaway PostgreSQL 15 cluster.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
pg_virtualenv -v 15 sh -c 'psql -X -v ON_ERROR_STOP=1 -f examples/demo.sql &&
  createdb team && psql -X -v ON_ERROR_STOP=1 -d team -f examples/team.sql'
