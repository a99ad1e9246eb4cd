// Sequelize on workflow_ext, as the application role with exactly the
// README's grants, against a real cluster (run inside pg_virtualenv, PG*
// naming a superuser): a workflow and its stages made through the models,
// generated alerts visible at once, a candidate moved by saving the model,
// a blocked move refused with the extension's 23514 and its failed leaves,
// a stale transition_id refused with 40001, another actor seeing nothing, the
// tenant read and never written, and an upsert keyed by (tenant, candidate_id).
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { asActor, connect, defineModels } = require('../models');

const DB = 'wf_sequelize';
const APP = { username: 'wf_sequelize_app', password: 'sequelize-test-secret', database: DB };

function superuserSql(database, args) {
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', database, ...args], { encoding: 'utf8' });
  assert.strictEqual(r.status, 0, r.stderr);
}

let sequelize;
let m;

test.before(() => {
  superuserSql('postgres', ['-c', `DROP DATABASE IF EXISTS ${DB}`, '-c', `CREATE DATABASE ${DB}`]);
  superuserSql(DB, ['-v', `app_role=${APP.username}`, '-v', `app_password=${APP.password}`,
    '-f', path.join(__dirname, '..', '..', 'common', 'app-database.sql')]);
  sequelize = connect(APP);
  m = defineModels(sequelize);
});

test.after(async () => { await sequelize.close(); });

const ANN = 'user:ann';
const JOB = 1234;
const RULE = { all: [{ field: 'years_experience', op: 'gte', value: 3 },
                     { field: 'location', op: 'in', value: ['Berlin', 'Remote'], ignore_case: true }] };
let stages;

test('a workflow, its stages and a rule through the models', async () => {
  await asActor(sequelize, ANN, async (transaction) => {
    const wf = await m.Workflow.create({ name: 'Backend engineer' }, { transaction });
    assert.strictEqual(wf.owner, ANN);                       // filled by the extension
    assert.ok(wf.created_at instanceof Date);
    stages = [];
    for (const [i, name] of ['Applied', 'Phone screen', 'Onsite'].entries()) {
      stages.push(await m.WorkflowStage.create({ workflow_id: wf.id, name, position: i + 1 }, { transaction }));
    }
    const rule = await m.StageRule.create({ stage_id: stages[1].id, name: 'Experienced', condition: RULE }, { transaction });
    const alerts = await m.Alert.findAll({ where: { rule_id: rule.id }, order: [['id', 'ASC']], transaction });
    assert.deepStrictEqual(alerts.map((a) => [a.field_name, a.operator]), [['years_experience', 'gte'], ['location', 'in']]);
    await m.JobWorkflow.create({ job_id: JOB, workflow_id: wf.id }, { transaction });
    await m.CandidateProfile.bulkCreate([
      { candidate_id: 456, attributes: { years_experience: 5, location: 'berlin' } },
      { candidate_id: 789, attributes: { years_experience: 1, location: 'Paris' } }], { transaction });
    for (const candidate_id of [456, 789]) {
      const row = await m.CandidateStage.create({ job_id: JOB, candidate_id }, { transaction });
      assert.strictEqual(String(row.stage_id), String(stages[0].id));   // the first stage, filled in
      assert.strictEqual(row.status, 'active');
    }
  });
});

test('a bad condition is the extension\'s 22023 with the JSON path', async () => {
  await assert.rejects(asActor(sequelize, ANN, (transaction) => m.StageRule.create(
    { stage_id: stages[2].id, name: 'bad', condition: { all: [{ field: 'x', op: 'nope', value: 1 }] } }, { transaction })),
  (err) => err.parent.code === '22023' && JSON.parse(err.parent.detail).reason === 'invalid_condition'
    && JSON.parse(err.parent.detail).path === '$.all[0].op');
});

test('saving the model moves the candidate, with history', async () => {
  await asActor(sequelize, ANN, async (transaction) => {
    const row = await m.CandidateStage.findOne({ where: { job_id: JOB, candidate_id: 456 }, transaction });
    row.stage_id = stages[1].id;
    await row.save({ transaction });
    const history = await m.StageTransition.findAll({ where: { job_id: JOB, candidate_id: 456 }, order: [['id', 'ASC']], transaction });
    assert.deepStrictEqual(history.map((h) => [h.from_stage_id && String(h.from_stage_id), String(h.to_stage_id), h.actor]),
      [[null, String(stages[0].id), ANN], [String(stages[0].id), String(stages[1].id), ANN]]);
  });
  await asActor(sequelize, ANN, async (transaction) => {
    const row = await m.CandidateStage.findOne({ where: { job_id: JOB, candidate_id: 456 }, transaction });
    assert.strictEqual(String(row.stage_id), String(stages[1].id));
  });
});

test('a blocked move by save() is the extension\'s 23514 with the failed leaves', async () => {
  await assert.rejects(asActor(sequelize, ANN, async (transaction) => {
    const row = await m.CandidateStage.findOne({ where: { job_id: JOB, candidate_id: 789 }, transaction });
    row.stage_id = stages[1].id;
    await row.save({ transaction });
  }), (err) => {
    assert.strictEqual(err.parent.code, '23514');
    assert.strictEqual(err.parent.constraint, undefined);      // the rule, not a table CHECK
    assert.strictEqual(JSON.parse(err.parent.detail).reason, 'rule_blocked');
    assert.deepStrictEqual(JSON.parse(err.parent.detail).failed.map((l) => l.field).sort(), ['location', 'years_experience']);
    return true;
  });
  await asActor(sequelize, ANN, async (transaction) => {
    const row = await m.CandidateStage.findOne({ where: { job_id: JOB, candidate_id: 789 }, transaction });
    assert.strictEqual(String(row.stage_id), String(stages[0].id));   // not moved
  });
});

test('a save from a stale read is refused with 40001', async () => {
  const stale = await asActor(sequelize, ANN, (transaction) =>
    m.CandidateStage.findOne({ where: { job_id: JOB, candidate_id: 456 }, transaction }));
  await asActor(sequelize, ANN, (transaction) =>
    sequelize.query('SELECT move_to_next_stage(456, :job)', { replacements: { job: JOB }, transaction }));
  await assert.rejects(asActor(sequelize, ANN, async (transaction) => {
    stale.stage_id = stages[0].id;
    stale.changed('transition_id', true);        // write back what was read, as a full-row save does
    await stale.save({ transaction });
  }), (err) => err.parent.code === '40001');
});

test('another actor sees none of it, and moves nothing', async () => {
  await asActor(sequelize, 'user:bob', async (transaction) => {
    assert.strictEqual(await m.Workflow.count({ transaction }), 0);
    assert.strictEqual(await m.CandidateStage.count({ where: { job_id: JOB }, transaction }), 0);
    const [affected] = await m.CandidateStage.update({ stage_id: stages[2].id }, { where: { job_id: JOB }, transaction });
    assert.strictEqual(affected, 0);
  });
});

test('the tenant is the extension\'s: read back, never written by a save, which keeps the application facts', async () => {
  await asActor(sequelize, ANN, async (transaction) => {
    const row = await m.CandidateStage.findOne({ where: { job_id: JOB, candidate_id: 789 }, transaction });
    assert.deepStrictEqual([row.tenant, row.added_by, row.attributes], [ANN, ANN, {}]);   // no tenant set: the actor's own
    row.tenant = 'org:elsewhere';               // left out of the UPDATE
    row.attributes = { scorecards: 2 };
    await row.save({ transaction });
    const wf = await m.Workflow.create({ name: 'Stamped' }, { transaction });
    assert.strictEqual(wf.tenant, ANN);         // read back with RETURNING
  });
  await asActor(sequelize, ANN, async (transaction) => {
    const row = await m.CandidateStage.findOne({ where: { job_id: JOB, candidate_id: 789 }, transaction });
    assert.deepStrictEqual([row.tenant, row.attributes, String(row.stage_id)], [ANN, { scorecards: 2 }, String(stages[0].id)]);
  });
});

test('an upsert of profiles targets (tenant, candidate_id): each tenant its own candidate 789', async () => {
  const upsert = (actor, attributes) => asActor(sequelize, actor, (transaction) => m.CandidateProfile.bulkCreate(
    [{ candidate_id: 789, attributes }], { updateOnDuplicate: ['attributes'], transaction }));
  await upsert(ANN, { years_experience: 4, location: 'Remote' });
  await upsert('user:bob', { years_experience: 0 });
  await asActor(sequelize, ANN, async (transaction) => {
    const profiles = await m.CandidateProfile.findAll({ where: { candidate_id: 789 }, transaction });
    assert.deepStrictEqual(profiles.map((p) => [p.tenant, p.attributes]), [[ANN, { years_experience: 4, location: 'Remote' }]]);
    const row = await m.CandidateStage.findOne({ where: { job_id: JOB, candidate_id: 789 }, transaction });
    row.stage_id = stages[1].id;                 // the updated facts pass the rule now
    await row.save({ transaction });
  });
  await asActor(sequelize, 'user:bob', async (transaction) => {
    const profiles = await m.CandidateProfile.findAll({ where: { candidate_id: 789 }, transaction });
    assert.deepStrictEqual(profiles.map((p) => [p.tenant, p.attributes]), [['user:bob', { years_experience: 0 }]]);
  });
});
