#!/usr/bin/python3
"""The seed architecture: a move done the way the original Django service did it.

An application process over psycopg2 (Debian's python3-psycopg2) talks to the
database in round trips, one statement at a time inside one transaction: lock
the pipeline row, read the current and next stage, the rule, the facts and
the alerts, evaluate the rule and the alerts in Python, insert the history
row, update the row, insert one alert event per alert that fires, commit.  It reads
the extension's definition tables and writes its own copies of the pipeline
tables (schema seed, made by bench/sql/writes_fixture.sql).  Benchmark
baseline only.

    seed_app.py CLIENTS MOVES_PER_CLIENT CANDIDATES JOBS  ->  {"tps": ..., "moves": ...}

Each client is its own process with its own connection (libpq environment,
as pg_virtualenv sets it); connections are opened before the clock starts,
as pgbench reports TPS "without initial connection time".
"""
import json
import multiprocessing as mp
import random
import re
import sys
import time
from datetime import date, datetime

import psycopg2
from psycopg2.extras import Json

# --- the condition language, the subset the seed evaluated in Python ------------------------
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")


def _instant(v):
    if isinstance(v, str) and _DATE.match(v):
        try:
            return datetime.fromisoformat(v.replace("Z", "+00:00")) if len(v) > 10 else date.fromisoformat(v)
        except ValueError:
            return None
    return None


def _comparable(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        ia, ib = _instant(a), _instant(b)
        if ib is not None:
            return (ia, ib) if ia is not None else None
        return a, b
    return None


def _get(facts, path):
    v = facts
    for part in path.split("."):
        if not isinstance(v, dict) or part not in v:
            return _MISSING
        v = v[part]
    return v


_MISSING = object()


def leaf_holds(field, op, value, facts, ignore_case=False):
    v = _get(facts, field)
    if op == "not_exists":
        return v is _MISSING or v is None
    if v is _MISSING:
        return False
    if op == "exists":
        return v is not None
    if ignore_case:
        v = v.casefold() if isinstance(v, str) else v
        value = [x.casefold() if isinstance(x, str) else x for x in value] if isinstance(value, list) \
            else value.casefold() if isinstance(value, str) else value
    if op in ("eq", "ne"):
        if isinstance(v, bool) != isinstance(value, bool):
            return False   # a type mismatch is false
        c = _comparable(v, value)
        eq = (c[0] == c[1]) if c else (v == value)
        return eq if op == "eq" else (c is not None and not eq)
    if op in ("lt", "lte", "gt", "gte"):
        c = _comparable(v, value)
        if not c:
            return False
        a, b = c
        return {"lt": a < b, "lte": a <= b, "gt": a > b, "gte": a >= b}[op]
    if op == "between":
        lo, hi = _comparable(v, value[0]), _comparable(v, value[1])
        return bool(lo and hi and lo[1] <= lo[0] <= hi[1])
    if op in ("in", "not_in"):
        items = v if isinstance(v, list) else [v]
        hit = any(x == y and isinstance(x, bool) == isinstance(y, bool) for x in items for y in value)
        return hit if op == "in" else not hit
    if op in ("contains", "not_contains"):
        if isinstance(v, list):
            hit = value in v
        elif isinstance(v, str) and isinstance(value, str):
            hit = value in v
        else:
            return False
        return hit if op == "contains" else not hit
    if op == "starts_with":
        return isinstance(v, str) and v.startswith(value)
    if op == "ends_with":
        return isinstance(v, str) and v.endswith(value)
    if op == "matches":
        return isinstance(v, str) and re.search(value, v) is not None
    raise ValueError(f"unknown operator {op}")


def condition_holds(cond, facts):
    if "all" in cond:
        return all(condition_holds(c, facts) for c in cond["all"])
    if "any" in cond:
        return any(condition_holds(c, facts) for c in cond["any"])
    if "not" in cond:
        return not condition_holds(cond["not"], facts)
    return leaf_holds(cond["field"], cond["op"], cond.get("value"), facts, cond.get("ignore_case", False))


# --- the move, in round trips ---------------------------------------------------------------
class NotFound(Exception):
    pass


def move_to_next_stage(conn, candidate_id, job_id, actor="bench", tenant="bench"):
    # Ids are the tenant's (the keys lead with it): every lookup names it.
    with conn.cursor() as cur:
        cur.execute("SELECT id, workflow_id, stage_id, status FROM seed.candidate_stage "
                    "WHERE tenant = %s AND job_id = %s AND candidate_id = %s FOR UPDATE",
                    (tenant, job_id, candidate_id))
        row = cur.fetchone()
        if row is None:
            raise NotFound(f"candidate {candidate_id} is not in job {job_id}")
        row_id, workflow_id, stage_id, status = row
        if status != "active":
            raise RuntimeError("candidate is not active")
        cur.execute("SELECT position FROM workflow_stage WHERE id = %s", (stage_id,))
        (position,) = cur.fetchone()
        cur.execute("SELECT id, name, kind FROM workflow_stage WHERE workflow_id = %s AND position > %s "
                    "ORDER BY position LIMIT 1", (workflow_id, position))
        nxt = cur.fetchone()
        if nxt is None:
            raise RuntimeError("already in the last stage")
        next_id, next_name, next_kind = nxt
        cur.execute("SELECT attributes FROM candidate_profile WHERE tenant = %s AND candidate_id = %s",
                    (tenant, candidate_id))
        f = cur.fetchone()
        facts = f[0] if f else {}
        cur.execute("SELECT condition, on_fail FROM stage_rule WHERE stage_id = %s", (next_id,))
        rule = cur.fetchone()
        warnings = []
        if rule is not None and not condition_holds(rule[0], facts):
            if rule[1] == "block":
                raise RuntimeError("the rule blocks the move")
            warnings.append(rule[0])
        new_status = "hired" if next_kind == "hired" else status
        cur.execute("SELECT id, field_name, operator, value, ignore_case, fires_on, severity, message "
                    "FROM alert WHERE stage_id = %s ORDER BY id", (next_id,))
        firing = [a for a in cur.fetchall()
                  if leaf_holds(a[1], a[2], a[3], facts, a[4]) == (a[5] == "match")]
        cur.execute("INSERT INTO seed.stage_transition (tenant, job_id, candidate_id, workflow_id, from_stage_id, "
                    "to_stage_id, from_status, to_status, actor, alerts_raised, warnings) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                    (tenant, job_id, candidate_id, workflow_id, stage_id, next_id, status, new_status, actor,
                     len(firing), Json(warnings)))
        (transition_id,) = cur.fetchone()
        cur.execute("UPDATE seed.candidate_stage SET stage_id = %s, status = %s, entered_at = now(), "
                    "transition_id = %s, visit_transition_id = %s WHERE id = %s",
                    (next_id, new_status, transition_id, transition_id, row_id))
        for a in firing:   # one INSERT per event, as Model.objects.create() in a loop
            cur.execute("INSERT INTO seed.alert_event (tenant, alert_id, job_id, candidate_id, workflow_id, stage_id, "
                        "transition_id, cause, severity, message, facts) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, 'entry', %s, %s, %s)",
                        (tenant, a[0], job_id, candidate_id, workflow_id, next_id, transition_id, a[6], a[7], Json(facts)))
    conn.commit()
    return len(firing)


def client(index, moves, candidates, jobs, barrier, out):
    conn = psycopg2.connect("")
    rng = random.Random(1000 + index)
    raised = 0
    barrier.wait()
    for _ in range(moves):
        c = rng.randint(1, candidates)
        raised += move_to_next_stage(conn, c, 1 + c % jobs)
    out.put(raised)
    conn.close()


def main():
    clients, moves, candidates, jobs = (int(x) for x in sys.argv[1:5])
    barrier = mp.Barrier(clients + 1)
    out = mp.Queue()
    procs = [mp.Process(target=client, args=(i, moves, candidates, jobs, barrier, out)) for i in range(clients)]
    for p in procs:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    raised = sum(out.get() for _ in procs)
    elapsed = time.perf_counter() - start
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a client failed (exit {p.exitcode})")
    print(json.dumps({"tps": clients * moves / elapsed, "moves": clients * moves, "alert_events": raised}))


if __name__ == "__main__":
    main()
