-- pg_dump keeps the user data of every table and the state of its sequence.
SELECT pg_catalog.pg_extension_config_dump(('@extschema@.' || t)::regclass, ''),
       pg_catalog.pg_extension_config_dump(('@extschema@.' || t || '_id_seq')::regclass, '')
  FROM unnest(ARRAY['workflow', 'workflow_share', 'workflow_stage', 'stage_rule', 'alert',
                    'job_workflow', 'candidate_profile', 'stage_transition', 'candidate_stage',
                    'alert_event']) t;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.facts_source', '');
