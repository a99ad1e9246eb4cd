// Sequelize models of workflow_ext's tables, for an application on Node.
// The extension owns the schema (never sync() these models): its triggers
// check and record every write and its row-level security decides what the
// actor sees.  A model only names the columns; those the extension fills
// (owner, timestamps, a pipeline row's workflow, stage and transition ids)
// have no default here, so Sequelize leaves them out of an INSERT and reads
// them back with RETURNING.  Saving a CandidateStage with a new stage_id is a
// move, checked like move_to_next_stage(): a blocking rule rejects it with
// the extension's 23514 (err.parent.code, the failed leaves in err.parent.detail).
'use strict';

const { DataTypes, Sequelize } = require('sequelize');

const { BIGINT, BOOLEAN, DATE, INTEGER, JSONB, STRING, TEXT } = DataTypes;
const id = { type: BIGINT, primaryKey: true, autoIncrement: true };
const options = (tableName) => ({ tableName, timestamps: false, freezeTableName: true });

function defineModels(sequelize) {
  const m = {};
  m.Workflow = sequelize.define('Workflow', {
    id, name: { type: TEXT, allowNull: false }, description: TEXT, owner: TEXT,
    created_at: DATE, updated_at: DATE,
  }, options('workflow'));
  m.WorkflowShare = sequelize.define('WorkflowShare', {
    id, workflow_id: BIGINT, grantee: TEXT, can_edit: BOOLEAN, created_at: DATE,
  }, options('workflow_share'));
  m.WorkflowStage = sequelize.define('WorkflowStage', {
    id, workflow_id: { type: BIGINT, allowNull: false }, name: { type: TEXT, allowNull: false },
    position: { type: INTEGER, allowNull: false }, kind: TEXT, config: JSONB,
    sla: STRING,                               // an interval, as PostgreSQL prints it
  }, options('workflow_stage'));
  m.StageRule = sequelize.define('StageRule', {
    id, stage_id: { type: BIGINT, allowNull: false }, name: TEXT, condition: JSONB, on_fail: TEXT,
    created_at: DATE, updated_at: DATE,
  }, options('stage_rule'));
  m.Alert = sequelize.define('Alert', {
    id, stage_id: BIGINT, rule_id: BIGINT, rule_path: TEXT, field_name: TEXT, operator: TEXT,
    value: JSONB, ignore_case: BOOLEAN, fires_on: TEXT, message: TEXT, severity: TEXT,
  }, options('alert'));
  m.JobWorkflow = sequelize.define('JobWorkflow', {
    id, job_id: BIGINT, workflow_id: BIGINT, assigned_at: DATE, assigned_by: TEXT,
  }, options('job_workflow'));
  m.CandidateProfile = sequelize.define('CandidateProfile', {
    id, candidate_id: BIGINT, attributes: JSONB, owner: TEXT, updated_at: DATE,
  }, options('candidate_profile'));
  m.CandidateStage = sequelize.define('CandidateStage', {
    id, job_id: BIGINT, candidate_id: BIGINT, workflow_id: BIGINT, stage_id: BIGINT,
    status: TEXT, entered_at: DATE, transition_id: BIGINT, visit_transition_id: BIGINT,
  }, options('candidate_stage'));
  m.StageTransition = sequelize.define('StageTransition', {
    id, job_id: BIGINT, candidate_id: BIGINT, workflow_id: BIGINT, from_stage_id: BIGINT,
    to_stage_id: BIGINT, from_status: TEXT, to_status: TEXT, actor: TEXT, reason: TEXT,
    moved_at: DATE, alerts_raised: INTEGER, warnings: JSONB,
  }, options('stage_transition'));
  m.AlertEvent = sequelize.define('AlertEvent', {
    id, alert_id: BIGINT, job_id: BIGINT, candidate_id: BIGINT, workflow_id: BIGINT,
    stage_id: BIGINT, transition_id: BIGINT, cause: TEXT, severity: TEXT, message: TEXT,
    raised_at: DATE, facts: JSONB, acknowledged_at: DATE, acknowledged_by: TEXT,
  }, options('alert_event'));
  return m;
}

// Runs fn(transaction) in one transaction acting as `actor`
// (SET LOCAL workflow_ext.actor); pass { transaction } to every call in it.
async function asActor(sequelize, actor, fn) {
  return sequelize.transaction(async (transaction) => {
    await sequelize.query("SELECT set_config('workflow_ext.actor', :actor, true)",
      { replacements: { actor }, transaction });
    return fn(transaction);
  });
}

function connect(config = {}) {
  // BIGINT ids come back as strings unless told otherwise; they fit a double here.
  return new Sequelize({
    dialect: 'postgres', logging: false,
    host: process.env.PGHOST, port: process.env.PGPORT, database: process.env.PGDATABASE,
    username: process.env.PGUSER, password: process.env.PGPASSWORD,
    dialectOptions: { application_name: 'wf-sequelize' },
    ...config,
  });
}

module.exports = { defineModels, asActor, connect };
