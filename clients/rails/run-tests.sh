#!/usr/bin/env bash
# The ActiveRecord checks (Rails 6.1 from Debian: ruby-railties,
# ruby-activerecord, ruby-pg) against a real server: run it inside a throwaway
# cluster, e.g.  pg_virtualenv -t -v 15 clients/rails/run-tests.sh  (PG*
# naming a superuser).  Prepares two databases as that superuser with
# clients/common/app-database.sql (the extension, the application role with
# exactly the README's grants): wf_rails, the application's, and
# wf_rails_test, an empty one with the extension where the schema files are
# loaded the way a Rails test database is; then runs checks.rb as the
# application role.  Ends with "# N passed, M failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
role=wf_rails_app password=rails-test-secret
for db in wf_rails wf_rails_test; do
  psql -q -X -d postgres -c "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\""
  psql -q -X -d "$db" -v app_role="$role" -v app_password="$password" \
       -f "$here/../common/app-database.sql"
done
# The test database as a Rails test run finds it: the extension and the
# grants from the superuser, nothing of the application's own (structure.sql
# brings schema "app" and its tables); the role owns it, as Rails' role owns
# its databases, so it may create that schema.
psql -q -X -d wf_rails_test -c "DROP SCHEMA app CASCADE" -c "ALTER DATABASE wf_rails_test OWNER TO \"$role\""
cd "$here"
export WF_DB_NAME=wf_rails WF_TEST_DB_NAME=wf_rails_test WF_DB_USER=$role WF_DB_PASSWORD=$password
exec timeout 300 /usr/bin/ruby checks.rb
