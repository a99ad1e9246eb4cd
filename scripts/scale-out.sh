#!/usr/bin/env bash
# scale-out.sh up|down|test|bench - the tenant layout of workflow_ext on
# loopback (docs/scale-out.md): a front (workflow_ext_proxy on PL/Proxy) and
# three shards (ordinary workflow_ext databases, each holding whole tenants),
# four clusters made with initdb in $WF_SCALE_DIR, ports $WF_SCALE_PORT..+3.
#
#   up     create, start and wire the four clusters
#   down   stop them and remove the directory
#   test   up, run test/scale/scale_test.py (ends "# N passed, M failed"), down
#   bench  up, run test/scale/scale_test.py --bench (latency front vs direct), down
#
# Uses the extension as installed for $PG_BIN's PostgreSQL (make install).
# As root, the servers run as the postgres user.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
BASE=${WF_SCALE_DIR:-/tmp/wf-scale-out}
PORT0=${WF_SCALE_PORT:-5701}
SOCK=$BASE/sock
PASSWORD=${WF_SCALE_PASSWORD:-wf-scale-secret}
NODES=(front shard0 shard1 shard2)
SHARDS=(shard0 shard1 shard2)

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
port_of() {
  local i
  for i in "${!NODES[@]}"; do [ "${NODES[$i]}" = "$1" ] && echo $((PORT0 + i)); done
  return 0
}
sql() {   # sql NODE SQL...: as the superuser, in database wf
  local node=$1; shift
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$(port_of "$node")" -U postgres -d wf "$@"
}

up() {
  down_quiet
  mkdir -p "$BASE" "$SOCK"
  [ "$(id -u)" -ne 0 ] || chown postgres "$BASE" "$SOCK"
  for node in "${NODES[@]}"; do
    as_pg "$PG_BIN/initdb" -D "$BASE/$node" -U postgres -A trust --auth-host=scram-sha-256 >/dev/null
    cat >> "$BASE/$node/postgresql.conf" <<CONF
port = $(port_of "$node")
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
shared_buffers = 32MB
max_connections = 60
fsync = off                       # a process crash (kill -9) keeps the OS cache
log_min_messages = warning
CONF
    as_pg "$PG_BIN/pg_ctl" -D "$BASE/$node" -l "$BASE/$node.log" -w start >/dev/null
    as_pg "$PG_BIN/createdb" -h "$SOCK" -p "$(port_of "$node")" -U postgres wf
  done

  # Shards: ordinary workflow_ext databases holding whole tenants; ids
  # unique across shards (configure_shard: a tenant keeps its ids when it
  # moves).  The front connects as wf_front, a member of the trusted role
  # wf_app; the operator's moves connect as wf_admin (a shard superuser).
  local k=0
  for node in "${SHARDS[@]}"; do
    sql "$node" <<SQL || return 1
CREATE EXTENSION workflow_ext;
ALTER DATABASE wf SET workflow_ext.trusted_role = 'wf_app';
SELECT configure_shard($k, ${#SHARDS[@]});
CREATE ROLE wf_app NOLOGIN;
CREATE ROLE wf_front LOGIN PASSWORD '$PASSWORD' IN ROLE wf_app;
CREATE ROLE wf_admin LOGIN SUPERUSER PASSWORD '$PASSWORD';
-- the README's application grant set, verbatim, for the front's role
CREATE ROLE workflow_app NOLOGIN;
$(sed -n '/^-- BEGIN application grant set$/,/^-- END application grant set$/p' README.md)
GRANT workflow_app TO wf_app;
GRANT EXECUTE ON FUNCTION shard_status() TO wf_app;   -- the front's shard_health()
SQL
    k=$((k + 1))
  done

  # Front: PL/Proxy's cluster 'workflow_shards' (partition k = shard k, any
  # number of partitions: modular_mapping).  A frozen shard is bounded by the
  # front's workflow_ext_proxy.shard_timeout (default 5s), not by these
  # timeouts, which PL/Proxy checks only when the shard sends something
  # (docs/scale-out.md, Failures).
  local parts="" i=0
  for node in "${SHARDS[@]}"; do
    parts="$parts, p$i 'host=127.0.0.1 port=$(port_of "$node") dbname=wf connect_timeout=2'"
    i=$((i + 1))
  done
  sql front <<SQL || return 1
CREATE EXTENSION plproxy;
CREATE EXTENSION workflow_ext_proxy;
CREATE SERVER workflow_shards FOREIGN DATA WRAPPER plproxy OPTIONS (
    connection_lifetime '1800', modular_mapping '1', query_timeout '5'$parts);
CREATE USER MAPPING FOR PUBLIC SERVER workflow_shards
    OPTIONS (user 'wf_front', password '$PASSWORD');
CREATE USER MAPPING FOR postgres SERVER workflow_shards
    OPTIONS (user 'wf_admin', password '$PASSWORD');
CREATE ROLE app LOGIN;
GRANT USAGE ON FOREIGN SERVER workflow_shards TO app;
SQL
  echo "scale-out up: front $(port_of front), shards $(port_of shard0) $(port_of shard1) $(port_of shard2) (sockets in $SOCK)"
}

down_quiet() {
  local node
  for node in "${NODES[@]}"; do
    if [ -f "$BASE/$node/postmaster.pid" ]; then
      as_pg "$PG_BIN/pg_ctl" -D "$BASE/$node" -m immediate stop >/dev/null 2>&1 || true
    fi
  done
  rm -rf "$BASE"
}

run_tests() {
  export WF_SCALE_DIR=$BASE WF_SCALE_PORT=$PORT0 PG_BIN WF_SCALE_SOCK=$SOCK
  timeout 300 /usr/bin/python3 test/scale/scale_test.py "$@"
}

case "${1:-}" in
  up) up ;;
  down) down_quiet; echo "scale-out down" ;;
  test|bench)
    trap down_quiet EXIT
    start=$(date +%s)
    if ! up >"$BASE.up.log" 2>&1; then cat "$BASE.up.log"; echo "# 0 passed, 1 failed"; exit 1; fi
    rc=0
    if [ "$1" = test ]; then run_tests || rc=$?; else run_tests --bench || rc=$?; fi
    echo "scale-out $1: $(( $(date +%s) - start )) s"
    exit $rc ;;
  *) echo "usage: $0 up|down|test|bench" >&2; exit 2 ;;
esac
