#!/usr/bin/env bash
# The pipeline board (board/) in a real browser, against a real server: run it
# inside a throwaway cluster, e.g.  pg_virtualenv -t -v 15 clients/django/run-board-tests.sh
# (any PG* environment naming a superuser works).  Needs workflow_ext
# installed, Debian's python3-django, python3-djangorestframework,
# python3-psycopg2 and chromium, and npm (puppeteer-core from
# board/tests/package-lock.json through npm ci; it drives /usr/bin/chromium and
# downloads no browser).  Prepares a database (setup-db.sh), loads a job
# (manage.py board_demo), starts Django's server on a free loopback port, and
# runs board/tests/board.browser.js: log in through /api-auth/login/, the
# board, a drag that moves, a drag a rule blocks, a bulk move and a bulk
# rejection, the funnel; screenshots go to BOARD_RESULTS (default
# board/tests/results/).  Ends with "# N passed, M failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
results=${BOARD_RESULTS:-$here/board/tests/results}
mkdir -p "$results"
rm -f "$results"/*.png

password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
"$here/setup-db.sh" --recreate wf_board wf_board_app "$password"
cd "$here"
export WF_DB_NAME=wf_board WF_DB_USER=wf_board_app WF_DB_PASSWORD="$password"

user_password=$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')
seed=$(/usr/bin/python3 manage.py board_demo --user board-tester --password "$user_password" --job 2001 --first-candidate 100)
echo "# seeded: $seed"

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log="$results/server.log"
# --insecure: the static files (board.js, board.css) served by runserver without DEBUG
/usr/bin/python3 manage.py runserver "127.0.0.1:$port" --noreload --insecure > "$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
/usr/bin/python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen("http://127.0.0.1:%s/api-auth/login/" % sys.argv[1], timeout=2)
        break
    except Exception:
        time.sleep(0.2)
PY

(cd board/tests && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
BOARD_URL="http://127.0.0.1:$port" BOARD_USER=board-tester BOARD_PASSWORD="$user_password" \
  BOARD_SEED="$seed" BOARD_RESULTS="$results" \
  timeout 300 node board/tests/board.browser.js
