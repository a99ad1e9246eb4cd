#!/usr/bin/env node
// An event consumer for workflow_ext on node-postgres.
//
// The data comes from the durable feed, workflow_events_since(cursor,
// max_events), read after a stored cursor; NOTIFY workflow_events is only the
// wake-up (its payload, {"kind","transition_id","alert_events"}, is never
// used as data: any role may NOTIFY, and a notification sent while nobody
// listens is gone).  A timer polls as well, since the feed holds back events
// until every older transaction has ended, so a wake-up can come before the
// event is readable.
//
// Who reads: the actor (and tenant) are set in the transaction of every
// batch (set_config(..., true)), never once per session: with
// workflow_ext.require_actor on, a setting left by an earlier transaction of
// the session counts as unset.
//
// Exactly once across dropped connections: the cursor advances only after the
// handler has taken a whole batch, and a batch is one query, so a connection
// lost at any point means the same batch is read again after reconnecting,
// from the cursor the handler last finished; nothing is skipped and nothing is
// handed over twice.  Across a crash of the process, the cursor file is
// written (atomically, by rename) after the handler; the command line's JSONL
// output is itself a ledger: on start it resumes after the last line written,
// so a crash between the output and the cursor file repeats nothing.
//
//   node consumer.js --actor user:42 --cursor-file feed.cursor --output events.jsonl
//   node consumer.js --tenant org:acme --actor user:42 ...   (an organization's user)
//   (connection from the PG* environment: PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD)
'use strict';

const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const path = require('node:path');
const { Client } = require('pg');

function readCursor(file) {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return text === '' ? null : text;
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
}

function writeCursor(file, cursor) {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, `${cursor}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

class EventConsumer extends EventEmitter {
  // options: connection (pg Client config; default: the PG* environment),
  // actor (workflow_ext.actor for the session; RLS decides what it reads),
  // tenant (workflow_ext.tenant, the organization; unset: the actor is its own),
  // cursorFile, cursor (initial, overrides the file), batchSize, pollMs,
  // handler(events) -> Promise: events are {cursor, event} in feed order.
  constructor(options) {
    super();
    this.connection = options.connection || {};
    this.actor = options.actor || null;
    this.tenant = options.tenant || null;
    this.cursorFile = options.cursorFile || null;
    this.cursor = options.cursor !== undefined ? options.cursor
      : (this.cursorFile ? readCursor(this.cursorFile) : null);
    this.batchSize = options.batchSize || 500;
    this.pollMs = options.pollMs || 1000;
    this.handler = options.handler;
    this.minBackoffMs = options.minBackoffMs || 100;
    this.maxBackoffMs = options.maxBackoffMs || 5000;
    this.batchPauseMs = options.batchPauseMs || 0;   // throttle between batches of one catch-up
    this.reading = false;
    this.stopped = false;
    this.client = null;
    this.wake = null;
    this.delivered = 0;
    this.connects = 0;
  }

  async run() {
    let backoff = this.minBackoffMs;
    while (!this.stopped) {
      const client = new Client({ application_name: 'wf-event-consumer', ...this.connection });
      let broken = null;
      client.on('error', (err) => { broken = err; this.poke(); });
      client.on('end', () => { broken = broken || new Error('connection ended'); this.poke(); });
      client.on('notification', () => this.poke());
      this.client = client;
      try {
        await client.connect();
        await client.query('LISTEN workflow_events');
        this.connects += 1;
        this.emit('connected', this.connects);
        backoff = this.minBackoffMs;
        // Catch up first: notifications sent while disconnected are lost.
        while (!this.stopped && !broken) {
          await this.drain(client);
          if (broken) break;
          await this.sleepUntilWoken(this.pollMs);
        }
        if (broken && !this.stopped) throw broken;
      } catch (err) {
        if (this.stopped) break;
        this.emit('disconnected', err, this.reading);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
      } finally {
        this.client = null;
        this.reading = false;
        client.removeAllListeners('notification');
        client.on('error', () => {});
        await client.end().catch(() => {});
      }
    }
    this.emit('stopped');
  }

  // One batch, in a transaction of its own that names the actor and the
  // tenant (only those given: a tenant set per database stays).
  async readBatch(client) {
    const settings = [];
    const values = [];
    for (const [name, value] of [['workflow_ext.tenant', this.tenant], ['workflow_ext.actor', this.actor]]) {
      if (value) {
        values.push(name, value);
        settings.push(`set_config($${values.length - 1}, $${values.length}, true)`);
      }
    }
    await client.query('BEGIN');
    try {
      if (settings.length) await client.query(`SELECT ${settings.join(', ')}`, values);
      const { rows } = await client.query(
        'SELECT cursor, event FROM workflow_events_since($1, $2)', [this.cursor, this.batchSize]);
      await client.query('COMMIT');
      return rows;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  // Reads batches until the feed has nothing more to give now.
  async drain(client) {
    this.reading = true;
    for (;;) {
      const rows = await this.readBatch(client);
      if (rows.length === 0) break;
      await this.handler(rows);
      this.cursor = rows[rows.length - 1].cursor;
      if (this.cursorFile) writeCursor(this.cursorFile, this.cursor);
      this.delivered += rows.length;
      this.emit('batch', rows.length, this.cursor);
      if (rows.length < this.batchSize) break;
      if (this.batchPauseMs) await new Promise((r) => setTimeout(r, this.batchPauseMs));
    }
    this.reading = false;
  }

  poke() {
    if (this.wake) {
      const wake = this.wake;
      this.wake = null;
      wake();
    }
  }

  sleepUntilWoken(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wake = null; resolve(); }, ms);
      this.wake = () => { clearTimeout(timer); resolve(); };
    });
  }

  stop() {
    this.stopped = true;
    this.poke();
    if (this.client) this.client.end().catch(() => {});
  }
}

// The last cursor written to a JSONL output, or null.
function lastCursorOf(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i]).cursor;
    } catch (err) {
      // a line torn by a crash: the events after the line before it come again
    }
  }
  return null;
}

function parseArgs(argv) {
  const args = { batchSize: 500, pollMs: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const take = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    switch (argv[i]) {
      case '--actor': args.actor = take(); break;
      case '--tenant': args.tenant = take(); break;
      case '--cursor-file': args.cursorFile = take(); break;
      case '--output': args.output = take(); break;
      case '--batch': args.batchSize = Number(take()); break;
      case '--poll-ms': args.pollMs = Number(take()); break;
      case '--batch-pause-ms': args.batchPauseMs = Number(take()); break;
      case '--help':
        process.stdout.write('usage: consumer.js [--actor A] [--tenant T] [--cursor-file F] [--output F.jsonl] [--batch N] [--poll-ms MS] [--batch-pause-ms MS]\n');
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let cursor;
  let out = process.stdout.fd;
  if (args.output) {
    // The output is the ledger: resume after its last line when it is ahead
    // of the cursor file (a crash between the two writes).
    const ledger = lastCursorOf(args.output);
    if (ledger !== null) cursor = ledger;
    // Drop a torn last line, so every line stays whole JSON.
    if (fs.existsSync(args.output)) {
      const text = fs.readFileSync(args.output, 'utf8');
      if (text !== '' && !text.endsWith('\n')) {
        fs.truncateSync(args.output, text.lastIndexOf('\n') + 1);
      }
    }
    out = fs.openSync(args.output, 'a');
  }
  const consumer = new EventConsumer({
    actor: args.actor,
    tenant: args.tenant,
    cursorFile: args.cursorFile,
    cursor,
    batchSize: args.batchSize,
    pollMs: args.pollMs,
    batchPauseMs: args.batchPauseMs,
    handler: async (rows) => {
      fs.writeSync(out, rows.map((r) => JSON.stringify({ cursor: r.cursor, event: r.event })).join('\n') + '\n');
      if (args.output) fs.fsyncSync(out);
    },
  });
  consumer.on('connected', (n) => process.stderr.write(`wf-event-consumer: connected (${n})\n`));
  consumer.on('disconnected', (err, reading) => process.stderr.write(
    `wf-event-consumer: disconnected${reading ? ' while reading the feed' : ''}: ${err.message}; reconnecting\n`));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => consumer.stop());
  await consumer.run();
}

module.exports = { EventConsumer, readCursor, writeCursor, lastCursorOf };

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`wf-event-consumer: ${err.message}\n`);
    process.exit(1);
  });
}
