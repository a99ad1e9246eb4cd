#!/usr/bin/env bash
# Shares nobody asked for (issue 18, item 3): what 50,000 offers to one actor
# cost her.  Not a test (no timing assertions): it measures and writes
# bench/results/share_offers.md.  Needs a server with workflow_ext installed
# and PG* naming a superuser, e.g. (in this workspace)
#   /work/tools/pgsandbox NAME bash -c 'make -s install >/dev/null && bench/share_offers.sh'
# or  pg_virtualenv -t -v 15 bench/share_offers.sh
#
# Two actors alike in one database (bench/sql/share_offers.sql), as the
# application role wf_offer_app (row-level security applies): user:bea of
# org:bee, whom 500 other tenants offer 100 workflows each (50,000 offers,
# the most share_offer_limit() allows them), and user:bella of org:bella,
# offered nothing.  Each probe (a move there and back, her list of
# workflows, her pipeline rows) runs ROUNDS rounds in a PL/pgSQL loop
# (server time, no client round trips), bea and bella in turn, RUNS times;
# the ratio bea / bella is taken per turn and its median reported.  Then bea
# accepts all 50,000: the cost a share imposed at once before this change.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=wf_share_offers_bench
rounds=${ROUNDS:-100}
rounds_accepted=${ROUNDS_ACCEPTED:-5}
runs=${RUNS:-7}
out=${OUT:-$here/results/share_offers.md}
dropdb --if-exists "$db" >/dev/null 2>&1 || true
createdb "$db"
psql -X -q -d "$db" -f "$here/sql/share_offers.sql" >/dev/null

probe() {   # probe TENANT ACTOR WHAT ROUNDS -> µs per round
    psql -X -qAt -d "$db" -c "SET ROLE wf_offer_app; SET workflow_ext.tenant = '$1';
        SET workflow_ext.actor = '$2'; SELECT round(bench_probe('$3', $4)::numeric, 1)" | tail -1
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
compare() {  # compare WHAT ROUNDS -> "bea_median bella_median median_ratio"
    local a b r; : > /tmp/share_offers.$$.a; : > /tmp/share_offers.$$.b; : > /tmp/share_offers.$$.r
    for i in $(seq 1 "$runs"); do
        a=$(probe org:bee user:bea "$1" "$2"); b=$(probe org:bella user:bella "$1" "$2")
        echo "$a" >> /tmp/share_offers.$$.a; echo "$b" >> /tmp/share_offers.$$.b
        echo "scale=3; $a / $b" | bc >> /tmp/share_offers.$$.r
    done
    echo "$(median < /tmp/share_offers.$$.a) $(median < /tmp/share_offers.$$.b) $(median < /tmp/share_offers.$$.r)"
    rm -f /tmp/share_offers.$$.*
}
row() {  # row LABEL ROUNDS: one line of the table
    local m l r n
    psql -X -q -d "$db" -c "VACUUM ANALYZE" >/dev/null
    m=($(compare move "$2")); l=($(compare list "$2")); r=($(compare read "$2"))
    n=$(psql -X -qAt -d "$db" -c "SET ROLE wf_offer_app; SET workflow_ext.tenant = 'org:bee';
        SET workflow_ext.actor = 'user:bea'; SELECT count(*) FROM workflow" | tail -1)
    echo "| $1 | ${m[0]} / ${m[1]} | **${m[2]}** | ${l[0]} / ${l[1]} | **${l[2]}** | ${r[0]} / ${r[1]} | **${r[2]}** | $n |"
}

# 500 other tenants with 100 workflows each (offered to nobody yet)
psql -X -q -d "$db" >/dev/null <<'SQL'
SET ROLE wf_offer_app;
DO $$
BEGIN
    FOR t IN 1 .. 500 LOOP
        PERFORM set_config('workflow_ext.tenant', 'org:spam' || t, true),
                set_config('workflow_ext.actor', 'user:spammer' || t, true);
        INSERT INTO workflow (name) SELECT 'URGENT ' || t || '.' || i FROM generate_series(1, 100) i;
    END LOOP;
END $$;
SQL
before=$(row "no offers" "$rounds")
# each offers its 100 to user:bea
start=$(date +%s.%N)
psql -X -q -d "$db" >/dev/null <<'SQL'
SET ROLE wf_offer_app;
DO $$
BEGIN
    FOR t IN 1 .. 500 LOOP
        PERFORM set_config('workflow_ext.tenant', 'org:spam' || t, true),
                set_config('workflow_ext.actor', 'user:spammer' || t, true);
        INSERT INTO workflow_share (workflow_id, grantee_tenant, grantee)
        SELECT id, 'org:bee', 'user:bea' FROM workflow WHERE tenant = 'org:spam' || t;
    END LOOP;
END $$;
SQL
offer_s=$(echo "$(date +%s.%N) - $start" | bc)
pending_count=$(psql -X -qAt -d "$db" -c "SELECT count(*) FROM workflow_share WHERE accepted_at IS NULL AND declined_at IS NULL")
over=$(psql -X -qAt -d "$db" 2>&1 <<'SQL' | grep -o 'ERROR:.*' | head -1 || true
SET ROLE wf_offer_app; SET workflow_ext.tenant = 'org:spam1'; SET workflow_ext.actor = 'user:spammer1';
INSERT INTO workflow (name) VALUES ('one more');
SELECT share_workflow((SELECT max(id) FROM workflow WHERE tenant = 'org:spam1'), 'user:bea', false, 'org:bee');
SQL
)
pending=$(row "50,000 pending offers to bea" "$rounds")
offers=$(psql -X -qAt -d "$db" -c "SET ROLE wf_offer_app; SET workflow_ext.tenant = 'org:bee';
    SET workflow_ext.actor = 'user:bea'; SELECT count(*) FROM pending_shares()" | tail -1)
# bea accepts them all: what a share imposed at once before this change
psql -X -q -d "$db" -c "SET ROLE wf_offer_app; SET workflow_ext.tenant = 'org:bee'; SET workflow_ext.actor = 'user:bea';
    SELECT count(*) FROM (SELECT accept_share(workflow_id) FROM pending_shares()) x" >/dev/null
accepted=$(row "all 50,000 accepted by bea (a share before this change)" "$rounds_accepted")
dropdb "$db"

{
echo "# 50,000 offers to one actor: what they cost her (issue 18, item 3)"
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M') UTC by \`bench/share_offers.sh\` on $(nproc) cores, other jobs sharing the machine; $(psql -X -qAt -c 'SELECT version()' -d postgres | cut -d, -f1); workflow_ext at $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$here/.." diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')."
echo
echo "Two actors alike in one database, as the application role (not superuser: row-level security applies): **bea** (org:bee) and **bella** (org:bella, the control), each with one workflow of 3 stages and job 1 with 50 candidates; 500 other tenants hold 100 workflows each. Probes, server time per round inside one PL/pgSQL loop: **move** = two moves (\`move_to_stage\` there and back), **list** = \`SELECT count(*) FROM workflow_with_stages\`, **read** = \`SELECT count(*) FROM candidate_stage WHERE job_id = 1\`. bea and bella in turn, $runs times ($rounds rounds each; $rounds_accepted in the last row); the cells give the medians in µs (bea / bella) and, in bold, the median of the per-turn ratios bea / bella (1: the same cost)."
echo
echo "The 500 tenants then offered bea their 100 workflows each (the most \`share_offer_limit()\` lets one tenant have pending to one grantee): $pending_count pending offers, made in ${offer_s%.*} s; bea lists $offers of them in \`pending_shares()\`. A 101st offer from one tenant: \`${over:-(not refused?)}\`."
echo
echo "| bea's state | move µs (bea / bella) | move ratio | list µs | list ratio | read µs | read ratio | workflows bea sees |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
echo "$before"
echo "$pending"
echo "$accepted"
echo
echo "Pending offers are read by nothing but \`pending_shares()\` and the check of the limit; the visibility helpers read accepted shares only, through the partial index \`workflow_share_accepted_idx\`, whose size bea alone decides. The last row is what accepting (or, before this change, merely being offered) 50,000 workflows costs. Not an effect of offers, and the same for bea and bella: **list** costs both tens of ms because \`workflow_with_stages\` is planned as a scan of every tenant's workflows under the row-level security policy (the 50,000 workflows of other tenants), see the report of this change."
} > "$out"
cat "$out"
