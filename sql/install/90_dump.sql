-- pg_dump keeps the user data of every table and the state of its sequence.
-- (One call per statement: each call updates the pg_extension row.)
SELECT pg_catalog.pg_extension_config_dump('workflow', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_share', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_share_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_stage', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_stage_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('stage_rule', '');
SELECT pg_catalog.pg_extension_config_dump('stage_rule_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('alert', '');
SELECT pg_catalog.pg_extension_config_dump('alert_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('job_workflow', '');
SELECT pg_catalog.pg_extension_config_dump('job_workflow_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('candidate_profile', '');
SELECT pg_catalog.pg_extension_config_dump('candidate_profile_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('job_profile', '');
SELECT pg_catalog.pg_extension_config_dump('job_profile_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('rejection_reason', '');
SELECT pg_catalog.pg_extension_config_dump('rejection_reason_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('stage_transition', '');
SELECT pg_catalog.pg_extension_config_dump('stage_transition_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('candidate_stage', '');
SELECT pg_catalog.pg_extension_config_dump('candidate_stage_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('alert_event', '');
SELECT pg_catalog.pg_extension_config_dump('alert_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('facts_source', '');
SELECT pg_catalog.pg_extension_config_dump('feed_origin', '');
