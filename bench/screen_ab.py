#!/usr/bin/python3
"""Screening through an index and per row, two builds of the library compared
in one cluster (bench/results/screen_index.md, branch screen21d).

Two libraries cannot be loaded side by side, but a backend maps
$libdir/workflow_ext.so when it first calls the extension: this script copies
--base and --new in turn over it (a rename: running backends keep theirs)
and measures each in new connections, rounds in ABBA order, so both see the
same data, cache state and machine load.  The SQL of both must be the same
version (the catalog is installed once).  Run inside a throwaway cluster
whose private PostgreSQL copy it may write to (the pgsandbox tool):

    # the base build, once: git worktree add /tmp/base <commit>, then in it
    pgsandbox NAME bash -c 'make -s install && cp $($PG_CONFIG --pkglibdir)/workflow_ext.so /tmp/base.so'
    PGSANDBOX_OPTS="-c shared_buffers=1GB -c synchronous_commit=off -c max_wal_size=4GB \\
      -c checkpoint_timeout=30min" pgsandbox NAME bash -c 'make -s install &&
      cp $($PG_CONFIG --pkglibdir)/workflow_ext.so /tmp/new.so &&
      python3 bench/screen_ab.py --base=/tmp/base.so --new=/tmp/new.so [--rounds=4] [--reps=3]'

Measured as bench_app (bench/run.py's application role, RLS on): the screen
rows' queries (bench/run.py screen(): bare scan, `doc ? key`,
condition_matches and jsonb_path_match for 1, 5 and 20 leaves) and the screen
index queries (bench/run.py screen_index(): condition_matches_leakproof
through the index and by the scan, condition_matches under the policy) on the
spread and clustered layouts; count and md5 of the ids checked equal for each
library first; PostgreSQL alone (the superuser, `doc @> ... AND tenant =
'bench'`) beside them.  Prints medians, ratios and the 1-minute load average.
"""
import json
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
OPTS = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
sys.argv = sys.argv[:1]
import run  # noqa: E402  (bench/run.py: psql, the application role, the conditions)

N = int(OPTS.get("docs", 1_000_000))
ROUNDS, REPS = int(OPTS.get("rounds", 4)), int(OPTS.get("reps", 3))
LIBDIR = subprocess.run([os.environ.get("PG_CONFIG", "pg_config"), "--pkglibdir"],
                        capture_output=True, text=True, check=True).stdout.strip()
COND = json.dumps({"field": "campaign", "op": "eq", "value": "c42"})
WHERE = f"condition_matches_leakproof('{COND}', doc)"
LEAKY = f"condition_matches('{COND}', doc)"
SCAN = "SET enable_bitmapscan = off; SET enable_indexscan = off;"
INDEX = "RESET enable_bitmapscan; RESET enable_indexscan;"
# bench/run.py screen_index()'s layouts, one table each
LAYOUTS = {"sp": "(id::bigint * 7919) % 100", "cl": f"(id - 1)::bigint * 100 / {N}"}


def load():
    return float(open("/proc/loadavg").read().split()[0])


def use(which):
    """New connections map this library from now on."""
    tmp = os.path.join(LIBDIR, "workflow_ext.so.ab")
    subprocess.run(["cp", OPTS[which], tmp], check=True)
    os.replace(tmp, os.path.join(LIBDIR, "workflow_ext.so"))


def session(sql, as_app=True):
    out = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-f", "-"], input=sql,
                         capture_output=True, text=True, env=run.app_env() if as_app else None)
    if out.returncode != 0:
        raise SystemExit(out.stderr + sql)
    return out.stdout


def timed(queries, prelude=None, as_app=True):
    """run.timed_queries' alternation, as the role asked; every time, per query."""
    script, order = ["SET max_parallel_workers_per_gather = 0;", "SET jit = off;"], []
    for r in range(REPS):
        for name in (list(queries) if r % 2 == 0 else list(reversed(list(queries)))):
            script += [(prelude or {}).get(name, ""), "\\timing on", queries[name] + ";", "\\timing off"]
            order.append(name)
    times = [float(t) for t in re.findall(r"^Time: ([0-9.]+) ms", session("\n".join(script) + "\n", as_app), re.M)]
    got = {}
    for name, t in zip(order, times):
        got.setdefault(name, []).append(t)
    return got


def setup():
    run.psql("CREATE EXTENSION IF NOT EXISTS workflow_ext")
    run.setup_app_role()
    run.psql(file=os.path.join(run.HERE, "sql", "screen_data.sql"), variables={"docs": N})
    for t, code in LAYOUTS.items():
        run.psql(f"DROP TABLE IF EXISTS {t}; CREATE TABLE {t} AS SELECT id, 'bench'::text AS tenant, "
                 f"doc || jsonb_build_object('campaign', 'c' || {code}) AS doc FROM screen_docs ORDER BY id; "
                 f"CREATE INDEX {t}_doc ON {t} USING gin (doc jsonb_path_ops); "
                 f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; "
                 f"CREATE POLICY {t}_tenant ON {t} USING (tenant = current_tenant())")
    run.psql("VACUUM ANALYZE sp")
    run.psql("VACUUM ANALYZE cl")


def main():
    setup()
    screen = {"bare": "SELECT count(*) FROM screen_docs",
              "key_lookup": "SELECT count(*) FROM screen_docs WHERE doc ? 'years_experience'"}
    for key in ("screen_1", "screen_5", "screen_20"):
        cond = json.dumps(run.CONDITIONS[key]["condition"]).replace("'", "''")
        path = run.CONDITIONS[key]["jsonpath"].replace("'", "''")
        screen["ext" + key[7:]] = f"SELECT count(*) FROM screen_docs WHERE condition_matches('{cond}', doc)"
        screen["jp" + key[7:]] = f"SELECT count(*) FROM screen_docs WHERE jsonb_path_match(doc, '{path}')"
    index = {f"{t}_{m}": f"SELECT count(*) FROM {t} WHERE {LEAKY if m == 'leaky' else WHERE}"
             for t in LAYOUTS for m in ("index", "scan", "leaky")}
    pre = {k: SCAN if k.endswith("_scan") else INDEX for k in index}
    floor = {f"{t}_floor": f"SELECT count(*) FROM {t} WHERE doc @> '{{\"campaign\": \"c42\"}}' AND tenant = 'bench'"
             for t in LAYOUTS}
    ids = "SELECT count(*) || ' ' || md5(string_agg(id::text, ',' ORDER BY id)) FROM {} WHERE {};"
    for lib in ("base", "new"):
        use(lib)
        for t in LAYOUTS:
            got = {m: session(f"{p} {ids.format(t, w)}").split()[-2:]
                   for m, p, w in (("index", INDEX, WHERE), ("scan", SCAN, WHERE), ("leaky", INDEX, LEAKY))}
            if len({tuple(v) for v in got.values()}) != 1 or got["index"][0] == "0":
                raise SystemExit(f"{lib} {t}: not the same rows: {got}")
            if "Bitmap Index Scan" not in session(f"EXPLAIN (COSTS OFF) SELECT count(*) FROM {t} WHERE {WHERE};"):
                raise SystemExit(f"{lib} {t}: the index is not used as the tenant")
            print(f"{lib} {t}: {got['index'][0]} rows, md5 {got['index'][1][:12]}, identical by the index, "
                  f"the scan and condition_matches", flush=True)
    res, loads = {}, [load()]
    for r in range(ROUNDS):
        for lib in (("base", "new") if r % 2 == 0 else ("new", "base")):
            use(lib)
            for queries, prelude in ((screen, None), (index, pre)):
                for k, v in timed(queries, prelude).items():
                    res.setdefault((lib, k), []).extend(v)
            loads.append(load())
        for k, v in timed(floor, as_app=False).items():
            res.setdefault(("pg", k), []).extend(v)
    use("new")
    med = {k: statistics.median(v) for k, v in res.items()}
    print(f"1-minute load average: {loads} (median {statistics.median(loads)})")
    for k in list(screen) + list(index):
        print(f"{k:12} base {med[('base', k)]:9.2f} ms  new {med[('new', k)]:9.2f} ms  "
              f"base/new {med[('base', k)] / med[('new', k)]:.2f}  (n={len(res[('base', k)])})")
    for k in floor:
        print(f"{k:12} PostgreSQL alone, as the superuser: {med[('pg', k)]:.2f} ms")
    for lib in ("base", "new"):
        net = {k: max(med[(lib, k)] - med[(lib, "bare")], 0.1) * 1e6 / N for k in screen}
        print(f"[{lib}] predicate ns/row net of the bare scan: doc ? key {net['key_lookup']:.0f}; " + "; ".join(
            f"{n} leaf condition_matches {net['ext' + n]:.0f}, jsonb_path_match {net['jp' + n]:.0f} "
            f"({net['jp' + n] / net['ext' + n]:.2f}x)" for n in ("1", "5", "20")))
        print(f"[{lib}] index vs scan: spread {med[(lib, 'sp_scan')] / med[(lib, 'sp_index')]:.1f}x, clustered "
              f"{med[(lib, 'cl_scan')] / med[(lib, 'cl_index')]:.1f}x; vs condition_matches under the policy: "
              f"spread {med[(lib, 'sp_leaky')] / med[(lib, 'sp_index')]:.1f}x, clustered "
              f"{med[(lib, 'cl_leaky')] / med[(lib, 'cl_index')]:.1f}x")


if __name__ == "__main__":
    if "base" not in OPTS or "new" not in OPTS:
        sys.exit(__doc__)
    main()
