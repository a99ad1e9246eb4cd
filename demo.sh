#!/usr/bin/env bash
# Sets everything up and runs the five-minute tour (examples/demo.sql) on a
# throwaway PostgreSQL 15 cluster.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
pg_virtualenv -v 15 psql -X -v ON_ERROR_STOP=1 -f examples/demo.sql
