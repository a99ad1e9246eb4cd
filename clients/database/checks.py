"""The database around a client, run by clients/database/run-tests.sh on a
throwaway cluster (PG* naming a superuser; the application's connections as
the application role of clients/common/app-database.sql):
  1. a database cloned from a template (CREATE DATABASE … TEMPLATE) does not
     inherit the template's ALTER DATABASE … SET nor ALTER ROLE … IN DATABASE
     … SET settings (pg_db_role_setting is keyed by the database): without
     workflow_ext.require_actor a write without an actor goes through; running
     app-database.sql on the clone sets them again; a role-wide ALTER ROLE …
     SET survives the clone;
  2. LISTEN through PgBouncer in transaction mode hears nothing of a move's
     NOTIFY (the server connection that ran LISTEN went back to the pool); a
     direct connection, and a session-mode pool, hear it.
Ends with "# N passed, M failed"."""
import os
import pwd
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import psycopg2

DB = os.environ["WF_DB_NAME"]
ROLE = os.environ["WF_DB_USER"]
PASSWORD = os.environ["WF_DB_PASSWORD"]
HOST = os.environ.get("PGHOST") or "/var/run/postgresql"
PORT = os.environ.get("PGPORT") or "5432"
CLONE = DB + "_clone"
ROLE_CLONE = DB + "_clone_role"

passed = failed = 0


def check(name, ok, got=None):
    global passed, failed
    if ok:
        passed += 1
        print("ok - " + name)
    else:
        failed += 1
        print("not ok - %s (got %r)" % (name, got))


def superuser(dbname="postgres"):
    c = psycopg2.connect(dbname=dbname)          # PG* of the throwaway cluster
    c.autocommit = True
    return c


def app(dbname=DB, host=HOST, port=PORT):
    return psycopg2.connect(host=host, port=port, dbname=dbname, user=ROLE, password=PASSWORD)


def write_without_actor(dbname):
    """INSERT INTO workflow without an actor, rolled back: None if it went
    through, else the SQLSTATE."""
    c = app(dbname)
    try:
        c.cursor().execute("INSERT INTO workflow (name) VALUES ('no actor')")
        return None
    except psycopg2.Error as e:
        return e.pgcode
    finally:
        c.rollback()
        c.close()


def app_search_path(dbname):
    c = app(dbname)
    try:
        cur = c.cursor()
        cur.execute("SHOW search_path")
        return cur.fetchone()[0]
    finally:
        c.close()


def settings_of(dbname):
    c = superuser()
    cur = c.cursor()
    cur.execute("""SELECT coalesce(r.rolname, '*'), s.setconfig FROM pg_db_role_setting s
                     JOIN pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_roles r ON r.oid = s.setrole
                    WHERE d.datname = %s ORDER BY 1""", (dbname,))
    rows = cur.fetchall()
    c.close()
    return rows


def clone(name):
    c = superuser()
    c.cursor().execute('DROP DATABASE IF EXISTS "%s"' % name)
    c.cursor().execute('CREATE DATABASE "%s" TEMPLATE "%s"' % (name, DB))
    c.close()


# ---- 1. a database cloned from a template ----------------------------------
check("the template database refuses a write without an actor (require_actor, 42501)",
      write_without_actor(DB) == "42501", write_without_actor(DB))
template_settings = settings_of(DB)
check("the template carries the settings of app-database.sql (pg_db_role_setting)",
      len(template_settings) == 2 and app_search_path(DB) == "app, public", template_settings)

clone(CLONE)
check("its clone (CREATE DATABASE … TEMPLATE) has none of them",
      settings_of(CLONE) == [], settings_of(CLONE))
got = write_without_actor(CLONE)
check("in the clone a write without an actor goes through: require_actor is off there", got is None, got)
got = app_search_path(CLONE)
check("in the clone the role's ALTER ROLE … IN DATABASE search_path is gone too", got == '"$user", public', got)


def extension_version(dbname):
    c = superuser(dbname)
    cur = c.cursor()
    cur.execute("SELECT extversion FROM pg_extension WHERE extname = 'workflow_ext'")
    row = cur.fetchone()
    c.close()
    return row and row[0]


got = extension_version(CLONE)
check("the clone has the extension and its tables (those are copied)", got == extension_version(DB) and got, got)

r = subprocess.run(["psql", "-X", "-q", "-d", CLONE, "-v", "app_role=" + ROLE, "-v", "app_password=" + PASSWORD,
                    "-f", os.environ["WF_APP_DATABASE_SQL"]], capture_output=True, text=True)
got = (r.returncode, write_without_actor(CLONE), app_search_path(CLONE))
check("app-database.sql run on the clone sets them again: a write without an actor is refused",
      got == (0, "42501", "app, public"), got)

# A role-wide setting (every database) is kept by a clone.
su = superuser()
su.cursor().execute('ALTER ROLE "%s" SET workflow_ext.require_actor = on' % ROLE)
c = superuser(DB)
c.cursor().execute('ALTER DATABASE "%s" RESET workflow_ext.require_actor' % DB)
c.close()
clone(ROLE_CLONE)
got = write_without_actor(ROLE_CLONE)
check("a role-wide ALTER ROLE … SET workflow_ext.require_actor survives the clone", got == "42501", got)
su.cursor().execute('ALTER ROLE "%s" RESET workflow_ext.require_actor' % ROLE)
su.cursor().execute('ALTER DATABASE "%s" SET workflow_ext.require_actor = on' % DB)
for name in (CLONE, ROLE_CLONE):
    su.cursor().execute('DROP DATABASE "%s"' % name)
su.close()

# ---- 2. LISTEN through PgBouncer -------------------------------------------
pgbouncer = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)
if pgbouncer is None:
    check("PgBouncer is installed (Debian's pgbouncer)", False, None)
    print("# %d passed, %d failed" % (passed, failed))
    sys.exit(1)

# A pipeline to move, as the application with an actor.
c = app()
cur = c.cursor()
cur.execute("SELECT set_config('workflow_ext.actor', 'user:ann', true)")
cur.execute("INSERT INTO workflow (name) VALUES ('Listen') RETURNING id")
wf = cur.fetchone()[0]
cur.execute("INSERT INTO workflow_stage (workflow_id, name, position) VALUES (%s, 'Applied', 1), (%s, 'Screen', 2)",
            (wf, wf))
cur.execute("SELECT assign_workflow(77, %s)", (wf,))
cur.execute("SELECT add_candidate(7, 77)")
c.commit()
c.close()

work = tempfile.mkdtemp(prefix="wf-pgbouncer-")
as_root = os.geteuid() == 0
if as_root:                                     # PgBouncer refuses to run as root
    os.chown(work, pwd.getpwnam("postgres").pw_uid, -1)
os.chmod(work, 0o755)
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    bouncer_port = s.getsockname()[1]
with open(os.path.join(work, "userlist.txt"), "w") as f:
    f.write('"%s" "%s"\n' % (ROLE, PASSWORD))
with open(os.path.join(work, "pgbouncer.ini"), "w") as f:
    f.write("""[databases]
wf_transaction = host=%(host)s port=%(port)s dbname=%(db)s pool_mode=transaction
wf_session = host=%(host)s port=%(port)s dbname=%(db)s pool_mode=session
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %(bport)d
unix_socket_dir =
auth_type = md5
auth_file = %(work)s/userlist.txt
pidfile = %(work)s/pgbouncer.pid
logfile = %(work)s/pgbouncer.log
default_pool_size = 2
""" % dict(host=HOST, port=PORT, db=DB, bport=bouncer_port, work=work))
for name in os.listdir(work):
    os.chmod(os.path.join(work, name), 0o644)
subprocess.run([pgbouncer, "-d"] + (["-u", "postgres"] if as_root else []) + [os.path.join(work, "pgbouncer.ini")],
               check=True)
try:
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", bouncer_port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)

    listeners = {}
    for name, kw in (("direct", dict()),
                     ("session", dict(host="127.0.0.1", port=bouncer_port, dbname="wf_session")),
                     ("transaction", dict(host="127.0.0.1", port=bouncer_port, dbname="wf_transaction"))):
        lc = app(**kw)
        lc.autocommit = True
        lc.cursor().execute("LISTEN workflow_events")
        listeners[name] = lc

    mover = app()
    mc = mover.cursor()
    mc.execute("SELECT set_config('workflow_ext.actor', 'user:ann', true)")
    mc.execute("SELECT to_stage_name FROM move_to_next_stage(7, 77)")
    moved = mc.fetchone()[0]
    mover.commit()
    mover.close()
    check("a move commits (and NOTIFYs workflow_events)", moved == "Screen", moved)

    heard = {}
    deadline = time.time() + 3
    for name, lc in listeners.items():
        # A client through a transaction pool that keeps working gets a
        # server connection again: still nothing arrives.
        lc.cursor().execute("SELECT 1")
        while time.time() < deadline and not lc.notifies:
            if select.select([lc], [], [], max(0.0, deadline - time.time()))[0]:
                lc.poll()
        heard[name] = [n.channel for n in lc.notifies]
    check("a direct connection hears the move's NOTIFY", heard["direct"] == ["workflow_events"], heard)
    check("a session-mode PgBouncer pool hears it too", heard["session"] == ["workflow_events"], heard)
    check("a transaction-mode PgBouncer pool hears nothing", heard["transaction"] == [], heard)
    for lc in listeners.values():
        lc.close()
finally:
    with open(os.path.join(work, "pgbouncer.pid")) as f:
        os.kill(int(f.read().strip()), 15)
    time.sleep(0.3)
    shutil.rmtree(work, ignore_errors=True)

print("# %d passed, %d failed" % (passed, failed))
sys.exit(0 if failed == 0 else 1)
