#!/usr/bin/env bash
# Installs what workflow_ext needs on Debian 12 (as root, or through sudo),
# then builds and installs the extension into PostgreSQL 15.  Every package the
# build, the tests, the Debian packaging and the benchmarks use is listed here;
# the Makefile never installs anything.
#
#   scripts/setup.sh          everything (what ./test.sh runs)
#   scripts/setup.sh --demo   only what building the extension and ./demo.sh
#                             need (the compilers, PostgreSQL 15 and its server
#                             headers, RE2, ICU, nlohmann-json, python3)
set -euo pipefail
cd "$(dirname "$0")/.."

demo_packages=(
  build-essential g++ make python3
  postgresql-15 postgresql-server-dev-15 postgresql-common
  libre2-dev libicu-dev nlohmann-json3-dev
)
packages=(
  build-essential g++ make
  postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap postgresql-common
  pgtap
  debhelper dpkg-dev postgresql-server-dev-all lintian
  zip unzip
  libre2-dev libicu-dev nlohmann-json3-dev libgtest-dev libbenchmark-dev gnuplot-nox
  clang libclang-rt-14-dev
  # clients/: the Django REST API (Django 3.2, DRF 3.14, psycopg2; django-filter for its filters,
  # uritemplate and PyYAML for its OpenAPI schema, PgBouncer for its test behind a pooler)
  # and pg_cron for the SLA sweep
  python3-django python3-djangorestframework python3-psycopg2 postgresql-15-cron
  # clients/rails (ActiveRecord 6.1 in a one-file Rails app), clients/sqlalchemy (SQLAlchemy 1.4),
  # clients/database (LISTEN through PgBouncer)
  ruby ruby-railties ruby-activerecord ruby-pg rake python3-sqlalchemy pgbouncer
  python3-django-filters python3-uritemplate python3-yaml
  # clients/django/run-board-tests.sh: the pipeline board in headless Chromium (puppeteer-core drives it)
  chromium
  # scale-out (make scale-check, docs/scale-out.md): the front (PL/Proxy for its rare calls; its
  # C module links libpq: libpq-dev, also a dependency of postgresql-server-dev-15)
  postgresql-15-plproxy libpq-dev
)
# Node.js for the json-rules-engine baseline of the benchmarks, unless one is there.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
case "${1:-}" in
  --demo) packages=("${demo_packages[@]}") ;;
  "") ;;
  *) echo "usage: $0 [--demo]" >&2; exit 2 ;;
esac
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
echo "== building workflow_ext (a few minutes: the C++ core and the C shim compile quietly)"
make -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG"
$sudo make -s install PG_CONFIG="$PG_CONFIG"
