// Sequelize models of workflow_ext's tables, for an application on Node.
// The extension owns the schema (never sync() these models): its triggers
// check and record every write and its row-level security decides what the
// actor sees.  A model only names the columns; those the extension fills
// (owner, timestamps, a pipeline row's workflow, stage and transition ids)
// have no default here, so Sequelize leaves them out of an INSERT and reads
// them back with RETURNING.  Saving a CandidateStage with a new stage_id is a
// move, checked like move_to_next_stage(): a blocking rule rejects it with
// the extension's 23514 (err.parent.code; err.parent.detail is JSON,
// {"reason": "rule_blocked", "stage_id": ..., "failed": [the failed leaves]}).
//
// Every table carries the tenant (workflow_ext.tenant, else the actor itself),
// stamped by the extension on INSERT and never changed: the models read it and
// never write it (stamped(), below), so a save() writes only what the
// application may change.  Application and job ids are unique within a
// tenant: the unique keys lead with it, and an upsert (bulkCreate with
// updateOnDuplicate) targets them -- the extension stamps the tenant before
// the conflict is looked for.
'use strict';

const { DataTypes, Sequelize } = require('sequelize');

const { BIGINT, BOOLEAN, DATE, INTEGER, JSONB, STRING, TEXT } = DataTypes;
const id = { type: BIGINT, primaryKey: true, autoIncrement: true };
const tenant = { type: TEXT };
const options = (tableName, ...uniqueKeys) => ({
  tableName, timestamps: false, freezeTableName: true,
  indexes: uniqueKeys.map((fields) => ({ unique: true, fields })),
});

// Columns the extension stamps (tenant, candidate_stage.added_by): left out
// of every INSERT and UPDATE a model writes (create, save, bulkCreate), read
// back with RETURNING.  An explicit Model.update() naming one is the
// extension's to refuse (42501).
function stamped(model, ...columns) {
  const drop = (options) => {
    if (options.fields) options.fields = options.fields.filter((f) => !columns.includes(f));
  };
  model.addHook('beforeCreate', (instance, options) => drop(options));
  model.addHook('beforeUpdate', (instance, options) => drop(options));
  model.addHook('beforeBulkCreate', (instances, options) => drop(options));
  return model;
}

function defineModels(sequelize) {
  const m = {};
  m.Workflow = sequelize.define('Workflow', {
    id, tenant, name: { type: TEXT, allowNull: false }, description: TEXT, owner: TEXT,
    created_at: DATE, updated_at: DATE, archived_at: DATE,
  }, options('workflow'));
  m.WorkflowShare = sequelize.define('WorkflowShare', {
    id, tenant, workflow_id: BIGINT,
    grantee_tenant: TEXT, grantee: TEXT,       // grantee NULL: every actor of grantee_tenant
    can_edit: BOOLEAN, created_at: DATE,
  }, options('workflow_share'));
  m.WorkflowStage = sequelize.define('WorkflowStage', {
    id, tenant, workflow_id: { type: BIGINT, allowNull: false }, name: { type: TEXT, allowNull: false },
    position: { type: INTEGER, allowNull: false }, kind: TEXT, config: JSONB,
    sla: STRING,                               // an interval, as PostgreSQL prints it
    archived_at: DATE,
    auto_advance: BOOLEAN,                     // moves on when the next stage's rule holds
    on_enter: JSONB,                           // actions of every entry (stage_action events)
  }, options('workflow_stage'));
  m.StageRule = sequelize.define('StageRule', {
    id, tenant, stage_id: { type: BIGINT, allowNull: false }, name: TEXT, condition: JSONB, on_fail: TEXT,
    created_at: DATE, updated_at: DATE,
  }, options('stage_rule'));
  m.Alert = sequelize.define('Alert', {
    id, tenant, stage_id: BIGINT, rule_id: BIGINT, rule_path: TEXT, field_name: TEXT, operator: TEXT,
    value: JSONB, ignore_case: BOOLEAN, fires_on: TEXT, message: TEXT, severity: TEXT,
    source: TEXT,                              // whose facts: candidate, application or job
  }, options('alert'));
  m.JobWorkflow = sequelize.define('JobWorkflow', {
    id, tenant, job_id: BIGINT, workflow_id: BIGINT, assigned_at: DATE, assigned_by: TEXT,
  }, options('job_workflow', ['tenant', 'job_id']));
  m.CandidateProfile = sequelize.define('CandidateProfile', {
    id, tenant, candidate_id: BIGINT, attributes: JSONB, updated_at: DATE,
  }, options('candidate_profile', ['tenant', 'candidate_id']));
  m.JobProfile = sequelize.define('JobProfile', {
    id, tenant, job_id: BIGINT, attributes: JSONB, updated_at: DATE,
  }, options('job_profile', ['tenant', 'job_id']));
  m.CandidateStage = sequelize.define('CandidateStage', {
    id, tenant, job_id: BIGINT, candidate_id: BIGINT, workflow_id: BIGINT, stage_id: BIGINT,
    status: TEXT, entered_at: DATE, transition_id: BIGINT, visit_transition_id: BIGINT,
    added_by: TEXT,
    attributes: JSONB,                         // the application's facts ("source": "application")
  }, options('candidate_stage', ['tenant', 'job_id', 'candidate_id']));
  m.StageTransition = sequelize.define('StageTransition', {
    id, tenant, job_id: BIGINT, candidate_id: BIGINT, workflow_id: BIGINT, from_stage_id: BIGINT,
    to_stage_id: BIGINT, from_status: TEXT, to_status: TEXT, actor: TEXT, reason: TEXT,
    moved_at: DATE, alerts_raised: INTEGER, warnings: JSONB, on_enter: JSONB,
  }, options('stage_transition'));
  m.AlertEvent = sequelize.define('AlertEvent', {
    id, tenant, alert_id: BIGINT, job_id: BIGINT, candidate_id: BIGINT, workflow_id: BIGINT,
    stage_id: BIGINT, transition_id: BIGINT, cause: TEXT, severity: TEXT, message: TEXT,
    raised_at: DATE, facts: JSONB, acknowledged_at: DATE, acknowledged_by: TEXT,
  }, options('alert_event'));
  for (const model of Object.values(m)) stamped(model, 'tenant');
  stamped(m.CandidateStage, 'added_by');
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
