-- Puts every pipeline back at stage 1 between repetitions (without triggers).
SET session_replication_role = replica;
UPDATE candidate_stage SET stage_id = (SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1)
 WHERE stage_id <> (SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1);
UPDATE peer.candidate_stage SET stage_id = (SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1)
 WHERE stage_id <> (SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1);
UPDATE floor_stage SET stage_id = (SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1)
 WHERE stage_id <> (SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1);
SELECT to_regclass('wfloor.candidate_stage') IS NOT NULL AS has_writes_fixture \gset
\if :has_writes_fixture
UPDATE wfloor.candidate_stage SET stage_id = (SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1)
 WHERE stage_id <> (SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1);
UPDATE seed.candidate_stage SET stage_id = (SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1)
 WHERE stage_id <> (SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1);
UPDATE wfloorfk.candidate_stage SET stage_id = (SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1)
 WHERE stage_id <> (SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1);
RESET session_replication_role;
VACUUM ANALYZE wfloor.candidate_stage, seed.candidate_stage, wfloorfk.candidate_stage;
ANALYZE wfloor.stage_transition, wfloor.alert_event, seed.stage_transition, seed.alert_event,
        wfloorfk.stage_transition, wfloorfk.alert_event;
\endif
RESET session_replication_role;
VACUUM ANALYZE candidate_stage, peer.candidate_stage, floor_stage;
-- History as a database in service has it: planned with its real size.
ANALYZE stage_transition, alert_event, peer.stage_transition, peer.alert_event, floor_transition;
