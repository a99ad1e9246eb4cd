import psycopg2
S='/tmp/attack-front22d-scale/sock'
def c(user, port=6610):
    k=psycopg2.connect(host=S, port=port, user=user, dbname='wf'); k.autocommit=True; return k
def q(k, sql, a=None):
    cur=k.cursor(); cur.execute(sql, a); return cur.fetchall() if cur.description else None
adm=c('postgres'); x=c('app')
print('X count', q(x, 'SELECT shard_count()'))
q(adm, "ALTER SERVER workflow_shards OPTIONS (ADD p3 'host=127.0.0.1 port=6611 dbname=wf connect_timeout=2')")
print('X after other session ADD p3', q(x, 'SELECT shard_count()'))
x.autocommit=False
print('X in txn', q(x, 'SELECT shard_count()'))
q(adm, "ALTER SERVER workflow_shards OPTIONS (DROP p3)")
print('X in txn after DROP p3 elsewhere', q(x, 'SELECT shard_count()'))
print('X in txn, after a read of tenant_placement', q(x, 'SELECT count(*) FROM tenant_placement'), q(x, 'SELECT shard_count()'))
x.commit()
print('X next txn', q(x, 'SELECT shard_count()'))
x.rollback(); x.autocommit=True
# held: move with odd tenant_admin values through the one-statement path vs wf_ctx path
q(x, "SET workflow_ext.tenant_admin = 'maybe'")
for sql in ["SELECT * FROM move_to_next_stage(1, 100, NULL, 'org:beta', 'user:alice')",
            "SELECT call_tenant('org:beta', 'user:alice', 'move_to_next_stage', '{\"candidate_id\": 1, \"job_id\": 100}')"]:
    try: print(q(x, sql))
    except Exception as e: print('ERR', e.pgcode, e.pgerror.splitlines()[0])
q(x, "RESET workflow_ext.tenant_admin")
for sql in ["SELECT * FROM move_to_stage(NULL, 100, 1, NULL, 'org:beta', 'user:alice')",
            "SELECT * FROM move_to_next_stage(1, NULL, NULL, 'org:beta', 'user:alice')",
            "SELECT call_tenant('org:beta', 'user:alice', 'move_to_stage', '{\"job_id\": 100, \"stage_id\": 1}')"]:
    try: print(q(x, sql))
    except Exception as e: print('ERR', e.pgcode, e.pgerror.splitlines()[0])
