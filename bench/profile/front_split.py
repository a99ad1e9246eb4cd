#!/usr/bin/env python3
"""bench/profile/front_split.py - a front backend's CPU samples by what they
are (bench/results/front_overhead.md, sixth pass): the kernel's work on the
shard's socket and on the client's, PostgreSQL's own work for the client's
statement, and workflow_ext_proxy's (with libpq's user-space part).

    perf record -F 2999 -g -p <front backend pid> -o front.data -- sleep 5
    perf script -i front.data -F ip,sym,dso | bench/profile/front_split.py
"""
import collections
import sys

SHARD = {"call_flush", "PQpipelineSync", "call_shard", "call_result", "call_wait", "call_connect",
         "row_call", "rows_call", "tenant_call"}
CLIENT_IN = {"secure_read", "pq_getbyte", "pq_getmessage", "pq_recvbuf"}
MODULE_REST = {"move_in_c", "wf_proxy_job_candidates", "wf_proxy_call_tenant", "call_guarded"}


def kind(stack):
    syms = [s for s, _ in stack]
    has = lambda names: any(s in names for s in syms)
    if "kernel" in stack[0][1]:
        user = [s for s, d in stack if "kernel" not in d]
        if user and user[0] == "__poll":
            return "module: call_connect (the idle connection's EOF check, USAGE)"
        if has(SHARD):
            return "kernel: the shard's socket (send, wait, receive)"
        if has(CLIENT_IN):
            return "kernel: the client's socket (receive, wait)"
        if user and user[0] in ("__send", "send", "__libc_send"):
            return "kernel: the client's socket (send)"
        return "kernel: other"
    if has({"route"}):
        return "module: route (the tenant's lock, the placement, ACL)"
    if has({"call_connect"}):
        return "module: call_connect (the idle connection's EOF check, USAGE)"
    if has({"shard_row", "check_columns", "heap_form_tuple", "tuplestore_putvalues"}):
        return "module: decoding the row(s)"
    if has({"call_shard", "call_result", "call_flush"}):
        return "module + libpq: building and reading the pipeline"
    if has(MODULE_REST | {"row_call", "rows_call", "tenant_call"}):
        return "module: the rest (arguments, settings, call_start)"
    if has({"CommitTransactionCommand"}):
        return "PostgreSQL: commit"
    if has({"PortalStart", "standard_ExecutorStart"}):
        return "PostgreSQL: executor start"
    if has({"printtup", "OutputFunctionCall", "SendRowDescriptionMessage"}):
        return "PostgreSQL: output to the client"
    return "PostgreSQL: the rest (protocol, portal, executor, ...)"


stacks, cur = [], []
for line in sys.stdin:
    p = line.split()
    if not p:
        if cur:
            stacks.append(cur)
        cur = []
        continue
    cur.append((p[1] if len(p) > 2 else "?", p[-1]))
if cur:
    stacks.append(cur)
count = collections.Counter(kind(s) for s in stacks)
print(f"{len(stacks)} samples\n\n| what | share |\n|---|---|")
for k, v in sorted(count.items(), key=lambda x: -x[1]):
    print(f"| {k} | {100 * v / len(stacks):.1f} % |")
