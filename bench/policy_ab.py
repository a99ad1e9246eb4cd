#!/usr/bin/python3
"""A move before and after the policies' C check (policy_cache.c), in one run.

Same cluster, same data, same application role (bench_app: the README's grant
set, tenant and actor set; bench/run.py), every variant interleaved:
  - array_select: the policies as they were, x = ANY (ARRAY(SELECT f())) and
    (workflow_id, tenant) IN (SELECT * FROM shared_pipelines()) of the
    SECURITY DEFINER set-returning PL/pgSQL helpers
    (bench/sql/policies_array_select.sql);
  - c_check: the policies of sql/install (visible_workflow_array() and the
    like, computed once per statement snapshot);
the PL/pgSQL peer runs under the same variant's policies (copied onto its
tables), the writes floor is the hand-written statement of bench/run.py, and
the extension also runs as the superuser (no row-level security) for scale.
Run it as make bench does: pg_virtualenv -v 15 /usr/bin/python3 bench/policy_ab.py [--smoke]
Writes bench/results/policy_check.md (policy_check_smoke.md with --smoke).
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (its SIZES, psql, role setup and fixtures)

HERE = run.HERE
ROOT = run.ROOT
SMOKE = run.SMOKE

PEER_POLICIES = """
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT polname, polrelid::regclass AS rel FROM pg_policy
              WHERE polrelid IN ('peer.candidate_stage'::regclass, 'peer.stage_transition'::regclass,
                                 'peer.alert_event'::regclass)
    LOOP
        EXECUTE format('DROP POLICY %I ON %s', r.polname, r.rel);
    END LOOP;
    FOR r IN SELECT p.tablename, p.policyname, p.permissive, p.cmd, p.qual, p.with_check
               FROM pg_policies p
              WHERE p.schemaname = 'public' AND p.tablename IN ('candidate_stage', 'stage_transition', 'alert_event')
    LOOP
        EXECUTE format('CREATE POLICY %I ON peer.%I AS %s FOR %s TO public%s%s', r.policyname, r.tablename,
                       r.permissive, r.cmd,
                       CASE WHEN r.qual IS NOT NULL THEN format(' USING (%s)', r.qual) ELSE '' END,
                       CASE WHEN r.with_check IS NOT NULL THEN format(' WITH CHECK (%s)', r.with_check) ELSE '' END);
    END LOOP;
END $$;
"""


def current_policies():
    """The policies and the policy-calling functions of sql/install, for schema public."""
    sec = open(os.path.join(ROOT, "sql", "install", "20_security.sql")).read()
    defs = open(os.path.join(ROOT, "sql", "install", "40_definitions.sql")).read()
    parts = [m.group(0) for m in re.finditer(r"^CREATE POLICY .*?;\s*$", sec, re.M | re.S)]
    for text, fn in ((sec, "job_tenant"), (sec, "pipeline_tenant"), (defs, "visible_workflow")):
        m = re.search(r"^CREATE FUNCTION %s\(.*?END \$\$;" % fn, text, re.M | re.S)
        parts.append(m.group(0).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    before = open(os.path.join(HERE, "sql", "policies_array_select.sql")).read()
    drop = before[before.index("DO $$"):before.index("END $$;") + len("END $$;")]
    return drop + "\n" + "\n".join(p.replace("@extschema@", "public") for p in parts) + "\n"


def use(variant, files):
    run.psql(file=files[variant])
    run.psql(PEER_POLICIES)
    run.psql("ANALYZE workflow, workflow_share")


def pgbench(script, count, v, superuser=False):
    cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(run.SIZES["clients"]), "-j", "2",
           "-f", os.path.join(HERE, "pgbench", script), "-t", str(count)]
    for k, x in v.items():
        cmd += ["-D", f"{k}={x}"]
    env = dict(os.environ, PGOPTIONS="-c workflow_ext.actor=bench") if superuser else run.app_env()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=tempfile.gettempdir(), env=env)
    if out.returncode != 0:
        raise SystemExit(f"pgbench failed: {out.stderr}{out.stdout}")
    return float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out.stdout).group(1))


def main():
    run.psql("CREATE EXTENSION IF NOT EXISTS workflow_ext")
    run.setup_app_role()
    run.psql(file=os.path.join(HERE, "sql", "plpgsql_peer.sql"))
    v = {"candidates": run.SIZES["move_candidates"], "jobs": run.SIZES["jobs"]}
    run.psql(file=os.path.join(HERE, "sql", "move_data.sql"), variables=v)
    run.psql(file=os.path.join(HERE, "sql", "writes_fixture.sql"))
    files = {}
    for name, text in (("array_select", open(os.path.join(HERE, "sql", "policies_array_select.sql")).read()),
                       ("c_check", current_policies())):
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
            f.write(text)
        files[name] = f.name
    # (engine, policy variant or None, script, superuser)
    engines = [("ext", "array_select", "move_ext.sql", False), ("ext", "c_check", "move_ext.sql", False),
               ("peer", "array_select", "move_peer.sql", False), ("peer", "c_check", "move_peer.sql", False),
               ("writes", None, "move_writes_floor.sql", False), ("ext superuser", None, "move_ext.sql", True)]
    per_client = run.SIZES["move_candidates"] // 2 // run.SIZES["clients"]
    reps = 3 if SMOKE else 5
    tps = {(e, p): [] for e, p, _, _ in engines}
    current = None
    for warm in (True, False):
        for r in range(1 if warm else reps):
            order = engines if r % 2 == 0 else list(reversed(engines))
            for e, p, script, su in order:
                if p is not None and p != current:
                    use(p, files)
                    current = p
                run.psql(file=os.path.join(HERE, "sql", "move_reset.sql"))
                t = pgbench(script, per_client // 4 if warm else per_client, v, su)
                if not warm:
                    tps[(e, p)].append(t)
                print(f"  {'warm-up' if warm else f'rep {r + 1}'}: {e} {p or ''} {t:.0f} TPS", flush=True)
    use("c_check", files)
    for f in files.values():
        os.unlink(f)
    med = {k: statistics.median(x) for k, x in tps.items()}
    w = med[("writes", None)]
    lines = [f"# A move before and after the policies' C check ({'smoke' if SMOKE else 'full'})", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `bench/policy_ab.py"
             f"{' --smoke' if SMOKE else ''}` on {os.cpu_count()} cores; {run.psql('SELECT version()')}. "
             f"{run.SIZES['move_candidates']:,} candidates in {run.SIZES['jobs']} jobs, the writes-floor fixture of "
             f"`make bench` (1 pipeline update, 1 history row, 3 alert events per move), pgbench -M prepared, "
             f"{run.SIZES['clients']} clients, {per_client:,} moves per client per run; medians of {reps} interleaved "
             f"repetitions. Every row but the last runs as `bench_app` (the README's grant set, "
             f"tenant and actor set): row-level security applies.", "",
             "| engine | policies | TPS (median) | x writes floor | x PL/pgSQL peer (same policies) | TPS per repetition |",
             "|---|---|---|---|---|---|"]
    for e, p, _, _ in engines:
        t = med[(e, p)]
        peer = med.get(("peer", p)) if p else None
        lines.append(f"| {e} | {p or '-'} | {t:,.0f} | {t / w:.2f}x | "
                     f"{f'{t / peer:.2f}x' if peer and e != 'peer' else '-'} | "
                     f"{', '.join(f'{x:,.0f}' for x in tps[(e, p)])} |")
    a, c = med[("ext", "array_select")], med[("ext", "c_check")]
    lines += ["", f"The move as the application role: {c / a:.2f}x the TPS with the C check "
              f"({1e6 / a:.0f} -> {1e6 / c:.0f} µs of the machine per move, "
              f"{run.SIZES['clients']} clients on {os.cpu_count()} cores); as the superuser (no row-level security) "
              f"{med[('ext superuser', None)]:,.0f} TPS. Issue 21's target (the whole issue): "
              f">= 0.8x the writes floor and >= 1.5x the PL/pgSQL peer, plain role."]
    out = os.path.join(HERE, "results", "policy_check_smoke.md" if SMOKE else "policy_check.md")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
