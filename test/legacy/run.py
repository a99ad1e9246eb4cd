#!/usr/bin/env python3
"""make legacycheck: every earlier version keeps working as it did, served by
its own frozen code inside the one library $libdir/workflow_ext, until
ALTER EXTENSION workflow_ext UPDATE, which then works in the same session.

First, the installed library's dynamic symbols (nm -D): none of an earlier
release (legacy/README.md), each entry point once.  Then for each earlier
version <V> with a directory test/legacy/<V> (0.1.0, 0.2.0), against the
installed extension on the server that PGHOST/PGPORT/PGUSER name
(pg_virtualenv in test.sh):

  1. nothing else serves <V>: no secondary control file
     workflow_ext--<V>.control and no library workflow_ext-<V>.so installed;
  2. CREATE EXTENSION workflow_ext VERSION '<V>' in a fresh database names
     $libdir/workflow_ext in every C function, as the <V> packages did; a
     backend that calls one maps that library only, <V>'s own code answers
     (current_actor() without workflow_ext.actor is the role's name, not
     0.3.0's role:<oid>), and SET / SET LOCAL workflow_ext.actor reach it; a
     C function beside it naming an entry point that only a newer version
     has fails with 0A000;
  3. <V>'s own pg_regress files (test/legacy/<V>: the files its Makefile's
     REGRESS ran at that release, with their expected outputs, stored as they
     were) run with pg_regress against version <V>, one TAP line per file;
  4. a database of <V> (made as the <V> packages made it), filled through
     <V>'s API, updated with one ALTER EXTENSION workflow_ext UPDATE in the
     session that filled it (every step of the path in one command: 0.1.0 to
     0.3.0 goes through 0.2.0), and used in that same session at the default
     version, then in a fresh one; every C function still names
     $libdir/workflow_ext.

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

EXTVERSION = "SELECT extversion FROM pg_extension WHERE extname = 'workflow_ext'"
# A C function and a C trigger of every version: the actor, and a workflow row.
SMOKE = ("BEGIN; SET LOCAL workflow_ext.actor = 'user:legacy'; "
         "SELECT current_actor(); INSERT INTO workflow (name) VALUES ('legacy smoke'); ROLLBACK;")

# Who acts without workflow_ext.actor: the role's name up to 0.2.0, role:<oid>
# from 0.3.0 on.  Tells which generation's code answered.
ROLE_ACTOR = ("SELECT CASE current_actor() WHEN current_user THEN 'name' "
              "WHEN 'role:' || (SELECT oid FROM pg_roles WHERE rolname = current_user) THEN 'role:<oid>' "
              "ELSE current_actor() END")
SERVED_AS = {"0.1.0": "name", "0.2.0": "name"}
# An entry point that only the current code has.
LACKS = "wf_current_tenant"

# The settings reach the version's own code: SET, SET LOCAL, and its rollback.
SETTINGS = ["SET workflow_ext.actor = 'user:set'", "SELECT current_actor()",
            "BEGIN", "SET LOCAL workflow_ext.actor = 'user:local'", "SELECT current_actor()", "ROLLBACK",
            "SELECT current_actor()"]
SETTINGS_WANT = ["user:set", "user:local", "user:set"]

# A little of everything through the API that 0.1.0 and 0.2.0 share: a
# workflow with a rule, a job, a candidate with facts, a move; and a workflow
# that the role owns by its name, which 0.2.0--0.3.0 rewrites to role:<oid>
# with role_identity(), a C function of 0.3.0 only, while candidate_stage has
# no tenant yet (the script's calls run on the code of the version it
# updates to, legacy/shim.c).
FILL = r"""
SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('legacy fill');
INSERT INTO workflow_stage (workflow_id, name, position, kind)
SELECT w.id, s.name, s.position, s.kind FROM workflow w,
       (VALUES ('Applied', 1, 'normal'), ('Screen', 2, 'normal'), ('Hired', 3, 'hired')) s(name, position, kind)
 WHERE w.name = 'legacy fill';
INSERT INTO stage_rule (stage_id, name, condition)
SELECT id, 'Experienced', '{"field": "years", "op": "gte", "value": 3}' FROM workflow_stage WHERE name = 'Screen';
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (7, '{"years": 5}'), (8, '{"years": 1}');
SELECT assign_workflow(1234, id) FROM workflow WHERE name = 'legacy fill';
SELECT add_candidate(7, 1234);
SELECT add_candidate(8, 1234);
SELECT move_to_next_stage(7, 1234);
RESET workflow_ext.actor;
INSERT INTO workflow (name) VALUES ('owned by the role');
SET workflow_ext.actor = 'user:ann';
"""
# Where the pipeline stands: candidate 7 in Screen, 8 in Applied (its move is
# refused by the rule: years 1 < 3); and who owns the role's workflow.
PIPELINE = ("SELECT string_agg(c.candidate_id || ':' || s.name, ' ' ORDER BY c.candidate_id) || ' ' || "
            "(SELECT CASE owner WHEN current_user THEN 'name' "
            "WHEN 'role:' || (SELECT oid FROM pg_roles WHERE rolname = current_user) THEN 'role:<oid>' "
            "ELSE owner END FROM workflow WHERE name = 'owned by the role') "
            "FROM candidate_stage c JOIN workflow_stage s ON s.id = c.stage_id")

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
    want = "$libdir/%s" % EXT

    # 1. nothing but the one library serves it
    control = os.path.join(sharedir, "extension", "%s--%s.control" % (EXT, version))
    lib = os.path.join(pkglibdir, "%s-%s.so" % (EXT, version))
    stale = [p for p in (control, lib) if os.path.exists(p)]
    tap(not stale, "%s: no secondary control file or library of its own is installed" % version,
        ["installed: %s (an unreleased build's; make install removes them)" % ", ".join(stale)])
    tap(module_pathname(os.path.join(sharedir, "extension", EXT + ".control")) == want,
        "%s: %s.control names %s" % (version, EXT, want))

    # 2. CREATE EXTENSION ... VERSION: what the <V> packages made
    db = "wf_legacy_" + tag
    fresh_database(db)
    r = psql(db, "CREATE EXTENSION %s VERSION '%s'" % (EXT, version))
    script = os.path.join(sharedir, "extension", "%s--%s.sql" % (EXT, version))
    tap(r.returncode == 0, "%s: CREATE EXTENSION %s VERSION '%s'" % (version, EXT, version),
        errors(r) + ([] if r.returncode == 0 or os.path.exists(script) else [
            "%s is not installed: ship <V>'s own install script as released in sql/" % os.path.basename(script)]))
    if r.returncode != 0:
        return
    libs = query(db, LIBRARIES).splitlines()
    tap(len(libs) == 1 and libs[0].startswith(want + " "),
        "%s: every C function names %s (%s)" % (version, want, ", ".join(libs)))
    r = psql(db, SMOKE, ROLE_ACTOR, MAPPED)
    out = r.stdout.strip().splitlines() if r.returncode == 0 else []
    mapped = out[-1] if out else ""
    tap(r.returncode == 0 and mapped == EXT + ".so",
        "%s: a backend calling it maps %s.so and no other workflow_ext library" % (version, EXT),
        errors(r) + ["mapped: %r" % mapped])
    served = out[-2] if len(out) >= 2 else ""
    if version in SERVED_AS:
        tap(served == SERVED_AS[version],
            "%s: its own code answers (without an actor, current_actor() is the role's %s)"
            % (version, SERVED_AS[version]), ["current_actor() is the role's %r" % served])
    r = psql(db, *SETTINGS)
    got = [l for l in r.stdout.strip().splitlines() if l.startswith("user:")]
    tap(r.returncode == 0 and got == SETTINGS_WANT,
        "%s: its code sees workflow_ext.actor: SET, SET LOCAL, rolled back" % version,
        errors(r) + ["current_actor(): %s, wanted %s" % (got, SETTINGS_WANT)])

    # a C function beside the extension that only a newer version has: 0A000
    r = psql(db, "\\set VERBOSITY verbose", "BEGIN",
             "CREATE FUNCTION lacks_probe() RETURNS text LANGUAGE c AS '$libdir/%s', '%s'" % (EXT, LACKS),
             "SELECT lacks_probe()", "ROLLBACK")
    want_error = "ERROR:  0A000: function lacks_probe is not available in workflow_ext %s" % version
    tap(r.returncode != 0 and want_error in r.stderr,
        "%s: an entry point its code lacks (%s) fails with 0A000 naming the function and version" % (version, LACKS),
        errors(r))

    # two generations in turn in one command, every row: <V>'s current_actor()
    # and the current code's (a C function in a schema without
    # candidate_stage); the answers kept per function for the command
    # (legacy/shim.c) must not serve one function the other's code
    r = psql(db, "BEGIN", "CREATE SCHEMA turn_probe",
             "CREATE FUNCTION turn_probe.actor_now() RETURNS text LANGUAGE c STABLE "
             "AS '$libdir/%s', 'wf_current_actor'" % EXT,
             "SELECT string_agg(CASE current_actor() WHEN current_user THEN 'name' ELSE current_actor() END "
             "|| '/' || CASE turn_probe.actor_now() WHEN 'role:' || (SELECT oid FROM pg_roles "
             "WHERE rolname = current_user) THEN 'role:<oid>' ELSE turn_probe.actor_now() END, ' ') "
             "FROM generate_series(1, 4)", "ROLLBACK")
    turns = r.stdout.strip().splitlines()[-1] if r.returncode == 0 and r.stdout.strip() else ""
    want_turns = " ".join(["%s/role:<oid>" % SERVED_AS.get(version, "name")] * 4)
    tap(r.returncode == 0 and turns == want_turns,
        "%s: its code and the current code in turn, row after row in one command, each answers as itself"
        % version, errors(r) + ["got %r, wanted %r" % (turns, want_turns)])

    # a catalog-only change rolled back to a savepoint (no relation file, so no
    # invalidation at the rollback; same command id): the generations kept for
    # the command must not outlive it (the screening review's finding)
    if version == "0.2.0":
        r = psql(db, "BEGIN", "SAVEPOINT s", "ALTER TABLE candidate_stage ADD COLUMN tenant text",
                 "SELECT current_actor() = current_user, condition_matches('{\"field\":\"a\",\"op\":\"eq\",\"value\":1}', '{\"a\":1}')",
                 "ROLLBACK TO SAVEPOINT s",
                 "SELECT current_actor() = current_user, condition_matches('{\"field\":\"a\",\"op\":\"eq\",\"value\":1}', '{\"a\":1}')",
                 "ROLLBACK")
        got = r.stdout.strip().splitlines() if r.returncode == 0 else []
        tap(r.returncode == 0 and got[-2:] == ["f|t", "t|t"],
            "%s: a change of the schema rolled back to a savepoint: the current code inside, %s's after" % (version, version),
            errors(r) + ["got %r" % got])

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

    # 4. filled by <V>, updated and used in the same session, then in a new one
    if version != default and default:
        path = query(db, "SELECT path FROM pg_extension_update_paths('%s') WHERE source = '%s' AND target = '%s'"
                     % (EXT, version, default))
        target = default
        if not path:
            # the step to the next version, when the rest of the path is not written yet
            target = query(db, "SELECT target FROM pg_extension_update_paths('%s') WHERE source = '%s' "
                               "AND path = source || '--' || target" % (EXT, version)).split("\n")[0]
            path = "%s--%s" % (version, target) if target else ""
            print("# %s: no update path to %s; the step to %s only" % (version, default, target or "-"))
        if not path:
            tap(False, "%s: an update path" % version, ["none from %s" % version])
            return
        fill = [l for l in FILL.strip().split(";\n") if l.strip()]
        r = psql(db, *(fill + [PIPELINE, "RESET workflow_ext.actor", ROLE_ACTOR,
                               "ALTER EXTENSION %s UPDATE TO '%s'" % (EXT, target), EXTVERSION,
                               "SET workflow_ext.actor = 'user:ann'",
                               "SELECT (move_to_next_stage(7, 1234)).transition_id IS NOT NULL",
                               PIPELINE, "RESET workflow_ext.actor", ROLE_ACTOR]))
        out = r.stdout.strip().splitlines()
        tap(r.returncode == 0, "%s: filled through its API, then ALTER EXTENSION UPDATE TO '%s' (%s) and a move, "
            "in one session" % (version, target, path), errors(r))
        if r.returncode == 0:
            before, before_actor, after_version, moved, after, after_actor = out[-6:]
            tap(before == "7:Screen 8:Applied name" and before_actor == SERVED_AS.get(version, before_actor),
                "%s: before the update, %s's code ran the pipeline (%s)" % (version, version, before),
                ["actor without workflow_ext.actor: the role's %s" % before_actor])
            served = SERVED_AS.get(target, "role:<oid>")
            tap(after_version == target and moved == "t" and after == "7:Hired 8:Applied " + served
                and after_actor == served,
                "%s: in the same session after the update, %s's code runs it (%s; without an actor, "
                "current_actor() is the role's %s)" % (version, target, after, served),
                ["got: " + " | ".join(out[-4:])])
        libs = query(db, LIBRARIES).splitlines()
        tap(len(libs) == 1 and libs[0].startswith(want + " "),
            "%s: updated, every C function names %s" % (version, want), ["libraries: " + ", ".join(libs)])
        r = psql(db, SMOKE, ROLE_ACTOR, MAPPED)
        out = r.stdout.strip().splitlines() if r.returncode == 0 else []
        tap(r.returncode == 0 and out[-2:] == [SERVED_AS.get(target, "role:<oid>"), EXT + ".so"],
            "%s: the updated database works in a fresh session" % version, errors(r) + ["got: %s" % out[-2:]])

    if all(results):
        run(["dropdb", "--if-exists", db])
    else:
        print("# kept for inspection: database %s" % db)


def check_library():
    """The installed library exports no symbol of an earlier release (they are
    local, or hidden: legacy/README.md), and one entry point per name."""
    lib = os.path.join(pg_config("pkglibdir"), EXT + ".so")
    r = run(["nm", "-D", "--defined-only", lib])
    if r.returncode != 0:
        print("# nm -D %s: %s; the library's symbols are not checked" % (lib, (r.stderr or "failed").strip()))
        return
    syms = [l.split() for l in r.stdout.splitlines() if len(l.split()) == 3]
    legacy = [name for _, kind, name in syms if re.match(r"^l[0-9]{3}_", name)]
    shown = [name for _, kind, name in syms if re.match(r"^l[0-9]{3}_", name) and kind != "u"]
    tap(not shown, "%s.so exports no symbol of an earlier release (%d GNU-unique constants, renamed)"
        % (EXT, len(legacy)), shown[:10])
    names = [name for _, kind, name in syms]
    entries = [n[len("pg_finfo_"):] for n in names if n.startswith("pg_finfo_")]
    dup = sorted(n for n in set(names) if names.count(n) > 1)
    missing = [n for n in entries if n not in names] + [n for n in ("_PG_init", "Pg_magic_func") if n not in names]
    tap(entries and not dup and not missing,
        "%s.so exports %d entry points with their pg_finfo_, _PG_init and Pg_magic_func, each once"
        % (EXT, len(entries)), ["twice: %s" % dup, "missing: %s" % missing])


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
    check_library()
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
