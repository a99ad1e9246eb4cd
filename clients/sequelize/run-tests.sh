#!/usr/bin/env bash
# The Sequelize models' tests against a real server: run inside a throwaway
# cluster, e.g.  pg_virtualenv -t -v 15 clients/sequelize/run-tests.sh  (PG*
# naming a superuser).  npm ci from package-lock.json, then node's test runner.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
exec timeout 300 node --test test/
