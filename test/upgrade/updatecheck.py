#!/usr/bin/env python3
"""make updatecheck: every shipped earlier version upgrades in place to the
current one, keeping every row, and ends up indistinguishable from a fresh
install.

For each earlier install script sql/workflow_ext--<V>.sql (0.1.0 today), on
the server that PGHOST/PGPORT/PGUSER name (pg_virtualenv in test.sh):

  1. CREATE EXTENSION workflow_ext VERSION '<V>' and fill every table through
     <V>'s API (test/upgrade/fill-<V>.sql) with <V>'s own shared library, built
     from the git commit that last had <V> as default_version (so the rows are
     what <V> wrote, not what today's library writes into <V>'s schema; without
     git history, today's library fills), checksums of every table taken;
  2. ALTER EXTENSION workflow_ext UPDATE (in one command along the update
     path, 0.1.0--0.2.0--0.3.0 for 0.1.0);
  3. compare the catalogs of the extension (test/upgrade/catalog.sql) with a
     fresh CREATE EXTENSION of the current version, one check per category
     (columns, constraints, indexes, policies, triggers, functions, comments,
     ACLs, initial privileges, pg_extension_config_dump entries, ...); a
     failure lists each object that differs, is missing or is extra;
     and, on the fresh side inside a rolled-back transaction, a probe column,
     policy, grant, comment and function setting must each show up as missing
     from the upgraded database (the comparison proves it would catch them);
  4. the same checksums again: every row that <V> wrote is still there
     (test/upgrade/expect-<V>.sql, when there is one, says which columns the
     update rewrites, renames or adds, and how: the checksum before the update
     reads those through its expressions);
  5. pg_dump | psql into a new database: the same rows, the same catalogs;
  6. moves, rules, alerts, facts and RLS on the upgraded and on the restored
     data (test/upgrade/exercise.sql, then test/upgrade/exercise-<V>.sql when
     there is one: what is particular to updating from <V>).

Prints TAP and ends with "# N passed, M failed".  Usage:
  updatecheck.py <current version>
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CATEGORIES = ["extension", "object", "relation", "column", "constraint", "index", "policy",
              "trigger", "rule", "sequence", "function", "type", "comment", "acl",
              "init_privs", "config_dump"]

results = []


def tap(ok, description, diagnostics=()):
    results.append(ok)
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), description))
    for line in diagnostics:
        print("#   " + line)
    sys.stdout.flush()


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def psql(db, sql=None, file=None, quiet=True):
    cmd = ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-d", db]
    if quiet:
        cmd.append("-q")
    cmd += ["-f", file] if file else ["-c", sql]
    return run(cmd)


def query(db, sql):
    r = psql(db, sql)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return r.stdout


def errors(r):
    return [l for l in (r.stderr or "").splitlines() if l.strip()][-8:]


def version_key(v):
    return [int(x) if x.isdigit() else x for x in re.split(r"[.-]", v)]


def catalog(db, probe=None):
    """The catalog facts of db; with probe, of db inside a transaction that
    runs probe first and is rolled back."""
    if probe is None:
        r = psql(db, file=os.path.join(HERE, "catalog.sql"))
    else:
        script = "BEGIN;\n%s\n\\i %s\nROLLBACK;\n" % (probe, os.path.join(HERE, "catalog.sql"))
        r = run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-d", db], input=script)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    facts = {}
    for line in r.stdout.splitlines():
        category, obj, detail = line.split("\t", 2)
        facts.setdefault(category, {}).setdefault(obj, []).append(detail)
    return facts


def compare(got, want, got_name, want_name):
    """One (category, diagnostics) per category; diagnostics empty when equal."""
    out = []
    for category in CATEGORIES + sorted((set(got) | set(want)) - set(CATEGORIES)):
        g, w = got.get(category, {}), want.get(category, {})
        diag = []
        for obj in sorted(set(g) | set(w)):
            if obj not in g:
                diag += ["missing in the %s database: %s %s: %s" % (got_name, category, obj, d) for d in w[obj]]
            elif obj not in w:
                diag += ["only in the %s database (not in %s): %s %s: %s" % (got_name, want_name, category, obj, d)
                         for d in g[obj]]
            elif sorted(g[obj]) != sorted(w[obj]):
                diag.append("differs: %s %s" % (category, obj))
                diag += ["    %s: %s" % (got_name, d) for d in sorted(g[obj])]
                diag += ["    %s: %s" % (want_name, d) for d in sorted(w[obj])]
        out.append((category, diag))
    return out


SETUP = r"""
CREATE SCHEMA upgrade_check;
GRANT USAGE ON SCHEMA upgrade_check TO PUBLIC;
-- The columns each table had before the update: the checksums read only those,
-- so a column that the update adds does not count as a change of the rows.
-- before_expr (expect-<V>.sql): what the column holds after the update, as
-- an expression over the row before it.
CREATE TABLE upgrade_check.cols (tbl regclass, col name, before_expr text, PRIMARY KEY (tbl, col));
CREATE FUNCTION upgrade_check.checksums(before boolean DEFAULT false) RETURNS TABLE (tbl text, rows bigint, md5 text)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.tbl,
                    string_agg(CASE WHEN before AND c.before_expr IS NOT NULL
                                    THEN '(' || c.before_expr || ') AS ' || quote_ident(c.col)
                                    ELSE quote_ident(c.col) END, ', ' ORDER BY c.col) AS cols
               FROM upgrade_check.cols c GROUP BY c.tbl ORDER BY c.tbl::text LOOP
        RETURN QUERY EXECUTE format(
            'SELECT %L::text, count(*), md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) FROM (SELECT %s FROM %s) t',
            r.tbl::text, r.cols, r.tbl);
    END LOOP;
    RETURN QUERY SELECT 'sequence ' || s.schemaname || '.' || s.sequencename, s.last_value, NULL::text
                   FROM pg_sequences s
                  WHERE format('%I.%I', s.schemaname, s.sequencename)::regclass
                        IN (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'workflow_ext');
END $$;
CREATE FUNCTION upgrade_check.sqlstate(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
CREATE FUNCTION upgrade_check.ok(passed boolean, description text) RETURNS text LANGUAGE sql AS
$$ SELECT CASE WHEN passed THEN 'ok - ' ELSE 'not ok - ' END || description $$;
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wf_upgrade_app') THEN
        CREATE ROLE wf_upgrade_app;
    END IF;
END $$;
"""

RECORD_COLUMNS = r"""
INSERT INTO upgrade_check.cols
SELECT a.attrelid::regclass, a.attname
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
   AND (a.attrelid IN (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'workflow_ext')
        OR a.attrelid = 'public.hr_candidate'::regclass);
"""

EMPTY_TABLES = r"""
SELECT c.relname FROM pg_class c
 WHERE c.oid IN (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'workflow_ext')
   AND c.relkind = 'r'
   AND (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %s', c.oid::regclass), false, true, '')))[1]::text::int = 0
 ORDER BY 1;
"""

PROBES = [
    ("a column", "ALTER EVENT TRIGGER workflow_ext_ddl_guard DISABLE; ALTER TABLE workflow ADD COLUMN updatecheck_probe integer;",
     "missing in the upgraded database: column workflow.updatecheck_probe"),
    ("a policy", "CREATE POLICY updatecheck_probe ON workflow FOR SELECT USING (false);",
     "missing in the upgraded database: policy workflow.updatecheck_probe"),
    ("a grant", "GRANT TRUNCATE ON workflow TO PUBLIC;", "differs: acl table public.workflow"),
    ("a comment", "COMMENT ON TABLE workflow IS 'updatecheck probe';", "differs: comment table public.workflow"),
    ("a function setting", "ALTER FUNCTION current_actor() SET work_mem = '1MB';", "differs: function current_actor()"),
]

COVERAGE = r"""
SELECT concat_ws(' ',
    'statuses', (SELECT string_agg(DISTINCT status, ',') FROM candidate_stage),
    'causes', (SELECT string_agg(DISTINCT cause, ',') FROM alert_event),
    'acknowledged', (SELECT count(*) > 0 FROM alert_event WHERE acknowledged_at IS NOT NULL),
    'reopened', (SELECT count(*) > 0 FROM stage_transition WHERE from_status = 'withdrawn' AND to_status = 'active'),
    'rule alerts', (SELECT count(*) > 0 FROM alert WHERE rule_id IS NOT NULL),
    'hand alerts', (SELECT count(*) > 0 FROM alert WHERE rule_id IS NULL),
    'facts source', (SELECT string_agg(relation::text, ',') FROM facts_source));
"""
COVERED = ("statuses active,hired,rejected,withdrawn causes entry,facts,sla acknowledged t reopened t "
           "rule alerts t hand alerts t facts source hr_candidate")


def checksums(db, before=False):
    rows = query(db, "SELECT tbl, rows, coalesce(md5, '') FROM upgrade_check.checksums(%s)" % before)
    return {l.split("|")[0]: l for l in rows.splitlines()}


def compare_checksums(before, after, after_name):
    diag = []
    for tbl in sorted(before):
        if tbl not in after:
            diag.append("%s: gone in the %s database" % (tbl, after_name))
        elif before[tbl] != after[tbl]:
            diag.append("%s: before %s, %s %s" % (tbl, before[tbl].split("|", 1)[1],
                                                  after_name, after[tbl].split("|", 1)[1]))
    return diag


def exercise(db, label, old_version):
    for name in ("exercise.sql", "exercise-%s.sql" % old_version):
        path = os.path.join(HERE, name)
        if not os.path.exists(path):
            continue
        r = psql(db, file=path)
        for line in r.stdout.splitlines():
            m = re.match(r"^(ok|not ok) - (.*)$", line)
            if m:
                tap(m.group(1) == "ok", "%s: %s" % (label, m.group(2)))
        tap(r.returncode == 0, "%s: %s ran to its end" % (label, name), errors(r))


def git(*args):
    r = run(["git", "-C", ROOT] + list(args))
    return r.stdout if r.returncode == 0 else None


def control_version(commit):
    text = git("show", "%s:workflow_ext.control" % commit) or ""
    m = re.search(r"^default_version\s*=\s*'([^']*)'", text, re.M)
    return m.group(1) if m else None


def source_commit(version):
    """The commit whose tree is <version> as shipped: a tag, else the parent of
    the commit that moved default_version away from <version>."""
    for tag in ("v" + version, version, "workflow_ext-" + version):
        c = git("rev-parse", "-q", "--verify", "refs/tags/%s^{commit}" % tag)
        if c:
            return c.strip()
    commits = (git("log", "--format=%H", "--reverse", "--", "workflow_ext.control") or "").split()
    had = False
    for c in commits:
        v = control_version(c)
        if had and v != version:
            return c + "^"
        had = v == version
    return None


def old_library(version, scratch):
    """<version>'s workflow_ext.so, built from git into build/upgrade/<version>
    and copied where the server can read it; None without git history."""
    commit = source_commit(version)
    if commit is None:
        return None, "no git commit found for %s" % version
    tree = os.path.join(ROOT, "build", "upgrade", version)
    lib = os.path.join(tree, "workflow_ext.so")
    if not os.path.exists(lib):
        shutil.rmtree(tree, ignore_errors=True)
        os.makedirs(tree)
        r = run("git -C %s archive %s | tar -x -C %s" % (ROOT, commit, tree), shell=True)
        if r.returncode != 0:
            return None, r.stderr.strip()
        r = run(["make", "-C", tree, "-s", "-j2", "workflow_ext.so",
                 "PG_CONFIG=" + os.environ.get("PG_CONFIG", "pg_config")])
        if r.returncode != 0:
            return None, "building %s at %s failed: %s" % (version, commit, r.stderr.strip()[-500:])
    copy = os.path.join(scratch, "workflow_ext-%s.so" % version)
    shutil.copy(lib, copy)
    os.chmod(copy, 0o644)
    return copy, "built from commit %s" % (git("rev-parse", "--short", commit) or commit).strip()


# Points the extension's C functions at another library (a test database only).
REPOINT = r"""
UPDATE pg_catalog.pg_proc SET probin = %s
 WHERE probin = %s
   AND oid IN (SELECT d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                WHERE e.extname = 'workflow_ext' AND d.refclassid = 'pg_extension'::regclass
                  AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e');
"""


def quote(text):
    return "'" + text.replace("'", "''") + "'"


def fresh_database(name):
    run(["dropdb", "--if-exists", name])
    r = run(["createdb", name])
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())


def check_from(old_version, target):
    tag = old_version.replace(".", "_")
    old, new, restored = "wf_upgrade_" + tag, "wf_upgrade_fresh", "wf_upgrade_restored_" + tag
    for db in (old, new, restored):
        fresh_database(db)

    r = psql(old, "CREATE EXTENSION workflow_ext VERSION '%s'" % old_version)
    tap(r.returncode == 0, "CREATE EXTENSION workflow_ext VERSION '%s'" % old_version, errors(r))
    if r.returncode != 0:
        return
    r = psql(old, SETUP)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())

    scratch = tempfile.mkdtemp(prefix="wf-updatecheck-")
    os.chmod(scratch, 0o755)
    try:
        lib, how = old_library(old_version, scratch)
        if lib:
            query(old, REPOINT % (quote(lib), quote("$libdir/workflow_ext")))
        print("# filling with %s's library: %s" % (old_version, how) if lib else
              "# filling with the installed library (%s)" % how)
        fill = os.path.join(HERE, "fill-%s.sql" % old_version)
        r = psql(old, file=fill)
        tap(r.returncode == 0, "filled through the %s API (%s)" % (old_version, os.path.relpath(fill, ROOT)),
            errors(r))
        if lib:
            query(old, REPOINT % (quote("$libdir/workflow_ext"), quote(lib)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if r.returncode != 0:
        return
    # Between installing the new files and ALTER EXTENSION UPDATE, the new
    # library serves the old schema.  Reported, not counted: how long that
    # window may last is a release decision.
    r = psql(old, "BEGIN; SET LOCAL workflow_ext.actor = 'user:ann'; "
                  "SELECT (move_to_next_stage(104, 1300)).transition_id; "
                  "UPDATE public.hr_candidate SET salary = salary + 1 WHERE id = 202; ROLLBACK;")
    print("# the installed library on the %s schema, before the update: %s"
          % (old_version, "moves and facts changes work" if r.returncode == 0 else
             "FAILS: " + " ".join(errors(r))[:400]))
    empty = query(old, EMPTY_TABLES).split()
    tap(not empty, "every table of %s holds rows" % old_version, ["empty: " + ", ".join(empty)] if empty else [])
    covered = query(old, COVERAGE).strip()
    tap(covered == COVERED, "the data covers every status, every alert cause, acknowledgements and reopenings",
        [] if covered == COVERED else ["got:  " + covered, "want: " + COVERED])
    query(old, RECORD_COLUMNS)
    expect = os.path.join(HERE, "expect-%s.sql" % old_version)
    if os.path.exists(expect):
        r = psql(old, file=expect)
        if r.returncode != 0:
            raise RuntimeError("%s: %s" % (os.path.relpath(expect, ROOT), r.stderr.strip()))
    before = checksums(old, before=True)

    path = query(old, "SELECT path FROM pg_extension_update_paths('workflow_ext') "
                      "WHERE source = '%s' AND target = '%s'" % (old_version, target)).strip()
    r = psql(old, "ALTER EXTENSION workflow_ext UPDATE")
    tap(r.returncode == 0, "ALTER EXTENSION workflow_ext UPDATE from %s (%s)" % (old_version, path or "no path"),
        errors(r))
    if r.returncode != 0:
        return
    got = query(old, "SELECT extversion FROM pg_extension WHERE extname = 'workflow_ext'").strip()
    tap(got == target, "the updated extension is version %s" % target, ["it is " + got] if got != target else [])

    r = psql(new, "CREATE EXTENSION workflow_ext")
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    upgraded_catalog, fresh_catalog = catalog(old), catalog(new)
    for category, diag in compare(upgraded_catalog, fresh_catalog, "upgraded", "fresh"):
        tap(not diag, "upgraded from %s = fresh %s: %s" % (old_version, target, category), diag)

    # The comparison itself: what the install script has and the upgrade
    # script lacks must show up, named.  Each probe adds one object to the
    # fresh database (rolled back) and looks for it in the differences.
    for what, probe, expect in PROBES:
        found = [d for _, ds in compare(upgraded_catalog, catalog(new, probe), "upgraded", "fresh")
                 for d in ds if expect in d]
        tap(bool(found), "the comparison catches %s missing from the upgrade script" % what,
            found[:2] if found else ["no difference mentions " + repr(expect)])

    after = checksums(old)
    diag = compare_checksums(before, after, "upgraded")
    tap(not diag, "every row of %s is still there after the update (%d tables and sequences)"
        % (old_version, len(before)), diag)

    dump = run("pg_dump -d %s | psql -X -q -v ON_ERROR_STOP=1 -d %s" % (old, restored), shell=True)
    tap(dump.returncode == 0, "the upgraded database goes through pg_dump | psql", errors(dump))
    if dump.returncode == 0:
        diag = compare_checksums(after, checksums(restored), "restored")
        tap(not diag, "the restored database holds the same rows", diag)
        diag = [d for _, ds in compare(catalog(restored), fresh_catalog, "restored", "fresh") for d in ds]
        tap(not diag, "the restored database's extension = a fresh %s" % target, diag)

    exercise(old, "upgraded", old_version)
    if dump.returncode == 0:
        exercise(restored, "restored", old_version)

    if all(results):
        for db in (old, new, restored):
            run(["dropdb", "--if-exists", db])
    else:
        print("# kept for inspection: databases %s, %s, %s" % (old, new, restored))


def dependents_check(old_version, target):
    """Where a direct update script exists: an object of the database's own
    that depends on what the update rebuilds (a view on a column, an index)
    stops it before anything changes, named; without them it goes through."""
    if not os.path.exists(os.path.join(ROOT, "sql", "workflow_ext--%s--%s.sql" % (old_version, target))):
        return
    db = "wf_upgrade_dependents_" + old_version.replace(".", "_")
    fresh_database(db)
    query(db, "CREATE EXTENSION workflow_ext VERSION '%s'" % old_version)
    query(db, "CREATE VIEW public.my_pipeline AS SELECT job_id, candidate_id FROM candidate_stage; "
              "CREATE INDEX my_moved_at ON stage_transition (moved_at)")
    r = psql(db, "ALTER EXTENSION workflow_ext UPDATE TO '%s'" % target)
    named = "index my_moved_at" in r.stderr and "view my_pipeline" in r.stderr
    version = query(db, "SELECT extversion FROM pg_extension WHERE extname = 'workflow_ext'").strip()
    tap(r.returncode != 0 and named and version == old_version,
        "the update from %s stops, naming them, when a view or an index of the database's own "
        "depends on what it rebuilds; nothing changed" % old_version,
        errors(r) + ["version after: " + version])
    query(db, "DROP VIEW public.my_pipeline; DROP INDEX my_moved_at")
    r = psql(db, "ALTER EXTENSION workflow_ext UPDATE TO '%s'" % target)
    tap(r.returncode == 0, "without them the update from %s goes through" % old_version, errors(r))
    if r.returncode == 0:
        run(["dropdb", "--if-exists", db])


def main():
    target = sys.argv[1]
    olds = []
    for f in glob.glob(os.path.join(ROOT, "sql", "workflow_ext--*.sql")):
        v = os.path.basename(f)[len("workflow_ext--"):-len(".sql")]
        if "--" not in v and v != target:
            olds.append(v)
    for v in sorted(olds, key=version_key):
        print("# from %s to %s" % (v, target))
        try:
            check_from(v, target)
            dependents_check(v, target)
        except RuntimeError as e:
            tap(False, "upgrade check from %s stopped" % v, str(e).splitlines()[-8:])
    print("1..%d" % len(results))
    print("# %d passed, %d failed" % (results.count(True), results.count(False)))
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
