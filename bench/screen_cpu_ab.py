#!/usr/bin/python3
"""Two builds of the library compared by the backend's CPU time per query
(bench/results/screen_index.md, section "screen8").

    bench/screen_cpu_ab.py ROUNDS REPS queries.json base.so new.so

Run inside a pgsandbox cluster that has bench_app (bench/run.py
setup_app_role()) and the tables the queries read.  queries.json maps a
name to one SQL statement returning one text value (e.g. count(*)::text);
"SETTINGS~~~SQL" runs SETTINGS untimed first; names starting su_ run as the
superuser, the others as bench_app (RLS on), workflow_ext.tenant and actor
'bench'.  Each round copies base.so, then new.so (ABBA order) over
$libdir/workflow_ext.so and runs every query REPS times, alternating, in one
new session; each query's cost is the backend's on-CPU nanoseconds
(/proc/self/schedstat, read by pg_read_file before and after), not wall time,
which on this shared 2-core machine is mostly waiting for a core.  Wall time is
printed beside it.  The answers of both builds must be the same.  RAW=1 prints every sample (the first
execution in a session of a query touching 10,000 heap pages pays ~10 ms of
page faults mapping shared_buffers: use REPS >= 3 and look at the medians)."""
import json, os, re, subprocess, sys, statistics
rounds, reps, qfile, libs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], {"base": sys.argv[4], "new": sys.argv[5]}
qs = list(json.load(open(qfile)).items())
LIBDIR = subprocess.run([os.environ["PG_CONFIG"], "--pkglibdir"], capture_output=True, text=True).stdout.strip()
def use(lib):
    tmp = os.path.join(LIBDIR, "workflow_ext.so.ab")
    subprocess.run(["cp", libs[lib], tmp], check=True)
    os.replace(tmp, os.path.join(LIBDIR, "workflow_ext.so"))
def session():
    lines = ["SET max_parallel_workers_per_gather = 0;", "SET jit = off;"]
    for r in range(reps):
        for name, q in (qs if r % 2 == 0 else qs[::-1]):
            pre, sql = q.split("~~~", 1) if "~~~" in q else ("", q)
            lines.append("RESET ROLE; " + pre)
            lines.append("SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1) AS t0, (extract(epoch from clock_timestamp())*1e6)::bigint AS w0 \\gset")
            if not name.startswith("su_"):
                lines.append("SET ROLE bench_app;")
            lines.append("SELECT 'R " + name + " ' || (" + sql + ") AS res \\gset")
            lines.append("RESET ROLE;")
            lines.append(f"SELECT 'T {name} ' || (split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint - :t0) || ' ' || ((extract(epoch from clock_timestamp())*1e6)::bigint - :w0) || ' ' || :'res';")
    env = dict(os.environ, PGOPTIONS="-c workflow_ext.tenant=bench -c workflow_ext.actor=bench")
    out = subprocess.run(["psql", "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, env=env)
    if out.returncode:
        sys.exit(out.stderr)
    return [(m.group(1), int(m.group(2)) / 1e6, int(m.group(3)) / 1e3, m.group(4)) for m in re.finditer(r"^T (\S+) (\d+) (\d+) (.*)$", out.stdout, re.M)]
res, wall, answers, loads = {}, {}, {}, []
for r in range(rounds):
    for lib in (("base", "new") if r % 2 == 0 else ("new", "base")):
        use(lib)
        for name, ms, wall_ms, ans in session():
            res.setdefault((lib, name), []).append(ms)
            wall.setdefault((lib, name), []).append(wall_ms)
            answers.setdefault(name, set()).add(ans)
        loads.append(float(open("/proc/loadavg").read().split()[0]))
use("new")
if os.environ.get("RAW"):
    for k, v in sorted(res.items()): print(k, "cpu", [round(x, 2) for x in v], "wall", [round(x, 2) for x in wall[k]])
for name, _ in qs:
    b, n = statistics.median(res[("base", name)]), statistics.median(res[("new", name)])
    wb, wn = statistics.median(wall[("base", name)]), statistics.median(wall[("new", name)])
    print(f"{name:12} CPU base {b:9.3f} ms  new {n:9.3f} ms  base/new {b/n:5.3f}; wall base {wb:9.3f} new {wn:9.3f}  n={len(res[('new', name)])}  answers {answers[name]}")
print("load", loads)
