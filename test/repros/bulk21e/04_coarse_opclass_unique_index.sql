-- 04: arbiters_decide_nothing accepts any unique index "with transition_id and alert_id among its key
-- columns" without looking at the columns' operator classes (or collations): an owner's unique index
-- whose equality on transition_id is coarser than bigint's (here: one entry per alert per
-- 1,000,000-id block of history, i.e. "a stage's alert fires once per batch of visits") is an
-- arbiter that entry events of new visits DO hit.  Row by row: ON CONFLICT skips; bulk: 23505.
RESET ROLE;
CREATE FUNCTION att_blk_cmp(a bigint, b bigint) RETURNS int LANGUAGE sql IMMUTABLE STRICT
  AS $$ SELECT sign(a / 1000000 - b / 1000000)::int $$;
CREATE FUNCTION att_blk_lt(a bigint, b bigint) RETURNS bool LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT public.att_blk_cmp(a, b) < 0 $$;
CREATE FUNCTION att_blk_le(a bigint, b bigint) RETURNS bool LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT public.att_blk_cmp(a, b) <= 0 $$;
CREATE FUNCTION att_blk_eq(a bigint, b bigint) RETURNS bool LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT public.att_blk_cmp(a, b) = 0 $$;
CREATE FUNCTION att_blk_ge(a bigint, b bigint) RETURNS bool LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT public.att_blk_cmp(a, b) >= 0 $$;
CREATE FUNCTION att_blk_gt(a bigint, b bigint) RETURNS bool LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT public.att_blk_cmp(a, b) > 0 $$;
CREATE OPERATOR <<< (FUNCTION = att_blk_lt, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR <<<= (FUNCTION = att_blk_le, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR === (FUNCTION = att_blk_eq, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR >>>= (FUNCTION = att_blk_ge, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR >>> (FUNCTION = att_blk_gt, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR CLASS att_blk_ops FOR TYPE bigint USING btree AS
  OPERATOR 1 <<<, OPERATOR 2 <<<=, OPERATOR 3 ===, OPERATOR 4 >>>=, OPERATOR 5 >>>,
  FUNCTION 1 att_blk_cmp(bigint, bigint);
CREATE UNIQUE INDEX att_once_per_block ON alert_event (tenant, job_id, candidate_id, transition_id att_blk_ops, alert_id)
  WHERE job_id IN (9001, 9002);
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9001;
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 9001;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9001', :s2)) AS row_by_row_back;
RESET workflow_ext.history_batch_size;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9002;
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 9002;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9002', :s2)) AS bulk_back;
RESET ROLE;
SELECT j, s.* FROM generate_series(9001, 9002) j, att_summary(j) s;
DROP INDEX att_once_per_block;
