-- Candidates in a job's pipeline: add, move (function and plain UPDATE),
-- statuses, history and events.
\set SHOW_CONTEXT never
SET workflow_ext.actor = 'user:pipe';
SELECT test_workflow('Pipe', 4) AS wid \gset
SELECT job_id FROM assign_workflow(1234, :wid);

-- add_candidate enters the first stage.
SELECT job_id, candidate_id, stage_id = test_stage(:wid, 1) AS first_stage, status
  FROM add_candidate(456, 1234);
SELECT test_error('SELECT add_candidate(456, 1234)');
SELECT test_error('SELECT add_candidate(456, 9999)');

-- move_to_next_stage returns the move.
SELECT job_id, candidate_id, from_stage_id = test_stage(:wid, 1) AS from_s1,
       to_stage_id = test_stage(:wid, 2) AS to_s2, to_stage_name, alerts_raised, warnings,
       transition_id AS tid
  FROM move_to_next_stage(456, 1234) \gset
SELECT :job_id, :candidate_id, :'from_s1', :'to_s2', :'to_stage_name', :alerts_raised, :'warnings';
-- ... and its transition_id is the history row of that move.
SELECT from_stage_id = test_stage(:wid, 1) AS from_s1, to_stage_id = test_stage(:wid, 2) AS to_s2, actor
  FROM stage_transition WHERE id = :tid;

-- P0002 naming the job or the candidate.
SELECT test_error('SELECT move_to_next_stage(456, 9999)');
SELECT test_error('SELECT move_to_next_stage(111, 1234)');
SELECT test_error('SELECT move_to_next_stage(NULL, 1234)');

-- expected_stage_id: a stale client is refused with 55000.
SELECT test_error(format('SELECT move_to_next_stage(456, 1234, %s)', test_stage(:wid, 1)));
SELECT to_stage_name FROM move_to_next_stage(456, 1234, test_stage(:wid, 2));

-- move_to_stage: back, with a reason; to the same stage or another workflow's stage fails.
SELECT to_stage_name FROM move_to_stage(456, 1234, test_stage(:wid, 1), 'needs a second screen');
SELECT test_error(format('SELECT move_to_stage(456, 1234, %s)', test_stage(:wid, 1)));
SELECT test_workflow('Elsewhere', 2) AS elsewhere \gset
SELECT test_error(format('SELECT move_to_stage(456, 1234, %s)', test_stage(:elsewhere, 1)));
SELECT test_error('SELECT move_to_stage(456, 1234, 999999)');
SELECT test_error('SELECT move_to_stage(456, 1234, NULL)');
SELECT test_error('SELECT move_to_stage(456, 1234, 0)');

-- A plain UPDATE is a move with the same checks and the same history.
SET workflow_ext.reason = 'ORM move';
UPDATE candidate_stage SET stage_id = test_stage(:wid, 3) WHERE job_id = 1234 AND candidate_id = 456
RETURNING stage_id = test_stage(:wid, 3) AS in_s3, status, transition_id AS tid \gset
SELECT :'in_s3', :'status', reason, to_stage_id = test_stage(:wid, 3) AS recorded
  FROM stage_transition WHERE id = :tid;
RESET workflow_ext.reason;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE candidate_id = 456', test_stage(:elsewhere, 2)));
SELECT test_error('UPDATE candidate_stage SET job_id = 77 WHERE candidate_id = 456');
SELECT test_error('UPDATE candidate_stage SET workflow_id = 77 WHERE candidate_id = 456');
-- Setting entered_at or transition_id by hand is ignored: history decides them.
UPDATE candidate_stage SET entered_at = '2000-01-01', transition_id = 1 WHERE candidate_id = 456;
SELECT entered_at > '2000-01-02' AS entered_kept, transition_id = (SELECT max(id) FROM stage_transition WHERE candidate_id = 456) AS transition_kept
  FROM candidate_stage WHERE candidate_id = 456;

-- Entering the hired stage sets status 'hired'; then no more moves (55000).
SELECT to_stage_name FROM move_to_next_stage(456, 1234);
SELECT status FROM candidate_stage WHERE candidate_id = 456;
SELECT test_error('SELECT move_to_next_stage(456, 1234)');
SELECT test_error('SELECT reject_candidate(456, 1234)');
SELECT test_error('SELECT reopen_candidate(456, 1234)');
SELECT test_error('UPDATE candidate_stage SET status = ''active'' WHERE candidate_id = 456');

-- The last stage, when it is not a hired stage.
SELECT test_workflow('No hire', 2, false) AS nohire \gset
SELECT job_id FROM assign_workflow(2000, :nohire);
SELECT status FROM add_candidate(1, 2000);
SELECT to_stage_name FROM move_to_next_stage(1, 2000);
SELECT test_error('SELECT move_to_next_stage(1, 2000)');

-- Reject, withdraw, reopen.
SELECT status FROM add_candidate(789, 1234);
SELECT status FROM reject_candidate(789, 1234, 'not a fit');
SELECT test_error('SELECT move_to_next_stage(789, 1234)');
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE candidate_id = 789', test_stage(:wid, 2)));
SELECT test_error('SELECT withdraw_candidate(789, 1234)');
SELECT status FROM reopen_candidate(789, 1234);
SELECT test_error('SELECT reopen_candidate(789, 1234)');
SELECT test_error('SELECT reopen_candidate(1, 2000)');
SELECT status FROM withdraw_candidate(789, 1234, 'took another offer');
SELECT test_error('UPDATE candidate_stage SET status = ''hired'' WHERE candidate_id = 789');
SELECT test_error('UPDATE candidate_stage SET status = ''paused'' WHERE candidate_id = 789');
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s, status = ''active'' WHERE candidate_id = 789', test_stage(:wid, 2)));
SELECT test_error('SELECT reject_candidate(789, 9999)');
SELECT test_error('SELECT withdraw_candidate(1, 1234)');

-- A plain INSERT fills the workflow and the first stage; explicit stage must be the job's.
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (1234, 900)
RETURNING workflow_id = :wid AS wf, stage_id = test_stage(:wid, 1) AS first, status;
SELECT test_error('INSERT INTO candidate_stage (job_id, candidate_id) VALUES (4242, 1)');
SELECT test_error(format('INSERT INTO candidate_stage (job_id, candidate_id, stage_id) VALUES (1234, 901, %s)', test_stage(:elsewhere, 1)));
SELECT test_error('INSERT INTO candidate_stage (job_id, candidate_id, status) VALUES (1234, 902, ''hired'')');
SELECT test_error('INSERT INTO candidate_stage (job_id, candidate_id, transition_id) VALUES (1234, 903, 1)');
SELECT test_error('INSERT INTO candidate_stage (job_id, candidate_id) VALUES (1234, 456)');
-- A workflow without stages cannot take candidates.
INSERT INTO workflow (name) VALUES ('Empty') RETURNING id AS empty \gset
SELECT job_id FROM assign_workflow(3000, :empty);
SELECT test_error('SELECT add_candidate(1, 3000)');
-- A stage with candidates in it cannot be deleted.
SELECT test_error(format('DELETE FROM workflow_stage WHERE id = %s', test_stage(:wid, 1)));

-- The history: one row per move or status change, never updated.
SELECT t.candidate_id, f.name AS from_stage, s.name AS to_stage, t.from_status, t.to_status,
       t.actor, t.reason
  FROM stage_transition t LEFT JOIN workflow_stage f ON f.id = t.from_stage_id
  JOIN workflow_stage s ON s.id = t.to_stage_id
 WHERE t.job_id = 1234 ORDER BY t.id;
SELECT test_error('UPDATE stage_transition SET reason = ''rewritten''');
-- Every pipeline row points at its latest transition.
SELECT count(*) AS rows_off FROM candidate_stage c
 WHERE c.transition_id <> (SELECT max(t.id) FROM stage_transition t
                            WHERE t.job_id = c.job_id AND t.candidate_id = c.candidate_id);

-- Events (NOTIFY workflow_events) are checked in test/specs/events.spec, where
-- the isolation tester prints payloads without backend PIDs.
