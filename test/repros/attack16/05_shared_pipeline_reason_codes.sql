-- attack16 #5 (observation, not bulk-specific, not fixed): in a pipeline
-- shared from another tenant (a grantee moves and rejects its candidates by
-- design), the reason code must be the job's tenant's, read with the
-- grantee's rights: the grantee sees none of them, so any code is
-- unknown_reason_code, its own codes too; when the sharer's workflow has
-- requires_reason_code, a grantee can reject nobody there (single or bulk).
-- The bulk function raises it for the call before any candidate, the single
-- after the status check (a candidate already rejected: status_unchanged).
-- Setup: test/repros/attack16/00_setup.sql (org:b's job 500 shared with user:ann of org:a;
-- 'bonly' is org:b's code, 'skills' org:a's).
SET ROLE a16_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:ann';
SELECT * FROM reject_candidates(500, ARRAY[1], 'x', 'bonly');   -- 22023 unknown_reason_code
SELECT * FROM reject_candidates(500, ARRAY[1], 'x', 'skills');  -- 22023 unknown_reason_code
SELECT reject_candidate(2, 500, 'x', 'bonly');                  -- 22023 unknown_reason_code
RESET ROLE;
