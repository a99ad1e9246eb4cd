-- README "Rejection and withdrawal reasons": an agency (another tenant, accepted share) cannot reject
-- at all in a client's workflow with requires_reason_code: it sees no codes, and none it adds counts.
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/07_agency_cannot_reject_required_code.sql'
\i test/repros/newcomer7/_setup.psql
SET workflow_ext.tenant = 'org:acme'; SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name, requires_reason_code) VALUES ('Backend', true);
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (1,'Applied',1),(1,'Screen',2);
INSERT INTO rejection_reason (code, label, kind) VALUES ('skills', 'Missing skills', 'rejected');
SELECT job_id FROM assign_workflow(1234, 1);
SELECT stage_id FROM add_candidate(456, 1234);
SELECT share_workflow(1, 'user:agent-7', true, 'org:agency');
SET workflow_ext.tenant = 'org:agency'; SET workflow_ext.actor = 'user:agent-7';
SELECT accept_share(1);
SELECT count(*) AS codes_agency_sees FROM rejection_reason;
SELECT * FROM t.try('agency rejects without code', '22023', 'reason_code_required', $$SELECT reject_candidate(456, 1234, 'weak')$$);
SELECT * FROM t.try('agency rejects with the client''s code', '22023', 'unknown_reason_code', $$SELECT reject_candidate(456, 1234, 'weak', 'skills')$$);
INSERT INTO rejection_reason (code, label, kind) VALUES ('skills', 'Agency: missing skills', 'rejected');
SELECT * FROM t.try('agency rejects with its own code', '22023', 'unknown_reason_code', $$SELECT reject_candidate(456, 1234, 'weak', 'skills')$$);
SELECT to_stage_name FROM move_to_next_stage(456, 1234);   -- but it may move (and, with can_edit, remove) the candidate
