-- SLAs, feed paging, and what a scorecard (application facts) write leaves behind.
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/05_sla_feed_facts.sql'
\i test/repros/newcomer7/_setup.psql
SET workflow_ext.tenant = 'org:acme'; SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Backend');
INSERT INTO workflow_stage (workflow_id, name, position, sla) VALUES (1,'Applied',1,'1 second'),(1,'Screen',2,NULL),(1,'Onsite',3,NULL);
INSERT INTO stage_rule (stage_id, name, condition) VALUES (3, 'two scorecards',
  '{"field": "scorecards", "op": "gte", "value": 2, "source": "application"}');
SELECT share_workflow(1, NULL);
SELECT job_id FROM assign_workflow(1234, 1);
SELECT count(*) FROM unnest(ARRAY[1,2,3]) c, add_candidate(c, 1234);
SELECT pg_sleep(1.2);
SELECT raise_overdue_alerts();
SELECT candidate_id, cause, message, severity FROM alert_event ORDER BY id;
SELECT raise_overdue_alerts() AS second_sweep;
-- feed paging
SELECT cursor AS c1 FROM workflow_events_since(NULL, 2) ORDER BY cursor DESC LIMIT 1 \gset
SELECT cursor, event->>'kind' AS kind, event->>'candidate_id' AS cand FROM workflow_events_since(:'c1', 100);
-- scorecards: two interviewers write the application's facts
SELECT to_stage_name FROM move_to_next_stage(1, 1234);
SELECT count(*) AS history_before FROM stage_transition \gset
SELECT count(*) AS feed_before FROM workflow_events_since(NULL, 1000) \gset
SET workflow_ext.actor = 'user:ivy';
UPDATE candidate_stage SET attributes = attributes || '{"scorecards": 1, "ivy": "strong hire"}' WHERE job_id = 1234 AND candidate_id = 1;
SET workflow_ext.actor = 'user:ian';
UPDATE candidate_stage SET attributes = '{"scorecards": 2, "ian": "no hire"}' WHERE job_id = 1234 AND candidate_id = 1;   -- as the README's example writes it
SELECT attributes FROM candidate_stage WHERE job_id = 1234 AND candidate_id = 1;   -- ivy's verdict is gone
SELECT count(*) - :history_before AS new_history_rows FROM stage_transition;
SELECT count(*) - :feed_before AS new_feed_events FROM workflow_events_since(NULL, 1000);
-- who wrote the scorecards? nothing records it
SELECT actor, from_stage_id, to_stage_id, reason FROM stage_transition WHERE candidate_id = 1 ORDER BY id;
