import json, sys, random
sys.argv = [sys.argv[0], "0", "0", "0", "x"]
exec(open(__file__.replace("pairs.py", "gen.py")).read().split("def rnum")[0])  # pools (full)
R = random.Random(5)
vals = sorted(set(NUMS + NUM_OPERANDS)) + [json.dumps(s) for s in STRS + DATEISH] + ["true", "false", "null"]
ops_vals = sorted(set(NUM_OPERANDS)) + [json.dumps(s) for s in STRS + DATEISH] + ["true", "false", "null"]
keys = ["a", "K", "caf\u00e9", 'x"y', '") || true || ("']
docs = []
for k in keys[:2] + keys[3:5]:
    for v in vals:
        docs.append("{%s: %s}" % (json.dumps(k), v))
        docs.append("{%s: [%s, %s]}" % (json.dumps(k), v, R.choice(vals)))
    for _ in range(40):
        docs.append("{%s: {\"b\": %s}}" % (json.dumps(k), R.choice(vals)))
        docs.append("{%s: [{\"b\": %s}]}" % (json.dumps(k), R.choice(vals)))
        docs.append("{%s: [[%s]]}" % (json.dumps(k), R.choice(vals)))
docs += ['{}', '[]', '3', '"a"', 'null', '[{"a": 3}]', '{"a": null}']
conds = []
for k in ["a", "K", '$["x\\"y"]', '$["\\") || true || (\\""]', "a.b", "$.a.b"]:
    for o in ops_vals:
        for op in ["eq", "contains", "gt", "gte", "lt", "lte"]:
            conds.append('{"field": %s, "op": "%s", "value": %s}' % (json.dumps(k), op, o))
        conds.append('{"field": %s, "op": "in", "value": [%s, %s]}' % (json.dumps(k), o, R.choice(ops_vals)))
        if o in NUM_OPERANDS:
            p = R.choice(NUM_OPERANDS)
            lo, hi = sorted([o, p], key=float)
            conds.append('{"field": %s, "op": "between", "value": [%s, %s]}' % (json.dumps(k), lo, hi))
    conds.append('{"field": %s, "op": "exists"}' % json.dumps(k))
lit = lambda s: "'" + s.replace("'", "''") + "'"
print("CREATE EXTENSION IF NOT EXISTS workflow_ext; SET client_min_messages=warning;")
print("CREATE TABLE pd (id int, doc jsonb); CREATE TABLE pc (n int, c jsonb);")
print("INSERT INTO pd VALUES " + ",".join("(%d,%s)" % (i, lit(d)) for i, d in enumerate(docs)) + ";")
print("INSERT INTO pc VALUES " + ",".join("(%d,%s)" % (i, lit(c)) for i, c in enumerate(conds)) + ";")
print("""
CREATE FUNCTION ok(c jsonb) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN PERFORM validate_condition(c); RETURN true; EXCEPTION WHEN OTHERS THEN RETURN false; END $$;
CREATE TABLE pv AS SELECT n, c, condition_index_prefilter(c) p1, condition_index_prefilter(c, true) p2 FROM pc WHERE ok(c);
SELECT count(*) conds, count(p1) with_p1, count(p2) with_p2, (SELECT count(*) FROM pd) docs FROM pv;
SELECT count(*) AS pairs, count(*) FILTER (WHERE condition_matches(c, doc)) AS accepted,
       count(*) FILTER (WHERE condition_matches(c, doc) AND p1 IS NOT NULL) AS accepted_p1,
       count(*) FILTER (WHERE condition_matches(c, doc) AND p2 IS NOT NULL) AS accepted_p2,
       count(*) FILTER (WHERE condition_matches(c, doc) AND NOT doc @? coalesce(p1, '$')) AS miss_p1,
       count(*) FILTER (WHERE condition_matches(c, doc) AND NOT doc @? coalesce(p2, '$')) AS miss_p2
  FROM pv, pd;
SELECT c, doc, p1, p2 FROM pv, pd WHERE condition_matches(c, doc) AND (NOT doc @? coalesce(p1, '$') OR NOT doc @? coalesce(p2, '$')) LIMIT 20;
""")
