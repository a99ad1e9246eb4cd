#!/usr/bin/env bash
# The event consumer's tests against a real server: run it inside a throwaway
# cluster, e.g.  pg_virtualenv -t -v 15 clients/node/run-tests.sh  (PG* naming
# a superuser).  Installs npm's pg from package-lock.json (npm ci), then runs
# node's test runner, which ends with "# pass N" and "# fail N".
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
exec timeout 300 node --test test/
