import random
R = random.Random(3)
rows = []
def rdigits(n): return "".join(R.choice("0123456789") for _ in range(n))
for i in range(3000):
    # operand: up to 1000 significant digits
    ilen = R.randint(1, 30); flen = R.randint(0, 1000 - ilen)
    o = str(R.randint(1, 9)) + rdigits(ilen - 1) + ("." + rdigits(flen) if flen else "")
    if R.random() < 0.3: o = o.rstrip("0").rstrip(".") or "0"
    if R.random() < 0.5: o = "-" + o
    t = R.random()
    if t < 0.4:   # fact = operand then extra digits (past 1024 sig digits)
        base = o if "." in o else o + "."
        f = base + "0" * R.randint(0, 1100 - len(o)) + rdigits(R.randint(1, 600))
        if R.random() < 0.3: f = base + "0" * (1100 - len(o)) + "1"
    elif t < 0.6: # fact = operand - tiny: same prefix then 9s
        base = o if "." in o else o + "."
        f = base[:-1] + str(max(0, int(base[-1]) - 1)) + "9" * 1200 if base[-1].isdigit() else base + "9" * 1200
    else:
        f = o.split(".")[0] + "." + rdigits(1100 + R.randint(0, 500))
    rows.append((o, f))
print("CREATE EXTENSION IF NOT EXISTS workflow_ext; CREATE TABLE dg (o text, f text);")
print("INSERT INTO dg VALUES " + ",".join("('%s','%s')" % r for r in rows) + ";")
print("""
SELECT count(*) AS pairs,
 count(*) FILTER (WHERE length(replace(replace(f,'-',''),'.','')) > 1024) AS long_facts,
 count(*) FILTER (WHERE condition_matches(format('{"field":"a","op":"gt","value":%s}', o)::jsonb, format('{"a":%s}', f)::jsonb) <> (f::numeric > o::numeric)) AS gt_wrong,
 count(*) FILTER (WHERE condition_matches(format('{"field":"a","op":"eq","value":%s}', o)::jsonb, format('{"a":%s}', f)::jsonb) <> (f::numeric = o::numeric)) AS eq_wrong,
 count(*) FILTER (WHERE condition_matches(format('{"field":"a","op":"lte","value":%s}', o)::jsonb, format('{"a":%s}', f)::jsonb) <> (f::numeric <= o::numeric)) AS lte_wrong,
 count(*) FILTER (WHERE condition_matches(format('{"field":"a","op":"gt","value":%s}', o)::jsonb, format('{"a":%s}', f)::jsonb) <> (format('{"a":%s}', f)::jsonb @? condition_index_prefilter(format('{"field":"a","op":"gt","value":%s}', o)::jsonb, true))) AS gt_vs_jsonpath,
 count(*) FILTER (WHERE f::numeric > o::numeric) AS greater
FROM dg;
""")
