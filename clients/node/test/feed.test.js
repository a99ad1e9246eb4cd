// The consumer against a real cluster (run inside pg_virtualenv, PG* naming
// a superuser): a stream of moves, status changes and alert events by two
// tenants, while the test tries to make the consumer lose or repeat an event:
//   - its connection is killed with pg_terminate_backend four times, once right
//     after a backlog of about a hundred events is released, while it reads
//     them in batches of 3 (the test checks that a kill did land mid-read),
//     and moves are committed while it is disconnected (their NOTIFYs are lost);
//   - the consumer process is killed with SIGKILL and started again from its
//     cursor file and output, with moves committed while it is down;
//   - a long transaction that began first (lowest transaction id) moves
//     candidates and commits last, after hundreds of later transactions.
// Then its output must equal stage_transition and alert_event as the actor
// sees them: every row once, none twice, nothing of the other tenant's.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');
const { EventConsumer } = require('../consumer');

const DB = 'wf_node';
const APP = { user: 'wf_node_app', password: 'node-test-secret', database: DB };
const ANN = 'user:ann';
const BOB = 'user:bob';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function superuserSql(database, args) {
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', database, ...args],
    { encoding: 'utf8' });
  assert.strictEqual(r.status, 0, r.stderr);
  return r.stdout;
}

// A writer's connection: every transaction names the actor (and the tenant)
// itself, as an application does per request -- with require_actor on, a
// setting left by an earlier transaction of the session counts as unset.  A
// statement outside BEGIN ... COMMIT gets a transaction of its own.
class ActorClient {
  constructor(client, actor, tenant) {
    this.client = client;
    this.actor = actor;
    this.tenant = tenant;
    this.inTransaction = false;
  }

  async identify() {
    if (this.tenant) await this.client.query("SELECT set_config('workflow_ext.tenant', $1, true)", [this.tenant]);
    await this.client.query("SELECT set_config('workflow_ext.actor', $1, true)", [this.actor]);
  }

  async query(text, params) {
    if (/^\s*BEGIN\b/i.test(text)) {
      const r = await this.client.query(text, params);
      this.inTransaction = true;
      await this.identify();
      return r;
    }
    if (/^\s*(COMMIT|ROLLBACK)\b/i.test(text)) {
      this.inTransaction = false;
      return this.client.query(text, params);
    }
    if (this.inTransaction) return this.client.query(text, params);
    await this.client.query('BEGIN');
    try {
      await this.identify();
      const r = await this.client.query(text, params);
      await this.client.query('COMMIT');
      return r;
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  end() { return this.client.end(); }
}

async function connectAs(actor, extra = {}, tenant = null) {
  const c = new Client({ ...APP, application_name: 'wf-feed-writer', ...extra });
  await c.connect();
  return new ActorClient(c, actor, tenant);
}

async function pipeline(c, name, stages, candidates, job, flagged) {
  const wf = (await c.query('INSERT INTO workflow (name) VALUES ($1) RETURNING id', [name])).rows[0].id;
  const ids = [];
  for (let i = 1; i <= stages; i++) {
    ids.push((await c.query('INSERT INTO workflow_stage (workflow_id, name, position) VALUES ($1, $2, $3) RETURNING id',
      [wf, `s${i}`, i])).rows[0].id);
  }
  // An alert on the second and the fourth stage for flagged candidates.
  for (const s of [ids[1], ids[3]]) {
    await c.query("INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES ($1, 'flag', 'eq', 'true', 'flagged')", [s]);
  }
  await c.query('SELECT assign_workflow($1, $2)', [job, wf]);
  for (const cand of candidates) {
    await c.query('INSERT INTO candidate_profile (candidate_id, attributes) VALUES ($1, $2)',
      [cand, JSON.stringify({ flag: flagged(cand) })]);
    await c.query('SELECT add_candidate($1, $2)', [cand, job]);
  }
  return { wf, stages: ids };
}

class ConsumerProcess {
  constructor(dir) {
    this.dir = dir;
    this.output = path.join(dir, 'events.jsonl');
    this.cursorFile = path.join(dir, 'feed.cursor');
    this.stderr = '';
  }

  start() {
    const env = { ...process.env, PGDATABASE: DB, PGUSER: APP.user, PGPASSWORD: APP.password };
    this.child = spawn(process.execPath, [path.join(__dirname, '..', 'consumer.js'),
      '--actor', ANN, '--cursor-file', this.cursorFile, '--output', this.output,
      '--batch', '3', '--poll-ms', '150', '--batch-pause-ms', '15'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr.on('data', (d) => { this.stderr += d; });
    this.exited = new Promise((r) => this.child.on('exit', r));
  }

  async kill(signal) {
    this.child.kill(signal);
    await this.exited;
  }

  events() {
    if (!fs.existsSync(this.output)) return [];
    return fs.readFileSync(this.output, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  }
}

// Terminates the consumer's backend once it is connected, and waits until
// that backend is gone (so the next call cannot count the same one twice).
async function terminateConsumer(admin) {
  for (let i = 0; i < 200; i++) {
    const result = await admin.query(
      "SELECT pid, pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE application_name = 'wf-event-consumer' AND datname = $1", [DB]);
    const rows = result.rows.filter((r) => r.t);
    if (rows.length > 0) {
      for (let j = 0; j < 200; j++) {
        const gone = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1)', [rows.map((r) => r.pid)]);
        if (gone.rows[0].n === 0) break;
        await sleep(10);
      }
      return true;
    }
    await sleep(25);
  }
  return false;
}

function keyOf(event) {
  return event.kind === 'alert' ? `A:${event.alert_event_id}` : `T:${event.transition_id}`;
}

test('the consumer sees every event exactly once through dropped connections, a crash and a late commit', { timeout: 120000 }, async (t) => {
  const open = [];
  let consumer = null;
  t.after(async () => {
    if (consumer && consumer.child.exitCode === null && consumer.child.signalCode === null) await consumer.kill('SIGKILL');
    await Promise.all(open.map((c) => c.end().catch(() => {})));
  });
  superuserSql('postgres', ['-c', `DROP DATABASE IF EXISTS ${DB}`, '-c', `CREATE DATABASE ${DB}`]);
  superuserSql(DB, ['-v', `app_role=${APP.user}`, '-v', `app_password=${APP.password}`,
    '-f', path.join(__dirname, '..', '..', 'common', 'app-database.sql')]);
  const admin = new Client({ database: DB });       // superuser, from the PG* environment
  await admin.connect();
  open.push(admin);
  const ann = await connectAs(ANN);
  const bob = await connectAs(BOB);
  open.push(ann, bob);

  const annCandidates = Array.from({ length: 24 }, (_, i) => 1000 + i);
  const bobCandidates = Array.from({ length: 6 }, (_, i) => 2000 + i);
  const annJob = 77;
  const bobJob = 88;
  const a = await pipeline(ann, 'ann hiring', 5, annCandidates, annJob, (c) => c % 2 === 0);
  await pipeline(bob, 'bob hiring', 5, bobCandidates, bobJob, () => true);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wf-feed-'));
  consumer = new ConsumerProcess(dir);
  consumer.start();

  const moveAll = async (c, job, cands) => {
    for (let i = 0; i < cands.length; i += 3) {
      // Some transactions move three candidates at once.
      const group = cands.slice(i, i + 3);
      if (i % 2 === 0) {
        await c.query('BEGIN');
        for (const cand of group) await c.query('SELECT move_to_next_stage($1, $2)', [cand, job]);
        await c.query('COMMIT');
      } else {
        for (const cand of group) await c.query('SELECT move_to_next_stage($1, $2)', [cand, job]);
      }
    }
  };

  // The long transaction: begun first, so its transaction id is the lowest of
  // what follows; it moves two candidates that no one else moves and commits
  // after everything else of rounds 1 to 3.
  const longTx = await connectAs(ANN);
  open.push(longTx);
  const lateCandidates = annCandidates.slice(0, 2);
  const others = annCandidates.slice(2);
  await longTx.query('BEGIN');
  await longTx.query('SELECT pg_current_xact_id()');
  for (const cand of lateCandidates) await longTx.query('SELECT move_to_next_stage($1, $2)', [cand, annJob]);

  let terminations = 0;
  // Round 1, with the connection killed while moves are being written.
  await moveAll(ann, annJob, others.slice(0, 10));
  if (await terminateConsumer(admin)) terminations++;
  await moveAll(ann, annJob, others.slice(10));
  await moveAll(bob, bobJob, bobCandidates);

  // Round 2, with the consumer process killed (SIGKILL) and moves committed while it is down.
  await moveAll(ann, annJob, others.slice(0, 8));
  await consumer.kill('SIGKILL');
  // Its backend goes away with it; wait, so a termination below hits the new process.
  for (let i = 0; i < 200; i++) {
    const { rows } = await admin.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'wf-event-consumer' AND datname = $1", [DB]);
    if (rows[0].n === 0) break;
    await sleep(25);
  }
  await moveAll(ann, annJob, others.slice(8));
  await ann.query("SELECT reject_candidate($1, $2, 'no show')", [others[0], annJob]);
  consumer.start();
  await sleep(300);
  if (await terminateConsumer(admin)) terminations++;

  // Round 3, and status changes.
  await ann.query('SELECT reopen_candidate($1, $2)', [others[0], annJob]);
  await moveAll(ann, annJob, others);
  await moveAll(bob, bobJob, bobCandidates);
  if (await terminateConsumer(admin)) terminations++;

  // Until now the long transaction held the feed back; its commit releases a
  // backlog, read in batches of 3, and the connection is killed at once.
  await longTx.query('COMMIT');
  if (await terminateConsumer(admin)) terminations++;
  await moveAll(ann, annJob, annCandidates);       // round 4: everyone

  // What the actor sees in the tables.
  const expected = new Set();
  for (const r of (await ann.query('SELECT id FROM stage_transition')).rows) expected.add(`T:${r.id}`);
  for (const r of (await ann.query('SELECT id FROM alert_event')).rows) expected.add(`A:${r.id}`);
  const bobSees = (await bob.query('SELECT count(*)::int AS n FROM stage_transition')).rows[0].n;
  assert.ok(bobSees > 0);

  let lines = [];
  for (let i = 0; i < 300; i++) {
    lines = consumer.events();
    if (lines.length >= expected.size) break;
    await sleep(100);
  }
  await sleep(500);                                  // anything more would be a duplicate
  lines = consumer.events();
  await consumer.kill('SIGTERM');

  const keys = lines.map((l) => keyOf(l.event));
  const seen = new Set();
  const twice = keys.filter((k) => (seen.has(k) ? true : (seen.add(k), false)));
  assert.deepStrictEqual(twice, [], 'events handed over twice');
  const missing = [...expected].filter((k) => !seen.has(k));
  assert.deepStrictEqual(missing, [], 'events lost');
  const extra = [...seen].filter((k) => !expected.has(k));
  assert.deepStrictEqual(extra, [], 'events the actor may not see (the other tenant\'s)');

  // Every event carries the contract's fields; a candidate's moves come in order.
  const lastTransition = new Map();
  for (const { event } of lines) {
    for (const field of ['kind', 'job_id', 'candidate_id', 'transition_id']) {
      assert.ok(event[field] !== undefined && event[field] !== null, `${field} in ${JSON.stringify(event)}`);
    }
    assert.strictEqual(event.job_id, annJob);
    if (event.kind === 'alert') {
      assert.ok(event.alert_event_id);
      continue;
    }
    const before = lastTransition.get(event.candidate_id) || 0;
    assert.ok(Number(event.transition_id) > before, `transitions of candidate ${event.candidate_id} out of order`);
    lastTransition.set(event.candidate_id, Number(event.transition_id));
  }
  // The late transaction's moves are there although they committed after higher ids.
  const lateMoves = (await ann.query(
    'SELECT count(*)::int AS n FROM stage_transition WHERE candidate_id = ANY($1) AND from_stage_id = $2',
    [lateCandidates, a.stages[0]])).rows[0].n;
  assert.strictEqual(lateMoves, 2);
  assert.ok(expected.size > 120, `a stream of ${expected.size} events`);
  assert.ok(terminations >= 3, `connection terminated ${terminations} times`);
  const reconnects = (consumer.stderr.match(/reconnecting/g) || []).length;
  assert.ok(reconnects >= terminations, `consumer reconnected ${reconnects} times:\n${consumer.stderr}`);
  const midRead = (consumer.stderr.match(/while reading the feed/g) || []).length;
  assert.ok(midRead >= 1, `no connection was killed in the middle of reading a backlog:\n${consumer.stderr}`);
  assert.strictEqual(fs.readFileSync(consumer.cursorFile, 'utf8').trim(), lines[lines.length - 1].cursor);
  console.log(`# feed: ${expected.size} events, ${terminations} connections terminated (${midRead} while reading a backlog), 1 SIGKILL, ${reconnects} reconnects`);

  fs.rmSync(dir, { recursive: true, force: true });
});

test('a malformed cursor is refused with 22023', async () => {
  const c = await connectAs(ANN);
  try {
    await assert.rejects(c.query("SELECT * FROM workflow_events_since('not a cursor')"), (err) => err.code === '22023');
  } finally {
    await c.end();
  }
});

test('an organization\'s consumer (tenant set) reads its tenant\'s events, whoever wrote them, and no other\'s', async (t) => {
  // The same actor name in two organizations, and a third user of the first.
  const acme = await connectAs(ANN, {}, 'org:acme');
  const cole = await connectAs('user:cole', {}, 'org:acme');
  const other = await connectAs(ANN, {}, 'org:other');
  t.after(() => Promise.all([acme.end(), cole.end(), other.end()]));
  const a = await pipeline(acme, 'acme hiring', 4, [1, 2], 77, (c) => c === 2);
  await acme.query('SELECT share_workflow($1, NULL)', [a.wf]);          // the whole organization
  await pipeline(other, 'other hiring', 4, [1], 77, () => true);         // job 77 of another tenant
  for (const c of [acme, other]) await c.query('SELECT move_to_next_stage(1, 77)');
  await cole.query('SELECT move_to_next_stage(2, 77)');                  // a colleague, through the share

  const read = async (options) => {
    const events = [];
    const consumer = new EventConsumer({
      connection: { ...APP }, pollMs: 50, batchSize: 2, ...options,
      handler: async (rows) => { events.push(...rows.map((r) => r.event)); },
    });
    const running = consumer.run();
    await new Promise((resolve) => consumer.once('connected', resolve));
    for (let seen = -1; seen !== events.length || consumer.reading;) {   // until nothing more comes
      seen = events.length;
      await sleep(300);
    }
    consumer.stop();
    await running;
    return events;
  };
  const hank = await read({ tenant: 'org:acme', actor: 'user:hank' });
  const expected = (await acme.query(
    'SELECT (SELECT count(*) FROM stage_transition) + (SELECT count(*) FROM alert_event) AS n')).rows[0].n;
  assert.strictEqual(hank.length, Number(expected));
  assert.ok(hank.length >= 5, `${hank.length} events`);             // 2 entries, 2 moves, an alert
  assert.deepStrictEqual([...new Set(hank.map((e) => String(e.workflow_id)))], [String(a.wf)]);
  // hank without the tenant is a tenant of his own: nothing.
  assert.deepStrictEqual(await read({ actor: 'user:hank', cursor: null }), []);
});
