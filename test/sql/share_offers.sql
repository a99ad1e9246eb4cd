-- Shares nobody asked for: across tenants a share is an offer until its
-- grantee accepts it.  An offer gives nothing on any path; only the grantee
-- (for a share with a whole tenant, an administrator of it) accepts,
-- declines or leaves it; within one tenant a colleague's share is accepted
-- at once; one tenant's pending offers to one grantee are bounded.
-- Everything runs as wf_offers_app, an ordinary role: row-level security applies.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_offers_app;
RESET client_min_messages;
CREATE ROLE wf_offers_app;
GRANT workflow_app TO wf_offers_app;   -- the README's grant set (test/sql/include/app_grants.psql)
SET ROLE wf_offers_app;

\echo '== 1. Fixture: ann (org:acme) runs a pipeline, with history and an URGENT alert event'
SET workflow_ext.tenant = 'org:acme';
SET workflow_ext.actor = 'user:ann';
SELECT test_workflow('Acme backend', 3, false) AS wf \gset
SELECT test_stage(:wf, 1) AS s1, test_stage(:wf, 2) AS s2 \gset
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:s2, 'experienced',
  '{"field": "years", "op": "gte", "value": 3}');
INSERT INTO alert (stage_id, field_name, operator, message) VALUES (:s2, 'years', 'exists', 'URGENT: wire the fee');
SELECT job_id FROM assign_workflow(100, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (1, '{"years": 5}'), (2, '{"years": 9}');
SELECT candidate_id FROM add_candidate(1, 100);
SELECT candidate_id FROM add_candidate(2, 100);
SELECT to_stage_id = :s2 AS moved FROM move_to_next_stage(1, 100);
SELECT count(*) AS events, min(id) AS ev FROM alert_event WHERE workflow_id = :wf \gset
SELECT :events AS events;
SELECT share_workflow(:wf, 'user:bob', true, 'org:bee');
SELECT grantee_tenant, grantee, can_edit, accepted_at IS NULL AS pending, declined_at IS NULL AS not_declined
  FROM workflow_share WHERE workflow_id = :wf;

\echo '== 2. A pending offer gives the grantee nothing, on every path'
SET workflow_ext.tenant = 'org:bee';
SET workflow_ext.actor = 'user:bob';
SELECT test_workflow('Bee own', 2, false) AS bee_wf \gset
SELECT (SELECT count(*) FROM workflow WHERE id = :wf) AS workflows,
       (SELECT count(*) FROM workflow_stage WHERE workflow_id = :wf) AS stages,
       (SELECT count(*) FROM stage_rule WHERE stage_id IN (:s1, :s2)) AS rules,
       (SELECT count(*) FROM alert WHERE stage_id = :s2) AS alerts,
       (SELECT count(*) FROM job_workflow WHERE workflow_id = :wf) AS jobs,
       (SELECT count(*) FROM candidate_stage WHERE workflow_id = :wf) AS pipeline_rows,
       (SELECT count(*) FROM stage_transition WHERE workflow_id = :wf) AS history,
       (SELECT count(*) FROM alert_event WHERE workflow_id = :wf) AS alert_events;
SELECT (SELECT count(*) FROM workflow_with_stages WHERE id = :wf) AS through_view,
       (SELECT count(*) FROM stage_with_rules WHERE workflow_id = :wf) AS stages_through_view,
       (SELECT count(*) FROM workflow_events_since(NULL) WHERE (event ->> 'workflow_id')::bigint = :wf) AS feed,
       (SELECT count(*) FROM workflow_events_since(NULL) WHERE event ->> 'message' LIKE 'URGENT%') AS urgent_in_feed;
SELECT name FROM workflow ORDER BY id;                  -- bob's list: his own only
SELECT test_error(format('SELECT get_stage_rule(%s)', :s2));
SELECT test_error(format('SELECT get_stage_alerts(%s)', :s2));
SELECT test_error('SELECT move_to_next_stage(2, 100)');
SELECT test_error(format('SELECT move_to_stage(2, 100, %s)', :s2));
SELECT test_error('SELECT reject_candidate(2, 100, ''no'')');
SELECT test_error('SELECT add_candidate(3, 100)');
SELECT test_error(format('SELECT acknowledge_alert(%s)', :ev));
WITH u AS (UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 100 AND candidate_id = 2 AND tenant = 'org:acme' RETURNING 1)
SELECT count(*) AS moved_by_plain_update FROM u;
SELECT test_error(format('SELECT assign_workflow(200, %s)', :wf));
SELECT test_error(format('INSERT INTO workflow_stage (workflow_id, name, position) VALUES (%s, %L, 9)', :wf, 'x'));
SELECT job_tenant(100) IS NULL AS job_unknown, test_error('SELECT candidate_facts(2, 100)') AS facts_through_job;   -- not found, as any job it cannot see
-- what the grantee sees of it: the offer, to answer
SELECT workflow_id = :wf AS the_offer, workflow_name, tenant, owner, grantee_tenant, grantee, can_edit
  FROM pending_shares();

\echo '== 3. Only the grantee answers'
-- the owner cannot accept for him, by the function or by a plain UPDATE
SET workflow_ext.tenant = 'org:acme';
SET workflow_ext.actor = 'user:ann';
SELECT test_error(format('SELECT accept_share(%s)', :wf));
SELECT test_error(format('UPDATE workflow_share SET accepted_at = now() WHERE workflow_id = %s', :wf));
-- a share written with an answer in it starts as an offer all the same
INSERT INTO workflow_share (workflow_id, grantee_tenant, grantee, accepted_at)
VALUES (:wf, 'org:bee', 'user:carl', now()) RETURNING grantee, accepted_at IS NULL AS pending;
-- and one given to someone else is a new offer to them
SELECT test_workflow('Acme given away', 1, false) AS wf_given \gset
SELECT share_workflow(:wf_given, 'user:hank');            -- a colleague: accepted at once
UPDATE workflow_share SET grantee_tenant = 'org:bee', grantee = 'user:carl' WHERE workflow_id = :wf_given
RETURNING grantee_tenant, grantee, accepted_at IS NULL AS pending;
-- a colleague of bob's, and bob's tenant's administrator, answer nothing of bob's
SET workflow_ext.tenant = 'org:bee';
SET workflow_ext.actor = 'user:carl';
SELECT workflow_name FROM pending_shares() ORDER BY workflow_name;   -- carl's own two offers
SELECT test_error(format('SELECT decline_share(%s, true)', :wf));
SET workflow_ext.tenant_admin = on;
SET workflow_ext.actor = 'user:boss';
SELECT count(*) AS boss_offers FROM pending_shares();
SELECT test_error(format('SELECT accept_share(%s, true)', :wf));
SELECT test_error(format('SELECT accept_share(%s)', :wf));
RESET workflow_ext.tenant_admin;
-- bob himself may read the share row but not write it: only the functions answer
SET workflow_ext.actor = 'user:bob';
WITH u AS (UPDATE workflow_share SET accepted_at = now() WHERE workflow_id = :wf RETURNING 1)
SELECT count(*) AS updated_by_hand FROM u;
SELECT count(*) AS still_nothing FROM workflow WHERE id = :wf;
SELECT test_error('SELECT accept_share(999999)');
SELECT test_error(format('SELECT leave_share(%s)', :wf));

\echo '== 4. Accepted: everything the share says opens, nothing more'
SELECT accept_share(:wf);
SELECT accepted_at > created_at AND accepted_at <= now() AS stamped, declined_at FROM workflow_share
 WHERE workflow_id = :wf AND grantee = 'user:bob';
SELECT accept_share(:wf);                               -- again: nothing changes
SELECT count(*) AS offers_left FROM pending_shares();
SELECT (SELECT count(*) FROM workflow WHERE id = :wf) AS workflows,
       (SELECT count(*) FROM workflow_stage WHERE workflow_id = :wf) AS stages,
       (SELECT count(*) FROM stage_rule WHERE stage_id IN (:s1, :s2)) AS rules,
       (SELECT count(*) FROM alert WHERE stage_id = :s2) AS alerts,
       (SELECT count(*) FROM job_workflow WHERE workflow_id = :wf) AS jobs,
       (SELECT count(*) FROM candidate_stage WHERE workflow_id = :wf) AS pipeline_rows,
       (SELECT count(*) FROM stage_transition WHERE workflow_id = :wf) AS history,
       (SELECT count(*) FROM alert_event WHERE workflow_id = :wf) AS alert_events;
SELECT (SELECT count(*) FROM workflow_with_stages WHERE id = :wf) AS through_view,
       (SELECT count(*) FROM workflow_events_since(NULL) WHERE (event ->> 'workflow_id')::bigint = :wf) AS feed;
SELECT (get_stage_rule(:s2)).name AS rule_seen;
SELECT to_stage_id = :s2 AS bob_moved FROM move_to_next_stage(2, 100);
SELECT test_error('SELECT candidate_facts(2, 100)') AS owners_facts_stay_hers;   -- 42501 other_tenant_facts (newcomer6)
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:wf, 'added by bob', 9) RETURNING name;
SELECT name FROM workflow ORDER BY id;

\echo '== 5. Leave, decline: gone again, and sharing again does not reopen them'
SELECT test_error(format('SELECT decline_share(%s)', :wf));
SELECT leave_share(:wf);
SELECT accepted_at IS NULL AS not_accepted, declined_at IS NOT NULL AS declined FROM workflow_share
 WHERE workflow_id = :wf AND grantee = 'user:bob';
SELECT (SELECT count(*) FROM workflow WHERE id = :wf) AS workflows,
       (SELECT count(*) FROM candidate_stage WHERE workflow_id = :wf) AS pipeline_rows,
       (SELECT count(*) FROM alert_event WHERE workflow_id = :wf) AS alert_events,
       (SELECT count(*) FROM workflow_events_since(NULL) WHERE (event ->> 'workflow_id')::bigint = :wf) AS feed;
SELECT test_error('SELECT move_to_next_stage(1, 100)');
SELECT test_error(format('SELECT leave_share(%s)', :wf));
SET workflow_ext.tenant = 'org:acme';
SET workflow_ext.actor = 'user:ann';
SELECT share_workflow(:wf, 'user:bob', false, 'org:bee');      -- again, read-only now
SELECT test_workflow('Acme second', 1, false) AS wf2 \gset
SELECT share_workflow(:wf2, 'user:bob', false, 'org:bee');
SET workflow_ext.tenant = 'org:bee';
SET workflow_ext.actor = 'user:bob';
SELECT workflow_name FROM pending_shares();             -- the left share is not offered again
SELECT count(*) AS still_gone FROM workflow WHERE id = :wf;
SELECT decline_share(:wf2);
SELECT decline_share(:wf2);                             -- again: nothing changes
SELECT count(*) AS offers_after_declining FROM pending_shares();
SET workflow_ext.tenant = 'org:acme';
SET workflow_ext.actor = 'user:ann';
SELECT share_workflow(:wf2, 'user:bob', true, 'org:bee');
SELECT grantee, can_edit, accepted_at IS NULL AS not_accepted, declined_at IS NOT NULL AS still_declined
  FROM workflow_share WHERE workflow_id = :wf2;
-- the grantee changes its mind: a declined or left share is accepted again
SET workflow_ext.tenant = 'org:bee';
SET workflow_ext.actor = 'user:bob';
SELECT accept_share(:wf);
SELECT count(*) AS back, bool_and(s.can_edit) AS can_edit FROM workflow w
  JOIN workflow_share s ON s.workflow_id = w.id AND s.grantee = 'user:bob' WHERE w.id = :wf;
SELECT leave_share(:wf);

\echo '== 6. A share with a whole tenant is answered by an administrator of it'
SET workflow_ext.tenant = 'org:acme';
SET workflow_ext.actor = 'user:ann';
SELECT share_workflow(:wf, NULL, false, 'org:bee');
SET workflow_ext.tenant = 'org:bee';
SET workflow_ext.actor = 'user:carl';
SELECT count(*) AS carl_sees FROM workflow WHERE id = :wf;
SELECT test_error(format('SELECT accept_share(%s, true)', :wf));
SET workflow_ext.tenant_admin = on;
SET workflow_ext.actor = 'user:boss';
SELECT workflow_id = :wf AS offered, grantee IS NULL AS whole_tenant FROM pending_shares();
SELECT accept_share(:wf, true);
RESET workflow_ext.tenant_admin;
SET workflow_ext.actor = 'user:carl';
SELECT count(*) AS carl_sees, (SELECT count(*) FROM candidate_stage WHERE workflow_id = :wf) AS carl_pipeline
  FROM workflow WHERE id = :wf;
SET workflow_ext.tenant_admin = on;
SET workflow_ext.actor = 'user:boss';
SELECT leave_share(:wf, true);
RESET workflow_ext.tenant_admin;
SET workflow_ext.actor = 'user:carl';
SELECT count(*) AS carl_sees_after_leaving FROM workflow WHERE id = :wf;

\echo '== 7. Within one tenant a colleague''s share is accepted at once, and can be left'
SET workflow_ext.tenant = 'org:acme';
SET workflow_ext.actor = 'user:ann';
SELECT test_workflow('Acme team', 1, false) AS team_wf \gset
SELECT share_workflow(:team_wf, 'user:hank');
SELECT share_workflow(:team_wf, NULL);
SELECT grantee, accepted_at IS NOT NULL AS accepted FROM workflow_share WHERE workflow_id = :team_wf ORDER BY grantee;
SET workflow_ext.actor = 'user:hank';
SELECT count(*) AS hank_sees, (SELECT count(*) FROM pending_shares()) AS hank_offers FROM workflow WHERE id = :team_wf;
SELECT leave_share(:team_wf);
SELECT count(*) AS hank_still_sees_through_the_tenant_share FROM workflow WHERE id = :team_wf;
SET workflow_ext.actor = 'user:ivy';
SELECT count(*) AS ivy_sees FROM workflow WHERE id = :team_wf;

\echo '== 8. Nobody floods the offers: at most share_offer_limit() pending per tenant and grantee'
SET workflow_ext.tenant = 'org:acme';
SET workflow_ext.actor = 'user:ann';
SELECT share_offer_limit();
INSERT INTO workflow (name) SELECT 'flood ' || i FROM generate_series(1, 150) i;
-- one plain statement: refused as a whole at the first offer past the limit
SELECT test_error($$INSERT INTO workflow_share (workflow_id, grantee_tenant, grantee)
                    SELECT id, 'org:bee', 'user:dora' FROM workflow WHERE name LIKE 'flood %'$$);
SELECT count(*) AS offers_made FROM workflow_share WHERE grantee = 'user:dora';
-- one by one: the 101st is refused
SELECT count(*) AS offered FROM (SELECT share_workflow(id, 'user:dora', false, 'org:bee')
                                   FROM workflow WHERE name LIKE 'flood %' AND substr(name, 7)::int <= 100) x;
SELECT test_error(format('SELECT share_workflow(%s, %L, false, %L)',
                         (SELECT id FROM workflow WHERE name = 'flood 101'), 'user:dora', 'org:bee'));
-- sharing one of them again (now editable) is no new offer
SELECT share_workflow(id, 'user:dora', true, 'org:bee') FROM workflow WHERE name = 'flood 1';
-- a share within the tenant, or with someone else, is not counted
SELECT share_workflow(id, 'user:hank') FROM workflow WHERE name = 'flood 101';
SELECT share_workflow(id, 'user:eli', false, 'org:bee') FROM workflow WHERE name = 'flood 101';
-- another tenant's offers are its own count
SET workflow_ext.tenant = 'org:other';
SET workflow_ext.actor = 'user:olga';
SELECT test_workflow('Other', 1, false) AS other_wf \gset
SELECT share_workflow(:other_wf, 'user:dora', false, 'org:bee');
-- the grantee's list is bounded; declining makes room for one more
SET workflow_ext.tenant = 'org:bee';
SET workflow_ext.actor = 'user:dora';
SELECT count(*) AS dora_offers, count(DISTINCT tenant) AS from_tenants FROM pending_shares();
SELECT count(*) AS dora_sees FROM workflow;
SELECT decline_share(workflow_id) FROM pending_shares() WHERE workflow_name = 'flood 2';
SET workflow_ext.tenant = 'org:acme';
SET workflow_ext.actor = 'user:ann';
SELECT share_workflow(id, 'user:dora', false, 'org:bee') FROM workflow WHERE name = 'flood 101';
SELECT test_error(format('SELECT share_workflow(%s, %L, false, %L)',
                         (SELECT id FROM workflow WHERE name = 'flood 102'), 'user:dora', 'org:bee'));
-- what the visibility functions read for the grantee: the accepted shares only
SET workflow_ext.tenant = 'org:bee';
SET workflow_ext.actor = 'user:dora';
SELECT cardinality(visible_workflow_array()) AS visible,
       cardinality(shared_workflow_array()) AS shared,
       (SELECT count(*) FROM workflow w WHERE shared_pipeline(w.id, w.tenant)) AS pipelines;
SELECT count(*) AS accepted FROM (SELECT accept_share(workflow_id) FROM pending_shares()
                                    WHERE workflow_name IN ('flood 3', 'Other')) x;
SELECT cardinality(visible_workflow_array()) AS visible,
       (SELECT count(*) FROM workflow w WHERE shared_pipeline(w.id, w.tenant)) AS pipelines;
RESET workflow_ext.actor;
RESET workflow_ext.tenant;
RESET ROLE;

\echo '== 9. The index the visibility functions read holds accepted shares only'
SELECT indexrelid::regclass AS index, pg_get_expr(indpred, indrelid) AS predicate
  FROM pg_index WHERE indrelid = 'workflow_share'::regclass AND indpred IS NOT NULL ORDER BY 1;
SELECT count(*) FILTER (WHERE accepted_at IS NOT NULL) AS accepted,
       count(*) FILTER (WHERE accepted_at IS NULL AND declined_at IS NULL) AS pending,
       count(*) FILTER (WHERE declined_at IS NOT NULL) AS declined
  FROM workflow_share;
