#!/usr/bin/env python3
"""make legacycheck: every earlier version keeps working as it did, served by
its own frozen library, until ALTER EXTENSION workflow_ext UPDATE.

For each earlier version <V> with a directory test/legacy/<V> (0.1.0, 0.2.0),
against the installed extension on the server that PGHOST/PGPORT/PGUSER name
(pg_virtualenv in test.sh):

  1. the installed secondary control file workflow_ext--<V>.control names
     $libdir/workflow_ext-<V>, and that library is installed (legacy/);
  2. CREATE EXTENSION workflow_ext VERSION '<V>' in a fresh database points
     every C function of the extension at $libdir/workflow_ext-<V>, and a
     backend that calls one maps that library and no other workflow_ext
     library;
  3. <V>'s own pg_regress files (test/legacy/<V>: the files its Makefile's
     REGRESS ran at that release, with their expected outputs, stored as they
     were) run with pg_regress against version <V>, one TAP line per file;
  4. the fresh-session rule (legacy/README.md): ALTER EXTENSION UPDATE in a
     session that already ran <V>'s library leaves <V> whole if it fails;
     one ALTER EXTENSION UPDATE in a fresh session is tried and reported (a
     path of two or more steps fails when no direct script exists); else,
     run one version step per fresh session, it reaches the default version
     with every C function on that version's library (its secondary control
     file's, else workflow_ext.control's), and works;
  5. legacy/repoint.sql, for a database created before the versioned
     libraries (its C functions name $libdir/workflow_ext): afterwards they
     name $libdir/workflow_ext-<V> again.

The files are stored byte for byte as released; two adaptations are made at
run time, in a scratch copy, and nowhere else:
  - every CREATE EXTENSION [IF NOT EXISTS] workflow_ext [SCHEMA s]; in the
    .sql and .psql files and in the expected .out files gains VERSION '<V>'
    (at its release <V> was the default version, so the files said nothing);
  - template1 holds workflow_ext VERSION '<V>' while <V>'s files run, so the
    database that dump_restore.sql restores into (createdb, from template1)
    has <V> before pg_dump's CREATE EXTENSION IF NOT EXISTS, which names no
    version, would install the default one.  pg_regress's own database is made
    from template0 and the databases the files create themselves say
    CREATE EXTENSION IF NOT EXISTS, so nothing else sees it.

Prints TAP and ends with "# N passed, M failed".  Usage:
  run.py [<version> ...]          (default: every directory under test/legacy)
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PG_CONFIG = os.environ.get("PG_CONFIG", "pg_config")
EXT = "workflow_ext"

# The commit each frozen version is taken from (legacy/README.md): its src/
# is legacy/<V>/src, its pg_regress files are test/legacy/<V>.
FROZEN = {
    "0.1.0": "39dbd96a69a8a3d0f4b5c1810b7c266ccea290db",
    "0.2.0": "477d32639f49a32a64fa6b66a02b1561e28368a8",
}

results = []


def tap(ok, description, diagnostics=()):
    results.append(bool(ok))
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), description))
    for line in diagnostics if not ok else ():
        print("#   " + line)
    sys.stdout.flush()


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def psql(db, *sqls):
    """One psql session (one backend) running each statement in turn."""
    cmd = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db]
    for s in sqls:
        cmd += ["-c", s]
    return run(cmd)


def query(db, sql):
    r = psql(db, sql)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return r.stdout.strip()


def errors(r):
    return [l for l in (r.stderr or "").splitlines() if l.strip()][-6:]


def first_error(r):
    lines = [l for l in (r.stderr or "").splitlines() if l.startswith("ERROR:")] or errors(r)
    return lines[0][:200] if lines else "no message"


def pg_config(what):
    return run([PG_CONFIG, "--" + what]).stdout.strip()


def version_key(v):
    return [int(x) if x.isdigit() else x for x in re.split(r"[.-]", v)]


def module_pathname(path):
    try:
        text = open(path).read()
    except OSError:
        return None
    m = re.search(r"^\s*module_pathname\s*=\s*'([^']*)'", text, re.M)
    return m.group(1) if m else None


def fresh_database(name):
    run(["dropdb", "--if-exists", name])
    r = run(["createdb", name])
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())


# The extension's C functions, by library.
LIBRARIES = r"""
SELECT p.probin || ' ' || count(*)
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'workflow_ext'
 WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
 GROUP BY p.probin ORDER BY 1
"""

# The workflow_ext libraries this backend has mapped.
MAPPED = r"""
SELECT coalesce(string_agg(DISTINCT regexp_replace(l, '^.*/', ''), ' '), '')
  FROM regexp_split_to_table(pg_read_file('/proc/' || pg_backend_pid() || '/maps'), E'\n') l
 WHERE l ~ '/workflow_ext[-.][^/]*$'
"""

# What a database made before the versioned libraries looks like: every C
# function names $libdir/workflow_ext (test databases only).
OLD_STYLE = r"""
UPDATE pg_catalog.pg_proc SET probin = '$libdir/workflow_ext'
 WHERE probin LIKE '$libdir/workflow_ext%'
   AND oid IN (SELECT d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                WHERE e.extname = 'workflow_ext' AND d.refclassid = 'pg_extension'::regclass
                  AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e')
"""

EXTVERSION = "SELECT extversion FROM pg_extension WHERE extname = 'workflow_ext'"
# A C function and a C trigger of every version: the actor, and a workflow row.
SMOKE = ("BEGIN; SET LOCAL workflow_ext.actor = 'user:legacy'; "
         "SELECT current_actor(); INSERT INTO workflow (name) VALUES ('legacy smoke'); ROLLBACK;")

CREATE_EXT = re.compile(r"(CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?workflow_ext\b)((?:(?!\bVERSION\b)[^;\n])*);",
                        re.I)


def adapt(text, version):
    return CREATE_EXT.subn(lambda m: "%s%s VERSION '%s';" % (m.group(1), m.group(2), version), text)


def scratch_copy(version, scratch):
    """test/legacy/<V>/{sql,expected} as <scratch>/test/{sql,expected} (the
    paths the files name, such as \\i test/sql/include/...), adapted."""
    src = os.path.join(HERE, version)
    adapted = []
    for sub in ("sql", "expected"):
        for path in sorted(glob.glob(os.path.join(src, sub, "**", "*"), recursive=True)):
            if os.path.isdir(path):
                continue
            rel = os.path.relpath(path, src)
            dest = os.path.join(scratch, "test", rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            text, n = adapt(open(path).read(), version)
            with open(dest, "w") as f:
                f.write(text)
            if n:
                adapted.append("%s (%d)" % (rel, n))
    return adapted


def pg_regress(version, scratch, tests):
    binary = os.path.join(pg_config("pgxs").rsplit("/src/makefiles/", 1)[0], "src/test/regress/pg_regress")
    cmd = [binary, "--inputdir=test", "--outputdir=test", "--bindir=" + pg_config("bindir"),
           "--load-extension=plpgsql", "--dbname=contrib_regression"] + tests
    return run(cmd, cwd=scratch)


def git(*args):
    r = run(["git", "-C", ROOT] + list(args))
    return r.stdout if r.returncode == 0 else None


def blobs(commit, prefix, mapping):
    """{path in the tree: blob id} of commit's files under prefix, renamed by mapping."""
    out = {}
    for line in (git("ls-tree", "-r", commit, "--", prefix) or "").splitlines():
        meta, path = line.split("\t", 1)
        out[mapping(path)] = meta.split()[2]
    return out


def check_frozen(version):
    """legacy/<V>/src and test/legacy/<V> hold exactly what the release's commit
    held (needs git history; the Debian package build has none)."""
    commit = FROZEN.get(version)
    if commit is None or git("cat-file", "-e", commit + "^{commit}") is None:
        print("# %s: no git history here, the frozen files are not compared with %s" % (version, commit))
        return
    tests = open(os.path.join(HERE, version, "REGRESS")).read().split()
    want = blobs(commit, "src", lambda p: "legacy/%s/%s" % (version, p))
    for t in tests:
        want.update(blobs(commit, "test/sql/%s.sql" % t, lambda p: "test/legacy/%s/sql/%s" % (version, p[9:])))
        want.update(blobs(commit, "test/expected/%s.out" % t,
                          lambda p: "test/legacy/%s/expected/%s" % (version, p[14:])))
    want.update(blobs(commit, "test/sql/include", lambda p: "test/legacy/%s/sql/%s" % (version, p[9:])))
    have = {}
    for top in ("legacy/%s" % version, "test/legacy/%s/sql" % version, "test/legacy/%s/expected" % version):
        for path in glob.glob(os.path.join(ROOT, top, "**", "*"), recursive=True):
            if os.path.isfile(path) and not path.endswith((".o", ".bc", ".so")):
                rel = os.path.relpath(path, ROOT)
                have[rel] = (git("hash-object", "--", rel) or "").strip()
    diag = (["differs: " + p for p in sorted(want) if p in have and have[p] != want[p]] +
            ["missing: " + p for p in sorted(want) if p not in have] +
            ["extra: " + p for p in sorted(have) if p not in want])
    tap(not diag, "%s: legacy/%s/src and test/legacy/%s are byte-identical to commit %s (%d files)"
        % (version, version, version, commit[:7], len(want)), diag)


def check_version(version, default):
    check_frozen(version)
    tag = version.replace(".", "_")
    sharedir, pkglibdir = pg_config("sharedir"), pg_config("pkglibdir")

    # 1. what is installed
    want = "$libdir/%s-%s" % (EXT, version)
    control = os.path.join(sharedir, "extension", "%s--%s.control" % (EXT, version))
    got = module_pathname(control)
    tap(got == want, "%s: %s names %s" % (version, os.path.basename(control), want),
        [] if got == want else ["it names %r (no file: None)" % got])
    lib = os.path.join(pkglibdir, "%s-%s.so" % (EXT, version))
    tap(os.path.isfile(lib), "%s: %s is installed" % (version, lib))
    # The library of the version updated to: its secondary control file's, else
    # the primary's (today's default may still be a frozen version).
    primary = (module_pathname(os.path.join(sharedir, "extension", "%s--%s.control" % (EXT, default)))
               or module_pathname(os.path.join(sharedir, "extension", EXT + ".control")))

    # 2. CREATE EXTENSION ... VERSION: every C function on the frozen library
    db = "wf_legacy_" + tag
    fresh_database(db)
    r = psql(db, "CREATE EXTENSION %s VERSION '%s'" % (EXT, version))
    script = os.path.join(sharedir, "extension", "%s--%s.sql" % (EXT, version))
    tap(r.returncode == 0, "%s: CREATE EXTENSION %s VERSION '%s'" % (version, EXT, version),
        errors(r) + ([] if r.returncode == 0 or os.path.exists(script) else [
            "%s is not installed: without <V>'s own install script, CREATE EXTENSION goes through an older "
            "version's and an update, loading two libraries in one backend; ship it as released in sql/"
            % os.path.basename(script)]))
    if r.returncode != 0:
        return
    libs = query(db, LIBRARIES).splitlines()
    tap(len(libs) == 1 and libs[0].startswith(want + " "),
        "%s: every C function names %s (%s)" % (version, want, ", ".join(libs)))
    r = psql(db, SMOKE, MAPPED)
    mapped = r.stdout.strip().splitlines()[-1] if r.returncode == 0 and r.stdout.strip() else ""
    tap(r.returncode == 0 and mapped == os.path.basename(lib),
        "%s: a backend calling it maps %s and no other workflow_ext library" % (version, os.path.basename(lib)),
        errors(r) + (["mapped: %r" % mapped] if r.returncode == 0 else []))

    # 3. the release's own pg_regress files
    tests = open(os.path.join(HERE, version, "REGRESS")).read().split()
    scratch = tempfile.mkdtemp(prefix="wf-legacy-%s-" % version)
    try:
        adapted = scratch_copy(version, scratch)
        print("# %s: pg_regress on its %d own files; VERSION '%s' added to: %s"
              % (version, len(tests), version, ", ".join(adapted)))
        query("template1", "DROP EXTENSION IF EXISTS %s CASCADE" % EXT)
        query("template1", "CREATE EXTENSION %s VERSION '%s'" % (EXT, version))
        try:
            started = time.time()
            r = pg_regress(version, scratch, tests)
        finally:
            query("template1", "DROP EXTENSION IF EXISTS %s CASCADE" % EXT)
        print("# %s: pg_regress took %.0f s" % (version, time.time() - started))
        seen = {}
        for line in r.stdout.splitlines():
            m = re.match(r"^(?:test |     |parallel group.*?)?\s*([a-z_0-9]+)\s+\.\.\.\s+(ok|FAILED|failed)", line)
            if m:
                seen[m.group(1)] = m.group(2) == "ok"
        for t in tests:
            tap(seen.get(t, False), "%s: pg_regress %s%s" % (version, t, "" if t in seen else " (did not run)"))
        if not all(seen.get(t, False) for t in tests):
            diffs = os.path.join(scratch, "test", "regression.diffs")
            lines = open(diffs).read().splitlines()[:120] if os.path.exists(diffs) else r.stdout.splitlines()[-20:]
            for line in lines + errors(r):
                print("#   " + line)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    # 4. the update: not in a session that ran the old library; one version
    #    step per fresh session.
    if version != default:
        r = psql(db, SMOKE, "ALTER EXTENSION %s UPDATE" % EXT)
        after = query(db, EXTVERSION)
        outcome = ("it updated to %s" % after) if r.returncode == 0 else \
                  ("it failed (%s)" % first_error(r))
        print("# %s: ALTER EXTENSION UPDATE in a session that ran %s's library: %s" % (version, version, outcome))
        whole = r.returncode == 0 or (after == version and psql(db, SMOKE).returncode == 0)
        tap(whole, "%s: an update in a session that ran its library updates, or fails leaving %s working"
            % (version, version))
        if after == version:
            # Reported, not counted: a path of two or more steps in one command
            # loads two libraries in one backend (legacy/README.md).
            r = psql(db, "ALTER EXTENSION %s UPDATE" % EXT)
            after = query(db, EXTVERSION)
            print("# %s: one ALTER EXTENSION UPDATE in a fresh session: %s" % (version, (
                "it updated to %s" % after) if r.returncode == 0 else "it failed (%s)" % first_error(r)))
        if after == version:
            path = query(db, "SELECT path FROM pg_extension_update_paths('%s') WHERE source = '%s' AND target = '%s'"
                         % (EXT, version, default))
            steps = path.split("--")[1:] if path else []
            ok, diag = bool(steps), [] if steps else ["no update path from %s to %s" % (version, default)]
            for step in steps:
                r = psql(db, "ALTER EXTENSION %s UPDATE TO '%s'" % (EXT, step))
                if r.returncode != 0:
                    ok, diag = False, ["UPDATE TO '%s': " % step] + errors(r)
                    break
            tap(ok, "%s: ALTER EXTENSION UPDATE, one fresh session per step (%s)" % (version, path or "-"), diag)
        after = query(db, EXTVERSION)
    if version != default and after == default:
        libs = query(db, LIBRARIES).splitlines()
        tap(after == default and len(libs) == 1 and libs[0].startswith(primary + " "),
            "%s: updated to %s, every C function names %s" % (version, default, primary),
            ["version %s, libraries %s" % (after, ", ".join(libs))])
        r = psql(db, SMOKE, MAPPED)
        mapped = r.stdout.strip().splitlines()[-1] if r.returncode == 0 and r.stdout.strip() else ""
        tap(after == default and r.returncode == 0 and mapped == os.path.basename(primary) + ".so",
            "%s: the updated database works in a fresh session, on %s.so" % (version, os.path.basename(primary)),
            errors(r) + ["version %s, mapped %r" % (after, mapped)])

    # 5. a database created before the versioned libraries, repointed
    fresh_database(db)
    query(db, "CREATE EXTENSION %s VERSION '%s'" % (EXT, version))
    query(db, OLD_STYLE)
    r = run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db,
             "-f", os.path.join(ROOT, "legacy", "repoint.sql")])
    libs = query(db, LIBRARIES).splitlines() if r.returncode == 0 else []
    tap(r.returncode == 0 and len(libs) == 1 and libs[0].startswith(want + " "),
        "%s: legacy/repoint.sql points a pre-versioned-library database's C functions at %s"
        % (version, want), errors(r) + ["libraries: " + ", ".join(libs)])
    r = psql(db, SMOKE, MAPPED)
    tap(r.returncode == 0 and r.stdout.strip().splitlines()[-1] == os.path.basename(lib),
        "%s: and it works from there" % version, errors(r))

    if all(results):
        run(["dropdb", "--if-exists", db])
    else:
        print("# kept for inspection: database %s" % db)


def main():
    started = time.time()
    versions = sys.argv[1:] or sorted(
        (os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(HERE, "*", "REGRESS"))),
        key=version_key)
    default = None
    r = psql("postgres", "SELECT default_version FROM pg_available_extensions WHERE name = '%s'" % EXT)
    if r.returncode == 0:
        default = r.stdout.strip()
    print("# installed default version: %s; earlier versions checked: %s" % (default, " ".join(versions)))
    for v in versions:
        print("# %s" % v)
        try:
            check_version(v, default)
        except RuntimeError as e:
            tap(False, "%s: the check stopped" % v, str(e).splitlines()[-8:])
    print("1..%d" % len(results))
    print("# took %.0f s" % (time.time() - started))
    print("# %d passed, %d failed" % (results.count(True), results.count(False)))
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
