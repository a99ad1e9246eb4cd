#!/usr/bin/env python3
"""Differential fuzz of condition_matches through a GIN index vs a scan (run.sh).
Writes a SQL script: docs, conditions, a driver recording mismatches."""
import json, random, sys

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
ndocs = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
nconds = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
R = random.Random(seed)

KEYS = ["a", "b", "c", "K", "k", "\u212a", "caf\u00e9", "cafe\u0301", "a.b", 'x"y', "x\\y", "$", "@",
        "sp ace", "nl\nx", '") || true || ("', "\u00df", "ss", "\u0130", "i", "0", "1", "tab\tx",
        "\u00c5", "\u212b", "*", "[0]", "'q'", "last", "like_regex", "\u0000".replace("\u0000", "nul")]
# raw JSON texts of numbers, so 3.0, 3e0 and huge ones stay as written
NUMS = ["3", "3.0", "3e0", "-0", "0", "0.0", "-3", "1e400", "-1e400", "1e-400", "9007199254740993",
        "9007199254740992", "0.1", "0.30000000000000004", "0.3", "2.5", "1e20", "100",
        "1" + "0" * 30, "3." + "0" * 1100 + "1", "2." + "9" * 1100, "1e-320", "4.9e-324", "1.7976931348623157e308",
        "5", "6", "7", "12345678901234567890123"]
NUM_OPERANDS = ["3", "3.0", "3e0", "-0", "0", "-3", "9007199254740993", "9007199254740992", "0.1",
                "0.30000000000000004", "0.3", "2.5", "1e20", "100", "1e-320", "4.9e-324", "5", "6", "7",
                "1.7976931348623157e308", "12345678901234567890123", "3.00000000000000000000001",
                "1e-300", "2.9999999999999999999"]
STRS = ["3", "true", "false", "null", "", "Kelvin", "\u212aelvin", "kelvin", "Stra\u00dfe", "STRASSE",
        "strasse", "\u00df", "ss", "istanbul", "\u0130stanbul", "ISTANBUL", "\u0131", "i", "Montr\u00e9al",
        "Montre\u0301al", "2024-03-01", "2024-03-01T00:00:00Z", "2024-03-01 00:00:00+00",
        "2024-03-01T01:00:00+01:00", "2024-03-02", "a;b", "a\u037eb", "`", "\u1fef", "x", "X", "abc",
        '") || true || ("', "\\", '"', "nl\n", " ", "Oslo", "oslo", "\u00c5", "A\u030a", "\u212b",
        "\ufb01", "fi", "1e400", "3.0", " 3"]
if len(sys.argv) > 4 and sys.argv[4] == "focus":
    KEYS = ["a", "b", "K", "\u212a", "caf\u00e9", "cafe\u0301", 'x"y', "$", "sp ace", '") || true || ("', "a.b", "\u00df"]
    NUMS = ["3", "3.0", "-0", "0", "-3", "1e400", "-1e400", "1e-400", "9007199254740993", "9007199254740992", "0.1",
            "3." + "0" * 1100 + "1", "2." + "9" * 1100, "2.5", "1e-320", "1e20", "100000000000000000000.000"]
    NUM_OPERANDS = ["3", "3.0", "-0", "0", "-3", "9007199254740993", "9007199254740992", "0.1", "2.5", "1e20",
                    "1e-320", "3.00000000000000000000001", "2.9999999999999999999", "1e-300"]
    STRS = ["3", "", "true", "null", "Kelvin", "\u212aelvin", "Stra\u00dfe", "STRASSE", "Montr\u00e9al",
            "Montre\u0301al", "2024-03-01", "2024-03-01T00:00:00Z", "x", "X", '") || true || ("', "a;b", "a\u037eb",
            "\u00c5", "A\u030a", "\u212b", "`", "\u1fef", "\\", "nl\n"]
DATEISH = ["2024-03-01", "2024-03-01T00:00:00Z", "2024-03-01 00:00:00+00", "2024-03-02"]


def rnum():
    return R.choice(NUMS)


def rscalar_text(depth=0):
    t = R.random()
    if t < 0.35:
        return rnum()
    if t < 0.75:
        return json.dumps(R.choice(STRS))
    if t < 0.85:
        return R.choice(["true", "false"])
    return "null"


def rvalue_text(depth):
    t = R.random()
    if depth < 2 and t < 0.15:
        return "[" + ", ".join(rvalue_text(depth + 1) if R.random() < 0.2 else rscalar_text()
                               for _ in range(R.randint(0, 4))) + "]"
    if depth < 2 and t < 0.27:
        return robj_text(depth + 1, R.randint(0, 4))
    return rscalar_text()


def robj_text(depth, n):
    keys = R.sample(KEYS, n)
    return "{" + ", ".join(json.dumps(k) + ": " + rvalue_text(depth) for k in keys) + "}"


def rdoc():
    t = R.random()
    if t < 0.02:
        return rscalar_text()
    if t < 0.04:
        return "[" + robj_text(1, 3) + "]"
    return robj_text(0, R.randint(0, 8))


def rpath():
    # dot path or exact path
    n = 1 if R.random() < 0.7 else 2
    keys = [R.choice(KEYS) if R.random() < 0.5 else R.choice(["a", "b", "c", "K", "caf\u00e9", 'x"y', "$"]) for _ in range(n)]
    simple = all(k and all(c not in k for c in '.[]"\\') and not k.startswith("$") for k in keys)
    if simple and R.random() < 0.5:
        return ".".join(keys)
    out = "$"
    for k in keys:
        if R.random() < 0.08:
            out += "[%d]" % R.randint(0, 2)
        if R.random() < 0.3 and k and all(c not in k for c in '.[]"\\ \n\t$'):
            out += "." + k
        else:
            out += "[" + json.dumps(k) + "]"
    if R.random() < 0.05:
        out += "[0]"
    return out


OPS = ["eq", "=", "==", "ne", "!=", "lt", "lte", "gt", "gte", "<", ">=", "between", "in", "not_in",
       "contains", "not_contains", "starts_with", "ends_with", "matches", "exists", "not_exists",
       "size_eq", "size_gt", "within_last", "within_next", "older_than"]
WEIGHTS = {"eq": 10, "=": 2, "in": 8, "contains": 6, "exists": 3, "gt": 3, "gte": 3, "lt": 3, "lte": 3, "between": 3,
           "within_last": 0.3, "within_next": 0.3, "older_than": 0.3, "not_in": 0.5, "not_contains": 0.5}


def roperand():
    t = R.random()
    if t < 0.4:
        return R.choice(NUM_OPERANDS)
    if t < 0.8:
        return json.dumps(R.choice(STRS + DATEISH))
    if t < 0.9:
        return R.choice(["true", "false"])
    return "null"


def rleaf():
    op = R.choices(OPS, weights=[WEIGHTS.get(o, 1) for o in OPS])[0]
    f = json.dumps(rpath())
    ic = ', "ignore_case": true' if R.random() < 0.08 else ""
    if R.random() < 0.1:
        ic += ', "source": "%s"' % R.choice(["candidate", "candidate", "application", "job"])
    if op in ("exists", "not_exists"):
        return '{"field": %s, "op": "%s"}' % (f, op)
    if R.random() < 0.04:
        val = '{"field": %s}' % json.dumps(rpath())
    elif op == "between":
        if R.random() < 0.7:
            a, b = sorted([float(x) for x in (R.choice(NUM_OPERANDS), R.choice(NUM_OPERANDS))])
            val = "[%s, %s]" % (repr(a), repr(b))
        else:
            val = "[%s, %s]" % (json.dumps("2024-01-01"), json.dumps(R.choice(DATEISH)))
    elif op in ("in", "not_in"):
        val = "[" + ", ".join(roperand() for _ in range(R.randint(0, 5))) + "]"
    elif op in ("within_last", "within_next", "older_than"):
        val = json.dumps(R.choice(["P1D", "P30D", "PT1H", "P1Y"]))
    elif op.startswith("size"):
        val = str(R.randint(0, 3))
    elif op in ("starts_with", "ends_with", "matches"):
        val = json.dumps(R.choice(["a", "K", "^3", "", "\u00df", "x"]))
    else:
        val = roperand()
    return '{"field": %s, "op": "%s", "value": %s%s}' % (f, op, val, ic)


def rnode(depth=0):
    t = R.random()
    if depth >= 3 or t < 0.45:
        return rleaf()
    if t < 0.7:
        return '{"all": [%s]}' % ", ".join(rnode(depth + 1) for _ in range(R.randint(1, 4)))
    if t < 0.9:
        return '{"any": [%s]}' % ", ".join(rnode(depth + 1) for _ in range(R.randint(1, 4)))
    if t < 0.96:
        return '{"not": %s}' % rnode(depth + 1)
    return '{"%s": {"field": %s, "where": %s}}' % (R.choice(["some", "every", "none"]),
                                                  json.dumps(rpath()), rnode(depth + 1))


def lit(s):
    return "'" + s.replace("'", "''") + "'"


out = sys.stdout
out.write("SET client_min_messages = warning;\n")
docs = [rdoc() for _ in range(ndocs)]
conds = []
while len(conds) < nconds:
    conds.append(rnode())
out.write("INSERT INTO fz_docs (id, doc) VALUES\n" + ",\n".join(
    "(%d, %s)" % (i + 1, lit(d)) for i, d in enumerate(docs)) + ";\n")
out.write("INSERT INTO fz_conds (n, condition) VALUES\n" + ",\n".join(
    "(%d, %s)" % (i + 1, lit(c)) for i, c in enumerate(conds)) + ";\n")
