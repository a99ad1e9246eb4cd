#!/usr/bin/env bash
# Sets up what building and the demo need (scripts/setup.sh --demo), builds
# workflow_ext and installs it into the system PostgreSQL 15, then runs the
# five-minute tour (examples/demo.sql), then a hiring team of one company
# (examples/team.sql, in a database of its own), on a throwaway cluster.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --demo
pg_virtualenv -v 15 sh -c '
  echo
  echo "======== Part 1: the pipeline tour (examples/demo.sql, database postgres, as the application role app)"
  psql -X -v ON_ERROR_STOP=1 -f examples/demo.sql &&
  echo &&
  echo "======== Part 2: a hiring team of one company (examples/team.sql, database team, as the application role team_app)" &&
  createdb team && psql -X -v ON_ERROR_STOP=1 -d team -f examples/team.sql'
pg=/usr/lib/postgresql/15/bin/pg_config
cat <<EOF

======== Done
workflow_ext is built and installed into the system PostgreSQL 15
($($pg --pkglibdir)/workflow_ext.so, $($pg --sharedir)/extension/workflow_ext*)
and stays there. The cluster the demo used was a throwaway one: it is gone.
What next:
  pg_virtualenv -v 15 psql        # a throwaway cluster of your own, as the superuser postgres
  CREATE EXTENSION workflow_ext;  # then follow README.md: "A five-minute tour"
                                  # (examples/app-grants.sql is its grant set)
Then read, in README.md: "API reference", "Security" (Privileges: the application's
grant set), "Organizations and teams", "Errors" and "Conditions".
Everything else (every test suite's packages, then all the tests): ./test.sh
EOF
