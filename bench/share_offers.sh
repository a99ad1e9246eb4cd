#!/usr/bin/env bash
# Shares nobody asked for (issue 18, item 3): what 50,000 offers to one actor
# cost her.  Not a test (no timing assertions): it measures and writes
# bench/results/share_offers.md.  Needs a server with workflow_ext installed
# and PG* naming a superuser, e.g. (in this workspace)
#   /work/tools/pgsandbox NAME bash -c 'make -s install >/dev/null && bench/share_offers.sh'
# or  pg_virtualenv -t -v 15 bench/share_offers.sh
#
# user:bea (org:bee) moves candidates in her own job and lists her workflows,
# as wf_offer_app (row-level security applies):
#   baseline   nobody offers her anything;
#   pending    50,000 workflows are offered to her by 500 tenants (100 each,
#              share_offer_limit()): what an attacker can do now;
#   accepted   she has accepted all 50,000: the cost 0.3.0 before this change
#              (and 0.2.0) put on her without asking.
# Each probe runs ROUNDS rounds in a PL/pgSQL loop (server time, no client
# round trips), 5 times in turn; the median is reported.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=wf_share_offers_bench
rounds=${ROUNDS:-100}
out=${OUT:-$here/results/share_offers.md}
dropdb --if-exists "$db" >/dev/null 2>&1 || true
createdb "$db"
psql -X -q -d "$db" -f "$here/sql/share_offers.sql" >/dev/null

probe() {   # probe WHAT -> median µs of 5 runs of ROUNDS rounds, as user:bea
    for i in 1 2 3 4 5; do
        psql -X -qAt -d "$db" -c "SET ROLE wf_offer_app; SET workflow_ext.tenant = 'org:bee';
            SET workflow_ext.actor = 'user:bea'; SELECT round(bench_probe('$1', $rounds)::numeric, 1)" | tail -1
    done | sort -n | sed -n 3p
}
measure() {  # measure LABEL: one line of the table
    local m l r n
    psql -X -q -d "$db" -c "VACUUM ANALYZE" >/dev/null
    m=$(probe move); l=$(probe list); r=$(probe read)
    n=$(psql -X -qAt -d "$db" -c "SET ROLE wf_offer_app; SET workflow_ext.tenant = 'org:bee';
        SET workflow_ext.actor = 'user:bea'; SELECT count(*) FROM workflow" | tail -1)
    echo "$1|$m|$l|$r|$n"
}

empty=$(measure empty)
# 500 other tenants have 100 workflows each, offered to nobody.
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
base=$(measure baseline)
# Each of them offers its 100 workflows to user:bea (the limit per tenant).
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
pend=$(measure pending)
offers=$(psql -X -qAt -d "$db" -c "SET ROLE wf_offer_app; SET workflow_ext.tenant = 'org:bee';
    SET workflow_ext.actor = 'user:bea'; SELECT count(*) FROM pending_shares()" | tail -1)
# She accepts them all: the cost a share used to impose at once.
psql -X -q -d "$db" -c "SET ROLE wf_offer_app; SET workflow_ext.tenant = 'org:bee'; SET workflow_ext.actor = 'user:bea';
    SELECT count(*) FROM (SELECT accept_share(workflow_id) FROM pending_shares()) x" >/dev/null
acc=$(measure accepted)
dropdb "$db"

ratio() { echo "scale=2; $1 / $2" | bc; }
IFS='|' read -r _ em el er en <<<"$empty"
IFS='|' read -r _ bm bl br bn <<<"$base"
IFS='|' read -r _ pm pl pr pn <<<"$pend"
IFS='|' read -r _ am al ar an <<<"$acc"
{
echo "# 50,000 offers to one actor: what they cost her (issue 18, item 3)"
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M') UTC by \`bench/share_offers.sh\` on $(nproc) cores; $(psql -X -qAt -c 'SELECT version()' -d postgres | cut -d, -f1); workflow_ext at $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$here/.." diff --quiet 2>/dev/null || echo ' (uncommitted changes)'). Other jobs share this machine: compare the ratios, not the absolute times."
echo
echo "user:bea (tenant org:bee), as the application role wf_offer_app (not superuser: row-level security applies), has one workflow of 3 stages and job 1 with 50 candidates. Server time per round, inside one PL/pgSQL loop of $rounds rounds, median of 5 runs: **move** = two moves (\`move_to_stage\` there and back), **list** = \`SELECT count(*) FROM workflow_with_stages\`, **read** = \`SELECT count(*) FROM candidate_stage WHERE job_id = 1\`."
echo
echo "500 tenants offered her 100 workflows each (the most \`share_offer_limit()\` lets one tenant have pending to one grantee) in ${offer_s%.*} s: $pending_count pending offers; she lists $offers of them in \`pending_shares()\`. A 101st offer from one tenant: \`${over:-(not refused?)}\`."
echo
echo "| state | move (µs) | list (µs) | read (µs) | workflows she sees | move ratio | list ratio | read ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
echo "| (for reference) no other tenant's workflows at all | $em | $el | $er | $en | $(ratio "$em" "$bm") | $(ratio "$el" "$bl") | $(ratio "$er" "$br") |"
echo "| baseline: 50,000 workflows of 500 other tenants, no offers | $bm | $bl | $br | $bn | 1 | 1 | 1 |"
echo "| 50,000 pending offers | $pm | $pl | $pr | $pn | $(ratio "$pm" "$bm") | $(ratio "$pl" "$bl") | $(ratio "$pr" "$br") |"
echo "| all 50,000 accepted (what a share imposed before) | $am | $al | $ar | $an | $(ratio "$am" "$bm") | $(ratio "$al" "$bl") | $(ratio "$ar" "$br") |"
echo
echo "Ratios are time / the baseline's (1: the same cost; above 1: slower): the pending row is the offers' cost, everything else equal. The first row is not an offer's effect: the 50,000 workflows other tenants keep in the same table; see the report of this change for what it costs \\`list\\`. Pending offers are read by nothing but \`pending_shares()\` and the flood check; the visibility functions read accepted shares through the partial index \`workflow_share_accepted_idx\`, whose size only she decides."
} > "$out"
cat "$out"
