#!/usr/bin/python3
"""0.3.0 (tenants) against 0.2.0, measured as a non-superuser application role.

Run under a throwaway cluster: make bench-tenant (a few minutes) or
make bench-tenant-smoke (seconds: tiny sizes, one round, checks that it all
runs).  One cluster, two databases: workflow_ext 0.2.0 on its frozen code
(legacy/) and the default version 0.3.0, the same fixture in both
(bench/sql/tenant_fixture.sql), built and measured as the role wfapp (LOGIN,
no SUPERUSER, no BYPASSRLS: row-level security applies, as for an
application; superusers skip it).

  move   pgbench -M prepared, -c 1 and -c 2: BEGIN; SET LOCAL the tenant
         (0.3.0 only) and the actor; SELECT move_to_stage(c, 1, s); COMMIT.
         Each client moves its own window of candidates through the 6 stages
         and back to stage 1 (a pgbench counter, 6 x window moves per run), so
         every run ends where it started: steady state, every move checked by
         a blocking rule, writing a history row and 1.1 alert events.
  facts  candidate_facts(c): pgbench (one call per transaction), and per
         call inside one statement.

Variants: 0.3.0 as user:hank, a member of org:acme who did not create the
workflow (shared with the tenant); 0.3.0 as its owner user:ann; 0.2.0 as the
owner user:ann; 0.2.0 as user:hank, a grantee; and, for the move, a what-if:
0.3.0 as user:hank in a copy of the 0.3.0 database whose RLS helper
functions (visible_workflow_ids, editable_workflow_ids, shared_workflow_ids)
are re-created in PL/pgSQL (the throwaway cluster only; nothing in sql/ is
changed).  Rounds alternate the variants (forward, then backward); medians
of the rounds and of the per-round ratios.  Each run is measured twice: TPS
(wall clock) and the server's CPU time per transaction.

Then where the time of a move goes: calls and time per move of the
extension's functions (track_functions) and statements (pg_stat_statements,
when loaded: make bench-tenant preloads it with tracking off, turned on only
in this part), the RLS helper per call, EXPLAIN ANALYZE of its query, and a
perf profile of one backend per variant when perf works.

Nothing is asserted about timings: the script fails only when something did
not run as described.  Writes bench/results/tenant_move.md (smoke:
bench/results/smoke.tenant_move.md).   Options: --smoke, --rounds N.
"""
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SMOKE = "--smoke" in sys.argv
ROUNDS = 1 if SMOKE else 5
if "--rounds" in sys.argv:
    ROUNDS = int(sys.argv[sys.argv.index("--rounds") + 1])
SIZES = {
    "candidates": 300 if SMOKE else 5000,   # in the measured job (org:acme / ann's)
    "window": 10 if SMOKE else 400,         # candidates per client per move run (6 x window moves)
    "facts_tx": 200 if SMOKE else 10000,    # candidate_facts transactions per client per run
    "facts_calls": 300 if SMOKE else 5000,  # calls in one statement
    "helper_calls": 300 if SMOKE else 5000,  # calls of an RLS helper in one DO loop
    "diag_window": 10 if SMOKE else 100,    # candidates of the track_functions / pg_stat_statements cycle
    "perf_window": 10 if SMOKE else 1000,   # candidates of the profiled cycle (6 x moves)
}
CLIENTS = [1, 2]
APP, APP_PASSWORD = "wfapp", "wfapp"
DB = {"0.2.0": "wf_tenant_020", "0.3.0": "wf_tenant_030", "what-if": "wf_tenant_030_whatif"}
TENANT = "org:acme"
WHATIF = "what-if member"
# (name, database key, actor, tenant); the tenant is set in 0.3.0 only.
VARIANTS = [
    ("0.3.0 member", "0.3.0", "user:hank", TENANT),
    ("0.3.0 owner", "0.3.0", "user:ann", TENANT),
    ("0.2.0 owner", "0.2.0", "user:ann", None),
    ("0.2.0 grantee", "0.2.0", "user:hank", None),
]
MOVE_VARIANTS = VARIANTS + [(WHATIF, "what-if", "user:hank", TENANT)]
BY_NAME = {v[0]: v for v in MOVE_VARIANTS}
# (label, numerator, denominator): the issue's targets first.
RATIOS = [
    ("0.3.0 member / 0.2.0 owner", "0.3.0 member", "0.2.0 owner"),
    ("0.3.0 member / 0.2.0 grantee", "0.3.0 member", "0.2.0 grantee"),
    ("0.3.0 owner / 0.2.0 owner", "0.3.0 owner", "0.2.0 owner"),
    ("what-if member / 0.2.0 owner", WHATIF, "0.2.0 owner"),
    ("what-if member / 0.3.0 member", WHATIF, "0.3.0 member"),
]
FACTS_RATIOS = [
    ("0.3.0 member / 0.3.0 owner", "0.3.0 member", "0.3.0 owner"),
    ("0.3.0 member / 0.2.0 owner", "0.3.0 member", "0.2.0 owner"),
    ("0.2.0 grantee / 0.2.0 owner", "0.2.0 grantee", "0.2.0 owner"),
]
HELPERS = []       # the functions the what-if database re-creates in PL/pgSQL (whatif())
TMP = tempfile.mkdtemp(prefix="wftenant.")
APP_ENV = dict(os.environ, PGUSER=APP, PGPASSWORD=APP_PASSWORD)
stage1 = {}         # database key -> id of stage 1 of the measured workflow
notes = []
loads = []          # 1-minute load average at the end of each round (other users of the machine)
commands = {}       # the first pgbench command line of each kind (move, facts)


def run(cmd, env=None, check=True):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=TMP)
    if check and out.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{out.stderr}{out.stdout}")
    return out


def psql(sql, db="postgres", app=False, file=None, variables=None, check=True):
    cmd = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-d", db]
    for k, v in (variables or {}).items():
        cmd += ["-v", f"{k}={v}"]
    cmd += ["-f", file] if file else ["-c", sql]
    out = run(cmd, env=APP_ENV if app else None, check=check)
    return out if not check else out.stdout.strip()


def identity(actor, tenant, pgbench=False, local=True):
    """The SETs of a request (the tenant only in 0.3.0).  For pgbench the colon
    is written E'\\x3a': pgbench reads ':acme' in 'org:acme' as a variable."""
    def lit(x):
        return "E'" + x.replace(":", "\\x3a") + "'" if pgbench else f"'{x}'"
    how = "SET LOCAL" if local else "SET"
    s = f"{how} workflow_ext.tenant = {lit(tenant)};\n" if tenant else ""
    return s + f"{how} workflow_ext.actor = {lit(actor)};\n"


def script(name, body):
    path = os.path.join(TMP, re.sub(r"[^a-z0-9]+", "_", name.lower()) + ".sql")
    with open(path, "w") as f:
        f.write(body)
    return path


def timings(out):
    return [float(x) for x in re.findall(r"^Time: ([0-9.]+) ms", out, re.M)]


# --- setup: role, databases, the fixture as the application role -------------------------------
BUILD = []


def build_identity():
    """Which build is installed: the tree's commit and uncommitted code now (at setup), whether the
    installed 0.3.0 script is the tree's sql/install/, and when the library was installed."""
    head = run(["git", "-C", ROOT, "log", "-1", "--format=%h (%ci)"], check=False).stdout.strip()
    dirty = [l[3:] for l in run(["git", "-C", ROOT, "status", "--porcelain", "--", "src", "sql", "legacy"],
                                check=False).stdout.splitlines()]
    share = run(["pg_config", "--sharedir"]).stdout.strip() + "/extension"
    lib = run(["pg_config", "--pkglibdir"]).stdout.strip() + "/workflow_ext.so"
    parts = "".join(open(os.path.join(ROOT, "sql", "install", f)).read()
                    for f in sorted(os.listdir(os.path.join(ROOT, "sql", "install"))) if f.endswith(".sql"))
    installed = open(os.path.join(share, "workflow_ext--0.3.0.sql")).read().split("\n", 1)[1]
    return (f"source tree at {head}" + (f", uncommitted changes in {', '.join(dirty)}" if dirty else "") +
            f"; the installed 0.3.0 script {'is' if installed == parts else 'is NOT'} the tree's sql/install/; "
            f"{lib} installed {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(os.path.getmtime(lib)))}")


def served_by_own_code(version, libs):
    """Does a database of this version run that version's C code?  Either its own frozen library
    ($libdir/workflow_ext-0.2.0), or the one library holding every version's code and
    dispatching on the schema (legacy/README.md: 0.2.0's symbols are l020_*)."""
    if version == "0.3.0":
        return libs == "$libdir/workflow_ext"
    if libs == f"$libdir/workflow_ext-{version}":
        return True
    so = os.path.join(run(["pg_config", "--pkglibdir"]).stdout.strip(), "workflow_ext.so")
    prefix = "l" + version.replace(".", "")[:3] + "_"
    return libs == "$libdir/workflow_ext" and prefix in run(["nm", so], check=False).stdout


def setup():
    print("== setup", flush=True)
    BUILD.append(build_identity())
    for db in DB.values():
        psql(f"DROP DATABASE IF EXISTS {db}")
    psql(f"DROP ROLE IF EXISTS {APP}")
    # No autovacuum worker's CPU in a run's account: each run is preceded by VACUUM ANALYZE.
    psql("ALTER SYSTEM SET autovacuum = off")
    psql("SELECT pg_reload_conf()")
    psql(f"CREATE ROLE {APP} LOGIN PASSWORD '{APP_PASSWORD}' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
    for version in ("0.2.0", "0.3.0"):
        db = DB[version]
        psql(f"CREATE DATABASE {db}")
        psql(f"CREATE EXTENSION workflow_ext VERSION '{version}'", db)
        libs = psql("SELECT string_agg(DISTINCT p.probin, ', ') FROM pg_proc p JOIN pg_depend d "
                    "ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e' "
                    "JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'workflow_ext' "
                    "WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')", db)
        ext = psql("SELECT extversion FROM pg_extension WHERE extname = 'workflow_ext'", db)
        if ext != version or not served_by_own_code(version, libs):
            raise SystemExit(f"{db}: workflow_ext {ext}, its C functions on {libs}: not {version}'s own code")
        if version == "0.3.0":
            # 0.3.0 grants PUBLIC nothing: the README's grant set (Privileges), to the app role
            readme = open(os.path.join(HERE, "..", "README.md")).read()
            grants = readme[readme.index("-- BEGIN application grant set"):readme.index("-- END application grant set")]
            psql(grants.replace("workflow_app", APP), db)
        t0 = time.time()
        psql(None, db, app=True, file=os.path.join(HERE, "sql", "tenant_fixture.sql"),
             variables={"v3": "true" if version == "0.3.0" else "false", "candidates": SIZES["candidates"]})
        psql("VACUUM ANALYZE", db)
        ids = [int(x) for x in psql("SELECT s.id FROM workflow_stage s JOIN workflow w ON w.id = s.workflow_id "
                                    "WHERE w.owner = 'user:ann' ORDER BY s.position", db).split()]
        if ids != list(range(ids[0], ids[0] + 6)):
            raise SystemExit(f"{db}: stage ids {ids} are not consecutive")
        stage1[version] = ids[0]
        counts = psql("SELECT (SELECT count(*) FROM candidate_stage) || ' pipeline rows, ' || "
                      "(SELECT count(*) FROM candidate_profile) || ' profiles, ' || "
                      "(SELECT count(*) FROM stage_transition) || ' history rows, ' || "
                      "(SELECT count(*) FROM alert) || ' alerts (hand-made and generated), ' || "
                      "(SELECT count(*) FROM workflow_share) || ' share'", db)
        code = ("the current code" if version == "0.3.0" else
                "its own frozen library" if libs.endswith(version) else
                f"the one library, dispatching to {version}'s frozen code (l{version.replace('.', '')[:3]}_*)")
        notes.append(f"fixture {version} (`{db}`, built as {APP} in {time.time() - t0:.1f} s; C functions on "
                     f"{libs}: {code}): {counts}")
    whatif()
    sanity()


def whatif():
    """A copy of the 0.3.0 database whose RLS helpers -- every set-returning SECURITY DEFINER
    function in SQL -- are PL/pgSQL (plans kept per backend) instead of SQL (parsed and planned
    at every call): the same queries, read from the catalog."""
    psql(f"CREATE DATABASE {DB['what-if']} TEMPLATE {DB['0.3.0']}")
    stage1["what-if"] = stage1["0.3.0"]
    out = psql("""DO $$
DECLARE f record; done text[] := '{}';
BEGIN
    FOR f IN SELECT p.proname, pg_get_function_arguments(p.oid) AS args,
                    pg_get_function_result(p.oid) AS result, p.prosrc
               FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
              WHERE p.pronamespace = 'public'::regnamespace AND l.lanname = 'sql'
                AND p.prosecdef AND p.proretset
              ORDER BY p.proname LOOP
        EXECUTE format('CREATE OR REPLACE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql '
                       'STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS %L',
                       f.proname, f.args, f.result,
                       E'#variable_conflict use_column\nBEGIN RETURN QUERY ' || f.prosrc || '; END');
        done := done || f.proname::text;
    END LOOP;
    RAISE NOTICE 'replaced: %', array_to_string(done, ', ');
END $$;""", DB["what-if"], check=False)
    m = re.search(r"replaced: (.*)", out.stderr)
    if out.returncode != 0 or not m:
        raise SystemExit(f"what-if: {out.stderr}")
    HELPERS[:] = [h for h in m.group(1).strip().split(", ") if h]
    if not HELPERS:
        # 0.3.0 ships its helpers in PL/pgSQL (66a088c): the copy is the same
        # code, a control that shows how much two identical databases differ.
        notes.append(f"what-if database `{DB['what-if']}`: a copy of `{DB['0.3.0']}` (CREATE DATABASE ... "
                     "TEMPLATE); 0.3.0's RLS helpers are PL/pgSQL already, so nothing was re-created: the "
                     "what-if is the same code measured again, a control for the noise between databases")
        return
    notes.append(f"what-if database `{DB['what-if']}`: a copy of `{DB['0.3.0']}` (CREATE DATABASE ... TEMPLATE) "
                 f"in which every set-returning SECURITY DEFINER SQL function ({', '.join(HELPERS)}) is re-created "
                 "as `LANGUAGE plpgsql ... AS '#variable_conflict use_column BEGIN RETURN QUERY <the same query, "
                 "from pg_proc.prosrc>; END'` with the same arguments, result and attributes (STABLE, SECURITY "
                 "DEFINER, SET search_path); nothing else differs")


def sanity():
    """The role is an ordinary one, RLS applies, the identities see what they should."""
    flags = psql("SELECT rolsuper::text || ' ' || rolbypassrls::text || ' ' || current_setting('row_security') "
                 "FROM pg_roles WHERE rolname = current_user", DB["0.3.0"], app=True)
    if flags != "false false on":
        raise SystemExit(f"{APP}: superuser, bypassrls, row_security = {flags}")
    for name, key, actor, tenant in MOVE_VARIANTS:
        db = DB[key]
        seen = psql(f"BEGIN; {identity(actor, tenant)} "
                    "SELECT count(*) || ' ' || count(DISTINCT job_id) FROM candidate_stage; COMMIT;", db, app=True)
        if seen != f"{SIZES['candidates']} 1":
            raise SystemExit(f"{name}: sees {seen} (pipeline rows, jobs), not {SIZES['candidates']} of job 1")
        facts = psql(f"BEGIN; {identity(actor, tenant)} SELECT candidate_facts(7)->>'email'; COMMIT;",
                     db, app=True)
        if facts != "candidate7@example.com":
            raise SystemExit(f"{name}: candidate_facts(7) gives {facts!r}")
    # Another organization (0.3.0) or actor (0.2.0) sees nothing of it and cannot move.
    for key, tenant in (("0.3.0", "org:other"), ("what-if", "org:other"), ("0.2.0", None)):
        out = psql(f"BEGIN; {identity('user:olga', tenant)} SELECT move_to_stage(1, 1, {stage1[key] + 1}); COMMIT;",
                   DB[key], app=True, check=False)
        if out.returncode == 0 or "P0002" not in out.stderr:
            raise SystemExit(f"{key}: user:olga moved candidate 1 of job 1 ({out.stderr.strip()})")
    notes.append(f"checked as {APP}: rolsuper false, rolbypassrls false, row_security on; each identity "
                 f"sees the {SIZES['candidates']:,} pipeline rows of job 1 (not the other organization's "
                 "1,000) and candidate_facts(7) gives the profile; user:olga (org:other in 0.3.0 and the what-if, "
                 "another actor in 0.2.0) gets P0002 moving a candidate of job 1")


# --- pgbench scripts -----------------------------------------------------------------------------
def move_script(name, actor, tenant):
    # n counts this client's transactions; k its candidate, r the half-cycle:
    # round r takes the window to position 2, 3, ..., 6, then back to 1.
    return script("move " + name, f"""\\set k :n % :window
\\set r (:n / :window) % 6
\\set c :first + :client_id * :window + :k
\\set s :stage1 + (:r + 1) % 6
BEGIN;
{identity(actor, tenant, pgbench=True)}SELECT move_to_stage(:c, 1, :s);
COMMIT;
\\set n :n + 1
""")


def facts_script(name, actor, tenant):
    return script("facts " + name, f"""\\set c random(1, {SIZES['candidates']})
BEGIN;
{identity(actor, tenant, pgbench=True)}SELECT candidate_facts(:c);
COMMIT;
""")


# --- server CPU: what the backends of a run used, whatever else runs on the machine ------------
# The machine is shared (2 cores, other users' work beside), so wall-clock TPS
# moves with their load; the CPU time the server spends on a run much less.
# A backend's CPU is added to the postmaster's cutime/cstime when it exits and
# is reaped; with autovacuum off (setup) the postmaster's other children are
# long-lived (checkpointer, background writer, WAL writer, launchers), read
# directly.  So: (postmaster's own + cutime + cstime + its live children's),
# once no backend is left, after the run minus before.
TICK = os.sysconf("SC_CLK_TCK")
LONG_LIVED = ("checkpointer", "background writer", "walwriter", "autovacuum launcher",
              "logical replication launcher", "archiver")
PM = []


def postmaster_pid():
    if not PM:
        PM.append(int(open(os.path.join(psql("SHOW data_directory"), "postmaster.pid")).readline()))
    return PM[0]


def stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()   # fields from 3 (state) on


def server_cpu():
    """Seconds of CPU used so far by the postmaster and all its children, once only long-lived ones remain."""
    pm = postmaster_pid()
    for _ in range(500):
        kids, titles = [], []
        for d in os.listdir("/proc"):
            try:
                if d.isdigit() and int(stat(d)[1]) == pm:
                    kids.append(int(d))
                    titles.append(open(f"/proc/{d}/cmdline").read().replace("\0", " "))
            except (OSError, IndexError):
                pass
        if all(any(t in x for t in LONG_LIVED) for x in titles):
            break
        time.sleep(0.01)
    else:
        raise SystemExit(f"backends still running: {titles}")
    ticks = sum(int(x) for x in stat(pm)[11:15])            # utime stime cutime cstime
    for k in kids:
        try:
            ticks += sum(int(x) for x in stat(k)[11:13])
        except OSError:
            pass
    return ticks / TICK


def pgbench(path, db, clients, transactions, variables):
    """(TPS, server CPU seconds) of one pgbench run as the application role."""
    cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(clients),
           "-t", str(transactions), "-f", path]
    for k, v in variables.items():
        cmd += ["-D", f"{k}={v}"]
    cmd.append(db)
    kind = os.path.basename(path).split("_")[0]
    if kind not in commands:
        commands[kind] = " ".join(cmd)
    cpu0 = server_cpu()
    out = run(cmd, env=APP_ENV, check=False)
    cpu = server_cpu() - cpu0
    if out.returncode != 0 or "aborted" in out.stdout + out.stderr:
        raise SystemExit(f"pgbench failed: {' '.join(cmd)}\n{out.stderr}{out.stdout}")
    m = re.search(r"number of failed transactions: (\d+)", out.stdout)
    if m and int(m.group(1)) != 0:
        raise SystemExit(f"pgbench: {m.group(1)} failed transactions: {' '.join(cmd)}\n{out.stdout}")
    return float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out.stdout).group(1)), cpu


run_no = [0]


def move_run(variant, clients, window=None):
    """One steady-state run: (TPS, server CPU µs per move)."""
    name, key, actor, tenant = variant
    db = DB[key]
    w = window or SIZES["window"]
    span = clients * w
    first = 1 + (run_no[0] * span) % (SIZES["candidates"] - span + 1)
    run_no[0] += 1
    psql("VACUUM ANALYZE candidate_stage, stage_transition, alert_event", db)
    before = int(psql("SELECT max(id) FROM stage_transition", db))
    t = 6 * w
    tps, cpu = pgbench(move_script(name, actor, tenant), db, clients, t,
                       {"n": 0, "window": w, "first": first, "stage1": stage1[key]})
    # Every move happened, by this actor, and the window is back in stage 1.
    moved, by, away = psql(f"SELECT count(*), count(*) FILTER (WHERE actor = '{actor}' AND job_id = 1 "
                           f"AND candidate_id BETWEEN {first} AND {first + span - 1}), "
                           f"(SELECT count(*) FROM candidate_stage WHERE job_id = 1 AND stage_id <> {stage1[key]}) "
                           f"FROM stage_transition WHERE id > {before}", db).split("|")
    if int(moved) != clients * t or int(by) != clients * t or int(away) != 0:
        raise SystemExit(f"{name}: {moved} moves ({by} by {actor} in the window) for {clients} x {t}; "
                         f"{away} candidates not back in stage 1")
    return tps, cpu * 1e6 / (clients * t)


def facts_run(variant, clients):
    """(TPS, server CPU µs per transaction) of candidate_facts(random candidate) transactions."""
    name, key, actor, tenant = variant
    tps, cpu = pgbench(facts_script(name, actor, tenant), DB[key], clients, SIZES["facts_tx"], {})
    return tps, cpu * 1e6 / (clients * SIZES["facts_tx"])


def facts_per_call(variant):
    """µs per candidate_facts() call: SIZES['facts_calls'] calls in one statement, timed 3 times
    in one transaction after one untimed; the fastest (the least disturbed by other work)."""
    name, key, actor, tenant = variant
    q = f"SELECT count(candidate_facts(c)) FROM generate_series(1, {SIZES['facts_calls']}) c;"
    body = f"BEGIN;\n{identity(actor, tenant)}{q}\n\\timing on\n{q}\n{q}\n{q}\n\\timing off\nCOMMIT;\n"
    out = run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", DB[key], "-f", script("percall " + name, body)],
              env=APP_ENV)
    return min(timings(out.stdout)) * 1000 / SIZES["facts_calls"]


# --- the rounds ----------------------------------------------------------------------------------
MEASURES = [f"move -c {c}" for c in CLIENTS] + [f"facts -c {c}" for c in CLIENTS]


def measure():
    """res[measure][metric][variant] = one value per round; metric tps or cpu (µs per transaction)."""
    res = {}
    for m in MEASURES:
        vs = MOVE_VARIANTS if m.startswith("move") else VARIANTS
        res[m] = {"tps": {v[0]: [] for v in vs}, "cpu": {v[0]: [] for v in vs}}
    res["facts per call"] = {"us": {v[0]: [] for v in VARIANTS}}
    print("== warm-up (not counted)", flush=True)
    for v in MOVE_VARIANTS:
        move_run(v, 1)
    for v in VARIANTS:
        facts_run(v, 1)
        facts_per_call(v)
    for r in range(ROUNDS):
        for m in MEASURES:
            kind, c = m.split()[0], int(m.split()[-1])
            vs = MOVE_VARIANTS if kind == "move" else VARIANTS
            for v in (vs if r % 2 == 0 else vs[::-1]):
                tps, cpu = (move_run if kind == "move" else facts_run)(v, c)
                res[m]["tps"][v[0]].append(tps)
                res[m]["cpu"][v[0]].append(cpu)
        for v in (VARIANTS if r % 2 == 0 else VARIANTS[::-1]):
            res["facts per call"]["us"][v[0]].append(facts_per_call(v))
        loads.append(os.getloadavg()[0])
        print(f"== round {r + 1}/{ROUNDS} (load {loads[-1]:.2f}): move TPS / server CPU µs per move: " +
              "; ".join(f"-c {c}: " + ", ".join(f"{v[0]} {res[f'move -c {c}']['tps'][v[0]][-1]:.0f}/"
                                                 f"{res[f'move -c {c}']['cpu'][v[0]][-1]:.0f}" for v in MOVE_VARIANTS)
                        for c in CLIENTS), flush=True)
    return res


def table(series, ratios, fmt, higher_is_better=True):
    """Markdown: one row per round, the median and the range; the variants, then the ratios (speed
    ratios: above 1, the numerator is faster), each taken within its round."""
    names = list(series)
    rounds = len(series[names[0]])

    def ratio(a, b, r):
        return series[a][r] / series[b][r] if higher_is_better else series[b][r] / series[a][r]
    lines = ["| round | " + " | ".join(names) + " | " + " | ".join(l for l, _, _ in ratios) + " |",
             "|" + "---|" * (1 + len(names) + len(ratios))]
    for r in range(rounds):
        lines.append(f"| {r + 1} | " + " | ".join(fmt(series[n][r]) for n in names) + " | " +
                     " | ".join(f"{ratio(a, b, r):.3f}" for _, a, b in ratios) + " |")
    med = [statistics.median(ratio(a, b, r) for r in range(rounds)) for _, a, b in ratios]
    lines.append("| **median** | " + " | ".join(f"**{fmt(statistics.median(series[n]))}**" for n in names) +
                 " | " + " | ".join(f"**{x:.3f}**" for x in med) + " |")
    if rounds > 1:
        lo = [min(ratio(a, b, r) for r in range(rounds)) for _, a, b in ratios]
        hi = [max(ratio(a, b, r) for r in range(rounds)) for _, a, b in ratios]
        lines.append("| range | " + " | ".join(f"{fmt(min(series[n]))} .. {fmt(max(series[n]))}" for n in names) +
                     " | " + " | ".join(f"{a:.3f} .. {b:.3f}" for a, b in zip(lo, hi)) + " |")
    return "\n".join(lines), med


# --- where the time of a move goes ---------------------------------------------------------------
def helpers_on_move(key):
    """The RLS helper functions (set-returning SECURITY DEFINER functions) that the policies a move
    passes through call: UPDATE of candidate_stage, INSERT into stage_transition and alert_event."""
    return psql("SELECT string_agg(p.proname, ' ' ORDER BY p.proname) FROM pg_proc p "
                "WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef AND p.proretset "
                "AND EXISTS (SELECT 1 FROM pg_policies x WHERE x.tablename IN ('candidate_stage', "
                "'stage_transition', 'alert_event') AND x.cmd IN ('UPDATE', 'INSERT', 'ALL') "
                "AND coalesce(x.qual, '') || coalesce(x.with_check, '') ~ ('\\m' || p.proname || '\\('))",
                DB[key]).split()


def helper_per_call():
    """µs per call of each RLS helper on the move's path, as each identity, in a DO loop (the
    median over 3 alternating sessions of the faster of 2 loops), the loop's own cost subtracted."""
    n = SIZES["helper_calls"]
    helpers = {key: helpers_on_move(key) for key in ("0.3.0", "0.2.0", "what-if")}
    kinds = [(v, f"PERFORM count(*) FROM {h}()") for v in MOVE_VARIANTS for h in helpers[v[1]]]
    kinds.append((("loop",) + MOVE_VARIANTS[0][1:], "PERFORM count(*) FROM (VALUES (1)) v(x)"))
    res = {}
    for r in range(3):
        for (name, key, actor, tenant), stmt in (kinds if r % 2 == 0 else kinds[::-1]):
            loop = f"DO $$ BEGIN FOR i IN 1..{n} LOOP {stmt}; END LOOP; END $$;"
            body = (f"BEGIN;\n{identity(actor, tenant)}DO $$ BEGIN FOR i IN 1..100 LOOP {stmt}; END LOOP; END $$;\n"
                    f"\\timing on\n{loop}\n{loop}\n\\timing off\nCOMMIT;\n")
            out = run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", DB[key], "-f",
                       script("helper " + name + " " + stmt, body)], env=APP_ENV)
            res.setdefault((name, stmt.split()[3].rstrip("()") if name != "loop" else "loop"), []).append(
                min(timings(out.stdout)) * 1000 / n)
    med = {k: statistics.median(v) for k, v in res.items()}
    loop = med.pop(("loop", "loop"))
    return {k: v - loop for k, v in med.items()}, loop, helpers


def explain_helper(helpers):
    """EXPLAIN ANALYZE of each helper's query (pg_proc.prosrc) on the move's path, as its owner runs
    it (superuser: RLS does not apply, as in the SECURITY DEFINER function), as user:hank:
    planning and execution ms (the fastest of 20 after one), and the 0.3.0 plans."""
    res = {}
    for key, tenant in (("0.3.0", TENANT), ("0.2.0", None)):
        for h in helpers[key]:
            src = psql(f"SELECT prosrc FROM pg_proc WHERE proname = '{h}' AND pronamespace = 'public'::regnamespace",
                       DB[key])
            # A PL/pgSQL helper: its one query is what RETURN QUERY runs.
            m = re.search(r"RETURN QUERY(.*?);\s*END", src, re.S)
            if m:
                src = m.group(1)
            src = "\n".join(l for l in src.splitlines() if not l.strip().startswith("--"))
            # Arguments of the helpers (for_edit) are left at their defaults: false.
            src = re.sub(r"\(\s*[a-z_.]*\.?can_edit OR NOT for_edit\s*\)", "true", src)
            q = f"EXPLAIN (ANALYZE, COSTS OFF) {src.strip().rstrip(';')};\n"
            out = run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", DB[key], "-f",
                       script(f"explain {key} {h}", identity("user:hank", tenant, local=False) + q * 21)]).stdout
            plan = [float(x) for x in re.findall(r"^Planning Time: ([0-9.]+) ms", out, re.M)][1:]
            exe = [float(x) for x in re.findall(r"^Execution Time: ([0-9.]+) ms", out, re.M)][1:]
            first = out.split("Planning Time")[0].strip()
            res[(key, h)] = (min(plan), min(exe), " ".join(src.split()), first)
    return res


def stats_per_move():
    """Per move, for 0.3.0 member, 0.2.0 owner and the what-if: the extension's functions
    (track_functions = all) and, when pg_stat_statements is loaded, the statements they run
    (track = all, planning tracked), over one pgbench cycle of SIZES['diag_window'] candidates."""
    pss = "pg_stat_statements" in psql("SHOW shared_preload_libraries")
    out = {}
    for name in ("0.3.0 member", "0.2.0 owner", WHATIF):
        v = BY_NAME[name]
        db = DB[v[1]]
        sets = ["track_functions = 'all'"]
        if pss:
            psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", db)
            sets += ["pg_stat_statements.track = 'all'", "pg_stat_statements.track_planning = on"]
        for s in sets:
            psql(f"ALTER DATABASE {db} SET {s}")
        psql("SELECT pg_stat_reset()" + ("; SELECT pg_stat_statements_reset()" if pss else ""), db)
        moves = 6 * SIZES["diag_window"]
        move_run(v, 1, window=SIZES["diag_window"])
        time.sleep(0.5)
        funcs = psql("SELECT funcname, calls, total_time, self_time FROM pg_stat_user_functions "
                     "WHERE calls > 0 ORDER BY self_time DESC", db)
        f = [(a, int(b) / moves, float(c) * 1000 / moves, float(d) * 1000 / moves)
             for a, b, c, d in (l.split("|") for l in funcs.splitlines())]
        st = []
        if pss:
            rows = psql("SELECT calls, total_plan_time, total_exec_time, regexp_replace(query, '\\s+', ' ', 'g') "
                        "FROM pg_stat_statements WHERE NOT toplevel AND dbid = (SELECT oid FROM pg_database "
                        "WHERE datname = current_database()) ORDER BY total_plan_time + total_exec_time DESC "
                        "LIMIT 8", db)
            st = [(int(a) / moves, float(b) * 1000 / int(a), float(c) * 1000 / int(a), d)
                  for a, b, c, d in (l.split("|", 3) for l in rows.splitlines())]
        for s in sets:
            psql(f"ALTER DATABASE {db} RESET {s.split(' =')[0]}")
        out[name] = (f, st)
    return out, pss


# PostgreSQL's own symbols (the extension's frozen 0.2.0 code has hidden, renamed symbols that
# perf cannot attribute by name, legacy/README.md), plus the one-library dispatcher when there is one.
PERF_SYMBOLS = [
    ("fmgr_sql", "SQL functions: here the RLS helpers"),
    ("pg_plan_query", "planning, all of it"),
    ("pg_analyze_and_rewrite_withcb", "parse analysis, all of it"),
    ("raw_parser", "parsing, all of it"),
    ("plpgsql_call_handler", "PL/pgSQL functions"),
    ("ExecSubPlan", "the policies' subqueries"),
    ("ExecWithCheckOptions", "RLS WITH CHECK of written rows"),
    ("AfterTriggerEndQuery", "AFTER triggers: history, alert events"),
    ("ExecInsertIndexTuples", "index insertions"),
    ("wf_schema_generation", "the one library's dispatcher"),
]


def perf_profile():
    """perf record of one backend making 6 x perf_window moves in single statements (one per
    stage, autocommit) for 0.3.0 member, 0.2.0 owner and the what-if: µs per move, inclusive,
    for PERF_SYMBOLS.  None when perf is missing or fails."""
    if not shutil.which("perf"):
        return None, "perf is not installed"
    w = SIZES["perf_window"]
    res = {}
    for name in ("0.3.0 member", "0.2.0 owner", WHATIF):
        _, key, actor, tenant = BY_NAME[name]
        s1 = stage1[key]
        cyc = "\n".join(f"SELECT count(*) FROM generate_series(1, {w}) c, LATERAL move_to_stage(c, 1, {s1 + k % 6}) m;"
                        for k in range(1, 7))
        data = os.path.join(TMP, re.sub(r"\W+", "_", name) + ".perf")
        body = (f"{identity(actor, tenant, local=False)}SELECT pg_backend_pid() AS pid \\gset\n\\setenv WFPID :pid\n"
                f"{cyc}\n"
                f"\\! perf record -q -e cpu-clock -F 2000 -g -p $WFPID -o {data} >/dev/null 2>&1 & echo $! > {data}.pid; sleep 1\n"
                f"\\timing on\n{cyc}\n\\timing off\n"
                f"\\! kill -INT $(cat {data}.pid); sleep 1\n")
        out = run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", DB[key], "-f", script("perf " + name, body)],
                  env=APP_ENV)
        ms = sum(timings(out.stdout))
        rep = run(["perf", "report", "-i", data, "--stdio", "--children", "--sort", "symbol", "-g", "none"],
                  check=False)
        # cpu-clock counts nanoseconds: the event count is the sampled time.
        m = re.search(r"# Event count \(approx\.\): (\d+)", rep.stdout)
        if rep.returncode != 0 or not m:
            return None, f"perf report failed: {rep.stderr.strip()[:300]}"
        sampled_ns = int(m.group(1))
        pct = {}
        for line in rep.stdout.splitlines():
            mm = re.match(r"\s+([0-9.]+)%\s+([0-9.]+)%\s+\[\.\]\s+(\S+)", line)
            if mm:
                pct.setdefault(mm.group(3), float(mm.group(1)))
        per_move = sampled_ns / 1000 / (6 * w)           # sampled µs per move
        dso = run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "dso", "-g", "none"],
                  check=False).stdout
        ext = sum(float(x) for x in re.findall(r"^\s+([0-9.]+)%\s+workflow_ext\S*\.so\s*$", dso, re.M))
        res[name] = (ms * 1000 / (6 * w), per_move, {s: pct.get(s, 0.0) * per_move / 100 for s, _ in PERF_SYMBOLS},
                     ext * per_move / 100)
    return res, ""


def diagnose():
    print("== where the time goes", flush=True)
    helper, loop, helpers = helper_per_call()
    explain = explain_helper(helpers)
    stats, pss = stats_per_move()
    prof, why = perf_profile()
    out = []
    names = sorted({h for hs in helpers.values() for h in hs})
    out.append("### The RLS helpers, per call\n")
    out.append("The set-returning SECURITY DEFINER functions the policies of a move's statements call (UPDATE of "
               "candidate_stage, INSERT into stage_transition and alert_event): " +
               "; ".join(f"{k}: {', '.join(v)}" for k, v in helpers.items()) + ". "
               f"`PERFORM count(*) FROM <helper>()` in a DO loop of {SIZES['helper_calls']:,} as `wfapp` with each "
               "identity (median of 3 alternating sessions, the faster of 2 loops each), the loop itself "
               f"({loop:.1f} µs) subtracted; µs per call:\n")
    out.append("| identity | " + " | ".join(names) + " |\n|" + "---|" * (len(names) + 1))
    for v in MOVE_VARIANTS:
        out.append(f"| {v[0]} | " + " | ".join(f"{helper[(v[0], h)]:.1f}" if (v[0], h) in helper else "-"
                                              for h in names) + " |")
    out.append("")
    out.append("EXPLAIN ANALYZE of their queries as user:hank, run as their owner runs them (superuser, no RLS; "
               "the fastest of 20 after one; `for_edit` false):\n")
    out.append("| version | helper | planning | execution | query |\n|---|---|---|---|---|")
    for (key, h), (p, e, src, _) in explain.items():
        out.append(f"| {key} | {h} | {p * 1000:.0f} µs | {e * 1000:.0f} µs | `{src}` |")
    for (key, h), (_, _, _, plan) in explain.items():
        if key == "0.3.0":
            out.append(f"\n0.3.0 {h}:\n\n```\n{plan}\n```")
    out.append("")
    out.append("### Per move: the extension's functions and statements\n")
    out.append(f"One pgbench cycle of {6 * SIZES['diag_window']:,} moves (-c 1) with `track_functions = all`"
               + (" and `pg_stat_statements.track = all`, `track_planning = on`" if pss else
                  " (pg_stat_statements not loaded: statements not shown)") +
               " set for that database only; per move (times in µs, inflated by the tracking itself).\n")
    for name, (f, st) in stats.items():
        out.append(f"**{name}**\n\n| function | calls per move | total µs per move | self µs per move |\n|---|---|---|---|")
        for fn, calls, tot, slf in f[:9]:
            out.append(f"| {fn} | {calls:.2f} | {tot:.1f} | {slf:.1f} |")
        out.append("")
        if st:
            out.append("| statement (nested) | per move | plan µs per call | exec µs per call |\n|---|---|---|---|")
            for calls, pl, ex, q in st:
                out.append(f"| `{q[:140]}{'…' if len(q) > 140 else ''}` | {calls:.2f} | {pl:.1f} | {ex:.1f} |")
            out.append("")
    out.append("### perf: one backend, µs per move, inclusive\n")
    if prof is None:
        out.append(f"Not measured: {why}.\n")
    else:
        pn = list(prof)
        out.append(f"`perf record -e cpu-clock -F 2000 -g -p <backend>` while it makes {6 * SIZES['perf_window']:,} "
                   "moves, one statement per stage (`SELECT count(*) FROM generate_series(..) c, LATERAL "
                   "move_to_stage(c, 1, s)`, autocommit); µs per move = the symbol's share of the samples x the "
                   "sampled time per move (perf's event count). Profiling slows the backend: compare the columns "
                   "with each other, not with the tables above.\n")
        out.append("| | " + " | ".join(pn) + " | " + " - ".join(pn[:2]) + " |\n|" + "---|" * (len(pn) + 2))
        out.append("| wall clock per move | " + " | ".join(f"{prof[n][0]:.0f}" for n in pn) +
                   f" | {prof[pn[0]][0] - prof[pn[1]][0]:+.0f} |")
        out.append("| sampled per move | " + " | ".join(f"{prof[n][1]:.0f}" for n in pn) +
                   f" | {prof[pn[0]][1] - prof[pn[1]][1]:+.0f} |")
        for sym, what in PERF_SYMBOLS:
            out.append(f"| `{sym}` ({what}) | " + " | ".join(f"{prof[n][2][sym]:.0f}" for n in pn) +
                       f" | {prof[pn[0]][2][sym] - prof[pn[1]][2][sym]:+.0f} |")
        out.append("| workflow_ext.so, self (the extension's own C code) | " +
                   " | ".join(f"{prof[n][3]:.0f}" for n in pn) + f" | {prof[pn[0]][3] - prof[pn[1]][3]:+.0f} |")
        out.append("")
    return "\n".join(out), helper, explain, stats, prof


# --- report --------------------------------------------------------------------------------------
def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    settings = psql("SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) "
                    "FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'max_wal_size', "
                    "'checkpoint_timeout', 'autovacuum', 'jit', 'shared_preload_libraries', "
                    "'pg_stat_statements.track')")
    return (f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
            f"{psql('SELECT version()')}; {settings}; pgbench {run(['pgbench', '--version']).stdout.split()[-1]}; "
            f"workflow_ext: {BUILD[0]}")


def verdict(x):
    return "met" if x >= 1.0 else "within 3% (noise)" if x >= 0.97 else "NOT met"


def findings(summary, r3, diag):
    """The answers, composed from this run's numbers."""
    _, helper, explain, stats, prof = diag
    get = {(label, name): (a, b) for label, ratios, r1, r2 in summary for (name, _, _), a, b in zip(ratios, r1, r2)}
    out = ["## Findings (this run)\n"]
    lines = []
    for c in CLIENTS:
        for den in ("0.2.0 owner", "0.2.0 grantee"):
            tps, cpu = get[(f"move, -c {c}", f"0.3.0 member / {den}")]
            lines.append(f"-c {c} against the {den.split()[1]}: TPS {tps:.2f}, server CPU {cpu:.2f}")
    worst = min(min(get[(f"move, -c {c}", f"0.3.0 member / {d}")]) for c in CLIENTS
                for d in ("0.2.0 owner", "0.2.0 grantee"))
    out.append(f"1. **A move by a team member in 0.3.0 against 0.2.0's move: target {verdict(worst)}** (no "
               "slower: every ratio at least 1; 0.97 to 1 counted as noise). Ratios 0.3.0 member / 0.2.0 (medians of the per-round ratios; above 1: 0.3.0 faster): " +
               "; ".join(lines) + ".")
    facts = [get[(f"candidate_facts, -c {c}", "0.3.0 member / 0.3.0 owner")] for c in CLIENTS]
    worst_f = min(min(x) for x in facts + [(r3[0], r3[0])])
    out.append(f"2. **candidate_facts(id), member against owner (0.3.0): target {'met' if worst_f >= 0.97 else 'NOT met'}** (as fast: every ratio at least 0.97) "
               "(" + "; ".join(f"-c {c}: TPS {a:.2f}, server CPU {b:.2f}" for c, (a, b) in zip(CLIENTS, facts)) +
               f"; per call {r3[0]:.2f}): the facts are read as the tables' owner for the row's tenant, the "
               "same query whoever the actor is.")
    if ("0.3.0", "visible_workflow_ids") not in explain:
        # Since issue 21 0.3.0's policies call C array checks (src/pg/policy_cache.c), not the
        # set-returning helpers this diagnosis measured: bench/policy_ab.py compares the two.
        out.append("3. **Where the time goes.** 0.3.0's policies no longer call the set-returning helpers "
                   f"({', '.join(HELPERS)}): they read C array checks cached per statement snapshot "
                   "(src/pg/policy_cache.c); `bench/policy_ab.py` measures a move under the old and the new "
                   "policies, `bench/results/profiles/move.txt` where a move's time goes.\n")
        return out
    vis = {n: helper.get((n, "visible_workflow_ids")) for n in ("0.3.0 member", "0.2.0 owner", WHATIF)}
    calls = next((c for fn, c, _, _ in stats["0.3.0 member"][0] if fn == "visible_workflow_ids"), 0)
    pl3, ex3 = explain[("0.3.0", "visible_workflow_ids")][:2]
    pl2, ex2 = explain[("0.2.0", "visible_workflow_ids")][:2]
    move_whatif = [get[(f"move, -c {c}", "what-if member / 0.2.0 owner")] for c in CLIENTS]
    move_whatif3 = [get[(f"move, -c {c}", "what-if member / 0.3.0 member")] for c in CLIENTS]
    txt = (f"3. **Where the time goes.** A move passes the RLS helper `visible_workflow_ids()` {calls:.0f} times "
           "(track_functions: the policies of the UPDATE of candidate_stage, USING and WITH CHECK, and the WITH "
           "CHECK of the INSERTs into stage_transition and alert_event). It is `LANGUAGE sql` with `SECURITY "
           "DEFINER` and `SET search_path`, so PostgreSQL 15 cannot inline it and parses and plans its query at "
           f"every call: {vis['0.3.0 member']:.0f} µs a call in 0.3.0 against {vis['0.2.0 owner']:.0f} µs in 0.2.0; "
           f"EXPLAIN ANALYZE of the query: planning {pl3 * 1000:.0f} µs, execution {ex3 * 1000:.0f} µs (0.2.0: "
           f"{pl2 * 1000:.0f} and {ex2 * 1000:.0f} µs). 0.3.0's query is larger (the tenant, `OR is_tenant_admin()`, "
           "shares with a whole tenant `grantee IS NULL OR ...`): more quals, two OR groups, more index paths to "
           f"weigh, so its planning costs more, {calls:.0f} times per move. ")
    if prof:
        a, b = prof["0.3.0 member"][2], prof["0.2.0 owner"][2]
        gap = prof["0.3.0 member"][1] - prof["0.2.0 owner"][1]
        d_sql = a["fmgr_sql"] - b["fmgr_sql"]
        txt += (f"perf, per move (sampled µs): 0.3.0 {prof['0.3.0 member'][1]:.0f}, 0.2.0 {prof['0.2.0 owner'][1]:.0f} "
                f"({gap:+.0f}); SQL functions (`fmgr_sql`) {a['fmgr_sql']:.0f} against {b['fmgr_sql']:.0f} "
                f"({d_sql:+.0f}, of which planning {a['pg_plan_query'] - b['pg_plan_query']:+.0f})" +
                (f", {d_sql / gap * 100:.0f}% of the gap" if gap > 0 and d_sql > 0 else "") +
                f"; 0.2.0's PL/pgSQL `pipeline_profile_attributes()`, gone in 0.3.0 (which reads the profile "
                f"with one kept SPI plan): {b['plpgsql_call_handler']:.0f}; index insertions (keys lead with the "
                f"tenant in 0.3.0) {a['ExecInsertIndexTuples'] - b['ExecInsertIndexTuples']:+.0f}; the one "
                f"library's dispatcher {a['wf_schema_generation']:.0f} and {b['wf_schema_generation']:.0f}. "
                f"The extension's own C code (workflow_ext.so, self time) is {prof['0.3.0 member'][3]:.0f} µs of a "
                f"0.3.0 move and {prof['0.2.0 owner'][3]:.0f} µs of a 0.2.0 one; the rest is PostgreSQL executing, "
                "parsing and planning the statements a move runs. ")
    txt += ("`shared_pipelines()`, the other helper of 0.3.0's pipeline policies, is not called by these moves "
            "(the first branch of the policy's OR holds for a row of one's own tenant; it runs for an agency's "
            "moves in another tenant's pipeline).")
    out.append(txt)
    out.append("4. **Suggestion** (for sql/install/20_security.sql; not changed here): re-create the set-returning "
               f"SECURITY DEFINER helpers ({', '.join(HELPERS)}) as `LANGUAGE plpgsql ... AS $$ BEGIN RETURN QUERY "
               "<the same query>; END $$`, keeping STABLE, SECURITY DEFINER and the pinned search_path: PL/pgSQL "
               "keeps each query's plan for the backend's life (the way 0.2.0's `pipeline_profile_attributes()` "
               "already does it, for the same reason, per its comment), and the plan is generic: "
               "`current_tenant()`, `current_actor()`, `is_tenant_admin()` are STABLE and evaluated at each "
               f"execution. Measured here, in the what-if database: {vis[WHATIF]:.0f} µs a call, and the move "
               + "; ".join(f"-c {c}: {a:.2f}x TPS and {b:.2f}x less CPU than 0.2.0's owner, {a3:.2f}x and {b3:.2f}x "
                           f"0.3.0's" for c, (a, b), (a3, b3) in zip(CLIENTS, move_whatif, move_whatif3)) +
               ". Further, optional: the helpers in C with kept SPI plans, or fewer helper calls per move.\n")
    return out


def write_report(res, diag):
    path = os.path.join(HERE, "results", "smoke.tenant_move.md" if SMOKE else "tenant_move.md")
    diagnosis, helper, explain, stats, prof = diag
    target = "make bench-tenant" + ("-smoke" if SMOKE else "")
    out = [f"# 0.3.0 (tenants) against 0.2.0, as an application role{' (smoke)' if SMOKE else ''}\n",
           f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `{target}` on {machine()}.\n",
           f"One cluster (`pg_virtualenv -t`; autovacuum off, `VACUUM ANALYZE` before each run instead), "
           f"databases `{DB['0.2.0']}` (`CREATE EXTENSION workflow_ext VERSION '0.2.0'`: 0.2.0's frozen code, legacy/README.md) and "
           f"`{DB['0.3.0']}` (0.3.0), the same fixture in both (`bench/sql/tenant_fixture.sql`), built through "
           "the API by the role `wfapp` (LOGIN, not superuser, no BYPASSRLS: row-level security applies), which "
           f"also runs every measurement: {SIZES['candidates']:,} candidates with profiles in job 1 on user:ann's "
           "workflow of 6 stages, each with a blocking 3-leaf rule every candidate passes and 2 alerts (one "
           "fires for everyone, one for a tenth); 0.3.0: tenant org:acme, the workflow shared with the whole "
           "tenant; 0.2.0: shared with user:hank; in both a second organization (org:other / user:olga: its own "
           f"workflow, job 2, 1,000 candidates). {ROUNDS} round(s), each running every variant in turn (forward "
           "in odd rounds, backward in even ones); medians of the rounds; each ratio is taken within its round, "
           "then the median of those.\n",
           "Variants: **0.3.0 member** `SET LOCAL workflow_ext.tenant = 'org:acme'; SET LOCAL workflow_ext.actor "
           "= 'user:hank'` (a team member who did not create the workflow); **0.3.0 owner** the same as user:ann; "
           "**0.2.0 owner** `SET LOCAL workflow_ext.actor = 'user:ann'`; **0.2.0 grantee** the same as user:hank; "
           f"**{WHATIF}** (moves only): 0.3.0 member in `{DB['what-if']}`, a copy of the 0.3.0 database whose "
           f"RLS helpers ({', '.join(HELPERS)}) are PL/pgSQL instead of SQL (see the end).\n",
           "Two metrics per run. **TPS**: pgbench's, wall clock. **Server CPU per transaction**: the CPU time "
           "the server's processes used during the run (the run's backends, read from the postmaster's "
           "cutime/cstime once they have exited, plus the long-lived WAL writer, checkpointer, ...), divided by "
           "the transactions, connection start included. Other users' test suites share this machine, so TPS "
           "moves with their load; the CPU a transaction costs moves less. All ratios are speed ratios: above 1, "
           "the numerator is faster (higher TPS, less CPU).\n",
           "## Commands\n",
           f"```sh\nmake install PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config\n{target}    # pg_virtualenv -t "
           f"-v 15 <options> /usr/bin/python3 bench/tenant_move.py{' --smoke' if SMOKE else ''}\n```\n",
           "One run of each kind, as `wfapp` (PGUSER/PGPASSWORD):\n",
           "```\n" + "\n".join(commands.values()) + "\n```\n",
           "The move script (0.3.0 member; the 0.2.0 scripts have no tenant line; `E'org\\x3aacme'` is "
           "`'org:acme'`, written so because pgbench reads `:acme` as a variable):\n",
           "```\n" + open(os.path.join(TMP, "move_0_3_0_member.sql")).read() + "```\n",
           f"`-t` = 6 x window per client (window {SIZES['window']}): each client takes its own "
           f"{SIZES['window']} candidates to stages 2, 3, 4, 5, 6 and back to 1, so each run ends where it "
           "started (checked after every run, with the number of history rows, their actor and candidates).\n"]
    us = lambda x: f"{x:,.0f} µs" if x >= 100 else f"{x:.1f} µs"
    num = lambda x: f"{x:,.0f}"
    summary = []
    out.append("## 1. A move: 0.3.0 member against 0.2.0\n")
    for c in CLIENTS:
        m = res[f"move -c {c}"]
        t1, r1 = table(m["tps"], RATIOS, num)
        t2, r2 = table(m["cpu"], RATIOS, us, higher_is_better=False)
        out.append(f"### -c {c}: TPS\n\n{t1}\n\n### -c {c}: server CPU per move\n\n{t2}\n")
        summary.append((f"move, -c {c}", RATIOS, r1, r2))
    out.append("## 2. candidate_facts(id): member against owner (0.3.0)\n")
    out.append(f"pgbench: `BEGIN; SET LOCAL ...; SELECT candidate_facts(:c); COMMIT;`, c random among the "
               f"{SIZES['candidates']:,}, {SIZES['facts_tx']:,} transactions per client.\n")
    for c in CLIENTS:
        m = res[f"facts -c {c}"]
        t1, r1 = table(m["tps"], FACTS_RATIOS, num)
        t2, r2 = table(m["cpu"], FACTS_RATIOS, us, higher_is_better=False)
        out.append(f"### -c {c}: TPS\n\n{t1}\n\n### -c {c}: server CPU per transaction\n\n{t2}\n")
        summary.append((f"candidate_facts, -c {c}", FACTS_RATIOS, r1, r2))
    t3, r3 = table(res["facts per call"]["us"], FACTS_RATIOS, lambda x: f"{x:.2f} µs", higher_is_better=False)
    out.append(f"### Per call: `SELECT count(candidate_facts(c)) FROM generate_series(1, {SIZES['facts_calls']:,}) c`, "
               "wall clock, the fastest of 3 in one transaction\n\n" + t3 + "\n")
    at = out.index("## Commands\n")
    out[at:at] = findings(summary, r3, diag)
    out.append("## Summary (medians of the per-round ratios; above 1: the numerator is faster)\n")
    out.append("| measure | ratio | TPS | server CPU |\n|---|---|---|---|")
    for label, ratios, r1, r2 in summary:
        for (name, _, _), a, b in zip(ratios, r1, r2):
            out.append(f"| {label} | {name} | {a:.3f} | {b:.3f} |")
    for (name, _, _), x in zip(FACTS_RATIOS, r3):
        out.append(f"| candidate_facts, per call | {name} | {x:.3f} (wall clock) | |")
    out.append("")
    out.append(f"1-minute load average at the end of each round: {', '.join(f'{x:.2f}' for x in loads)} "
               f"({os.cpu_count()} cores; the benchmark itself keeps at most 2 busy, so more means other work "
               "shared the machine).\n")
    out.append("## Where the time of a move goes\n\n" + diagnosis + "\n")
    out.append("## Details\n\n" + "".join(f"- {n}\n" for n in notes))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(out))
    print(f"wrote {path}")


if __name__ == "__main__":
    if not os.environ.get("PG_CLUSTER_CONF_ROOT"):
        print("note: meant to run under pg_virtualenv -t (make bench-tenant)", file=sys.stderr)
    setup()
    results = measure()
    write_report(results, diagnose())
