-- Rejection and withdrawal reason codes (0.3.0): the tenant's catalogue,
-- reject_candidate/withdraw_candidate with reason_code, a plain UPDATE with
-- workflow_ext.reason_code, workflows that require a code.
-- Everything runs as wf_rr_app, an ordinary role: row-level security applies.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_rr_app;
RESET client_min_messages;
CREATE ROLE wf_rr_app;
GRANT workflow_app TO wf_rr_app;   -- the README's grant set (test/sql/include/app_grants.psql)
SET ROLE wf_rr_app;

\echo '== 1. Any actor of the tenant adds codes; the tenant is stamped'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:rr-acme';
SET LOCAL workflow_ext.actor = 'user:cole';
INSERT INTO rejection_reason (code, label, kind, tenant) VALUES
  ('skills', 'Missing skills', 'rejected', 'org:somebody-else'),
  ('salary', 'Salary expectations', 'rejected', NULL),
  ('salary', 'Accepted a better offer', 'withdrawn', NULL),
  ('old', 'Retired reason', 'rejected', NULL)
RETURNING code, kind, tenant;
UPDATE rejection_reason SET active = false WHERE code = 'old';
SELECT test_error('INSERT INTO rejection_reason (code, label, kind) VALUES (''skills'', ''again'', ''rejected'')');
SELECT test_error('INSERT INTO rejection_reason (code, label, kind) VALUES (''x'', ''y'', ''hired'')');
SELECT test_error('INSERT INTO rejection_reason (code, label, kind) VALUES (''has space'', ''y'', ''rejected'')');
SELECT test_workflow('RR', 2, false) AS wf \gset
SELECT share_workflow(:wf, NULL);
SELECT job_id FROM assign_workflow(801, :wf);
SELECT candidate_id FROM add_candidate(1, 801);
SELECT candidate_id FROM add_candidate(2, 801);
SELECT candidate_id FROM add_candidate(3, 801);
SELECT candidate_id FROM add_candidate(4, 801);
COMMIT;
-- another organization has its own catalogue, and sees none of acme's
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:rr-globex';
SET LOCAL workflow_ext.actor = 'user:gus';
INSERT INTO rejection_reason (code, label, kind) VALUES ('culture', 'Culture', 'rejected');
SELECT count(*) AS globex_sees FROM rejection_reason;
SELECT test_error('UPDATE rejection_reason SET tenant = ''org:rr-acme'' WHERE code = ''culture''');
COMMIT;

\echo '== 2. reject_candidate and withdraw_candidate with a code: recorded in history'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:rr-acme';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT status FROM reject_candidate(1, 801, 'not enough Go', 'skills');
SELECT status FROM withdraw_candidate(2, 801, reason_code => 'salary');
SELECT status FROM reject_candidate(3, 801);
SELECT candidate_id, to_status, reason, reason_code FROM stage_transition
 WHERE tenant = 'org:rr-acme' AND job_id = 801 AND to_status <> 'active' ORDER BY id;
SELECT status FROM reopen_candidate(1, 801);
SELECT status FROM reopen_candidate(2, 801);
SELECT status FROM reopen_candidate(3, 801);
COMMIT;

\echo '== 3. Unknown, inactive, other kind or other tenant''s codes: 22023 unknown_reason_code'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:rr-acme';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_error('SELECT reject_candidate(1, 801, NULL, ''nope'')');
SELECT test_error('SELECT reject_candidate(1, 801, NULL, ''old'')');
SELECT test_error('SELECT withdraw_candidate(1, 801, NULL, ''skills'')');
SELECT test_error('SELECT reject_candidate(1, 801, NULL, ''culture'')');
-- a code explains a rejection or a withdrawal, not a reopening
SELECT status FROM reject_candidate(3, 801);
SELECT test_error('SELECT set_candidate_status(3, 801, ''active'', NULL, ''skills'')');
SELECT status FROM reopen_candidate(3, 801);
SELECT status FROM candidate_stage WHERE job_id = 801 AND candidate_id = 1;
COMMIT;

\echo '== 4. A plain UPDATE obeys the same: workflow_ext.reason_code'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:rr-acme';
SET LOCAL workflow_ext.actor = 'user:orm';
SET LOCAL workflow_ext.reason_code = 'nope';
SELECT test_error('UPDATE candidate_stage SET status = ''rejected'' WHERE job_id = 801 AND candidate_id = 4');
SET LOCAL workflow_ext.reason_code = 'skills';
SET LOCAL workflow_ext.reason = 'from the ORM';
UPDATE candidate_stage SET status = 'rejected' WHERE job_id = 801 AND candidate_id = 4;
-- a move with the setting left set records no code
UPDATE candidate_stage SET status = 'active' WHERE job_id = 801 AND candidate_id = 4;
SELECT to_status, reason, reason_code FROM stage_transition
 WHERE tenant = 'org:rr-acme' AND job_id = 801 AND candidate_id = 4 ORDER BY id;
COMMIT;

\echo '== 5. A workflow that requires a code: 22023 reason_code_required'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:rr-acme';
SET LOCAL workflow_ext.actor = 'user:cole';
UPDATE workflow SET requires_reason_code = true WHERE id = :wf RETURNING requires_reason_code;
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_error('SELECT reject_candidate(1, 801, ''no code'')');
SELECT test_error('SELECT withdraw_candidate(1, 801)');
SELECT test_error('UPDATE candidate_stage SET status = ''rejected'' WHERE job_id = 801 AND candidate_id = 1');
SELECT status FROM reject_candidate(1, 801, NULL, 'skills');
-- reopening needs none
SELECT status FROM reopen_candidate(1, 801);
COMMIT;

\echo '== 6. The feed carries the code'
SET workflow_ext.tenant = 'org:rr-acme';
SET workflow_ext.actor = 'user:ann';
SELECT event->>'candidate_id' AS candidate, event->>'to_status' AS to_status, event->>'reason_code' AS reason_code
  FROM workflow_events_since(NULL, 100000)
 WHERE event ? 'reason_code' AND (event->>'job_id')::bigint = 801;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
RESET ROLE;
DROP ROLE wf_rr_app;
